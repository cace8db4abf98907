"""Permutation importance: features a boosted model never reads score 0 without a prediction, nothing else moves."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from synthaudit.stats.auc import roc_auc
from synthaudit.stats.importance import permutation_drops, tree_features_used


def _wide_sample(rows: int = 300, width: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(rows, width))
    y = (x[:, 0] + 0.5 * x[:, 7] + rng.normal(scale=0.5, size=rows) > 0).astype(np.int64)
    return x, y


def test_a_boosted_model_reads_few_of_many_features() -> None:
    x, y = _wide_sample()
    model = HistGradientBoostingClassifier(max_iter=20, max_depth=2, random_state=0).fit(x, y)
    used = tree_features_used(model, x.shape[1])
    assert used is not None and used[0] and used[7]
    assert 2 <= used.sum() < x.shape[1]


def test_skipping_unread_features_changes_no_value() -> None:
    x, y = _wide_sample()
    model = HistGradientBoostingClassifier(max_iter=20, max_depth=2, random_state=0).fit(x, y)
    calls: list[int] = []

    def predict(f: np.ndarray) -> np.ndarray:
        calls.append(len(f))
        return model.predict_proba(f)[:, 1]

    every = permutation_drops(predict, roc_auc, x, y, repeats=3, rng=np.random.default_rng(1))
    predictions_every = len(calls)
    used = tree_features_used(model, x.shape[1])
    skipped = permutation_drops(predict, roc_auc, x, y, repeats=3, rng=np.random.default_rng(1), used=used)
    assert np.array_equal(every, skipped)  # bit for bit: unread features drop exactly 0, the rest see the same shuffles
    assert np.all(every[~used] == 0.0) and every[0].mean() > 0.05
    assert len(calls) - predictions_every == 1 + int(used.sum())  # baseline + one batch per read feature


def test_a_model_without_trees_counts_every_feature_as_read() -> None:
    assert tree_features_used(object(), 5) is None
