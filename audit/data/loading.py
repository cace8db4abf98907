"""Loading of the real, synthetic and holdout tables from files or in-memory frames.

Every input becomes a :class:`LoadedTable`: a pandas frame with a ``RangeIndex``, string column names and
plain ``object`` string columns, plus where it came from and the SHA-256 of the file bytes. Text files are
checked before parsing in one streamed pass (16 MiB chunks) that hashes the bytes and decodes them, so a
file in the wrong encoding is reported with its line and byte offset instead of silently becoming a column
of raw bytes. CSV goes through :func:`pyarrow.csv.read_csv`; when pyarrow rejects a file, a second pass with
:mod:`csv` (or :mod:`json` for JSON lines) finds the offending line. Every problem is an
:class:`~synthaudit.errors.InputError` following the template
``"<label> file '<path>' <what is wrong>; <how to fix>."``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
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

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from synthaudit.errors import InputError

__all__ = ["SUPPORTED_FORMATS", "LoadedTable", "load_table"]

logger = logging.getLogger(__name__)

CHUNK_SIZE = 16 * 1024 * 1024
"""Bytes read per step of the hashing and encoding-validation pass."""

_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
SUPPORTED_FORMATS = (
    ".csv, .txt, .tsv, .parquet, .pq, .jsonl, .ndjson, .json "
    "(text formats may be gzip-compressed with a trailing .gz)"
)
_DELIMITERS = {"csv": ",", "tsv": "\t"}
# pyarrow's CSV block size; a row longer than a block fails with "straddling object", so retry larger.
_CSV_BLOCK_SIZES = (1 << 20, 1 << 24, 1 << 28)
_TO_PANDAS: dict[str, Any] = {"date_as_object": False, "coerce_temporal_nanoseconds": True}


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
        Hex SHA-256 of the file bytes (of the compressed bytes for ``.gz``); ``None`` for a frame.
    format : str
        ``"csv"``, ``"tsv"``, ``"parquet"``, ``"jsonl"``, ``"json"`` or ``"dataframe"``.
    n_rows, n_columns : int
        Shape of ``frame``.
    """

    frame: pd.DataFrame
    label: str
    source: str
    sha256: str | None
    format: str
    n_rows: int
    n_columns: int


def _fail(label: str, source: str, what: str, fix: str) -> NoReturn:
    noun = "data" if source == "<DataFrame>" else "file"
    raise InputError(f"{label} {noun} '{source}' {what}; {fix}.")


def load_table(
    source: str | os.PathLike[str] | pd.DataFrame, *, label: str, encoding: str = "utf-8"
) -> LoadedTable:
    """Load one input table from a file or a DataFrame.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        A CSV (``.csv``/``.txt``), TSV, Parquet (``.parquet``/``.pq``), JSON lines (``.jsonl``/``.ndjson``)
        or JSON (``.json``: JSON lines, or an array of records) file; text formats may end in ``.gz``.
        A DataFrame is used as is (not copied), with its index replaced by a ``RangeIndex``.
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
        has no data rows, or has duplicate column names; the message names the file, the place and a fix.
    """
    if isinstance(source, pd.DataFrame):
        return _from_dataframe(source, label)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"load_table() expects a path or a DataFrame, not {type(source).__name__}")
    shown = os.fspath(source)
    path = Path(shown)
    fmt, compressed = _detect_format(path, label, shown)
    _check_file(path, label, shown)
    started = time.perf_counter()
    if fmt == "parquet":
        frame, sha = _read_parquet(path, label, shown)
    else:
        codec = _codec(encoding, label, shown)
        sha, odd_quotes = _scan_text(path, compressed, codec, label, shown)
        if fmt in _DELIMITERS:
            frame = _read_csv(path, compressed, codec, _DELIMITERS[fmt], odd_quotes, label, shown)
        else:
            frame = _read_json(path, compressed, codec, fmt, label, shown)
    table = _finish(frame, label, shown, sha, fmt)
    logger.info(
        "loaded %s table %s (%s): %d rows x %d columns in %.2f s",
        label, shown, fmt, table.n_rows, table.n_columns, time.perf_counter() - started,
    )  # fmt: skip
    return table


