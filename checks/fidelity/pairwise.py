"""Pairwise association fidelity: whether the synthetic data keeps the real data's column-pair relationships."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.coding import ColumnCoding, column_numbers
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Table

__all__ = [
    "FrameStatistics",
    "PairScores",
    "PairwiseAssociationCheck",
    "association_score",
    "average_ranks",
    "column_score_sd",
    "contingency_similarity",
    "correlation_ratio",
    "cramers_v",
    "frame_statistics",
    "pair_scores",
    "spearman_matrix",
    "total_variation",
]

NUMERIC_ROLES = (Role.NUMERIC, Role.DATETIME)
_HALF_NORMAL_SD = math.sqrt(1.0 - 2.0 / math.pi)
"""SD of |Z| for a standard normal Z: the spread of an absolute difference of two noisy estimates."""


# ----------------------------------------------------------------------------- coding


# ----------------------------------------------------------------------------- metrics
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


def _eta_from_sums(counts: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> np.ndarray:
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
    return float(_eta_from_sums(counts, sums, squares)[0])


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


def _centred_ranks(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
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


def _pearson_pairwise(x: np.ndarray, present: np.ndarray | None) -> np.ndarray:
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
    ranks, present = _centred_ranks([values[:, j] for j in range(values.shape[1])])
    return _pearson_pairwise(ranks, present)


# ----------------------------------------------------------------------------- per-frame statistics
@dataclass(frozen=True)
class FrameStatistics:
    """Everything the check compares, computed from one frame: small arrays only.

    ``association`` is the (columns × columns) matrix of Spearman / Cramér's V / η, ``tables`` the 2-D count
    table of every pair of codes, ``missing_correlation`` the correlation of the missing-value indicators
    of the columns listed in ``missing_columns`` (positions), ``rows`` the number of rows.
    """

    association: np.ndarray
    tables: dict[tuple[int, int], np.ndarray]
    missing_correlation: np.ndarray
    rows: int


def frame_statistics(
    frame: pd.DataFrame, codes: np.ndarray, coding: ColumnCoding, missing_columns: Sequence[int]
) -> FrameStatistics:
    """Association matrix, pair tables and missing-indicator correlations of one coded frame."""
    p, n = codes.shape
    association = np.eye(p)
    numeric = [i for i in range(p) if coding.numeric[i]]
    categorical = [i for i in range(p) if not coding.numeric[i]]
    wide = codes.astype(np.intp)  # bincount's native index type: no cast per pair
    tables: dict[tuple[int, int], np.ndarray] = {}
    joint = np.empty(n, dtype=np.intp)
    for i, j in combinations(range(p), 2):
        np.multiply(wide[i], coding.levels[j], out=joint)
        joint += wide[j]
        cells = np.bincount(joint, minlength=coding.levels[i] * coding.levels[j])
        tables[i, j] = cells.reshape(coding.levels[i], coding.levels[j])
    for i, j in combinations(categorical, 2):
        association[i, j] = association[j, i] = cramers_v(tables[i, j])
    if numeric:
        ranks, present = _centred_ranks([column_numbers(frame[coding.columns[i]]) for i in numeric])
        association[np.ix_(numeric, numeric)] = _pearson_pairwise(ranks, present)
        squares = ranks * ranks
        for c in categorical:
            groups, k = wide[c], coding.levels[c]
            shape = (k, len(numeric))
            counts, sums, sum_squares = np.empty(shape), np.empty(shape), np.empty(shape)
            all_rows = np.bincount(groups, minlength=k)
            for q in range(len(numeric)):
                counts[:, q] = all_rows if present is None else np.bincount(groups, present[q], minlength=k)
                sums[:, q] = np.bincount(groups, ranks[q], minlength=k)
                sum_squares[:, q] = np.bincount(groups, squares[q], minlength=k)
            eta = _eta_from_sums(counts, sums, sum_squares)
            association[c, numeric] = eta
            association[numeric, c] = eta
    if len(missing_columns) >= 2:
        indicators = np.stack([codes[i] == coding.levels[i] - 1 for i in missing_columns])
        missing_correlation = _pearson_pairwise(indicators.astype(np.float64), None)
    else:
        missing_correlation = np.eye(len(missing_columns))
    return FrameStatistics(association, tables, missing_correlation, n)


@dataclass(frozen=True)
class PairScores:
    """Per-pair comparison of a candidate with the base: arrays indexed like ``pairs``."""

    pairs: tuple[tuple[int, int], ...]
    base_association: np.ndarray
    candidate_association: np.ndarray
    association: np.ndarray
    contingency: np.ndarray

    @property
    def combined(self) -> np.ndarray:
        """The pair score: mean of the association score and the contingency similarity."""
        return 0.5 * (self.association + self.contingency)

    def column_means(self, p: int, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over the pairs each of the ``p`` columns takes part in."""
        sums, counts = np.zeros(p), np.zeros(p)
        for (i, j), v in zip(self.pairs, values, strict=True):
            sums[[i, j]] += v
            counts[[i, j]] += 1
        return sums / np.maximum(counts, 1)


