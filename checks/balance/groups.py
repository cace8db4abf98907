"""Sensitive groups shared by the balance checks: grouping, suppression, and gating the worst group.

How rows fall into groups, which group names may be shown, and how the worst group is gated against the
reference's worst.

Grouping
--------
Every sensitive column (``ctx.data.sensitive``) is turned into group labels, fitted on the real data:

- categorical and boolean columns: one group per value;
- numeric columns whose name holds the word *age*: the stated bins ``<25, 25–34, 35–44, 45–54, 55–64, 65+``;
- other numeric (and datetime) columns: one group per value when the real data holds at most
  :data:`MAX_VALUE_GROUPS` distinct values, else the real data's quintile edges (``< e1, [e1, e2), …, ≥ e4``);
- missing values are a group of their own, :data:`MISSING_GROUP`, reported like any other.

Text and identifier columns are not grouped (every row would be its own group) and are reported as such. An
*attribute* is one sensitive column or, for intersections, a pair of them (``sex × race``, groups such as
``Female & Black``). The edges used are recorded in every result (:func:`coding_table`).

Suppression
-----------
A group seen fewer than :data:`RARE_GROUP_COUNT` times in the real data is never shown by value: tables and
figures call it :data:`RARE_GROUP` (rare values identify people). The plain missing-value group of one column
names no value and is always shown.

Gating the worst of many cells of different sizes
--------------------------------------------------
Groups differ in size by orders of magnitude, so one shared standard error cannot judge all of them: a margin
wide enough for a 30-row group hides any change in a 10 000-row group. :func:`worst_cell` therefore judges each
cell (a group, or a group × column) against its *own* null distribution: a statistic ``d`` with null mean
``μ`` and null standard deviation ``σ`` (what an independent sample of that cell's size gives). The reference's
worst cell is taken in standard units, ``z_ref = max (d_ref − μ_ref) / σ_ref``, and each synthetic cell gets
the reference value ``μ + z_ref·σ`` (the reference's worst deviation at that cell's size) and the margin
``max(floor, k·√2·σ)`` (√2: value and reference are both noisy maxima, as in ``fidelity.marginals``). The
gated cell is the one furthest past its own threshold, so the check fails exactly when some cell does, and the
metric reports that cell's statistic in its own units (a share difference, a rate change, a KS distance).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
import pandas as pd

from synthaudit.check import Check, make_table
from synthaudit.checks.balance.group_verdicts import (
    ABSENT_METRIC,
    WorstCell,
    absent_columns_metric,
    flag_sensitive_inferred,
    worst_cell,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Table

__all__ = [
    "ABSENT_METRIC",
    "AGE_EDGES",
    "AGE_LABELS",
    "HALF_NORMAL_MEAN",
    "HALF_NORMAL_SD",
    "MISSING_GROUP",
    "RARE_GROUP",
    "RARE_GROUP_COUNT",
    "Attribute",
    "GroupCoding",
    "SensitiveGroups",
    "WorstCell",
    "absent_columns",
    "absent_columns_metric",
    "absent_only_result",
    "attribute_labels",
    "attribute_named",
    "coding_table",
    "flag_sensitive_inferred",
    "group_labels",
    "is_small",
    "sensitive_groups",
    "shown_group",
    "worst_cell",
]

MISSING_GROUP = "(missing)"
"""The group of rows whose sensitive value is missing."""
RARE_GROUP = "(rare group)"
"""How a group seen fewer than :data:`RARE_GROUP_COUNT` times in the real data is shown."""
RARE_GROUP_COUNT = 10
"""DESIGN: category values seen fewer than 10 times in the real data are suppressed in tables and figures."""
AGE_EDGES = (25.0, 35.0, 45.0, 55.0, 65.0)
"""Stated age bins (years), the usual reporting bands of labour and census statistics."""
AGE_LABELS = ("<25", "25–34", "35–44", "45–54", "55–64", "65+")
QUINTILES = (0.2, 0.4, 0.6, 0.8)
"""Other numeric sensitive columns are cut at the real data's quintiles: five groups of about equal size."""
MAX_VALUE_GROUPS = 10
"""A numeric sensitive column with at most this many distinct real values is grouped by value (a coded
category such as 0/1)."""
HALF_NORMAL_MEAN = math.sqrt(2.0 / math.pi)
"""Mean of |Z| for a standard normal Z: the null mean of an absolute difference in its standard errors."""
HALF_NORMAL_SD = math.sqrt(1.0 - 2.0 / math.pi)
"""Standard deviation of |Z|: the null spread of an absolute difference in its standard errors."""
INTERSECTION = " & "


# ----------------------------------------------------------------------------- grouping
def _name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def _number(value: float, datetime: bool) -> str:
    if datetime:
        stamp = pd.Timestamp(int(value))
        return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def _round_edge(value: float, datetime: bool) -> float:
    """A quantile edge rounded to what its label shows (6 significant digits; datetimes to the second)."""
    if datetime:
        return float(round(value / 1e9) * 1e9)
    return float(f"{value:.6g}")


