"""Run inside the SDMetrics virtual environment: QualityReport on the Adult example, twice, timed.

Prints one JSON line: wall and compute seconds of each run, the two scores, and whether they agree.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from sdmetrics.reports.single_table import QualityReport

real = pd.read_csv(sys.argv[1])
synth = pd.read_csv(sys.argv[2])
metadata = {"columns": {}}
for column in real.columns:
    numeric = pd.api.types.is_numeric_dtype(real[column])
    metadata["columns"][column] = {"sdtype": "numerical" if numeric else "categorical"}
runs = []
for _ in range(2):
    started, cpu = time.perf_counter(), time.process_time()
    report = QualityReport()
    report.generate(real, synth, metadata, verbose=False)
    runs.append({"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu, "score": report.get_score()})
print(json.dumps({"runs": runs, "stable": runs[0]["score"] == runs[1]["score"]}))
