"""Loading of the real, synthetic and holdout tables from files or in-memory frames.

Every input becomes a :class:`LoadedTable`: a pandas frame with a ``RangeIndex``, unique string column
names and plain ``object`` string columns, plus where it came from and the SHA-256 of the file bytes. Text
files are first streamed once in 16 MiB chunks, hashing and decoding them, so a file in the wrong encoding
is reported with its line and byte offset instead of silently becoming a column of raw bytes (which is what
pyarrow does with invalid UTF-8). CSV then goes through :func:`pyarrow.csv.read_csv`; when pyarrow rejects
a file, a second pass with :mod:`csv` (or :mod:`json` for JSON lines) finds the offending line. Every
problem is an :class:`~synthaudit.errors.InputError` following the template
``"<label> file '<path>' <what is wrong>; <how to fix>."``.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import logging
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa

from synthaudit.data.shards import is_sharded, shard_files, shards_sha256
from synthaudit.data.source_file import (
    _SUFFIXES,
    SUPPORTED_FORMATS,
    _check_file,
    _check_unique,
    _encoding_error,
    _Source,
    _table_to_pandas,
)
from synthaudit.data.text_readers import _DELIMITERS, _read_csv, _read_json
from synthaudit.data.whole_input import WholeInput
from synthaudit.errors import InputError

__all__ = ["SUPPORTED_FORMATS", "LoadedTable", "frame_sha256", "load_table"]

logger = logging.getLogger(__name__)

CHUNK_SIZE = 16 * 1024 * 1024
"""Bytes read per step of the hashing and encoding-validation pass."""


@dataclass(frozen=True, slots=True)
class LoadedTable:
    """One input table and where it came from.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data, with a ``RangeIndex`` and unique string column names.
    label : str
        Which input this is (``"real"``, ``"synthetic"``, ``"holdout"``); used in messages.
    source : str
        The path as given, or ``"<DataFrame>"``.
    sha256 : str or None
        Hex SHA-256 of the file bytes (the compressed bytes for ``.gz``); for a DataFrame, the fingerprint
        of its content (:func:`frame_sha256`).
    format : str
        ``"csv"``, ``"tsv"``, ``"parquet"``, ``"jsonl"``, ``"json"`` or ``"dataframe"``.
    n_rows, n_columns : int
        Shape of ``frame``.
    chat_roles : tuple of str
        For a chat file (JSON records with a ``messages`` list, see :mod:`synthaudit.data.chat`), the role
        columns made from its messages; empty otherwise.
    whole : WholeInput or None
        For a table capped by ``--max-rows``, where every row of the input can be read again block by block
        (:mod:`synthaudit.data.whole_input`); ``None`` when ``frame`` holds every row.
    """

    frame: pd.DataFrame
    label: str
    source: str
    sha256: str | None
    format: str
    n_rows: int
    n_columns: int
    chat_roles: tuple[str, ...] = ()
    whole: WholeInput | None = None


def load_table(source: str | os.PathLike[str] | pd.DataFrame, *, label: str, encoding: str = "utf-8") -> LoadedTable:
    """Load one input table from a file or a DataFrame.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        A CSV (``.csv``/``.txt``), TSV, Parquet (``.parquet``/``.pq``), JSON lines (``.jsonl``/``.ndjson``)
        or JSON (``.json``: JSON lines, or an array of records) file; text formats may end in ``.gz``.
        A DataFrame is not copied; the table gets a shallow view with a ``RangeIndex`` and ``str`` names.
    label : str
        Which input this is (``"real"``, ``"synthetic"``, ``"holdout"``), used in messages.
    encoding : str, default "utf-8"
        Encoding of text files. A UTF-8 byte-order mark is accepted and dropped.

    Returns
    -------
    LoadedTable
        The frame plus its provenance.

    Raises
    ------
    InputError
        The file is missing, unreadable, of an unknown format, not in ``encoding``, malformed, empty,
        without data rows, or with duplicate column names; the message names the file, the place and a fix.
    """
    if isinstance(source, pd.DataFrame):
        sha = frame_sha256(source)
        frame = source.copy(deep=False)  # shares the data; the caller's index and columns stay untouched
        frame.columns = pd.Index([str(c) for c in frame.columns], dtype=object)
        frame.index = pd.RangeIndex(len(frame))
        return _finish(frame, _Source(Path(), "<DataFrame>", label, "dataframe", False), sha)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"load_table() expects a path or a DataFrame, not {type(source).__name__}")
    if is_sharded(Path(os.fspath(source))):
        return _load_shards(Path(os.fspath(source)), os.fspath(source), label, encoding)
    started = time.perf_counter()
    src = _check_file(Path(os.fspath(source)), os.fspath(source), label, encoding)
    chat_roles: tuple[str, ...] = ()
    if src.fmt == "parquet":
        frame, sha = _read_parquet(src)
    else:
        sha, odd_quotes = _scan_text(src)
        if src.fmt in _DELIMITERS:
            frame = _read_csv(src, odd_quotes)
        else:
            frame, chat_roles = _read_json(src)
    table = _finish(frame, src, sha, chat_roles)
    seconds = time.perf_counter() - started
    logger.info("loaded %s table %s: %d rows x %d columns in %.2f s", label, src.shown, *table.frame.shape, seconds)
    return table


def _format_of(path: Path) -> str:
    name = path.name.lower()
    fmt = _SUFFIXES.get(Path(name.removesuffix(".gz")).suffix, "")
    return "" if name.endswith(".gz") and fmt == "parquet" else fmt


def _load_shards(path: Path, shown: str, label: str, encoding: str) -> LoadedTable:
    """Read every shard of a directory or glob pattern (:mod:`synthaudit.data.shards`) and stack them."""
    files = shard_files(path, shown, label, _format_of)
    tables = [load_table(file, label=f"{label} shard", encoding=encoding) for file in files]
    stacked = stack_shards(tables, [str(f) for f in files], label, shown)
    logger.info("loaded %s table %s from %d shards: %d rows", label, shown, len(files), stacked.n_rows)
    return stacked


def check_shard_columns(columns: list[list[str]], files: list[str], label: str) -> None:
    """Bad input unless every shard (columns in name order) has the first shard's columns, in its order."""
    for file, names in zip(files[1:], columns[1:], strict=True):
        if names != columns[0]:
            raise InputError(
                f"{label} shard '{file}' has the columns {names[:8]}, not those of the first "
                f"shard '{files[0]}' ({columns[0][:8]}); every shard needs the same columns in the "
                "same order"
            )


