from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.data.roles import Role
from synthaudit.errors import InputError


def _t(frame: pd.DataFrame, label: str):
    return load_table(frame, label=label)


def test_common_columns_and_one_sided_columns_are_recorded():
    real = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"], "c": [1, 2, 3]})
    synth = pd.DataFrame({"b": ["x", "y", "y"], "a": [1.0, 2.0, 2.5], "d": [0, 0, 0]})
    data = align(_t(real, "real"), _t(synth, "synthetic"))
    assert data.columns == ("a", "b")
    assert data.only_real == ("c",) and data.only_synth == ("d",)
    assert list(data.synth.columns) == ["a", "b"]


def test_no_common_column_is_input_error():
    with pytest.raises(InputError, match="no column name in common"):
        align(_t(pd.DataFrame({"a": [1]}), "real"), _t(pd.DataFrame({"b": [1]}), "synthetic"))


def test_named_columns_must_exist_in_real():
    real = pd.DataFrame({"income": [1, 2], "sex": ["f", "m"]})
    with pytest.raises(InputError, match=r"--target.*Did you mean 'income'"):
        align(_t(real, "real"), _t(real, "synthetic"), target="incom")
    with pytest.raises(InputError, match="--sensitive"):
        align(_t(real, "real"), _t(real, "synthetic"), sensitive=["race"])


def test_holdout_must_have_the_common_columns():
    real = pd.DataFrame({"a": [1, 2], "b": [1, 2]})
    with pytest.raises(InputError, match="holdout"):
        align(_t(real, "real"), _t(real, "synthetic"), _t(real[["a"]], "holdout"))


def test_synthetic_values_are_coerced_to_real_types_and_losses_counted():
    real = pd.DataFrame({"n": np.arange(60, dtype=float) % 7, "c": ["1", "2", "3"] * 20})
    synth = pd.DataFrame({"n": ["1", "oops", "3.5", "inf"] * 15, "c": [1, 2, 3.0] * 20})
    data = align(_t(real, "real"), _t(synth, "synthetic"))
    assert data.roles == {"n": Role.NUMERIC, "c": Role.CATEGORICAL}
    assert data.synth["n"].dtype == float
    assert set(data.synth["c"]) == {"1", "2", "3"}  # integral floats written without .0
    (issue,) = data.type_issues
    assert (issue.column, issue.side, issue.unparseable) == ("n", "synthetic", 15)
    assert data.nonfinite == {"n": {"synthetic": 15}}
    assert data.synth["n"].isna().sum() == 30  # unreadable and infinite values become missing, counted


def test_categories_and_missing_values_survive():
    real = pd.DataFrame({"c": ["a", None, "b"] * 20})
    synth = pd.DataFrame({"c": ["a", "z", None] * 20})
    data = align(_t(real, "real"), _t(synth, "synthetic"))
    assert data.synth["c"].isna().sum() == 20
    assert "z" in set(data.synth["c"].dropna())


def test_empty_real_column_is_noted():
    real = pd.DataFrame({"a": [1.0, 2.0], "e": [None, None]})
    data = align(_t(real, "real"), _t(real, "synthetic"))
    assert data.roles["e"] is Role.EMPTY
    assert any("'e'" in note for note in data.notes)


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("sex", True),
        ("Gender", True),
        ("race", True),
        ("age", True),
        ("patient_age", True),
        ("maritalStatus", True),
        ("marital-status", True),
        ("page", False),
        ("wage", False),
        ("trace_id", False),
        ("usage", False),
        ("ethnicity_code", True),
        ("religion", True),
        ("disability", True),
        ("nationality", True),
    ],
)
def test_sensitive_columns_inferred_by_whole_word(name, sensitive):
    from synthaudit.data.alignment import infer_sensitive_columns

    assert bool(infer_sensitive_columns([name], {name: Role.CATEGORICAL})) is sensitive


def test_inferred_sensitive_columns_are_flagged_and_noted():
    real = pd.DataFrame({"sex": ["f", "m"] * 20, "wage": range(40)})
    data = align(_t(real, "real"), _t(real, "synthetic"))
    assert data.sensitive == ("sex",) and data.sensitive_inferred
    assert any("inferred from column names" in n for n in data.notes)
    named = align(_t(real, "real"), _t(real, "synthetic"), sensitive=["wage"])
    assert named.sensitive == ("wage",) and not named.sensitive_inferred


def test_an_eval_set_sharing_no_text_column_of_text_data_is_input_error():
    """Matched on the other shared columns only, the eval set's items were never looked for in the texts."""
    real = pd.DataFrame({"answer": [f"a long real answer number {i} about things" for i in range(30)], "topic": "x"})
    evaluation = pd.DataFrame({"reply": ["an eval answer about things"] * 3, "topic": ["x"] * 3})
    with pytest.raises(InputError, match=r"'bench' .*shares none of the text columns \['answer'\].*rename"):
        align(_t(real, "real"), _t(real, "synthetic"), eval_sets={"bench": _t(evaluation, "eval set")})
    named = align(
        _t(real, "real"),
        _t(real, "synthetic"),
        eval_sets={"bench": _t(evaluation.rename(columns={"reply": "answer"}), "eval set")},
    )
    assert list(named.eval_sets["bench"].columns) == ["answer", "topic"]


def test_a_declared_pair_missing_from_the_synthetic_data_is_recorded():
    real = pd.DataFrame({"q": [f"question {i}" for i in range(30)], "a": [f"answer {i}" for i in range(30)]})
    data = align(_t(real, "real"), _t(real[["q"]], "synthetic"), pairs=["q:a"])
    assert data.pairs == () and data.unaudited_pairs == (("q", "a"),)
    assert any("q:a is not audited" in note for note in data.notes)
