"""Real embeddings from the offline all-MiniLM-L6-v2 package (installed by the test set-up)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.embeddings import EmbeddingOptions, TextEmbedder, embeddings_unavailable_reason, probable_device
from synthaudit.errors import InputError
from tests.conftest import make_context

pytestmark = pytest.mark.skipif(
    embeddings_unavailable_reason(EmbeddingOptions()) is not None, reason="the text extra is not installed"
)

TEXTS = ["The cat sat on the mat.", "A cat is sitting on a mat.", "Stock markets fell sharply on Monday."]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    return TextEmbedder(EmbeddingOptions(cache_dir=tmp_path_factory.mktemp("cache") / "emb"))


def test_embeddings_are_normalised_and_meaningful(embedder):
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_cache_is_private_and_hit_on_second_call(embedder):
    first = embedder.embed(TEXTS[:2])
    hits = embedder.cache_hits
    second = embedder.embed(TEXTS[:2])
    assert embedder.cache_hits == hits + 1
    assert np.array_equal(first, second)
    cache_dir = embedder.options.cache_dir
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in cache_dir.iterdir())


def test_no_cache_writes_nothing(tmp_path):
    embedder = TextEmbedder(EmbeddingOptions(cache_dir=None))
    embedder.embed(TEXTS[:1])
    assert embedder.cache_misses == 1 and not any(tmp_path.iterdir())


def test_missing_local_model_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="never downloaded"):
        TextEmbedder(EmbeddingOptions(model=str(tmp_path / "nope"))).embed(TEXTS[:1])


def test_context_embeds_text_columns_once(tmp_path):
    real = pd.DataFrame({"text": [f"sentence number {i} about the weather today" for i in range(30)], "n": range(30)})
    synth = real.copy()
    ctx = make_context(real, synth, text=["text"])
    ctx.embedding_options = EmbeddingOptions(cache_dir=None)
    rows, vectors = ctx.text_embeddings("text", "synthetic")
    assert len(rows) == 30 and vectors.shape == (30, 384)
    assert ctx.text_embeddings("text", "synthetic")[1] is vectors


def test_cache_hit_loads_no_model(tmp_path):
    options = EmbeddingOptions(cache_dir=tmp_path / "emb")
    first = TextEmbedder(options).embed(TEXTS)
    fresh = TextEmbedder(options)
    again = fresh.embed(TEXTS)
    assert fresh.cache_hits == 1 and fresh._model is None
    assert np.array_equal(first, again)


def test_damaged_cache_file_is_recomputed(tmp_path):
    options = EmbeddingOptions(cache_dir=tmp_path / "emb")
    embedder = TextEmbedder(options)
    first = embedder.embed(TEXTS[:2])
    (cache_file,) = (tmp_path / "emb").iterdir()
    cache_file.write_bytes(b"not an array")
    fresh = TextEmbedder(options)
    assert np.allclose(fresh.embed(TEXTS[:2]), first, atol=1e-5)
    assert fresh.cache_misses == 1 and fresh.encoded_texts == 2


def test_probed_device_is_the_models(embedder):
    # the cache key of a hit is built with the probe, the key of a write with the loaded model's device
    assert probable_device() == embedder.device
