"""Run inside the Anonymeter virtual environment: SinglingOutEvaluator (500 attacks) on Adult, timed."""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from anonymeter.evaluators import SinglingOutEvaluator

real = pd.read_csv(sys.argv[1])
synth = pd.read_csv(sys.argv[2])
control = pd.read_csv(sys.argv[3])
started = time.perf_counter()
evaluator = SinglingOutEvaluator(ori=real, syn=synth, control=control, n_attacks=500)
evaluator.evaluate(mode="univariate")
risk = evaluator.risk()
print(json.dumps({"wall": time.perf_counter() - started, "risk": risk.value, "ci": list(risk.ci)}))
