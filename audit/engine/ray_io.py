"""Sharded inputs read with Ray Data, into the same table the local loader builds.

A directory or glob of Parquet, CSV or JSON-lines shards (:mod:`synthaudit.data.shards`) is read by
``ray.data.read_parquet`` / ``read_csv`` / ``read_json`` on the cluster's workers, with the local reader's
parse options. Before that, one Ray task per shard runs the local loader's file checks and hashing (suffix,
readability, the streamed encoding check of text files), so bad input fails with the local message and every
shard's SHA-256 is computed where the file is. Each shard's rows then go through the local loader's Arrow →
pandas conversion and are stacked in file-name order: same columns, dtypes, row order and fingerprint as
``--engine local``.

Shards that Ray Data's readers would read differently (gzip, a non-UTF-8 encoding, a stray quote, a ``.json``
array, a chat file, JSON nested deeply enough to crash pyarrow, a Parquet file with a named pandas index) are
read by the local single-file reader, one Ray task per shard. A single file is read by the local loader.

Without ``--max-rows`` the stacked table is collected on the driver: the checks run on pandas frames there.
With ``--max-rows`` (:func:`read_capped`), the whole input never reaches the driver: each shard is read into
the object store by a Ray task, the driver gets each shard's row count, columns and one *representative row*,
draws the kept positions (:func:`synthaudit.data.row_cap.cap_positions`, as the local engine does), and one
Ray task per shard returns only its kept rows. The representative row holds each column's first non-missing
value (missing when the shard has none): stacked with the kept rows and dropped again, it gives every column the
dtype the whole stack would have (pandas takes a concatenation's dtype from the shards whose column is not all
missing), so the capped table equals the local engine's.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from synthaudit.data import loading, source_file, text_readers
from synthaudit.data.chat import MESSAGES_FIELD
from synthaudit.data.loading import LoadedTable, load_table
from synthaudit.data.row_cap import cap_positions, cap_rows, input_files
from synthaudit.data.shards import is_sharded, shards_sha256
from synthaudit.data.whole_input import WholeInput
from synthaudit.errors import InputError

__all__ = ["read_capped", "read_table"]

_PATH = "__synthaudit_path"
_RAY_PATH = "path"
"""The column Ray Data's ``include_paths`` adds: a shard with its own ``path`` column is read locally."""


def _get(ray: Any, refs: Any) -> Any:
    """``ray.get(refs)``; bad input found by a task (an :class:`InputError`) is raised as itself, its message alone.

    Ray wraps a task's exception with the task's traceback (and, for a task fed by a failed task, a note that an
    argument could not be computed); the user is owed the loader's one-line message, as the local engine gives.
    """
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, InputError):
            raise exc.cause from None
        raise


def _inspect(file: str, label: str, encoding: str) -> tuple[str | None, str]:
    """Check and hash one shard as the local loader does; return ``(sha256, how to read it)``.

    ``how`` is ``parquet``, ``csv`` or ``json`` (Ray Data's readers), or ``local`` (the single-file reader).
    """
    src = source_file._check_file(Path(file), file, label, encoding)
    if src.fmt == "parquet":
        digest = hashlib.sha256()
        with open(file, "rb") as handle:
            while chunk := handle.read(loading.CHUNK_SIZE):
                digest.update(chunk)
        try:
            metadata = pq.read_schema(file).metadata or {}
        except (pa.ArrowException, OSError):
            return digest.hexdigest(), "local"  # the local reader words the error
        index = json.loads(metadata.get(b"pandas", b"{}")).get("index_columns", [])
        named_index = any(isinstance(c, str) for c in index)
        return digest.hexdigest(), "local" if named_index or _RAY_PATH in pq.read_schema(file).names else "parquet"
    sha, odd_quotes = loading._scan_text(src)
    if src.compressed or src.codec != "utf-8" or odd_quotes:
        return sha, "local"
    if src.fmt in ("csv", "tsv"):
        with open(file, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, delimiter="\t" if src.fmt == "tsv" else ","), [])
        return sha, "local" if _RAY_PATH in header else "csv"
    if src.fmt == "jsonl" and not text_readers._unsafe_for_pyarrow(src, text_readers.JSON_MAX_DEPTH):
        with open(file, "rb") as handle:  # a chat file needs the local reader's message handling
            text = handle.read()
        if f'"{MESSAGES_FIELD}"'.encode() not in text and f'"{_RAY_PATH}"'.encode() not in text:
            return sha, "json"
    return sha, "local"


def _load_local(file: str, label: str, encoding: str) -> LoadedTable:
    return load_table(file, label=label, encoding=encoding)


def _read_with_ray_data(ray: Any, files: list[str], how: str, fmt: str) -> dict[str, pa.Table]:
    """Every file's rows as one Arrow table, read by Ray Data's reader for ``how``, keyed by absolute path."""
    if how == "parquet":
        dataset = ray.data.read_parquet(files, include_paths=True)
    elif how == "csv":
        dataset = ray.data.read_csv(
            files,
            include_paths=True,
            read_options=pacsv.ReadOptions(block_size=1 << 20),
            parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",", newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
        )
    else:
        dataset = ray.data.read_json(files, include_paths=True, lines=True)
    pieces: dict[str, list[pa.Table]] = {}
    for block in _get(ray, dataset.to_arrow_refs()):
        table = block if isinstance(block, pa.Table) else pa.Table.from_pandas(block, preserve_index=False)
        table = table.rename_columns([_PATH if c == _RAY_PATH else c for c in table.column_names])
        paths = table.column(_PATH).to_pylist()
        for path in dict.fromkeys(paths):
            rows = [i for i, p in enumerate(paths) if p == path]
            piece = table.take(pa.array(rows)).drop_columns([_PATH])
            pieces.setdefault(os.path.abspath(str(path).removeprefix("file://")), []).append(piece)
    return {path: pa.concat_tables(parts, promote_options="default") for path, parts in pieces.items()}


