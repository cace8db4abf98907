"""Deriving the expectation suite of ``constraints.expectations`` from the base real rows (pure, no great-expectations).

The suite is great-expectations' own JSON vocabulary (``{"name", "expectations": [{"type", "kwargs", "meta"}]}``);
each derived entry is tagged in ``meta.synthaudit`` with its level (row or dataset) and rule.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from synthaudit.data.roles import Role

if TYPE_CHECKING:
    from synthaudit.context import AuditContext


SUITE_NAME = "synthaudit_derived_suite"


ROW_LEVEL = "row"


DATASET_LEVEL = "dataset"


_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


_COLUMN_TYPES = {
    # The pandas dtypes of synthaudit's typed frames (alignment coerces every side to the real column's role).
    Role.NUMERIC: "float64",
    Role.DATETIME: "datetime64",
    Role.CATEGORICAL: "object",
    Role.BOOLEAN: "object",
    Role.TEXT: "object",
    Role.IDENTIFIER: "object",
}


class SuiteSettings(Protocol):
    """The derivation settings of ``constraints.expectations`` (its ``Params``)."""

    @property
    def range_tolerance(self) -> float: ...  # noqa: D102
    @property
    def max_categories(self) -> int: ...  # noqa: D102
    @property
    def null_tolerance_se(self) -> float: ...  # noqa: D102
    @property
    def null_tolerance_floor(self) -> float: ...  # noqa: D102
    @property
    def expectations(self) -> Sequence[PolicyExpectation]: ...  # noqa: D102


@functools.cache
def _core_expectation_names() -> frozenset[str]:
    """Names of great-expectations' core expectations, read from its installed files without importing it.

    Empty when the package cannot be located (the name is then checked against GX's registry in ``run``).
    """
    spec = importlib.util.find_spec("great_expectations")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    core = Path(next(iter(spec.submodule_search_locations))) / "expectations" / "core"
    return frozenset(p.stem for p in core.glob("expect_*.py"))


class PolicyExpectation(BaseModel):
    """One user expectation in great-expectations' own vocabulary: ``type`` and ``kwargs``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(description="great-expectations expectation type, e.g. expect_column_values_to_be_between.")
    kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Its keyword arguments, e.g. {column: age, min_value: 0}."
    )
    meta: dict[str, Any] = Field(default_factory=dict, description="Free-form notes kept in the exported suite.")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if not _NAME_PATTERN.match(value):
            raise ValueError(
                f"expectation type must be a great-expectations snake_case name such as "
                f"'expect_column_values_to_be_between'; got {value!r}"
            )
        known = _core_expectation_names()
        if known and value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{value!r} is not a great-expectations expectation type.{hint}")
        return value

    def __hash__(self) -> int:
        return hash((self.type, json.dumps(self.kwargs, sort_keys=True, default=str)))

    def as_gx(self) -> dict[str, Any]:
        """The expectation as a GX suite entry, tagged as coming from the policy."""
        return {
            "type": self.type,
            "kwargs": dict(self.kwargs),
            "meta": {**self.meta, "synthaudit": {"origin": "policy", "rule": "policy"}},
        }


def _entry(kind: str, level: str, rule: str, clean_rate: float | None = None, **kwargs: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"origin": "derived", "level": level, "rule": rule}
    if clean_rate is not None:
        meta["clean_violation_rate"] = clean_rate
    return {"type": kind, "kwargs": kwargs, "meta": {"synthaudit": meta}}


def _as_floats(values: pd.Series) -> np.ndarray:
    present = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(present):
        return present.astype("int64").to_numpy(dtype=np.float64)
    return present.to_numpy(dtype=np.float64)


