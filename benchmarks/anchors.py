"""synthaudit beside the anchors it replaces, on the bundled UCI Adult example, in the same run.

The anchors run in their own virtual environments (made by ``make bench``; never runtime dependencies):
SDMetrics' QualityReport (fidelity) and DCRBaselineProtection (leakage, 5,000-row subsample), and
Anonymeter's SinglingOutEvaluator (500 attacks; it pins numpy < 1.27, hence its own environment).
Prints wall-time ratios, whether SDMetrics' score is stable across two identical runs, and verdicts.
Usage: python benchmarks/anchors.py [--sdmetrics-python PATH] [--anonymeter-python PATH]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: no spinning OpenMP threads

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "examples" / "adult"
HERE = Path(__file__).resolve().parent / "anchors"


def _anchor(python: str, script: str, *args: Path) -> dict[str, object] | None:
    if not Path(python).exists():
        print(f"  (skipped: {python} missing; run `make bench` to create it)")
        return None
    done = subprocess.run([python, str(HERE / script), *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  (failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _synthaudit(only: list[str]) -> tuple[float, float, object]:
    from synthaudit import audit

    started = time.perf_counter()
    result = audit(
        ADULT / "real.csv",
        ADULT / "synthetic.csv",
        holdout=ADULT / "holdout.csv",
        only=only,
        target="income",
        command_line=[],
    )
    wall = time.perf_counter() - started
    check_time = sum(result.run_info["timings"]["checks_seconds"].values())
    return wall, check_time, result


def _print_checks(result: object) -> None:
    seconds = result.run_info["timings"]["checks_seconds"]  # type: ignore[attr-defined]
    for check in result.checks_list:  # type: ignore[attr-defined]
        print(f"    {check.name:28s} {check.status.value:7s} {seconds[check.name]:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sdmetrics-python", default=str(ROOT / ".venv-sdmetrics" / "bin" / "python"))
    parser.add_argument("--anonymeter-python", default=str(ROOT / ".venv-anonymeter" / "bin" / "python"))
    args = parser.parse_args()
    real, synth, holdout = ADULT / "real.csv", ADULT / "synthetic.csv", ADULT / "holdout.csv"

    print("== fidelity: synthaudit fidelity + constraints suites vs SDMetrics QualityReport")
    wall, checks, result = _synthaudit(["fidelity", "constraints"])
    first = json.dumps(result.comparable().to_dict(), sort_keys=True)
    _, _, again = _synthaudit(["fidelity", "constraints"])
    stable = first == json.dumps(again.comparable().to_dict(), sort_keys=True)
    print(
        f"  synthaudit: {wall:.1f} s wall, {checks:.1f} s of check time, verdict "
        f"{'pass' if result.passed else 'fail'}, identical JSON across two runs: {stable}"
    )
    _print_checks(result)
    sdm = _anchor(args.sdmetrics_python, "sdmetrics_quality.py", real, synth)
    if sdm:
        runs = sdm["runs"]
        print(
            f"  SDMetrics QualityReport: {runs[0]['wall']:.1f} s wall, {runs[0]['cpu']:.1f} s CPU, score "
            f"{runs[0]['score']:.4f} then {runs[1]['score']:.4f} (stable: {sdm['stable']}); "
            f"wall-time ratio SDMetrics/synthaudit {runs[0]['wall'] / wall:.2f}"
        )

    print("== leakage: synthaudit leakage suite vs SDMetrics DCRBaselineProtection and Anonymeter singling-out")
    wall, checks, result = _synthaudit(["leakage"])
    print(
        f"  synthaudit: {wall:.1f} s wall, {checks:.1f} s of check time, verdict {'pass' if result.passed else 'fail'}"
    )
    _print_checks(result)
    dcr = _anchor(args.sdmetrics_python, "sdmetrics_dcr.py", real, synth)
    if dcr:
        ours = result.run_info["timings"]["checks_seconds"].get("leakage.dcr", float("nan"))
        print(
            f"  SDMetrics DCRBaselineProtection (5,000-row subsample): {dcr['wall']:.1f} s, score {dcr['score']}; "
            f"ratio to leakage.dcr {dcr['wall'] / ours:.1f}x"
        )
    so = _anchor(args.anonymeter_python, "anonymeter_singling_out.py", real, synth, holdout)
    if so:
        ours = result.run_info["timings"]["checks_seconds"].get("leakage.rare_records", float("nan"))
        verdict = result.checks.get("leakage.rare_records")
        print(
            f"  Anonymeter singling-out (500 attacks): {so['wall']:.1f} s, risk {so['risk']:.3f} CI {so['ci']}; "
            f"leakage.rare_records {ours:.2f} s ({so['wall'] / ours:.0f}x faster), "
            f"its verdict {verdict.status.value if verdict else 'n/a'}"
        )


if __name__ == "__main__":
    sys.exit(main())
