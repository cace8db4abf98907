"""The classifier two-sample test: can a model tell two samples of rows apart? (ROC AUC, cross-validated).

Used by ``fidelity.detection`` (synthetic vs real) and by the engine's reference plausibility test
(holdout vs real). The model is scikit-learn's histogram gradient boosting, seeded, with a fixed number of
iterations and no early stopping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from synthaudit.stats.auc import auc_standard_error, roc_auc
from synthaudit.stats.threads import one_openmp_thread

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["BoostingSettings", "ClassifierTest", "boosting_classifier", "classifier_two_sample_test"]


class BoostingSettings(Protocol):
    """What the test needs to know: folds and the boosting model's size (a check's ``Params`` fits)."""

    @property
    def folds(self) -> int: ...  # noqa: D102

    @property
    def max_iter(self) -> int: ...  # noqa: D102

    @property
    def learning_rate(self) -> float: ...  # noqa: D102


def boosting_classifier(params: BoostingSettings, categorical: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    """The audit's gradient-boosting classifier, unfitted.

    ``params``' iterations and learning rate, no early stopping, native categorical splits on the
    ``categorical`` feature mask, seeded.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        early_stopping=False,
        categorical_features=categorical if categorical.any() else None,
        random_state=seed,
    )


def _no_empty_columns(train: np.ndarray) -> np.ndarray:
    """``train`` with its all-missing columns set to 0.

    scikit-learn's histogram binning crashes on a column without any value; either way such a column carries
    nothing the model could use.
    """
    empty = np.isnan(train).all(axis=0)
    if not empty.any():
        return train
    out = train.copy()
    out[:, empty] = 0.0
    return out


@dataclass(frozen=True)
class ClassifierTest:
    """One classifier two-sample test: per-fold AUCs and their SE, out-of-fold scores, the first fold's model."""

    auc: float
    standard_error: float
    fold_aucs: tuple[float, ...]
    accuracy: float
    features: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    model: Any
    test_positions: np.ndarray


def classifier_two_sample_test(
    base: np.ndarray, candidate: np.ndarray, categorical: np.ndarray, params: BoostingSettings, seed: int
) -> ClassifierTest:
    """Stratified k-fold test: each fold's model scores its held-out rows; the AUC is the mean over folds.

    Standard error: the folds' AUCs are not independent (each fold's rows train the other folds' models),
    so the naive ``sqrt(mean SE_fold² / k)`` understates the spread of their mean (by ~1.5× at k = 5,
    measured on clean samples). The Nadeau–Bengio (2003) correction for cross-validated estimates,
    ``Var ≈ (1/k + n_test/n_train) · σ²_fold``, with ``σ²_fold`` the Hanley–McNeil variance of one fold's
    AUC, matches the measured spread.
    """
    from sklearn.model_selection import StratifiedKFold

    features = np.vstack([base, candidate])
    labels = np.concatenate([np.zeros(len(base), dtype=np.int64), np.ones(len(candidate), dtype=np.int64)])
    scores = np.empty(len(labels), dtype=np.float64)
    folds = StratifiedKFold(n_splits=params.folds, shuffle=True, random_state=seed)
    first_model: Any = None
    first_test = np.empty(0, dtype=np.int64)
    aucs, variances, test_share = [], [], []
    for fold, (train, test) in enumerate(folds.split(features, labels)):
        with one_openmp_thread(len(labels)):  # small fits are faster on one thread (synthaudit.stats.threads)
            model = boosting_classifier(params, categorical, seed + fold)
            model.fit(_no_empty_columns(features[train]), labels[train])
            scores[test] = model.predict_proba(features[test])[:, 1]
        auc = roc_auc(scores[test], labels[test])
        n_pos = int(labels[test].sum())
        aucs.append(auc)
        variances.append(auc_standard_error(auc, n_pos, len(test) - n_pos) ** 2)
        test_share.append(len(test) / len(train))
        if fold == 0:
            first_model, first_test = model, test
    accuracy = float(np.mean((scores > 0.5) == labels.astype(bool)))
    k = len(aucs)
    return ClassifierTest(
        auc=float(np.mean(aucs)),
        standard_error=math.sqrt((1.0 / k + float(np.mean(test_share))) * float(np.mean(variances))),
        fold_aucs=tuple(aucs),
        accuracy=accuracy,
        features=features,
        scores=scores,
        labels=labels,
        model=first_model,
        test_positions=first_test,
    )
