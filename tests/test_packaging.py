"""Packaging: the distribution name, licence and metadata, a warning-free build, and dry runs of the
reusable GitHub Action (action.yml) and the pre-commit hooks (.pre-commit-hooks.yaml)."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest
import yaml

from synthaudit import version as version_module
from synthaudit.version import DISTRIBUTION_NAME, LEGACY_DISTRIBUTION_NAME, tool_version
from tests.conftest import ADULT, ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
BIN = Path(sys.executable).parent
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
"""SHA-256 of the Apache License 2.0 text as published at https://www.apache.org/licenses/LICENSE-2.0.txt."""


# ------------------------------------------------------------------ the distribution
def test_the_distribution_is_synthaudit_toolkit():
    # `synthaudit` on PyPI is an unrelated project; `synthaudit-toolkit` was free (pip: no matching distribution)
    assert PROJECT["name"] == DISTRIBUTION_NAME == "synthaudit-toolkit"
    assert PROJECT["scripts"] == {"synthaudit": "synthaudit.cli:main"}
    assert PROJECT["optional-dependencies"]["all"] == [f"{DISTRIBUTION_NAME}[text]"]
    assert metadata.version(DISTRIBUTION_NAME) == tool_version() == PROJECT["version"]


def test_licence_is_the_apache_2_text_declared_as_an_spdx_expression():
    assert PROJECT["license"] == "Apache-2.0" and PROJECT["license-files"] == ["LICENSE"]
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_SHA256
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]  # PEP 639: the expression only
    assert metadata.metadata(DISTRIBUTION_NAME)["License-Expression"] == "Apache-2.0"


def test_project_metadata():
    assert PROJECT["urls"] and all(url.startswith("https://") for url in PROJECT["urls"].values())
    assert {"synthetic data", "privacy", "fairness"} <= set(PROJECT["keywords"])
    classifiers = set(PROJECT["classifiers"])
    assert {"Typing :: Typed", "Environment :: Console", "Programming Language :: Python :: 3 :: Only"} <= classifiers
    assert "Topic :: Software Development :: Quality Assurance" in classifiers


def test_tool_version_falls_back_to_a_development_install_under_the_old_name(monkeypatch):
    class _EntryPoint:
        def __init__(self, value: str) -> None:
            self.group, self.value = "synthaudit.checks", value

    class _Dist:
        version = "0.0.9"

        def __init__(self, ours: bool) -> None:
            self.entry_points = [_EntryPoint("synthaudit.checks.fidelity.marginals:X" if ours else "other:Y")]

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(version_module.metadata, "version", missing)
    for ours, expected in ((True, "0.0.9"), (False, "0+unknown")):
        monkeypatch.setattr(
            version_module.metadata,
            "distribution",
            lambda name, ours=ours: _Dist(ours) if name == LEGACY_DISTRIBUTION_NAME else missing(name),
        )
        assert tool_version() == expected  # the unrelated PyPI `synthaudit` is never reported as ours
    monkeypatch.setattr(version_module.metadata, "distribution", missing)
    assert tool_version() == "0+unknown"


def test_docs_and_ci_examples_install_the_distribution():
    files = [
        ROOT / "README.md",
        ROOT / "action.yml",
        ROOT / ".pre-commit-hooks.yaml",
        *(ROOT / "examples/ci").glob("*"),
    ]
    installs = []
    for path in files:
        for match in re.finditer(r"pip install[^\n`]*", path.read_text()):
            line = match.group(0)
            assert not re.search(r"""(?<![-\w])synthaudit(?![-\w])(?!\.yaml)""", line), f"{path.name}: {line}"
            installs.append(line)
    assert any(DISTRIBUTION_NAME in line for line in installs)
    workflow = (ROOT / "examples/ci/github-actions.yml").read_text()
    assert f'pip install "{DISTRIBUTION_NAME}[text]"' in workflow
    assert f"pip install {DISTRIBUTION_NAME}" in (ROOT / "README.md").read_text()


