from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from synthaudit.checks.constraints.expectations import (
    SUITE_KEY,
    ExpectationSuiteCheck,
    PolicyExpectation,
    derive_expectation_suite,
    null_fraction_tolerance,
    range_clean_rate,
    row_violation_standard_error,
    value_set_clean_rate,
)
from synthaudit.checks.constraints.suite_derivation import order_rules, random_pairing_break_share
from synthaudit.result import Status
from synthaudit.testing import check_contract, clean_sample
from tests.conftest import make_context

PAIR_RULE = PolicyExpectation(
    type="expect_column_pair_values_a_to_be_greater_than_b",
    kwargs={"column_A": "age", "column_B": "education_num"},
)


def _set_share(frame: pd.DataFrame, values: dict[str, object], share: float = 0.02, seed: int = 0) -> pd.DataFrame:
    """Set ``values`` on a seeded share of rows (the same rows for every column)."""
    out = frame.copy()
    rows = np.random.default_rng(seed).choice(len(out), size=round(share * len(out)), replace=False)
    for column, value in values.items():
        out.loc[out.index[rows], column] = value
    return out


def _run(real, synth, holdout=None, params=None, **roles):
    return ExpectationSuiteCheck(params).run(make_context(real, synth, holdout, **roles))


def test_contract():
    result = check_contract(ExpectationSuiteCheck)
    assert result.status is Status.PASS


@pytest.mark.parametrize(("seed", "with_holdout"), [(1, True), (2, True), (3, True), (4, False), (5, False)])
def test_passes_on_independent_sample(adult_split, seed, with_holdout):
    real, holdout, synth = adult_split(seed)
    result = _run(real, synth, holdout if with_holdout else None)
    assert result.status is Status.PASS, result.summary
    assert result.metric("failed_dataset_expectation_count").value == 0.0
    # Every Adult column gets a range (6 numeric columns) or a value set (9 categorical columns).
    assert result.sample_sizes["row_level_expectations"] == 15
    assert set(result.columns) == set(real.columns)
    assert result.columns["age"] == "numeric (type, range, null_fraction)"


DEFECTS = {
    "age_150": (lambda s: _set_share(s, {"age": 150}), "age", None),
    "age_minus_5": (lambda s: _set_share(s, {"age": -5}), "age", None),
    "invented_category": (lambda s: _set_share(s, {"workclass": "Astronaut"}), "workclass", None),
    "all_missing": (lambda s: s.assign(hours_per_week=np.nan), "hours_per_week", None),
    # Inside both columns' widened ranges, but age below education_num.
    "pair_rule": (
        lambda s: _set_share(s, {"age": 15, "education_num": 16}),
        "age, education_num",
        ExpectationSuiteCheck.Params(expectations=(PAIR_RULE,)),
    ),
}


@pytest.mark.parametrize(
    ("name", "with_holdout"),
    [(name, True) for name in DEFECTS] + [("age_150", False), ("invented_category", False), ("pair_rule", False)],
)
def test_fails_on_defect_and_names_column(adult_split, name, with_holdout):
    defect, column, params = DEFECTS[name]
    real, holdout, synth = adult_split(7)
    result = _run(real, defect(synth), holdout if with_holdout else None, params=params)
    assert result.status is Status.FAIL, result.summary
    assert repr(column) in result.summary
    first = result.tables[0].rows[0]
    assert first["columns"] == column
    if first["level"] == "row":
        assert first["synthetic_share"] >= 0.019
        assert 0 < len(first["example_rows"]) <= 20
        assert result.metric("worst_row_violation_share").passed is False
    else:
        assert first["rule"] == "null_fraction"
        assert result.metric("failed_dataset_expectation_count").value >= 1


def test_example_rows_are_synthetic_row_numbers(adult_split):
    real, holdout, synth = adult_split(8)
    bad = _set_share(synth, {"age": 150})
    result = _run(real, bad, holdout)
    expected = sorted(bad.index[bad["age"] == 150])[:20]
    row = result.tables[0].rows[0]
    assert row["example_rows"] == expected
    assert result.evidence["expect_column_values_to_be_between:age"] == tuple(expected)


def test_reports_no_data_values(adult_split):
    real, holdout, synth = adult_split(9)
    real = real.copy()
    real.loc[0, "native_country"] = "Atlantis"  # a value seen once in the real data
    result = _run(real, _set_share(synth, {"workclass": "Astronaut"}), holdout)
    text = json.dumps([result.summary, [t.rows for t in result.tables], result.evidence], default=str)
    assert "Astronaut" not in text
    assert "Atlantis" not in text
    assert "Private" not in text


