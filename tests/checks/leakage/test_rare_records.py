from __future__ import annotations

import numpy as np
import pytest

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.checks.leakage.rare_records import RareRecordCheck, default_quasi_identifiers
from synthaudit.result import Status
from synthaudit.stats.proportions import normalised_risk, wilson_interval
from tests.conftest import make_context

QUASI = ("sex", "race", "relationship", "marital_status", "workclass", "income")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_rare_records_pass_on_independent_sample(adult_split, seed, with_holdout):
    real, holdout, synth = adult_split(seed)
    result = RareRecordCheck().run(make_context(real, synth, holdout if with_holdout else None, seed=seed))
    assert result.status is Status.PASS, result.summary


def test_rare_records_fail_when_unique_real_records_are_reproduced(adult_split):
    real, holdout, synth = adult_split(7)
    ctx = make_context(real, synth, holdout, quasi_identifiers=list(QUASI))
    prints = row_fingerprints(ctx.real, QUASI, ctx.roles)
    values, counts = np.unique(prints, return_counts=True)
    unique_rows = np.flatnonzero(np.isin(prints, values[counts == 1]))
    leaky = synth.copy()
    leaky.iloc[:100] = real.iloc[unique_rows[:100]].to_numpy()
    result = RareRecordCheck().run(make_context(real, leaky, holdout, quasi_identifiers=list(QUASI)))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("singling_out_risk").value > 0.2
    assert set(result.evidence["reproduced_real_rows"]) <= set(real.index)


def test_default_quasi_identifiers_start_with_sensitive_columns(adult_split):
    real, holdout, synth = adult_split(8, real=2000, holdout=500, synth=500)
    ctx = make_context(real, synth, holdout, sensitive=["race"])
    chosen = default_quasi_identifiers(ctx)
    assert chosen[0] == "race" and len(chosen) == 6
    assert all(ctx.real[c].nunique() <= 20 for c in chosen)
    result = RareRecordCheck().run(ctx)
    assert result.columns == {c: f"quasi-identifier ({ctx.roles[c].value})" for c in chosen}


def test_risk_and_interval():
    assert normalised_risk(0.5, 0.0) == 0.5
    assert normalised_risk(0.2, 0.2) == 0.0
    low, high = wilson_interval(10, 100)
    assert low < 0.1 < high
    assert wilson_interval(0, 0) == (0.0, 1.0)
