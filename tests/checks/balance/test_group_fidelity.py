from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.checks.balance.group_fidelity import GroupFidelityCheck, cell_distance, grouped_distances, tvd_null
from synthaudit.gate import apply_outcomes, decide_gate
from synthaudit.result import Status
from synthaudit.stats.distances import ks_statistic
from synthaudit.stats.embedding_shift import mean_embedding_distance
from synthaudit.testing import check_contract
from tests.checks.balance.defects import shift_within_group
from tests.conftest import make_context

SENSITIVE = ["sex", "race"]


def _run(real, synth, holdout=None, **roles):
    roles.setdefault("sensitive", SENSITIVE)
    return GroupFidelityCheck().run(make_context(real, synth, holdout, target="income", **roles))


def test_contract():
    assert check_contract(GroupFidelityCheck).status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = _run(real, synth, holdout)
    assert result.status is Status.PASS, result.summary
    assert set(result.columns) == set(real.columns)  # grouped by sex and race, every column compared inside
    assert result.columns["sex"].startswith("sensitive") and result.columns["age"].startswith("numeric")
    assert _run(real, synth).status is Status.PASS


def test_fails_when_one_groups_values_shift_and_names_group_and_column(adult_split):
    real, holdout, synth = adult_split(5)
    defective = shift_within_group(synth, "age", "Female", 8)
    # the overall age distribution is roughly kept ...
    assert ks_statistic(defective["age"].to_numpy(float), real["age"].to_numpy(float)) < 0.06
    result = _run(real, defective, holdout)
    # ... but inside the groups it is not
    assert result.status is Status.FAIL
    assert "'Female'" in result.summary and "'age'" in result.summary
    top = result.tables[0].rows[0]
    assert "Female" in top["group"] and top["column"] == "age"
    assert top["distance"] > top["threshold"]
    assert result.tables[1].rows[0]["worst_column"] == "age"
    assert result.figures[0].kind == "histogram"


def test_inferred_sensitive_columns_warn_instead_of_failing(adult_split):
    real, holdout, synth = adult_split(6)
    measured = GroupFidelityCheck().run(
        make_context(real, shift_within_group(synth, "hours_per_week", "Female", 10), holdout, target="income")
    )
    assert measured.status is Status.FAIL and measured.facts["sensitive_inferred"]  # the gate downgrades it
    (result,) = apply_outcomes([measured], decide_gate([measured]))
    assert result.status is Status.WARN
    assert result.metric("worst_group_column_distance").passed is False
    assert "Downgraded from fail to warn" in result.summary


