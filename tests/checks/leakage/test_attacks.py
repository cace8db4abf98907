"""Tests of the Anonymeter-style attacks: leakage.inference and leakage.linkability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.checks.leakage.inference import AttributeInferenceCheck, guess_is_correct
from synthaudit.checks.leakage.linkability import LinkabilityCheck, links
from synthaudit.result import Status
from tests.conftest import inject_exact_copies, make_context

ROLES = {"target": "income", "sensitive": ["sex", "race"]}


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("check", [AttributeInferenceCheck, LinkabilityCheck])
def test_attacks_pass_on_independent_sample(adult_split, seed, check):
    real, holdout, synth = adult_split(seed, real=6000, holdout=3000, synth=6000)
    result = check().run(make_context(real, synth, holdout, seed=seed, **ROLES))
    assert result.status is Status.PASS, result.summary


@pytest.mark.parametrize(("check", "frac"), [(AttributeInferenceCheck, 0.3), (LinkabilityCheck, 0.1)])
def test_attacks_fail_when_training_rows_are_copied(adult_split, check, frac):
    real, holdout, synth = adult_split(3, real=6000, holdout=3000, synth=6000)
    leaky = inject_exact_copies(synth, real, frac)
    result = check().run(make_context(real, leaky, holdout, **ROLES))
    assert result.status is Status.FAIL, result.summary
    risk = next(m for m in result.metrics if m.name.endswith("_risk"))
    assert risk.value > 0


def test_inference_names_the_secret_and_skips_without_secret(adult_split):
    real, holdout, synth = adult_split(4, real=2000, holdout=1000, synth=2000)
    result = AttributeInferenceCheck().run(make_context(real, synth, holdout, **ROLES))
    assert {row["secret"] for row in result.tables[0].rows} == {"income", "sex", "race"}
    unnamed = [f.drop(columns=["age", "race", "sex", "marital_status"]) for f in (real, synth, holdout)]
    skipped = AttributeInferenceCheck().run(make_context(*unnamed))
    assert skipped.status is Status.SKIPPED and "--target" in skipped.skipped_reason


def test_linkability_uses_configured_columns(adult_split):
    real, holdout, synth = adult_split(5, real=2000, holdout=1000, synth=2000)
    params = LinkabilityCheck.Params(columns_a=("age", "sex"), columns_b=("education", "occupation"))
    result = LinkabilityCheck(params).run(make_context(real, synth, holdout))
    assert result.tables[0].rows[0]["columns_a"] == "age, sex"


def test_guess_and_link_helpers():
    truth = pd.Series([1.0, 2.0, np.nan])
    assert list(guess_is_correct(truth, np.array([1.04, 3.0, 1.0]), True, 0.05)) == [True, False, False]
    assert list(guess_is_correct(pd.Series(["a", "b"]), np.array(["a", "c"], dtype=object), False, 0)) == [True, False]
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[2, 9], [5, 6]])
    assert list(links(a, b)) == [True, False]
