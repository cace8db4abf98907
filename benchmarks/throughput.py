"""Wall time, CPU time, rows/s and peak memory of the default audit, per check, at 10k, 100k and 1M rows.

Each size runs in a fresh subprocess (peak memory is per process). Data: Adult-like 20-column tables from
``benchmarks/data.py`` (real and synthetic ``rows`` each, holdout ``rows // 2``), written to Parquet, so
loading is part of the measurement. Per check: wall seconds, CPU seconds (user + system, every thread),
rows/s (real + synthetic rows over the check's wall time) and the process's peak resident memory during
the check (Linux: the high-water mark is reset before each check; elsewhere the running peak).
The audit is given ``--target income --sensitive sex --sensitive race`` (as ``make demo``), so utility,
downstream fairness and outcome gaps run too; ``--no-target`` leaves them to skip.
Usage: python benchmarks/throughput.py [--sizes 10000 100000 1000000] [--only CHECK ...] [--skip CHECK ...]
       [--no-target]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: no spinning OpenMP threads

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import write_tables

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_NOT_STAGES = ("total_seconds", "checks_seconds")


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _peak_mib() -> float:
    """Peak resident memory (MiB) since the last reset (Linux ``VmHWM``), else since the process started."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")


TARGET = "income"
SENSITIVE = ["sex", "race"]


def _child(real: str, synth: str, holdout: str, only: list[str], skip: list[str], target: bool) -> None:
    from synthaudit import audit

    checks: dict[str, dict[str, float]] = {}
    mark: dict[str, float] = {}

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "check_started":
            _reset_peak()
            mark.update(wall=time.perf_counter(), cpu=_cpu())
        elif kind == "check_finished":
            checks[payload["name"]] = {
                "wall": time.perf_counter() - mark["wall"],
                "cpu": _cpu() - mark["cpu"],
                "peak_mib": _peak_mib(),
                "status": payload["status"],
            }

    started, cpu = time.perf_counter(), _cpu()
    result = audit(
        real,
        synth,
        holdout=holdout,
        only=only,
        skip=skip,
        target=TARGET if target else None,
        sensitive=SENSITIVE if target else [],
        command_line=[],
        on_event=on_event,
    )
    timings = result.run_info["timings"]
    summary = {
        "wall": time.perf_counter() - started,
        "cpu": _cpu() - cpu,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "passed": result.passed,
        "checks": checks,
        "stages": {k: v for k, v in timings.items() if k.endswith("_seconds") and k not in _NOT_STAGES},
    }
    print(json.dumps(summary))


def _measure(rows: int, only: list[str], skip: list[str], target: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_tables(Path(tmp), rows)
        command = [sys.executable, __file__, "--child", *map(str, paths)]
        command += [f"--only={c}" for c in only] + [f"--skip={c}" for c in skip]
        command += [] if target else ["--no-target"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _print(rows: int, data: dict[str, Any]) -> None:
    print(
        f"\n{rows:,} rows (+ {rows // 2:,} holdout): {data['wall']:.1f} s wall, {data['cpu']:.1f} s CPU, "
        f"{2 * rows / data['wall']:,.0f} rows/s, peak {data['peak_mib']:,.0f} MiB, "
        f"verdict {'pass' if data['passed'] else 'fail'}"
    )
    stages = ", ".join(f"{k.removesuffix('_seconds')} {v:.1f} s" for k, v in data["stages"].items())
    print(f"  before the checks: {stages}")
    print(f"  {'check':34s} {'wall s':>8} {'CPU s':>8} {'rows/s':>11} {'peak MiB':>9}  status")
    for name, c in sorted(data["checks"].items(), key=lambda kv: -kv[1]["wall"]):
        rate = f"{2 * rows / c['wall']:,.0f}" if c["wall"] > 0.005 else "-"
        print(f"  {name:34s} {c['wall']:8.2f} {c['cpu']:8.2f} {rate:>11} {c['peak_mib']:9,.0f}  {c['status']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--only", action="append", default=[], help="check or suite to run (repeatable)")
    parser.add_argument("--skip", action="append", default=[], help="check or suite to leave out (repeatable)")
    parser.add_argument(
        "--no-target", action="store_true", help="no target or sensitive columns (utility and fairness skip)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child, args.only, args.skip, not args.no_target)
        return
    given = "no target" if args.no_target else f"--target {TARGET} --sensitive {' '.join(SENSITIVE)}"
    print(
        f"Default audit (holdout given, {given}) of Adult-like 20-column tables; "
        "wall figures depend on the machine's load."
    )
    for rows in args.sizes:
        _print(rows, _measure(rows, args.only, args.skip, not args.no_target))


if __name__ == "__main__":
    main()
