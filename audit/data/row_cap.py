"""The seeded row cap of ``--max-rows``: which rows of an input an audit keeps, whoever reads the input.

An input of ``n`` rows with a cap of ``max_rows < n`` keeps ``max_rows`` rows drawn uniformly without
replacement by a generator seeded from the audit seed and the input's label, in file order. The positions
depend only on ``n``, the cap, the seed and the label, so an engine that reads shards on other machines keeps
exactly the rows the local reader keeps, without ever holding the whole input in one place.

A capped table remembers where its whole input is (:class:`synthaudit.data.whole_input.WholeInput`): the
exact copies and duplicates over every row are counted from it, block by block.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable, _format_of
from synthaudit.data.shards import is_sharded, shard_files
from synthaudit.data.whole_input import WholeInput

__all__ = ["cap_positions", "cap_rows", "input_files"]


def cap_positions(n_rows: int, max_rows: int | None, seed: int, label: str) -> np.ndarray | None:
    """The sorted row positions (0-based) kept of an input of ``n_rows`` rows, or ``None`` to keep every row."""
    if max_rows is None or n_rows <= max_rows:
        return None
    stream = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(f"input.max_rows.{label}".encode()),))
    return np.sort(np.random.default_rng(stream).choice(n_rows, size=max_rows, replace=False))


def input_files(source: str | os.PathLike[str], label: str) -> tuple[str, ...]:
    """The files of an input in reading order: a directory's or glob's shards, or the single file."""
    path = Path(os.fspath(source))
    if is_sharded(path):
        return tuple(str(f) for f in shard_files(path, os.fspath(source), label, _format_of))
    return (os.fspath(source),)


def cap_rows(
    table: LoadedTable, max_rows: int | None, seed: int, *, source: Any = None, encoding: str = "utf-8"
) -> LoadedTable:
    """``table`` with only the rows :func:`cap_positions` keeps (its ``n_rows`` still counts every input row).

    ``source`` (the path or DataFrame ``table`` was read from) makes the capped table remember its whole input
    (``whole``); without it, ``whole`` stays ``None``.
    """
    positions = cap_positions(table.n_rows, max_rows, seed, table.label)
    if positions is None:
        return table
    whole = None
    if source is not None:
        dtypes = dict(table.frame.dtypes.items())
        if isinstance(source, pd.DataFrame):
            whole = WholeInput(table.label, encoding, table.n_rows, dtypes, frame=table.frame)
        else:
            whole = WholeInput(table.label, encoding, table.n_rows, dtypes, files=input_files(source, table.label))
    return replace(table, frame=table.frame.iloc[positions], whole=whole)