def range_clean_rate(values: pd.Series, tolerance: float) -> float:
    """Leave-one-out estimate of the share of new clean rows outside the widened range of ``values``.

    Each row is checked against the range derived from the other rows (min/max widened by ``tolerance`` of
    their range); only the extreme rows can fall outside. The share is of all rows, missing ones included.
    """
    x = np.sort(_as_floats(values))
    if len(x) < 3:
        return len(x) / max(len(values), 1)
    outside = 0
    if x[-1] > x[-2] + tolerance * (x[-2] - x[0]):
        outside += 1
    if x[0] < x[1] - tolerance * (x[-1] - x[1]):
        outside += 1
    return outside / len(values)


def value_set_clean_rate(values: pd.Series) -> float:
    """Good–Turing estimate of the share of new clean rows with a value unseen in ``values``.

    The missing probability mass is estimated by the share of rows whose value occurs exactly once (of all
    rows, missing ones included, since a missing value never breaks a value set).
    """
    counts = values.value_counts(dropna=True)
    return int((counts == 1).sum()) / max(len(values), 1)


def _range_bounds(values: pd.Series, tolerance: float) -> tuple[Any, Any] | None:
    present = values.dropna()
    if present.empty:
        return None
    low, high = present.min(), present.max()
    if pd.api.types.is_datetime64_any_dtype(present):
        pad = (high - low) * tolerance
        return (low - pad).isoformat(), (high + pad).isoformat()
    pad = (float(high) - float(low)) * tolerance
    # Widening never crosses zero: the sign of a quantity (amounts, ages, counts) is part of its domain, and a
    # skewed column's 5 % of range would otherwise admit sizeable negative values.
    lower = float(low) - pad if float(low) - pad >= 0 or float(low) < 0 else 0.0
    upper = float(high) + pad if float(high) + pad <= 0 or float(high) > 0 else 0.0
    return lower, upper


def null_fraction_tolerance(nulls: int, n: int, m: int, se_multiplier: float, floor: float) -> float:
    """How far past the real null fraction a clean sample of ``m`` rows may go (real: ``nulls`` of ``n`` rows).

    ``se_multiplier`` standard errors of the difference of two null fractions, with the fraction estimated
    by Laplace's rule ``(nulls + 1) / (n + 2)`` so that a column without nulls still gets a non-zero
    spread, and never below ``floor``.
    """
    smoothed = (nulls + 1) / (n + 2)
    se = math.sqrt(smoothed * (1 - smoothed) * (1 / max(n, 1) + 1 / max(m, 1)))
    return max(floor, se_multiplier * se)


ORDER_MAX_COLUMNS = 200
"""Order rules are searched among at most this many numeric and datetime columns (the first ones, in file order)."""
ORDER_MAX_RULES = 25
"""At most this many order rules are derived (the most informative first: the ones random pairing breaks most)."""
ORDER_SCREEN_ROWS = 2000
"""Rows (evenly spaced) on which candidate column pairs are screened before being verified on every base row."""
ORDER_MIN_EXPECTED_BREAKS = 3.0
"""An order is a rule only if rows paired at random would break it in at least this many base rows."""


def _order_values(values: pd.Series) -> np.ndarray:
    """A numeric or datetime column as floats, missing values as NaN (datetimes in nanoseconds)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        out[values.isna().to_numpy()] = np.nan
        return out
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def random_pairing_break_share(low: np.ndarray, high: np.ndarray) -> float:
    """Share of (low, high) pairs drawn independently from the two columns' values with ``low > high``.

    ``low`` and ``high`` hold the non-missing values of each column. A share near 0 means the columns' ranges
    barely overlap, so an observed ``low <= high`` in every row says nothing about their dependence.
    """
    if not len(low) or not len(high):
        return 0.0
    # how many high values are < each low value (the sum does not depend on the order of ``low``)
    below = np.searchsorted(np.sort(high), np.sort(low), side="left")
    return float(below.sum()) / (len(low) * len(high))


def _sorted_break_share(low: np.ndarray, high: np.ndarray) -> float:
    """:func:`random_pairing_break_share` of two columns' non-missing values, both already sorted."""
    if not len(low) or not len(high):
        return 0.0
    return float(np.searchsorted(high, low, side="left").sum()) / (len(low) * len(high))


