"""``--engine ray`` gives the JSON of ``--engine local`` (apart from ``run_info``), on a local Ray with 2 CPUs.

One Ray instance serves the whole module (start-up costs seconds); each audit joins it. The module is skipped
when Ray is not installed, and deselected with ``-m 'not ray'``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from typer.testing import CliRunner  # noqa: E402

from synthaudit.api import audit  # noqa: E402
from synthaudit.artefacts.fingerprints import input_row_fingerprints, row_fingerprints  # noqa: E402
from synthaudit.cli import ExitCode, app  # noqa: E402
from synthaudit.data.alignment import align  # noqa: E402
from synthaudit.data.loading import load_table  # noqa: E402
from synthaudit.data.roles import Role  # noqa: E402
from synthaudit.data.whole_input import WholeInput  # noqa: E402
from synthaudit.engine import ray_engine, ray_io  # noqa: E402
from synthaudit.engine.joins import InputKeys  # noqa: E402
from synthaudit.engine.local import LocalEngine  # noqa: E402
from synthaudit.engine.ray_engine import RayEngine, ShardedNeighbourIndex  # noqa: E402
from synthaudit.engine.ray_io import _read_with_ray_data, read_table  # noqa: E402
from synthaudit.engine.states import FrameFingerprints, FrameValueCounts  # noqa: E402
from synthaudit.errors import InputError  # noqa: E402
from synthaudit.neighbours import ExactNeighbourIndex  # noqa: E402
from tests.checks.diversity.test_duplicates import bbc_sentences  # noqa: E402
from tests.conftest import ADULT, draw_disjoint, inject_exact_copies  # noqa: E402

# One Ray instance per module: under pytest-xdist, `--dist loadgroup` keeps the module on one worker.
pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A private local Ray instance (2 CPUs, loopback only, logs in a temporary directory) for the module."""
    temp = tempfile.mkdtemp(prefix="sa-ray-")  # short: Ray's socket paths must stay under 108 bytes
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        _temp_dir=temp,
        log_to_driver=False,
        configure_logging=False,
        logging_level=logging.ERROR,
    )
    yield
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


def _result(**kwargs: Any) -> dict[str, Any]:
    result = json.loads(audit(**kwargs).to_json())
    assert result["run_info"]["engine"]["name"] == kwargs.get("engine", "local")
    result.pop("run_info")
    return result


def _assert_parity(**kwargs: Any) -> dict[str, Any]:
    local = _result(**kwargs)
    distributed = _result(engine="ray", workers=2, **kwargs)
    differing = [a["name"] for a, b in zip(local["checks"], distributed["checks"], strict=True) if a != b]
    assert not differing, f"checks whose results differ between engines: {differing}"
    assert local == distributed
    return local


def test_adult_example(ray_cluster: None) -> None:
    result = _assert_parity(
        real=ADULT / "real.csv",
        synth=ADULT / "synthetic.csv",
        holdout=ADULT / "holdout.csv",
        target="income",
        max_rows=1000,
    )
    assert any(c["name"] == "leakage.dcr" and c["status"] != "skipped" for c in result["checks"])


def test_text_example(ray_cluster: None, tmp_path: Path) -> None:
    real, holdout, synth = draw_disjoint(bbc_sentences(), (240, 120, 120), seed=3)
    synth = inject_exact_copies(synth, real, 0.05, seed=3)  # copies at distance 0 for DCR to find
    paths = {}
    for name, frame in (("real", real), ("holdout", holdout), ("synth", synth)):
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    result = _assert_parity(
        real=paths["real"],
        synth=paths["synth"],
        holdout=paths["holdout"],
        text=["sentence"],
        no_cache=True,  # the actors really embed
    )
    measured = {c["name"] for c in result["checks"] if c["status"] != "skipped"}
    assert {"leakage.dcr", "diversity.embedding"} <= measured


