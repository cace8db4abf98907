"""Tables of ``balance.outcome_gaps``: outcome per group and gap per attribute, worst first.

A helper module, not a check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthaudit.check import make_table
from synthaudit.checks.balance.groups import Attribute, WorstCell, attribute_named, shown_group
from synthaudit.checks.balance.outcome_groups import OutcomeCoding
from synthaudit.context import AuditContext
from synthaudit.result import Table


def outcome_group_table(
    ctx: AuditContext,
    syn: pd.DataFrame,
    ref: pd.DataFrame,
    change: WorstCell,
    attributes: tuple[Attribute, ...],
    outcome: OutcomeCoding,
) -> Table:
    """Outcome per group, real vs synthetic beside the reference, worst change first."""
    gated = syn[syn["gated"]].reset_index(drop=True)
    gated["threshold"] = change.thresholds
    gated["excess"] = (gated["change"].abs() - change.references) / np.maximum(
        change.thresholds - change.references, 1e-12
    )
    rest = syn[~syn["gated"]].copy()
    rest["threshold"] = np.nan
    rest["excess"] = -np.inf
    frame = pd.concat([gated, rest], ignore_index=True).sort_values(
        ["excess", "attribute", "group"], ascending=[False, True, True], kind="stable"
    )
    reference = ref.set_index(["attribute", "group"])
    word = "rate" if outcome.kind == "rate" else "mean"
    raw = outcome.scale  # regression outcomes are computed in SD units; the table shows the target's own units
    rows = []
    for row in frame.itertuples():
        key = (row.attribute, row.group)
        reference_outcome = reference.at[key, "candidate_outcome"] if key in reference.index else np.nan
        rows.append(
            {
                "attribute": row.attribute,
                "group": shown_group(ctx, attribute_named(attributes, row.attribute), row.group),
                "real_rows": row.base_rows,
                "synthetic_rows": row.candidate_rows,
                f"real_{word}": row.base_outcome * raw,
                f"synthetic_{word}": row.candidate_outcome * raw,
                f"reference_{word}": reference_outcome * raw,
                "change": row.change,
                "standard_error": row.se,
                "threshold": row.threshold,
                "gated": bool(row.gated),
            }
        )
    unit = "positive rate" if outcome.kind == "rate" else "mean (change, SE and threshold in SD units)"
    return make_table("groups", f"Outcome {unit} per group, real vs synthetic, worst first", rows)


def gap_table(
    ctx: AuditContext, syn: pd.DataFrame, ref: pd.DataFrame, gap: WorstCell, attributes: tuple[Attribute, ...]
) -> Table:
    """Gap between each attribute's highest and lowest group (real ordering), worst first."""
    reference = ref.set_index("attribute")
    rows = []
    for position, row in enumerate(syn.itertuples()):
        attribute = attribute_named(attributes, row.attribute)
        has_ref = row.attribute in reference.index
        rows.append(
            {
                "attribute": row.attribute,
                "high_group": shown_group(ctx, attribute, row.high_group),
                "low_group": shown_group(ctx, attribute, row.low_group),
                "real_gap": row.real_gap,
                "synthetic_gap": row.synthetic_gap,
                "reference_gap": reference.at[row.attribute, "synthetic_gap"] if has_ref else None,
                "gap_change": row.gap_change,
                "threshold": gap.thresholds[position],
                "reversed": bool(row.real_gap > 0 and row.synthetic_gap < 0),
                "dp_difference_real": row.dp_real,
                "dp_difference_synthetic": row.dp_synthetic,
            }
        )
    rows.sort(key=lambda r: -(r["gap_change"] - r["threshold"]))
    return make_table(
        "gaps", "Gap between each attribute's highest and lowest group (real ordering), worst first", rows
    )
