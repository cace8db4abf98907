"""Column drift: the share of columns whose distribution drifts from the real data, tested with evidently."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
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
    make_figure,
    make_table,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, FigureSpec, Metric

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
_FIGURE_COLUMNS = 20
_FIGURE_CAP = 5.0


@dataclass(frozen=True)
class _ColumnTest:
    """How one column is tested: evidently's column type, its method and the drift threshold."""

    column: str
    numeric: bool
    method: str
    threshold: float


@dataclass(frozen=True)
class _Outcome:
    """One column's test result on one pair (``statistic`` is ``None`` when the candidate has no values)."""

    statistic: float | None
    drifted: bool


def _evidently_values(values: pd.Series, numeric: bool) -> pd.Series:
    """A column as evidently takes it: numbers as float64 (datetimes as seconds), categories as strings."""
    if not numeric:
        return values.astype(object)
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(None)
        return (values - pd.Timestamp(0)).dt.total_seconds().astype(np.float64)
    return values.astype(np.float64).replace([np.inf, -np.inf], np.nan)


def _category_key(value: object) -> tuple[str, str]:
    return type(value).__name__, str(value)


def _category_codes(reference: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both sides' categories as integer codes, numbered in sorted order of the categories (missing values dropped).

    evidently collects a column's categories in a Python ``set`` and sums over them in its iteration order,
    which for strings follows the interpreter's hash seed (``PYTHONHASHSEED``): the distance then differs in
    the last bits between runs. Small integers hash to themselves, so coded categories are summed in one
    fixed order in every process; the distance is the same, as it does not depend on the labels.
    """
    categories = sorted(set(reference.unique()) | set(current.unique()), key=_category_key)
    codes = {value: code for code, value in enumerate(categories)}
    return reference.map(codes).astype(np.int64), current.map(codes).astype(np.int64)


def _has_values(values: pd.Series) -> bool:
    return bool(values.notna().any())


def _evidently():
    """The drift tests of evidently and its column types, imported on first use (evidently is slow to import)."""
    # evidently sends usage telemetry only from its UI service, never from a drift test; DO_NOT_TRACK is its
    # documented opt-out, set anyway before the first import so nothing in this process ever reports.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    with warnings.catch_warnings():
        # Importing evidently imports its web UI stack, whose deprecation warnings concern nothing here.
        warnings.simplefilter("ignore")
        from evidently.legacy.calculations import stattests
        from evidently.legacy.core import ColumnType

    tests = {
        "wasserstein": stattests.wasserstein_stat_test,
        "jensenshannon": stattests.jensenshannon_stat_test,
        "hellinger": stattests.hellinger_stat_test,
    }
    return tests, ColumnType


def drift_test_name(method: str) -> str:
    """The display name evidently gives a drift test (``"Wasserstein distance (normed)"`` for ``"wasserstein"``)."""
    return str(_evidently()[0][method].display_name)


def column_drift(base: pd.DataFrame, candidate: pd.DataFrame, tests: list[_ColumnTest]) -> dict[str, _Outcome]:
    """Test every column in ``tests`` for drift with evidently; ``base`` is evidently's reference side.

    Each column goes through the evidently ``StatTest`` of its forced distance method and threshold (never
    evidently's size-dependent default choice) — the same call, on the same cleaned values, that evidently's
    ``ValueDrift`` metric makes, without the report's plotting; the statistic is evidently's drift score and
    ``drifted`` evidently's own verdict. Categories are handed over as integer codes in sorted category order,
    so the result does not depend on the interpreter's hash seed (see :func:`_category_codes`). Missing and
    infinite values are left out; a column without values on the candidate side is drifted (statistic
    ``None``). Every column must have values on the base side.
    """
    registry, column_type = _evidently()
    outcomes: dict[str, _Outcome] = {}
    for test in tests:
        reference = _evidently_values(base[test.column], test.numeric).dropna()
        current = _evidently_values(candidate[test.column], test.numeric).dropna()
        if current.empty:
            outcomes[test.column] = _Outcome(None, True)
            continue
        if not test.numeric:
            reference, current = _category_codes(reference, current)
        kind = column_type.Numerical if test.numeric else column_type.Categorical
        with warnings.catch_warnings():
            # evidently's internals raise pandas/numpy deprecation warnings that say nothing about the data.
            warnings.simplefilter("ignore")
            result = registry[test.method](reference, current, kind, test.threshold)
        outcomes[test.column] = _Outcome(float(result.drift_score), bool(result.drifted))
    return outcomes


def null_drift_probability(reference_statistic: np.ndarray, threshold: np.ndarray, log_sd: float) -> np.ndarray:
    """Probability that a clean column crosses its drift threshold, estimated from its reference statistic.

    The logarithm of a distance statistic between independent samples is taken as normal with standard
    deviation ``log_sd`` around the log of its typical value; the reference statistic is one draw of it and
    the synthetic statistic of a perfect generator another, so the second exceeds ``threshold`` with
    probability ``Φ((ln r − ln t) / (√2 · log_sd))``. A statistic of 0 gives 0, ``NaN`` (no values on the
    candidate side, drifted for certain) gives 1. Values lie in [0, 1] and grow with ``r``.
    """
    r = np.asarray(reference_statistic, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    from scipy.stats import norm

    with np.errstate(divide="ignore"):
        z = (np.log(r) - np.log(t)) / (math.sqrt(2.0) * log_sd)
    p = norm.cdf(z)
    return np.where(np.isnan(r), 1.0, np.where(r <= 0, 0.0, p))


def share_difference_standard_error(probabilities: np.ndarray) -> float:
    """Standard error of the difference between two drifted-column shares, from per-column probabilities.

    Both shares count ``C`` columns that drift independently with probabilities ``p_i``, so the difference
    of the two counts has variance ``2 Σ p_i (1 − p_i)``; divided by ``C`` for shares. 0 when every
    probability is 0 or 1 (or there are no columns).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size == 0:
        return 0.0
    return float(math.sqrt(2.0 * float(np.sum(p * (1.0 - p)))) / p.size)


def _with_text_statistics(ctx: AuditContext, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """``frame`` with one numeric column per text column and per-text statistic (unchanged without text)."""
    if not ctx.data.text:
        return frame
    parts = [frame]
    for text in ctx.data.text:
        stats = ctx.text_statistics(text, key).loc[frame.index]
        parts.append(stats.rename(columns={s: statistic_column(text, s) for s in STATISTICS}))
    return pd.concat(parts, axis=1)


def _worst_first(row: dict) -> tuple[bool, float, str]:
    """Sort key of the per-column table: drifted columns first, then by distance relative to the threshold."""
    ratio = row["statistic_to_threshold"]
    return (not row["drifted"], -(math.inf if ratio is None else ratio), row["column"])


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
    Skips when no column can be compared. Cost: O(n log n) per numeric column, O(n) per categorical one,
    plus evidently's import (about 1.5 s, once per process); both sides are capped at ``max_rows`` (seeded)
    unless the audit is ``--full``.
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

    def _tests(self, ctx: AuditContext, columns: tuple[str, ...]) -> list[_ColumnTest]:
        p = self.params
        tests = []
        for column in columns:
            numeric = ctx.roles[column] in _NUMERIC_ROLES
            if numeric:
                tests.append(_ColumnTest(column, True, p.numeric_method, p.numeric_threshold))
            else:
                tests.append(_ColumnTest(column, False, p.categorical_method, p.categorical_threshold))
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
            _ColumnTest(statistic_column(t, s), True, p.numeric_method, p.numeric_threshold)
            for t in texts
            for s in STATISTICS
        ]
        tests = [t for t in all_tests if _has_values(_evidently_values(base[t.column], t.numeric))]
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
        family = self._family(tests)
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
            self._row(ctx, t, syn_out[t.column], ref_out[t.column], q)
            for t, q in zip(tests, probabilities, strict=True)
        ]
        rows.sort(key=_worst_first)
        tables = [
            make_table("columns", "Per-column drift test, drifted and largest distances first", rows),
            make_table("tests", "Drift tests used (evidently, forced at every sample size)", self._test_rows(tests)),
        ]
        left_out = [t.column for t in all_tests if t not in tests]
        return self.result(
            metrics=metrics,
            summary=self._summary(ctx, metric, syn_drifted, ref_drifted, n_columns, family, left_out),
            tables=tables,
            figures=[figure] if (figure := self._figure(rows)) is not None else [],
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
    @staticmethod
    def _family(tests: list[_ColumnTest]) -> str:
        parts = []
        for numeric, kinds in ((True, "numeric/datetime"), (False, "categorical/boolean")):
            used = sorted({(t.method, t.threshold) for t in tests if t.numeric is numeric})
            parts += [f"{drift_test_name(m)} ≥ {thr:g} for {kinds}" for m, thr in used]
        return "; ".join(parts)

    @staticmethod
    def _test_rows(tests: list[_ColumnTest]) -> list[dict[str, object]]:
        rows = []
        for numeric, kinds in ((True, "numeric, datetime"), (False, "categorical, boolean")):
            chosen = [t for t in tests if t.numeric is numeric]
            if chosen:
                rows.append(
                    {
                        "columns": kinds,
                        "test": drift_test_name(chosen[0].method),
                        "method": chosen[0].method,
                        "threshold": chosen[0].threshold,
                        "column_count": len(chosen),
                    }
                )
        return rows

    @staticmethod
    def _row(ctx: AuditContext, test: _ColumnTest, syn: _Outcome, ref: _Outcome, probability: float) -> dict:
        return {
            "column": test.column,
            "role": ctx.roles[test.column].value if test.column in ctx.roles else "text",
            "test": drift_test_name(test.method),
            "method": test.method,
            "threshold": test.threshold,
            "statistic": syn.statistic,
            "reference_statistic": ref.statistic,
            "statistic_to_threshold": None if syn.statistic is None else syn.statistic / test.threshold,
            "drifted": syn.drifted,
            "reference_drifted": ref.drifted,
            "null_drift_probability": float(probability),
        }

    @staticmethod
    def _figure(rows: list[dict]) -> FigureSpec | None:
        shown = [r for r in rows if r["statistic"] is not None and r["reference_statistic"] is not None]
        shown = shown[:_FIGURE_COLUMNS]
        if not shown:
            return None
        return make_figure(
            "bars",
            f"Distance / drift threshold per column (1 = drifts; capped at {_FIGURE_CAP:g})",
            {
                "categories": [r["column"] for r in shown],
                "series": {
                    "synthetic": [min(_FIGURE_CAP, r["statistic"] / r["threshold"]) for r in shown],
                    "reference": [min(_FIGURE_CAP, r["reference_statistic"] / r["threshold"]) for r in shown],
                },
            },
            x_label="column",
            y_label="distance / threshold",
        )

    @staticmethod
    def _summary(
        ctx: AuditContext,
        metric: Metric,
        syn_drifted: list[str],
        ref_drifted: list[str],
        n_columns: int,
        family: str,
        left_out: list[str],
    ) -> str:
        if metric.passed is False:
            verdict = "beyond the fail threshold"
        elif metric.warned:
            verdict = "past the warn threshold"
        else:
            verdict = "within the thresholds"
        named = ", ".join(repr(c) for c in syn_drifted[:10]) + (" …" if len(syn_drifted) > 10 else "")
        text = (
            f"{len(syn_drifted)} of {n_columns} columns drift (share {metric.value:.2f}"
            + (f": {named}" if syn_drifted else "")
            + f") vs {len(ref_drifted)} on the reference ({ctx.reference_kind}) — {verdict}. Tests: {family}."
        )
        if left_out:
            text += f" Not tested (no real values): {', '.join(repr(c) for c in left_out)}."
        return text
