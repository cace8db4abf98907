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
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pacompute
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from synthaudit.data.chat import MESSAGES_FIELD, chat_frame, is_chat
from synthaudit.data.shards import is_sharded, shard_files, shards_sha256
from synthaudit.errors import InputError

__all__ = ["SUPPORTED_FORMATS", "LoadedTable", "frame_sha256", "load_table"]

logger = logging.getLogger(__name__)

CHUNK_SIZE = 16 * 1024 * 1024
"""Bytes read per step of the hashing and encoding-validation pass."""
SUPPORTED_FORMATS = ".csv, .txt, .tsv, .parquet, .pq, .jsonl, .ndjson, .json (text formats also with .gz)"

_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_SUFFIXES.update({".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"})
_DELIMITERS = {"csv": ",", "tsv": "\t"}
# pyarrow's CSV block size: a row longer than one block fails ("straddling object"), so retry larger.
_CSV_BLOCK_SIZES = (1 << 20, 1 << 24, 1 << 28)
# Dates as datetime64 and every timestamp in ns, as the rest of synthaudit assumes (pyarrow gives [s]).
_TO_PANDAS: dict[str, Any] = {"date_as_object": False, "coerce_temporal_nanoseconds": True}
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


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
    """

    frame: pd.DataFrame
    label: str
    source: str
    sha256: str | None
    format: str
    n_rows: int
    n_columns: int
    chat_roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Source:
    """A file being loaded: what every reader and every message needs."""

    path: Path
    shown: str
    label: str
    fmt: str
    compressed: bool
    codec: str = "utf-8"

    def fail(self, what: str, fix: str) -> NoReturn:
        noun = "data" if self.fmt == "dataframe" else "file"
        raise InputError(f"{self.label} {noun} '{self.shown}' {what}; {fix}.")

    def open_binary(self) -> pa.NativeFile:
        return pa.input_stream(str(self.path), compression="gzip" if self.compressed else None)

    def open_text(self) -> IO[str]:
        encoding = "utf-8-sig" if self.codec == "utf-8" else self.codec
        if self.compressed:
            return gzip.open(self.path, "rt", encoding=encoding, newline="")
        return self.path.open(encoding=encoding, newline="")


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
    first = tables[0]
    for file, table in zip(files[1:], tables[1:], strict=True):
        if list(table.frame.columns) != list(first.frame.columns):
            raise InputError(
                f"{label} shard '{file}' has the columns {list(table.frame.columns)[:8]}, not those of the first "
                f"shard '{files[0]}' ({list(first.frame.columns)[:8]}); every shard needs the same columns in the "
                "same order"
            )
    frame = pd.concat([t.frame for t in tables], ignore_index=True) if len(tables) > 1 else first.frame
    sha = shards_sha256([(file.name, table.sha256) for file, table in zip(files, tables, strict=True)])
    roles = tuple(dict.fromkeys(role for table in tables for role in table.chat_roles))
    logger.info("loaded %s table %s from %d shards: %d rows", label, shown, len(files), len(frame))
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


def _check_unique(columns: list[str], src: _Source) -> None:
    duplicates = sorted(name for name, count in Counter(columns).items() if count > 1)
    if duplicates:
        src.fail(f"has duplicate column names {duplicates}", "rename them so that every name appears once")


def _check_file(path: Path, shown: str, label: str, encoding: str) -> _Source:
    """Check the suffix, the encoding name and that the file is a readable, non-empty file."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    fmt = _SUFFIXES.get(Path(name.removesuffix(".gz")).suffix, "")
    src = _Source(path, shown, label, fmt, compressed)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        src.fail("does not exist", "check the path")
    except OSError as exc:
        src.fail(f"cannot be read ({exc.strerror or exc})", "check the path and its permissions")
    if path.is_dir():
        src.fail("is a directory, not a file", "give the path of a data file")
    if not os.access(path, os.R_OK):
        src.fail("cannot be read (permission denied)", "check the file's permissions")
    if not fmt or (compressed and fmt == "parquet"):
        src.fail("has an unsupported format", f"give one of {SUPPORTED_FORMATS}")
    if size == 0:
        src.fail("is empty (0 bytes), so it has no data rows", "give a file with a header and data rows")
    if fmt == "parquet":
        return src
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        src.fail(f"cannot be read with unknown encoding {encoding!r}", "pass a codec such as latin-1 or cp1252")
    # pyarrow drops a UTF-8 BOM by itself, and only "utf-8" avoids its (slower) Python transcoding.
    codec = "utf-8" if info.name in ("utf-8", "utf-8-sig") else info.name
    return _Source(path, shown, label, fmt, compressed, codec)


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
    offset = newlines = quotes = 0
    try:
        with src.path.open("rb") as raw:
            hashing = _HashingReader(raw, digest)
            stream: Any = gzip.GzipFile(fileobj=hashing, mode="rb") if src.compressed else hashing
            while chunk := stream.read(CHUNK_SIZE):
                state = decoder.getstate()
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


