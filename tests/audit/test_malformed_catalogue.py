"""The malformed and adversarial input catalogue (tests/audit/malformed/) through every command.

Each case must exit as documented (2 with a one-line message for bad input or usage, 0/1 for valid but odd
input, never 3), print no traceback, write strict JSON with no check in ``error``, and leave nothing
half-written. The cases run in this process (typer's runner); one also runs in a real process with the network
blocked, as a CI job would. ``python -m tests.audit.malformed`` runs them all in real processes.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import synthaudit.api
import synthaudit.registry
from synthaudit.cli_support import write_each
from synthaudit.errors import InputError
from tests.audit.malformed.builders import OUT, Case
from tests.audit.malformed.run import CATALOGUE, run_in_process, run_in_subprocess

BY_NAME = {case.name: case for case in CATALOGUE}


@pytest.fixture(scope="module", autouse=True)
def _registry_once() -> Iterator[None]:
    """Discover the installed checks once (reading every distribution's metadata is 40 % of a small case)."""
    original = synthaudit.registry.load_registry
    loaded: dict[tuple[tuple[str, Any], ...], synthaudit.registry.Registry] = {}

    def load_registry(**kwargs: Any) -> synthaudit.registry.Registry:
        key = tuple(sorted(kwargs.items()))
        if key not in loaded:
            loaded[key] = original(**kwargs)
        return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synthaudit.registry, "load_registry", load_registry)
        patch.setattr(synthaudit.api, "load_registry", load_registry)
        yield


def _param(case: Case) -> object:
    return pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.slow else [])


@pytest.mark.parametrize("case", [_param(case) for case in CATALOGUE])
def test_catalogue_case(tmp_path: Path, case: Case) -> None:
    outcome = run_in_process(case, tmp_path)
    assert not outcome.problems, f"{case.name}: {'; '.join(outcome.problems)}\n{outcome.output[-3000:]}"


def test_a_real_process_exits_2_with_one_line(tmp_path: Path) -> None:
    outcome = run_in_subprocess(BY_NAME["parquet binary column of raw bytes"], tmp_path)
    assert not outcome.problems, outcome.output
    lines = [line for line in outcome.output.splitlines() if line.strip()]
    assert lines[-1].startswith("synthaudit: error: ") and "Traceback" not in outcome.output


def test_an_output_linked_to_a_device_writes_through_and_keeps_the_device(tmp_path: Path) -> None:
    """A regression replaced the link (or, given the device path, the device itself) with a regular file."""
    outcome = run_in_process(BY_NAME["--json through a symlink to /dev/null"], tmp_path)
    assert not outcome.problems, outcome.output
    assert (tmp_path / OUT / "linked").is_symlink()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_output_linked_to_a_file_replaces_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    outcome = run_in_process(BY_NAME["--report through a symlink to a file"], tmp_path)
    assert not outcome.problems, outcome.output
    assert (tmp_path / OUT / "linked.html").is_symlink()
    assert (tmp_path / "elsewhere" / "r.html").read_text(encoding="utf-8").startswith("<!")


def test_outputs_are_written_all_or_none(tmp_path: Path) -> None:
    def fails(path: Path) -> None:
        raise OSError(28, "No space left on device")

    first = tmp_path / "r.json"
    with pytest.raises(InputError, match="cannot write the HTML report"):
        write_each([("JSON result", first, lambda p: p.write_text("{}")), ("HTML report", tmp_path / "r.html", fails)])
    assert list(tmp_path.iterdir()) == []
    write_each([("JSON result", first, lambda p: p.write_text("{}"))], quiet=True)
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_the_catalogue_is_broad() -> None:
    assert len(CATALOGUE) >= 150 and len({case.name for case in CATALOGUE}) == len(CATALOGUE)
    assert sum(case.slow for case in CATALOGUE) <= 3


@pytest.mark.slow
def test_the_script_runs_a_case_in_a_real_process(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.audit.malformed", "trend: two generations"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1/1 cases handled as documented" in done.stdout
