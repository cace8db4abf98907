"""The statistics behind ``diversity.prdc``: k-NN radii, ball counts, precision/recall/density/coverage.

A helper module of the diversity suite (it defines no check); split from ``prdc.py`` so each reads in one
sitting. The public names are re-exported by ``synthaudit.checks.diversity.prdc``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from synthaudit.neighbours import raw_search

_CHUNK_CELLS = 4_000_000
"""Distance-matrix cells held at once by :func:`ball_counts` (float32: 16 MB)."""
_ROUNDING = 4e-6
"""Float32 rounding band of a squared distance, relative to the rows' squared norms (× √width); cells within
it of a radius are recomputed exactly."""
_PAIR_BATCH = 65_536
"""Row pairs recomputed at once in float64."""


# ----------------------------------------------------------------------------- the vectors compared


# ----------------------------------------------------------------------------- the metric
def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Squared distance from each row of ``x`` to its ``k``-th nearest *other* row.

    Exact search (faiss ``IndexFlatL2``, on centred float32 rows) for the k + 1 nearest rows (the row itself
    included, at distance 0), then the distance to the (k + 1)-th is recomputed in float64 from the
    uncentred differences, the arithmetic :func:`ball_counts` uses, so that ties are exact: duplicate rows
    give a radius of 0, and one-hot rows differing in one category tie at the same radius. Needs more than
    ``k`` rows.
    """
    if len(x) <= k:
        raise ValueError(f"k-NN radii need more than k={k} rows; got {len(x)}")
    x64 = np.asarray(x, dtype=np.float64)
    data = np.ascontiguousarray(x64 - x64.mean(axis=0), dtype=np.float32)
    _, neighbours = raw_search(data, data, k + 1)
    diff = x64 - x64[neighbours[:, k]]
    return np.einsum("ij,ij->i", diff, diff)


@dataclass(frozen=True)
class BallCounts:
    """What one pass of fake rows over the real rows' k-NN balls found.

    ``counts[j]``: real balls containing fake row j; ``covered[i]``: whether a fake row falls in real row i's
    ball; ``fakes_in_ball[i]``: how many; ``recalled[i]``: whether real row i falls in a fake row's ball;
    ``nearest[i]``: squared distance from real row i to its nearest fake row; ``weighted[b, i]``: the count
    in real row i's ball of fake rows weighted by row b of the weights (permutation memberships).
    """

    counts: np.ndarray
    covered: np.ndarray
    fakes_in_ball: np.ndarray
    recalled: np.ndarray
    nearest: np.ndarray
    weighted: np.ndarray | None


def _exact_inside(
    real: np.ndarray, fake: np.ndarray, fake_rows: np.ndarray, real_rows: np.ndarray, limits: np.ndarray
) -> np.ndarray:
    """Whether |fake[f] − real[r]|² ≤ limit for each listed pair, in float64 from the differences.

    The same arithmetic as :func:`knn_radii`, so a row equal to a ball's k-th neighbour is exactly on its radius.
    """
    out = np.empty(len(fake_rows), dtype=bool)
    for start in range(0, len(fake_rows), _PAIR_BATCH):
        stop = start + _PAIR_BATCH
        diff = fake[fake_rows[start:stop]] - real[real_rows[start:stop]]
        out[start:stop] = np.einsum("ij,ij->i", diff, diff) <= limits[start:stop]
    return out


