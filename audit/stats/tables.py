"""Mergeable count tables of binned code columns: k-way joint tables and the 2-D tables of column pairs.

Same contract as :mod:`synthaudit.stats.states`: ``update(codes) -> self``, ``merge(other)`` (pure, exact),
``finalise()``. Codes are small integers per column (e.g. :class:`synthaudit.artefacts.coding.ColumnCoding`),
given as an array of shape (columns, rows).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from synthaudit.stats.states import merge_sparse_counts, sparse_counts

__all__ = ["DENSE_CELLS", "ContingencyTables", "JointCounts", "aligned_counts"]

DENSE_CELLS = 1 << 22
"""Joint tables with at most this many cells are dense arrays; larger ones are sparse (key, count) arrays."""


class JointCounts:
    """The joint table of k columns of integer codes (code ``c`` of column ``i`` below ``levels[i]``).

    Cells are numbered in row-major order of the codes. Up to :data:`DENSE_CELLS` cells the table is a dense
    count array; beyond, a sparse pair (sorted cell numbers, counts). ``finalise`` returns the dense array,
    or the sparse pair.
    """

    __slots__ = ("counts", "keys", "levels")

    def __init__(self, levels: Sequence[int]) -> None:
        self.levels = tuple(int(v) for v in levels)
        cells = math.prod(self.levels)
        self.keys: np.ndarray | None = None if cells <= DENSE_CELLS else np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(cells if self.keys is None else 0, dtype=np.int64)

    @property
    def dense(self) -> bool:
        """Whether the table is a dense array."""
        return self.keys is None

    def cell_numbers(self, codes: np.ndarray) -> np.ndarray:
        """Row-major cell number of each row of ``codes`` (k × rows)."""
        codes = np.asarray(codes)
        cell = codes[0].astype(np.int64)
        for row, size in zip(codes[1:], self.levels[1:], strict=True):
            cell *= size
            cell += row
        return cell

    def update(self, codes: np.ndarray) -> JointCounts:
        """Count one batch of rows, given as codes (k × rows)."""
        cell = self.cell_numbers(codes)
        if self.keys is None:
            self.counts += np.bincount(cell, minlength=len(self.counts))
        else:
            self.keys, self.counts = merge_sparse_counts(self.keys, self.counts, *sparse_counts(cell))
        return self

    def merge(self, other: JointCounts) -> JointCounts:
        """The table of both parts (same levels)."""
        if self.levels != other.levels:
            raise ValueError("only tables of the same levels merge")
        out = JointCounts(self.levels)
        if self.keys is None:
            out.counts = self.counts + other.counts
        else:
            assert other.keys is not None
            out.keys, out.counts = merge_sparse_counts(self.keys, self.counts, other.keys, other.counts)
        return out

    def finalise(self) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """The dense counts, or (sorted cell numbers, counts) when sparse."""
        if self.keys is None:
            return self.counts.copy()
        return self.keys.copy(), self.counts.copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JointCounts) or self.levels != other.levels:
            return False
        keys_equal = (self.keys is None and other.keys is None) or (
            self.keys is not None and other.keys is not None and np.array_equal(self.keys, other.keys)
        )
        return keys_equal and np.array_equal(self.counts, other.counts)

    __hash__ = None  # type: ignore[assignment]


def aligned_counts(tables: Sequence[JointCounts]) -> list[np.ndarray]:
    """Counts of several tables of the same levels on the same cells (sparse ones on their union of cells)."""
    if all(t.keys is None for t in tables):
        return [t.counts for t in tables]
    union = np.unique(np.concatenate([t.keys for t in tables if t.keys is not None]))
    out = []
    for table in tables:
        counts = np.zeros(len(union), dtype=np.int64)
        assert table.keys is not None
        counts[np.searchsorted(union, table.keys)] = table.counts
        out.append(counts)
    return out


class ContingencyTables:
    """The 2-D count tables of column pairs of integer codes (``codes[i]`` below ``levels[i]``).

    ``pairs`` defaults to every pair ``i < j``. ``finalise`` returns ``{(i, j): table}`` with tables of shape
    ``(levels[i], levels[j])``.
    """

    __slots__ = ("levels", "pairs", "tables")

    def __init__(self, levels: Sequence[int], pairs: Sequence[tuple[int, int]] | None = None) -> None:
        self.levels = tuple(int(v) for v in levels)
        chosen = combinations(range(len(self.levels)), 2) if pairs is None else pairs
        self.pairs = tuple((int(i), int(j)) for i, j in chosen)
        self.tables = {ij: np.zeros((self.levels[ij[0]], self.levels[ij[1]]), dtype=np.int64) for ij in self.pairs}

    def update(self, codes: np.ndarray) -> ContingencyTables:
        """Count one batch of rows, given as codes (columns × rows)."""
        wide = np.asarray(codes).astype(np.intp)  # bincount's native index type: no cast per pair
        joint = np.empty(wide.shape[1], dtype=np.intp)
        for i, j in self.pairs:
            np.multiply(wide[i], self.levels[j], out=joint)
            joint += wide[j]
            cells = np.bincount(joint, minlength=self.levels[i] * self.levels[j])
            self.tables[i, j] += cells.reshape(self.levels[i], self.levels[j])
        return self

    def merge(self, other: ContingencyTables) -> ContingencyTables:
        """The tables of both parts (same levels and pairs)."""
        if self.levels != other.levels or self.pairs != other.pairs:
            raise ValueError("only tables of the same levels and pairs merge")
        out = ContingencyTables(self.levels, self.pairs)
        out.tables = {ij: self.tables[ij] + other.tables[ij] for ij in self.pairs}
        return out

    def finalise(self) -> dict[tuple[int, int], np.ndarray]:
        """``{(i, j): counts}`` in the order of ``pairs``."""
        return {ij: self.tables[ij].copy() for ij in self.pairs}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ContingencyTables)
            and self.levels == other.levels
            and self.pairs == other.pairs
            and all(np.array_equal(self.tables[ij], other.tables[ij]) for ij in self.pairs)
        )

    __hash__ = None  # type: ignore[assignment]
