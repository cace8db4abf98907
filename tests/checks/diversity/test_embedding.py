from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from synthaudit.artefacts.vector_parts import TABULAR_PART
from synthaudit.checks.diversity.embedding import (
    EmbeddingDiversityCheck,
    _kernel_cosine_distance,
    _kernel_jackknife,
    _mean_cosine_distance,
    _vendi_jackknife,
    cluster_js_distance_se,
    emptied_cluster_share,
    gram_summary,
    js_distance,
    kernel_summary,
    mean_pairwise_cosine_distance,
    vendi_from_gram,
    vendi_score,
)
from synthaudit.context import AuditContext
from synthaudit.embeddings import EmbeddingOptions
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.checks.diversity.test_prdc import bbc_sentences, narrow_slice, text_extra
from tests.conftest import make_context


def test_embedding_keeps_the_check_contract():
    result = check_contract(EmbeddingDiversityCheck)
    assert result.status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_embedding_passes_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed, real=6000, holdout=3000, synth=3000)
    result = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert result.metric("vendi_ratio").value == pytest.approx(1.0, abs=0.1)
    assert result.metric("emptied_cluster_share").value == 0.0


def test_embedding_passes_without_holdout(adult_split):
    real, _, synth = adult_split(4, real=6000, holdout=0, synth=3000)
    result = EmbeddingDiversityCheck().run(make_context(real, synth, seed=4))
    assert result.status is Status.PASS, result.summary
    assert result.sample_sizes[f"{TABULAR_PART}.vendi_rows"] == 3000


def test_embedding_fails_on_a_narrow_slice_of_the_real_data(adult_split):
    real, holdout, pool = adult_split(5, real=6000, holdout=3000, synth=20000)
    result = EmbeddingDiversityCheck().run(make_context(real, narrow_slice(pool, 3000), holdout))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("vendi_ratio").passed is False
    assert result.metric("cluster_js_distance").passed is False
    assert result.metric("emptied_cluster_share").value > 0.1
    assert TABULAR_PART in result.summary


def test_embedding_figures_and_determinism(adult_split):
    real, holdout, synth = adult_split(6, real=3000, holdout=1500, synth=1500)
    first = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, seed=2))
    again = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, seed=2))
    assert first == again
    bars, scatter = first.figures
    assert bars.kind == "bars" and len(bars.data["categories"]) <= first.sample_sizes[f"{TABULAR_PART}.clusters"]
    assert sum(bars.data["series"]["real"]) <= 1.0 + 1e-9
    assert scatter.kind == "scatter"
    for side in ("real", "synthetic"):
        points = scatter.data["series"][side]
        assert len(points["x"]) == len(points["y"]) == 500
    assert first.sample_sizes[f"{TABULAR_PART}.clusters"] == math.isqrt(1500)


def test_embedding_handles_tied_categorical_rows():
    # Fewer distinct rows than clusters: k-means gets duplicate points, some real clusters stay empty.
    rng = np.random.default_rng(0)

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame({"a": rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]), "b": rng.choice(["u", "v"], n)})

    real, holdout, synth = frame(2000), frame(1000), frame(1000)
    clean = EmbeddingDiversityCheck().run(make_context(real, synth, holdout))
    assert clean.status is Status.PASS, clean.summary
    collapsed = EmbeddingDiversityCheck().run(make_context(real, synth.assign(a="x"), holdout))
    assert collapsed.status is Status.FAIL, collapsed.summary


def _unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AuditContext, "embeddings_unavailable", property(lambda self: "text embeddings need X"))