def stack_shards(tables: list[LoadedTable], files: list[str], label: str, shown: str) -> LoadedTable:
    """Shards (read in name order) as one table: the same columns required, one fingerprint over every shard."""
    first = tables[0]
    check_shard_columns([list(t.frame.columns) for t in tables], files, label)
    frame = pd.concat([t.frame for t in tables], ignore_index=True) if len(tables) > 1 else first.frame
    sha = shards_sha256([(Path(file).name, table.sha256) for file, table in zip(files, tables, strict=True)])
    roles = tuple(dict.fromkeys(role for table in tables for role in table.chat_roles))
    return LoadedTable(frame, label, shown, sha, first.format, len(frame), first.n_columns, roles)


def frame_sha256(frame: pd.DataFrame) -> str:
    """A content fingerprint of an in-memory frame, recorded where a file's SHA-256 would be.

    SHA-256 over the column names and dtypes, then the 64-bit hash of every row (index included) from
    :func:`pandas.util.hash_pandas_object`. Equal frames (same values, index, column names and dtypes) get
    the same fingerprint in every process, so a report made from a notebook records which data it audited.
    """
    digest = hashlib.sha256(b"synthaudit.dataframe.v1\n")
    header = [[str(name), str(dtype)] for name, dtype in frame.dtypes.items()]
    digest.update(json.dumps(header, ensure_ascii=False).encode("utf-8"))
    try:
        rows = pd.util.hash_pandas_object(frame, index=True)
    except TypeError:  # unhashable cells (lists, dicts): fingerprint their text instead
        rows = pd.util.hash_pandas_object(frame.astype(str), index=True)
    digest.update(rows.to_numpy(dtype="<u8").tobytes())
    return digest.hexdigest()


