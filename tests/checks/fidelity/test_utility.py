from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.check import Need
from synthaudit.checks.fidelity.utility import UtilityCheck, weighted_auc, weighted_macro_f1, weighted_r2
from synthaudit.result import Status
from synthaudit.runner import run_checks
from synthaudit.stats.models import (
    balanced_accuracy,
    describe_share_collapse,
    predicted_share_ratio,
    prediction_spread_ratio,
)
from synthaudit.testing import check_contract
from tests.conftest import ADULT, make_context

SIZES = {"real": 3000, "holdout": 2000, "synth": 1500}


@pytest.fixture(scope="module")
def adult_example():
    """The bundled example (real, SDV GaussianCopula synthetic, holdout), capped by a seeded sample for speed."""
    frames = [pd.read_csv(ADULT / f"{name}.csv", engine="pyarrow") for name in ("real", "synthetic", "holdout")]
    sizes = (8000, 8000, 4000)
    return [f.sample(n, random_state=0).reset_index(drop=True) for f, n in zip(frames, sizes, strict=True)]


def make_positives_rare(frame: pd.DataFrame, keep: float, seed: int = 0) -> pd.DataFrame:
    """Turn all but a share ``keep`` of the ``>50K`` outcomes into ``<=50K``, at random: the ranking survives
    (P(>50K | x) is scaled down), but a model of it hardly ever predicts ``>50K``."""
    out = frame.copy()
    rows = np.flatnonzero((out["income"] == ">50K").to_numpy())
    rng = np.random.default_rng(seed)
    out.loc[out.index[rng.choice(rows, size=round((1 - keep) * len(rows)), replace=False)], "income"] = "<=50K"
    return out


def shuffle_column(frame: pd.DataFrame, column: str, seed: int = 0) -> pd.DataFrame:
    """The relation between ``column`` and every other column destroyed; its marginal kept."""
    out = frame.copy()
    out[column] = out[column].to_numpy()[np.random.default_rng(seed).permutation(len(out))]
    return out


def test_utility_keeps_the_check_contract():
    result = check_contract(UtilityCheck)  # the clean sample has target "label" and a holdout
    assert result.status is Status.PASS
    assert result.metric("tstr_minus_trtr").reference_value == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_utility_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed, **SIZES)
    result = UtilityCheck().run(make_context(real, synth, holdout, seed=seed, target="income"))
    assert result.status is Status.PASS, result.summary
    assert ">50K" in result.metric("tstr_score").description  # positive label inferred as the rarer class
    assert result.metric("trtr_score").value > 0.85  # income is predictable from the other columns
    # a smaller synthetic set is no handicap: both models train on as many rows
    assert result.sample_sizes["train_rows_per_model"] == 1500
    share = result.metric("predicted_class_share_ratio")
    assert share.gating and share.passed and share.reference_value == 1.0 and share.standard_error > 0
    assert share.threshold == pytest.approx(0.5)  # the floor: a class predicted less than half as often
    assert result.metric("tstr_balanced_accuracy").value > 0.7
    # the columns the models used, and the target
    assert result.columns["income"] == "target"
    assert set(result.columns) == set(real.columns)
    assert result.columns["age"] == "feature (numeric)" and result.columns["sex"] == "feature (categorical)"


def test_utility_fails_when_target_labels_are_shuffled(adult_split):
    real, holdout, synth = adult_split(4, **SIZES)
    result = UtilityCheck().run(make_context(real, shuffle_column(synth, "income"), holdout, seed=4, target="income"))
    assert result.status is Status.FAIL, result.summary
    gap = result.metric("tstr_minus_trtr")
    assert gap.value < gap.threshold < 0.0
    assert result.metric("tstr_score").value == pytest.approx(0.5, abs=0.06)
    assert result.metric("relative_utility").value < 0.3


def test_utility_is_skipped_by_the_runner_without_holdout(adult_split):
    real, _, synth = adult_split(5, **SIZES)
    assert UtilityCheck.needs == frozenset({Need.TARGET, Need.HOLDOUT})
    results, _ = run_checks({UtilityCheck.name: UtilityCheck}, {}, make_context(real, synth, target="income"))
    assert results[0].status is Status.SKIPPED
    assert "holdout" in results[0].skipped_reason


