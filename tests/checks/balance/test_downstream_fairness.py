from __future__ import annotations

import numpy as np
import pytest

from synthaudit.checks.balance.downstream_fairness import DownstreamFairnessCheck, group_counts, parity_differences
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.checks.balance.defects import flip_outcome
from tests.conftest import make_context

SENSITIVE = ["sex", "race"]


def _run(real, synth, holdout=None, target="income", **roles):
    roles.setdefault("sensitive", SENSITIVE)
    return DownstreamFairnessCheck().run(make_context(real, synth, holdout, target=target, **roles))


def test_contract():
    assert check_contract(DownstreamFairnessCheck).status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2])
def test_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = _run(real, synth, holdout)
    assert result.status is Status.PASS, result.summary
    assert result.sample_sizes["models_per_side"] == 5


def test_fails_when_an_outcome_is_made_rarer_in_one_group_and_names_it(adult_split):
    real, holdout, synth = adult_split(5, real=24000, holdout=12000, synth=12000)
    result = _run(real, flip_outcome(synth, "sex", "Female", 0.5), holdout)
    assert result.status is Status.FAIL, result.summary
    assert result.metric("eo_difference_increase").passed is False
    assert "'sex'" in result.summary
    assert result.tables[0].rows[0]["sensitive_column"] == "sex"
    women = next(r for r in result.tables[1].rows if r["sensitive_column"] == "sex" and r["group"] == "Female")
    assert women["true_positive_rate_synthetic_model"] < women["true_positive_rate_real_model"] - 0.1


def test_skips_regression_and_without_holdout(adult_split):
    real, holdout, synth = adult_split(6, real=1000, holdout=500, synth=500)
    regression = _run(real, synth, holdout, target="hours_per_week")
    assert regression.status is Status.SKIPPED and "regression" in regression.skipped_reason
    assert _run(real, synth).status is Status.SKIPPED


def test_four_fifths_rule_is_information(adult_split):
    real, holdout, synth = adult_split(7, real=4000, holdout=2000, synth=2000)
    result = _run(real, synth, holdout, sensitive=["sex"])
    ratio = result.metric("selection_rate_ratio_synthetic_model")
    assert not ratio.gating and 0.0 <= ratio.value <= 1.0
    row = result.tables[0].rows[0]
    assert row["four_fifths_rule_met_real_model"] is (row["selection_rate_ratio_real_model"] >= 0.8)
    assert row["dp_increase_ci_low"] < row["dp_increase"] < row["dp_increase_ci_high"]


def test_sensitive_column_missing_from_synthetic_fails(adult_split):
    real, holdout, synth = adult_split(8, real=2000, holdout=1000, synth=1000)
    result = _run(real, synth.drop(columns=["race"]), holdout.drop(columns=["race"]))
    assert result.status is Status.FAIL
    assert "race" in result.metric("sensitive_columns_missing_from_synthetic").description


def test_deterministic(adult_split):
    real, holdout, synth = adult_split(9, real=2000, holdout=1000, synth=1000)
    assert _run(real, synth, holdout) == _run(real, synth, holdout)


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_differences_match_fairlearn(seed):
    from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference

    rng = np.random.default_rng(seed)
    n, groups = 400, 4
    codes = rng.integers(0, groups, n)
    y = (rng.random(n) < 0.3 + 0.1 * codes).astype(np.int64)
    predictions = (rng.random((3, n)) < 0.2 + 0.15 * codes).astype(np.int64)
    weights = rng.integers(0, 3, size=(2, n)).astype(np.float64)
    keep = np.arange(groups)
    out = parity_differences(group_counts(predictions, y, codes, groups, weights), keep, keep)
    for r in range(2):
        for k in range(3):
            w = weights[r]
            kwargs = {"sensitive_features": codes, "sample_weight": w}
            assert out["dp"][r, k] == pytest.approx(demographic_parity_difference(y, predictions[k], **kwargs))
            assert out["ratio"][r, k] == pytest.approx(demographic_parity_ratio(y, predictions[k], **kwargs))
            assert out["eo"][r, k] == pytest.approx(equalized_odds_difference(y, predictions[k], **kwargs))


def test_parity_differences_restrict_to_the_given_groups():
    codes = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([1, 0, 1, 0, 1, 0])
    predictions = np.array([[1, 0, 1, 0, 0, 0]])
    counts = group_counts(predictions, y, codes, 3, np.ones((1, 6)))
    both = parity_differences(counts, np.array([0, 1]), np.array([0, 1]))
    assert both["dp"][0, 0] == 0.0 and both["eo"][0, 0] == 0.0 and both["ratio"][0, 0] == 1.0
    all_groups = parity_differences(counts, np.arange(3), np.arange(3))
    assert all_groups["dp"][0, 0] == pytest.approx(0.5)
    assert all_groups["eo"][0, 0] == pytest.approx(1.0)