def pair_scores(base: FrameStatistics, candidate: FrameStatistics) -> PairScores:
    """Association score and contingency similarity of every column pair, candidate against base."""
    pairs = tuple(sorted(base.tables))
    a_base = np.array([base.association[i, j] for i, j in pairs])
    a_cand = np.array([candidate.association[i, j] for i, j in pairs])
    association = np.clip(1.0 - np.abs(a_cand - a_base) / 2.0, 0.0, 1.0)
    contingency = np.array([contingency_similarity(base.tables[ij], candidate.tables[ij]) for ij in pairs])
    return PairScores(pairs, a_base, a_cand, association, contingency)


def column_score_sd(base: FrameStatistics, pairs: Sequence[tuple[int, int]], p: int, candidate_rows: int) -> np.ndarray:
    """Analytic sampling SD of each column's mean pair score, for a clean candidate of ``candidate_rows``."""
    scale = math.sqrt(1.0 / max(base.rows, 1) + 1.0 / max(candidate_rows, 1))
    sigma_assoc = 0.5 * _HALF_NORMAL_SD * scale
    pair_sd = np.empty(len(pairs))
    for k, ij in enumerate(pairs):
        shares = base.tables[ij] / max(base.rows, 1)
        sigma_cont = 0.5 * _HALF_NORMAL_SD * math.sqrt(float((shares * (1.0 - shares)).sum())) * scale
        pair_sd[k] = 0.5 * math.sqrt(sigma_assoc**2 + sigma_cont**2)
    out = np.zeros(p)
    for c in range(p):
        sd = np.array([pair_sd[k] for k, ij in enumerate(pairs) if c in ij])
        if len(sd):
            # Pairs of one column share that column's noise: correlation (1 shared / 2 columns)² = 1/4.
            total = float(sd.sum())
            variance = (0.75 * float((sd * sd).sum()) + 0.25 * total * total) / len(sd) ** 2
            out[c] = math.sqrt(variance)
    return out


# ----------------------------------------------------------------------------- the check
def _measure(coding: ColumnCoding, i: int, j: int) -> str:
    if coding.numeric[i] and coding.numeric[j]:
        return "spearman"
    if not coding.numeric[i] and not coding.numeric[j]:
        return "cramers_v"
    return "correlation_ratio"


