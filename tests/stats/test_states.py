"""Mergeable count states: merge(state(A), state(B)) == state(A ∪ B), for any split, in any order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.data.roles import Role
from synthaudit.stats.distances import category_shares
from synthaudit.stats.states import (
    CategoryCounts,
    FingerprintCounts,
    HistogramCounts,
    MissingPatterns,
    merge_all,
    merge_sparse_counts,
)
from tests.stats.strategies import STATES, cut_points, fold, split

CATEGORIES = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "é", "d d"])), max_size=60)
NUMBERS = st.lists(
    st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from([0.0, 1.0, -0.0, 2.5])),
    max_size=60,
)


@STATES
@given(CATEGORIES, st.data())
def test_category_counts_merge_equals_whole(values, data):
    series = pd.Series(values, dtype=object)
    whole = CategoryCounts().update(series)
    parts = split(series, data.draw(cut_points(len(series))))
    order = data.draw(st.permutations(range(len(parts))))
    merged = fold(CategoryCounts, parts, order)
    assert merged == whole
    pd.testing.assert_series_equal(merged.finalise(), whole.finalise())
    assert merged.missing == series.isna().sum()
    assert merged.rows == len(series)


@STATES
@given(CATEGORIES)
def test_category_counts_agree_with_value_counts(values):
    series = pd.Series(values, dtype=object)
    counts = CategoryCounts().update(series)
    expected = series.value_counts(dropna=True)
    assert counts.finalise().to_dict() == expected.to_dict()
    shares = counts.shares()
    assert shares.to_dict() == pytest.approx(category_shares(series).to_dict())
    assert counts.missing_rate() == pytest.approx(float(series.isna().mean()) if len(series) else 0.0)


def test_category_counts_order_is_deterministic():
    a = CategoryCounts().update(pd.Series(["y", "x", "z", "z"]))
    b = CategoryCounts().update(pd.Series(["z", "x", "z", "y"]))
    assert list(a.finalise().index) == list(b.finalise().index) == ["z", "x", "y"]


def test_category_counts_categorical_dtype_and_empty():
    values = pd.Series(pd.Categorical(["a", None, "a"], categories=["a", "b"]))
    counts = CategoryCounts().update(values)
    assert counts.finalise().to_dict() == {"a": 2}
    assert counts.missing == 1
    empty = CategoryCounts()
    assert empty.rows == 0 and empty.missing_rate() == 0.0 and empty.shares().empty
    assert empty.merge(counts) == counts == counts.merge(empty)


@STATES
@given(NUMBERS, st.booleans(), st.data())
def test_histogram_merge_equals_whole(values, clip, data):
    x = np.asarray(values, dtype=np.float64)
    edges = np.array([-1.0, 0.0, 0.5, 1.0, 3.0])
    whole = HistogramCounts(edges, clip).update(x)
    parts = split(x, data.draw(cut_points(len(x))))
    merged = fold(lambda: HistogramCounts(edges, clip), parts, data.draw(st.permutations(range(len(parts)))))
    assert merged == whole
    assert whole.counts.sum() + whole.below + whole.above + whole.missing == len(x)
    if clip:
        expected = np.histogram(np.clip(x[~np.isnan(x)], edges[0], edges[-1]), edges)[0]
        assert np.array_equal(whole.finalise(), expected)


def test_histogram_rejects_bad_edges_and_mixed_merges():
    with pytest.raises(ValueError):
        HistogramCounts(np.array([1.0]))
    with pytest.raises(ValueError):
        HistogramCounts(np.array([0.0, 1.0])).merge(HistogramCounts(np.array([0.0, 2.0])))


@STATES
@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=3), max_size=40), st.data())
def test_missing_patterns_merge_equals_whole(rows, data):
    matrix = np.array(rows, dtype=bool).reshape(-1, 3)
    whole = MissingPatterns(3).update(matrix)
    parts = split(matrix, data.draw(cut_points(len(matrix))))
    merged = fold(lambda: MissingPatterns(3), parts, data.draw(st.permutations(range(len(parts)))))
    assert merged == whole
    patterns = whole.finalise()
    assert sum(patterns.values()) == len(matrix)
    counts = list(patterns.values())
    assert counts == sorted(counts, reverse=True)
    for pattern, count in patterns.items():
        assert count == int((matrix == np.array(pattern)).all(axis=1).sum())


def test_missing_patterns_of_a_frame():
    frame = pd.DataFrame({"a": [1.0, None, None], "b": ["x", "y", None]})
    assert MissingPatterns(2).update(frame).finalise() == {(False, False): 1, (True, False): 1, (True, True): 1}


@STATES
@given(st.lists(st.integers(0, 6), max_size=50), st.lists(st.integers(0, 6), max_size=50), st.data())
def test_fingerprint_counts_merge_and_copies(real, synth, data):
    real_keys, synth_keys = np.array(real, dtype=np.uint64), np.array(synth, dtype=np.uint64)
    whole = FingerprintCounts().update(synth_keys)
    parts = split(synth_keys, data.draw(cut_points(len(synth_keys))))
    merged = fold(FingerprintCounts, parts, data.draw(st.permutations(range(len(parts)))))
    assert merged == whole
    real_counts = FingerprintCounts().update(real_keys)
    assert whole.copies_in(real_counts) == int(np.isin(synth_keys, real_keys).sum())
    assert whole.duplicate_rows() == len(synth_keys) - len(np.unique(synth_keys))


def test_fingerprint_counts_of_frames_find_the_copies():
    roles = {"x": Role.NUMERIC, "c": Role.CATEGORICAL}
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "c"]})
    synth = pd.DataFrame({"x": [1.0, 2.0, 9.0, 1.0], "c": ["a", "b ", "c", "a"]})
    counts = FingerprintCounts.of_frame(synth, ("x", "c"), roles)
    assert counts.copies_in(FingerprintCounts.of_frame(real, ("x", "c"), roles)) == 3  # trimmed "b " equals "b"
    assert counts.rows == 4
    assert np.array_equal(counts.finalise()[0], np.unique(row_fingerprints(synth, ("x", "c"), roles)))


def test_merge_is_associative_and_pure():
    a, b, c = (CategoryCounts().update(pd.Series(v)) for v in (["a", "b"], ["b", None], ["c"]))
    before = a.finalise().copy()
    assert a.merge(b).merge(c) == a.merge(b.merge(c)) == merge_all([c, a, b])
    pd.testing.assert_series_equal(a.finalise(), before)
    with pytest.raises(ValueError):
        merge_all([])


def test_merge_sparse_counts():
    keys, counts = merge_sparse_counts(np.array([1, 3]), np.array([2, 1]), np.array([3, 5]), np.array([4, 1]))
    assert keys.tolist() == [1, 3, 5] and counts.tolist() == [2, 5, 1]
