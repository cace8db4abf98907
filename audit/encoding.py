"""A numeric encoding of mixed rows, shared by every distance-based check.

Numeric and datetime columns are standardised with the real data's mean and standard deviation;
categorical and boolean columns are one-hot encoded over the real data's most frequent categories (the
rest share an ``other`` slot), scaled by 1/√2 so that two rows differing in one category are at squared
distance 1, like a one-standard-deviation numeric difference. Missing values are their own value: a
missing numeric gets 0 plus a missing-indicator feature, a missing category its own slot. Identifier, text
and empty columns are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.data.roles import Role

__all__ = ["RowEncoder"]

MAX_CATEGORIES_PER_COLUMN = 32
_ONE_HOT_SCALE = np.float32(1.0 / np.sqrt(2.0))


def _as_float(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.astype("int64").to_numpy(dtype=np.float64) / 1e9
        out[values.isna().to_numpy()] = np.nan
        return out
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass(frozen=True)
class _NumericSpec:
    column: str
    mean: float
    scale: float
    has_missing_slot: bool


@dataclass(frozen=True)
class _CategoricalSpec:
    column: str
    categories: tuple[str, ...]
    has_other_slot: bool = True
    has_missing_slot: bool = True


@dataclass(frozen=True)
class RowEncoder:
    """Encodes frames with the real data's column roles into a float32 matrix (see module docstring)."""

    numeric: tuple[_NumericSpec, ...]
    categorical: tuple[_CategoricalSpec, ...]

    @classmethod
    def fit(cls, real: pd.DataFrame, roles: Mapping[str, Role], others: Sequence[pd.DataFrame] = ()) -> RowEncoder:
        """Learn scales and category lists from the real data.

        ``others`` are the other frames that will be encoded: a missing-value or "other category" slot
        that no frame can use is left out, which shrinks the encoding without changing any distance.
        """
        frames = [real, *(f for f in others if f is not None)]
        # one vectorised pass per frame rather than one per column and frame (wide frames: thousands of columns)
        missing = [f.columns[f.isna().any(axis=0).to_numpy()] for f in frames]
        numeric = []
        categorical = []
        for column in real.columns:
            role = roles[column]
            any_missing = any(column in m for m in missing)
            if role in (Role.NUMERIC, Role.DATETIME):
                values = _as_float(real[column])
                finite = values[np.isfinite(values)]
                mean = float(finite.mean()) if len(finite) else 0.0
                std = float(finite.std()) if len(finite) else 0.0
                numeric.append(_NumericSpec(column, mean, std if std > 0 else 1.0, any_missing))
            elif role in (Role.CATEGORICAL, Role.BOOLEAN):
                counts = real[column].value_counts(dropna=True)
                top = sorted(counts.index[:MAX_CATEGORIES_PER_COLUMN].astype(str))
                known = set(top)
                unseen = any(not set(f[column].dropna().unique()) <= known for f in frames if column in f)
                categorical.append(_CategoricalSpec(column, tuple(top), unseen, any_missing))
        return cls(tuple(numeric), tuple(categorical))

    @property
    def columns(self) -> tuple[str, ...]:
        """The encoded columns: numeric first, then categorical, in the real file's order within each."""
        return tuple(n.column for n in self.numeric) + tuple(c.column for c in self.categorical)

    def restricted(self, columns: Sequence[str]) -> RowEncoder:
        """The encoder of ``columns`` alone, in their order: what :meth:`fit` would learn on those columns.

        Every column's scale and category list is learned from that column alone (with the same ``others``), so
        restricting the audit's encoder gives the encoder of a column subset without another pass over the rows.
        """
        numeric = {spec.column: spec for spec in self.numeric}
        categorical = {spec.column: spec for spec in self.categorical}
        return RowEncoder(
            tuple(numeric[c] for c in columns if c in numeric),
            tuple(categorical[c] for c in columns if c in categorical),
        )

    @property
    def n_features(self) -> int:
        """Width of the encoding."""
        return sum(1 + n.has_missing_slot for n in self.numeric) + sum(
            len(c.categories) + c.has_other_slot + c.has_missing_slot for c in self.categorical
        )

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode ``frame`` (which must have the fitted columns) as a C-contiguous float32 matrix."""
        out = np.zeros((len(frame), self.n_features), dtype=np.float32)
        position = 0
        for spec in self.numeric:
            values = (_as_float(frame[spec.column]) - spec.mean) / spec.scale
            missing = ~np.isfinite(values)
            out[:, position] = np.where(missing, 0.0, values)
            if spec.has_missing_slot:
                out[:, position + 1] = missing
            position += 1 + spec.has_missing_slot
        for cat_spec in self.categorical:
            column = frame[cat_spec.column]
            known = pd.Index(cat_spec.categories, dtype=object)
            codes = known.get_indexer(pd.Index(column, dtype=object)).astype(np.int64)
            width = len(cat_spec.categories)
            other = width if cat_spec.has_other_slot else -1
            missing_slot = width + cat_spec.has_other_slot if cat_spec.has_missing_slot else -1
            slots = np.where(codes >= 0, codes, other)  # unknown category -> "other" slot
            slots = np.where(column.isna().to_numpy(), missing_slot, slots)  # missing -> its own slot
            rows = np.flatnonzero(slots >= 0)  # a slot left out is only possible for values never seen
            out[rows, position + slots[rows]] = _ONE_HOT_SCALE
            position += width + cat_spec.has_other_slot + cat_spec.has_missing_slot
        return np.ascontiguousarray(out)
