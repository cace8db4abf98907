"""Execution engines: where the heavy artefacts of an audit are computed.

An audit's checks read everything through the :class:`~synthaudit.context.AuditContext`; the context asks its
engine for the three artefacts that dominate the cost at scale and that can be computed block by block with
an exact merge:

- ``embed_texts``: sentence embeddings of a list of distinct texts (sorted by length);
- ``nearest``: an exact nearest-neighbour search structure over a frame's row vectors;
- ``counts``: a mergeable state (:mod:`synthaudit.engine.states`) folded over row blocks of a frame;
- ``row_keys``, ``semi_join``, ``repeats``: 64-bit keys per row (row fingerprints) computed block by block,
  and the two hash-partitioned joins on them (:mod:`synthaudit.engine.joins`): the rows of one table whose
  key another holds (exact copies), and the rows repeating an earlier row's key (duplicates) — on a frame's
  keys, or on every row of a capped input, read block by block where the engine runs;

and reads inputs with ``load_table``. :class:`~synthaudit.engine.local.LocalEngine` (the default) does all of
it in-process, exactly as the context always did; :class:`~synthaudit.engine.ray_engine.RayEngine` runs it on
a Ray cluster and gives the same numbers (see ``docs/scale-out.md`` for what is distributed and what still
runs on the driver). Engines never change a result: only where the work happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable
from synthaudit.embeddings import TextEmbedder
from synthaudit.errors import InputError

from .joins import KeyTable, RowMatches  # relative: mypy sees the type (the package maps to audit/)
from .states import MergeableState  # relative: mypy sees the type (the package maps to audit/)

__all__ = ["ENGINES", "RAY_INSTALL_HINT", "Engine", "NeighbourSearch", "open_engine"]

ENGINES = ("local", "ray")
"""Engine names accepted by ``--engine`` and ``audit(engine=...)``."""

RAY_INSTALL_HINT = 'pip install "synthaudit-toolkit[ray]"'

T = TypeVar("T")


class NeighbourSearch(Protocol):
    """Exact L2 k-nearest-neighbour search over a fixed set of ``size`` vectors of width ``dim``.

    ``search`` returns ``(distances, indices)``: float64 Euclidean distances, nearest first, ties by ascending
    row number (see :class:`synthaudit.neighbours.ExactNeighbourIndex`, whose answers every engine reproduces).
    """

    size: int
    dim: int

    def search(self, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """``(distances, indices)`` of the ``k`` nearest indexed rows of each query row."""
        ...


class Engine(Protocol):
    """Where the heavy artefacts are computed; every engine gives identical numbers."""

    name: str

    def load_table(
        self, source: Any, *, label: str, encoding: str, max_rows: int | None = None, seed: int = 0
    ) -> LoadedTable:
        """One input table (a file, a directory or glob of shards, or a DataFrame), as the local loader reads it.

        With ``max_rows``, only the rows :func:`synthaudit.data.row_cap.cap_positions` keeps (``n_rows`` still
        counts every row of the input).
        """
        ...

    def embed_texts(
        self, texts: Sequence[str], embedder: TextEmbedder, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Embeddings of ``texts`` (given sorted by length), rows × dimensions, float32, unit length."""
        ...

    def nearest(self, vectors: np.ndarray) -> NeighbourSearch:
        """An exact nearest-neighbour search over ``vectors`` (rows × width)."""
        ...

    def counts(self, frame: pd.DataFrame, make_state: Callable[[], MergeableState[T]]) -> T:
        """``make_state()`` updated with every row block of ``frame``, merged, finalised."""
        ...

    def row_keys(self, frame: pd.DataFrame, key_of: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
        """``key_of`` applied to row blocks of ``frame``, concatenated: one uint64 key per row, in row order.

        ``key_of`` must give each row a key that depends on that row alone (so blocks do not matter).
        """
        ...

    def semi_join(self, left: KeyTable, right: KeyTable, cap: int) -> RowMatches:
        """The rows of ``left`` (keys per row) whose key occurs in ``right``: count and the lowest ``cap``.

        A key table is an array in hand or :class:`~synthaudit.engine.joins.InputKeys`, the keys of a whole
        input computed from its blocks where the engine reads them (never gathered on a Ray driver).
        """
        ...

    def repeats(self, keys: KeyTable, cap: int) -> RowMatches:
        """The rows whose key occurs at an earlier row (``1 − distinct / n`` of them): count, lowest ``cap``."""
        ...

    def describe(self) -> dict[str, Any]:
        """What ran the audit (recorded in ``run_info.engine``)."""
        ...

    def close(self) -> None:
        """Release what the engine started (a local Ray instance is shut down)."""
        ...


def open_engine(name: str = "local", *, address: str | None = None, workers: int | None = None) -> Engine:
    """The engine ``name`` (``local`` or ``ray``), started; call ``close()`` when the audit is done.

    ``ray`` joins the cluster at ``address`` or, without one, starts a private local Ray instance with
    ``workers`` CPUs (default: every CPU of the machine). Bad input (``InputError``): an unknown engine,
    ``address``/``workers`` without ``ray``, ``workers < 1``, or Ray not installed.
    """
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}.")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}.")
    if name == "local":
        if address is not None or workers is not None:
            raise InputError("--ray-address and --workers apply to --engine ray; add --engine ray or drop them.")
        from synthaudit.engine.local import LocalEngine

        return LocalEngine()
    from synthaudit.engine.ray_engine import RayEngine

    return RayEngine.start(address=address, workers=workers)
