"""Scoring one method on one text column against the reference, for ``leakage.text_near_duplicates``.

A helper module, not a check: the cut-off is the reference texts' score quantile, and the outcome is the
share of synthetic texts past it (exact copies aside) beside the reference's share at matched size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthaudit.check import (
    Margin,
)
from synthaudit.stats.proportions import pooled_difference_se_counts


@dataclass
class Outcome:
    """One method on one column: shares of near-duplicates and what the verdict needs."""

    column: str
    method: str
    syn_share: float
    ref_share: float
    cutoff: float | None
    n_syn: int
    n_ref: int
    se: float
    flagged_rows: np.ndarray
    fail_delta: float = 0.0

    @property
    def severity(self) -> float:
        """Excess over the reference in units of the fail margin (≥ 1 fails)."""
        return (self.syn_share - self.ref_share) / self.fail_delta if self.fail_delta > 0 else 0.0


def _above(scores: np.ndarray, cutoff: float) -> np.ndarray:
    """Scores past the cut-off; when the cut-off is the top score (1), scores at the top count."""
    if cutoff >= 1.0 - 1e-6:
        return scores >= 1.0 - 1e-6
    return scores > cutoff


def method_outcome(
    column: str,
    method: str,
    syn: tuple[np.ndarray, np.ndarray, np.ndarray],
    ref: tuple[np.ndarray, np.ndarray],
    quantile: float,
    margin: Margin,
) -> Outcome:
    """Share of candidate texts that are not exact copies and score past the reference's quantile."""
    syn_scores, syn_exact, syn_rows = syn
    ref_scores, ref_exact = ref
    if method == "exact":
        cutoff = None
        syn_flag, ref_flag = syn_exact, ref_exact
        order = np.arange(len(syn_flag))
    else:
        near = ref_scores[~ref_exact]
        cutoff = float(np.quantile(near, quantile)) if len(near) else 1.0
        syn_flag = ~syn_exact & _above(syn_scores, cutoff)
        ref_flag = ~ref_exact & _above(ref_scores, cutoff)
        order = np.argsort(-syn_scores, kind="stable")
    x_syn, x_ref = int(syn_flag.sum()), int(ref_flag.sum())
    se = pooled_difference_se_counts(x_syn, len(syn_flag), x_ref, len(ref_flag))
    flagged = syn_rows[order[syn_flag[order]]]
    out = Outcome(
        column, method, x_syn / len(syn_flag), x_ref / len(ref_flag), cutoff, len(syn_flag), len(ref_flag), se, flagged
    )
    out.fail_delta = max(margin.fail_floor, margin.fail_se * se)
    return out
