"""Leakage checks: whether the synthetic data copies or exposes real records."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, info_metric, make_table
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.engine.joins import RowMatches
from synthaudit.result import CheckResult, Metric
from synthaudit.stats.proportions import clustered_null_difference_se, null_difference_se, pooled_difference_se

__all__ = ["ExactCopyCheck"]

EVIDENCE_CAP = 20
"""Evidence is capped: row indices only, at most this many per kind."""


def fingerprints_of(ctx: AuditContext, frame: pd.DataFrame, source: str, columns: tuple[str, ...]) -> np.ndarray:
    """Row fingerprints of ``frame``, rows of the input ``source`` (``real``, ``synthetic`` or ``holdout``).

    Each input is fingerprinted once per audit (a fingerprint depends on its row alone); the rows of a
    sample of it (the base, a candidate side) are looked up by their original row numbers.
    """
    whole = ctx.frame(source)
    prints = ctx.row_fingerprints(source, columns)
    if frame is whole:
        return prints
    positions = whole.index.get_indexer(frame.index) if whole.index.is_unique else np.array([-1])
    if len(positions) and positions.min() < 0:  # not rows of ``source``: fingerprint them directly
        return row_fingerprints(frame, columns, ctx.roles)
    return prints[positions]


def _all_rows_metric(ctx: AuditContext, columns: tuple[str, ...], copies: RowMatches, margin: Margin) -> Metric:
    """The copy rate of every synthetic row against every real row: gated when ``--max-rows`` capped an input.

    A capped audit compares seeded samples, and a sample sees a copied row only when both the copy and its
    original were kept: 2 % of copies in 1M synthetic rows capped to 100k leave about 0.2 % of them in the
    matched-size comparison. Over every row the copies are counted exactly, so there the rate is gated, against
    the null share of real rows over every row too: holdout rows found among the real rows, or, without a
    holdout, real rows whose normalised row another real row holds (how often a fresh real row meets one;
    such rows hit in groups, so that null's variance is the cluster-robust one,
    :func:`synthaudit.stats.proportions.clustered_null_difference_se`).
    """
    description = "share of all synthetic rows equal to any real row"
    if "synthetic" not in ctx.whole_inputs and "real" not in ctx.whole_inputs:  # neither was capped
        return info_metric(
            "exact_copy_rate_all_rows",
            copies.share,
            direction="lower_is_better",
            value_range=(0.0, 1.0),
            description=description + " (information; the inputs were not capped)",
        )
    if ctx.holdout is not None:
        null = ctx.rows_found_in("holdout", "real", columns, cap=EVIDENCE_CAP)
        hits, trials, what = null.count, null.rows, "holdout rows found among the real rows"
        se = null_difference_se(hits, trials, copies.rows, trials)
    else:  # the real rows that hit come in groups (twins hit together): a cluster-robust null variance
        null = ctx.repeated_rows("real", columns, cap=EVIDENCE_CAP)
        hits, trials, what = null.count + null.groups, null.rows, "real rows equal to another real row"
        se = clustered_null_difference_se(hits, trials, null.group_squares, copies.rows)
    return gated_metric(
        "exact_copy_rate_all_rows",
        value=copies.share,
        reference=hits / trials if trials else 0.0,
        standard_error=se,
        margin=margin,
        direction="lower_is_better",
        value_range=(0.0, 1.0),
        description=f"{description}, every row of the capped inputs (reference: {what}, every row)",
    )


class ExactCopyCheck(Check):
    """Share of synthetic rows that are verbatim copies of real rows, against the reference's share.

    Rows are compared after normalisation (strings trimmed, numbers canonical to about 9 significant
    digits, missing values equal to each other), identifier columns left out. Text columns are part of the
    row: a synthetic row counts as a copy only with the real row's text too (edited or partial copies of
    texts are ``leakage.text_near_duplicates``' business). The metric is the share of
    candidate rows whose normalised row occurs in the base real rows; the reference is the same share for
    holdout rows (or the real data's other half), at matched size: real data has natural collisions on
    coarse columns, and only an excess over them is a leak. Range [0, 1], lower is better; 0 for
    continuous data from an independent sample, 1 when the synthetic data is the real data. The margin's
    standard error is that of a difference of two shares under the null, the null share estimated from real
    rows only (the reference rows' copies and the base rows equal to another base row, Laplace-smoothed):
    pooling in the synthetic share would widen the margin with the copies themselves (1 % of copies passed).

    A second gating metric, when identifier columns exist, is the share of synthetic identifier values
    replayed from the real data, against the same share for the reference rows. Information: the copy
    rate of *all* synthetic rows against *all* real rows, with the copied rows' indices as evidence.
    Skips when no column is left after removing identifiers, or every one left is empty (all missing) in the
    real data: every row would then look the same.

    Cost: one hash per row over the non-identifier columns, O((n + m + h) × c), and a sort of the hashes; memory
    O(rows). The all-rows rate and its evidence come from the context's hash-partitioned join (run by the
    engine: on Ray, a shuffle of the fingerprints, with only counts and capped evidence returned).
    """

    name: ClassVar[str] = "leakage.exact_copies"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = "Synthetic rows that copy a real row verbatim, beyond what real data shows."
    meaning: ClassVar[str] = (
        "The share of synthetic rows identical to a real (training) row, compared with the share of real rows "
        "the generator never saw that happen to equal a training row. Lower is better; a clear excess means "
        "the generator copies its training data."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = (
        "exact_copy_rate",
        "replayed_identifier_rate",
        "exact_copy_rate_all_rows",
    )

    class Params(CheckParams):
        """Thresholds of ``leakage.exact_copies``."""

        copy_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.001, fail_floor=0.005),
            description="Margin over the reference copy rate (share of rows).",
        )
        identifier_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.001, fail_floor=0.01),
            description="Margin over the reference share of replayed identifier values.",
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Fingerprint rows, then count synthetic and reference rows found among the base real rows."""
        p = self.params
        columns = tuple(c for c in ctx.data.columns if ctx.roles[c] is not Role.IDENTIFIER)
        if not columns:
            return self.skip("every common column is an identifier; no row content is left to compare")
        if all(ctx.roles[c] is Role.EMPTY for c in columns):
            # Every row would look the same (all missing): any rate would say nothing about the rows.
            return self.skip("every non-identifier column is empty in the real data; no row content to compare")
        syn, ref = ctx.synthetic_pair, ctx.reference_pair
        base_prints = fingerprints_of(ctx, syn.base, "real", columns)
        syn_rate = float(np.isin(fingerprints_of(ctx, syn.candidate, "synthetic", columns), base_prints).mean())
        ref_source = "holdout" if ctx.holdout is not None else "real"
        ref_copied = np.isin(fingerprints_of(ctx, ref.candidate, ref_source, columns), base_prints)
        ref_rate = float(ref_copied.mean())
        m_syn, m_ref = len(syn.candidate), len(ref.candidate)
        # The null copy share, from real rows only: the reference rows' copies and the base rows that equal
        # another base row (leave-one-out: how often a fresh real row meets an existing one).
        _, counts = np.unique(base_prints, return_counts=True)
        null_hits = int(ref_copied.sum()) + int(counts[counts > 1].sum())
        null_trials = m_ref + len(base_prints)
        all_copies = ctx.rows_found_in("synthetic", "real", columns, cap=EVIDENCE_CAP)  # a join run by the engine
        metrics: list[Metric] = [
            gated_metric(
                "exact_copy_rate",
                value=syn_rate,
                reference=ref_rate,
                standard_error=null_difference_se(null_hits, null_trials, m_syn, m_ref),
                margin=p.copy_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of synthetic rows equal to a real row after normalisation",
            ),
            _all_rows_metric(ctx, columns, all_copies, p.copy_margin),
        ]
        tables = []
        id_rows = []
        for column in ctx.data.ids:
            base_ids = set(syn.base[column].dropna().astype(str).str.strip())
            rates = []
            for candidate in (syn.candidate, ref.candidate):
                values = candidate[column].dropna().astype(str).str.strip()
                rates.append((float(values.isin(base_ids).mean()) if len(values) else 0.0, len(values)))
            id_rows.append(
                {
                    "column": column,
                    "replayed_share": rates[0][0],
                    "reference_share": rates[1][0],
                    "synthetic_values": rates[0][1],
                    "reference_values": rates[1][1],
                }
            )
        if id_rows:
            worst = max(id_rows, key=lambda r: r["replayed_share"] - r["reference_share"])
            metrics.append(
                gated_metric(
                    "replayed_identifier_rate",
                    value=worst["replayed_share"],
                    reference=worst["reference_share"],
                    standard_error=pooled_difference_se(
                        worst["replayed_share"],
                        worst["synthetic_values"],
                        worst["reference_share"],
                        worst["reference_values"],
                    ),
                    margin=p.identifier_margin,
                    direction="lower_is_better",
                    value_range=(0.0, 1.0),
                    description=f"share of synthetic identifier values found in the real data ({worst['column']!r})",
                )
            )
            tables.append(make_table("identifiers", "Identifier values replayed from the real data", id_rows))
        every_row = metrics[1]
        if every_row.gating:  # capped inputs: the count over every row is a gate of its own
            summary = (
                f"over every row, {all_copies.count:,} of {all_copies.rows:,} synthetic rows copy a real row "
                f"({every_row.value:.2%}, reference {every_row.reference_value or 0.0:.2%}); in the capped samples "
                f"{syn_rate:.2%} (reference {ref_rate:.2%})"
            )
        else:
            summary = (
                f"{syn_rate:.2%} of synthetic rows copy a real row (reference {ref_rate:.2%}, "
                f"{all_copies.count} of {all_copies.rows} synthetic rows in all)"
            )
        if id_rows:
            summary += (
                f"; {metrics[-1].value:.2%} of identifier values replayed (reference {metrics[-1].reference_value:.2%})"
            )
        return self.result(
            metrics=metrics,
            summary=summary + ".",
            tables=tables,
            sample_sizes={
                "base_rows": len(syn.base),
                "synthetic_rows": m_syn,
                "reference_rows": m_ref,
                "all_synthetic_rows": all_copies.rows,
                "all_real_rows": ctx.input_rows("real"),
            },
            evidence={"copied_synthetic_rows": all_copies.first.tolist()},
            columns={
                **{
                    c: "text (verbatim, in the row fingerprint)"
                    if ctx.roles[c] is Role.TEXT
                    else f"{ctx.roles[c].value} (row fingerprint)"
                    for c in columns
                },
                **{c: "identifier (replayed values)" for c in ctx.data.ids},
            },
        )
