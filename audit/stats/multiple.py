"""Multiple comparisons: the standard-error multiplier that keeps the worst of many comparisons at one's rate.

A gate that looks at many comparisons (columns, groups, quantities × generations) and fails when *any* is
past ``k`` standard errors fails a clean sample far more often than one comparison would. The Šidák
correction raises ``k`` so that the worst of ``m`` comparisons crosses it at the rate one crosses ``k``.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["one_sided_tail", "sidak_multiplier"]


def one_sided_tail(multiplier: float) -> float:
    """The one-sided standard-normal tail probability ``1 − Φ(multiplier)``.

    Range (0, 1); decreasing in ``multiplier``; 0.5 at 0.
    """
    return 0.5 * math.erfc(multiplier / math.sqrt(2.0))


def sidak_multiplier(multiplier: float, comparisons: int) -> float:
    """The multiplier at which the worst of ``comparisons`` comparisons crosses as often as one at ``multiplier``.

    One comparison of a clean sample lands past ``multiplier`` standard errors with probability
    α = 1 − Φ(multiplier); the worst of m independent ones with 1 − (1 − α)^m. The Šidák multiplier
    Φ⁻¹((1 − α)^{1/m}) brings that back to α (for positively correlated comparisons the rate is lower still).
    3 becomes 3.32 for three comparisons and 3.45 for five; 5 becomes 5.20 and 5.30. A multiplier of 0 or
    less and a single comparison are returned unchanged. Range: at least ``multiplier``; increasing in
    ``comparisons``.
    """
    if comparisons <= 1 or multiplier <= 0:
        return float(multiplier)
    alpha = one_sided_tail(multiplier)
    tail = -math.expm1(math.log1p(-alpha) / comparisons)
    return -NormalDist().inv_cdf(tail)
