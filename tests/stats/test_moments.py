"""Floating-point states: co-moments and Gram sums merge to the whole's values within rounding (1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from synthaudit.stats.moments import CoMoments, GramSums, unit_rows, vendi_from_gram
from tests.stats.strategies import STATES, cut_points, fold, split

FINITE = st.floats(-1e6, 1e6, allow_nan=False, width=64)
ROWS = arrays(np.float64, st.tuples(st.integers(0, 40), st.just(3)), elements=FINITE)


def close(a: np.ndarray, b: np.ndarray, scale: float) -> bool:
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-9 * scale, equal_nan=True))


@STATES
@given(ROWS, st.data())
def test_comoments_merge_equals_whole(x, data):
    whole = CoMoments(3).update(x)
    parts = split(x, data.draw(cut_points(len(x))))
    merged = fold(lambda: CoMoments(3), parts, data.draw(st.permutations(range(len(parts)))))
    assert merged.n == whole.n == len(x)  # counts are exact
    scale = float(np.abs(x).max()) if len(x) else 1.0
    assert close(merged.mean, whole.mean, scale)
    assert close(merged.comoment, whole.comoment, scale * scale * max(len(x), 1))
    result = whole.finalise()
    if len(x) >= 2:
        assert close(result.covariance, np.cov(x, rowvar=False), scale * scale)
        assert np.all(np.abs(result.correlation) <= 1.0)
        assert np.allclose(np.diag(result.correlation), 1.0)


def test_comoments_drop_incomplete_rows_and_handle_few():
    x = np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 6.0], [2.0, np.inf]])
    result = CoMoments(2).update(x).finalise()
    assert result.n == 2 and result.correlation[0, 1] == pytest.approx(1.0)
    one = CoMoments(2).update(x[:1]).finalise()
    assert np.isnan(one.covariance).all() and np.array_equal(one.correlation, np.eye(2))
    constant = CoMoments(2).update(np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])).finalise()
    assert constant.correlation[0, 1] == 0.0
    with pytest.raises(ValueError):
        CoMoments(2).merge(CoMoments(3))


@STATES
@given(ROWS, st.data())
def test_gram_sums_merge_equals_whole(x, data):
    whole = GramSums(3).update(x)
    parts = split(x, data.draw(cut_points(len(x))))
    merged = fold(lambda: GramSums(3), parts, data.draw(st.permutations(range(len(parts)))))
    assert merged.n == whole.n == len(x)
    assert close(merged.finalise(), whole.finalise(), max(len(x), 1))
    unit = unit_rows(x)
    assert close(whole.finalise(), unit.T @ unit, max(len(x), 1))
    nonzero = int((np.einsum("ij,ij->i", x, x) > 0).sum())  # rows whose squared norm underflows count as 0
    assert np.trace(whole.finalise()) == pytest.approx(nonzero, abs=1e-9 * max(nonzero, 1))


def test_vendi_from_gram_counts_distinct_directions():
    assert vendi_from_gram(GramSums(3).update(np.tile([[1.0, 2.0, 0.0]], (5, 1))).finalise()) == pytest.approx(1.0)
    assert vendi_from_gram(GramSums(3).update(np.eye(3)).finalise()) == pytest.approx(3.0)
    assert vendi_from_gram(np.zeros((3, 3))) == 1.0
