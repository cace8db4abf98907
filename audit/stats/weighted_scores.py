"""Model scores under many row weightings at once: ROC AUC, macro-F1 and R², one value per weight row.

Pure array functions for bootstrap confidence: each row of ``weights`` (resamples × rows) is, e.g., a
resample's counts, and the score is that of the resampled data, computed without materialising it.
"""

from __future__ import annotations

import numpy as np


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``scores`` for boolean ``labels`` under each row of row ``weights`` (resamples × rows).

    With integer weights (bootstrap counts) each row is the AUC of the resampled data: the chance that a
    random positive outscores a random negative, ties counting ½. Sorted once, then cumulative sums of
    negative weights per distinct score, so all resamples cost O(resamples × rows). A resample without
    both classes gives NaN. Range [0, 1]; 0.5 for uninformative scores.
    """
    order = np.argsort(scores, kind="stable")
    ordered = np.asarray(scores, dtype=np.float64)[order]
    positive = np.asarray(labels).astype(bool)[order]
    w = np.asarray(weights, dtype=np.float64)[:, order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    group_pos = np.add.reduceat(w * positive, starts, axis=1)
    group_neg = np.add.reduceat(w * ~positive, starts, axis=1)
    below = np.cumsum(group_neg, axis=1) - group_neg
    wins = (group_pos * (below + 0.5 * group_neg)).sum(axis=1)
    pairs = group_pos.sum(axis=1) * group_neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / np.where(pairs > 0, pairs, 1.0), np.nan)


def weighted_macro_f1(predicted: np.ndarray, truth: np.ndarray, weights: np.ndarray, n_classes: int) -> np.ndarray:
    """Macro-averaged F1 of class codes ``predicted`` against ``truth`` under each row of ``weights``.

    F1 of a class is ``2·TP / (2·TP + FP + FN)``; the macro average runs over the classes present in the
    (weighted) truth, as ``sklearn.metrics.f1_score(..., labels=<classes in truth>, average="macro")``.
    Range [0, 1]; 1 when every prediction is right.
    """
    w = np.asarray(weights, dtype=np.float64)
    eye = np.eye(n_classes, dtype=np.float64)
    true_hot = eye[truth]
    predicted_hot = eye[predicted]
    true_count = w @ true_hot
    predicted_count = w @ predicted_hot
    hits = w @ (true_hot * predicted_hot)
    present = true_count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(present, 2.0 * hits / np.where(present, true_count + predicted_count, 1.0), 0.0)
        return np.asarray(f1.sum(axis=1) / present.sum(axis=1), dtype=np.float64)


def weighted_r2(predicted: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Coefficient of determination ``1 − SS_res / SS_tot`` under each row of ``weights``.

    Range (−∞, 1]; 1 for perfect predictions, 0 for predicting the (weighted) mean; NaN when the weighted
    truth is constant.
    """
    w = np.asarray(weights, dtype=np.float64)
    centre = float(np.mean(truth))
    y = np.asarray(truth, dtype=np.float64) - centre
    residual = w @ (y - (np.asarray(predicted, dtype=np.float64) - centre)) ** 2
    total_weight = w.sum(axis=1)
    total = w @ (y * y) - (w @ y) ** 2 / total_weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 1e-12 * np.maximum(w @ (y * y), 1e-300), 1.0 - residual / total, np.nan)
