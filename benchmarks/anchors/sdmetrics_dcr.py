"""Run inside the SDMetrics virtual environment: DCRBaselineProtection on the Adult example, timed."""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from sdmetrics.single_table import DCRBaselineProtection

real = pd.read_csv(sys.argv[1])
synth = pd.read_csv(sys.argv[2])
metadata = {
    "columns": {
        c: {"sdtype": "numerical" if pd.api.types.is_numeric_dtype(real[c]) else "categorical"} for c in real.columns
    }
}
started = time.perf_counter()
score = DCRBaselineProtection.compute_breakdown(
    real, synth, metadata, "adult", num_rows_subsample=5000, num_iterations=1
)
print(json.dumps({"wall": time.perf_counter() - started, "score": float(score.get("score"))}))
