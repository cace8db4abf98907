"""How far apart two samples of texts are in embedding space: the distance between their mean embeddings.

For unit-length sentence embeddings, the mean embedding summarises what a set of texts is about; two sets
on the same subject have nearly the same mean, a set whose texts were swapped for another subject's moves
it far. The statistic here is *half* the Euclidean distance between the two means, so it lies in [0, 1]
(0: the same mean; 1: opposite directions), lower is better.

Null distribution (both samples drawn from one distribution with covariance Σ, sizes n and m): the squared
distance between the means has mean ``s²·tr Σ`` and variance ``2·s⁴·tr Σ²`` (``s² = 1/n + 1/m``, Gaussian
approximation of the sample means); the distance's mean and SD follow by the delta method. Σ is estimated
from the two samples pooled, each centred on its own mean (a shift between them does not inflate it), and
``tr Σ²`` is corrected for its upward bias (``‖S‖²_F − (tr S)²/dof``, floored at ``(tr S)²/dimensions``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MeanEmbeddingDistances", "grouped_mean_embedding_distances", "mean_embedding_distance"]


@dataclass(frozen=True)
class MeanEmbeddingDistances:
    """Per group: the distance, its null mean and SD, and the rows on each side (arrays indexed by group code)."""

    distance: np.ndarray
    null_mean: np.ndarray
    null_sd: np.ndarray
    base_rows: np.ndarray
    candidate_rows: np.ndarray


def mean_embedding_distance(base: np.ndarray, candidate: np.ndarray) -> tuple[float, float, float]:
    """``(distance, null mean, null SD)`` of two samples of embeddings (rows × dimensions).

    Either side empty: distance 1 (0 when both are), null 0. With a single row in all, the null is 0.
    """
    n, m = len(base), len(candidate)
    if n == 0 or m == 0:
        return (0.0 if n == m else 1.0), 0.0, 0.0
    a = np.asarray(base, dtype=np.float64)
    b = np.asarray(candidate, dtype=np.float64)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    distance = 0.5 * float(np.linalg.norm(mean_a - mean_b))
    dof = n + m - 2
    if dof < 1:
        return min(distance, 1.0), 0.0, 0.0
    centred = np.vstack([a - mean_a, b - mean_b])
    trace = float(np.sum(centred * centred)) / dof
    gram = centred.T @ centred if centred.shape[0] > centred.shape[1] else centred @ centred.T
    squared = float(np.sum(gram * gram)) / dof**2
    squared = max(squared - trace**2 / dof, trace**2 / centred.shape[1])
    s2 = 1.0 / n + 1.0 / m
    mean_sq, var_sq = s2 * trace, 2.0 * s2 * s2 * squared
    if mean_sq <= 0:
        return min(distance, 1.0), 0.0, 0.0
    root = float(np.sqrt(mean_sq))
    null_mean = root * max(1.0 - var_sq / (8.0 * mean_sq * mean_sq), 0.5)
    null_sd = float(np.sqrt(var_sq)) / (2.0 * root)
    return min(distance, 1.0), 0.5 * null_mean, 0.5 * null_sd


def grouped_mean_embedding_distances(
    base: np.ndarray,
    base_groups: np.ndarray,
    candidate: np.ndarray,
    candidate_groups: np.ndarray,
    groups: int,
) -> MeanEmbeddingDistances:
    """:func:`mean_embedding_distance` inside every group ``0 … groups−1`` (rows of group −1 are left out)."""
    distance, null_mean, null_sd = np.zeros(groups), np.zeros(groups), np.zeros(groups)
    n = np.bincount(base_groups[base_groups >= 0], minlength=groups)[:groups]
    m = np.bincount(candidate_groups[candidate_groups >= 0], minlength=groups)[:groups]
    for k in range(groups):
        distance[k], null_mean[k], null_sd[k] = mean_embedding_distance(
            base[base_groups == k], candidate[candidate_groups == k]
        )
    return MeanEmbeddingDistances(distance, null_mean, null_sd, n.astype(np.int64), m.astype(np.int64))
