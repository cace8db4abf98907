"""What `--engine ray` distributes, at 1 and 2 workers: wall time, speed-up and peak memory per worker.

Generates a table (ROWS rows: 8 numeric and 4 categorical columns), writes it as SHARDS Parquet shards, and
for the local engine (a reference) and each worker count (a private local Ray instance each) times the three
distributed artefacts:

- reading the sharded Parquet input into the driver's table (Ray Data);
- exact nearest neighbours: QUERIES query rows against every row's vectors (DIM features), k = 2, over
  index shards held by actors (what DCR does);
- row-fingerprint counts per block (a mergeable state);
- the joins of exact copies and duplicates: row fingerprints per block, then the even rows' keys joined
  against the odd rows' and every row's repeats counted, by hash-partitioned shuffles.

Peak memory per worker is the largest peak resident set (VmHWM) of the Ray worker processes (read from
/proc every 0.1 s; Linux). Results also check that both worker counts give identical answers.

    .venv/bin/python benchmarks/ray_scale.py [--rows 1000000] [--queries 20000] [--json out.json]

On a shared machine the speed-up reflects the load as much as the engine: report the load average with it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.data.roles import Role
from synthaudit.engine.local import LocalEngine
from synthaudit.engine.ray_engine import RayEngine
from synthaudit.engine.states import FrameFingerprints

SHARDS = 8
DIM = 32


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {f"x{i}": rng.standard_normal(rows).round(3) for i in range(8)}
    for i in range(4):
        data[f"c{i}"] = rng.choice([f"level_{j}" for j in range(5 + 5 * i)], rows)
    return pd.DataFrame(data)


def write_shards(frame: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), SHARDS)):
        frame.iloc[rows].to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return folder


class PeakMemory:
    """Peak resident set (``VmHWM``, Linux ``/proc``) of each Ray worker process, sampled every 0.1 s."""

    _SKIP = ("Dashboard", "RuntimeEnv", "Tracker", "Coordinator", "StatsActor")

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if not cmd.startswith("ray::") or any(s in cmd for s in self._SKIP):
                    continue
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        kib = int(line.split()[1])
                        self.peaks[int(proc.name)] = max(self.peaks.get(int(proc.name), 0), kib * 1024)
            except OSError:
                continue

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(workers: int, folder: Path, vectors: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    """Time the three artefacts with ``workers`` Ray workers (0: the local engine, for reference)."""
    started = time.perf_counter()
    engine: LocalEngine | RayEngine = RayEngine.start(workers=workers) if workers else LocalEngine()
    out: dict[str, Any] = {"engine": engine.name, "workers": workers, "start_s": time.perf_counter() - started}
    try:
        with PeakMemory() as memory:
            tick = time.perf_counter()
            table = engine.load_table(folder, label="real", encoding="utf-8")
            out["read_s"] = time.perf_counter() - tick
            tick = time.perf_counter()
            index = engine.nearest(vectors)
            distances, indices = index.search(queries, 2)
            out["knn_s"] = time.perf_counter() - tick
            tick = time.perf_counter()
            columns = tuple(table.frame.columns)
            roles = {c: Role.NUMERIC if c.startswith("x") else Role.CATEGORICAL for c in columns}
            keys, counts = engine.counts(table.frame, lambda: FrameFingerprints(columns, roles))
            out["counts_s"] = time.perf_counter() - tick
            tick = time.perf_counter()
            prints = engine.row_keys(table.frame, partial(row_fingerprints, columns=columns, roles=roles))
            copies = engine.semi_join(prints[::2], prints[1::2], 20)
            repeats = engine.repeats(prints, 20)
            out["joins_s"] = time.perf_counter() - tick
    finally:
        engine.close()
    out["total_s"] = out["read_s"] + out["knn_s"] + out["counts_s"] + out["joins_s"]
    out["peak_rss_per_worker_mib"] = round(max(memory.peaks.values(), default=0) / 2**20)
    joins = (copies.count, copies.first.tolist(), repeats.count, repeats.first.tolist())
    out["answer"] = (table.sha256, float(distances.sum()), int(indices.sum()), len(keys), int(counts.sum()), joins)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    frame = make_table(args.rows)
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((args.rows, DIM)).astype(np.float32)
    queries = rng.standard_normal((args.queries, DIM)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="synthaudit-bench-") as tmp:
        folder = write_shards(frame, Path(tmp) / "real")
        results = [run(w, folder, vectors, queries) for w in (0, 1, 2)]
    _, one, two = results
    summary = {
        "rows": args.rows,
        "queries": args.queries,
        "shards": SHARDS,
        "load_average": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "runs": [{k: v for k, v in r.items() if k != "answer"} for r in results],
        "speed_up": {k: round(one[k] / two[k], 2) for k in ("read_s", "knn_s", "counts_s", "joins_s", "total_s")},
        "identical_answers": results[0]["answer"] == one["answer"] == two["answer"],
    }
    text = json.dumps(summary, indent=2, default=float)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if summary["identical_answers"] else 1


if __name__ == "__main__":
    sys.exit(main())
