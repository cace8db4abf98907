"""``diversity.coverage``: whether the synthetic data reaches every real category and both tails of every number."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, make_figure, make_table
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, FigureSpec, Metric, Table
from synthaudit.stats.proportions import pooled_difference_se

__all__ = [
    "CoverageCheck",
    "absence_probability",
    "tail_shares",
]

RARE_CATEGORY_COUNT = 10
"""DESIGN: category values seen fewer than 10 times in the real data are never named in results."""
SHOWN_CATEGORIES = 10
"""Absent categories named per column at most."""
FIGURE_BARS = 8


def absence_probability(real_count: np.ndarray, real_rows: int, sample_rows: int) -> np.ndarray:
    """Chance that a new sample of ``sample_rows`` rows misses a category seen ``real_count`` times in ``real_rows``.

    A category's count is Poisson with rate λ per row. Category frequencies in real data are heavy-tailed
    (Zipf: many rare categories, few common ones), so the prior density of λ is taken ∝ 1/λ²; after k
    occurrences among n rows the posterior is Gamma(k − 1, n), and the chance of no occurrence among m new
    rows is (n / (n + m))^(k − 1) = (1 + m / n)^−(k − 1). With a flat prior the exponent would be k + 1,
    which trusts a lucky rare category too much: many rare categories means some reach k by chance.
    Range (0, 1], 1 for a category seen once; decreasing in k.
    """
    counts = np.asarray(real_count, dtype=np.float64)
    if real_rows <= 0:
        return np.ones_like(counts)
    return np.exp(-np.maximum(counts - 1.0, 0.0) * math.log1p(sample_rows / real_rows))


def tail_shares(values: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """Shares of ``values`` strictly below ``low`` and strictly above ``high`` (0, 0 for no values)."""
    if len(values) == 0:
        return 0.0, 0.0
    return float(np.mean(values < low)), float(np.mean(values > high))


def _as_numbers(values: pd.Series) -> np.ndarray:
    present = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(present):
        return present.astype("int64").to_numpy(dtype=np.float64) / 1e9
    numbers = present.to_numpy(dtype=np.float64)
    return numbers[np.isfinite(numbers)]


def _category_values(values: pd.Series) -> pd.Series:
    """The non-missing values as trimmed text (each distinct value converted and trimmed once)."""
    present = values.dropna()
    codes, uniques = pd.factorize(present)
    trimmed = np.asarray(pd.Index(uniques).astype(str).str.strip(), dtype=object)
    return pd.Series(trimmed[codes], index=present.index, dtype=object)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class _TailGap:
    column: str
    tail: str
    synthetic: float
    reference: float
    se: float

    @property
    def gap(self) -> float:
        return abs(self.synthetic - self.reference)


class CoverageCheck(Check):
    """Coverage of the real distribution: real categories the synthetic data lacks, and tails it loses or invents.

    Categories. For each categorical or boolean column, a real category seen k times among the n base real
    rows is *expected* in a candidate sample of m rows when the chance that an independent sample of m rows
    misses it, (1 + m / n)^−(k − 1) (a posterior predictive, see :func:`absence_probability`), is at most
    ``max_absence_probability`` (k ≥ 15 when n = m, k ≥ 24 when n = 2m): rarer categories cannot be expected
    to appear and are only counted. The gating ``missing_category_share`` is the share of expected
    categories (all columns pooled, each weighted by its probability of appearing, 1 − q) absent from the
    synthetic sample, against the same share for the reference sample (holdout, or the real data's other
    half) at the same size. Range [0, 1], lower is better; 0 for identical data, and 0 for an independent
    sample except with a probability of at most the number of expected categories × ``max_absence_probability``.
    The standard error is that of a sum of independent absences, √(2 Σ w² q (1 − q)) / Σ w, tiny by
    construction, so a single expected category missing fails.

    Tails. For each numeric or datetime column, the cut points are the base real data's 1st and 99th
    percentiles (``tail_quantile``); the shares of synthetic values strictly below and strictly above them
    are compared with the reference's shares beyond the same cut points (not with a nominal 1 %: a
    zero-inflated column has no lower tail at all). A generator that loses the tails has *smaller* shares, one
    that invents extreme values larger ones. The gating ``worst_tail_share_gap`` is |synthetic share −
    reference share| of the worst column and tail (the one closest to failing), against 0, with the pooled
    binomial standard error and a small floor. Range [0, 1], lower is better; 0 for identical data.

    Tables list, worst first, the absent categories per column (named only when seen at least 10 times in the
    real data, otherwise just counted) and the tail shares per column. Skips when there is no categorical,
    boolean, numeric or datetime column.

    Cost: one pass per column, O(n + m + h) per categorical column and O(r log r) per numeric one for the percentiles:
    linear in rows and columns, nothing capped.
    """

    name: ClassVar[str] = "diversity.coverage"
    suite: ClassVar[Suite] = Suite.DIVERSITY
    description: ClassVar[str] = (
        "The synthetic data covers every common real category and both tails of every numeric column."
    )
    meaning: ClassVar[str] = (
        "Whether the synthetic data reaches the whole real distribution: real categories frequent enough that "
        "any real sample of this size contains them, and the extreme values beyond the real 1st and 99th "
        "percentiles, compared with real data the generator never saw. Lower is better for both numbers; "
        "missing categories or thinner (or invented) tails mean the generator dropped or distorted the edges."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("missing_category_share", "worst_tail_share_gap")

    class Params(CheckParams):
        """Thresholds of ``diversity.coverage``."""

        max_absence_probability: float = Field(
            1e-4,
            gt=0.0,
            lt=0.5,
            description="A real category is expected in a sample when the chance that such a sample misses it "
            "is at most this.",
        )
        category_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.0, fail_floor=0.0),
            description="Margin over the reference's missing-category share (weighted share of expected categories).",
        )
        tail_quantile: float = Field(
            0.01, gt=0.0, lt=0.25, description="Real quantile (and 1 − it) beyond which a value is in a tail."
        )
        tail_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.003, fail_floor=0.005),
            description="Margin for the worst tail-share gap (share of values, binomial standard error).",
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Count absent expected categories and compare tail shares on the synthetic and reference samples."""
        p = self.params
        categorical = ctx.columns_with(Role.CATEGORICAL, Role.BOOLEAN)
        numeric = ctx.columns_with(Role.NUMERIC, Role.DATETIME)
        if not categorical and not numeric:
            return self.skip("no categorical, boolean, numeric or datetime column to check for coverage")
        syn, ref = ctx.synthetic_pair, ctx.reference_pair
        metrics: list[Metric] = []
        tables: list[Table] = []
        figures: list[FigureSpec] = []
        sentences: list[str] = []
        sample_sizes = {
            "base_rows": len(syn.base),
            "synthetic_rows": len(syn.candidate),
            "reference_rows": len(ref.candidate),
        }

        measured: dict[str, str] = {}
        if categorical:
            category_metric, category_rows = self._categories(ctx, categorical)
            if category_metric is not None:
                metrics.append(category_metric)
                measured.update(
                    {
                        r["column"]: f"{ctx.roles[r['column']].value} (expected categories)"
                        for r in category_rows
                        if r["expected_categories"] > 0
                    }
                )
                absent = [r for r in category_rows if r["absent_expected"] > 0]
                sentences.append(
                    f"{category_metric.value:.1%} of expected real categories are absent from the synthetic data "
                    f"(reference {category_metric.reference_value:.1%})"
                    + (
                        f", in {', '.join(repr(r['column']) for r in absent[:5])}"
                        if absent and not category_metric.passed
                        else ""
                    )
                )
                sample_sizes["expected_categories"] = sum(r["expected_categories"] for r in category_rows)
            tables.append(
                make_table("categories", "Real categories absent from the synthetic data, worst first", category_rows)
            )

        if numeric:
            gaps, tail_rows = self._tails(ctx, numeric)
            if gaps:
                measured.update({g.column: f"{ctx.roles[g.column].value} (tails)" for g in gaps})
                ranked = sorted(gaps, key=lambda g: (-g.gap / self._fail_margin(g.se), g.column, g.tail))
                worst = ranked[0]
                direction = "more" if worst.synthetic > worst.reference else "fewer"
                tail_metric = gated_metric(
                    "worst_tail_share_gap",
                    value=worst.gap,
                    reference=0.0,
                    standard_error=worst.se,
                    margin=p.tail_margin,
                    direction="lower_is_better",
                    value_range=(0.0, 1.0),
                    description=(
                        f"{worst.tail} tail of {worst.column!r}: {worst.synthetic:.2%} of synthetic values beyond "
                        f"the real {'low' if worst.tail == 'lower' else 'high'} cut point vs {worst.reference:.2%} "
                        "of reference values"
                    ),
                )
                metrics.append(tail_metric)
                sentences.append(
                    f"worst tail: {worst.column!r} ({worst.tail}) has {direction} synthetic values beyond the real "
                    f"cut point ({worst.synthetic:.2%} vs reference {worst.reference:.2%})"
                )
                figures.append(
                    make_figure(
                        "bars",
                        "Share of values beyond the real 1st / 99th percentiles, worst first",
                        {
                            "categories": [f"{g.column} ({g.tail})" for g in ranked[:FIGURE_BARS]],
                            "series": {
                                "synthetic": [g.synthetic for g in ranked[:FIGURE_BARS]],
                                "reference": [g.reference for g in ranked[:FIGURE_BARS]],
                            },
                        },
                        x_label="share of values",
                    )
                )
            tables.append(
                make_table(
                    "tails",
                    "Tail shares per numeric column, worst first",
                    tail_rows,
                    columns=tuple(dict.fromkeys(key for row in tail_rows for key in row)),
                )
            )

        if not metrics:
            return self.skip(
                "nothing to compare: no real category is common enough to be expected in a sample of "
                f"{len(syn.candidate)} rows, and no numeric or datetime column has values on every side"
            )
        return self.result(
            metrics=metrics,
            summary=_sentence_case("; ".join(sentences)) + ".",
            tables=tables,
            figures=figures,
            sample_sizes=sample_sizes,
            columns={c: measured[c] for c in ctx.data.columns if c in measured},
        )

    def _fail_margin(self, se: float) -> float:
        p = self.params
        return float(max(p.tail_margin.fail_floor, p.tail_margin.fail_se * se, 1e-12))

    def _categories(self, ctx: AuditContext, columns: tuple[str, ...]) -> tuple[Metric | None, list[dict[str, Any]]]:
        p = self.params
        base = ctx.synthetic_pair.base
        m = len(ctx.synthetic_pair.candidate)
        real_counts_all = {c: _category_values(ctx.real[c]).value_counts() for c in columns}
        total_weight = syn_weight = ref_weight = variance = 0.0
        rows: list[dict[str, Any]] = []
        for column in columns:
            counts = _category_values(base[column]).value_counts()
            q = absence_probability(counts.to_numpy(), len(base), m)
            expected = q <= p.max_absence_probability
            weights = 1.0 - q
            syn_values = set(_category_values(ctx.synthetic_pair.candidate[column]))
            ref_values = set(_category_values(ctx.reference_pair.candidate[column]))
            syn_absent = ~counts.index.isin(list(syn_values))
            ref_absent = ~counts.index.isin(list(ref_values))
            w = weights[expected]
            total_weight += float(w.sum())
            syn_weight += float(w[syn_absent[expected]].sum())
            ref_weight += float(w[ref_absent[expected]].sum())
            variance += 2.0 * float(np.sum(w * w * q[expected] * (1.0 - q[expected])))
            real_counts = real_counts_all[column]
            absent_names = [str(v) for v in counts.index[syn_absent & expected]]
            shown = sorted(v for v in absent_names if real_counts.get(v, 0) >= RARE_CATEGORY_COUNT)
            column_weight = float(w.sum())
            rows.append(
                {
                    "column": column,
                    "real_categories": len(counts),
                    "expected_categories": int(expected.sum()),
                    "absent_expected": int((syn_absent & expected).sum()),
                    "reference_absent_expected": int((ref_absent & expected).sum()),
                    "absent_expected_shown": shown[:SHOWN_CATEGORIES],
                    "absent_expected_suppressed": len(absent_names) - len(shown),
                    "absent_not_expected": int((syn_absent & ~expected).sum()),
                    "reference_absent_not_expected": int((ref_absent & ~expected).sum()),
                    "missing_category_share": float(w[syn_absent[expected]].sum()) / column_weight
                    if column_weight
                    else 0.0,
                    "reference_missing_category_share": float(w[ref_absent[expected]].sum()) / column_weight
                    if column_weight
                    else 0.0,
                }
            )
        rows.sort(
            key=lambda r: (
                -(r["missing_category_share"] - r["reference_missing_category_share"]),
                -r["absent_not_expected"],
                r["column"],
            )
        )
        if total_weight <= 0:
            return None, rows
        worst = rows[0]
        metric = gated_metric(
            "missing_category_share",
            value=syn_weight / total_weight,
            reference=ref_weight / total_weight,
            standard_error=math.sqrt(variance) / total_weight,
            margin=p.category_margin,
            direction="lower_is_better",
            value_range=(0.0, 1.0),
            description=(
                "weighted share of expected real categories absent from the synthetic sample "
                f"(worst column {worst['column']!r}: {worst['absent_expected']} of {worst['expected_categories']})"
            ),
        )
        return metric, rows

    def _tails(self, ctx: AuditContext, columns: tuple[str, ...]) -> tuple[list[_TailGap], list[dict[str, Any]]]:
        p = self.params
        gaps: list[_TailGap] = []
        rows: list[dict[str, Any]] = []
        for column in columns:
            base = _as_numbers(ctx.synthetic_pair.base[column])
            syn = _as_numbers(ctx.synthetic_pair.candidate[column])
            ref = _as_numbers(ctx.reference_pair.candidate[column])
            if len(base) == 0 or len(syn) == 0 or len(ref) == 0:
                rows.append({"column": column, "note": "no values on one side; not compared"})
                continue
            low, high = np.quantile(base, [p.tail_quantile, 1.0 - p.tail_quantile])
            syn_low, syn_high = tail_shares(syn, low, high)
            ref_low, ref_high = tail_shares(ref, low, high)
            real_low, real_high = tail_shares(base, low, high)
            column_gaps = [
                _TailGap(column, tail, s, r, pooled_difference_se(s, len(syn), r, len(ref)))
                for tail, s, r in (("lower", syn_low, ref_low), ("upper", syn_high, ref_high))
            ]
            gaps += column_gaps
            score = max(g.gap / self._fail_margin(g.se) for g in column_gaps)
            rows.append(
                {
                    "column": column,
                    "lower_tail_synthetic": syn_low,
                    "lower_tail_reference": ref_low,
                    "lower_tail_real": real_low,
                    "upper_tail_synthetic": syn_high,
                    "upper_tail_reference": ref_high,
                    "upper_tail_real": real_high,
                    "worst_gap_vs_fail_margin": score,
                }
            )
        rows.sort(key=lambda r: (-r.get("worst_gap_vs_fail_margin", -1.0), r["column"]))
        return gaps, rows