def test_utility_regression_target(adult_split):
    real, holdout, synth = adult_split(6, **SIZES)
    clean = UtilityCheck().run(make_context(real, synth, holdout, target="age"))
    assert clean.status is Status.PASS, clean.summary
    assert "R²" in clean.metric("tstr_minus_trtr").description
    broken = UtilityCheck().run(make_context(real, shuffle_column(synth, "age"), holdout, target="age"))
    assert broken.status is Status.FAIL, broken.summary


def test_utility_multiclass_target(adult_split):
    real, holdout, synth = adult_split(7, real=1500, holdout=1000, synth=1000)
    check = UtilityCheck(UtilityCheck.Params(max_iter=30))  # k classes cost k trees an iteration
    clean = check.run(make_context(real, synth, holdout, target="relationship"))
    assert clean.status is Status.PASS, clean.summary
    assert "macro-F1" in clean.metric("tstr_minus_trtr").description
    assert clean.metric("relative_utility").value > 0.5  # chance: always the real majority class
    broken = check.run(make_context(real, shuffle_column(synth, "relationship"), holdout, target="relationship"))
    assert broken.status is Status.FAIL, broken.summary


def test_utility_importance_table_and_rank_correlation(adult_split):
    real, holdout, synth = adult_split(8, **SIZES)
    result = UtilityCheck().run(make_context(real, synth, holdout, seed=8, target="income"))
    table = result.tables[0]
    assert {row["column"] for row in table.rows} == set(real.columns) - {"income"}
    gaps = [abs(row["difference"]) for row in table.rows]
    assert gaps == sorted(gaps, reverse=True)
    assert result.metric("importance_rank_correlation").value > 0.3


def test_utility_constant_synthetic_target_scores_chance(adult_split):
    real, holdout, synth = adult_split(9, **SIZES)
    synth = synth.assign(income="<=50K")
    result = UtilityCheck().run(make_context(real, synth, holdout, target="income"))
    assert result.status is Status.FAIL
    assert result.metric("tstr_score").value == 0.5
    share = result.metric("predicted_class_share_ratio")
    assert share.value == 0.0 and share.passed is False
    assert "degenerate" in result.summary and "a single class, '<=50K'" in result.summary
    assert result.metric("tstr_balanced_accuracy").value == 0.5


# ----------------------------------------------------------------- degenerate synthetic-trained models
def test_utility_fails_on_the_bundled_adult_example_naming_the_collapsed_model(adult_example):
    """The SDV GaussianCopula sample trains a model that hardly ever predicts >50K (issue: a PASS must mean
    something): the share ratio names it, beside the real-trained model's share."""
    real, synth, holdout = adult_example
    result = UtilityCheck().run(make_context(real, synth, holdout, target="income", sensitive=["sex", "race"]))
    assert result.status is Status.FAIL, result.summary
    share = result.metric("predicted_class_share_ratio")
    assert share.gating and share.passed is False
    assert share.value < 0.1  # Adult: about 0.02 (>50K: 0.4 % of holdout rows vs 20 % for the real-trained model)
    assert share.threshold == pytest.approx(0.5)
    assert result.summary.startswith("The synthetic-trained model is degenerate: it predicts '>50K' for ")
    assert "the real-trained model for" in result.summary
    accuracy = result.metric("tstr_balanced_accuracy")
    assert accuracy.value == pytest.approx(0.5, abs=0.02) and accuracy.reference_value > 0.7
    table = next(t for t in result.tables if t.name == "predicted_classes")
    assert table.rows[0]["class"] == ">50K" and table.rows[0]["predicted_share_synthetic_model"] < 0.02
    assert set(result.columns) == set(real.columns) and result.columns["income"] == "target"


def test_utility_fails_a_collapsed_model_whose_ranking_survives(adult_split):
    """Most >50K labels turned negative at random: the ranking (AUC) barely moves, but the model trained on it
    predicts >50K for a small fraction of the rows the real-trained one does. Only the share ratio sees it."""
    real, holdout, synth = adult_split(10, real=6000, holdout=3000, synth=6000)
    result = UtilityCheck().run(make_context(real, make_positives_rare(synth, 0.35), holdout, seed=10, target="income"))
    assert result.metric("tstr_minus_trtr").passed, result.summary  # the AUC gate alone would pass it
    share = result.metric("predicted_class_share_ratio")
    assert share.passed is False and share.value < 0.25, result.summary
    assert result.status is Status.FAIL
    assert "'>50K'" in result.summary


