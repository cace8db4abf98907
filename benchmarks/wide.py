"""Wall time and peak memory of the default audit on wide or long mixed frames, per check.

Makes seeded real / holdout / synthetic frames of C columns × R rows (about 60 % numeric, 30 % categorical
of 2 to 31 levels, 5 % boolean, 5 % datetime, some missing values; plus a binary ``target`` and a 3-level
``group`` used as target and sensitive column) from a latent factor model; the synthetic frame is a draw of
a perturbed copy of that model (loadings and means jittered). Then runs the full default audit through the
API and prints, per check, its seconds, its status, and the peak resident memory of the process while it
ran (a sampling thread reads /proc/self/statm every 20 ms; the whole process's peak comes from
``resource.getrusage``).

``--isolate`` runs every check alone in its own subprocess with its own wall-clock limit (``--check-timeout``),
so one runaway check neither hides the others nor keeps burning CPU behind them; the per-check peak is then
that subprocess's ``ru_maxrss`` (loading and encoding included).

Usage::

    python benchmarks/wide.py --columns 5000 --rows 100
    python benchmarks/wide.py --columns 100 --rows 100000 --isolate --check-timeout 300
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
import threading
import time
from pathlib import Path
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------- data
def _kind(j: int) -> str:
    slot = j % 20
    if slot < 12:
        return "numeric"
    if slot < 18:
        return "categorical"
    return "boolean" if slot == 18 else "datetime"


def make_frames(columns: int, rows: int, seed: int = 0) -> dict[str, Any]:
    """{"real", "holdout", "synthetic"} frames of ``columns`` mixed columns (+ target, group) × ``rows``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    factors = min(10, max(1, columns))
    loadings = rng.normal(0, 1, (factors, columns)) / np.sqrt(factors)
    means = rng.normal(0, 3, columns)
    scales = rng.uniform(0.5, 5.0, columns)
    cuts = {j: np.sort(rng.normal(0, 1, 1 + (j * 7) % 30)) for j in range(columns) if _kind(j) == "categorical"}
    base_date = np.datetime64("2020-01-01")

    def draw(n: int, stream: int, perturb: bool) -> pd.DataFrame:
        r = np.random.default_rng([seed, stream])
        w, mu = loadings, means
        if perturb:  # a generator that learnt the distribution imperfectly
            w = loadings + r.normal(0, 0.1, loadings.shape)
            mu = means + r.normal(0, 0.05, columns) * scales
        latent = r.normal(0, 1, (n, factors)) @ w + r.normal(0, 0.6, (n, columns))
        data: dict[str, Any] = {}
        for j in range(columns):
            z = latent[:, j]
            kind = _kind(j)
            if kind == "numeric":
                values = mu[j] + scales[j] * z
                if j % 7 == 0:
                    values[r.random(n) < 0.02] = np.nan
                data[f"num_{j}"] = values
            elif kind == "categorical":
                levels = np.searchsorted(cuts[j], z)
                data[f"cat_{j}"] = pd.array([f"c{level}" for level in levels], dtype="string")
            elif kind == "boolean":
                data[f"bool_{j}"] = z > 0
            else:
                days = np.round(mu[j] * 30 + z * 200).astype("int64")
                data[f"date_{j}"] = base_date + days.astype("timedelta64[D]")
        first = latent[:, 0] if columns else r.normal(0, 1, n)
        data["target"] = np.where(first + r.normal(0, 1, n) > 0, "yes", "no")
        data["group"] = np.array(["a", "b", "c"])[np.searchsorted([-0.5, 0.7], r.normal(0, 1, n))]
        return pd.DataFrame(data)

    return {"real": draw(rows, 1, False), "holdout": draw(rows, 2, False), "synthetic": draw(rows, 3, True)}


