from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.artefacts.ngram_table import NgramTable, ngram_hashes, word_hashes
from synthaudit.artefacts.tree_features import TreeFeatures
from synthaudit.checks.fidelity.detection import DetectionCheck
from synthaudit.data.roles import Role
from synthaudit.result import Status
from synthaudit.stats.auc import auc_standard_error, roc_auc
from synthaudit.stats.importance import permutation_drops
from synthaudit.testing import check_contract
from tests.checks.fidelity.text_cases import bbc_split, shuffle_words, text_context
from tests.conftest import make_context, shift_marginal

SIZES = {"real": 3000, "holdout": 1500, "synth": 1500}


def shuffle_each_column(synth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Every column drawn independently from its own marginal: the joint structure is destroyed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: synth[c].to_numpy()[rng.permutation(len(synth))] for c in synth.columns})


def test_detection_keeps_the_check_contract():
    result = check_contract(DetectionCheck)
    assert result.status is Status.PASS
    assert result.metric("detection_auc").gating


@pytest.mark.parametrize("seed", [1, 2])
def test_detection_passes_on_independent_sample_with_holdout(adult_split, seed):
    real, holdout, synth = adult_split(seed, **SIZES)
    result = DetectionCheck().run(make_context(real, synth, holdout, seed=seed, target="income"))
    assert result.status is Status.PASS, result.summary
    metric = result.metric("detection_auc")
    assert abs(metric.value - 0.5) < 0.05
    assert result.evidence == {}  # nothing to point at when the sample passes


def test_detection_passes_on_independent_sample_without_holdout(adult_split):
    real, _, synth = adult_split(3, **SIZES)
    ctx = make_context(real, synth, seed=3)
    assert ctx.reference_kind == "split"
    result = DetectionCheck().run(ctx)
    assert result.status is Status.PASS, result.summary
    assert result.sample_sizes["synthetic_rows"] == result.sample_sizes["reference_rows"] == 1500


def test_detection_fails_when_columns_are_sampled_independently(adult_split):
    real, holdout, synth = adult_split(4, **SIZES)
    result = DetectionCheck().run(make_context(real, shuffle_each_column(synth), holdout, seed=4))
    assert result.status is Status.FAIL, result.summary
    metric = result.metric("detection_auc")
    assert metric.value > metric.threshold > metric.reference_value
    table = result.tables[0]
    assert table.rows, "the table of telling columns must not be empty"
    assert all(row["auc_drop"] > 0 for row in table.rows)
    assert table.rows[0]["column"] in result.summary
    evidence = result.evidence["most_detectable_synthetic_rows"]
    assert 0 < len(evidence) <= 20 and set(evidence) <= set(range(len(synth)))


def test_detection_fails_on_shifted_column_and_names_it(adult_split):
    real, holdout, synth = adult_split(5, **SIZES)
    result = DetectionCheck().run(make_context(real, shift_marginal(synth, "age", 1.0), holdout, seed=5))
    assert result.status is Status.FAIL, result.summary
    assert result.tables[0].rows[0]["column"] == "age"
    assert "'age'" in result.summary
    assert result.figures[0].data["categories"][0] == "age"


def test_detection_caps_rows_unless_full(adult_split):
    real, holdout, synth = adult_split(6, real=1000, holdout=600, synth=600)
    capped = DetectionCheck(DetectionCheck.Params(max_rows_per_side=200)).run(make_context(real, synth, holdout))
    assert capped.sample_sizes["base_rows"] == capped.sample_sizes["synthetic_rows"] == 200
    ctx = make_context(real, synth, holdout)
    ctx.full = True
    full = DetectionCheck(DetectionCheck.Params(max_rows_per_side=200)).run(ctx)
    assert full.sample_sizes["synthetic_rows"] == 600


def test_detection_skips_without_comparable_columns():
    frame = pd.DataFrame({"note": [f"a long free text sentence number {i} about nothing at all" for i in range(60)]})
    result = DetectionCheck().run(make_context(frame, frame))
    assert result.status is Status.SKIPPED
    assert result.skipped_reason


# ----------------------------------------------------------------- metric functions
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.booleans()), min_size=2, max_size=60))
def test_roc_auc_matches_sklearn_and_is_symmetric(pairs):
    from sklearn.metrics import roc_auc_score

    scores = np.array([s for s, _ in pairs])
    labels = np.array([y for _, y in pairs])
    if labels.all() or not labels.any():
        with pytest.raises(ValueError):
            roc_auc(scores, labels)
        return
    value = roc_auc(scores, labels)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(roc_auc_score(labels, scores))
    assert roc_auc(scores, ~labels) == pytest.approx(1.0 - value)
    assert roc_auc(-scores, labels) == pytest.approx(1.0 - value)
    assert roc_auc(np.zeros_like(scores), labels) == 0.5  # uninformative scores
    assert roc_auc(labels.astype(float), labels) == 1.0  # perfect separation


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(2, 5000), st.integers(2, 5000))
def test_auc_standard_error_properties(auc, n_pos, n_neg):
    se = auc_standard_error(auc, n_pos, n_neg)
    assert se >= 0.0
    null = math.sqrt((n_pos + n_neg + 1) / (12 * n_pos * n_neg))
    assert auc_standard_error(0.5, n_pos, n_neg) == pytest.approx(null)
    assert auc_standard_error(min(auc, 0.5), n_pos, n_neg) == pytest.approx(null)  # below 0.5: taken at 0.5
    assert auc_standard_error(1.0, n_pos, n_neg) == pytest.approx(0.0, abs=1e-12)
    # with balanced classes the error shrinks as the AUC moves from 0.5 towards 1
    assert auc_standard_error(auc, n_pos, n_pos) <= auc_standard_error(0.5, n_pos, n_pos) + 1e-12


