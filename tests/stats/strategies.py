"""Hypothesis strategies shared by the tests of the mergeable states: random data and random partitions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any, TypeVar

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

T = TypeVar("T")

STATES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Deterministic in CI (the repository's property profiles are derandomised too)."""


@st.composite
def cut_points(draw: st.DrawFn, n: int, max_parts: int = 5) -> list[int]:
    """Sorted cut positions splitting ``n`` rows into up to ``max_parts`` parts (empty parts allowed)."""
    cuts = draw(st.lists(st.integers(0, n), min_size=0, max_size=max_parts - 1))
    return sorted(cuts)


def split(values: Any, cuts: Sequence[int], axis: int = 0) -> list[Any]:
    """``values`` (array, or frame/series by position) cut at ``cuts`` along ``axis``."""
    length = values.shape[axis] if isinstance(values, np.ndarray) else len(values)
    bounds = [0, *cuts, length]
    pieces = list(pairwise(bounds))
    if hasattr(values, "iloc"):
        return [values.iloc[a:b] for a, b in pieces]
    if axis == 1:
        return [values[:, a:b] for a, b in pieces]
    return [values[a:b] for a, b in pieces]


def fold(make: Callable[[], T], parts: Sequence[Any], order: Sequence[int] | None = None) -> T:
    """One state per part, merged in ``order`` (default: left to right)."""
    states = [make().update(part) for part in parts]  # type: ignore[attr-defined]
    chosen = range(len(states)) if order is None else order
    merged = make()
    for i in chosen:
        merged = merged.merge(states[i])  # type: ignore[attr-defined]
    return merged
