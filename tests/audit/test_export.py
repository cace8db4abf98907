"""--export-expectations goes through the check's own result: one run, no name special case."""

from __future__ import annotations

import json

import pytest

from synthaudit import audit
from synthaudit.errors import InputError
from synthaudit.testing import clean_sample


def _frames():
    return clean_sample(400, 0), clean_sample(400, 2), clean_sample(400, 1)


def test_the_suite_is_written_from_the_checks_result_and_not_kept(tmp_path, monkeypatch):
    from synthaudit.checks.constraints import expectations

    calls = []
    derive = expectations.derive_expectation_suite
    monkeypatch.setattr(expectations, "derive_expectation_suite", lambda *a: calls.append(1) or derive(*a))
    real, synth, holdout = _frames()
    out = tmp_path / "suite.json"
    result = audit(real, synth, holdout=holdout, only=["constraints.expectations"], export_expectations=out)
    suite = json.loads(out.read_text())
    assert {"expect_column_values_to_be_between", "expect_column_values_to_be_in_set"} <= {
        e["type"] for e in suite["expectations"]
    }
    assert calls == [1]  # derived once, by the check's run
    assert result.checks["constraints.expectations"].export is None  # real values never stay in the result
    assert "expectation_suite" not in result.to_json()


def test_an_export_no_selected_check_makes_is_bad_input_before_any_work(tmp_path):
    real, synth, holdout = _frames()
    with pytest.raises(InputError, match=r"run constraints\.expectations"):
        audit(real, synth, holdout=holdout, only=["constraints.schema"], export_expectations=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()
