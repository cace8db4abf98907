from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.checks.leakage.exact_copies import ExactCopyCheck, fingerprints_of
from synthaudit.data.roles import Role
from synthaudit.result import Status
from tests.checks.diversity.test_duplicates import text_split
from tests.conftest import inject_exact_copies, make_context


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_copies_pass_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = ExactCopyCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert set(result.columns) == set(real.columns)  # the fingerprint holds every non-identifier column


@pytest.mark.parametrize("with_holdout", [True, False])
def test_exact_copies_fail_on_five_percent_verbatim_copies(adult_split, with_holdout):
    real, holdout, synth = adult_split(9)
    leaky = inject_exact_copies(synth, real, 0.05)
    result = ExactCopyCheck().run(make_context(real, leaky, holdout if with_holdout else None))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("exact_copy_rate_all_rows").value >= 0.05
    assert 0 < len(result.evidence["copied_synthetic_rows"]) <= 20


def test_copies_survive_whitespace_and_float_noise():
    real = pd.DataFrame({"x": [1.0, 2.5, 3.25], "c": ["a", "b", "c"]})
    synth = pd.DataFrame({"x": [1.0 + 1e-12, 2.5, 9.0], "c": [" a", "b ", "c"]})
    roles = {"x": Role.NUMERIC, "c": Role.CATEGORICAL}
    prints_real = row_fingerprints(real, ("x", "c"), roles)
    prints_synth = row_fingerprints(synth, ("x", "c"), roles)
    assert list(np.isin(prints_synth, prints_real)) == [True, True, False]


def test_missing_values_are_equal_for_matching():
    real = pd.DataFrame({"x": [np.nan, 1.0], "c": [None, "b"]})
    synth = pd.DataFrame({"x": [np.nan, 1.0], "c": [None, "z"]})
    roles = {"x": Role.NUMERIC, "c": Role.CATEGORICAL}
    assert list(np.isin(row_fingerprints(synth, ("x", "c"), roles), row_fingerprints(real, ("x", "c"), roles))) == [
        True,
        False,
    ]


def test_text_is_part_of_the_row():
    real = pd.DataFrame({"topic": ["business", "sport"], "body": ["Shares rose today.", "The match ended 2-1."]})
    synth = pd.DataFrame({"topic": ["business", "sport"], "body": ["Shares rose today. ", "Rain stopped play."]})
    roles = {"topic": Role.CATEGORICAL, "body": Role.TEXT}
    prints = row_fingerprints(synth, ("topic", "body"), roles), row_fingerprints(real, ("topic", "body"), roles)
    assert list(np.isin(*prints)) == [True, False]  # same topic, another text: not a copy


def test_skips_when_every_non_identifier_column_is_empty():
    real = pd.DataFrame({"id": np.arange(200), "note": [None] * 200})
    synth = pd.DataFrame({"id": np.arange(1000, 1100), "note": [None] * 100})
    result = ExactCopyCheck().run(make_context(real, synth))
    assert result.status is Status.SKIPPED  # every row alike: a copy rate of 1 on both sides means nothing
    assert "empty" in (result.skipped_reason or "")


def test_copied_rows_with_their_text_fail_on_text_data():
    real, holdout, synth = text_split(3)
    leaky = synth.copy()
    leaky.iloc[:30] = real.iloc[:30].to_numpy()  # a tenth of the synthetic rows repeat a real row, text included
    result = ExactCopyCheck().run(make_context(real, leaky, holdout, seed=3, text=["sentence"]))
    assert result.status is Status.FAIL, result.summary
    assert result.columns == {
        "sentence": "text (verbatim, in the row fingerprint)",
        "topic": "categorical (row fingerprint)",
    }


def test_identifier_replay_is_a_separate_gating_metric(adult_split):
    real, holdout, synth = adult_split(10)
    real = real.assign(person_id=np.arange(len(real)) + 1_000_000)
    holdout = holdout.assign(person_id=np.arange(len(holdout)) + 5_000_000)
    clean = synth.assign(person_id=np.arange(len(synth)) + 9_000_000)
    replayed = synth.assign(person_id=real["person_id"].to_numpy()[: len(synth)])
    ok = ExactCopyCheck().run(make_context(real, clean, holdout))
    assert ok.metric("replayed_identifier_rate").passed is True
    assert ok.status is Status.PASS
    bad = ExactCopyCheck().run(make_context(real, replayed, holdout))
    assert bad.metric("replayed_identifier_rate").passed is False
    assert bad.metric("exact_copy_rate").passed is True  # identifiers are left out of row matching


