"""Collapse quantities of ``synthaudit trend``: the tail cut-offs of columns with a mass point."""

from __future__ import annotations

import numpy as np

from synthaudit.stats.collapse import tail_cutoffs, tail_mass


def zero_inflated(n: int, seed: int) -> np.ndarray:
    """An amount like a capital gain: 92 % zeros, 4 % one common amount (ties at the 95th percentile, so
    fewer than 5 % of values lie strictly above it), the rest spread over a long right tail."""
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    return np.where(u < 0.92, 0.0, np.where(u < 0.96, 5000.0, 5000.0 + np.round(rng.lognormal(8.0, 1.0, n))))


def test_a_zero_inflated_amount_keeps_its_upper_tail():
    values = zero_inflated(20_000, 0)
    cut = tail_cutoffs(values, 0.05)
    assert cut is not None  # before: None ("too few distinct values"), so a lost tail went unmeasured
    low, high, mass = cut
    assert low == 0.0 and high == 5000.0 and 0.025 <= mass <= 0.05
    clean = zero_inflated(2_000, 1)
    cut_tail = np.minimum(clean, np.quantile(clean[clean > 0], 0.2))
    assert tail_mass(clean, low, high).value > 0.03 and tail_mass(cut_tail, low, high).value == 0.0


def test_symmetric_columns_keep_both_tails_and_few_values_have_none():
    normal = np.random.default_rng(2).normal(size=10_000)
    low, high, mass = tail_cutoffs(normal, 0.05) or (0.0, 0.0, 0.0)
    assert low < 0 < high and mass > 0.09
    assert tail_cutoffs(np.array([0.0, 1.0] * 500), 0.05) is None  # two values: no tail on either side
    assert tail_cutoffs(np.full(100, 3.0), 0.05) is None
