"""``diversity.duplicates``: repeated rows, and near-duplicate or low-variety text, inside the synthetic data.

A generator that collapses repeats itself: whole rows come out several times, or (for text) one template
sentence comes back with small variations. Every statistic here is computed *inside* one sample (the
synthetic candidate, or the reference candidate at the same size), never between the synthetic and the
real data: copies of real records are ``leakage.exact_copies``' business.

Near-duplicate search (MinHash LSH)
-----------------------------------
Texts are normalised (NFKC, lower case, punctuation replaced by spaces, whitespace collapsed) and cut into
character 5-gram shingles. Shingles are hashed into 64 bits (a polynomial rolling hash over the code points
of all texts at once, then the splitmix64 finaliser). A MinHash signature has 128 values: for each seeded
(a, b), the minimum over the text's shingles of the multiply-add-shift hash ((a·x + b) mod 2⁶⁴) >> 32 of
the shingle's 32-bit key x. That family is strongly universal, like the (a·x + b) mod (2⁶¹ − 1) of
``datasketch.MinHash``, but numpy evaluates it exactly with wrapping uint64 arithmetic, in one vectorised
pass over every shingle of every text per permutation, where ``datasketch`` needs one Python call per text
(too slow for 100,000 texts). Locality-sensitive hashing splits the signature into 32 bands of 4 values;
texts sharing a band are candidates (a pair at Jaccard 0.8 becomes one with probability
1 − (1 − 0.8⁴)³² > 0.9999999). Within a band bucket only neighbours in a seeded random order are paired, so a
template repeated thousands of times costs O(n) pairs per band, not the O(n²) of querying every member's
bucket (``datasketch.MinHashLSH.query``). Candidates whose signature agreement is far below the threshold are
dropped; the rest are verified by their exact Jaccard similarity on the 64-bit shingle hashes. Identical
normalised texts are grouped before the search. 100,000 short texts take about ten seconds on a busy
two-core machine.
"""

from __future__ import annotations

import lzma
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, FigureSpec, Metric, Table
from synthaudit.stats.proportions import pooled_difference_se

__all__ = [
    "DuplicateCheck",
    "compression_ratio",
    "distinct_n",
    "duplicate_rate",
    "minhash_signatures",
    "near_duplicate_clusters",
    "normalise_texts",
    "shingle_hashes",
]

EVIDENCE_CAP = 20
"""Evidence is capped: row indices only, at most this many per kind."""
NUM_PERM = 128
"""MinHash permutations per signature."""
BANDS = 32
"""LSH bands (of ``NUM_PERM // BANDS`` = 4 signature values each)."""
CANDIDATE_SLACK = 0.15
"""Candidates whose signature agreement is this far below the Jaccard threshold are not verified (> 4 SD)."""
JACKKNIFE_GROUPS = 20
"""Groups of texts left out in turn for the jackknife standard error of distinct-n."""
_SEPARATOR = "\ue000"
_PUNCTUATION = re.compile(r"(?:[^\w\s\ue000]|_)+")
_POLY = np.uint64(0x100000001B3)
_PAD = "\x00"


def _mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection of uint64 with good avalanche), elementwise, wrapping."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: numpy 2's hash-based ``np.unique`` is far slower on uint64)."""
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and, per value, the position of its distinct value."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if len(ordered) else np.zeros(0, dtype=bool)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def normalise_texts(texts: Sequence[str] | pd.Series) -> list[str]:
    """NFKC, lower case, punctuation and symbols replaced by spaces, whitespace collapsed and trimmed.

    Done on one joined string (a private-use separator between texts), so 100,000 texts take well under
    a second.
    """
    joined = _SEPARATOR.join(str(t).replace(_SEPARATOR, " ") for t in texts)
    joined = unicodedata.normalize("NFKC", joined).lower()
    joined = _PUNCTUATION.sub(" ", joined)
    return [" ".join(t.split()) for t in joined.split(_SEPARATOR)] if len(texts) else []


