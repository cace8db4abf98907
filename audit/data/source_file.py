"""A file being loaded (:class:`_Source`): its checks before reading, and the Arrow-to-pandas step every reader shares.

:func:`_check_file` checks the suffix, the encoding name and that the path is a readable, non-empty file
(:func:`_encoding_error` words a decoding failure with its line and byte offset);
:class:`_Source` carries what every reader and every message needs (and raises the
:class:`~synthaudit.errors.InputError` of the ``"<label> file '<path>' <what is wrong>; <how to fix>."``
template); :func:`_table_to_pandas` turns a pyarrow table into the frame :mod:`synthaudit.data.loading` returns.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pacompute

from synthaudit.errors import InputError

logger = logging.getLogger("synthaudit.data.loading")  # the loader's messages keep the loader's logger name

SUPPORTED_FORMATS = ".csv, .txt, .tsv, .parquet, .pq, .jsonl, .ndjson, .json (text formats also with .gz)"

_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_SUFFIXES.update({".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"})
# Dates as datetime64 and every timestamp in ns, as the rest of synthaudit assumes (pyarrow gives [s]).
_TO_PANDAS: dict[str, Any] = {"date_as_object": False, "coerce_temporal_nanoseconds": True}
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


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
        if _is_binary(field.type):
            # Spark and Hive write text as untyped bytes: read them as text when they are UTF-8. Other bytes stay
            # bytes, refused where they are compared (synthaudit.data.coercion).
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                table = table.set_column(i, field.name, table.column(i).cast(pa.binary()).cast(pa.string()))
        if not _fits_nanoseconds(table.column(i)):  # coercing to ns would silently wrap around
            logger.warning("%s: dates in column %r are outside 1677-2262; kept as text", src.shown, field.name)
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table.to_pandas(**_TO_PANDAS)


def _is_binary(kind: pa.DataType) -> bool:
    return bool(pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind))


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
