"""Tables of ``balance.representation``: each group's share, and per attribute its worst group.

A helper module, not a check.
"""

from __future__ import annotations

import pandas as pd

from synthaudit.check import info_metric, make_table
from synthaudit.checks.balance.groups import Attribute, attribute_named, shown_group
from synthaudit.context import AuditContext
from synthaudit.result import Metric
from synthaudit.stats.group_shares import chi_square_homogeneity


def share_group_table(
    ctx: AuditContext, syn: pd.DataFrame, ref: pd.DataFrame, attributes: tuple[Attribute, ...]
) -> object:
    """Share of each group, real vs synthetic beside the reference, worst first (Cohen's h)."""
    reference = ref.set_index(["attribute", "group"])
    order = syn.sort_values(["cohens_h", "attribute", "group"], ascending=[False, True, True], kind="stable")
    rows = []
    for row in order.itertuples():
        key = (row.attribute, row.group)
        has_ref = key in reference.index
        rows.append(
            {
                "attribute": row.attribute,
                "group": shown_group(ctx, attribute_named(attributes, row.attribute), row.group),
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


def attribute_table(
    ctx: AuditContext, syn: pd.DataFrame, ref: pd.DataFrame, attributes: tuple[Attribute, ...]
) -> object:
    """Per attribute: worst group and chi-square test (information), worst first."""
    rows = []
    for attribute in attributes:
        s = syn[syn["attribute"] == attribute.name].reset_index(drop=True)
        r = ref[ref["attribute"] == attribute.name]
        chi2, dof, p_value = chi_square_homogeneity(s)
        chi2_ref, _, p_ref = chi_square_homogeneity(r)
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
    return make_table("attributes", "Per attribute: worst group and chi-square test (information), worst first", rows)


def share_info_metrics(syn: pd.DataFrame, ref: pd.DataFrame) -> list[Metric]:
    """Information metrics: largest share difference, smallest representation ratio, small groups missing."""
    sizeable = syn[~syn["small"] & (syn["base_rows"] > 0)]
    sizeable_ref = ref[~ref["small"] & (ref["base_rows"] > 0)]
    metrics: list[Metric] = [
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
    return metrics