def test_utility_fails_a_constant_regression_model(adult_split):
    real, holdout, synth = adult_split(11, **SIZES)
    result = UtilityCheck().run(make_context(real, synth.assign(age=40), holdout, seed=11, target="age"))
    assert result.status is Status.FAIL
    spread = result.metric("prediction_spread_ratio")
    assert spread.gating and spread.value == 0.0 and spread.passed is False and spread.reference_value == 1.0
    assert "predicts a constant" in result.summary
    clean = UtilityCheck().run(make_context(real, synth, holdout, seed=11, target="age"))
    assert clean.metric("prediction_spread_ratio").passed and clean.status is Status.PASS, clean.summary


# ----------------------------------------------------------------- collapse statistics (synthaudit.stats.models)
@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true", "ignore:A single label was found")
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40))
def test_balanced_accuracy_matches_sklearn(rows):
    from sklearn.metrics import balanced_accuracy_score

    predicted, truth, counts = (np.array(v) for v in zip(*rows, strict=True))
    if counts.sum() == 0:
        return
    value = balanced_accuracy(predicted, truth, counts[None, :], 4)[0]
    expected = balanced_accuracy_score(truth, predicted, sample_weight=counts)
    assert value == pytest.approx(expected)
    present = np.unique(truth[counts > 0])
    one_class = np.full_like(truth, present[0])  # a model that predicts one class of the truth
    assert balanced_accuracy(one_class, truth, counts[None, :], 4)[0] == pytest.approx(1 / len(present))


def test_predicted_share_ratio_of_a_one_class_model_is_zero():
    rng = np.random.default_rng(0)
    reference = (rng.random(1000) < 0.3).astype(int)
    weights = rng.poisson(1.0, size=(50, 1000))
    same = predicted_share_ratio(reference, reference, 2, weights, min_reference_rows=30)
    assert same is not None and same.value == 1.0 and same.standard_error == 0.0
    one_class = predicted_share_ratio(np.zeros(1000, dtype=int), reference, 2, weights, min_reference_rows=30)
    assert one_class is not None and one_class.value == 0.0 and one_class.dominant == 0
    assert one_class.candidate_shares == (1.0, 0.0) and one_class.reference_share == pytest.approx(0.3, abs=0.03)
    # a reference that itself predicts one class leaves nothing to compare
    assert predicted_share_ratio(reference, np.zeros(1000, dtype=int), 2, weights, min_reference_rows=30) is None
    # several models a side: pooled shares, and their spread adds training noise
    halved = np.vstack([np.where(rng.random(1000) < 0.5, 0, reference) for _ in range(4)])
    pooled = predicted_share_ratio(halved, np.vstack([reference] * 4), 2, weights, min_reference_rows=30)
    assert pooled is not None and pooled.value == pytest.approx(0.5, abs=0.08) and pooled.se_training > 0
    # one model a side: the binomial approximation of the training noise
    single = predicted_share_ratio(halved[0], reference, 2, weights, min_reference_rows=30, training_rows=(500, 500))
    assert single is not None and single.se_training > 0 and single.standard_error > single.se_rows


def test_predicted_share_ratio_measures_collapse_onto_one_class_not_swaps_between_others():
    rng = np.random.default_rng(2)
    reference = rng.choice(4, size=2000, p=[0.5, 0.2, 0.2, 0.1])
    weights = rng.poisson(1.0, size=(50, 2000))
    swapped = np.where(reference == 1, 2, np.where(reference == 2, 1, reference))  # minority classes swapped
    assert predicted_share_ratio(swapped, reference, 4, weights, min_reference_rows=30).value == 1.0
    collapsed = np.where(rng.random(2000) < 0.8, 0, reference)  # 80 % of the rows moved to the majority class
    ratio = predicted_share_ratio(collapsed, reference, 4, weights, min_reference_rows=30)
    assert ratio.dominant == 0 and ratio.value == pytest.approx(0.2, abs=0.03)
    text = describe_share_collapse(ratio, "abcd", candidate="it", reference="the reference")
    assert text.startswith("it predicts a class other than 'a' for ")
    assert text.endswith(f"the reference for {ratio.reference_share:.1%}")


def test_prediction_spread_ratio():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=500)
    weights = rng.poisson(1.0, size=(50, 500))
    assert prediction_spread_ratio(2 * reference, reference, weights).value == pytest.approx(2.0)
    constant = prediction_spread_ratio(np.full(500, 3.0), reference, weights)
    assert constant is not None and constant.value == 0.0 and constant.candidate_sd == 0.0
    assert prediction_spread_ratio(reference, np.full(500, 3.0), weights) is None


