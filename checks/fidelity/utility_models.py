"""Helpers of ``fidelity.utility``: the prediction task, model fits, bootstrap counts and permutation importances.

A helper module, not a check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.stats.importance import permutation_drops, tree_features_used
from synthaudit.stats.threads import one_openmp_thread
from synthaudit.stats.weighted_scores import weighted_auc, weighted_macro_f1, weighted_r2

_BOOTSTRAP_CELLS = 2_000_000
"""Resamples are processed in chunks of at most this many (resample × row) weights, to bound memory."""


@dataclass(frozen=True)
class ModelTask:
    """How the target is encoded and scored."""

    kind: str  # "binary" | "multiclass" | "regression"
    score_name: str
    classes: tuple[str, ...] = ()

    def encode(self, values: pd.Series) -> np.ndarray:
        """The target's values as model labels (binary: 1 for the positive label; multiclass: class codes)."""
        if self.kind == "regression":
            return values.to_numpy(dtype=np.float64)
        labels = values.astype(str)
        if self.kind == "binary":
            return (labels == self.classes[0]).to_numpy().astype(np.int64)
        return pd.Categorical(labels, categories=list(self.classes)).codes.astype(np.int64)

    @property
    def value_range(self) -> tuple[float | None, float | None]:
        """Range of the task's score (R² has no lower bound)."""
        return (None, 1.0) if self.kind == "regression" else (0.0, 1.0)

    def scores(self, predictions: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The task's score under each row of ``weights`` (resamples × rows)."""
        if self.kind == "binary":
            return weighted_auc(predictions, truth, weights)
        if self.kind == "multiclass":
            return weighted_macro_f1(predictions.astype(np.int64), truth, weights, len(self.classes))
        return weighted_r2(predictions, truth, weights)

    def score(self, predictions: np.ndarray, truth: np.ndarray) -> float:
        """The task's score on the unweighted rows."""
        return float(self.scores(predictions, truth, np.ones((1, len(truth))))[0])

    def decisions(self, predictions: np.ndarray) -> np.ndarray:
        """Class codes a classifier's predictions amount to (binary: probability of the positive label > ½)."""
        if self.kind == "binary":
            return (np.asarray(predictions, dtype=np.float64) > 0.5).astype(np.int64)
        return np.asarray(predictions).astype(np.int64)

    @property
    def n_classes(self) -> int:
        """Number of class codes (2 for a binary task)."""
        return 2 if self.kind == "binary" else len(self.classes)


class _Constant:
    """A model for a training side whose target holds a single value: it always predicts that value."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.full(len(features), self.value)


def predictor(model: Any, task: ModelTask) -> Callable[[np.ndarray], np.ndarray]:
    """What the score needs: the positive class's probability (binary), a class code, or a number."""
    if isinstance(model, _Constant) or task.kind != "binary":
        return lambda features: np.asarray(model.predict(features))
    return lambda features: np.asarray(model.predict_proba(features)[:, 1])


def fit_model(
    features: np.ndarray, target: np.ndarray, task: ModelTask, categorical: np.ndarray, params: Any, seed: int
) -> Any:
    """A seeded histogram gradient-boosting model (a constant one when the target holds one value)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    if len(np.unique(target)) < 2:
        return _Constant(float(target[0]))
    kwargs = {
        "max_iter": params.max_iter,
        "learning_rate": params.learning_rate,
        "early_stopping": False,
        "categorical_features": categorical if categorical.any() else None,
        "random_state": seed,
    }
    model = (
        HistGradientBoostingRegressor(**kwargs)
        if task.kind == "regression"
        else HistGradientBoostingClassifier(**kwargs)
    )
    with one_openmp_thread(len(target)):  # small fits are faster on one thread; the model is the same
        return model.fit(features, target)


def bootstrap_counts(rng: np.random.Generator, n: int, resamples: int) -> list[np.ndarray]:
    """Bootstrap resample counts (resamples × n), in chunks bounded by ``_BOOTSTRAP_CELLS``."""
    chunk = max(1, _BOOTSTRAP_CELLS // max(n, 1))
    out = []
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        out.append(np.bincount(draws.ravel(), minlength=size * n).reshape(size, n))
    return out


def with_text(ctx: AuditContext, key: str, x: np.ndarray, rows: pd.DataFrame, text: tuple[str, ...]) -> np.ndarray:
    """``x`` (the tabular features of ``rows`` of frame ``key``) joined with each text column's features."""
    if not text:
        return x
    rows_at = ctx.frame(key).index.get_indexer(rows.index)
    return np.hstack([x, *(ctx.text_features(column, key)[rows_at] for column in text)])


def model_task(ctx: AuditContext, real: pd.Series, synth: pd.Series, holdout: pd.Series) -> ModelTask:
    """Binary (AUC of the positive label), multiclass (macro-F1) or regression (R²), from the aligned data."""
    if ctx.data.task == "regression" and ctx.roles.get(str(real.name)) is Role.NUMERIC:
        return ModelTask("regression", "R²")
    positive = ctx.data.positive_label
    if positive is not None:
        return ModelTask("binary", f"ROC AUC (positive label {positive!r})", (positive,))
    classes = sorted(set(real.astype(str)) | set(synth.astype(str)) | set(holdout.astype(str)))
    return ModelTask("multiclass", "macro-F1", tuple(classes))


def class_labels(task: ModelTask, real: pd.Series, synth: pd.Series, holdout: pd.Series) -> tuple[str, ...]:
    """The label of each class code (binary: code 0 is every label but the positive one)."""
    if task.kind == "regression":
        return ()
    if task.kind == "multiclass":
        return task.classes
    positive = task.classes[0]
    others = sorted((set(real.astype(str)) | set(synth.astype(str)) | set(holdout.astype(str))) - {positive})
    return (others[0] if len(others) == 1 else f"not {positive}", positive)


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman correlation, or ``None`` when undefined (fewer than 3 values, or a constant side)."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    value = float(spearmanr(a, b).statistic)
    return value if np.isfinite(value) else None


def sorted_positions(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``n`` sorted positions out of ``size`` (all of them when ``n`` is not smaller)."""
    if n >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=n, replace=False))


def chance_score(task: ModelTask, y_real: np.ndarray, y_holdout: np.ndarray) -> float:
    """The score of an uninformed model: AUC ½, R² 0, macro-F1 of predicting the real majority class."""
    if task.kind == "binary":
        return 0.5
    if task.kind == "regression":
        return 0.0
    majority = int(np.bincount(y_real, minlength=len(task.classes)).argmax())
    return task.score(np.full(len(y_holdout), majority), y_holdout)


def importances(
    task: ModelTask,
    predict_real: Callable[[np.ndarray], np.ndarray],
    predict_synth: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    columns: tuple[str, ...],
    params: Any,
    seed: int,
    full: bool,
    used: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> tuple[pd.DataFrame, int]:
    """Permutation importance of each column for both models (mean drop in score), largest gap first.

    ``used`` holds, per model (real, synthetic), which columns it reads (``None``: all); the others score 0
    without a prediction, as shuffling them would (see :func:`synthaudit.stats.importance.permutation_drops`).
    """
    rng = np.random.default_rng(seed)
    if not full and len(y) > params.importance_rows:
        keep = sorted_positions(rng, len(y), params.importance_rows)
        x, y = x[keep], y[keep]
    frame = pd.DataFrame(index=list(columns))
    for label, predict, reads in (("real_model", predict_real, used[0]), ("synthetic_model", predict_synth, used[1])):
        drops = permutation_drops(
            predict, task.score, x, y, repeats=params.importance_repeats, rng=np.random.default_rng(seed), used=reads
        )
        frame[label] = np.nan_to_num(drops.mean(axis=1))
    frame["gap"] = (frame["real_model"] - frame["synthetic_model"]).abs()
    frame["order"] = np.arange(len(columns))
    frame = frame.sort_values(["gap", "order"], ascending=[False, True], kind="stable")
    return frame.drop(columns=["gap", "order"]), len(y)


def columns_read(model: Any, width: int, tabular: int, text: bool) -> np.ndarray | None:
    """Which importance columns a fitted model reads: its tabular features, then one for all text features.

    ``None`` when that cannot be told (a constant model, another model type): every column then counts as read.
    """
    used = tree_features_used(model, width)
    if used is None:
        return None
    return np.append(used[:tabular], bool(used[tabular:].any())) if text else used