def _finish(frame: pd.DataFrame, src: _Source, sha: str | None, chat_roles: tuple[str, ...] = ()) -> LoadedTable:
    columns = [str(c) for c in frame.columns]
    if columns and columns[0].startswith("\ufeff"):  # pyarrow drops a BOM itself; pandas paths may not
        columns[0] = columns[0][1:]
        frame.columns = pd.Index(columns, dtype=object)
    _check_unique(columns, src)
    if len(frame) == 0:
        what = f"has no data rows (only the {len(columns)} column names)" if columns else "has no data rows"
        src.fail(what, "give a table with a header and at least one data row")
    if not columns:
        src.fail("has no columns, so no data to audit", "give a table with a header and data rows")
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    return LoadedTable(frame, src.label, src.shown, sha, src.fmt, len(frame), len(columns), chat_roles)


class _HashingReader:
    """A binary reader feeding every byte it reads into ``digest`` (used under a gzip decompressor)."""

    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self._raw = raw
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._digest.update(data)
        return data

    def seek(self, offset: int, /) -> int:  # in gzip's protocol, but never called when reading forward
        raise io.UnsupportedOperation("seek")


def _scan_text(src: _Source) -> tuple[str, bool]:
    """Hash the file and decode it in one streamed pass; return (sha256, whether the quote count is odd)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(src.codec)("strict")
    ascii_compatible = '\n"'.encode(src.codec) == b'\n"'  # then count in bytes: faster than in text
    utf8 = codecs.lookup(src.codec).name == "utf-8"  # an ASCII chunk is valid UTF-8: no need to decode it
    offset = newlines = quotes = 0
    try:
        with src.path.open("rb") as raw:
            hashing = _HashingReader(raw, digest)
            stream: Any = gzip.GzipFile(fileobj=hashing, mode="rb") if src.compressed else hashing
            while chunk := stream.read(CHUNK_SIZE):
                state = decoder.getstate()
                if utf8 and not state[0] and chunk.isascii():
                    text = ""  # nothing pending from the last chunk, and plain ASCII: valid as it stands
                else:
                    try:
                        text = decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        _encoding_error(src, exc, state, chunk, offset, newlines)
                if ascii_compatible:
                    newlines, quotes = newlines + chunk.count(b"\n"), quotes + chunk.count(b'"')
                else:
                    newlines, quotes = newlines + text.count("\n"), quotes + text.count('"')
                offset += len(chunk)
            state = decoder.getstate()
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:  # the file ends inside a multi-byte character
                _encoding_error(src, exc, state, b"", offset, newlines)
            while hashing.read(CHUNK_SIZE):  # bytes after the gzip stream still belong to the file's hash
                pass
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        src.fail(f"is not a valid gzip file ({exc})", "recompress it, or drop the .gz suffix")
    except OSError as exc:
        src.fail(f"cannot be read ({exc})", "check the file and its permissions")
    if offset == 0:
        src.fail("is empty once decompressed, so it has no data rows", "give a file with data rows")
    return digest.hexdigest(), quotes % 2 == 1


def _read_parquet(src: _Source) -> tuple[pd.DataFrame, str]:
    import pyarrow.parquet as pq  # imported for Parquet input only (it brings the cloud filesystems)

    digest = hashlib.sha256()
    try:
        with src.path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                digest.update(chunk)
        table = pq.read_table(src.path)
    except pa.ArrowException as exc:
        src.fail(f"is not a readable Parquet file ({exc})", "re-export it as Parquet or CSV")
    except OSError as exc:
        src.fail(f"cannot be read ({exc})", "check the file and its permissions")
    frame = _table_to_pandas(table, src)
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a named index written by pandas is data the user sees as a column
    return frame, digest.hexdigest()
