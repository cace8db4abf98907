"""The catalogue's file cases: encodings, CSV structure, compression, Parquet types, JSON, chats, shards, links."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tests.audit.malformed.builders import (
    _BOOL_TEXT,
    ANY,
    BAD,
    FAST,
    ODD,
    ROWS,
    Case,
    _binary,
    _dangling_shard,
    _dangling_symlink,
    _datetimes_tz,
    _file_named_like_a_glob,
    _glob_nothing,
    _glob_real_and_synth,
    _gz,
    _mixed_dates,
    _same_file,
    _shards,
    _symlink_loop,
    _symlink_loop_in_dir,
    _truncate,
    _unreadable,
    _with,
    _write_shards,
    against_good,
    chat,
    check,
    good,
    jsonl,
    lines,
    pair,
    same,
    to_csv,
    to_parquet,
    write,
)

_CHAT_NO_ROLE = [{"messages": [{"content": "hi"}]}] * 3
_CHAT_ROLE_TURNS = [
    {"messages": [{"role": "turns", "content": f"x {i}"}, {"role": "user", "content": f"y {i}"}]} for i in range(ROWS)
]
_CHAT_EMPTY: list[dict[str, list[object]]] = [{"messages": []} for _ in range(ROWS)]
_CHAT_MIXED: list[dict[str, object]] = [*chat(30), {"prompt": "no messages here"}]
_CHAT_ONLY_SYSTEM = [{"messages": [{"role": "system", "content": f"be nice {i % 3}"}]} for i in range(ROWS)]
_CHAT_NULL_CONTENT = [{"messages": [{"role": "user", "content": None}]}] * 3
_CHAT_STRING_MESSAGES = [{"messages": "user: hi\nassistant: hello"}] * 3
_CHAT_NESTED_CONTENT = [{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}] * 3
_CHAT_ROLE_NUL = [
    {"messages": [{"role": "u\x00ser", "content": f"hi {i}"}, {"role": "user", "content": f"x {i}"}]}
    for i in range(ROWS)
]


def _one_mb_text() -> pd.DataFrame:
    frame = good()
    frame["note"] = [f"note {i} " + "lorem ipsum " * 40 for i in range(ROWS)]
    frame.loc[0, "note"] = "z" * 1_000_000
    return frame


BIG = 10**30


def _far_future() -> pa.Table:
    stamps = pa.array([np.datetime64("2500-01-01", "s")] * ROWS, pa.timestamp("s"))
    return pa.table({"d": stamps, "a": pa.array(range(ROWS))})


def _index_named_column() -> pa.Table:
    return pa.table({"__index_level_0__": pa.array(range(ROWS)), "a": pa.array([i % 3 for i in range(ROWS)])})


def _name_too_long(tmp: Path) -> list[str]:
    return check(write(tmp, "real.csv", to_csv(good())), str(tmp / ("y" * 300 + ".csv")), tmp)


FILE_CASES: list[Case] = [
    # --- encodings
    Case("csv UTF-16 (with BOM), no --encoding", same(good().to_csv(index=False).encode("utf-16")), BAD),
    Case(
        "csv UTF-16 with --encoding utf-16",
        same(good().to_csv(index=False).encode("utf-16"), "csv", "--encoding", "utf-16"),
        ODD,
    ),
    Case(
        "csv UTF-16-LE without BOM, --encoding utf-16-le",
        same(good().to_csv(index=False).encode("utf-16-le"), "csv", "--encoding", "utf-16-le"),
        ODD,
    ),
    Case(
        "csv latin-1 with --encoding latin-1",
        same(
            lines("name,v", lambda i: f"caf\xe9{i % 3},{i}").decode().encode("latin-1"), "csv", "--encoding", "latin-1"
        ),
        ODD,
    ),
    Case(
        "csv invalid UTF-8 byte mid-file",
        against_good(to_csv(good(1))[:300] + b"\xff\xfe" + to_csv(good(1))[300:]),
        BAD,
    ),
    Case("csv ends inside a multi-byte character", against_good(to_csv(good(1)) + b"x\xe2\x82"), BAD),
    Case("--encoding unknown codec", same(to_csv(good()), "csv", "--encoding", "no-such-codec"), BAD),
    Case("--encoding non-text codec (rot13)", same(to_csv(good()), "csv", "--encoding", "rot13"), BAD),
    Case("--encoding base64 (bytes codec)", same(to_csv(good()), "csv", "--encoding", "base64"), BAD),
    Case("UTF-8 BOM, then a duplicate of the first column", same(b"\xef\xbb\xbfage,x,age\n" + b"1,2,3\n" * 5), BAD),
    Case("NUL bytes in the header", same(b"a\x00b,c\n" + b"".join(b"%d,%d\n" % (i, i % 3) for i in range(ROWS))), ODD),
    Case("file of NUL bytes only", against_good(b"\x00" * 4096), BAD),
    Case("old Mac line ends (CR only)", same(good().to_csv(index=False, lineterminator="\r").encode()), ANY),
    # --- CSV structure
    Case("a BOM and nothing else", against_good(b"\xef\xbb\xbf"), BAD),
    Case("two empty column names", same(lines(",,x", lambda i: f"{i},{i % 2},{i % 3}")), BAD),
    Case("header and blank lines only", against_good(b"age,city,income,sex,y\n\n\n\n"), BAD),
    Case("unbalanced quote at the end", against_good(to_csv(good(1)) + b'1,"a,3,f,no\n'), BAD),
    Case("unbalanced quote on line 3", against_good(b'a,b\n1,2\n"3,4\n5,6\n'), BAD),
    Case(
        "too few fields on one line",
        against_good(lines("age,city,income", lambda i: f"{i},x" + (",1" if i % 7 else ""))),
        BAD,
    ),
    Case("trailing delimiter on every line", same(lines("age,city,", lambda i: f"{i},{'abc'[i % 3]},")), ODD),
    Case("whitespace and empty column names", same(lines(" age , ,  ", lambda i: f"{i},{i % 2},{i % 5}")), ODD),
    Case("numeric column names", same(lines("0,1,2.5,-3", lambda i: f"{i},{i % 2},{i % 5},x{i % 3}")), ODD),
    Case("column names differing only in case", same(lines("Age,age,AGE", lambda i: f"{i},{i % 2},{i % 5}")), ODD),
    Case(
        "columns differing by surrounding spaces (real vs synth)",
        pair(to_csv(good()), to_csv(good(1).rename(columns={"age": " age"}))),
        ODD,
    ),
    Case("two data rows", same(to_csv(good().head(2))), ANY),
    Case("three data rows", same(to_csv(good().head(3))), ANY),
    Case("one column of unique identifiers", same(lines("id", lambda i: f"user-{i:05d}")), ANY),
    Case("every column all-missing", same(lines("a,b,c", lambda i: ",,")), ANY),
    Case("every column constant", same(lines("a,b,c", lambda i: "1,x,2.5")), ODD),
    Case(
        "same columns, different types (real numbers, synth words)",
        pair(to_csv(good()), to_csv(_with(age=["old"] * ROWS, income=["rich"] * ROWS))),
        ODD,
    ),
    Case("booleans as strings", same(to_csv(_with(flag=[_BOOL_TEXT[i % len(_BOOL_TEXT)] for i in range(ROWS)]))), ODD),
    Case(
        "inf / -inf / NaN strings",
        same(to_csv(_with(income=["inf", "-inf", "NaN", "nan", "Infinity", "-Infinity", "1.5"] * 8 + ["2"] * 4))),
        ODD,
    ),
    Case("all-infinite numeric column", same(to_csv(_with(income=[float("inf")] * ROWS))), ODD),
    Case(
        "huge numbers (1e400, 30-digit integers)",
        same(to_csv(_with(big=[str(BIG + i) for i in range(ROWS)], over=["1e400"] * 30 + ["-1e400"] * 30))),
        ODD,
    ),
    Case("int64 edge values", same(to_csv(_with(edge=[2**63 - 1, -(2**63)] * 30))), ODD),
    Case("datetimes in mixed formats and time zones", same(to_csv(_mixed_dates())), ODD),
    Case("1 MB cell in a text column", same(to_csv(_one_mb_text()), "csv", "--text", "note", only=FAST), ODD),
    Case("1 MB header (one very long column name)", same(lines("a," + "b" * 1_000_000, lambda i: f"{i},{i % 3}")), ODD),
    Case(
        "a real number column that is all missing in the synthetic data",
        pair(to_csv(good()), to_csv(_with(income=[None] * ROWS))),
        ODD,
    ),
    # --- compressed
    Case("csv.gz valid", same(_gz(to_csv(good())), "csv.gz"), ODD),
    Case("csv.gz that is not gzip", against_good(to_csv(good(1)), "csv.gz"), BAD),
    Case("csv.gz truncated", against_good(_truncate(_gz(to_csv(good(1, 2000)))), "csv.gz"), BAD),
    Case("csv.gz of an empty file", against_good(_gz(b""), "csv.gz"), BAD),
    Case("parquet.gz (unsupported)", against_good(_gz(to_parquet(good(1))), "parquet.gz"), BAD),
    Case(
        "jsonl.gz with an invalid line",
        against_good(_gz(jsonl(good(1).to_dict("records")) + b"{oops\n"), "jsonl.gz"),
        BAD,
    ),
    # --- Parquet
    Case("parquet timestamps beyond 2262", same(to_parquet(_far_future()), "parquet"), ODD),
    Case("parquet column named __index_level_0__", same(to_parquet(_index_named_column()), "parquet"), ODD),
    Case("parquet zero rows", against_good(to_parquet(good().head(0)), "parquet"), BAD),
    Case("parquet zero columns", against_good(to_parquet(pa.table({})), "parquet"), BAD),
    Case("parquet truncated", against_good(_truncate(to_parquet(good(1))), "parquet"), BAD),
    Case(
        "parquet with a null-type column",
        same(to_parquet(pa.table({"a": pa.array(range(ROWS)), "n": pa.nulls(ROWS)})), "parquet"),
        ODD,
    ),
    Case(
        "parquet dictionary / categorical column", same(to_parquet(good().astype({"city": "category"})), "parquet"), ODD
    ),
    Case(
        "parquet decimal column",
        same(
            to_parquet(
                pa.table(
                    {
                        "d": pa.array([f"{i}.25" for i in range(ROWS)]).cast(pa.decimal128(10, 2)),
                        "a": pa.array(range(ROWS)),
                    }
                )
            ),
            "parquet",
        ),
        ODD,
    ),
    Case(
        "parquet binary column of raw bytes",
        same(to_parquet(_binary([bytes([i % 256, 0, 255]) for i in range(ROWS)])), "parquet"),
        BAD,
    ),
    Case(
        "parquet binary column on one side only",
        pair(
            to_parquet(_binary([bytes([255, i % 256]) for i in range(ROWS)])),
            to_parquet(pa.table({"a": pa.array(range(ROWS))})),
            "parquet",
        ),
        ODD,
    ),
    Case(
        "parquet binary column holding UTF-8 text",
        same(to_parquet(_binary([f"caf\u00e9 {i % 4}".encode() for i in range(ROWS)])), "parquet"),
        ODD,
    ),
    Case(
        "parquet fixed-size binary column",
        same(
            to_parquet(
                pa.table(
                    {
                        "b": pa.array([bytes([i % 256, 7]) for i in range(ROWS)], pa.binary(2)),
                        "a": pa.array(range(ROWS)),
                    }
                )
            ),
            "parquet",
        ),
        ANY,
    ),
    Case(
        "parquet duration column",
        same(
            to_parquet(
                pa.table(
                    {"t": pa.array([i * 1000 for i in range(ROWS)], pa.duration("ms")), "a": pa.array(range(ROWS))}
                )
            ),
            "parquet",
        ),
        ODD,
    ),
    Case(
        "parquet uint64 beyond int64",
        same(
            to_parquet(
                pa.table({"u": pa.array([2**64 - 1 - i for i in range(ROWS)], pa.uint64()), "a": pa.array(range(ROWS))})
            ),
            "parquet",
        ),
        ODD,
    ),
    Case(
        "parquet float16 column",
        same(
            to_parquet(
                pa.table({"h": pa.array(np.linspace(0, 1, ROWS).astype(np.float16)), "a": pa.array(range(ROWS))})
            ),
            "parquet",
        ),
        ODD,
    ),
    Case(
        "parquet tz-aware vs naive timestamps",
        pair(to_parquet(_datetimes_tz("UTC")), to_parquet(_datetimes_tz(None)), "parquet"),
        ODD,
    ),
    Case(
        "parquet timestamps in two time zones",
        pair(to_parquet(_datetimes_tz("UTC")), to_parquet(_datetimes_tz("Asia/Kolkata")), "parquet"),
        ODD,
    ),
    Case(
        "parquet integer column names",
        same(
            to_parquet(pa.table({"0": pa.array(range(ROWS)), "1": pa.array([i % 3 for i in range(ROWS)])})), "parquet"
        ),
        ODD,
    ),
    Case(
        "parquet map column on one side only",
        pair(
            to_parquet(
                pa.table(
                    {
                        "a": pa.array(range(ROWS)),
                        "m": pa.array([[("k", i)] for i in range(ROWS)], pa.map_(pa.string(), pa.int64())),
                    }
                )
            ),
            to_parquet(pa.table({"a": pa.array(range(ROWS))})),
            "parquet",
        ),
        ODD,
    ),
    # --- JSON / JSON lines
    Case("JSON lines with a BOM", same(b"\xef\xbb\xbf" + jsonl(good().to_dict("records")), "jsonl"), ODD),
    Case(
        "JSON lines with a trailing garbage line",
        against_good(jsonl(good(1).to_dict("records")) + b"garbage\n", "jsonl"),
        BAD,
    ),
    Case(
        "JSON lines, type flip in a column (int then string)",
        same(jsonl([{"a": i if i < 40 else f"s{i}", "b": i % 3} for i in range(ROWS)]), "jsonl"),
        ODD,
    ),
    Case(
        "JSON lines with NaN / Infinity literals",
        same(
            b"".join(
                b'{"a": %s, "b": %d}\n' % (v, i % 3)
                for i, v in enumerate([b"NaN", b"Infinity", b"-Infinity", b"1.5"] * 15)
            ),
            "jsonl",
        ),
        ANY,
    ),
    Case("JSON lines of empty objects", against_good(b"{}\n" * ROWS, "jsonl"), BAD),
    Case(
        "JSON lines, a key present on some lines only",
        same(jsonl([{"a": i, **({"b": i % 2} if i % 3 else {})} for i in range(ROWS)]), "jsonl"),
        ODD,
    ),
    Case(
        "JSON lines with duplicate keys in an object",
        same(b"".join(b'{"a": %d, "a": %d, "b": 1}\n' % (i, i + 1) for i in range(ROWS)), "jsonl"),
        ANY,
    ),
    Case(
        "JSON lines with 30-digit integers",
        same(b"".join(b'{"a": %d, "b": %d}\n' % (BIG + i, i % 3) for i in range(ROWS)), "jsonl"),
        ODD,
    ),
    Case(
        "JSON lines, a list cell on one side only",
        pair(jsonl([{"a": i, "l": [i]} for i in range(ROWS)]), jsonl([{"a": i, "l": i} for i in range(ROWS)]), "jsonl"),
        ANY,
    ),
    Case(
        "JSON lines, a dict cell in a scalar column",
        same(jsonl([{"a": i, "b": ({"x": 1} if i == 5 else i)} for i in range(ROWS)]), "jsonl"),
        ANY,
    ),
    Case(
        "JSON array with a NaN literal",
        same(
            b"[" + b",".join(b'{"a": %s}' % (b"NaN" if i % 4 == 0 else str(i).encode()) for i in range(ROWS)) + b"]",
            "json",
        ),
        ANY,
    ),
    Case("JSON array cut short", against_good(b'[{"a": 1}, {"a": 2', "json"), BAD),
    Case(
        "JSON array, objects with no keys in common",
        same(json.dumps([{f"k{i}": i} for i in range(ROWS)]).encode(), "json"),
        ANY,
    ),
    Case("JSON string, not an array", against_good(b'"just a string"', "json"), BAD),
    Case(
        "JSON array with a huge float exponent",
        same(json.dumps([{"a": i, "b": 1e308 * (1 if i % 2 else -1)} for i in range(ROWS)]).encode(), "json"),
        ODD,
    ),
    # --- chat files
    Case("chat: messages is null", against_good(jsonl([{"messages": None}] * 30), "jsonl"), BAD),
    Case("chat: message without a role", against_good(jsonl(_CHAT_NO_ROLE), "jsonl"), BAD),
    Case("chat: empty messages lists", same(jsonl(_CHAT_EMPTY), "jsonl"), ANY),
    Case("chat: a record without messages", against_good(jsonl(_CHAT_MIXED), "jsonl"), BAD),
    Case("chat: only system turns", same(jsonl(_CHAT_ONLY_SYSTEM), "jsonl"), ODD),
    Case("chat: null content", against_good(jsonl(_CHAT_NULL_CONTENT), "jsonl"), BAD),
    Case("chat: messages is a string", against_good(jsonl(_CHAT_STRING_MESSAGES), "jsonl"), BAD),
    Case("chat: content parts list (multimodal shape)", against_good(jsonl(_CHAT_NESTED_CONTENT), "jsonl"), BAD),
    Case("chat: a role named 'turns'", same(jsonl(_CHAT_ROLE_TURNS), "jsonl"), ANY),
    Case("chat: a role with a NUL byte", same(jsonl(_CHAT_ROLE_NUL), "jsonl"), ANY),
    Case(
        "chat: JSON array form",
        same(json.dumps(chat()).encode(), "json", only="fidelity.marginals,diversity.duplicates"),
        ODD,
    ),
    Case("chat vs tabular file", pair(jsonl(chat()), to_csv(good()), "jsonl"), BAD),
    # --- shards, globs and the file system
    Case("empty directory", _shards(lambda folder: None), BAD),
    Case(
        "directory holding only _SUCCESS and .crc",
        _shards(_write_shards(("_SUCCESS", b""), (".part-0.csv.crc", b"x"))),
        BAD,
    ),
    Case("glob matching nothing", _glob_nothing, BAD),
    Case("glob real and directory synth", _glob_real_and_synth, ODD),
    Case(
        "shards with different columns",
        _shards(_write_shards(("p0.csv", to_csv(good(1))), ("p1.csv", to_csv(good(2).drop(columns="city"))))),
        BAD,
    ),
    Case(
        "shards with a type flip (numbers, then words)",
        _shards(_write_shards(("p0.csv", to_csv(good(1))), ("p1.csv", to_csv(_with(age=["old"] * ROWS))))),
        ODD,
    ),
    Case(
        "shards in two formats",
        _shards(_write_shards(("p0.csv", to_csv(good(1))), ("p1.parquet", to_parquet(good(2))))),
        BAD,
    ),
    Case("a shard of 0 bytes", _shards(_write_shards(("p0.csv", to_csv(good(1))), ("p1.csv", b""))), BAD),
    Case(
        "a shard with a header only",
        _shards(_write_shards(("p0.csv", to_csv(good(1))), ("p1.csv", b"age,city,income,sex,y\n"))),
        BAD,
    ),
    Case(
        "shards: csv and csv.gz mixed",
        _shards(_write_shards(("p0.csv", to_csv(good(1))), ("p1.csv.gz", _gz(to_csv(good(2)))))),
        ODD,
    ),
    Case("a file whose name holds glob characters", _file_named_like_a_glob, ODD),
    Case("symlink loop", _symlink_loop, BAD),
    Case("input file name too long for the system", _name_too_long, BAD),
    Case("symlink loop inside a shard directory", _symlink_loop_in_dir, BAD),
    Case("dangling symlink inside a shard directory", _shards(_dangling_shard), BAD),
    Case("TSV content in a .csv file", against_good(good(1).to_csv(index=False, sep="\t").encode()), BAD),
    Case(
        "quoted fields with embedded newlines and delimiters",
        same(to_csv(_with(note=[f'line one, {i}\nline "two"' for i in range(ROWS)]))),
        ODD,
    ),
    Case("dangling symlink", _dangling_symlink, BAD),
    Case("unreadable file (chmod 000)", _unreadable, ANY),
    Case("same file as real and synthetic", _same_file, ODD),
    Case("path is /dev/null", lambda tmp: check(write(tmp, "real.csv", to_csv(good())), "/dev/null", tmp), BAD),
]
