"""``balance.group_fidelity``: whether the synthetic data keeps each column's distribution inside every group."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Need, Suite, info_metric, make_figure, make_table
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    HALF_NORMAL_MEAN,
    HALF_NORMAL_SD,
    RARE_GROUP_COUNT,
    Attribute,
    SensitiveGroups,
    WorstCell,
    absent_columns_metric,
    absent_only_result,
    attribute_labels,
    coding_table,
    flag_sensitive_inferred,
    group_labels,
    is_small,
    sensitive_groups,
    shown_group,
    worst_cell,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, FigureSpec, Metric, Table
from synthaudit.stats.distances import ks_statistic, total_variation_distance
from synthaudit.stats.embedding_shift import grouped_mean_embedding_distances

__all__ = ["GroupFidelityCheck", "GroupedDistances", "cell_distance", "grouped_distances", "tvd_null"]

KOLMOGOROV_MEAN = math.sqrt(math.pi / 2.0) * math.log(2.0)
"""Mean of the Kolmogorov distribution: the null mean of KS·√(nm/(n+m))."""
KOLMOGOROV_SD = 0.2603
"""Standard deviation of the Kolmogorov distribution (as in ``fidelity.marginals``)."""
NUMERIC_ROLES = (Role.NUMERIC, Role.DATETIME)
EMBEDDING_STATISTIC = "embedding"
"""Statistic of a text column's cells: half the distance between the group's mean sentence embeddings."""


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


@dataclass(frozen=True)
class _ColumnValues:
    """One column of a pair, ready for per-group distances: floats (numeric) or shared category codes."""

    numeric: bool
    base: np.ndarray
    candidate: np.ndarray
    categories: int


def _column_values(pair: Pair, column: str, role: Role) -> _ColumnValues:
    base, candidate = pair.base[column], pair.candidate[column]
    if role in NUMERIC_ROLES:

        def numbers(values: pd.Series) -> np.ndarray:
            if pd.api.types.is_datetime64_any_dtype(values):
                out = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
                out[values.isna().to_numpy()] = np.nan
                return out
            return values.to_numpy(dtype=np.float64, na_value=np.nan)

        return _ColumnValues(True, numbers(base), numbers(candidate), 0)
    codes, uniques = pd.factorize(pd.concat([base, candidate], ignore_index=True).astype(object), sort=True)
    return _ColumnValues(False, codes[: len(base)], codes[len(base) :], len(uniques))


class GroupFidelityCheck(Check):
    """Per-group marginal fidelity: each column's distribution inside each sensitive group, synthetic vs real.

    A generator can match the whole data and still distort one group (make its members older, or move its
    occupations). For every sizeable group of every sensitive column and every pair of them (at least
    ``min_group_rows`` real rows and as many expected synthetic rows), every other comparable column is
    compared between the group's real and synthetic rows — numeric and datetime columns by the KS statistic,
    categorical and boolean columns by the total variation distance (the functions of ``fidelity.marginals``),
    text columns by half the distance between the group's mean sentence embeddings
    (``synthaudit.stats.embedding_shift``: what the group's texts are about; a group whose texts were swapped
    for another subject's moves it far), missing values left out. Each group × column cell is in [0, 1], lower
    is better, 0 for identical data, about ``√(1/n_g + 1/m_g)`` times a constant for an independent sample.

    Gating: the worst cell against the reference's worst. As in ``fidelity.marginals`` the margin is
    ``max(floor, k × √2 × null SD)`` — but the cells' null SDs range from a 30-row group's to a 10 000-row
    group's, and one shared SD (the largest) would hide any change in a large group. So every cell is judged
    at its own size: the reference's worst cell in standard units (distance minus its null mean, over its
    null SD) sets each cell's reference value, each cell gets its own margin, and the gated cell is the one
    furthest past its own threshold (see ``synthaudit.checks.balance.groups``). The mean cell distance is
    information.

    Needs sensitive columns; skips when no group is large enough or no other column can be compared. On
    inferred sensitive columns a fail is reported as a warning; a named sensitive column missing from the
    synthetic data fails. Cost: O(n log n) per column and attribute.
    """

    name: ClassVar[str] = "balance.group_fidelity"
    suite: ClassVar[Suite] = Suite.BALANCE
    description: ClassVar[str] = (
        "Inside every demographic group, each column's distribution (KS, total variation, text embeddings) "
        "matches the real data."
    )
    meaning: ClassVar[str] = (
        "For every demographic group and every other column, how far the synthetic rows of that group are from "
        "the real rows of that group (0 = the same distribution, 1 = nothing in common), each judged at its own "
        "sample size and against real data the generator never saw. Lower is better; the worst group and column "
        "decide."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.SENSITIVE})
    gating_metrics: ClassVar[tuple[str, ...]] = ("worst_group_column_distance", ABSENT_METRIC)

    class Params(CheckParams):
        """Thresholds of ``balance.group_fidelity``.

        The margin and floors are those of ``fidelity.marginals`` (KS / TVD units): at large n a cell fails
        only 0.05 past its reference value, warns at 0.03.
        """

        distance_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.03, fail_floor=0.05),
            description="Margin of a group × column distance over its reference value (KS or TVD units).",
        )
        min_group_rows: int = Field(
            30,
            ge=2,
            description="Groups with fewer real rows, or fewer expected synthetic rows, are not compared.",
        )
        intersections: bool = Field(
            True, description="Also compare inside the groups of every pair of sensitive columns."
        )
        table_rows: int = Field(100, ge=1, le=10_000, description="Most group × column cells listed (worst first).")
        max_rows: int = Field(
            200_000, ge=1_000, description="Seeded cap on the rows of each side (real, candidate); --full lifts it."
        )

    # ------------------------------------------------------------------ computation
    def _sides(self, ctx: AuditContext, pair: Pair) -> Pair:
        """The pair with each side capped at ``max_rows`` (seeded; the base sample is shared by both pairs)."""
        p = self.params
        if ctx.full:
            return pair
        base = ctx.sample_rows(pair.base, p.max_rows, f"{self.name}.base")
        candidate = ctx.sample_rows(pair.candidate, p.max_rows, f"{self.name}.{pair.name}")
        return Pair(pair.name, base, candidate, pair.base_key, pair.candidate_key)

    def _pair(
        self, ctx: AuditContext, pair: Pair, attributes: tuple[Attribute, ...]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Cells (group × column distances) of the sizeable groups, and the groups left out with their sizes."""
        p = self.params
        base_labels = group_labels(ctx, pair.base_key).loc[pair.base.index]
        candidate_labels = group_labels(ctx, pair.candidate_key).loc[pair.candidate.index]
        columns = list(ctx.comparable_columns)
        values = {c: _column_values(pair, c, ctx.roles[c]) for c in columns}
        orders = {
            c: np.argsort(np.concatenate([v.base, v.candidate]), kind="stable") for c, v in values.items() if v.numeric
        }
        texts = {c: _text_values(ctx, pair, c) for c in _text_columns(ctx)}
        frames, skipped = [], []
        for attribute in attributes:
            b = attribute_labels(base_labels, attribute).astype(str)
            c = attribute_labels(candidate_labels, attribute).astype(str)
            names, base_counts = np.unique(b, return_counts=True)
            candidate_counts = pd.Series(c).value_counts().reindex(names, fill_value=0).to_numpy()
            small = is_small(base_counts, len(pair.base), len(pair.candidate), p.min_group_rows)
            compared = ~small & (candidate_counts > 0)
            for k in np.flatnonzero(~compared):
                skipped.append(
                    {
                        "attribute": attribute.name,
                        "group": str(names[k]),
                        "base_rows": int(base_counts[k]),
                        "candidate_rows": int(candidate_counts[k]),
                        "reason": "small group" if small[k] else "absent from the synthetic data",
                    }
                )
            kept = names[compared]
            if not len(kept):
                continue
            base_groups = _codes(b, kept)
            candidate_groups = _codes(c, kept)
            for column, (base_vectors, base_present, candidate_vectors, candidate_present) in texts.items():
                if column in attribute.columns:
                    continue
                e = grouped_mean_embedding_distances(
                    base_vectors,
                    np.where(base_present, base_groups, -1),
                    candidate_vectors,
                    np.where(candidate_present, candidate_groups, -1),
                    len(kept),
                )
                present = (e.base_rows > 0) | (e.candidate_rows > 0)
                frames.append(
                    pd.DataFrame(
                        {
                            "attribute": attribute.name,
                            "group": kept[present],
                            "column": column,
                            "statistic": EMBEDDING_STATISTIC,
                            "distance": e.distance[present],
                            "null_mean": e.null_mean[present],
                            "null_sd": e.null_sd[present],
                            "base_rows": e.base_rows[present],
                            "candidate_rows": e.candidate_rows[present],
                        }
                    )
                )
            for column in columns:
                if column in attribute.columns:
                    continue
                v = values[column]
                d = grouped_distances(
                    v.base,
                    base_groups,
                    v.candidate,
                    candidate_groups,
                    len(kept),
                    v.numeric,
                    v.categories,
                    orders.get(column),
                )
                present = (d.base_rows > 0) | (d.candidate_rows > 0)
                frames.append(
                    pd.DataFrame(
                        {
                            "attribute": attribute.name,
                            "group": kept[present],
                            "column": column,
                            "statistic": "ks" if v.numeric else "tvd",
                            "distance": d.distance[present],
                            "null_mean": d.null_mean[present],
                            "null_sd": d.null_sd[present],
                            "base_rows": d.base_rows[present],
                            "candidate_rows": d.candidate_rows[present],
                        }
                    )
                )
        cells = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(
                columns=[
                    "attribute",
                    "group",
                    "column",
                    "statistic",
                    "distance",
                    "null_mean",
                    "null_sd",
                    "base_rows",
                    "candidate_rows",
                ],
            )
        )
        return cells, pd.DataFrame(skipped, columns=["attribute", "group", "base_rows", "candidate_rows", "reason"])

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare every column inside every sizeable group on the synthetic and the reference pair."""
        p = self.params
        groups = sensitive_groups(ctx)
        attributes = groups.attributes(p.intersections)
        absent_metric = [absent_columns_metric(groups.absent)] if groups.absent else []
        if not attributes and not absent_metric:
            return self.skip("no sensitive column can be split into groups (text or identifier columns only)")
        if not attributes and absent_metric:
            return replace(absent_only_result(self, ctx, groups), columns=_absent_columns(groups))
        synthetic_pair, reference_pair = self._sides(ctx, ctx.synthetic_pair), self._sides(ctx, ctx.reference_pair)
        syn, skipped = self._pair(ctx, synthetic_pair, attributes)
        ref, _ = self._pair(ctx, reference_pair, attributes)
        if syn.empty or ref.empty:
            if absent_metric:
                return replace(absent_only_result(self, ctx, groups), columns=_absent_columns(groups))
            unmeasured = ctx.text_unmeasured_reason
            return self.skip(
                f"no group has {p.min_group_rows} real rows and as many expected synthetic rows, or no other column to "
                "compare inside the groups" + (f" ({unmeasured})" if unmeasured else "")
            )

        def name_cell(position: int) -> str:
            attribute = _attribute(attributes, str(syn.at[position, "attribute"]))
            group = shown_group(ctx, attribute, str(syn.at[position, "group"]))
            return f"{attribute.name} = {group!r}, column {syn.at[position, 'column']!r}"

        worst = worst_cell(
            "worst_group_column_distance",
            value=syn["distance"].to_numpy(),
            null_mean=syn["null_mean"].to_numpy(),
            null_sd=syn["null_sd"].to_numpy(),
            reference_value=ref["distance"].to_numpy(),
            reference_null_mean=ref["null_mean"].to_numpy(),
            reference_null_sd=ref["null_sd"].to_numpy(),
            margin=p.distance_margin,
            value_range=(0.0, 1.0),
            describe=lambda i: (
                f"largest group × column {_statistic_name(syn.at[i, 'statistic'])} distance against its own sampling "
                f"error ({name_cell(i)})"
            ),
        )
        metrics: list[Metric] = [
            worst.metric,
            *absent_metric,
            info_metric(
                "mean_group_column_distance",
                float(syn["distance"].mean()),
                reference=float(ref["distance"].mean()),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="mean distance over the group × column cells (information)",
            ),
        ]
        position = worst.position
        gate = worst.metric
        verdict = (
            "beyond"
            if any(m.passed is False for m in metrics if m.gating)
            else ("past the warn threshold of" if any(m.warned for m in metrics if m.gating) else "within")
        )
        summary = (
            f"Worst group and column: {name_cell(position)}: {_statistic_name(syn.at[position, 'statistic'])} "
            f"{gate.value:.3f} between its real and synthetic rows (fail above {gate.threshold:.3f}; the reference's "
            f"worst cell is {worst.reference_z:.1f} null SDs past its null mean)"
            + (f"; sensitive columns missing from the synthetic data: {list(groups.absent)}" if groups.absent else "")
            + f" — {verdict} the thresholds."
        )
        result = self.result(
            metrics=metrics,
            summary=summary,
            tables=[
                self._cell_table(ctx, syn, ref, worst, attributes),
                self._group_table(ctx, syn, skipped, worst, attributes),
                coding_table(ctx, groups),
            ],
            figures=[self._figure(ctx, synthetic_pair, syn, position, attributes)],
            sample_sizes={
                "base_rows": len(synthetic_pair.base),
                "synthetic_rows": len(synthetic_pair.candidate),
                "reference_rows": len(reference_pair.candidate),
                "attributes": len(attributes),
                "groups_compared": int(syn.groupby(["attribute", "group"]).ngroups),
                "groups_not_compared": len(skipped),
                "cells": len(syn),
            },
            columns=self._measured(ctx, syn, attributes, groups),
        )
        return flag_sensitive_inferred(result, ctx)

    @staticmethod
    def _measured(
        ctx: AuditContext, syn: pd.DataFrame, attributes: tuple[Attribute, ...], groups: SensitiveGroups
    ) -> dict[str, str]:
        """Sensitive columns whose groups were compared, and the columns compared inside them (with their role)."""
        compared_attributes = set(syn["attribute"])
        grouped = {c for a in attributes if a.name in compared_attributes for c in a.columns}
        compared = set(syn["column"])
        out: dict[str, str] = {}
        for column in ctx.data.columns:
            if column in grouped and column in compared:
                out[column] = f"sensitive; {ctx.roles[column].value}, compared inside other groups"
            elif column in grouped:
                out[column] = "sensitive"
            elif column in compared and column in ctx.data.text:
                out[column] = "text (embeddings), compared inside groups"
            elif column in compared:
                out[column] = f"{ctx.roles[column].value}, compared inside groups"
        out.update(_absent_columns(groups))
        return out

    # ------------------------------------------------------------------ presentation
    def _cell_table(
        self,
        ctx: AuditContext,
        syn: pd.DataFrame,
        ref: pd.DataFrame,
        worst: WorstCell,
        attributes: tuple[Attribute, ...],
    ) -> Table:
        p = self.params
        frame = syn.assign(threshold=worst.thresholds, excess=_excess(syn, worst))
        frame = frame.sort_values(
            ["excess", "attribute", "group", "column"], ascending=[False, True, True, True], kind="stable"
        )
        reference = ref.set_index(["attribute", "group", "column"])["distance"]
        rows = []
        for row in frame.head(p.table_rows).itertuples():
            key = (row.attribute, row.group, row.column)
            rows.append(
                {
                    "attribute": row.attribute,
                    "group": shown_group(ctx, _attribute(attributes, row.attribute), row.group),
                    "column": row.column,
                    "statistic": row.statistic,
                    "distance": row.distance,
                    "reference_distance": reference.get(key),
                    "threshold": row.threshold,
                    "real_rows": row.base_rows,
                    "synthetic_rows": row.candidate_rows,
                }
            )
        return make_table("cells", "Distance of each column inside each group, real vs synthetic, worst first", rows)

    @staticmethod
    def _group_table(
        ctx: AuditContext,
        syn: pd.DataFrame,
        skipped: pd.DataFrame,
        worst: WorstCell,
        attributes: tuple[Attribute, ...],
    ) -> Table:
        frame = syn.assign(threshold=worst.thresholds, excess=_excess(syn, worst))
        rows = []
        for (attribute_name, group), cells in frame.groupby(["attribute", "group"], sort=True):
            top = cells.sort_values(["excess", "column"], ascending=[False, True], kind="stable").iloc[0]
            rows.append(
                {
                    "attribute": attribute_name,
                    "group": shown_group(ctx, _attribute(attributes, str(attribute_name)), str(group)),
                    "real_rows": int(cells["base_rows"].max()),
                    "synthetic_rows": int(cells["candidate_rows"].max()),
                    "compared": True,
                    "columns_compared": len(cells),
                    "worst_column": top["column"],
                    "distance": top["distance"],
                    "threshold": top["threshold"],
                    "mean_distance": float(cells["distance"].mean()),
                    "_excess": float(top["excess"]),
                }
            )
        rows.sort(key=lambda r: -r["_excess"])
        for r in rows:
            del r["_excess"]
        for row in skipped.itertuples():
            rows.append(
                {
                    "attribute": row.attribute,
                    "group": shown_group(ctx, _attribute(attributes, row.attribute), row.group),
                    "real_rows": row.base_rows,
                    "synthetic_rows": row.candidate_rows,
                    "compared": False,
                    "columns_compared": 0,
                    "worst_column": None,
                    "distance": None,
                    "threshold": None,
                    "mean_distance": None,
                }
            )
        return make_table(
            "groups", "Worst column inside each group, worst group first; groups too small to compare last", rows
        )

    @staticmethod
    def _figure(
        ctx: AuditContext, pair: Pair, syn: pd.DataFrame, position: int, attributes: tuple[Attribute, ...]
    ) -> FigureSpec:
        attribute = _attribute(attributes, str(syn.at[position, "attribute"]))
        group = str(syn.at[position, "group"])
        column = str(syn.at[position, "column"])
        shown = shown_group(ctx, attribute, group)
        in_base = attribute_labels(group_labels(ctx, pair.base_key).loc[pair.base.index], attribute) == group
        in_candidate = (
            attribute_labels(group_labels(ctx, pair.candidate_key).loc[pair.candidate.index], attribute) == group
        )
        if column in ctx.data.text:
            cells = syn[(syn["attribute"] == attribute.name) & (syn["column"] == column)]
            return make_figure(
                "bars",
                f"Text column {column}: mean-embedding distance inside each group of {attribute.name}, real vs "
                "synthetic",
                {
                    "categories": [shown_group(ctx, attribute, str(g)) for g in cells["group"]],
                    "series": {
                        "distance": cells["distance"].tolist(),
                        "null mean (same distribution)": cells["null_mean"].tolist(),
                    },
                },
                x_label=attribute.name,
                y_label="half the distance between mean embeddings",
            )
        real, synth = pair.base[column][in_base], pair.candidate[column][in_candidate]
        title = f"{column} inside {attribute.name} = {shown}: real vs synthetic"
        if ctx.roles[column] in NUMERIC_ROLES:
            values = _column_values(
                Pair("figure", real.to_frame(), synth.to_frame(), "", ""), column, ctx.roles[column]
            )
            a, b = values.base[np.isfinite(values.base)], values.candidate[np.isfinite(values.candidate)]
            pooled = np.concatenate([a, b])
            low, high = np.quantile(pooled, [0.005, 0.995]) if len(pooled) else (0.0, 1.0)
            edges = np.linspace(low, high if high > low else low + 1.0, 31)
            return make_figure(
                "histogram",
                title,
                {
                    "bin_edges": edges,
                    "series": {
                        "real": np.histogram(np.clip(a, edges[0], edges[-1]), edges)[0] / max(len(a), 1),
                        "synthetic": np.histogram(np.clip(b, edges[0], edges[-1]), edges)[0] / max(len(b), 1),
                    },
                    "datetime": ctx.roles[column] is Role.DATETIME,
                },
                x_label=column,
                y_label="share of the group's rows",
            )
        real_counts = ctx.real[column].value_counts()
        group_counts = real.value_counts()
        categories = [c for c in group_counts.index if real_counts.get(c, 0) >= RARE_GROUP_COUNT][:15]
        real_shares = real.value_counts(normalize=True)
        synth_shares = synth.value_counts(normalize=True)
        return make_figure(
            "bars",
            f"{title} (rare real values suppressed)",
            {
                "categories": [str(c) for c in categories],
                "series": {
                    "real": [float(real_shares.get(c, 0.0)) for c in categories],
                    "synthetic": [float(synth_shares.get(c, 0.0)) for c in categories],
                },
            },
            x_label=column,
            y_label="share of the group's rows",
        )


def _absent_columns(groups: SensitiveGroups) -> dict[str, str]:
    """The named sensitive columns the synthetic data lacks, as measured columns (their absence is gated)."""
    return {c: "sensitive (absent from the synthetic data)" for c in groups.absent}


def _statistic_name(statistic: object) -> str:
    """How a cell's statistic is named in words."""
    return "mean-embedding" if statistic == EMBEDDING_STATISTIC else str(statistic).upper()


