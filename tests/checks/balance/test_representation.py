from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.checks.balance.groups import MISSING_GROUP, RARE_GROUP
from synthaudit.checks.balance.representation import RepresentationCheck, cohens_h, group_shares
from synthaudit.gate import apply_outcomes, decide_gate
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.checks.balance.defects import undersample_group
from tests.conftest import make_context

SENSITIVE = ["sex", "race"]


def _run(real, synth, holdout=None, **roles):
    roles.setdefault("sensitive", SENSITIVE)
    return RepresentationCheck().run(make_context(real, synth, holdout, target="income", **roles))


def test_contract():
    assert check_contract(RepresentationCheck).status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = _run(real, synth, holdout)
    assert result.status is Status.PASS, result.summary
    assert result.columns == {"sex": "sensitive", "race": "sensitive"}
    assert _run(real, synth).status is Status.PASS  # split reference


@pytest.mark.parametrize(("column", "value"), [("sex", "Female"), ("race", "Black")])
def test_fails_when_a_group_is_under_sampled_and_names_it(adult_split, column, value):
    real, holdout, synth = adult_split(5)
    result = _run(real, undersample_group(synth, column, value, 0.8), holdout)
    assert result.status is Status.FAIL
    assert result.metric("worst_group_cohens_h").passed is False
    assert f"{column} = '{value}'" in result.summary
    top = result.tables[0].rows[0]
    assert (top["attribute"], top["group"]) == (column, value)
    assert top["synthetic_share"] < 0.3 * top["real_share"]


def test_fails_when_a_sizeable_group_is_missing(adult_split):
    real, holdout, synth = adult_split(6)
    synth = synth[synth["race"] != "Asian-Pac-Islander"].reset_index(drop=True)
    result = _run(real, synth, holdout)
    assert result.metric("missing_group_count").passed is False
    assert "missing from the synthetic data: race = 'Asian-Pac-Islander'" in result.summary
    row = next(r for r in result.tables[0].rows if r["group"] == "Asian-Pac-Islander")
    assert row["missing_from_synthetic"] is True


