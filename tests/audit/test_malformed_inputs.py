"""Malformed and adversarial input files through the CLI: every one exits 0, 1 or 2 as documented, with a
clear one-paragraph message for bad input, no traceback, strict JSON, and nothing written on exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from synthaudit.cli import app

runner = CliRunner()
ROWS = 60
FAST = "fidelity.marginals,constraints.schema,leakage.exact_copies,diversity.duplicates"
"""Checks cheap enough to run on every case; a few cases run the whole default audit."""


def _good(seed: int = 0, rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows),
            "city": rng.choice(["a", "b", "c"], rows),
            "income": rng.normal(5e4, 1e4, rows).round(2),
        }
    )


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _lines(header: str, row: Callable[[int], str], rows: int = ROWS) -> bytes:
    return (header + "\n" + "".join(row(i) + "\n" for i in range(rows))).encode("utf-8")


def _parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _deep_json() -> bytes:
    deep = "[" * 100_000 + "1" + "]" * 100_000
    return ("\n".join('{"a": %s}' % (deep if i == 0 else "1") for i in range(ROWS)) + "\n").encode()


def _with(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    out = frame.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def _mixed() -> pd.DataFrame:
    frame = _good().astype(object)
    frame.loc[::3, "income"] = "abc"
    frame.loc[::7, "age"] = "2020-01-01"
    return frame


def _extreme() -> pd.DataFrame:
    frame = _good()
    frame["income"] = frame["income"].astype(float)
    frame.loc[0, "income"], frame.loc[1, "income"], frame.loc[2, "income"] = np.inf, -np.inf, 1e308
    frame.loc[3, "income"] = -1e308
    frame["huge"] = [10**30] * ROWS
    frame["neg_zero"] = -0.0
    return frame


NESTED_RECORDS = b"".join(
    json.dumps({"age": i, "deep": {"k": {"k": [i, {"x": i}]}}}).encode() + b"\n" for i in range(ROWS)
)
STRUCT_PARQUET = pa.table(
    {
        "age": pa.array(range(ROWS)),
        "s": pa.array([{"x": i, "y": str(i)} for i in range(ROWS)]),
        "l": pa.array([[i, i] for i in range(ROWS)]),
    }
)

BAD_INPUT: dict[str, tuple[str, bytes]] = {
    "empty file": ("csv", b""),
    "blank lines only": ("csv", b"\n\n\n"),
    "header only": ("csv", b"age,city,income\n"),
    "one data row": ("csv", _csv(_good().head(1))),
    "duplicate column names": ("csv", _lines("a,a,b", lambda i: f"{i},{i + 1},{i % 3}")),
    "binary garbage": ("csv", bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))),
    "ragged lines": ("csv", _lines("age,city,income", lambda i: f"{i},x,{i}" + (",extra,more" if i % 5 == 0 else ""))),
    "JSON object, not records": ("json", json.dumps({"age": [1, 2, 3], "city": ["a", "b", "c"]}).encode()),
    "JSON nested object": ("json", json.dumps({"a": {"b": {"c": [1, 2, {"d": 3}]}}}).encode()),
    "JSON null": ("json", b"null"),
    "JSON empty array": ("json", b"[]"),
    "JSON array of scalars": ("json", b"[1, 2, 3]"),
    "JSON lines of scalars": ("jsonl", b"\n".join(str(i).encode() for i in range(ROWS))),
    "JSON lines nested values": ("jsonl", NESTED_RECORDS),
    "JSON nested too deeply": ("jsonl", _deep_json()),
    "Parquet struct and list columns": ("parquet", _parquet(STRUCT_PARQUET)),
    "Parquet garbage": ("parquet", b"PAR1garbagePAR1"),
    "Latin-1 without --encoding": (
        "csv",
        ("name,v\n" + "".join(f"caf\xe9{i % 3},{i}\n" for i in range(ROWS))).encode("latin-1"),
    ),
    "unknown extension": ("xlsx", b"PK\x03\x04 not really a workbook"),
}

NESTED = ("JSON lines nested values", "Parquet struct and list columns")

ACCEPTED: dict[str, tuple[str, bytes]] = {
    "one column": ("csv", _csv(_good()[["age"]])),
    "all-missing column": ("csv", _csv(_with(_good(), empty=np.nan))),
    "constant column": ("csv", _csv(_with(_good(), constant=7))),
    "huge field": ("csv", _csv(_with(_good(), big="x" * 2_000_000))),
    "UTF-8 byte-order mark": ("csv", b"\xef\xbb\xbf" + _csv(_good())),
    "CRLF line ends": ("csv", _good().to_csv(index=False, lineterminator="\r\n").encode()),
    "mixed types in one column": ("csv", _csv(_mixed())),
    "columns named like pandas methods": (
        "csv",
        _csv(_with(_good().rename(columns={"age": "mean", "city": "groupby", "income": "sum"}), index=1, T=2)),
    ),
    "HTML in column names": (
        "csv",
        _csv(_good().rename(columns={"city": "<script>alert(1)</script>", "age": "<b>age</b>&amp;"})),
    ),
    "extreme values": ("csv", _csv(_extreme())),
    "unicode everywhere": ("csv", _lines("名前,値😀", lambda i: f"é{i % 4}😀,{i}")),
    "NUL bytes in a field": ("csv", b"a,b\n" + b"".join(b"%d,x\x00y\n" % i for i in range(ROWS))),
    "empty column name": ("csv", _lines(",b", lambda i: f"{i},{i % 2}")),
    "tab-separated": ("tsv", _good().to_csv(index=False, sep="\t").encode()),
    "JSON array of records": ("json", _good().to_json(orient="records").encode()),
    "JSON lines": ("jsonl", _good().to_json(orient="records", lines=True).encode()),
}


def _write(tmp_path: Path, name: str, suffix: str, content: bytes) -> Path:
    path = tmp_path / f"{name}.{suffix}"
    path.write_bytes(content)
    return path


def _run(tmp_path: Path, real: Path, synth: Path, *extra: str, only: str | None = FAST) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    args = ["check", str(real), str(synth), "--no-report", "--json", str(out / "r.json"), "--quiet", *extra]
    if only:
        args += ["--only", only]
    result = runner.invoke(app, args, catch_exceptions=False)
    return result.exit_code, result.output, out


def _strict_json(path: Path) -> dict[str, object]:
    def reject(constant: str) -> object:
        raise AssertionError(f"the JSON result holds {constant}")

    loaded = json.loads(path.read_text(encoding="utf-8"), parse_constant=reject)
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_exits_2_with_one_clear_message(tmp_path: Path, case: str) -> None:
    suffix, content = BAD_INPUT[case]
    bad = _write(tmp_path, "bad", suffix, content)
    good = _write(tmp_path, "good", "csv", _csv(_good(1)))
    # a nested column is refused only where it would be compared: when both sides have it
    pairs = ((bad, bad),) if case in NESTED else ((bad, good), (good, bad))
    for real, synth in pairs:
        code, output, out = _run(tmp_path, real, synth)
        assert code == 2, f"{case}: exit {code}\n{output}"
        assert "Traceback" not in output
        message = output.strip()
        assert message.startswith("synthaudit: error: ") and "\n" not in message, message
        assert "bad." in message or "file" in message  # names the file or what is wrong
        assert list(out.iterdir()) == []


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_odd_but_valid_input_is_audited(tmp_path: Path, case: str) -> None:
    suffix, content = ACCEPTED[case]
    real = _write(tmp_path, "real", suffix, content)
    synth = _write(tmp_path, "synth", suffix, content)
    code, output, out = _run(tmp_path, real, synth)
    assert code in (0, 1), f"{case}: exit {code}\n{output}"
    assert "Traceback" not in output
    result = _strict_json(out / "r.json")
    assert all(check["status"] != "error" for check in result["checks"]), case  # type: ignore[attr-defined]


def test_mismatched_columns_audit_the_common_ones(tmp_path: Path) -> None:
    real = _write(tmp_path, "real", "csv", _csv(_good()))
    synth = _write(tmp_path, "synth", "csv", _csv(_good(1).rename(columns={"city": "town"})))
    code, output, out = _run(tmp_path, real, synth)
    assert code in (0, 1), output
    result = _strict_json(out / "r.json")
    assert result["columns"]["only_real"] == ["city"]  # type: ignore[index]
    assert result["columns"]["only_synthetic"] == ["town"]  # type: ignore[index]


def test_no_common_column_exits_2(tmp_path: Path) -> None:
    real = _write(tmp_path, "real", "csv", _csv(_good()))
    synth = _write(tmp_path, "synth", "csv", _csv(_good(1).rename(columns=str.upper)))
    code, output, out = _run(tmp_path, real, synth)
    assert code == 2 and "no column name in common" in output and list(out.iterdir()) == []


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_a_missing_file_or_a_directory_exits_2(tmp_path: Path, make: str) -> None:
    good = _write(tmp_path, "good", "csv", _csv(_good()))
    path = tmp_path / "nope.csv"
    if make == "directory":
        path.mkdir()
    code, output, _ = _run(tmp_path, good, path)
    assert code == 2 and "Traceback" not in output and output.startswith("synthaudit: error: "), output


@pytest.mark.parametrize("case", ["all-missing column", "mixed types in one column", "extreme values"])
def test_the_whole_default_audit_on_odd_input(tmp_path: Path, case: str) -> None:
    suffix, content = ACCEPTED[case]
    real = _write(tmp_path, "real", suffix, content)
    synth = _write(tmp_path, "synth", suffix, content)
    code, output, out = _run(tmp_path, real, synth, only=None)
    assert code in (0, 1), f"{case}: exit {code}\n{output}"
    result = _strict_json(out / "r.json")
    errors = {c["name"]: c["summary"] for c in result["checks"] if c["status"] == "error"}  # type: ignore[attr-defined]
    assert not errors, errors


def test_html_in_column_names_is_escaped_in_the_report(tmp_path: Path) -> None:
    suffix, content = ACCEPTED["HTML in column names"]
    real = _write(tmp_path, "real", suffix, content)
    report = tmp_path / "r.html"
    result = runner.invoke(
        app, ["check", str(real), str(real), "--only", FAST, "--report", str(report), "--quiet"], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert "<script>alert(1)</script>" not in report.read_text(encoding="utf-8")


def test_a_real_process_on_bad_input_prints_no_traceback(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad", "jsonl", NESTED_RECORDS)
    done = subprocess.run(
        [sys.executable, "-m", "synthaudit", "check", str(bad), str(bad), "--no-report"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("synthaudit: error: ") and "nested values" in errors[0]