def order_rules(base: pd.DataFrame, columns: Sequence[str]) -> list[tuple[str, str, float]]:
    """Pairs ``(low, high, break_share)`` of same-kind columns with ``low <= high`` in every base row.

    Such an order (``start <= end``, ``admitted <= discharged``, ``min <= max``) is a rule of the real data when it
    holds in every base row where both values are present, with ``low < high`` somewhere (the columns are not
    equal), while pairing the two columns' values at random would break it in at least
    ``ORDER_MIN_EXPECTED_BREAKS`` of the base rows (``break_share``: the share of random pairs breaking it): so
    the order comes from the rows' dependence, not from the columns' ranges not overlapping (which the range
    rules already cover). ``columns`` are numeric or datetime columns of one kind. Candidates are screened on
    ``ORDER_SCREEN_ROWS`` evenly spaced rows and verified on every base row; at most ``ORDER_MAX_RULES`` are
    returned, largest ``break_share`` first.
    """
    names = list(columns)[:ORDER_MAX_COLUMNS]
    if len(names) < 2 or len(base) < 2:
        return []
    full = np.column_stack([_order_values(base[c]) for c in names])
    positions = np.unique(np.linspace(0, len(base) - 1, min(len(base), ORDER_SCREEN_ROWS)).astype(np.int64))
    screen = full[positions]
    full = np.asfortranarray(full)  # columns contiguous: each pair below reads two whole columns
    present = ~np.isnan(full)
    # each column's values sorted once: a wide table of ordered columns (cumulative sums, min <= mean <= max)
    # has a candidate for every pair, and sorting both columns per pair made it O(c² n log n)
    ordered = [np.sort(full[present[:, k], k]) for k in range(len(names))]
    found: list[tuple[str, str, float]] = []
    for i in range(len(names)):
        with np.errstate(invalid="ignore"):
            broken = (screen[:, [i]] > screen).any(axis=0)  # NaN comparisons are False: missing never breaks
        for j in np.flatnonzero(~broken):
            if j == i:
                continue
            low, high = full[:, i], full[:, j]
            pairs = int(np.count_nonzero(present[:, i] & present[:, j]))
            with np.errstate(invalid="ignore"):  # NaN comparisons are False: a missing value never decides
                if pairs < 2 or np.any(low > high) or not np.any(low < high):
                    continue
            share = _sorted_break_share(ordered[i], ordered[int(j)])
            if share * pairs >= ORDER_MIN_EXPECTED_BREAKS:
                found.append((names[i], names[int(j)], share))
    found.sort(key=lambda rule: (-rule[2], rule[0], rule[1]))
    return found[:ORDER_MAX_RULES]


