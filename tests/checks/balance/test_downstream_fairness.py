from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.checks.balance.downstream_fairness import DownstreamFairnessCheck, group_counts, parity_differences
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.checks.balance.defects import flip_outcome
from tests.conftest import ADULT, make_context

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
    # the columns the models used, the target, and which are grouped by
    assert set(result.columns) == set(real.columns) and result.columns["income"] == "target"
    assert result.columns["sex"] == "feature (categorical); sensitive, grouped by"
    assert result.columns["age"] == "feature (numeric)"


def test_skips_on_the_bundled_adult_example_whose_synthetic_trained_model_selects_nobody():
    """The SDV GaussianCopula sample trains models that hardly ever predict >50K: their parity differences are
    near 0 because they select almost nobody in every group, which used to read as a pass (issue: a PASS must
    mean something). The check skips and says why."""
    frames = [pd.read_csv(ADULT / f"{name}.csv", engine="pyarrow") for name in ("real", "synthetic", "holdout")]
    real, synth, holdout = (
        f.sample(n, random_state=0).reset_index(drop=True) for f, n in zip(frames, (8000, 8000, 4000), strict=True)
    )
    result = _run(real, synth, holdout)
    assert result.status is Status.SKIPPED, result.summary
    reason = result.skipped_reason
    assert reason.startswith("the synthetic-trained models are degenerate: they predict '>50K' for ")
    assert "the real-trained models for" in reason and "predicted-class share ratio" in reason
    assert "fidelity.utility" in reason


def test_skips_when_the_synthetic_trained_models_collapse(adult_split):
    real, holdout, synth = adult_split(3, real=8000, holdout=4000, synth=8000)
    positives = np.flatnonzero((synth["income"] == ">50K").to_numpy())
    rng = np.random.default_rng(3)
    collapsed = synth.copy()
    collapsed.loc[rng.choice(positives, size=round(0.9 * len(positives)), replace=False), "income"] = "<=50K"
    result = _run(real, collapsed, holdout)
    assert result.status is Status.SKIPPED and "degenerate" in result.skipped_reason, result.summary
    one_class = _run(real, synth.assign(income="<=50K"), holdout)
    assert one_class.status is Status.SKIPPED
    assert "they predict a single class, '<=50K', for every one of the holdout rows" in one_class.skipped_reason
    # a named sensitive column missing still fails, and the summary says fairness was not compared
    missing = _run(real, synth.assign(income="<=50K").drop(columns=["race"]), holdout.drop(columns=["race"]))
    assert missing.status is Status.FAIL and "Fairness was not compared" in missing.summary


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
