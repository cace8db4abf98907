"""Word order as numbers: how many of a text's word n-grams occur in the real texts, leaving the text itself out.

Sentence embeddings are close to bags of words: a text whose words were shuffled keeps its vocabulary, its
length and its topic, and most of its embedding. Its word *pairs* and *triples* are another matter: "of the",
"has been", "the prime minister" recur across real texts, while the pairs of a shuffled text ("the of",
"minister been") almost never do. :class:`NgramTable` counts, for each word n-gram, the real texts it occurs
in; :meth:`NgramTable.seen_share` scores a text by the share of its distinct n-grams that occur in at least one
*other* real text.

No leakage: one occurrence of the scored text itself is left out of the counts whenever its exact text is one
of the table's texts (leave-one-out for the real rows the table was built on, and the same rule for any other
row with that text). The score is a function of the text and the table alone, never of which file the row came
from, so a real row, a holdout row and a verbatim copy of a real row with the same text score the same; a real
row and a holdout row differ only in that the first is compared with one text fewer.

Everything is vectorised: words are hashed to ``uint64`` (pandas' stable hash), n-grams combine the word
hashes, and counting and lookups are ``np.unique`` / ``np.searchsorted`` over sorted hashes (collisions of
64-bit hashes are negligible at any corpus size this runs on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.artefacts import ngrams

__all__ = ["ORDER_NGRAMS", "TABLE_ROWS", "NgramTable", "ngram_hashes", "order_features", "text_hashes", "word_hashes"]


def word_hashes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(text positions, word hashes)`` of every word of every text in order; missing texts have no words.

    Words and their hashes are those of :mod:`synthaudit.artefacts.ngrams` (lower-cased runs of letters, digits
    and underscores), so a word n-gram means the same here as in the contamination scan.
    """
    texts = values.reset_index(drop=True).astype("string").fillna("").tolist()
    hashes, counts = ngrams.word_hashes(ngrams.word_lists(texts))
    return np.repeat(np.arange(len(texts), dtype=np.int64), counts), hashes


def ngram_hashes(positions: np.ndarray, words: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(text positions, n-gram hashes)`` of every run of ``n`` consecutive words inside one text."""
    if n < 1:
        raise ValueError("n-grams need n >= 1")
    if len(positions) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    counts = np.bincount(positions)
    grams, owner = ngrams.gram_hashes(words, counts, n)
    return owner.astype(np.int64, copy=False), grams


def text_hashes(values: pd.Series) -> np.ndarray:
    """A ``uint64`` hash of each whole text (missing texts hash like the empty string)."""
    return np.asarray(pd.util.hash_array(values.astype("string").fillna("").to_numpy(dtype=object)), np.uint64)


def _distinct_pairs(positions: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(text position, n-gram hash)`` pairs (each n-gram once per text)."""
    if not len(hashes):
        return positions, hashes
    order = np.lexsort((hashes, positions))
    p, h = positions[order], hashes[order]
    first = np.ones(len(h), dtype=bool)
    first[1:] = (p[1:] != p[:-1]) | (h[1:] != h[:-1])
    return p[first], h[first]


@dataclass(frozen=True)
class NgramTable:
    """Document frequencies of word n-grams over a set of real texts, and the hashes of those texts.

    ``ngrams`` (sorted, distinct) and ``counts`` (the number of table texts each occurs in); ``texts`` the sorted
    hashes of the table's texts, with ``text_counts`` how often each occurs.
    """

    n: int
    ngrams: np.ndarray
    counts: np.ndarray
    texts: np.ndarray
    text_counts: np.ndarray

    @classmethod
    def fit(cls, values: pd.Series, n: int) -> NgramTable:
        """Count the texts of ``values`` (missing ones ignored) each word n-gram occurs in."""
        values = values[values.notna()].reset_index(drop=True)
        positions, words = word_hashes(values)
        _, grams = _distinct_pairs(*ngram_hashes(positions, words, n))
        ngrams, counts = np.unique(grams, return_counts=True)
        texts, text_counts = np.unique(text_hashes(values), return_counts=True)
        return cls(n, ngrams, counts.astype(np.int64), texts, text_counts.astype(np.int64))

    def seen_share(self, values: pd.Series) -> np.ndarray:
        """Per text, the share of its distinct word n-grams that occur in another table text (NaN: none to score).

        Range [0, 1]; real prose scores well above shuffled words of the same vocabulary. A text that is itself
        one of the table's texts has one occurrence of its own n-grams left out. Texts with fewer than ``n``
        words, and missing texts, are NaN.
        """
        values = values.reset_index(drop=True)
        positions, words = word_hashes(values)
        positions, grams = _distinct_pairs(*ngram_hashes(positions, words, self.n))
        counts = self._lookup(grams)
        own = np.isin(text_hashes(values), self.texts).astype(np.int64)
        seen = (counts - own[positions]) >= 1
        total = np.bincount(positions, minlength=len(values)).astype(np.float64)
        hits = np.bincount(positions, weights=seen.astype(np.float64), minlength=len(values))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, hits / np.where(total > 0, total, 1.0), np.nan)
        share[values.isna().to_numpy()] = np.nan
        return share

    def _lookup(self, grams: np.ndarray) -> np.ndarray:
        """The table count of each hash in ``grams`` (0 when absent)."""
        if not len(self.ngrams) or not len(grams):
            return np.zeros(len(grams), np.int64)
        at = np.minimum(np.searchsorted(self.ngrams, grams), len(self.ngrams) - 1)
        return np.where(self.ngrams[at] == grams, self.counts[at], 0)


ORDER_NGRAMS = (2, 3)
"""The word n-gram lengths of :func:`order_features`: pairs and triples."""
TABLE_ROWS = 200_000
"""Real texts (a seeded sample past this many) an n-gram table is built from."""


def order_features(tables: tuple[NgramTable, ...], values: pd.Series) -> np.ndarray:
    """Texts × tables: each text's :meth:`NgramTable.seen_share` under each table (NaN where undefined)."""
    if not tables:
        return np.zeros((len(values), 0))
    return np.column_stack([table.seen_share(values) for table in tables])
