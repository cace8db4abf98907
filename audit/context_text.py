"""The context's text artefacts: embeddings, classifier features, n-gram tables, MinHash signatures, statistics.

:class:`TextArtefacts` is a mixin of :class:`synthaudit.context.AuditContext` (it holds no state of its own):
each accessor builds its artefact once per audit through the context's ``shared`` cache and returns it, so the
checks ask for text artefacts the way they ask for the row encoding. Split from ``context.py`` to keep each
module readable in one sitting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.minhash import ShingleKind, TextSignatures
from synthaudit.artefacts.ngram_table import ORDER_NGRAMS, TABLE_ROWS, NgramTable, order_features
from synthaudit.artefacts.text_features import TextProjection, text_lengths
from synthaudit.artefacts.text_stats import Vocabulary, text_statistics
from synthaudit.data.alignment import AlignedData
from synthaudit.embeddings import EmbeddingOptions, TextEmbedder, embeddings_unavailable_reason
from synthaudit.engine import Engine

__all__ = ["EMBEDDING_SAMPLE_ROWS", "TEXT_COMPONENTS", "TextArtefacts"]

EMBEDDING_SAMPLE_ROWS = 50_000
"""Texts embedded per frame and column unless ``--full`` (a seeded sample, recorded by the checks)."""

TEXT_COMPONENTS = 16
"""Principal components of a text column's embedding that classifier tests see."""


