"""Wall time, rows/s and peak memory of the default audit at 10k, 100k and 1M rows.

Each size runs in a fresh subprocess (peak RSS is per process). Data: rows resampled from the UCI Adult
example with small numeric jitter, written to Parquet, so loading is part of the measurement.
Usage: python benchmarks/throughput.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: no spinning OpenMP threads

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ADULT = Path(__file__).resolve().parents[1] / "examples" / "adult"


def _make(path: Path, rows: int, seed: int) -> None:
    import numpy as np
    import pandas as pd

    population = pd.read_csv(ADULT / "real.csv", engine="pyarrow")
    rng = np.random.default_rng(seed)
    frame = population.iloc[rng.integers(0, len(population), rows)].reset_index(drop=True)
    for column in ("fnlwgt", "hours_per_week", "age"):
        frame[column] = frame[column] + rng.normal(0, 1, rows)
    frame.to_parquet(path, index=False)


def _child(real: str, synth: str, holdout: str) -> None:
    from synthaudit import audit

    started = time.perf_counter()
    result = audit(real, synth, holdout=holdout, command_line=[])
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "peak_mib": peak_mib,
                "passed": result.passed,
                "checks": result.run_info["timings"]["checks_seconds"],
                "load": result.run_info["timings"]["load_seconds"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    print(f"{'rows':>9} {'wall s':>8} {'rows/s':>10} {'peak MiB':>9}  per-check seconds")
    for rows in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            paths = [Path(tmp) / f"{name}.parquet" for name in ("real", "synth", "holdout")]
            for seed, path in enumerate(paths):
                _make(path, rows if path.stem != "holdout" else rows // 2, seed)
            out = subprocess.run(
                [sys.executable, __file__, "--child", *map(str, paths)], capture_output=True, text=True, check=True
            ).stdout
            data = json.loads(out.strip().splitlines()[-1])
            per_check = ", ".join(f"{k} {v:.2f}" for k, v in data["checks"].items())
            print(
                f"{rows:>9} {data['wall']:>8.2f} {2 * rows / data['wall']:>10.0f} {data['peak_mib']:>9.0f}  "
                f"load {data['load']:.2f}, {per_check}"
            )


if __name__ == "__main__":
    main()
