"""The Ray engine: shards read by Ray Data, embeddings by an actor pool, exact k-NN over index shards on actors.

What runs on the cluster (every number identical to the local engine's):

- **inputs**: directories/globs of Parquet, CSV and JSON-lines shards (:mod:`synthaudit.engine.ray_io`);
- **text embeddings**: ``map_batches`` over an actor pool, the model loaded once per actor; the distinct texts
  arrive sorted by length and are cut into the batches the local embedder would encode (so every text is
  encoded in the same batch, with the same padding), each batch cached on disk by its content hash;
- **nearest neighbours**: the indexed rows cut into contiguous shards, one exact faiss index per shard held by
  an actor; each query block is put once in the object store and searched against every shard, and the
  per-shard top-k are merged exactly (:mod:`synthaudit.engine.sharding`);
- **mergeable counts**: one state per row block in a Ray task, merged on the driver in block order;
- **row keys and joins on them** (exact copies, duplicates): row fingerprints computed per row block in Ray
  tasks; for a join, map tasks split each block of keys into partitions by ``key mod partitions`` and one
  reduce task per partition answers it (:mod:`synthaudit.engine.joins`) — a hash-partitioned shuffle: the
  driver gets counts and the lowest row numbers as evidence, never a key set. For an input capped by
  ``--max-rows``, the joins over *every* row read each shard in its map task and fingerprint it there: the
  whole input's rows and keys never reach the driver.

Everything else (alignment, encodings, the checks themselves, model fitting) runs on the driver over pandas
frames; ``docs/scale-out.md`` says what that means for size.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable
from synthaudit.embeddings import EmbeddingOptions, TextEmbedder
from synthaudit.engine.local import BLOCK_ROWS, row_blocks
from synthaudit.engine.ray_io import _get
from synthaudit.engine.sharding import exact_squared, merge_topk, shard_bounds
from synthaudit.errors import InputError
from synthaudit.neighbours import ExactNeighbourIndex, search_arguments

from .joins import (  # relative: mypy sees the types (the package maps to audit/)
    InputKeys,
    KeyPart,
    KeyTable,
    PartAnswer,
    RowMatches,
    merge_matches,
    partition_keys,
    repeats_part,
    semi_join_part,
    shifted,
)
from .states import MergeableState, merge_pairwise  # relative: mypy sees the type (the package maps to audit/)

__all__ = ["KEY_BLOCK", "QUERY_BLOCK", "SHARD_ROWS", "RayEngine", "ShardedNeighbourIndex"]

SHARD_ROWS = 4_000_000
"""Most indexed rows per shard: more rows than ``workers × SHARD_ROWS`` get more shards than workers."""
QUERY_BLOCK = 65_536
"""Query rows sent to every shard at once."""
KEY_BLOCK = 1 << 20
"""Row keys per map task of a hash-partitioned join (8 MiB of uint64 keys)."""

T = TypeVar("T")


def _install_hint() -> str:
    from synthaudit.engine import RAY_INSTALL_HINT

    return RAY_INSTALL_HINT


class _ShardSearcher:
    """One shard of the indexed rows, held by an actor: its exact index and the vectors for re-ranking."""

    def __init__(self, vectors: np.ndarray, offset: int) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.offset = offset
        self.index = ExactNeighbourIndex(self.vectors)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The shard's exact ``k`` nearest: ``(distances, row numbers in the whole table, squared distances)``."""
        distances, indices = self.index.search(queries, k)
        squared = exact_squared(self.vectors, np.asarray(queries, dtype=np.float32), indices)
        return distances, indices + self.offset, squared


