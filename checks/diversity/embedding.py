"""``diversity.embedding``: Vendi score, pairwise spread and cluster coverage of rows and text embeddings."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from pydantic import Field

from synthaudit.artefacts.vector_parts import MIN_ROWS, VectorPart, part_columns, sample_side, vector_parts
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_table,
    worst_of_many_margin,
)
from synthaudit.checks.diversity.embedding_parts import (  # noqa: F401 (re-exported)
    RARE_CLUSTER_COUNT,
    SCATTER_POINTS,
    _occupancy_figure,
    _PartResult,
    _scatter,
)
from synthaudit.checks.diversity.embedding_stats import (  # noqa: F401 (re-exported)
    _GRAM_CHUNK_CELLS,
    _ROW_CHUNK,
    EMPTY_FRACTION,
    MIN_EXPECTED_COUNT,
    GramSummary,
    KernelSummary,
    _assign,
    _cluster_count,
    _kernel_cosine_distance,
    _kernel_jackknife,
    _kmeans,
    _mean_cosine_distance,
    _normalised,
    _vendi_jackknife,
    cluster_js_distance_se,
    emptied_cluster_share,
    gram_summary,
    js_distance,
    kernel_summary,
    mean_pairwise_cosine_distance,
    vendi_from_gram,
    vendi_score,
)
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult, FigureSpec, Metric
from synthaudit.stats.threads import one_blas_thread

__all__ = [
    "EmbeddingDiversityCheck",
    "GramSummary",
    "KernelSummary",
    "cluster_js_distance_se",
    "emptied_cluster_share",
    "gram_summary",
    "js_distance",
    "kernel_summary",
    "mean_pairwise_cosine_distance",
    "vendi_from_gram",
    "vendi_score",
]


def _evaluate_part(
    part: VectorPart, p: EmbeddingDiversityCheck.Params, rng: np.random.Generator, full: bool
) -> _PartResult:
    size = min(len(part.base), len(part.synthetic), len(part.reference))
    width = part.base.vectors.shape[1]
    row_kernel = width > p.max_gram_side
    if row_kernel:  # wider than the cap: Vendi from the n × n kernel itself, on at most the cap's rows (seeded)
        size = min(size, p.max_gram_side)
    base_v = sample_side(part.base, size, rng)
    syn_v = sample_side(part.synthetic, size, rng)
    ref_v = sample_side(part.reference, size, rng)
    # Gram products and eigen-decompositions on one BLAS thread: threaded BLAS moves their last bits.
    with one_blas_thread():
        if row_kernel:
            base_vendi = vendi_from_gram(kernel_summary(base_v.vectors).kernel)
            syn_kernel = kernel_summary(syn_v.vectors, p.jackknife_groups, rng)
            ref_kernel = kernel_summary(ref_v.vectors, p.jackknife_groups, rng)
            syn_vendi, syn_se = _kernel_jackknife(syn_kernel)
            ref_vendi, ref_se = _kernel_jackknife(ref_kernel)
            syn_cosine, ref_cosine = _kernel_cosine_distance(syn_kernel), _kernel_cosine_distance(ref_kernel)
        else:
            base_vendi = vendi_from_gram(gram_summary(base_v.vectors).total)
            syn_summary = gram_summary(syn_v.vectors, p.jackknife_groups, rng)
            ref_summary = gram_summary(ref_v.vectors, p.jackknife_groups, rng)
            syn_vendi, syn_se = _vendi_jackknife(syn_summary)
            ref_vendi, ref_se = _vendi_jackknife(ref_summary)
            syn_cosine, ref_cosine = _mean_cosine_distance(syn_summary), _mean_cosine_distance(ref_summary)

    clusters = _cluster_count(len(part.synthetic), p.max_clusters)
    train = part.base.vectors if full else sample_side(part.base, p.kmeans_rows, rng).vectors
    centroids = _kmeans(train, clusters, int(rng.integers(1, 2**31 - 1)))
    counts = [
        np.bincount(_assign(centroids, side.vectors), minlength=clusters)
        for side in (part.base, part.synthetic, part.reference)
    ]
    return _PartResult(
        part=part,
        vendi_rows=size,
        vendi_row_kernel=row_kernel,
        base_vendi=base_vendi,
        synthetic_vendi=syn_vendi,
        reference_vendi=ref_vendi,
        vendi_se=math.sqrt(syn_se**2 + ref_se**2),
        synthetic_cosine=syn_cosine,
        reference_cosine=ref_cosine,
        clusters=clusters,
        base_counts=counts[0],
        synthetic_counts=counts[1],
        reference_counts=counts[2],
        js_se=cluster_js_distance_se(len(part.base), len(part.synthetic)),
        train_rows=len(train),
    )


class EmbeddingDiversityCheck(Check):
    """Vendi score, pairwise spread and cluster coverage of the synthetic rows, against the reference.

    Works per vector view of the data: the shared row encoding (standardised numbers, one-hot categories) and the
    sentence embeddings of each text column. **Vendi score** (Friedman & Dieng, 2023): exp of the Shannon entropy of the
    eigenvalues of the cosine-similarity matrix / n — the effective number of distinct rows, in [1, width]; computed
    exactly in the dual from the uncentred d × d matrix XᵀX/n of the L2-normalised rows (trace 1), so linear in rows;
    vectors wider than ``max_gram_side`` use the n × n matrix itself, on a seeded sample of at most that many rows per
    side (the same value at those rows). Encoded tabular rows are L2-normalised too (their direction is compared, not
    their length). Vendi depends on n, so the base real rows and both candidates are cut to one size; the gating
    ``vendi_ratio`` is Vendi(candidate) / Vendi(base): 1 for identical data, about 1 for an independent sample (the
    reference), higher is better, well below 1 when the generator repeats a few templates. Its standard error is a
    delete-a-group jackknife (20 seeded groups) of both candidates' Vendi scores. **Cluster coverage**: k-means (faiss,
    seeded, 20 iterations, k = √m up to 50, trained on a seeded sample of 25 000 base real rows, all of them with
    ``--full``; on the raw encoding for tabular rows) partitions the real rows; the gating ``cluster_js_distance`` is
    the Jensen–Shannon distance (base 2, in [0, 1], lower is better, 0 for identical occupancy) between the real rows'
    and the candidate's cluster shares, against the reference's, with the analytic null standard error √((1/n + 1/m) /
    (8 ln 2)), n real and m candidate rows. Information: the share of well-populated real clusters the candidate leaves
    (nearly) empty, and the mean pairwise cosine distance (exact, from the mean vector).

    Gating is on the worst part (furthest past its reference in standard errors; with several parts the
    standard-error multipliers are Šidák-adjusted for taking the worst). Figures: cluster occupancy
    bars and a 2-D PCA projection of up to 500 real and 500 synthetic rows. Text parts are skipped with the
    install hint when the ``text`` extra is missing; skips when no part has 50 rows per side.

    The Gram and kernel products, their eigenvalues and the PCA run on one BLAS thread: threaded BLAS splits
    their sums between threads, which moved the Vendi ratio in its last digits with the machine's thread count.

    Cost: the shared encoding, O(rows × d), built once per audit. Vendi: O(r × d²) to form the d × d matrix over r =
    min(n, m, h) matched rows and 21 eigen-decompositions O(d³) (the 20-group jackknife; memory 20 × d² float64); when d
    exceeds ``max_gram_side`` (1024), the n × n similarity matrix itself on a seeded sample of at most that many rows
    per side, O(``max_gram_side``² × d + 21 × ``max_gram_side``³), so bounded at any width (recorded as ``vendi_rows``
    and the table's ``vendi_row_kernel``). k-means: O(``kmeans_rows`` × k × d × 20), k ≤ ``max_clusters``; assignment
    O((n + m + h) × k × d); the PCA figure O(1000² × d). Linear in rows (1M × 384 embeddings per side in well under a
    minute) and, past the cap, in width: 5,000 columns (about 26,000 features) × 100 rows in seconds after the encoding.
    """

    name: ClassVar[str] = "diversity.embedding"
    suite: ClassVar[Suite] = Suite.DIVERSITY
    description: ClassVar[str] = (
        "Synthetic rows and texts are as varied as real ones (Vendi score) and fill the real clusters."
    )
    meaning: ClassVar[str] = (
        "Vendi ratio: the effective number of distinct synthetic rows (or texts) relative to as many real ones; "
        "about 1 for new real data, lower means the generator repeats itself. Cluster distance: how differently "
        "synthetic rows fill the clusters of the real data (0 = same shares, 1 = disjoint); high when the "
        "generator leaves parts of the real distribution empty."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("vendi_ratio", "cluster_js_distance")

    class Params(CheckParams):
        """Thresholds and sample sizes of ``diversity.embedding``."""

        vendi_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.05, fail_floor=0.10),
            description="Margin below the reference's Vendi ratio (ratio units: 0.10 = 10 % fewer distinct rows).",
        )
        cluster_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.03, fail_floor=0.05),
            description="Margin over the reference's cluster Jensen–Shannon distance.",
        )
        max_clusters: int = Field(50, ge=2, le=1000, description="Most k-means clusters (k = √rows up to this).")
        kmeans_rows: int = Field(
            25_000,
            ge=100,
            description="Seeded cap on the real rows k-means trains on (no cap with --full; all rows are assigned).",
        )
        jackknife_groups: int = Field(
            20, ge=2, le=200, description="Groups of the delete-a-group jackknife for the Vendi standard error."
        )
        figures: int = Field(2, ge=0, le=20, description="Parts (worst first) drawn as figures.")
        max_gram_side: int = Field(
            1024,
            ge=MIN_ROWS,
            description=(
                "Largest matrix whose eigenvalues give a Vendi score: vectors up to this wide use the d × d matrix "
                "over all matched rows; wider ones the n × n similarity matrix of a seeded sample of at most this "
                "many rows per side (recorded as vendi_rows and vendi_row_kernel)."
            ),
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Compute Vendi and cluster coverage per part on both candidates, and gate the worst part."""
        p = self.params
        parts, skipped = vector_parts(ctx)
        usable: list[VectorPart] = []
        for part in parts:
            size = min(len(part.base), len(part.synthetic), len(part.reference))
            if size < MIN_ROWS:
                skipped[part.name] = f"only {size} rows on the smallest side (needs {MIN_ROWS})"
            else:
                usable.append(part)
        if not usable:
            reasons = "; ".join(f"{name}: {why}" for name, why in sorted(skipped.items()))
            return self.skip(reasons or "no encoded column and no text column to compare")
        rng = ctx.rng(self.name)
        results = [_evaluate_part(part, p, rng, ctx.full) for part in usable]
        by_vendi = sorted(results, key=lambda r: (-r.vendi_z, r.part.name))
        by_js = sorted(results, key=lambda r: (-r.js_z, r.part.name))
        worst, worst_js = by_vendi[0], by_js[0]
        syn_empty, syn_emptied, eligible = emptied_cluster_share(worst_js.base_counts, worst_js.synthetic_counts)
        ref_empty, _, _ = emptied_cluster_share(worst_js.base_counts, worst_js.reference_counts)
        metrics: list[Metric] = [
            gated_metric(
                "vendi_ratio",
                value=worst.synthetic_ratio,
                reference=worst.reference_ratio,
                standard_error=worst.ratio_se,
                margin=worst_of_many_margin(p.vendi_margin, len(results)),
                direction="higher_is_better",
                value_range=(0.0, None),
                description=(
                    f"Vendi score of the candidate / of as many real rows ({worst.part.name}: "
                    f"{worst.synthetic_vendi:.2f} vs real {worst.base_vendi:.2f}, "
                    f"reference {worst.reference_vendi:.2f})"
                ),
            ),
            gated_metric(
                "cluster_js_distance",
                value=worst_js.synthetic_js,
                reference=worst_js.reference_js,
                standard_error=worst_js.js_se,
                margin=worst_of_many_margin(p.cluster_margin, len(results)),
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=(
                    f"Jensen–Shannon distance between real and candidate shares of {worst_js.clusters} real "
                    f"clusters ({worst_js.part.name})"
                ),
            ),
            info_metric(
                "emptied_cluster_share",
                syn_empty,
                reference=ref_empty,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=(
                    f"share of {eligible} well-populated real clusters holding < {EMPTY_FRACTION:.0%} of their "
                    f"expected rows ({worst_js.part.name})"
                ),
            ),
            info_metric(
                "vendi_score",
                worst.synthetic_vendi,
                reference=worst.reference_vendi,
                direction="higher_is_better",
                value_range=(1.0, None),
                description=f"effective number of distinct rows at {worst.vendi_rows} rows ({worst.part.name})",
            ),
            info_metric(
                "mean_pairwise_cosine_distance",
                worst.synthetic_cosine,
                reference=worst.reference_cosine,
                direction="higher_is_better",
                value_range=(0.0, 2.0),
                description=f"mean 1 − cosine similarity over pairs of rows ({worst.part.name})",
            ),
        ]
        rows = []
        for r in by_vendi:
            share, emptied, eligible_here = emptied_cluster_share(r.base_counts, r.synthetic_counts)
            rows.append(
                {
                    "part": r.part.name,
                    "kind": r.part.kind,
                    "vendi_ratio": r.synthetic_ratio,
                    "reference_vendi_ratio": r.reference_ratio,
                    "vendi_ratio_se": r.ratio_se,
                    "vendi_synthetic": r.synthetic_vendi,
                    "vendi_reference": r.reference_vendi,
                    "vendi_real": r.base_vendi,
                    "vendi_rows": r.vendi_rows,
                    "vendi_row_kernel": r.vendi_row_kernel,
                    "cluster_js_distance": r.synthetic_js,
                    "reference_cluster_js_distance": r.reference_js,
                    "clusters": r.clusters,
                    "emptied_clusters": emptied,
                    "eligible_clusters": eligible_here,
                    "emptied_cluster_share": share,
                    "reference_emptied_cluster_share": emptied_cluster_share(r.base_counts, r.reference_counts)[0],
                    "mean_pairwise_cosine_distance": r.synthetic_cosine,
                    "reference_mean_pairwise_cosine_distance": r.reference_cosine,
                }
            )
        tables = [make_table("parts", "Diversity per part, lowest Vendi ratio (in standard errors) first", rows)]
        if skipped:
            tables.append(
                make_table(
                    "skipped_parts",
                    "Parts not compared",
                    [{"part": name, "reason": why} for name, why in sorted(skipped.items())],
                )
            )
        figures: list[FigureSpec] = []
        scatter_rng = ctx.rng(f"{self.name}.figures")
        for r in by_vendi[: p.figures]:
            figures.extend([_occupancy_figure(r), _scatter(r.part, scatter_rng)])
        verdict = "within" if all(m.passed for m in metrics if m.gating) else "beyond"
        summary = (
            f"Vendi ratio {worst.synthetic_ratio:.3f} vs reference {worst.reference_ratio:.3f} ({worst.part.name!r}); "
            f"cluster JS distance {worst_js.synthetic_js:.3f} vs reference {worst_js.reference_js:.3f} with "
            f"{syn_emptied} of {eligible} real clusters left empty ({worst_js.part.name!r}) — {verdict} the thresholds."
        )
        if skipped:
            summary += f" Not compared: {', '.join(sorted(skipped))}."
        sample_sizes: dict[str, int] = {}
        for r in results:
            sample_sizes[f"{r.part.name}.base_rows"] = len(r.part.base)
            sample_sizes[f"{r.part.name}.candidate_rows"] = len(r.part.synthetic)
            sample_sizes[f"{r.part.name}.vendi_rows"] = r.vendi_rows
            sample_sizes[f"{r.part.name}.kmeans_train_rows"] = r.train_rows
            sample_sizes[f"{r.part.name}.clusters"] = r.clusters
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes=sample_sizes,
            columns=part_columns(ctx, usable),
        )
