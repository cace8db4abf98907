"""Permutation importance: how much a model relies on each feature, by shuffling it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["permutation_drops"]


def permutation_drops(
    predict: Callable[[np.ndarray], np.ndarray],
    score: Callable[[np.ndarray, np.ndarray], float],
    features: np.ndarray,
    target: np.ndarray,
    *,
    repeats: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Permutation importance: the drop in ``score`` when one feature column is shuffled (features × repeats).

    The same quantity as :func:`sklearn.inspection.permutation_importance`, but the ``repeats`` shuffled
    copies of each feature are predicted in one batch (one model call per feature instead of per repeat).
    A feature the model ignores scores 0 exactly; positive values mean the model relies on it.
    """
    baseline = score(predict(features), target)
    m, width = features.shape
    drops = np.zeros((width, repeats), dtype=np.float64)
    for j in range(width):
        batch = np.tile(features, (repeats, 1))
        for r in range(repeats):
            batch[r * m : (r + 1) * m, j] = features[rng.permutation(m), j]
        predictions = predict(batch)
        for r in range(repeats):
            drops[j, r] = baseline - score(predictions[r * m : (r + 1) * m], target)
    return drops