def test_text_parts_skip_with_the_install_hint_when_the_extra_is_missing(adult_split, monkeypatch):
    _unavailable(monkeypatch)
    real, holdout, synth = adult_split(7, real=600, holdout=300, synth=300)
    real, holdout, synth = (f.assign(note=[f"free text {i}" for i in range(len(f))]) for f in (real, holdout, synth))
    mixed = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, text=["note"]))
    assert mixed.status is Status.PASS, mixed.summary
    assert "Not compared: note" in mixed.summary
    assert mixed.tables[1].rows == ({"part": "note", "reason": "text embeddings need X"},)
    text_only = EmbeddingDiversityCheck().run(
        make_context(real[["note"]], synth[["note"]], holdout[["note"]], text=["note"])
    )
    assert text_only.status is Status.SKIPPED
    assert "text embeddings need X" in (text_only.skipped_reason or "")


@text_extra
def test_embedding_on_a_text_column_passes_clean_and_fails_one_topic(tmp_path_factory):
    corpus = bbc_sentences()
    order = np.random.default_rng(0).permutation(len(corpus))
    real = corpus.iloc[order[:400]][["sentence"]].reset_index(drop=True)
    holdout = corpus.iloc[order[400:600]][["sentence"]].reset_index(drop=True)
    rest = corpus.iloc[order[600:]]
    cases = {
        "clean": rest.iloc[:200],
        "clean_again": rest.iloc[200:400],
        "one_topic": rest[rest["topic"] == "sports"].iloc[:200],
    }
    cache = EmbeddingOptions(cache_dir=tmp_path_factory.getbasetemp() / "diversity-embeddings")
    results = {}
    for label, synth in cases.items():
        ctx = make_context(real, synth[["sentence"]].reset_index(drop=True), holdout, text=["sentence"])
        ctx.embedding_options = cache
        results[label] = EmbeddingDiversityCheck().run(ctx)
    for label in ("clean", "clean_again"):
        assert results[label].status is Status.PASS, results[label].summary
    collapsed = results["one_topic"]
    assert collapsed.status is Status.FAIL, collapsed.summary
    assert collapsed.metric("cluster_js_distance").passed is False
    assert collapsed.metric("vendi_ratio").value < collapsed.metric("vendi_ratio").reference_value - 0.1
    assert "'sentence'" in collapsed.summary
    assert collapsed.sample_sizes["sentence.vendi_rows"] == 200


# ----------------------------------------------------------------------------- metric functions
unit_rows = arrays(
    np.float64,
    st.tuples(st.integers(2, 40), st.integers(1, 6)),
    elements=st.floats(-10, 10, allow_nan=False, allow_infinity=False),
).filter(lambda x: np.all(np.linalg.norm(x, axis=1) > 1e-3))


@settings(max_examples=60, deadline=None)
@given(unit_rows)
def test_vendi_in_the_dual_equals_the_kernel_definition(x):
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    eigenvalues = np.clip(np.linalg.eigvalsh(unit @ unit.T / len(unit)), 0, None)
    shares = eigenvalues[eigenvalues > 1e-12] / eigenvalues.sum()
    expected = math.exp(-np.sum(shares * np.log(shares)))
    value = vendi_score(x)
    assert value == pytest.approx(expected, rel=1e-3)
    assert 1.0 - 1e-9 <= value <= x.shape[1] + 1e-9
    assert value == pytest.approx(vendi_score(x[::-1] * 3.0), rel=1e-5)  # row order and length do not matter


def test_vendi_counts_distinct_directions():
    assert vendi_score(np.ones((50, 4))) == pytest.approx(1.0)
    assert vendi_score(np.tile(np.eye(4), (25, 1))) == pytest.approx(4.0)
    assert vendi_score(np.tile(np.eye(4)[:2], (10, 1))) == pytest.approx(2.0)
    assert vendi_from_gram(np.zeros((3, 3))) == 1.0


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 400), elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)),
    st.integers(1, 3000),
    st.sampled_from([np.float32, np.float64]),
)
def test_vendi_of_identical_rows_is_exactly_one(row, n, dtype):
    if not np.any(row.astype(dtype)):
        row = np.ones_like(row)
    x = np.tile(row.astype(dtype), (n, 1))
    assert vendi_score(x) == 1.0
    summary = gram_summary(x, groups=min(n, 20), rng=np.random.default_rng(0)) if n > 1 else gram_summary(x)
    assert summary.total.dtype == np.float64
    assert vendi_from_gram(summary.total) == 1.0
    assert all(vendi_from_gram(summary.total - g) == 1.0 for g in summary.groups if np.trace(summary.total - g) > 0)


