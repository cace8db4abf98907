"""Fidelity: whether a classifier can tell synthetic rows from real ones (classifier two-sample test)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.ngram_table import ORDER_NGRAMS
from synthaudit.artefacts.tree_features import TreeFeatures
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
from synthaudit.result import CheckResult
from synthaudit.stats.auc import roc_auc
from synthaudit.stats.importance import permutation_drops, tree_features_used
from synthaudit.stats.threads import one_openmp_thread
from synthaudit.stats.two_sample import ClassifierTest, classifier_two_sample_test

if TYPE_CHECKING:
    pass

__all__ = ["DetectionCheck"]

MIN_ROWS_PER_SIDE = 50
"""Below this many rows per side a cross-validated AUC says nothing; the check skips."""
EVIDENCE_CAP = 20
"""Evidence is capped: at most this many synthetic row indices."""


class DetectionCheck(Check):
    """How well a classifier tells synthetic rows from real rows (classifier two-sample test), against the reference.

    A histogram gradient-boosting classifier (scikit-learn, seeded, fixed number of iterations, no early
    stopping) learns to separate a balanced sample of base real rows from candidate rows under stratified
    k-fold cross-validation; each fold's model scores its held-out rows, and the value is the mean of the
    per-fold ROC AUCs (not one AUC of the pooled scores, whose spread the analytic SE understates). Features
    are the comparable columns: numbers as numbers (missing values left to the trees), categories as ordinal
    codes over the real data's most frequent categories (at most ``max_categories``; rarer or unseen ones
    share one code) declared as categorical features. A text column adds the leading principal components of
    its sentence embedding and its log length in characters and words (``ctx.text_features``: what it is
    about, and how long), and two word-order features (``ctx.text_order_features``): the share of its word
    pairs and of its word triples that occur in another real text (``synthaudit.artefacts.ngram_table``; the
    text itself is left out of the counts, so real, holdout and copied rows are scored alike). Embeddings are
    close to bags of words; the word-order shares are what catches text with the real vocabulary, lengths and
    topics whose words are in no real order.

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

    Skips when no column can be compared or a side has fewer than 50 rows.

    Cost: ``folds`` boosting fits on at most 2 × ``max_rows_per_side`` rows (lifted by ``--full``), O(rows × c ×
    ``max_iter``) each, plus ``c × importance_repeats`` predictions on at most ``importance_rows`` rows for the
    importances: linear in columns (about c × 3 × 1000 predicted rows), nothing capped by width.
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
        if ctx.text_unmeasured_reason is not None:
            return self.skip(ctx.text_unmeasured_reason)
        columns = ctx.comparable_columns
        text = tuple(ctx.data.text)
        if not columns and not text:
            return self.skip("no numeric, datetime, categorical, boolean or text column to compare")
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
        feature_names = list(columns)
        for column in text:
            parts = {
                key: np.hstack([ctx.text_features(column, key), ctx.text_order_features(column, key)])
                for key in ("base", "synthetic_candidate", "reference_candidate")
            }
            x_base = np.hstack([x_base, parts["base"][base_rows]])
            x_synthetic = np.hstack([x_synthetic, parts["synthetic_candidate"][synthetic_rows]])
            x_reference = np.hstack([x_reference, parts["reference_candidate"][reference_rows]])
            feature_names += _text_feature_names(column, parts["base"].shape[1])
        categorical = np.concatenate([categorical, np.zeros(len(feature_names) - len(columns), dtype=bool)])

        syn = classifier_two_sample_test(x_base, x_synthetic, categorical, p, seed)
        ref = classifier_two_sample_test(x_base, x_reference, categorical, p, seed)
        se = math.sqrt(2.0) * ref.standard_error

        importance, importance_rows = self._importances(syn, tuple(feature_names), p, seed, ctx.full)
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
                "role": ctx.roles[str(column)].value if str(column) in ctx.roles else "text",
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
                "columns": len(columns) + len(text),
            },
            columns={
                **{c: ctx.roles[c].value for c in columns},
                **{c: "text (embeddings, length and word order)" for c in text},
            },
        )

    def _importances(
        self, detection: ClassifierTest, columns: tuple[str, ...], params: Any, seed: int, full: bool
    ) -> tuple[pd.DataFrame, int]:
        """Permutation importance (drop in AUC) of the first fold's model on its held-out rows (capped)."""
        rng = np.random.default_rng(seed)
        test = detection.test_positions
        if not full and len(test) > params.importance_rows:
            test = test[_sample_positions(rng, len(test), params.importance_rows)]
        x, y = detection.features[test], detection.labels[test]
        model = detection.model
        with one_openmp_thread(len(test) * params.importance_repeats):
            drops = permutation_drops(
                lambda f: model.predict_proba(f)[:, 1],
                lambda s, t: roc_auc(s, t),
                x,
                y,
                repeats=params.importance_repeats,
                rng=rng,
                used=tree_features_used(model, x.shape[1]),
            )
        frame = pd.DataFrame(
            {"auc_drop": drops.mean(axis=1), "auc_drop_sd": drops.std(axis=1), "order": np.arange(len(columns))},
            index=list(columns),
        )
        frame = frame.sort_values(["auc_drop", "order"], ascending=[False, True], kind="stable")
        return frame.drop(columns="order"), len(test)


def _text_feature_names(column: str, width: int) -> list[str]:
    """Names of a text column's detection features: embedding components, two lengths, two word-order shares."""
    tail = [
        f"{column} (length in characters)",
        f"{column} (length in words)",
        *(f"{column} (word {n}-grams seen in other real texts)" for n in ORDER_NGRAMS),
    ]
    return [f"{column} (embedding component {i + 1})" for i in range(width - len(tail))] + tail


def _sample_positions(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``n`` sorted positions out of ``size`` (all of them when ``n`` is not smaller)."""
    if n >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=n, replace=False))
