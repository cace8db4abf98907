"""Word n-grams as 64-bit hashes: the decontamination rule's artefact (which texts hold an item's n-grams).

Texts are normalised (lower case; words are runs of letters and digits, so whitespace and punctuation do
not matter); each word gets a 64-bit hash, and a run of ``n`` words a hash folded from them in order. An
evaluation set's items become hash tables of their n-grams (or of the whole item when shorter), and
texts are scanned against them in vectorised passes over the flat word hashes — no loop over pairs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ItemPatterns",
    "Patterns",
    "contains_words",
    "gram_hashes",
    "item_patterns",
    "scan_texts",
    "word_hashes",
    "word_lists",
]

CHUNK_TEXTS = 50_000
"""Texts scanned at once (bounds the memory of the n-gram hashes)."""

_WORD = re.compile(r"\w+")
_MIX = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime: folds word hashes into an order-dependent n-gram hash


def word_lists(texts: Sequence[str]) -> list[list[str]]:
    """Normalised words: lower case, runs of letters and digits (whitespace and punctuation ignored)."""
    return [_WORD.findall(t.lower()) for t in texts]


def word_hashes(words: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Flat 64-bit hashes of every word (text after text) and the number of words of each text."""
    counts = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    flat = np.array(list(itertools.chain.from_iterable(words)), dtype=object)
    hashes = pd.util.hash_array(flat) if len(flat) else np.zeros(0, dtype=np.uint64)
    return hashes.astype(np.uint64, copy=False), counts