def test_missing_values_are_their_own_reported_group(adult_split):
    real, holdout, synth = adult_split(7)
    frames = []
    for k, frame in enumerate((real, holdout, synth)):
        frame = frame.copy()
        rows = np.random.default_rng(k).choice(len(frame), size=len(frame) // 20, replace=False)
        frame.loc[rows, "sex"] = None
        frames.append(frame)
    result = _run(frames[0], frames[2], frames[1])
    assert result.status is Status.PASS, result.summary
    missing = [r for r in result.tables[0].rows if r["attribute"] == "sex" and r["group"] == MISSING_GROUP]
    assert missing and missing[0]["real_rows"] > 300
    coding = {r["column"]: r for r in result.tables[2].rows}
    assert coding["sex"]["missing_real_rows"] == len(real) // 20


def test_inferred_sensitive_columns_warn_instead_of_failing(adult_split):
    real, holdout, synth = adult_split(8)
    ctx = make_context(real, undersample_group(synth, "sex", "Female", 0.8), holdout, target="income")
    assert ctx.data.sensitive_inferred and "sex" in ctx.data.sensitive
    measured = RepresentationCheck().run(ctx)
    assert measured.status is Status.FAIL and measured.facts["sensitive_inferred"]  # the gate downgrades it
    (result,) = apply_outcomes([measured], decide_gate([measured]))
    assert result.status is Status.WARN
    assert result.metric("worst_group_cohens_h").passed is False
    assert "Downgraded from fail to warn" in result.summary
    # age is inferred too and binned with stated edges, recorded in the result
    coding = {r["column"]: r for r in result.tables[2].rows}
    assert coding["age"]["grouping"] == "age bins"
    assert coding["age"]["edges"] == ["25", "35", "45", "55", "65"]


def test_sensitive_column_missing_from_synthetic_fails_and_is_named(adult_split):
    real, holdout, synth = adult_split(9, real=2000, holdout=1000, synth=1000)
    result = _run(real, synth.drop(columns=["race"]), holdout.drop(columns=["race"]))
    assert result.status is Status.FAIL
    metric = result.metric("sensitive_columns_missing_from_synthetic")
    assert metric.passed is False and "race" in metric.description
    assert "race" in result.summary
    # sex is still compared
    assert any(r["attribute"] == "sex" for r in result.tables[0].rows)
    assert result.columns == {"sex": "sensitive", "race": "sensitive (absent from the synthetic data)"}


def test_rare_groups_are_never_shown_by_value(adult_split):
    real, holdout, synth = adult_split(10, real=4000, holdout=2000, synth=2000)
    real, synth = real.copy(), synth.copy()
    real.loc[:4, "race"] = "Zyxian"
    synth.loc[:40, "race"] = "Zyxian"
    result = _run(real, synth, holdout)
    text = json.dumps([asdict(t) for t in result.tables] + [asdict(f) for f in result.figures]) + result.summary
    assert "Zyxian" not in text
    assert any(r["group"] == RARE_GROUP for r in result.tables[0].rows)


def test_figures_are_paired_bars(adult_split):
    real, holdout, synth = adult_split(13, real=2000, holdout=1000, synth=1000)
    result = _run(real, synth, holdout)
    assert [f.kind for f in result.figures] == ["bars", "bars"]
    data = result.figures[0].data
    assert set(data["series"]) == {"real", "synthetic"}
    assert len(data["categories"]) == len(data["series"]["real"]) == len(data["series"]["synthetic"])


def test_deterministic(adult_split):
    real, _, synth = adult_split(14, real=2000, holdout=1000, synth=1000)
    assert _run(real, synth) == _run(real, synth)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_cohens_h_properties(p, q):
    h = float(cohens_h(p, q))
    assert 0.0 <= h <= np.pi + 1e-12
    assert h == pytest.approx(float(cohens_h(q, p)))
    assert float(cohens_h(p, p)) == 0.0


def test_cohens_h_known_values():
    assert float(cohens_h(0.0, 1.0)) == pytest.approx(np.pi)
    assert float(cohens_h(0.5, 0.5)) == 0.0
    # variance stabilising: a 10 % group at 2 % is as large an effect as a 50 % group at about 32 %
    assert float(cohens_h(0.1, 0.02)) == pytest.approx(float(cohens_h(0.5, 0.324)), abs=0.005)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from("abcd"), min_size=1, max_size=40),
    st.lists(st.sampled_from("abce"), min_size=1, max_size=40),
)
def test_group_shares_properties(base, candidate):
    frame = group_shares(np.array(base, dtype=object), np.array(candidate, dtype=object))
    assert frame["base_share"].sum() == pytest.approx(1.0)
    assert frame["candidate_share"].sum() == pytest.approx(1.0)
    assert (frame["cohens_h"] >= 0).all()
    same = group_shares(np.array(base, dtype=object), np.array(base, dtype=object))
    assert (same["cohens_h"] == 0).all() and (same["share_difference"] == 0).all()
    assert list(frame.index) == sorted(set(base) | set(candidate))


def test_chi_square_is_information_only(adult_split):
    real, holdout, synth = adult_split(15, real=2000, holdout=1000, synth=1000)
    result = _run(real, undersample_group(synth, "race", "Black", 0.8), holdout)
    row = next(r for r in result.tables[1].rows if r["attribute"] == "race")
    assert row["chi_square_p_value"] < 1e-6
    assert {m.name for m in result.metrics if m.gating} <= set(RepresentationCheck.gating_metrics)
    assert all("chi" not in m.name for m in result.metrics)


def test_frames_are_unchanged(adult_split):
    real, holdout, synth = adult_split(16, real=1000, holdout=500, synth=500)
    before = synth.copy()
    _run(real, synth, holdout)
    pd.testing.assert_frame_equal(synth, before)
