from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from synthaudit.reports.terminal import _headline, render_summary, severity_order
from synthaudit.result import AuditResult, GateDecision, Status
from tests.reports.test_html import build_hostile_result, load_adult_result


@pytest.fixture(scope="module")
def adult() -> AuditResult:
    return load_adult_result()


def _render(result: AuditResult, width: int = 80, verbose: bool = False) -> str:
    buffer = io.StringIO()
    render_summary(result, Console(file=buffer, width=width, color_system=None), verbose=verbose)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_fits_the_terminal_and_never_shortens_a_name(adult, width):
    text = _render(adult, width)
    assert max(len(line) for line in text.splitlines()) <= width
    for check in adult.checks_list:
        assert check.name in text
        metric = _headline(check)
        if metric is not None:
            assert metric.name in text


def test_checks_are_ordered_by_severity(adult):
    text = _render(adult, 120)
    table = text.split("reference:")[0]
    positions = [table.index(c.name + " ") for c in severity_order(adult.checks_list)]
    assert positions == sorted(positions)
    statuses = [c.status for c in severity_order(adult.checks_list)]
    assert statuses.index(Status.FAIL) < statuses.index(Status.WARN) < statuses.index(Status.PASS)
    assert statuses.index(Status.PASS) < statuses.index(Status.SKIPPED)


def test_each_finding_is_printed_once(adult):
    text = " ".join(_render(adult, 1000).split())
    assert "FAILED" in text and "reference: holdout" in text
    for check in adult.checks_list:
        if check.status in (Status.FAIL, Status.WARN):
            assert text.count(check.summary) == 1, check.name
    # the gate's reasons only restate the findings above, so none is printed again
    assert "  • " not in text


def test_a_reason_that_adds_something_is_printed(adult):
    gate = replace(adult.gate, reasons=(*adult.gate.reasons, "leakage.pii is required but skipped"))
    text = _render(replace(adult, gate=gate), 200)
    assert "  • leakage.pii is required but skipped" in text


def test_warn_rows_show_the_warn_threshold_and_one_wording(adult):
    text = _render(adult, 120)
    warn_row = text.split("balance.representation")[1].split("\n")
    assert "WARN" in warn_row[0] and "> 0.1164" in warn_row[0]
    assert "warn > 0.0664" in warn_row[1]
    assert "≤" not in text.split("reference:")[0] and "≥" not in text.split("reference:")[0]
    assert "fail if" in text


def test_hostile_result_with_every_status(adult):
    hostile = build_hostile_result()
    text = _render(hostile, 80)
    assert "ERROR" in text and "SKIPPED" in text and "FAIL (waived)" in text
    assert "raised ValueError" in text
    assert "leakage.membership_inference is required but skipped" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_passed_summary_and_verbose_details(adult):
    passed = replace(
        adult,
        passed=True,
        gate=GateDecision(passed=True, measured=adult.gate.measured, skipped=adult.gate.skipped),
        checks_list=tuple(c for c in adult.checks_list if c.status in (Status.PASS, Status.SKIPPED)),
    )
    text = _render(passed, 100, verbose=True)
    assert "PASSED" in text and "FAILED" not in text
    assert "sample sizes:" in text and "fail if >" in text


def test_root_causes_are_named(adult):
    text = _render(adult, 80)
    assert "root cause capital_gain: " in text
    line = text.split("root cause capital_gain: ")[1]
    assert "fidelity.marginals" in " ".join(line.split()[:12])


def test_a_metric_name_longer_than_every_check_name_is_not_folded(adult):
    """Two short checks (``--only``): 'worst_unreadable_value_share' folded to 'worst_unreadable_value_shar / e'."""
    kept = [c for c in adult.checks_list if c.name in ("constraints.schema", "fidelity.marginals")]
    text = _render(replace(adult, checks_list=tuple(kept)), 80)
    for check in kept:
        metric = _headline(check)
        assert metric is not None and metric.name in text


def test_capped_inputs_are_named_with_what_still_covers_every_row(adult):
    assert "capped by --max-rows" not in _render(adult)
    inputs = {**adult.inputs, "synthetic": {**adult.inputs["synthetic"], "rows": 50_000, "rows_used": 2_000}}
    text = " ".join(_render(replace(adult, inputs=inputs)).split())
    assert "capped by --max-rows: synthetic 2,000 of 50,000 rows" in text
    assert "exact copies and duplicates are counted over every row" in text