def test_auc_standard_error_matches_null_spread_of_random_scores():
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(300, bool), np.ones(200, bool)]
    values = [roc_auc(rng.random(500), labels) for _ in range(2000)]
    assert np.std(values) == pytest.approx(auc_standard_error(0.5, 200, 300), rel=0.1)


def test_tree_features_codes_categories_and_keeps_missing_values():
    real = pd.DataFrame(
        {
            "colour": ["red"] * 5 + ["blue"] * 3 + ["green"] * 2 + [None],
            "size": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
            "when": pd.to_datetime(["2020-01-01"] * 10 + [None]),
        }
    )
    roles = {"colour": Role.CATEGORICAL, "size": Role.NUMERIC, "when": Role.DATETIME}
    encoder = TreeFeatures.fit(real, ("colour", "size", "when"), roles, max_categories=2)
    assert encoder.categories == {"colour": ("red", "blue")}
    assert encoder.categorical.tolist() == [True, False, False]
    other = pd.DataFrame({"colour": ["red", "blue", "green", "purple", None], "size": [1.0, np.inf, np.nan, 0, 0]})
    other["when"] = pd.to_datetime(["2020-01-01", None, None, None, None])
    x = encoder.transform(other)
    assert x[:4, 0].tolist() == [0.0, 1.0, 2.0, 2.0]  # rarer and unseen categories share the code k
    assert np.isnan(x[4, 0]) and np.isnan(x[2, 1]) and np.isnan(x[1, 2])
    assert np.isfinite(x[1, 1]) and x[1, 1] > 1e100  # +inf kept as a huge number
    assert x[0, 2] == pd.Timestamp("2020-01-01").timestamp()


def test_permutation_drops_zero_for_ignored_and_large_for_decisive_features():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 3))
    y = x[:, 1] > 0
    drops = permutation_drops(lambda f: f[:, 1], roc_auc, x, y, repeats=4, rng=np.random.default_rng(0))
    assert drops.shape == (3, 4)
    assert np.all(drops[[0, 2]] == 0.0)
    assert np.all(drops[1] > 0.3)


# ----------------------------------------------------------------- text: word order
def test_ngrams_stay_inside_one_text_and_ignore_case_and_punctuation():
    positions, words = word_hashes(pd.Series(["The cat, sat.", None, "the CAT"]))
    assert positions.tolist() == [0, 0, 0, 2, 2]
    assert words[0] == words[3] and words[1] == words[4]
    text, grams = ngram_hashes(positions, words, 2)
    assert text.tolist() == [0, 0, 2]  # no pair across texts 0 and 2
    assert grams[0] == grams[2]
    assert ngram_hashes(positions, words, 3)[0].tolist() == [0]


def test_seen_share_leaves_the_text_itself_out_so_a_copy_scores_like_its_source():
    real = pd.Series(["the cat sat on the mat", "the cat ran off", "a dog sat on the sofa", "a dog sat on the sofa"])
    table = NgramTable.fit(real, 2)
    own = table.seen_share(real)
    # "the cat" is in another text, "cat sat"/"sat on"/"on the"/"the mat": "sat on", "on the" are, two are not.
    assert own.tolist() == pytest.approx([3 / 5, 1 / 3, 1.0, 1.0])
    other = table.seen_share(pd.Series(["the cat sat on the mat", "mat the on sat cat the", "hi", None]))
    assert other[0] == own[0]  # a verbatim copy of a real text gains nothing from its source
    assert other[1] < other[0]  # the same words shuffled: fewer real pairs
    assert np.isnan(other[2]) and np.isnan(other[3])  # no pair to score


@pytest.fixture(scope="module")
def bbc(tmp_path_factory):
    return bbc_split(), tmp_path_factory.getbasetemp() / "bbc-text-embeddings"


@pytest.mark.xdist_group("bbc-text-split")  # one worker embeds the split once (text_cases)
def test_detection_passes_clean_text_and_fails_shuffled_words(bbc):
    (real, holdout, synth), cache = bbc
    clean = DetectionCheck().run(text_context(real, synth, holdout, cache))
    assert clean.status is Status.PASS, clean.summary
    assert clean.columns["sentence"].startswith("text")
    shuffled = DetectionCheck().run(text_context(real, shuffle_words(synth), holdout, cache))
    assert shuffled.status is Status.FAIL, shuffled.summary
    assert "grams seen in other real texts" in shuffled.tables[0].rows[0]["column"]
    assert abs(shuffled.metrics[0].reference_value - 0.5) < 0.1  # the reference pair stays at chance
