"""Tables, figure and wording of ``balance.group_fidelity``.

A helper module, not a check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthaudit.check import make_figure, make_table
from synthaudit.checks.balance.group_cells import EMBEDDING_STATISTIC, NUMERIC_ROLES, column_values
from synthaudit.checks.balance.groups import (
    RARE_GROUP_COUNT,
    Attribute,
    SensitiveGroups,
    WorstCell,
    absent_columns,
    attribute_labels,
    attribute_named,
    group_labels,
    shown_group,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.data.roles import Role
from synthaudit.result import FigureSpec, Table


def statistic_name(statistic: object) -> str:
    """How a cell's statistic is named in words."""
    return "mean-embedding" if statistic == EMBEDDING_STATISTIC else str(statistic).upper()


def excess_over_margin(frame: pd.DataFrame, worst: WorstCell) -> np.ndarray:
    """How far each cell is past its reference, as a share of its fail margin (1 = at the threshold)."""
    margin = np.maximum(worst.thresholds - worst.references, 1e-12)
    return (frame["distance"].to_numpy() - worst.references) / margin


def measured_columns(
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
    out.update(absent_columns(groups))
    return out


def group_table(
    ctx: AuditContext,
    syn: pd.DataFrame,
    skipped: pd.DataFrame,
    worst: WorstCell,
    attributes: tuple[Attribute, ...],
) -> Table:
    """Worst column inside each group, worst group first; groups too small to compare last."""
    frame = syn.assign(threshold=worst.thresholds, excess=excess_over_margin(syn, worst))
    rows = []
    for (attribute_name, group), cells in frame.groupby(["attribute", "group"], sort=True):
        top = cells.sort_values(["excess", "column"], ascending=[False, True], kind="stable").iloc[0]
        rows.append(
            {
                "attribute": attribute_name,
                "group": shown_group(ctx, attribute_named(attributes, str(attribute_name)), str(group)),
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
                "group": shown_group(ctx, attribute_named(attributes, row.attribute), row.group),
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


def cell_figure(
    ctx: AuditContext, pair: Pair, syn: pd.DataFrame, position: int, attributes: tuple[Attribute, ...]
) -> FigureSpec:
    """The worst cell's column inside its group, real vs synthetic (histogram, shares, or text distances)."""
    attribute = attribute_named(attributes, str(syn.at[position, "attribute"]))
    group = str(syn.at[position, "group"])
    column = str(syn.at[position, "column"])
    shown = shown_group(ctx, attribute, group)
    in_base = attribute_labels(group_labels(ctx, pair.base_key).loc[pair.base.index], attribute) == group
    in_candidate = attribute_labels(group_labels(ctx, pair.candidate_key).loc[pair.candidate.index], attribute) == group
    if column in ctx.data.text:
        cells = syn[(syn["attribute"] == attribute.name) & (syn["column"] == column)]
        return make_figure(
            "bars",
            f"Text column {column}: mean-embedding distance inside each group of {attribute.name}, real vs synthetic",
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
        values = column_values(Pair("figure", real.to_frame(), synth.to_frame(), "", ""), column, ctx.roles[column])
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


def cell_table(
    ctx: AuditContext,
    syn: pd.DataFrame,
    ref: pd.DataFrame,
    worst: WorstCell,
    attributes: tuple[Attribute, ...],
    table_rows: int,
) -> Table:
    """The ``table_rows`` cells furthest past their thresholds, with the reference's distance beside each."""
    frame = syn.assign(threshold=worst.thresholds, excess=excess_over_margin(syn, worst))
    frame = frame.sort_values(
        ["excess", "attribute", "group", "column"], ascending=[False, True, True, True], kind="stable"
    )
    reference = ref.set_index(["attribute", "group", "column"])["distance"]
    rows = []
    for row in frame.head(table_rows).itertuples():
        key = (row.attribute, row.group, row.column)
        rows.append(
            {
                "attribute": row.attribute,
                "group": shown_group(ctx, attribute_named(attributes, row.attribute), row.group),
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
