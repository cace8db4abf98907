"""``balance.downstream_fairness``: whether a model trained on synthetic data is less fair than a real-trained one."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
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
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    RARE_GROUP,
    Attribute,
    absent_columns_metric,
    absent_only_result,
    attribute_labels,
    coding_table,
    flag_sensitive_inferred,
    group_labels,
    sensitive_groups,
    shown_group,
)
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult, FigureSpec, Metric, Table
from synthaudit.stats.models import describe_share_collapse, predicted_share_ratio

__all__ = ["DownstreamFairnessCheck", "GroupCounts", "group_counts", "parity_differences"]

FOUR_FIFTHS = 0.8
"""The four-fifths rule (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)): a selection rate below 80 % of the
highest group's is evidence of adverse impact. Reported for each model, not gated (see the class docstring)."""
MIN_ROWS_PER_MODEL = 50
"""Fewer training rows per model than this: nothing worth learning; the check skips."""
_BOOTSTRAP_CELLS = 4_000_000
"""Holdout resamples are processed in chunks of at most this many (resample × row) weights."""


# ----------------------------------------------------------------------------- group metrics (vectorised)
@dataclass(frozen=True)
class GroupCounts:
    """Weighted counts per resample (rows of the weight matrix) × model × group.

    ``rows`` and ``positives`` have shape (resamples, groups); ``selected`` and ``true_positives`` have shape
    (resamples, models, groups).
    """

    rows: np.ndarray
    positives: np.ndarray
    selected: np.ndarray
    true_positives: np.ndarray


