"""Run inside the SDMetrics environment: its two DCR metrics on a 5,000-row subsample, timed.

Usage: python sdmetrics_dcr.py REAL SYNTH HOLDOUT. DCRBaselineProtection (synthetic vs random data) and
DCROverfittingProtection (synthetic vs holdout), one iteration each; prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection

real, synth, holdout = (pd.read_csv(path) for path in sys.argv[1:4])


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


metadata = {"columns": {c: {"sdtype": "numerical" if _numeric(real[c]) else "categorical"} for c in real.columns}}
out: dict[str, dict[str, float]] = {}
started, cpu = time.perf_counter(), time.process_time()
score = DCRBaselineProtection.compute_breakdown(
    real, synth, metadata, "adult", num_rows_subsample=5000, num_iterations=1
)
out["baseline"] = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}
out["baseline"]["score"] = float(score["score"])
started, cpu = time.perf_counter(), time.process_time()
score = DCROverfittingProtection.compute_breakdown(
    real, synth, holdout, metadata, "adult", num_rows_subsample=5000, num_iterations=1
)
out["overfitting"] = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}
out["overfitting"]["score"] = float(score["score"])
print(json.dumps(out))
