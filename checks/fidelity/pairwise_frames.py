"""What ``fidelity.pairwise`` computes from each frame, and how it compares a candidate with the base.

Helpers of :mod:`synthaudit.checks.fidelity.pairwise` (no check here). Contingency tables are counted through
the mergeable :class:`synthaudit.stats.tables.ContingencyTables` state (one partition in the local engine).
With many columns the pairs are a seeded sample (:func:`choose_pairs`): the work grows with the number of
sampled pairs, not with the square of the column count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from synthaudit.artefacts.coding import ColumnCoding, column_numbers
from synthaudit.stats.association import (
    centred_ranks,
    contingency_similarity,
    cramers_v,
    eta_from_sums,
    pearson_pairwise,
)
from synthaudit.stats.tables import ContingencyTables

__all__ = ["FrameStatistics", "PairScores", "choose_pairs", "column_score_sd", "frame_statistics", "pair_scores"]

_HALF_NORMAL_SD = math.sqrt(1.0 - 2.0 / math.pi)
"""SD of |Z| for a standard normal Z: the spread of an absolute difference of two noisy estimates."""


def choose_pairs(p: int, limit: int, rng: np.random.Generator) -> tuple[tuple[int, int], ...]:
    """Every pair ``i < j`` of ``p`` columns when there are at most ``limit``, else a seeded sample of ``limit``.

    The sample is drawn in rounds of a random perfect matching of the columns (plus one extra pair for an odd
    column out), so every column takes part in about ``2·limit/p`` pairs and none is left out. Sorted.
    """
    if p * (p - 1) // 2 <= limit:
        return tuple(combinations(range(p), 2))
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < limit:
        order = rng.permutation(p)
        matched = order[: p - p % 2].reshape(-1, 2)
        if p % 2:
            matched = np.vstack([matched, [order[-1], order[int(rng.integers(p - 1))]]])
        for a, b in matched.tolist():
            chosen.add((min(a, b), max(a, b)))
            if len(chosen) == limit:
                break
    return tuple(sorted(chosen))


@dataclass(frozen=True)
class FrameStatistics:
    """Everything the check compares, computed from one frame: small arrays only.

    ``pair_association`` holds the Spearman / Cramér's V / η of each pair in ``pairs``; ``association`` the
    full (columns × columns) matrix when every pair is measured (``None`` for a sample of pairs); ``tables``
    the 2-D count table of each pair of codes; ``missing_correlation`` the correlation of the missing-value
    indicators of the columns listed in ``missing_columns`` (positions); ``rows`` the number of rows.
    """

    pairs: tuple[tuple[int, int], ...]
    pair_association: np.ndarray
    association: np.ndarray | None
    tables: dict[tuple[int, int], np.ndarray]
    missing_correlation: np.ndarray
    rows: int


def _association_matrix(
    frame: pd.DataFrame, wide: np.ndarray, coding: ColumnCoding, tables: dict[tuple[int, int], np.ndarray]
) -> np.ndarray:
    """Spearman / Cramér's V / η of every pair of columns, as a symmetric matrix with 1 on the diagonal."""
    p = wide.shape[0]
    association = np.eye(p)
    numeric = [i for i in range(p) if coding.numeric[i]]
    categorical = [i for i in range(p) if not coding.numeric[i]]
    for i, j in combinations(categorical, 2):
        association[i, j] = association[j, i] = cramers_v(tables[i, j])
    if numeric:
        ranks, present = centred_ranks([column_numbers(frame[coding.columns[i]]) for i in numeric])
        association[np.ix_(numeric, numeric)] = pearson_pairwise(ranks, present)
        squares = ranks * ranks
        for c in categorical:
            groups, k = wide[c], coding.levels[c]
            shape = (k, len(numeric))
            counts, sums, sum_squares = np.empty(shape), np.empty(shape), np.empty(shape)
            all_rows = np.bincount(groups, minlength=k)
            for q in range(len(numeric)):
                counts[:, q] = all_rows if present is None else np.bincount(groups, present[q], minlength=k)
                sums[:, q] = np.bincount(groups, ranks[q], minlength=k)
                sum_squares[:, q] = np.bincount(groups, squares[q], minlength=k)
            eta = eta_from_sums(counts, sums, sum_squares)
            association[c, numeric] = eta
            association[numeric, c] = eta
    return association


def _pair_associations(
    frame: pd.DataFrame,
    wide: np.ndarray,
    coding: ColumnCoding,
    tables: dict[tuple[int, int], np.ndarray],
    pairs: Sequence[tuple[int, int]],
) -> np.ndarray:
    """The association of each listed pair only (the same measures as :func:`_association_matrix`)."""
    numeric = sorted({c for ij in pairs for c in ij if coding.numeric[c]})
    slot = {c: q for q, c in enumerate(numeric)}
    ranks, present = centred_ranks([column_numbers(frame[coding.columns[c]]) for c in numeric])
    out = np.empty(len(pairs))
    for n, (i, j) in enumerate(pairs):
        if not coding.numeric[i] and not coding.numeric[j]:
            out[n] = cramers_v(tables[i, j])
        elif coding.numeric[i] and coding.numeric[j]:
            rows = [slot[i], slot[j]]
            out[n] = pearson_pairwise(ranks[rows], None if present is None else present[rows])[0, 1]
        else:
            c, q = (j, slot[i]) if coding.numeric[i] else (i, slot[j])
            groups, k = wide[c], coding.levels[c]
            weights = np.ones(wide.shape[1]) if present is None else present[q]
            counts = np.bincount(groups, weights, minlength=k)[:, None]
            sums = np.bincount(groups, ranks[q], minlength=k)[:, None]
            squares = np.bincount(groups, ranks[q] * ranks[q], minlength=k)[:, None]
            out[n] = eta_from_sums(counts, sums, squares)[0]
    return out


