"""Faults: a runaway check becomes ``error`` within its time budget while the rest completes; a check that
exhausts memory is that check's ``error``; Ctrl-C exits 130 with one line and leaves no partial output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit import audit
from synthaudit.check import Check, CheckParams, Suite, info_metric
from synthaudit.context import AuditContext
from synthaudit.errors import PolicyError
from synthaudit.registry import Registry
from synthaudit.result import CheckResult, Status

ROOT = Path(__file__).resolve().parents[2]
_STOPPED = threading.Event()


class _Quick(Check):
    name = "fidelity.quick_probe"
    suite = Suite.FIDELITY
    description = "Counts rows (a fault-test probe)."

    def run(self, ctx: AuditContext) -> CheckResult:
        return self.result(
            metrics=[info_metric("rows", float(len(ctx.real)), direction="higher_is_better")], summary="counted"
        )


class _Runaway(Check):
    """Loops in Python far past any budget; sets ``_STOPPED`` when the runner's stop request reaches it."""

    name = "fidelity.runaway_probe"
    suite = Suite.FIDELITY
    description = "Never finishes (a fault-test probe)."

    def run(self, ctx: AuditContext) -> CheckResult:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                time.sleep(0.01)
            return _Quick().run(ctx)
        finally:
            _STOPPED.set()


class _Greedy(Check):
    name = "fidelity.greedy_probe"
    suite = Suite.FIDELITY
    description = "Asks for more memory than there is (a fault-test probe)."

    def run(self, ctx: AuditContext) -> CheckResult:
        raise MemoryError("Unable to allocate 4.00 PiB for an array with shape (2**49, 2**49)")


def _registry(*classes: type[Check]) -> Registry:
    registry = Registry()
    for cls in classes:
        registry.register(cls, distribution="tests")
    return registry


def _frames(rows: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=rows), "c": rng.choice(list("abc"), size=rows)})
    synth = pd.DataFrame({"x": rng.normal(size=rows), "c": rng.choice(list("abc"), size=rows)})
    return real, synth


def test_a_runaway_check_becomes_error_within_its_budget_and_the_rest_completes() -> None:
    _STOPPED.clear()
    real, synth = _frames()
    started = time.monotonic()
    result = audit(real, synth, registry=_registry(_Runaway, _Quick), policy={"timeout_s": 0.5})
    elapsed = time.monotonic() - started
    runaway = result.checks["fidelity.runaway_probe"]
    assert runaway.status is Status.ERROR and runaway.error is not None
    assert runaway.error.type == "CheckTimeout" and "0.5 s" in runaway.error.message
    assert "timeout_s" in runaway.error.message
    assert result.checks["fidelity.quick_probe"].status is Status.PASS
    assert not result.passed and elapsed < 20
    # the abandoned thread was asked to stop, and stopped at its next Python instruction
    assert _STOPPED.wait(5)
    assert not [t for t in threading.enumerate() if t.name.startswith("synthaudit:")]


def test_a_check_budget_in_its_params_overrides_the_global_one() -> None:
    _STOPPED.clear()
    real, synth = _frames()
    policy = {"timeout_s": 3600, "checks": {"fidelity.runaway_probe": {"params": {"timeout_s": 0.3}}}}
    result = audit(real, synth, registry=_registry(_Runaway, _Quick), policy=policy)
    assert result.checks["fidelity.runaway_probe"].status is Status.ERROR
    assert result.checks["fidelity.runaway_probe"].params["timeout_s"] == 0.3
    assert result.policy["timeout_s"] == 3600
    assert _STOPPED.wait(5)


@pytest.mark.parametrize("policy", [{"timeout_s": 0}, {"timeout_s": -1}, {"checks": {"x.y": {"params": {}}}}])
def test_a_bad_budget_is_a_policy_error(policy: dict[str, object]) -> None:
    real, synth = _frames()
    with pytest.raises(PolicyError):
        audit(real, synth, registry=_registry(_Quick), policy=policy)


def test_the_default_budget_is_generous() -> None:
    real, synth = _frames()
    result = audit(real, synth, registry=_registry(_Quick))
    assert result.policy["timeout_s"] >= 600
    assert CheckParams().timeout_s is None  # a check's own budget defaults to the policy's


def test_a_check_that_exhausts_memory_is_that_checks_error() -> None:
    real, synth = _frames()
    result = audit(real, synth, registry=_registry(_Greedy, _Quick))
    greedy = result.checks["fidelity.greedy_probe"]
    assert greedy.status is Status.ERROR and greedy.error is not None and greedy.error.type == "MemoryError"
    assert result.checks["fidelity.quick_probe"].status is Status.PASS


# ----------------------------------------------------------------- Ctrl-C
_AS_IN_A_TERMINAL = (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)  # a process started in the background "
    "inherits SIGINT ignored, and Python then leaves Ctrl-C ignored: these probes stand for a terminal run"
)