def _to_loaded(table: pa.Table, file: str, label: str, fmt: str, sha: str | None) -> LoadedTable:
    """One shard as the single-file reader would have returned it."""
    src = source_file._Source(Path(file), file, label, fmt, False)
    frame = source_file._table_to_pandas(table, src)
    return loading._finish(frame, src, sha)


def _summary(table: LoadedTable) -> tuple[int, list[str], pd.DataFrame, str | None, str, int, tuple[str, ...]]:
    """A shard's rows, columns, representative row (first non-missing value per column), SHA-256 and kind."""
    frame = table.frame
    first = [frame[c].first_valid_index() for c in frame.columns]
    row = pd.DataFrame(
        {
            c: frame[c].iloc[[0 if i is None else int(i)]].reset_index(drop=True)
            for c, i in zip(frame, first, strict=True)
        }
    )
    return len(frame), list(frame.columns), row, table.sha256, table.format, table.n_columns, table.chat_roles


def _take(table: LoadedTable, positions: np.ndarray) -> pd.DataFrame:
    return table.frame.iloc[positions]


def read_capped(
    ray: Any, files: list[str], *, label: str, shown: str, encoding: str, max_rows: int, seed: int
) -> LoadedTable:
    """The capped rows of a sharded input, taken on the workers; equal to the local engine's capped table."""
    shard_label = f"{label} shard"
    shards = [ray.remote(num_cpus=1)(_load_local).remote(f, shard_label, encoding) for f in files]
    summaries = _get(ray, [ray.remote(num_cpus=1)(_summary).remote(shard) for shard in shards])
    rows, columns, representatives, shas, formats, widths, roles = zip(*summaries, strict=True)
    loading.check_shard_columns(list(columns), files, label)
    total = int(sum(rows))
    positions = cap_positions(total, max_rows, seed, label)
    if positions is None:  # the cap keeps every row: the whole table, as without one
        tables = _get(ray, shards)
        return loading.stack_shards(tables, files, label, shown)
    starts = np.concatenate([[0], np.cumsum(rows)])
    cuts = np.searchsorted(positions, starts)
    take = ray.remote(num_cpus=1)(_take)
    pending = [
        take.remote(shard, positions[cuts[i] : cuts[i + 1]] - starts[i])
        for i, shard in enumerate(shards)
        if cuts[i + 1] > cuts[i]
    ]
    pieces = _get(ray, pending)
    frame = pd.concat([*pieces, *representatives], ignore_index=True).iloc[: len(positions)]
    frame.index = pd.Index(positions, dtype=np.int64)
    sha = shards_sha256([(Path(f).name, h) for f, h in zip(files, shas, strict=True)])
    chat_roles = tuple(dict.fromkeys(role for shard_roles in roles for role in shard_roles))
    whole = WholeInput(label, encoding, total, dict(frame.dtypes.items()), files=tuple(files))
    return LoadedTable(frame, label, shown, sha, formats[0], total, widths[0], chat_roles, whole)


def read_table(
    ray: Any, source: Any, *, label: str, encoding: str, max_rows: int | None = None, seed: int = 0
) -> LoadedTable:
    """``source`` loaded as :func:`synthaudit.data.loading.load_table` loads it, shards read on the cluster.

    Capped to ``max_rows`` as the local engine caps it; a capped sharded input is read by :func:`read_capped`.
    """
    if isinstance(source, pd.DataFrame) or not is_sharded(Path(os.fspath(source))):
        table = load_table(source, label=label, encoding=encoding)
        return cap_rows(table, max_rows, seed, source=source, encoding=encoding)
    shown = os.fspath(source)
    files = list(input_files(shown, label))
    if max_rows is not None:
        return read_capped(ray, files, label=label, shown=shown, encoding=encoding, max_rows=max_rows, seed=seed)
    shard_label = f"{label} shard"
    inspect = ray.remote(num_cpus=1)(_inspect)
    plans = _get(ray, [inspect.remote(f, shard_label, encoding) for f in files])
    fmt = loading._format_of(Path(files[0]))
    fast = [f for f, (_, how) in zip(files, plans, strict=True) if how != "local"]
    read: dict[str, pa.Table] = {}
    if fast:
        try:
            read = _read_with_ray_data(ray, fast, plans[files.index(fast[0])][1], fmt)
        except Exception:  # any reader failure: the local reader reads those shards and words any error
            read = {}
    load_local = ray.remote(num_cpus=1)(_load_local)
    pending = {f: load_local.remote(f, shard_label, encoding) for f in files if os.path.abspath(f) not in read}
    tables: list[LoadedTable] = []
    for file, (sha, _) in zip(files, plans, strict=True):
        if file in pending:
            tables.append(_get(ray, pending[file]))
        else:
            tables.append(_to_loaded(read[os.path.abspath(file)], file, shard_label, fmt, sha))
    return cap_rows(loading.stack_shards(tables, files, label, shown), max_rows, seed)
