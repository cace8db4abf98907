"""Group shares on two sides and their effect size: Cohen's h, and a chi-square test of homogeneity.

Pure functions behind ``balance.representation``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cohens_h(p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """Cohen's h between proportions: ``|2·asin√q − 2·asin√p|``.

    The arcsine square root stabilises the variance of a proportion: an estimate from ``n`` rows has variance
    about ``1/n`` whatever the proportion, so one standard error fits every group. Range [0, π]; 0 for equal
    shares; π for 0 against 1. Cohen calls 0.2 a small effect, 0.5 medium, 0.8 large.
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
    return np.abs(2.0 * np.arcsin(np.sqrt(q)) - 2.0 * np.arcsin(np.sqrt(p)))


def group_shares(base: np.ndarray, candidate: np.ndarray) -> pd.DataFrame:
    """Row counts and shares of every group label on both sides (index: the union of labels, sorted).

    Columns ``base_rows``, ``candidate_rows``, ``base_share``, ``candidate_share``, ``share_difference``
    (candidate − base), ``ratio`` (candidate share / base share, NaN when the base lacks the group) and
    ``cohens_h``.
    """
    b = pd.Series(base, dtype=object).value_counts()
    c = pd.Series(candidate, dtype=object).value_counts()
    index = b.index.union(c.index).sort_values()
    frame = pd.DataFrame(
        {
            "base_rows": b.reindex(index, fill_value=0).astype(np.int64),
            "candidate_rows": c.reindex(index, fill_value=0).astype(np.int64),
        },
        index=index,
    )
    frame["base_share"] = frame["base_rows"] / max(len(base), 1)
    frame["candidate_share"] = frame["candidate_rows"] / max(len(candidate), 1)
    frame["share_difference"] = frame["candidate_share"] - frame["base_share"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["ratio"] = np.where(
            frame["base_share"] > 0,
            frame["candidate_share"] / frame["base_share"].where(frame["base_share"] > 0),
            np.nan,
        )
    frame["cohens_h"] = cohens_h(frame["base_share"].to_numpy(), frame["candidate_share"].to_numpy())
    return frame


def chi_square_homogeneity(frame: pd.DataFrame) -> tuple[float, int, float]:
    """Chi-square test of homogeneity of the group counts (information only): statistic, dof, p-value."""
    from scipy.stats import chi2_contingency

    table = frame[["base_rows", "candidate_rows"]].to_numpy().T
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 0, 1.0
    result = chi2_contingency(table, correction=False)
    return float(result.statistic), int(result.dof), float(result.pvalue)