def derive_suite(ctx: AuditContext, p: SuiteSettings) -> dict[str, Any]:
    """Derive a great-expectations suite (plain JSON-native dict) from the base real rows of ``ctx``.

    The base rows are ``ctx.synthetic_pair.base`` (all real rows with a holdout, one seeded half without),
    so the reference rows are validated against the same suite. Expectations, each tagged in
    ``meta.synthaudit`` with its ``level`` (``row``: a share of violating rows; ``dataset``: holds or not)
    and ``rule``:

    - the column set (the real file's columns, exact match) — dataset;
    - each column's type — dataset;
    - numeric and datetime ranges: the real min/max widened by ``range_tolerance`` of the range, never across
      zero (a column without negative values keeps 0 as its lower bound) — row;
    - value sets of categorical and boolean columns with at most ``max_categories`` distinct real values:
      every real value, rare ones included — row;
    - the null fraction: at most the real one plus a tolerance (``mostly`` of
      ``expect_column_values_to_not_be_null``) — dataset;
    - uniqueness of identifier columns unique in the real rows — dataset;
    - orders between two numeric or two datetime columns that hold in every base row and come from the rows'
      dependence, not from disjoint ranges (``admitted <= discharged``; see :func:`order_rules`) — row;

    followed by the policy's ``expectations``. The suite holds real values (ranges and value sets): it is
    for the user to keep, never shown in a report.
    """
    base = ctx.synthetic_pair.base
    n, m = len(base), len(ctx.synth)
    data = ctx.data
    expectations = [
        _entry(
            "expect_table_columns_to_match_set",
            DATASET_LEVEL,
            "column_set",
            column_set=[*data.columns, *data.only_real],
            exact_match=True,
        )
    ]
    for column in data.columns:
        role = ctx.roles[column]
        if role is Role.EMPTY:
            continue
        values = base[column]
        expectations.append(
            _entry("expect_column_type_to_be", DATASET_LEVEL, "type", column=column, type_=_COLUMN_TYPES[role])
        )
        if role in (Role.NUMERIC, Role.DATETIME):
            bounds = _range_bounds(values, p.range_tolerance)
            if bounds is not None:
                expectations.append(
                    _entry(
                        "expect_column_values_to_be_between",
                        ROW_LEVEL,
                        "range",
                        clean_rate=range_clean_rate(values, p.range_tolerance),
                        column=column,
                        min_value=bounds[0],
                        max_value=bounds[1],
                    )
                )
        if role in (Role.CATEGORICAL, Role.BOOLEAN):
            distinct = values.dropna().unique()
            if 0 < len(distinct) <= p.max_categories:
                expectations.append(
                    _entry(
                        "expect_column_values_to_be_in_set",
                        ROW_LEVEL,
                        "value_set",
                        clean_rate=value_set_clean_rate(values),
                        column=column,
                        value_set=sorted(str(v) for v in distinct),
                    )
                )
        nulls = int(values.isna().sum())
        if nulls < n:
            bound = nulls / max(n, 1) + null_fraction_tolerance(
                nulls, n, m, p.null_tolerance_se, p.null_tolerance_floor
            )
            if bound < 1.0:
                expectations.append(
                    _entry(
                        "expect_column_values_to_not_be_null",
                        DATASET_LEVEL,
                        "null_fraction",
                        column=column,
                        mostly=1.0 - bound,
                    )
                )
        if column in data.ids and not values.dropna().duplicated().any():
            expectations.append(_entry("expect_column_values_to_be_unique", DATASET_LEVEL, "uniqueness", column=column))
    for kind in (Role.NUMERIC, Role.DATETIME):
        same_kind = [c for c in data.columns if ctx.roles[c] is kind]
        for low, high, _share in order_rules(base, same_kind):
            expectations.append(
                _entry(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    ROW_LEVEL,
                    "order",
                    clean_rate=1.0 / (n + 2),
                    column_A=high,
                    column_B=low,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
    expectations.extend(e.as_gx() for e in p.expectations)
    return {
        "name": SUITE_NAME,
        "expectations": expectations,
        "meta": {
            "synthaudit": {
                "derived_from": "base real rows",
                "reference_kind": ctx.reference_kind,
                "base_rows": n,
                "synthetic_rows": m,
                "range_tolerance": p.range_tolerance,
                "max_categories": p.max_categories,
                "null_tolerance_se": p.null_tolerance_se,
                "null_tolerance_floor": p.null_tolerance_floor,
            }
        },
    }


def row_violation_standard_error(
    reference_count: int, reference_rows: int, synthetic_rows: int, clean_rate: float = 0.0
) -> float:
    """Standard error of the difference between two violating-row shares under the null (same population).

    The null share is the larger of the reference share smoothed by Laplace's rule ``(count + 1) / (rows +
    2)`` — a clean sample with no violation still has a chance of a few — and ``clean_rate``, an estimate
    of the same share from the base rows themselves (Good–Turing for value sets, leave-one-out for ranges),
    which stays right when the reference sample happens to see few of the rare values.
    """
    p = max((reference_count + 1) / (reference_rows + 2), clean_rate)
    return math.sqrt(p * (1 - p) * (1 / max(synthetic_rows, 1) + 1 / max(reference_rows, 1)))
