"""synthaudit beside the tools users would pick instead, on the same work, in the same run (``make bench``).

The anchors run in their own virtual environments (made by ``make bench``; never runtime dependencies).
Three comparisons, each printing wall and CPU seconds of both sides and the wall-time ratio:

- fidelity at 100k rows (Adult-like, ``benchmarks/data.py``): ``fidelity.marginals`` + ``fidelity.pairwise``
  against SDMetrics' QualityReport, end to end (import, read the CSVs, compute) and compute only; and whether
  each side gives the same answer twice;
- distance to closest record + membership on the Adult example (32k rows, 16k holdout):
  ``leakage.dcr`` + ``leakage.membership`` against SDMetrics' DCRBaselineProtection and
  DCROverfittingProtection on their 5,000-row subsample;
- the privacy attacks on the Adult example: ``leakage.inference`` (secrets income, sex, race),
  ``leakage.linkability`` and ``leakage.rare_records`` against Anonymeter's inference, linkability and
  singling-out evaluators at the same number of targets (``max_targets``, 3,000).

Wall figures depend on the machine's load; CPU seconds (user + system) less so.
Usage: python benchmarks/anchors.py [--sdmetrics-python PATH] [--anonymeter-python PATH] [--rows N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import ADULT, adult_like

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "anchors"
TARGETS = 3000
"""Targets per side of synthaudit's attacks (their default ``max_targets``), given to Anonymeter as n_attacks."""


