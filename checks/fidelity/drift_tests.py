"""evidently's column drift tests for ``fidelity.drift``: how a column is tested and each test's outcome.

A helper module, not a check; evidently is imported on first use (it is slow to import).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.stats.threads import one_blas_thread


@dataclass(frozen=True)
class ColumnTest:
    """How one column is tested: evidently's column type, its method and the drift threshold."""

    column: str
    numeric: bool
    method: str
    threshold: float


@dataclass(frozen=True)
class DriftOutcome:
    """One column's test result on one pair (``statistic`` is ``None`` when the candidate has no values)."""

    statistic: float | None
    drifted: bool


def evidently_values(values: pd.Series, numeric: bool) -> pd.Series:
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


def category_codes(reference: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both sides' categories as integer codes, numbered in sorted order of the categories (missing values dropped).

    evidently collects a column's categories in a Python ``set`` and sums over them in its iteration order,
    which for strings follows the interpreter's hash seed (``PYTHONHASHSEED``): the distance then differs in
    the last bits between runs. Small integers hash to themselves, so coded categories are summed in one
    fixed order in every process; the distance is the same, as it does not depend on the labels.
    """
    categories = sorted(set(reference.unique()) | set(current.unique()), key=_category_key)
    codes = {value: code for code, value in enumerate(categories)}
    return reference.map(codes).astype(np.int64), current.map(codes).astype(np.int64)


def has_values(values: pd.Series) -> bool:
    """Whether the column holds any non-missing value."""
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


def column_drift(base: pd.DataFrame, candidate: pd.DataFrame, tests: list[ColumnTest]) -> dict[str, DriftOutcome]:
    """Test every column in ``tests`` for drift with evidently; ``base`` is evidently's reference side.

    Each column goes through the evidently ``StatTest`` of its forced distance method and threshold (never
    evidently's size-dependent default choice) — the same call, on the same cleaned values, that evidently's
    ``ValueDrift`` metric makes, without the report's plotting; the statistic is evidently's drift score and
    ``drifted`` evidently's own verdict. Categories are handed over as integer codes in sorted category order,
    so the result does not depend on the interpreter's hash seed (see :func:`category_codes`). Missing and
    infinite values are left out; a column without values on the candidate side is drifted (statistic
    ``None``). Every column must have values on the base side. The tests run on one BLAS thread, so the
    statistics are the same whatever the machine's thread count.
    """
    registry, column_type = _evidently()
    outcomes: dict[str, DriftOutcome] = {}
    # One BLAS thread: scipy's Wasserstein distance ends in a dot product of two vectors as long as both sides
    # together, which threaded BLAS sums in one partial sum per thread (the last bits moved with the threads).
    with one_blas_thread():
        for test in tests:
            reference = evidently_values(base[test.column], test.numeric).dropna()
            current = evidently_values(candidate[test.column], test.numeric).dropna()
            if current.empty:
                outcomes[test.column] = DriftOutcome(None, True)
                continue
            if not test.numeric:
                reference, current = category_codes(reference, current)
            kind = column_type.Numerical if test.numeric else column_type.Categorical
            with warnings.catch_warnings():
                # evidently's internals raise pandas/numpy deprecation warnings that say nothing about the data.
                warnings.simplefilter("ignore")
                result = registry[test.method](reference, current, kind, test.threshold)
            outcomes[test.column] = DriftOutcome(float(result.drift_score), bool(result.drifted))
    return outcomes
