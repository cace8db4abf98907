"""``leakage.text_near_duplicates``: synthetic texts that are (edited) copies of real texts.

Texts are normalised by the one normaliser of :mod:`synthaudit.artefacts.minhash` and compared with the real
(base) texts in three ways, each scoring a candidate text by its best match among the real texts:

* **Jaccard** of character 5-gram shingles (word 5-grams for long documents), found with MinHash LSH and
  verified by exact Jaccard on the candidate pairs;
* **verbatim n-gram overlap**: the share of a text's long word n-grams found verbatim in a real text;
* **embedding cosine** (with the ``text`` extra): inner product of sentence embeddings, exact faiss search.

Signatures are the one MinHash of :mod:`synthaudit.artefacts.minhash` (fixed hash family, not the audit
seed), cached on the audit context per column and frame and shared with ``diversity.duplicates``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthaudit.artefacts.minhash import (
    ShingleKind,
    ShingleSets,
    band_keys,
    normalise_texts,
    pair_jaccard,
    rolling,
    segment_positions,
    sorted_unique,
    word_units,
)
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Need,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.context import AuditContext
from synthaudit.neighbours import raw_search
from synthaudit.result import CheckResult, Metric
from synthaudit.stats.proportions import pooled_difference_se_counts

__all__ = [
    "TextNearDuplicateCheck",
    "best_jaccard",
    "ngram_overlap",
    "ngram_size",
]

EVIDENCE_CAP = 20
"""Evidence is capped: synthetic row numbers only, at most this many."""
MIN_TEXTS = 10
"""Fewer non-empty texts than this on a side, and a column is not compared."""

_QUERY_CHUNK = 20_000
"""Query texts looked up in the LSH index at a time."""
_METHOD_LABELS = {
    "exact": "exact copy (after normalisation)",
    "jaccard": "MinHash-LSH shingle Jaccard",
    "ngram": "verbatim n-gram overlap",
    "embedding": "sentence-embedding cosine",
}

_METHOD_NAMES = {"exact": "exact", "jaccard": "MinHash", "ngram": "n-gram", "embedding": "embeddings"}
"""How each method is named in the result's ``columns``."""


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each value occurs in ``sorted_set`` (sorted, unique)."""
    if len(sorted_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    pos = np.minimum(np.searchsorted(sorted_set, ordered), len(sorted_set) - 1)
    out = np.empty(len(values), dtype=bool)
    out[order] = sorted_set[pos] == ordered
    return out


def _text_hashes(texts: pd.Series) -> np.ndarray:
    """A deterministic 64-bit hash of each (normalised) text."""
    return pd.util.hash_array(texts.to_numpy(dtype=object))


# ----------------------------------------------------------------- LSH lookups
@dataclass
class _LshIndex:
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
    index: _LshIndex,
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


# ----------------------------------------------------------------- n-gram overlap
def ngram_size(base_token_counts: np.ndarray, longest: int = 13, shortest: int = 5) -> int:
    """``min(longest, max(shortest, median token count // 2))``: long n-grams, shorter for short texts."""
    median = float(np.median(base_token_counts)) if len(base_token_counts) else 0.0
    return int(min(longest, max(shortest, int(median // 2))))


def _ngram_set(units: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    hashes, _ = rolling(units, lengths, n, pad=False)
    return sorted_unique(hashes)


def _ngram_fraction(units: np.ndarray, lengths: np.ndarray, n: int, base_set: np.ndarray) -> np.ndarray:
    hashes, counts = rolling(units, lengths, n, pad=False)
    owner = np.repeat(np.arange(len(lengths)), counts)
    hits = np.bincount(owner[_member(hashes, base_set)], minlength=len(lengths))
    return np.where(counts > 0, hits / np.maximum(counts, 1), 0.0)


def ngram_overlap(queries: Sequence[str], base: Sequence[str], n: int) -> np.ndarray:
    """Share of each query's word ``n``-grams that occur verbatim in some base text (0 without n-grams).

    Texts are expected normalised; a query with fewer than ``n`` words has no n-gram and scores 0.
    """
    base_units, base_lengths = word_units(base)
    units, lengths = word_units(queries)
    return _ngram_fraction(units, lengths, n, _ngram_set(base_units, base_lengths, n))


# ----------------------------------------------------------------- scoring against the reference


@dataclass
class _Outcome:
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


def _outcome(
    column: str,
    method: str,
    syn: tuple[np.ndarray, np.ndarray, np.ndarray],
    ref: tuple[np.ndarray, np.ndarray],
    quantile: float,
    margin: Margin,
) -> _Outcome:
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
    out = _Outcome(
        column, method, x_syn / len(syn_flag), x_ref / len(ref_flag), cutoff, len(syn_flag), len(ref_flag), se, flagged
    )
    out.fail_delta = max(margin.fail_floor, margin.fail_se * se)
    return out


# ----------------------------------------------------------------- the check
class TextNearDuplicateCheck(Check):
    """Synthetic texts that are exact or edited copies of real texts, beyond what unseen real texts show.

    Texts are normalised (NFKC, lower case, apostrophes removed, other punctuation to spaces, white space
    collapsed: :mod:`synthaudit.artefacts.minhash`). Each synthetic text
    (and each reference text: the holdout, or the real data's other half) gets, for every method, the score
    of its best match among the real (base) texts:

    * ``exact``: the normalised text occurs among the real texts;
    * ``jaccard``: Jaccard similarity of character 5-gram shingle sets (word 5-grams when the real texts'
      median length exceeds ``long_text_chars``), candidates from MinHash LSH (``num_perm`` permutations in
      ``bands`` bands), the best ``verify_top`` candidates verified by exact Jaccard; 0 without a candidate;
    * ``ngram``: the share of the text's word n-grams found verbatim in a real text, n = min(13, max(5,
      median real token count // 2)); its plain "contamination rate" (share of texts sharing at least one
      n-gram) is information;
    * ``embedding`` (``text`` extra): cosine similarity of sentence embeddings, exact faiss inner product.

    Fixed cut-offs do not work here: a two-word edit of a BBC news sentence keeps a median char-5 Jaccard of
    about 0.76 and a cosine of about 0.90, and what unrelated real texts score depends on the corpus
    (templates, boilerplate), so a fixed cut-off either misses edits or flags everything. Each similarity
    method is therefore calibrated on the reference: a text is a near-duplicate when it is not an exact copy
    and scores above the 99th percentile of the reference's non-exact texts. Exact copies are scored apart,
    because real corpora repeat texts (boilerplate, quotes): a few per cent of held-out texts occurring
    verbatim would pin the percentile at 1 and blind every similarity to edits.

    Per method the metric is the share of synthetic texts that are near-duplicates (exact copies for
    ``exact``), compared with the same share of reference texts (about 1 % by construction, or the real
    corpus's own exact-repeat rate); range [0, 1], lower is better; 1 when every synthetic text copies a real
    one, about the reference share for an independent sample. The margin is the two-proportion standard
    error with small floors. The single gating metric, ``near_duplicate_share``, is the method and column
    closest to (or furthest past) its fail threshold; its description and the table name both. Evidence:
    synthetic row numbers of the flagged texts, best matches first (never the texts). Skips when no text
    column has at least 10 non-empty texts on every side. Cost: O(n) shingling and MinHash (``num_perm``
    passes), LSH lookups, exact n-gram membership; the embedding method costs the embeddings themselves
    (cached) and an exact n_synthetic × n_real inner product. Queries are a seeded sample of ``max_texts``
    per side and the real texts of ``max_base_texts`` unless ``--full``.
    """

    name: ClassVar[str] = "leakage.text_near_duplicates"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = (
        "Synthetic texts are not (edited) copies of real texts beyond what unseen real texts are."
    )
    meaning: ClassVar[str] = (
        "The share of synthetic texts that copy a real text verbatim or nearly (a few words changed), compared "
        "with the same share for real texts the generator never saw (about 1 % by construction). Lower is "
        "better; a clear excess means the generator reproduces its training texts."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.TEXT})
    gating_metrics: ClassVar[tuple[str, ...]] = ("near_duplicate_share",)

    class Params(CheckParams):
        """Settings and thresholds of ``leakage.text_near_duplicates``."""

        reference_quantile: float = Field(
            0.99, gt=0.5, lt=1.0, description="Quantile of the reference's best-match scores that defines 'near'."
        )
        margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.005, fail_floor=0.01),
            description="Margin over the reference share of near-duplicates (two-proportion standard error).",
        )
        char_shingle: int = Field(5, ge=2, le=20, description="Characters per shingle for short texts.")
        word_shingle: int = Field(5, ge=1, le=20, description="Words per shingle for long documents.")
        long_text_chars: int = Field(
            1000, ge=1, description="Median normalised length of the real texts above which word shingles are used."
        )
        num_perm: int = Field(64, ge=8, le=512, description="MinHash permutations.")
        bands: int = Field(16, ge=1, description="LSH bands (num_perm must be a multiple of bands).")
        max_bucket: int = Field(20, ge=1, description="Base texts taken from one LSH bucket per query and band.")
        verify_top: int = Field(3, ge=1, description="Candidates per query verified by exact Jaccard.")
        max_ngram: int = Field(13, ge=2, description="Longest verbatim n-gram (words) for the overlap method.")
        min_ngram: int = Field(5, ge=2, description="Shortest n-gram, used for short texts.")
        use_embeddings: bool = Field(True, description="Compare sentence embeddings when the text extra is installed.")
        max_texts: int = Field(
            100_000,
            ge=100,
            description="Seeded cap on the synthetic and reference texts per column (no cap with --full).",
        )
        max_base_texts: int = Field(
            1_000_000, ge=100, description="Seeded cap on the real texts per column (no cap with --full)."
        )

        @model_validator(mode="after")
        def _consistent(self) -> TextNearDuplicateCheck.Params:
            if self.num_perm % self.bands:
                raise ValueError(f"num_perm ({self.num_perm}) must be a multiple of bands ({self.bands})")
            if self.min_ngram > self.max_ngram:
                raise ValueError(f"min_ngram ({self.min_ngram}) must not exceed max_ngram ({self.max_ngram})")
            return self

    def run(self, ctx: AuditContext) -> CheckResult:
        """Score every synthetic and reference text against the real texts, per method, and compare."""
        p = self.params
        embedding_note = None
        if not p.use_embeddings:
            embedding_note = "turned off (use_embeddings: false)"
        elif ctx.embeddings_unavailable:
            embedding_note = ctx.embeddings_unavailable
        outcomes: list[_Outcome] = []
        contamination: dict[str, tuple[float, float]] = {}
        sizes: dict[str, int] = {}
        for column in ctx.data.text:
            found = self._column(ctx, column, embedding_note is None, sizes)
            if found is None:
                continue
            outcomes.extend(found[0])
            contamination[column] = found[1]
        if not outcomes:
            return self.skip(f"no text column has at least {MIN_TEXTS} non-empty texts on every side")
        worst = max(outcomes, key=lambda o: o.severity)
        metrics: list[Metric] = [
            gated_metric(
                "near_duplicate_share",
                value=worst.syn_share,
                reference=worst.ref_share,
                standard_error=worst.se,
                margin=p.margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of synthetic texts in {worst.column!r} flagged by {_METHOD_LABELS[worst.method]}"
                + ("" if worst.cutoff is None else f" (best-match score above {worst.cutoff:.4g})"),
            )
        ]
        for method in ("exact", "jaccard", "ngram", "embedding"):
            of_method = [o for o in outcomes if o.method == method]
            if of_method:
                top = max(of_method, key=lambda o: o.severity)
                metrics.append(
                    info_metric(
                        f"{method}_near_duplicate_share" if method != "exact" else "exact_copy_share",
                        top.syn_share,
                        reference=top.ref_share,
                        direction="lower_is_better",
                        value_range=(0.0, 1.0),
                        description=f"{_METHOD_LABELS[method]}: share of synthetic texts flagged ({top.column!r})",
                    )
                )
        worst_contamination = max(contamination.items(), key=lambda kv: kv[1][0] - kv[1][1])
        metrics.append(
            info_metric(
                "ngram_contamination_rate",
                worst_contamination[1][0],
                reference=worst_contamination[1][1],
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of synthetic texts sharing at least one long word n-gram with a real text "
                f"({worst_contamination[0]!r})",
            )
        )
        ordered = sorted(outcomes, key=lambda o: -o.severity)
        table = make_table(
            "near_duplicates",
            "Near-duplicate texts per column and method (worst first)",
            [
                {
                    "column": o.column,
                    "method": o.method,
                    "synthetic_share": o.syn_share,
                    "reference_share": o.ref_share,
                    "score_cutoff": o.cutoff,
                    "synthetic_texts": o.n_syn,
                    "reference_texts": o.n_ref,
                }
                for o in ordered
            ],
        )
        in_column = [o for o in outcomes if o.column == worst.column]
        figure = make_figure(
            "bars",
            f"Near-duplicate share by method ({worst.column})",
            {
                "categories": [o.method for o in in_column],
                "series": {
                    "synthetic": [o.syn_share for o in in_column],
                    "reference": [o.ref_share for o in in_column],
                },
            },
            x_label="method",
            y_label="share of texts",
        )
        summary = (
            f"{worst.syn_share:.2%} of synthetic texts in {worst.column!r} are flagged by "
            f"{_METHOD_LABELS[worst.method]} (reference {worst.ref_share:.2%})."
        )
        if embedding_note is not None:
            summary += f" Embedding similarity not compared: {embedding_note}."
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[table],
            figures=[figure],
            sample_sizes=sizes,
            evidence={"near_duplicate_synthetic_rows": worst.flagged_rows[:EVIDENCE_CAP].tolist()},
            columns={
                column: "text (" + ", ".join(_METHOD_NAMES[o.method] for o in outcomes if o.column == column) + ")"
                for column in contamination
            },
        )

    # ------------------------------------------------------------ one column
    def _texts(self, ctx: AuditContext, key: str, column: str, cap: int) -> pd.Series:
        """The non-missing texts of the frame's (seeded, capped) sample, indexed by row."""
        frame = ctx.frame(key)
        if not ctx.full and len(frame) > cap:
            frame = ctx.sample_rows(frame, cap, f"{self.name}.{column}.{key}")
        return frame[column].dropna()

    def _signed(
        self, ctx: AuditContext, key: str, column: str, values: pd.Series, kind: ShingleKind, k: int
    ) -> tuple[pd.Series, np.ndarray]:
        """The non-empty normalised texts of ``values`` and their signatures (from the context's cache)."""
        p = self.params
        signed = ctx.text_signatures(column, key, kind=kind, width=k, num_perm=p.num_perm)
        at = signed.positions(values.index)
        texts = pd.Series(signed.normalised[at], index=values.index, dtype=object)
        keep = (texts.str.len() > 0).to_numpy()
        return texts[keep], signed.signatures[at][keep]

    def _column(
        self, ctx: AuditContext, column: str, embed: bool, sizes: dict[str, int]
    ) -> tuple[list[_Outcome], tuple[float, float]] | None:
        p = self.params
        keys = {"base": "base", "synthetic": "synthetic_candidate", "reference": "reference_candidate"}
        values = {
            side: self._texts(ctx, key, column, p.max_base_texts if side == "base" else p.max_texts)
            for side, key in keys.items()
        }
        lengths = pd.Series(normalise_texts(values["base"].tolist()), dtype=object).str.len()
        lengths = lengths[lengths > 0]
        if len(lengths) < MIN_TEXTS:
            return None
        kind: ShingleKind = "word" if float(lengths.median()) > p.long_text_chars else "char"
        k = p.word_shingle if kind == "word" else p.char_shingle
        signed = {side: self._signed(ctx, keys[side], column, v, kind, k) for side, v in values.items()}
        base, base_signatures = signed["base"]
        sides = {side: signed[side][0] for side in ("synthetic", "reference")}
        if min(len(base), *(len(s) for s in sides.values())) < MIN_TEXTS:
            return None
        sizes[f"{column}.base_texts"] = len(base)
        sizes[f"{column}.synthetic_texts"] = len(sides["synthetic"])
        sizes[f"{column}.reference_texts"] = len(sides["reference"])
        base_hashes = _text_hashes(base)
        base_set = sorted_unique(base_hashes)
        first = ~pd.Series(base_hashes).duplicated().to_numpy()
        distinct = base[first].tolist()
        index = _LshIndex(distinct, kind, k, p.bands, base_signatures[first])
        base_units, base_lengths = word_units(distinct)
        n = ngram_size(base_lengths, p.max_ngram, p.min_ngram)
        ngrams = _ngram_set(base_units, base_lengths, n)
        scores: dict[str, dict[str, np.ndarray]] = {}
        exact: dict[str, np.ndarray] = {}
        for side, texts in sides.items():
            exact[side] = _member(_text_hashes(texts), base_set)
            jaccard = np.zeros(len(texts))
            rest = np.flatnonzero(~exact[side])
            jaccard[rest] = best_jaccard(
                texts.to_numpy(dtype=object)[rest].tolist(),
                signed[side][1][rest],
                index,
                max_bucket=p.max_bucket,
                verify_top=p.verify_top,
            )
            units, lengths = word_units(texts.tolist())
            scores[side] = {
                "exact": exact[side].astype(np.float64),
                "jaccard": jaccard,
                "ngram": _ngram_fraction(units, lengths, n, ngrams),
            }
        rows = sides["synthetic"].index.to_numpy()
        outcomes = [
            _outcome(
                column,
                method,
                (scores["synthetic"][method], exact["synthetic"], rows),
                (scores["reference"][method], exact["reference"]),
                p.reference_quantile,
                p.margin,
            )
            for method in ("exact", "jaccard", "ngram")
        ]
        if embed:
            outcomes.append(self._embedding_outcome(ctx, column, base_set, sizes))
        contaminated = tuple(
            float(np.mean(~exact[side] & (scores[side]["ngram"] > 0))) for side in ("synthetic", "reference")
        )
        sizes[f"{column}.ngram_words"] = n
        return outcomes, (contaminated[0], contaminated[1])

    def _embedding_outcome(
        self, ctx: AuditContext, column: str, base_set: np.ndarray, sizes: dict[str, int]
    ) -> _Outcome:
        p = self.params
        _, base_vectors = ctx.text_embeddings(column, "base")
        found = {}
        for side, key in (("synthetic", "synthetic_candidate"), ("reference", "reference_candidate")):
            rows, vectors = ctx.text_embeddings(column, key)
            texts = pd.Series(normalise_texts(ctx.frame(key).loc[rows, column].astype(str).tolist()), dtype=object)
            keep = (texts.str.len() > 0).to_numpy()
            similarity, _ = raw_search(base_vectors, vectors[keep], 1, inner_product=True)
            found[side] = (
                similarity[:, 0].astype(np.float64),
                _member(_text_hashes(texts[keep]), base_set),
                rows[keep],
            )
            sizes[f"{column}.embedded_{side}_texts"] = int(keep.sum())
        sizes[f"{column}.embedded_base_texts"] = len(base_vectors)
        return _outcome(
            column,
            "embedding",
            found["synthetic"],
            found["reference"][:2],
            p.reference_quantile,
            p.margin,
        )