def group_counts(
    predictions: np.ndarray, truth: np.ndarray, codes: np.ndarray, groups: int, weights: np.ndarray
) -> GroupCounts:
    """Counts behind selection, true- and false-positive rates of every model and group under each weighting.

    ``predictions`` is (models × rows) of 0/1, ``truth`` (rows,) of 0/1, ``codes`` (rows,) group codes in
    ``0 … groups−1`` (−1: left out), ``weights`` (resamples × rows), e.g. bootstrap counts or a row of ones.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(truth, dtype=np.float64)
    onehot = np.zeros((len(codes), groups), dtype=np.float64)
    kept = codes >= 0
    onehot[np.flatnonzero(kept), codes[kept]] = 1.0
    models = predictions.shape[0]
    blocks = [onehot, onehot * y[:, None]]
    for k in range(models):
        blocks.append(onehot * predictions[k][:, None])
    for k in range(models):
        blocks.append(onehot * (predictions[k] * y)[:, None])
    counts = np.asarray(weights, dtype=np.float64) @ np.hstack(blocks)
    resamples = counts.shape[0]
    rows = counts[:, :groups]
    positives = counts[:, groups : 2 * groups]
    selected = counts[:, 2 * groups : (2 + models) * groups].reshape(resamples, models, groups)
    true_positives = counts[:, (2 + models) * groups :].reshape(resamples, models, groups)
    return GroupCounts(rows, positives, selected, true_positives)


def parity_differences(
    counts: GroupCounts, parity_groups: np.ndarray, odds_groups: np.ndarray
) -> dict[str, np.ndarray]:
    """Demographic-parity and equalised-odds differences and the selection-rate ratio, per resample × model.

    As fairlearn defines them (``method="between_groups"``): the demographic-parity difference is the largest
    minus the smallest group selection rate over ``parity_groups``; the equalised-odds difference is the
    larger of the same spread of true-positive rates and of false-positive rates over ``odds_groups``; the
    selection-rate ratio is the smallest over the largest selection rate (the four-fifths rule's ratio).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = counts.rows[:, None, :]
        positives = counts.positives[:, None, :]
        negatives = rows - positives
        selection = counts.selected / rows
        tpr = counts.true_positives / positives
        fpr = (counts.selected - counts.true_positives) / negatives
        sel = selection[:, :, parity_groups]
        dp = np.nanmax(sel, axis=2) - np.nanmin(sel, axis=2)
        high = np.nanmax(sel, axis=2)
        ratio = np.where(high > 0, np.nanmin(sel, axis=2) / np.where(high > 0, high, 1.0), 1.0)
        if len(odds_groups) >= 2:
            t, f = tpr[:, :, odds_groups], fpr[:, :, odds_groups]
            eo = np.maximum(np.nanmax(t, axis=2) - np.nanmin(t, axis=2), np.nanmax(f, axis=2) - np.nanmin(f, axis=2))
        else:
            eo = np.full(dp.shape, np.nan)
    return {"dp": dp, "eo": eo, "ratio": ratio}


def _bootstrap_weights(rng: np.random.Generator, n: int, resamples: int) -> list[np.ndarray]:
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
class _Column:
    """One sensitive column's holdout groups: codes, which groups are compared, and their labels."""

    attribute: Attribute
    labels: tuple[str, ...]
    codes: np.ndarray
    parity_groups: np.ndarray
    odds_groups: np.ndarray


class DownstreamFairnessCheck(Check):
    """Fairness of a model trained on synthetic data against the same model trained on real data, on the holdout.

    The same model (scikit-learn's histogram gradient boosting, seeded, fixed iterations, no early stopping)
    predicts the positive label from the other comparable columns, trained on synthetic rows and on as many
    real rows (seeded samples, capped unless ``--full``). Both are scored on the real holdout, per group of
    each sensitive column, with fairlearn's ``MetricFrame`` (accuracy, selection rate, true- and
    false-positive rate), and summarised by fairlearn's demographic-parity difference (largest minus smallest
    group selection rate) and equalised-odds difference (the larger of the spreads of true- and of
    false-positive rates). Groups with fewer than ``min_group_rows`` holdout rows are left out of both, and
    groups with fewer than ``min_class_rows`` positive or negative holdout rows out of the equalised odds.

    Gating: how much the synthetic-trained model worsens each difference, ``D(synthetic) − D(real)``, for
    the worst sensitive column; the reference is 0 (what an independent real sample gives), higher values
    are worse, range [−1, 1]. Its standard error has two parts. The paired, seeded (Poisson) bootstrap of
    the holdout rows gives the evaluation noise; but two models trained on different samples of one
    population differ too (measured on Adult at 4 000 training rows, the training noise of the
    demographic-parity difference is about 2.9 times the holdout-bootstrap SE, so a holdout bootstrap alone
    would fail clean data often). So each side is trained as ``K = training_splits`` models on disjoint
    chunks of its rows, each difference is averaged over a side's models, and the spread of the models within
    each side gives the training-noise variance of the increase, ``2·s²/K`` with ``s²`` pooled over both
    sides (``2(K − 1)`` degrees of freedom: 8 by default, so that a 5-SE fail stays rare although the SE is
    estimated). The worst column is the one furthest past its own threshold ``max(floor, k × SE)``.

    Information: each model's differences, the selection-rate ratio (smallest over largest group selection
    rate) and whether it meets the four-fifths rule. The four-fifths rule judges the disparate impact of a
    *decision*, so it is reported for each model but does not gate the generator: on Adult the real-trained
    model itself selects women at about a third of the rate of men. It is never applied to population shares.

    Skipped, never passed, when the synthetic-trained models are degenerate: a model that predicts (almost)
    only one class selects almost nobody in every group, so its differences shrink towards 0 whatever the data
    and would read as "no less fair" (on the Adult example the GaussianCopula sample's models predict >50K for
    under 2 % of the holdout rows against about 20 % for the real-trained ones). The test is
    ``fidelity.utility``'s second gate (``synthaudit.stats.models.predicted_share_ratio``) on the pooled models
    of each side, with the training noise from their spread: skipped when the ratio is past the fail threshold
    of ``collapse_margin`` (by default, a class predicted less than half as often), or when either side's
    models predict a single class outright. ``fidelity.utility`` fails on the collapse.

    Classification only (a regression target has no selection rate: skipped); needs a holdout, a target
    with a positive label and sensitive columns. On inferred sensitive columns the gate reports a fail as a
    warning; a named sensitive column missing from the synthetic data fails. Cost: ``2 × training_splits``
    boosting fits on ``max_train_rows / training_splits`` rows each (one OpenMP thread: faster for fits this
    small, same models) and a vectorised bootstrap; about 2 s on the Adult example.
    """

    name: ClassVar[str] = "balance.downstream_fairness"
    suite: ClassVar[Suite] = Suite.BALANCE
    description: ClassVar[str] = (
        "A model trained on synthetic data treats demographic groups no less fairly than one trained on real data."
    )
    meaning: ClassVar[str] = (
        "Two models predict the outcome of real rows the generator never saw, one learnt from the synthetic data "
        "and one from as many real rows. The numbers say how much more unequal the synthetic-trained model is "
        "between groups than the real-trained one: in selection rates (demographic parity) and in true/false "
        "positive rates (equalised odds). 0 means no worse; lower is better."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.TARGET, Need.HOLDOUT, Need.SENSITIVE})
    gating_metrics: ClassVar[tuple[str, ...]] = ("dp_difference_increase", "eo_difference_increase", ABSENT_METRIC)

    class Params(CheckParams):
        """Thresholds and costs of ``balance.downstream_fairness``.

        The floors (a fail needs 0.05 more demographic-parity or equalised-odds difference, a warning 0.02)
        apply at large n and match ``fidelity.utility``'s score floors: fairness differences are rates, and five
        percentage points more disparity is a change a reviewer would want explained.
        """

        dp_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.05),
            description="Margin above 0 for the increase of the demographic-parity difference.",
        )
        eo_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.05),
            description="Margin above 0 for the increase of the equalised-odds difference.",
        )
        min_group_rows: int = Field(
            30, ge=2, description="Groups with fewer holdout rows are left out of the differences."
        )
        min_class_rows: int = Field(
            10, ge=1, description="Groups with fewer positive or negative holdout rows are left out of equalised odds."
        )
        training_splits: int = Field(
            5, ge=2, le=20, description="Models per side, on disjoint chunks, whose spread measures training noise."
        )
        max_train_rows: int = Field(
            20_000,
            ge=100,
            description="Seeded cap on training rows per side (split between its models); --full lifts it.",
        )
        max_holdout_rows: int = Field(50_000, ge=100, description="Seeded cap on holdout rows scored; --full lifts it.")
        bootstrap_resamples: int = Field(200, ge=20, le=5000, description="Paired bootstrap resamples of the holdout.")
        max_iter: int = Field(50, ge=10, le=1000, description="Boosting iterations (no early stopping).")
        learning_rate: float = Field(0.1, gt=0, le=1, description="Boosting learning rate.")
        max_categories: int = Field(
            250, ge=1, le=254, description="Most frequent categories coded per column; the rest share one code."
        )
        collapse_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.25, fail_floor=0.5),
            description=(
                "Margin below 1 for the synthetic-trained models' predicted-class share ratio past which they count "
                "as degenerate and the check skips (as fidelity.utility's gate: by default, a class predicted less "
                "than half as often as by the real-trained models)."
            ),
        )
        min_predicted_rows: int = Field(
            30,
            ge=1,
            description=(
                "No share ratio when the real-trained models assign fewer holdout rows than this to the class the "
                "synthetic-trained ones predict less often (they then predict essentially one class themselves)."
            ),
        )

    # ------------------------------------------------------------------ computation
    def run(self, ctx: AuditContext) -> CheckResult:
        """Train both sides' models, score them per group on the holdout, bootstrap the increases."""
        p = self.params
        target, holdout = ctx.data.target, ctx.holdout
        if target is None or holdout is None:
            return self.skip("needs an outcome column (--target COL) and a holdout (--holdout FILE)")
        if ctx.data.task == "regression":
            return self.skip(
                f"the target {target!r} is a regression target: selection rates and true/false-positive rates need "
                "a classification target"
            )
        positive = ctx.data.positive_label
        if positive is None:
            return self.skip(
                f"the target {target!r} has more than two classes: name the favourable outcome with --positive-label"
            )
        groups = sensitive_groups(ctx)
        absent_metric = [absent_columns_metric(groups.absent)] if groups.absent else []
        attributes = tuple(a for a in groups.attributes(intersections=False) if target not in a.columns)
        features = tuple(c for c in ctx.comparable_columns if c != target)
        if not attributes or not features:
            if absent_metric:
                return absent_only_result(self, ctx, groups)
            return self.skip("no sensitive column to group by, or no feature besides the target")

        real = ctx.real[ctx.real[target].notna()]
        synth = ctx.synth[ctx.synth[target].notna()]
        scored = holdout[holdout[target].notna()]
        rng = ctx.rng(self.name)
        seed = int(rng.integers(2**31 - 1))
        if not ctx.full and len(scored) > p.max_holdout_rows:
            scored = scored.iloc[np.sort(rng.choice(len(scored), p.max_holdout_rows, replace=False))]
        n_train = min(len(real), len(synth))
        if not ctx.full:
            n_train = min(n_train, p.max_train_rows)
        splits = p.training_splits
        per_model = n_train // splits
        if per_model < MIN_ROWS_PER_MODEL:
            return self.skip(
                f"needs at least {MIN_ROWS_PER_MODEL * splits} labelled training rows a side ({splits} models of "
                f"{MIN_ROWS_PER_MODEL}); got {n_train}"
            )
        y_holdout = (scored[target].astype(str) == positive).to_numpy().astype(np.int64)
        columns = self._columns(ctx, scored, attributes)
        if not columns:
            if absent_metric:
                return absent_only_result(self, ctx, groups)
            return self.skip(
                f"no sensitive column has two groups with {p.min_group_rows} holdout rows each: no disparity to measure"
            )

        real_chunks = _chunks(rng, len(real), splits, per_model)
        synth_chunks = _chunks(rng, len(synth), splits, per_model)
        encoder = TreeFeatures.fit(real.iloc[np.concatenate(real_chunks)], features, ctx.roles, p.max_categories)
        x_holdout = encoder.transform(scored)
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        predictions = []
        # Small fits run faster on one OpenMP thread (and thread contention on a busy machine makes them
        # many times slower); the fitted models and predictions do not depend on the thread count.
        with threadpool_limits(limits=1, user_api="openmp"):
            for frame, chunks in ((real, real_chunks), (synth, synth_chunks)):
                for chunk in chunks:
                    rows = frame.iloc[chunk]
                    y = (rows[target].astype(str) == positive).to_numpy().astype(np.int64)
                    model = _fit(encoder.transform(rows), y, encoder.categorical, p, seed)
                    predictions.append(np.asarray(model.predict(x_holdout), dtype=np.int64))
        pred = np.vstack(predictions)  # real models first, then synthetic models

        weights = _bootstrap_weights(rng, len(y_holdout), p.bootstrap_resamples)
        degenerate = self._degenerate(pred, splits, weights, _class_labels(scored[target], positive))
        if degenerate is not None:
            if absent_metric:
                result = absent_only_result(self, ctx, groups)
                return replace(result, summary=f"{result.summary} Fairness was not compared: {degenerate}.")
            return self.skip(degenerate)
        stats = [self._column_stats(c, pred, y_holdout, weights, splits) for c in columns]
        frames = self._metric_frames(columns, pred, y_holdout, splits)
        metrics: list[Metric] = []
        worst = {}
        for key, metric_name, margin, label in (
            ("dp", "dp_difference_increase", p.dp_margin, "demographic-parity"),
            ("eo", "eo_difference_increase", p.eo_margin, "equalised-odds"),
        ):
            usable = [i for i, s in enumerate(stats) if np.isfinite(s[key]["increase"])]
            if not usable:
                continue
            scores = [
                s[key]["increase"] / max(margin.fail_floor, margin.fail_se * s[key]["se"], 1e-12)
                for s in (stats[i] for i in usable)
            ]
            position = usable[int(np.argmax(scores))]
            worst[key] = position
            s = stats[position][key]
            metrics.append(
                gated_metric(
                    metric_name,
                    value=s["increase"],
                    reference=0.0,
                    standard_error=s["se"],
                    margin=margin,
                    direction="lower_is_better",
                    value_range=(-1.0, 1.0),
                    description=(
                        f"{label} difference of the synthetic-trained model minus the real-trained model's, worst "
                        f"sensitive column {columns[position].attribute.name!r} ({s['synthetic']:.3f} vs "
                        f"{s['real']:.3f}; SE {s['se']:.4f} = holdout bootstrap {s['se_holdout']:.4f} and training "
                        f"noise {s['se_training']:.4f})"
                    ),
                )
            )
        if not metrics:
            if absent_metric:
                return absent_only_result(self, ctx, groups)
            return self.skip("no sensitive column has groups large enough for a fairness difference")
        metrics.extend(absent_metric)
        first = worst.get("dp", 0)
        metrics.extend(
            [
                info_metric(
                    "dp_difference_synthetic_model",
                    stats[first]["dp"]["synthetic"],
                    reference=stats[first]["dp"]["real"],
                    direction="lower_is_better",
                    value_range=(0.0, 1.0),
                    description=f"demographic-parity difference of the synthetic-trained model on "
                    f"{columns[first].attribute.name!r} (reference: the real-trained model's)",
                ),
                info_metric(
                    "selection_rate_ratio_synthetic_model",
                    stats[first]["ratio"]["synthetic"],
                    reference=stats[first]["ratio"]["real"],
                    direction="higher_is_better",
                    value_range=(0.0, 1.0),
                    description=(
                        f"smallest / largest group selection rate of the synthetic-trained model on "
                        f"{columns[first].attribute.name!r} (four-fifths rule: at least {FOUR_FIFTHS}; information)"
                    ),
                ),
            ]
        )
        if "eo" in worst:
            e = worst["eo"]
            metrics.append(
                info_metric(
                    "eo_difference_synthetic_model",
                    stats[e]["eo"]["synthetic"],
                    reference=stats[e]["eo"]["real"],
                    direction="lower_is_better",
                    value_range=(0.0, 1.0),
                    description=f"equalised-odds difference of the synthetic-trained model on "
                    f"{columns[e].attribute.name!r} (reference: the real-trained model's)",
                )
            )
        tables = [
            self._column_table(columns, stats, p),
            self._group_table(ctx, columns, frames),
            coding_table(ctx, groups),
        ]
        figure_column = worst.get("eo", first)
        figures = [self._figure(ctx, columns[figure_column], frames[figure_column])]
        verdict = (
            "beyond"
            if any(m.passed is False for m in metrics if m.gating)
            else ("past the warn threshold of" if any(m.warned for m in metrics if m.gating) else "within")
        )
        parts = []
        for key, label in (("dp", "demographic-parity"), ("eo", "equalised-odds")):
            if key in worst:
                s = stats[worst[key]][key]
                parts.append(
                    f"{label} difference on {columns[worst[key]].attribute.name!r} {s['synthetic']:.3f} for the "
                    f"synthetic-trained model vs {s['real']:.3f} for the real-trained one"
                )
        summary = (
            "; ".join(parts)
            + (f"; sensitive columns missing from the synthetic data: {list(groups.absent)}" if groups.absent else "")
            + f" — {verdict} the thresholds."
        )
        summary = summary[0].upper() + summary[1:]
        result = self.result(
            metrics=metrics,
            summary=summary,
            tables=tables,
            figures=figures,
            sample_sizes={
                "train_rows_per_side": per_model * splits,
                "train_rows_per_model": per_model,
                "models_per_side": splits,
                "holdout_rows": len(scored),
                "bootstrap_resamples": p.bootstrap_resamples,
                "features": len(features),
            },
            columns=self._measured(ctx, features, target, columns),
        )
        return flag_sensitive_inferred(result, ctx)

    def _degenerate(
        self, pred: np.ndarray, splits: int, weights: list[np.ndarray], labels: tuple[str, str]
    ) -> str | None:
        """Why the fairness differences would mean nothing, or ``None`` when both sides' models decide.

        A model that predicts (almost) only one class selects (almost) nobody, or everybody, in every group: its
        demographic-parity and equalised-odds differences shrink towards 0 whatever the data, so a comparison
        would read as "no less fair". The synthetic-trained models count as degenerate when their
        predicted-class share ratio against the real-trained models (see ``synthaudit.stats.models``) is past
        the fail threshold of ``collapse_margin``. When the real-trained models themselves predict the other class
        for too few rows to form the ratio, only a side predicting a single class outright counts as degenerate.
        """
        p = self.params
        real, synthetic = pred[:splits], pred[splits:]
        ratio = predicted_share_ratio(synthetic, real, 2, weights, min_reference_rows=p.min_predicted_rows)
        if ratio is None:
            # The real-trained models predict the synthetic ones' favourite class for almost every row: no ratio
            # can be formed. Only a side that predicts one class outright is then known to be degenerate.
            for side, models in (("synthetic", synthetic), ("real", real)):
                if len(np.unique(models)) == 1:
                    return (
                        f"the {side}-trained models predict a single class, {labels[int(models.flat[0])]!r}, for "
                        "every one of the holdout rows: the fairness differences of a model that never predicts a "
                        "class are 0 whatever the data, so they would read as a pass"
                    )
            return None
        metric = gated_metric(
            "predicted_class_share_ratio",
            value=ratio.value,
            reference=1.0,
            standard_error=ratio.standard_error,
            margin=p.collapse_margin,
            direction="higher_is_better",
            value_range=(0.0, None),
        )
        if metric.passed is not False:
            return None
        clause = describe_share_collapse(
            ratio,
            labels,
            candidate="they",
            reference="the real-trained models",
            rows="holdout rows",
            plural=True,
        )
        return (
            f"the synthetic-trained models are degenerate: {clause}; predicted-class share ratio {ratio.value:.3f}, "
            f"below {metric.threshold:.2f} (SE {ratio.standard_error:.4f}). The fairness differences of a model that "
            "(almost) never predicts a class shrink towards 0 whatever the data, so they would read as a pass; "
            "fidelity.utility reports the collapse"
        )

    @staticmethod
    def _measured(ctx: AuditContext, features: tuple[str, ...], target: str, columns: list[_Column]) -> dict[str, str]:
        grouped = {c for column in columns for c in column.attribute.columns}
        out = {
            c: f"feature ({ctx.roles[c].value})" + ("; sensitive, grouped by" if c in grouped else "") for c in features
        }
        out.update({c: "sensitive, grouped by" for c in sorted(grouped) if c not in out})
        out[target] = "target"
        return out

    # ------------------------------------------------------------------ helpers
    def _columns(self, ctx: AuditContext, scored: pd.DataFrame, attributes: tuple[Attribute, ...]) -> list[_Column]:
        p = self.params
        target = ctx.data.target
        labels_frame = group_labels(ctx, "holdout").loc[scored.index]
        y = (scored[target].astype(str) == ctx.data.positive_label).to_numpy()
        out = []
        for attribute in attributes:
            labels = attribute_labels(labels_frame, attribute)
            names, codes = np.unique(labels.astype(str), return_inverse=True)
            rows = np.bincount(codes, minlength=len(names))
            positives = np.bincount(codes, weights=y.astype(np.float64), minlength=len(names))
            parity = np.flatnonzero(rows >= p.min_group_rows)
            odds = parity[
                (positives[parity] >= p.min_class_rows) & (rows[parity] - positives[parity] >= p.min_class_rows)
            ]
            if len(parity) < 2:
                continue
            out.append(_Column(attribute, tuple(str(n) for n in names), codes.astype(np.int64), parity, odds))
        return out

    def _column_stats(
        self, column: _Column, pred: np.ndarray, y: np.ndarray, resamples: list[np.ndarray], splits: int
    ) -> dict[str, dict[str, float]]:
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

    @staticmethod
    def _metric_frames(columns: list[_Column], pred: np.ndarray, y: np.ndarray, splits: int) -> list[pd.DataFrame]:
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
                sides["real_model"]
                .add_suffix("_real_model")
                .join(sides["synthetic_model"].add_suffix("_synthetic_model"))
            )
            rows = np.bincount(column.codes, minlength=len(column.labels))
            positives = np.bincount(column.codes, weights=y.astype(np.float64), minlength=len(column.labels))
            frame["rows"] = pd.Series(rows, index=list(column.labels)).reindex(frame.index)
            frame["positives"] = pd.Series(positives, index=list(column.labels)).reindex(frame.index)
            out.append(frame)
        return out

    @staticmethod
    def _column_table(columns: list[_Column], stats: list[dict[str, dict[str, float]]], p: Any) -> Table:
        rows = []
        for column, s in zip(columns, stats, strict=True):
            row: dict[str, Any] = {
                "sensitive_column": column.attribute.name,
                "groups_compared": len(column.parity_groups),
            }
            for key, margin in (("dp", p.dp_margin), ("eo", p.eo_margin)):
                e = s[key]
                finite = math.isfinite(e.get("increase", math.nan))
                row[f"{key}_real_model"] = e["real"]
                row[f"{key}_synthetic_model"] = e["synthetic"]
                row[f"{key}_increase"] = e["increase"] if finite else None
                row[f"{key}_increase_ci_low"] = e["increase"] - 1.96 * e["se"] if finite else None
                row[f"{key}_increase_ci_high"] = e["increase"] + 1.96 * e["se"] if finite else None
                row[f"{key}_threshold"] = max(margin.fail_floor, margin.fail_se * e["se"]) if finite else None
            row["eo_groups_compared"] = len(column.odds_groups)
            row["selection_rate_ratio_real_model"] = s["ratio"]["real"]
            row["selection_rate_ratio_synthetic_model"] = s["ratio"]["synthetic"]
            row["four_fifths_rule_met_real_model"] = s["ratio"]["real"] >= FOUR_FIFTHS
            row["four_fifths_rule_met_synthetic_model"] = s["ratio"]["synthetic"] >= FOUR_FIFTHS
            rows.append(row)

        def excess(r: dict[str, Any]) -> float:
            return max(
                (r[f"{k}_increase"] or 0.0) / (r[f"{k}_threshold"] or 1.0) if r[f"{k}_increase"] is not None else -1.0
                for k in ("dp", "eo")
            )

        rows.sort(key=lambda r: -excess(r))
        return make_table(
            "sensitive_columns_fairness", "Fairness differences of both models per sensitive column, worst first", rows
        )

    @staticmethod
    def _group_table(ctx: AuditContext, columns: list[_Column], frames: list[pd.DataFrame]) -> Table:
        rows = []
        for column, frame in zip(columns, frames, strict=True):
            compared = {column.labels[i] for i in column.parity_groups}
            for label, values in frame.iterrows():
                rows.append(
                    {
                        "sensitive_column": column.attribute.name,
                        "group": shown_group(ctx, column.attribute, str(label)),
                        "holdout_rows": int(values["rows"]),
                        "holdout_positives": int(values["positives"]),
                        "compared": str(label) in compared,
                        **{
                            f"{metric}_{side}": float(values[f"{metric}_{side}"])
                            for metric in ("accuracy", "selection_rate", "true_positive_rate", "false_positive_rate")
                            for side in ("real_model", "synthetic_model")
                        },
                    }
                )
        rows.sort(key=lambda r: -abs(r["true_positive_rate_synthetic_model"] - r["true_positive_rate_real_model"]))
        return make_table(
            "groups",
            "Per-group metrics of both models on the holdout (fairlearn MetricFrame), largest TPR change first",
            rows,
        )

    @staticmethod
    def _figure(ctx: AuditContext, column: _Column, frame: pd.DataFrame) -> FigureSpec:
        shown = [
            label
            for label in frame.sort_values("rows", ascending=False).index
            if shown_group(ctx, column.attribute, str(label)) != RARE_GROUP
        ][:15]
        return make_figure(
            "bars",
            f"{column.attribute.name}: true-positive rate per group on the holdout, by training data",
            {
                "categories": [str(label) for label in shown],
                "series": {
                    "trained on real": [float(frame.at[label, "true_positive_rate_real_model"]) for label in shown],
                    "trained on synthetic": [
                        float(frame.at[label, "true_positive_rate_synthetic_model"]) for label in shown
                    ],
                },
            },
            x_label=column.attribute.name,
            y_label="true-positive rate",
        )


