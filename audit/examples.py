"""Flagged synthetic texts next to their nearest real text, for ``--show-examples`` (off by default).

A check's evidence names synthetic rows by number (keys ending in ``synthetic_rows``), never values. When
the user asks to see examples (``--show-examples``, or ``include_examples: true`` in the policy), each
failing or warning check that flagged synthetic rows of a text column gets up to :data:`EXAMPLES_PER_CHECK`
of them as text: the synthetic text, the real training text nearest to it (cosine similarity of the
sentence embeddings the audit already computed; none are computed for this), and that similarity. Both
texts are masked (:func:`~synthaudit.artefacts.masking.mask_personal_data`) and shortened before they enter
the result, so a report republishes no e-mail address, number or name even then.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.masking import mask_personal_data, shorten
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Status

__all__ = ["EXAMPLES_PER_CHECK", "attach_examples", "flagged_rows"]

EXAMPLES_PER_CHECK = 5
"""Flagged texts shown per check."""

logger = logging.getLogger(__name__)


def flagged_rows(result: CheckResult) -> tuple[str, tuple[int, ...]] | None:
    """The first evidence list of synthetic row numbers (``…synthetic_rows…`` keys) and its key, if any."""
    for key in sorted(result.evidence):
        if "synthetic_rows" in key and result.evidence[key]:
            return key, result.evidence[key]
    return None


def _text_columns(result: CheckResult, ctx: AuditContext) -> list[str]:
    text = [c for c in ctx.columns_with(Role.TEXT)]
    used = [c for c in result.columns if c in text]
    return used or text


def _nearest_real(ctx: AuditContext, column: str, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For synthetic rows at ``positions``: the position of the nearest real text and the cosine similarity."""
    if ctx.embeddings_unavailable is not None:
        return None
    real = ctx.text_vectors(column, "real")
    synth = ctx.text_vectors(column, "synthetic")[positions]
    present = ctx.real[column].notna().to_numpy()
    if not present.any():
        return None
    similarity = synth.astype(np.float64) @ real.astype(np.float64).T
    similarity[:, ~present] = -np.inf
    nearest = np.argmax(similarity, axis=1)
    return nearest, similarity[np.arange(len(positions)), nearest]


def _examples_for(result: CheckResult, ctx: AuditContext, cap: int) -> tuple[dict[str, Any], ...]:
    found = flagged_rows(result)
    if found is None:
        return ()
    key, rows = found
    synth = ctx.synth
    index = pd.Index(synth.index)
    positions = index.get_indexer(list(rows[:cap]))
    positions = positions[positions >= 0]
    examples: list[dict[str, Any]] = []
    for column in _text_columns(result, ctx)[:2]:
        nearest = _nearest_real(ctx, column, positions)
        for i, position in enumerate(positions):
            value = synth[column].iloc[position]
            if pd.isna(value):
                continue
            example: dict[str, Any] = {
                "flagged_as": key,
                "column": column,
                "synthetic_row": int(index[position]),
                "synthetic_text": shorten(mask_personal_data(str(value))),
            }
            if nearest is not None:
                real_position, similarity = int(nearest[0][i]), float(nearest[1][i])
                example["nearest_real_row"] = int(ctx.real.index[real_position])
                example["nearest_real_text"] = shorten(mask_personal_data(str(ctx.real[column].iloc[real_position])))
                example["similarity"] = round(similarity, 4)
            examples.append(example)
    return tuple(examples[:cap])


def attach_examples(
    results: Sequence[CheckResult], ctx: AuditContext, cap: int = EXAMPLES_PER_CHECK
) -> list[CheckResult]:
    """``results`` with ``examples`` filled for failing or warning checks that flagged synthetic text rows."""
    if not ctx.columns_with(Role.TEXT):
        return list(results)
    out = []
    for result in results:
        if result.status in (Status.FAIL, Status.WARN):
            try:
                result = replace(result, examples=_examples_for(result, ctx, cap))
            except (KeyError, ValueError, RuntimeError, IndexError) as exc:  # examples never break an audit
                logger.warning("no examples for %s: %s", result.name, exc)
        out.append(result)
    return out
