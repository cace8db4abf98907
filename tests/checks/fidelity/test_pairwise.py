from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from synthaudit.artefacts.coding import ColumnCoding
from synthaudit.checks.fidelity.pairwise import (
    PairwiseAssociationCheck,
    association_score,
    average_ranks,
    contingency_similarity,
    correlation_ratio,
    cramers_v,
    frame_statistics,
    pair_scores,
    spearman_matrix,
)
from synthaudit.checks.fidelity.pairwise_frames import choose_pairs
from synthaudit.data.roles import Role
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import make_context


def shuffle_column(frame: pd.DataFrame, column: str, seed: int = 0) -> pd.DataFrame:
    """Sample one column independently of the others (its marginal kept, its relations broken)."""
    out = frame.copy()
    out[column] = np.random.default_rng(seed).permutation(out[column].to_numpy())
    return out


def shuffle_every_column(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Every column sampled independently from its own marginal."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.permutation(frame[c].to_numpy()) for c in frame.columns})


def test_contract():
    result = check_contract(PairwiseAssociationCheck)
    assert result.status is Status.PASS
    assert result.sample_sizes["pairs"] == 15


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = PairwiseAssociationCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert set(result.columns) == set(real.columns)  # every Adult column is in some compared pair
    assert result.columns["age"] == "numeric" and result.columns["sex"] == "categorical"
    metric = result.metric("worst_column_pair_score")
    assert metric.gating and metric.threshold < metric.reference_value


@pytest.mark.parametrize("seed", [4, 5])
def test_passes_without_holdout(adult_split, seed):
    real, _, synth = adult_split(seed)
    result = PairwiseAssociationCheck().run(make_context(real, synth, seed=seed))
    assert result.status is Status.PASS, result.summary


@pytest.mark.parametrize("column", ["education_num", "relationship", "age"])
def test_fails_when_one_column_is_shuffled_and_names_it(adult_split, column):
    real, holdout, synth = adult_split(6)
    result = PairwiseAssociationCheck().run(make_context(real, shuffle_column(synth, column), holdout))
    assert result.status is Status.FAIL, result.summary
    assert column in result.summary
    assert column in result.metric("worst_column_pair_score").description
    assert result.tables[0].rows[0]["column"] == column
    worst_pair = result.tables[1].rows[0]
    assert column in (worst_pair["column_a"], worst_pair["column_b"])


def test_fails_when_every_column_is_independent(adult_split):
    real, holdout, synth = adult_split(7)
    result = PairwiseAssociationCheck().run(make_context(real, shuffle_every_column(synth), holdout))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("mean_pair_score").value < result.metric("mean_pair_score").reference_value - 0.03


def test_identical_runs_give_identical_results(adult_split):
    real, holdout, synth = adult_split(8, real=3000, holdout=1500, synth=1500)
    first = PairwiseAssociationCheck().run(make_context(real, synth, holdout))
    second = PairwiseAssociationCheck().run(make_context(real, synth, holdout))
    assert first == second


def test_heatmap_and_tables(adult_split):
    real, holdout, synth = adult_split(9, real=3000, holdout=1500, synth=1500)
    ctx = make_context(real, shuffle_column(synth, "age"), holdout)
    result = PairwiseAssociationCheck().run(ctx)
    side_by_side, figure = result.figures  # real and synthetic side by side, then the difference
    assert [f.kind for f in result.figures] == ["heatmap"] * 2 and "difference" in figure.title
    assert [p["title"] for p in side_by_side.data["panels"]] == ["real", "synthetic"]
    real_matrix, synthetic_matrix = (np.array(p["matrix"]) for p in side_by_side.data["panels"])
    labels, matrix = figure.data["labels"], np.array(figure.data["matrix"])
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    assert np.allclose((synthetic_matrix - real_matrix)[off_diagonal], matrix[off_diagonal])
    assert labels == list(ctx.comparable_columns)
    assert matrix.shape == (len(labels), len(labels))
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 0.0)
    # Shuffling age removes its associations: its row of differences is negative for strong relations.
    assert matrix[labels.index("age"), labels.index("marital_status")] < -0.2
    pairs = [r["pair_score"] for r in result.tables[1].rows]
    assert pairs == sorted(pairs) and len(pairs) == 20
    columns = [r["pair_score"] for r in result.tables[0].rows]
    assert columns == sorted(columns) and len(columns) == len(labels)
    assert result.sample_sizes["pairs"] == len(labels) * (len(labels) - 1) // 2