class ShardedNeighbourIndex:
    """Exact L2 search over rows split into shards held by Ray actors; answers as one ExactNeighbourIndex.

    Memory: each actor holds its shard twice (the float32 vectors and faiss's flat copy), ``2 × 4 × rows ×
    dim`` bytes; the driver holds the query blocks and, per block, its ``shards × k`` candidates until merged.
    CPU: the actors reserve no CPU (two indexes are alive at once during an audit; actors holding a CPU each
    would wait for one another), so at most ``parallel`` shard searches are in flight at a time: ``--workers``
    bounds the cores the search uses.
    """

    def __init__(self, ray: Any, vectors: np.ndarray, shards: int, parallel: int | None = None) -> None:
        self._ray = ray
        self.parallel = max(1, parallel if parallel is not None else shards)
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        self.size, self.dim = data.shape
        # Index actors hold memory, not a CPU: with num_cpus=1 the shards of a second index would wait forever
        # for the first's CPUs. SPREAD puts the shards of one index on different nodes.
        actor = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(_ShardSearcher)
        self.bounds = shard_bounds(self.size, shards)
        self.actors = [actor.remote(data[a:b], a) for a, b in self.bounds]

    def search(self, queries: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """``(distances, indices)`` of the ``k`` nearest indexed rows of each query row, exact."""
        q, k = search_arguments(queries, k, self.dim, self.size)
        if k <= 0 or len(q) == 0:
            return np.zeros((len(q), max(k, 0)), dtype=np.float64), np.zeros((len(q), max(k, 0)), dtype=np.int64)
        starts = range(0, len(q), QUERY_BLOCK)
        block_refs = [self._ray.put(q[start : start + QUERY_BLOCK]) for start in starts]
        pending = [(b, s) for b in range(len(block_refs)) for s in range(len(self.actors))]  # block by block
        answers: dict[int, dict[int, Any]] = {b: {} for b in range(len(block_refs))}
        merged: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        in_flight: dict[Any, tuple[int, int]] = {}
        while pending or in_flight:
            while pending and len(in_flight) < self.parallel:
                b, s = pending.pop(0)
                in_flight[self.actors[s].search.remote(block_refs[b], k)] = (b, s)
            done, _ = self._ray.wait(list(in_flight), num_returns=1)
            for ref in done:
                b, s = in_flight.pop(ref)
                answers[b][s] = self._ray.get(ref)
                if len(answers[b]) == len(self.actors):  # every shard answered: merge (shard order) and free
                    merged[b] = merge_topk([answers[b][i] for i in range(len(self.actors))], k)
                    del answers[b]
        ordered = [merged[b] for b in range(len(block_refs))]
        return np.vstack([m[0] for m in ordered]), np.vstack([m[1] for m in ordered])

    def close(self) -> None:
        """Kill the shard actors (their memory is released)."""
        for actor in self.actors:
            self._ray.kill(actor)
        self.actors = []


class _Embedder:
    """A map_batches actor: loads the model once and embeds one length-sorted batch of texts per row."""

    def __init__(self, options: EmbeddingOptions) -> None:
        self.embedder = TextEmbedder(options)

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        vectors = [self.embedder.embed(list(texts)) for texts in batch["texts"]]
        return pd.DataFrame(
            {
                "chunk": batch["chunk"].to_numpy(),
                "rows": [len(v) for v in vectors],
                "width": [v.shape[1] for v in vectors],
                "vectors": [np.ascontiguousarray(v, dtype=np.float32).tobytes() for v in vectors],
            }
        )


def _keys_of_block(key_of: Callable[[pd.DataFrame], np.ndarray], block: pd.DataFrame) -> np.ndarray:
    return np.asarray(key_of(block), dtype=np.uint64)


def _partition(source: Any, parts: int) -> tuple[Any, ...]:
    """A map task: one block's keys split into ``parts`` partitions, then the block's row count.

    ``source`` is the block's keys, or ``(key_of, frame block)``, or ``(InputKeys, block number)`` — a shard the
    task reads itself. Row numbers in the pieces are within the block; reduce tasks shift them.
    """
    if isinstance(source, np.ndarray):
        keys = source
    elif isinstance(source[0], InputKeys):
        keys = source[0].keys_of_block(source[1])
    else:
        keys = np.asarray(source[0](source[1]), dtype=np.uint64)
    return (*partition_keys(keys, 0, parts), len(keys))


def _semi_join_reduce(cap: int, left_offsets: tuple[int, ...], *pieces: KeyPart) -> PartAnswer:
    """A reduce task: one partition's left pieces (one per left block, first) joined with its right pieces."""
    left = shifted(pieces[: len(left_offsets)], left_offsets)
    return semi_join_part(left, pieces[len(left_offsets) :], cap)


def _repeats_reduce(cap: int, offsets: tuple[int, ...], *pieces: KeyPart) -> PartAnswer:
    """A reduce task: the repeated keys of one partition (row numbers shifted to the whole table's)."""
    return repeats_part(shifted(pieces, offsets), cap)


def _offsets(rows: Sequence[int]) -> tuple[int, ...]:
    """Each block's first row number in its table, from the blocks' row counts."""
    return tuple(int(o) for o in np.cumsum([0, *rows[:-1]])) if rows else ()


def _map_sources(table: KeyTable) -> list[Any]:
    """What each map task of a key table gets: key slices, frame blocks with the key function, or shard numbers."""
    if not isinstance(table, InputKeys):
        keys = np.asarray(table, dtype=np.uint64)
        return [keys[start : start + KEY_BLOCK] for start in range(0, len(keys), KEY_BLOCK)]
    if table.whole.frame is not None:  # the caller's frame is on the driver already: ship blocks, not all of it
        return [(table.key_of, table.whole.block(i)) for i in range(table.whole.blocks)]
    return [(table, i) for i in range(table.whole.blocks)]


def _update_state(make_state: Callable[[], MergeableState[Any]], block: pd.DataFrame) -> MergeableState[Any]:
    return make_state().update(block)


class RayEngine:
    """The audit's heavy artefacts on a Ray cluster (see the module docstring for what is distributed)."""

    name = "ray"

    def __init__(self, ray: Any, *, workers: int, address: str | None, owns_ray: bool, temp_dir: str | None) -> None:
        self._ray = ray
        self.workers = workers
        self.address = address
        self._owns_ray = owns_ray
        self._temp_dir = temp_dir
        self._indexes: list[ShardedNeighbourIndex] = []

    @classmethod
    def start(cls, *, address: str | None = None, workers: int | None = None) -> RayEngine:
        """Join the cluster at ``address``, reuse this process's Ray, or start a private local instance.

        A local instance gets ``workers`` CPUs (default: all), registers its node as 127.0.0.1 (Ray's servers
        still bind every interface), sends no usage statistics, keeps its logs in a temporary directory removed
        at :meth:`close`, and prints nothing.
        """
        try:
            import ray
            import ray.data
        except ImportError:
            raise InputError(f"--engine ray needs Ray, which is not installed: {_install_hint()}") from None
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        for name in ("ray", "ray.data", "ray._private"):
            logging.getLogger(name).setLevel(logging.ERROR)
        quiet: dict[str, Any] = {"log_to_driver": False, "configure_logging": False, "logging_level": logging.ERROR}
        owns, temp_dir = False, None
        if ray.is_initialized():
            pass  # the caller runs Ray already (a notebook, a test fixture): use it, leave it running
        elif address is not None:
            try:
                ray.init(address=address, **quiet)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise InputError(f"cannot join the Ray cluster at --ray-address {address!r}: {exc}") from None
            owns = True
        else:
            temp_dir = tempfile.mkdtemp(prefix="synthaudit-ray-")
            ray.init(
                num_cpus=workers or os.cpu_count() or 1,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                _temp_dir=temp_dir,
                **quiet,
            )
            owns = True
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        return cls(ray, workers=workers or max(1, cpus), address=address, owns_ray=owns, temp_dir=temp_dir)

    # ------------------------------------------------------------ the engine protocol
    def load_table(
        self, source: Any, *, label: str, encoding: str, max_rows: int | None = None, seed: int = 0
    ) -> LoadedTable:
        """Shards read on the cluster (:mod:`synthaudit.engine.ray_io`); single files and frames locally.

        With ``max_rows``, a sharded input's capped rows are taken from each shard on the workers and only they
        reach the driver.
        """
        from synthaudit.engine.ray_io import read_table

        return read_table(self._ray, source, label=label, encoding=encoding, max_rows=max_rows, seed=seed)

    def embed_texts(
        self, texts: Sequence[str], embedder: TextEmbedder, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Embeddings by an actor pool, one row per batch of ``batch_size`` texts (the local engine's batches)."""
        size = embedder.options.batch_size
        items = [{"chunk": i, "texts": list(texts[s : s + size])} for i, s in enumerate(range(0, len(texts), size))]
        if not items:
            return np.zeros((0, embedder.dimension), dtype=np.float32)
        dataset = self._ray.data.from_items(items, override_num_blocks=min(len(items), 4 * self.workers))
        embedded = dataset.map_batches(
            _Embedder,
            fn_constructor_kwargs={"options": embedder.options},
            batch_size=1,
            batch_format="pandas",
            compute=self._ray.data.ActorPoolStrategy(size=min(self.workers, len(items))),
            num_cpus=1,
        ).to_pandas()
        embedded = embedded.sort_values("chunk")
        parts = [
            np.frombuffer(blob, dtype=np.float32).reshape(rows, width)
            for blob, rows, width in zip(embedded["vectors"], embedded["rows"], embedded["width"], strict=True)
        ]
        if progress is not None:
            progress(len(texts), len(texts))
        return np.vstack(parts)

    def nearest(self, vectors: np.ndarray) -> ShardedNeighbourIndex | ExactNeighbourIndex:
        """Exact search over shards held by actors, ``workers`` searches at a time.

        Shards: ``workers``, or more when a shard would pass ``SHARD_ROWS`` rows — then a multiple of ``workers``,
        so every wave of ``workers`` searches is the same size.
        """
        if len(vectors) < 2:
            return ExactNeighbourIndex(vectors)  # nothing to split
        waves = math.ceil(len(vectors) / (SHARD_ROWS * self.workers))
        index = ShardedNeighbourIndex(self._ray, vectors, self.workers * waves, parallel=self.workers)
        self._indexes.append(index)
        return index

    def counts(self, frame: pd.DataFrame, make_state: Callable[[], MergeableState[T]]) -> T:
        """One state per row block (a Ray task each), merged pairwise in block order (as locally), finalised."""
        update = self._ray.remote(num_cpus=1)(_update_state)
        states = self._ray.get([update.remote(make_state, block) for block in row_blocks(frame, BLOCK_ROWS)])
        return (merge_pairwise(states) if states else make_state()).finalise()

    def row_keys(self, frame: pd.DataFrame, key_of: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
        """``key_of`` on each row block of ``frame`` (a Ray task each), concatenated in row order."""
        task = self._ray.remote(num_cpus=1)(_keys_of_block)
        keys = self._ray.get([task.remote(key_of, block) for block in row_blocks(frame, BLOCK_ROWS)])
        return np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)

    def _shuffle(self, tables: Sequence[KeyTable]) -> tuple[int, list[list[list[Any]]], list[list[int]]]:
        """Map tasks split every block of every key table into partitions.

        Returns ``(partitions, refs[table][partition][block], rows[table][block])``: the driver gets only each
        block's row count (from which a block's first row number in its table follows).
        """
        parts = max(1, 2 * self.workers)
        partition = self._ray.remote(num_cpus=1)(_partition).options(num_returns=parts + 1)
        refs: list[list[list[Any]]] = []
        counts: list[list[Any]] = []
        for table in tables:  # every table's map tasks are submitted before any count is awaited
            per_part: list[list[Any]] = [[] for _ in range(parts)]
            table_counts = []
            for source in _map_sources(table):
                answer = partition.remote(source, parts)
                for part in range(parts):
                    per_part[part].append(answer[part])
                table_counts.append(answer[parts])
            refs.append(per_part)
            counts.append(table_counts)
        sizes = [[int(n) for n in _get(self._ray, table_counts)] for table_counts in counts]
        return parts, refs, sizes

    def semi_join(self, left: KeyTable, right: KeyTable, cap: int) -> RowMatches:
        """Hash-partitioned: both key tables shuffled into partitions, one reduce task joins each.

        A whole input's keys are computed in the map tasks, one per shard: no key set reaches the driver.
        """
        parts, (lefts, rights), (left_rows, _) = self._shuffle([left, right])
        reduce = self._ray.remote(num_cpus=1)(_semi_join_reduce)
        answers = [reduce.remote(cap, _offsets(left_rows), *lefts[p], *rights[p]) for p in range(parts)]
        return merge_matches(self._ray.get(answers), sum(left_rows), cap)

    def repeats(self, keys: KeyTable, cap: int) -> RowMatches:
        """Hash-partitioned: the keys shuffled into partitions, one reduce task counts each one's repeats."""
        parts, (pieces,), (rows,) = self._shuffle([keys])
        reduce = self._ray.remote(num_cpus=1)(_repeats_reduce)
        answers = [reduce.remote(cap, _offsets(rows), *pieces[p]) for p in range(parts)]
        return merge_matches(self._ray.get(answers), sum(rows), cap)

    def describe(self) -> dict[str, Any]:
        """Engine name, workers, cluster address and Ray version (``run_info.engine``)."""
        return {
            "name": self.name,
            "workers": self.workers,
            "address": self.address or ("local (started for this audit)" if self._owns_ray else "this process's"),
            "ray_version": self._ray.__version__,
        }

    def close(self) -> None:
        """Kill the index actors; shut down a Ray instance this engine started and remove its logs."""
        for index in self._indexes:
            index.close()
        self._indexes = []
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
