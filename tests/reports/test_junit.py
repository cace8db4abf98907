from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from synthaudit.gate import decide_gate
from synthaudit.policy import WaiverSpec
from synthaudit.reports.junit import render_junit, write_junit
from synthaudit.result import AuditResult, Status
from tests.reports.test_html import IMG, SCRIPT, adult_result, build_hostile_result  # noqa: F401  (fixture)


def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    return {case.get("name"): case for case in root.iter("testcase")}


def _outcome(case: ET.Element) -> str:
    children = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
    assert len(children) <= 1, children
    return children[0] if children else "passed"


@pytest.fixture(scope="module")
def hostile() -> AuditResult:
    return build_hostile_result()


def _gated(result: AuditResult, *, fail_on_warn: bool = False, waived: bool = True) -> AuditResult:
    """``result`` decided by the gate (outcomes included), with its checks' waivers and required list."""
    waivers = [
        WaiverSpec(check=w.check, reason=w.reason, owner=w.owner, expires=dt.date.fromisoformat(w.expires))
        for c in result.checks_list
        if waived and (w := c.waiver) is not None
    ]
    decision = decide_gate(
        result.checks_list,
        required=result.policy["required"],
        fail_on_warn=fail_on_warn,
        waivers=waivers,
        today=dt.date(2026, 12, 1),
    )
    return replace(result, gate=decision, passed=decision.passed)


def test_a_result_without_outcomes_reads_them_from_its_recorded_gate(hostile):
    recorded = {name: _outcome(case) for name, case in _cases(render_junit(hostile)).items()}
    assert recorded == {name: _outcome(case) for name, case in _cases(render_junit(_gated(hostile))).items()}


def test_the_gates_words_reach_the_test_case(hostile):
    strict = _cases(render_junit(_gated(hostile, fail_on_warn=True)))
    assert "a warning fails the gate (fail_on_warn)" in strict["fidelity.detection"].find("failure").get("message")
    assert "Gate: waived by QA" in strict["fidelity.marginals"].find("system-out").text


def test_one_testcase_per_check_with_the_suite_as_classname(hostile):
    cases = _cases(render_junit(hostile, fail_on_warn=False))
    assert list(cases) == [c.name for c in hostile.checks_list]  # names round-trip exactly, hostile ones too
    for check in hostile.checks_list:
        assert cases[check.name].get("classname") == check.suite


def test_statuses_map_to_junit_elements(hostile):
    cases = _cases(render_junit(hostile, fail_on_warn=False))
    assert _outcome(cases["constraints.schema"]) == "passed"
    assert _outcome(cases["fidelity.detection"]) == "passed"  # warn passes without fail_on_warn
    assert _outcome(cases["diversity.vendi"]) == "skipped"
    assert cases["diversity.vendi"].find("skipped").get("message") == "no text column"
    required = cases["leakage.membership_inference"].find("failure")
    assert required is not None and required.get("type") == "required-skipped"
    assert f"needs a holdout {SCRIPT}" in required.get("message")
    error = cases[f"balance.{SCRIPT}"].find("error")
    assert error is not None and error.get("type") == f"ValueError {SCRIPT}" and IMG in error.text
    waived = cases["fidelity.marginals"].find("skipped")  # an active waiver: the gate does not fail on it
    assert waived is not None and "waived until 2027-01-01" in waived.get("message")

    strict = _cases(render_junit(_gated(hostile, fail_on_warn=True)))
    warn = strict["fidelity.detection"].find("failure")
    assert warn is not None and warn.get("type") == "warn"
    assert "auc = 0.56" in warn.get("message") and "fail if > 0.6" in warn.get("message")


def test_a_failure_carries_the_metrics(hostile):
    unwaived = _gated(hostile, waived=False)
    failure = _cases(render_junit(unwaived))["fidelity.marginals"].find("failure")
    assert failure is not None and failure.get("type") == "fail"
    message = failure.get("message")
    assert f"worst_distance {SCRIPT} = 0.9095" in message
    assert "reference 0.011" in message and "warn if > 0.041" in message and "fail if > 0.061" in message
    assert "mean_distance = 0.12" in failure.text  # information metrics in the details


def test_counts_on_suites_add_up(hostile):
    root = ET.fromstring(render_junit(_gated(hostile, fail_on_warn=True), fail_on_warn=True))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            assert int(suite.get(key)) == sum(c.find(tag) is not None for c in cases)
            total[key] += int(suite.get(key))
        total["tests"] += len(cases)
        assert suite.find("properties/property[@name='seed']").get("value") == "7"
    assert {k: int(root.get(k)) for k in total} == total == {"tests": 6, "failures": 2, "errors": 1, "skipped": 2}


def test_characters_xml_cannot_hold_are_replaced(hostile):
    first = replace(hostile.checks_list[0], summary="bad \x00\x1b byte")
    xml = render_junit(replace(hostile, checks_list=(first, *hostile.checks_list[1:])), fail_on_warn=False)
    ET.fromstring(xml)


def test_real_audit_matches_the_gate(adult_result, tmp_path):  # noqa: F811
    path = write_junit(adult_result, tmp_path / "junit.xml", fail_on_warn=False)
    cases = _cases(path.read_text(encoding="utf-8"))
    assert len(cases) == len(adult_result.checks_list)
    failing = {name for name, case in cases.items() if _outcome(case) in ("failure", "error")}
    assert failing == set(adult_result.gate.failing)
    for check in adult_result.checks_list:
        if check.status is Status.PASS:
            assert "system-out" in [c.tag for c in cases[check.name]]
    assert render_junit(adult_result, fail_on_warn=False) == path.read_text(encoding="utf-8")  # deterministic


def test_parses_with_a_junit_parser(hostile, tmp_path):
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the dev extra")
    path = write_junit(hostile, tmp_path / "junit.xml", fail_on_warn=False)
    xml = junitparser.JUnitXml.fromfile(str(path))
    results = {}
    for suite in xml:
        for case in suite:
            results[case.name] = [type(r).__name__ for r in case.result]
            assert case.classname == suite.name
    assert results["constraints.schema"] == []
    assert results["leakage.membership_inference"] == ["Failure"]
    assert results[f"balance.{SCRIPT}"] == ["Error"]
    assert results["diversity.vendi"] == ["Skipped"]
    assert xml.tests == 6 and xml.failures == 1 and xml.errors == 1 and xml.skipped == 2