def test_rare_real_values_are_in_the_value_set(adult_split):
    real, holdout, synth = adult_split(10)
    real = real.copy()
    real.loc[0, "native_country"] = "Atlantis"
    suite = derive_expectation_suite(make_context(real, synth, holdout))
    value_set = next(
        e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "native_country"
    )
    assert "Atlantis" in value_set


def test_derived_suite_is_gx_json_and_shared(adult_split):
    import great_expectations as gx

    real, holdout, synth = adult_split(11)
    ctx = make_context(real, synth, holdout)
    params = ExpectationSuiteCheck.Params(expectations=(PAIR_RULE,))
    result = ExpectationSuiteCheck(params).run(ctx)
    suite = ctx.shared(SUITE_KEY, lambda: pytest.fail("the check must cache the suite"))
    assert suite == json.loads(json.dumps(suite))
    assert suite == derive_expectation_suite(ctx, params)
    types = {e["type"] for e in suite["expectations"]}
    assert {
        "expect_table_columns_to_match_set",
        "expect_column_type_to_be",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_null",
        "expect_column_pair_values_a_to_be_greater_than_b",
    } <= types
    loaded = gx.ExpectationSuite(name=suite["name"], expectations=suite["expectations"], meta=suite["meta"])
    assert len(loaded.expectations) == len(suite["expectations"]) == result.sample_sizes["expectations"]
    age = next(e for e in suite["expectations"] if e["kwargs"].get("column") == "age" and "min_value" in e["kwargs"])
    assert age["kwargs"]["min_value"] < real["age"].min() and age["kwargs"]["max_value"] > real["age"].max()


def test_deterministic_and_silent(adult_split, capfd):
    real, holdout, synth = adult_split(12)
    bad = _set_share(synth, {"age": 150})
    capfd.readouterr()
    first = _run(real, bad, holdout)
    second = _run(real, bad, holdout)
    out, err = capfd.readouterr()
    assert first == second
    assert out == "" and err == ""


def test_policy_row_rule_is_gated_against_reference(adult_split):
    # Real data breaks this rule too (about a fifth of the rows): a clean sample must not fail on it.
    rule = PolicyExpectation(
        type="expect_column_values_to_be_between", kwargs={"column": "hours_per_week", "min_value": 30, "max_value": 50}
    )
    real, holdout, synth = adult_split(13)
    result = _run(real, synth, holdout, params=ExpectationSuiteCheck.Params(expectations=(rule,)))
    assert result.status is Status.PASS, result.summary
    (policy_row,) = [r for r in result.tables[0].rows if r["origin"] == "policy"]
    assert policy_row["reference_share"] > 0.1
    assert result.columns["hours_per_week"].endswith("policy expect_column_values_to_be_between)")


def test_policy_dataset_rule_fails_on_its_own(adult_split):
    rule = PolicyExpectation(type="expect_table_row_count_to_be_between", kwargs={"min_value": 1, "max_value": 100})
    real, holdout, synth = adult_split(14)
    result = _run(real, synth, holdout, params=ExpectationSuiteCheck.Params(expectations=(rule,)))
    assert result.status is Status.FAIL
    assert "expect_table_row_count_to_be_between" in result.summary
    assert result.metric("failed_dataset_expectation_count").value == 1.0


