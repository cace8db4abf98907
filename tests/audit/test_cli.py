from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthaudit.cli import ExitCode, app
from tests.conftest import ADULT, inject_exact_copies

runner = CliRunner()

PLUGIN_SOURCE = textwrap.dedent(
    '''
    from typing import ClassVar
    from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric


    class RowCountCheck(Check):
        """Synthetic row count close to the real one (a throw-away plugin for the tests)."""

        name: ClassVar[str] = "fidelity.row_count_plugin"
        suite: ClassVar[Suite] = Suite.FIDELITY
        description: ClassVar[str] = "Row counts of both sides are similar."
        meaning: ClassVar[str] = "Ratio of synthetic to real rows; near 1 is good."
        gating_metrics: ClassVar[tuple[str, ...]] = ("row_ratio_gap",)

        def run(self, ctx):
            gap = abs(len(ctx.synth) / len(ctx.real) - 1.0)
            metric = gated_metric("row_ratio_gap", value=gap, reference=0.0, standard_error=0.0,
                                  margin=Margin(warn_floor=0.5, fail_floor=0.9), direction="lower_is_better",
                                  value_range=(0.0, None))
            return self.result(metrics=[metric], summary=f"row ratio gap {gap:.2f}")
    '''
)


def install_fake_plugin(
    tmp_path: Path, monkeypatch, *, target: str | None = None, name: str = "fidelity.row_count_plugin"
):
    """Install a throw-away distribution with a ``synthaudit.checks`` entry point on ``sys.path``."""
    (tmp_path / "fake_synthaudit_plugin.py").write_text(PLUGIN_SOURCE)
    dist = tmp_path / "fake_synthaudit_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-synthaudit-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[synthaudit.checks]\n{name} = {target or 'fake_synthaudit_plugin:RowCountCheck'}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_synthaudit_plugin", raising=False)