def test_build_prints_no_warnings(tmp_path):
    """setuptools builds the wheel and the sdist without a warning (licence table, undeclared templates...)."""
    tree = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("audit", "checks", "reports"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    code = "import setuptools.build_meta as b; print(b.build_wheel('dist')); print(b.build_sdist('dist'))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], cwd=tree, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    output = (done.stdout + done.stderr).replace(str(tmp_path), "<tmp>")  # the test's own name says "warnings"
    assert not re.search(r"(?i)warn|deprecat", output), "\n".join(
        line for line in output.splitlines() if re.search(r"(?i)warn|deprecat", line)
    )
    wheel = next((tree / "dist").glob("synthaudit_toolkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "synthaudit/reports/templates/report.html.j2" in names
    assert "synthaudit/schema/policy.schema.json" in names and "synthaudit/schema/result.schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


# ------------------------------------------------------------------ GitHub Action and pre-commit hooks
@pytest.fixture(scope="module")
def adult_files(tmp_path_factory) -> dict[str, Path]:
    """The bundled Adult example, sampled small."""
    folder = tmp_path_factory.mktemp("adult-small")
    paths = {}
    for name in ("real", "synthetic", "holdout"):
        paths[name] = folder / f"{name}.csv"
        pd.read_csv(ADULT / f"{name}.csv").sample(800, random_state=0).to_csv(paths[name], index=False)
    return paths


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_action_is_a_composite_action_installing_the_distribution():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"real", "synthetic", "holdout", "args", "upload-report"} <= set(action["inputs"])
    assert action["inputs"]["real"]["required"] and action["inputs"]["synthetic"]["required"]
    assert action["inputs"]["package"]["default"] == DISTRIBUTION_NAME
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    install = next(s for s in steps if s.get("name") == "Install synthaudit")
    assert install["run"] == 'python -m pip install "$SYNTHAUDIT_PACKAGE"'
    assert install["env"]["SYNTHAUDIT_PACKAGE"] == "${{ inputs.package }}"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert "always()" in upload["if"] and "inputs.upload-report" in upload["if"]
    # inputs reach shell scripts only through the environment (no ${{ }} pasted into a script)
    for step in steps:
        assert "${{" not in step.get("run", ""), step.get("name")


def _action_step(step_id_or_name: str) -> dict:
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    return next(s for s in steps if step_id_or_name in (s.get("id"), s.get("name")))


def test_action_dry_run(adult_files, tmp_path):
    """Run the action's audit step and gate step, as the runner would, on the Adult example sampled small."""
    audit, gate = _action_step("audit"), _action_step("Apply the gate")
    outputs = tmp_path / "github-output"
    outputs.touch()
    env = _env(
        REAL=str(adult_files["real"]),
        SYNTHETIC=str(adult_files["synthetic"]),
        HOLDOUT=str(adult_files["holdout"]),
        ARGS='--target income --only fidelity.marginals --signoff "Ada Lovelace, Reviewer"',
        REPORT="report.html",
        JSON="result.json",
        GITHUB_OUTPUT=str(outputs),
    )
    env.pop("GITHUB_STEP_SUMMARY", None)
    assert set(audit["env"]) <= set(env)
    done = subprocess.run(["bash", "-c", audit["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # the audit step records the code; the gate step applies it
    recorded = _outputs(outputs)
    assert recorded["exit-code"] == "1" and recorded["passed"] == "false", done.stdout + done.stderr  # capital_gain
    assert "Ada Lovelace, Reviewer" in (tmp_path / "report.html").read_text()  # quoted args stay one word
    import json

    result = json.loads((tmp_path / "result.json").read_text())
    assert [c["name"] for c in result["checks"]] == ["fidelity.marginals"]
    assert result["reference"]["kind"] == "holdout"
    for status, expected in (("1", 1), ("0", 0), ("2", 2)):
        gated = subprocess.run(["bash", "-c", gate["run"]], env=_env(STATUS=status), capture_output=True, text=True)
        assert gated.returncode == expected


def test_action_rejects_unbalanced_quotes_in_args(adult_files, tmp_path):
    outputs = tmp_path / "github-output"
    outputs.touch()
    env = _env(
        REAL=str(adult_files["real"]),
        SYNTHETIC=str(adult_files["synthetic"]),
        HOLDOUT="",
        ARGS='--signoff "Ada',
        REPORT="",
        JSON="",
        GITHUB_OUTPUT=str(outputs),
    )
    done = subprocess.run(
        ["bash", "-c", _action_step("audit")["run"]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and _outputs(outputs)["exit-code"] == "2"
    assert "::error::" in done.stdout


def test_pre_commit_hooks_dry_run(adult_files, tmp_path):
    """Each hook runs `synthaudit check` with the user's args (pre-commit: entry + args, no filenames)."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"synthaudit", "synthaudit-system"}
    args = [
        str(adult_files["real"]),
        str(adult_files["synthetic"]),
        "--only",
        "constraints.schema",
        "--quiet",
        "--no-report",
    ]
    for hook in hooks:
        assert hook["language"] in ("python", "system") and hook["pass_filenames"] is False
        files = re.compile(hook["files"])
        assert files.search("data/synthetic.parquet") and files.search("data/real.csv.gz")
        assert not files.search("README.md") and not files.search("src/model.py")
        command = shlex.split(hook["entry"]) + args
        assert command[:2] == ["synthaudit", "check"]
        command[0] = str(BIN / "synthaudit")
        done = subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "PASSED\n" and done.stderr == ""
        assert not list(tmp_path.glob("*.html"))