@dataclass(frozen=True)
class _Cells:
    """Distinct (group, truth, prediction) cells of some models' predictions, with their counts."""

    labels: np.ndarray
    truth: np.ndarray
    prediction: np.ndarray
    weight: np.ndarray


def _cells(column: _Column, y: np.ndarray, models: np.ndarray, groups: np.ndarray) -> _Cells:
    """The holdout rows of ``groups`` as weighted cells, pooled over ``models`` (each model's rows counted once)."""
    kept = np.isin(column.codes, groups)
    key = column.codes[kept] * 4 + y[kept] * 2
    counts = np.zeros(len(column.labels) * 4, dtype=np.float64)
    for model in models:
        counts += np.bincount(key + model[kept], minlength=len(counts))
    present = np.flatnonzero(counts)
    names = np.asarray(column.labels, dtype=object)
    return _Cells(names[present // 4], (present // 2) % 2, present % 2, counts[present])


def _class_labels(target: pd.Series, positive: str) -> tuple[str, str]:
    """Labels of codes 0 and 1: every value but the positive label (named when it is one value), the positive."""
    others = sorted(set(target.astype(str)) - {positive})
    return (others[0] if len(others) == 1 else f"not {positive}", positive)


def _chunks(rng: np.random.Generator, size: int, splits: int, per_model: int) -> list[np.ndarray]:
    """``splits`` disjoint sorted position arrays of ``per_model`` rows each out of ``size``."""
    order = rng.permutation(size)[: splits * per_model]
    return [np.sort(order[k * per_model : (k + 1) * per_model]) for k in range(splits)]


def _fit(features: np.ndarray, target: np.ndarray, categorical: np.ndarray, params: Any, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    if len(np.unique(target)) < 2:
        return _Constant(int(target[0]))
    return HistGradientBoostingClassifier(
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        early_stopping=False,
        categorical_features=categorical if categorical.any() else None,
        random_state=seed,
    ).fit(features, target)
