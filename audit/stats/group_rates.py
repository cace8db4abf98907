"""Per-group selection, true- and false-positive rates of several models under many row weightings, vectorised.

Pure array functions behind ``balance.downstream_fairness``: the weighted counts of every model and group
(one matrix product for all resamples) and the fairness differences fairlearn defines from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroupCounts:
    """Weighted counts per resample (rows of the weight matrix) × model × group.

    ``rows`` and ``positives`` have shape (resamples, groups); ``selected`` and ``true_positives`` have shape
    (resamples, models, groups).
    """

    rows: np.ndarray
    positives: np.ndarray
    selected: np.ndarray
    true_positives: np.ndarray


def group_counts(
    predictions: np.ndarray, truth: np.ndarray, codes: np.ndarray, groups: int, weights: np.ndarray
) -> GroupCounts:
    """Counts behind selection, true- and false-positive rates of every model and group under each weighting.

    ``predictions`` is (models × rows) of 0/1, ``truth`` (rows,) of 0/1, ``codes`` (rows,) group codes in
    ``0 … groups−1`` (−1: left out), ``weights`` (resamples × rows), e.g. bootstrap counts or a row of ones.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(truth, dtype=np.float64)
    onehot = np.zeros((len(codes), groups), dtype=np.float64)
    kept = codes >= 0
    onehot[np.flatnonzero(kept), codes[kept]] = 1.0
    models = predictions.shape[0]
    blocks = [onehot, onehot * y[:, None]]
    for k in range(models):
        blocks.append(onehot * predictions[k][:, None])
    for k in range(models):
        blocks.append(onehot * (predictions[k] * y)[:, None])
    counts = np.asarray(weights, dtype=np.float64) @ np.hstack(blocks)
    resamples = counts.shape[0]
    rows = counts[:, :groups]
    positives = counts[:, groups : 2 * groups]
    selected = counts[:, 2 * groups : (2 + models) * groups].reshape(resamples, models, groups)
    true_positives = counts[:, (2 + models) * groups :].reshape(resamples, models, groups)
    return GroupCounts(rows, positives, selected, true_positives)


def parity_differences(
    counts: GroupCounts, parity_groups: np.ndarray, odds_groups: np.ndarray
) -> dict[str, np.ndarray]:
    """Demographic-parity and equalised-odds differences and the selection-rate ratio, per resample × model.

    As fairlearn defines them (``method="between_groups"``): the demographic-parity difference is the largest
    minus the smallest group selection rate over ``parity_groups``; the equalised-odds difference is the
    larger of the same spread of true-positive rates and of false-positive rates over ``odds_groups``; the
    selection-rate ratio is the smallest over the largest selection rate (the four-fifths rule's ratio).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = counts.rows[:, None, :]
        positives = counts.positives[:, None, :]
        negatives = rows - positives
        selection = counts.selected / rows
        tpr = counts.true_positives / positives
        fpr = (counts.selected - counts.true_positives) / negatives
        sel = selection[:, :, parity_groups]
        dp = np.nanmax(sel, axis=2) - np.nanmin(sel, axis=2)
        high = np.nanmax(sel, axis=2)
        ratio = np.where(high > 0, np.nanmin(sel, axis=2) / np.where(high > 0, high, 1.0), 1.0)
        if len(odds_groups) >= 2:
            t, f = tpr[:, :, odds_groups], fpr[:, :, odds_groups]
            eo = np.maximum(np.nanmax(t, axis=2) - np.nanmin(t, axis=2), np.nanmax(f, axis=2) - np.nanmin(f, axis=2))
        else:
            eo = np.full(dp.shape, np.nan)
    return {"dp": dp, "eo": eo, "ratio": ratio}