def gram_hashes(hashes: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every run of ``n`` consecutive words inside one text, and the text position of each.

    Vectorised over all texts: ``n`` passes over the flat word hashes, no loop over texts.
    """
    per_text = np.maximum(counts - n + 1, 0)
    total = int(per_text.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    owner = np.repeat(np.arange(len(counts)), per_text)
    positions = starts[owner] + (np.arange(total) - np.repeat(np.cumsum(per_text) - per_text, per_text))
    grams = np.zeros(total, dtype=np.uint64)
    for j in range(n):
        grams = (grams ^ hashes[positions + j]) * _MIX
    return grams, owner


@dataclass(frozen=True)
class Patterns:
    """Distinct hashes of one length (a hash-table index) and, for each, the eval item (position) it came from."""

    length: int
    hashes: pd.Index
    items: np.ndarray


@dataclass(frozen=True)
class ItemPatterns:
    """What the texts of one eval set contribute: its patterns, its items' words, and items too short."""

    patterns: tuple[Patterns, ...]
    item_words: list[list[str]]
    too_short: int
    boilerplate: int = 0
    """Items left without a pattern because every pattern they hold is the set's boilerplate."""


def item_patterns(
    texts: Sequence[str],
    ngram: int,
    min_item_words: int,
    *,
    rows: Sequence[int] | np.ndarray | None = None,
    boilerplate_rows: int | None = None,
    real_texts: Sequence[str] | None = None,
) -> ItemPatterns:
    """Patterns of eval items: every ``ngram``-gram of a long item, the whole of a shorter one.

    Items with at least ``ngram`` words contribute their word n-grams; items of ``min_item_words`` up to
    ``ngram − 1`` words contribute themselves (found when a text contains them verbatim); shorter items
    are too short to tell a copy from a common phrase and are counted, not matched.

    ``rows`` names the eval row of each text (default: one row per text). With ``boilerplate_rows``, a
    pattern held by at least that many distinct eval rows — and, given ``real_texts``, by at least that many
    of the real texts too — is the set's boilerplate: a system prompt or an instruction template repeated on
    every item and used by the real data alike, not an item of its own. It is left out: kept, it would mark
    every real and synthetic row that uses the same template as contaminated and drown the items themselves.
    A passage shared by several eval rows but absent from the real data (a reading-comprehension context with
    several questions) is an item, not boilerplate. Items whose every pattern is boilerplate are counted in
    ``boilerplate``.
    """
    words = word_lists(texts)
    hashes, counts = word_hashes(words)
    owners = np.arange(len(words)) if rows is None else np.asarray(rows, dtype=np.int64)
    lengths = [ngram, *sorted({int(k) for k in counts if min_item_words <= k < ngram})]
    real = word_hashes(word_lists(real_texts)) if real_texts is not None and boilerplate_rows is not None else None
    patterns = []
    kept_items = np.zeros(len(words), dtype=bool)
    matchable = np.zeros(len(words), dtype=bool)
    for length in lengths:
        selected = counts >= ngram if length == ngram else counts == length
        if not selected.any():
            continue
        grams, owner = gram_hashes(hashes[np.repeat(selected, counts)], counts[selected], length)
        items = np.flatnonzero(selected)[owner]
        matchable[items] = True
        if boilerplate_rows is not None and len(grams):
            # distinct eval rows holding each pattern: a pattern of many rows is the set's template
            pairs = pd.DataFrame({"gram": grams, "row": owners[items]}).drop_duplicates()
            spread = pairs.groupby("gram", sort=False)["row"].size()
            common = spread.index[spread.to_numpy() >= boilerplate_rows].to_numpy(dtype=np.uint64)
            if real is not None and len(common):  # ... and a template the real data uses as well
                common = common[np.isin(common, _widespread(*real, length, boilerplate_rows))]
            keep = ~np.isin(grams, common)
            grams, items = grams[keep], items[keep]
        kept_items[items] = True
        if not len(grams):
            continue
        unique, first = np.unique(grams, return_index=True)
        patterns.append(Patterns(length, pd.Index(unique), items[first]))
    too_short = int(np.sum(counts < min(min_item_words, ngram)))
    return ItemPatterns(tuple(patterns), words, too_short, int(np.sum(matchable & ~kept_items)))


def _widespread(hashes: np.ndarray, counts: np.ndarray, n: int, texts: int) -> np.ndarray:
    """Runs of ``n`` words held by at least ``texts`` distinct texts (hashes and counts from :func:`word_hashes`)."""
    grams, owner = gram_hashes(hashes, counts, n)
    if not len(grams):
        return grams
    pairs = pd.DataFrame({"gram": grams, "text": owner}).drop_duplicates()
    spread = pairs.groupby("gram", sort=False)["text"].size()
    return spread.index[spread.to_numpy() >= texts].to_numpy(dtype=np.uint64)


def scan_texts(
    texts: Sequence[str], pattern_sets: Sequence[Sequence[Patterns]]
) -> list[tuple[np.ndarray, np.ndarray, list[list[str]]]]:
    """Per pattern set: ``(text positions, eval items)`` of the texts holding a pattern, and their words.

    Each text is tokenised once for every pattern set; a text's first match (by pattern length) is kept.
    """
    hit_text: list[list[np.ndarray]] = [[] for _ in pattern_sets]
    hit_item: list[list[np.ndarray]] = [[] for _ in pattern_sets]
    hit_words: list[dict[int, list[str]]] = [{} for _ in pattern_sets]
    for start in range(0, len(texts), CHUNK_TEXTS):
        words = word_lists(texts[start : start + CHUNK_TEXTS])
        hashes, counts = word_hashes(words)
        grams_by_length: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for k, patterns in enumerate(pattern_sets):
            found_here = np.zeros(len(words), dtype=bool)
            for pattern in patterns:
                if pattern.length not in grams_by_length:
                    grams_by_length[pattern.length] = gram_hashes(hashes, counts, pattern.length)
                grams, owner = grams_by_length[pattern.length]
                if not len(grams):
                    continue
                slot = pattern.hashes.get_indexer(pd.Index(grams))
                found = (slot >= 0) & ~found_here[owner]
                texts_found, first = np.unique(owner[found], return_index=True)
                found_here[texts_found] = True
                hit_text[k].append(texts_found + start)
                hit_item[k].append(pattern.items[slot[found][first]])
            hit_words[k].update({start + int(i): words[int(i)] for i in np.flatnonzero(found_here)})
    out: list[tuple[np.ndarray, np.ndarray, list[list[str]]]] = []
    for k in range(len(pattern_sets)):
        if not hit_text[k]:
            out.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []))
            continue
        text, item = np.concatenate(hit_text[k]), np.concatenate(hit_item[k])
        order = np.argsort(text, kind="stable")
        text, item = text[order], item[order]
        out.append((text, item, [hit_words[k][int(t)] for t in text]))
    return out


def contains_words(words: list[str], item: list[str]) -> bool:
    """Whether ``item`` occurs in ``words`` as a contiguous run (the verbatim rule, after normalisation)."""
    return f" {' '.join(item)} " in f" {' '.join(words)} "
