from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from synthaudit.checks.fidelity.kmarginal import (
    KMarginalCheck,
    choose_subsets,
    kmarginal_standard_error,
    subset_similarity,
)
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import make_context


def shuffle_every_column(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Every column sampled independently from its own marginal."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.permutation(frame[c].to_numpy()) for c in frame.columns})


def test_contract():
    result = check_contract(KMarginalCheck)
    assert result.status is Status.PASS
    assert result.sample_sizes["subsets"] == math.comb(6, 3)  # fewer subsets than asked for: all of them


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = KMarginalCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert result.sample_sizes["subsets"] == 100
    in_subsets = {c for row in result.tables[0].rows for c in row["columns"].split(", ")}
    assert in_subsets <= set(result.columns) == {row["column"] for row in result.tables[1].rows}


@pytest.mark.parametrize("seed", [4, 5])
def test_passes_without_holdout(adult_split, seed):
    real, _, synth = adult_split(seed)
    result = KMarginalCheck().run(make_context(real, synth, seed=seed))
    assert result.status is Status.PASS, result.summary


def test_fails_when_every_column_is_independent(adult_split):
    real, holdout, synth = adult_split(6)
    result = KMarginalCheck().run(make_context(real, shuffle_every_column(synth), holdout))
    assert result.status is Status.FAIL, result.summary
    metric = result.metric("mean_kmarginal_score")
    assert metric.value < metric.threshold < metric.reference_value
    worst = result.tables[0].rows
    assert [r["score"] for r in worst] == sorted(r["score"] for r in worst)
    assert worst[0]["columns"] in result.summary


def test_same_subsets_for_both_pairs_and_deterministic(adult_split):
    real, holdout, synth = adult_split(7, real=3000, holdout=1500, synth=1500)
    first = KMarginalCheck().run(make_context(real, synth, holdout))
    assert first == KMarginalCheck().run(make_context(real, synth, holdout))
    # Feeding the reference rows as the synthetic rows gives the reference score for every subset.
    ctx = make_context(real, holdout, holdout)
    result = KMarginalCheck().run(ctx)
    metric = result.metric("mean_kmarginal_score")
    assert metric.value == pytest.approx(metric.reference_value)
    for row in result.tables[0].rows:
        assert row["score"] == pytest.approx(row["reference_score"])


def test_a_different_seed_draws_different_subsets(adult_split):
    real, holdout, synth = adult_split(8, real=2000, holdout=1000, synth=1000)
    a = KMarginalCheck().run(make_context(real, synth, holdout, seed=0))
    b = KMarginalCheck().run(make_context(real, synth, holdout, seed=1))
    assert {r["columns"] for r in a.tables[0].rows} != {r["columns"] for r in b.tables[0].rows}


def test_skips_with_fewer_columns_than_k(adult_split):
    real, holdout, synth = adult_split(9, real=500, holdout=200, synth=200)
    cols = ["age", "sex"]
    result = KMarginalCheck().run(make_context(real[cols], synth[cols], holdout[cols]))
    assert result.status is Status.SKIPPED
    assert "k=3" in result.skipped_reason


# ----------------------------------------------------------------------------- metric functions
def test_choose_subsets():
    rng = np.random.default_rng(0)
    assert choose_subsets(4, 3, 100, rng) == [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    drawn = choose_subsets(15, 3, 100, np.random.default_rng(1))
    assert len(drawn) == len(set(drawn)) == 100
    assert all(len(s) == 3 and list(s) == sorted(s) and max(s) < 15 for s in drawn)
    assert drawn == choose_subsets(15, 3, 100, np.random.default_rng(1))


def _codes(seed: int, rows: int, levels: list[int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, k, rows) for k in levels])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 200), st.integers(1, 200))
def test_subset_similarity_properties(seed, n, m):
    levels = [3, 4, 2]
    a, b = _codes(seed, n, levels), _codes(seed + 1, m, levels)
    score, sd = subset_similarity(a, b, levels)
    assert 0.0 <= score <= 1.0 and sd >= 0.0
    assert score == pytest.approx(subset_similarity(b, a, levels)[0])  # the score is symmetric
    assert subset_similarity(a, a, levels)[0] == 1.0
    order = np.random.default_rng(seed).permutation(m)
    assert subset_similarity(a, b[:, order], levels)[0] == pytest.approx(score)


def test_subset_similarity_matches_a_crosstab():
    levels = [3, 4, 5]
    a, b = _codes(0, 300, levels), _codes(1, 200, levels)
    pa = pd.Series(list(zip(*a, strict=True))).value_counts(normalize=True)
    pb = pd.Series(list(zip(*b, strict=True))).value_counts(normalize=True)
    union = pa.index.union(pb.index)
    tvd = 0.5 * np.abs(pa.reindex(union, fill_value=0) - pb.reindex(union, fill_value=0)).sum()
    assert subset_similarity(a, b, levels)[0] == pytest.approx(1.0 - tvd)
    assert subset_similarity(np.zeros((3, 10), int), np.ones((3, 10), int), levels)[0] == 0.0


def test_subset_similarity_with_huge_tables_counts_only_seen_cells():
    levels = [3000, 3000]  # 9M cells: counted by np.unique, not bincount
    a, b = _codes(2, 500, levels), _codes(2, 500, levels)
    b[:, :100] = _codes(3, 100, levels)
    assert subset_similarity(a, b, levels)[0] == pytest.approx(0.8)


def test_kmarginal_standard_error():
    sd = np.array([0.02, 0.02])
    disjoint = kmarginal_standard_error([(0, 1, 2), (3, 4, 5)], sd, 3)
    assert disjoint == pytest.approx(0.02 / math.sqrt(2))
    assert kmarginal_standard_error([(0, 1, 2), (0, 1, 2)], sd, 3) == pytest.approx(0.02)
    overlapping = kmarginal_standard_error([(0, 1, 2), (0, 1, 3)], sd, 3)
    assert disjoint < overlapping < 0.02


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 0.1)), st.integers(0, 2**32 - 1))
def test_kmarginal_standard_error_bounds(sd, seed):
    subsets = choose_subsets(8, 3, len(sd), np.random.default_rng(seed))
    sd = sd[: len(subsets)]
    se = kmarginal_standard_error(subsets, sd, 3)
    # Between independent subsets and perfectly correlated ones.
    assert math.sqrt((sd**2).sum()) / len(sd) - 1e-12 <= se <= sd.mean() + 1e-12
