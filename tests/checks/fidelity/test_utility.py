from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.check import Need
from synthaudit.checks.fidelity.utility import UtilityCheck, weighted_auc, weighted_macro_f1, weighted_r2
from synthaudit.result import Status
from synthaudit.runner import run_checks
from synthaudit.testing import check_contract
from tests.conftest import make_context

SIZES = {"real": 3000, "holdout": 2000, "synth": 1500}


def shuffle_column(frame: pd.DataFrame, column: str, seed: int = 0) -> pd.DataFrame:
    """The relation between ``column`` and every other column destroyed; its marginal kept."""
    out = frame.copy()
    out[column] = out[column].to_numpy()[np.random.default_rng(seed).permutation(len(out))]
    return out


def test_utility_keeps_the_check_contract():
    result = check_contract(UtilityCheck)  # the clean sample has target "label" and a holdout
    assert result.status is Status.PASS
    assert result.metric("tstr_minus_trtr").reference_value == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_utility_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed, **SIZES)
    result = UtilityCheck().run(make_context(real, synth, holdout, seed=seed, target="income"))
    assert result.status is Status.PASS, result.summary
    assert ">50K" in result.metric("tstr_score").description  # positive label inferred as the rarer class
    assert result.metric("trtr_score").value > 0.85  # income is predictable from the other columns
    # a smaller synthetic set is no handicap: both models train on as many rows
    assert result.sample_sizes["train_rows_per_model"] == 1500


def test_utility_fails_when_target_labels_are_shuffled(adult_split):
    real, holdout, synth = adult_split(4, **SIZES)
    result = UtilityCheck().run(make_context(real, shuffle_column(synth, "income"), holdout, seed=4, target="income"))
    assert result.status is Status.FAIL, result.summary
    gap = result.metric("tstr_minus_trtr")
    assert gap.value < gap.threshold < 0.0
    assert result.metric("tstr_score").value == pytest.approx(0.5, abs=0.06)
    assert result.metric("relative_utility").value < 0.3


def test_utility_is_skipped_by_the_runner_without_holdout(adult_split):
    real, _, synth = adult_split(5, **SIZES)
    assert UtilityCheck.needs == frozenset({Need.TARGET, Need.HOLDOUT})
    results, _ = run_checks({UtilityCheck.name: UtilityCheck}, {}, make_context(real, synth, target="income"))
    assert results[0].status is Status.SKIPPED
    assert "holdout" in results[0].skipped_reason


def test_utility_regression_target(adult_split):
    real, holdout, synth = adult_split(6, **SIZES)
    clean = UtilityCheck().run(make_context(real, synth, holdout, target="age"))
    assert clean.status is Status.PASS, clean.summary
    assert "R²" in clean.metric("tstr_minus_trtr").description
    broken = UtilityCheck().run(make_context(real, shuffle_column(synth, "age"), holdout, target="age"))
    assert broken.status is Status.FAIL, broken.summary


def test_utility_multiclass_target(adult_split):
    real, holdout, synth = adult_split(7, real=1500, holdout=1000, synth=1000)
    check = UtilityCheck(UtilityCheck.Params(max_iter=30))  # k classes cost k trees an iteration
    clean = check.run(make_context(real, synth, holdout, target="relationship"))
    assert clean.status is Status.PASS, clean.summary
    assert "macro-F1" in clean.metric("tstr_minus_trtr").description
    assert clean.metric("relative_utility").value > 0.5  # chance: always the real majority class
    broken = check.run(make_context(real, shuffle_column(synth, "relationship"), holdout, target="relationship"))
    assert broken.status is Status.FAIL, broken.summary


def test_utility_importance_table_and_rank_correlation(adult_split):
    real, holdout, synth = adult_split(8, **SIZES)
    result = UtilityCheck().run(make_context(real, synth, holdout, seed=8, target="income"))
    table = result.tables[0]
    assert {row["column"] for row in table.rows} == set(real.columns) - {"income"}
    gaps = [abs(row["difference"]) for row in table.rows]
    assert gaps == sorted(gaps, reverse=True)
    assert result.metric("importance_rank_correlation").value > 0.3


def test_utility_constant_synthetic_target_scores_chance(adult_split):
    real, holdout, synth = adult_split(9, **SIZES)
    synth = synth.assign(income="<=50K")
    result = UtilityCheck().run(make_context(real, synth, holdout, target="income"))
    assert result.status is Status.FAIL
    assert result.metric("tstr_score").value == 0.5


# ----------------------------------------------------------------- weighted scores
@st.composite
def scored_rows(draw):
    n = draw(st.integers(2, 40))
    scores = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, -3.0, 7.5]), min_size=n, max_size=n))
    labels = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    counts = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return np.array(scores), np.array(labels), np.array(counts)


@settings(max_examples=60, deadline=None)
@given(scored_rows())
def test_weighted_auc_equals_auc_of_the_resampled_data(rows):
    from sklearn.metrics import roc_auc_score

    scores, labels, counts = rows
    value = weighted_auc(scores, labels, counts[None, :])[0]
    repeated_labels = np.repeat(labels, counts)
    if repeated_labels.all() or not repeated_labels.any():
        assert np.isnan(value)  # a resample without both classes has no AUC (dropped from the SE)
        return
    assert value == pytest.approx(roc_auc_score(repeated_labels, np.repeat(scores, counts)))
    assert 0.0 <= value <= 1.0
    assert weighted_auc(-scores, labels, counts[None, :])[0] == pytest.approx(1.0 - value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40))
def test_weighted_macro_f1_matches_sklearn(rows):
    from sklearn.metrics import f1_score

    predicted, truth, counts = (np.array(v) for v in zip(*rows, strict=True))
    if counts.sum() == 0:
        return
    value = weighted_macro_f1(predicted, truth, counts[None, :], 4)[0]
    rep_truth, rep_pred = np.repeat(truth, counts), np.repeat(predicted, counts)
    expected = f1_score(rep_truth, rep_pred, labels=np.unique(rep_truth), average="macro", zero_division=0)
    assert value == pytest.approx(expected)
    assert weighted_macro_f1(truth, truth, counts[None, :], 4)[0] == 1.0  # perfect predictions


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100), st.integers(1, 3)), min_size=3, max_size=40),
)
def test_weighted_r2_matches_sklearn(rows):
    from sklearn.metrics import r2_score

    predicted, truth, counts = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    value = weighted_r2(predicted, truth, counts[None, :])[0]
    if np.ptp(truth) < 1e-3:
        return
    assert value == pytest.approx(r2_score(truth, predicted, sample_weight=counts), abs=1e-6)
    assert value <= 1.0
    assert weighted_r2(truth, truth, counts[None, :])[0] == pytest.approx(1.0)


def test_weighted_scores_are_vectorised_over_resamples():
    rng = np.random.default_rng(0)
    scores, labels = rng.random(50), rng.random(50) < 0.4
    weights = rng.integers(0, 3, size=(7, 50))
    together = weighted_auc(scores, labels, weights)
    one_by_one = [weighted_auc(scores, labels, w[None, :])[0] for w in weights]
    assert together == pytest.approx(one_by_one)
