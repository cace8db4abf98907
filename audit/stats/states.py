"""Mergeable count states: what an engine computes per partition and adds up, exactly.

Every state here has ``update(batch) -> self`` (fold one batch of rows in), ``merge(other) -> state`` (pure:
a new state for the rows of both; commutative and associative) and ``finalise() -> result``. They hold
integer counts only, so ``merge(state(A), state(B))`` equals ``state(A ∪ B)`` exactly, whatever the split,
and ``finalise`` orders its output deterministically (never by arrival order). The local engine runs them
on one partition; a distributed engine runs ``update`` per block and ``merge`` in its aggregation.

- :class:`CategoryCounts` — value counts of one column, missing values counted apart;
- :class:`HistogramCounts` — counts on bin edges fixed beforehand (e.g. from the real data);
- :class:`MissingPatterns` — counts of each row's missing-value pattern;
- :class:`FingerprintCounts` — counts per row fingerprint, to intersect real and synthetic rows.

Tables of binned code columns (k-way joint tables, pair contingency tables) are in
:mod:`synthaudit.stats.tables`; floating-point states (co-moments, Gram sums) in
:mod:`synthaudit.stats.moments`; exact quantiles, for bin edges, in :mod:`synthaudit.stats.quantiles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "CategoryCounts",
    "FingerprintCounts",
    "HistogramCounts",
    "MergeableState",
    "MissingPatterns",
    "merge_all",
    "merge_sparse_counts",
    "sparse_counts",
]

S = TypeVar("S", bound="MergeableState")


class MergeableState(Protocol):
    """What an engine needs of a statistic to run it per partition."""

    def update(self: S, batch: Any) -> S: ...  # noqa: D102

    def merge(self: S, other: S) -> S: ...  # noqa: D102

    def finalise(self) -> Any: ...  # noqa: D102


def merge_all(states: Sequence[S]) -> S:
    """The merge of a non-empty sequence of states (left to right)."""
    if not states:
        raise ValueError("nothing to merge")
    out = states[0]
    for state in states[1:]:
        out = out.merge(state)
    return out


def merge_sparse_counts(
    keys_a: np.ndarray, counts_a: np.ndarray, keys_b: np.ndarray, counts_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sum two sparse count vectors given as sorted unique keys and their counts; sorted unique keys out."""
    keys, inverse = np.unique(np.concatenate([keys_a, keys_b]), return_inverse=True)
    counts = np.zeros(len(keys), dtype=np.int64)
    np.add.at(counts, inverse, np.concatenate([counts_a, counts_b]).astype(np.int64))
    return keys, counts


def sparse_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and how often each occurs."""
    unique, counts = np.unique(keys, return_counts=True)
    return unique, counts.astype(np.int64)


# ----------------------------------------------------------------------------- one column
class CategoryCounts:
    """Counts of each distinct non-missing value of one column, and of its missing values.

    ``finalise()`` returns the counts as a Series, most frequent first, ties by the value's text (never by
    arrival order); ``shares()`` the shares of the non-missing values (as ``value_counts(normalize=True)``).
    """

    __slots__ = ("counts", "missing")

    def __init__(self, counts: pd.Series | None = None, missing: int = 0) -> None:
        self.counts = pd.Series(dtype=np.int64) if counts is None else counts
        self.missing = int(missing)

    @property
    def rows(self) -> int:
        """Rows seen, missing included."""
        return int(self.counts.sum()) + self.missing

    def update(self, values: pd.Series | np.ndarray) -> CategoryCounts:
        """Count one batch of the column's values."""
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        batch = series.value_counts(dropna=True, sort=False)
        self.counts = _add_counts(self.counts, batch[batch > 0])
        self.missing += len(series) - int(batch.sum())  # value_counts drops exactly what isna() flags
        return self

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        """The counts of both parts."""
        return CategoryCounts(_add_counts(self.counts, other.counts), self.missing + other.missing)

    def finalise(self) -> pd.Series:
        """Counts per value, most frequent first, ties ordered by ``str(value)``."""
        if self.counts.empty:
            return self.counts.astype(np.int64)
        keys = np.asarray(self.counts.index.astype(str), dtype=object)
        order = np.lexsort((keys, -self.counts.to_numpy(dtype=np.int64)))  # stable: count down, then text up
        return self.counts.iloc[order]

    def shares(self) -> pd.Series:
        """Share of each non-missing value (sums to 1 unless every value is missing); order of ``finalise``."""
        counts = self.finalise()
        total = int(counts.sum())
        return counts / total if total else counts.astype(np.float64)

    def missing_rate(self) -> float:
        """Share of the rows that are missing (0 for no rows)."""
        rows = self.rows
        return self.missing / rows if rows else 0.0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoryCounts) or self.missing != other.missing:
            return False
        return self.finalise().to_dict() == other.finalise().to_dict()

    __hash__ = None  # type: ignore[assignment]


