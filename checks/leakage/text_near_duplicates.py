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

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from synthaudit.artefacts.minhash import (
    ShingleKind,
    normalise_texts,
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
from synthaudit.checks.leakage.near_copy_scoring import Outcome, method_outcome
from synthaudit.checks.leakage.text_overlap import (
    LshIndex,
    best_jaccard,
    is_member,
    ngram_fraction,
    ngram_overlap,
    ngram_set,
    ngram_size,
    text_hashes,
)
from synthaudit.context import AuditContext
from synthaudit.neighbours import raw_search
from synthaudit.result import CheckResult, Metric

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

_METHOD_LABELS = {
    "exact": "exact copy (after normalisation)",
    "jaccard": "MinHash-LSH shingle Jaccard",
    "ngram": "verbatim n-gram overlap",
    "embedding": "sentence-embedding cosine",
}

_METHOD_NAMES = {"exact": "exact", "jaccard": "MinHash", "ngram": "n-gram", "embedding": "embeddings"}
"""How each method is named in the result's ``columns``."""


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
    column has at least 10 non-empty texts on every side.

    Cost: O(n) shingling and MinHash (``num_perm`` passes), LSH lookups, exact n-gram membership; the embedding method
    costs the embeddings themselves (cached) and an exact n_synthetic × n_real inner product. Queries are a seeded
    sample of ``max_texts`` per side and the real texts of ``max_base_texts`` unless ``--full``; linear in text columns.
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
        outcomes: list[Outcome] = []
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
        # a column whose reference texts all occur among the real ones (a fixed system prompt) shows nothing
        saturated = {o.column for o in outcomes if o.method == "exact" and o.ref_share >= 1.0}
        open_outcomes = [o for o in outcomes if o.column not in saturated and o.ref_share < 1.0]
        if not open_outcomes:
            return self.skip("every reference text is a real text (a fixed prompt?): no excess of copies can show")
        worst = max(open_outcomes, key=lambda o: o.severity)
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
            of_method = [o for o in open_outcomes if o.method == method]
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
    ) -> tuple[list[Outcome], tuple[float, float]] | None:
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
        base_hashes = text_hashes(base)
        base_set = sorted_unique(base_hashes)
        first = ~pd.Series(base_hashes).duplicated().to_numpy()
        distinct = base[first].tolist()
        index = LshIndex(distinct, kind, k, p.bands, base_signatures[first])
        base_units, base_lengths = word_units(distinct)
        n = ngram_size(base_lengths, p.max_ngram, p.min_ngram)
        ngrams = ngram_set(base_units, base_lengths, n)
        scores: dict[str, dict[str, np.ndarray]] = {}
        exact: dict[str, np.ndarray] = {}
        for side, texts in sides.items():
            exact[side] = is_member(text_hashes(texts), base_set)
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
                "ngram": ngram_fraction(units, lengths, n, ngrams),
            }
        rows = sides["synthetic"].index.to_numpy()
        outcomes = [
            method_outcome(
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
    ) -> Outcome:
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
                is_member(text_hashes(texts[keep]), base_set),
                rows[keep],
            )
            sizes[f"{column}.embedded_{side}_texts"] = int(keep.sum())
        sizes[f"{column}.embedded_base_texts"] = len(base_vectors)
        return method_outcome(
            column,
            "embedding",
            found["synthetic"],
            found["reference"][:2],
            p.reference_quantile,
            p.margin,
        )