def test_vendi_of_many_identical_embeddings_is_exactly_one():
    row = np.random.default_rng(1).normal(size=384).astype(np.float32)
    assert vendi_score(np.broadcast_to(row, (200_000, 384))) == 1.0


def test_embedding_check_gives_identical_rows_vendi_one(adult_split):
    real, holdout, synth = adult_split(8, real=1000, holdout=500, synth=500)
    collapsed = pd.concat([synth.iloc[[0]]] * len(synth), ignore_index=True)
    result = EmbeddingDiversityCheck().run(make_context(real, collapsed, holdout))
    assert result.metric("vendi_score").value == 1.0
    assert result.status is Status.FAIL
    assert result.columns["age"] == "numeric" and result.columns["education"] == "categorical"


@settings(max_examples=60, deadline=None)
@given(unit_rows)
def test_mean_pairwise_cosine_distance_is_exact(x):
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    similarity = unit @ unit.T
    n = len(x)
    expected = 1.0 - (similarity.sum() - np.trace(similarity)) / (n * (n - 1))
    value = mean_pairwise_cosine_distance(x)
    assert value == pytest.approx(expected, abs=1e-5)
    assert 0.0 <= value <= 2.0
    assert mean_pairwise_cosine_distance(np.ones((5, 3))) == pytest.approx(0.0, abs=1e-6)


def test_gram_summary_groups_add_up():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(101, 5))
    whole = gram_summary(x)
    grouped = gram_summary(x, groups=7, rng=rng)
    assert np.allclose(grouped.total, whole.total, atol=1e-4)
    assert np.allclose(grouped.groups.sum(axis=0), grouped.total)
    assert grouped.rows == 101 and sorted(grouped.counts) == [14, 14, 14, 14, 15, 15, 15]
    with pytest.raises(ValueError, match="rng"):
        gram_summary(x, groups=2)


count_vectors = st.integers(1, 12).flatmap(
    lambda k: st.tuples(
        arrays(np.int64, k, elements=st.integers(0, 50)), arrays(np.int64, k, elements=st.integers(0, 50))
    )
)


@settings(max_examples=100, deadline=None)
@given(count_vectors)
def test_js_distance_properties(pair):
    from scipy.spatial.distance import jensenshannon

    p, q = pair
    value = js_distance(p, q)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(js_distance(q, p))
    assert js_distance(p, p * 3) == pytest.approx(0.0, abs=1e-7)
    if p.sum() > 0 and q.sum() > 0:
        assert value == pytest.approx(jensenshannon(p, q, base=2), abs=1e-7)


def test_js_distance_extremes_and_null_error():
    assert js_distance(np.array([5, 0]), np.array([0, 7])) == pytest.approx(1.0)
    assert js_distance(np.array([0, 0]), np.array([1, 1])) == 1.0
    assert js_distance(np.array([0, 0]), np.array([0, 0])) == 0.0
    assert cluster_js_distance_se(1000, 1000) == pytest.approx(math.sqrt(0.002 / (8 * math.log(2))))
    assert cluster_js_distance_se(0, 10) == 0.0


def test_cluster_js_distance_standard_error_matches_simulation():
    # Two multinomial samples against one base: the spread of the distance difference stays under the SE.
    rng = np.random.default_rng(0)
    shares = rng.dirichlet(np.ones(30))
    base = rng.multinomial(2000, shares)
    gaps = [
        js_distance(base, rng.multinomial(1000, shares)) - js_distance(base, rng.multinomial(1000, shares))
        for _ in range(400)
    ]
    se = cluster_js_distance_se(2000, 1000)
    assert 0.6 * se < np.std(gaps) <= 1.05 * se