class PairwiseAssociationCheck(Check):
    """Whether every pair of columns is related in the synthetic data as in the real data.

    For every pair of comparable columns, two things are compared between the synthetic rows and the real
    rows. (1) The association: Spearman's rank correlation for two numeric (or datetime) columns,
    Cramér's V with Bergsma's (2013) bias correction for two categorical (or boolean) columns, and the
    correlation ratio η (on ranks, bias-adjusted like R²) for a numeric and a categorical column; the
    association score is 1 − |synthetic − real| / 2. (2) The contingency similarity: 1 − total variation
    distance between the two 2-D tables of the pair, numeric columns binned at the real data's quantiles
    (``bins``), categorical columns reduced to their ``max_categories`` most frequent real values plus
    "other". The pair score is the mean of both: the association score sees the strength of a relation,
    the contingency table also its shape (a non-monotone numeric relation Spearman misses, or which
    categories go together). Both are in [0, 1], higher is better, 1 for identical data.

    Missing values (and non-finite numbers): a categorical column's missing values are a category of their
    own (in Cramér's V, η and the tables) and a numeric column's a bin of its own in contingency tables;
    Spearman correlations use each pair's complete rows (ranks taken once per column over its present
    values, so no value is invented) and η a numeric column's present rows. The correlation of the
    missing-value indicators of every two columns with missing values in the real data (co-missingness)
    is reported as information, since missingness already enters the contingency tables.

    Gating: the worst column — the mean pair score over the pairs a column takes part in — against the
    reference's worst column (holdout vs real, or the split substitute, at matched size). One broken
    column touches only a few of many pairs, so the overall mean (information) would hide it. An
    independent sample scores about 0.94 per column at 1,000 rows (the contingency similarity of a sparse
    table is biased down at small n, hence the matched reference) and close to 1 at large n. The margin
    is a multiple of an analytic standard error: a correlation estimate has sampling SD ≈ 1/√n, a table's
    TVD ≈ ½·√((1−2/π)·Σp(1−p)·(1/n+1/m)), pairs of one column are taken as correlated 1/4, and both worst
    values are noisy (×√2); on UCI Adult it is 0.9–1.4× the measured SD at 1,000 and 8,000 rows.

    Skips when fewer than two columns can be compared or a side has fewer than 20 rows. Cost, per frame
    (base, synthetic, reference): one rank transform per numeric column, one matrix product for all
    Spearman pairs, one ``bincount`` per pair and three per numeric–categorical pair — O(rows × columns²),
    about 0.3 s on Adult and 20 s at 1M rows × 20 columns; no subsampling up to ``max_rows``.
    """

    name: ClassVar[str] = "fidelity.pairwise"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = (
        "Every pair of columns is associated as in the real data (Spearman / Cramér's V / η and 2-D tables)."
    )
    meaning: ClassVar[str] = (
        "For every pair of columns, how closely the synthetic data reproduces how strongly and in what way "
        "they go together in the real data (1 = exactly, lower = relations lost or invented), averaged per "
        "column and compared with real data the generator never saw. Higher is better; the worst column decides."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("worst_column_pair_score",)

    class Params(CheckParams):
        """Settings and thresholds of ``fidelity.pairwise``."""

        column_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.015, fail_floor=0.03),
            description="Margin below the reference's worst column mean pair score (score units, 0–1).",
        )
        bins: int = Field(10, ge=2, le=100, description="Equal-frequency bins (real quantiles) per numeric column.")
        max_categories: int = Field(
            20, ge=1, le=500, description="Most frequent real categories kept per column; the rest become 'other'."
        )
        max_rows: int = Field(
            1_000_000, ge=1000, description="Rows used per side; longer frames are sampled (seeded) unless --full."
        )
        worst_pairs: int = Field(20, ge=1, le=1000, description="Rows of the worst-pairs table.")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare every column pair's association and 2-D table on the synthetic and the reference pair."""
        p = self.params
        columns = ctx.comparable_columns
        if len(columns) < 2:
            return self.skip("fewer than two numeric, datetime, categorical or boolean columns to pair")
        if min(len(ctx.synthetic_pair.base), ctx.matched_size) < 20:
            return self.skip("fewer than 20 rows on a side: too few to estimate associations")
        coding, frames, codes = ctx.coded_frames(columns, p.bins, p.max_categories, p.max_rows)
        k = len(columns)
        missing_columns = [i for i in range(k) if bool((codes["base"][i] == coding.levels[i] - 1).any())]
        stats = {side: frame_statistics(frames[side], codes[side], coding, missing_columns) for side in frames}
        syn = pair_scores(stats["base"], stats["synthetic"])
        ref = pair_scores(stats["base"], stats["reference"])
        col_syn = syn.column_means(k, syn.combined)
        col_ref = ref.column_means(k, ref.combined)
        column_sd = column_score_sd(stats["base"], syn.pairs, k, stats["synthetic"].rows)
        worst = int(np.argmin(col_syn))
        worst_pair = int(np.argmin(syn.combined))
        a, b = syn.pairs[worst_pair]
        metrics = [
            gated_metric(
                "worst_column_pair_score",
                value=float(col_syn[worst]),
                reference=float(col_ref.min()),
                standard_error=math.sqrt(2.0) * float(column_sd.max()),
                margin=p.column_margin,
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description=(
                    f"lowest per-column mean pair score (mean of association score and contingency similarity "
                    f"over the column's pairs; column {columns[worst]!r})"
                ),
            ),
            info_metric(
                "mean_pair_score",
                float(syn.combined.mean()),
                reference=float(ref.combined.mean()),
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description="mean pair score over all column pairs (information)",
            ),
            info_metric(
                "mean_association_score",
                float(syn.association.mean()),
                reference=float(ref.association.mean()),
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description="mean of 1 − |association difference| / 2 over all pairs (information)",
            ),
            info_metric(
                "mean_contingency_similarity",
                float(syn.contingency.mean()),
                reference=float(ref.contingency.mean()),
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description="mean of 1 − TVD of the binned 2-D tables over all pairs (information)",
            ),
            info_metric(
                "worst_pair_score",
                float(syn.combined[worst_pair]),
                reference=float(ref.combined.min()),
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description=f"lowest pair score (pair {columns[a]!r}, {columns[b]!r}; information)",
            ),
        ]
        tables = [
            _column_table(columns, ctx, syn, ref, col_syn, col_ref),
            _pair_table(columns, coding, syn, ref, p.worst_pairs),
        ]
        missing_summary = ""
        if len(missing_columns) >= 2:
            missing_table, worst_missing = _missing_table(columns, missing_columns, stats)
            tables.append(missing_table)
            metrics.append(
                info_metric(
                    "worst_comissing_score",
                    worst_missing[0],
                    reference=worst_missing[1],
                    direction="higher_is_better",
                    value_range=(0.0, 1.0),
                    description="lowest 1 − |difference| / 2 of missing-indicator correlations (information)",
                )
            )
            missing_summary = f" Worst co-missingness score {worst_missing[0]:.3f} (reference {worst_missing[1]:.3f})."
        difference = stats["synthetic"].association - stats["base"].association
        np.fill_diagonal(difference, 0.0)
        # real and synthetic side by side on one scale, then their difference (as readers of other tools expect)
        labels = list(columns)
        measures = "(Spearman / Cramér's V / η)"
        panels = [
            {"title": "real", "matrix": stats["base"].association},
            {"title": "synthetic", "matrix": stats["synthetic"].association},
        ]
        figures = [
            make_figure("heatmap", f"Association, real and synthetic {measures}", {"labels": labels, "panels": panels}),
            make_figure(
                "heatmap",
                f"Association difference, synthetic − real {measures}",
                {"labels": labels, "matrix": difference},
            ),
        ]
        gate = metrics[0]
        verdict = "below the fail threshold" if gate.passed is False else "within the thresholds"
        summary = (
            f"Worst column {columns[worst]!r}: mean pair score {col_syn[worst]:.3f} vs reference worst "
            f"{col_ref.min():.3f} (fail below {gate.threshold:.3f}) — {verdict}. Worst pair ({columns[a]!r}, "
            f"{columns[b]!r}): {_measure(coding, a, b)} real {syn.base_association[worst_pair]:.2f}, synthetic "
            f"{syn.candidate_association[worst_pair]:.2f}.{missing_summary}"
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes={
                "base_rows": stats["base"].rows,
                "synthetic_rows": stats["synthetic"].rows,
                "reference_rows": stats["reference"].rows,
                "columns": k,
                "pairs": len(syn.pairs),
            },
            columns=columns,
            ctx=ctx,
        )


