"""``balance.representation``: whether every demographic group is as common in the synthetic data as in reality."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import ClassVar

import pandas as pd
from pydantic import Field

from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Need,
    Suite,
    gated_metric,
    make_figure,
)
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    HALF_NORMAL_SD,
    RARE_GROUP,
    Attribute,
    SensitiveGroups,
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
)
from synthaudit.checks.balance.representation_report import attribute_table, share_group_table, share_info_metrics
from synthaudit.context import AuditContext, Pair
from synthaudit.result import CheckResult, FigureSpec, Metric
from synthaudit.stats.group_shares import cohens_h, group_shares

__all__ = ["RepresentationCheck", "cohens_h", "group_shares"]


class RepresentationCheck(Check):
    """Share of every sensitive group (and every intersection of two) in the synthetic vs the real data.

    For each sensitive column and each pair of them, every group's share of the rows is compared between the
    real (base) rows and the synthetic rows, and the same on the reference pair (holdout or the real data's
    other half, at matched size). The effect size is Cohen's h, ``|2·asin√q − 2·asin√p|`` for real share
    ``p`` and synthetic share ``q``: unlike the raw share difference it weighs a 10 % group shrinking to 2 %
    as heavily as a 50 % group shrinking to 30 %, and its null standard error, ``√(1/n + 1/m)`` for ``n`` real
    and ``m`` candidate rows, is the same for every group — so the worst group can be compared with the
    reference's worst under one honest margin. Range [0, π], lower is better, 0 for identical data, about
    ``√(1/n + 1/m)`` times a small constant for an independent sample.

    Gating: (1) the worst group's h against the reference's worst, with margin
    ``max(floor, k × √2 × 0.603 × √(1/n + 1/m))`` (0.603 is the standard deviation of |Z|, the spread of an
    absolute difference; √2 because both worst values are noisy); (2) the number of sizeable groups (at
    least ``min_group_rows`` real rows and as many expected synthetic rows) absent from the synthetic data,
    against the reference's count: a sizeable group vanishing by chance has probability below e⁻³⁰, so any
    such group fails. The largest absolute share difference and the smallest representation ratio
    (synthetic share / real share, over sizeable groups only: for small groups the ratio is noise) are
    information, as are chi-square statistics per attribute. Small groups are listed, never merged.

    A named sensitive column missing from the synthetic data fails (it is named). On sensitive columns
    inferred from column names the gate reports a fail as a warning. Skips when no sensitive column can be grouped.

    Cost: O(n + m + h) counting per sensitive attribute (and per pair of them with ``intersections``); independent of
    the other columns.
    """

    name: ClassVar[str] = "balance.representation"
    suite: ClassVar[Suite] = Suite.BALANCE
    description: ClassVar[str] = (
        "Every demographic group (and intersection of two) is as common in the synthetic data as in the real data."
    )
    meaning: ClassVar[str] = (
        "For every group of every sensitive column (and every pair of columns), how much its share of the rows "
        "differs between the synthetic and the real data, as Cohen's h (0 = the same share; 0.2 is a small, "
        "0.5 a medium effect), compared with real data the generator never saw. Lower is better; the worst "
        "group decides, and a sizeable group missing from the synthetic data fails."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.SENSITIVE})
    gating_metrics: ClassVar[tuple[str, ...]] = ("worst_group_cohens_h", "missing_group_count", ABSENT_METRIC)

    class Params(CheckParams):
        """Thresholds of ``balance.representation``.

        The Cohen's h floors apply at large n, where the standard error is tiny: a fail needs at least h = 0.1
        past the reference (half of Cohen's "small" effect; a 10 % group down to 7 %, a 50 % group down to
        45 %), a warning h = 0.05.
        """

        share_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.05, fail_floor=0.1),
            description="Margin over the reference's worst group, in Cohen's h units.",
        )
        missing_margin: Margin = Field(
            Margin(warn_se=0.0, fail_se=0.0, warn_floor=0.5, fail_floor=0.5),
            description="Margin over the reference's count of sizeable groups absent from the candidate (0.5: any).",
        )
        min_group_rows: int = Field(
            30,
            ge=1,
            description=(
                "Groups with fewer real rows, or fewer expected synthetic rows, are small: reported, left out of the "
                "missing-group gate and of the representation ratio (their ratio is noise)."
            ),
        )
        intersections: bool = Field(True, description="Also compare the groups of every pair of sensitive columns.")
        figure_groups: int = Field(15, ge=1, le=50, description="Most groups drawn per figure (largest first).")

    # ------------------------------------------------------------------ computation
    def _pair(self, ctx: AuditContext, pair: Pair, attributes: tuple[Attribute, ...]) -> pd.DataFrame:
        base_labels = group_labels(ctx, pair.base_key)
        candidate_labels = group_labels(ctx, pair.candidate_key)
        frames = []
        for attribute in attributes:
            frame = group_shares(
                attribute_labels(base_labels, attribute), attribute_labels(candidate_labels, attribute)
            )
            frame.insert(0, "attribute", attribute.name)
            frame.insert(1, "group", frame.index.astype(str))
            frames.append(frame.reset_index(drop=True))
        out = pd.concat(frames, ignore_index=True)
        p = self.params
        out["small"] = is_small(out["base_rows"].to_numpy(), len(pair.base), len(pair.candidate), p.min_group_rows)
        out["missing"] = (~out["small"]) & (out["candidate_rows"] == 0) & (out["base_rows"] > 0)
        return out

    def run(self, ctx: AuditContext) -> CheckResult:
        """Count every group on the synthetic and the reference pair and compare the shares."""
        p = self.params
        groups = sensitive_groups(ctx)
        attributes = groups.attributes(p.intersections)
        absent_metric = [absent_columns_metric(groups.absent)] if groups.absent else []
        if not attributes:
            if absent_metric:
                return replace(absent_only_result(self, ctx, groups), columns=absent_columns(groups))
            return self.skip("no sensitive column can be split into groups (text or identifier columns only)")
        syn = self._pair(ctx, ctx.synthetic_pair, attributes)
        ref = self._pair(ctx, ctx.reference_pair, attributes)
        n, m = len(ctx.synthetic_pair.base), len(ctx.synthetic_pair.candidate)
        m_ref = len(ctx.reference_pair.candidate)
        se = (
            math.sqrt(2.0)
            * HALF_NORMAL_SD
            * max(math.sqrt(1 / max(n, 1) + 1 / max(m, 1)), math.sqrt(1 / max(n, 1) + 1 / max(m_ref, 1)))
        )
        worst = int(syn["cohens_h"].to_numpy().argmax())
        worst_attribute = next(a for a in attributes if a.name == syn.at[worst, "attribute"])
        worst_group = shown_group(ctx, worst_attribute, str(syn.at[worst, "group"]))
        missing = syn[syn["missing"]]
        missing_names = [
            f"{row.attribute} = {shown_group(ctx, attribute_named(attributes, row.attribute), row.group)!r}"
            for row in missing.itertuples()
        ]
        metrics: list[Metric] = [
            gated_metric(
                "worst_group_cohens_h",
                value=float(syn["cohens_h"].max()),
                reference=float(ref["cohens_h"].max()),
                standard_error=se,
                margin=p.share_margin,
                direction="lower_is_better",
                value_range=(0.0, math.pi),
                description=(
                    f"largest Cohen's h between a group's real and synthetic share (group {worst_attribute.name} = "
                    f"{worst_group!r})"
                ),
            ),
            gated_metric(
                "missing_group_count",
                value=float(len(missing)),
                reference=float(ref["missing"].sum()),
                standard_error=0.0,
                margin=p.missing_margin,
                direction="lower_is_better",
                value_range=(0.0, None),
                description=(
                    f"sizeable groups absent from the synthetic data: {missing_names[:10]}"
                    if missing_names
                    else "sizeable groups absent from the synthetic data: none"
                ),
            ),
            *absent_metric,
            *share_info_metrics(syn, ref),
        ]
        tables = [
            share_group_table(ctx, syn, ref, attributes),
            attribute_table(ctx, syn, ref, attributes),
            coding_table(ctx, groups),
        ]
        figures = [self._figure(ctx, syn, a, groups) for a in attributes if not a.intersection]
        gate = metrics[0]
        verdict = (
            "beyond"
            if any(x.passed is False for x in metrics if x.gating)
            else ("past the warn threshold of" if any(x.warned for x in metrics if x.gating) else "within")
        )
        summary = (
            f"Worst group {worst_attribute.name} = {worst_group!r}: {syn.at[worst, 'base_share']:.1%} of real rows vs "
            f"{syn.at[worst, 'candidate_share']:.1%} of synthetic rows (Cohen's h {gate.value:.3f}, reference worst "
            f"{gate.reference_value:.3f}, fail above {gate.threshold:.3f}); "
            + (
                f"sizeable groups missing from the synthetic data: {', '.join(missing_names[:5])}; "
                if missing_names
                else ""
            )
            + (f"sensitive columns missing from the synthetic data: {list(groups.absent)}; " if groups.absent else "")
            + f"{verdict} the thresholds."
        )
        result = self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes={
                "base_rows": n,
                "synthetic_rows": m,
                "reference_rows": m_ref,
                "attributes": len(attributes),
                "groups": len(syn),
                "small_groups": int(syn["small"].sum()),
            },
            columns={
                **{c: "sensitive" for c in dict.fromkeys(c for a in attributes for c in a.columns)},
                **absent_columns(groups),
            },
        )
        return flag_sensitive_inferred(result, ctx)

    # ------------------------------------------------------------------ presentation

    def _figure(
        self, ctx: AuditContext, syn: pd.DataFrame, attribute: Attribute, groups: SensitiveGroups
    ) -> FigureSpec:
        p = self.params
        coding = groups.coding(attribute.columns[0])
        rows = syn[syn["attribute"] == attribute.name]
        shown, rare_real, rare_synth = [], 0.0, 0.0
        for row in rows.itertuples():
            if shown_group(ctx, attribute, row.group) == RARE_GROUP:
                rare_real += row.base_share
                rare_synth += row.candidate_share
            else:
                shown.append((row.group, row.base_share, row.candidate_share))
        shown.sort(key=lambda g: (coding.order(g[0]), -g[1], g[0]))
        shown = shown[: p.figure_groups]
        if rare_real > 0 or rare_synth > 0:
            shown.append(("(rare groups)", rare_real, rare_synth))
        return make_figure(
            "bars",
            f"{attribute.name}: share of rows per group (rare groups pooled)",
            {
                "categories": [g[0] for g in shown],
                "series": {"real": [g[1] for g in shown], "synthetic": [g[2] for g in shown]},
            },
            x_label=attribute.name,
            y_label="share of rows",
        )
