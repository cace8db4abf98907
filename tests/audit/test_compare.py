"""``synthaudit compare``: regressions between two saved results of the same audit.

Real results come from ``synthaudit.audit`` on seeded Adult samples with three fast checks; the policy
rules (margins, thresholds, status changes) are pinned on small hand-built results.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthaudit import audit
from synthaudit.cli import ExitCode, app
from synthaudit.compare import RegressionPolicy, compare_results, ensure_comparable, load_result
from synthaudit.errors import InputError
from synthaudit.result import AuditResult, CheckResult, GateDecision, Metric, Status
from tests.conftest import inject_exact_copies

ONLY = ["leakage.exact_copies", "leakage.dcr", "fidelity.marginals"]
runner = CliRunner()


# ----------------------------------------------------------------- real results on Adult
@pytest.fixture(scope="module")
def adult(adult_split):
    """Real, holdout and two independent clean synthetic samples (one generator, two seeds) of Adult."""
    real, holdout, synth = adult_split(11, real=8000, holdout=4000, synth=8000)
    return real, holdout, synth.iloc[:4000].reset_index(drop=True), synth.iloc[4000:].reset_index(drop=True)


def run(real: pd.DataFrame, synth: pd.DataFrame, holdout: pd.DataFrame | None, **kwargs) -> AuditResult:
    return audit(real, synth, holdout, only=ONLY, seed=0, **kwargs)


class Releases(dict):
    """Saved results of four releases, audited when first asked for (each test pays only for what it uses):
    ``baseline`` and ``clean`` (two seeds of one clean generator), ``copies`` (5 % training rows copied),
    ``tail`` (``capital_gain`` clipped at its 90th percentile)."""

    def __init__(self, adult):
        super().__init__()
        self.adult = adult

    def __missing__(self, name: str) -> AuditResult:
        real, holdout, first, second = self.adult
        cap = second["capital_gain"].quantile(0.90)
        synth = {
            "baseline": first,
            "clean": second,
            "copies": inject_exact_copies(second, real, 0.05, seed=1),
            "tail": second.assign(capital_gain=second["capital_gain"].clip(upper=cap)),
        }[name]
        self[name] = run(real, synth, holdout)
        return self[name]


@pytest.fixture(scope="module")
def results(adult):
    return Releases(adult)


@pytest.fixture(scope="module")
def files(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    paths = {}
    for name in ("baseline", "clean", "copies"):
        paths[name] = out / f"{name}.json"
        results[name].to_json(str(paths[name]))
    return paths


def rows(comparison):
    return {(m.check, m.metric): m for m in comparison.metrics}


def test_two_clean_seeds_of_one_generator_are_no_regression(results):
    comparison = compare_results(results["baseline"], results["clean"])
    assert not comparison.regressed, comparison.regressions
    assert len(comparison.metrics) == 5
    assert all(m.basis == "standard_error" and abs(m.z) < 3 for m in comparison.metrics), comparison.metrics
    assert all(not c.regression for c in comparison.checks)
    assert not comparison.gate_regression


def test_release_copying_training_rows_is_a_regression(results):
    comparison = compare_results(results["baseline"], results["copies"])
    assert comparison.regressed
    by = rows(comparison)
    copy = by["leakage.exact_copies", "exact_copy_rate"]
    assert copy.verdict == "worse" and copy.regression and copy.z > 10
    assert copy.change == pytest.approx(0.05, abs=0.005)
    assert by["leakage.dcr", "dcr_close_share"].z > 3
    assert by["fidelity.marginals", "worst_column_distance"].verdict == "unchanged"
    text = " ".join(comparison.regressions)
    assert "leakage.exact_copies exact_copy_rate" in text and "leakage.dcr" in text
    assert "leakage.exact_copies: status pass → fail." in comparison.regressions
    assert comparison.gate_regression


def test_release_that_lost_a_tail_is_a_marginals_regression(results):
    comparison = compare_results(results["baseline"], results["tail"])
    assert comparison.regressed
    distance = rows(comparison)["fidelity.marginals", "worst_column_distance"]
    assert distance.verdict == "worse" and distance.z > 3
    assert any(r.startswith("fidelity.marginals worst_column_distance") for r in comparison.regressions)
    assert not any(r.startswith("leakage.") for r in comparison.regressions), comparison.regressions


def test_improvement_is_not_a_regression(results):
    comparison = compare_results(results["copies"], results["baseline"])
    assert not comparison.regressed, comparison.regressions
    assert rows(comparison)["leakage.exact_copies", "exact_copy_rate"].verdict == "better"


def test_comparison_is_deterministic_json(results, tmp_path):
    first = compare_results(results["baseline"], results["copies"]).to_json(tmp_path / "a.json")
    second = compare_results(results["baseline"], results["copies"]).to_json()
    assert first == second
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["regressed"] is True and data["schema_version"] == "1.0"
    assert list(data) == sorted(data)


def test_different_roles_are_refused(adult, results):
    real, holdout, _, second = adult
    fewer_columns = run(real, second, holdout, columns=["age", "education", "sex", "capital_gain", "income"])
    with pytest.raises(InputError, match=r"columns or their roles differ .*only in the baseline: .*fnlwgt"):
        compare_results(results["baseline"], fewer_columns)


def test_different_reference_kind_is_refused(adult, results):
    real, _, _, second = adult
    without_holdout = run(real, second, None)
    assert without_holdout.reference["kind"] == "split"
    with pytest.raises(InputError, match=r"reference kinds differ \('holdout' .* 'split'"):
        compare_results(results["baseline"], without_holdout)


def test_different_major_version_is_refused(results):
    newer = replace(results["clean"], tool_version="1.0.0")
    with pytest.raises(InputError, match="different \\(or unreadable\\) major versions"):
        ensure_comparable(results["baseline"], newer)
    ensure_comparable(results["baseline"], replace(results["clean"], tool_version="0.9.3"))  # same major: fine


# ----------------------------------------------------------------- the command line
def invoke(*args):
    return runner.invoke(app, ["compare", *map(str, args)])


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def test_cli_clean_seeds_exit_0(files):
    result = invoke(files["baseline"], files["clean"])
    assert result.exit_code == ExitCode.PASSED, result.output
    assert "NO REGRESSION" in result.output


def test_cli_end_to_end_copies_exit_1_with_outputs(adult, tmp_path, monkeypatch):
    """`check --json` twice, then `compare` writes JSON, Markdown and HTML and exits 1."""
    real, holdout, first, second = adult
    releases = {"real": real, "holdout": holdout, "v1": first, "v2": inject_exact_copies(second, real, 0.05)}
    for name, frame in releases.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    monkeypatch.chdir(tmp_path)
    for release in ("v1", "v2"):
        args = f"check real.csv {release}.csv --holdout holdout.csv --quiet --no-report --json {release}.json".split()
        checked = runner.invoke(app, [*args, *(f"--only={c}" for c in ONLY)])
        assert checked.exit_code in (0, 1), checked.output
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "out"
    result = invoke(
        "v1.json", "v2.json", "--json", out / "c.json", "--markdown", out / "c.md", "--report", out / "c.html"
    )
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "REGRESSION" in result.output and "exact_copy_rate" in result.output
    markdown = (out / "c.md").read_text()
    assert "| Check | Metric | Baseline | Current | Change | z | Verdict |" in markdown
    assert "| leakage.exact\\_copies | exact\\_copy\\_rate |" in markdown and "worse (regression)" in markdown
    assert summary.read_text().strip() == markdown.strip()
    data = json.loads((out / "c.json").read_text())
    assert data["regressed"] is True and data["current"]["label"].endswith("v2.json")
    page = (out / "c.html").read_text()
    assert "Content-Security-Policy" in page and "<script" not in page and "exact_copy_rate" in page


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (("--sigma", "1000", "--status-rule", "off", "--ignore-gate"), ExitCode.PASSED),
        (("--sigma", "1000"), ExitCode.FAILED),  # still a regression: checks went from pass to fail
        (("--status-rule", "sometimes"), ExitCode.USAGE_ERROR),
        (("--sigma", "0"), ExitCode.USAGE_ERROR),
    ],
)
def test_cli_policy_flags(files, args, exit_code):
    result = invoke(files["baseline"], files["copies"], *args)
    assert result.exit_code == exit_code, result.output


def test_cli_refuses_mismatched_results_with_the_reason(files, results, tmp_path):
    newer = tmp_path / "newer.json"
    replace(results["clean"], tool_version="2.0.0").to_json(str(newer))
    other_roles = tmp_path / "roles.json"
    roles = {**results["clean"].columns["roles"], "age": "categorical"}
    replace(results["clean"], columns={**results["clean"].columns, "roles": roles}).to_json(str(other_roles))
    split = tmp_path / "split.json"
    replace(results["clean"], reference={**results["clean"].reference, "kind": "split"}).to_json(str(split))
    for path, needle in ((newer, "major versions"), (other_roles, "age: numeric vs categorical"), (split, "--holdout")):
        result = invoke(files["baseline"], path)
        assert result.exit_code == ExitCode.USAGE_ERROR, result.output
        assert needle in " ".join(result.output.split()) and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a synthaudit JSON result"),
        ('{"passed": true}', "is not a synthaudit JSON result"),
        ('{"format": "synthaudit.trend/1", "generations": [], "quantities": []}', "is a `synthaudit trend` result"),
    ],
)
def test_cli_unreadable_result_exits_2_naming_the_file(files, tmp_path, content, needle):
    bad = tmp_path / "broken-result.json"
    if content is not None:
        bad.write_text(content)
    result = invoke(files["baseline"], bad)
    assert result.exit_code == ExitCode.USAGE_ERROR, result.output
    output = " ".join(result.output.split())
    assert needle in output and "broken-result.json" in output and "Traceback" not in output


# ----------------------------------------------------------------- the rules, on hand-built results
def make_result(
    checks: list[CheckResult], *, passed: bool = True, version: str = "1.2.0", roles: dict | None = None
) -> AuditResult:
    """A minimal result: the given checks, a gate verdict, holdout reference."""
    return AuditResult(
        passed=passed,
        gate=GateDecision(passed=passed),
        checks_list=tuple(checks),
        inputs={},
        policy={},
        seed=0,
        tool_version=version,
        reference={"kind": "holdout"},
        columns={"roles": roles or {"a": "numeric", "b": "categorical"}},
    )


def make_check(
    name: str = "leakage.toy",
    value: float = 0.01,
    *,
    status: Status = Status.PASS,
    se: float | None = 0.001,
    threshold: float = 0.02,
    params: dict | None = None,
    metric: str = "copy_rate",
) -> CheckResult:
    gating = Metric(
        name=metric,
        value=value,
        direction="lower_is_better",
        reference_value=0.0,
        threshold=threshold,
        warn_threshold=threshold / 2,
        gating=True,
        passed=value <= threshold,
        standard_error=se,
    )
    return CheckResult(
        name=name, suite=name.split(".")[0], status=status, summary="s", metrics=(gating,), params=params or {}
    )


def test_z_is_the_worsening_over_the_combined_standard_error():
    comparison = compare_results(
        make_result([make_check(value=0.010, se=0.003)]), make_result([make_check(value=0.030, se=0.004)])
    )
    (row,) = comparison.metrics
    assert row.standard_error == pytest.approx(0.005) and row.z == pytest.approx(4.0) and row.verdict == "worse"
    looser = compare_results(
        make_result([make_check(value=0.010, se=0.003)]),
        make_result([make_check(value=0.030, se=0.004)]),
        RegressionPolicy(sigma=5.0),
    )
    assert looser.metrics[0].verdict == "unchanged"


def test_higher_is_better_metric_falling_is_worse():
    def check(value):
        metric = Metric(
            "recall",
            value,
            "higher_is_better",
            reference_value=0.8,
            threshold=0.6,
            gating=True,
            passed=value >= 0.6,
            standard_error=0.01,
        )
        return CheckResult("diversity.toy", "diversity", Status.PASS, "s", metrics=(metric,))

    (row,) = compare_results(make_result([check(0.8)]), make_result([check(0.7)])).metrics
    assert row.change == pytest.approx(-0.1) and row.worsening == pytest.approx(0.1) and row.z > 3


def test_without_standard_error_the_margin_over_its_multiplier_is_the_scale():
    params = {"copy_margin": {"warn_se": 3.0, "fail_se": 5.0, "warn_floor": 0.001, "fail_floor": 0.02}}
    base = make_check(value=0.0, se=0.0, params=params)
    (row,) = compare_results(make_result([base]), make_result([make_check(value=0.012, se=0.0, params=params)])).metrics
    assert row.basis == "margin" and row.standard_error == pytest.approx(0.02 / 5) and row.z == pytest.approx(3.0)
    assert row.verdict == "unchanged"  # exactly 3 is not beyond 3
    two = {**params, "identifier_margin": {"warn_se": 2.0, "fail_se": 4.0, "warn_floor": 0, "fail_floor": 0}}
    (row,) = compare_results(
        make_result([make_check(value=0.0, se=None, params=two)]),
        make_result([make_check(value=0.02, se=None, params=two)]),
    ).metrics
    assert row.basis == "margin" and row.z == pytest.approx(5.0)  # copy_margin, named in copy_rate


def test_without_standard_error_or_margin_only_crossing_the_threshold_counts():
    crossed = compare_results(
        make_result([make_check(value=0.0, se=None)]), make_result([make_check(value=0.03, se=None)])
    )
    assert crossed.metrics[0].basis == "threshold" and crossed.metrics[0].z is None
    assert crossed.metrics[0].verdict == "worse" and crossed.regressed
    inside = compare_results(
        make_result([make_check(value=0.0, se=None)]), make_result([make_check(value=0.019, se=None)])
    )
    assert inside.metrics[0].verdict == "unchanged" and not inside.regressed


@pytest.mark.parametrize(
    ("before", "after", "rule", "regression"),
    [
        (Status.PASS, Status.WARN, "warn", True),
        (Status.WARN, Status.FAIL, "warn", True),
        (Status.PASS, Status.SKIPPED, "warn", True),
        (Status.PASS, Status.ERROR, "fail", True),
        (Status.PASS, Status.WARN, "fail", False),
        (Status.WARN, Status.PASS, "warn", False),
        (Status.SKIPPED, Status.FAIL, "warn", False),
        (Status.PASS, Status.FAIL, "off", False),
    ],
)
def test_status_rules(before, after, rule, regression):
    comparison = compare_results(
        make_result([make_check(status=before)]),
        make_result([make_check(status=after)]),
        RegressionPolicy(status_rule=rule, gate=False),
    )
    assert comparison.checks[0].regression is regression
    assert comparison.regressed is regression  # the metric itself did not move
    assert comparison.checks[0].reason == f"{before.value} → {after.value}"


def test_gate_rule_and_checks_missing_or_new():
    baseline = make_result([make_check("leakage.a"), make_check("leakage.b")])
    current = make_result([make_check("leakage.a"), make_check("fidelity.c")], passed=False)
    comparison = compare_results(baseline, current)
    assert comparison.gate_regression and "the gate went from passed to failed." in comparison.regressions
    assert "leakage.b: status pass → absent." in comparison.regressions
    verdicts = {(m.check, m.verdict) for m in comparison.metrics}
    assert ("leakage.b", "gone") in verdicts and ("fidelity.c", "new") in verdicts
    assert not compare_results(baseline, current, RegressionPolicy(gate=False, status_rule="off")).regressed


def test_no_check_in_common_or_unparsable_version_is_refused():
    with pytest.raises(InputError, match="no check in common"):
        compare_results(make_result([make_check("leakage.a")]), make_result([make_check("leakage.b")]))
    with pytest.raises(InputError, match="major versions"):
        compare_results(make_result([make_check()]), make_result([make_check()], version="dev"))


def test_load_result_round_trips_and_names_bad_files(tmp_path: Path):
    result = make_result([make_check()])
    path = tmp_path / "r.json"
    result.to_json(str(path))
    assert load_result(path) == result
    (tmp_path / "d").mkdir()
    with pytest.raises(InputError, match=r"cannot read the result file .*d'"):
        load_result(tmp_path / "d")
