"""Tests of the Anonymeter-style attacks: leakage.inference and leakage.linkability."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from synthaudit.check import Margin, sidak_multiplier, worst_of_many_margin
from synthaudit.checks.leakage.inference import (
    AttributeInferenceCheck,
    guess_is_correct,
)
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


def test_inference_passes_clean_adult_at_the_default_seed_without_warning(adult_split):
    real, holdout, synth = adult_split(0)
    result = AttributeInferenceCheck().run(make_context(real, synth, holdout, seed=0, **ROLES))
    assert result.status is Status.PASS, result.summary
    rate = result.metric("inference_success_rate")
    # Worst of three secrets: the margins are the Šidák multipliers for three comparisons.
    margin = worst_of_many_margin(AttributeInferenceCheck.Params().rate_margin, 3)
    assert rate.warn_threshold == pytest.approx(
        rate.reference_value + max(margin.warn_floor, margin.warn_se * rate.standard_error)
    )
    assert rate.threshold == pytest.approx(
        rate.reference_value + max(margin.fail_floor, margin.fail_se * rate.standard_error)
    )
    assert all(row["attack_rate"] <= row["warn_threshold"] for row in result.tables[0].rows)


def test_sidak_multiplier_keeps_the_single_comparison_rate_for_the_worst():
    assert sidak_multiplier(3.0, 1) == 3.0
    assert sidak_multiplier(0.0, 4) == 0.0
    assert sidak_multiplier(3.0, 3) == pytest.approx(3.32, abs=0.01)
    assert sidak_multiplier(5.0, 3) == pytest.approx(5.20, abs=0.01)
    for multiplier in (2.0, 3.0, 5.0):
        tail = NormalDist().cdf(-multiplier)
        for cells in (2, 5, 30):
            adjusted = sidak_multiplier(multiplier, cells)
            assert adjusted > sidak_multiplier(multiplier, cells - 1)
            assert 1 - NormalDist().cdf(adjusted) ** cells == pytest.approx(tail, rel=1e-6)
    margin = worst_of_many_margin(Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.015, fail_floor=0.03), 3)
    assert (margin.warn_floor, margin.fail_floor) == (0.015, 0.03)


def test_inference_names_the_secret_and_skips_without_secret(adult_split):
    real, holdout, synth = adult_split(4, real=2000, holdout=1000, synth=2000)
    result = AttributeInferenceCheck().run(make_context(real, synth, holdout, **ROLES))
    assert {row["secret"] for row in result.tables[0].rows} == {"income", "sex", "race"}
    assert result.columns["income"] == "secret, quasi-identifier (categorical)"
    assert result.columns["age"] == "quasi-identifier (numeric)"
    assert result.metric("inference_success_rate").description.startswith(
        f"share of training records whose {result.tables[0].rows[0]['secret']!r} is guessed"
    )
    unnamed = [f.drop(columns=["age", "race", "sex", "marital_status"]) for f in (real, synth, holdout)]
    skipped = AttributeInferenceCheck().run(make_context(*unnamed))
    assert skipped.status is Status.SKIPPED and "--target" in skipped.skipped_reason


def test_linkability_uses_configured_columns(adult_split):
    real, holdout, synth = adult_split(5, real=2000, holdout=1000, synth=2000)
    params = LinkabilityCheck.Params(columns_a=("age", "sex"), columns_b=("education", "occupation"))
    result = LinkabilityCheck(params).run(make_context(real, synth, holdout))
    assert result.tables[0].rows[0]["columns_a"] == "age, sex"
    assert result.columns == {
        "age": "first dataset (numeric)",
        "sex": "first dataset (categorical)",
        "education": "second dataset (categorical)",
        "occupation": "second dataset (categorical)",
    }


def test_guess_and_link_helpers():
    truth = pd.Series([1.0, 2.0, np.nan])
    assert list(guess_is_correct(truth, np.array([1.04, 3.0, 1.0]), True, 0.05)) == [True, False, False]
    assert list(guess_is_correct(pd.Series(["a", "b"]), np.array(["a", "c"], dtype=object), False, 0)) == [True, False]
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[2, 9], [5, 6]])
    assert list(links(a, b)) == [True, False]


@pytest.mark.parametrize("check", [AttributeInferenceCheck, LinkabilityCheck])
def test_attacks_attack_fewer_records_when_the_pair_budget_binds(adult_split, check):
    # Records attacked × synthetic rows stays within max_pairs (never below the floor of 1,500 records):
    # 2,000 synthetic rows and a budget of 1,600 × 2,000 leave 1,600 of the 2,000 records each side.
    real, holdout, synth = adult_split(6, real=4000, holdout=2000, synth=2000)
    ctx = make_context(real, synth, holdout, **ROLES)
    capped = check(check.Params(max_pairs=1600 * 2000)).run(ctx)
    assert capped.sample_sizes["training_targets"] == capped.sample_sizes["control_targets"] == 1600
    floored = check(check.Params(max_pairs=10)).run(make_context(real, synth, holdout, **ROLES))
    assert floored.sample_sizes["training_targets"] == 1500
    default = check().run(make_context(real, synth, holdout, **ROLES))
    assert default.sample_sizes["training_targets"] == 2000