_SLOW_CLI = textwrap.dedent(
    """
    import sys, time
    import synthaudit.registry as registry
    from synthaudit.check import Check, Suite, info_metric

    class Slow(Check):
        name = "fidelity.slow_probe"
        suite = Suite.FIDELITY
        description = "Sleeps (a Ctrl-C probe)."

        def run(self, ctx):
            print("probe-running", file=sys.stderr, flush=True)
            time.sleep(60)
            return self.result(metrics=[info_metric("x", 1.0, direction="higher_is_better")], summary="slept")

    original = registry.load_registry

    def load_registry(**kwargs):
        loaded = original(**kwargs)
        loaded.register(Slow, distribution="tests")
        return loaded

    registry.load_registry = load_registry
    import synthaudit.api
    synthaudit.api.load_registry = load_registry
    from synthaudit.cli import main
    sys.argv = ["synthaudit", *sys.argv[1:]]
    main()
    """
)


def test_ctrl_c_exits_130_with_one_line_and_leaves_no_output(tmp_path: Path) -> None:
    real, synth = _frames(80)
    real.to_csv(tmp_path / "real.csv", index=False)
    synth.to_csv(tmp_path / "synth.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "slow_cli.py"
    script.write_text(_AS_IN_A_TERMINAL + "\n" + _SLOW_CLI)
    command = [
        sys.executable,
        str(script),
        "check",
        str(tmp_path / "real.csv"),
        str(tmp_path / "synth.csv"),
        "--only",
        "fidelity.slow_probe",
        "--json",
        str(out / "r.json"),
        "--report",
        str(out / "r.html"),
        "--junit",
        str(out / "r.xml"),
        "--markdown",
        str(out / "r.md"),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    for line in process.stderr:  # wait until the slow check is running
        lines.append(line)
        if "probe-running" in line or time.monotonic() > deadline:
            break
    assert any("probe-running" in line for line in lines), "".join(lines)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, rest = process.communicate(timeout=60)
    assert process.returncode == 130, (stdout, rest)
    assert time.monotonic() - started < 30  # the wait was interrupted, not the sleep sat out
    assert rest.strip().splitlines() == ["synthaudit: interrupted."]
    assert "Traceback" not in rest and "Traceback" not in stdout
    assert list(out.iterdir()) == []
    assert not (tmp_path / "synthaudit-report.html").exists()


_LOST_WAKEUP = textwrap.dedent(
    """
    import _thread, sys, time
    from synthaudit.check import Check, Suite
    from synthaudit.runner import run_with_budget

    class Interrupting(Check):
        name = "fidelity.interrupting_probe"
        suite = Suite.FIDELITY
        description = "Trips Ctrl-C without a signal, then sleeps (a lost-wakeup probe)."

        def run(self, ctx):
            time.sleep(0.3)  # the main thread is blocked in its wait by now
            _thread.interrupt_main()  # the flag a real SIGINT sets, without waking any wait
            time.sleep(30)

    started = time.monotonic()
    try:
        run_with_budget(Interrupting(), None, 600)  # the probe reads no context
    except KeyboardInterrupt:
        print(f"interrupted after {time.monotonic() - started:.2f}")
    """
)


def test_ctrl_c_that_wakes_no_wait_still_interrupts_a_running_check_promptly(tmp_path: Path) -> None:
    """A Ctrl-C landing just before the runner blocks (the race behind an audit that outlived Ctrl-C by a whole
    check) is simulated exactly: ``interrupt_main`` sets the interrupt flag and sends no signal."""
    script = tmp_path / "lost_wakeup.py"
    script.write_text(_AS_IN_A_TERMINAL + "\n" + _LOST_WAKEUP)
    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("interrupted after "), completed.stdout + completed.stderr
    assert float(completed.stdout.split()[-1]) < 5


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synthaudit import fileio

    target = tmp_path / "result.json"
    target.write_text("old")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fileio.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_outputs_replace_the_previous_file_whole(tmp_path: Path) -> None:
    from synthaudit.fileio import write_text_atomic

    target = tmp_path / "deep" / "r.json"
    write_text_atomic(target, "x" * 100_000)
    write_text_atomic(target, "short")
    assert target.read_text() == "short"
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.json"]


def test_running_out_of_memory_outside_a_check_exits_2_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import synthaudit.engine.local
    from synthaudit.cli import app

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(synthaudit.engine.local, "load_table", exhausted)  # the engine reads the inputs
    real, synth = _frames()
    real.to_csv(tmp_path / "real.csv", index=False)
    synth.to_csv(tmp_path / "synth.csv", index=False)
    done = CliRunner().invoke(app, ["check", str(tmp_path / "real.csv"), str(tmp_path / "synth.csv"), "--no-report"])
    assert done.exit_code == 2 and "Traceback" not in done.output
    last = done.output.strip().splitlines()[-1]
    assert last.startswith("synthaudit: error: out of memory") and "--max-rows" in last
