from __future__ import annotations

import numpy as np
import pytest

from synthaudit.checks.constraints.schema import SchemaCheck
from synthaudit.result import Status
from tests.conftest import make_context


@pytest.mark.parametrize("seed", [1, 2])
def test_schema_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = SchemaCheck().run(make_context(real, synth, holdout))
    assert result.status is Status.PASS, result.summary
    assert set(result.columns) == set(real.columns)


def test_schema_fails_and_names_columns_on_one_side_only(adult_split):
    real, holdout, synth = adult_split(3)
    synth = synth.drop(columns=["education"]).assign(invented=1)
    result = SchemaCheck().run(make_context(real, synth, holdout))
    assert result.status is Status.FAIL
    assert "'education'" in result.summary and "'invented'" in result.summary
    assert result.metric("schema_mismatch_count").value == 2
    assert result.columns["education"] == "only in the real data (presence)"
    assert result.columns["invented"] == "only in the synthetic data (presence)"


def test_schema_fails_on_text_in_numeric_column(adult_split):
    real, holdout, synth = adult_split(4)
    synth = synth.copy()
    synth["age"] = synth["age"].astype(object)
    synth.loc[:9, "age"] = "unknown"
    result = SchemaCheck().run(make_context(real, synth, holdout))
    assert result.status is Status.FAIL
    assert "'age'" in result.summary
    assert result.tables[0].rows[0]["count"] == 10


def test_schema_fails_on_infinite_values(adult_split):
    real, holdout, synth = adult_split(5)
    synth = synth.astype({"capital_gain": float})
    synth.loc[:4, "capital_gain"] = np.inf
    result = SchemaCheck().run(make_context(real, synth, holdout))
    assert result.status is Status.FAIL
    assert result.metric("worst_unreadable_value_share").value == pytest.approx(5 / len(synth))