@pytest.fixture(scope="module")
def clean_files(tmp_path_factory, adult_population):
    """Independent clean samples written as CSV files: real, holdout, synthetic."""
    out = tmp_path_factory.mktemp("clean")
    order = np.random.default_rng(42).permutation(len(adult_population))
    parts = {"real": order[:6000], "holdout": order[6000:9000], "synth": order[9000:12000]}
    paths = {}
    for label, rows in parts.items():
        paths[label] = out / f"{label}.csv"
        adult_population.iloc[rows].to_csv(paths[label], index=False)
    return paths


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path, monkeypatch):
    """`synthaudit check` writes synthaudit-report.html into the working directory by default."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def invoke(*args: str):
    return runner.invoke(app, list(map(str, args)))


@pytest.mark.parametrize("seed", ["0", "1", "2"])
def test_independent_sample_exits_0(clean_files, seed):
    result = invoke("check", clean_files["real"], clean_files["synth"], "--seed", seed)
    assert result.exit_code == ExitCode.PASSED, result.output
    assert "PASSED" in result.output


def test_copied_rows_exit_1(clean_files, tmp_path):
    real = pd.read_csv(clean_files["real"])
    synth = inject_exact_copies(pd.read_csv(clean_files["synth"]), real, 0.05)
    leaky = tmp_path / "leaky.csv"
    synth.to_csv(leaky, index=False)
    result = invoke("check", clean_files["real"], leaky, "--holdout", clean_files["holdout"])
    assert result.exit_code == ExitCode.FAILED
    assert "leakage.exact_copies" in result.output


def test_json_output_schema(clean_files, tmp_path):
    out = tmp_path / "r.json"
    result = invoke(
        "check", clean_files["real"], clean_files["synth"], "--holdout", clean_files["holdout"], "--json", out
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for key in (
        "schema_version",
        "passed",
        "inputs",
        "policy",
        "seed",
        "tool_version",
        "reference",
        "run_info",
        "checks",
    ):
        assert key in data
    assert data["inputs"]["real"]["sha256"] and data["inputs"]["real"]["rows"] == 6000
    assert data["reference"]["kind"] == "holdout"
    check = data["checks"][0]
    for key in (
        "name",
        "suite",
        "status",
        "summary",
        "meaning",
        "params",
        "sample_sizes",
        "metrics",
        "tables",
        "figures",
        "skipped_reason",
        "error",
        "waiver",
    ):
        assert key in check
    metric = next(c for c in data["checks"] if c["metrics"])["metrics"][0]
    for key in (
        "name",
        "value",
        "reference_value",
        "threshold",
        "warn_threshold",
        "direction",
        "value_range",
        "gating",
        "passed",
    ):
        assert key in metric


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda d: d / "missing.csv", "does not exist"),
        (lambda d: _write(d / "empty.csv", b""), "empty"),
        (lambda d: _write(d / "other.csv", b"x,y\n1,2\n3,4\n"), "no column name in common"),
        (lambda d: _write(d / "bad.csv", b"age,sex\n1,Male\n2,Female,extra\n3,Male\n"), "line 3"),
        (lambda d: _write(d / "latin.csv", "age,sex\n1,Fémale\n".encode("latin-1")), "--encoding"),
    ],
)
def test_bad_input_exits_2_with_one_paragraph(clean_files, tmp_path, make, needle):
    synth = make(tmp_path)
    result = invoke("check", clean_files["real"], synth)
    assert result.exit_code == ExitCode.USAGE_ERROR, result.output
    assert needle in result.output
    assert str(Path(synth).name) in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("side", ["real", "synth", "holdout"])
def test_too_few_rows_exit_2_naming_the_file_and_count(clean_files, tmp_path, side):
    files = dict(clean_files)
    one_row = tmp_path / f"one_{side}.csv"
    pd.read_csv(clean_files[side]).head(1).to_csv(one_row, index=False)
    files[side] = one_row
    result = invoke("check", files["real"], files["synth"], "--holdout", files["holdout"])
    assert result.exit_code == ExitCode.USAGE_ERROR, result.output
    assert one_row.name in result.output and "1 data row" in result.output and "at least 20" in result.output
    assert "Traceback" not in result.output


def test_swapped_real_and_synthetic_exit_1(clean_files, tmp_path):
    poor = tmp_path / "poor.csv"
    pd.read_csv(ADULT / "synthetic.csv").sample(3000, random_state=1).to_csv(poor, index=False)
    result = invoke("check", poor, clean_files["real"], "--holdout", clean_files["holdout"], "--only", "leakage")
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "swapped" in result.output


def test_unknown_policy_key_exits_2(clean_files, tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text("fail_on_warm: true\n")
    result = invoke("check", clean_files["real"], clean_files["synth"], "--config", policy)
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "fail_on_warm" in result.output and "fail_on_warn" in result.output


def test_missing_target_column_exits_2(clean_files):
    result = invoke("check", clean_files["real"], clean_files["synth"], "--target", "incme")
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "Did you mean 'income'" in result.output


def test_column_only_in_synthetic_fails_schema_not_input(clean_files, tmp_path):
    synth = pd.read_csv(clean_files["synth"]).assign(extra=1)
    path = tmp_path / "extra.csv"
    synth.to_csv(path, index=False)
    result = invoke("check", clean_files["real"], path)
    assert result.exit_code == ExitCode.FAILED
    assert "constraints.schema" in result.output


def test_only_and_skip(clean_files):
    result = invoke("check", clean_files["real"], clean_files["synth"], "--only", "fidelity", "--verbose")
    assert result.exit_code == 0
    assert "fidelity.marginals" in result.output and "leakage.exact_copies" not in result.output


def test_plugin_is_listed_and_run(clean_files, tmp_path, monkeypatch):
    install_fake_plugin(tmp_path, monkeypatch)
    listed = invoke("checks")
    assert listed.exit_code == 0, listed.output
    assert "fidelity.row_count_plugin" in listed.output and "fake-synthaudit-plugin" in listed.output
    out = tmp_path / "r.json"
    ran = invoke("check", clean_files["real"], clean_files["synth"], "--json", out)
    assert ran.exit_code == 0, ran.output
    checks = {c["name"]: c for c in json.loads(out.read_text())["checks"]}
    assert checks["fidelity.row_count_plugin"]["status"] == "pass"
    assert checks["fidelity.row_count_plugin"]["provider"] == "fake-synthaudit-plugin 0.1"


def test_init_writes_a_valid_policy(tmp_path, clean_files):
    path = tmp_path / "synthaudit.yaml"
    assert invoke("init", path).exit_code == 0
    assert "fidelity.marginals" in path.read_text()
    assert invoke("init", path).exit_code == ExitCode.USAGE_ERROR  # no silent overwrite
    result = invoke("check", clean_files["real"], clean_files["synth"], "--config", path)
    assert result.exit_code == 0, result.output


def test_report_rerenders_saved_json(clean_files, tmp_path):
    out = tmp_path / "r.json"
    invoke("check", clean_files["real"], clean_files["synth"], "--json", out)
    result = invoke("report", out, "--report", tmp_path / "again.html", "--junit", tmp_path / "j.xml")
    assert result.exit_code == 0 and "PASSED" in result.output
    assert "<html" in (tmp_path / "again.html").read_text() and (tmp_path / "j.xml").exists()
    assert invoke("report", tmp_path / "nope.json").exit_code == ExitCode.USAGE_ERROR


def test_internal_error_exits_3(clean_files, monkeypatch):
    import synthaudit.api

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(synthaudit.api, "audit", boom)
    result = invoke("check", clean_files["real"], clean_files["synth"])
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert "simulated bug" in result.output and "bug" in result.output


def test_help_is_fast_and_imports_no_heavy_library():
    code = (
        "import sys, time; t = time.perf_counter(); from synthaudit.cli import app; "
        "from typer.testing import CliRunner; r = CliRunner().invoke(app, ['--help']); "
        "assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'great_expectations', 'evidently', "
        "'fairlearn', 'sklearn', 'pandas') if m in sys.modules]; print(heavy, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    heavy, seconds = out.rsplit(" ", 1)
    assert heavy == "[]"
    assert float(seconds) < 1.0


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_adult_example_runs(tmp_path):
    out = tmp_path / "adult.json"
    result = invoke(
        "check",
        ADULT / "real.csv",
        ADULT / "synthetic.csv",
        "--holdout",
        ADULT / "holdout.csv",
        "--target",
        "income",
        "--sensitive",
        "sex",
        "--max-rows",
        "6000",
        "--json",
        out,
    )
    assert result.exit_code in (0, 1), result.output
    data = json.loads(out.read_text())
    assert data["inputs"]["synthetic"]["rows"] == 32561
    assert data["inputs"]["synthetic"]["rows_used"] == 6000


def test_check_writes_default_report_and_every_requested_output(clean_files, tmp_path, monkeypatch):
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = invoke(
        "check",
        clean_files["real"],
        clean_files["synth"],
        "--junit",
        "j.xml",
        "--markdown",
        "s.md",
        "--signoff",
        "Ada Lovelace, Reviewer",
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "synthaudit-report.html").read_text()
    assert "Ada Lovelace, Reviewer" in html and "Content-Security-Policy" in html
    assert "<testsuite" in (tmp_path / "j.xml").read_text()
    assert "PASSED" in (tmp_path / "s.md").read_text().upper()
    assert summary.read_text() == (tmp_path / "s.md").read_text() + "\n"


def test_unwritable_output_exits_2(clean_files, tmp_path):
    (tmp_path / "blocked").write_text("a file, not a directory")
    result = invoke("check", clean_files["real"], clean_files["synth"], "--report", "blocked/r.html")
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "cannot write the HTML report" in result.output


def test_export_expectations_writes_the_derived_suite(clean_files, tmp_path):
    out = tmp_path / "suite.json"
    result = invoke("check", clean_files["real"], clean_files["synth"], "--export-expectations", out)
    assert result.exit_code == 0, result.output
    suite = json.loads(out.read_text())
    types = {e["type"] for e in suite["expectations"]}
    assert "expect_column_values_to_be_between" in types and "expect_column_values_to_be_in_set" in types
