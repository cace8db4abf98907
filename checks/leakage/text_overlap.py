"""How close each synthetic text comes to the real texts: best MinHash-LSH Jaccard and verbatim n-gram overlap.

A helper module of ``leakage.text_near_duplicates``, not a check. Signatures come from the one MinHash of
:mod:`synthaudit.artefacts.minhash`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthaudit.artefacts.minhash import (
    ShingleKind,
    ShingleSets,
    band_keys,
    pair_jaccard,
    rolling,
    segment_positions,
    sorted_unique,
    word_units,
)

_QUERY_CHUNK = 20_000
"""Query texts looked up in the LSH index at a time."""


def is_member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each value occurs in ``sorted_set`` (sorted, unique)."""
    if len(sorted_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    pos = np.minimum(np.searchsorted(sorted_set, ordered), len(sorted_set) - 1)
    out = np.empty(len(values), dtype=bool)
    out[order] = sorted_set[pos] == ordered
    return out


def text_hashes(texts: pd.Series) -> np.ndarray:
    """A deterministic 64-bit hash of each (normalised) text."""
    return pd.util.hash_array(texts.to_numpy(dtype=object))


@dataclass
class LshIndex:
    """Base texts' MinHash signatures and, per band, their keys sorted for lookup."""

    texts: Sequence[str]
    kind: ShingleKind
    k: int
    bands: int
    signatures: np.ndarray
    sorted_keys: np.ndarray = field(init=False)
    order: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        keys = band_keys(self.signatures, self.bands)
        self.order = np.argsort(keys, axis=1, kind="stable")
        self.sorted_keys = np.take_along_axis(keys, self.order, axis=1)

    def candidates(self, keys: np.ndarray, max_bucket: int) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (query, base) pairs sharing a band key; at most ``max_bucket`` base texts per bucket."""
        n_base = len(self.signatures)
        codes = []
        for band in range(self.bands):
            low = np.searchsorted(self.sorted_keys[band], keys[band], side="left")
            high = np.searchsorted(self.sorted_keys[band], keys[band], side="right")
            counts = np.minimum(high - low, max_bucket)
            query = np.repeat(np.arange(keys.shape[1], dtype=np.int64), counts)
            base = self.order[band][segment_positions(low, counts)]
            codes.append(query * n_base + base)
        unique = sorted_unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
        return unique // max(n_base, 1), unique % max(n_base, 1)


def best_jaccard(
    queries: Sequence[str],
    signatures: np.ndarray,
    index: LshIndex,
    *,
    max_bucket: int,
    verify_top: int,
) -> np.ndarray:
    """Per query text, the largest exact Jaccard over its LSH candidates among the base texts (0 when none).

    ``signatures`` are the queries' MinHash signatures (as many permutations as the index's). Candidates
    share all rows of at least one band; each query's ``verify_top`` candidates with the highest estimated
    Jaccard are verified exactly.
    """
    best = np.zeros(len(queries), dtype=np.float64)
    for start in range(0, len(queries), _QUERY_CHUNK):
        chunk = queries[start : start + _QUERY_CHUNK]
        chunk_signatures = signatures[start : start + _QUERY_CHUNK]
        qi, bi = index.candidates(band_keys(chunk_signatures, index.bands), max_bucket)
        if len(qi) == 0:
            continue
        estimate = np.empty(len(qi), dtype=np.float64)
        for s in range(0, len(qi), 100_000):
            estimate[s : s + 100_000] = np.mean(
                chunk_signatures[qi[s : s + 100_000]] == index.signatures[bi[s : s + 100_000]], axis=1
            )
        order = np.lexsort((-estimate, qi))
        qi, bi = qi[order], bi[order]
        first = np.searchsorted(qi, qi, side="left")
        keep = np.arange(len(qi)) - first < verify_top
        qi, bi = qi[keep], bi[keep]
        queries_used = sorted_unique(qi)
        bases_used = sorted_unique(bi)
        query_sets = ShingleSets.build([chunk[i] for i in queries_used], index.kind, index.k)
        base_sets = ShingleSets.build([index.texts[i] for i in bases_used], index.kind, index.k)
        scores = pair_jaccard(query_sets, base_sets, np.searchsorted(queries_used, qi), np.searchsorted(bases_used, bi))
        np.maximum.at(best, start + qi, scores)
    return best


def ngram_size(base_token_counts: np.ndarray, longest: int = 13, shortest: int = 5) -> int:
    """``min(longest, max(shortest, median token count // 2))``: long n-grams, shorter for short texts."""
    median = float(np.median(base_token_counts)) if len(base_token_counts) else 0.0
    return int(min(longest, max(shortest, int(median // 2))))


def ngram_set(units: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct hashes of the word n-grams of every text."""
    hashes, _ = rolling(units, lengths, n, pad=False)
    return sorted_unique(hashes)


def ngram_fraction(units: np.ndarray, lengths: np.ndarray, n: int, base_set: np.ndarray) -> np.ndarray:
    """Per text, the share of its word n-grams found in ``base_set`` (0 without n-grams)."""
    hashes, counts = rolling(units, lengths, n, pad=False)
    owner = np.repeat(np.arange(len(lengths)), counts)
    hits = np.bincount(owner[is_member(hashes, base_set)], minlength=len(lengths))
    return np.where(counts > 0, hits / np.maximum(counts, 1), 0.0)


def ngram_overlap(queries: Sequence[str], base: Sequence[str], n: int) -> np.ndarray:
    """Share of each query's word ``n``-grams that occur verbatim in some base text (0 without n-grams).

    Texts are expected normalised; a query with fewer than ``n`` words has no n-gram and scores 0.
    """
    base_units, base_lengths = word_units(base)
    units, lengths = word_units(queries)
    return ngram_fraction(units, lengths, n, ngram_set(base_units, base_lengths, n))
