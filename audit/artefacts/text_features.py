"""Text as a few numbers a classifier can use: a projection of its sentence embedding, and its length.

A 384-dimensional embedding is too wide for the gradient-boosted trees of the classifier tests at a few
thousand rows, so each text column becomes its first principal components (fitted on the real rows'
embeddings) plus the log of its length in characters and in words. Missing texts are NaN throughout, which
the trees route on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TextProjection", "text_lengths"]

FIT_ROWS = 20_000
"""Rows (a seeded sample) the projection is fitted on."""


@dataclass(frozen=True)
class TextProjection:
    """The leading principal directions of the real rows' embeddings (computed in float64)."""

    mean: np.ndarray
    components: np.ndarray  # components × dimensions

    @classmethod
    def fit(cls, vectors: np.ndarray, n_components: int, rng: np.random.Generator) -> TextProjection:
        """Fit on ``vectors`` (rows × dimensions); at most :data:`FIT_ROWS` rows, a seeded sample."""
        data = np.asarray(vectors, dtype=np.float64)
        if len(data) > FIT_ROWS:
            data = data[np.sort(rng.choice(len(data), size=FIT_ROWS, replace=False))]
        mean = data.mean(axis=0) if len(data) else np.zeros(data.shape[1])
        centred = data - mean
        k = max(0, min(n_components, *centred.shape))
        if k == 0:
            return cls(mean, np.zeros((0, data.shape[1])))
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        components = vt[:k]
        # A deterministic sign per component: the largest loading is positive.
        signs = np.sign(components[np.arange(k), np.argmax(np.abs(components), axis=1)])
        return cls(mean, components * np.where(signs == 0, 1.0, signs)[:, None])

    def transform(self, vectors: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Project ``vectors`` (rows × dimensions); rows where ``present`` is false become NaN."""
        out = (np.asarray(vectors, dtype=np.float64) - self.mean) @ self.components.T
        out[~present] = np.nan
        return out


def text_lengths(values: pd.Series) -> np.ndarray:
    """``log1p`` of each text's length in characters and in whitespace-separated words (NaN when missing)."""
    present = values.notna().to_numpy()
    text = values.astype("string").fillna("")
    chars = text.str.len().to_numpy(dtype=np.float64)
    words = text.str.count(r"\S+").to_numpy(dtype=np.float64)
    out = np.log1p(np.column_stack([chars, words]))
    out[~present] = np.nan
    return out
