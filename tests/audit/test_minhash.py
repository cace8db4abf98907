"""The one MinHash: normalisation, shingles, signatures (mergeable), band keys, exact Jaccard, the context cache."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.artefacts.minhash import (
    TextSignatures,
    band_keys,
    exact_jaccard,
    normalise_texts,
    permutations,
    set_signature,
    shingle_hashes,
    signatures,
    text_signatures,
)
from tests.conftest import make_context

_hashes = st.lists(st.integers(0, 2**64 - 1), max_size=40).map(lambda v: np.array(v, dtype=np.uint64))


def test_one_normaliser_for_every_text_check():
    texts = ["  Hello,   WORLD!! ", "ﬁne\tdining…", "Don't   stop", "ＦＵＬＬ\twidth_x", "...", ""]
    assert normalise_texts(texts) == ["hello world", "fine dining", "dont stop", "full width x", "", ""]
    assert normalise_texts(pd.Series(texts)) == normalise_texts(texts)
    assert normalise_texts([]) == []


@settings(max_examples=60, deadline=None)
@given(_hashes, _hashes)
def test_set_signatures_merge_by_elementwise_minimum(a, b):
    # signature(A ∪ B) == min(signature(A), signature(B)): per-partition signatures merge exactly.
    union = set_signature(np.concatenate([a, b]), 64)
    assert np.array_equal(union, np.minimum(set_signature(a, 64), set_signature(b, 64)))
    assert np.array_equal(set_signature(np.concatenate([b, a, a]), 64), union)  # order and repeats are irrelevant


def test_hash_family_is_fixed_and_prefix_stable():
    a64, b64 = permutations(64)
    a128, b128 = permutations(128)
    assert np.array_equal(a64, a128[:64]) and np.array_equal(b64, b128[:64])
    assert np.all(a128 & np.uint64(1) == 1)  # odd multipliers
    texts = ["the cat sat on the mat", "a dog"]
    full = text_signatures(texts, num_perm=128)
    assert np.array_equal(text_signatures(texts, num_perm=64), full[:, :64])
    assert np.array_equal(text_signatures(texts, num_perm=128), full)  # no seed from anywhere else


def test_signatures_estimate_jaccard():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    texts = [" ".join(rng.choice(words, 30)) for _ in range(300)]
    edited = [" ".join(t.split()[:-3]) + " red green blue" for t in texts]
    exact = exact_jaccard(texts, edited)
    estimate = (text_signatures(texts, num_perm=128) == text_signatures(edited, num_perm=128)).mean(axis=1)
    assert np.abs(estimate - exact).mean() < 0.05
    assert exact_jaccard(["abcdef"], ["abcdeg"])[0] == pytest.approx(1 / 3)


def test_every_text_has_a_shingle_and_word_shingles_work():
    _, counts = shingle_hashes(["abcdefg", "ab", ""])
    assert counts.tolist() == [3, 1, 1]
    hashes, counts = shingle_hashes(["one two three four five six", "one two"], kind="word", width=5)
    assert counts.tolist() == [2, 1]
    assert signatures(hashes, counts, 16).shape == (2, 16)


def test_band_keys_equal_exactly_when_band_rows_are_equal():
    sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [5, 2, 3, 4]], dtype=np.uint32)
    keys = band_keys(sigs, 2)
    assert keys.shape == (2, 3)
    assert keys[0, 0] == keys[0, 1] != keys[0, 2]
    assert keys[1, 0] == keys[1, 2] != keys[1, 1]


def test_text_signatures_of_a_frame_column_skip_missing_and_sign_duplicates_alike():
    values = pd.Series(["Hello world", None, "hello, WORLD", "other text"], index=[10, 11, 12, 13])
    signed = TextSignatures.build(values, num_perm=32)
    assert signed.rows.tolist() == [10, 12, 13]
    assert signed.normalised.tolist() == ["hello world", "hello world", "other text"]
    assert np.array_equal(signed.signatures[0], signed.signatures[1])
    assert signed.positions(pd.Index([13, 10])).tolist() == [2, 0]
    with pytest.raises(KeyError):
        signed.positions(pd.Index([11]))


def test_context_caches_signatures_per_column_and_frame():
    real = pd.DataFrame({"text": [f"sentence number {i} about things" for i in range(40)]})
    ctx = make_context(real, real.copy(), real.copy(), text=["text"])
    first = ctx.text_signatures("text", "synthetic_candidate", num_perm=64)
    assert ctx.text_signatures("text", "synthetic_candidate", num_perm=128).signatures[:, :64].tolist() == (
        first.signatures.tolist()
    )
    assert ctx.text_signatures("text", "synthetic_candidate", num_perm=64).signatures.shape[1] == 64
    assert ctx.text_signatures("text", "synthetic_candidate") is ctx.text_signatures("text", "synthetic_candidate")


def test_duplicates_and_text_near_duplicates_share_one_set_of_signatures(monkeypatch):
    from synthaudit.artefacts import minhash
    from synthaudit.checks.diversity.duplicates import DuplicateCheck
    from synthaudit.checks.leakage.text_near_duplicates import TextNearDuplicateCheck
    from tests.checks.diversity.test_duplicates import text_split

    built: list[int] = []
    original = minhash.TextSignatures.build.__func__

    def counting(cls, values, kind="char", width=5, num_perm=128):
        built.append(num_perm)
        return original(cls, values, kind, width, num_perm)

    monkeypatch.setattr(minhash.TextSignatures, "build", classmethod(counting))
    real, holdout, synth = text_split(3)
    ctx = make_context(real, synth, holdout, text=["sentence"])
    DuplicateCheck().run(ctx)
    TextNearDuplicateCheck(TextNearDuplicateCheck.Params(use_embeddings=False)).run(ctx)
    # Two candidate frames signed once (128 values) for both checks, plus the real base texts (64) for leakage.
    assert sorted(built) == [64, 128, 128]
