from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.checks.leakage.exact_copies import ExactCopyCheck, row_fingerprints
from synthaudit.data.roles import Role
from synthaudit.result import Status
from tests.conftest import inject_exact_copies, make_context


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_copies_pass_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = ExactCopyCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary


@pytest.mark.parametrize("with_holdout", [True, False])
def test_exact_copies_fail_on_five_percent_verbatim_copies(adult_split, with_holdout):
    real, holdout, synth = adult_split(9)
    leaky = inject_exact_copies(synth, real, 0.05)
    result = ExactCopyCheck().run(make_context(real, leaky, holdout if with_holdout else None))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("exact_copy_rate_all_rows").value >= 0.05
    assert 0 < len(result.evidence["copied_synthetic_rows"]) <= 20


def test_copies_survive_whitespace_and_float_noise():
    real = pd.DataFrame({"x": [1.0, 2.5, 3.25], "c": ["a", "b", "c"]})
    synth = pd.DataFrame({"x": [1.0 + 1e-12, 2.5, 9.0], "c": [" a", "b ", "c"]})
    roles = {"x": Role.NUMERIC, "c": Role.CATEGORICAL}
    prints_real = row_fingerprints(real, ("x", "c"), roles)
    prints_synth = row_fingerprints(synth, ("x", "c"), roles)
    assert list(np.isin(prints_synth, prints_real)) == [True, True, False]


def test_missing_values_are_equal_for_matching():
    real = pd.DataFrame({"x": [np.nan, 1.0], "c": [None, "b"]})
    synth = pd.DataFrame({"x": [np.nan, 1.0], "c": [None, "z"]})
    roles = {"x": Role.NUMERIC, "c": Role.CATEGORICAL}
    assert list(np.isin(row_fingerprints(synth, ("x", "c"), roles), row_fingerprints(real, ("x", "c"), roles))) == [
        True,
        False,
    ]


def test_identifier_replay_is_a_separate_gating_metric(adult_split):
    real, holdout, synth = adult_split(10)
    real = real.assign(person_id=np.arange(len(real)) + 1_000_000)
    holdout = holdout.assign(person_id=np.arange(len(holdout)) + 5_000_000)
    clean = synth.assign(person_id=np.arange(len(synth)) + 9_000_000)
    replayed = synth.assign(person_id=real["person_id"].to_numpy()[: len(synth)])
    ok = ExactCopyCheck().run(make_context(real, clean, holdout))
    assert ok.metric("replayed_identifier_rate").passed is True
    assert ok.status is Status.PASS
    bad = ExactCopyCheck().run(make_context(real, replayed, holdout))
    assert bad.metric("replayed_identifier_rate").passed is False
    assert bad.metric("exact_copy_rate").passed is True  # identifiers are left out of row matching