def _run(python: str, script: str, *args: object) -> dict[str, Any] | None:
    """Run an anchor script with ``python``; its last stdout line as JSON, or ``None`` (reason printed)."""
    if not Path(python).exists():
        print(f"  (skipped: {python} missing; `make bench` creates it)")
        return None
    done = subprocess.run([python, str(HERE / script), *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        print(f"  ({script} failed: {last})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ours(*args: object) -> dict[str, Any]:
    result = _run(sys.executable, "synthaudit_run.py", *args)
    if result is None:
        raise SystemExit("synthaudit itself failed; see above")
    return result


def _checks(result: dict[str, Any], names: list[str]) -> tuple[float, float]:
    """Summed wall and CPU seconds of ``names`` in a synthaudit run."""
    seconds = result["timings"]["checks_seconds"]
    return sum(seconds.get(n, 0.0) for n in names), sum(result["check_cpu"].get(n, 0.0) for n in names)


def fidelity(sdmetrics: str, rows: int) -> None:
    names = ["fidelity.marginals", "fidelity.pairwise"]
    print(f"== fidelity at {rows:,} rows: {' + '.join(names)} vs SDMetrics QualityReport")
    with tempfile.TemporaryDirectory() as tmp:
        real, synth = Path(tmp) / "real.csv", Path(tmp) / "synth.csv"
        adult_like(rows, 0).to_csv(real, index=False)
        adult_like(rows, 1).to_csv(synth, index=False)
        ours = _ours(real, synth, "--only", *names, "--twice")
        theirs = _run(sdmetrics, "sdmetrics_quality.py", real, synth)
    wall, cpu = _checks(ours, names)
    print(
        f"  synthaudit: end to end {ours['end_to_end']:.2f} s (import {ours['import']:.2f}, audit {ours['wall']:.2f} s "
        f"wall, {ours['cpu']:.2f} s CPU; the two checks {wall:.2f} s wall, {cpu:.2f} s CPU); identical JSON twice: "
        f"{ours['stable']}"
    )
    if theirs:
        first, second = theirs["runs"]
        end_to_end = theirs["load"] + first["wall"]
        print(
            f"  SDMetrics: end to end {end_to_end:.2f} s (import + load {theirs['load']:.2f}, "
            f"report {first['wall']:.2f} s wall, {first['cpu']:.2f} s CPU); "
            f"score {first['score']:.4f} then {second['score']:.4f} (stable: {theirs['stable']})"
        )
        print(
            f"  ratio SDMetrics / synthaudit: end to end {end_to_end / ours['end_to_end']:.1f}x, "
            f"compute {first['wall'] / ours['wall']:.1f}x, CPU {first['cpu'] / ours['cpu']:.1f}x  (target >= 3x)"
        )


SDMETRICS_SUBSAMPLE = 5000
"""Rows SDMetrics' DCR metrics search (their ``num_rows_subsample``), each against the whole other table."""


def distances(sdmetrics: str) -> None:
    names = ["leakage.dcr", "leakage.membership"]
    real, synth, holdout = ADULT / "real.csv", ADULT / "synthetic.csv", ADULT / "holdout.csv"
    print("== DCR + membership, Adult 32k + 16k holdout vs SDMetrics DCR metrics (5,000-row subsample)")
    ours = _ours(real, synth, "--holdout", holdout, "--only", *names)
    wall, cpu = _checks(ours, names)
    print(
        f"  synthaudit, defaults (every synthetic and holdout row searched, 10,000 membership candidates a side): "
        f"the two checks {wall:.2f} s wall, {cpu:.2f} s CPU (audit {ours['wall']:.2f} s, end to end "
        f"{ours['end_to_end']:.2f} s); {ours['statuses']}"
    )
    # the same work as SDMetrics: 5,000 rows searched per side, each against the whole other table
    matched_policy = {
        "checks": {
            "leakage.dcr": {"params": {"max_queries": SDMETRICS_SUBSAMPLE}},
            "leakage.membership": {"params": {"max_candidates": SDMETRICS_SUBSAMPLE}},
        }
    }
    matched = _ours(real, synth, "--holdout", holdout, "--only", *names, "--policy", json.dumps(matched_policy))
    matched_wall, matched_cpu = _checks(matched, names)
    print(
        f"  synthaudit, SDMetrics' work ({SDMETRICS_SUBSAMPLE:,} rows searched per side, each against the whole "
        f"table): the two checks {matched_wall:.2f} s wall, {matched_cpu:.2f} s CPU; {matched['statuses']}"
    )
    theirs = _run(sdmetrics, "sdmetrics_dcr.py", real, synth, holdout)
    if theirs:
        their_wall = sum(v["wall"] for v in theirs.values())
        their_cpu = sum(v["cpu"] for v in theirs.values())
        detail = ", ".join(f"{k} {v['wall']:.1f} s (score {v['score']:.3f})" for k, v in theirs.items())
        print(f"  SDMetrics: {their_wall:.1f} s wall, {their_cpu:.1f} s CPU: {detail}")
        print(
            f"  ratio SDMetrics / synthaudit checks, defaults: wall {their_wall / wall:.0f}x, CPU "
            f"{their_cpu / cpu:.0f}x; same work: wall {their_wall / matched_wall:.0f}x, CPU "
            f"{their_cpu / matched_cpu:.0f}x  (target >= 100x)"
        )


def attacks(anonymeter: str) -> None:
    names = ["leakage.inference", "leakage.linkability", "leakage.rare_records"]
    real, synth, holdout = ADULT / "real.csv", ADULT / "synthetic.csv", ADULT / "holdout.csv"
    secrets = ["income", "sex", "race"]
    print(f"== privacy attacks, Adult 32k + 16k holdout, {TARGETS:,} targets per side vs Anonymeter")
    ours = _ours(
        real, synth, "--holdout", holdout, "--only", *names, "--target", "income", "--sensitive", "sex", "race"
    )
    wall, cpu = _checks(ours, names)
    per = ", ".join(f"{n} {ours['timings']['checks_seconds'][n]:.2f} s" for n in names)
    print(f"  synthaudit: {wall:.2f} s wall, {cpu:.2f} s CPU ({per}); {ours['statuses']}")
    theirs = _run(anonymeter, "anonymeter_attacks.py", real, synth, holdout, TARGETS, *secrets)
    if theirs:
        their_wall = sum(v["wall"] for v in theirs.values())
        their_cpu = sum(v["cpu"] for v in theirs.values())
        detail = ", ".join(f"{k} {v['wall']:.1f} s (risk {v['risk']:.3f})" for k, v in theirs.items())
        print(f"  Anonymeter: {their_wall:.1f} s wall, {their_cpu:.1f} s CPU: {detail}")
        print(
            f"  ratio Anonymeter / synthaudit: wall {their_wall / wall:.1f}x, CPU {their_cpu / cpu:.1f}x "
            "(target >= 10x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdmetrics-python", default=str(ROOT / ".venv-sdmetrics" / "bin" / "python"))
    parser.add_argument("--anonymeter-python", default=str(ROOT / ".venv-anonymeter" / "bin" / "python"))
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the fidelity comparison")
    parser.add_argument("--only", nargs="*", default=["fidelity", "distances", "attacks"])
    args = parser.parse_args()
    if "fidelity" in args.only:
        fidelity(args.sdmetrics_python, args.rows)
    if "distances" in args.only:
        distances(args.sdmetrics_python)
    if "attacks" in args.only:
        attacks(args.anonymeter_python)


if __name__ == "__main__":
    main()
