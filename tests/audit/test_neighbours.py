from __future__ import annotations

import numpy as np
import pytest

import synthaudit.neighbours as neighbours
from synthaudit.neighbours import ExactNeighbourIndex


def brute_force(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest in float64 by direct differences, ties by ascending index."""
    b, q = base.astype(np.float32).astype(np.float64), queries.astype(np.float32).astype(np.float64)
    squared = ((q[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    order = np.array([np.lexsort((np.arange(len(b)), row))[:k] for row in squared])
    return np.sqrt(np.take_along_axis(squared, order, axis=1)), order


def test_identical_vectors_are_at_distance_exactly_zero():
    # Large norms: faiss's float32 ‖x‖² + ‖y‖² − 2x·y leaves a rounding residue for most identical pairs.
    rng = np.random.default_rng(0)
    base = (rng.normal(size=(3000, 40)) * 50 + 1000).astype(np.float32)
    queries = base[rng.choice(len(base), 500, replace=False)]
    distances, indices = ExactNeighbourIndex(base).search(queries, k=3)
    assert distances.dtype == np.float64 and indices.dtype == np.int64
    assert np.all(distances[:, 0] == 0.0)
    np.testing.assert_array_equal(base[indices[:, 0]], queries)
    assert np.all(distances[:, 1] > 0)


def test_search_matches_float64_brute_force_with_ties():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 3, size=(400, 6)).astype(np.float32)  # many exact ties and duplicates
    base[::7] += rng.normal(size=(len(base[::7]), 6)).astype(np.float32) * 1e-3
    queries = np.vstack([base[:50], rng.integers(0, 3, size=(100, 6)).astype(np.float32), rng.normal(size=(50, 6))])
    distances, indices = ExactNeighbourIndex(base).search(queries, k=5)
    expected_d, expected_i = brute_force(base, queries, 5)
    np.testing.assert_allclose(distances, expected_d, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(distances == 0.0, expected_d == 0.0)
    np.testing.assert_array_equal(indices, expected_i)


class AdversarialFlat:
    """A stand-in for faiss's flat index whose rounding error, within the float32 bound, hurts the most:
    ``twin`` comes out as far as the error allows, so a plain top-(k + 8) search ranks it past its look-alikes."""

    def __init__(self, base: np.ndarray, twin: int, error: float) -> None:
        self.base, self.twin, self.error = base.astype(np.float64), twin, error

    def search(self, batch: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
        squared = ((batch.astype(np.float64)[:, None, :] - self.base[None, :, :]) ** 2).sum(axis=2)
        squared[:, self.twin] += self.error
        order = np.argsort(squared, axis=1, kind="stable")[:, :width]
        return np.take_along_axis(squared, order, axis=1).astype(np.float32), order


@pytest.mark.parametrize("max_candidates", [1024, 16])
def test_a_twin_behind_many_near_twins_is_found(monkeypatch, max_candidates):
    # 300 rows within float32 noise of the query, its exact twin last and ranked past all of them by the
    # (simulated) faiss error: the index widens the search (past the cap, scans every row) until the twin
    # cannot hide.
    monkeypatch.setattr(neighbours, "_MAX_CANDIDATES", max_candidates)
    rng = np.random.default_rng(2)
    queries = (rng.normal(size=(3, 32)) * 100 + 5000).astype(np.float32)
    near = queries[0] + rng.choice([-1, 1], size=(300, 32)).astype(np.float32) * np.spacing(queries[0])
    base = np.vstack([near, rng.normal(size=(200, 32)).astype(np.float32) * 100 + 5000, queries[0]])
    index = ExactNeighbourIndex(base)
    bound = 4.0 * (32 + 2) * np.finfo(np.float32).eps * float(np.sum(queries[0].astype(np.float64) ** 2))
    index._index = AdversarialFlat(base, twin=len(base) - 1, error=0.9 * bound)
    assert len(base) - 1 not in index._index.search(queries[:1], 10)[1][0]  # faiss alone would miss it
    distances, indices = index.search(queries, k=2)
    assert distances[0, 0] == 0.0 and indices[0, 0] == len(base) - 1
    expected_d, expected_i = brute_force(base, queries, 2)
    np.testing.assert_allclose(distances, expected_d, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(indices, expected_i)


def test_edge_cases():
    base = np.arange(12, dtype=np.float32).reshape(4, 3)
    index = ExactNeighbourIndex(base)
    distances, indices = index.search(base[:2], k=10)  # k is capped at the index size
    assert distances.shape == indices.shape == (2, 4)
    assert indices[:, 0].tolist() == [0, 1] and distances[:, 0].tolist() == [0.0, 0.0]
    empty_d, empty_i = index.search(np.zeros((0, 3), dtype=np.float32), k=2)
    assert empty_d.shape == empty_i.shape == (0, 2)
    assert ExactNeighbourIndex(np.zeros((0, 3))).search(base, k=1)[0].shape == (4, 0)
    with pytest.raises(ValueError, match="3 columns"):
        index.search(np.zeros((2, 5)), k=1)
    with pytest.raises(ValueError, match="2-D"):
        ExactNeighbourIndex(np.zeros(3))