def test_emptied_cluster_share():
    base = np.array([500, 300, 150, 40, 10])
    assert emptied_cluster_share(base, base) == (0.0, 0, 4)  # the 10-row cluster expects < 20 rows
    assert emptied_cluster_share(base, np.array([500, 300, 5, 0, 0])) == (0.5, 2, 4)
    assert emptied_cluster_share(np.zeros(3), np.ones(3)) == (0.0, 0, 0)


# ----------------------------------------------------------------------------- width: Vendi in the dual
def test_kernel_summary_gives_the_primal_vendi_jackknife_and_spread():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(240, 40)).astype(np.float32)
    x[:60] = x[0]  # some repeated rows
    primal = gram_summary(x, groups=20, rng=np.random.default_rng(9))
    dual = kernel_summary(x, groups=20, rng=np.random.default_rng(9))
    assert np.array_equal(np.sort(dual.labels), np.sort(np.arange(240) % 20))
    assert _kernel_jackknife(dual) == pytest.approx(_vendi_jackknife(primal), rel=1e-9)
    assert _kernel_cosine_distance(dual) == pytest.approx(_mean_cosine_distance(primal), abs=1e-12)
    few = x[:15]  # fewer rows than groups: empty groups count in the jackknife on both sides
    assert _kernel_jackknife(kernel_summary(few, 20, np.random.default_rng(2))) == pytest.approx(
        _vendi_jackknife(gram_summary(few, 20, np.random.default_rng(2))), rel=1e-9
    )
    identical = np.tile(rng.normal(size=(1, 5000)), (80, 1)).astype(np.float32)
    assert vendi_from_gram(kernel_summary(identical).kernel) == 1.0
    with pytest.raises(ValueError, match="rng"):
        kernel_summary(x, groups=2)


def _wide_frames(columns: int, rows: int, seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(4, columns))
    out = []
    for n in (rows, rows // 2, rows // 2):
        latent = rng.normal(size=(n, 4)) @ factors + rng.normal(size=(n, columns))
        frame = pd.DataFrame(latent, columns=[f"x{j}" for j in range(columns)])
        for j in range(0, columns, 5):
            frame[f"x{j}"] = np.where(latent[:, j] > 0, "hi", "lo")
        out.append(frame)
    return out


def test_vendi_is_computed_in_the_dual_past_the_cap_recorded_and_seeded():
    # 1,200 columns (about 1,440 encoded features) over 300 rows: past the default 1,024, so the dual on 150 rows.
    real, holdout, synth = _wide_frames(1200, 300, seed=11)
    first = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, seed=3))
    again = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, seed=3))
    assert first == again
    assert first.status is Status.PASS, first.summary
    row = first.tables[0].rows[0]
    assert row["vendi_row_kernel"] is True and row["vendi_rows"] == 150
    collapsed = pd.concat([synth.iloc[:5]] * 30, ignore_index=True)
    assert EmbeddingDiversityCheck().run(make_context(real, collapsed, holdout, seed=3)).status is Status.FAIL


def test_the_cap_samples_rows_when_the_encoding_is_wider_than_it(adult_split):
    real, holdout, synth = adult_split(6, real=3000, holdout=1500, synth=1500)
    capped = EmbeddingDiversityCheck(EmbeddingDiversityCheck.Params(max_gram_side=80))
    result = capped.run(make_context(real, synth, holdout, seed=2))
    assert result.status is Status.PASS, result.summary
    assert result.sample_sizes[f"{TABULAR_PART}.vendi_rows"] == 80
    assert result.tables[0].rows[0]["vendi_row_kernel"] is True
    assert result == capped.run(make_context(real, synth, holdout, seed=2))
    default = EmbeddingDiversityCheck().run(make_context(real, synth, holdout, seed=2))
    assert default.tables[0].rows[0]["vendi_row_kernel"] is False
    assert default.sample_sizes[f"{TABULAR_PART}.vendi_rows"] == 1500
