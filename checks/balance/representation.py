"""``balance.representation``: whether every demographic group is as common in the synthetic data as in reality."""

from __future__ import annotations

import math
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
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    HALF_NORMAL_SD,
    RARE_GROUP,
    Attribute,
    SensitiveGroups,
    absent_columns_metric,
    absent_only_result,
    attribute_labels,
    coding_table,
    flag_sensitive_inferred,
    group_labels,
    is_small,
    sensitive_groups,
    shown_group,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.result import CheckResult, FigureSpec, Metric

__all__ = ["RepresentationCheck", "cohens_h", "group_shares"]


def cohens_h(p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """Cohen's h between proportions: ``|2·asin√q − 2·asin√p|``.

    The arcsine square root stabilises the variance of a proportion: an estimate from ``n`` rows has variance
    about ``1/n`` whatever the proportion, so one standard error fits every group. Range [0, π]; 0 for equal
    shares; π for 0 against 1. Cohen calls 0.2 a small effect, 0.5 medium, 0.8 large.
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
    return np.abs(2.0 * np.arcsin(np.sqrt(q)) - 2.0 * np.arcsin(np.sqrt(p)))


def group_shares(base: np.ndarray, candidate: np.ndarray) -> pd.DataFrame:
    """Row counts and shares of every group label on both sides (index: the union of labels, sorted).

    Columns ``base_rows``, ``candidate_rows``, ``base_share``, ``candidate_share``, ``share_difference``
    (candidate − base), ``ratio`` (candidate share / base share, NaN when the base lacks the group) and
    ``cohens_h``.
    """
    b = pd.Series(base, dtype=object).value_counts()
    c = pd.Series(candidate, dtype=object).value_counts()
    index = b.index.union(c.index).sort_values()
    frame = pd.DataFrame(
        {
            "base_rows": b.reindex(index, fill_value=0).astype(np.int64),
            "candidate_rows": c.reindex(index, fill_value=0).astype(np.int64),
        },
        index=index,
    )
    frame["base_share"] = frame["base_rows"] / max(len(base), 1)
    frame["candidate_share"] = frame["candidate_rows"] / max(len(candidate), 1)
    frame["share_difference"] = frame["candidate_share"] - frame["base_share"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["ratio"] = np.where(
            frame["base_share"] > 0,
            frame["candidate_share"] / frame["base_share"].where(frame["base_share"] > 0),
            np.nan,
        )
    frame["cohens_h"] = cohens_h(frame["base_share"].to_numpy(), frame["candidate_share"].to_numpy())
    return frame


def _chi_square(frame: pd.DataFrame) -> tuple[float, int, float]:
    """Chi-square test of homogeneity of the group counts (information only): statistic, dof, p-value."""
    from scipy.stats import chi2_contingency

    table = frame[["base_rows", "candidate_rows"]].to_numpy().T
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 0, 1.0
    result = chi2_contingency(table, correction=False)
    return float(result.statistic), int(result.dof), float(result.pvalue)


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
    Cost: O(n) counting per attribute.
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
                return replace(absent_only_result(self, ctx, groups), columns=_absent_columns(groups))
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
            f"{row.attribute} = {shown_group(ctx, _attribute(attributes, row.attribute), row.group)!r}"
            for row in missing.itertuples()
        ]
        sizeable = syn[~syn["small"] & (syn["base_rows"] > 0)]
        sizeable_ref = ref[~ref["small"] & (ref["base_rows"] > 0)]
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
            info_metric(
                "max_share_difference",
                float(syn["share_difference"].abs().max()),
                reference=float(ref["share_difference"].abs().max()),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="largest absolute difference between a group's synthetic and real share (information)",
            ),
            info_metric(
                "missing_small_group_count",
                float(((syn["candidate_rows"] == 0) & (syn["base_rows"] > 0) & syn["small"]).sum()),
                reference=float(((ref["candidate_rows"] == 0) & (ref["base_rows"] > 0) & ref["small"]).sum()),
                direction="lower_is_better",
                value_range=(0.0, None),
                description="small groups absent from the synthetic data (information: small groups vanish by chance)",
            ),
        ]
        if len(sizeable) and len(sizeable_ref):
            metrics.insert(
                len(metrics) - 1,
                info_metric(
                    "min_representation_ratio",
                    float(sizeable["ratio"].min()),
                    reference=float(sizeable_ref["ratio"].min()),
                    direction="higher_is_better",
                    value_range=(0.0, None),
                    description="smallest synthetic share / real share over sizeable groups (information)",
                ),
            )
        tables = [
            self._group_table(ctx, syn, ref, attributes),
            self._attribute_table(ctx, syn, ref, attributes),
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
                **_absent_columns(groups),
            },
        )
        return flag_sensitive_inferred(result, ctx)

    # ------------------------------------------------------------------ presentation
    @staticmethod
    def _group_table(
        ctx: AuditContext, syn: pd.DataFrame, ref: pd.DataFrame, attributes: tuple[Attribute, ...]
    ) -> object:
        reference = ref.set_index(["attribute", "group"])
        order = syn.sort_values(["cohens_h", "attribute", "group"], ascending=[False, True, True], kind="stable")
        rows = []
        for row in order.itertuples():
            key = (row.attribute, row.group)
            has_ref = key in reference.index
            rows.append(
                {
                    "attribute": row.attribute,
                    "group": shown_group(ctx, _attribute(attributes, row.attribute), row.group),
                    "real_rows": row.base_rows,
                    "synthetic_rows": row.candidate_rows,
                    "real_share": row.base_share,
                    "synthetic_share": row.candidate_share,
                    "reference_share": reference.at[key, "candidate_share"] if has_ref else 0.0,
                    "share_difference": row.share_difference,
                    "representation_ratio": None if row.base_rows == 0 or row.small else row.ratio,
                    "cohens_h": row.cohens_h,
                    "reference_cohens_h": reference.at[key, "cohens_h"] if has_ref else None,
                    "small": bool(row.small),
                    "missing_from_synthetic": bool(row.base_rows > 0 and row.candidate_rows == 0),
                }
            )
        return make_table("groups", "Share of each group, real vs synthetic, worst first (Cohen's h)", rows)

    @staticmethod
    def _attribute_table(
        ctx: AuditContext, syn: pd.DataFrame, ref: pd.DataFrame, attributes: tuple[Attribute, ...]
    ) -> object:
        rows = []
        for attribute in attributes:
            s = syn[syn["attribute"] == attribute.name].reset_index(drop=True)
            r = ref[ref["attribute"] == attribute.name]
            chi2, dof, p_value = _chi_square(s)
            chi2_ref, _, p_ref = _chi_square(r)
            worst = int(s["cohens_h"].to_numpy().argmax())
            rows.append(
                {
                    "attribute": attribute.name,
                    "groups": len(s),
                    "small_groups": int(s["small"].sum()),
                    "sizeable_groups_missing": int(s["missing"].sum()),
                    "worst_group": shown_group(ctx, attribute, str(s.at[worst, "group"])),
                    "worst_cohens_h": s.at[worst, "cohens_h"],
                    "reference_worst_cohens_h": float(r["cohens_h"].max()),
                    "chi_square": chi2,
                    "chi_square_dof": dof,
                    "chi_square_p_value": p_value,
                    "reference_chi_square": chi2_ref,
                    "reference_chi_square_p_value": p_ref,
                }
            )
        rows.sort(key=lambda r: -r["worst_cohens_h"])
        return make_table(
            "attributes", "Per attribute: worst group and chi-square test (information), worst first", rows
        )

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


def _absent_columns(groups: SensitiveGroups) -> dict[str, str]:
    """The named sensitive columns the synthetic data lacks, as measured columns (their absence is gated)."""
    return {c: "sensitive (absent from the synthetic data)" for c in groups.absent}


def _attribute(attributes: tuple[Attribute, ...], name: str) -> Attribute:
    return next(a for a in attributes if a.name == name)
