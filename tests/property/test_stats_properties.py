"""Properties of the public statistics in :mod:`synthaudit.stats`, over random inputs (Hypothesis).

Ranges, symmetry, zero (or one) on identical inputs, invariance to the order of the rows, and finite outputs
on degenerate input (constant, empty, single value, all missing). Derandomised, like the other property
tests, so CI is deterministic; the whole file runs in a few seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from synthaudit.data.roles import Role
from synthaudit.stats.association import (
    association_score,
    average_ranks,
    contingency_similarity,
    correlation_ratio,
    cramers_v,
    spearman_matrix,
    total_variation,
)
from synthaudit.stats.auc import auc_null_standard_error, auc_standard_error, roc_auc
from synthaudit.stats.collapse import jackknife_se, tail_mass, variance_ratio
from synthaudit.stats.decline import weighted_slope
from synthaudit.stats.distances import column_distance, ks_statistic, total_variation_distance
from synthaudit.stats.embedding_shift import mean_embedding_distance
from synthaudit.stats.moments import CoMoments, GramSums, vendi_from_gram
from synthaudit.stats.multiple import one_sided_tail, sidak_multiplier
from synthaudit.stats.proportions import (
    binomial_difference_se,
    normalised_risk,
    pooled_difference_se,
    pooled_difference_se_counts,
    wilson_interval,
)
from synthaudit.stats.quantiles import exact_quantiles

PROPERTIES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FINITE = st.floats(-1e6, 1e6, allow_nan=False, width=64)
SAMPLE = arrays(np.float64, st.integers(1, 40), elements=FINITE)
TABLE = arrays(np.int64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=st.integers(0, 20))
SHARE = st.floats(0.0, 1.0)
SIZE = st.integers(0, 10_000)


def permuted(x: np.ndarray, seed: int = 0) -> np.ndarray:
    return x[np.random.default_rng(seed).permutation(len(x))]


# ----------------------------------------------------------------------------- distances
@PROPERTIES
@given(SAMPLE, SAMPLE)
def test_ks_statistic(a, b):
    value = ks_statistic(a, b)
    assert 0.0 <= value <= 1.0
    assert value == ks_statistic(b, a) == ks_statistic(permuted(a), permuted(b, 1))
    assert ks_statistic(a, a) == 0.0


@PROPERTIES
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=30), st.lists(st.sampled_from("abce"), max_size=30))
def test_total_variation_distance_and_column_distance(x, y):
    p, q = (pd.Series(v, dtype=object).value_counts(normalize=True) for v in (x, y))
    value = total_variation_distance(p, q)
    assert 0.0 <= value <= 1.0 + 1e-12
    assert value == pytest.approx(total_variation_distance(q, p))
    assert total_variation_distance(p, p) == 0.0
    distance, null_sd, statistic = column_distance(pd.Series(x), pd.Series(y, dtype=object), Role.CATEGORICAL)
    assert statistic == "tvd" and 0.0 <= distance <= 1.0 + 1e-12 and math.isfinite(null_sd) and null_sd >= 0
    assert column_distance(pd.Series(x), pd.Series(list(reversed(x))), Role.CATEGORICAL)[0] == pytest.approx(0.0)


@pytest.mark.parametrize("role", [Role.NUMERIC, Role.CATEGORICAL])
def test_column_distance_on_degenerate_columns(role):
    empty, constant = pd.Series([None, None], dtype=object), pd.Series([1, 1, 1])
    assert column_distance(empty, empty, role)[:2] == (0.0, 0.0)
    assert column_distance(empty, constant, role)[0] == 1.0
    assert column_distance(constant, constant, role)[0] == 0.0


# ----------------------------------------------------------------------------- association
@PROPERTIES
@given(TABLE)
def test_cramers_v(table):
    value = cramers_v(table)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(cramers_v(table.T))
    assert cramers_v(table[:1]) == 0.0  # a constant variable


@PROPERTIES
@given(TABLE, st.integers(0, 3))
def test_contingency_similarity_and_total_variation(table, seed):
    other = np.random.default_rng(seed).permutation(table.ravel()).reshape(table.shape)
    value = contingency_similarity(table, other)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(contingency_similarity(other, table))
    assert contingency_similarity(table, table) == 1.0 or table.sum() == 0
    assert contingency_similarity(table, 3 * table) == pytest.approx(1.0)
    assert 0.0 <= total_variation(table.astype(float), other.astype(float)) <= 1.0


@PROPERTIES
@given(st.floats(-1, 1), st.floats(-1, 1))
def test_association_score(a, b):
    assert 0.0 <= association_score(a, b) <= 1.0
    assert association_score(a, b) == association_score(b, a)
    assert association_score(a, a) == 1.0


@PROPERTIES
@given(arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 3)), st.integers(0, 5))
def test_correlation_ratio(groups, seed):
    values = np.random.default_rng(seed).normal(size=len(groups)) + groups
    eta = correlation_ratio(groups, values)
    assert 0.0 <= eta <= 1.0
    order = np.random.default_rng(seed + 1).permutation(len(groups))
    assert eta == pytest.approx(correlation_ratio(groups[order], values[order]), abs=1e-9)
    assert correlation_ratio(groups, np.full(len(groups), 2.0)) == 0.0


@PROPERTIES
@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)), elements=FINITE))
def test_spearman_matrix_and_ranks(values):
    matrix = spearman_matrix(values)
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1.0)
    assert np.all(np.abs(matrix) <= 1.0) and np.isfinite(matrix).all()
    order = np.random.default_rng(0).permutation(len(values))
    assert np.allclose(spearman_matrix(values[order]), matrix, atol=1e-9)
    ranks = average_ranks(values[:, 0])
    assert ranks.sum() == pytest.approx(len(values) * (len(values) + 1) / 2)


# ----------------------------------------------------------------------------- AUC, proportions, multiplicity
@PROPERTIES
@given(SAMPLE, st.integers(0, 10))
def test_roc_auc(scores, seed):
    labels = np.random.default_rng(seed).random(len(scores)) < 0.5
    if labels.all() or not labels.any():
        with pytest.raises(ValueError):
            roc_auc(scores, labels)
        return
    auc = roc_auc(scores, labels)
    assert 0.0 <= auc <= 1.0
    assert auc == pytest.approx(1.0 - roc_auc(scores, ~labels))
    order = np.random.default_rng(seed).permutation(len(scores))
    assert auc == pytest.approx(roc_auc(scores[order], labels[order]))
    assert roc_auc(np.zeros(len(scores)), labels) == 0.5
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    se = auc_standard_error(auc, n_pos, n_neg)
    assert math.isfinite(se) and se >= 0.0
    assert auc_standard_error(0.5, n_pos, n_neg) == pytest.approx(auc_null_standard_error(n_pos, n_neg))


@PROPERTIES
@given(SHARE, SIZE, SHARE, SIZE)
def test_proportion_standard_errors(p1, n1, p2, n2):
    for se in (pooled_difference_se(p1, n1, p2, n2), binomial_difference_se(p1, n1, p2, n2)):
        assert math.isfinite(se) and se >= 0.0
    assert pooled_difference_se(p1, n1, p2, n2) == pytest.approx(pooled_difference_se(p2, n2, p1, n1))
    x1, x2 = round(p1 * n1), round(p2 * n2)
    assert pooled_difference_se_counts(x1, n1, x2, n2) == pytest.approx(pooled_difference_se_counts(x2, n2, x1, n1))
    low, high = wilson_interval(x1, n1)
    assert 0.0 <= low <= high <= 1.0
    if n1:
        assert low - 1e-12 <= x1 / n1 <= high + 1e-12
    assert normalised_risk(p1, p2) <= 1.0
    assert normalised_risk(p2, p2) == 0.0


@PROPERTIES
@given(st.floats(0.0, 8.0), st.integers(1, 1000))
def test_sidak_multiplier(multiplier, comparisons):
    raised = sidak_multiplier(multiplier, comparisons)
    assert math.isfinite(raised) and raised >= multiplier - 1e-9
    assert sidak_multiplier(multiplier, comparisons + 1) >= raised - 1e-9
    assert 0.0 < one_sided_tail(multiplier) <= 0.5


# ----------------------------------------------------------------------------- collapse, trends, embeddings
@PROPERTIES
@given(SAMPLE, st.one_of(st.just(0.0), st.floats(1e-12, 1.0)))
def test_collapse_measures(values, base_variance):
    # A base variance near the float minimum (1e-300) overflows the ratio to infinity: not a real base.
    assert jackknife_se(values) >= 0.0 and jackknife_se(values[:1]) == 0.0
    low, high = np.quantile(values, [0.1, 0.9])
    mass = tail_mass(values, float(low), float(high))
    assert 0.0 <= mass.value <= 1.0 and mass.se >= 0.0
    assert mass == tail_mass(permuted(values), float(low), float(high))
    ratio = variance_ratio(values, base_variance)
    assert math.isfinite(ratio.value) and ratio.value >= 0.0 and math.isfinite(ratio.se)


@PROPERTIES
@given(st.lists(FINITE, max_size=8), st.floats(0.0, 10.0))
def test_weighted_slope(values, se):
    slope, slope_se = weighted_slope(values, [se] * len(values))
    assert math.isfinite(slope) and math.isfinite(slope_se) and slope_se >= 0.0
    constant, _ = weighted_slope([3.0] * len(values), [se] * len(values))
    assert constant == pytest.approx(0.0, abs=1e-9)


@PROPERTIES
@given(arrays(np.float64, st.tuples(st.integers(0, 20), st.just(4)), elements=st.floats(-10, 10)))
def test_mean_embedding_distance_and_vendi(rows):
    distance, null_mean, null_sd = mean_embedding_distance(rows, rows)
    assert all(math.isfinite(v) for v in (distance, null_mean, null_sd))
    assert distance == pytest.approx(0.0, abs=1e-9)
    vendi = vendi_from_gram(GramSums(4).update(rows).finalise())
    assert 1.0 <= vendi <= 4.0
    assert vendi == pytest.approx(vendi_from_gram(GramSums(4).update(permuted(rows)).finalise()), rel=1e-9)


# ----------------------------------------------------------------------------- moments and quantiles
@PROPERTIES
@given(arrays(np.float64, st.tuples(st.integers(0, 30), st.just(3)), elements=FINITE))
def test_comoments_are_row_order_invariant_and_bounded(rows):
    result = CoMoments(3).update(rows).finalise()
    again = CoMoments(3).update(permuted(rows)).finalise()
    assert result.n == again.n == len(rows)
    assert np.all(np.abs(result.correlation) <= 1.0) and np.isfinite(result.correlation).all()
    assert np.allclose(result.correlation, again.correlation, atol=1e-9)


@PROPERTIES
@given(SAMPLE)
def test_exact_quantiles_are_ordered_within_range_and_order_free(values):
    qs = np.linspace(0.0, 1.0, 5)
    out = exact_quantiles([values], qs)
    assert np.all(np.diff(out) >= 0)
    assert out[0] == values.min() and out[-1] == values.max()
    assert np.array_equal(out, exact_quantiles([permuted(values)], qs))