def _encoding_error(
    src: _Source, exc: UnicodeDecodeError, state: tuple[bytes, int], chunk: bytes, offset: int, newlines: int
) -> NoReturn:
    pending = state[0]  # bytes carried over from the previous chunk: they start ``exc.object``
    prefix_decoder = codecs.getincrementaldecoder(src.codec)("strict")
    prefix_decoder.setstate(state)
    line = newlines + prefix_decoder.decode(chunk[: max(0, exc.start - len(pending))]).count("\n") + 1
    bad = exc.object[exc.start : exc.end].hex(" ").upper()
    where = f"byte offset {offset - len(pending) + exc.start}"
    where += " of the decompressed data" if src.compressed else ""
    fix = "pass the encoding it was written in with --encoding (e.g. utf-8, latin-1 or cp1252)"
    if src.codec == "utf-8":
        fix = (
            "re-save it as UTF-8, or pass the encoding it was written in, e.g. --encoding latin-1 "
            "(or --encoding cp1252 for files saved by Windows programs)"
        )
    src.fail(f"is not valid {src.codec}: bad byte(s) {bad} on line {line} at {where}", fix)


def _table_to_pandas(table: pa.Table, src: _Source) -> pd.DataFrame:
    _check_unique(table.column_names, src)  # to_pandas would keep only one of duplicate columns
    for i, field in enumerate(table.schema):
        if not _fits_nanoseconds(table.column(i)):  # coercing to ns would silently wrap around
            logger.warning("%s: dates in column %r are outside 1677-2262; kept as text", src.shown, field.name)
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table.to_pandas(**_TO_PANDAS)


def _fits_nanoseconds(column: pa.ChunkedArray) -> bool:
    kind = column.type
    if pa.types.is_timestamp(kind):
        per_unit, integer = _NS_PER_UNIT[kind.unit], pa.int64()
    elif pa.types.is_date32(kind):
        per_unit, integer = 86_400 * 10**9, pa.int32()
    elif pa.types.is_date64(kind):
        per_unit, integer = 10**6, pa.int64()
    else:
        return True
    bounds = pacompute.min_max(column.cast(integer))
    low, high, limit = bounds["min"].as_py(), bounds["max"].as_py(), (2**63 - 1) // per_unit
    return low is None or (-limit <= low and high <= limit)


def _read_parquet(src: _Source) -> tuple[pd.DataFrame, str]:
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


def _read_csv(src: _Source, odd_quotes: bool) -> pd.DataFrame:
    """Read a CSV or TSV with pyarrow; when it fails, find the offending line with :mod:`csv`."""
    if odd_quotes:  # pyarrow silently swallows the rest of the file into a field opened by a stray quote
        _locate_csv_problem(src)
    parse = pacsv.ParseOptions(delimiter=_DELIMITERS[src.fmt], newlines_in_values=True)
    convert = pacsv.ConvertOptions(strings_can_be_null=True)
    for block_size in _CSV_BLOCK_SIZES:
        read = pacsv.ReadOptions(encoding=src.codec, block_size=block_size)
        try:
            with src.open_binary() as stream:
                table = pacsv.read_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            break
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block_size != _CSV_BLOCK_SIZES[-1]:
                continue
            if "Empty CSV" in str(exc):
                src.fail("has no header and no data rows", "give a file with a header and data rows")
            _locate_csv_problem(src)
            src.fail(f"cannot be parsed as {src.fmt.upper()} ({exc})", "fix the file")
        except (pa.ArrowException, OSError, UnicodeError) as exc:
            src.fail(f"cannot be read ({exc})", "check the file, its format and its encoding")
    return _table_to_pandas(table, src)


def _locate_csv_problem(src: _Source) -> None:
    """Raise :class:`InputError` at the first record with a wrong field count or broken quoting, if any."""
    previous_limit = csv.field_size_limit(2**31 - 1)
    try:
        with src.open_text() as handle:
            reader = csv.reader(handle, delimiter=_DELIMITERS[src.fmt], strict=True)
            expected = None
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    what = f"has malformed quoting on line {start} ({exc})"
                    if "end of data" in str(exc):
                        what = f"has an unbalanced quote: the quoted field starting on line {start} never ends"
                    src.fail(what, 'fix the quotes on that line (a quote inside a quoted field is written "")')
                if not row:
                    continue
                if expected is None:
                    expected = len(row)
                elif len(row) != expected:
                    src.fail(
                        f"has too {'many' if len(row) > expected else 'few'} fields on line {start}: "
                        f"expected {expected} (as in the header), found {len(row)}",
                        "fix or remove that line (quote any field that contains the delimiter)",
                    )
    finally:
        csv.field_size_limit(previous_limit)


