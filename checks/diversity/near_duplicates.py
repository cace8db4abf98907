"""Near-duplicate texts inside one sample: MinHash LSH candidates verified by exact Jaccard.

A helper module of ``diversity.duplicates`` (not a check); see its module docstring for the search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.artefacts.minhash import (
    ShingleSets,
    band_keys,
    pair_jaccard,
    sorted_unique,
    text_signatures,
)

EVIDENCE_CAP = 20
"""Evidence is capped: row indices only, at most this many per kind."""


NUM_PERM = 128
"""MinHash permutations per signature."""


BANDS = 32
"""LSH bands (of ``NUM_PERM // BANDS`` = 4 signature values each)."""


CANDIDATE_SLACK = 0.15
"""Candidates whose signature agreement is this far below the Jaccard threshold are not verified (> 4 SD)."""


def _candidate_pairs(signatures: np.ndarray, rng: np.random.Generator, bands: int = BANDS) -> np.ndarray:
    """Pairs (i < j) of texts sharing an LSH band, neighbours in a random order within each bucket."""
    n = len(signatures)
    found = []
    for keys in band_keys(signatures, bands):
        order = np.lexsort((rng.permutation(n), keys))
        same = keys[order[1:]] == keys[order[:-1]]
        left, right = order[:-1][same], order[1:][same]
        found.append(np.minimum(left, right) * n + np.maximum(left, right))
    codes = sorted_unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    return np.stack([codes // n, codes % n], axis=1)


@dataclass(frozen=True)
class NearDuplicates:
    """Near-duplicate structure of one sample of texts.

    ``flagged``: per text, whether another text of the sample is a near-duplicate (Jaccard ≥ threshold
    on shingles, identical normalised texts included); ``cluster_sizes``: sizes of the connected groups of
    near-duplicates (2 or more texts), largest first; ``cluster_members``: per cluster, its text positions.
    """

    flagged: np.ndarray
    cluster_sizes: np.ndarray
    cluster_members: tuple[np.ndarray, ...]

    @property
    def share(self) -> float:
        """Share of texts that have a near-duplicate in their own sample."""
        return float(self.flagged.mean()) if len(self.flagged) else 0.0

    @property
    def null_variance(self) -> float:
        """Variance of :attr:`share` when clusters occur independently: Σ size² / n² (a cluster counts whole)."""
        n = len(self.flagged)
        return float(np.sum(self.cluster_sizes.astype(np.float64) ** 2)) / (n * n) if n else 0.0


def near_duplicate_clusters(
    normalised: Sequence[str],
    *,
    threshold: float,
    rng: np.random.Generator,
    width: int = 5,
    bands: int = BANDS,
    signatures: np.ndarray | None = None,
) -> NearDuplicates:
    """Find near-duplicate texts inside one sample: MinHash LSH candidates verified by exact Jaccard.

    Identical normalised texts are grouped first (they are near-duplicates of each other); LSH runs on
    the distinct texts. ``signatures`` (texts × permutations, from :mod:`synthaudit.artefacts.minhash`) are
    computed when not given; ``rng`` draws the order within buckets.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(normalised)
    codes, uniques = pd.factorize(pd.Series(list(normalised), dtype=object))
    u = len(uniques)
    edges = np.zeros((0, 2), dtype=np.int64)
    if u >= 2:
        distinct = [str(t) for t in uniques]
        if signatures is None:
            sigs = text_signatures(distinct, "char", width, NUM_PERM)
        else:
            first = np.zeros(u, dtype=np.int64)
            first[codes[::-1]] = np.arange(n)[::-1]
            sigs = signatures[first]
        pairs = _candidate_pairs(sigs, rng, bands)
        if len(pairs):
            agreement = np.empty(len(pairs), dtype=np.float64)
            for start in range(0, len(pairs), 65536):
                chunk = pairs[start : start + 65536]
                agreement[start : start + 65536] = (sigs[chunk[:, 0]] == sigs[chunk[:, 1]]).mean(axis=1)
            pairs = pairs[agreement >= threshold - CANDIDATE_SLACK]
            involved = sorted_unique(pairs.ravel())
            sets = ShingleSets.build([distinct[i] for i in involved], "char", width)
            left, right = np.searchsorted(involved, pairs[:, 0]), np.searchsorted(involved, pairs[:, 1])
            edges = pairs[pair_jaccard(sets, sets, left, right) >= threshold]
    # Texts are nodes n.. n+u-1 for the distinct strings; each text links to its string's node.
    rows = np.concatenate([np.arange(n), edges[:, 0] + n])
    cols = np.concatenate([codes + n, edges[:, 1] + n])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + u, n + u))
    _, labels = connected_components(graph, directed=False)
    text_labels = labels[:n]
    sizes = np.bincount(text_labels)
    flagged = sizes[text_labels] >= 2
    big = np.flatnonzero(sizes >= 2)
    big = big[np.lexsort((big, -sizes[big]))]
    members = tuple(np.flatnonzero(text_labels == label) for label in big[:EVIDENCE_CAP])
    return NearDuplicates(flagged=flagged, cluster_sizes=sizes[big], cluster_members=members)