def _write_shards(frame: pd.DataFrame, folder: Path, parts: int, fmt: str) -> Path:
    """``frame`` written as ``parts`` shards in ``fmt`` beside a ``_SUCCESS`` marker (as Spark or Ray write)."""
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        part, name = frame.iloc[rows], folder / f"part-{i:05d}"
        if fmt == "parquet":
            part.to_parquet(name.with_suffix(".parquet"), index=False)
        elif fmt == "csv":
            part.to_csv(name.with_suffix(".csv"), index=False)
        else:
            part.to_json(name.with_suffix(".jsonl"), orient="records", lines=True)
    (folder / "_SUCCESS").write_text("")
    return folder


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    population = pd.read_csv(ADULT / "real.csv", engine="pyarrow")
    real, holdout, synth = draw_disjoint(population, (900, 400, 400), seed=5)
    synth = inject_exact_copies(synth, real, 0.03, seed=5)
    root = tmp_path_factory.mktemp("shards")
    return {
        "real": _write_shards(real, root / "real", 3, "parquet"),
        "synth": _write_shards(synth, root / "synth", 2, "csv"),
        "holdout": _write_shards(holdout, root / "holdout", 2, "jsonl"),
    }


def test_sharded_input(ray_cluster: None, sharded: dict[str, Path]) -> None:
    result = _assert_parity(real=sharded["real"], synth=sharded["synth"], holdout=sharded["holdout"], target="income")
    assert result["inputs"]["real"]["format"] == "parquet"


def test_command_line_flags(ray_cluster: None, sharded: dict[str, Path], tmp_path: Path) -> None:
    base = ["check", sharded["real"], sharded["synth"], "--only", "leakage.exact_copies", "--no-report", "--quiet"]
    runner = CliRunner()
    outputs = {}
    for engine in ("local", "ray"):
        path = tmp_path / f"{engine}.json"
        extra = ["--engine", "ray", "--workers", "2"] if engine == "ray" else []
        result = runner.invoke(app, [*map(str, base), "--json", str(path), *extra])
        assert result.exit_code in (ExitCode.PASSED, ExitCode.FAILED), result.output
        outputs[engine] = json.loads(path.read_text(encoding="utf-8"))
        assert outputs[engine].pop("run_info")["engine"]["name"] == engine
    assert outputs["local"] == outputs["ray"]
    bad = runner.invoke(app, [*map(str, base), "--ray-address", "127.0.0.1:1"])
    assert bad.exit_code == ExitCode.USAGE_ERROR
    assert "--engine ray" in bad.output


@pytest.mark.parametrize("label", ["real", "synth", "holdout"])
def test_shards_are_read_by_ray_data_into_the_local_table(
    ray_cluster: None, sharded: dict[str, Path], label: str
) -> None:
    local = load_table(sharded[label], label=label)
    distributed = read_table(ray, sharded[label], label=label, encoding="utf-8")
    pd.testing.assert_frame_equal(distributed.frame, local.frame, check_exact=True)
    assert (distributed.sha256, distributed.format, distributed.n_rows) == (local.sha256, local.format, local.n_rows)
    files = sorted(str(p) for p in sharded[label].iterdir() if not p.name.startswith("_"))
    how = {"real": "parquet", "synth": "csv", "holdout": "json"}[label]
    assert len(_read_with_ray_data(ray, files, how, "csv")) == len(files)  # every shard read by Ray Data


def test_sharded_index_and_counts_equal_the_local_engine(ray_cluster: None) -> None:
    rng = np.random.default_rng(0)
    data = rng.integers(0, 3, size=(400, 5)).astype(np.float32)  # ties and twins everywhere
    queries = np.vstack([data[:50], rng.integers(0, 3, size=(50, 5)).astype(np.float32)])
    engine = RayEngine.start(workers=3)
    try:
        for k in (1, 4):
            expected = ExactNeighbourIndex(data).search(queries, k)
            found = engine.nearest(data).search(queries, k)
            np.testing.assert_array_equal(found[0], expected[0])
            np.testing.assert_array_equal(found[1], expected[1])
        frame = pd.DataFrame({"a": rng.integers(0, 4, 1000).astype(float), "b": rng.choice(["x", "y"], 1000)})
        roles = {"a": Role.NUMERIC, "b": Role.CATEGORICAL}
        for make in (lambda: FrameFingerprints(("a", "b"), roles), lambda: FrameValueCounts("b")):
            local, distributed = LocalEngine().counts(frame, make), engine.counts(frame, make)
            if isinstance(local, tuple):
                np.testing.assert_array_equal(local[0], distributed[0])
                np.testing.assert_array_equal(local[1], distributed[1])
            else:
                pd.testing.assert_series_equal(local, distributed)
    finally:
        engine.close()
    assert ray.is_initialized()  # an engine that joined a running Ray leaves it running


