"""The reference must itself be plausible: holdout vs real has to look like real vs real."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit import audit
from synthaudit.gate import REFERENCE_CHECK
from synthaudit.plausibility import assess_reference
from tests.conftest import ADULT, make_context


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_clean_holdout_is_plausible(adult_split, seed):
    real, holdout, _ = adult_split(seed, real=3000, holdout=1500, synth=10)
    record = assess_reference(make_context(real, real.iloc[:500], holdout, seed=seed))
    assert record["tested"] is True
    assert record["plausible"] is True, record["reason"]
    assert record["auc"] < record["auc_threshold"]
    assert set(record["columns"]) >= {"age", "sex", "capital_gain"}


@pytest.mark.parametrize("seed", range(6))
def test_a_clean_holdout_with_a_high_cardinality_column_is_plausible(seed):
    """Category codes learnt from both sides: learnt from the real rows alone, every holdout category unseen
    in them shared the "other" code and gave the holdout away (AUC 0.60-0.62, implausible, in 2 of 6 seeds)."""
    rng = np.random.default_rng(seed)
    n = 3000
    weights = 1 / np.arange(1, 801) ** 1.1
    frame = pd.DataFrame(
        {
            "city": rng.choice([f"city_{i:04d}" for i in range(800)], n, p=weights / weights.sum()),
            "age": rng.integers(18, 90, n),
            "amount": np.exp(rng.normal(3, 1.4, n)).round(2),
        }
    )
    real, holdout = frame.iloc[:1000], frame.iloc[1000:2000]
    record = assess_reference(make_context(real, frame.iloc[2000:], holdout, seed=seed))
    assert record["tested"] is True
    assert record["columns"]["city"] == "categorical"
    assert record["auc"] < 0.56, record["reason"]
    assert record["plausible"] is True, record["reason"]


def test_a_split_reference_is_plausible_by_construction(adult_split):
    real, _, synth = adult_split(0, real=1000, holdout=10, synth=500)
    record = assess_reference(make_context(real, synth))
    assert record == {"plausible": True, "tested": False, "reason": record["reason"]}
    assert "by construction" in record["reason"]


def test_swapped_real_and_synthetic_fail_the_gate(adult_split):
    """A poor synthetic file given as REAL (and the real rows as SYNTH) must not pass against a real holdout."""
    real, holdout, _ = adult_split(3, real=3000, holdout=1500, synth=10)
    poor = pd.read_csv(ADULT / "synthetic.csv", engine="pyarrow").sample(3000, random_state=0)
    result = audit(poor, real, holdout, only=["leakage.exact_copies"], command_line=[])
    assert result.reference["plausible"] is False
    assert not result.passed
    assert REFERENCE_CHECK in result.gate.failing
    reason = result.gate.reasons[0]
    assert "swapped" in reason and "holdout" in reason
    worst = result.reference["plausibility"]["worst_columns"]
    assert worst[0]["column"] == "capital_gain"  # the column the bundled generator lost


@pytest.mark.parametrize("defect", ["columns_shuffled_independently", "two_columns_swapped", "other_population"])
def test_a_holdout_from_elsewhere_is_implausible(adult_split, defect):
    real, holdout, _ = adult_split(4, real=3000, holdout=1500, synth=10)
    rng = np.random.default_rng(0)
    broken = holdout.copy()
    if defect == "columns_shuffled_independently":
        for column in broken.columns:
            broken[column] = broken[column].to_numpy()[rng.permutation(len(broken))]
    elif defect == "two_columns_swapped":
        broken["age"], broken["hours_per_week"] = holdout["hours_per_week"], holdout["age"]
    else:  # another population: only people under 40 and born in the United States
        pool = pd.concat([holdout, real.iloc[1500:]])
        broken = pool[(pool["age"] < 40) & (pool["native_country"] == "United-States")].iloc[:1500]
    record = assess_reference(make_context(real, real.iloc[:500], broken))
    assert record["plausible"] is False
    assert "swapped" in record["reason"]


def test_the_report_and_json_carry_the_record(adult_split, tmp_path):
    real, holdout, synth = adult_split(5, real=1000, holdout=500, synth=500)
    result = audit(real, synth, holdout, only=["leakage.exact_copies"], command_line=[])
    assert result.passed
    assert result.reference["plausible"] is True
    assert result.reference["plausibility"]["rows_per_side"] == 500
    from synthaudit.reports import write_html

    path = tmp_path / "r.html"
    write_html(result, path)
    html = path.read_text(encoding="utf-8")
    assert "Reference plausible" in html
    assert "1 check measured something" in html
