"""Variety of one sample of texts: distinct-n with its jackknife error, compression ratio, shared openings.

A helper module of ``diversity.duplicates``, not a check.
"""

from __future__ import annotations

import lzma
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.minhash import (
    mix64,
    sorted_unique,
)
from synthaudit.artefacts.text_stats import Openings, shared_openings, tokenise
from synthaudit.check import gated_metric, make_table
from synthaudit.checks.diversity.near_duplicates import EVIDENCE_CAP, NUM_PERM, NearDuplicates, near_duplicate_clusters
from synthaudit.context import AuditContext
from synthaudit.result import Metric, Table

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


def token_ids(normalised: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
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
class TextSide:
    """Statistics of one side's text sample."""

    rows: np.ndarray
    near: NearDuplicates
    distinct: tuple[tuple[float, float], ...]
    compression: float
    openings: Openings


def text_side(
    texts: pd.Series,
    normalised: list[str],
    signatures: np.ndarray,
    *,
    p: Any,
    budget: int,
    max_bytes: int,
    rng: np.random.Generator,
) -> TextSide:
    """Near-duplicates, distinct-1/2/3 at ``budget`` tokens, shared openings and the compression ratio."""
    raw = texts.tolist()
    near = near_duplicate_clusters(
        normalised, threshold=p.near_duplicate_jaccard, rng=rng, width=p.shingle_chars, signatures=signatures
    )
    tokens, text_of = token_ids(normalised)
    tokens, text_of = tokens[:budget], text_of[:budget]
    groups = np.arange(len(raw)) % JACKKNIFE_GROUPS
    distinct = tuple(distinct_n(tokens, text_of, n, groups) for n in (1, 2, 3))
    return TextSide(
        rows=texts.index.to_numpy(),
        near=near,
        distinct=distinct,
        compression=compression_ratio(raw, max_bytes),
        openings=shared_openings(normalised, p.opening_tokens, top=p.openings_shown),
    )


def ratio_to_reference(value: float, reference: float) -> float:
    """Synthetic / reference (1 when both are 0, infinite over a 0 reference)."""
    return value / reference if reference > 0 else (1.0 if value == 0 else math.inf)


def repeated_openings(column: str, side: TextSide, reference: list[str], k: int) -> list[dict[str, Any]]:
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


def token_count(normalised: list[str]) -> int:
    """Whitespace tokens of normalised texts."""
    return sum(t.count(" ") + 1 for t in normalised if t)


def byte_count(texts: pd.Series) -> int:
    """UTF-8 bytes of the texts joined by newlines."""
    return len("\n".join(texts.tolist()).encode("utf-8"))


def badness(metric: Metric) -> float:
    """How far a gated metric is towards failing: signed excess over the reference / the fail margin."""
    assert metric.threshold is not None and metric.reference_value is not None
    margin = abs(metric.threshold - metric.reference_value) or 1e-12
    sign = 1.0 if metric.direction == "lower_is_better" else -1.0
    return float(sign * (metric.value - metric.reference_value) / margin)


def text_column_row(
    column: str, k: int, budget: int, max_bytes: int, sides: tuple[TextSide, TextSide]
) -> dict[str, Any]:
    """One row of the text-columns table: both sides' near-duplicate, opening, distinct-n and compression figures."""
    s, r = sides
    return {
        "column": column,
        "texts_per_side": k,
        "near_duplicate_share": s.near.share,
        "reference_near_duplicate_share": r.near.share,
        "largest_near_duplicate_group": int(s.near.cluster_sizes[0]) if len(s.near.cluster_sizes) else 0,
        "reference_largest_group": int(r.near.cluster_sizes[0]) if len(r.near.cluster_sizes) else 0,
        "shared_opening_share": s.openings.share,
        "reference_shared_opening_share": r.openings.share,
        "largest_shared_opening_group": int(s.openings.group_sizes[0]) if len(s.openings.group_sizes) else 0,
        "token_budget": budget,
        **{f"distinct_{n}": s.distinct[n - 1][0] for n in (1, 2, 3)},
        **{f"reference_distinct_{n}": r.distinct[n - 1][0] for n in (1, 2, 3)},
        **{f"distinct_{n}_ratio": ratio_to_reference(s.distinct[n - 1][0], r.distinct[n - 1][0]) for n in (1, 2, 3)},
        "lzma_compression_ratio": s.compression,
        "reference_lzma_compression_ratio": r.compression,
        "compressed_bytes": max_bytes,
    }


def text_tables(
    text_rows: list[dict[str, Any]], cluster_rows: list[dict[str, Any]], opening_rows: list[dict[str, Any]]
) -> list[Table]:
    """Tables of text variety per column, the largest near-duplicate groups and the most repeated openings."""
    tables: list[Table] = []
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
    return tables


def sample_sides(
    ctx: AuditContext, column: str, texts: tuple[pd.Series, pd.Series], k: int, p: Any, rng: np.random.Generator
) -> tuple[TextSide, TextSide, list[str], int, int]:
    """Both sides' statistics on a seeded shuffled sample of ``k`` texts each (synthetic, then reference).

    Returns the two sides, the reference sample's normalised texts, the token budget and the compressed bytes.
    """
    syn_texts, ref_texts = texts
    syn_texts = syn_texts.iloc[rng.permutation(len(syn_texts))[:k]]
    ref_texts = ref_texts.iloc[rng.permutation(len(ref_texts))[:k]]
    signed = [
        ctx.text_signatures(column, key, width=p.shingle_chars, num_perm=NUM_PERM)
        for key in ("synthetic_candidate", "reference_candidate")
    ]
    positions = [sig.positions(t.index) for sig, t in zip(signed, (syn_texts, ref_texts), strict=True)]
    normalised = [sig.normalised[at].tolist() for sig, at in zip(signed, positions, strict=True)]
    budget = min(token_count(texts) for texts in normalised)
    max_bytes = min(byte_count(syn_texts), byte_count(ref_texts), p.compression_bytes)
    sides = [
        text_side(
            texts,
            normalised_texts,
            sig.signatures[at],
            p=p,
            budget=budget,
            max_bytes=max_bytes,
            rng=rng,
        )
        for texts, normalised_texts, sig, at in zip((syn_texts, ref_texts), normalised, signed, positions, strict=True)
    ]
    s, r = sides
    return s, r, normalised[1], budget, max_bytes


def _clustered_share_se(reference_variance: float, syn_share: float, ref_share: float, k: int) -> float:
    """SE of the difference of two shares of texts that come in groups (near-duplicates, shared openings), k a side.

    ``√(2 · max(v_ref, p̄(1 − p̄)/k, 4/k²))``: ``v_ref`` is the reference's own variance when its groups occur
    independently (Σ size² / k²), which is 0 when the reference sample happens to hold no group at all; the
    pooled binomial term ``p̄ = (syn + ref) / 2`` is the two-proportion null variance (both sides one
    distribution), which does not collapse then — a held-out real sample of templated tweets with 3.8 %
    near-duplicates failed against a split-half reference with none (SE from the one-pair floor alone) —
    and does not grow with the synthetic side's clusters (a collapsed sample is one group: its own
    clustered variance would hide it); ``4/k²`` is one pair in ``k``.
    """
    pooled = (syn_share + ref_share) / 2.0
    return math.sqrt(2.0 * max(reference_variance, pooled * (1.0 - pooled) / k, 4.0 / (k * k)))


def text_gates(column: str, sides: tuple[TextSide, TextSide], k: int, p: Any) -> tuple[Metric, Metric, Metric]:
    """The gated near-duplicate share, distinct-2 and shared-opening share of one text column."""
    s, r = sides
    near_se = _clustered_share_se(r.near.null_variance, s.near.share, r.near.share, k)
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
        standard_error=_clustered_share_se(r.openings.null_variance, s.openings.share, r.openings.share, k),
        margin=p.opening_margin,
        direction="lower_is_better",
        value_range=(0.0, 1.0),
        description=f"share of synthetic texts whose first {p.opening_tokens} words another synthetic "
        f"text shares (column {column!r})",
    )
    return near_metric, distinct_metric, opening_metric
