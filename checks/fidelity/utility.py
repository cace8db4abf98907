"""Fidelity: whether a model trained on synthetic data predicts real outcomes as well as one trained on real data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.tree_features import TreeFeatures
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Need,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Metric, Table
from synthaudit.stats.importance import permutation_drops
from synthaudit.stats.models import (
    ShareRatio,
    SpreadRatio,
    balanced_accuracy,
    describe_share_collapse,
    predicted_share_ratio,
    prediction_spread_ratio,
)

__all__ = [
    "UtilityCheck",
    "weighted_auc",
    "weighted_macro_f1",
    "weighted_r2",
]

MIN_TRAIN_ROWS = 20
"""Fewer labelled training rows than this on either side: nothing worth learning; the check skips."""
MIN_HOLDOUT_ROWS = 20
"""Fewer labelled holdout rows than this: no score worth reporting; the check skips."""
_BOOTSTRAP_CELLS = 2_000_000
"""Resamples are processed in chunks of at most this many (resample × row) weights, to bound memory."""


# ----------------------------------------------------------------- weighted scores (one per bootstrap row)
def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``scores`` for boolean ``labels`` under each row of row ``weights`` (resamples × rows).

    With integer weights (bootstrap counts) each row is the AUC of the resampled data: the chance that a
    random positive outscores a random negative, ties counting ½. Sorted once, then cumulative sums of
    negative weights per distinct score, so all resamples cost O(resamples × rows). A resample without
    both classes gives NaN. Range [0, 1]; 0.5 for uninformative scores.
    """
    order = np.argsort(scores, kind="stable")
    ordered = np.asarray(scores, dtype=np.float64)[order]
    positive = np.asarray(labels).astype(bool)[order]
    w = np.asarray(weights, dtype=np.float64)[:, order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    group_pos = np.add.reduceat(w * positive, starts, axis=1)
    group_neg = np.add.reduceat(w * ~positive, starts, axis=1)
    below = np.cumsum(group_neg, axis=1) - group_neg
    wins = (group_pos * (below + 0.5 * group_neg)).sum(axis=1)
    pairs = group_pos.sum(axis=1) * group_neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / np.where(pairs > 0, pairs, 1.0), np.nan)


def weighted_macro_f1(predicted: np.ndarray, truth: np.ndarray, weights: np.ndarray, n_classes: int) -> np.ndarray:
    """Macro-averaged F1 of class codes ``predicted`` against ``truth`` under each row of ``weights``.

    F1 of a class is ``2·TP / (2·TP + FP + FN)``; the macro average runs over the classes present in the
    (weighted) truth, as ``sklearn.metrics.f1_score(..., labels=<classes in truth>, average="macro")``.
    Range [0, 1]; 1 when every prediction is right.
    """
    w = np.asarray(weights, dtype=np.float64)
    eye = np.eye(n_classes, dtype=np.float64)
    true_hot = eye[truth]
    predicted_hot = eye[predicted]
    true_count = w @ true_hot
    predicted_count = w @ predicted_hot
    hits = w @ (true_hot * predicted_hot)
    present = true_count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(present, 2.0 * hits / np.where(present, true_count + predicted_count, 1.0), 0.0)
        return np.asarray(f1.sum(axis=1) / present.sum(axis=1), dtype=np.float64)


