"""``diversity.duplicates``: repeated rows, and near-duplicate, templated or low-variety text in the synthetic data.

A generator that collapses repeats itself: whole rows come out several times, or (for text) one template
sentence comes back with small variations, or many texts open with the same boilerplate ("As an AI language
model …", "Sure! Here is …"). Every statistic here is computed *inside* one sample (the synthetic candidate,
or the reference candidate at the same size), never between the synthetic and the real data: copies of real
records are ``leakage.exact_copies``' business.

Near-duplicate search (MinHash LSH)
-----------------------------------
Texts are normalised, shingled (character 5-grams) and signed by the one MinHash of
:mod:`synthaudit.artefacts.minhash` (128 values, fixed hash family), cached on the audit context per column
and frame and shared with ``leakage.text_near_duplicates``. Locality-sensitive hashing splits the signature
into 32 bands of 4 values; texts sharing a band are candidates (a pair at Jaccard 0.8 becomes one with
probability 1 − (1 − 0.8⁴)³² > 0.9999999). Within a band bucket only neighbours in a seeded random order are
paired, so a template repeated thousands of times costs O(n) pairs per band, not O(n²). Candidates whose
signature agreement is far below the threshold are dropped; the rest are verified by their exact Jaccard
similarity of shingle sets. Identical normalised texts are grouped before the search.
"""

from __future__ import annotations

import lzma
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.artefacts.minhash import (
    ShingleSets,
    band_keys,
    mix64,
    pair_jaccard,
    sorted_unique,
    text_signatures,
)
from synthaudit.artefacts.text_stats import Openings, shared_openings, tokenise
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
    "near_duplicate_clusters",
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
OPENING_CHARS = 60
"""Repeated synthetic openings are shown cut to this many characters."""
_POLY = np.uint64(0x100000001B3)


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and, per value, the position of its distinct value."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if len(ordered) else np.zeros(0, dtype=bool)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


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


def duplicate_rate(fingerprints: np.ndarray) -> float:
    """Share of rows that repeat an earlier row of the same sample: 1 − distinct / n (0 for no rows)."""
    if len(fingerprints) == 0:
        return 0.0
    return 1.0 - len(sorted_unique(fingerprints)) / len(fingerprints)


