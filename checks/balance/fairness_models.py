"""Helpers of ``balance.downstream_fairness``: training chunks, model fits, holdout bootstrap and per-column statistics.

A helper module, not a check: it holds the sensitive columns' holdout groups, the models trained on each
side, and the fairness differences with their standard errors (holdout bootstrap and training noise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.tree_features import TreeFeatures
from synthaudit.checks.balance.groups import (
    Attribute,
)
from synthaudit.context import AuditContext
from synthaudit.stats.group_rates import group_counts, parity_differences
from synthaudit.stats.threads import one_openmp_thread
from synthaudit.stats.two_sample import boosting_classifier

_BOOTSTRAP_CELLS = 4_000_000
"""Holdout resamples are processed in chunks of at most this many (resample × row) weights."""


def bootstrap_weights(rng: np.random.Generator, n: int, resamples: int) -> list[np.ndarray]:
    """Poisson bootstrap weights (resamples × n, each weight Poisson(1)), in chunks of bounded size.

    The Poisson bootstrap is the multinomial bootstrap with the total left free; for the rates compared here
    (ratios of weighted counts) the two agree to O(1/n), and Poisson draws are far cheaper for large n.
    """
    chunk = max(1, _BOOTSTRAP_CELLS // max(n, 1))
    return [
        rng.poisson(1.0, size=(min(chunk, resamples - start), n)).astype(np.float64)
        for start in range(0, resamples, chunk)
    ]


class _Constant:
    """A model for a training chunk whose target holds one class: it always predicts that class."""

    def __init__(self, value: int) -> None:
        self.value = value

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.full(len(features), self.value, dtype=np.int64)


@dataclass(frozen=True)
class SensitiveColumn:
    """One sensitive column's holdout groups: codes, which groups are compared, and their labels."""

    attribute: Attribute
    labels: tuple[str, ...]
    codes: np.ndarray
    parity_groups: np.ndarray
    odds_groups: np.ndarray


@dataclass(frozen=True)
class _Cells:
    """Distinct (group, truth, prediction) cells of some models' predictions, with their counts."""

    labels: np.ndarray
    truth: np.ndarray
    prediction: np.ndarray
    weight: np.ndarray