def _from_dataframe(frame: pd.DataFrame, label: str) -> LoadedTable:
    frame = frame.copy(deep=False)  # shares the data; the caller's index and columns stay untouched
    frame.columns = pd.Index([str(c) for c in frame.columns], dtype=object)
    frame.index = pd.RangeIndex(len(frame))
    return _finish(frame, label, "<DataFrame>", None, "dataframe")


def _finish(frame: pd.DataFrame, label: str, shown: str, sha: str | None, fmt: str) -> LoadedTable:
    columns = [str(c) for c in frame.columns]
    if columns and columns[0].startswith("\ufeff"):
        columns[0] = columns[0][1:]
        frame.columns = pd.Index(columns, dtype=object)
    _check_unique(columns, label, shown)
    if len(frame) == 0:
        what = f"has no data rows (only the {len(columns)} column names)" if columns else "has no data rows"
        _fail(label, shown, what, "give a table with a header and at least one data row")
    if not columns:
        _fail(label, shown, "has no columns, so no data to audit", "give a table with a header and data rows")
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        frame = frame.reset_index(drop=True)
    return LoadedTable(frame, label, shown, sha, fmt, len(frame), len(columns))


def _check_unique(columns: list[str], label: str, shown: str) -> None:
    duplicates = sorted(name for name, count in Counter(columns).items() if count > 1)
    if duplicates:
        _fail(
            label, shown, f"has duplicate column names {duplicates}",
            "rename the columns so that every name appears once",
        )  # fmt: skip


def _detect_format(path: Path, label: str, shown: str) -> tuple[str, bool]:
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[: -len(".gz")]
    fmt = _SUFFIXES.get(Path(name).suffix)
    if fmt is None or (compressed and fmt == "parquet"):
        _fail(label, shown, "has an unsupported format", f"give one of {SUPPORTED_FORMATS}")
    return fmt, compressed


