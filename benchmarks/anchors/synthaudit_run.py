"""Run one synthaudit audit the way an anchor script runs its tool, timed the same way.

Usage: python synthaudit_run.py REAL SYNTH [--holdout H] [--only CHECK ...] [--target T] [--sensitive S ...]
       [--policy JSON]
Prints one JSON line: seconds to import and load, the audit call's wall and CPU seconds, per-check seconds
and CPU seconds, the verdict, and whether a second identical call gave identical JSON (``--twice``).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: no spinning OpenMP threads


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("real")
    parser.add_argument("synth")
    parser.add_argument("--holdout")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--target")
    parser.add_argument("--sensitive", nargs="*", default=[])
    parser.add_argument("--twice", action="store_true")
    parser.add_argument("--policy", help="a policy as inline JSON (e.g. check parameters)")
    args = parser.parse_args()
    from synthaudit import audit

    imported = time.perf_counter() - STARTED
    check_cpu: dict[str, float] = {}
    started_cpu: list[float] = [0.0]

    def on_event(kind: str, payload: dict[str, Any]) -> None:
        if kind == "check_started":
            started_cpu[0] = _cpu()
        elif kind == "check_finished":
            check_cpu[payload["name"]] = _cpu() - started_cpu[0]

    def run() -> Any:
        return audit(
            args.real,
            args.synth,
            holdout=args.holdout,
            only=args.only,
            target=args.target,
            sensitive=args.sensitive,
            policy=json.loads(args.policy) if args.policy else None,
            command_line=[],
            on_event=on_event,
        )

    started, cpu = time.perf_counter(), _cpu()
    result = run()
    wall, cpu = time.perf_counter() - started, _cpu() - cpu
    out = {
        "import": imported,
        "wall": wall,
        "cpu": cpu,
        "end_to_end": imported + wall,
        "timings": result.run_info["timings"],
        "check_cpu": check_cpu,
        "passed": result.passed,
        "statuses": {c.name: c.status.value for c in result.checks_list},
    }
    if args.twice:
        again = run()
        first = json.dumps(result.comparable().to_dict(), sort_keys=True)
        out["stable"] = first == json.dumps(again.comparable().to_dict(), sort_keys=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