def _as_float(values: pd.Series) -> np.ndarray:
    """Values as float64 with NaN for missing (datetimes as nanoseconds)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        out[values.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass(frozen=True)
class GroupCoding:
    """How one sensitive column's values become group labels (fitted on the real data)."""

    column: str
    grouping: str
    """``categories`` | ``values`` | ``age bins`` | ``quintile bins`` | ``not grouped``."""
    edges: tuple[float, ...] = ()
    bin_labels: tuple[str, ...] = ()
    datetime: bool = False

    @classmethod
    def fit(cls, column: str, real: pd.Series, role: Role) -> GroupCoding:
        """Choose the grouping of ``column`` from its role, its name and the real values."""
        if role in (Role.TEXT, Role.IDENTIFIER):
            return cls(column, "not grouped")
        if role not in (Role.NUMERIC, Role.DATETIME):
            return cls(column, "categories")
        datetime = role is Role.DATETIME
        values = _as_float(real)
        values = values[np.isfinite(values)]
        if role is Role.NUMERIC and "age" in _name_tokens(column):
            return cls(column, "age bins", AGE_EDGES, AGE_LABELS)
        if len(np.unique(values)) <= MAX_VALUE_GROUPS:
            return cls(column, "values", datetime=datetime)
        edges = tuple(np.unique([_round_edge(float(e), datetime) for e in np.quantile(values, QUINTILES)]).tolist())
        shown = [_number(e, datetime) for e in edges]
        labels = (
            f"< {shown[0]}",
            *(f"[{a}, {b})" for a, b in pairwise(shown)),
            f"≥ {shown[-1]}",
        )
        return cls(column, "quintile bins", edges, labels, datetime)

    @property
    def grouped(self) -> bool:
        """Whether the column is split into groups at all."""
        return self.grouping != "not grouped"

    def labels(self, values: pd.Series) -> np.ndarray:
        """The group label of every value (object array; missing values are :data:`MISSING_GROUP`)."""
        missing = values.isna().to_numpy()
        if self.grouping == "categories":
            out = values.astype(object).to_numpy(dtype=object).copy()
            out[missing] = MISSING_GROUP
            return out
        numbers = _as_float(values)
        missing = ~np.isfinite(numbers)
        out = np.empty(len(numbers), dtype=object)
        if self.grouping == "values":
            present = numbers[~missing]
            out[~missing] = _format_many(present, self.datetime)
        else:
            positions = np.searchsorted(np.asarray(self.edges), numbers[~missing], side="right")
            out[~missing] = np.asarray(self.bin_labels, dtype=object)[positions]
        out[missing] = MISSING_GROUP
        return out

    def order(self, label: str) -> int:
        """Natural position of a bin label (bins before other labels), for figures."""
        if label in self.bin_labels:
            return self.bin_labels.index(label)
        return len(self.bin_labels)


def _format_many(values: np.ndarray, datetime: bool) -> np.ndarray:
    """:func:`_number` over many values, formatting each distinct value once."""
    unique, inverse = np.unique(values, return_inverse=True)
    names = np.array([_number(v, datetime) for v in unique], dtype=object)
    return names[inverse]


@dataclass(frozen=True)
class Attribute:
    """One sensitive column, or an intersection (a pair) of them."""

    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        """``sex`` or ``sex × race``."""
        return " × ".join(self.columns)

    @property
    def intersection(self) -> bool:
        """Whether the attribute combines two columns."""
        return len(self.columns) > 1


@dataclass(frozen=True)
class SensitiveGroups:
    """The sensitive columns of an audit, grouped, and what could not be grouped."""

    codings: tuple[GroupCoding, ...]
    absent: tuple[str, ...]
    """Sensitive columns of the real data missing from the synthetic data."""

    @property
    def grouped(self) -> tuple[GroupCoding, ...]:
        """Codings of the columns that are split into groups."""
        return tuple(c for c in self.codings if c.grouped)

    def coding(self, column: str) -> GroupCoding:
        """The coding of one sensitive column."""
        return next(c for c in self.codings if c.column == column)

    def attributes(self, intersections: bool = True) -> tuple[Attribute, ...]:
        """Every grouped column, then (with ``intersections``) every pair of them, in the order given."""
        columns = [c.column for c in self.grouped]
        singles = [Attribute((c,)) for c in columns]
        pairs = [Attribute(pair) for pair in combinations(columns, 2)] if intersections else []
        return (*singles, *pairs)


