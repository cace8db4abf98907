"""Verdict helpers shared by the balance checks: gating the worst of many cells, and missing sensitive columns.

A helper module, not a check. :func:`worst_cell` judges each cell (a group, or a group × column) against
its own null distribution, scaled by the reference's worst deviation (see :mod:`.groups`, "Gating the worst
of many cells of different sizes"); a named sensitive column missing from the synthetic data fails its own
metric, and a result records whether its sensitive columns were inferred from column names (for the gate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthaudit.check import Margin, gated_metric
from synthaudit.context import AuditContext
from synthaudit.gate import SENSITIVE_COLUMNS, SENSITIVE_INFERRED
from synthaudit.result import CheckResult, Metric

ABSENT_METRIC = "sensitive_columns_missing_from_synthetic"


_ABSENT_MARGIN = Margin(warn_se=0.0, fail_se=0.0, warn_floor=0.5, fail_floor=0.5)


def absent_columns_metric(absent: Sequence[str]) -> Metric:
    """A gating metric that fails when a named sensitive column is missing from the synthetic data."""
    return gated_metric(
        ABSENT_METRIC,
        value=float(len(absent)),
        reference=0.0,
        standard_error=0.0,
        margin=_ABSENT_MARGIN,
        direction="lower_is_better",
        value_range=(0.0, None),
        description=(
            f"sensitive columns {list(absent)} are in the real data but not in the synthetic data, so their groups "
            "cannot be compared"
        ),
    )


def flag_sensitive_inferred(result: CheckResult, ctx: AuditContext) -> CheckResult:
    """Record on ``result`` whether its sensitive columns were inferred from column names, and which they are.

    A fact for the gate (:mod:`synthaudit.gate`), which turns a fail on inferred columns into a warn and says
    why; the check itself reports what it measured.
    """
    facts = {
        **result.facts,
        SENSITIVE_INFERRED: bool(ctx.data.sensitive_inferred),
        SENSITIVE_COLUMNS: list(ctx.data.sensitive),
    }
    return replace(result, facts=facts)


@dataclass(frozen=True)
class WorstCell:
    """The gated cell and every cell's own reference value and fail threshold (for tables)."""

    metric: Metric
    position: int
    references: np.ndarray
    thresholds: np.ndarray
    reference_z: float


def worst_cell(
    name: str,
    *,
    value: np.ndarray,
    null_mean: np.ndarray,
    null_sd: np.ndarray,
    reference_value: np.ndarray,
    reference_null_mean: np.ndarray,
    reference_null_sd: np.ndarray,
    margin: Margin,
    value_range: tuple[float | None, float | None],
    describe: Any,
) -> WorstCell:
    """Gate the synthetic cell furthest past its own threshold against the reference's worst (module docstring).

    ``value``/``null_mean``/``null_sd`` describe the synthetic pair's cells (a statistic, lower is better),
    the ``reference_*`` arrays the reference pair's cells; ``describe(position)`` words the gated cell.
    """
    value = np.asarray(value, dtype=np.float64)
    null_mean = np.asarray(null_mean, dtype=np.float64)
    null_sd = np.asarray(null_sd, dtype=np.float64)
    ref_sd = np.asarray(reference_null_sd, dtype=np.float64)
    usable = ref_sd > 0
    if usable.any():
        z = (np.asarray(reference_value, dtype=np.float64)[usable] - np.asarray(reference_null_mean)[usable]) / ref_sd[
            usable
        ]
        reference_z = float(np.max(z))
    else:
        reference_z = 0.0
    references = null_mean + reference_z * null_sd
    se = math.sqrt(2.0) * null_sd
    fail_delta = np.maximum(margin.fail_floor, margin.fail_se * se)
    thresholds = references + fail_delta
    scale = np.where(fail_delta > 0, fail_delta, 1e-12)
    position = int(np.argmax((value - references) / scale))
    metric = gated_metric(
        name,
        value=float(value[position]),
        reference=float(references[position]),
        standard_error=float(se[position]),
        margin=margin,
        direction="lower_is_better",
        value_range=value_range,
        description=str(describe(position)),
    )
    low, high = value_range
    thresholds = np.clip(thresholds, low if low is not None else -np.inf, high if high is not None else np.inf)
    return WorstCell(metric, position, references, thresholds, reference_z)