def test_unknown_expectation_type_is_rejected_at_policy_load():
    with pytest.raises(ValidationError, match="expect_column_values_to_be_between"):
        ExpectationSuiteCheck.Params.model_validate(
            {"expectations": [{"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "age"}}]}
        )
    with pytest.raises(ValidationError, match="snake_case"):
        PolicyExpectation(type="ExpectColumnValuesToBeBetween")


def test_bad_policy_kwargs_and_columns_raise_clear_errors(adult_split):
    real, holdout, synth = adult_split(15)
    unknown_column = PolicyExpectation(type="expect_column_values_to_not_be_null", kwargs={"column": "agee"})
    with pytest.raises(ValueError, match=r"'agee'.*Did you mean 'age'"):
        _run(real, synth, holdout, params=ExpectationSuiteCheck.Params(expectations=(unknown_column,)))
    bad_kwargs = PolicyExpectation(type="expect_column_values_to_be_in_set", kwargs={"column": "sex"})
    with pytest.raises(ValueError, match=r"expect_column_values_to_be_in_set.*kwargs"):
        _run(real, synth, holdout, params=ExpectationSuiteCheck.Params(expectations=(bad_kwargs,)))


def test_params_with_policy_expectations_are_hashable():
    params = ExpectationSuiteCheck.Params(expectations=(PAIR_RULE,))
    assert hash(ExpectationSuiteCheck(params)) == hash(ExpectationSuiteCheck(params))


def _with_ids(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    return frame.assign(record_id=[f"r{start + i:06d}" for i in range(len(frame))])


def test_duplicated_identifiers_and_missing_column_fail():
    real, holdout, synth = (_with_ids(clean_sample(1500, s), 10_000 * s) for s in (1, 2, 3))
    result = _run(real, synth, holdout, ids=["record_id"])
    assert result.status is Status.PASS, result.summary
    duplicated = synth.assign(record_id=synth["record_id"].where(synth.index % 10 != 0, synth["record_id"].iloc[0]))
    result = _run(real, duplicated.drop(columns=["colour"]), holdout, ids=["record_id"])
    assert result.status is Status.FAIL
    failed = {(r["rule"], r["columns"]) for r in result.tables[0].rows if r["level"] == "dataset"}
    assert ("uniqueness", "record_id") in failed
    assert ("column_set", "(table)") in failed
    column_set = next(r for r in result.tables[0].rows if r["rule"] == "column_set")
    assert column_set["observed"] == {"missing": ["colour"]}


# ----------------------------------------------------------------- metric functions
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.integers(1, 5000), st.integers(1, 5000), st.floats(0, 0.2))
def test_row_violation_standard_error_properties(count, reference_rows, synthetic_rows, clean_rate):
    count = min(count, reference_rows)
    se = row_violation_standard_error(count, reference_rows, synthetic_rows, clean_rate)
    assert 0 < se <= 0.5 * np.sqrt(2)
    assert se >= row_violation_standard_error(count, reference_rows, synthetic_rows)
    assert row_violation_standard_error(count * 4, reference_rows * 4, synthetic_rows * 4, clean_rate) < se


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e", None]), min_size=1, max_size=60))
def test_value_set_clean_rate_is_the_singleton_share(values):
    series = pd.Series(values, dtype=object)
    rate = value_set_clean_rate(series)
    assert 0.0 <= rate <= 1.0
    counts = series.value_counts()
    assert rate == pytest.approx(int((counts == 1).sum()) / len(series))
    assert value_set_clean_rate(pd.concat([series, series])) == 0.0  # every value seen twice


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=60), st.floats(0, 0.5))
def test_range_clean_rate_properties(values, tolerance):
    series = pd.Series(values, dtype=float)
    rate = range_clean_rate(series, tolerance)
    assert 0.0 <= rate <= 2 / len(series)
    assert range_clean_rate(pd.concat([series, series]), tolerance) == 0.0  # extremes seen twice
    assert range_clean_rate(series[::-1], tolerance) == rate


def test_range_clean_rate_sees_an_outlying_maximum():
    assert range_clean_rate(pd.Series([1.0, 2.0, 3.0, 100.0]), 0.05) == pytest.approx(0.25)
    assert range_clean_rate(pd.Series([1.0, 1.02, 2.0, 3.0, 3.05]), 0.05) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 1000), st.integers(1, 1000), st.integers(1, 5000), st.floats(0, 0.1))
def test_null_fraction_tolerance_properties(nulls, n, m, floor):
    nulls = min(nulls, n)
    tolerance = null_fraction_tolerance(nulls, n, m, 5.0, floor)
    assert tolerance >= floor
    assert null_fraction_tolerance(nulls, n, m, 3.0, floor) <= tolerance
    assert null_fraction_tolerance(nulls * 4, n * 4, m * 4, 5.0, 0.0) < null_fraction_tolerance(nulls, n, m, 5.0, 0.0)


def _stays(n: int, seed: int) -> pd.DataFrame:
    """Hospital stays: admitted <= discharged, lowest <= highest reading, missing discharges; ranges overlap."""
    rng = np.random.default_rng(seed)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    discharged = admitted + pd.to_timedelta(rng.geometric(0.3, n) - 1, unit="D")
    lowest = rng.normal(100, 15, n).round(1)
    highest = (lowest + rng.exponential(10, n)).round(1)
    frame = pd.DataFrame(
        {
            "admitted": admitted.strftime("%Y-%m-%d"),
            "discharged": discharged.strftime("%Y-%m-%d"),
            "lowest": lowest,
            "highest": highest,
            "age": rng.integers(18, 90, n),  # overlaps highest's range, in no fixed order
            "ward": rng.integers(1, 10, n),  # below age in every row, but only because the ranges are disjoint
        }
    )
    frame.loc[rng.random(n) < 0.05, "discharged"] = None
    return frame


