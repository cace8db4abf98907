from __future__ import annotations

from synthaudit.check import Margin, gated_metric
from synthaudit.gate import decide_gate
from synthaudit.result import CheckResult, ErrorInfo, Status, Waiver


def _result(name: str, status: Status, *, gating: bool = True, waiver: Waiver | None = None) -> CheckResult:
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
        waiver=waiver,
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


def test_active_waiver_excuses_a_failure_and_expired_one_does_not():
    active = Waiver("fidelity.a", "known", "me", "2099-01-01", active=True)
    expired = Waiver("fidelity.a", "known", "me", "2000-01-01", active=False)
    assert decide_gate([_result("fidelity.a", Status.FAIL, waiver=active)]).waived == ("fidelity.a",)
    assert decide_gate([_result("fidelity.a", Status.FAIL, waiver=active)]).passed
    assert not decide_gate([_result("fidelity.a", Status.FAIL, waiver=expired)]).passed


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