def shingle_hashes(texts: Sequence[str], width: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character ``width``-gram of every text, and the per-text offsets.

    Returns ``(hashes, offsets)``: the shingles of text ``i`` are ``hashes[offsets[i]:offsets[i + 1]]``.
    A text shorter than ``width`` (also the empty text) is padded and has exactly one shingle, so every
    text has at least one. A polynomial rolling hash over the UTF-32 code points of all texts at once,
    then the splitmix64 finaliser: deterministic across runs and machines (no salted ``hash()``).
    """
    if len(texts) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64)
    padded = [t if len(t) >= width else t + _PAD * (width - len(t)) for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = len(codes) - width + 1
    rolling = np.zeros(windows, dtype=np.uint64)
    for k in range(width):
        rolling *= _POLY
        rolling += codes[k : k + windows]
    counts = lengths - width + 1
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    text_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    positions = np.arange(offsets[-1], dtype=np.int64) + np.repeat(text_starts - offsets[:-1], counts)
    return _mix64(rolling[positions]), offsets


def _permutations(rng: np.random.Generator, num_perm: int = NUM_PERM) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (a, b) of the multiply-add-shift hash family: a odd, both 64-bit."""
    a = rng.integers(0, 2**64, size=num_perm, dtype=np.uint64, endpoint=False) | np.uint64(1)
    b = rng.integers(0, 2**64, size=num_perm, dtype=np.uint64, endpoint=False)
    return a, b


def minhash_signatures(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures (texts × permutations, uint32): per (a, b), the minimum over a text's shingles.

    Each permutation is the multiply-add-shift hash ((a·x + b) mod 2⁶⁴) >> 32 of the shingle's 32-bit key
    x (the high half of its 64-bit hash), a strongly universal family that numpy evaluates exactly with
    wrapping uint64 arithmetic, in place, one pass over all shingles of all texts per permutation. Every
    text must have at least one shingle (see :func:`shingle_hashes`).
    """
    n = len(offsets) - 1
    signatures = np.empty((n, len(a)), dtype=np.uint32)
    if n == 0:
        return signatures
    keys = hashes >> np.uint64(32)
    starts = offsets[:-1]
    buffer = np.empty_like(keys)
    for k in range(len(a)):
        np.multiply(keys, a[k], out=buffer)
        np.add(buffer, b[k], out=buffer)
        np.right_shift(buffer, np.uint64(32), out=buffer)
        signatures[:, k] = np.minimum.reduceat(buffer, starts)
    return signatures


def _band_keys(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
    key = np.full(len(signatures), np.uint64(band), dtype=np.uint64)
    for j in range(block.shape[1]):
        key = _mix64(key * _POLY + block[:, j])
    return key


def _candidate_pairs(signatures: np.ndarray, rng: np.random.Generator, bands: int = BANDS) -> np.ndarray:
    """Pairs (i < j) of texts sharing an LSH band, neighbours in a random order within each bucket."""
    n, num_perm = signatures.shape
    rows = num_perm // bands
    found = []
    for band in range(bands):
        keys = _band_keys(signatures, band, rows)
        order = np.lexsort((rng.permutation(n), keys))
        same = keys[order[1:]] == keys[order[:-1]]
        left, right = order[:-1][same], order[1:][same]
        found.append(np.minimum(left, right) * n + np.maximum(left, right))
    codes = _unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    return np.stack([codes // n, codes % n], axis=1)


def _exact_jaccard(hashes: np.ndarray, offsets: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    sets: dict[int, set[int]] = {}

    def shingles(i: int) -> set[int]:
        if i not in sets:
            sets[i] = set(hashes[offsets[i] : offsets[i + 1]].tolist())
        return sets[i]

    out = np.empty(len(pairs), dtype=np.float64)
    for row, (i, j) in enumerate(pairs.tolist()):
        a, b = shingles(i), shingles(j)
        inter = len(a & b)
        out[row] = inter / (len(a) + len(b) - inter)
    return out


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
    num_perm: int = NUM_PERM,
    bands: int = BANDS,
) -> NearDuplicates:
    """Find near-duplicate texts inside one sample: MinHash LSH candidates verified by exact Jaccard.

    Identical normalised texts are grouped first (they are near-duplicates of each other); LSH runs on
    the distinct texts. ``rng`` draws the MinHash permutations and the order within buckets.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(normalised)
    codes, uniques = pd.factorize(pd.Series(list(normalised), dtype=object))
    u = len(uniques)
    a, b = _permutations(rng, num_perm)
    edges = np.zeros((0, 2), dtype=np.int64)
    if u >= 2:
        hashes, offsets = shingle_hashes(list(uniques), width)
        signatures = minhash_signatures(hashes, offsets, a, b)
        pairs = _candidate_pairs(signatures, rng, bands)
        if len(pairs):
            agreement = np.empty(len(pairs), dtype=np.float64)
            for start in range(0, len(pairs), 65536):
                chunk = pairs[start : start + 65536]
                agreement[start : start + 65536] = (signatures[chunk[:, 0]] == signatures[chunk[:, 1]]).mean(axis=1)
            pairs = pairs[agreement >= threshold - CANDIDATE_SLACK]
            edges = pairs[_exact_jaccard(hashes, offsets, pairs) >= threshold]
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


def duplicate_rate(fingerprints: np.ndarray) -> float:
    """Share of rows that repeat an earlier row of the same sample: 1 − distinct / n (0 for no rows)."""
    if len(fingerprints) == 0:
        return 0.0
    return 1.0 - len(_unique(fingerprints)) / len(fingerprints)


def _token_ids(normalised: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(token codes, text position of each token) of the whitespace tokens of normalised texts, in order."""
    lengths = np.fromiter((t.count(" ") + 1 if t else 0 for t in normalised), dtype=np.int64, count=len(normalised))
    flat = " ".join(t for t in normalised if t).split(" ") if lengths.sum() else []
    codes, _ = pd.factorize(np.asarray(flat, dtype=object))
    return codes.astype(np.uint64), np.repeat(np.arange(len(lengths)), lengths)


def _ngram_codes(tokens: np.ndarray, text_of: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit codes of the n-grams that lie inside one text, and the text each belongs to."""
    if len(tokens) < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    count = len(tokens) - n + 1
    inside = text_of[:count] == text_of[n - 1 :]
    code = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        code = _mix64(code * _POLY + tokens[k : k + count])
    return code[inside], text_of[:count][inside]


def distinct_n(
    tokens: np.ndarray, text_of: np.ndarray, n: int, groups: np.ndarray | None = None
) -> tuple[float, float]:
    """Distinct n-grams / total n-grams (n-grams never cross texts), and its jackknife standard error.

    ``groups`` assigns each text (by position) to a group; the delete-a-group jackknife recomputes the
    ratio without each group in turn (an n-gram seen in one group only disappears with it). Range (0, 1];
    1 when no n-gram repeats; ``(0.0, 0.0)`` when there is no n-gram. Without ``groups`` the error is 0.
    """
    codes, owner = _ngram_codes(tokens, text_of, n)
    total = len(codes)
    if total == 0:
        return 0.0, 0.0
    unique_codes, inverse = _unique_inverse(codes)
    distinct = len(unique_codes)
    if groups is None:
        return distinct / total, 0.0
    k = int(groups.max()) + 1
    g = groups[owner].astype(np.int64)
    seen = _unique(inverse * k + g)
    code_of, group_of = seen // k, seen % k
    groups_per_code = np.bincount(code_of, minlength=distinct)
    lost = np.bincount(group_of[groups_per_code[code_of] == 1], minlength=k)
    remaining = total - np.bincount(g, minlength=k)
    usable = remaining > 0
    m = int(usable.sum())
    if m < 2:
        return distinct / total, 0.0
    leave_out = (distinct - lost[usable]) / remaining[usable]
    se = math.sqrt((m - 1) / m * float(np.sum((leave_out - leave_out.mean()) ** 2)))
    return distinct / total, se


def compression_ratio(texts: Sequence[str], max_bytes: int) -> float:
    """lzma-compressed size / raw size of the newline-joined texts (UTF-8), cut to ``max_bytes``.

    Lower means more repetitive. LZMA2 (preset 2, raw format, a dictionary as large as the input) sees
    repeats anywhere in the sample; gzip's 32 KB window would miss repeats far apart. 0 for empty input.
    """
    raw = "\n".join(texts).encode("utf-8")[:max_bytes]
    if not raw:
        return 0.0
    dictionary = max(len(raw), 4096)
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 2, "dict_size": dictionary}]
    return len(lzma.compress(raw, format=lzma.FORMAT_RAW, filters=filters)) / len(raw)




@dataclass(frozen=True)
class _TextSide:
    """Statistics of one side's text sample."""

    rows: np.ndarray
    near: NearDuplicates
    distinct: tuple[tuple[float, float], ...]
    compression: float


def _text_side(
    texts: pd.Series,
    normalised: list[str],
    *,
    threshold: float,
    width: int,
    budget: int,
    max_bytes: int,
    rng: np.random.Generator,
) -> _TextSide:
    """Near-duplicates, distinct-1/2/3 at ``budget`` tokens and the compression ratio of a shuffled sample."""
    raw = texts.tolist()
    near = near_duplicate_clusters(normalised, threshold=threshold, rng=rng, width=width)
    tokens, text_of = _token_ids(normalised)
    tokens, text_of = tokens[:budget], text_of[:budget]
    groups = np.arange(len(raw)) % JACKKNIFE_GROUPS
    distinct = tuple(distinct_n(tokens, text_of, n, groups) for n in (1, 2, 3))
    return _TextSide(
        rows=texts.index.to_numpy(),
        near=near,
        distinct=distinct,
        compression=compression_ratio(raw, max_bytes),
    )


def _ratio(value: float, reference: float) -> float:
    return value / reference if reference > 0 else (1.0 if value == 0 else math.inf)


class DuplicateCheck(Check):
    """Repetition inside the synthetic data: duplicate rows, and for text near-duplicates and low variety.

    Every statistic is computed inside one sample: the synthetic candidate rows, and — the reference —
    the reference candidate rows (holdout, or the real data's other half) at the same size, since
    duplicates become more frequent as n grows.

    * ``exact_duplicate_rate`` (gating): share of rows that repeat an earlier row of the same sample,
      1 − distinct / n, on row fingerprints (identifier columns left out; strings trimmed, numbers
      canonical, missing values equal). Range [0, 1), lower is better; 0 for continuous data, about the
      reference's rate for an independent sample. Margin: the pooled binomial standard error of the
      difference, with a small floor.
    * For each text column, on a seeded shuffled sample of the same number of non-missing texts per side
      (at most ``text_sample_rows`` unless ``--full``):

      - ``near_duplicate_share`` (gating, worst column): share of texts with a near-duplicate in their
        own sample — Jaccard similarity of character 5-gram shingles of the normalised text of at least
        ``near_duplicate_jaccard`` (MinHash LSH candidates verified exactly; see the module docstring).
        Range [0, 1], lower is better; identical normalised texts count. The standard error treats each
        group of mutual near-duplicates as one event: √(2 Σ size²) / n over the reference's groups (at
        least one pair's worth), since a template repeated k times moves the share by k / n at once.
      - ``distinct_2`` (gating, worst column): distinct word bigrams / total bigrams at an equal token
        budget (both sides truncated to the smaller side's number of tokens; n-grams never cross texts).
        Range (0, 1], higher is better; lower when phrases repeat. Standard error: √2 × the reference's
        delete-a-group jackknife error (20 groups of texts). Distinct-1 and distinct-3 are information.
      - ``lzma_compression_ratio`` (information): compressed / raw bytes of the shuffled sample joined by
        newlines, both sides cut to the same number of bytes (at most ``compression_bytes``); lower means
        more repetitive, also across texts far apart.

      Ratios synthetic / reference are reported for distinct-1/2/3 and the compression ratio (1 is ideal).

    Evidence: row numbers of synthetic rows that repeat an earlier row, and of the largest groups of
    near-duplicate synthetic texts (no text is copied into the result). Skips when a candidate side has
    fewer than two rows, or no non-identifier column holds a value in the real data. Cost: hashing, O(n);
    text: O(characters × 128) for MinHash plus a linear number of verified candidate pairs, a few seconds
    for 20,000 texts per side.
    """

    name: ClassVar[str] = "diversity.duplicates"
    suite: ClassVar[Suite] = Suite.DIVERSITY
    description: ClassVar[str] = (
        "Synthetic rows and texts do not repeat themselves more than real data does (duplicates, templates)."
    )
    meaning: ClassVar[str] = (
        "How often the synthetic data repeats itself — identical rows, texts that are near-copies of each other, "
        "the same phrases over and over — compared with real data of the same size. Lower repetition is better; "
        "a clear excess means the generator collapsed onto a few patterns or templates."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("exact_duplicate_rate", "near_duplicate_share", "distinct_2")

    class Params(CheckParams):
        """Thresholds and sample sizes of ``diversity.duplicates``."""

        duplicate_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.002, fail_floor=0.005),
            description="Margin over the reference's exact duplicate rate (share of rows).",
        )
        near_duplicate_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.02),
            description="Margin over the reference's near-duplicate share (share of texts).",
        )
        distinct_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.02),
            description="Margin under the reference's distinct-2 (distinct bigrams per bigram).",
        )
        near_duplicate_jaccard: float = Field(
            0.8,
            gt=0.0,
            le=1.0,
            description="Jaccard similarity of shingle sets at which two texts are near-duplicates.",
        )
        shingle_chars: int = Field(5, ge=2, le=20, description="Characters per shingle (character n-gram).")
        text_sample_rows: int = Field(
            20_000, ge=100, description="Texts per side and column (seeded sample) unless --full."
        )
        compression_bytes: int = Field(
            1_000_000, ge=10_000, description="Bytes of each side's shuffled text sample that are compressed."
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Count duplicate rows on both candidate sides; for each text column, near-duplicates and variety."""
        p = self.params
        assert isinstance(p, DuplicateCheck.Params)
        syn, ref = ctx.synthetic_pair.candidate, ctx.reference_pair.candidate
        if min(len(syn), len(ref)) < 2:
            return self.skip("a candidate side has fewer than two rows; duplicates cannot be counted")
        columns = tuple(c for c in ctx.data.columns if ctx.roles[c] is not Role.IDENTIFIER)
        if not columns:
            return self.skip("every common column is an identifier; no row content is left to compare")
        if all(ctx.roles[c] is Role.EMPTY for c in columns):
            # Every row would look the same (all missing): any rate would say nothing about the rows.
            return self.skip("every non-identifier column is empty in the real data; no row content to compare")
        syn_prints = row_fingerprints(syn, columns, ctx.roles)
        ref_prints = row_fingerprints(ref, columns, ctx.roles)
        syn_rate, ref_rate = duplicate_rate(syn_prints), duplicate_rate(ref_prints)
        repeated = np.flatnonzero(pd.Series(syn_prints).duplicated().to_numpy())
        metrics: list[Metric] = [
            gated_metric(
                "exact_duplicate_rate",
                value=syn_rate,
                reference=ref_rate,
                standard_error=pooled_difference_se(syn_rate, len(syn), ref_rate, len(ref)),
                margin=p.duplicate_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of synthetic rows that repeat an earlier synthetic row (1 − distinct / n)",
            )
        ]
        sample_sizes = {"synthetic_rows": len(syn), "reference_rows": len(ref)}
        evidence = {"duplicate_synthetic_rows": syn.index[repeated[:EVIDENCE_CAP]].tolist()}
        summary = f"{syn_rate:.2%} of synthetic rows repeat another (reference {ref_rate:.2%})"
        tables: list[Table] = []
        figures: list[FigureSpec] = []
        measured = {c: ctx.roles[c].value + " (row fingerprint)" for c in columns}
        text_rows, cluster_rows, near_gates, distinct_gates = [], [], [], []
        rng = ctx.rng(self.name)
        for column in ctx.data.text:
            syn_texts = syn[column].dropna().astype(str)
            ref_texts = ref[column].dropna().astype(str)
            k = min(len(syn_texts), len(ref_texts))
            if not ctx.full:
                k = min(k, p.text_sample_rows)
            if k < 2:
                text_rows.append({"column": column, "texts_per_side": k, "note": "fewer than two texts per side"})
                continue
            syn_texts = syn_texts.iloc[rng.permutation(len(syn_texts))[:k]]
            ref_texts = ref_texts.iloc[rng.permutation(len(ref_texts))[:k]]
            normalised = [normalise_texts(texts.tolist()) for texts in (syn_texts, ref_texts)]
            budget = min(_token_count(texts) for texts in normalised)
            max_bytes = min(_byte_count(syn_texts), _byte_count(ref_texts), p.compression_bytes)
            sides = [
                _text_side(
                    texts,
                    normalised_texts,
                    threshold=p.near_duplicate_jaccard,
                    width=p.shingle_chars,
                    budget=budget,
                    max_bytes=max_bytes,
                    rng=rng,
                )
                for texts, normalised_texts in zip((syn_texts, ref_texts), normalised, strict=True)
            ]
            s, r = sides
            near_se = math.sqrt(2.0 * max(r.near.null_variance, 4.0 / (k * k)))
            distinct_se = math.sqrt(2.0) * r.distinct[1][1]
            near_metric = gated_metric(
                "near_duplicate_share",
                value=s.near.share,
                reference=r.near.share,
                standard_error=near_se,
                margin=p.near_duplicate_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of synthetic texts with a near-duplicate among them (column {column!r})",
            )
            distinct_metric = gated_metric(
                "distinct_2",
                value=s.distinct[1][0],
                reference=r.distinct[1][0],
                standard_error=distinct_se,
                margin=p.distinct_margin,
                direction="higher_is_better",
                value_range=(0.0, 1.0),
                description=f"distinct bigrams per bigram at an equal token budget (column {column!r})",
            )
            near_gates.append((_badness(near_metric), column, near_metric, s, r))
            measured[column] = "text (row fingerprint, MinHash near-duplicates, distinct-n, compression)"
            distinct_gates.append((_badness(distinct_metric), column, distinct_metric, s, r))
            text_rows.append(
                {
                    "column": column,
                    "texts_per_side": k,
                    "near_duplicate_share": s.near.share,
                    "reference_near_duplicate_share": r.near.share,
                    "largest_near_duplicate_group": int(s.near.cluster_sizes[0]) if len(s.near.cluster_sizes) else 0,
                    "reference_largest_group": int(r.near.cluster_sizes[0]) if len(r.near.cluster_sizes) else 0,
                    "token_budget": budget,
                    **{f"distinct_{n}": s.distinct[n - 1][0] for n in (1, 2, 3)},
                    **{f"reference_distinct_{n}": r.distinct[n - 1][0] for n in (1, 2, 3)},
                    **{f"distinct_{n}_ratio": _ratio(s.distinct[n - 1][0], r.distinct[n - 1][0]) for n in (1, 2, 3)},
                    "lzma_compression_ratio": s.compression,
                    "reference_lzma_compression_ratio": r.compression,
                    "compressed_bytes": max_bytes,
                }
            )
            for size, members in zip(s.near.cluster_sizes, s.near.cluster_members, strict=False):
                cluster_rows.append(
                    {
                        "column": column,
                        "texts": int(size),
                        "share_of_sample": int(size) / k,
                        "example_rows": sorted(s.rows[members].tolist())[:5],
                    }
                )
            sample_sizes[f"texts_per_side.{column}"] = k
            sample_sizes[f"token_budget.{column}"] = budget
            sample_sizes[f"compressed_bytes.{column}"] = max_bytes
        if near_gates:
            _, near_col, near_metric, s, r = max(near_gates, key=lambda g: g[0])
            _, distinct_col, distinct_metric, ds, dr = max(distinct_gates, key=lambda g: g[0])
            metrics += [
                near_metric,
                distinct_metric,
                *(
                    info_metric(
                        f"distinct_{n}_ratio",
                        _ratio(ds.distinct[n - 1][0], dr.distinct[n - 1][0]),
                        reference=1.0,
                        direction="higher_is_better",
                        value_range=(0.0, None),
                        description=f"synthetic / reference distinct-{n} (column {distinct_col!r})",
                    )
                    for n in (1, 2, 3)
                ),
                info_metric(
                    "lzma_compression_ratio",
                    ds.compression,
                    reference=dr.compression,
                    direction="higher_is_better",
                    value_range=(0.0, None),
                    description=f"lzma compressed / raw bytes of a shuffled sample (column {distinct_col!r})",
                ),
                info_metric(
                    "lzma_compression_ratio_relative",
                    _ratio(ds.compression, dr.compression),
                    reference=1.0,
                    direction="higher_is_better",
                    value_range=(0.0, None),
                    description=f"synthetic / reference lzma compression ratio (column {distinct_col!r})",
                ),
            ]
            cluster_rows.sort(key=lambda row: (-row["texts"], row["column"]))
            near_rows = [int(i) for row in cluster_rows for i in row["example_rows"]]
            evidence["near_duplicate_synthetic_rows"] = near_rows[:EVIDENCE_CAP]
            summary += (
                f"; {near_metric.value:.1%} of synthetic texts in {near_col!r} have a near-duplicate "
                f"(reference {near_metric.reference_value:.1%}); distinct-2 in {distinct_col!r} "
                f"{distinct_metric.value:.3f} vs reference {distinct_metric.reference_value:.3f}"
            )
            figures.append(
                make_figure(
                    "bars",
                    f"{distinct_col}: distinct n-grams per n-gram at an equal token budget",
                    {
                        "categories": ["distinct-1", "distinct-2", "distinct-3"],
                        "series": {
                            "synthetic": [ds.distinct[n][0] for n in range(3)],
                            "reference": [dr.distinct[n][0] for n in range(3)],
                        },
                    },
                    x_label="distinct / total",
                )
            )
        if text_rows:
            text_rows.sort(
                key=lambda row: (
                    -(row.get("near_duplicate_share", 0.0) - row.get("reference_near_duplicate_share", 0.0)),
                    row["column"],
                )
            )
            tables.append(
                make_table(
                    "text_columns",
                    "Text variety per column, most near-duplicated first",
                    text_rows,
                    columns=tuple(dict.fromkeys(key for row in text_rows for key in row)),
                )
            )
        if cluster_rows:
            tables.append(
                make_table(
                    "near_duplicate_groups",
                    "Largest groups of near-duplicate synthetic texts (row numbers only)",
                    cluster_rows[:EVIDENCE_CAP],
                )
            )
        return self.result(
            metrics=metrics,
            summary=summary + ".",
            tables=tables,
            figures=figures,
            sample_sizes=sample_sizes,
            evidence=evidence,
            columns=measured,
        )


def _token_count(normalised: list[str]) -> int:
    return sum(t.count(" ") + 1 for t in normalised if t)


def _byte_count(texts: pd.Series) -> int:
    return len("\n".join(texts.tolist()).encode("utf-8"))


def _badness(metric: Metric) -> float:
    """How far a gated metric is towards failing: signed excess over the reference / the fail margin."""
    assert metric.threshold is not None and metric.reference_value is not None
    margin = abs(metric.threshold - metric.reference_value) or 1e-12
    sign = 1.0 if metric.direction == "lower_is_better" else -1.0
    return float(sign * (metric.value - metric.reference_value) / margin)
