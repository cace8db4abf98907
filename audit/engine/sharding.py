"""Pure pieces of the sharded nearest-neighbour search: shard bounds and the exact top-k merge.

The indexed rows are cut into contiguous shards; each shard answers a query block with its own exact
``k`` nearest (row numbers offset to the whole table). The merge keeps, for every query, the ``k`` smallest
distances over all shards, ties by ascending row number: since each shard's answer is exact and the shards
partition the rows, the merged answer is exactly the single index's answer.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["exact_squared", "merge_topk", "shard_bounds"]

_CHUNK_ELEMENTS = 1 << 22
"""float64 elements per chunk of exact distances (32 MiB)."""


def shard_bounds(size: int, shards: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of ``shards`` contiguous, near-equal shards of ``size`` rows (none empty)."""
    shards = max(1, min(shards, size))
    edges = np.linspace(0, size, shards + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def exact_squared(vectors: np.ndarray, queries: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Squared L2 distances in float64, ``Σ (x − y)²``, from each query row to its ``indices`` rows of ``vectors``.

    The same formula as :class:`synthaudit.neighbours.ExactNeighbourIndex`'s re-ranking, so equal pairs give
    equal numbers whichever shard holds the row.
    """
    n, width = indices.shape
    out = np.empty((n, width), dtype=np.float64)
    step = max(1, _CHUNK_ELEMENTS // max(1, width * vectors.shape[1]))
    for start in range(0, n, step):
        stop = min(start + step, n)
        diff = vectors[indices[start:stop]].astype(np.float64)
        diff -= queries[start:stop, None, :].astype(np.float64)
        out[start:stop] = np.einsum("ijk,ijk->ij", diff, diff)
    return out


def merge_topk(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-shard answers ``(distances, global row numbers, squared distances)`` into the ``k`` nearest.

    Ordered by exact squared distance, ties by ascending row number (as the single index orders them);
    returns ``(distances, indices)`` with ``min(k, total columns)`` columns.
    """
    distances = np.concatenate([p[0] for p in parts], axis=1)
    indices = np.concatenate([p[1] for p in parts], axis=1)
    squared = np.concatenate([p[2] for p in parts], axis=1)
    order = np.lexsort((indices, squared), axis=1)[:, :k]
    return np.take_along_axis(distances, order, axis=1), np.take_along_axis(indices, order, axis=1)
