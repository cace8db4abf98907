"""``balance.outcome_gaps``: whether each group's outcome and the gaps between groups survive in synthetic data."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Need,
    Suite,
    make_figure,
)
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    HALF_NORMAL_MEAN,
    HALF_NORMAL_SD,
    RARE_GROUP,
    Attribute,
    absent_columns,
    absent_columns_metric,
    absent_only_result,
    attribute_labels,
    attribute_named,
    coding_table,
    flag_sensitive_inferred,
    group_labels,
    is_small,
    sensitive_groups,
    shown_group,
    worst_cell,
)
from synthaudit.checks.balance.outcome_gaps_report import gap_table, outcome_group_table
from synthaudit.checks.balance.outcome_groups import (
    OutcomeCoding,
    attribute_gaps,
    dp_metrics,
    group_outcomes,
    outcome_coding,
    outcome_gap,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.result import CheckResult, FigureSpec, Metric

__all__ = ["OutcomeGapCheck", "group_outcomes", "outcome_gap"]


class OutcomeGapCheck(Check):
    """Per-group outcome of the target in the synthetic vs the real data, and the gaps between groups.

    For every group of every sensitive column and every pair of them (intersections), the outcome is the
    positive rate of the target (classification: the share of ``positive_label``) or its mean (regression,
    in units of the real target's standard deviation). Rows with a missing target are left out.

    Gating (1), per-group change: each sizeable group's ``|outcome_synthetic − outcome_real|``; its null
    standard error is the two-sample binomial SE ``√(r̄(1−r̄)(1/n_g + 1/m_g))`` with the pooled rate ``r̄``
    (regression: ``s_g·√(1/n_g + 1/m_g)`` with the group's real SD). Groups differ in size by orders of
    magnitude, so each group is judged against its own SE: the reference's worst group in standard units
    sets the reference value of every group, the margin is ``max(floor, k × √2 × 0.603 × SE_g)`` (0.603: the
    SD of an absolute difference in SEs), and the gated group is the one furthest past its own threshold.

    Gating (2), gap change: for each attribute the real data's highest- and lowest-outcome sizeable groups
    define the gap ``outcome_high − outcome_low``; the same, signed, on the synthetic data, and the change
    ``|gap_synthetic − gap_real|``. A gap that reverses direction (negative synthetic gap) is as wrong as one
    that widens, which the signed form captures and the unsigned demographic-parity difference would hide. It
    is gated because groups moving a little each in opposite directions widen a gap by more than either moves.
    The fairlearn demographic-parity difference of the data (largest minus smallest group positive rate) on
    each side is information.

    Range [0, 1] for rates (lower is better, 0 for identical data; an independent sample gives about the
    SE); regression values are in standard deviations. Needs a target and sensitive columns; skips for a
    multiclass target without ``--positive-label`` and when no group is large enough. On inferred sensitive
    columns the gate reports a fail as a warning; a named sensitive column missing from the synthetic data fails.

    Cost: O(n + m + h) grouping of the target per sensitive attribute (and per pair of them with ``intersections``);
    independent of the other columns.
    """

    name: ClassVar[str] = "balance.outcome_gaps"
    suite: ClassVar[Suite] = Suite.BALANCE
    description: ClassVar[str] = (
        "Each group's outcome rate, and the gaps between groups, are the same in the synthetic data as in reality."
    )
    meaning: ClassVar[str] = (
        "For every demographic group, how much the share of positive outcomes (or the mean outcome) changes "
        "from the real to the synthetic data, and how much the gap between the best- and worst-off groups "
        "changes (a widened or reversed gap is amplified bias). Each group is judged against its own sampling "
        "noise and against real data the generator never saw. Lower is better."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.TARGET, Need.SENSITIVE})
    gating_metrics: ClassVar[tuple[str, ...]] = ("worst_group_outcome_change", "worst_gap_change", ABSENT_METRIC)

    class Params(CheckParams):
        """Thresholds of ``balance.outcome_gaps``.

        Floors apply at large n, where the SEs are tiny: a group's positive rate may move 3 percentage points
        past the reference before failing (a warning at 2), a regression mean 0.1 SD (0.05) — half of Cohen's
        "small" effect.
        """

        change_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.03),
            description="Margin of a group's outcome change over the reference (rate units; SD units for regression).",
        )
        gap_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.03),
            description="Margin of an attribute's gap change over the reference (rate units; SD units for regression).",
        )
        regression_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.05, fail_floor=0.1),
            description="Margin of a group's mean change and of a gap change for a regression target (SD units).",
        )
        min_group_rows: int = Field(
            30,
            ge=2,
            description="Groups with fewer labelled real rows, or fewer expected synthetic rows, are shown, not gated.",
        )
        intersections: bool = Field(True, description="Also compare the groups of every pair of sensitive columns.")
        figure_groups: int = Field(15, ge=1, le=50, description="Most groups drawn per figure.")

    # ------------------------------------------------------------------ computation
    def _pair(
        self, ctx: AuditContext, pair: Pair, attributes: tuple[Attribute, ...], outcome: OutcomeCoding
    ) -> pd.DataFrame:
        p = self.params
        target = ctx.data.target
        assert target is not None
        base_known = pair.base[target].notna().to_numpy()
        candidate_known = pair.candidate[target].notna().to_numpy()
        y_base = outcome.encode(pair.base[target][base_known]) / outcome.scale
        y_candidate = outcome.encode(pair.candidate[target][candidate_known]) / outcome.scale
        base_labels = group_labels(ctx, pair.base_key)[base_known]
        candidate_labels = group_labels(ctx, pair.candidate_key)[candidate_known]
        frames = []
        for attribute in attributes:
            b = group_outcomes(attribute_labels(base_labels, attribute), y_base)
            c = group_outcomes(attribute_labels(candidate_labels, attribute), y_candidate)
            frame = b.add_prefix("base_").join(c.add_prefix("candidate_"), how="left")
            frame["candidate_rows"] = frame["candidate_rows"].fillna(0).astype(np.int64)
            frame.insert(0, "attribute", attribute.name)
            frame.insert(1, "group", frame.index.astype(str))
            frames.append(frame.reset_index(drop=True))
        out = pd.concat(frames, ignore_index=True)
        out["small"] = is_small(out["base_rows"].to_numpy(), len(y_base), len(y_candidate), p.min_group_rows)
        out["gated"] = ~out["small"] & (out["candidate_rows"] > 0)
        n_g = out["base_rows"].to_numpy(dtype=np.float64)
        m_g = np.maximum(out["candidate_rows"].to_numpy(dtype=np.float64), 1.0)
        if outcome.kind == "rate":
            pooled = (out["base_outcome"] * n_g + out["candidate_outcome"].fillna(0.0) * out["candidate_rows"]) / (
                n_g + out["candidate_rows"]
            )
            variance = (pooled * (1.0 - pooled)).to_numpy(dtype=np.float64)
        else:
            variance = out["base_variance"].to_numpy(dtype=np.float64)
        out["se"] = np.sqrt(np.maximum(variance, 0.0) * (1.0 / n_g + 1.0 / m_g))
        out["change"] = out["candidate_outcome"] - out["base_outcome"]
        return out

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compare every group's outcome on the synthetic and the reference pair."""
        p = self.params
        target = ctx.data.target
        if target is None:
            return self.skip("needs an outcome column (--target COL)")
        groups = sensitive_groups(ctx)
        attributes = tuple(a for a in groups.attributes(p.intersections) if target not in a.columns)
        absent_metric = [absent_columns_metric(groups.absent)] if groups.absent else []
        if not attributes:
            if absent_metric:
                return replace(absent_only_result(self, ctx, groups), columns=absent_columns(groups))
            return self.skip("no sensitive column other than the target can be split into groups")
        outcome = outcome_coding(ctx)
        if isinstance(outcome, str):
            return self.skip(outcome)
        syn = self._pair(ctx, ctx.synthetic_pair, attributes, outcome)
        ref = self._pair(ctx, ctx.reference_pair, attributes, outcome)
        syn_cells, ref_cells = syn[syn["gated"]].reset_index(drop=True), ref[ref["gated"]].reset_index(drop=True)
        if syn_cells.empty or ref_cells.empty:
            if absent_metric:
                return replace(absent_only_result(self, ctx, groups), columns=absent_columns(groups))
            return self.skip(
                f"no group has {p.min_group_rows} labelled real rows and as many expected synthetic rows: no outcome "
                "rate worth comparing"
            )
        unit = "positive rate" if outcome.kind == "rate" else "mean"
        change_unit = "" if outcome.kind == "rate" else " SD"
        raw = outcome.scale  # regression outcomes are computed in SD units; values are shown in the target's units
        change_margin = p.change_margin if outcome.kind == "rate" else p.regression_margin
        gap_margin = p.gap_margin if outcome.kind == "rate" else p.regression_margin
        value_range: tuple[float | None, float | None] = (0.0, 1.0) if outcome.kind == "rate" else (0.0, None)

        def name_cell(frame: pd.DataFrame, position: int) -> str:
            attribute = attribute_named(attributes, str(frame.at[position, "attribute"]))
            return f"{attribute.name} = {shown_group(ctx, attribute, str(frame.at[position, 'group']))!r}"

        change = worst_cell(
            "worst_group_outcome_change",
            value=syn_cells["change"].abs().to_numpy(),
            null_mean=HALF_NORMAL_MEAN * syn_cells["se"].to_numpy(),
            null_sd=HALF_NORMAL_SD * syn_cells["se"].to_numpy(),
            reference_value=ref_cells["change"].abs().to_numpy(),
            reference_null_mean=HALF_NORMAL_MEAN * ref_cells["se"].to_numpy(),
            reference_null_sd=HALF_NORMAL_SD * ref_cells["se"].to_numpy(),
            margin=change_margin,
            value_range=value_range,
            describe=lambda i: (
                f"largest change of a group's outcome {unit}{' (in SDs of the target)' if change_unit else ''} against "
                f"its own sampling error (group {name_cell(syn_cells, i)}: real "
                f"{syn_cells.at[i, 'base_outcome'] * raw:.4g}, synthetic "
                f"{syn_cells.at[i, 'candidate_outcome'] * raw:.4g})"
            ),
        )
        metrics: list[Metric] = [change.metric]
        syn_gaps, ref_gaps = attribute_gaps(syn, attributes), attribute_gaps(ref, attributes)
        gap = None
        if len(syn_gaps) and len(ref_gaps):
            gap = worst_cell(
                "worst_gap_change",
                value=syn_gaps["gap_change"].to_numpy(),
                null_mean=HALF_NORMAL_MEAN * syn_gaps["se"].to_numpy(),
                null_sd=HALF_NORMAL_SD * syn_gaps["se"].to_numpy(),
                reference_value=ref_gaps["gap_change"].to_numpy(),
                reference_null_mean=HALF_NORMAL_MEAN * ref_gaps["se"].to_numpy(),
                reference_null_sd=HALF_NORMAL_SD * ref_gaps["se"].to_numpy(),
                margin=gap_margin,
                value_range=value_range,
                describe=lambda i: (
                    f"largest change of the gap between an attribute's highest and lowest group (attribute "
                    f"{syn_gaps.at[i, 'attribute']}: real gap {syn_gaps.at[i, 'real_gap']:+.3f}{change_unit}, "
                    f"synthetic {syn_gaps.at[i, 'synthetic_gap']:+.3f}{change_unit})"
                ),
            )
            metrics.append(gap.metric)
        metrics.extend(absent_metric)
        metrics.extend(dp_metrics(syn, attributes, outcome))
        tables = [
            outcome_group_table(ctx, syn, ref, change, attributes, outcome),
            *([gap_table(ctx, syn_gaps, ref_gaps, gap, attributes)] if gap is not None else []),
            coding_table(ctx, groups),
        ]
        figures = [self._figure(ctx, syn, a, outcome) for a in attributes if not a.intersection]
        verdict = (
            "beyond"
            if any(x.passed is False for x in metrics if x.gating)
            else ("past the warn threshold of" if any(x.warned for x in metrics if x.gating) else "within")
        )
        worst = change.position
        summary = (
            f"Largest outcome change in group {name_cell(syn_cells, worst)}: {unit} "
            f"{syn_cells.at[worst, 'base_outcome'] * raw:.4g} real vs "
            f"{syn_cells.at[worst, 'candidate_outcome'] * raw:.4g} synthetic (change {change.metric.value:.3f}"
            f"{change_unit}, fail above {change.metric.threshold:.3f}{change_unit})"
            + (
                f"; largest gap change {gap.metric.value:.3f}{change_unit} ({syn_gaps.at[gap.position, 'attribute']}, "
                f"fail above {gap.metric.threshold:.3f}{change_unit})"
                if gap is not None
                else ""
            )
            + (f"; sensitive columns missing from the synthetic data: {list(groups.absent)}" if groups.absent else "")
            + f" — {verdict} the thresholds."
        )
        target_known = ctx.synthetic_pair.base[target].notna()
        result = self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes={
                "base_rows_labelled": int(target_known.sum()),
                "synthetic_rows_labelled": int(ctx.synthetic_pair.candidate[target].notna().sum()),
                "reference_rows_labelled": int(ctx.reference_pair.candidate[target].notna().sum()),
                "attributes": len(attributes),
                "groups_gated": len(syn_cells),
                "groups_small": int(syn["small"].sum()),
            },
            columns={
                **{c: "sensitive" for a in attributes if a.name in set(syn_cells["attribute"]) for c in a.columns},
                target: f"target ({unit})",
                **absent_columns(groups),
            },
        )
        return flag_sensitive_inferred(result, ctx)

    # ------------------------------------------------------------------ helpers

    def _figure(self, ctx: AuditContext, syn: pd.DataFrame, attribute: Attribute, outcome: OutcomeCoding) -> FigureSpec:
        p = self.params
        rows = syn[(syn["attribute"] == attribute.name) & syn["gated"]].sort_values("base_rows", ascending=False)
        shown = [r for r in rows.itertuples() if shown_group(ctx, attribute, r.group) != RARE_GROUP][: p.figure_groups]
        scale = 1.0 if outcome.kind == "rate" else outcome.scale
        label = "positive rate" if outcome.kind == "rate" else "mean outcome"
        return make_figure(
            "bars",
            f"{attribute.name}: {label} per group (groups large enough to compare)",
            {
                "categories": [r.group for r in shown],
                "series": {
                    "real": [r.base_outcome * scale for r in shown],
                    "synthetic": [r.candidate_outcome * scale for r in shown],
                },
            },
            x_label=attribute.name,
            y_label=label,
        )