@pytest.mark.parametrize("with_holdout", [True, False])
def test_fingerprints_of_samples_equal_fingerprinting_them_directly(adult_split, with_holdout):
    real, holdout, synth = adult_split(7, real=3000, holdout=1000, synth=1500)
    ctx = make_context(real, synth, holdout if with_holdout else None)
    columns = tuple(ctx.data.columns)
    source = "holdout" if with_holdout else "real"
    for frame, key in (
        (ctx.synthetic_pair.base, "real"),
        (ctx.synthetic_pair.candidate, "synthetic"),
        (ctx.reference_pair.candidate, source),
        (ctx.synth, "synthetic"),
    ):
        expected = row_fingerprints(frame, columns, ctx.roles)
        np.testing.assert_array_equal(fingerprints_of(ctx, frame, key, columns), expected)
    stranger = synth.set_index(synth.index + 10**9)  # not rows of the real input: fingerprinted directly
    np.testing.assert_array_equal(
        fingerprints_of(ctx, stranger, "real", columns), row_fingerprints(stranger, columns, ctx.roles)
    )


def _records(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 95, n),
            "glucose": np.exp(rng.normal(4.6, 0.25, n)).round(2),
            "sex": rng.choice(["F", "M"], n),
            "diagnosis": rng.choice(list("ABCDEFGH"), n),
        }
    )


@pytest.mark.parametrize(("n", "share"), [(2000, 0.01), (400, 0.05)])
def test_a_few_copies_fail_and_do_not_widen_their_own_margin(n, share):
    """The null spread comes from real rows only: 1 % copies at 2,000 rows, 5 % at 400, passed a pooled margin."""
    real, holdout, synth = _records(n, 0), _records(n // 2, 1), _records(n, 2)
    clean = ExactCopyCheck().run(make_context(real, synth, holdout))
    assert clean.status is Status.PASS, clean.summary
    leaky = inject_exact_copies(synth, real, share)
    result = ExactCopyCheck().run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL, result.summary


def test_natural_collisions_of_coarse_rows_set_the_null_share():
    """Rows of few categories collide in real data too: a clean sample passes, its collisions are the null."""
    rng = np.random.default_rng(0)

    def coarse(n: int) -> pd.DataFrame:
        return pd.DataFrame({"a": rng.choice(list("ab"), n), "b": rng.choice(list("xyz"), n)})

    result = ExactCopyCheck().run(make_context(coarse(500), coarse(500), coarse(250)))
    assert result.status is Status.PASS, result.summary
    assert result.metric("exact_copy_rate").value == 1.0


@pytest.mark.parametrize("with_holdout", [True, False])
def test_capped_inputs_gate_the_copies_over_every_row(adult_split, with_holdout):
    """Under --max-rows a sample sees a copy only when its original was kept too; every row is counted instead."""
    from synthaudit.api import audit

    real, holdout, synth = adult_split(4)
    hold = holdout if with_holdout else None
    clean = audit(real, synth, hold, only=["leakage.exact_copies"], max_rows=1000).checks_list[0]
    assert clean.status is Status.PASS, clean.summary
    assert clean.metric("exact_copy_rate_all_rows").gating
    assert clean.sample_sizes["all_synthetic_rows"] == len(synth) and clean.sample_sizes["synthetic_rows"] <= 1000
    leaky = audit(real, inject_exact_copies(synth, real, 0.02), hold, only=["leakage.exact_copies"], max_rows=1000)
    result = leaky.checks_list[0]
    assert result.status is Status.FAIL, result.summary
    assert result.metric("exact_copy_rate_all_rows").passed is False
    assert result.metric("exact_copy_rate").passed  # the capped samples alone miss them (0.2-0.3 % seen)
    assert result.metric("exact_copy_rate_all_rows").value >= 0.02
    copied = list(result.evidence["copied_synthetic_rows"])  # input row numbers, found outside the kept rows too
    assert len(copied) == 20 and copied == sorted(copied)


def test_uncapped_inputs_keep_the_all_rows_rate_as_information(adult_split):
    real, holdout, synth = adult_split(5)
    result = ExactCopyCheck().run(make_context(real, synth, holdout))
    assert not result.metric("exact_copy_rate_all_rows").gating
