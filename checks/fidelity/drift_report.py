"""Tables, figure and summary of ``fidelity.drift``.

A helper module, not a check.
"""

from __future__ import annotations

import math

from synthaudit.check import (
    make_figure,
)
from synthaudit.checks.fidelity.drift_tests import ColumnTest, DriftOutcome, drift_test_name
from synthaudit.context import AuditContext
from synthaudit.result import FigureSpec, Metric

_FIGURE_COLUMNS = 20


_FIGURE_CAP = 5.0


def worst_first(row: dict) -> tuple[bool, float, str]:
    """Sort key of the per-column table: drifted columns first, then by distance relative to the threshold."""
    ratio = row["statistic_to_threshold"]
    return (not row["drifted"], -(math.inf if ratio is None else ratio), row["column"])


def test_family(tests: list[ColumnTest]) -> str:
    """The drift tests used, with their thresholds, for the summary."""
    parts = []
    for numeric, kinds in ((True, "numeric/datetime"), (False, "categorical/boolean")):
        used = sorted({(t.method, t.threshold) for t in tests if t.numeric is numeric})
        parts += [f"{drift_test_name(m)} ≥ {thr:g} for {kinds}" for m, thr in used]
    return "; ".join(parts)


def test_rows(tests: list[ColumnTest]) -> list[dict[str, object]]:
    """One row per column family: the test, its method and threshold, how many columns."""
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


def column_row(ctx: AuditContext, test: ColumnTest, syn: DriftOutcome, ref: DriftOutcome, probability: float) -> dict:
    """One column's row of the per-column table: both sides' statistic and drift verdict."""
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


def drift_figure(rows: list[dict]) -> FigureSpec | None:
    """Bars of each column's distance over its drift threshold, synthetic and reference (capped)."""
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


def drift_summary(
    ctx: AuditContext,
    metric: Metric,
    syn_drifted: list[str],
    ref_drifted: list[str],
    n_columns: int,
    family: str,
    left_out: list[str],
) -> str:
    """How many columns drift on each side, which, and where the share stands to the thresholds."""
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
