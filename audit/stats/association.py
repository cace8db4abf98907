"""Association measures between columns, and distances between count tables.

Spearman's rank correlation (pairwise complete rows), Cramér's V with Bergsma's bias correction, the
bias-adjusted correlation ratio η, total variation distance between tables and the scores built on them.
Pure array functions; each docstring gives the range and which direction is good.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "association_score",
    "average_ranks",
    "centred_ranks",
    "contingency_similarity",
    "correlation_ratio",
    "cramers_v",
    "eta_from_sums",
    "pearson_pairwise",
    "spearman_matrix",
    "total_variation",
]


def total_variation(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance between two count tables of the same shape (0 when either is empty)."""
    na, nb = float(a.sum()), float(b.sum())
    if na == 0 or nb == 0:
        return 0.0 if na == nb else 1.0
    return float(min(1.0, 0.5 * np.abs(a / na - b / nb).sum()))


def contingency_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """1 − total variation distance between two contingency tables (counts, same cells).

    Range [0, 1]; higher is better; 1 when the two tables have the same cell shares.
    """
    return 1.0 - total_variation(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def association_score(a: float, b: float) -> float:
    """1 − |a − b| / 2 for two association values in [−1, 1]: 1 when equal, 0 when opposite."""
    return float(min(1.0, max(0.0, 1.0 - abs(a - b) / 2.0)))


def cramers_v(table: np.ndarray) -> float:
    """Bias-corrected Cramér's V of a contingency table (Bergsma 2013).

    φ² = χ²/n is reduced by its expectation under independence, (r−1)(c−1)/(n−1), and the numbers of rows
    and columns by their bias, before V = √(φ²_corrected / min(r̃−1, c̃−1)). Empty rows and columns are
    dropped. Range [0, 1]; 0 for independent (or constant) variables, 1 for a one-to-one relationship.
    """
    table = np.asarray(table, dtype=np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = float(table.sum())
    r, c = table.shape
    if n < 2 or r < 2 or c < 2:
        return 0.0
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    expected = np.outer(rows, cols) / n
    phi2 = max(0.0, float((table * table / expected).sum()) / n - 1.0)
    phi2_corrected = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
    r_corrected = r - (r - 1) ** 2 / (n - 1)
    c_corrected = c - (c - 1) ** 2 / (n - 1)
    denominator = min(r_corrected - 1, c_corrected - 1)
    if denominator <= 0:
        return 0.0
    return float(min(1.0, math.sqrt(phi2_corrected / denominator)))


def eta_from_sums(counts: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """Bias-adjusted correlation ratios from per-group counts, sums and sums of squares (groups × columns)."""
    n = counts.sum(axis=0)
    total = sums.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        grand = np.where(n > 0, total * total / np.maximum(n, 1), 0.0)
        ss_total = squares.sum(axis=0) - grand
        between = np.where(counts > 0, sums * sums / np.maximum(counts, 1), 0.0).sum(axis=0) - grand
        eta2 = np.where(ss_total > 1e-12 * np.maximum(squares.sum(axis=0), 1e-300), between / ss_total, 0.0)
    eta2 = np.clip(eta2, 0.0, 1.0)
    groups = (counts > 0).sum(axis=0)
    # Adjusted like R²: remove the share of variance that k groups explain by chance.
    dof = n - groups
    adjusted = np.where(dof > 0, eta2 - (1.0 - eta2) * (groups - 1) / np.maximum(dof, 1), 0.0)
    adjusted = np.where(groups > 1, adjusted, 0.0)
    return np.sqrt(np.clip(adjusted, 0.0, 1.0))


def correlation_ratio(groups: np.ndarray, values: np.ndarray) -> float:
    """Bias-adjusted correlation ratio η of a numeric variable over integer group codes.

    η² is the share of the variance of ``values`` explained by the group means, adjusted like R² for the
    number of groups ((k−1)/(n−k) of the residual share is removed) and clipped at 0. Rows with a
    non-finite value are left out. Range [0, 1]; 0 for equal group means or a constant, 1 when the group
    determines the value.
    """
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(values)
    g, v = np.asarray(groups)[keep].astype(np.intp), values[keep]
    if len(v) == 0:
        return 0.0
    v = v - v.mean()
    k = int(g.max()) + 1
    counts = np.bincount(g, minlength=k)[:, None].astype(np.float64)
    sums = np.bincount(g, weights=v, minlength=k)[:, None]
    squares = np.bincount(g, weights=v * v, minlength=k)[:, None]
    return float(eta_from_sums(counts, sums, squares)[0])


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of a finite 1-D array, ties sharing their average rank (as ``scipy.stats.rankdata``).

    Hashes the values once and sorts only the distinct ones, so columns with few distinct values are fast.
    """
    codes, distinct = pd.factorize(values, sort=False)
    order = np.argsort(distinct)
    position = np.empty(len(distinct), dtype=np.intp)
    position[order] = np.arange(len(distinct))
    counts = np.bincount(codes, minlength=len(distinct))[order]
    average = np.cumsum(counts) - (counts - 1) / 2.0
    return average[position[codes]]


def centred_ranks(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Ranks of each column's present values scaled to [−0.5, 0.5] (0 where missing), and the presence mask.

    Both outputs are (columns, rows); the mask is ``None`` when nothing is missing.
    """
    n = len(columns[0]) if columns else 0
    ranks = np.zeros((len(columns), n), dtype=np.float64)
    present = np.ones((len(columns), n), dtype=bool)
    for j, values in enumerate(columns):
        keep = np.isfinite(values)
        m = int(keep.sum())
        if m == n:
            ranks[j] = (average_ranks(values) - 0.5) / m - 0.5
        else:
            present[j] = keep
            if m:
                ranks[j, keep] = (average_ranks(values[keep]) - 0.5) / m - 0.5
    return ranks, (None if present.all() else present.astype(np.float64))


def pearson_pairwise(x: np.ndarray, present: np.ndarray | None) -> np.ndarray:
    """Pearson correlations between the rows of ``x`` (variables × rows) over pairwise complete rows.

    Computed with matrix products; ``x`` holds 0 where a value is missing. A pair with fewer than 3 complete
    rows or a constant side gets 0.
    """
    p = x.shape[0]
    if present is None:
        count = np.full((p, p), float(x.shape[1]))
        sum_x = np.broadcast_to(x.sum(axis=1)[:, None], (p, p))
        sum_xx = np.broadcast_to(np.einsum("ij,ij->i", x, x)[:, None], (p, p))
    else:
        count = present @ present.T
        sum_x = x @ present.T  # [i, j]: sum of variable i over rows where i and j are present
        sum_xx = (x * x) @ present.T
    sum_xy = x @ x.T
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.maximum(count, 1.0)
        cov = sum_xy - sum_x * sum_x.T / safe
        var_i = sum_xx - sum_x * sum_x / safe
        var_j = var_i.T
        scale = np.maximum(sum_xx, sum_xx.T) * 1e-12
        ok = (count >= 3) & (var_i > scale) & (var_j > scale)
        r = np.where(ok, cov / np.sqrt(np.where(ok, var_i * var_j, 1.0)), 0.0)
    r = np.clip(r, -1.0, 1.0)
    np.fill_diagonal(r, 1.0)
    return r


def spearman_matrix(values: np.ndarray) -> np.ndarray:
    """Spearman rank correlations between the columns of ``values`` (rows × columns, NaN for missing).

    Ranks are taken once per column over its present values; the correlation of a pair is the Pearson
    correlation of those ranks over the rows where both are present (exactly Spearman when nothing is
    missing). A constant column correlates 0 with everything. Symmetric, diagonal 1, values in [−1, 1].
    """
    values = np.asarray(values, dtype=np.float64)
    ranks, present = centred_ranks([values[:, j] for j in range(values.shape[1])])
    return pearson_pairwise(ranks, present)
