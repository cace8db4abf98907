"""A whole audit of sharded inputs too big to gather, on Ray with ``--max-rows``: wall time and peak memory.

Writes Adult-like real, synthetic and holdout tables (:mod:`data`, 20 columns) of ROWS, ROWS and ROWS / 2 rows
as SHARDS Parquet shards each, then runs the default audit (``--target income --sensitive sex race``) capped
to MAX_ROWS rows per input, once per engine setting, each in a fresh process:

- ``0``: the local engine, which reads every shard into one frame before drawing the capped rows;
- ``1``, ``2``, ...: Ray with that many workers, where each shard is read by a task and only the capped
  rows reach the driver (:func:`synthaudit.engine.ray_io.read_capped`).

Reported per setting: wall time, the driver's peak resident set (``ru_maxrss``), the largest peak resident set
of any Ray worker process (``VmHWM`` sampled every 0.1 s), and whether the audit JSON (apart from ``run_info``)
is identical across settings.

    .venv/bin/python benchmarks/ray_capped_audit.py [--rows 10000000] [--max-rows 1000000] [--engines 0,1,2]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data import adult_like  # noqa: E402

SHARDS = 20


def write_sharded(directory: Path, rows: int, shards: int = SHARDS) -> dict[str, Path]:
    """Real (seeds 0…), synthetic and holdout shard directories; each shard drawn with its own seed."""
    sizes = {"real": rows, "synth": rows, "holdout": max(rows // 2, 1)}
    folders = {}
    for index, (name, n) in enumerate(sizes.items()):
        folder = directory / name
        folder.mkdir(parents=True)
        bounds = [round(n * i / shards) for i in range(shards + 1)]
        for part, (start, stop) in enumerate(itertools.pairwise(bounds)):
            if stop > start:
                adult_like(stop - start, 1_000 * index + part).to_parquet(folder / f"part-{part:05d}.parquet")
        folders[name] = folder
    return folders


def _child(folders: dict[str, str], max_rows: int, workers: int, only: list[str]) -> None:
    """One audit in this process; prints its measurements as one JSON line."""
    from ray_scale import PeakMemory  # the same worker-memory sampler as the artefact benchmark

    from synthaudit.api import audit

    engine: dict[str, Any] = {"engine": "ray", "workers": workers} if workers else {}
    started = time.perf_counter()
    with PeakMemory() as memory:
        result = audit(
            real=folders["real"],
            synth=folders["synth"],
            holdout=folders["holdout"],
            target="income",
            sensitive=["sex", "race"],
            max_rows=max_rows,
            only=tuple(only),
            **engine,
        )
    wall = time.perf_counter() - started
    document = json.loads(result.to_json())
    document.pop("run_info")
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    print(
        json.dumps(
            {
                "engine": "ray" if workers else "local",
                "workers": workers,
                "wall_s": round(wall, 1),
                "driver_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "worker_peak_mib": round(max(memory.peaks.values(), default=0) / 2**20),
                "rows_used": {k: v["rows_used"] for k, v in document["inputs"].items()},
                "rows": {k: v["rows"] for k, v in document["inputs"].items()},
                "passed": document["passed"],
                "result_sha256": digest,
            }
        )
    )


def measure(folders: dict[str, Path], max_rows: int, workers: int, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run :func:`_child` in a fresh interpreter (so each peak is its own) and return its measurements.

    ``only``: run just these checks (default: the whole default audit).
    """
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    argv = [sys.executable, __file__, "--child", json.dumps({k: str(v) for k, v in folders.items()}), str(max_rows)]
    out = subprocess.run([*argv, str(workers), json.dumps(list(only))], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"the audit with engine setting {workers} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="0,1,2", help="0 = local engine; N = Ray with N workers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="synthaudit-capped-") as tmp:
        tick = time.perf_counter()
        folders = write_sharded(Path(tmp), args.rows)
        print(f"wrote {args.rows:,} rows per side in {SHARDS} shards in {time.perf_counter() - tick:.0f} s", flush=True)
        runs = []
        for workers in (int(w) for w in args.engines.split(",")):
            runs.append(measure(folders, args.max_rows, workers))
            print(json.dumps(runs[-1]), flush=True)
    summary = {
        "rows": args.rows,
        "max_rows": args.max_rows,
        "shards": SHARDS,
        "load_average": os.getloadavg(),
        "runs": runs,
        "identical_results": len({r["result_sha256"] for r in runs}) == 1,
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if summary["identical_results"] else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))
        sys.exit(0)
    sys.exit(main())
