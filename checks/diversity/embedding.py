"""``diversity.embedding``: Vendi score, pairwise spread and cluster coverage of rows and text embeddings."""

from __future__ import annotations

import math
from dataclasses import dataclass
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
    make_figure,
    make_table,
    worst_of_many_margin,
)
from synthaudit.context import AuditContext
from synthaudit.neighbours import kmeans_centroids, raw_search
from synthaudit.result import CheckResult, FigureSpec, Metric

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

RARE_CLUSTER_COUNT = 10
"""Clusters with fewer real rows than this are left out of figures (DESIGN: rare values are suppressed)."""
MIN_EXPECTED_COUNT = 20.0
"""A cluster counts towards the emptied share only when the candidate should hold at least this many rows."""
EMPTY_FRACTION = 0.1
"""A cluster is (nearly) empty when it holds fewer than this share of the rows expected from the real share."""
SCATTER_POINTS = 500
"""Points per side drawn in the 2-D projection."""
_ROW_CHUNK = 65_536
"""Rows searched at once in the cluster assignment."""
_GRAM_CHUNK_CELLS = 4_000_000
"""Matrix cells (rows × width) summed at once into a Gram matrix (float64: 32 MB)."""


# ----------------------------------------------------------------------------- Vendi and spread
def _normalised(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm, in float64; all-zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    return x / np.where(norms > 0, norms, 1.0)[:, None]


@dataclass(frozen=True)
class GramSummary:
    """Uncentred second moments of L2-normalised rows, in total and per jackknife group.

    ``total`` is Σ xᵢxᵢᵀ (d × d, float64), ``groups[g]`` the same over group g's rows, ``sums[g]`` Σ xᵢ over
    group g, ``counts[g]`` its rows and ``norms`` Σ |xᵢ|² per group (1 per non-zero row).
    """

    total: np.ndarray
    groups: np.ndarray
    sums: np.ndarray
    counts: np.ndarray
    norms: np.ndarray

    @property
    def rows(self) -> int:
        """Rows summarised."""
        return int(self.counts.sum())


def gram_summary(x: np.ndarray, groups: int = 1, rng: np.random.Generator | None = None) -> GramSummary:
    """Σ xᵢxᵢᵀ of the L2-normalised rows of ``x``, split over ``groups`` random groups (linear in rows).

    Rows are assigned to groups by a seeded permutation (``rng``; required when ``groups`` > 1), so the
    delete-a-group jackknife works on sorted data too. Computed in float64 throughout (rows normalised and
    multiplied in double precision, in chunks of about four million cells), so that n identical rows give a
    matrix of rank one to rounding error and a Vendi score of exactly 1.
    """
    n, d = x.shape
    labels = np.zeros(n, dtype=np.int64)
    if groups > 1:
        if rng is None:
            raise ValueError("gram_summary needs an rng to form more than one group")
        labels = rng.permutation(n) % groups
    grams = np.zeros((groups, d, d), dtype=np.float64)
    sums = np.zeros((groups, d), dtype=np.float64)
    norms = np.zeros(groups, dtype=np.float64)
    counts = np.bincount(labels, minlength=groups).astype(np.int64)
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    chunk = max(1, _GRAM_CHUNK_CELLS // max(d, 1))
    for g in range(groups):
        members = order[bounds[g] : bounds[g + 1]]
        for start in range(0, len(members), chunk):
            block = _normalised(x[np.sort(members[start : start + chunk])])
            grams[g] += block.T @ block
            sums[g] += block.sum(axis=0)
            norms[g] += float(np.einsum("ij,ij->", block, block))
    return GramSummary(grams.sum(axis=0), grams, sums, counts, norms)


def vendi_from_gram(gram: np.ndarray) -> float:
    """Vendi score from Σ xᵢxᵢᵀ of unit rows: exp of the Shannon entropy of the eigenvalues of that matrix / trace.

    The non-zero eigenvalues of XᵀX/n and of the n × n similarity matrix K/n = XXᵀ/n are the same (the
    dual), so this is the Vendi score of the cosine-similarity kernel at d × d cost. Range [1, d]; exactly 1
    when every row points the same way.

    Eigenvalues below the rounding error of the matrix are zero. The trace of Σ xᵢxᵢᵀ over n unit rows is n;
    summing n outer products in float64 errs by at most about n × machine epsilon × the trace (the error
    bound of a sum of n terms), and the eigen-solver adds d × epsilon × the trace, so an eigenvalue below
    (n + d) × epsilon × trace (a share under 2e-10 even at a million rows) cannot be told from zero. Kept,
    such noise would keep a matrix of rank one from scoring exactly 1.
    """
    gram = np.asarray(gram, dtype=np.float64)
    trace = float(np.trace(gram))
    if not trace > 0:
        return 1.0
    eigenvalues = np.linalg.eigvalsh((gram + gram.T) / 2.0)
    resolution = (trace + len(gram)) * float(np.finfo(np.float64).eps) * trace
    kept = eigenvalues[eigenvalues > resolution]
    if len(kept) == 0:
        return 1.0
    shares = kept / float(kept.sum())
    return float(min(max(math.exp(-float(np.sum(shares * np.log(shares)))), 1.0), len(gram)))


def vendi_score(x: np.ndarray) -> float:
    """Vendi score (Friedman & Dieng, 2023) of the rows of ``x`` under cosine similarity (rows L2-normalised).

    The effective number of distinct rows: 1 for identical rows, k for k orthogonal directions equally
    often; at most the width of ``x``. Linear in rows.
    """
    if len(x) == 0:
        return 1.0
    return vendi_from_gram(gram_summary(x).total)


def _vendi_jackknife(summary: GramSummary) -> tuple[float, float]:
    """(Vendi, delete-a-group jackknife standard error)."""
    value = vendi_from_gram(summary.total)
    groups = len(summary.groups)
    if groups < 2:
        return value, 0.0
    leave_out = np.array([vendi_from_gram(summary.total - summary.groups[g]) for g in range(groups)])
    return value, float(math.sqrt((groups - 1) / groups * np.sum((leave_out - leave_out.mean()) ** 2)))


@dataclass(frozen=True)
class KernelSummary:
    """The n × n cosine-similarity matrix K = XXᵀ of the L2-normalised rows, with the jackknife group of each row.

    What :class:`GramSummary` stands in for, used directly when rows are wider than they are many: the non-zero
    eigenvalues of K and of XᵀX are the same, so the Vendi score is the same, at n² × d cost to form and n³ to
    decompose.
    """

    kernel: np.ndarray
    labels: np.ndarray
    groups: int = 1

    @property
    def rows(self) -> int:
        """Rows summarised."""
        return len(self.kernel)


def kernel_summary(x: np.ndarray, groups: int = 1, rng: np.random.Generator | None = None) -> KernelSummary:
    """K = XXᵀ of the L2-normalised rows of ``x`` (float64); rows in seeded groups as in :func:`gram_summary`."""
    n = len(x)
    labels = np.zeros(n, dtype=np.int64)
    if groups > 1:
        if rng is None:
            raise ValueError("kernel_summary needs an rng to form more than one group")
        labels = rng.permutation(n) % groups
    kernel = np.zeros((n, n), dtype=np.float64)
    chunk = max(1, _GRAM_CHUNK_CELLS // max(x.shape[1], 1))
    for start in range(0, x.shape[1], chunk):  # features in chunks: K = Σ over feature blocks
        block = np.asarray(x[:, start : start + chunk], dtype=np.float64)
        kernel += block @ block.T
    norms = np.sqrt(np.clip(np.diag(kernel), 0.0, None))
    scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
    return KernelSummary(kernel * scale[:, None] * scale[None, :], labels, groups)


def _kernel_jackknife(summary: KernelSummary) -> tuple[float, float]:
    """(Vendi, delete-a-group jackknife standard error), each leave-out Vendi from the kept rows' block of K."""
    value = vendi_from_gram(summary.kernel)
    groups = summary.groups
    if groups < 2:
        return value, 0.0
    leave_out = []
    for g in range(groups):
        keep = np.flatnonzero(summary.labels != g)
        leave_out.append(vendi_from_gram(summary.kernel[np.ix_(keep, keep)]))
    values = np.asarray(leave_out)
    return value, float(math.sqrt((groups - 1) / groups * np.sum((values - values.mean()) ** 2)))


def _kernel_cosine_distance(summary: KernelSummary) -> float:
    """Mean of 1 − cos over pairs i ≠ j, from K: 1 − (ΣK − trace K) / (n(n − 1)), as :func:`_mean_cosine_distance`."""
    n = summary.rows
    if n < 2:
        return 0.0
    similarity = (float(summary.kernel.sum()) - float(np.trace(summary.kernel))) / (n * (n - 1))
    return float(min(max(1.0 - similarity, 0.0), 2.0))


def _mean_cosine_distance(summary: GramSummary) -> float:
    n = summary.rows
    if n < 2:
        return 0.0
    total = summary.sums.sum(axis=0)
    similarity = (float(total @ total) - float(summary.norms.sum())) / (n * (n - 1))
    return float(min(max(1.0 - similarity, 0.0), 2.0))


def mean_pairwise_cosine_distance(x: np.ndarray) -> float:
    """Mean of 1 − cos(xᵢ, xⱼ) over pairs i ≠ j, exactly, from the mean vector: 1 − (|Σxᵢ|² − n) / (n(n − 1)).

    Range [0, 2]; 0 when every row points the same way, about 1 for unrelated directions. Linear in rows.
    """
    return _mean_cosine_distance(gram_summary(x))


# ----------------------------------------------------------------------------- cluster coverage
def js_distance(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen–Shannon distance (base 2) between two count vectors over the same bins: in [0, 1], 0 when equal.

    Symmetric; the square root of the Jensen–Shannon divergence in bits. An empty side is at distance 1
    from a non-empty one.
    """
    p_total, q_total = float(np.sum(p_counts)), float(np.sum(q_counts))
    if p_total <= 0 or q_total <= 0:
        return 0.0 if p_total == q_total else 1.0
    p = np.asarray(p_counts, dtype=np.float64) / p_total
    q = np.asarray(q_counts, dtype=np.float64) / q_total
    m = (p + q) / 2.0
    divergence = 0.0
    for side in (p, q):
        present = side > 0
        divergence += 0.5 * float(np.sum(side[present] * np.log2(side[present] / m[present])))
    return float(min(max(math.sqrt(max(divergence, 0.0)), 0.0), 1.0))


def cluster_js_distance_se(base_rows: int, candidate_rows: int) -> float:
    """Null standard error of a difference of two cluster JS distances against one base sample.

    For two samples of one distribution over K bins, JSD (bits) ≈ (1/n + 1/m) / (8 ln 2) × χ²(K − 1), so the
    distance has standard deviation ≈ √((1/n + 1/m) / (8 ln 2)) / √2, whatever K; the difference of two such
    distances (treated as independent, which overstates the spread since they share the base) has √2 that.
    """
    if base_rows <= 0 or candidate_rows <= 0:
        return 0.0
    return math.sqrt((1.0 / base_rows + 1.0 / candidate_rows) / (8.0 * math.log(2.0)))


def emptied_cluster_share(base_counts: np.ndarray, candidate_counts: np.ndarray) -> tuple[float, int, int]:
    """(share, emptied, eligible): real clusters the candidate leaves (nearly) empty.

    A cluster is eligible when the candidate should hold at least 20 of its rows (real share × candidate
    rows), and emptied when it holds fewer than 10 % of that. Range [0, 1]; lower is better; 0 for an
    independent sample (missing 90 % of an expected 20 rows by chance is vanishingly rare).
    """
    base_total, candidate_total = float(np.sum(base_counts)), float(np.sum(candidate_counts))
    if base_total <= 0:
        return 0.0, 0, 0
    expected = np.asarray(base_counts, dtype=np.float64) / base_total * candidate_total
    eligible = expected >= MIN_EXPECTED_COUNT
    emptied = eligible & (np.asarray(candidate_counts) < EMPTY_FRACTION * expected)
    count, total = int(emptied.sum()), int(eligible.sum())
    return (count / total if total else 0.0), count, total


def _cluster_count(rows: int, max_clusters: int) -> int:
    return int(min(max_clusters, max(2, math.isqrt(max(rows, 0)))))


def _assign(centroids: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Nearest centroid of every row (exact faiss search)."""
    return raw_search(centroids, x, 1)[1][:, 0]


def _kmeans(train: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Centroids of seeded faiss k-means (20 iterations) on ``train``."""
    return kmeans_centroids(train, k, seed, iterations=20)


# ----------------------------------------------------------------------------- one part
@dataclass(frozen=True)
class _PartResult:
    part: VectorPart
    vendi_rows: int
    vendi_row_kernel: bool
    base_vendi: float
    synthetic_vendi: float
    reference_vendi: float
    vendi_se: float
    synthetic_cosine: float
    reference_cosine: float
    clusters: int
    base_counts: np.ndarray
    synthetic_counts: np.ndarray
    reference_counts: np.ndarray
    js_se: float
    train_rows: int

    @property
    def synthetic_ratio(self) -> float:
        return self.synthetic_vendi / self.base_vendi

    @property
    def reference_ratio(self) -> float:
        return self.reference_vendi / self.base_vendi

    @property
    def ratio_se(self) -> float:
        return self.vendi_se / self.base_vendi

    @property
    def synthetic_js(self) -> float:
        return js_distance(self.base_counts, self.synthetic_counts)

    @property
    def reference_js(self) -> float:
        return js_distance(self.base_counts, self.reference_counts)

    @property
    def vendi_z(self) -> float:
        gap = self.reference_ratio - self.synthetic_ratio
        return gap / self.ratio_se if self.ratio_se > 0 else (math.inf if gap > 0 else 0.0)

    @property
    def js_z(self) -> float:
        gap = self.synthetic_js - self.reference_js
        return gap / self.js_se if self.js_se > 0 else (math.inf if gap > 0 else 0.0)


def _scatter(part: VectorPart, rng: np.random.Generator) -> FigureSpec:
    """PCA (numpy SVD) of up to 500 real and 500 synthetic rows, both projected on the same two axes."""
    real = sample_side(part.base, SCATTER_POINTS, rng).vectors.astype(np.float64)
    synthetic = sample_side(part.synthetic, SCATTER_POINTS, rng).vectors.astype(np.float64)
    stacked = np.vstack([real, synthetic])
    mean = stacked.mean(axis=0)
    _, _, vt = np.linalg.svd(stacked - mean, full_matrices=False)
    axes = vt[:2]
    # Fix each axis's sign (its largest loading positive), so the picture does not flip between runs.
    signs = np.sign(axes[np.arange(len(axes)), np.argmax(np.abs(axes), axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    if len(axes) < 2:
        axes = np.vstack([axes, np.zeros((2 - len(axes), stacked.shape[1]))])
    series = {}
    for label, values in (("real", real), ("synthetic", synthetic)):
        projected = (values - mean) @ axes.T
        series[label] = {"x": projected[:, 0], "y": projected[:, 1]}
    return make_figure(
        "scatter",
        f"{part.name}: real and synthetic rows on the first two principal components",
        {"series": series},
        x_label="component 1",
        y_label="component 2",
    )


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


def _occupancy_figure(result: _PartResult) -> FigureSpec:
    base_total = max(int(result.base_counts.sum()), 1)
    syn_total = max(int(result.synthetic_counts.sum()), 1)
    order = [
        int(c) for c in np.argsort(-result.base_counts, kind="stable") if result.base_counts[c] >= RARE_CLUSTER_COUNT
    ]
    return make_figure(
        "bars",
        f"{result.part.name}: share of rows per real cluster (k-means on real rows)",
        {
            "categories": [f"cluster {rank + 1}" for rank in range(len(order))],
            "series": {
                "real": [result.base_counts[c] / base_total for c in order],
                "synthetic": [result.synthetic_counts[c] / syn_total for c in order],
            },
        },
        x_label="real cluster (largest first)",
        y_label="share of rows",
    )


# ----------------------------------------------------------------------------- the check
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
