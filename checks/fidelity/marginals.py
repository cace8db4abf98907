"""Fidelity checks: whether the synthetic data has the real data's statistics."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.text_stats import MEASURED_AS, STATISTICS, statistic_column
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
    worst_of_many_margin,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, FigureSpec
from synthaudit.stats.distances import category_distance, numeric_distance, present_numbers
from synthaudit.stats.distances import column_distance as _column_distance
from synthaudit.stats.states import CategoryCounts, HistogramCounts

__all__ = ["MarginalDistributionCheck"]

RARE_CATEGORY_COUNT = 10
"""DESIGN: category values seen fewer than 10 times in the real data are suppressed in tables."""


NUMERIC_ROLES = (Role.NUMERIC, Role.DATETIME)


def _missing_rate(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else 0.0


class _Memo:
    """Per-frame column summaries, computed once per run of the check.

    The base frame is in both pairs and in the figures, the synthetic candidate in a pair and a figure (and
    with a holdout the base is the real frame): each frame's column is counted (categories, through the
    mergeable :class:`CategoryCounts` state) or sorted (numbers, for the KS statistic) once, not up to three
    times.
    """

    def __init__(self, ctx: AuditContext) -> None:
        self._ctx = ctx
        self._counts: dict[tuple[int, str], CategoryCounts] = {}
        self._numbers: dict[tuple[int, str], np.ndarray] = {}

    def counts(self, key: str, column: str) -> CategoryCounts:
        """Value counts (and missing values) of ``column`` in frame ``key``."""
        frame = self._ctx.frame(key)
        if (id(frame), column) not in self._counts:  # frames live as long as the context: ids stay unique
            if key == "real" and self._real_is_base_and_reference():  # the states merge exactly
                counts = self.counts("base", column).merge(self.counts("reference_candidate", column))
            else:
                counts = CategoryCounts().update(frame[column])
            self._counts[id(frame), column] = counts
        return self._counts[id(frame), column]

    def _real_is_base_and_reference(self) -> bool:
        """Whether the real rows are the base plus the reference candidate (the split, nothing subsampled)."""
        info = self._ctx.reference_info
        return info["kind"] == "split" and info["base_rows"] + info["matched_rows"] == len(self._ctx.real)

    def numbers(self, key: str, column: str) -> np.ndarray:
        """The present values of ``column`` in frame ``key`` as float64 (datetimes as seconds), sorted."""
        frame = self._ctx.frame(key)
        if (id(frame), column) not in self._numbers:
            self._numbers[id(frame), column] = np.sort(present_numbers(frame[column]))
        return self._numbers[id(frame), column]


def _distance(memo: _Memo, pair: Pair, column: str, role: Role) -> tuple[float, float, str, float, float]:
    """``(distance, null SD, statistic, base missing rate, candidate missing rate)`` of one column of ``pair``.

    Categorical columns go through the mergeable :class:`CategoryCounts` state (value counts and missing
    values in one pass); numeric ones through the KS statistic, which needs the sorted values.
    """
    if role in NUMERIC_ROLES:
        a, b = memo.numbers(pair.base_key, column), memo.numbers(pair.candidate_key, column)
        distance, null_sd = numeric_distance(a, b, presorted=True)
        return distance, null_sd, "ks", _missing_rate(pair.base[column]), _missing_rate(pair.candidate[column])
    base_counts, candidate_counts = memo.counts(pair.base_key, column), memo.counts(pair.candidate_key, column)
    distance, null_sd = category_distance(base_counts, candidate_counts)
    return distance, null_sd, "tvd", base_counts.missing_rate(), candidate_counts.missing_rate()


class MarginalDistributionCheck(Check):
    """Per-column distribution distance between synthetic and real data, against the reference.

    Numeric and datetime columns are compared by the two-sample Kolmogorov–Smirnov statistic (the largest
    gap between the empirical CDFs), categorical and boolean columns by the total variation distance of
    category shares (half the summed absolute share differences). Both are in [0, 1], lower is better, 0
    for identical data; for an independent sample of the same population they are small and shrink like
    1/√n. Separately, the missing-value rate of each column is compared (missing values are data: a
    generator that drops them is wrong).

    Text columns are compared through per-text statistics (:mod:`synthaudit.artefacts.text_stats`): length
    in characters and in words, type–token ratio, share of words outside the real vocabulary and mean log
    word frequency under the real texts' counts (a real text is measured against the other real texts).
    Each statistic is one more numeric column, named ``"<column>:<statistic>"``, compared by KS exactly as
    the others and entering the same worst-column gate; the text column's missing rate counts once.

    Gating: each column against its own reference. A column's excess is its distance on the synthetic pair
    minus its distance on the reference pair (holdout vs real, or the split substitute, at matched size); its
    standard error √2 × the larger of the two null SDs of that column (both distances are noisy). The gated
    column is the one whose excess is the largest share of its own fail margin, and the gate compares that
    column's synthetic distance with its reference distance. Likewise the missing-rate difference: each
    column's against the reference's for that column. Columns differ in how far apart two clean samples sit —
    a column of 800 city names is at TVD ≈ 0.27 between two clean 1,000-row samples, a five-category column at
    ≈ 0.02 — so the worst synthetic column against the worst reference column let one naturally distant
    column hide a broken one (a 25 % category merged into another, an age shift of 0.5 SD, an amount doubled
    all passed beside that city column), and a column at distance 1 on both sides made the gate unable to
    fail. The margin is a multiple of the column's standard error with an absolute floor, its multipliers
    widened for the worst of the compared columns (:func:`~synthaudit.check.worst_of_many_margin`).
    Skips when no column can be compared.

    Cost: O(r log r) per column for each of the three frames (r rows): linear in columns, nothing capped.
    """

    name: ClassVar[str] = "fidelity.marginals"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = (
        "Each column's distribution (KS / total variation) and missing rate match the real data."
    )
    meaning: ClassVar[str] = (
        "For every column, how far the synthetic values' distribution is from the real one (0 = the same, "
        "1 = nothing in common), compared with how far real data the generator never saw is. Lower is better; "
        "each column is judged against its own reference distance, and the furthest past it decides."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("worst_column_distance", "worst_missing_rate_difference")

    class Params(CheckParams):
        """Thresholds of ``fidelity.marginals``."""

        distance_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.03, fail_floor=0.05),
            description="Margin over the reference's worst column distance (KS or TVD units).",
        )
        missing_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.03),
            description="Margin over the reference's worst missing-rate difference (share of rows).",
        )
        figures: int = Field(
            20,
            ge=0,
            le=60,
            description="Distribution figures drawn, worst columns first: every compared column up to this many "
            "(the report shows the first few and folds the rest).",
        )

    def _pair_stats(
        self, ctx: AuditContext, pair: Pair, columns: tuple[str, ...], texts: tuple[str, ...], memo: _Memo
    ) -> pd.DataFrame:
        """One row per compared column (and per text statistic): distance, null SD, missing rates."""
        rows = []
        measured = [
            (column, column, pair.base[column], pair.candidate[column], ctx.roles[column]) for column in columns
        ]
        for text in texts:
            base_stats = ctx.text_statistics(text, pair.base_key).loc[pair.base.index]
            candidate_stats = ctx.text_statistics(text, pair.candidate_key).loc[pair.candidate.index]
            measured += [
                (statistic_column(text, s), text, base_stats[s], candidate_stats[s], Role.NUMERIC) for s in STATISTICS
            ]
        for name, column, base, candidate, role in measured:
            if name == column:
                distance, null_sd, statistic, base_missing, candidate_missing = _distance(memo, pair, column, role)
            else:  # a text statistic, compared by KS; the text column's own missing rate
                distance, null_sd, statistic = _column_distance(base, candidate, role)
                base_missing = _missing_rate(pair.base[column])
                candidate_missing = _missing_rate(pair.candidate[column])
            n, m = len(pair.base), len(pair.candidate)
            pooled = (base_missing * n + candidate_missing * m) / max(n + m, 1)
            missing_sd = math.sqrt(pooled * (1 - pooled) * (1 / max(n, 1) + 1 / max(m, 1)))
            rows.append(
                {
                    "column": name,
                    "source": column,
                    "statistic": statistic,
                    "distance": distance,
                    "null_sd": null_sd,
                    "missing_base": base_missing,
                    "missing_candidate": candidate_missing,
                    "missing_difference": abs(candidate_missing - base_missing),
                    "missing_sd": missing_sd,
                }
            )
        return pd.DataFrame(rows).set_index("column")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare every comparable column on the synthetic and the reference pair."""
        columns = ctx.comparable_columns
        texts = tuple(c for c in ctx.data.text if ctx.synthetic_pair.base[c].notna().any())
        if not columns and not texts:
            return self.skip("no numeric, datetime, categorical, boolean or text column to compare")
        p = self.params
        memo = _Memo(ctx)
        syn = self._pair_stats(ctx, ctx.synthetic_pair, columns, texts, memo)
        ref = self._pair_stats(ctx, ctx.reference_pair, columns, texts, memo)
        distance_margin = worst_of_many_margin(p.distance_margin, len(syn))
        missing_margin = worst_of_many_margin(p.missing_margin, len(syn))
        worst, distance, distance_reference, distance_se, thresholds = _gated_column(
            syn, ref, "distance", "null_sd", distance_margin
        )
        worst_missing_row, missing, missing_reference, missing_se, _ = _gated_column(
            syn, ref, "missing_difference", "missing_sd", missing_margin
        )
        worst_missing = str(syn.at[worst_missing_row, "source"])
        metrics = [
            gated_metric(
                "worst_column_distance",
                value=distance,
                reference=distance_reference,
                standard_error=distance_se,
                margin=distance_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"KS/TVD distance of the column furthest past its own reference distance "
                f"(column {worst!r})",
            ),
            gated_metric(
                "worst_missing_rate_difference",
                value=missing,
                reference=missing_reference,
                standard_error=missing_se,
                margin=missing_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"difference in missing-value share of the column furthest past its own reference "
                f"difference (column {worst_missing!r})",
            ),
            info_metric(
                "mean_column_distance",
                float(syn["distance"].mean()),
                reference=float(ref["distance"].mean()),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="mean per-column distance (information)",
            ),
        ]
        table_rows = []
        for column in syn.sort_values("distance", ascending=False).index:
            source = str(syn.at[column, "source"])
            role = ctx.roles[source]
            one_sided = _one_sided_categories(memo, source) if role in (Role.CATEGORICAL, Role.BOOLEAN) else {}
            table_rows.append(
                {
                    "column": column,
                    "role": role.value,
                    "statistic": syn.at[column, "statistic"],
                    "distance": syn.at[column, "distance"],
                    "reference_distance": ref.at[column, "distance"],
                    "threshold": thresholds[column],
                    "missing_real": syn.at[column, "missing_base"],
                    "missing_synthetic": syn.at[column, "missing_candidate"],
                    "missing_reference": ref.at[column, "missing_candidate"],
                    **one_sided,
                }
            )
        tables = [make_table("columns", "Per-column distance, worst first", table_rows)]
        figures = [
            _figure(ctx, str(c), str(syn.at[c, "source"]), memo)
            for c in syn.sort_values("distance", ascending=False).index[: p.figures]
        ]
        status_word = "within" if all(m.passed for m in metrics if m.gating) else "beyond"
        summary = (
            f"Worst column {worst!r}: {str(syn.at[worst, 'statistic']).upper()} {distance:.3f} "
            f"vs its reference {distance_reference:.3f}; "
            f"worst missing-rate difference {missing:.3f} ({worst_missing!r}) vs its reference {missing_reference:.3f}"
            f" — {status_word} the thresholds."
        )
        sample_sizes = {
            "base_rows": len(ctx.synthetic_pair.base),
            "synthetic_rows": len(ctx.synthetic_pair.candidate),
            "reference_rows": len(ctx.reference_pair.candidate),
            "columns": len(columns),
        }
        if texts:
            sample_sizes["text_columns"] = len(texts)
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes=sample_sizes,
            columns={**{c: ctx.roles[c].value for c in columns}, **{t: MEASURED_AS for t in texts}},
            ctx=ctx,
        )


