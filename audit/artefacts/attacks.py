"""Shared machinery of the re-identification attacks (inference, linkability): targets and subset search.

Both attacks follow Anonymeter's model (Giomi et al., 2023): an attacker holding the synthetic data attacks
real training records; the same attack on holdout records (never seen by the generator) is the control.
The risk is (r_attack − r_control) / (1 − r_control). Distances use the audit's encoding scheme
(:class:`~synthaudit.encoding.RowEncoder`) restricted to the columns the attacker knows, searched exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthaudit.context import AuditContext
from synthaudit.encoding import RowEncoder
from synthaudit.neighbours import ExactNeighbourIndex

__all__ = ["AttackTargets", "attack_targets", "nearest_synthetic"]


@dataclass(frozen=True)
class AttackTargets:
    """Equal numbers of training records (members) and holdout records (the control)."""

    members: pd.DataFrame
    controls: pd.DataFrame


def attack_targets(ctx: AuditContext, stream: str, cap: int) -> AttackTargets:
    """Seeded equal-size samples of training and holdout rows (``cap`` each unless ``--full``)."""
    holdout = ctx.holdout
    assert holdout is not None, "the attacks need a holdout (declared in the check's needs)"
    n = min(len(ctx.real), len(holdout))
    if not ctx.full:
        n = min(n, cap)
    return AttackTargets(
        members=ctx.sample_rows(ctx.real, n, stream + ".members"),
        controls=ctx.sample_rows(holdout, n, stream + ".controls"),
    )


def nearest_synthetic(
    ctx: AuditContext, columns: Sequence[str], queries: Sequence[pd.DataFrame], k: int = 1
) -> list[np.ndarray]:
    """For each query frame, the positions (into ``ctx.synth``) of the ``k`` nearest synthetic rows.

    Nearness is on ``columns`` only, encoded like the shared encoding (fitted on the real data, restricted to
    ``columns``). The index over the synthetic rows serves every query frame of one call and is then freed: no
    two attacks search the same column set, so keeping it would only hold memory (at 1M synthetic rows each
    index is a float32 copy of the rows, a few hundred MiB).
    """
    encoder: RowEncoder = ctx.encoder.restricted(columns)  # the audit's encoding of these columns: no refit
    index = ExactNeighbourIndex(encoder.transform(ctx.synth[list(columns)]))
    return [index.search(encoder.transform(frame[list(columns)]), k=k)[1] for frame in queries]
