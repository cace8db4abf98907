"""Rows as vector views for the diversity checks: the encoded rows, and the embeddings of each text column.

Each view ("part") holds the base real rows and the two candidate sides (synthetic and reference) at
matched size, with the input row numbers the vectors came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from synthaudit.context import AuditContext

MIN_ROWS = 50
"""Fewest rows per side for the neighbourhood metrics (below, k-NN radii say little)."""

__all__ = [
    "MIN_ROWS",
    "TABULAR_PART",
    "VectorPart",
    "VectorSide",
    "part_columns",
    "sample_side",
    "vector_parts",
]


TABULAR_PART = "encoded rows"
"""Name of the part made of the shared row encoding (text columns are named by their column)."""


@dataclass(frozen=True)
class VectorSide:
    """Rows of one side as vectors, with the input row numbers they came from."""

    rows: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, positions: np.ndarray) -> VectorSide:
        """The rows at ``positions``."""
        return VectorSide(self.rows[positions], self.vectors[positions])


@dataclass(frozen=True)
class VectorPart:
    """One vector view of the data: the encoded rows, or the embeddings of one text column.

    ``base`` holds the real rows every pair compares against; ``synthetic`` and ``reference`` the two
    candidate sides, cut to the same size.
    """

    name: str
    kind: str
    base: VectorSide
    synthetic: VectorSide
    reference: VectorSide


def sample_side(side: VectorSide, n: int, rng: np.random.Generator) -> VectorSide:
    """A seeded uniform sample of ``n`` rows (all rows when ``n`` is not smaller), in original order."""
    if n >= len(side):
        return side
    return side.take(np.sort(rng.choice(len(side), size=n, replace=False)))


def vector_parts(ctx: AuditContext) -> tuple[list[VectorPart], dict[str, str]]:
    """The vector views the diversity checks compare, and the parts that cannot be built (with why).

    The encoded rows (``ctx.encoded``, when the encoding has columns) and, per text column, the sentence
    embeddings (``ctx.text_embeddings``; missing texts left out, so the two candidate sides are cut again
    to the same size by a seeded sample). Text parts are skipped with ``ctx.embeddings_unavailable`` when
    the ``text`` extra is missing.
    """
    parts: list[VectorPart] = []
    skipped: dict[str, str] = {}
    if ctx.encoder.n_features > 0:
        sides = {
            key: VectorSide(ctx.frame(key).index.to_numpy(), ctx.encoded(key))
            for key in ("base", "synthetic_candidate", "reference_candidate")
        }
        parts.append(
            VectorPart(
                TABULAR_PART,
                "tabular",
                sides["base"],
                sides["synthetic_candidate"],
                sides["reference_candidate"],
            )
        )
    unavailable = ctx.embeddings_unavailable if ctx.data.text else None
    for column in ctx.data.text:
        if unavailable is not None:
            skipped[column] = unavailable
            continue
        sides = {
            key: VectorSide(*ctx.text_embeddings(column, key))
            for key in ("base", "synthetic_candidate", "reference_candidate")
        }
        matched = min(len(sides["synthetic_candidate"]), len(sides["reference_candidate"]))
        rng = ctx.rng(f"diversity.match.{column}")
        parts.append(
            VectorPart(
                column,
                "text",
                sides["base"],
                sample_side(sides["synthetic_candidate"], matched, rng),
                sample_side(sides["reference_candidate"], matched, rng),
            )
        )
    return parts, skipped


def part_columns(ctx: AuditContext, parts: Sequence[VectorPart]) -> dict[str, str]:
    """The columns the compared parts are made of, and how: encoded columns by role, text columns by embedding."""
    used: dict[str, str] = {}
    for part in parts:
        if part.kind == "tabular":
            used.update({column: ctx.roles[column].value for column in ctx.encoder.columns})
        else:
            used[part.name] = "text (embeddings)"
    return used