def weighted_r2(predicted: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Coefficient of determination ``1 − SS_res / SS_tot`` under each row of ``weights``.

    Range (−∞, 1]; 1 for perfect predictions, 0 for predicting the (weighted) mean; NaN when the weighted
    truth is constant.
    """
    w = np.asarray(weights, dtype=np.float64)
    centre = float(np.mean(truth))
    y = np.asarray(truth, dtype=np.float64) - centre
    residual = w @ (y - (np.asarray(predicted, dtype=np.float64) - centre)) ** 2
    total_weight = w.sum(axis=1)
    total = w @ (y * y) - (w @ y) ** 2 / total_weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 1e-12 * np.maximum(w @ (y * y), 1e-300), 1.0 - residual / total, np.nan)


# ----------------------------------------------------------------- the task
@dataclass(frozen=True)
class _Task:
    """How the target is encoded and scored."""

    kind: str  # "binary" | "multiclass" | "regression"
    score_name: str
    classes: tuple[str, ...] = ()

    def encode(self, values: pd.Series) -> np.ndarray:
        if self.kind == "regression":
            return values.to_numpy(dtype=np.float64)
        labels = values.astype(str)
        if self.kind == "binary":
            return (labels == self.classes[0]).to_numpy().astype(np.int64)
        return pd.Categorical(labels, categories=list(self.classes)).codes.astype(np.int64)

    @property
    def value_range(self) -> tuple[float | None, float | None]:
        return (None, 1.0) if self.kind == "regression" else (0.0, 1.0)

    def scores(self, predictions: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self.kind == "binary":
            return weighted_auc(predictions, truth, weights)
        if self.kind == "multiclass":
            return weighted_macro_f1(predictions.astype(np.int64), truth, weights, len(self.classes))
        return weighted_r2(predictions, truth, weights)

    def score(self, predictions: np.ndarray, truth: np.ndarray) -> float:
        return float(self.scores(predictions, truth, np.ones((1, len(truth))))[0])

    def decisions(self, predictions: np.ndarray) -> np.ndarray:
        """Class codes a classifier's predictions amount to (binary: probability of the positive label > ½)."""
        if self.kind == "binary":
            return (np.asarray(predictions, dtype=np.float64) > 0.5).astype(np.int64)
        return np.asarray(predictions).astype(np.int64)

    @property
    def n_classes(self) -> int:
        return 2 if self.kind == "binary" else len(self.classes)


class _Constant:
    """A model for a training side whose target holds a single value: it always predicts that value."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.full(len(features), self.value)


def _predictor(model: Any, task: _Task) -> Callable[[np.ndarray], np.ndarray]:
    """What the score needs: the positive class's probability (binary), a class code, or a number."""
    if isinstance(model, _Constant) or task.kind != "binary":
        return lambda features: np.asarray(model.predict(features))
    return lambda features: np.asarray(model.predict_proba(features)[:, 1])


def _fit(features: np.ndarray, target: np.ndarray, task: _Task, categorical: np.ndarray, params: Any, seed: int) -> Any:
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
    if task.kind == "regression":
        return HistGradientBoostingRegressor(**kwargs).fit(features, target)
    return HistGradientBoostingClassifier(**kwargs).fit(features, target)


def _bootstrap_weights(rng: np.random.Generator, n: int, resamples: int) -> list[np.ndarray]:
    """Bootstrap resample counts (resamples × n), in chunks bounded by ``_BOOTSTRAP_CELLS``."""
    chunk = max(1, _BOOTSTRAP_CELLS // max(n, 1))
    out = []
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        out.append(np.bincount(draws.ravel(), minlength=size * n).reshape(size, n))
    return out


class UtilityCheck(Check):
    """Train-synthetic-test-real (TSTR) against train-real-test-real (TRTR) on the holdout.

    Two histogram gradient-boosting models of the same family and settings (seeded, fixed iterations, no
    early stopping) predict the target from the other comparable columns and the text columns (each as the
    leading principal components of its sentence embedding and its log lengths, ``ctx.text_features``; the
    permutation importance shuffles a text column's features together): one trained on the synthetic
    rows, one on the real rows, each on the same number of rows (the larger side is subsampled, seeded, so a
    smaller synthetic set is no handicap; a cap applies unless ``--full``). Both are scored on the holdout:
    ROC AUC of the positive label for a binary target, macro-F1 for a multiclass one, R² for regression.

    The gating value is TSTR − TRTR: 0 for a perfect generator (an independent real sample of the same
    size scores like the real data, up to noise), negative when the synthetic data has lost the relation
    between features and target; higher is better, in [−1, 1] for AUC and F1. The reference value is 0 and
    the threshold ``−max(floor, k × SE)`` with SE the standard deviation of the difference over a paired,
    seeded bootstrap of the holdout rows (both scores recomputed on each resample). The bootstrap covers the
    holdout's sampling error, not the training samples': over independent clean samples the difference
    spreads about 1.2× the bootstrap SE (measured on Adult), which the 5-SE fail margin and floors absorb.

    Second gate, a degenerate synthetic-trained model. A model that predicts one class (or almost only one)
    can keep a fair ROC AUC — its ranking survives while every score sits below ½ — yet is useless as a
    classifier, and every fairness comparison of its decisions shrinks to nothing (``balance.downstream_fairness``
    skips on the same test). For a classification target the gating ``predicted_class_share_ratio`` is the share
    of holdout rows the synthetic-trained model assigns to any class but the one it predicts most, over the
    real-trained model's share of those classes (``synthaudit.stats.models.predicted_share_ratio``; binary: the
    ratio of the two models' shares of the under-predicted class, e.g. their selection rates). Reference 1, 0
    for a one-class model, higher is better; it fails below ``1 − max(floor, k × SE)``, by default below 0.5
    (a class predicted less than half as often). Its SE combines the paired holdout bootstrap with the training
    noise of each model's share, approximated as binomial in the training rows. For a regression target the
    gating ``prediction_spread_ratio`` is the standard deviation of the synthetic-trained model's holdout
    predictions over the real-trained model's (0 for a constant prediction), with the same margin and a
    holdout-bootstrap SE; the floor absorbs the training noise the bootstrap leaves out. Neither is computed
    when the real-trained model itself predicts one class (or a constant): there is then no collapse to
    measure. Measured on independent clean Adult samples (100 seeds each; 200–500 training rows; targets
    income, relationship and age): no fail, about 1 % warnings, smallest ratios 0.55 (share) and 0.73 (spread).

    Information: both scores, the balanced accuracy of both models' predicted classes (with a per-class table
    of predicted shares), the relative utility ``(TSTR − chance)/(TRTR − chance)`` (chance: AUC 0.5, R² 0,
    macro-F1 of always predicting the real data's majority class), and the Spearman rank correlation of the
    two models' permutation importances on a capped holdout sample, with a per-column table.

    Needs a target and a holdout (the runner skips it otherwise); skips when there is no feature besides the
    target, too few labelled rows, or a target the real data or holdout holds one value of. Cost: two fits on
    at most ``max_train_rows`` rows, predictions on at most ``max_holdout_rows`` holdout rows, a vectorised
    bootstrap, and ``2 × features`` batched predictions for the importances.
    """

    name: ClassVar[str] = "fidelity.utility"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = (
        "A model trained on synthetic data predicts real holdout outcomes as well as one trained on real data."
    )
    meaning: ClassVar[str] = (
        "Two models predict the target of real rows the generator never saw: one learnt from the synthetic data, "
        "one from the same number of real rows. The number is the synthetic-trained model's score minus the "
        "real-trained model's (ROC AUC, macro-F1 or R²): 0 means the synthetic data is as useful as the real "
        "data, negative values mean it is less useful. Higher is better. The check also fails when the "
        "synthetic-trained model is degenerate: when it predicts one class (or a constant), or a class far less "
        "often than the real-trained model does."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.TARGET, Need.HOLDOUT})
    gating_metrics: ClassVar[tuple[str, ...]] = (
        "tstr_minus_trtr",
        "predicted_class_share_ratio",
        "prediction_spread_ratio",
    )

    class Params(CheckParams):
        """Thresholds and costs of ``fidelity.utility``."""

        gap_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.05),
            description="Margin below 0 for TSTR − TRTR (units of the score: AUC, macro-F1 or R²).",
        )
        collapse_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.25, fail_floor=0.5),
            description=(
                "Margin below 1 for the synthetic-trained model's predicted-class share ratio (classification) or "
                "prediction spread ratio (regression): by default it fails when it predicts a class less than half "
                "as often as the real-trained model, or its predictions vary less than half as much."
            ),
        )
        min_predicted_rows: int = Field(
            30,
            ge=1,
            description=(
                "No share ratio when the real-trained model assigns fewer holdout rows than this to the classes "
                "other than the synthetic-trained model's most predicted one (it then predicts one class itself)."
            ),
        )
        max_train_rows: int = Field(
            100_000, ge=MIN_TRAIN_ROWS, description="Seeded cap on training rows per model; --full lifts it."
        )
        max_holdout_rows: int = Field(
            50_000, ge=MIN_HOLDOUT_ROWS, description="Seeded cap on holdout rows scored; --full lifts it."
        )
        bootstrap_resamples: int = Field(200, ge=20, le=5000, description="Paired bootstrap resamples of the holdout.")
        max_iter: int = Field(100, ge=10, le=1000, description="Boosting iterations (no early stopping).")
        learning_rate: float = Field(0.1, gt=0, le=1, description="Boosting learning rate.")
        max_categories: int = Field(
            250, ge=1, le=254, description="Most frequent categories coded per column; the rest share one code."
        )
        importance_rows: int = Field(
            1_000, ge=50, description="Cap on holdout rows used for permutation importances; --full lifts it."
        )
        importance_repeats: int = Field(3, ge=1, le=50, description="Shuffles per column for permutation importance.")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Train on synthetic and on real rows, score both on the holdout, bootstrap the difference."""
        p = self.params
        target = ctx.data.target
        holdout = ctx.holdout
        if target is None or holdout is None:
            return self.skip("needs an outcome column (--target COL) and a holdout (--holdout FILE)")
        features = tuple(c for c in ctx.comparable_columns if c != target)
        text = tuple(c for c in ctx.data.text if c != target)
        if text and ctx.text_unmeasured_reason is not None:
            return self.skip(ctx.text_unmeasured_reason)
        if not features and not text:
            return self.skip(f"no column besides the target {target!r} to predict it from")
        real = ctx.real[ctx.real[target].notna()]
        synth = ctx.synth[ctx.synth[target].notna()]
        holdout = holdout[holdout[target].notna()]
        task = _task(ctx, real[target], synth[target], holdout[target])
        n_train = min(len(real), len(synth))
        if not ctx.full:
            n_train = min(n_train, p.max_train_rows)
        if n_train < MIN_TRAIN_ROWS:
            return self.skip(f"needs at least {MIN_TRAIN_ROWS} labelled training rows a side; got {n_train}")
        if len(holdout) < MIN_HOLDOUT_ROWS:
            return self.skip(f"needs at least {MIN_HOLDOUT_ROWS} labelled holdout rows; got {len(holdout)}")

        rng = ctx.rng(self.name)
        seed = int(rng.integers(2**31 - 1))
        real = real.iloc[_positions(rng, len(real), n_train)]
        synth = synth.iloc[_positions(rng, len(synth), n_train)]
        if not ctx.full:
            holdout = holdout.iloc[_positions(rng, len(holdout), p.max_holdout_rows)]
        y_real, y_synth, y_holdout = task.encode(real[target]), task.encode(synth[target]), task.encode(holdout[target])
        if len(np.unique(y_real)) < 2:
            return self.skip(f"the real data's target {target!r} holds a single value: nothing to predict")
        if len(np.unique(y_holdout)) < 2 and task.kind != "multiclass":
            return self.skip(f"the holdout's target {target!r} holds a single value: no score can be computed")

        encoder = TreeFeatures.fit(real, features, ctx.roles, p.max_categories)
        sides = {"real": real, "synthetic": synth, "holdout": holdout}
        x = {key: _with_text(ctx, key, encoder.transform(frame), frame, text) for key, frame in sides.items()}
        categorical = np.concatenate([encoder.categorical, np.zeros(x["real"].shape[1] - len(features), dtype=bool)])
        x_holdout = x["holdout"]
        real_model = _fit(x["real"], y_real, task, categorical, p, seed)
        synth_model = _fit(x["synthetic"], y_synth, task, categorical, p, seed)
        predict_real, predict_synth = _predictor(real_model, task), _predictor(synth_model, task)
        pred_real, pred_synth = predict_real(x_holdout), predict_synth(x_holdout)
        trtr, tstr = task.score(pred_real, y_holdout), task.score(pred_synth, y_holdout)
        if not (np.isfinite(trtr) and np.isfinite(tstr)):
            return self.skip(f"the holdout's target {target!r} is constant: {task.score_name} is undefined")

        resamples = _bootstrap_weights(rng, len(y_holdout), p.bootstrap_resamples)
        differences = [
            task.scores(pred_synth, y_holdout, weights) - task.scores(pred_real, y_holdout, weights)
            for weights in resamples
        ]
        diff = np.concatenate(differences)
        diff = diff[np.isfinite(diff)]
        se = float(np.std(diff, ddof=1)) if len(diff) > 1 else float("nan")
        collapse = self._collapse(task, pred_real, pred_synth, resamples, n_train)
        del resamples

        chance = self._chance(task, y_real, y_holdout)
        # Permutation importance per column: a text column's features are shuffled together, through a
        # stand-in column of holdout positions that the predictors expand back into the text's features.
        blocks = [x_holdout[:, len(features) :]]
        compact = np.column_stack([x_holdout[:, : len(features)], np.arange(len(x_holdout), dtype=np.float64)])

        def expand(f: np.ndarray) -> np.ndarray:
            return np.hstack([f[:, : len(features)], blocks[0][f[:, len(features)].astype(np.int64)]])

        importance, importance_rows = self._importances(
            task,
            (lambda f: predict_real(expand(f))) if text else predict_real,
            (lambda f: predict_synth(expand(f))) if text else predict_synth,
            compact if text else x_holdout,
            y_holdout,
            features + ((text[0] if len(text) == 1 else f"text columns ({', '.join(text)})",) if text else ()),
            p,
            seed,
            ctx.full,
        )
        high = 1.0 if task.kind != "regression" else None
        metrics: list[Metric] = [
            gated_metric(
                "tstr_minus_trtr",
                value=tstr - trtr,
                reference=0.0,
                standard_error=se,
                margin=p.gap_margin,
                direction="higher_is_better",
                value_range=(-1.0, 1.0) if high is not None else (None, None),
                description=(
                    f"holdout {task.score_name} of a model trained on synthetic rows minus that of one trained on as "
                    f"many real rows ({n_train}); SE from a paired bootstrap of the holdout ({se:.4f})"
                ),
            ),
            info_metric(
                "tstr_score",
                tstr,
                reference=trtr,
                direction="higher_is_better",
                value_range=task.value_range,
                description=f"holdout {task.score_name} of the synthetic-trained model (reference: real-trained)",
            ),
            info_metric(
                "trtr_score",
                trtr,
                direction="higher_is_better",
                value_range=task.value_range,
                description=f"holdout {task.score_name} of the real-trained model",
            ),
        ]
        labels = _class_labels(task, real[target], synth[target], holdout[target])
        collapse_metric = self._collapse_metric(collapse, labels, n_train) if collapse is not None else None
        if collapse_metric is not None:
            metrics.append(collapse_metric)
        if task.kind != "regression":
            decided_real, decided_synth = task.decisions(pred_real), task.decisions(pred_synth)
            ones = np.ones((1, len(y_holdout)))
            metrics.append(
                info_metric(
                    "tstr_balanced_accuracy",
                    float(balanced_accuracy(decided_synth, y_holdout, ones, task.n_classes)[0]),
                    reference=float(balanced_accuracy(decided_real, y_holdout, ones, task.n_classes)[0]),
                    direction="higher_is_better",
                    value_range=(0.0, 1.0),
                    description=(
                        "holdout balanced accuracy (mean recall over the classes) of the synthetic-trained model's "
                        f"predicted classes (reference: the real-trained model's); a one-class model scores "
                        f"{1 / max(len(np.unique(y_holdout)), 1):.2f}"
                    ),
                )
            )
        if trtr - chance > 1e-9:
            metrics.append(
                info_metric(
                    "relative_utility",
                    (tstr - chance) / (trtr - chance),
                    reference=1.0,
                    direction="higher_is_better",
                    description=(
                        f"(TSTR − chance) / (TRTR − chance), chance {task.score_name} {chance:.3f}: the share of the "
                        "real-trained model's skill the synthetic-trained model keeps"
                    ),
                )
            )
        correlation = _rank_correlation(importance["real_model"].to_numpy(), importance["synthetic_model"].to_numpy())
        if correlation is not None:
            metrics.append(
                info_metric(
                    "importance_rank_correlation",
                    correlation,
                    reference=1.0,
                    direction="higher_is_better",
                    value_range=(-1.0, 1.0),
                    description="Spearman correlation of the two models' permutation importances over the columns",
                )
            )

        rows = [
            {
                "column": str(column),
                "role": ctx.roles.get(str(column), Role.TEXT).value,
                "importance_real_model": float(on_real),
                "importance_synthetic_model": float(on_synth),
                "difference": float(on_real - on_synth),
            }
            for column, on_real, on_synth in zip(
                importance.index,
                importance["real_model"].to_numpy(),
                importance["synthetic_model"].to_numpy(),
                strict=True,
            )
        ]
        shown = rows[:15]
        figures = [
            make_figure(
                "bars",
                f"Permutation importance (drop in holdout {task.score_name}) by training data",
                {
                    "categories": [r["column"] for r in shown],
                    "series": {
                        "trained on real": [r["importance_real_model"] for r in shown],
                        "trained on synthetic": [r["importance_synthetic_model"] for r in shown],
                    },
                },
                x_label="column",
                y_label=f"drop in {task.score_name}",
            )
        ]
        gates = [m for m in metrics if m.gating]
        verdict = (
            "beyond"
            if any(m.passed is False for m in gates)
            else ("past the warn threshold of" if any(m.warned for m in gates) else "within")
        )
        gate = metrics[0]
        summary = (
            f"Trained on synthetic rows, the model scores {task.score_name} {tstr:.3f} on the holdout; trained on as "
            f"many real rows, {trtr:.3f} (difference {tstr - trtr:+.3f}, fail below {gate.threshold:+.3f})"
        )
        if collapse_metric is not None and collapse is not None:
            clause = self._collapse_clause(task, collapse, labels, collapse_metric)
            if collapse_metric.passed is False:
                summary = f"The synthetic-trained model is degenerate: {clause}. {summary}"
            else:
                summary = f"{summary}; {clause}"
        summary = f"{summary} — {verdict} the thresholds."
        tables = [
            make_table(
                "feature_importance",
                "Permutation importance of each column for the real- and the synthetic-trained model, "
                "largest disagreement first",
                rows,
                columns=("column", "role", "importance_real_model", "importance_synthetic_model", "difference"),
            )
        ]
        if isinstance(collapse, ShareRatio):
            tables.append(_class_table(collapse, labels, y_holdout))
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes={
                "train_rows_per_model": n_train,
                "real_rows_labelled": int(ctx.real[target].notna().sum()),
                "synthetic_rows_labelled": int(ctx.synth[target].notna().sum()),
                "holdout_rows": len(y_holdout),
                "bootstrap_resamples": p.bootstrap_resamples,
                "importance_rows": importance_rows,
                "features": len(features) + len(text),
            },
            columns={
                **{c: f"feature ({ctx.roles[c].value})" for c in features},
                **{c: "feature (text: embedding components and length)" for c in text},
                target: "target",
            },
            ctx=ctx,
        )

    def _collapse(
        self, task: _Task, pred_real: np.ndarray, pred_synth: np.ndarray, resamples: list[np.ndarray], n_train: int
    ) -> ShareRatio | SpreadRatio | None:
        """The synthetic-trained model's predictions against the real-trained model's (``None``: not measurable)."""
        p = self.params
        if task.kind == "regression":
            return prediction_spread_ratio(pred_synth, pred_real, resamples)
        return predicted_share_ratio(
            task.decisions(pred_synth),
            task.decisions(pred_real),
            task.n_classes,
            resamples,
            min_reference_rows=p.min_predicted_rows,
            training_rows=(n_train, n_train),
        )

    def _collapse_metric(self, collapse: ShareRatio | SpreadRatio, labels: tuple[str, ...], n_train: int) -> Metric:
        p = self.params
        if isinstance(collapse, SpreadRatio):
            return gated_metric(
                "prediction_spread_ratio",
                value=collapse.value,
                reference=1.0,
                standard_error=collapse.standard_error,
                margin=p.collapse_margin,
                direction="higher_is_better",
                value_range=(0.0, None),
                description=(
                    "standard deviation of the synthetic-trained model's holdout predictions over the real-trained "
                    f"model's ({collapse.candidate_sd:.4g} vs {collapse.reference_sd:.4g}): 0 for a model that "
                    f"predicts a constant; SE from the paired bootstrap of the holdout ({collapse.standard_error:.4f})"
                ),
            )
        dominant = labels[collapse.dominant]
        other = repr(labels[1 - collapse.dominant]) if len(labels) == 2 else f"classes other than {dominant!r}"
        return gated_metric(
            "predicted_class_share_ratio",
            value=collapse.value,
            reference=1.0,
            standard_error=collapse.standard_error,
            margin=p.collapse_margin,
            direction="higher_is_better",
            value_range=(0.0, None),
            description=(
                "share of holdout rows the synthetic-trained model assigns to any class but the one it predicts most, "
                f"over the real-trained model's share of those classes ({other}: {collapse.candidate_share:.1%} vs "
                f"{collapse.reference_share:.1%}); 0 for a model that predicts one class; SE "
                f"{collapse.standard_error:.4f} = paired holdout bootstrap {collapse.se_rows:.4f} and training noise "
                f"{collapse.se_training:.4f} (binomial approximation for {n_train} training rows)"
            ),
        )

    @staticmethod
    def _collapse_clause(
        task: _Task, collapse: ShareRatio | SpreadRatio, labels: tuple[str, ...], metric: Metric
    ) -> str:
        if isinstance(collapse, SpreadRatio):
            if collapse.candidate_sd == 0.0:
                text = (
                    "it predicts a constant (the real-trained model's predictions vary, "
                    f"SD {collapse.reference_sd:.4g})"
                )
            else:
                text = (
                    f"the synthetic-trained model's predictions vary {collapse.value:.2f} times as much as the "
                    f"real-trained one's (SD {collapse.candidate_sd:.4g} vs {collapse.reference_sd:.4g})"
                )
            return f"{text}, fail below {metric.threshold:.2f}"
        text = describe_share_collapse(
            collapse,
            labels,
            candidate="it" if metric.passed is False else "the synthetic-trained model",
            reference="the real-trained model",
            rows="holdout rows",
        )
        return f"{text}; predicted-class share ratio {collapse.value:.3f}, fail below {metric.threshold:.2f}"

    @staticmethod
    def _chance(task: _Task, y_real: np.ndarray, y_holdout: np.ndarray) -> float:
        if task.kind == "binary":
            return 0.5
        if task.kind == "regression":
            return 0.0
        majority = int(np.bincount(y_real, minlength=len(task.classes)).argmax())
        return task.score(np.full(len(y_holdout), majority), y_holdout)

    @staticmethod
    def _importances(
        task: _Task,
        predict_real: Callable[[np.ndarray], np.ndarray],
        predict_synth: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        columns: tuple[str, ...],
        params: Any,
        seed: int,
        full: bool,
    ) -> tuple[pd.DataFrame, int]:
        rng = np.random.default_rng(seed)
        if not full and len(y) > params.importance_rows:
            keep = _positions(rng, len(y), params.importance_rows)
            x, y = x[keep], y[keep]
        frame = pd.DataFrame(index=list(columns))
        for label, predict in (("real_model", predict_real), ("synthetic_model", predict_synth)):
            drops = permutation_drops(
                predict, task.score, x, y, repeats=params.importance_repeats, rng=np.random.default_rng(seed)
            )
            frame[label] = np.nan_to_num(drops.mean(axis=1))
        frame["gap"] = (frame["real_model"] - frame["synthetic_model"]).abs()
        frame["order"] = np.arange(len(columns))
        frame = frame.sort_values(["gap", "order"], ascending=[False, True], kind="stable")
        return frame.drop(columns=["gap", "order"]), len(y)


def _with_text(ctx: AuditContext, key: str, x: np.ndarray, rows: pd.DataFrame, text: tuple[str, ...]) -> np.ndarray:
    """``x`` (the tabular features of ``rows`` of frame ``key``) joined with each text column's features."""
    if not text:
        return x
    positions = ctx.frame(key).index.get_indexer(rows.index)
    return np.hstack([x, *(ctx.text_features(column, key)[positions] for column in text)])


