from __future__ import annotations

import datetime as dt
from typing import Any

from synthaudit.check import Margin, gated_metric
from synthaudit.gate import apply_outcomes, decide_gate
from synthaudit.policy import WaiverSpec
from synthaudit.result import CheckResult, ErrorInfo, Status

TODAY = dt.date(2026, 12, 1)


def _result(name: str, status: Status, *, gating: bool = True, facts: dict[str, Any] | None = None) -> CheckResult:
    metrics = ()
    if gating:
        metrics = (
            gated_metric(
                "m", value=0.0, reference=0.0, standard_error=0.0, margin=Margin(), direction="lower_is_better"
            ),
        )
    return CheckResult(
        name=name,
        suite=name.split(".")[0],
        status=status,
        summary=f"{name} summary",
        metrics=metrics,
        skipped_reason="needs a holdout" if status is Status.SKIPPED else None,
        error=ErrorInfo("ValueError", "boom", "") if status is Status.ERROR else None,
        facts=facts or {},
    )


def test_all_pass():
    assert decide_gate([_result("fidelity.a", Status.PASS)]).passed


def test_fail_and_error_fail_the_gate():
    decision = decide_gate([_result("fidelity.a", Status.FAIL), _result("fidelity.b", Status.ERROR)])
    assert not decision.passed
    assert decision.failing == ("fidelity.a", "fidelity.b")
    assert any("boom" in r for r in decision.reasons)


def test_error_allowed_by_policy():
    decision = decide_gate([_result("fidelity.a", Status.PASS), _result("fidelity.b", Status.ERROR)], errors_fail=False)
    assert decision.passed


def test_warn_passes_unless_fail_on_warn():
    checks = [_result("fidelity.a", Status.WARN)]
    assert decide_gate(checks).passed
    assert not decide_gate(checks, fail_on_warn=True).passed


def test_required_check_skipped_for_missing_needs_fails_but_deselected_does_not():
    checks = [_result("fidelity.a", Status.PASS), _result("leakage.x", Status.SKIPPED, gating=False)]
    decision = decide_gate(checks, required=["leakage.x"])
    assert not decision.passed and "needs a holdout" in decision.reasons[0]
    assert decide_gate([checks[0]], required=["leakage.x"], deselected=["leakage.x"]).passed


def test_no_gating_check_ran_fails():
    decision = decide_gate([_result("fidelity.a", Status.SKIPPED, gating=False)])
    assert not decision.passed
    assert "no gating check ran" in decision.reasons[0]


def _waiver(check: str, expires: str) -> WaiverSpec:
    return WaiverSpec(check=check, reason="known", owner="me", expires=dt.date.fromisoformat(expires))


def test_active_waiver_excuses_a_failure_and_expired_one_does_not():
    failing = [_result("fidelity.a", Status.FAIL)]
    waived = decide_gate(failing, waivers=[_waiver("fidelity.a", "2026-12-01")], today=TODAY)
    assert waived.passed and waived.waived == ("fidelity.a",) and not waived.warnings
    outcome = waived.outcome("fidelity.a")
    assert outcome is not None and outcome.waived and not outcome.fails_gate and outcome.label == "waived"
    assert outcome.why == ("waived by me until 2026-12-01: known",)
    expired = decide_gate(failing, waivers=[_waiver("fidelity.a", "2026-11-30")], today=TODAY)
    assert not expired.passed and not expired.waived
    assert "expired on 2026-11-30" in expired.warnings[0]
    outcome = expired.outcome("fidelity.a")
    assert outcome is not None and outcome.fails_gate and outcome.waiver is not None and not outcome.waiver.active


def test_a_fail_on_inferred_sensitive_columns_is_downgraded_by_the_gate():
    facts = {"sensitive_inferred": True, "sensitive_columns": ["sex"]}
    checks = [_result("balance.a", Status.FAIL, facts=facts), _result("fidelity.b", Status.PASS)]
    decision = decide_gate(checks)
    assert decision.passed
    outcome = decision.outcome("balance.a")
    assert outcome is not None and outcome.measured is Status.FAIL and outcome.status is Status.WARN
    assert "inferred from column names" in outcome.why[0] and "['sex']" in outcome.why[0]
    assert not decide_gate(checks, fail_on_warn=True).passed  # a downgraded fail is a warning like any other
    shown = apply_outcomes(checks, decision)[0]
    assert shown.status is Status.WARN and shown.summary.endswith("name them with --sensitive to gate on them.")
    named = decide_gate([_result("balance.a", Status.FAIL, facts={**facts, "sensitive_inferred": False})])
    assert not named.passed


def test_every_check_gets_an_outcome_that_says_why():
    checks = [
        _result("fidelity.a", Status.WARN),
        _result("fidelity.b", Status.ERROR),
        _result("leakage.c", Status.SKIPPED, gating=False),
    ]
    decision = decide_gate(checks, fail_on_warn=True, errors_fail=False, required=["leakage.c"])
    by_name = {o.check: o for o in decision.outcomes}
    assert list(by_name) == ["fidelity.a", "fidelity.b", "leakage.c"]
    assert by_name["fidelity.a"].fails_gate and "fail_on_warn" in by_name["fidelity.a"].why[0]
    assert not by_name["fidelity.b"].fails_gate and "errors_fail" in by_name["fidelity.b"].why[0]
    assert by_name["leakage.c"].fails_gate and by_name["leakage.c"].why == ("required check skipped: needs a holdout",)
    assert set(decision.failing) == {o.check for o in decision.outcomes if o.fails_gate}


def test_the_decision_counts_what_was_measured():
    decision = decide_gate(
        [_result("fidelity.a", Status.PASS), _result("fidelity.b", Status.SKIPPED), _result("leakage.c", Status.WARN)]
    )
    assert decision.passed
    assert decision.measured == ("fidelity.a", "leakage.c")
    assert decision.skipped == ("fidelity.b",)
    assert decision.tally() == "2 checks measured, 1 skipped"


def test_an_implausible_reference_fails_even_when_every_check_passes():
    reference = {"plausible": False, "reason": "the reference is implausible: REAL and SYNTH swapped?"}
    decision = decide_gate([_result("fidelity.a", Status.PASS)], reference=reference)
    assert not decision.passed
    assert decision.failing == ("reference.plausible",)
    assert decision.reasons[0] == reference["reason"]
    assert decide_gate([_result("fidelity.a", Status.PASS)], reference={"plausible": True}).passed
    assert decide_gate([_result("fidelity.a", Status.PASS)], reference={"plausible": None}).passed
