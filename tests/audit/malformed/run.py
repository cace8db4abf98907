"""A catalogue of malformed and adversarial inputs for every ``synthaudit`` command, built at test time.

Each :class:`Case` writes its files into a fresh directory and returns the command line (after ``synthaudit``);
:func:`judge` runs the verdict every case must meet: an exit code the case allows (``2`` for bad input or
usage, ``0``/``1`` for valid-but-odd input; never ``3``), no traceback, any JSON written strict (no NaN /
Infinity), nothing half-written (no output at all after exit ``2``, no temporary file left anywhere).

Run as a script to put every case through a real process (network blocked) and print the table::

    .venv/bin/python -m tests.audit.malformed [NAME-SUBSTRING ...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.audit.malformed.builders import (
    OUT,
    Case,
)
from tests.audit.malformed.cases_files import FILE_CASES
from tests.audit.malformed.cases_usage import USAGE_CASES

CATALOGUE: list[Case] = [*FILE_CASES, *USAGE_CASES]


# ----------------------------------------------------------------- the verdict
@dataclass(frozen=True, slots=True)
class Outcome:
    case: str
    code: int
    problems: tuple[str, ...]
    seconds: float
    output: str


def _reject(constant: str) -> object:
    raise ValueError(f"non-strict JSON constant {constant}")


def _outputs(tmp: Path) -> set[Path]:
    folder = tmp / OUT
    return {p for p in folder.rglob("*")} if folder.exists() else set()


def judge(case: Case, code: int, output: str, tmp: Path, before: set[Path]) -> tuple[str, ...]:
    """Every problem with one run (empty: the case is handled as documented)."""
    problems = []
    if code not in case.expect:
        problems.append(f"exit {code}, expected {'/'.join(map(str, case.expect))}")
    if "Traceback" in output:
        problems.append("traceback")
    if code == 2 and "synthaudit: error: " not in output and "Usage:" not in output:
        problems.append("exit 2 without a 'synthaudit: error:' or usage message")
    created = _outputs(tmp) - before
    if code == 2 and any(p.is_file() for p in created):
        problems.append(f"exit 2 but wrote {sorted(p.name for p in created if p.is_file())}")
    leftovers = [p.name for p in (*tmp.rglob(".*.tmp"), *tmp.rglob(".*.partial"))]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    for path in created:
        if path.suffix == ".json" and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject)
            except ValueError as exc:
                problems.append(f"{path.name} is not strict JSON ({exc})")
                continue
            checks = loaded.get("checks", []) if isinstance(loaded, dict) else []
            errors = [c.get("name") for c in checks if isinstance(c, dict) and c.get("status") == "error"]
            if errors:
                problems.append(f"checks ended in error: {errors}")
    return tuple(problems)


_LAUNCHER = """
import socket, sys
def _blocked(*args, **kwargs):
    raise OSError("network access is blocked in the malformed-input catalogue")
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
from synthaudit.cli import main
sys.argv = ["synthaudit", *sys.argv[1:]]
main()
"""


def run_in_process(case: Case, tmp: Path) -> Outcome:
    """Through typer's test runner (fast; stdout and stderr mixed)."""
    from typer.testing import CliRunner

    from synthaudit.cli import app

    args = case.build(tmp)
    (tmp / OUT).mkdir(exist_ok=True)
    before = _outputs(tmp)
    started = time.perf_counter()
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    seconds = time.perf_counter() - started
    problems = judge(case, result.exit_code, result.output, tmp, before)
    return Outcome(case.name, result.exit_code, problems, seconds, result.output)


def run_in_subprocess(case: Case, tmp: Path, timeout: float = 300) -> Outcome:
    """Through a real process with the network blocked (what a CI job runs)."""
    args = case.build(tmp)
    (tmp / OUT).mkdir(exist_ok=True)
    before = _outputs(tmp)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args], capture_output=True, text=True, timeout=timeout, cwd=tmp, env=env
    )
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    return Outcome(case.name, done.returncode, judge(case, done.returncode, output, tmp, before), seconds, output)


def main(argv: list[str]) -> int:
    """Run the catalogue (or the cases whose names contain one of ``argv``) in subprocesses; print the table."""
    import shutil
    import tempfile

    chosen = [c for c in CATALOGUE if not argv or any(a.lower() in c.name.lower() for a in argv)]
    failed = 0
    print("| # | input | exit | expected | s | problems |")
    print("|---|---|---|---|---|---|")
    for number, case in enumerate(chosen, start=1):
        tmp = Path(tempfile.mkdtemp(prefix="synthaudit-catalogue-"))
        try:
            outcome = run_in_subprocess(case, tmp)
        except Exception as exc:  # the harness itself (a case's files or command line): still one row
            outcome = Outcome(case.name, -1, (f"harness error {type(exc).__name__}: {exc}",), 0.0, "")
        finally:
            for path in tmp.rglob("*"):
                if not path.is_symlink():
                    os.chmod(path, 0o755)
            shutil.rmtree(tmp, ignore_errors=True)
        failed += bool(outcome.problems)
        expected = "/".join(map(str, case.expect))
        print(
            f"| {number} | {case.name} | {outcome.code} | {expected} | {outcome.seconds:.1f} | "
            f"{'; '.join(outcome.problems) or 'ok'} |",
            flush=True,
        )
        if outcome.problems:
            tail = outcome.output.strip().splitlines()[-6:]
            print("    " + "\n    ".join(line[:300] for line in tail), file=sys.stderr, flush=True)
    print(f"\n{len(chosen) - failed}/{len(chosen)} cases handled as documented", flush=True)
    return 1 if failed else 0