def test_more_shards_than_parallel_searches_give_the_same_answer(
    ray_cluster: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five shards searched two at a time, over seven query blocks: answers merged per block, exact."""
    monkeypatch.setattr(ray_engine, "QUERY_BLOCK", 16)
    rng = np.random.default_rng(1)
    data = rng.integers(0, 3, size=(300, 4)).astype(np.float32)  # ties and twins everywhere
    queries = np.vstack([data[:40], rng.integers(0, 3, size=(60, 4)).astype(np.float32)])
    index = ShardedNeighbourIndex(ray, data, shards=5, parallel=2)
    try:
        for k in (1, 3):
            expected = ExactNeighbourIndex(data).search(queries, k)
            found = index.search(queries, k)
            np.testing.assert_array_equal(found[0], expected[0])
            np.testing.assert_array_equal(found[1], expected[1])
    finally:
        index.close()


def test_hash_partitioned_joins_equal_the_local_engine(ray_cluster: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys in several blocks shuffled to 2 × workers partitions: the local engine's counts and evidence."""
    monkeypatch.setattr(ray_engine, "KEY_BLOCK", 64)
    rng = np.random.default_rng(2)
    pool = rng.integers(0, np.iinfo(np.uint64).max, size=80, dtype=np.uint64, endpoint=True)
    left, right = pool[rng.integers(0, 80, 500)], pool[rng.integers(40, 120, 300) % 80]
    frame = pd.DataFrame({"a": rng.integers(0, 4, 1000).astype(float), "b": rng.choice(["x", " y"], 1000)})
    roles = {"a": Role.NUMERIC, "b": Role.CATEGORICAL}
    key_of = partial(row_fingerprints, columns=("a", "b"), roles=roles)
    engine, local = RayEngine.start(workers=3), LocalEngine()
    try:
        np.testing.assert_array_equal(engine.row_keys(frame, key_of), local.row_keys(frame, key_of))
        for cap in (1, 20):
            for ours, theirs in (
                (engine.semi_join(left, right, cap), local.semi_join(left, right, cap)),
                (engine.repeats(left, cap), local.repeats(left, cap)),
            ):
                assert (ours.count, ours.rows) == (theirs.count, theirs.rows)
                np.testing.assert_array_equal(ours.first, theirs.first)
        assert 0 < local.semi_join(left, right, 1).count < len(left)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def mixed_shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CSV shards whose columns take their dtype from the stack: ints here, floats there, a column empty in one."""
    folder = tmp_path_factory.mktemp("mixed") / "real"
    folder.mkdir()
    rng = np.random.default_rng(4)
    for i in range(4):
        n = 40 + 15 * i
        part = pd.DataFrame(
            {
                "a": rng.integers(0, 9, n) if i % 2 == 0 else rng.integers(0, 9, n) + 0.5,
                "b": [None] * n if i == 0 else rng.choice(["x", "y", "z"], n),
                "c": rng.integers(0, 1000, n),
                "d": rng.integers(0, 5, n),
                "e": [None] * n,
            }
        )
        part.to_csv(folder / f"part-{i}.csv", index=False)
    # One row holds the only float of "d" and its only text of "e": a capped sample that misses this shard
    # must still type those columns as the whole stack does.
    pd.DataFrame({"a": [1], "b": ["w"], "c": [5], "d": [0.5], "e": ["t"]}).to_csv(folder / "part-4.csv", index=False)
    return folder


@pytest.mark.parametrize(("max_rows", "seed"), [(30, 0), (120, 7), (250, 1), (500, 0)])
def test_capped_shards_are_taken_on_the_workers_into_the_local_capped_table(
    ray_cluster: None, mixed_shards: Path, max_rows: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LocalEngine().load_table(mixed_shards, label="real", encoding="utf-8", max_rows=max_rows, seed=seed)
    if max_rows < local.n_rows:  # the whole input is never stacked on the driver
        monkeypatch.setattr(ray_io.loading, "stack_shards", None)
    distributed = read_table(ray, mixed_shards, label="real", encoding="utf-8", max_rows=max_rows, seed=seed)
    pd.testing.assert_frame_equal(distributed.frame, local.frame, check_exact=True)
    assert (distributed.sha256, distributed.n_rows, distributed.n_columns) == (local.sha256, 251, 5)
    assert len(distributed.frame) == min(max_rows, 251)


def test_capped_sharded_audit(ray_cluster: None, sharded: dict[str, Path]) -> None:
    """Only the reading differs from ``test_sharded_input``: checks over every column and row suffice."""
    checks = ["fidelity.marginals", "leakage.exact_copies", "leakage.dcr", "diversity.duplicates"]
    result = _assert_parity(
        real=sharded["real"], synth=sharded["synth"], holdout=sharded["holdout"], max_rows=300, only=checks
    )
    assert result["inputs"]["real"]["rows"] == 900 and result["inputs"]["real"]["rows_used"] == 300
    copies = next(c for c in result["checks"] if c["name"] == "leakage.exact_copies")
    every_row = next(m for m in copies["metrics"] if m["name"] == "exact_copy_rate_all_rows")
    assert every_row["gating"] and every_row["value"] >= 0.03  # the 12 copies among all 400 synthetic rows
    assert copies["sample_sizes"]["all_synthetic_rows"] == 400 and copies["sample_sizes"]["all_real_rows"] == 900


def test_whole_input_joins_read_every_shard_on_the_workers(
    ray_cluster: None, sharded: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The joins over every row of capped inputs: the local engine's answer, no shard read by the driver."""
    local = LocalEngine()
    tables = {
        key: local.load_table(sharded[key], label=key, encoding="utf-8", max_rows=100, seed=1)
        for key in ("real", "synth")
    }
    aligned = align(tables["real"], tables["synth"])
    columns = tuple(aligned.columns)
    key_of = partial(input_row_fingerprints, columns=columns, roles=aligned.roles)
    real, synth = (InputKeys(tables[key].whole, key_of) for key in ("real", "synth"))  # type: ignore[arg-type]
    expected = (local.semi_join(synth, real, 5), local.repeats(real, 5))
    monkeypatch.setattr(WholeInput, "block", None)  # the driver cannot read a block: the workers must
    engine = RayEngine.start(workers=2)
    try:
        found = (engine.semi_join(synth, real, 5), engine.repeats(real, 5))
    finally:
        engine.close()
    for ours, theirs in zip(found, expected, strict=True):
        assert (ours.count, ours.rows, ours.groups) == (theirs.count, theirs.rows, theirs.groups)
        np.testing.assert_array_equal(ours.first, theirs.first)
    assert found[0].count >= 12 and found[0].rows == 400 and found[1].rows == 900


@pytest.mark.parametrize("max_rows", [None, 50])
def test_a_bad_shard_is_bad_input_with_the_local_message(
    ray_cluster: None, tmp_path: Path, max_rows: int | None
) -> None:
    folder = tmp_path / "real"
    folder.mkdir()
    pd.DataFrame({"a": np.arange(100.0), "b": ["x", "y"] * 50}).to_csv(folder / "part-0.csv", index=False)
    (folder / "part-1.csv").write_bytes(b"a,b\n1.0,x\n\xff\xfe,y\n")
    with pytest.raises(InputError) as local:
        LocalEngine().load_table(folder, label="real", encoding="utf-8", max_rows=max_rows)
    with pytest.raises(InputError) as distributed:
        read_table(ray, folder, label="real", encoding="utf-8", max_rows=max_rows)
    assert type(distributed.value) is InputError  # not Ray's wrapper, whose text carries the task's traceback
    assert str(distributed.value) == str(local.value)
    assert "not valid utf-8" in str(local.value)
