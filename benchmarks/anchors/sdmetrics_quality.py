"""Run inside the SDMetrics environment: QualityReport, twice, timed (usage: python sdmetrics_quality.py REAL SYNTH).

Prints one JSON line: seconds to import and load, wall and CPU seconds of each run, the two scores, and
whether they agree (the report subsamples without a fixed seed).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

import pandas as pd  # noqa: E402
from sdmetrics.reports.single_table import QualityReport  # noqa: E402

real = pd.read_csv(sys.argv[1])
synth = pd.read_csv(sys.argv[2])
loaded = time.perf_counter() - STARTED
metadata: dict[str, dict[str, dict[str, str]]] = {"columns": {}}
for column in real.columns:
    numeric = pd.api.types.is_numeric_dtype(real[column]) and not pd.api.types.is_bool_dtype(real[column])
    metadata["columns"][column] = {"sdtype": "numerical" if numeric else "categorical"}
runs = []
for _ in range(2):
    started, cpu = time.perf_counter(), time.process_time()
    report = QualityReport()
    report.generate(real, synth, metadata, verbose=False)
    runs.append(
        {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu, "score": float(report.get_score())}
    )
print(json.dumps({"load": loaded, "runs": runs, "stable": bool(runs[0]["score"] == runs[1]["score"])}))
