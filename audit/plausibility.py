"""Is the reference itself plausible? Holdout vs real must look like real vs real.

Every relative threshold of the audit sits on the reference pair (holdout vs real). If the reference is
broken — REAL and SYNTH swapped, a holdout from another population, period or country, columns shuffled —
the reference is as bad as the value under test and every relative gate passes. Before gating, the engine
therefore runs a quick classifier two-sample test between the holdout and the real rows (the same
gradient-boosted, cross-validated test as ``fidelity.detection``, with category codes learnt from both
sides alike, on at most :data:`MAX_ROWS_PER_SIDE` seeded rows a side, text columns included through their
embeddings), and measures every column's marginal distance (KS or TVD).

The reference is implausible when the classifier's AUC exceeds ``0.5 + max(AUC_FLOOR, AUC_SE_MULTIPLIER ×
SE₀)``, with SE₀ the AUC's standard error when the two samples are exchangeable (Hanley–McNeil null with
the Nadeau–Bengio correction for cross-validation folds). The worst columns are the evidence. A seeded
split of REAL (no holdout) is plausible by construction, and recorded as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.artefacts.tree_features import TreeFeatures
from synthaudit.context import AuditContext
from synthaudit.stats.auc import auc_null_standard_error
from synthaudit.stats.distances import column_distance
from synthaudit.stats.two_sample import classifier_two_sample_test

__all__ = ["AUC_FLOOR", "AUC_SE_MULTIPLIER", "MAX_ROWS_PER_SIDE", "assess_reference"]

MAX_ROWS_PER_SIDE = 3_000
"""Seeded cap on rows per side of the plausibility test (lifted by ``--full``)."""
AUC_FLOOR = 0.05
"""Smallest excess of the holdout-vs-real AUC over 0.5 that counts as implausible."""
AUC_SE_MULTIPLIER = 5.0
"""Null standard errors past 0.5 before the reference counts as implausible."""
WORST_COLUMNS = 5
"""Columns listed as evidence, largest marginal distance first."""
MIN_ROWS = 20
"""Below this many rows on a side the test cannot say anything; the reference is then recorded as untested."""


@dataclass(frozen=True)
class _Settings:
    folds: int
    max_iter: int = 100
    learning_rate: float = 0.1


def _worst_columns(ctx: AuditContext, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    assert ctx.holdout is not None
    rows = []
    for column in columns:
        distance, null_sd, statistic = column_distance(ctx.real[column], ctx.holdout[column], ctx.roles[column])
        rows.append(
            {
                "column": column,
                "statistic": statistic,
                "distance": distance,
                "null_sd": null_sd,
                "null_sds": distance / null_sd if null_sd > 0 else (0.0 if distance == 0 else math.inf),
            }
        )
    rows.sort(key=lambda r: (-r["distance"], r["column"]))
    for row in rows:
        if not math.isfinite(row["null_sds"]):
            row["null_sds"] = None
    return rows[:WORST_COLUMNS]


def assess_reference(ctx: AuditContext) -> dict[str, Any]:
    """The plausibility record of the audit's reference.

    ``plausible`` is True, False, or None when it could not be tested; the record carries the test's
    figures, the columns it read, the worst columns and, when implausible, the likely causes in words.
    """
    if ctx.holdout is None:
        return {
            "plausible": True,
            "tested": False,
            "reason": "the reference is a seeded split of REAL, plausible by construction (no holdout to test)",
        }
    columns = ctx.comparable_columns
    text = () if ctx.text_unmeasured_reason is not None else tuple(ctx.data.text)
    n = min(len(ctx.real), len(ctx.holdout))
    if not ctx.full:
        n = min(n, MAX_ROWS_PER_SIDE)
    if n < MIN_ROWS or not (columns or text):
        why = f"fewer than {MIN_ROWS} rows on a side" if n < MIN_ROWS else "no column the test can read"
        return {"plausible": None, "tested": False, "reason": f"the reference could not be tested: {why}"}
    real_rows = ctx.sample_positions(len(ctx.real), n, "reference.plausibility.real")
    holdout_rows = ctx.sample_positions(len(ctx.holdout), n, "reference.plausibility.holdout")
    # Category codes come from both sides' tested rows alike: codes learnt from the real rows alone give every
    # holdout category unseen in them (and none of theirs) the shared "other" code, which tells the holdout
    # apart on any high-cardinality column of an exchangeable split.
    sampled_real, sampled_holdout = ctx.real.iloc[real_rows], ctx.holdout.iloc[holdout_rows]
    encoder = TreeFeatures.fit(pd.concat([sampled_real, sampled_holdout]), columns, ctx.roles, 250)
    parts_real = [encoder.transform(sampled_real)]
    parts_holdout = [encoder.transform(sampled_holdout)]
    categorical = [encoder.categorical]
    for column in text:
        parts_real.append(ctx.text_features(column, "real")[real_rows])
        parts_holdout.append(ctx.text_features(column, "holdout")[holdout_rows])
        categorical.append(np.zeros(parts_real[-1].shape[1], dtype=bool))
    folds = max(2, min(5, n // 10))
    settings = _Settings(folds)
    seed = int(ctx.rng("reference.plausibility").integers(2**31 - 1))
    test = classifier_two_sample_test(
        np.hstack(parts_real), np.hstack(parts_holdout), np.concatenate(categorical), settings, seed
    )
    n_test = 2 * n / folds
    null_se = math.sqrt(1.0 / folds + n_test / (2 * n - n_test)) * auc_null_standard_error(
        round(n / folds), round(n / folds)
    )
    threshold = 0.5 + max(AUC_FLOOR, AUC_SE_MULTIPLIER * null_se)
    plausible = test.auc <= threshold
    worst = _worst_columns(ctx, columns)
    record: dict[str, Any] = {
        "plausible": bool(plausible),
        "tested": True,
        "auc": test.auc,
        "auc_standard_error": null_se,
        "auc_threshold": threshold,
        "rows_per_side": n,
        "folds": folds,
        "columns": {**{c: ctx.roles[c].value for c in columns}, **{c: "text (embeddings)" for c in text}},
        "worst_columns": worst,
    }
    if plausible:
        record["reason"] = (
            f"holdout and real rows look alike: a classifier separates them with ROC AUC {test.auc:.3f} "
            f"(implausible above {threshold:.3f})"
        )
    else:
        named = ", ".join(f"{w['column']} ({w['statistic'].upper()} {w['distance']:.3f})" for w in worst[:3])
        record["reason"] = (
            f"the reference is implausible: a classifier tells the holdout from the real rows with ROC AUC "
            f"{test.auc:.3f} (real-vs-real data stays below {threshold:.3f}); most different columns: "
            f"{named or 'none of the tabular columns'}. Likely causes: REAL and SYNTH swapped (the first file "
            "must be the real training data)? The holdout not from the same population as REAL (another period, "
            "region or source, or its columns shuffled or mislabelled)? Every threshold rests on this reference, "
            "so no verdict can be trusted until it is fixed."
        )
    return record
