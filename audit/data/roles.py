"""Column roles: what kind of values a column holds, inferred from the real data and overridable.

Roles decide which checks see a column and how: numeric and datetime columns are compared by
distribution distances (numbers written as text, ``"1,234.5"``, ``"12.5%"``, with ``"-"`` or ``"N/A"`` for
gaps, are numeric: see :mod:`synthaudit.data.number_text`), categorical and boolean ones by category
shares, text columns by embeddings and near-duplicate search, identifier columns are left out of
fidelity, row matching and distances (and checked for replayed values), and empty (all-missing) columns
are reported but not compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

import numpy as np
import pandas as pd

from synthaudit.data.number_text import is_number_text, parse_number_text

__all__ = ["Role", "infer_role", "infer_roles"]

IDENTIFIER_MIN_UNIQUE_SHARE = 0.99
"""DESIGN: integer or short-string columns at least 99 % unique are identifiers."""
IDENTIFIER_MIN_ROWS = 50
"""Below this many non-missing values, uniqueness says nothing about being an identifier."""
IDENTIFIER_MAX_MEAN_LENGTH = 40
IDENTIFIER_SPREAD_CRITICAL = 1.95
"""Kolmogorov 0.1 % critical value: an integer identifier's values lie within ``1.95 / √n`` of even spread."""
IDENTIFIER_SPREAD_FLOOR = 0.1
"""Least allowed distance from even spread: sequences with gaps or growth stay identifiers at any size."""
TEXT_MIN_MEAN_LENGTH = 40
TEXT_MIN_MEAN_WORDS = 6
TEXT_MIN_UNIQUE_SHARE = 0.5
_INFER_SAMPLE = 5000

_DATE_PATTERN = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}/\d{1,2}/\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?)\s*$"
)
_BOOLEAN_WORDS = frozenset({"true", "false"})


class Role(StrEnum):
    """The kind of values a column holds."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    IDENTIFIER = "identifier"
    EMPTY = "empty"


def _sample(values: pd.Series) -> pd.Series:
    if len(values) <= _INFER_SAMPLE:
        return values
    # Deterministic, evenly spaced sample: role inference must not depend on a random stream.
    positions = np.linspace(0, len(values) - 1, _INFER_SAMPLE).astype(np.int64)
    return values.iloc[positions]


def _is_integral(values: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(values):
        return True
    if pd.api.types.is_float_dtype(values):
        finite = values[np.isfinite(values.to_numpy(dtype=float))]
        return bool(len(finite)) and bool(np.all(np.mod(finite.to_numpy(dtype=float), 1.0) == 0.0))
    return False


def _evenly_spread(values: pd.Series) -> bool:
    """Whether integers lie evenly over their range, as labels do (a sequence, random draws), not as amounts.

    The Kolmogorov–Smirnov distance of the values to the uniform distribution on [min, max], within the 0.1 %
    critical value (never below :data:`IDENTIFIER_SPREAD_FLOOR`). Whole-unit amounts (incomes, prices) pile
    up where the population is and are far from even spread (lognormal incomes: about 0.5).
    """
    x = np.sort(values.to_numpy(dtype=np.float64))
    low, high = x[0], x[-1]
    if high <= low:
        return False
    n = len(x)
    cdf = (x - low) / (high - low)
    distance = max(float(np.max(np.arange(1, n + 1) / n - cdf)), float(np.max(cdf - np.arange(n) / n)))
    return distance <= max(IDENTIFIER_SPREAD_FLOOR, IDENTIFIER_SPREAD_CRITICAL / np.sqrt(n))


def _mostly_dates(strings: pd.Series, step: int = 500) -> bool:
    """Whether at least 95 % of ``strings`` look like dates, matched in steps that stop once too many fail."""
    allowed = 0.05 * len(strings)  # the same test as ``str.match(pattern).mean() >= 0.95``
    failed = 0
    for start in range(0, len(strings), step):
        failed += int((~strings.iloc[start : start + step].str.match(_DATE_PATTERN)).sum())
        if failed > allowed:
            return False
    return True


def infer_role(column: pd.Series) -> Role:
    """Infer the role of one real-data column from its values (see the module docstring)."""
    only_strings = (
        pd.api.types.is_object_dtype(column.dtype) and pd.api.types.infer_dtype(column, skipna=False) == "string"
    )
    values = column if only_strings else column.dropna()  # strings only: nothing is missing
    n = len(values)
    if n == 0:
        return Role.EMPTY
    if pd.api.types.is_bool_dtype(column):
        return Role.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(column):
        return Role.DATETIME
    if pd.api.types.is_numeric_dtype(column):
        if (
            _is_integral(values)
            and n >= IDENTIFIER_MIN_ROWS
            and values.nunique() / n >= IDENTIFIER_MIN_UNIQUE_SHARE
            and _evenly_spread(values)
        ):
            return Role.IDENTIFIER
        return Role.NUMERIC
    unique_share = values.nunique() / n
    strings = _sample(values).astype(str)
    lowered = set(strings.str.strip().str.lower().unique())
    if lowered <= _BOOLEAN_WORDS:
        return Role.BOOLEAN
    if _mostly_dates(strings):
        parsed = pd.to_datetime(strings, errors="coerce", format="mixed")
        if parsed.notna().mean() >= 0.95:
            return Role.DATETIME
    if is_number_text(_sample(values)):  # "1,234.5", "12.5%", "-": numbers a spreadsheet wrote as text
        return infer_role(parse_number_text(values)[0])
    lengths = strings.str.len()
    if unique_share >= TEXT_MIN_UNIQUE_SHARE and (
        lengths.mean() >= TEXT_MIN_MEAN_LENGTH or (strings.str.count(r"\s+") + 1).mean() >= TEXT_MIN_MEAN_WORDS
    ):
        return Role.TEXT
    if (
        n >= IDENTIFIER_MIN_ROWS
        and unique_share >= IDENTIFIER_MIN_UNIQUE_SHARE
        and lengths.mean() <= IDENTIFIER_MAX_MEAN_LENGTH
    ):
        return Role.IDENTIFIER
    return Role.CATEGORICAL


def infer_roles(
    real: pd.DataFrame,
    *,
    text: Iterable[str] = (),
    ids: Iterable[str] = (),
    overrides: Mapping[str, Role] | None = None,
) -> dict[str, Role]:
    """Roles for every column of ``real``: explicit ``text`` / ``ids`` / ``overrides`` win over inference."""
    forced: dict[str, Role] = {c: Role.TEXT for c in text}
    forced.update({c: Role.IDENTIFIER for c in ids})
    forced.update(overrides or {})
    return {c: forced.get(c) or infer_role(real[c]) for c in real.columns}
