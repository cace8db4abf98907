"""Run inside the Anonymeter environment: singling-out, inference and linkability attacks, timed.

Usage: python anonymeter_attacks.py REAL SYNTH CONTROL N_ATTACKS SECRET [SECRET ...]
The attacks mirror synthaudit's defaults: inference on each secret from every other column, linkability
between the columns' alternating halves, univariate singling-out. Prints one JSON line of wall and CPU
seconds and the risk of each attack.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

real, synth, control = (pd.read_csv(path) for path in sys.argv[1:4])
n_attacks, secrets = int(sys.argv[4]), sys.argv[5:]
columns = list(real.columns)
out: dict[str, dict[str, float]] = {}


def timed(name: str, evaluator: object, **evaluate: str) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    evaluator.evaluate(**evaluate)  # type: ignore[attr-defined]
    risk = evaluator.risk()  # type: ignore[attr-defined]
    out[name] = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu, "risk": float(risk.value)}


for secret in secrets:
    aux = [c for c in columns if c != secret]
    regression = pd.api.types.is_numeric_dtype(real[secret])
    timed(
        f"inference:{secret}",
        InferenceEvaluator(real, synth, aux, secret, regression=regression, n_attacks=n_attacks, control=control),
    )
timed(
    "linkability",
    LinkabilityEvaluator(real, synth, (columns[0::2], columns[1::2]), n_attacks=n_attacks, control=control),
)
timed("singling_out", SinglingOutEvaluator(real, synth, n_attacks=n_attacks, control=control), mode="univariate")
print(json.dumps(out))