def _read_json(src: _Source) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read JSON lines with pyarrow, or (``.json`` only) an array of records with :mod:`json`.

    Returns the frame and, for a chat file (records with a ``messages`` list), its role columns.
    """
    with src.open_text() as handle:
        is_array = src.fmt == "json" and handle.read(65536).lstrip()[:1] == "["
    if is_array:
        with src.open_text() as handle:
            try:
                records = json.load(handle)
            except json.JSONDecodeError as exc:
                src.fail(
                    f"is not valid JSON: {exc.msg} on line {exc.lineno}, column {exc.colno}",
                    "fix the JSON (an array of objects, or one object per line)",
                )
            except RecursionError:
                src.fail("has JSON nested too deeply to read", "give an array of flat objects, one per row")
        bad = next((i for i, record in enumerate(records) if not isinstance(record, dict)), None)
        if bad is not None:
            src.fail(f"has a non-object at position {bad} of its array", "give an array of objects, one per row")
        if is_chat(records):
            return chat_frame(enumerate(records, start=1), src.fail, unit="record")
        return pd.DataFrame.from_records(records), ()
    if _unsafe_for_pyarrow(src, JSON_MAX_DEPTH):
        numbered = list(_json_records(src))
        if is_chat(record for _, record in numbered):
            return chat_frame(numbered, src.fail)
        return pd.DataFrame.from_records([record for _, record in numbered]), ()
    try:
        if src.codec == "utf-8":
            with src.open_binary() as stream:
                table = pajson.read_json(stream)
        else:  # pyarrow's JSON reader has no encoding option: transcode in memory
            with src.open_text() as handle:
                table = pajson.read_json(pa.BufferReader(handle.read().encode("utf-8")))
    except pa.ArrowInvalid as exc:  # a bad line, or mixed types in a column: go line by line
        logger.debug("pyarrow rejected %s (%s); reading it line by line", src.shown, exc)
        numbered = list(_json_records(src))
        if is_chat(record for _, record in numbered):
            return chat_frame(numbered, src.fail)
        return pd.DataFrame.from_records([record for _, record in numbered]), ()
    except (pa.ArrowException, OSError, UnicodeError) as exc:
        src.fail(f"cannot be read ({exc})", "check the file, its format and its encoding")
    if MESSAGES_FIELD in table.column_names:  # a chat file: read again for the line numbers of its messages
        return chat_frame(_json_records(src), src.fail)
    return _table_to_pandas(table, src), ()


JSON_MAX_DEPTH = 1000
"""Deepest bracket nesting in a JSON lines file handed to pyarrow (whose parser recurses in C and overflows its
stack somewhere past 10,000 levels, killing the process); deeper files are read with :mod:`json`."""

_BRACKET_STEP = np.zeros(256, dtype=np.int32)
_BRACKET_STEP[[ord("["), ord("{")]] = 1
_BRACKET_STEP[[ord("]"), ord("}")]] = -1
_BLANK = np.zeros(256, dtype=bool)
_BLANK[[ord(" "), ord("\t"), ord("\r"), ord("\n"), 0xEF, 0xBB, 0xBF]] = True  # whitespace, and the UTF-8 BOM


def _unsafe_for_pyarrow(src: _Source, max_depth: int) -> bool:
    """Whether a JSON lines file may crash pyarrow's reader (a scan of a few milliseconds per MB).

    Unsafe: a line that does not start with ``{`` (pyarrow 26 segfaults on a file starting with ``null``), or
    brackets nesting deeper than ``max_depth`` (its parser recurses in C and overflows the stack past about
    10,000 levels).

    Depth is over-estimated, never under-estimated: the depth at a byte is bounded by its bracket level minus
    the lowest level before it, and brackets inside strings count too. A false alarm only costs the slower
    reader (:mod:`json`, which reports bad lines precisely).
    """
    level = 0  # the bracket level at the end of the previous chunk, above the lowest level so far
    line_started = False  # whether the line running into this chunk has shown a non-blank byte
    with src.open_binary() as stream:
        while chunk := stream.read(1 << 22):  # 4 MiB: a few int32 arrays of that length stay small
            codes = np.frombuffer(chunk, dtype=np.uint8)
            levels = np.cumsum(_BRACKET_STEP[codes], dtype=np.int32)
            levels += level
            floors = np.minimum(np.minimum.accumulate(levels), 0)
            if int((levels - floors).max()) > max_depth:
                return True
            level = int(levels[-1] - floors[-1])
            lines = np.cumsum(codes == ord("\n"))  # line number (within the chunk) of every byte
            filled = np.flatnonzero(~_BLANK[codes])
            if len(filled):
                firsts = filled[np.r_[True, lines[filled][1:] != lines[filled][:-1]]]
                if line_started and lines[firsts[0]] == 0:
                    firsts = firsts[1:]
                if (codes[firsts] != ord("{")).any():
                    return True
            last_line = lines[-1]
            if len(filled) and lines[filled[-1]] == last_line:
                line_started = True
            elif last_line > 0:
                line_started = False
    return False


def _json_records(src: _Source) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` of a JSON lines file; raise :class:`InputError` at the first bad line."""
    fix = "fix or remove that line (JSON lines need one complete object per line)"
    with src.open_text() as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                src.fail(f"has invalid JSON on line {number} ({exc.msg} at column {exc.colno})", fix)
            except RecursionError:
                src.fail(f"has JSON nested too deeply to read on line {number}", "give one flat object per line")
            if not isinstance(record, dict):
                src.fail(f"has a JSON {type(record).__name__} on line {number}, not an object", fix)
            yield number, record
