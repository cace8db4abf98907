"""The local engine: everything in this process, exactly as the audit context has always computed it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable, load_table
from synthaudit.data.row_cap import cap_rows
from synthaudit.embeddings import TextEmbedder
from synthaudit.neighbours import ExactNeighbourIndex

from .joins import (  # relative: mypy sees the types (the package maps to audit/)
    InputKeys,
    KeyTable,
    RowMatches,
    merge_matches,
    partition_keys,
    repeats_part,
    semi_join_part,
)
from .states import MergeableState, fold  # relative: mypy sees the type (the package maps to audit/)

__all__ = ["BLOCK_ROWS", "LocalEngine", "row_blocks"]

BLOCK_ROWS = 65_536
"""Rows per block when a mergeable state is folded over a frame."""

T = TypeVar("T")


def row_blocks(frame: pd.DataFrame, rows: int = BLOCK_ROWS) -> list[pd.DataFrame]:
    """``frame`` cut into consecutive blocks of at most ``rows`` rows (at least one block)."""
    return [frame.iloc[start : start + rows] for start in range(0, max(len(frame), 1), rows)]


def _keys(table: KeyTable) -> np.ndarray:
    """A key table in hand: a whole input's keys computed block after block (8 bytes per row are kept)."""
    if not isinstance(table, InputKeys):
        return np.asarray(table, dtype=np.uint64)
    blocks = [table.keys_of_block(i) for i in range(table.whole.blocks)]
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.uint64)


class LocalEngine:
    """In-process engine (the default): the single-file loader, one embedder, one faiss index per frame."""

    name = "local"

    def load_table(
        self, source: Any, *, label: str, encoding: str, max_rows: int | None = None, seed: int = 0
    ) -> LoadedTable:
        """:func:`synthaudit.data.loading.load_table` (shards of a directory or glob read one by one), then capped."""
        table = load_table(source, label=label, encoding=encoding)
        return cap_rows(table, max_rows, seed, source=source, encoding=encoding)

    def embed_texts(
        self, texts: Sequence[str], embedder: TextEmbedder, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """``embedder.embed(texts)``: batches of ``batch_size`` in the order given, cached by content hash."""
        return embedder.embed(texts, progress=progress)

    def nearest(self, vectors: np.ndarray) -> ExactNeighbourIndex:
        """One exact faiss index over every row."""
        return ExactNeighbourIndex(vectors)

    def counts(self, frame: pd.DataFrame, make_state: Callable[[], MergeableState[T]]) -> T:
        """The state folded over consecutive row blocks of ``frame``."""
        return fold(row_blocks(frame), make_state)

    def row_keys(self, frame: pd.DataFrame, key_of: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
        """``key_of(frame)``: the whole frame is one block here."""
        return np.asarray(key_of(frame), dtype=np.uint64)

    def semi_join(self, left: KeyTable, right: KeyTable, cap: int) -> RowMatches:
        """One partition: ``left``'s rows whose key is in ``right`` (a sorted-set lookup)."""
        left_keys, right_keys = _keys(left), _keys(right)
        answer = semi_join_part(partition_keys(left_keys, 0, 1), partition_keys(right_keys, 0, 1), cap)
        return merge_matches([answer], len(left_keys), cap)

    def repeats(self, keys: KeyTable, cap: int) -> RowMatches:
        """One partition: rows repeating an earlier row's key (one sort)."""
        values = _keys(keys)
        return merge_matches([repeats_part(partition_keys(values, 0, 1), cap)], len(values), cap)

    def describe(self) -> dict[str, Any]:
        """``{"name": "local"}``."""
        return {"name": self.name}

    def close(self) -> None:
        """Nothing to release."""
        return None
