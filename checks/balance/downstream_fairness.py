"""``balance.downstream_fairness``: whether a model trained on synthetic data is less fair than a real-trained one."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Need,
    Suite,
    gated_metric,
)
from synthaudit.checks.balance.fairness_models import (
    SensitiveColumn,
    bootstrap_weights,
    class_labels,
    column_stats,
    metric_frames,
    predict_holdout,
)
from synthaudit.checks.balance.fairness_report import (
    column_table,
    fairness_summary,
    gated_fairness_metrics,
    group_table,
    info_fairness_metrics,
    tpr_figure,
)
from synthaudit.checks.balance.groups import (
    ABSENT_METRIC,
    Attribute,
    absent_columns_metric,
    absent_only_result,
    attribute_labels,
    coding_table,
    flag_sensitive_inferred,
    group_labels,
    sensitive_groups,
)
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult
from synthaudit.stats.group_rates import GroupCounts, group_counts, parity_differences
from synthaudit.stats.models import describe_share_collapse, predicted_share_ratio

__all__ = ["DownstreamFairnessCheck", "GroupCounts", "group_counts", "parity_differences"]

MIN_ROWS_PER_MODEL = 50
"""Fewer training rows per model than this: nothing worth learning; the check skips."""


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
    warning; a named sensitive column missing from the synthetic data fails.

    Cost: ``2 × training_splits`` boosting fits, each on at most ``max_train_rows / training_splits`` rows (one OpenMP
    thread: faster for fits this small, same models), O(rows × c × ``max_iter``) each, predictions on at most
    ``max_holdout_rows`` holdout rows and a vectorised bootstrap (``bootstrap_resamples``); memory O(rows × c). Linear
    in columns, nothing quadratic; about 2 s on the Adult example.
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

        pred = predict_holdout(ctx, (real, synth), scored, features, (target, positive), per_model, rng, p, seed)

        weights = bootstrap_weights(rng, len(y_holdout), p.bootstrap_resamples)
        degenerate = self._degenerate(pred, splits, weights, class_labels(scored[target], positive))
        if degenerate is not None:
            if absent_metric:
                result = absent_only_result(self, ctx, groups)
                return replace(result, summary=f"{result.summary} Fairness was not compared: {degenerate}.")
            return self.skip(degenerate)
        stats = [column_stats(c, pred, y_holdout, weights, splits) for c in columns]
        frames = metric_frames(columns, pred, y_holdout, splits)
        metrics, worst = gated_fairness_metrics(stats, columns, p)
        if not metrics:
            if absent_metric:
                return absent_only_result(self, ctx, groups)
            return self.skip("no sensitive column has groups large enough for a fairness difference")
        metrics.extend(absent_metric)
        first = worst.get("dp", 0)
        metrics.extend(info_fairness_metrics(stats, columns, worst))
        tables = [
            column_table(columns, stats, p),
            group_table(ctx, columns, frames),
            coding_table(ctx, groups),
        ]
        figure_column = worst.get("eo", first)
        figures = [tpr_figure(ctx, columns[figure_column], frames[figure_column])]
        summary = fairness_summary(metrics, stats, columns, worst, groups.absent)
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
    def _measured(
        ctx: AuditContext, features: tuple[str, ...], target: str, columns: list[SensitiveColumn]
    ) -> dict[str, str]:
        grouped = {c for column in columns for c in column.attribute.columns}
        out = {
            c: f"feature ({ctx.roles[c].value})" + ("; sensitive, grouped by" if c in grouped else "") for c in features
        }
        out.update({c: "sensitive, grouped by" for c in sorted(grouped) if c not in out})
        out[target] = "target"
        return out

    # ------------------------------------------------------------------ helpers
    def _columns(
        self, ctx: AuditContext, scored: pd.DataFrame, attributes: tuple[Attribute, ...]
    ) -> list[SensitiveColumn]:
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
            out.append(SensitiveColumn(attribute, tuple(str(n) for n in names), codes.astype(np.int64), parity, odds))
        return out