def _cells(column: SensitiveColumn, y: np.ndarray, models: np.ndarray, groups: np.ndarray) -> _Cells:
    """The holdout rows of ``groups`` as weighted cells, pooled over ``models`` (each model's rows counted once)."""
    kept = np.isin(column.codes, groups)
    key = column.codes[kept] * 4 + y[kept] * 2
    counts = np.zeros(len(column.labels) * 4, dtype=np.float64)
    for model in models:
        counts += np.bincount(key + model[kept], minlength=len(counts))
    present = np.flatnonzero(counts)
    names = np.asarray(column.labels, dtype=object)
    return _Cells(names[present // 4], (present // 2) % 2, present % 2, counts[present])


def class_labels(target: pd.Series, positive: str) -> tuple[str, str]:
    """Labels of codes 0 and 1: every value but the positive label (named when it is one value), the positive."""
    others = sorted(set(target.astype(str)) - {positive})
    return (others[0] if len(others) == 1 else f"not {positive}", positive)


def training_chunks(rng: np.random.Generator, size: int, splits: int, per_model: int) -> list[np.ndarray]:
    """``splits`` disjoint sorted position arrays of ``per_model`` rows each out of ``size``."""
    order = rng.permutation(size)[: splits * per_model]
    return [np.sort(order[k * per_model : (k + 1) * per_model]) for k in range(splits)]


def fit_model(features: np.ndarray, target: np.ndarray, categorical: np.ndarray, params: Any, seed: int) -> Any:
    """A histogram gradient-boosting classifier on one training chunk (a constant model when it holds one class)."""
    if len(np.unique(target)) < 2:
        return _Constant(int(target[0]))
    return boosting_classifier(params, categorical, seed).fit(features, target)


def column_stats(
    column: SensitiveColumn, pred: np.ndarray, y: np.ndarray, resamples: list[np.ndarray], splits: int
) -> dict[str, dict[str, float]]:
    """Both sides' dp/eo differences and selection-rate ratio on one column, with the increase's standard error."""
    groups = len(column.labels)
    point = {
        k: v[0]
        for k, v in parity_differences(
            group_counts(pred, y, column.codes, groups, np.ones((1, len(y)))),
            column.parity_groups,
            column.odds_groups,
        ).items()
    }
    boot: dict[str, list[np.ndarray]] = {"dp": [], "eo": []}
    for weights in resamples:
        d = parity_differences(
            group_counts(pred, y, column.codes, groups, weights), column.parity_groups, column.odds_groups
        )
        for key in boot:
            boot[key].append(d[key][:, splits:].mean(axis=1) - d[key][:, :splits].mean(axis=1))
    out: dict[str, dict[str, float]] = {}
    for key in ("dp", "eo", "ratio"):
        values = point[key]
        real, synthetic = values[:splits], values[splits:]
        entry = {"real": float(np.mean(real)), "synthetic": float(np.mean(synthetic))}
        if key in boot:
            if not np.all(np.isfinite(values)):
                entry.update(increase=math.nan, se=math.nan, se_holdout=math.nan, se_training=math.nan)
            else:
                increases = np.concatenate(boot[key])
                increases = increases[np.isfinite(increases)]
                se_holdout = float(np.std(increases, ddof=1)) if len(increases) > 1 else 0.0
                pooled = (np.var(real, ddof=1) + np.var(synthetic, ddof=1)) / 2.0
                se_training = math.sqrt(2.0 * pooled / splits)
                entry.update(
                    increase=entry["synthetic"] - entry["real"],
                    se=math.hypot(se_holdout, se_training),
                    se_holdout=se_holdout,
                    se_training=se_training,
                )
        out[key] = entry
    return out


def metric_frames(columns: list[SensitiveColumn], pred: np.ndarray, y: np.ndarray, splits: int) -> list[pd.DataFrame]:
    """Fairlearn ``MetricFrame`` by group for each side, its models pooled.

    Every model scores the same rows, so pooled rates are the means of the models' rates. The data is passed
    as its distinct (group, truth, prediction) cells with their counts as sample weights: exactly the same
    metrics, at a cost independent of the holdout size.
    """
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score

    functions = {
        "accuracy": accuracy_score,
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
    }
    out = []
    for column in columns:
        everything = np.arange(len(column.labels))
        sides = {}
        for side, models in (("real_model", pred[:splits]), ("synthetic_model", pred[splits:])):
            cells = _cells(column, y, models, everything)
            weight = {name: {"sample_weight": cells.weight} for name in functions}
            frame = MetricFrame(
                metrics=functions,
                y_true=cells.truth,
                y_pred=cells.prediction,
                sensitive_features=cells.labels,
                sample_params=weight,
            ).by_group
            sides[side] = frame
        frame = (
            sides["real_model"].add_suffix("_real_model").join(sides["synthetic_model"].add_suffix("_synthetic_model"))
        )
        rows = np.bincount(column.codes, minlength=len(column.labels))
        positives = np.bincount(column.codes, weights=y.astype(np.float64), minlength=len(column.labels))
        frame["rows"] = pd.Series(rows, index=list(column.labels)).reindex(frame.index)
        frame["positives"] = pd.Series(positives, index=list(column.labels)).reindex(frame.index)
        out.append(frame)
    return out


def predict_holdout(
    ctx: AuditContext,
    sides: tuple[pd.DataFrame, pd.DataFrame],
    scored: pd.DataFrame,
    features: tuple[str, ...],
    outcome: tuple[str, str],
    per_model: int,
    rng: np.random.Generator,
    p: Any,
    seed: int,
) -> np.ndarray:
    """Holdout predictions (models × rows, 0/1) of ``p.training_splits`` models per side, real models first.

    Each model trains on its own disjoint chunk of ``per_model`` rows of its side (``sides``: real, synthetic);
    ``outcome`` is the target column and its positive label.
    """
    real, synth = sides
    target, positive = outcome
    splits = p.training_splits
    real_chunks = training_chunks(rng, len(real), splits, per_model)
    synth_chunks = training_chunks(rng, len(synth), splits, per_model)
    encoder = TreeFeatures.fit(real.iloc[np.concatenate(real_chunks)], features, ctx.roles, p.max_categories)
    x_holdout = encoder.transform(scored)
    predictions = []
    # Small fits run faster on one OpenMP thread (synthaudit.stats.threads); models and predictions are the same.
    with one_openmp_thread(per_model):
        for frame, chunks in ((real, real_chunks), (synth, synth_chunks)):
            for chunk in chunks:
                rows = frame.iloc[chunk]
                y = (rows[target].astype(str) == positive).to_numpy().astype(np.int64)
                model = fit_model(encoder.transform(rows), y, encoder.categorical, p, seed)
                predictions.append(np.asarray(model.predict(x_holdout), dtype=np.int64))
    pred = np.vstack(predictions)  # real models first, then synthetic models
    return pred
