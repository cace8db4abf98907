from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.check_result import check_to_dict
from synthaudit.checks.diversity.coverage import CoverageCheck, absence_probability, tail_shares
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import make_context

NUMERIC = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")


def drop_rare_categories(synth: pd.DataFrame, real: pd.DataFrame, columns: tuple[str, ...], seed: int = 0):
    """Drop synthetic rows whose value in ``columns`` has a real share below 2 %, resample to keep the size."""
    keep = np.ones(len(synth), dtype=bool)
    for column in columns:
        shares = real[column].value_counts(normalize=True)
        keep &= ~synth[column].isin(shares.index[shares < 0.02]).to_numpy()
    return synth[keep].sample(len(synth), replace=True, random_state=seed).reset_index(drop=True)


def clip_tails(synth: pd.DataFrame, real: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Clip numeric columns at the real 5th and 95th percentiles (a generator that loses the tails)."""
    out = synth.copy()
    for column in columns:
        low, high = real[column].quantile([0.05, 0.95])
        out[column] = np.clip(out[column].to_numpy(dtype=float), low, high)
    return out


def test_coverage_keeps_the_check_contract():
    assert check_contract(CoverageCheck).status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_coverage_passes_on_independent_sample(adult_split, seed, with_holdout):
    real, holdout, synth = adult_split(seed)
    result = CoverageCheck().run(make_context(real, synth, holdout if with_holdout else None, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert result.metric("missing_category_share").value == 0.0
    assert set(result.columns) == set(real.columns)
    assert result.columns["age"] == "numeric (tails)"
    assert result.columns["sex"] == "categorical (expected categories)"


@pytest.mark.parametrize("with_holdout", [True, False])
def test_coverage_fails_when_rare_categories_are_dropped(adult_split, with_holdout):
    real, holdout, synth = adult_split(12)
    thinned = drop_rare_categories(synth, real, ("native_country", "occupation"))
    result = CoverageCheck().run(make_context(real, thinned, holdout if with_holdout else None))
    assert result.status is Status.FAIL, result.summary
    metric = result.metric("missing_category_share")
    assert metric.passed is False and metric.reference_value == 0.0
    assert "'native_country'" in result.summary and "'occupation'" in result.summary
    rows = {r["column"]: r for r in result.tables[0].rows}
    assert result.tables[0].rows[0]["column"] == "native_country"
    assert "Mexico" in rows["native_country"]["absent_expected_shown"]
    assert "Priv-house-serv" in rows["occupation"]["absent_expected_shown"]
    assert rows["sex"]["absent_expected"] == 0


@pytest.mark.parametrize("with_holdout", [True, False])
def test_coverage_fails_when_tails_are_clipped(adult_split, with_holdout):
    real, holdout, synth = adult_split(13)
    result = CoverageCheck().run(
        make_context(real, clip_tails(synth, real, NUMERIC), holdout if with_holdout else None)
    )
    assert result.status is Status.FAIL, result.summary
    metric = result.metric("worst_tail_share_gap")
    assert metric.passed is False
    worst = result.tables[1].rows[0]["column"]
    assert worst in NUMERIC and repr(worst) in result.summary and repr(worst) in metric.description
    assert "fewer synthetic values" in result.summary
    assert result.metric("missing_category_share").passed is True


def test_coverage_fails_on_invented_extremes_and_names_the_column(adult_split):
    real, holdout, synth = adult_split(14)
    wild = synth.copy()
    rows = np.random.default_rng(0).choice(len(wild), 200, replace=False)
    wild.loc[rows, "hours_per_week"] = wild.loc[rows, "hours_per_week"] * 3
    result = CoverageCheck().run(make_context(real, wild, holdout))
    assert result.status is Status.FAIL
    assert "'hours_per_week' (upper) has more synthetic values" in result.summary
    assert result.tables[1].rows[0]["column"] == "hours_per_week"


def test_zero_inflated_column_has_no_lower_tail(adult_split):
    real, holdout, synth = adult_split(15)
    result = CoverageCheck().run(make_context(real, synth, holdout))
    row = next(r for r in result.tables[1].rows if r["column"] == "capital_gain")
    assert row["lower_tail_real"] == row["lower_tail_synthetic"] == row["lower_tail_reference"] == 0.0


def test_rare_absent_categories_are_counted_not_named():
    rng = np.random.default_rng(0)

    def frame(n: int, rare: int) -> pd.DataFrame:
        values = np.concatenate([rng.choice(["alpha", "beta", "gamma"], n - rare), np.full(rare, "zeta-rare")])
        return pd.DataFrame({"kind": rng.permutation(values), "x": rng.normal(size=n)})

    real, holdout, synth = frame(400, 4), frame(200, 2), frame(200, 0)
    loose = CoverageCheck(CoverageCheck.Params(max_absence_probability=0.4))
    result = loose.run(make_context(real, synth, holdout))
    row = result.tables[0].rows[0]
    assert row["absent_expected"] == 1
    assert row["absent_expected_shown"] == [] and row["absent_expected_suppressed"] == 1
    assert "zeta-rare" not in json.dumps(check_to_dict(result))


def test_coverage_skips_without_comparable_columns():
    frame = pd.DataFrame({"note": [f"free text number {i} with several words in it" for i in range(60)]})
    result = CoverageCheck().run(make_context(frame, frame, text=["note"]))
    assert result.status is Status.SKIPPED and result.skipped_reason


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 10**6), st.integers(1, 10**6))
def test_absence_probability_properties(count, real_rows, sample_rows):
    q = absence_probability(np.array([count, count + 1]), real_rows, sample_rows)
    assert 0.0 <= q[1] <= q[0] <= 1.0
    assert absence_probability(np.array([1]), real_rows, sample_rows)[0] == 1.0
    assert q[0] == pytest.approx((1 + sample_rows / real_rows) ** -(count - 1), rel=1e-9, abs=1e-300)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60))
def test_tail_shares_properties(values):
    array = np.array(values)
    low, high = np.quantile(array, [0.01, 0.99])
    below, above = tail_shares(array, low, high)
    assert 0.0 <= below <= 0.02 + 1 / len(array) and 0.0 <= above <= 0.02 + 1 / len(array)
    assert tail_shares(array[::-1], low, high) == (below, above)
    assert tail_shares(np.array([]), low, high) == (0.0, 0.0)