def test_comissingness_is_reported(adult_split):
    real, holdout, synth = adult_split(10)
    synth = synth.copy()
    # Occupation goes missing independently of workclass (in the real data they go missing together).
    occupation = synth["occupation"].fillna("Sales")
    occupation[np.random.default_rng(0).random(len(synth)) < real["occupation"].isna().mean()] = None
    synth["occupation"] = occupation
    result = PairwiseAssociationCheck().run(make_context(real, synth, holdout))
    table = next(t for t in result.tables if t.name == "comissing")
    assert {table.rows[0]["column_a"], table.rows[0]["column_b"]} == {"workclass", "occupation"}
    metric = result.metric("worst_comissing_score")
    assert metric.value < 0.7 < 0.95 < metric.reference_value


def test_skips_with_one_column(adult_split):
    real, holdout, synth = adult_split(11, real=500, holdout=200, synth=200)
    result = PairwiseAssociationCheck().run(make_context(real[["age"]], synth[["age"]], holdout[["age"]]))
    assert result.status is Status.SKIPPED
    assert "two" in result.skipped_reason


def test_identical_frames_score_one():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=500),
            "y": rng.normal(size=500),
            "g": rng.choice(["a", "b", "c"], size=500).astype(object),
            "h": rng.choice(["u", "v"], size=500).astype(object),
        }
    )
    roles = {"x": Role.NUMERIC, "y": Role.NUMERIC, "g": Role.CATEGORICAL, "h": Role.CATEGORICAL}
    coding = ColumnCoding.fit(frame, list(frame.columns), roles, bins=5, max_categories=5)
    stats = frame_statistics(frame, coding.codes(frame), coding, [])
    scores = pair_scores(stats, stats)
    assert np.allclose(scores.combined, 1.0)
    shuffled = frame.sample(frac=1.0, random_state=1)
    again = frame_statistics(shuffled, coding.codes(shuffled), coding, [])
    assert np.allclose(again.association, stats.association)  # invariant to row order


# ----------------------------------------------------------------------------- metric functions
@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(3, 40), st.integers(1, 4)), elements=st.integers(-5, 5)))
def test_spearman_matrix_matches_scipy(values):
    from scipy.stats import spearmanr

    matrix = spearman_matrix(values)
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1.0)
    assert np.all(np.abs(matrix) <= 1.0)
    for i in range(values.shape[1]):
        for j in range(i + 1, values.shape[1]):
            a, b = values[:, i], values[:, j]
            expected = 0.0 if a.min() == a.max() or b.min() == b.max() else spearmanr(a, b).statistic
            assert matrix[i, j] == pytest.approx(expected, abs=1e-9)


def test_spearman_matrix_uses_pairwise_complete_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    values = np.column_stack([x, x + rng.normal(scale=0.1, size=200), rng.normal(size=200)])
    values[::7, 0] = np.nan
    values[::5, 2] = np.nan
    matrix = spearman_matrix(values)
    assert np.all(np.isfinite(matrix))
    assert matrix[0, 1] > 0.95 and abs(matrix[0, 2]) < 0.2


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 60), elements=st.integers(-3, 3) | st.floats(-1e6, 1e6)))
def test_average_ranks_matches_scipy(values):
    from scipy.stats import rankdata

    assert np.allclose(average_ranks(values), rankdata(values))


@settings(max_examples=50, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(0, 50)))
def test_cramers_v_properties(table):
    value = cramers_v(table)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(cramers_v(table.T))


def test_cramers_v_reference_values():
    assert cramers_v(np.diag([500, 300, 200])) == pytest.approx(1.0, abs=0.01)
    assert cramers_v(np.outer([10, 20, 30], [4, 5, 6])) == 0.0  # independent
    assert cramers_v(np.array([[100, 50]])) == 0.0  # constant row variable
    # Bias correction: a small random table of independent variables is pulled to (nearly) 0.
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 8, 200), rng.integers(0, 8, 200)
    assert cramers_v(np.bincount(a * 8 + b, minlength=64).reshape(8, 8)) < 0.1


def test_correlation_ratio_reference_values():
    groups = np.repeat([0, 1, 2], 50)
    assert correlation_ratio(groups, groups * 10.0) == pytest.approx(1.0)
    assert correlation_ratio(groups, np.ones(150)) == 0.0
    assert correlation_ratio(groups, np.tile(np.arange(50.0), 3)) == 0.0  # equal group means
    with_missing = np.where(np.arange(150) % 10 == 0, np.nan, groups * 10.0)
    assert correlation_ratio(groups, with_missing) == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.int64, st.integers(2, 80), elements=st.integers(0, 4)),
    st.integers(0, 2**32 - 1),
)
def test_correlation_ratio_range_and_order_invariance(groups, seed):
    values = np.random.default_rng(seed).normal(size=len(groups))
    value = correlation_ratio(groups, values)
    assert 0.0 <= value <= 1.0
    order = np.random.default_rng(seed + 1).permutation(len(groups))
    assert correlation_ratio(groups[order], values[order]) == pytest.approx(value, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.int64, st.integers(1, 12), elements=st.integers(0, 30)),
    arrays(np.int64, st.integers(1, 12), elements=st.integers(0, 30)),
)
def test_contingency_similarity_properties(a, b):
    size = min(len(a), len(b))
    a, b = a[:size], b[:size]
    value = contingency_similarity(a, b)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(contingency_similarity(b, a))
    if a.sum():
        assert contingency_similarity(a, 3 * a) == pytest.approx(1.0)


