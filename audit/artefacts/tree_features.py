"""Columns as a float matrix for tree models: numbers as numbers, categories as ordinal codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.data.roles import Role

__all__ = ["TreeFeatures", "as_float"]

_HUGE = 1e300
"""Stand-in for ±inf in numeric features (the trees only need the order)."""


def as_float(values: pd.Series) -> np.ndarray:
    """A column as float64: datetimes as seconds since the epoch, missing values NaN, ±inf clipped to huge."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.astype("int64").to_numpy(dtype=np.float64) / 1e9
        out[values.isna().to_numpy()] = np.nan
        return out
    out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.clip(out, -_HUGE, _HUGE)  # ±inf become huge finite numbers; NaN stays missing


@dataclass(frozen=True)
class TreeFeatures:
    """Columns as a float matrix for tree models: numbers as numbers, categories as ordinal codes.

    Numeric columns stay float (datetimes as seconds), missing values NaN (gradient boosting learns where
    missing values go). Categorical and boolean columns become codes ``0 … k−1`` over the ``k`` most frequent
    categories of the fitting frame (at most ``max_categories``, ties by value); every other category —
    rarer, or never seen when fitting — shares the code ``k``, and missing values are NaN. The mask
    :attr:`categorical` tells the model which features are codes (``categorical_features``).
    """

    columns: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, columns: tuple[str, ...], roles: Mapping[str, Role], max_categories: int
    ) -> TreeFeatures:
        """Learn the category codes from ``frame`` (the real rows)."""
        categories: dict[str, tuple[str, ...]] = {}
        for column in columns:
            if roles[column] in (Role.CATEGORICAL, Role.BOOLEAN):
                counts = frame[column].dropna().astype(str).value_counts()
                ordered = sorted(
                    zip(counts.index.astype(str), counts.to_numpy(), strict=True), key=lambda v: (-v[1], v[0])
                )
                categories[column] = tuple(value for value, _ in ordered[:max_categories])
        return cls(tuple(columns), categories)

    @property
    def categorical(self) -> np.ndarray:
        """Boolean mask of the features that are category codes."""
        return np.array([c in self.categories for c in self.columns], dtype=bool)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The feature matrix (rows × columns, float64) of ``frame``."""
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for position, column in enumerate(self.columns):
            values = frame[column]
            if column not in self.categories:
                out[:, position] = as_float(values)
                continue
            known = self.categories[column]
            missing = values.isna().to_numpy()
            codes = pd.Categorical(values.astype(str).where(~missing), categories=list(known)).codes
            coded = np.where(codes >= 0, codes, len(known)).astype(np.float64)
            coded[missing] = np.nan
            out[:, position] = coded
        return out
