from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.checks.leakage.membership import MembershipInferenceCheck, attacked_rows, bootstrap_auc
from synthaudit.result import Status
from synthaudit.stats.auc import roc_auc
from tests.conftest import inject_exact_copies, make_context


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_membership_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed, real=6000, holdout=3000, synth=6000)
    result = MembershipInferenceCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert 0.4 < result.metric("membership_auc").value < 0.6


def test_membership_fails_when_synthetic_rows_copy_training_rows(adult_split):
    real, holdout, synth = adult_split(4, real=6000, holdout=3000, synth=6000)
    leaky = inject_exact_copies(synth, real, 0.10)
    result = MembershipInferenceCheck().run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL, result.summary
    low = result.metric("membership_auc_ci_low").value
    assert low > 0.5


def test_membership_is_skipped_without_holdout(adult_split):
    from synthaudit.runner import missing_need_reason

    real, _, synth = adult_split(5, real=1000, holdout=10, synth=500)
    ctx = make_context(real, synth)
    reasons = [missing_need_reason(need, ctx) for need in MembershipInferenceCheck.needs]
    assert any(r and "holdout" in r for r in reasons)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=40), st.integers(1, 39))
def test_roc_auc_properties(values, split):
    scores = np.array(values)
    split = min(split, len(scores) - 1)
    labels = np.zeros(len(scores), dtype=bool)
    labels[:split] = True
    auc = roc_auc(scores, labels)
    assert 0.0 <= auc <= 1.0
    assert roc_auc(-scores, labels) == pytest.approx(1.0 - auc)


def test_roc_auc_matches_sklearn_and_bootstrap_is_centred():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.normal(0.5, 1, 300), rng.normal(0, 1, 300)])
    labels = np.arange(600) < 300
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))
    boot = bootstrap_auc(scores, labels, np.random.default_rng(1), 100)
    assert abs(boot.mean() - roc_auc(scores, labels)) < 0.02


@pytest.mark.parametrize("ties", [False, True])
def test_bootstrap_auc_equals_ranking_each_resample(ties):
    # The counting form must give exactly the Mann–Whitney AUC of each resample, ties included.
    from scipy.stats import rankdata

    rng = np.random.default_rng(4)
    scores = rng.normal(size=400)
    if ties:
        scores = np.round(scores, 1)
    labels = np.arange(400) < 150
    got = bootstrap_auc(scores, labels, np.random.default_rng(7), 50)
    draw = np.random.default_rng(7)
    pos, neg = scores[labels], scores[~labels]
    for value in got:
        both = np.concatenate([pos[draw.integers(0, 150, 150)], neg[draw.integers(0, 250, 250)]])
        ranks = rankdata(both)
        assert value == (ranks[:150].sum() - 150 * 151 / 2) / (150 * 250)


def test_attacked_rows_bounds_the_pairs_searched():
    assert attacked_rows(16_000, 10_000, 1_000_000_000, 32_000) == 10_000
    assert attacked_rows(50_000, 10_000, 1_000_000_000, 100_000) == 10_000
    assert attacked_rows(500_000, 10_000, 1_000_000_000, 250_000) == 4_000
    assert attacked_rows(500_000, 10_000, 1_000_000_000, 1_000_000) == 3_000  # the floor
    assert attacked_rows(300, 10_000, 1_000_000_000, 1_000_000) == 300