def test_contingency_similarity_reference_values():
    assert contingency_similarity(np.array([[5, 0], [0, 0]]), np.array([[0, 0], [0, 7]])) == 0.0
    assert contingency_similarity(np.array([[1, 1], [1, 1]]), np.array([[2, 0], [0, 2]])) == pytest.approx(0.5)


@given(st.floats(-1, 1), st.floats(-1, 1))
def test_association_score_properties(a, b):
    assert 0.0 <= association_score(a, b) <= 1.0
    assert association_score(a, b) == association_score(b, a)
    assert association_score(a, a) == 1.0


def test_coding_bins_candidates_with_the_base():
    base = pd.DataFrame({"x": np.arange(100.0), "g": ["a"] * 60 + ["b"] * 30 + ["c"] * 10})
    candidate = pd.DataFrame({"x": [-5.0, 50.0, 500.0, np.nan], "g": ["a", "zzz", None, "c"]})
    roles = {"x": Role.NUMERIC, "g": Role.CATEGORICAL}
    coding = ColumnCoding.fit(base, ["x", "g"], roles, bins=4, max_categories=2)
    codes = coding.codes(candidate)
    assert coding.levels == (5, 4)  # 4 bins + missing; a, b, other, missing
    assert codes[0].tolist() == [0, 2, 3, 4]
    assert codes[1].tolist() == [0, 2, 3, 2]  # unseen and beyond-top-k values are "other"
    assert np.all(coding.codes(base) < np.array(coding.levels)[:, None])


# ----------------------------------------------------------------------------- many columns: sampled pairs
def test_choose_pairs_all_when_few_else_a_covering_sample():
    rng = np.random.default_rng(0)
    assert choose_pairs(5, 10, rng) == tuple(combinations(range(5), 2))
    for p in (40, 41):
        pairs = choose_pairs(p, 100, np.random.default_rng(1))
        assert len(pairs) == len(set(pairs)) == 100 and list(pairs) == sorted(pairs)
        assert all(i < j for i, j in pairs)
        assert {c for ij in pairs for c in ij} == set(range(p))  # every column takes part
        assert pairs == choose_pairs(p, 100, np.random.default_rng(1))


def test_sampled_pairs_measure_the_same_associations(adult_split):
    real, _, _ = adult_split(12, real=1500, holdout=10, synth=10)
    columns = list(real.columns)
    roles = make_context(real, real).roles
    coding = ColumnCoding.fit(real, columns, roles, bins=10, max_categories=20)
    codes = coding.codes(real)
    every = frame_statistics(real, codes, coding, [])
    pairs = choose_pairs(len(columns), 30, np.random.default_rng(2))
    some = frame_statistics(real, codes, coding, [], pairs)
    assert some.association is None and some.pairs == pairs
    expected = np.array([every.association[i, j] for i, j in pairs])
    assert np.allclose(some.pair_association, expected, atol=1e-12)
    assert all(np.array_equal(some.tables[ij], every.tables[ij]) for ij in pairs)


def test_sampled_pairs_still_find_a_broken_column(adult_split):
    real, holdout, synth = adult_split(6)
    check = PairwiseAssociationCheck(PairwiseAssociationCheck.Params(max_pairs=40))
    clean = check.run(make_context(real, synth, holdout))
    assert clean.status is Status.PASS, clean.summary
    assert clean.sample_sizes["pairs"] == clean.sample_sizes["pairs_sampled"] == 40
    assert clean.sample_sizes["column_pairs_total"] == 105 and not clean.figures
    broken = check.run(make_context(real, shuffle_column(synth, "relationship"), holdout))
    assert broken.status is Status.FAIL and "relationship" in broken.summary


def test_many_columns_do_not_explode():
    rng = np.random.default_rng(0)
    n, width = 60, 800
    data = {f"n{i}": rng.normal(size=3 * n) for i in range(width // 2)}
    data.update({f"c{i}": rng.choice(list("abc"), size=3 * n) for i in range(width // 2)})
    frame = pd.DataFrame(data)
    check = PairwiseAssociationCheck(PairwiseAssociationCheck.Params(max_pairs=2000))
    result = check.run(make_context(frame.iloc[:n], frame.iloc[n : 2 * n], frame.iloc[2 * n :]))
    assert result.sample_sizes["pairs"] == 2000
    assert result.sample_sizes["column_pairs_total"] == width * (width - 1) // 2
    assert len(result.tables[0].rows) == width  # every column scored
