"""The seeded row cap of ``--max-rows``: which rows of an input an audit keeps, whoever reads the input.

An input of ``n`` rows with a cap of ``max_rows < n`` keeps ``max_rows`` rows drawn uniformly without
replacement by a generator seeded from the audit seed and the input's label, in file order. The positions
depend only on ``n``, the cap, the seed and the label, so an engine that reads shards on other machines keeps
exactly the rows the local reader keeps, without ever holding the whole input in one place.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from synthaudit.data.loading import LoadedTable

__all__ = ["cap_positions", "cap_rows"]


def cap_positions(n_rows: int, max_rows: int | None, seed: int, label: str) -> np.ndarray | None:
    """The sorted row positions (0-based) kept of an input of ``n_rows`` rows, or ``None`` to keep every row."""
    if max_rows is None or n_rows <= max_rows:
        return None
    stream = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(f"input.max_rows.{label}".encode()),))
    return np.sort(np.random.default_rng(stream).choice(n_rows, size=max_rows, replace=False))


def cap_rows(table: LoadedTable, max_rows: int | None, seed: int) -> LoadedTable:
    """``table`` with only the rows :func:`cap_positions` keeps (its ``n_rows`` still counts every input row)."""
    positions = cap_positions(table.n_rows, max_rows, seed, table.label)
    return table if positions is None else replace(table, frame=table.frame.iloc[positions])
