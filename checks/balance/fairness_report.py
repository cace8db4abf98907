"""Tables and figure of ``balance.downstream_fairness`` (per sensitive column, per group, true-positive rates).

A helper module, not a check.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.check import (
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.checks.balance.fairness_models import SensitiveColumn
from synthaudit.checks.balance.groups import (
    RARE_GROUP,
    shown_group,
)
from synthaudit.context import AuditContext
from synthaudit.result import FigureSpec, Metric, Table

FOUR_FIFTHS = 0.8
"""The four-fifths rule (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)): a selection rate below 80 % of the
highest group's is evidence of adverse impact. Reported for each model, not gated (see the class docstring)."""


def column_table(columns: list[SensitiveColumn], stats: list[dict[str, dict[str, float]]], p: Any) -> Table:
    """Fairness differences of both models per sensitive column, worst first."""
    rows = []
    for column, s in zip(columns, stats, strict=True):
        row: dict[str, Any] = {
            "sensitive_column": column.attribute.name,
            "groups_compared": len(column.parity_groups),
        }
        for key, margin in (("dp", p.dp_margin), ("eo", p.eo_margin)):
            e = s[key]
            finite = math.isfinite(e.get("increase", math.nan))
            row[f"{key}_real_model"] = e["real"]
            row[f"{key}_synthetic_model"] = e["synthetic"]
            row[f"{key}_increase"] = e["increase"] if finite else None
            row[f"{key}_increase_ci_low"] = e["increase"] - 1.96 * e["se"] if finite else None
            row[f"{key}_increase_ci_high"] = e["increase"] + 1.96 * e["se"] if finite else None
            row[f"{key}_threshold"] = max(margin.fail_floor, margin.fail_se * e["se"]) if finite else None
        row["eo_groups_compared"] = len(column.odds_groups)
        row["selection_rate_ratio_real_model"] = s["ratio"]["real"]
        row["selection_rate_ratio_synthetic_model"] = s["ratio"]["synthetic"]
        row["four_fifths_rule_met_real_model"] = s["ratio"]["real"] >= FOUR_FIFTHS
        row["four_fifths_rule_met_synthetic_model"] = s["ratio"]["synthetic"] >= FOUR_FIFTHS
        rows.append(row)

    def excess(r: dict[str, Any]) -> float:
        return max(
            (r[f"{k}_increase"] or 0.0) / (r[f"{k}_threshold"] or 1.0) if r[f"{k}_increase"] is not None else -1.0
            for k in ("dp", "eo")
        )

    rows.sort(key=lambda r: -excess(r))
    return make_table(
        "sensitive_columns_fairness", "Fairness differences of both models per sensitive column, worst first", rows
    )


def group_table(ctx: AuditContext, columns: list[SensitiveColumn], frames: list[pd.DataFrame]) -> Table:
    """Per-group metrics of both models on the holdout, largest true-positive-rate change first."""
    rows = []
    for column, frame in zip(columns, frames, strict=True):
        compared = {column.labels[i] for i in column.parity_groups}
        for label, values in frame.iterrows():
            rows.append(
                {
                    "sensitive_column": column.attribute.name,
                    "group": shown_group(ctx, column.attribute, str(label)),
                    "holdout_rows": int(values["rows"]),
                    "holdout_positives": int(values["positives"]),
                    "compared": str(label) in compared,
                    **{
                        f"{metric}_{side}": float(values[f"{metric}_{side}"])
                        for metric in ("accuracy", "selection_rate", "true_positive_rate", "false_positive_rate")
                        for side in ("real_model", "synthetic_model")
                    },
                }
            )
    rows.sort(key=lambda r: -abs(r["true_positive_rate_synthetic_model"] - r["true_positive_rate_real_model"]))
    return make_table(
        "groups",
        "Per-group metrics of both models on the holdout (fairlearn MetricFrame), largest TPR change first",
        rows,
    )


def tpr_figure(ctx: AuditContext, column: SensitiveColumn, frame: pd.DataFrame) -> FigureSpec:
    """Bars of each group's true-positive rate on the holdout, for the real- and the synthetic-trained models."""
    shown = [
        label
        for label in frame.sort_values("rows", ascending=False).index
        if shown_group(ctx, column.attribute, str(label)) != RARE_GROUP
    ][:15]
    return make_figure(
        "bars",
        f"{column.attribute.name}: true-positive rate per group on the holdout, by training data",
        {
            "categories": [str(label) for label in shown],
            "series": {
                "trained on real": [float(frame.at[label, "true_positive_rate_real_model"]) for label in shown],
                "trained on synthetic": [
                    float(frame.at[label, "true_positive_rate_synthetic_model"]) for label in shown
                ],
            },
        },
        x_label=column.attribute.name,
        y_label="true-positive rate",
    )


