from __future__ import annotations

import datetime as dt

import pytest

from synthaudit import audit
from synthaudit.result import AuditResult, Status
from tests.conftest import inject_exact_copies


def test_audit_is_deterministic_and_round_trips(adult_split):
    real, holdout, synth = adult_split(11, real=3000, holdout=1500, synth=1500)
    first = audit(real, synth, holdout=holdout, seed=3)
    second = audit(real, synth, holdout=holdout, seed=3)
    assert first.comparable().to_json() == second.comparable().to_json()
    assert AuditResult.from_json(first.to_json()) == first
    assert first.seed == 3 and first.reference["kind"] == "holdout"


def test_audit_passes_clean_and_fails_copies(adult_split):
    real, holdout, synth = adult_split(12, real=3000, holdout=1500, synth=1500)
    assert audit(real, synth, holdout=holdout).passed
    leaky = audit(real, inject_exact_copies(synth, real, 0.05), holdout=holdout)
    assert not leaky.passed
    assert "leakage.exact_copies" in leaky.gate.failing and "fidelity.marginals" not in leaky.gate.failing


def test_a_raising_check_becomes_error_and_the_audit_goes_on(adult_split, monkeypatch):
    from synthaudit.checks.fidelity.marginals import MarginalDistributionCheck

    def boom(self, ctx):
        raise ZeroDivisionError("simulated")

    monkeypatch.setattr(MarginalDistributionCheck, "run", boom)
    real, holdout, synth = adult_split(13, real=2000, holdout=1000, synth=1000)
    result = audit(real, synth, holdout=holdout)
    check = result.checks["fidelity.marginals"]
    assert check.status is Status.ERROR and check.error.type == "ZeroDivisionError"
    assert "simulated" in check.error.traceback
    assert result.checks["leakage.exact_copies"].status is Status.PASS
    assert not result.passed


def test_waiver_excuses_failure_until_expiry(adult_split):
    real, holdout, synth = adult_split(14, real=2000, holdout=1000, synth=1000)
    leaky = inject_exact_copies(synth, real, 0.1)
    policy = {
        "waivers": [{"check": "leakage.exact_copies", "reason": "test data", "owner": "QA", "expires": "2026-12-31"}]
    }
    policy["skip"] = ["leakage.dcr"]
    waived = audit(real, leaky, holdout=holdout, policy=policy, today=dt.date(2026, 12, 1))
    assert waived.passed and waived.gate.waived == ("leakage.exact_copies",)
    assert waived.checks["leakage.exact_copies"].waived
    expired = audit(real, leaky, holdout=holdout, policy=policy, today=dt.date(2027, 1, 1))
    assert not expired.passed and "expired" in expired.gate.warnings[0]


def test_required_check_skipped_on_purpose_does_not_fail(adult_split):
    real, holdout, synth = adult_split(15, real=2000, holdout=1000, synth=1000)
    result = audit(real, synth, holdout=holdout, skip=["leakage"])
    assert result.passed
    assert "leakage.exact_copies" not in result.checks
    assert "leakage.exact_copies" in result.policy["deselected"]


def test_max_rows_caps_and_records(adult_split):
    real, _, synth = adult_split(16, real=3000, holdout=1500, synth=1500)
    result = audit(real, synth, max_rows=1000)
    assert result.inputs["real"]["rows"] == 3000 and result.inputs["real"]["rows_used"] == 1000
    assert result.policy["max_rows"] == 1000


@pytest.mark.parametrize("seed", [0, 1])
def test_no_gating_check_fails_the_gate(adult_split, seed):
    real, _, synth = adult_split(seed, real=500, holdout=200, synth=200)
    result = audit(
        real, synth, only=["fidelity.marginals"], policy={"checks": {"fidelity.marginals": {"enabled": False}}}
    )
    assert not result.passed
    assert "no gating check ran" in result.gate.reasons[-1]


def test_policy_roles_override_inference(adult_split):
    real, holdout, synth = adult_split(17, real=1500, holdout=700, synth=700)
    result = audit(real, synth, holdout=holdout, policy={"roles": {"education_num": "categorical"}})
    assert result.columns["roles"]["education_num"] == "categorical"
    assert result.columns["roles"]["age"] == "numeric"


def test_strict_preset_passes_a_clean_table(adult_split):
    """Strict requires every leakage check that can apply; on a table that leaves out the text checks."""
    real, holdout, synth = adult_split(7, real=3000, holdout=1500, synth=1500)
    result = audit(real, synth, holdout, preset="strict", only=["leakage"], command_line=[])
    required = result.policy["required"]
    assert "leakage.pii" not in required and "leakage.text_near_duplicates" not in required
    assert "leakage.dcr" in required and "leakage.membership" in required
    assert result.passed, result.gate.reasons


def test_run_info_records_the_versions_of_the_libraries_behind_the_results():
    from importlib import metadata

    from synthaudit.api import _library_versions

    versions = _library_versions()
    for name in ("evidently", "great-expectations", "fairlearn", "presidio-analyzer", "sentence-transformers", "torch"):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            assert name not in versions
        else:
            assert versions[name] == installed
    assert {"python", "numpy", "pandas", "scikit-learn"} <= set(versions)