def sensitive_groups(ctx: AuditContext) -> SensitiveGroups:
    """The groupings of the audit's sensitive columns (computed once per audit)."""

    def compute() -> SensitiveGroups:
        present = [c for c in ctx.data.sensitive if c in ctx.real.columns]
        absent = tuple(c for c in ctx.data.sensitive if c not in ctx.real.columns)
        codings = tuple(GroupCoding.fit(c, ctx.real[c], ctx.roles[c]) for c in present)
        return SensitiveGroups(codings, absent)

    return ctx.shared("balance.groups", compute)  # type: ignore[no-any-return]


def group_labels(ctx: AuditContext, key: str) -> pd.DataFrame:
    """Group labels of every grouped sensitive column for the frame ``key`` (same index), computed once."""

    def compute() -> pd.DataFrame:
        frame = ctx.frame(key)
        groups = sensitive_groups(ctx)
        return pd.DataFrame({c.column: c.labels(frame[c.column]) for c in groups.grouped}, index=frame.index)

    return ctx.shared(f"balance.groups.labels.{key}", compute)  # type: ignore[no-any-return]


def attribute_labels(labels: pd.DataFrame, attribute: Attribute) -> np.ndarray:
    """Each row's group of ``attribute`` (intersections joined with `` & ``)."""
    first = labels[attribute.columns[0]].to_numpy(dtype=object)
    if not attribute.intersection:
        return first
    out = pd.Series(first, dtype=object)
    for column in attribute.columns[1:]:
        out = out + INTERSECTION + pd.Series(labels[column].to_numpy(dtype=object), dtype=object)
    return out.to_numpy(dtype=object)


def _real_counts(ctx: AuditContext, attribute: Attribute) -> dict[str, int]:
    def compute() -> dict[str, int]:
        counts = pd.Series(attribute_labels(group_labels(ctx, "real"), attribute)).value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    return ctx.shared(f"balance.groups.real_counts.{attribute.name}", compute)  # type: ignore[no-any-return]


def shown_group(ctx: AuditContext, attribute: Attribute, label: str) -> str:
    """The label as tables and figures may show it: :data:`RARE_GROUP` when the real data holds it < 10 times."""
    if label == MISSING_GROUP:
        return label
    return label if _real_counts(ctx, attribute).get(label, 0) >= RARE_GROUP_COUNT else RARE_GROUP


def is_small(base_rows: np.ndarray | float, base_total: int, candidate_total: int, min_rows: int) -> np.ndarray:
    """Whether groups are too small to judge: fewer than ``min_rows`` real rows, or fewer expected candidate rows.

    The expected candidate count is the real share times the candidate's rows: a group of 40 real rows in
    8 000 is expected 20 times in 4 000 synthetic rows, too few for a share or rate worth gating.
    """
    base = np.asarray(base_rows, dtype=np.float64)
    expected = base * candidate_total / max(base_total, 1)
    return np.minimum(base, expected) < min_rows


def coding_table(ctx: AuditContext, groups: SensitiveGroups) -> Table:
    """The table recording how each sensitive column was grouped (edges stated) and its missing rows."""
    rows = []
    for coding in groups.codings:
        missing = int(ctx.real[coding.column].isna().sum())
        shown_edges = [_number(e, coding.datetime) for e in coding.edges]
        labels = group_labels(ctx, "real")[coding.column] if coding.grouped else pd.Series(dtype=object)
        rows.append(
            {
                "column": coding.column,
                "role": ctx.roles[coding.column].value,
                "grouping": coding.grouping,
                "edges": shown_edges,
                "bins": list(coding.bin_labels),
                "groups_in_real_data": int(labels.nunique()) if coding.grouped else 0,
                "missing_real_rows": missing,
            }
        )
    for column in groups.absent:
        rows.append(
            {
                "column": column,
                "role": "absent from the synthetic data",
                "grouping": "not grouped",
                "edges": [],
                "bins": [],
                "groups_in_real_data": 0,
                "missing_real_rows": 0,
            }
        )
    return make_table("sensitive_columns", "How each sensitive column was grouped", rows)


def absent_only_result(check: Check, ctx: AuditContext, groups: SensitiveGroups) -> CheckResult:
    """The result when nothing can be compared because named sensitive columns are missing from the synthetic data."""
    result = check.result(
        metrics=[absent_columns_metric(groups.absent)],
        summary=(
            f"The sensitive columns {list(groups.absent)} are in the real data but missing from the synthetic data: "
            "their groups cannot be compared."
        ),
        tables=[coding_table(ctx, groups)],
    )
    return flag_sensitive_inferred(result, ctx)


def absent_columns(groups: SensitiveGroups) -> dict[str, str]:
    """The named sensitive columns the synthetic data lacks, as measured columns (their absence is gated)."""
    return {c: "sensitive (absent from the synthetic data)" for c in groups.absent}


def attribute_named(attributes: tuple[Attribute, ...], name: str) -> Attribute:
    """The attribute (sensitive column or intersection) of that name."""
    return next(a for a in attributes if a.name == name)
