"""The CSV, TSV and JSON readers behind :func:`synthaudit.data.loading.load_table` (text already checked).

CSV and TSV go through :func:`pyarrow.csv.read_csv`; when pyarrow rejects a file (or a stray quote would make
it swallow the rest), a second pass with :mod:`csv` finds the offending line. JSON lines go through
:func:`pyarrow.json.read_json` unless a fast byte scan finds them unsafe for it, and fall back to :mod:`json`
line by line, which reports the first bad line; a ``.json`` array of records is read with :mod:`json`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from synthaudit.data.chat import MESSAGES_FIELD, chat_frame, is_chat
from synthaudit.data.source_file import _Source, _table_to_pandas

logger = logging.getLogger("synthaudit.data.loading")  # the loader's messages keep the loader's logger name

_DELIMITERS = {"csv": ",", "tsv": "\t"}
# pyarrow's CSV block size: a row longer than one block fails ("straddling object"), so retry larger.
_CSV_BLOCK_SIZES = (1 << 20, 1 << 24, 1 << 28)


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
    import pyarrow.json as pajson  # for JSON input only

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