def gated_fairness_metrics(
    stats: list[dict[str, dict[str, float]]], columns: list[SensitiveColumn], p: Any
) -> tuple[list[Metric], dict[str, int]]:
    """The gated dp/eo increases, each on the column whose increase is largest against its fail threshold.

    Returns the metrics and, by key (``dp``, ``eo``), the position of that worst column.
    """
    metrics: list[Metric] = []
    worst: dict[str, int] = {}
    for key, metric_name, margin, label in (
        ("dp", "dp_difference_increase", p.dp_margin, "demographic-parity"),
        ("eo", "eo_difference_increase", p.eo_margin, "equalised-odds"),
    ):
        usable = [i for i, s in enumerate(stats) if np.isfinite(s[key]["increase"])]
        if not usable:
            continue
        scores = [
            s[key]["increase"] / max(margin.fail_floor, margin.fail_se * s[key]["se"], 1e-12)
            for s in (stats[i] for i in usable)
        ]
        position = usable[int(np.argmax(scores))]
        worst[key] = position
        s = stats[position][key]
        metrics.append(
            gated_metric(
                metric_name,
                value=s["increase"],
                reference=0.0,
                standard_error=s["se"],
                margin=margin,
                direction="lower_is_better",
                value_range=(-1.0, 1.0),
                description=(
                    f"{label} difference of the synthetic-trained model minus the real-trained model's, worst "
                    f"sensitive column {columns[position].attribute.name!r} ({s['synthetic']:.3f} vs "
                    f"{s['real']:.3f}; SE {s['se']:.4f} = holdout bootstrap {s['se_holdout']:.4f} and training "
                    f"noise {s['se_training']:.4f})"
                ),
            )
        )
    return metrics, worst


def info_fairness_metrics(
    stats: list[dict[str, dict[str, float]]], columns: list[SensitiveColumn], worst: dict[str, int]
) -> list[Metric]:
    """Information metrics: the synthetic-trained model's differences and selection-rate ratio."""
    metrics: list[Metric] = []
    first = worst.get("dp", 0)
    metrics.extend(
        [
            info_metric(
                "dp_difference_synthetic_model",
                stats[first]["dp"]["synthetic"],
                reference=stats[first]["dp"]["real"],
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"demographic-parity difference of the synthetic-trained model on "
                f"{columns[first].attribute.name!r} (reference: the real-trained model's)",
            ),
            info_metric(
                "selection_rate_ratio_synthetic_model",
                stats[first]["ratio"]["synthetic"],
                reference=stats[first]["ratio"]["real"],
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description=(
                    f"smallest / largest group selection rate of the synthetic-trained model on "
                    f"{columns[first].attribute.name!r} (four-fifths rule: at least {FOUR_FIFTHS}; information)"
                ),
            ),
        ]
    )
    if "eo" in worst:
        e = worst["eo"]
        metrics.append(
            info_metric(
                "eo_difference_synthetic_model",
                stats[e]["eo"]["synthetic"],
                reference=stats[e]["eo"]["real"],
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"equalised-odds difference of the synthetic-trained model on "
                f"{columns[e].attribute.name!r} (reference: the real-trained model's)",
            )
        )
    return metrics


def fairness_summary(
    metrics: list[Metric],
    stats: list[dict[str, dict[str, float]]],
    columns: list[SensitiveColumn],
    worst: dict[str, int],
    absent: tuple[str, ...],
) -> str:
    """One sentence: the worst dp and eo differences of both models, and where they stand to the thresholds."""
    verdict = (
        "beyond"
        if any(m.passed is False for m in metrics if m.gating)
        else ("past the warn threshold of" if any(m.warned for m in metrics if m.gating) else "within")
    )
    parts = []
    for key, label in (("dp", "demographic-parity"), ("eo", "equalised-odds")):
        if key in worst:
            s = stats[worst[key]][key]
            parts.append(
                f"{label} difference on {columns[worst[key]].attribute.name!r} {s['synthetic']:.3f} for the "
                f"synthetic-trained model vs {s['real']:.3f} for the real-trained one"
            )
    summary = (
        "; ".join(parts)
        + (f"; sensitive columns missing from the synthetic data: {list(absent)}" if absent else "")
        + f" — {verdict} the thresholds."
    )
    summary = summary[0].upper() + summary[1:]
    return summary