def _column_table(
    columns: Sequence[str],
    ctx: AuditContext,
    syn: PairScores,
    ref: PairScores,
    col_syn: np.ndarray,
    col_ref: np.ndarray,
) -> Table:
    k = len(columns)
    association = syn.column_means(k, syn.association)
    contingency = syn.column_means(k, syn.contingency)
    rows = []
    for c in np.argsort(col_syn, kind="stable"):
        involved = [n for n, ij in enumerate(syn.pairs) if c in ij]
        partner_pair = syn.pairs[min(involved, key=lambda n: syn.combined[n])]
        partner = partner_pair[1] if partner_pair[0] == c else partner_pair[0]
        rows.append(
            {
                "column": columns[c],
                "role": ctx.roles[columns[c]].value,
                "pair_score": col_syn[c],
                "reference_pair_score": col_ref[c],
                "association_score": association[c],
                "contingency_similarity": contingency[c],
                "worst_partner": columns[partner],
                "pairs": len(involved),
            }
        )
    return make_table("columns", "Per-column mean pair score, worst first", rows)


def _pair_table(columns: Sequence[str], coding: ColumnCoding, syn: PairScores, ref: PairScores, limit: int) -> Table:
    rows = []
    for n in np.argsort(syn.combined, kind="stable")[:limit]:
        i, j = syn.pairs[n]
        rows.append(
            {
                "column_a": columns[i],
                "column_b": columns[j],
                "measure": _measure(coding, i, j),
                "real_association": syn.base_association[n],
                "synthetic_association": syn.candidate_association[n],
                "reference_association": ref.candidate_association[n],
                "association_score": syn.association[n],
                "contingency_similarity": syn.contingency[n],
                "pair_score": syn.combined[n],
                "reference_pair_score": ref.combined[n],
            }
        )
    return make_table("pairs", "Worst column pairs", rows)


def _missing_table(
    columns: Sequence[str], missing_columns: Sequence[int], stats: dict[str, FrameStatistics]
) -> tuple[Table, tuple[float, float]]:
    rows: list[dict[str, Any]] = []
    for u, v in combinations(range(len(missing_columns)), 2):
        real = float(stats["base"].missing_correlation[u, v])
        synthetic = float(stats["synthetic"].missing_correlation[u, v])
        reference = float(stats["reference"].missing_correlation[u, v])
        rows.append(
            {
                "column_a": columns[missing_columns[u]],
                "column_b": columns[missing_columns[v]],
                "real_correlation": real,
                "synthetic_correlation": synthetic,
                "reference_correlation": reference,
                "score": association_score(synthetic, real),
                "reference_score": association_score(reference, real),
            }
        )
    rows.sort(key=lambda r: r["score"])
    worst = (float(rows[0]["score"]), float(min(r["reference_score"] for r in rows)))
    return make_table("comissing", "Co-missingness: correlation of missing-value indicators, worst first", rows), worst