def _gated_column(
    syn: pd.DataFrame, ref: pd.DataFrame, value: str, null_sd: str, margin: Margin
) -> tuple[str, float, float, float, pd.Series]:
    """``(column, synthetic value, reference value, SE, every column's fail threshold)`` of the gate.

    The gated column is the one furthest past its own reference as a share of its own fail margin: each
    column's excess ``syn − ref`` (of field ``value``) divided by ``max(floor, fail_se × SE)``, with
    ``SE = √2 × max(null SD on either side)`` (field ``null_sd``); ties go to the first. A column's fail
    threshold is its reference plus its fail margin (at most 1). ``syn`` and ``ref`` are indexed alike.
    """
    values, references = syn[value].to_numpy(dtype=float), ref[value].to_numpy(dtype=float)
    se = math.sqrt(2.0) * np.maximum(syn[null_sd].to_numpy(dtype=float), ref[null_sd].to_numpy(dtype=float))
    se = np.where(np.isfinite(se), se, 0.0)
    fail_delta = np.maximum(margin.fail_floor, margin.fail_se * se)
    excess = values - references
    ratio = np.divide(excess, fail_delta, out=np.where(excess > 0, np.inf, -np.inf), where=fail_delta > 0)
    position = int(np.argmax(ratio))
    thresholds = pd.Series(np.minimum(references + fail_delta, 1.0), index=syn.index)
    return (
        str(syn.index[position]),
        float(values[position]),
        float(references[position]),
        float(se[position]),
        thresholds,
    )