class TextArtefacts:
    """Text accessors of the audit context (a mixin: the state lives on :class:`~synthaudit.context.AuditContext`)."""

    data: AlignedData
    full: bool
    engine: Engine
    embedding_options: EmbeddingOptions
    _embedder: TextEmbedder | None
    _text_store: dict[str, np.ndarray]
    _signatures: dict[tuple[str, str, str, int], TextSignatures]

    # what the context provides
    @property
    def holdout(self) -> pd.DataFrame | None:  # noqa: D102
        raise NotImplementedError

    def frame(self, key: str) -> pd.DataFrame:  # noqa: D102
        raise NotImplementedError

    def rng(self, stream: str) -> np.random.Generator:  # noqa: D102
        raise NotImplementedError

    def sample_rows(self, frame: pd.DataFrame, n: int, stream: str) -> pd.DataFrame:  # noqa: D102
        raise NotImplementedError

    def shared(self, key: str, factory: Callable[[], Any]) -> Any:  # noqa: D102
        raise NotImplementedError

    def _emit(self, event: str, payload: dict[str, Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ text artefacts
    def embed_texts(self, texts: list[str], *, what: str = "") -> np.ndarray:
        """Embeddings of ``texts`` (rows × dimensions, float32, unit length), each distinct text once per audit.

        New texts are embedded in batches of similar length (sorted by length) and cached on disk across audits.
        """
        new = sorted({t for t in texts if t not in self._text_store}, key=lambda t: (len(t), t))
        if new:

            def report(done: int, total: int) -> None:
                self._emit("embedding", {"what": what, "done": done, "total": total})

            vectors = self.engine.embed_texts(new, self.embedder, report)
            self._text_store.update(zip(new, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.vstack([self._text_store[t] for t in texts]).astype(np.float32, copy=False)

    def text_features(self, column: str, key: str) -> np.ndarray:
        """``column`` of frame ``key`` as classifier features (rows × (components + 2)), NaN where missing.

        The leading principal components of its embedding, then its log length in characters and in words.
        The components are fitted on the pooled rows of every input (a seeded sample past
        ``FIT_ROWS``), never on one side alone: rows a projection was fitted on spread more along it than
        rows it never saw, which a classifier would pick up as a difference between the sides.
        """

        def projection() -> TextProjection:
            sources = [f for f in ("real", "synthetic", "holdout") if f != "holdout" or self.holdout is not None]
            vectors = np.vstack(
                [self.text_vectors(column, f)[self.frame(f)[column].notna().to_numpy()] for f in sources]
            )
            return TextProjection.fit(vectors, TEXT_COMPONENTS, self.rng(f"context.text_projection.{column}"))

        def compute() -> np.ndarray:
            fitted: TextProjection = self.shared(f"context.text_projection.{column}", projection)
            values = self.frame(key)[column]
            present = values.notna().to_numpy()
            return np.hstack([fitted.transform(self.text_vectors(column, key), present), text_lengths(values)])

        return self.shared(f"context.text_features.{column}.{key}", compute)

    def text_order_features(self, column: str, key: str) -> np.ndarray:
        """``column`` of frame ``key`` as word-order features (rows × 2): shares of word pairs and triples seen.

        Each text's share of its distinct word bigrams, then trigrams, that occur in another text of the base
        real rows (one occurrence of the text itself left out; see ``synthaudit.artefacts.ngram_table``); NaN
        for missing or too short texts. The tables are built once per audit from the base rows (a seeded
        sample past ``TABLE_ROWS`` unless ``--full``).
        """

        def tables() -> tuple[NgramTable, ...]:
            values = self.frame("base")[column].dropna()
            if not self.full:
                values = self.sample_rows(values.to_frame(), TABLE_ROWS, f"context.ngram_table.{column}")[column]
            return tuple(NgramTable.fit(values, n) for n in ORDER_NGRAMS)

        def compute() -> np.ndarray:
            fitted: tuple[NgramTable, ...] = self.shared(f"context.ngram_tables.{column}", tables)
            return order_features(fitted, self.frame(key)[column])

        return self.shared(f"context.text_order_features.{column}.{key}", compute)

    def text_vectors(self, column: str, key: str) -> np.ndarray:
        """One embedding per row of frame ``key`` for ``column`` (zeros where the text is missing)."""

        def compute() -> np.ndarray:
            values = self.frame(key)[column]
            present = values.notna().to_numpy()
            vectors = self.embed_texts(values[present].astype(str).tolist(), what=f"{column} ({key})")
            out = np.zeros((len(values), vectors.shape[1] if len(vectors) else self.embedder.dimension), np.float32)
            out[present] = vectors
            return out

        return self.shared(f"context.text_vectors.{column}.{key}", compute)

    @property
    def embeddings_unavailable(self) -> str | None:
        """Why text embeddings cannot be computed (with the install command), or ``None``."""
        return embeddings_unavailable_reason(self.embedding_options)

    @property
    def embedder(self) -> TextEmbedder:
        """The shared text embedder (model loaded on first use)."""
        if self._embedder is None:
            self._embedder = TextEmbedder(self.embedding_options)
        return self._embedder

    def text_embeddings(self, column: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(row numbers, vectors)`` of the non-missing texts of ``column`` in frame ``key``.

        At most :data:`EMBEDDING_SAMPLE_ROWS` texts (a seeded sample) unless ``--full``; vectors are
        L2-normalised float32, computed once per audit and cached on disk across audits.
        """

        def compute() -> tuple[np.ndarray, np.ndarray]:
            texts = self.frame(key)[column].dropna().astype(str)
            if not self.full:
                texts = self.sample_rows(texts.to_frame(), EMBEDDING_SAMPLE_ROWS, f"embeddings.{key}")[column]

            vectors = self.embed_texts(texts.tolist(), what=f"{column} ({key})")
            return texts.index.to_numpy(), vectors

        return self.shared(f"embeddings.{column}.{key}", compute)

    def text_signatures(
        self, column: str, key: str, *, kind: ShingleKind = "char", width: int = 5, num_perm: int = 128
    ) -> TextSignatures:
        """MinHash signatures of the non-missing texts of ``column`` in frame ``key`` (the one MinHash).

        Computed once per column, frame and shingling for every text of the frame (each distinct normalised
        text once); a request for fewer permutations gets the leading ones (the hash family is a counter).
        """
        cache_key = (column, key, kind, width)
        cached = self._signatures.get(cache_key)
        if cached is None or cached.signatures.shape[1] < num_perm:
            self._emit("artefact", {"what": "minhash", "column": column, "frame": key})
            cached = TextSignatures.build(self.frame(key)[column], kind, width, num_perm)
            self._signatures[cache_key] = cached
        if cached.signatures.shape[1] == num_perm:
            return cached
        return TextSignatures(cached.rows, cached.normalised, cached.signatures[:, :num_perm])

    def text_statistics(self, column: str, key: str) -> pd.DataFrame:
        """Per-text length and vocabulary statistics of ``column`` in frame ``key`` (rows like the frame).

        Vocabulary statistics are measured against the base (real) texts, leaving a base text's own tokens
        out when ``key`` is the base (see :mod:`synthaudit.artefacts.text_stats`). Computed once per audit.
        """

        def compute() -> pd.DataFrame:
            vocabulary: Vocabulary = self.shared(
                f"context.vocabulary.{column}", lambda: Vocabulary.fit(self.frame("base")[column])
            )
            return text_statistics(self.frame(key)[column], vocabulary, in_vocabulary=key == "base")

        return self.shared(f"context.text_statistics.{column}.{key}", compute)
