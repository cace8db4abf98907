"""Outcome per sensitive group and the gaps between groups, for ``balance.outcome_gaps``.

A helper module, not a check: how the target becomes a number per row, each group's rows, mean outcome
and variance, and per attribute the gap between the real data's highest and lowest group on both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.check import (
    info_metric,
)
from synthaudit.checks.balance.groups import (
    Attribute,
)
from synthaudit.context import AuditContext
from synthaudit.result import Metric


def group_outcomes(labels: np.ndarray, outcome: np.ndarray) -> pd.DataFrame:
    """Rows, mean outcome and outcome variance of every group (index: group labels, sorted).

    For a 0/1 outcome the mean is the group's positive rate.
    """
    frame = pd.DataFrame({"group": pd.Series(labels, dtype=object), "y": outcome})
    stats = frame.groupby("group", sort=True)["y"].agg(["count", "mean", "var"])
    stats["var"] = stats["var"].fillna(0.0)
    return stats.rename(columns={"count": "rows", "mean": "outcome", "var": "variance"})


def outcome_gap(high: float, low: float) -> float:
    """The gap between a group with a high and one with a low outcome, signed: negative when reversed."""
    return float(high - low)


@dataclass(frozen=True)
class OutcomeCoding:
    """How the target becomes a number per row: the positive indicator (classification) or the value."""

    kind: str  # "rate" | "mean"
    positive_label: str | None
    scale: float  # the real target's standard deviation (regression), 1 for rates

    def encode(self, values: pd.Series) -> np.ndarray:
        """The target's values as numbers: the positive indicator (rate) or the value (mean)."""
        if self.kind == "rate":
            return (values.astype(str) == self.positive_label).to_numpy(dtype=np.float64)
        return values.to_numpy(dtype=np.float64)


def outcome_coding(ctx: AuditContext) -> OutcomeCoding | str:
    """How the target is compared per group, or why it cannot be (a constant or multi-class target)."""
    target = ctx.data.target
    assert target is not None
    if ctx.data.task == "regression":
        values = ctx.synthetic_pair.base[target].dropna().to_numpy(dtype=np.float64)
        scale = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        if not scale > 0:
            return f"the real target {target!r} is constant: no mean to compare"
        return OutcomeCoding("mean", None, scale)
    if ctx.data.positive_label is None:
        return (
            f"the target {target!r} has more than two classes: name the outcome of interest with --positive-label "
            "to compare its rate per group"
        )
    return OutcomeCoding("rate", ctx.data.positive_label, 1.0)


def attribute_gaps(rows: pd.DataFrame, attributes: tuple[Attribute, ...]) -> pd.DataFrame:
    """Per attribute: the real data's highest and lowest gated groups and the gap on both sides."""
    records = []
    for attribute in attributes:
        g = rows[(rows["attribute"] == attribute.name) & rows["gated"]]
        if len(g) < 2:
            continue
        order = g.sort_values(["base_outcome", "group"], kind="stable")
        low, high = order.iloc[0], order.iloc[-1]
        real_gap = outcome_gap(high["base_outcome"], low["base_outcome"])
        synthetic_gap = outcome_gap(high["candidate_outcome"], low["candidate_outcome"])
        records.append(
            {
                "attribute": attribute.name,
                "high_group": high["group"],
                "low_group": low["group"],
                "real_gap": real_gap,
                "synthetic_gap": synthetic_gap,
                "gap_change": abs(synthetic_gap - real_gap),
                "se": math.hypot(float(high["se"]), float(low["se"])),
                "dp_real": float(g["base_outcome"].max() - g["base_outcome"].min()),
                "dp_synthetic": float(g["candidate_outcome"].max() - g["candidate_outcome"].min()),
            }
        )
    return pd.DataFrame(
        records,
        columns=[
            "attribute",
            "high_group",
            "low_group",
            "real_gap",
            "synthetic_gap",
            "gap_change",
            "se",
            "dp_real",
            "dp_synthetic",
        ],
    )


def dp_metrics(syn: pd.DataFrame, attributes: tuple[Attribute, ...], outcome: OutcomeCoding) -> list[Metric]:
    """Fairlearn's demographic-parity difference of the data (largest minus smallest group rate), each side.

    Over each sensitive column's gated groups. The rows are passed to fairlearn as their (group, outcome)
    cells with the counts as sample weights: the same number at a cost independent of the row count.
    """
    if outcome.kind != "rate":
        return []
    from fairlearn.metrics import demographic_parity_difference

    values: dict[str, list[float]] = {"base": [], "candidate": []}
    for attribute in attributes:
        rows = syn[(syn["attribute"] == attribute.name) & syn["gated"]]
        if attribute.intersection or len(rows) < 2:
            continue
        for side in values:
            positives = (rows[f"{side}_rows"] * rows[f"{side}_outcome"]).round().to_numpy()
            negatives = rows[f"{side}_rows"].to_numpy() - positives
            labels = np.concatenate([rows["group"].to_numpy(dtype=object)] * 2)
            y = np.repeat([1, 0], len(rows))
            difference = demographic_parity_difference(
                y, y, sensitive_features=labels, sample_weight=np.concatenate([positives, negatives])
            )
            values[side].append(float(difference))
    if not values["base"]:
        return []
    return [
        info_metric(
            "max_dp_difference_synthetic",
            max(values["candidate"]),
            reference=max(values["base"]),
            direction="lower_is_better",
            value_range=(0.0, 1.0),
            description=(
                "largest demographic-parity difference of the synthetic data's outcome over the sensitive columns "
                "(fairlearn; the reference is the real data's): information"
            ),
        )
    ]
