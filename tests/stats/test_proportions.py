"""Standard errors of share differences: the clustered null's variance is the variance it claims."""

from __future__ import annotations

import numpy as np

from synthaudit.stats.proportions import clustered_null_difference_se


def _loo_counts(keys: np.ndarray) -> tuple[int, int]:
    """Rows another row equals, and the sum of the squared sizes of their groups."""
    _, counts = np.unique(keys, return_counts=True)
    groups = counts[counts > 1]
    return int(groups.sum()), int((groups**2).sum())


def test_the_clustered_null_variance_matches_the_spread_of_twin_hits() -> None:
    """2,000 rows drawn from 20,000 keys (about 10 % hit): hits come in twins, twice the binomial variance."""
    n, pool, rounds = 2000, 20000, 400
    rng = np.random.default_rng(0)
    shares, claimed, binomial = [], [], []
    for _ in range(rounds):
        hits, squares = _loo_counts(rng.integers(0, pool, n))
        shares.append(hits / n)
        # the variance of the null share alone: the tested side's term removed by a huge n1
        claimed.append(clustered_null_difference_se(hits, n, squares, 10**12) ** 2)
        share = (hits + 1) / (n + 2)
        binomial.append(share * (1 - share) / n)
    observed = float(np.var(shares))
    assert 0.8 < float(np.mean(claimed)) / observed < 1.25
    assert float(np.mean(binomial)) / observed < 0.7  # the binomial claims far too little


def test_without_repeats_the_clustered_null_is_the_tested_side_alone() -> None:
    se = clustered_null_difference_se(0, 1000, 0, 500)
    p = 1 / 1002
    assert np.isclose(se**2, p * (1 - p) / 500 + 1000 * p**2 / 1000**2)
