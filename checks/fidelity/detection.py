"""Fidelity: whether a classifier can tell synthetic rows from real ones (classifier two-sample test)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = [
    "DetectionCheck",
    "TreeFeatures",
    "auc_standard_error",
    "permutation_drops",
    "roc_auc",
]

MIN_ROWS_PER_SIDE = 50
"""Below this many rows per side a cross-validated AUC says nothing; the check skips."""
EVIDENCE_CAP = 20
"""Evidence is capped: at most this many synthetic row indices."""
_HUGE = 1e300
"""Stand-in for ±inf in numeric features (the trees only need the order)."""


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive outscores a random negative (ties ½).

    Computed as the Mann–Whitney U statistic from average ranks. ``labels`` are booleans (or 0/1), both
    classes present. Range [0, 1]; 0.5 for scores that carry no information, 1 when every positive
    outscores every negative; ``roc_auc(s, y) == 1 - roc_auc(s, ~y)``.
    """
    from scipy.stats import rankdata

    positive = np.asarray(labels).astype(bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both classes")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley–McNeil (1982) standard error of an AUC estimated from ``n_pos`` positives and ``n_neg`` negatives.

    ``SE² = [A(1−A) + (n_pos−1)(Q1−A²) + (n_neg−1)(Q2−A²)] / (n_pos·n_neg)`` with ``Q1 = A/(2−A)`` and
    ``Q2 = 2A²/(1+A)``. Values below 0.5 (noise around "cannot tell apart") are taken at 0.5, where the
    formula reduces to the null ``sqrt((n_pos+n_neg+1)/(12·n_pos·n_neg))``; with balanced classes the error
    is largest there and shrinks to 0 as the AUC approaches 1.
    """
    a = min(max(float(auc), 0.5), 1.0)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a * a / (1.0 + a)
    variance = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return math.sqrt(max(variance, 0.0))


def _as_float(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.astype("int64").to_numpy(dtype=np.float64) / 1e9
        out[values.isna().to_numpy()] = np.nan
        return out
    out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.clip(out, -_HUGE, _HUGE)  # ±inf become huge finite numbers; NaN stays missing


@dataclass(frozen=True)
class TreeFeatures:
    """Columns as a float matrix for tree models: numbers as numbers, categories as ordinal codes.

    Numeric columns stay float (datetimes as seconds), missing values NaN (gradient boosting learns where
    missing values go). Categorical and boolean columns become codes ``0 … k−1`` over the ``k`` most frequent
    categories of the fitting frame (at most ``max_categories``, ties by value); every other category —
    rarer, or never seen when fitting — shares the code ``k``, and missing values are NaN. The mask
    :attr:`categorical` tells the model which features are codes (``categorical_features``).
    """

    columns: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, columns: tuple[str, ...], roles: Mapping[str, Role], max_categories: int
    ) -> TreeFeatures:
        """Learn the category codes from ``frame`` (the real rows)."""
        categories: dict[str, tuple[str, ...]] = {}
        for column in columns:
            if roles[column] in (Role.CATEGORICAL, Role.BOOLEAN):
                counts = frame[column].dropna().astype(str).value_counts()
                ordered = sorted(
                    zip(counts.index.astype(str), counts.to_numpy(), strict=True), key=lambda v: (-v[1], v[0])
                )
                categories[column] = tuple(value for value, _ in ordered[:max_categories])
        return cls(tuple(columns), categories)

    @property
    def categorical(self) -> np.ndarray:
        """Boolean mask of the features that are category codes."""
        return np.array([c in self.categories for c in self.columns], dtype=bool)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The feature matrix (rows × columns, float64) of ``frame``."""
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for position, column in enumerate(self.columns):
            values = frame[column]
            if column not in self.categories:
                out[:, position] = _as_float(values)
                continue
            known = self.categories[column]
            missing = values.isna().to_numpy()
            codes = pd.Categorical(values.astype(str).where(~missing), categories=list(known)).codes
            coded = np.where(codes >= 0, codes, len(known)).astype(np.float64)
            coded[missing] = np.nan
            out[:, position] = coded
        return out


def _model(params: Any, categorical: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        early_stopping=False,
        categorical_features=categorical if categorical.any() else None,
        random_state=seed,
    )


@dataclass(frozen=True)
class _Detection:
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


def _detection_test(
    base: np.ndarray, candidate: np.ndarray, categorical: np.ndarray, params: Any, seed: int
) -> _Detection:
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
        model = _model(params, categorical, seed + fold).fit(features[train], labels[train])
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
    return _Detection(
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


class DetectionCheck(Check):
    """How well a classifier tells synthetic rows from real rows (classifier two-sample test), against the reference.

    A histogram gradient-boosting classifier (scikit-learn, seeded, fixed number of iterations, no early
    stopping) learns to separate a balanced sample of base real rows from candidate rows under stratified
    k-fold cross-validation; each fold's model scores its held-out rows, and the value is the mean of the
    per-fold ROC AUCs (not one AUC of the pooled scores, whose spread the analytic SE understates). Features
    are the comparable columns: numbers as numbers (missing values left to the trees), categories as ordinal
    codes over the real data's most frequent categories (at most ``max_categories``; rarer or unseen ones
    share one code) declared as categorical features.

    Range [0, 1]; lower is better. 0.5 means the classifier cannot tell the two apart — the value for
    identical distributions and, up to noise (about ±0.02 at 1,000 rows a side, shrinking like 1/√n), for
    an independent sample; 1 means every synthetic row is recognisable.

    Gating: the synthetic pair's AUC against the reference pair's AUC (holdout or split-half rows vs the
    same base rows, same sample size, same folds). Both tests use the *same* seeded sample of base rows, so
    the difference reflects only the candidates. The standard error of the difference is what it would be if
    the synthetic rows were as good as the reference: √2 × the reference's SE — the Hanley–McNeil SE of one
    fold's AUC, with the Nadeau–Bengio correction for the dependence between cross-validation folds — i.e.
    the two AUCs taken as independent, which is conservative when sharing the base rows correlates them
    positively. The margin is ``max(floor, k × SE)``; at the default 5,000 rows a side 5 SE ≈ 0.06.

    The columns that give synthetic rows away are ranked by permutation importance (drop in AUC when one
    column is shuffled) of the first fold's model on its held-out rows (capped), on the synthetic pair.
    When the check warns or fails, evidence lists the synthetic rows the classifier finds most synthetic.

    Skips when no column can be compared or a side has fewer than 50 rows. Cost: ``folds`` fits per pair on
    at most ``2 × max_rows_per_side`` rows (lifted by ``--full``), plus ``columns × importance_repeats``
    predictions on at most ``importance_rows`` rows.
    """

    name: ClassVar[str] = "fidelity.detection"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = "A classifier cannot tell synthetic rows from real rows better than from holdout rows."
    meaning: ClassVar[str] = (
        "A classifier is trained to tell synthetic rows from real ones; the number is its ROC AUC on rows it "
        "did not train on (0.5 = cannot tell them apart, 1 = every synthetic row is recognisable), compared "
        "with the same test on real rows the generator never saw. Lower is better."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("detection_auc",)

    class Params(CheckParams):
        """Thresholds and costs of ``fidelity.detection``."""

        auc_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.03, fail_floor=0.05),
            description="Margin over the reference pair's AUC (AUC units).",
        )
        max_rows_per_side: int = Field(
            5_000,
            ge=MIN_ROWS_PER_SIDE,
            description="Seeded cap on rows per side (real and candidate); --full lifts it.",
        )
        folds: int = Field(5, ge=2, le=10, description="Stratified cross-validation folds.")
        max_iter: int = Field(100, ge=10, le=1000, description="Boosting iterations (no early stopping).")
        learning_rate: float = Field(0.1, gt=0, le=1, description="Boosting learning rate.")
        max_categories: int = Field(
            250, ge=1, le=254, description="Most frequent categories coded per column; the rest share one code."
        )
        importance_rows: int = Field(
            1_000, ge=100, description="Cap on held-out rows used for permutation importances; --full lifts it."
        )
        importance_repeats: int = Field(3, ge=1, le=50, description="Shuffles per column for permutation importance.")
        top_features: int = Field(10, ge=1, le=100, description="Columns listed in the table of telling features.")

    def run(self, ctx: AuditContext) -> CheckResult:
        """Run the classifier two-sample test on the synthetic and on the reference pair."""
        p = self.params
        assert isinstance(p, DetectionCheck.Params)
        columns = ctx.comparable_columns
        if not columns:
            return self.skip("no numeric, datetime, categorical or boolean column to compare")
        synthetic, reference = ctx.synthetic_pair, ctx.reference_pair
        base = synthetic.base
        n = min(len(base), len(synthetic.candidate), len(reference.candidate))
        if not ctx.full:
            n = min(n, p.max_rows_per_side)
        if n < MIN_ROWS_PER_SIDE:
            return self.skip(f"needs at least {MIN_ROWS_PER_SIDE} rows on every side; the smallest has {n}")

        rng = ctx.rng(self.name)
        seed = int(rng.integers(2**31 - 1))
        base_rows = _sample_positions(rng, len(base), n)
        synthetic_rows = _sample_positions(rng, len(synthetic.candidate), n)
        reference_rows = _sample_positions(rng, len(reference.candidate), n)

        encoder = TreeFeatures.fit(base, columns, ctx.roles, p.max_categories)
        categorical = encoder.categorical
        x_base = encoder.transform(base.iloc[base_rows])
        x_synthetic = encoder.transform(synthetic.candidate.iloc[synthetic_rows])
        x_reference = encoder.transform(reference.candidate.iloc[reference_rows])

        syn = _detection_test(x_base, x_synthetic, categorical, p, seed)
        ref = _detection_test(x_base, x_reference, categorical, p, seed)
        se = math.sqrt(2.0) * ref.standard_error

        importance, importance_rows = self._importances(syn, columns, p, seed, ctx.full)
        metrics = [
            gated_metric(
                "detection_auc",
                value=syn.auc,
                reference=ref.auc,
                standard_error=se,
                margin=p.auc_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=(
                    f"held-out ROC AUC (mean over {p.folds} folds) of a classifier telling synthetic from real rows "
                    f"({n} rows a side); reference: the same test on the reference rows"
                ),
            ),
            info_metric(
                "detection_accuracy",
                syn.accuracy,
                reference=ref.accuracy,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="out-of-fold accuracy at probability 0.5 (0.5 = chance on the balanced sample)",
            ),
        ]
        gate = metrics[0]
        telling = importance[importance["auc_drop"] > 0].head(p.top_features)
        rows = [
            {
                "column": str(column),
                "role": ctx.roles[str(column)].value,
                "auc_drop": float(drop),
                "auc_drop_sd": float(sd),
            }
            for column, drop, sd in zip(
                telling.index, telling["auc_drop"].to_numpy(), telling["auc_drop_sd"].to_numpy(), strict=True
            )
        ]
        tables = [
            make_table(
                "telling_features",
                "Columns that give synthetic rows away (drop in AUC when shuffled), most telling first",
                rows,
                columns=("column", "role", "auc_drop", "auc_drop_sd"),
            )
        ]
        figures = (
            [
                make_figure(
                    "bars",
                    "Drop in detection AUC when a column is shuffled",
                    {"categories": [r["column"] for r in rows], "series": {"auc_drop": [r["auc_drop"] for r in rows]}},
                    x_label="column",
                    y_label="drop in ROC AUC",
                )
            ]
            if rows
            else []
        )
        evidence = {}
        if gate.passed is False or gate.warned:
            synthetic_scores = syn.scores[syn.labels == 1]
            order = np.argsort(-synthetic_scores, kind="stable")[:EVIDENCE_CAP]
            index = synthetic.candidate.index[synthetic_rows]
            evidence["most_detectable_synthetic_rows"] = [int(index[i]) for i in order]

        verdict = "beyond" if gate.passed is False else ("past the warn threshold of" if gate.warned else "within")
        top = f"; most telling column {rows[0]['column']!r} (AUC drop {rows[0]['auc_drop']:.3f})" if rows else ""
        summary = (
            f"A classifier tells synthetic from real rows with ROC AUC {syn.auc:.3f} vs {ref.auc:.3f} for the "
            f"reference (fail above {gate.threshold:.3f}){top} — {verdict} the thresholds."
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            evidence=evidence,
            sample_sizes={
                "base_rows": n,
                "synthetic_rows": n,
                "reference_rows": n,
                "folds": p.folds,
                "importance_rows": importance_rows,
                "columns": len(columns),
            },
        )

    def _importances(
        self, detection: _Detection, columns: tuple[str, ...], params: Any, seed: int, full: bool
    ) -> tuple[pd.DataFrame, int]:
        """Permutation importance (drop in AUC) of the first fold's model on its held-out rows (capped)."""
        rng = np.random.default_rng(seed)
        test = detection.test_positions
        if not full and len(test) > params.importance_rows:
            test = test[_sample_positions(rng, len(test), params.importance_rows)]
        x, y = detection.features[test], detection.labels[test]
        model = detection.model
        drops = permutation_drops(
            lambda f: model.predict_proba(f)[:, 1],
            lambda s, t: roc_auc(s, t),
            x,
            y,
            repeats=params.importance_repeats,
            rng=rng,
        )
        frame = pd.DataFrame(
            {"auc_drop": drops.mean(axis=1), "auc_drop_sd": drops.std(axis=1), "order": np.arange(len(columns))},
            index=list(columns),
        )
        frame = frame.sort_values(["auc_drop", "order"], ascending=[False, True], kind="stable")
        return frame.drop(columns="order"), len(test)


def permutation_drops(
    predict: Callable[[np.ndarray], np.ndarray],
    score: Callable[[np.ndarray, np.ndarray], float],
    features: np.ndarray,
    target: np.ndarray,
    *,
    repeats: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Permutation importance: the drop in ``score`` when one feature column is shuffled (features × repeats).

    The same quantity as :func:`sklearn.inspection.permutation_importance`, but the ``repeats`` shuffled
    copies of each feature are predicted in one batch (one model call per feature instead of per repeat).
    A feature the model ignores scores 0 exactly; positive values mean the model relies on it.
    """
    baseline = score(predict(features), target)
    m, width = features.shape
    drops = np.zeros((width, repeats), dtype=np.float64)
    for j in range(width):
        batch = np.tile(features, (repeats, 1))
        for r in range(repeats):
            batch[r * m : (r + 1) * m, j] = features[rng.permutation(m), j]
        predictions = predict(batch)
        for r in range(repeats):
            drops[j, r] = baseline - score(predictions[r * m : (r + 1) * m], target)
    return drops


def _sample_positions(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``n`` sorted positions out of ``size`` (all of them when ``n`` is not smaller)."""
    if n >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=n, replace=False))