# ----------------------------------------------------------------- weighted scores
@st.composite
def scored_rows(draw):
    n = draw(st.integers(2, 40))
    scores = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, -3.0, 7.5]), min_size=n, max_size=n))
    labels = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    counts = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return np.array(scores), np.array(labels), np.array(counts)


@settings(max_examples=60, deadline=None)
@given(scored_rows())
def test_weighted_auc_equals_auc_of_the_resampled_data(rows):
    from sklearn.metrics import roc_auc_score

    scores, labels, counts = rows
    value = weighted_auc(scores, labels, counts[None, :])[0]
    repeated_labels = np.repeat(labels, counts)
    if repeated_labels.all() or not repeated_labels.any():
        assert np.isnan(value)  # a resample without both classes has no AUC (dropped from the SE)
        return
    assert value == pytest.approx(roc_auc_score(repeated_labels, np.repeat(scores, counts)))
    assert 0.0 <= value <= 1.0
    assert weighted_auc(-scores, labels, counts[None, :])[0] == pytest.approx(1.0 - value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40))
def test_weighted_macro_f1_matches_sklearn(rows):
    from sklearn.metrics import f1_score

    predicted, truth, counts = (np.array(v) for v in zip(*rows, strict=True))
    if counts.sum() == 0:
        return
    value = weighted_macro_f1(predicted, truth, counts[None, :], 4)[0]
    rep_truth, rep_pred = np.repeat(truth, counts), np.repeat(predicted, counts)
    expected = f1_score(rep_truth, rep_pred, labels=np.unique(rep_truth), average="macro", zero_division=0)
    assert value == pytest.approx(expected)
    assert weighted_macro_f1(truth, truth, counts[None, :], 4)[0] == 1.0  # perfect predictions


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100), st.integers(1, 3)), min_size=3, max_size=40),
)
def test_weighted_r2_matches_sklearn(rows):
    from sklearn.metrics import r2_score

    predicted, truth, counts = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    value = weighted_r2(predicted, truth, counts[None, :])[0]
    if np.ptp(truth) < 1e-3:
        return
    assert value == pytest.approx(r2_score(truth, predicted, sample_weight=counts), abs=1e-6)
    assert value <= 1.0
    assert weighted_r2(truth, truth, counts[None, :])[0] == pytest.approx(1.0)


def test_weighted_scores_are_vectorised_over_resamples():
    rng = np.random.default_rng(0)
    scores, labels = rng.random(50), rng.random(50) < 0.4
    weights = rng.integers(0, 3, size=(7, 50))
    together = weighted_auc(scores, labels, weights)
    one_by_one = [weighted_auc(scores, labels, w[None, :])[0] for w in weights]
    assert together == pytest.approx(one_by_one)


# ----------------------------------------------------------------- text: the model sees the text
@pytest.fixture(scope="module")
def bbc(tmp_path_factory):
    from tests.checks.fidelity.text_cases import bbc_split

    return bbc_split(), tmp_path_factory.getbasetemp() / "bbc-text-embeddings"


@pytest.mark.xdist_group("bbc-text-split")  # one worker embeds the split once (text_cases)
def test_utility_learns_from_text_and_fails_labels_that_no_longer_match_it(bbc):
    from tests.checks.fidelity.text_cases import noisy_labels, text_context

    (real, holdout, synth), cache = bbc
    clean = UtilityCheck().run(text_context(real, synth, holdout, cache, target="topic"))
    assert clean.status is Status.PASS, clean.summary
    assert clean.columns["sentence"].startswith("feature (text")
    assert clean.metrics[1].reference_value > 0.6  # the topic is learnt from the text alone
    assert clean.tables[0].rows[0]["column"] == "sentence" and clean.tables[0].rows[0]["role"] == "text"
    noisy = UtilityCheck().run(text_context(real, noisy_labels(synth, 0.5), holdout, cache, target="topic"))
    assert noisy.status is Status.FAIL, noisy.summary