# ----------------------------------------------------------------------------- measurement
class _RssSampler:
    """Peak resident memory of this process per named span, sampled every 20 ms."""

    def __init__(self, events: str | None = None) -> None:
        self.events = events
        self.current: str | None = None
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * _PAGE

    def _loop(self) -> None:
        while not self._stop.wait(0.02):
            name = self.current
            if name is not None:
                self.peaks[name] = max(self.peaks.get(name, 0), self.rss())

    def on_event(self, event: str, payload: dict[str, Any]) -> None:
        line = json.dumps({"event": event, **payload, "rss_mib": self.rss() / 2**20})
        print(line, file=sys.stderr, flush=True)
        if self.events:
            with open(self.events, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        if event == "check_started":
            self.current = payload["name"]
            self.peaks[self.current] = self.rss()
        elif event == "check_finished":
            self.peaks[payload["name"]] = max(self.peaks.get(payload["name"], 0), self.rss())
            self.current = None

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _child(directory: str, only: list[str], skip: list[str], events: str | None) -> None:
    import pandas as pd

    from synthaudit import audit

    frames = {name: pd.read_parquet(Path(directory) / f"{name}.parquet") for name in ("real", "holdout", "synthetic")}
    started = time.perf_counter()
    with _RssSampler(events) as sampler:
        result = audit(
            frames["real"],
            frames["synthetic"],
            holdout=frames["holdout"],
            target="target",
            sensitive=["group"],
            only=only,
            skip=skip,
            on_event=sampler.on_event,
            command_line=[],
            policy={"timeout_s": 3600},
        )
    wall = time.perf_counter() - started
    timings = result.run_info["timings"]
    print(
        json.dumps(
            {
                "wall": wall,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "load": {k: v for k, v in timings.items() if k not in ("checks_seconds", "total_seconds")},
                "checks": {
                    r.name: {
                        "seconds": timings["checks_seconds"].get(r.name, 0.0),
                        "status": r.status.value,
                        "peak_mib": sampler.peaks.get(r.name, 0) / 2**20,
                        "summary": (r.summary or "")[:160],
                    }
                    for r in result.checks_list
                },
            }
        )
    )


def _check_names() -> list[str]:
    from synthaudit.registry import load_registry

    return sorted(load_registry().classes)


def _run(
    directory: str, only: list[str], skip: list[str], limit: float | None, events: str | None = None
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        directory,
        *([f"--events={events}"] if events else []),
        *(f"--only={name}" for name in only),
        *(f"--skip={name}" for name in skip),
    ]
    started = time.perf_counter()
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired as exc:
        events = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return {"timeout": True, "wall": time.perf_counter() - started, "stderr": events[-4000:]}
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        return {"failed": out.returncode, "stderr": out.stderr[-2000:], "wall": time.perf_counter() - started}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--columns", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", default=[], help="run only these checks (repeatable)")
    parser.add_argument("--skip", action="append", default=[], help="leave these checks out (repeatable)")
    parser.add_argument("--timeout", type=float, default=None, help="wall limit of the whole audit (s)")
    parser.add_argument("--isolate", action="store_true", help="one subprocess per check")
    parser.add_argument("--check-timeout", type=float, default=600.0, help="wall limit per isolated check (s)")
    parser.add_argument("--json", help="also write the measurements to this file")
    parser.add_argument("--events", help="append progress events (JSON lines) to this file as checks run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.only, args.skip, args.events)
        return
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for name, frame in make_frames(args.columns, args.rows, args.seed).items():
            frame.to_parquet(Path(tmp) / f"{name}.parquet", index=False)
        print(f"{args.columns} columns × {args.rows} rows: frames made in {time.perf_counter() - started:.1f} s")
        if args.isolate:
            report: dict[str, Any] = {"checks": {}}
            for name in [n for n in args.only or _check_names() if n not in args.skip]:
                data = _run(tmp, [name], [], args.check_timeout, args.events)
                entry = data.get("checks", {}).get(name, {})
                if "timeout" in data:
                    entry = {"status": f"killed after {args.check_timeout:g} s", "seconds": data["wall"]}
                elif "failed" in data:
                    entry = {"status": f"crashed ({data['failed']})", "seconds": data["wall"], "stderr": data["stderr"]}
                entry["process_wall"] = data["wall"]
                entry["process_peak_mib"] = data.get("peak_mib", float("nan"))
                report["checks"][name] = entry
                print(
                    f"  {name:32} {entry.get('seconds', 0):8.1f} s  {entry['process_peak_mib']:8.0f} MiB  "
                    f"{entry.get('status', '?')}",
                    flush=True,
                )
        else:
            report = _run(tmp, args.only, args.skip, args.timeout, args.events)
            if "checks" not in report:
                print(json.dumps(report, indent=1))
                raise SystemExit(1)
            print(f"audit {report['wall']:.1f} s wall, peak {report['peak_mib']:.0f} MiB; load {report['load']}")
            for name, entry in sorted(report["checks"].items(), key=lambda kv: -kv[1]["seconds"]):
                print(f"  {name:32} {entry['seconds']:8.1f} s  {entry['peak_mib']:8.0f} MiB  {entry['status']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
