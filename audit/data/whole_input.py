"""The whole of a capped input: where its every row can be read again, block by block, without the cap.

``--max-rows`` keeps a seeded sample of an input for the checks (:mod:`synthaudit.data.row_cap`), but a few
answers are exact counts over *every* row and cheap enough to compute block by block: the synthetic rows that
copy a real row and the synthetic rows that repeat one (row-fingerprint joins, :mod:`synthaudit.engine.joins`).
A :class:`WholeInput` says where those rows are — the shard files (a single file is one shard) or the
caller's DataFrame — and the dtypes the stacked table gave each column, so that every block is typed as the
whole table would be typed (a shard whose column holds only integers reads as ``int64``, while the stack of
all shards may be ``float64`` or ``object``). Engines read the blocks where they run: the local engine one
after another in this process, the Ray engine one task per shard, so the whole input is never held in one
place.

Blocks are numbered in input order; block ``i``'s rows follow block ``i − 1``'s, so row ``r`` of block ``i``
is input row ``offset_i + r`` — the row numbers the capped table keeps as its index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["FRAME_BLOCK_ROWS", "WholeInput"]

FRAME_BLOCK_ROWS = 1 << 20
"""Rows per block of an in-memory (DataFrame) input."""


@dataclass(frozen=True)
class WholeInput:
    """Every row of one input, readable block by block (shard files, or row blocks of a frame).

    ``files`` are the shard paths in input order (one path for a single file) and ``frame`` is ``None``; or
    ``frame`` is the caller's DataFrame (already loaded: the audit holds it anyway) and ``files`` is empty.
    ``dtypes`` are the column dtypes of the whole (stacked) table; ``n_rows`` counts every row.
    """

    label: str
    encoding: str
    n_rows: int
    dtypes: dict[str, Any]
    files: tuple[str, ...] = ()
    frame: pd.DataFrame | None = None

    @property
    def blocks(self) -> int:
        """How many blocks :meth:`block` reads."""
        if self.frame is not None:
            return max(1, -(-len(self.frame) // FRAME_BLOCK_ROWS))
        return len(self.files)

    def block(self, i: int) -> pd.DataFrame:
        """Block ``i`` (0-based) with the whole table's column dtypes and a 0-based ``RangeIndex``.

        A shard is read by the single-file loader with its checks, so a file changed into bad input since the
        audit began fails with the loader's message.
        """
        if self.frame is not None:
            raw = self.frame.iloc[i * FRAME_BLOCK_ROWS : (i + 1) * FRAME_BLOCK_ROWS]
        else:
            from synthaudit.data.loading import load_table  # the loader imports this module's users

            raw = load_table(self.files[i], label=f"{self.label} shard", encoding=self.encoding).frame
        typed = pd.DataFrame(
            {c: raw[c] if raw[c].dtype == dtype else raw[c].astype(dtype) for c, dtype in self.dtypes.items()}
        )
        typed.index = pd.RangeIndex(len(typed))
        return typed
