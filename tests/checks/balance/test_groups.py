from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.check import Margin
from synthaudit.checks.balance.downstream_fairness import DownstreamFairnessCheck
from synthaudit.checks.balance.group_fidelity import GroupFidelityCheck
from synthaudit.checks.balance.groups import (
    AGE_LABELS,
    MISSING_GROUP,
    RARE_GROUP,
    Attribute,
    GroupCoding,
    attribute_labels,
    flag_sensitive_inferred,
    sensitive_groups,
    shown_group,
    worst_cell,
)
from synthaudit.checks.balance.outcome_gaps import OutcomeGapCheck
from synthaudit.checks.balance.representation import RepresentationCheck
from synthaudit.data.roles import Role
from synthaudit.gate import apply_outcomes, decide_gate
from synthaudit.result import CheckResult, Status
from tests.conftest import make_context


def test_age_is_binned_with_stated_edges_and_missing_is_a_group():
    coding = GroupCoding.fit("age", pd.Series([20.0, 40.0, 70.0]), Role.NUMERIC)
    assert coding.grouping == "age bins"
    labels = coding.labels(pd.Series([17, 24.9, 25, 34, 35, 44, 45, 54, 55, 64, 65, 90, np.nan], dtype=float))
    assert list(labels) == [
        "<25",
        "<25",
        "25–34",
        "25–34",
        "35–44",
        "35–44",
        "45–54",
        "45–54",
        "55–64",
        "55–64",
        "65+",
        "65+",
        MISSING_GROUP,
    ]
    assert set(labels) - {MISSING_GROUP} == set(AGE_LABELS)


def test_generic_numeric_uses_real_quintiles():
    values = pd.Series(np.arange(1000, dtype=float))
    coding = GroupCoding.fit("income_amount", values, Role.NUMERIC)
    assert coding.grouping == "quintile bins"
    assert len(coding.edges) == 4
    counts = pd.Series(coding.labels(values)).value_counts()
    assert len(counts) == 5
    assert counts.min() >= 195  # about a fifth each


def test_numeric_with_few_values_is_grouped_by_value():
    coding = GroupCoding.fit("disabled", pd.Series([0.0, 1.0, 1.0, 0.0]), Role.NUMERIC)
    assert coding.grouping == "values"
    assert list(coding.labels(pd.Series([1.0, 0.0, np.nan]))) == ["1", "0", MISSING_GROUP]


def test_categorical_missing_values_are_their_own_group():
    coding = GroupCoding.fit("sex", pd.Series(["Male", "Female"]), Role.CATEGORICAL)
    assert list(coding.labels(pd.Series(["Female", None, np.nan], dtype=object))) == [
        "Female",
        MISSING_GROUP,
        MISSING_GROUP,
    ]


def test_text_and_identifier_columns_are_not_grouped():
    assert not GroupCoding.fit("person", pd.Series(["a", "b"]), Role.IDENTIFIER).grouped


def test_intersection_labels_and_rare_suppression(adult_split):
    real, holdout, synth = adult_split(11, real=2000, holdout=500, synth=500)
    real = real.copy()
    real.loc[:4, "race"] = "Martian"
    ctx = make_context(real, synth, holdout, target="income", sensitive=["sex", "race"])
    groups = sensitive_groups(ctx)
    attributes = groups.attributes()
    assert [a.name for a in attributes] == ["sex", "race", "sex × race"]
    race = Attribute(("race",))
    assert shown_group(ctx, race, "Martian") == RARE_GROUP
    assert shown_group(ctx, race, "White") == "White"
    labels = pd.DataFrame({"sex": ["Female", "Male"], "race": ["White", "Black"]})
    assert list(attribute_labels(labels, Attribute(("sex", "race")))) == ["Female & White", "Male & Black"]


def test_the_gate_downgrades_only_for_inferred_columns(adult_split):
    real, holdout, synth = adult_split(12, real=1000, holdout=500, synth=500)
    failing = CheckResult(name="balance.x", suite="balance", status=Status.FAIL, summary="Bad.", description="d")
    named = flag_sensitive_inferred(failing, make_context(real, synth, holdout, target="income", sensitive=["sex"]))
    inferred = flag_sensitive_inferred(failing, make_context(real, synth, holdout, target="income"))
    assert named.status is inferred.status is Status.FAIL  # the check reports what it measured
    assert named.facts == {"sensitive_inferred": False, "sensitive_columns": ["sex"]}
    assert inferred.facts["sensitive_inferred"] and "sex" in inferred.facts["sensitive_columns"]
    assert apply_outcomes([named], decide_gate([named]))[0].status is Status.FAIL
    (downgraded,) = apply_outcomes([inferred], decide_gate([inferred]))
    assert downgraded.status is Status.WARN
    assert "inferred" in downgraded.summary and "--sensitive" in downgraded.summary


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(1e-4, 0.2)), min_size=1, max_size=12),
    st.lists(st.tuples(st.floats(0, 1), st.floats(1e-4, 0.2)), min_size=1, max_size=12),
)
def test_worst_cell_fails_exactly_when_some_cell_passes_its_own_threshold(cells, reference):
    margin = Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.02, fail_floor=0.05)
    value = np.array([c[0] for c in cells])
    sd = np.array([c[1] for c in cells])
    worst = worst_cell(
        "m",
        value=value,
        null_mean=0.8 * sd,
        null_sd=sd,
        reference_value=np.array([r[0] for r in reference]),
        reference_null_mean=0.8 * np.array([r[1] for r in reference]),
        reference_null_sd=np.array([r[1] for r in reference]),
        margin=margin,
        value_range=(0.0, None),
        describe=lambda i: f"cell {i}",
    )
    assert worst.metric.passed == bool(np.all(value <= worst.thresholds))
    assert worst.metric.value == value[worst.position]
    assert worst.metric.threshold == pytest.approx(worst.thresholds[worst.position])


def test_worst_cell_judges_each_cell_at_its_own_size():
    # A large cell (tiny SD) moved by 0.1 fails even though a small, noisy cell has the larger raw value.
    margin = Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.0, fail_floor=0.01)
    worst = worst_cell(
        "m",
        value=np.array([0.2, 0.1]),
        null_mean=np.array([0.08, 0.004]),
        null_sd=np.array([0.06, 0.003]),
        reference_value=np.array([0.1, 0.005]),
        reference_null_mean=np.array([0.08, 0.004]),
        reference_null_sd=np.array([0.06, 0.003]),
        margin=margin,
        value_range=(0.0, 1.0),
        describe=lambda i: f"cell {i}",
    )
    assert worst.position == 1
    assert worst.metric.passed is False


@pytest.mark.parametrize(
    "check_class", [RepresentationCheck, OutcomeGapCheck, DownstreamFairnessCheck, GroupFidelityCheck], ids=str
)
def test_every_check_fails_naming_a_sensitive_column_missing_from_synthetic(adult_split, check_class):
    real, holdout, synth = adult_split(13, real=1000, holdout=500, synth=500)
    ctx = make_context(
        real, synth.drop(columns=["race"]), holdout.drop(columns=["race"]), target="income", sensitive=["race"]
    )
    assert "race" in ctx.data.only_real
    result = check_class().run(ctx)
    assert result.status is Status.FAIL
    assert "'race'" in result.summary
    assert result.metric("sensitive_columns_missing_from_synthetic").passed is False
