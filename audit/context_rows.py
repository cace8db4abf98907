"""The context's row artefacts: row fingerprints, value counts and the exact joins on every row of an input.

:class:`RowArtefacts` is a mixin of :class:`synthaudit.context.AuditContext` (it holds no state of its own):
each accessor is computed once per audit through the context's ``shared`` cache, by the context's engine.
The joins (exact copies between inputs, repeats within one) cover every row of an input, even one capped by
``--max-rows``: its whole input (:mod:`synthaudit.data.whole_input`) is read again block by block where the
engine runs. Split from ``context.py`` to keep each module readable in one sitting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.fingerprints import input_row_fingerprints, row_fingerprints
from synthaudit.data.roles import Role
from synthaudit.data.whole_input import WholeInput
from synthaudit.engine import Engine
from synthaudit.engine.joins import InputKeys, KeyTable, RowMatches
from synthaudit.engine.states import FrameFingerprints, FrameValueCounts

__all__ = ["RowArtefacts"]


class RowArtefacts:
    """Row accessors of the audit context (a mixin: the state lives on :class:`~synthaudit.context.AuditContext`)."""

    engine: Engine
    whole_inputs: dict[str, WholeInput]

    # what the context provides
    @property
    def roles(self) -> dict[str, Role]:  # noqa: D102
        raise NotImplementedError

    def frame(self, key: str) -> pd.DataFrame:  # noqa: D102
        raise NotImplementedError

    def shared(self, key: str, factory: Callable[[], Any]) -> Any:  # noqa: D102
        raise NotImplementedError

    def row_fingerprint_counts(self, key: str, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct row fingerprints of frame ``key`` on ``columns`` (ascending) and how many rows carry each.

        A mergeable count (:class:`synthaudit.engine.states.FrameFingerprints`), computed per row block by the
        engine; exact copies are the fingerprints two frames share. Computed once per frame and columns.
        """
        cols = tuple(columns)
        return self.shared(
            f"context.fingerprint_counts.{key}.{cols!r}",
            lambda: self.engine.counts(self.frame(key), partial(FrameFingerprints, cols, dict(self.roles))),
        )

    def row_fingerprints(self, key: str, columns: Sequence[str]) -> np.ndarray:
        """One 64-bit fingerprint per row of frame ``key`` on ``columns``, in row order, computed once.

        Equal normalised rows get equal fingerprints (:func:`synthaudit.artefacts.fingerprints.row_fingerprints`:
        trimmed strings, canonical numbers, missing equal); computed by the engine block by block.
        """
        cols = tuple(columns)
        key_of = partial(row_fingerprints, columns=cols, roles=dict(self.roles))
        return self.shared(
            f"context.row_fingerprints.{key}.{cols!r}", lambda: self.engine.row_keys(self.frame(key), key_of)
        )

    def input_rows(self, key: str) -> int:
        """Rows of input ``key`` before any ``--max-rows`` cap (the frame's rows when it was not capped)."""
        whole = self.whole_inputs.get(key)
        return whole.n_rows if whole is not None else len(self.frame(key))

    def _all_row_keys(self, key: str, columns: tuple[str, ...]) -> KeyTable:
        """Fingerprints of every row of input ``key``: the frame's, or, for a capped input, its whole input's."""
        whole = self.whole_inputs.get(key)
        if whole is None:
            return self.row_fingerprints(key, columns)
        return InputKeys(whole, partial(input_row_fingerprints, columns=columns, roles=dict(self.roles)))

    def _input_rows(self, key: str, matches: RowMatches) -> RowMatches:
        """``matches`` with ``first`` as input row numbers (a frame's positions mapped through its index)."""
        if key in self.whole_inputs:
            return matches  # a whole input's positions are its row numbers
        rows = self.frame(key).index[matches.first].to_numpy(dtype=np.int64)
        return RowMatches(matches.count, matches.rows, rows, matches.groups, matches.group_squares)

    def rows_found_in(self, key: str, other: str, columns: Sequence[str], cap: int) -> RowMatches:
        """The rows of input ``key`` whose normalised row (on ``columns``) occurs in input ``other``.

        Every row of both inputs, even when ``--max-rows`` capped them (their whole inputs are read again block
        by block). A hash-partitioned join on row fingerprints run by the engine: the count, the row total and
        the lowest ``cap`` input row numbers (evidence), never the sets. Exact copies of ``other`` in ``key``.
        """
        cols = tuple(columns)
        return self.shared(
            f"context.rows_found_in.{key}.{other}.{cols!r}.{cap}",
            lambda: self._input_rows(
                key, self.engine.semi_join(self._all_row_keys(key, cols), self._all_row_keys(other, cols), cap)
            ),
        )

    def repeated_rows(self, key: str, columns: Sequence[str], cap: int) -> RowMatches:
        """The rows of input ``key`` that repeat an earlier row (on ``columns``): count, total, the lowest ``cap``.

        Every row of the input, as in :meth:`rows_found_in`; ``first`` holds input row numbers.
        """
        cols = tuple(columns)
        return self.shared(
            f"context.repeated_rows.{key}.{cols!r}.{cap}",
            lambda: self._input_rows(key, self.engine.repeats(self._all_row_keys(key, cols), cap)),
        )

    def value_counts(self, key: str, column: str) -> pd.Series:
        """How often each value of ``column`` occurs in frame ``key`` (missing left out), sorted by value."""
        return self.shared(
            f"context.value_counts.{key}.{column}",
            lambda: self.engine.counts(self.frame(key), partial(FrameValueCounts, column)),
        )
