"""Exact nearest-neighbour search: faiss brute force for candidates, float64 re-ranking for the distances.

faiss computes squared L2 distances in float32 as ``‖x‖² + ‖y‖² − 2·x·y``, whose rounding error grows with
the vectors' norms: two identical rows can come out a small positive distance apart, so a verbatim copy
would not read as distance 0. The index therefore asks faiss for a few more candidates than requested,
recomputes their distances exactly in float64 from the stored vectors (``Σ (x − y)²``, which is exactly 0
for identical vectors), and re-sorts them (ties by index). A row whose candidates all lie within faiss's
rounding error of it (an exact twin might hide behind them) is searched again with more candidates, and
past ``_MAX_CANDIDATES`` by a float64 scan of every indexed row.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ExactNeighbourIndex", "kmeans_centroids", "raw_search", "search_arguments"]


def search_arguments(queries: np.ndarray, k: int, dim: int, size: int) -> tuple[np.ndarray, int]:
    """Queries as contiguous float32 rows of ``dim`` columns (else ``ValueError``), and ``k`` capped at ``size``."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    if q.ndim != 2 or (len(q) and q.shape[1] != dim):
        raise ValueError(f"queries must be a 2-D array with {dim} columns; got shape {q.shape}")
    return q, min(k, size)


_QUERY_BATCH = 8192
_CANDIDATE_MARGIN = 8
"""Candidates searched beyond ``k``, so that float32 rounding cannot push a true neighbour out."""
_MAX_CANDIDATES = 1024
"""Past this many candidates, rows still in doubt are scanned exactly against every indexed row."""
_CHUNK_ELEMENTS = 1 << 22
"""float64 elements per re-ranking or scanning chunk (32 MiB), which bounds the memory of exact distances."""
_EPS32 = float(np.finfo(np.float32).eps)