def _task(ctx: AuditContext, real: pd.Series, synth: pd.Series, holdout: pd.Series) -> _Task:
    """Binary (AUC of the positive label), multiclass (macro-F1) or regression (R²), from the aligned data."""
    if ctx.data.task == "regression" and ctx.roles.get(str(real.name)) is Role.NUMERIC:
        return _Task("regression", "R²")
    positive = ctx.data.positive_label
    if positive is not None:
        return _Task("binary", f"ROC AUC (positive label {positive!r})", (positive,))
    classes = sorted(set(real.astype(str)) | set(synth.astype(str)) | set(holdout.astype(str)))
    return _Task("multiclass", "macro-F1", tuple(classes))


def _class_labels(task: _Task, real: pd.Series, synth: pd.Series, holdout: pd.Series) -> tuple[str, ...]:
    """The label of each class code (binary: code 0 is every label but the positive one)."""
    if task.kind == "regression":
        return ()
    if task.kind == "multiclass":
        return task.classes
    positive = task.classes[0]
    others = sorted((set(real.astype(str)) | set(synth.astype(str)) | set(holdout.astype(str))) - {positive})
    return (others[0] if len(others) == 1 else f"not {positive}", positive)


def _class_table(collapse: ShareRatio, labels: tuple[str, ...], y_holdout: np.ndarray) -> Table:
    truth = np.bincount(y_holdout, minlength=len(labels)) / max(len(y_holdout), 1)
    rows = [
        {
            "class": label,
            "holdout_share": float(truth[code]),
            "predicted_share_real_model": collapse.reference_shares[code],
            "predicted_share_synthetic_model": collapse.candidate_shares[code],
            "dominant_for_synthetic_model": code == collapse.dominant,
        }
        for code, label in enumerate(labels)
    ]
    rows.sort(key=lambda r: r["predicted_share_synthetic_model"] - r["predicted_share_real_model"])
    return make_table(
        "predicted_classes",
        "Share of holdout rows each model assigns to each class, most under-predicted by the synthetic-trained "
        "model first",
        rows,
    )


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman correlation, or ``None`` when undefined (fewer than 3 values, or a constant side)."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    value = float(spearmanr(a, b).statistic)
    return value if np.isfinite(value) else None


def _positions(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``n`` sorted positions out of ``size`` (all of them when ``n`` is not smaller)."""
    if n >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=n, replace=False))
