"""How often an independent clean sample passes the whole default audit (DESIGN: at least 99 % of seeds).

Draws disjoint uniform samples (real, holdout, synthetic) from the pooled UCI Adult rows for many seeds,
runs the default audit on each, and prints the pass rate overall and per check, with and without a
holdout. Usage: python benchmarks/clean_pass_rate.py [--seeds 200] [--real 2000] [--candidate 1000]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: no spinning OpenMP threads

import argparse
import collections
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthaudit import audit

ADULT = Path(__file__).resolve().parents[1] / "examples" / "adult"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--real", type=int, default=2000)
    parser.add_argument("--candidate", type=int, default=1000)
    args = parser.parse_args()
    population = pd.concat(
        [pd.read_csv(ADULT / "real.csv", engine="pyarrow"), pd.read_csv(ADULT / "holdout.csv", engine="pyarrow")],
        ignore_index=True,
    )
    for with_holdout in (True, False):
        passed = 0
        status_counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        started = time.perf_counter()
        for seed in range(args.seeds):
            order = np.random.default_rng(10_000 + seed).permutation(len(population))
            n, m = args.real, args.candidate
            real = population.iloc[order[:n]].reset_index(drop=True)
            holdout = population.iloc[order[n : n + m]].reset_index(drop=True)
            synth = population.iloc[order[n + m : n + 2 * m]].reset_index(drop=True)
            result = audit(real, synth, holdout if with_holdout else None, seed=seed, command_line=[])
            passed += result.passed
            for check in result.checks_list:
                status_counts[check.name][check.status.value] += 1
        elapsed = time.perf_counter() - started
        label = "holdout" if with_holdout else "split (no holdout)"
        print(
            f"reference={label}: {passed}/{args.seeds} clean samples passed ({passed / args.seeds:.1%}), "
            f"real={args.real} candidate={args.candidate}, {elapsed:.1f} s"
        )
        for name, counts in sorted(status_counts.items()):
            print(f"  {name:28s} {dict(counts)}")


if __name__ == "__main__":
    main()
