"""Hash-partitioned joins on row keys: the exact copies between two tables and the repeats within one.

Both engines compute the same two answers from 64-bit row keys (row fingerprints,
:func:`synthaudit.artefacts.fingerprints.row_fingerprints`):

- :func:`semi_join_part`: the rows of table A whose key occurs in table B (exact copies);
- :func:`repeats_part`: the rows of a table whose key occurs at an earlier row of it (duplicates).

The keys of each block of rows are split into ``parts`` partitions by ``key mod parts``
(:func:`partition_keys`), so equal keys always land in the same partition and each partition is answered on
its own; :func:`merge_matches` adds the partitions' counts and keeps the lowest row numbers as evidence. The
local engine uses one partition; the Ray engine shuffles the partitions to one reduce task each, so no key set
is ever gathered in one place. Whatever the number of partitions or blocks, the answer is the same: a row's
membership depends only on the keys equal to its own, which share its partition, and counts and the sorted
lowest row numbers do not depend on the order partitions finish in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.data.whole_input import WholeInput

__all__ = [
    "InputKeys",
    "KeyPart",
    "KeyTable",
    "PartAnswer",
    "RowMatches",
    "merge_matches",
    "partition_keys",
    "repeats_part",
    "semi_join_part",
    "shifted",
]

KeyPart = tuple[np.ndarray, np.ndarray]
"""One partition of one block: ``(keys, row numbers in the whole table)``, both 1-D, same length."""


@dataclass(frozen=True)
class InputKeys:
    """The keys of every row of a whole input, computed where its blocks are read: ``key_of(whole.block(i))``.

    ``key_of`` must give each row a key that depends on that row alone (so blocks do not matter) and be
    picklable (a module-level function or a ``functools.partial`` of one): the Ray engine runs it in tasks.
    """

    whole: WholeInput
    key_of: Callable[[pd.DataFrame], np.ndarray]

    def keys_of_block(self, i: int) -> np.ndarray:
        """The uint64 keys of block ``i``'s rows, in row order."""
        return np.asarray(self.key_of(self.whole.block(i)), dtype=np.uint64)


KeyTable = np.ndarray | InputKeys
"""The keys of a table's rows: in hand (one uint64 per row, in row order), or computed block by block."""


@dataclass(frozen=True)
class RowMatches:
    """Rows of a table picked out by a key comparison: how many, of how many, and the first of them.

    ``count`` of the table's ``rows`` matched; ``first`` holds the lowest matched row numbers (positions,
    0-based, ascending), at most the cap asked for — evidence, never the whole set. ``share`` is
    ``count / rows`` (0 for an empty table). For repeats, ``groups`` counts the distinct keys that repeat,
    so ``count + groups`` rows hold a key some other row holds too, and ``group_squares`` is the sum of those
    keys' row counts squared (the clustering of such rows; both 0 for a semi-join).
    """

    count: int
    rows: int
    first: np.ndarray
    groups: int = 0
    group_squares: int = 0

    @property
    def share(self) -> float:
        """``count / rows``, in [0, 1]; 0 when the table has no row."""
        return self.count / self.rows if self.rows else 0.0


def partition_keys(keys: np.ndarray, offset: int, parts: int) -> list[KeyPart]:
    """The keys of one block (its first row is row ``offset`` of the table) split into ``parts`` partitions.

    Partition ``p`` holds the keys with ``key mod parts == p`` and their row numbers, in row order.
    """
    values = np.asarray(keys, dtype=np.uint64)
    rows = np.arange(offset, offset + len(values), dtype=np.int64)
    if parts == 1:
        return [(values, rows)]
    bucket = values % np.uint64(parts)
    order = np.argsort(bucket, kind="stable")
    edges = np.searchsorted(bucket[order], np.arange(parts + 1, dtype=np.uint64))
    return [(values[order[a:b]], rows[order[a:b]]) for a, b in itertools.pairwise(edges)]


def shifted(pieces: Sequence[KeyPart], offsets: Sequence[int]) -> list[KeyPart]:
    """``pieces`` (row numbers within their blocks) with block ``i``'s row numbers moved up by ``offsets[i]``."""
    return [(keys, rows + np.int64(offset)) for (keys, rows), offset in zip(pieces, offsets, strict=True)]


def _stack(pieces: Sequence[KeyPart]) -> KeyPart:
    if not pieces:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])


def _lowest(rows: np.ndarray, cap: int) -> np.ndarray:
    return np.sort(rows)[:cap]


PartAnswer = tuple[int, np.ndarray, int, int]
"""One partition's answer: ``(count, lowest row numbers, repeating keys, sum of their row counts squared)``."""


def semi_join_part(left: Sequence[KeyPart], right: Sequence[KeyPart], cap: int) -> PartAnswer:
    """Of one partition: how many left rows have a key among the right rows, and the lowest ``cap`` of them."""
    left_keys, left_rows = _stack(left)
    right_keys, _ = _stack(right)
    found = left_rows[np.isin(left_keys, right_keys)]
    return len(found), _lowest(found, cap), 0, 0


def repeats_part(pieces: Sequence[KeyPart], cap: int) -> PartAnswer:
    """Of one partition: how many rows repeat an earlier row's key, the lowest ``cap`` of them, and the groups.

    The groups are the distinct keys held by more than one row: how many, and the sum of their sizes squared.
    """
    keys, rows = _stack(pieces)
    order = np.lexsort((rows, keys))  # by key, then row number: the first row of each key comes first
    ordered = keys[order]
    later = np.zeros(len(ordered), dtype=bool)
    later[1:] = ordered[1:] == ordered[:-1]
    found = rows[order][later]
    starts = np.flatnonzero(~later)
    sizes = np.diff(np.append(starts, len(ordered))).astype(np.int64)
    multiple = sizes[sizes > 1]
    return len(found), _lowest(found, cap), len(multiple), int((multiple**2).sum())


def merge_matches(answers: Sequence[PartAnswer], rows: int, cap: int) -> RowMatches:
    """The partitions' answers added up: total count, the lowest ``cap`` row numbers over all of them."""
    firsts = [a[1] for a in answers if len(a[1])]
    first = _lowest(np.concatenate(firsts), cap) if firsts else np.zeros(0, dtype=np.int64)
    count, groups, squares = (int(sum(a[i] for a in answers)) for i in (0, 2, 3))
    return RowMatches(count, rows, first.astype(np.int64), groups, squares)