def test_missing_sensitive_values(adult_split):
    real, holdout, synth = adult_split(7)
    frames = []
    for k, frame in enumerate((real, holdout, synth)):
        frame = frame.copy()
        frame.loc[np.random.default_rng(k).choice(len(frame), size=len(frame) // 10, replace=False), "sex"] = None
        frames.append(frame)
    result = _run(frames[0], frames[2], frames[1])
    assert result.status is Status.PASS, result.summary
    assert any(r["group"] == "(missing)" and r["compared"] for r in result.tables[1].rows)
    # small groups are reported, not merged: listed last as not compared
    small = [r for r in result.tables[1].rows if not r["compared"]]
    assert small and all(r["real_rows"] < 60 for r in small)
    assert result.sample_sizes["groups_not_compared"] == len(small)


def test_sensitive_column_missing_from_synthetic_fails(adult_split):
    real, holdout, synth = adult_split(8, real=2000, holdout=1000, synth=1000)
    result = _run(real, synth.drop(columns=["race"]), holdout.drop(columns=["race"]))
    assert result.status is Status.FAIL
    assert "race" in result.metric("sensitive_columns_missing_from_synthetic").description


def test_deterministic(adult_split):
    real, _, synth = adult_split(9, real=2000, holdout=1000, synth=1000)
    assert _run(real, synth) == _run(real, synth)


@pytest.mark.parametrize("shares", [[0.5, 0.5], [0.9, 0.1], [0.25, 0.25, 0.25, 0.25], [0.7, 0.2, 0.05, 0.05]], ids=str)
def test_tvd_null_matches_simulation(shares):
    rng = np.random.default_rng(0)
    p, n, m = np.array(shares), 2000, 1000
    tvd = 0.5 * np.abs(rng.multinomial(n, p, size=20000) / n - rng.multinomial(m, p, size=20000) / m).sum(axis=1)
    mean, sd = tvd_null(p, math.sqrt(1 / n + 1 / m))
    assert mean == pytest.approx(tvd.mean(), rel=0.03)
    assert sd == pytest.approx(tvd.std(), rel=0.05)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=60),
    st.lists(st.integers(0, 4), min_size=1, max_size=60),
    st.booleans(),
)
def test_cell_distance_properties(a, b, numeric):
    a, b = np.array(a), np.array(b)
    if numeric:
        a, b = a.astype(float), b.astype(float)
    distance, mean, sd = cell_distance(a, b, numeric, 5)
    assert 0.0 <= distance <= 1.0 + 1e-12
    assert mean >= 0 and sd >= 0
    assert cell_distance(a, a, numeric, 5)[0] == 0.0
    assert distance == pytest.approx(cell_distance(b, a, numeric, 5)[0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-1, 2), st.integers(-1, 5)), min_size=1, max_size=80),
    st.lists(st.tuples(st.integers(-1, 2), st.integers(-1, 5)), min_size=1, max_size=80),
    st.booleans(),
)
def test_grouped_distances_equal_per_cell_distances(base, candidate, numeric):
    """The vectorised per-group pass gives exactly what ks_statistic / total_variation_distance give per cell."""
    base_groups, base_values = (np.array(x) for x in zip(*base, strict=True))
    candidate_groups, candidate_values = (np.array(x) for x in zip(*candidate, strict=True))
    if numeric:  # −1 stands for a missing value
        base_values = np.where(base_values < 0, np.nan, base_values * 1.5)
        candidate_values = np.where(candidate_values < 0, np.nan, candidate_values * 1.5)
    grouped = grouped_distances(base_values, base_groups, candidate_values, candidate_groups, 3, numeric, 6)
    for g in range(3):
        a = base_values[(base_groups == g)]
        b = candidate_values[(candidate_groups == g)]
        a = a[np.isfinite(a)] if numeric else a[a >= 0]
        b = b[np.isfinite(b)] if numeric else b[b >= 0]
        expected = cell_distance(a, b, numeric, 6)
        assert grouped.distance[g] == pytest.approx(expected[0], abs=1e-12)
        assert grouped.null_mean[g] == pytest.approx(expected[1])
        assert grouped.null_sd[g] == pytest.approx(expected[2])
        assert (grouped.base_rows[g], grouped.candidate_rows[g]) == (len(a), len(b))


# ----------------------------------------------------------------- text inside groups
def test_mean_embedding_distance_null_matches_simulation():
    rng = np.random.default_rng(0)
    centre = np.ones(64) / 8.0

    def draw(k: int) -> np.ndarray:
        x = 2 * centre + rng.normal(size=(k, 64)) / np.sqrt(np.arange(1, 65))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    runs = np.array([mean_embedding_distance(draw(120), draw(80)) for _ in range(200)])
    assert runs[:, 0].mean() == pytest.approx(runs[:, 1].mean(), rel=0.05)
    assert runs[:, 0].std() == pytest.approx(runs[:, 2].mean(), rel=0.2)
    assert mean_embedding_distance(draw(5), draw(0))[0] == 1.0
    far = mean_embedding_distance(draw(50), -draw(50))[0]
    assert 0.5 < far <= 1.0  # opposite mean directions (the means are shorter than unit length)


@pytest.fixture(scope="module")
def bbc(tmp_path_factory):
    from tests.checks.fidelity.text_cases import bbc_split

    return bbc_split(), tmp_path_factory.getbasetemp() / "bbc-text-embeddings"


@pytest.mark.xdist_group("bbc-text-split")  # one worker embeds the split once (text_cases)
def test_texts_are_compared_inside_each_group_and_a_swapped_topic_fails(bbc):
    from tests.checks.fidelity.text_cases import swap_topic, text_context

    (real, holdout, synth), cache = bbc
    clean = GroupFidelityCheck().run(text_context(real, synth, holdout, cache, sensitive=["topic"]))
    assert clean.status is Status.PASS, clean.summary
    assert clean.columns["sentence"] == "text (embeddings), compared inside groups"
    swapped = GroupFidelityCheck().run(text_context(real, swap_topic(synth), holdout, cache, sensitive=["topic"]))
    assert swapped.status is Status.FAIL, swapped.summary
    assert "topic = 'sports'" in swapped.summary and "mean-embedding" in swapped.summary
