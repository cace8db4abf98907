"""Column drift: the share of columns whose distribution drifts from the real data, tested with evidently."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.text_stats import MEASURED_AS, STATISTICS, statistic_column
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Suite,
    gated_metric,
    info_metric,
    make_table,
)
from synthaudit.checks.fidelity.drift_report import (
    column_row,
    drift_figure,
    drift_summary,
    test_family,
    test_rows,
    worst_first,
)
from synthaudit.checks.fidelity.drift_tests import (
    ColumnTest,
    column_drift,
    drift_test_name,
    evidently_values,
    has_values,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Metric
from synthaudit.stats.drift_shares import null_drift_probability, share_difference_standard_error

__all__ = [
    "ColumnDriftCheck",
    "column_drift",
    "drift_test_name",
    "null_drift_probability",
    "share_difference_standard_error",
]

NumericMethod = Literal["wasserstein", "jensenshannon", "hellinger"]
CategoricalMethod = Literal["jensenshannon", "hellinger"]

_NUMERIC_ROLES = (Role.NUMERIC, Role.DATETIME)


def _with_text_statistics(ctx: AuditContext, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """``frame`` with one numeric column per text column and per-text statistic (unchanged without text)."""
    if not ctx.data.text:
        return frame
    parts = [frame]
    for text in ctx.data.text:
        stats = ctx.text_statistics(text, key).loc[frame.index]
        parts.append(stats.rename(columns={s: statistic_column(text, s) for s in STATISTICS}))
    return pd.concat(parts, axis=1)


class ColumnDriftCheck(Check):
    """Share of columns whose synthetic distribution drifts from the real one, against the reference share.

    Every comparable column (numeric, datetime, categorical, boolean) is tested for drift by evidently
    between the real (base) rows, evidently's reference side, and the candidate rows, with a *distance*
    test forced at every sample size: by default the Wasserstein distance normed by the real
    standard deviation for numeric and datetime columns (datetimes as seconds) and the Jensen–Shannon
    distance of category shares for categorical and boolean ones, each drifting at evidently's standard
    threshold of 0.1. (evidently's own default switches to p-value tests below 1,000 rows, which would change
    what a drifted column means with the sample size.) Missing values are left out; a column with no value
    on the candidate side drifts.

    Text columns are tested through per-text statistics (:mod:`synthaudit.artefacts.text_stats`): length in
    characters and in words, type–token ratio, share of words outside the real vocabulary and mean log word
    frequency under the real texts' counts (a real text is measured against the other real texts). Each
    statistic is one more numeric column, ``"<column>:<statistic>"``, tested like the others.

    The metric is the share of columns that drift: range [0, 1], lower is better, 0 for identical data.
    For an independent sample it is 0 from a few thousand rows on; at a few hundred or thousand rows the
    distances of clean samples come close to the thresholds and some columns (many-category ones first)
    drift by chance — which is why the share is gated against the same share on the reference pair (holdout
    vs real, or the split substitute) at matched size. The margin is a multiple of the standard error of the
    difference of two shares, ``√(2 Σ p_i(1 − p_i)) / C``, with per-column drift probabilities ``p_i``
    estimated from the reference statistics (see ``statistic_log_sd``), and an absolute floor (with 15
    columns: 2 more drifted columns than the reference warn, 3 fail).

    The tests are evidently's own ``StatTest`` objects, called as its ``ValueDrift`` metric calls them (same
    statistic, same verdict) but without the report's plotly rendering, which costs four times the tests.
    Skips when no column can be compared.

    Cost: one evidently test per column, O(r log r) per numeric column and O(r) per categorical one with r ≤
    ``max_rows`` per side (seeded, lifted by ``--full``): linear in columns; plus evidently's import (about 1.5 s, once
    per process).
    """

    name: ClassVar[str] = "fidelity.drift"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = (
        "Share of columns that drift from the real data (evidently distance tests), against the reference."
    )
    meaning: ClassVar[str] = (
        "Each column is tested for drift between the real and the synthetic values with a distance test "
        "(Wasserstein for numbers, Jensen–Shannon for categories; drift at distance 0.1). The number is the "
        "share of columns that drift, compared with the share that drift for real data the generator never "
        "saw. Lower is better; 0 means no column drifts."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("drifted_column_share",)

    class Params(CheckParams):
        """Tests, thresholds and sampling of ``fidelity.drift``."""

        numeric_method: NumericMethod = Field(
            "wasserstein",
            description="evidently distance test for numeric and datetime columns: 'wasserstein' (Wasserstein "
            "distance normed by the real standard deviation), 'jensenshannon' or 'hellinger' (on binned values).",
        )
        numeric_threshold: float = Field(
            0.1,
            gt=0,
            description="A numeric column drifts when its distance reaches this value (evidently's standard "
            "threshold for all three distances: 0.1, i.e. a tenth of a standard deviation for Wasserstein).",
        )
        categorical_method: CategoricalMethod = Field(
            "jensenshannon",
            description="evidently distance test for categorical and boolean columns: 'jensenshannon' "
            "(Jensen–Shannon distance of category shares, natural log, range [0, 0.833]) or 'hellinger'.",
        )
        categorical_threshold: float = Field(
            0.1,
            gt=0,
            description="A categorical column drifts when its distance reaches this value (evidently's "
            "standard threshold for Jensen–Shannon and Hellinger: 0.1).",
        )
        statistic_log_sd: float = Field(
            0.35,
            gt=0,
            description="Spread of a column's distance statistic between independent samples, as the standard "
            "deviation of its logarithm; sets the per-column drift probabilities behind the standard error. "
            "Measured on Adult at 1k–8k rows: 0.1–0.7 by column, median 0.35, the same at every size.",
        )
        share_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.1, fail_floor=0.15),
            description="Margin over the reference's drifted-column share (share units). The floors make "
            "2 more drifted columns than the reference warn and 3 fail when there are 15 columns.",
        )
        max_rows: int = Field(
            100_000,
            ge=1000,
            description="Rows per side handed to evidently (a seeded sample of the real rows and of each "
            "candidate side); the audit's --full lifts the cap.",
        )

    def _tests(self, ctx: AuditContext, columns: tuple[str, ...]) -> list[ColumnTest]:
        p = self.params
        tests = []
        for column in columns:
            numeric = ctx.roles[column] in _NUMERIC_ROLES
            if numeric:
                tests.append(ColumnTest(column, True, p.numeric_method, p.numeric_threshold))
            else:
                tests.append(ColumnTest(column, False, p.categorical_method, p.categorical_threshold))
        return tests

    def run(self, ctx: AuditContext) -> CheckResult:
        """Test every comparable column for drift on the synthetic and the reference pair."""
        p = self.params
        cap = None if ctx.full else p.max_rows
        syn_pair, ref_pair = ctx.synthetic_pair, ctx.reference_pair
        base = syn_pair.base if cap is None else ctx.sample_rows(syn_pair.base, cap, f"{self.name}.base")
        syn = syn_pair.candidate if cap is None else ctx.sample_rows(syn_pair.candidate, cap, f"{self.name}.synthetic")
        ref = ref_pair.candidate if cap is None else ctx.sample_rows(ref_pair.candidate, cap, f"{self.name}.reference")

        texts = ctx.data.text
        base, syn, ref = (
            _with_text_statistics(ctx, f, key)
            for f, key in ((base, "base"), (syn, "synthetic_candidate"), (ref, "reference_candidate"))
        )
        all_tests = self._tests(ctx, ctx.comparable_columns)
        all_tests += [
            ColumnTest(statistic_column(t, s), True, p.numeric_method, p.numeric_threshold)
            for t in texts
            for s in STATISTICS
        ]
        tests = [t for t in all_tests if has_values(evidently_values(base[t.column], t.numeric))]
        if not tests:
            if all_tests:
                return self.skip("no comparable column has values in the real rows")
            return self.skip("no numeric, datetime, categorical, boolean or text column to compare")
        syn_out = column_drift(base, syn, tests)
        ref_out = column_drift(base, ref, tests)

        n_columns = len(tests)
        syn_drifted = [t.column for t in tests if syn_out[t.column].drifted]
        ref_drifted = [t.column for t in tests if ref_out[t.column].drifted]
        syn_share, ref_share = len(syn_drifted) / n_columns, len(ref_drifted) / n_columns
        ref_stats = np.array([np.nan if (s := ref_out[t.column].statistic) is None else s for t in tests])
        probabilities = null_drift_probability(ref_stats, np.array([t.threshold for t in tests]), p.statistic_log_sd)
        family = test_family(tests)
        metric = gated_metric(
            "drifted_column_share",
            value=syn_share,
            reference=ref_share,
            standard_error=share_difference_standard_error(probabilities),
            margin=p.share_margin,
            direction="lower_is_better",
            value_range=(0.0, 1.0),
            description=f"share of {n_columns} columns that drift ({family})",
        )
        metrics: list[Metric] = [
            metric,
            info_metric(
                "drifted_column_count",
                len(syn_drifted),
                reference=len(ref_drifted),
                direction="lower_is_better",
                value_range=(0.0, float(n_columns)),
                description="number of drifted columns (information)",
            ),
        ]
        rows = [
            column_row(ctx, t, syn_out[t.column], ref_out[t.column], q)
            for t, q in zip(tests, probabilities, strict=True)
        ]
        rows.sort(key=worst_first)
        tables = [
            make_table("columns", "Per-column drift test, drifted and largest distances first", rows),
            make_table("tests", "Drift tests used (evidently, forced at every sample size)", test_rows(tests)),
        ]
        left_out = [t.column for t in all_tests if t not in tests]
        return self.result(
            metrics=metrics,
            summary=drift_summary(ctx, metric, syn_drifted, ref_drifted, n_columns, family, left_out),
            tables=tables,
            figures=[figure] if (figure := drift_figure(rows)) is not None else [],
            sample_sizes={
                "base_rows": len(base),
                "synthetic_rows": len(syn),
                "reference_rows": len(ref),
                "columns": n_columns,
            },
            columns={
                **{t.column: ctx.roles[t.column].value for t in tests if t.column in ctx.roles},
                **{c: MEASURED_AS for c in texts if any(t.column.startswith(f"{c}:") for t in tests)},
            },
            ctx=ctx,
        )

    # ------------------------------------------------------------ presentation
