"""Pairwise association fidelity: whether the synthetic data keeps the real data's column-pair relationships."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from synthaudit.artefacts.coding import ColumnCoding
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
from synthaudit.checks.fidelity.pairwise_frames import (
    FrameStatistics,
    PairScores,
    choose_pairs,
    column_score_sd,
    frame_statistics,
    pair_scores,
)
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult, FigureSpec, Table
from synthaudit.stats.association import (
    association_score,
    average_ranks,
    contingency_similarity,
    correlation_ratio,
    cramers_v,
    spearman_matrix,
    total_variation,
)

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

    Skips when fewer than two columns can be compared or a side has fewer than 20 rows.

    Cost, per frame (base, synthetic, reference): one rank transform per numeric column, one matrix product for
    all Spearman pairs, one ``bincount`` per pair and three per numeric–categorical pair — O(rows × pairs) time
    and O(pairs) memory, about 0.3 s on Adult and 20 s at 1M rows × 20 columns; no subsampling up to
    ``max_rows``. Pairs grow with the square of the column count: beyond ``max_pairs`` (about 200 columns) a
    seeded sample of ``max_pairs`` pairs is measured, every column in several of them (recorded in the result);
    the co-missingness table likewise keeps a seeded sample of the columns with missing values. The association
    heatmaps are drawn only when every pair is measured.
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
        max_pairs: int = Field(
            20_000,
            ge=1,
            description="Column pairs measured; with more (over ~200 columns) a seeded sample of this many, "
            "covering every column (recorded).",
        )

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
        rng = ctx.rng(f"{self.name}.pairs")
        pairs = choose_pairs(k, p.max_pairs, rng)
        sampled = len(pairs) < k * (k - 1) // 2
        most_missing = int((1 + math.isqrt(1 + 8 * p.max_pairs)) // 2)
        missing_sampled = len(missing_columns) > most_missing
        if missing_sampled:
            missing_columns = sorted(int(c) for c in rng.choice(missing_columns, most_missing, replace=False))
        stats = {
            side: frame_statistics(frames[side], codes[side], coding, missing_columns, None if not sampled else pairs)
            for side in frames
        }
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
        figures = _heatmaps(columns, stats["base"].association, stats["synthetic"].association)
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
                **({"column_pairs_total": k * (k - 1) // 2, "pairs_sampled": len(pairs)} if sampled else {}),
                **({"missing_columns_sampled": len(missing_columns)} if missing_sampled else {}),
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
    involved, worst = syn.column_pairs(k)
    rows = []
    for c in np.argsort(col_syn, kind="stable"):
        partner_pair = syn.pairs[worst[c]]
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
                "pairs": int(involved[c]),
            }
        )
    return make_table("columns", "Per-column mean pair score, worst first", rows)


def _heatmaps(columns: Sequence[str], real: np.ndarray | None, synthetic: np.ndarray | None) -> list[FigureSpec]:
    """Real and synthetic association side by side on one scale, then their difference (none for sampled pairs)."""
    if real is None or synthetic is None:
        return []
    difference = synthetic - real
    np.fill_diagonal(difference, 0.0)
    labels = list(columns)
    measures = "(Spearman / Cramér's V / η)"
    panels = [{"title": "real", "matrix": real}, {"title": "synthetic", "matrix": synthetic}]
    return [
        make_figure("heatmap", f"Association, real and synthetic {measures}", {"labels": labels, "panels": panels}),
        make_figure(
            "heatmap", f"Association difference, synthetic − real {measures}", {"labels": labels, "matrix": difference}
        ),
    ]


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
