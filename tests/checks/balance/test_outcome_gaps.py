from __future__ import annotations

import numpy as np
import pytest

from synthaudit.checks.balance.outcome_gaps import OutcomeGapCheck, group_outcomes
from synthaudit.gate import apply_outcomes, decide_gate
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.checks.balance.defects import flip_outcome
from tests.conftest import make_context

SENSITIVE = ["sex", "race"]


def _run(real, synth, holdout=None, target="income", **roles):
    roles.setdefault("sensitive", SENSITIVE)
    return OutcomeGapCheck().run(make_context(real, synth, holdout, target=target, **roles))


def test_contract():
    assert check_contract(OutcomeGapCheck).status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = _run(real, synth, holdout)
    assert result.status is Status.PASS, result.summary
    assert result.columns == {"sex": "sensitive", "race": "sensitive", "income": "target (positive rate)"}
    assert _run(real, synth).status is Status.PASS


def test_fails_when_an_outcome_is_made_rarer_in_one_group(adult_split):
    # Half of the women's ">50K" outcomes turned "<=50K": the women's positive rate halves.
    real, holdout, synth = adult_split(5, real=24000, holdout=12000, synth=12000)
    result = _run(real, flip_outcome(synth, "sex", "Female", 0.5), holdout)
    assert result.status is Status.FAIL, result.summary
    assert result.metric("worst_group_outcome_change").passed is False
    assert "Female" in result.summary
    top = result.tables[0].rows[0]
    assert "Female" in top["group"]
    assert top["synthetic_rate"] < 0.7 * top["real_rate"]
    gap = next(r for r in result.tables[1].rows if r["attribute"] == "sex")
    assert gap["synthetic_gap"] > gap["real_gap"]  # the gap widened


def test_fails_when_a_gap_reverses(adult_split):
    real, holdout, synth = adult_split(6)
    synth = synth.copy()
    # Swap the outcome distributions of men and women: the real gap (men higher) reverses.
    rng = np.random.default_rng(0)
    men, women = synth["sex"] == "Male", synth["sex"] == "Female"
    synth.loc[men, "income"] = np.where(rng.random(men.sum()) < 0.11, ">50K", "<=50K")
    synth.loc[women, "income"] = np.where(rng.random(women.sum()) < 0.31, ">50K", "<=50K")
    result = _run(real, synth, holdout)
    assert result.status is Status.FAIL
    assert result.metric("worst_gap_change").passed is False
    gap = next(r for r in result.tables[1].rows if r["attribute"] == "sex")
    assert gap["reversed"] is True
    assert (gap["high_group"], gap["low_group"]) == ("Male", "Female")


def test_regression_target_compares_group_means(adult_split):
    real, holdout, synth = adult_split(7)
    result = _run(real, synth, holdout, target="hours_per_week")
    assert result.status is Status.PASS, result.summary
    assert "real_mean" in result.tables[0].columns
    assert result.metric("worst_group_outcome_change").value_range == (0.0, None)
    shifted = synth.copy()
    women = shifted["sex"] == "Female"
    shifted.loc[women, "hours_per_week"] = shifted.loc[women, "hours_per_week"] + 8
    failing = _run(real, shifted, holdout, target="hours_per_week")
    assert failing.status is Status.FAIL
    assert "Female" in failing.summary


def test_skips_multiclass_target_without_positive_label(adult_split):
    real, holdout, synth = adult_split(8, real=1000, holdout=500, synth=500)
    result = _run(real, synth, holdout, target="race", sensitive=["sex"])
    assert result.status is Status.SKIPPED
    assert "--positive-label" in result.skipped_reason


def test_missing_sensitive_values_and_missing_target_values(adult_split):
    real, holdout, synth = adult_split(9)
    frames = []
    for k, frame in enumerate((real, holdout, synth)):
        frame = frame.copy()
        rng = np.random.default_rng(k)
        frame.loc[rng.choice(len(frame), size=len(frame) // 10, replace=False), "race"] = None
        frame.loc[rng.choice(len(frame), size=len(frame) // 50, replace=False), "income"] = None
        frames.append(frame)
    result = _run(frames[0], frames[2], frames[1])
    assert result.status is Status.PASS, result.summary
    assert any(r["group"] == "(missing)" and r["gated"] for r in result.tables[0].rows)


def test_inferred_sensitive_columns_warn_instead_of_failing(adult_split):
    real, holdout, synth = adult_split(10, real=24000, holdout=12000, synth=12000)
    measured = OutcomeGapCheck().run(
        make_context(real, flip_outcome(synth, "sex", "Female", 0.5), holdout, target="income")
    )
    assert measured.status is Status.FAIL and measured.facts["sensitive_inferred"]  # the gate downgrades it
    (result,) = apply_outcomes([measured], decide_gate([measured]))
    assert result.status is Status.WARN
    assert "Downgraded from fail to warn" in result.summary


def test_sensitive_column_missing_from_synthetic_fails(adult_split):
    real, holdout, synth = adult_split(11, real=2000, holdout=1000, synth=1000)
    result = _run(real, synth.drop(columns=["sex"]), holdout.drop(columns=["sex"]))
    assert result.status is Status.FAIL
    assert "sex" in result.metric("sensitive_columns_missing_from_synthetic").description
    assert result.columns["sex"] == "sensitive (absent from the synthetic data)"


def test_deterministic(adult_split):
    real, _, synth = adult_split(12, real=2000, holdout=1000, synth=1000)
    assert _run(real, synth) == _run(real, synth)


def test_group_outcomes():
    labels = np.array(["a", "a", "b", "b", "b"], dtype=object)
    stats = group_outcomes(labels, np.array([1.0, 0.0, 1.0, 1.0, 1.0]))
    assert list(stats.index) == ["a", "b"]
    assert list(stats["rows"]) == [2, 3]
    assert list(stats["outcome"]) == [0.5, 1.0]
    assert stats.at["b", "variance"] == 0.0
