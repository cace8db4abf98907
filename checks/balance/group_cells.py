"""The group × column cells of ``balance.group_fidelity``: each column's distance inside each sizeable group.

A helper module, not a check: per-column values (numbers or shared category codes), text embeddings, and
the cells table of one pair (base vs candidate rows) with the groups left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.checks.balance.group_distances import grouped_distances
from synthaudit.checks.balance.groups import (
    Attribute,
    attribute_labels,
    group_labels,
    is_small,
)
from synthaudit.context import AuditContext, Pair
from synthaudit.data.roles import Role
from synthaudit.stats.embedding_shift import grouped_mean_embedding_distances

NUMERIC_ROLES = (Role.NUMERIC, Role.DATETIME)


EMBEDDING_STATISTIC = "embedding"
"""Statistic of a text column's cells: half the distance between the group's mean sentence embeddings."""


@dataclass(frozen=True)
class ColumnValues:
    """One column of a pair, ready for per-group distances: floats (numeric) or shared category codes."""

    numeric: bool
    base: np.ndarray
    candidate: np.ndarray
    categories: int


def column_values(pair: Pair, column: str, role: Role) -> ColumnValues:
    """One column of ``pair`` as floats (numeric, datetimes in seconds, NaN for missing) or shared category codes."""
    base, candidate = pair.base[column], pair.candidate[column]
    if role in NUMERIC_ROLES:

        def numbers(values: pd.Series) -> np.ndarray:
            if pd.api.types.is_datetime64_any_dtype(values):
                out = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
                out[values.isna().to_numpy()] = np.nan
                return out
            return values.to_numpy(dtype=np.float64, na_value=np.nan)

        return ColumnValues(True, numbers(base), numbers(candidate), 0)
    codes, uniques = pd.factorize(pd.concat([base, candidate], ignore_index=True).astype(object), sort=True)
    return ColumnValues(False, codes[: len(base)], codes[len(base) :], len(uniques))


def text_columns(ctx: AuditContext) -> tuple[str, ...]:
    """The text columns compared inside groups: all of them when they can be embedded, else none."""
    return tuple(ctx.data.text) if ctx.text_unmeasured_reason is None else ()


def text_values(ctx: AuditContext, pair: Pair, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Embeddings of ``column`` for the pair's base and candidate rows, with which rows hold a text."""

    def side(key: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        positions = ctx.frame(key).index.get_indexer(frame.index)
        return ctx.text_vectors(column, key)[positions], frame[column].notna().to_numpy()

    return (*side(pair.base_key, pair.base), *side(pair.candidate_key, pair.candidate))


def group_codes(labels: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Position of each label in the sorted ``kept`` labels, −1 for labels not kept."""
    position = np.searchsorted(kept, labels)
    position = np.clip(position, 0, len(kept) - 1)
    return np.where(kept[position] == labels, position, -1).astype(np.int64)


def pair_cells(
    ctx: AuditContext, pair: Pair, attributes: tuple[Attribute, ...], min_group_rows: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cells (group × column distances) of the sizeable groups, and the groups left out with their sizes.

    A group is sizeable with ``min_group_rows`` base rows and as many expected candidate rows (and at least one).
    """
    base_labels = group_labels(ctx, pair.base_key).loc[pair.base.index]
    candidate_labels = group_labels(ctx, pair.candidate_key).loc[pair.candidate.index]
    columns = list(ctx.comparable_columns)
    values = {c: column_values(pair, c, ctx.roles[c]) for c in columns}
    orders = {
        c: np.argsort(np.concatenate([v.base, v.candidate]), kind="stable") for c, v in values.items() if v.numeric
    }
    texts = {c: text_values(ctx, pair, c) for c in text_columns(ctx)}
    frames, skipped = [], []
    for attribute in attributes:
        b = attribute_labels(base_labels, attribute).astype(str)
        c = attribute_labels(candidate_labels, attribute).astype(str)
        names, base_counts = np.unique(b, return_counts=True)
        candidate_counts = pd.Series(c).value_counts().reindex(names, fill_value=0).to_numpy()
        small = is_small(base_counts, len(pair.base), len(pair.candidate), min_group_rows)
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
        base_groups = group_codes(b, kept)
        candidate_groups = group_codes(c, kept)
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
