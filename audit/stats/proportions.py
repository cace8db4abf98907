"""Proportions: standard errors of share differences, interval estimates, attack risk.

Every share comparison in the audit (copy rates, duplicate rates, PII rates, attack success rates) is a
difference of two binomial proportions; its standard error lives here once.
"""

from __future__ import annotations

import math

__all__ = [
    "binomial_difference_se",
    "clustered_null_difference_se",
    "normalised_risk",
    "null_difference_se",
    "pooled_difference_se",
    "pooled_difference_se_counts",
    "wilson_interval",
]


def pooled_difference_se(p1: float, n1: int, p2: float, n2: int) -> float:
    """Standard error of ``p1 − p2`` when both shares are equal (pooled), from shares and sample sizes.

    ``sqrt(p̄(1−p̄)(1/n1 + 1/n2))`` with ``p̄`` the pooled share; 0 when the pooled share is 0 or 1. Empty
    samples count as one row (no division by zero).
    """
    pooled = (p1 * n1 + p2 * n2) / max(n1 + n2, 1)
    return math.sqrt(pooled * (1 - pooled) * (1 / max(n1, 1) + 1 / max(n2, 1)))


def null_difference_se(successes: int, trials: int, n1: int, n2: int) -> float:
    """Standard error of the difference of two shares over ``n1`` and ``n2`` rows when both equal a null share.

    The null share is estimated by Laplace's rule, ``(successes + 1) / (trials + 2)``, from reference evidence
    only (for example the reference rows' copies and the base rows' collisions among themselves), never from
    the sample under test: a pooled estimate that includes it widens the margin with the very excess it
    should detect (20 copies in 2,000 synthetic rows, none in 1,000 holdout rows, pass a 5-SE pooled margin).
    Laplace's rule keeps a non-zero spread when the reference shows no success at all.
    """
    share = (successes + 1) / (max(trials, 0) + 2)
    return math.sqrt(share * (1 - share) * (1 / max(n1, 1) + 1 / max(n2, 1)))


def clustered_null_difference_se(hits: int, trials: int, square_sum: int, n1: int) -> float:
    """:func:`null_difference_se` when the null share comes from real rows that hit in clusters.

    The null here is the share of ``trials`` real rows that another real row equals (``hits`` of them); such
    rows come in groups (a key held by ``g ≥ 2`` rows gives ``g`` hits at once), ``square_sum`` being the sum
    of ``g²`` over those groups. The null share's variance is then the cluster-robust one,
    ``((trials − hits) · p² + square_sum · (1 − p)²) / trials²`` (each distinct key a cluster), not
    ``p(1 − p) / trials``: with twin rows it is twice the binomial variance, which made clean samples warn
    (BBC sentences: SD of the clean z 1.22 with the binomial, 1.04 with this). It matches the observed
    spread of such shares within 0.89–1.11 × for shares of 2–18 % and overstates it at high shares (1.3 × at
    49 %), where the group sizes of a fixed number of rows pull against each other. The tested share, ``n1``
    rows each compared with the real rows on its own, keeps the binomial ``p(1 − p) / n1``. ``p`` is Laplace's
    ``(hits + 1) / (trials + 2)``, as in :func:`null_difference_se`.
    """
    share = (hits + 1) / (max(trials, 0) + 2)
    rows = max(trials, 1)
    clustered = (max(trials - hits, 0) * share**2 + square_sum * (1 - share) ** 2) / rows**2
    return math.sqrt(share * (1 - share) / max(n1, 1) + clustered)


def pooled_difference_se_counts(x1: int, n1: int, x2: int, n2: int) -> float:
    """:func:`pooled_difference_se` from counts ``x`` of successes out of ``n``."""
    pooled = (x1 + x2) / max(n1 + n2, 1)
    return math.sqrt(pooled * (1 - pooled) * (1 / max(n1, 1) + 1 / max(n2, 1)))


def binomial_difference_se(p_attack: float, n_attack: int, p_control: float, n_control: int) -> float:
    """Standard error of a difference of two success rates (pooled), never below one success in n.

    The floor keeps a margin when both rates are 0 or 1 (an attack that never or always succeeds).
    """
    pooled = (p_attack * n_attack + p_control * n_control) / max(n_attack + n_control, 1)
    variance = max(pooled * (1 - pooled), 1.0 / max(n_attack, 1))
    return math.sqrt(variance * (1 / max(n_attack, 1) + 1 / max(n_control, 1)))


def normalised_risk(attack_rate: float, control_rate: float) -> float:
    """Anonymeter's risk: the attack's excess success over the control, as a share of what is left to gain.

    Range (−∞, 1]; lower is better; 0 when the attack does no better than the control, 1 when it always
    succeeds where the control does not. A control that always succeeds leaves nothing to gain: 0.
    """
    if control_rate >= 1.0:
        return 0.0
    return (attack_rate - control_rate) / (1.0 - control_rate)


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``(0, 1)`` for no trials)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
