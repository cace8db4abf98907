"""The share of drifted columns and its sampling error: per-column null drift probabilities from the reference.

Pure functions behind ``fidelity.drift``.
"""

from __future__ import annotations

import math

import numpy as np


def null_drift_probability(reference_statistic: np.ndarray, threshold: np.ndarray, log_sd: float) -> np.ndarray:
    """Probability that a clean column crosses its drift threshold, estimated from its reference statistic.

    The logarithm of a distance statistic between independent samples is taken as normal with standard
    deviation ``log_sd`` around the log of its typical value; the reference statistic is one draw of it and
    the synthetic statistic of a perfect generator another, so the second exceeds ``threshold`` with
    probability ``Φ((ln r − ln t) / (√2 · log_sd))``. A statistic of 0 gives 0, ``NaN`` (no values on the
    candidate side, drifted for certain) gives 1. Values lie in [0, 1] and grow with ``r``.
    """
    r = np.asarray(reference_statistic, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    from scipy.stats import norm

    with np.errstate(divide="ignore"):
        z = (np.log(r) - np.log(t)) / (math.sqrt(2.0) * log_sd)
    p = norm.cdf(z)
    return np.where(np.isnan(r), 1.0, np.where(r <= 0, 0.0, p))


def share_difference_standard_error(probabilities: np.ndarray) -> float:
    """Standard error of the difference between two drifted-column shares, from per-column probabilities.

    Both shares count ``C`` columns that drift independently with probabilities ``p_i``, so the difference
    of the two counts has variance ``2 Σ p_i (1 − p_i)``; divided by ``C`` for shares. 0 when every
    probability is 0 or 1 (or there are no columns).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size == 0:
        return 0.0
    return float(math.sqrt(2.0 * float(np.sum(p * (1.0 - p)))) / p.size)