def _token_ids(normalised: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(token codes, text position of each token) of the whitespace tokens of normalised texts, in order."""
    tokens, counts = tokenise(normalised)
    codes, _ = pd.factorize(tokens)
    return codes.astype(np.uint64), np.repeat(np.arange(len(counts)), counts)


def _ngram_codes(tokens: np.ndarray, text_of: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit codes of the n-grams that lie inside one text, and the text each belongs to."""
    if len(tokens) < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    count = len(tokens) - n + 1
    inside = text_of[:count] == text_of[n - 1 :]
    code = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        code = mix64(code * _POLY + tokens[k : k + count])
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
    seen = sorted_unique(inverse * k + g)
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
    openings: Openings


def _text_side(
    texts: pd.Series,
    normalised: list[str],
    signatures: np.ndarray,
    *,
    p: DuplicateCheck.Params,
    budget: int,
    max_bytes: int,
    rng: np.random.Generator,
) -> _TextSide:
    """Near-duplicates, distinct-1/2/3 at ``budget`` tokens, shared openings and the compression ratio."""
    raw = texts.tolist()
    near = near_duplicate_clusters(
        normalised, threshold=p.near_duplicate_jaccard, rng=rng, width=p.shingle_chars, signatures=signatures
    )
    tokens, text_of = _token_ids(normalised)
    tokens, text_of = tokens[:budget], text_of[:budget]
    groups = np.arange(len(raw)) % JACKKNIFE_GROUPS
    distinct = tuple(distinct_n(tokens, text_of, n, groups) for n in (1, 2, 3))
    return _TextSide(
        rows=texts.index.to_numpy(),
        near=near,
        distinct=distinct,
        compression=compression_ratio(raw, max_bytes),
        openings=shared_openings(normalised, p.opening_tokens, top=p.openings_shown),
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
      - ``shared_opening_share`` (gating, worst column): share of texts whose first ``opening_tokens``
        words (4; normalised) another text of the same sample shares — templates and boilerplate ("as an
        ai language model …", "sure here is …"). Range [0, 1], lower is better; texts shorter than the
        opening never share one. Standard error as for near-duplicates: √(2 Σ size²) / n over the
        reference's groups of texts sharing an opening. The most repeated synthetic openings are listed
        (synthetic text cut to 60 characters, at most ``openings_shown``), with how many reference texts
        open alike (a count: real text is never shown).
      - ``lzma_compression_ratio`` (information): compressed / raw bytes of the shuffled sample joined by
        newlines, both sides cut to the same number of bytes (at most ``compression_bytes``); lower means
        more repetitive, also across texts far apart.

      Ratios synthetic / reference are reported for distinct-1/2/3 and the compression ratio (1 is ideal).

    Evidence: row numbers of synthetic rows that repeat an earlier row, of the largest groups of
    near-duplicate synthetic texts, and of synthetic texts sharing their opening (no text is copied into
    the evidence; only the repeated synthetic openings, cut, appear in a table). Skips when a candidate side has
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
    gating_metrics: ClassVar[tuple[str, ...]] = (
        "exact_duplicate_rate",
        "near_duplicate_share",
        "distinct_2",
        "shared_opening_share",
    )

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
        opening_tokens: int = Field(
            4, ge=1, le=20, description="Words that make a text's opening (templates and boilerplate)."
        )
        opening_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.03),
            description="Margin over the reference's share of texts sharing their opening (share of texts).",
        )
        openings_shown: int = Field(
            5, ge=0, le=20, description="Most repeated synthetic openings listed (cut to 60 characters)."
        )
        text_sample_rows: int = Field(
            20_000, ge=100, description="Texts per side and column (seeded sample) unless --full."
        )
        compression_bytes: int = Field(
            1_000_000, ge=10_000, description="Bytes of each side's shuffled text sample that are compressed."
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Count duplicate rows on both candidate sides; for each text column, near-duplicates and variety."""
        p = self.params
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
        text_rows, cluster_rows, near_gates, distinct_gates, opening_gates, opening_rows = [], [], [], [], [], []
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
            signed = [
                ctx.text_signatures(column, key, width=p.shingle_chars, num_perm=NUM_PERM)
                for key in ("synthetic_candidate", "reference_candidate")
            ]
            positions = [sig.positions(t.index) for sig, t in zip(signed, (syn_texts, ref_texts), strict=True)]
            normalised = [sig.normalised[at].tolist() for sig, at in zip(signed, positions, strict=True)]
            budget = min(_token_count(texts) for texts in normalised)
            max_bytes = min(_byte_count(syn_texts), _byte_count(ref_texts), p.compression_bytes)
            sides = [
                _text_side(
                    texts,
                    normalised_texts,
                    sig.signatures[at],
                    p=p,
                    budget=budget,
                    max_bytes=max_bytes,
                    rng=rng,
                )
                for texts, normalised_texts, sig, at in zip(
                    (syn_texts, ref_texts), normalised, signed, positions, strict=True
                )
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
            opening_metric = gated_metric(
                "shared_opening_share",
                value=s.openings.share,
                reference=r.openings.share,
                standard_error=math.sqrt(2.0 * max(r.openings.null_variance, 4.0 / (k * k))),
                margin=p.opening_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of synthetic texts whose first {p.opening_tokens} words another synthetic "
                f"text shares (column {column!r})",
            )
            near_gates.append((_badness(near_metric), column, near_metric, s, r))
            opening_gates.append((_badness(opening_metric), column, opening_metric, s, r))
            opening_rows += _opening_rows(column, s, normalised[1], k)
            measured[column] = "text (row fingerprint, MinHash near-duplicates, distinct-n, openings, compression)"
            distinct_gates.append((_badness(distinct_metric), column, distinct_metric, s, r))
            text_rows.append(
                {
                    "column": column,
                    "texts_per_side": k,
                    "near_duplicate_share": s.near.share,
                    "reference_near_duplicate_share": r.near.share,
                    "largest_near_duplicate_group": int(s.near.cluster_sizes[0]) if len(s.near.cluster_sizes) else 0,
                    "reference_largest_group": int(r.near.cluster_sizes[0]) if len(r.near.cluster_sizes) else 0,
                    "shared_opening_share": s.openings.share,
                    "reference_shared_opening_share": r.openings.share,
                    "largest_shared_opening_group": int(s.openings.group_sizes[0])
                    if len(s.openings.group_sizes)
                    else 0,
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
            _, opening_col, opening_metric, os_, _ = max(opening_gates, key=lambda g: g[0])
            metrics += [
                near_metric,
                distinct_metric,
                opening_metric,
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
            evidence["shared_opening_synthetic_rows"] = sorted(os_.rows[os_.openings.shared].tolist())[:EVIDENCE_CAP]
            summary += (
                f"; {near_metric.value:.1%} of synthetic texts in {near_col!r} have a near-duplicate "
                f"(reference {near_metric.reference_value:.1%}); distinct-2 in {distinct_col!r} "
                f"{distinct_metric.value:.3f} vs reference {distinct_metric.reference_value:.3f}; "
                f"{opening_metric.value:.1%} of synthetic texts in {opening_col!r} share their first "
                f"{p.opening_tokens} words with another (reference {opening_metric.reference_value:.1%})"
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
        if opening_rows:
            opening_rows.sort(key=lambda row: (-row["synthetic_texts"], row["column"], row["opening"]))
            tables.append(
                make_table(
                    "repeated_openings",
                    "Most repeated openings of synthetic texts (synthetic text, cut; counts only for the reference)",
                    opening_rows[:EVIDENCE_CAP],
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


def _opening_rows(column: str, side: _TextSide, reference: list[str], k: int) -> list[dict[str, Any]]:
    """The side's most repeated openings (synthetic text, cut) with how many reference texts open alike."""
    rows: list[dict[str, Any]] = []
    for opening, count in side.openings.top:
        shown = opening if len(opening) <= OPENING_CHARS else opening[: OPENING_CHARS - 1] + "…"
        in_reference = sum(1 for t in reference if t == opening or t.startswith(opening + " "))
        rows.append(
            {
                "column": column,
                "opening": shown,
                "synthetic_texts": count,
                "share_of_sample": count / k,
                "reference_texts": in_reference,
            }
        )
    return rows


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
