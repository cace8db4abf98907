"""``diversity.embedding``'s per-part results and their figures (a helper module of the suite; no check).

A part is one set of vectors the check measures (the encoded rows, or one text column's embeddings): its Vendi
scores, spread and cluster occupancy on each side, the 2-D projection drawn for it and the occupancy figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthaudit.artefacts.vector_parts import VectorPart, sample_side
from synthaudit.check import make_figure
from synthaudit.checks.diversity.embedding_stats import js_distance
from synthaudit.result import FigureSpec
from synthaudit.stats.threads import one_blas_thread

RARE_CLUSTER_COUNT = 10
"""Clusters with fewer real rows than this are left out of figures (DESIGN: rare values are suppressed)."""
SCATTER_POINTS = 500
"""Points per side drawn in the 2-D projection."""


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
    with one_blas_thread():  # the same axes at any thread count; at 1,000 rows also 4-9x faster than on two
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