def _check_file(path: Path, label: str, shown: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        _fail(label, shown, "does not exist", "check the path")
    except OSError as exc:
        _fail(label, shown, f"cannot be read ({exc.strerror or exc})", "check the path and its permissions")
    if path.is_dir():
        _fail(label, shown, "is a directory, not a file", "give the path of a data file inside it")
    if not os.access(path, os.R_OK):
        _fail(label, shown, "cannot be read (permission denied)", "check the file's permissions")
    if info.st_size == 0:
        _fail(label, shown, "is empty (0 bytes), so it has no data rows", "give a file with a header and data")


def _codec(encoding: str, label: str, shown: str) -> str:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        _fail(
            label, shown, f"cannot be read with unknown encoding {encoding!r}",
            "pass a Python codec name such as utf-8, latin-1 or cp1252 with --encoding",
        )  # fmt: skip
    # pyarrow drops a UTF-8 BOM by itself, and only "utf-8" avoids its (slower) Python transcoding.
    return "utf-8" if info.name in ("utf-8", "utf-8-sig") else info.name


class _HashingReader:
    """A binary reader that feeds every byte it reads into ``digest`` (under a gzip decompressor)."""

    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self._raw = raw
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._digest.update(data)
        return data


def _scan_text(path: Path, compressed: bool, codec: str, label: str, shown: str) -> tuple[str, bool]:
    """Hash the file and decode it with ``codec`` in one streamed pass; return (sha256, odd quote count)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = newlines = quotes = 0
    try:
        with path.open("rb") as raw:
            hashing = _HashingReader(raw, digest)
            stream: Any = gzip.GzipFile(fileobj=hashing, mode="rb") if compressed else hashing
            while chunk := stream.read(CHUNK_SIZE):
                state = decoder.getstate()
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    _encoding_error(exc, state, chunk, offset, newlines, codec, compressed, label, shown)
                newlines += text.count("\n")
                quotes += text.count('"')
                offset += len(chunk)
            state = decoder.getstate()
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:  # the file ends inside a multi-byte character
                _encoding_error(exc, state, b"", offset, newlines, codec, compressed, label, shown)
            while hashing.read(CHUNK_SIZE):  # bytes after the gzip stream still belong to the file's hash
                pass
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        _fail(label, shown, f"is not a valid gzip file ({exc})", "recompress it, or drop the .gz suffix")
    except OSError as exc:
        _fail(label, shown, f"cannot be read ({exc})", "check the file and its permissions")
    if offset == 0:
        _fail(label, shown, "is empty once decompressed, so it has no data rows", "give a file with data")
    return digest.hexdigest(), quotes % 2 == 1


def _encoding_error(
    exc: UnicodeDecodeError, state: tuple[bytes, int], chunk: bytes, offset: int, newlines: int,
    codec: str, compressed: bool, label: str, shown: str,
) -> NoReturn:  # fmt: skip
    pending = state[0]  # undecoded bytes carried over from the previous chunk, at the start of exc.object
    bad_offset = offset - len(pending) + exc.start
    prefix_decoder = codecs.getincrementaldecoder(codec)("strict")
    prefix_decoder.setstate(state)
    line = newlines + prefix_decoder.decode(chunk[: max(0, exc.start - len(pending))]).count("\n") + 1
    bad = exc.object[exc.start : exc.end].hex(" ").upper() or "end of file"
    where = f"byte offset {bad_offset}" + (" of the decompressed data" if compressed else "")
    if codec == "utf-8":
        fix = (
            "re-save it as UTF-8, or pass the encoding it was written in, e.g. --encoding latin-1 "
            "(or --encoding cp1252 for files saved by Windows programs)"
        )
    else:
        fix = "pass the encoding it was written in with --encoding (e.g. utf-8, latin-1 or cp1252)"
    _fail(label, shown, f"is not valid {codec}: bad byte(s) {bad} on line {line} at {where}", fix)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _table_to_pandas(table: pa.Table, label: str, shown: str) -> pd.DataFrame:
    _check_unique(table.column_names, label, shown)  # to_pandas would silently drop duplicates
    return table.to_pandas(**_TO_PANDAS)


def _read_parquet(path: Path, label: str, shown: str) -> tuple[pd.DataFrame, str]:
    try:
        sha = _sha256_file(path)
        table = pq.read_table(path)
    except pa.ArrowException as exc:
        _fail(label, shown, f"is not a readable Parquet file ({exc})", "re-export it as Parquet or CSV")
    except OSError as exc:
        _fail(label, shown, f"cannot be read ({exc})", "check the file and its permissions")
    frame = _table_to_pandas(table, label, shown)
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a named index written by pandas is data the user sees as a column
    return frame, sha


def _open_text(path: Path, compressed: bool, codec: str) -> IO[str]:
    encoding = "utf-8-sig" if codec == "utf-8" else codec
    if compressed:
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open(encoding=encoding, newline="")


def _read_csv(
    path: Path, compressed: bool, codec: str, delimiter: str, odd_quotes: bool, label: str, shown: str
) -> pd.DataFrame:
    """Read a CSV or TSV with pyarrow; on failure, locate the offending line with :mod:`csv`."""
    if odd_quotes:  # pyarrow silently swallows the rest of the file into a field opened by a stray quote
        _locate_csv_problem(path, compressed, codec, delimiter, label, shown)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(strings_can_be_null=True)
    for block_size in _CSV_BLOCK_SIZES:
        read = pacsv.ReadOptions(encoding=codec, block_size=block_size)
        try:
            with pa.input_stream(str(path), compression="gzip" if compressed else None) as stream:
                table = pacsv.read_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            break
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "straddl" in message and block_size != _CSV_BLOCK_SIZES[-1]:
                continue
            if "Empty CSV" in message:
                _fail(label, shown, "has no header and no data rows", "give a file with a header and data")
            _locate_csv_problem(path, compressed, codec, delimiter, label, shown)
            _fail(label, shown, f"cannot be parsed as {_name(delimiter)} ({message})", "fix the file")
        except (pa.ArrowException, OSError, UnicodeError) as exc:
            _fail(label, shown, f"cannot be read ({exc})", "check the file, its format and its encoding")
    return _table_to_pandas(table, label, shown)


def _name(delimiter: str) -> str:
    return "TSV (tab-separated)" if delimiter == "\t" else "CSV"


def _locate_csv_problem(
    path: Path, compressed: bool, codec: str, delimiter: str, label: str, shown: str
) -> None:
    """Raise :class:`InputError` at the first record whose field count or quoting is wrong, if any."""
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        with _open_text(path, compressed, codec) as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            expected = None
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if "end of data" in str(exc):
                        what = f"has an unbalanced quote: the quoted field starting on line {start} never ends"
                    else:
                        what = f"has malformed quoting on line {start} ({exc})"
                    _fail(label, shown, what, "fix the quotes on that line (a quote inside a field is written \"\")")
                if not row:
                    continue
                if expected is None:
                    expected = len(row)
                elif len(row) != expected:
                    kind = "too many" if len(row) > expected else "too few"
                    _fail(
                        label, shown,
                        f"has {kind} fields on line {start}: expected {expected} (as in the header), found "
                        f"{len(row)}",
                        "fix or remove that line (quote fields that contain the delimiter)",
                    )  # fmt: skip
    finally:
        csv.field_size_limit(previous_limit)


def _read_json(path: Path, compressed: bool, codec: str, fmt: str, label: str, shown: str) -> pd.DataFrame:
    """Read JSON lines with pyarrow (or, for ``.json``, an array of records with :mod:`json`)."""
    if fmt == "json" and _first_character(path, compressed, codec) == "[":
        with _open_text(path, compressed, codec) as handle:
            try:
                records = json.load(handle)
            except json.JSONDecodeError as exc:
                _fail(
                    label, shown, f"is not valid JSON: {exc.msg} on line {exc.lineno}, column {exc.colno}",
                    "fix the JSON (an array of objects, or one object per line)",
                )  # fmt: skip
        bad = next((i for i, record in enumerate(records) if not isinstance(record, dict)), None)
        if bad is not None:
            _fail(
                label, shown, f"has a {type(records[bad]).__name__} as element {bad} of its array",
                "give an array of objects, one per row",
            )  # fmt: skip
        return pd.DataFrame.from_records(records)
    try:
        if codec == "utf-8":
            with pa.input_stream(str(path), compression="gzip" if compressed else None) as stream:
                table = pajson.read_json(stream)
        else:  # pyarrow's JSON reader has no encoding option: transcode in memory
            with _open_text(path, compressed, codec) as handle:
                table = pajson.read_json(pa.BufferReader(handle.read().encode("utf-8")))
    except pa.ArrowInvalid as exc:
        logger.debug("pyarrow rejected %s (%s); reading it line by line", shown, exc)
        return pd.DataFrame.from_records(list(_json_records(path, compressed, codec, label, shown)))
    except (pa.ArrowException, OSError, UnicodeError) as exc:
        _fail(label, shown, f"cannot be read ({exc})", "check the file, its format and its encoding")
    return _table_to_pandas(table, label, shown)


def _first_character(path: Path, compressed: bool, codec: str) -> str:
    with _open_text(path, compressed, codec) as handle:
        while block := handle.read(4096):
            stripped = block.lstrip()
            if stripped:
                return stripped[0]
    return ""


def _json_records(path: Path, compressed: bool, codec: str, label: str, shown: str) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON lines file; raise :class:`InputError` at the first bad line."""
    fix = "fix or remove that line (JSON lines need one complete object per line)"
    with _open_text(path, compressed, codec) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                _fail(label, shown, f"has invalid JSON on line {number} ({exc.msg}, column {exc.colno})", fix)
            if not isinstance(record, dict):
                _fail(label, shown, f"has a JSON {type(record).__name__} on line {number}, not an object", fix)
            yield record
