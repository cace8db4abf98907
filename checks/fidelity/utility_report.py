"""Tables, figure and summary clauses of ``fidelity.utility``.

A helper module, not a check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthaudit.check import (
    Margin,
    gated_metric,
    info_metric,
    make_figure,
    make_table,
)
from synthaudit.checks.fidelity.utility_models import ModelTask, rank_correlation
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import FigureSpec, Metric, Table
from synthaudit.stats.models import (
    ShareRatio,
    SpreadRatio,
    balanced_accuracy,
    describe_share_collapse,
)


def class_table(collapse: ShareRatio, labels: tuple[str, ...], y_holdout: np.ndarray) -> Table:
    """Share of holdout rows each model assigns to each class, most under-predicted first."""
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


def collapse_clause(
    task: ModelTask, collapse: ShareRatio | SpreadRatio, labels: tuple[str, ...], metric: Metric
) -> str:
    """A summary clause on the synthetic-trained model's collapse (spread or predicted-class share ratio)."""
    if isinstance(collapse, SpreadRatio):
        if collapse.candidate_sd == 0.0:
            text = f"it predicts a constant (the real-trained model's predictions vary, SD {collapse.reference_sd:.4g})"
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


def skill_metrics(
    task: ModelTask,
    predictions: tuple[np.ndarray, np.ndarray],
    y_holdout: np.ndarray,
    scores: tuple[float, float, float],
    importance: pd.DataFrame,
) -> list[Metric]:
    """Information metrics: balanced accuracy (classification), relative utility, importance rank correlation.

    ``predictions`` are the real- then the synthetic-trained model's on the holdout; ``scores`` are TSTR,
    TRTR and the chance score.
    """
    pred_real, pred_synth = predictions
    tstr, trtr, chance = scores
    metrics: list[Metric] = []
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
    correlation = rank_correlation(importance["real_model"].to_numpy(), importance["synthetic_model"].to_numpy())
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
    return metrics


def importance_by_column(ctx: AuditContext, importance: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per column: both models' permutation importances and their difference, in ``importance``'s order."""
    return [
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


def importance_figure(task: ModelTask, rows: list[dict[str, Any]]) -> FigureSpec:
    """Bars of both models' permutation importances, the first 15 columns of ``rows``."""
    shown = rows[:15]
    return make_figure(
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


def importance_table(rows: list[dict[str, Any]]) -> Table:
    """Permutation importance of each column for both models, largest disagreement first."""
    return make_table(
        "feature_importance",
        "Permutation importance of each column for the real- and the synthetic-trained model, "
        "largest disagreement first",
        rows,
        columns=("column", "role", "importance_real_model", "importance_synthetic_model", "difference"),
    )


def score_metrics(
    task: ModelTask, scores: tuple[float, float], se: float, n_train: int, margin: Margin
) -> list[Metric]:
    """The gated TSTR − TRTR difference, then both scores as information (``scores``: TSTR, TRTR)."""
    tstr, trtr = scores
    high = 1.0 if task.kind != "regression" else None
    metrics: list[Metric] = [
        gated_metric(
            "tstr_minus_trtr",
            value=tstr - trtr,
            reference=0.0,
            standard_error=se,
            margin=margin,
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
    return metrics


def utility_summary(
    task: ModelTask,
    scores: tuple[float, float],
    metrics: list[Metric],
    collapse: ShareRatio | SpreadRatio | None,
    collapse_gate: tuple[Metric | None, tuple[str, ...]],
) -> str:
    """Both models' scores, the collapse clause when measured, and where the gates stand."""
    tstr, trtr = scores
    collapse_metric, labels = collapse_gate
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
        clause = collapse_clause(task, collapse, labels, collapse_metric)
        if collapse_metric.passed is False:
            summary = f"The synthetic-trained model is degenerate: {clause}. {summary}"
        else:
            summary = f"{summary}; {clause}"
    summary = f"{summary} — {verdict} the thresholds."
    return summary
