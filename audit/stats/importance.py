"""Permutation importance: how much a model relies on each feature, by shuffling it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["permutation_drops", "tree_features_used"]


def permutation_drops(
    predict: Callable[[np.ndarray], np.ndarray],
    score: Callable[[np.ndarray, np.ndarray], float],
    features: np.ndarray,
    target: np.ndarray,
    *,
    repeats: int,
    rng: np.random.Generator,
    used: np.ndarray | None = None,
) -> np.ndarray:
    """Permutation importance: the drop in ``score`` when one feature column is shuffled (features × repeats).

    The same quantity as :func:`sklearn.inspection.permutation_importance`, but the ``repeats`` shuffled
    copies of each feature are predicted in one batch (one model call per feature instead of per repeat).
    A feature the model ignores scores 0 exactly; positive values mean the model relies on it. ``used``
    (optional, a boolean per feature, e.g. from :func:`tree_features_used`) names the features the model can
    read: the others score 0 without a prediction (exactly what shuffling them would give), which makes wide
    inputs cheap — a boosted model on a few hundred rows reads a few dozen of thousands of columns.
    """
    baseline = score(predict(features), target)
    m, width = features.shape
    drops = np.zeros((width, repeats), dtype=np.float64)
    for j in range(width):
        if used is not None and not used[j]:
            for _ in range(repeats):  # the same shuffles are drawn, so the other features' values do not move
                rng.permutation(m)
            continue  # a feature the model never reads: shuffling it changes no prediction, the drop is 0
        batch = np.tile(features, (repeats, 1))
        for r in range(repeats):
            batch[r * m : (r + 1) * m, j] = features[rng.permutation(m), j]
        predictions = predict(batch)
        for r in range(repeats):
            drops[j, r] = baseline - score(predictions[r * m : (r + 1) * m], target)
    return drops


def tree_features_used(model: object, width: int) -> np.ndarray | None:
    """Which of ``width`` features a fitted scikit-learn histogram gradient-boosting model splits on, or ``None``.

    Read from the fitted trees (``_predictors``: every non-leaf node's feature); ``None`` when the model does not
    expose them (another model type, another scikit-learn layout), in which case every feature counts as used.
    """
    predictors = getattr(model, "_predictors", None)
    if not isinstance(predictors, list):
        return None
    used = np.zeros(width, dtype=bool)
    try:
        for iteration in predictors:
            for tree in iteration:
                nodes = tree.nodes
                features = np.asarray(nodes["feature_idx"])[~np.asarray(nodes["is_leaf"]).astype(bool)]
                used[features[(features >= 0) & (features < width)]] = True
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return None
    return used