def _add_counts(a: pd.Series, b: pd.Series) -> pd.Series:
    if a.empty:
        return b.astype(np.int64)
    if b.empty:
        return a
    return a.add(b, fill_value=0).astype(np.int64)


class HistogramCounts:
    """Counts of a numeric column on bin edges fixed beforehand (``np.histogram``'s bins: the last is closed).

    With ``clip`` every non-missing value (infinities included) is clipped into ``[edges[0], edges[-1]]``
    first; without it, values below or above the edges are counted in ``below`` / ``above``. NaN counts
    as ``missing``.
    """

    __slots__ = ("above", "below", "clip", "counts", "edges", "missing")

    def __init__(self, edges: np.ndarray, clip: bool = False) -> None:
        self.edges = np.asarray(edges, dtype=np.float64)
        if self.edges.ndim != 1 or len(self.edges) < 2 or not np.all(np.diff(self.edges) >= 0):
            raise ValueError("edges must be an increasing 1-D array of at least two numbers")
        self.clip = clip
        self.counts = np.zeros(len(self.edges) - 1, dtype=np.int64)
        self.below = self.above = self.missing = 0

    def update(self, values: np.ndarray) -> HistogramCounts:
        """Count one batch of values (float64, NaN for missing)."""
        values = np.asarray(values, dtype=np.float64)
        nan = np.isnan(values)
        self.missing += int(nan.sum())
        present = values[~nan]
        if self.clip:
            present = np.clip(present, self.edges[0], self.edges[-1])
        else:
            low, high = present < self.edges[0], present > self.edges[-1]
            self.below += int(low.sum())
            self.above += int(high.sum())
            present = present[~(low | high)]
        self.counts += np.histogram(present, self.edges)[0]
        return self

    def merge(self, other: HistogramCounts) -> HistogramCounts:
        """The counts of both parts (same edges)."""
        if self.clip != other.clip or not np.array_equal(self.edges, other.edges):
            raise ValueError("only histograms on the same edges merge")
        out = HistogramCounts(self.edges, self.clip)
        out.counts = self.counts + other.counts
        out.below, out.above = self.below + other.below, self.above + other.above
        out.missing = self.missing + other.missing
        return out

    def finalise(self) -> np.ndarray:
        """The counts per bin."""
        return self.counts.copy()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, HistogramCounts)
            and np.array_equal(self.edges, other.edges)
            and np.array_equal(self.counts, other.counts)
            and (self.below, self.above, self.missing, self.clip)
            == (other.below, other.above, other.missing, other.clip)
        )

    __hash__ = None  # type: ignore[assignment]


