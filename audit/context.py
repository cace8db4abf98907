"""The audit context: the aligned data and every shared artefact, computed once and cached.

Checks ask the context for what they need: column roles, the comparison pairs at matched sample size
(the synthetic pair and the reference pair), a numeric encoding of mixed rows, exact nearest-neighbour
indexes (faiss), and per-check random streams derived from the audit seed. Nothing here is recomputed
by a check.

The reference
-------------
With a holdout (real rows the generator never saw), the reference pair is *holdout vs real*: what a
perfect generator scores. Without one, the real data is split in two seeded halves: the first half is
the base every pair compares against, the second a stand-in holdout. Both candidate sides (synthetic and
reference) are cut to the same size by a seeded subsample of the larger one, since most metrics depend on
n. :attr:`AuditContext.reference_info` records which reference was used and the sizes.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.coding import ColumnCoding
from synthaudit.artefacts.minhash import TextSignatures
from synthaudit.data.alignment import AlignedData
from synthaudit.data.roles import Role
from synthaudit.data.whole_input import WholeInput
from synthaudit.embeddings import EmbeddingOptions, TextEmbedder
from synthaudit.encoding import RowEncoder
from synthaudit.engine import Engine, NeighbourSearch
from synthaudit.engine.local import LocalEngine

from .context_rows import RowArtefacts  # relative: mypy sees the class
from .context_text import EMBEDDING_SAMPLE_ROWS, TEXT_COMPONENTS, TextArtefacts  # relative: mypy sees the class

__all__ = ["EMBEDDING_SAMPLE_ROWS", "TEXT_COMPONENTS", "AuditContext", "Pair"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Pair:
    """Two frames compared by a check: ``base`` (real rows) and ``candidate`` (synthetic or reference rows).

    Frame indices are the original row numbers of the input files (0-based data rows), so evidence can
    name rows without copying values.
    """

    name: str
    base: pd.DataFrame
    candidate: pd.DataFrame
    base_key: str
    candidate_key: str


class AuditContext(TextArtefacts, RowArtefacts):
    """Shared, lazily computed state of one audit run."""

    def __init__(
        self,
        data: AlignedData,
        *,
        seed: int = 0,
        full: bool = False,
        progress: ProgressCallback | None = None,
        embedding: EmbeddingOptions | None = None,
        engine: Engine | None = None,
        whole_inputs: dict[str, WholeInput] | None = None,
    ) -> None:
        self.data = data
        self.whole_inputs: dict[str, WholeInput] = dict(whole_inputs or {})
        """Inputs capped by ``--max-rows``, by frame key: where every row can be read again (exact joins)."""
        self.engine: Engine = engine if engine is not None else LocalEngine()
        """Where embeddings, nearest-neighbour searches and mergeable counts are computed (same numbers)."""
        self.seed = int(seed)
        self.full = full
        self.embedding_options = embedding or EmbeddingOptions()
        self._embedder: TextEmbedder | None = None
        self._progress = progress
        self._encoded: dict[str, np.ndarray] = {}
        self._indexes: dict[str, NeighbourSearch] = {}
        self._shared: dict[str, Any] = {}
        self._text_store: dict[str, np.ndarray] = {}
        self._signatures: dict[tuple[str, str, str, int], TextSignatures] = {}

    # ------------------------------------------------------------ data views
    @property
    def real(self) -> pd.DataFrame:
        """The real (training) rows, aligned and typed."""
        return self.data.real

    @property
    def synth(self) -> pd.DataFrame:
        """The synthetic rows, aligned and typed."""
        return self.data.synth

    @property
    def holdout(self) -> pd.DataFrame | None:
        """The holdout rows, or ``None`` when none was given."""
        return self.data.holdout

    def eval_sets(self, *, include_holdout: bool = True) -> dict[str, pd.DataFrame]:
        """Evaluation sets by name: the holdout (``"holdout"``, when given and asked for), then each ``--eval-set``.

        Frames hold the columns each set shares with the real data, typed like it; indices are the sets' row
        numbers (0-based data rows).
        """
        out = {"holdout": self.holdout} if include_holdout and self.holdout is not None else {}
        out.update(self.data.eval_sets)
        return out

    @property
    def roles(self) -> dict[str, Role]:
        """Column roles, inferred from the real data or given."""
        return self.data.roles

    def columns_with(self, *roles: Role) -> tuple[str, ...]:
        """Common columns with one of ``roles``, in the real file's order."""
        return self.data.columns_with(*roles)

    @property
    def comparable_columns(self) -> tuple[str, ...]:
        """Columns that fidelity compares: everything but identifiers, text and empty columns."""
        return self.columns_with(Role.NUMERIC, Role.DATETIME, Role.CATEGORICAL, Role.BOOLEAN)

    # ------------------------------------------------------------ randomness
    def rng(self, stream: str) -> np.random.Generator:
        """A random generator for ``stream`` (usually a check name), independent of every other stream.

        Derived from the audit seed and a CRC-32 of the stream name, so adding or reordering checks never
        changes another check's numbers.
        """
        key = zlib.crc32(stream.encode("utf-8"))
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))

    def sample_positions(self, size: int, n: int, stream: str) -> np.ndarray:
        """``n`` sorted positions out of ``size`` drawn uniformly with the stream's seed (all when ``n ≥ size``)."""
        if n >= size:
            return np.arange(size)
        return np.sort(self.rng(stream).choice(size, size=n, replace=False))

    def sample_rows(self, frame: pd.DataFrame, n: int, stream: str) -> pd.DataFrame:
        """A uniform seeded sample of ``n`` rows (all rows when ``n`` is not smaller), in original order."""
        if n >= len(frame):
            return frame
        return frame.iloc[self.sample_positions(len(frame), n, stream)]

    # ------------------------------------------------------------ reference
    @cached_property
    def _split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        real = self.real
        if self.holdout is not None:
            return real, self.holdout
        order = self.rng("reference.split").permutation(len(real))
        half = len(real) // 2
        base = real.iloc[np.sort(order[:half])]
        stand_in = real.iloc[np.sort(order[half:])]
        return base, stand_in

    @property
    def reference_kind(self) -> str:
        """``"holdout"`` when a holdout was given, else ``"split"`` (seeded halves of the real data)."""
        return "holdout" if self.holdout is not None else "split"

    @cached_property
    def matched_size(self) -> int:
        """Rows on each candidate side: the smaller of the synthetic and the reference candidate sizes."""
        return min(len(self.synth), len(self._split[1]))

    @cached_property
    def synthetic_pair(self) -> Pair:
        """Base real rows vs the synthetic rows, subsampled (seeded) to :attr:`matched_size`."""
        base, _ = self._split
        candidate = self.sample_rows(self.synth, self.matched_size, "reference.match.synthetic")
        return Pair("synthetic", base, candidate, "base", "synthetic_candidate")

    @cached_property
    def reference_pair(self) -> Pair:
        """Base real rows vs the holdout (or the real data's other half), at :attr:`matched_size`."""
        base, stand_in = self._split
        candidate = self.sample_rows(stand_in, self.matched_size, "reference.match.reference")
        return Pair("reference", base, candidate, "base", "reference_candidate")

    @property
    def reference_info(self) -> dict[str, Any]:
        """Which reference was used, and the sizes of every side (recorded in the result)."""
        base, stand_in = self._split
        return {
            "kind": self.reference_kind,
            "description": (
                "holdout rows compared with the real (training) rows"
                if self.reference_kind == "holdout"
                else "no holdout given: the real data split into two seeded halves, one the base of every "
                "comparison, the other a stand-in holdout"
            ),
            "base_rows": len(base),
            "reference_rows": len(stand_in),
            "synthetic_rows": len(self.synth),
            "matched_rows": self.matched_size,
        }

    def frame(self, key: str) -> pd.DataFrame:
        """A frame by key: ``real``, ``synthetic``, ``holdout``, ``base``, or a pair's candidate key."""
        frames: dict[str, Callable[[], pd.DataFrame | None]] = {
            "real": lambda: self.real,
            "synthetic": lambda: self.synth,
            "holdout": lambda: self.holdout,
            "base": lambda: self._split[0],
            "synthetic_candidate": lambda: self.synthetic_pair.candidate,
            "reference_candidate": lambda: self.reference_pair.candidate,
        }
        if key not in frames:
            raise KeyError(f"unknown frame {key!r}; known: {sorted(frames)}")
        frame = frames[key]()
        if frame is None:
            raise KeyError(f"frame {key!r} is not available in this audit (no holdout given)")
        return frame

    # ------------------------------------------------------------ shared artefacts
    @cached_property
    def encoder(self) -> RowEncoder:
        """The row encoder, fitted once on the real data (identifier, text and empty columns left out)."""
        return RowEncoder.fit(self.real, self.roles, others=[f for f in (self.synth, self.holdout) if f is not None])

    def encoded(self, key: str) -> np.ndarray:
        """The numeric encoding (float32, rows × features) of the frame ``key``, computed once."""
        if key not in self._encoded:
            frame = self.frame(key)
            same = next((k for k in self._encoded if self.frame(k) is frame), None)  # e.g. base is real
            if same is not None:
                self._encoded[key] = self._encoded[same]  # one array for one frame: memory stays flat
            else:
                self._emit("artefact", {"what": "encoding", "frame": key})
                self._encoded[key] = self.encoder.transform(frame)
        return self._encoded[key]

    def neighbour_index(self, key: str) -> NeighbourSearch:
        """An exact (brute-force, faiss) nearest-neighbour index over the distance vectors of frame ``key``.

        Built by the engine: one index here, or shards held by workers, with identical answers.
        """
        if key not in self._indexes:
            frame = self.frame(key)
            same = next((k for k in self._indexes if self.frame(k) is frame), None)  # e.g. base is real
            if same is not None:
                self._indexes[key] = self._indexes[same]
            else:
                self._emit("artefact", {"what": "neighbour_index", "frame": key})
                self._indexes[key] = self.engine.nearest(self.distance_vectors(key))
        return self._indexes[key]

    def coded_frames(
        self, columns: Sequence[str], bins: int, max_categories: int, max_rows: int
    ) -> tuple[ColumnCoding, dict[str, pd.DataFrame], dict[str, np.ndarray]]:
        """The binned coding fitted on the base, the (row-capped) frames and their codes, once per audit.

        Frames are ``base``, ``synthetic`` and ``reference`` (the two candidates, already at matched size).
        Frames longer than ``max_rows`` are replaced by a seeded uniform sample (unless ``full``); shared by
        every check that asks with the same coding parameters (pairs and k-way marginals).
        """

        def factory() -> tuple[ColumnCoding, dict[str, pd.DataFrame], dict[str, np.ndarray]]:
            frames = {
                "base": self.synthetic_pair.base,
                "synthetic": self.synthetic_pair.candidate,
                "reference": self.reference_pair.candidate,
            }
            if not self.full:
                frames = {k: self.sample_rows(f, max_rows, f"fidelity.coding.{k}") for k, f in frames.items()}
            coding, base_codes = ColumnCoding.fit_codes(frames["base"], columns, self.roles, bins, max_categories)
            codes = {k: base_codes if k == "base" else coding.codes(f) for k, f in frames.items()}
            return coding, frames, codes

        key = f"fidelity.coding:{tuple(columns)!r}:{bins}:{max_categories}:{max_rows}"
        return self.shared(key, factory)

    # ------------------------------------------------------------ rows as vectors, text included
    @property
    def text_unmeasured_reason(self) -> str | None:
        """Why the text columns cannot be measured in this audit (``None`` when there are none, or they can)."""
        if not self.data.text:
            return None
        reason = self.embeddings_unavailable
        if reason is None:
            return None
        return f"the data has text columns ({', '.join(self.data.text)}) and they cannot be embedded: {reason}"

    def distance_columns(self) -> dict[str, str]:
        """The columns distance checks measure, and how: encoded columns by role, text columns by embedding."""
        out = {column: self.roles[column].value for column in self.encoder.columns}
        if self.text_unmeasured_reason is None:
            out.update({column: "text (embeddings)" for column in self.data.text})
        return out

    def distance_vectors(self, key: str) -> np.ndarray:
        """Rows of frame ``key`` as vectors for distances (float32), text embeddings included.

        The row encoding, then one sentence embedding per text column (unit length, zeros where missing).

        A category mismatch counts like one standard deviation of a number, and a wholly unrelated text
        (cosine 0) adds a distance of √2: text and columns weigh alike. Computed once per frame.
        """

        def compute() -> np.ndarray:
            parts = [self.encoded(key)]
            if self.text_unmeasured_reason is None:
                parts.extend(self.text_vectors(column, key) for column in self.data.text)
            if len(parts) == 1:  # no text: the encoding itself, not a copy of it
                return np.ascontiguousarray(parts[0], dtype=np.float32)
            return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)

        return self.shared(f"context.distance_vectors.{key}", compute)

    def shared(self, key: str, factory: Callable[[], Any]) -> Any:
        """A value computed once per audit by ``factory`` and shared by every check that asks for ``key``.

        For artefacts other than encodings and indexes (a derived expectation suite, a fitted model);
        keys should start with the module that defines them.
        """
        if key not in self._shared:
            self._emit("artefact", {"what": key})
            self._shared[key] = factory()
        return self._shared[key]

    # ------------------------------------------------------------ progress
    def _emit(self, event: str, payload: dict[str, Any]) -> None:
        logger.debug("%s %s", event, payload)
        if self._progress is not None:
            self._progress(event, payload)