def _inside(
    d2: np.ndarray, band: np.ndarray, limits: np.ndarray, exact: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """``d2 ≤ limits`` from float32 distances, with the cells within rounding error of a limit decided exactly."""
    inside = d2 <= limits - band
    unsure = np.logical_and(~inside, d2 <= limits + band)
    rows, cols = np.nonzero(unsure)
    if len(rows):
        inside[rows, cols] = exact(rows, cols)
    return inside


def ball_counts(
    real: np.ndarray,
    real_radii: np.ndarray,
    fake: np.ndarray,
    fake_radii: np.ndarray,
    weights: np.ndarray | None = None,
) -> BallCounts:
    """Compare every fake row with every real row's k-NN ball (and every real row with the fake balls).

    Exhaustive, in chunks of fake rows: squared distances in float32 (|f|² + |r|² − 2f·r), and every cell
    within float32 rounding error of a (squared, float64) radius recomputed exactly in float64, so the
    result is the exact ``≤`` comparison: a ball includes its boundary, and on categorical data, where
    many rows tie and radii are 0, a fake row equal to a real row is inside that row's ball.
    """
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    # The float32 pass works on rows centred on the real mean (same distances, smaller rounding error).
    mean = real.mean(axis=0) if len(real) else np.zeros(real.shape[1:])
    real_c, fake_c = real - mean, fake - mean
    real32 = np.ascontiguousarray(real_c, dtype=np.float32)
    fake32 = np.ascontiguousarray(fake_c, dtype=np.float32)
    real_sq = np.einsum("ij,ij->i", real_c, real_c)
    fake_sq = np.einsum("ij,ij->i", fake_c, fake_c)
    n, m = len(real), len(fake)
    width = real.shape[1] if real.ndim == 2 else 1
    relative_band = np.float32(_ROUNDING * max(1.0, math.sqrt(width)))
    counts = np.zeros(m, dtype=np.int64)
    covered = np.zeros(n, dtype=bool)
    fakes_in_ball = np.zeros(n, dtype=np.int64)
    recalled = np.zeros(n, dtype=bool)
    nearest = np.full(n, np.inf, dtype=np.float32)
    weighted = None if weights is None else np.zeros((len(weights), n), dtype=np.float32)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    real_sq32 = real_sq.astype(np.float32)[None, :]
    real_limits = real_radii.astype(np.float32)[None, :]
    for start in range(0, m, chunk):
        stop = min(start + chunk, m)
        d2 = fake32[start:stop] @ real32.T
        d2 *= -2.0
        d2 += fake_sq[start:stop, None].astype(np.float32)
        d2 += real_sq32
        band = fake_sq[start:stop, None].astype(np.float32) + real_sq32
        band *= relative_band
        offset = start

        def in_real_ball(f: np.ndarray, r: np.ndarray, offset: int = offset) -> np.ndarray:
            return _exact_inside(real, fake, offset + f, r, real_radii[r])

        def in_fake_ball(f: np.ndarray, r: np.ndarray, offset: int = offset) -> np.ndarray:
            return _exact_inside(real, fake, offset + f, r, fake_radii[offset + f])

        inside = _inside(d2, band, real_limits, in_real_ball)
        counts[start:stop] = inside.sum(axis=1)
        in_ball = inside.sum(axis=0)
        fakes_in_ball += in_ball
        covered |= in_ball > 0
        fake_limits = fake_radii[start:stop].astype(np.float32)[:, None]
        recalled |= _inside(d2, band, fake_limits, in_fake_ball).any(axis=0)
        np.minimum(nearest, d2.min(axis=0), out=nearest)
        if weighted is not None and weights is not None:
            weighted += weights[:, start:stop] @ inside.astype(np.float32)
    return BallCounts(counts, covered, fakes_in_ball, recalled, np.maximum(nearest.astype(np.float64), 0.0), weighted)


@dataclass(frozen=True)
class PRDCScores:
    """Precision, recall, density and coverage of one fake sample against one real sample."""

    precision: float
    recall: float
    density: float
    coverage: float


def _scores(found: BallCounts, k: int) -> PRDCScores:
    return PRDCScores(
        precision=float(np.mean(found.counts > 0)) if len(found.counts) else 0.0,
        recall=float(np.mean(found.recalled)) if len(found.recalled) else 0.0,
        density=float(np.mean(found.counts)) / k if len(found.counts) else 0.0,
        coverage=float(np.mean(found.covered)) if len(found.covered) else 0.0,
    )


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> PRDCScores:
    """Precision, recall, density and coverage (Naeem et al., 2020) with ``k`` nearest neighbours.

    Precision: share of fake rows inside some real row's k-NN ball; recall: share of real rows inside some
    fake row's ball; density: mean number of real balls containing a fake row, divided by k; coverage: share
    of real rows whose ball contains a fake row. Precision, recall and coverage are in [0, 1], density in
    [0, n/k]; all higher is better, density about 1 for two samples of one distribution. For identical
    samples precision = recall = coverage = 1 and (without tied rows) density = (k + 1) / k.
    """
    found = ball_counts(real, knn_radii(real, k), fake, knn_radii(fake, k))
    return _scores(found, k)


def log_density_deviation(density: float, k: int, fakes: int) -> float:
    """``|ln density|``: how far density is from 1 in either direction (0 is ideal).

    A density of 0 (no fake row inside any real ball) is read as half a count, so the value stays finite.
    """
    floor = 0.5 / (k * max(fakes, 1))
    return abs(math.log(max(density, floor)))


# ----------------------------------------------------------------------------- the pair comparison
