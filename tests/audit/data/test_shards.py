"""Sharded inputs: a directory or glob pattern of part files reads as one table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthaudit.data.loading import load_table
from synthaudit.errors import InputError


def _parts(directory: Path, frame: pd.DataFrame, n: int, suffix: str = "csv") -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, part in enumerate(range(0, len(frame), -(-len(frame) // n))):
        path = directory / f"part-{i:05d}.{suffix}"
        chunk = frame.iloc[part : part + -(-len(frame) // n)]
        if suffix == "parquet":
            chunk.to_parquet(path, index=False)
        else:
            chunk.to_csv(path, index=False)
        paths.append(path)
    return paths


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({"age": range(30, 90), "city": ["Oslo", "Lima", "Pune"] * 20, "score": [0.5] * 60})


def test_a_directory_of_parts_reads_as_one_table(tmp_path, frame):
    _parts(tmp_path / "real", frame, 3)
    (tmp_path / "real" / "_SUCCESS").write_text("")  # what Spark leaves beside its parts
    (tmp_path / "real" / ".part-00000.csv.crc").write_text("x")
    table = load_table(tmp_path / "real", label="real")
    pd.testing.assert_frame_equal(table.frame, frame)
    assert (table.n_rows, table.format, table.source) == (60, "csv", str(tmp_path / "real"))
    again = load_table(tmp_path / "real", label="real")
    assert table.sha256 == again.sha256 and len(table.sha256 or "") == 64
    (tmp_path / "real" / "part-00001.csv").write_text("age,city,score\n1,Oslo,0.5\n")
    assert load_table(tmp_path / "real", label="real").sha256 != table.sha256  # a changed shard changes it


def test_a_glob_pattern_of_parquet_parts(tmp_path, frame):
    _parts(tmp_path / "out", frame, 4, suffix="parquet")
    (tmp_path / "out" / "notes.txt").write_text("not picked by the pattern")
    table = load_table(str(tmp_path / "out" / "part-*.parquet"), label="synthetic")
    assert table.n_rows == 60 and table.format == "parquet"
    assert list(table.frame["age"]) == list(range(30, 90))  # shards in name order


def test_bad_shards_name_what_is_wrong(tmp_path, frame):
    mixed = tmp_path / "mixed"
    _parts(mixed, frame, 2)
    frame.to_parquet(mixed / "extra.parquet", index=False)
    with pytest.raises(InputError, match="mixes formats"):
        load_table(mixed, label="real")
    other = tmp_path / "other"
    paths = _parts(other, frame, 2)
    paths[1].write_text("age,town,score\n1,Oslo,0.5\n")
    with pytest.raises(InputError, match=r"part-00001\.csv' has the columns .* same columns in the same order"):
        load_table(other, label="real")
    with pytest.raises(InputError, match="holds no data file"):
        load_table(str(tmp_path / "nothing-*.csv"), label="holdout")
    bad = tmp_path / "bad"
    _parts(bad, frame, 2)
    (bad / "part-00002.csv").write_text("")
    with pytest.raises(InputError, match=r"part-00002\.csv' is empty"):
        load_table(bad, label="real")


def test_the_cli_audits_directories(tmp_path, adult_split):
    from typer.testing import CliRunner

    from synthaudit.cli import app

    real, _holdout, synth = adult_split(seed=11, real=900, holdout=450, synth=450)
    _parts(tmp_path / "real", real, 3, suffix="parquet")
    _parts(tmp_path / "synth", synth, 2)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        app,
        [
            "check",
            str(tmp_path / "real"),
            str(tmp_path / "synth"),
            "--only",
            "fidelity.marginals",
            "--only",
            "leakage.exact_copies",
            "--json",
            str(out),
            "--no-report",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"rows": 900' in out.read_text()
