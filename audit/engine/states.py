"""Mergeable statistic states: computed per block of rows, combined in any order, finalised once.

A state follows the small protocol the scale-out engine folds over blocks (and that the statistics of
``synthaudit.stats`` implement where they are merges of counts or sketches):

- ``update(batch)`` adds one block of rows (a pandas frame) and returns the state;
- ``merge(other)`` adds another state of the same kind (built from other rows) and returns the state;
- ``finalise()`` gives the statistic.

The states themselves are the statistics' own (:mod:`synthaudit.stats.states`); the classes here only feed
them frame blocks, so the engine and the checks count the same way.

For every split of the rows into blocks, ``finalise`` of the merged block states equals ``finalise`` of one
state updated with all rows: merges are sums of counts, which are associative and commutative, and the
results are sorted, so no block order leaks into a number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, Self, TypeVar

import numpy as np
import pandas as pd

from synthaudit.data.roles import Role
from synthaudit.stats.states import CategoryCounts, FingerprintCounts

__all__ = ["FrameFingerprints", "FrameValueCounts", "MergeableState", "fold"]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class MergeableState(Protocol[T_co]):
    """A statistic computed per block and merged: ``update(batch)`` / ``merge(other)`` / ``finalise()``."""

    def update(self, batch: pd.DataFrame) -> Self:
        """Add one block of rows; return the state."""
        ...

    def merge(self, other: Self) -> Self:
        """Add a state of the same kind built from other rows; return the state."""
        ...

    def finalise(self) -> T_co:
        """The statistic of every row added so far."""
        ...


@dataclass
class FrameFingerprints:
    """Row-fingerprint counts of frame blocks: :class:`synthaudit.stats.states.FingerprintCounts` fed by frames.

    Rows are hashed with :func:`synthaudit.artefacts.fingerprints.row_fingerprints` (trimmed strings, canonical
    numbers, missing equal) on ``columns``; ``finalise()`` gives ``(fingerprints, counts)``, the distinct 64-bit
    fingerprints in ascending order and how many rows carry each. Exact copies between two tables are the
    fingerprints both hold; a table's duplicate rate is ``1 − distinct / rows``.
    """

    columns: tuple[str, ...]
    roles: dict[str, Role]
    state: FingerprintCounts = field(default_factory=FingerprintCounts)

    def update(self, batch: pd.DataFrame) -> Self:
        """Count the fingerprints of ``batch``'s rows."""
        self.state = self.state.merge(FingerprintCounts.of_frame(batch, self.columns, self.roles))
        return self

    def merge(self, other: Self) -> Self:
        """Add ``other``'s counts."""
        self.state = self.state.merge(other.state)
        return self

    def finalise(self) -> tuple[np.ndarray, np.ndarray]:
        """``(distinct fingerprints ascending, rows per fingerprint)``."""
        return self.state.finalise()


@dataclass
class FrameValueCounts:
    """Value counts of one column over frame blocks: :class:`synthaudit.stats.states.CategoryCounts` fed by frames.

    The state behind category frequencies, rare-value suppression and a categorical column's histogram.
    ``finalise()`` drops the missing count and sorts by value (by its text when the values do not compare), so
    the result does not depend on the block order.
    """

    column: str
    state: CategoryCounts = field(default_factory=CategoryCounts)

    def update(self, batch: pd.DataFrame) -> Self:
        """Count the values of the column in ``batch``."""
        self.state = self.state.merge(CategoryCounts().update(batch[self.column]))
        return self

    def merge(self, other: Self) -> Self:
        """Add ``other``'s counts."""
        self.state = self.state.merge(other.state)
        return self

    def finalise(self) -> pd.Series:
        """Counts (int64) indexed by value, sorted by value."""
        counts = self.state.counts
        try:
            keys = sorted(counts.index, key=lambda v: v)
        except TypeError:  # mixed types: order by text, then type name
            keys = sorted(counts.index, key=lambda v: (str(v), type(v).__name__))
        return pd.Series([int(counts[k]) for k in keys], index=pd.Index(keys, dtype=object), dtype=np.int64)


def fold(blocks: Iterable[pd.DataFrame], make_state: Callable[[], MergeableState[T]]) -> T:
    """One state per block, merged left to right, finalised (the local engine's aggregation)."""
    merged: MergeableState[T] | None = None
    for block in blocks:
        state = make_state().update(block)
        merged = state if merged is None else merged.merge(state)
    return (merged if merged is not None else make_state()).finalise()
