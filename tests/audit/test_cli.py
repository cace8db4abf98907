from __future__ import annotations

import json
import re
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


# ------------------------------------------------------------ issue 15: CLI, progress, quiet
FAST = ("--only", "constraints.schema", "--max-rows", "1500")


def _help(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_version_prints_the_installed_version():
    from synthaudit.version import DISTRIBUTION_NAME, tool_version

    for flag in ("--version", "-V"):
        result = invoke(flag)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"synthaudit {tool_version()} ")
        assert DISTRIBUTION_NAME in result.stdout
    assert tool_version() != "0+unknown"


def test_help_renders_flags_as_flags_and_lists_choices():
    check_help = _help("check")
    assert "<bool>" not in check_help and "<bool>" not in _help() and "<bool>" not in _help("checks")
    lines = {line.split()[1]: line for line in check_help.splitlines() if line.startswith("│ --")}
    for flag in ("--quiet", "--no-report", "--fail-on-warn", "--full", "--no-cache", "--help"):
        assert flag in lines, flag
    assert "<default|strict>" in lines["--preset"]
    assert "<classification|regression>" in lines["--task"]
    assert "<path>" in lines["--report"] and "synthaudit-report.html" in lines["--report"]
    root = _help()
    assert "--version" in root and "--install-completion" in root


@pytest.mark.parametrize(("option", "value"), [("--preset", "lenient"), ("--task", "ranking")])
def test_a_value_outside_the_choices_exits_2(clean_files, option, value):
    result = invoke("check", clean_files["real"], clean_files["synth"], option, value)
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert value in result.output


def test_choices_reach_the_audit(clean_files, tmp_path):
    out = tmp_path / "r.json"
    result = invoke("check", clean_files["real"], clean_files["synth"], *FAST, "--preset", "strict", "--json", out)
    assert result.exit_code in (0, 1), result.output
    assert json.loads(out.read_text())["policy"]["preset"] == "strict"


def test_preset_choices_match_the_policy():
    import typing

    from synthaudit.cli import Preset
    from synthaudit.policy import Policy

    assert {p.value for p in Preset} == set(typing.get_args(Policy.model_fields["preset"].annotation))


def test_no_report_writes_no_html(clean_files, tmp_path):
    result = invoke("check", clean_files["real"], clean_files["synth"], *FAST, "--no-report")
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob("*.html"))
    assert "HTML report" not in result.output


def test_report_and_no_report_together_exit_2(clean_files, tmp_path):
    result = invoke("check", clean_files["real"], clean_files["synth"], *FAST, "--no-report", "--report", "r.html")
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "--no-report" in result.output and not (tmp_path / "r.html").exists()


def test_checks_json_lists_every_installed_check():
    from synthaudit.registry import load_registry

    result = invoke("checks", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    registry = load_registry()
    assert [r["name"] for r in records] == sorted(registry.classes)
    for record in records:
        cls = registry.classes[record["name"]]
        assert record["suite"] == cls.suite.value and record["description"] == cls.description
        assert record["needs"] == sorted(n.value for n in cls.needs)
        assert record["gating_metrics"] == list(cls.gating_metrics)
        assert record["params"] == cls.Params().model_dump(mode="json")
        assert record["distribution"] and record["version"]


def test_progress_lines_when_stderr_is_not_a_terminal(clean_files):
    result = invoke(
        "check", clean_files["real"], clean_files["synth"], "--only", "constraints", "--max-rows", "1500", "--no-report"
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    progress = [line for line in lines if " [" in line and "/2] " in line]
    assert len(progress) == 2, result.stderr
    names = ["constraints.expectations", "constraints.schema"]
    for position, (line, name) in enumerate(zip(progress, names, strict=True), 1):
        # "12:03:05 [1/2] constraints.expectations … pass, 0.4 s"
        assert re.fullmatch(rf"\d\d:\d\d:\d\d \[{position}/2\] {re.escape(name)} … pass, \d+\.\d s", line), line
    assert "PASSED" in result.stdout and "PASSED" not in result.stderr


def test_quiet_prints_the_verdict_only(clean_files, tmp_path):
    result = invoke("check", clean_files["real"], clean_files["synth"], *FAST, "--quiet", "--json", "r.json")
    assert result.exit_code == 0, result.output
    assert result.stdout == "PASSED\n" and result.stderr == ""
    assert (tmp_path / "r.json").exists() and (tmp_path / "synthaudit-report.html").exists()


def _text_tables(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "river", "mountain", "city", "market", "price", "growth", "team"]
    paths = []
    for name in ("real", "synth"):
        frame = pd.DataFrame({"text": [" ".join(rng.choice(words, 12)) for _ in range(60)], "x": rng.normal(size=60)})
        paths.append(folder / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    return paths[0], paths[1]


@pytest.mark.parametrize("quiet", [False, True])
def test_piped_run_shows_progress_lines_and_no_library_bars(tmp_path, quiet):
    """A CI log (stderr piped to a file): plain progress lines, no model-loading bar; --quiet: the verdict only."""
    from synthaudit.embeddings import EmbeddingOptions, embeddings_unavailable_reason

    if embeddings_unavailable_reason(EmbeddingOptions()) is not None:
        pytest.skip("the text extra (sentence-transformers and the default model) is not installed")
    real, synth = _text_tables(tmp_path)
    command = [sys.executable, "-m", "synthaudit", "check", str(real), str(synth), "--text", "text"]
    command += ["--only", "diversity.embedding", "--no-report", "--no-cache", *(["--quiet"] if quiet else [])]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert "Loading weights" not in done.stderr and "\r" not in done.stderr
    if quiet:
        assert done.stderr == ""
        assert done.stdout in ("PASSED\n", "FAILED\n")
    else:
        assert re.search(r"^\d\d:\d\d:\d\d \[1/1\] diversity\.embedding … \w+, \d+\.\d s$", done.stderr, re.M)
        assert re.search(r"^\d\d:\d\d:\d\d   embedding texts", done.stderr, re.M), done.stderr
