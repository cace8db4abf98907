"""AuditResult in a notebook: a short repr, the first screen as HTML, a DataFrame of metrics, a text summary."""

from __future__ import annotations

import html as html_lib
import json
import math
import re

import pandas as pd
import pytest

from synthaudit import audit
from synthaudit.data.loading import frame_sha256
from synthaudit.result import (
    FRAME_COLUMNS,
    AuditResult,
    CheckResult,
    ErrorInfo,
    GateDecision,
    Metric,
    Status,
    Waiver,
)
from tests.conftest import ADULT

ONLY = ["fidelity.marginals", "leakage.exact_copies", "constraints.schema", "diversity.duplicates"]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """The bundled Adult example as DataFrames, sampled small (its synthetic side fails fidelity.marginals)."""
    return {
        name: pd.read_csv(ADULT / f"{name}.csv", engine="pyarrow").sample(1500, random_state=0)
        for name in ("real", "synthetic", "holdout")
    }


@pytest.fixture(scope="module")
def adult_result(frames) -> AuditResult:
    return audit(frames["real"], frames["synthetic"], frames["holdout"], target="income", only=ONLY)


SCRIPT = "<script>alert('x')</script>"


def _hostile() -> AuditResult:
    metric = Metric(
        name=f"gap {SCRIPT}",
        value=0.5,
        direction="lower_is_better",
        reference_value=0.1,
        threshold=0.3,
        warn_threshold=0.2,
        gating=True,
        passed=False,
        standard_error=0.01,
        interval=(0.48, 0.52),
    )
    checks = (
        CheckResult(
            name=f"fidelity.{SCRIPT}",
            suite="fidelity",
            status=Status.FAIL,
            summary=f"bad & {SCRIPT}",
            metrics=(metric,),
        ),
        CheckResult(name="fidelity.ok", suite="fidelity", status=Status.PASS, summary="fine"),
        CheckResult(
            name="leakage.waived",
            suite="leakage",
            status=Status.FAIL,
            summary="known",
            waiver=Waiver("leakage.waived", "accepted", "QA", "2999-01-01"),
        ),
        CheckResult(
            name="balance.raised",
            suite="balance",
            status=Status.ERROR,
            summary="raised",
            error=ErrorInfo("ValueError", f"boom {SCRIPT}", "Traceback"),
        ),
        CheckResult(
            name="diversity.skip",
            suite="diversity",
            status=Status.SKIPPED,
            summary="skipped",
            skipped_reason="no text column",
        ),
        CheckResult(name="constraints.warned", suite="constraints", status=Status.WARN, summary="close <b>call</b>"),
    )
    return AuditResult(
        passed=False,
        gate=GateDecision(
            passed=False,
            failing=(f"fidelity.{SCRIPT}", "balance.raised"),
            reasons=(f"fidelity.{SCRIPT} failed: bad & {SCRIPT}", f"required check leakage.dcr was skipped: {SCRIPT}"),
            warnings=(f"the waiver for x expired {SCRIPT}",),
            measured=(f"fidelity.{SCRIPT}", "fidelity.ok", "leakage.waived", "constraints.warned"),
            skipped=("diversity.skip",),
        ),
        checks_list=checks,
        inputs={},
        policy={},
        seed=0,
        tool_version="0.1.0",
        reference={"kind": "holdout", "plausible": True},
    )


def test_repr_is_one_short_line(adult_result):
    text = repr(adult_result)
    assert "\n" not in text and len(text) < 160
    counts = adult_result.counts()
    assert text.startswith("<AuditResult FAILED: 4 measured (")
    assert f"{counts['fail']} fail" in text and f"{counts['skipped']} skipped" in text
    hostile = repr(_hostile())
    assert hostile == (
        "<AuditResult FAILED: 4 measured (2 fail, 1 error, 1 warn, 1 pass), 1 skipped, 1 waived; synthaudit 0.1.0>"
    )


