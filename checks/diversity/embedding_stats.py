"""The statistics behind ``diversity.embedding``: Vendi, cosine spread, cluster occupancy, k-means.

Vendi scores by the Gram (d × d) and kernel (n × n) routes with their jackknife, the mean pairwise cosine
distance, cluster occupancy distances and the k-means clustering they use.

A helper module of the diversity suite (it defines no check); split from ``embedding.py`` so each reads in one
sitting. The public names are re-exported by ``synthaudit.checks.diversity.embedding``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthaudit.neighbours import kmeans_centroids, raw_search

MIN_EXPECTED_COUNT = 20.0
"""A cluster counts towards the emptied share only when the candidate should hold at least this many rows."""
EMPTY_FRACTION = 0.1
"""A cluster is (nearly) empty when it holds fewer than this share of the rows expected from the real share."""

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