def _text_columns(ctx: AuditContext) -> tuple[str, ...]:
    """The text columns compared inside groups: all of them when they can be embedded, else none."""
    return tuple(ctx.data.text) if ctx.text_unmeasured_reason is None else ()


def _text_values(ctx: AuditContext, pair: Pair, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Embeddings of ``column`` for the pair's base and candidate rows, with which rows hold a text."""

    def side(key: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        positions = ctx.frame(key).index.get_indexer(frame.index)
        return ctx.text_vectors(column, key)[positions], frame[column].notna().to_numpy()

    return (*side(pair.base_key, pair.base), *side(pair.candidate_key, pair.candidate))


def _codes(labels: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Position of each label in the sorted ``kept`` labels, −1 for labels not kept."""
    position = np.searchsorted(kept, labels)
    position = np.clip(position, 0, len(kept) - 1)
    return np.where(kept[position] == labels, position, -1).astype(np.int64)


def _excess(frame: pd.DataFrame, worst: WorstCell) -> np.ndarray:
    """How far each cell is past its reference, as a share of its fail margin (1 = at the threshold)."""
    margin = np.maximum(worst.thresholds - worst.references, 1e-12)
    return (frame["distance"].to_numpy() - worst.references) / margin


def _attribute(attributes: tuple[Attribute, ...], name: str) -> Attribute:
    return next(a for a in attributes if a.name == name)