def frame_statistics(
    frame: pd.DataFrame,
    codes: np.ndarray,
    coding: ColumnCoding,
    missing_columns: Sequence[int],
    pairs: Sequence[tuple[int, int]] | None = None,
) -> FrameStatistics:
    """Associations, pair tables and missing-indicator correlations of one coded frame.

    ``pairs`` defaults to every pair; a subset measures only those pairs (no association matrix then).
    """
    p, n = codes.shape
    chosen = tuple(combinations(range(p), 2)) if pairs is None else tuple(pairs)
    wide = codes.astype(np.intp)  # bincount's native index type: no cast per pair
    tables = ContingencyTables(coding.levels, chosen).update(wide).finalise()
    if len(chosen) == p * (p - 1) // 2:  # every pair (pairs are distinct)
        association: np.ndarray | None = _association_matrix(frame, wide, coding, tables)
        assert association is not None
        pair_association = np.array([association[i, j] for i, j in chosen])
    else:
        association = None
        pair_association = _pair_associations(frame, wide, coding, tables, chosen)
    if len(missing_columns) >= 2:
        indicators = np.stack([codes[i] == coding.levels[i] - 1 for i in missing_columns])
        missing_correlation = pearson_pairwise(indicators.astype(np.float64), None)
    else:
        missing_correlation = np.eye(len(missing_columns))
    return FrameStatistics(chosen, pair_association, association, tables, missing_correlation, n)


@dataclass(frozen=True)
class PairScores:
    """Per-pair comparison of a candidate with the base: arrays indexed like ``pairs``."""

    pairs: tuple[tuple[int, int], ...]
    base_association: np.ndarray
    candidate_association: np.ndarray
    association: np.ndarray
    contingency: np.ndarray

    @property
    def combined(self) -> np.ndarray:
        """The pair score: mean of the association score and the contingency similarity."""
        return 0.5 * (self.association + self.contingency)

    def column_means(self, p: int, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over the pairs each of the ``p`` columns takes part in."""
        sums, counts = np.zeros(p), np.zeros(p)
        for (i, j), v in zip(self.pairs, values, strict=True):
            sums[[i, j]] += v
            counts[[i, j]] += 1
        return sums / np.maximum(counts, 1)

    def column_pairs(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """(pairs each column takes part in, index of each column's lowest-scoring pair; −1 for none)."""
        involved = np.zeros(p, dtype=np.int64)
        worst = np.full(p, -1, dtype=np.int64)
        combined = self.combined
        for n, ij in enumerate(self.pairs):
            for c in ij:
                involved[c] += 1
                if worst[c] < 0 or combined[n] < combined[worst[c]]:
                    worst[c] = n
        return involved, worst


def pair_scores(base: FrameStatistics, candidate: FrameStatistics) -> PairScores:
    """Association score and contingency similarity of every measured pair, candidate against base."""
    if base.pairs != candidate.pairs:
        raise ValueError("both frames must measure the same pairs")
    pairs = base.pairs
    a_base, a_cand = base.pair_association, candidate.pair_association
    association = np.clip(1.0 - np.abs(a_cand - a_base) / 2.0, 0.0, 1.0)
    contingency = np.array([contingency_similarity(base.tables[ij], candidate.tables[ij]) for ij in pairs])
    return PairScores(pairs, a_base, a_cand, association, contingency)


def column_score_sd(base: FrameStatistics, pairs: Sequence[tuple[int, int]], p: int, candidate_rows: int) -> np.ndarray:
    """Analytic sampling SD of each column's mean pair score, for a clean candidate of ``candidate_rows``."""
    scale = math.sqrt(1.0 / max(base.rows, 1) + 1.0 / max(candidate_rows, 1))
    sigma_assoc = 0.5 * _HALF_NORMAL_SD * scale
    pair_sd = np.empty(len(pairs))
    for k, ij in enumerate(pairs):
        shares = base.tables[ij] / max(base.rows, 1)
        sigma_cont = 0.5 * _HALF_NORMAL_SD * math.sqrt(float((shares * (1.0 - shares)).sum())) * scale
        pair_sd[k] = 0.5 * math.sqrt(sigma_assoc**2 + sigma_cont**2)
    members: list[list[float]] = [[] for _ in range(p)]
    for k, (i, j) in enumerate(pairs):
        members[i].append(float(pair_sd[k]))
        members[j].append(float(pair_sd[k]))
    out = np.zeros(p)
    for c in range(p):
        sd = np.array(members[c])
        if len(sd):
            # Pairs of one column share that column's noise: correlation (1 shared / 2 columns)² = 1/4.
            total = float(sd.sum())
            variance = (0.75 * float((sd * sd).sum()) + 0.25 * total * total) / len(sd) ** 2
            out[c] = math.sqrt(variance)
    return out
