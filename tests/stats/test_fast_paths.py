"""The fast paths of the statistics give exactly what their plain definitions give (bit for bit).

``ks_statistic`` evaluates the CDF gap once per distinct value instead of at every pooled point; category
counts take the missing count from ``value_counts`` instead of a second ``isna`` pass and sort their output
with ``numpy.lexsort``; the coercion of text columns skips the per-value ``str`` call when every value is a
string already. Results must not move by one ulp (reports compare runs by their JSON).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.coercion import _as_strings, _coerce
from synthaudit.data.roles import Role
from synthaudit.stats.distances import ks_statistic, numeric_distance
from synthaudit.stats.states import CategoryCounts


def _ks_by_definition(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def test_ks_statistic_equals_its_definition_exactly() -> None:
    rng = np.random.default_rng(7)
    for trial in range(3000):
        n, m = (int(v) for v in rng.integers(1, 60, 2))
        if trial % 3 == 0:  # heavy ties, signed zeros
            a = rng.integers(-3, 4, n) * 0.5
            b = np.concatenate([rng.integers(-3, 4, m) * 0.5, [-0.0, 0.0]])
        elif trial % 3 == 1:
            a, b = rng.normal(size=n), rng.normal(0.2, 1.3, size=m)
        else:
            a, b = rng.normal(size=n).round(1), rng.exponential(size=m).round(2)
        expected = _ks_by_definition(a, b)
        assert ks_statistic(a, b) == expected
        assert ks_statistic(np.sort(a), np.sort(b), presorted=True) == expected
    a, b = rng.normal(size=40_000).round(2), rng.normal(0.01, 1, size=25_000).round(2)
    assert ks_statistic(a, b) == _ks_by_definition(a, b)
    assert numeric_distance(np.array([]), np.array([1.0])) == (1.0, 0.0)
    assert numeric_distance(np.array([]), np.array([])) == (0.0, 0.0)


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "b", "a", np.nan, "c", "b", "a"],
        [1.0, np.nan, 2.0, 1.0],
        [True, False, None, True],
        ["1", 1, 1.0, None, "x"],
        [None, None],
        pd.Categorical(["x", "y", None, "x"]),
    ],
)
def test_category_counts_missing_and_order(values: list[object]) -> None:
    series = pd.Series(values, dtype="category" if isinstance(values, pd.Categorical) else None)
    counts = CategoryCounts().update(series)
    assert counts.missing == int(series.isna().sum())
    plain = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
    expected = plain.value_counts(dropna=True)
    order = pd.DataFrame({"count": expected.to_numpy(), "key": expected.index.astype(str)})
    order = order.sort_values(["count", "key"], ascending=[False, True], kind="mergesort")
    assert counts.finalise().to_dict() == expected.iloc[order.index.to_numpy()].to_dict()
    assert list(counts.finalise().index) == list(expected.iloc[order.index.to_numpy()].index)


def test_string_columns_coerce_as_before() -> None:
    values = pd.Series(["a", None, " B ", np.nan, "a", "x y"], index=[5, 3, 9, 1, 0, 2])
    out = _as_strings(values)
    assert out.tolist() == ["a", None, " B ", None, "a", "x y"]
    assert out.index.equals(values.index) and out.dtype == object
    full = pd.Series(["u", "v"], index=[1, 0])
    assert _as_strings(full).tolist() == ["u", "v"] and _as_strings(full).to_numpy() is not full.to_numpy()
    words, _, _ = _coerce(pd.Series([" True", "false ", None, "TRUE"]), Role.BOOLEAN)
    assert words.tolist() == ["true", "false", None, "true"]
    flags, _, _ = _coerce(pd.Series([True, False, True]), Role.BOOLEAN)
    assert flags.tolist() == ["true", "false", "true"]
