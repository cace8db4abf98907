"""``balance.group_fidelity``: whether the synthetic data keeps each column's distribution inside every group."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Need, Suite, info_metric
from synthaudit.checks.balance.group_cells import pair_cells
from synthaudit.checks.balance.group_distances import GroupedDistances, cell_distance, grouped_distances, tvd_null
from synthaudit.checks.balance.group_fidelity_report import (
    cell_figure,
    cell_table,
    group_table,
    measured_columns,
    statistic_name,
)
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    absent_columns,
    absent_columns_metric,
    absent_only_result,
    attribute_named,
    coding_table,
    flag_sensitive_inferred,
    sensitive_groups,
    shown_group,
    worst_cell,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.result import CheckResult, Metric

__all__ = ["GroupFidelityCheck", "GroupedDistances", "cell_distance", "grouped_distances", "tvd_null"]


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
    synthetic data fails.

    Cost: O(r log r) per compared column and group attribute (each sensitive column, and each pair of them with
    ``intersections``), r = n + m with both sides capped at ``max_rows`` (seeded, lifted by ``--full``): O(c ×
    attributes × r log r) time, O(r) memory per column; text columns reuse the cached embeddings. Linear in columns.
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

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare every column inside every sizeable group on the synthetic and the reference pair."""
        p = self.params
        groups = sensitive_groups(ctx)
        attributes = groups.attributes(p.intersections)
        absent_metric = [absent_columns_metric(groups.absent)] if groups.absent else []
        if not attributes and not absent_metric:
            return self.skip("no sensitive column can be split into groups (text or identifier columns only)")
        if not attributes and absent_metric:
            return replace(absent_only_result(self, ctx, groups), columns=absent_columns(groups))
        synthetic_pair, reference_pair = self._sides(ctx, ctx.synthetic_pair), self._sides(ctx, ctx.reference_pair)
        syn, skipped = pair_cells(ctx, synthetic_pair, attributes, p.min_group_rows)
        ref, _ = pair_cells(ctx, reference_pair, attributes, p.min_group_rows)
        if syn.empty or ref.empty:
            if absent_metric:
                return replace(absent_only_result(self, ctx, groups), columns=absent_columns(groups))
            unmeasured = ctx.text_unmeasured_reason
            return self.skip(
                f"no group has {p.min_group_rows} real rows and as many expected synthetic rows, or no other column to "
                "compare inside the groups" + (f" ({unmeasured})" if unmeasured else "")
            )

        def name_cell(position: int) -> str:
            attribute = attribute_named(attributes, str(syn.at[position, "attribute"]))
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
                f"largest group × column {statistic_name(syn.at[i, 'statistic'])} distance against its own sampling "
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
            f"Worst group and column: {name_cell(position)}: {statistic_name(syn.at[position, 'statistic'])} "
            f"{gate.value:.3f} between its real and synthetic rows (fail above {gate.threshold:.3f}; the reference's "
            f"worst cell is {worst.reference_z:.1f} null SDs past its null mean)"
            + (f"; sensitive columns missing from the synthetic data: {list(groups.absent)}" if groups.absent else "")
            + f" — {verdict} the thresholds."
        )
        result = self.result(
            metrics=metrics,
            summary=summary,
            tables=[
                cell_table(ctx, syn, ref, worst, attributes, p.table_rows),
                group_table(ctx, syn, skipped, worst, attributes),
                coding_table(ctx, groups),
            ],
            figures=[cell_figure(ctx, synthetic_pair, syn, position, attributes)],
            sample_sizes={
                "base_rows": len(synthetic_pair.base),
                "synthetic_rows": len(synthetic_pair.candidate),
                "reference_rows": len(reference_pair.candidate),
                "attributes": len(attributes),
                "groups_compared": int(syn.groupby(["attribute", "group"]).ngroups),
                "groups_not_compared": len(skipped),
                "cells": len(syn),
            },
            columns=measured_columns(ctx, syn, attributes, groups),
        )
        return flag_sensitive_inferred(result, ctx)
