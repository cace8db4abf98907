"""The benchmarks still run against the current code (``make bench`` is not timed in CI, so it could rot).

Each benchmark's measuring function runs once at a toy size through the local engine: a few seconds, no
timing asserted, only that it completes and reports what it claims to measure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import ray_capped_audit  # noqa: E402
import ray_scale  # noqa: E402


def test_ray_scale_measures_the_distributed_artefacts_with_the_local_engine(tmp_path):
    frame = ray_scale.make_table(2_000)
    folder = ray_scale.write_shards(frame, tmp_path / "real")
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((2_000, ray_scale.DIM)).astype(np.float32)
    queries = rng.standard_normal((50, ray_scale.DIM)).astype(np.float32)

    out = ray_scale.run(0, folder, vectors, queries)

    assert out["engine"] == "local"
    assert all(out[k] >= 0 for k in ("read_s", "knn_s", "counts_s", "joins_s"))
    sha, _, _, distinct, rows, (copies, _, repeats, _) = out["answer"]
    assert rows == 2_000 and 0 < distinct <= rows and sha
    assert repeats == rows - distinct and 0 <= copies <= repeats  # a copy between halves is a repeat too


def test_ray_capped_audit_runs_a_capped_sharded_audit_with_the_local_engine(tmp_path):
    folders = ray_capped_audit.write_sharded(tmp_path, 400, shards=3)
    assert len(list(folders["real"].iterdir())) == 3

    out = ray_capped_audit.measure(folders, 150, 0, only=("leakage.exact_copies",))

    assert out["engine"] == "local" and out["wall_s"] > 0 and out["driver_peak_mib"] > 0
    assert out["rows"] == {"real": 400, "synthetic": 400, "holdout": 200}
    assert out["rows_used"] == {"real": 150, "synthetic": 150, "holdout": 150}
    assert len(out["result_sha256"]) == 64
