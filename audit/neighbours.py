"""Exact nearest-neighbour search with faiss (brute force, so no near-copy is lost to approximation)."""

from __future__ import annotations

import numpy as np

__all__ = ["ExactNeighbourIndex"]

_QUERY_BATCH = 8192


class ExactNeighbourIndex:
    """Exact L2 search over a fixed set of float32 vectors; distances returned as Euclidean (not squared)."""

    def __init__(self, vectors: np.ndarray) -> None:
        import faiss  # heavy: imported only when an index is built

        data = np.ascontiguousarray(vectors, dtype=np.float32)
        if data.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array; got shape {data.shape}")
        self.size, self.dim = data.shape
        self._index = faiss.IndexFlatL2(self.dim)
        if self.size:
            self._index.add(data)

    def search(self, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(distances, indices)`` of the ``k`` nearest indexed rows of each query row."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, self.size)
        if k <= 0 or len(q) == 0:
            return np.zeros((len(q), 0), dtype=np.float32), np.zeros((len(q), 0), dtype=np.int64)
        dists, idx = [], []
        for start in range(0, len(q), _QUERY_BATCH):
            d, i = self._index.search(q[start : start + _QUERY_BATCH], k)
            dists.append(d)
            idx.append(i)
        squared = np.vstack(dists)
        return np.sqrt(np.maximum(squared, 0.0)), np.vstack(idx)