class ExactNeighbourIndex:
    """Exact L2 search over a fixed set of vectors (stored as float32).

    Distances are Euclidean (not squared), float64, computed exactly from the stored vectors: identical
    vectors are at distance 0.0. Neighbours come nearest first, ties by ascending index.
    """

    def __init__(self, vectors: np.ndarray) -> None:
        import faiss  # heavy: imported only when an index is built

        data = np.ascontiguousarray(vectors, dtype=np.float32)
        if data.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array; got shape {data.shape}")
        self.size, self.dim = data.shape
        self._vectors = data
        self._index = faiss.IndexFlatL2(self.dim)
        if self.size:
            self._index.add(data)

    def search(self, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(distances, indices)`` of the ``k`` nearest indexed rows of each query row.

        Both are ``(len(queries), min(k, size))`` arrays: float64 Euclidean distances, nearest first, and
        int64 row numbers of the indexed vectors.
        """
        q, k = search_arguments(queries, k, self.dim, self.size)
        if k <= 0 or len(q) == 0:
            return np.zeros((len(q), max(k, 0)), dtype=np.float64), np.zeros((len(q), max(k, 0)), dtype=np.int64)
        distances = np.empty((len(q), k), dtype=np.float64)
        indices = np.empty((len(q), k), dtype=np.int64)
        for start in range(0, len(q), _QUERY_BATCH):
            stop = min(start + _QUERY_BATCH, len(q))
            distances[start:stop], indices[start:stop] = self._search_batch(q[start:stop], k)
        return distances, indices

    # ------------------------------------------------------------ internals
    def _search_batch(self, batch: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Re-ranked search of one batch; rows where a twin may hide behind rounding error are searched again."""
        width = min(k + _CANDIDATE_MARGIN, self.size)
        squared, indices, farthest = self._reranked(batch, width, k)
        # A twin's float32 distance is at most ~4·dim·eps·‖q‖² (two float32 sums of dim squares, in
        # different orders): when every candidate is within that of the query and none is an exact match,
        # a twin might rank beyond the candidates.
        norms = np.einsum("ij,ij->i", batch, batch, dtype=np.float64)
        tolerance = 4.0 * (self.dim + 2) * _EPS32 * norms
        pending = np.flatnonzero((squared[:, -1] > 0) & (farthest <= tolerance) & (width < self.size))
        while len(pending) and width < min(self.size, _MAX_CANDIDATES):
            width = min(2 * width, self.size, _MAX_CANDIDATES)
            sq, idx, far = self._reranked(batch[pending], width, k)
            squared[pending], indices[pending] = sq, idx
            still = (sq[:, -1] > 0) & (far <= tolerance[pending])
            pending = pending[still] if width < self.size else pending[:0]
        if len(pending):
            squared[pending], indices[pending] = self._scan(batch[pending], k)
        return np.sqrt(squared), indices

    def _reranked(self, batch: np.ndarray, width: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``k`` nearest of ``width`` faiss candidates by exact squared distance; the farthest faiss distance."""
        approx, candidates = self._index.search(batch, width)
        squared = self._exact_squared(batch, candidates)
        by_index = np.argsort(candidates, axis=1, kind="stable")  # ties are then broken by index
        candidates = np.take_along_axis(candidates, by_index, axis=1)
        squared = np.take_along_axis(squared, by_index, axis=1)
        nearest = np.argsort(squared, axis=1, kind="stable")[:, :k]
        return (
            np.take_along_axis(squared, nearest, axis=1),
            np.take_along_axis(candidates, nearest, axis=1),
            approx[:, -1].astype(np.float64),
        )

    def _exact_squared(self, batch: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Squared distances in float64 from each query row to its candidates (``inf`` for faiss's -1 slots)."""
        n, width = candidates.shape
        out = np.empty((n, width), dtype=np.float64)
        step = max(1, _CHUNK_ELEMENTS // max(1, width * self.dim))
        for start in range(0, n, step):
            stop = min(start + step, n)
            chunk = candidates[start:stop]
            diff = self._vectors[np.maximum(chunk, 0)].astype(np.float64)
            diff -= batch[start:stop, None, :].astype(np.float64)
            out[start:stop] = np.where(chunk >= 0, np.einsum("ijk,ijk->ij", diff, diff), np.inf)
        return out

    def _scan(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact float64 distances from each of ``rows`` to every indexed row, in chunks; ``k`` nearest."""
        squared = np.empty((len(rows), k), dtype=np.float64)
        indices = np.empty((len(rows), k), dtype=np.int64)
        step = max(1, _CHUNK_ELEMENTS // max(1, self.dim))
        for r, row in enumerate(rows.astype(np.float64)):
            best_sq = np.empty(0, dtype=np.float64)
            best_idx = np.empty(0, dtype=np.int64)
            for start in range(0, self.size, step):
                diff = self._vectors[start : start + step].astype(np.float64) - row
                sq = np.concatenate([best_sq, np.einsum("ij,ij->i", diff, diff)])
                idx = np.concatenate([best_idx, np.arange(start, start + len(diff), dtype=np.int64)])
                keep = np.lexsort((idx, sq))[:k]
                best_sq, best_idx = sq[keep], idx[keep]
            squared[r], indices[r] = best_sq, best_idx
        return squared, indices


def raw_search(
    data: np.ndarray, queries: np.ndarray, k: int, *, inner_product: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Exact faiss search of ``queries`` over ``data`` (float32), in query batches: ``(scores, indices)``.

    Scores are squared L2 distances (ascending), or inner products (descending) with ``inner_product``.
    The one place besides :class:`ExactNeighbourIndex` that talks to faiss, for callers that need the raw
    scores (k-NN radii, cosine similarity of unit vectors, nearest centroid).
    """
    import faiss  # heavy: imported only when used

    base = np.ascontiguousarray(data, dtype=np.float32)
    index = faiss.IndexFlatIP(base.shape[1]) if inner_product else faiss.IndexFlatL2(base.shape[1])
    index.add(base)
    q = np.ascontiguousarray(queries, dtype=np.float32)
    scores = np.empty((len(q), k), dtype=np.float32)
    found = np.empty((len(q), k), dtype=np.int64)
    for start in range(0, len(q), _QUERY_BATCH):
        s, i = index.search(q[start : start + _QUERY_BATCH], k)
        scores[start : start + len(s)], found[start : start + len(i)] = s, i
    return scores, found


def kmeans_centroids(train: np.ndarray, k: int, seed: int, iterations: int = 20) -> np.ndarray:
    """Centroids (k × width, float32) of seeded faiss k-means on ``train``, every point allowed per centroid."""
    import faiss  # heavy: imported only when used

    data = np.ascontiguousarray(train, dtype=np.float32)
    kmeans = faiss.Kmeans(
        data.shape[1],
        k,
        niter=iterations,
        seed=seed,
        verbose=False,
        min_points_per_centroid=1,
        max_points_per_centroid=len(data) // k + 1,
    )
    kmeans.train(data)
    return np.asarray(kmeans.centroids, dtype=np.float32).reshape(k, data.shape[1])