def test_to_frame_matches_the_json(adult_result):
    frame = adult_result.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    data = json.loads(adult_result.to_json())
    expected = [(c, m) for c in data["checks"] for m in c["metrics"]]
    assert len(frame) == len(expected) > 0
    for (_, row), (check, metric) in zip(frame.iterrows(), expected, strict=True):
        assert (row["check"], row["suite"], row["status"]) == (check["name"], check["suite"], check["status"])
        assert (row["metric"], row["direction"], row["gating"]) == (
            metric["name"],
            metric["direction"],
            metric["gating"],
        )
        assert row["passed"] == metric["passed"]
        for column, key in [
            ("value", "value"),
            ("reference", "reference_value"),
            ("threshold", "threshold"),
            ("warn_threshold", "warn_threshold"),
            ("standard_error", "standard_error"),
        ]:
            expected_value = metric.get(key)
            if expected_value is None:
                assert math.isnan(row[column]), (column, row)
            else:
                assert row[column] == expected_value  # full precision, as in the JSON
    assert frame["value"].dtype == "float64" and frame["gating"].dtype == bool
    gating = frame[frame["gating"]]
    assert set(gating["check"]) <= set(ONLY) and gating["threshold"].notna().all()


def test_to_frame_of_a_result_without_metrics_has_the_columns():
    result = AuditResult(
        passed=True,
        gate=GateDecision(True),
        checks_list=(),
        inputs={},
        policy={},
        seed=0,
        tool_version="0",
        reference={},
    )
    frame = result.to_frame()
    assert frame.empty and tuple(frame.columns) == FRAME_COLUMNS


def test_suite_statuses_take_the_worst_check_in_suite_order():
    assert _hostile().suite_statuses() == {
        "fidelity": "fail",
        "diversity": "skipped",
        "leakage": "waived",
        "balance": "error",
        "constraints": "warn",
    }


def test_repr_html_is_the_first_screen(adult_result):
    page = adult_result._repr_html_()
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "FAILED" in text and adult_result.gate.tally() in text
    for suite in adult_result.suite_statuses():
        assert suite in text
    for check in adult_result.checks_list:
        if check.status in (Status.FAIL, Status.ERROR, Status.WARN):
            assert check.name in text and check.summary in text
    assert "<script" not in page and "<style" not in page and len(page) < 20_000


def test_repr_html_escapes_everything():
    page = _hostile()._repr_html_()
    assert "<script" not in page and "<b>" not in page
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert f"bad & {SCRIPT}" in text  # the summary, shown escaped
    assert f"boom {SCRIPT}" in text  # the error
    assert f"required check leakage.dcr was skipped: {SCRIPT}" in text  # a reason no listed check covers
    assert f"the waiver for x expired {SCRIPT}" in text
    assert "leakage.waived" in text and "WAIVED" in text
    # failures first, then warnings; passes and skips are not listed as findings
    assert text.index("balance.raised") < text.index("constraints.warned")
    assert "fidelity.ok" not in text


def test_summary_is_short_text(adult_result):
    summary = adult_result.summary()
    lines = summary.splitlines()
    assert lines[0] == f"FAILED — {adult_result.gate.tally()}"
    assert "fidelity: fail" in lines[1] and "leakage:" in lines[1]
    assert "reference: holdout (plausible)" in summary
    assert all(reason in summary for reason in adult_result.gate.reasons)
    assert len(lines) < 30


def test_dataframe_inputs_are_fingerprinted(adult_result, frames):
    for label, name in (("real", "real"), ("synthetic", "synthetic"), ("holdout", "holdout")):
        record = adult_result.inputs[label]
        assert record["format"] == "dataframe"
        assert record["sha256"] == frame_sha256(frames[name])
    assert adult_result.inputs["real"]["sha256"] != adult_result.inputs["holdout"]["sha256"]


def test_json_layout_is_unchanged(adult_result):
    data = adult_result.to_dict()
    assert set(data) == {
        "schema_version",
        "passed",
        "gate",
        "tool_version",
        "seed",
        "inputs",
        "policy",
        "reference",
        "notes",
        "columns",
        "counts",
        "checks",
        "run_info",
    }
    assert AuditResult.from_json(adult_result.to_json()) == adult_result