def _weak_target(n: int, seed: int, signal: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    logit = -1.0 + signal * x[:, 0]
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": rng.choice(list("pqr"), n), "label": label})


def test_utility_skips_when_a_model_that_learnt_nothing_would_pass():
    """A target the features barely predict: shuffled synthetic labels scored a vacuous pass (fail below -0.29)."""
    real, holdout = _weak_target(600, 0, 0.15), _weak_target(600, 1, 0.15)
    shuffled = shuffle_column(_weak_target(600, 2, 0.15), "label")
    result = UtilityCheck().run(make_context(real, shuffled, holdout, target="label"))
    assert result.status is Status.SKIPPED
    assert "uninformed model" in (result.skipped_reason or "")
    # With a signal the real-trained model shows, the same shuffle is measured and fails.
    real, holdout = _weak_target(600, 0, 2.0), _weak_target(600, 1, 2.0)
    clean = UtilityCheck().run(make_context(real, _weak_target(600, 2, 2.0), holdout, target="label"))
    assert clean.status is Status.PASS, clean.summary
    shuffled = shuffle_column(_weak_target(600, 2, 2.0), "label")
    assert UtilityCheck().run(make_context(real, shuffled, holdout, target="label")).status is Status.FAIL


def test_utility_skips_a_binary_target_with_too_few_rows_of_a_class():
    """40 real rows with 5 positives: a clean sample failed (AUC 0.23 vs 0.88) on training noise alone."""
    real, holdout, synth = _weak_target(40, 0, 2.0), _weak_target(30, 1, 2.0), _weak_target(40, 2, 2.0)
    real["label"] = ["yes" if i < 5 else "no" for i in range(len(real))]
    result = UtilityCheck().run(make_context(real, synth, holdout, target="label"))
    assert result.status is Status.SKIPPED
    assert "only 5 rows of a class" in (result.skipped_reason or "")


def _noise_target_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A real-like table of 18 columns and a target ('churn', 20 % 'yes') that none of them predicts."""
    age = rng.integers(18, 80, n)
    exp = np.maximum(0, age - 18 - rng.integers(0, 12, n))
    price = rng.lognormal(4, 0.9, n)
    disc = price * (1 - rng.choice([0, 0.1, 0.2, 0.5], n, p=[0.6, 0.2, 0.15, 0.05]))
    amount = np.where(rng.random(n) < 0.9, 0, rng.lognormal(7, 1, n)).round()
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    zips = np.array([f"{z:05d}" for z in rng.integers(1000, 3000, n)], dtype=object)
    zips[rng.random(n) < 0.02] = "?"
    money = np.array([f"{v:,.2f}" for v in rng.lognormal(8, 1.5, n)], dtype=object)
    money[rng.random(n) < 0.03] = "-"
    pct = np.array([f"{v:.1f}%" for v in rng.beta(2, 5, n) * 100], dtype=object)
    grade = np.array([str(g) for g in rng.choice([1, 2, 3, 4, 5], n, p=[0.1, 0.2, 0.4, 0.2, 0.1])], dtype=object)
    grade[rng.random(n) < 0.01] = "N/A"
    year = rng.choice(np.arange(1990, 2021), n)
    version = rng.choice(["1.2", "1.10", "2.0", "2.1"], n)
    lo = rng.normal(10, 2, n)
    hi = lo + rng.gamma(2, 1, n)
    mid = (lo + hi) / 2 + rng.normal(0, 0.01, n)
    return pd.DataFrame(
        {
            "age": age,
            "years_experience": exp,
            "price": price.round(2),
            "discounted": disc.round(2),
            "capital_gain": amount,
            "start": start.strftime("%Y-%m-%d"),
            "end": end.strftime("%Y-%m-%d"),
            "zip": zips,
            "balance": money,
            "rate": pct,
            "grade": grade,
            "year": year,
            "version": version,
            "low": lo.round(3),
            "mid": mid.round(3),
            "high": hi.round(3),
            "sex": rng.choice(["Male", "Female"], n),
            "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "churn": rng.choice(["yes", "no"], n, p=[0.2, 0.8]),
        }
    )


def test_utility_skips_a_target_nothing_predicts_even_when_the_noise_models_differ_in_class_shares():
    """Three clean samples, a target independent of every column: both models learnt noise, and their predicted
    shares of 'yes' differ by training noise alone (3.3 % vs 12.3 %), which the collapse ratio's holdout bootstrap
    leaves out: it failed this clean sample ("degenerate"); the real-trained model at chance skips the check."""
    rng = np.random.default_rng(100)
    real, synth, holdout = (_noise_target_table(300, rng) for _ in range(3))
    result = UtilityCheck().run(make_context(real, synth, holdout, target="churn"))
    assert result.status is Status.SKIPPED, result.summary
    assert "uninformed model" in (result.skipped_reason or "")