def test_order_rules_are_derived_only_where_rows_depend():
    real = _stays(1500, 0)
    suite = derive_expectation_suite(make_context(real, _stays(600, 1), _stays(600, 2)))
    orders = {
        (e["kwargs"]["column_B"], e["kwargs"]["column_A"])
        for e in suite["expectations"]
        if e["meta"]["synthaudit"]["rule"] == "order"
    }
    assert orders == {("admitted", "discharged"), ("lowest", "highest")}


@pytest.mark.parametrize("with_holdout", [True, False])
def test_order_rule_passes_clean_and_fails_end_before_start(with_holdout):
    real, holdout, synth = _stays(1500, 0), _stays(600, 2), _stays(600, 1)
    clean = _run(real, synth, holdout if with_holdout else None)
    assert clean.status is Status.PASS, clean.summary
    bad = synth.copy()
    rows = np.random.default_rng(3).choice(len(bad), 30, replace=False)  # 5 % discharged before admitted
    start = pd.to_datetime(bad.loc[rows, "admitted"])
    bad.loc[rows, "discharged"] = (start - pd.Timedelta(days=2)).dt.strftime("%Y-%m-%d")
    result = _run(real, bad, holdout if with_holdout else None)
    assert result.status is Status.FAIL, result.summary
    first = result.tables[0].rows[0]
    assert (first["rule"], first["columns"]) == ("order", "discharged, admitted")
    assert first["synthetic_share"] == pytest.approx(0.05)
    assert "order rule 'admitted' <= 'discharged'" in result.summary


def test_a_rule_real_rows_always_break_does_not_hide_a_broken_range():
    """A tiny table: the value set of a 30-value code column is broken by every new row, real or synthetic; ages
    made negative must still fail (worst against worst hid them: 100 % vs the reference's 100 %)."""
    rng = np.random.default_rng(0)

    def table(n: int, start: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "code": [f"C{start + i:05d}" for i in range(n)],
                "age": rng.integers(18, 95, n),
                "sex": rng.choice(["F", "M"], n),
            }
        )

    real, holdout, synth = table(30, 0), table(30, 100), table(30, 200)
    clean = _run(real, synth, holdout)
    assert clean.status is Status.PASS, clean.summary
    result = _run(real, synth.assign(age=-synth["age"]), holdout)
    assert result.status is Status.FAIL, result.summary
    assert "'age'" in result.summary


def test_widened_range_keeps_the_sign_of_a_skewed_column():
    """Log-normal amounts: 5 % of the range below the minimum admitted negative amounts down to about -150."""
    rng = np.random.default_rng(0)

    def amounts(n: int) -> pd.DataFrame:
        return pd.DataFrame({"amount": np.exp(rng.normal(3.5, 1.1, n)).round(2), "kind": rng.choice(list("ab"), n)})

    real, holdout, synth = amounts(2000), amounts(1000), amounts(2000)
    assert _run(real, synth, holdout).status is Status.PASS
    negated = synth.copy()
    negated.loc[negated.sample(frac=0.05, random_state=1).index, "amount"] *= -1
    result = _run(real, negated, holdout)
    assert result.status is Status.FAIL, result.summary
    assert result.tables[0].rows[0]["synthetic_share"] >= 0.04


def test_order_rules_of_a_wide_ordered_table_match_their_definition():
    """Cumulative columns (every pair ordered, the costly case: each column is sorted once, not once per pair)
    with gaps: the rules and break shares are exactly the pairwise definition's."""
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.gamma(1.0, 1.0, (400, 12)), axis=1)
    values[rng.random(values.shape) < 0.1] = np.nan
    frame = pd.DataFrame(values, columns=[f"m{k}" for k in range(12)])
    expected = []
    for i, low in enumerate(frame.columns):
        for high in frame.columns[i + 1 :]:
            both = frame[[low, high]].dropna()
            share = random_pairing_break_share(frame[low].dropna().to_numpy(), frame[high].dropna().to_numpy())
            if (both[low] <= both[high]).all() and share * len(both) >= 3.0:
                expected.append((low, high, share))
    expected.sort(key=lambda rule: (-rule[2], rule[0], rule[1]))
    found = order_rules(frame, list(frame.columns))
    assert [r[:2] for r in found] == [r[:2] for r in expected[:25]]
    assert [r[2] for r in found] == pytest.approx([r[2] for r in expected[:25]])