def _one_sided_categories(memo: _Memo, column: str) -> dict[str, object]:
    """Categories present on one side only, with rare real values suppressed (counts only)."""
    real_counts = memo.counts("real", column).finalise()
    synth_values = set(memo.counts("synthetic", column).finalise().index)
    missing_in_synth = [v for v in real_counts.index if v not in synth_values]
    shown_missing = sorted(str(v) for v in missing_in_synth if real_counts[v] >= RARE_CATEGORY_COUNT)
    invented = sorted(str(v) for v in synth_values if v not in real_counts.index)
    return {
        "categories_missing_from_synthetic": len(missing_in_synth),
        "missing_categories_shown": shown_missing[:10],
        "rare_missing_categories_suppressed": len(missing_in_synth) - len(shown_missing),
        "categories_invented_by_synthetic": len(invented),
        "invented_categories_shown": invented[:10],
    }


def _figure(ctx: AuditContext, column: str, source: str, memo: _Memo) -> FigureSpec:
    pair = ctx.synthetic_pair
    if column != source:  # a per-text statistic of a text column
        statistic = column[len(source) + 1 :]
        real = ctx.text_statistics(source, pair.base_key).loc[pair.base.index, statistic]
        synth = ctx.text_statistics(source, pair.candidate_key).loc[pair.candidate.index, statistic]
    else:
        real, synth = pair.base[column], pair.candidate[column]
    if column != source or ctx.roles[column] in (Role.NUMERIC, Role.DATETIME):
        if column == source:  # sorted: the quantiles and the histogram counts do not depend on the order
            a, b = memo.numbers(pair.base_key, column), memo.numbers(pair.candidate_key, column)
        else:
            a, b = present_numbers(real), present_numbers(synth)
        pooled = np.concatenate([a, b])
        if len(pooled) == 0:
            edges = np.array([0.0, 1.0])
        else:
            low, high = (float(v) for v in np.quantile(pooled, [0.005, 0.995]))
            if not (math.isfinite(low) and math.isfinite(high)):  # the quantile's interpolation overflowed
                low, high = float(pooled.min()), float(pooled.max())
            if not high > low:
                high = low + max(1.0, abs(low) * 1e-9)
            edges = np.linspace(low / 2, high / 2, 31) * 2  # halved: a span of ±1e308 stays finite
        return make_figure(
            "histogram",
            f"{column}: real vs synthetic",
            {
                "bin_edges": edges,
                "series": {
                    "real": HistogramCounts(edges, clip=True).update(a).finalise() / max(len(a), 1),
                    "synthetic": HistogramCounts(edges, clip=True).update(b).finalise() / max(len(b), 1),
                },
                "datetime": column == source and ctx.roles[column] is Role.DATETIME,
            },
            x_label=column,
            y_label="share of rows",
        )
    real_counts = memo.counts(pair.base_key, column)
    counts = real_counts.finalise()  # most frequent first, ties by value: never by row order
    shown = [c for c in counts.index if counts[c] >= RARE_CATEGORY_COUNT][:15]
    real_shares, synth_shares = real_counts.shares(), memo.counts(pair.candidate_key, column).shares()
    return make_figure(
        "bars",
        f"{column}: category shares (rare real values suppressed)",
        {
            "categories": [str(c) for c in shown],
            "series": {
                "real": [float(real_shares.get(c, 0.0)) for c in shown],
                "synthetic": [float(synth_shares.get(c, 0.0)) for c in shown],
            },
        },
        x_label=column,
        y_label="share of rows",
    )
