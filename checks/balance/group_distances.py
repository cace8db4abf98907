"""Distances of one column inside sensitive groups, with their null mean and SD: KS (numeric), TVD (categories).

A helper module of ``balance.group_fidelity`` (not a check): each group's distance between base and
candidate rows, and what the distance would be under the null (same distribution) at those sizes, for every
group of a column in one vectorised pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.checks.balance.groups import (
    HALF_NORMAL_MEAN,
    HALF_NORMAL_SD,
)
from synthaudit.stats.distances import ks_statistic, total_variation_distance

KOLMOGOROV_MEAN = math.sqrt(math.pi / 2.0) * math.log(2.0)
"""Mean of the Kolmogorov distribution: the null mean of KS·√(nm/(n+m))."""


KOLMOGOROV_SD = 0.2603
"""Standard deviation of the Kolmogorov distribution (as in ``fidelity.marginals``)."""


def tvd_null(shares: np.ndarray, scale: float) -> tuple[float, float]:
    """Null mean and standard deviation of the total variation distance between two multinomial samples.

    Under the null the share differences ``d`` are about normal with covariance ``(diag(p) − ppᵀ)·scale²``
    (``scale² = 1/n + 1/m``); the TVD is ``½·Σ|dₖ|``. With ``σₖ = √(pₖ(1−pₖ))·scale`` and correlations
    ``ρⱼₖ = −√(pⱼpₖ / ((1−pⱼ)(1−pₖ)))``: mean ``½·√(2/π)·Σσₖ``, and variance ``¼·Σⱼₖ σⱼσₖ·c(ρⱼₖ)`` with
    ``c(ρ) = (2/π)(ρ·asin ρ + √(1−ρ²) − 1)`` for ``j ≠ k`` and ``1 − 2/π`` on the diagonal (the covariance of
    ``|X|`` and ``|Y|`` for standard normals with correlation ρ). For two categories the SD is that of one
    absolute difference, ``0.603·σ``; treating the categories as independent would understate it by √2.
    """
    p = np.asarray(shares, dtype=np.float64)
    p = p[(p > 0) & (p < 1)]
    if len(p) < 2:
        return 0.0, 0.0
    sigma = np.sqrt(p * (1.0 - p)) * scale
    mean = 0.5 * HALF_NORMAL_MEAN * float(sigma.sum())
    root = np.sqrt(p / (1.0 - p))
    rho = np.clip(-np.outer(root, root), -1.0, 1.0)
    c = (2.0 / math.pi) * (rho * np.arcsin(rho) + np.sqrt(1.0 - rho**2) - 1.0)
    np.fill_diagonal(c, HALF_NORMAL_SD**2)
    variance = 0.25 * float(sigma @ c @ sigma)
    return mean, math.sqrt(max(variance, 0.0))


def cell_distance(
    base: np.ndarray, candidate: np.ndarray, numeric: bool, categories: int = 0
) -> tuple[float, float, float]:
    """``(distance, null mean, null SD)`` of one column inside one group, base vs candidate rows.

    Numeric: ``base`` and ``candidate`` hold the finite values; the distance is the two-sample KS statistic,
    whose null distribution (scaled by ``√(1/n + 1/m)``) is Kolmogorov's. Categorical: they hold category codes
    ``0 … categories−1``; the distance is the total variation distance of the shares, with the null of
    :func:`tvd_null` at the pooled shares. Either side empty: distance 1 (0 when both are), null 0.
    """
    n, m = len(base), len(candidate)
    if n == 0 or m == 0:
        return (0.0 if n == m else 1.0), 0.0, 0.0
    scale = math.sqrt(1.0 / n + 1.0 / m)
    if numeric:
        return ks_statistic(base, candidate), KOLMOGOROV_MEAN * scale, KOLMOGOROV_SD * scale
    p = np.bincount(base, minlength=categories) / n
    q = np.bincount(candidate, minlength=categories) / m
    distance = total_variation_distance(pd.Series(p), pd.Series(q))
    null_mean, null_sd = tvd_null((n * p + m * q) / (n + m), scale)
    return distance, null_mean, null_sd


@dataclass(frozen=True)
class GroupedDistances:
    """Distances of one column inside every group at once (arrays indexed by group code)."""

    distance: np.ndarray
    null_mean: np.ndarray
    null_sd: np.ndarray
    base_rows: np.ndarray
    candidate_rows: np.ndarray


def grouped_distances(
    base: np.ndarray,
    base_groups: np.ndarray,
    candidate: np.ndarray,
    candidate_groups: np.ndarray,
    groups: int,
    numeric: bool,
    categories: int = 0,
    value_order: np.ndarray | None = None,
) -> GroupedDistances:
    """:func:`cell_distance` for every group of one column in one pass (vectorised; the same numbers).

    ``base``/``candidate`` hold floats with NaN for missing (numeric) or category codes with −1 for missing;
    ``*_groups`` hold group codes ``0 … groups−1`` (−1: row not in a compared group). Numeric columns: the
    rows are sorted once by (group, value) and each group's KS statistic is the largest gap between the two
    running empirical CDFs at the last row of each run of tied values — what ``ks_statistic`` evaluates.
    Categorical columns: a (group × category) count table per side gives every group's shares at once.
    ``value_order`` (numeric only) may pass ``np.argsort(np.concatenate([base, candidate]), kind="stable")``,
    computed once per column and reused for every grouping of it.
    """
    present_b = np.isfinite(base) if numeric else base >= 0
    present_c = np.isfinite(candidate) if numeric else candidate >= 0
    keep_b = present_b & (base_groups >= 0)
    keep_c = present_c & (candidate_groups >= 0)
    n = np.bincount(base_groups[keep_b], minlength=groups).astype(np.float64)
    m = np.bincount(candidate_groups[keep_c], minlength=groups).astype(np.float64)
    distance = np.zeros(groups)
    null_mean = np.zeros(groups)
    null_sd = np.zeros(groups)
    both = (n > 0) & (m > 0)
    distance[(n > 0) != (m > 0)] = 1.0
    scale = np.sqrt(1.0 / np.where(both, n, 1.0) + 1.0 / np.where(both, m, 1.0))
    if numeric:
        values = np.concatenate([base, candidate])
        if value_order is None:
            value_order = np.argsort(values, kind="stable")
        keep = np.concatenate([keep_b, keep_c])
        order = value_order[keep[value_order]]
        group = np.concatenate([base_groups, candidate_groups])
        codes = group[order].astype(np.int16 if groups < 2**15 else np.int64)
        order = order[np.argsort(codes, kind="stable")]  # by group, then value (radix sort of small codes)
        from_base = (order < len(base)).astype(np.float64)
        values, group = values[order], group[order]
        starts = np.searchsorted(group, np.arange(groups))
        cum_b = np.cumsum(from_base)
        cum_c = np.cumsum(1.0 - from_base)
        before_b = np.concatenate([[0.0], cum_b])[starts]
        before_c = np.concatenate([[0.0], cum_c])[starts]
        last = np.ones(len(values), dtype=bool)
        last[:-1] = (values[1:] != values[:-1]) | (group[1:] != group[:-1])
        g = group[last]
        gap = np.abs(
            (cum_b[last] - before_b[g]) / np.where(n[g] > 0, n[g], 1.0)
            - (cum_c[last] - before_c[g]) / np.where(m[g] > 0, m[g], 1.0)
        )
        largest = np.zeros(groups)
        np.maximum.at(largest, g, gap)
        distance = np.where(both, largest, distance)
        null_mean = np.where(both, KOLMOGOROV_MEAN * scale, 0.0)
        null_sd = np.where(both, KOLMOGOROV_SD * scale, 0.0)
    else:
        size = groups * categories
        counts_b = np.bincount(base_groups[keep_b] * categories + base[keep_b], minlength=size).reshape(groups, -1)
        counts_c = np.bincount(candidate_groups[keep_c] * categories + candidate[keep_c], minlength=size).reshape(
            groups, -1
        )
        for k in np.flatnonzero(both):
            p, q = counts_b[k] / n[k], counts_c[k] / m[k]
            distance[k] = 0.5 * float(np.abs(p - q).sum())
            null_mean[k], null_sd[k] = tvd_null((counts_b[k] + counts_c[k]) / (n[k] + m[k]), float(scale[k]))
    return GroupedDistances(distance, null_mean, null_sd, n.astype(np.int64), m.astype(np.int64))