# ----------------------------------------------------------------------------- whole rows
class MissingPatterns:
    """Counts of each row's pattern of missing values over ``columns`` columns.

    ``update`` takes a boolean matrix (rows × columns, True where missing) or a frame (its ``isna()``).
    ``finalise`` returns ``{pattern: count}`` with patterns as tuples of booleans, most frequent first, ties
    by pattern.
    """

    __slots__ = ("columns", "counts", "keys")

    def __init__(self, columns: int) -> None:
        self.columns = int(columns)
        self.keys = np.zeros((0, (self.columns + 7) // 8), dtype=np.uint8)
        self.counts = np.zeros(0, dtype=np.int64)

    def update(self, missing: np.ndarray | pd.DataFrame) -> MissingPatterns:
        """Count the patterns of one batch of rows."""
        matrix = missing.isna().to_numpy() if isinstance(missing, pd.DataFrame) else np.asarray(missing, dtype=bool)
        if matrix.shape[1] != self.columns:
            raise ValueError(f"expected {self.columns} columns, got {matrix.shape[1]}")
        packed = np.packbits(matrix, axis=1)
        keys, counts = np.unique(packed, axis=0, return_counts=True)
        return self._add(keys, counts.astype(np.int64))

    def _add(self, keys: np.ndarray, counts: np.ndarray) -> MissingPatterns:
        both = np.concatenate([self.keys, keys])
        unique, inverse = np.unique(both, axis=0, return_inverse=True)
        total = np.zeros(len(unique), dtype=np.int64)
        np.add.at(total, inverse.ravel(), np.concatenate([self.counts, counts]))
        self.keys, self.counts = unique, total
        return self

    def merge(self, other: MissingPatterns) -> MissingPatterns:
        """The pattern counts of both parts (same number of columns)."""
        if self.columns != other.columns:
            raise ValueError("only patterns over the same columns merge")
        out = MissingPatterns(self.columns)
        out.keys, out.counts = self.keys, self.counts
        return out._add(other.keys, other.counts)

    def finalise(self) -> dict[tuple[bool, ...], int]:
        """``{pattern: count}``, most frequent first, ties by pattern."""
        patterns = np.unpackbits(self.keys, axis=1, count=self.columns).astype(bool)
        items = [(tuple(bool(v) for v in p), int(c)) for p, c in zip(patterns, self.counts, strict=True)]
        return dict(sorted(items, key=lambda kv: (-kv[1], kv[0])))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MissingPatterns) and self.finalise() == other.finalise()

    __hash__ = None  # type: ignore[assignment]


class FingerprintCounts:
    """Counts of each row fingerprint (64-bit, :func:`synthaudit.artefacts.fingerprints.row_fingerprints`).

    ``copies_in(other)`` counts this side's rows whose fingerprint also occurs in ``other`` — the exact copies
    of real rows in synthetic data when this side is synthetic. A distributed engine computes it with a
    hash-partitioned join on the keys; the counts merge exactly.
    """

    __slots__ = ("counts", "keys")

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)
        self.counts = np.zeros(0, dtype=np.int64)

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, columns: tuple[str, ...], roles: dict[str, Any]) -> FingerprintCounts:
        """The counts of a frame's row fingerprints over ``columns``."""
        from synthaudit.artefacts.fingerprints import row_fingerprints

        return cls().update(row_fingerprints(frame, columns, roles))

    @property
    def rows(self) -> int:
        """Rows counted."""
        return int(self.counts.sum())

    def update(self, fingerprints: np.ndarray) -> FingerprintCounts:
        """Count one batch of fingerprints."""
        keys, counts = sparse_counts(np.asarray(fingerprints, dtype=np.uint64))
        self.keys, self.counts = merge_sparse_counts(self.keys, self.counts, keys, counts)
        return self

    def merge(self, other: FingerprintCounts) -> FingerprintCounts:
        """The counts of both parts."""
        out = FingerprintCounts()
        out.keys, out.counts = merge_sparse_counts(self.keys, self.counts, other.keys, other.counts)
        return out

    def finalise(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted distinct fingerprints, their counts)."""
        return self.keys.copy(), self.counts.copy()

    def copies_in(self, other: FingerprintCounts) -> int:
        """Rows of this side whose fingerprint occurs on the other side."""
        return int(self.counts[np.isin(self.keys, other.keys, assume_unique=True)].sum())

    def duplicate_rows(self) -> int:
        """Rows that repeat an earlier row of this side (rows minus distinct fingerprints)."""
        return self.rows - len(self.keys)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FingerprintCounts)
            and np.array_equal(self.keys, other.keys)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]
