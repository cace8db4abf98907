"""ROC AUC and its standard error: the effect size of every classifier and attack test in the audit."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["auc_null_standard_error", "auc_standard_error", "roc_auc"]


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive outscores a random negative (ties ½).

    Computed as the Mann–Whitney U statistic from average ranks. ``labels`` are booleans (or 0/1), both
    classes present. Range [0, 1]; 0.5 for scores that carry no information, 1 when every positive
    outscores every negative; ``roc_auc(s, y) == 1 - roc_auc(s, ~y)``.
    """
    from scipy.stats import rankdata

    positive = np.asarray(labels).astype(bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both classes")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley–McNeil (1982) standard error of an AUC estimated from ``n_pos`` positives and ``n_neg`` negatives.

    ``SE² = [A(1−A) + (n_pos−1)(Q1−A²) + (n_neg−1)(Q2−A²)] / (n_pos·n_neg)`` with ``Q1 = A/(2−A)`` and
    ``Q2 = 2A²/(1+A)``. Values below 0.5 (noise around "cannot tell apart") are taken at 0.5, where the
    formula reduces to the null ``sqrt((n_pos+n_neg+1)/(12·n_pos·n_neg))``; with balanced classes the error
    is largest there and shrinks to 0 as the AUC approaches 1.
    """
    a = min(max(float(auc), 0.5), 1.0)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a * a / (1.0 + a)
    variance = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return math.sqrt(max(variance, 0.0))


def auc_null_standard_error(n_pos: int, n_neg: int) -> float:
    """Standard error of an AUC when the scores carry no information: ``sqrt((n_pos+n_neg+1)/(12·n_pos·n_neg))``."""
    return math.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg))
