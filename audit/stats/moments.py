"""Mergeable floating-point states: co-moments (means and covariances) and Gram sums (Vendi's dual form).

Same contract as :mod:`synthaudit.stats.states` (``update`` / ``merge`` / ``finalise``), but these hold sums of
floats, and floating-point addition is not associative: how exactly a result survives re-partitioning.

- Counts (``n``) are exact.
- :class:`CoMoments` merges with the pairwise update of Chan, Golub & LeVeque (1979), which is numerically
  stable: merging the states of any split agrees with the state of the whole to within rounding (a few ulp
  per merge, relative to the data's scale; the tests check 1e-9). Not bit-identical.
- :class:`GramSums` adds matrix products; the same tolerance holds.

For a result that is also byte-identical across engines, the engine must fix the partitioning *and* the
merge order (e.g. sorted by partition id, folded left to right): then every addition happens in the same
order. The counts states need neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["CoMoments", "CoMomentsResult", "GramSums", "unit_rows", "vendi_from_gram"]


@dataclass(frozen=True)
class CoMomentsResult:
    """Rows, means, covariance (``ddof = 1``) and Pearson correlation of the complete rows of p columns.

    Covariance is NaN with fewer than two rows; a correlation involving a constant column is 0 (diagonal 1).
    """

    n: int
    mean: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray


class CoMoments:
    """Running count, means and co-moment matrix ``M = Σ (x − x̄)(x − x̄)ᵀ`` of rows of ``p`` numbers.

    ``update`` takes rows × p floats and keeps only the complete rows (no NaN or infinity). Merge: with
    δ = x̄_B − x̄_A, n = n_A + n_B: ``x̄ = x̄_A + δ·n_B/n`` and ``M = M_A + M_B + δδᵀ·n_A·n_B/n`` (Chan et al.).
    """

    __slots__ = ("comoment", "mean", "n", "p")

    def __init__(self, p: int) -> None:
        self.p = int(p)
        self.n = 0
        self.mean = np.zeros(self.p)
        self.comoment = np.zeros((self.p, self.p))

    def update(self, rows: np.ndarray) -> CoMoments:
        """Fold in one batch of rows (rows × p)."""
        x = np.asarray(rows, dtype=np.float64).reshape(-1, self.p)
        x = x[np.isfinite(x).all(axis=1)]
        if len(x) == 0:
            return self
        batch = CoMoments(self.p)
        batch.n = len(x)
        batch.mean = x.mean(axis=0)
        centred = x - batch.mean
        batch.comoment = centred.T @ centred
        merged = self.merge(batch)
        self.n, self.mean, self.comoment = merged.n, merged.mean, merged.comoment
        return self

    def merge(self, other: CoMoments) -> CoMoments:
        """The co-moments of both parts (same p)."""
        if self.p != other.p:
            raise ValueError("only co-moments of the same columns merge")
        out = CoMoments(self.p)
        if other.n == 0 or self.n == 0:
            source = self if other.n == 0 else other
            out.n, out.mean, out.comoment = source.n, source.mean.copy(), source.comoment.copy()
            return out
        n = self.n + other.n
        delta = other.mean - self.mean
        out.n = n
        out.mean = self.mean + delta * (other.n / n)
        out.comoment = self.comoment + other.comoment + np.outer(delta, delta) * (self.n * other.n / n)
        return out

    def finalise(self) -> CoMomentsResult:
        """Means, covariance and correlation."""
        if self.n < 2:
            covariance = np.full((self.p, self.p), np.nan)
            correlation = np.eye(self.p)
        else:
            covariance = self.comoment / (self.n - 1)
            sd = np.sqrt(np.clip(np.diag(self.comoment), 0.0, None))
            scale = np.outer(sd, sd)
            tiny = 1e-12 * np.maximum(np.abs(self.mean), 1.0)
            ok = np.outer(sd > tiny * np.sqrt(self.n), sd > tiny * np.sqrt(self.n))
            with np.errstate(divide="ignore", invalid="ignore"):
                correlation = np.where(ok, self.comoment / np.where(ok, scale, 1.0), 0.0)
            correlation = np.clip(correlation, -1.0, 1.0)
            np.fill_diagonal(correlation, 1.0)
        return CoMomentsResult(self.n, self.mean.copy(), covariance, correlation)


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (float64) scaled to unit Euclidean norm; all-zero rows stay zero.

    A row whose squared norm underflows (every entry below about 1e-154) is left as it is: it adds nothing
    measurable to a Gram sum, like a zero row.
    """
    x64 = np.asarray(x, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", x64, x64))
    return x64 / np.where(norms > 0, norms, 1.0)[:, None]


class GramSums:
    """``n`` and ``Σ u uᵀ`` (d × d) over rows ``u`` of dimension d scaled to unit norm: the cosine kernel's dual.

    The Vendi score (Friedman & Dieng 2023) of n rows under the cosine kernel is the exponential of the
    entropy of the eigenvalues of K/n, K = U Uᵀ (n × n); U Uᵀ and UᵀU share their non-zero eigenvalues, so
    the d × d Gram sum — which adds over partitions — is all it needs
    (:func:`vendi_from_gram`).
    """

    __slots__ = ("dimension", "gram", "n")

    def __init__(self, dimension: int) -> None:
        self.dimension = int(dimension)
        self.n = 0
        self.gram = np.zeros((self.dimension, self.dimension))

    def update(self, rows: np.ndarray) -> GramSums:
        """Fold in one batch of rows (rows × d); they are normalised here."""
        unit = unit_rows(np.asarray(rows, dtype=np.float64).reshape(-1, self.dimension))
        self.n += len(unit)
        self.gram = self.gram + unit.T @ unit
        return self

    def merge(self, other: GramSums) -> GramSums:
        """The sums of both parts (same dimension)."""
        if self.dimension != other.dimension:
            raise ValueError("only Gram sums of the same dimension merge")
        out = GramSums(self.dimension)
        out.n = self.n + other.n
        out.gram = self.gram + other.gram
        return out

    def finalise(self) -> np.ndarray:
        """The Gram sum ``Σ u uᵀ`` (its trace is the number of non-zero rows)."""
        return self.gram.copy()


def vendi_from_gram(gram: np.ndarray) -> float:
    """Vendi score from the Gram sum Σ uᵢuᵢᵀ of unit rows: exp of the entropy of its eigenvalues / trace.

    The non-zero eigenvalues of UᵀU/n and of the n × n cosine-similarity matrix UUᵀ/n are the same (the
    dual), so this is the Vendi score of the cosine kernel at d × d cost. Range [1, d]; exactly 1 when every
    row points the same way (and for no rows); higher means more effectively distinct rows. Eigenvalues below
    (trace + d) × machine epsilon × trace — the rounding error of summing the outer products — count as 0.
    """
    gram = np.asarray(gram, dtype=np.float64)
    trace = float(np.trace(gram))
    if not trace > 0:
        return 1.0
    eigenvalues = np.linalg.eigvalsh((gram + gram.T) / 2.0)
    kept = eigenvalues[eigenvalues > (trace + len(gram)) * float(np.finfo(np.float64).eps) * trace]
    if len(kept) == 0:
        return 1.0
    shares = kept / float(kept.sum())
    return float(min(max(math.exp(-float(np.sum(shares * np.log(shares)))), 1.0), len(gram)))
