"""Binned coding: every compared column as small integer codes (quantile bins for numbers, top categories).

Contingency tables of pairs and k-way subsets of columns are counts over these codes; fitted once on the
base real rows and shared by the checks that compare associations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.data.roles import Role

__all__ = ["ColumnCoding", "column_numbers"]

NUMERIC_ROLES = (Role.NUMERIC, Role.DATETIME)


def column_numbers(values: pd.Series) -> np.ndarray:
    """Values as float64 with NaN for missing (datetimes as seconds since the epoch)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.astype("int64").to_numpy(dtype=np.float64) / 1e9
        out[values.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass(frozen=True)
class ColumnCoding:
    """How the columns of a frame become small integer codes, fitted on the base (real) rows.

    Numeric and datetime columns: bins at the base's quantiles (``bins`` equal-frequency bins, merged where
    quantiles tie). Categorical and boolean columns: the base's ``max_categories`` most frequent values, then
    one "other" code for every remaining or unseen value. Each column has one more code for missing values.
    Codes depend only on the base, so the synthetic and the reference candidates are binned identically.
    """

    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    edges: tuple[np.ndarray | None, ...]
    categories: tuple[pd.Index | None, ...]
    levels: tuple[int, ...]

    @classmethod
    def fit(
        cls, base: pd.DataFrame, columns: Sequence[str], roles: dict[str, Role], bins: int, max_categories: int
    ) -> ColumnCoding:
        """Fit the coding of ``columns`` on the base rows."""
        return cls.fit_codes(base, columns, roles, bins, max_categories)[0]

    @classmethod
    def fit_codes(
        cls, base: pd.DataFrame, columns: Sequence[str], roles: dict[str, Role], bins: int, max_categories: int
    ) -> tuple[ColumnCoding, np.ndarray]:
        """Fit the coding of ``columns`` on the base rows; also return the base's codes (each column read once)."""
        numeric: list[bool] = []
        edges: list[np.ndarray | None] = []
        categories: list[pd.Index | None] = []
        levels: list[int] = []
        read: list[_Read] = []
        for column in columns:
            if roles[column] in NUMERIC_ROLES:
                numbers = column_numbers(base[column])
                read.append(numbers)
                values = numbers[np.isfinite(numbers)]
                inner = (
                    np.unique(np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
                    if len(values)
                    else np.empty(0)
                )
                numeric.append(True)
                edges.append(inner)
                categories.append(None)
                levels.append(len(inner) + 2)  # bins, then missing
            else:
                codes, uniques = _factorize(base[column])
                read.append((codes, uniques))
                counts: dict[str, int] = {}
                tally = np.bincount(codes[codes >= 0], minlength=len(uniques)).tolist()
                for value, count in zip(uniques, tally, strict=True):
                    counts[value] = counts.get(value, 0) + count
                # Most frequent first; ties broken by the value so the coding never depends on row order.
                order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                kept = [value for value, _ in order[:max_categories]]
                numeric.append(False)
                edges.append(None)
                categories.append(pd.Index(kept, dtype=object))
                levels.append(len(kept) + 2)  # categories, other, missing
        coding = cls(tuple(columns), tuple(numeric), tuple(edges), tuple(categories), tuple(levels))
        return coding, coding._codes_of(read, len(base))

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Codes of ``frame`` as an int32 array of shape (columns, rows); missing is the last code."""
        read: list[_Read] = [
            column_numbers(frame[column]) if self.numeric[i] else _factorize(frame[column])
            for i, column in enumerate(self.columns)
        ]
        return self._codes_of(read, len(frame))

    def _codes_of(self, read: Sequence[_Read], rows: int) -> np.ndarray:
        """Codes from each column as read: numbers (numeric columns) or ``(factor, distinct values)``."""
        out = np.empty((len(self.columns), rows), dtype=np.int32)
        for i, values in enumerate(read):
            missing_code = self.levels[i] - 1
            if isinstance(values, np.ndarray):
                inner = self.edges[i]
                assert inner is not None
                code = np.searchsorted(inner, values, side="right")
                code[~np.isfinite(values)] = missing_code
            else:
                factor, uniques = values
                kept = self.categories[i]
                assert kept is not None
                lookup = kept.get_indexer(pd.Index(uniques, dtype=object))
                lookup[lookup < 0] = self.levels[i] - 2  # other
                code = np.append(lookup, missing_code)[factor]  # factor −1 (missing) picks the last entry
            out[i] = code
        return out


_Read = np.ndarray | tuple[np.ndarray, list[str]]
"""A column as the coding reads it: float64 numbers, or integer codes (−1 for missing) and the distinct values."""


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (−1 for missing) and the distinct values as strings, in one hashing pass."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes), [str(u) for u in uniques]
