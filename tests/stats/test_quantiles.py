"""Exact quantiles by radix selection: equal to ``np.quantile`` bit for bit, whatever the partitioning."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthaudit.stats.quantiles import ExactQuantiles, RadixCounts, exact_quantiles, keys_to_values, sortable_keys
from tests.stats.strategies import STATES, cut_points, split

QUANTILES = np.linspace(0.0, 1.0, 11)
VALUES = st.lists(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.sampled_from([0.0, -0.0, 1.0, 1.0 + 2**-52, -3.5, 5e-324, 1e308]),
        st.integers(-5, 5).map(float),
    ),
    max_size=80,
)


@STATES
@given(VALUES, st.data())
def test_exact_quantiles_equal_numpy_for_any_partitioning(values, data):
    x = np.asarray(values, dtype=np.float64)
    parts = split(x, data.draw(cut_points(len(x))))
    got = exact_quantiles(parts, QUANTILES)
    finite = x[np.isfinite(x)]
    if len(finite) == 0:
        assert np.isnan(got).all()
        return
    expected = np.quantile(finite, QUANTILES)
    assert np.array_equal(got, expected) or np.allclose(got, expected, rtol=0, atol=0, equal_nan=False)
    assert np.array_equal(got, exact_quantiles([x], QUANTILES))  # the split changes nothing, bit for bit


def test_exact_quantiles_accept_a_factory_of_partitions():
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=5000)
    calls = []

    def partitions():
        calls.append(1)
        return iter(np.array_split(x, 7))

    assert np.array_equal(exact_quantiles(partitions, [0.1, 0.5, 0.999]), np.quantile(x, [0.1, 0.5, 0.999]))
    assert len(calls) == 4  # one pass per 16 bits of key


@STATES
@given(st.lists(st.floats(allow_nan=False, allow_infinity=True, width=64), min_size=2, max_size=40))
def test_sortable_keys_preserve_order_and_round_trip(values):
    x = np.asarray(values, dtype=np.float64) + 0.0
    keys = sortable_keys(x)
    assert np.array_equal(np.argsort(x, kind="stable"), np.argsort(keys, kind="stable"))
    assert np.array_equal(keys_to_values(keys), x)


def test_radix_counts_merge_and_plan_errors():
    a = RadixCounts(48, np.zeros(1, dtype=np.uint64)).update(np.array([1.0, 2.0]))
    b = RadixCounts(48, np.zeros(1, dtype=np.uint64)).update(np.array([3.0, np.nan]))
    whole = RadixCounts(48, np.zeros(1, dtype=np.uint64)).update(np.array([1.0, 2.0, 3.0, np.nan]))
    assert a.merge(b) == whole == b.merge(a)
    assert whole.finalise().sum() == 3
    with pytest.raises(ValueError):
        RadixCounts(5, np.zeros(1, dtype=np.uint64))
    with pytest.raises(ValueError):
        a.merge(RadixCounts(32, np.zeros(1, dtype=np.uint64)))
    with pytest.raises(ValueError):
        ExactQuantiles([1.5])
    plan = ExactQuantiles([0.5])
    with pytest.raises(ValueError):
        plan.result()


def test_partitioned_edges_equal_the_binned_coding_edges():
    """The engine can fit ColumnCoding's quantile bin edges per partition and get the same edges."""
    import pandas as pd

    from synthaudit.artefacts.coding import ColumnCoding
    from synthaudit.data.roles import Role

    rng = np.random.default_rng(5)
    values = np.round(rng.gamma(2.0, 10.0, size=3000), 1)
    values[rng.random(3000) < 0.05] = np.nan
    coding = ColumnCoding.fit(pd.DataFrame({"x": values}), ["x"], {"x": Role.NUMERIC}, bins=10, max_categories=20)
    edges = np.unique(exact_quantiles(np.array_split(values, 9), np.linspace(0.0, 1.0, 11)[1:-1]))
    assert coding.edges[0] is not None and np.array_equal(edges, coding.edges[0])
