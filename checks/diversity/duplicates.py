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

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.artefacts.minhash import (
    sorted_unique,
)
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
)
from synthaudit.checks.diversity.near_duplicates import EVIDENCE_CAP, near_duplicate_clusters
from synthaudit.checks.diversity.text_variety import (
    badness,
    compression_ratio,
    distinct_n,
    ratio_to_reference,
    repeated_openings,
    sample_sides,
    text_column_row,
    text_gates,
    text_tables,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, FigureSpec, Metric, Table
from synthaudit.stats.proportions import null_difference_se

__all__ = [
    "DuplicateCheck",
    "compression_ratio",
    "distinct_n",
    "duplicate_rate",
    "near_duplicate_clusters",
]


def duplicate_rate(fingerprints: np.ndarray) -> float:
    """Share of rows that repeat an earlier row of the same sample: 1 − distinct / n (0 for no rows)."""
    if len(fingerprints) == 0:
        return 0.0
    return 1.0 - len(sorted_unique(fingerprints)) / len(fingerprints)


class DuplicateCheck(Check):
    """Repetition inside the synthetic data: duplicate rows, and for text near-duplicates and low variety.

    Every statistic is computed inside one sample: the synthetic candidate rows, and — the reference —
    the reference candidate rows (holdout, or the real data's other half) at the same size, since
    duplicates become more frequent as n grows.

    * ``exact_duplicate_rate`` (gating): share of rows that repeat an earlier row of the same sample,
      1 − distinct / n, on row fingerprints (identifier columns left out; strings trimmed, numbers
      canonical, missing values equal). Range [0, 1), lower is better; 0 for continuous data, about the
      reference's rate for an independent sample. Margin: the binomial standard error of the difference
      under the null, the null rate estimated from the reference rows only (Laplace-smoothed), with a small
      floor.
      ``exact_duplicate_rate_all_rows`` (information) is the same share over every synthetic row (a
      hash-partitioned count run by the engine; every row of the input even when ``--max-rows`` capped it),
      not at matched size, so it has no reference.
    * For each text column, on a seeded shuffled sample of the same number of non-missing texts per side
      (at most ``text_sample_rows`` unless ``--full``):

      - ``near_duplicate_share`` (gating, worst column): share of texts with a near-duplicate in their
        own sample — Jaccard similarity of character 5-gram shingles of the normalised text of at least
        ``near_duplicate_jaccard`` (MinHash LSH candidates verified exactly; see the module docstring).
        Range [0, 1], lower is better; identical normalised texts count. The standard error treats each
        group of mutual near-duplicates as one event: √(2 Σ size²) / n over the reference's groups (at
        least one pair's worth), since a template repeated k times moves the share by k / n at once, and
        never below the pooled two-proportion error (a reference sample without a single group does not
        shrink it to the one-pair floor).
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
    fewer than two rows, or no non-identifier column holds a value in the real data.

    Cost: one hash per row over the compared columns, O((m + h) × c); text: O(characters × 128) for MinHash plus a
    linear number of verified candidate pairs on at most ``text_sample_rows`` texts per side (seeded), a few seconds for
    20,000 texts per side, and compression of at most ``compression_bytes``. Linear in columns.
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
                # Null spread from the reference rows only: pooling in the synthetic rate would widen the
                # margin with the repeats themselves (2 % of repeated rows passed at 1,000 rows).
                standard_error=null_difference_se(round(ref_rate * len(ref)), len(ref), len(syn), len(ref)),
                margin=p.duplicate_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of synthetic rows that repeat an earlier synthetic row (1 − distinct / n)",
            ),
            info_metric(
                "exact_duplicate_rate_all_rows",
                ctx.repeated_rows("synthetic", columns, cap=EVIDENCE_CAP).share,  # a join run by the engine
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of all synthetic rows that repeat an earlier synthetic row (information)",
            ),
        ]
        sample_sizes = {
            "synthetic_rows": len(syn),
            "reference_rows": len(ref),
            "all_synthetic_rows": ctx.input_rows("synthetic"),
        }
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
            s, r, ref_normalised, budget, max_bytes = sample_sides(ctx, column, (syn_texts, ref_texts), k, p, rng)
            near_metric, distinct_metric, opening_metric = text_gates(column, (s, r), k, p)
            near_gates.append((badness(near_metric), column, near_metric, s, r))
            opening_gates.append((badness(opening_metric), column, opening_metric, s, r))
            opening_rows += repeated_openings(column, s, ref_normalised, k)
            measured[column] = "text (row fingerprint, MinHash near-duplicates, distinct-n, openings, compression)"
            distinct_gates.append((badness(distinct_metric), column, distinct_metric, s, r))
            text_rows.append(text_column_row(column, k, budget, max_bytes, (s, r)))
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
                        ratio_to_reference(ds.distinct[n - 1][0], dr.distinct[n - 1][0]),
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
                    ratio_to_reference(ds.compression, dr.compression),
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
        tables += text_tables(text_rows, cluster_rows, opening_rows)
        return self.result(
            metrics=metrics,
            summary=summary + ".",
            tables=tables,
            figures=figures,
            sample_sizes=sample_sizes,
            evidence=evidence,
            columns=measured,
        )
