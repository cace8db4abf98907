"""``leakage.linkability``: whether two halves of a training record can be linked through the synthetic data."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from synthaudit.artefacts.attacks import attack_targets, nearest_synthetic
from synthaudit.check import Check, CheckParams, Margin, Need, Suite, gated_metric, info_metric, make_table
from synthaudit.context import AuditContext
from synthaudit.result import CheckResult
from synthaudit.stats.proportions import binomial_difference_se, normalised_risk

__all__ = ["LinkabilityCheck", "links"]

_MIN_TARGETS = 1_500


def links(neighbours_a: np.ndarray, neighbours_b: np.ndarray) -> np.ndarray:
    """Whether the k nearest synthetic rows found from each half share at least one row, per record."""
    return (neighbours_a[:, :, None] == neighbours_b[:, None, :]).any(axis=(1, 2))


def _dataset_of(column: str, half_a: list[str], half_b: list[str]) -> str:
    if column in half_a and column in half_b:
        return "both datasets"
    return "first dataset" if column in half_a else "second dataset"


class LinkabilityCheck(Check):
    """Linkability risk (Anonymeter's linkability attack).

    The attacker holds two datasets about the same people with disjoint columns (set A and set B, e.g.
    a hospital's and an insurer's) and uses the synthetic data to link them: a training record's two halves
    are linked when the ``k`` nearest synthetic rows found from its A-columns and from its B-columns
    share a row. The same attack on holdout records is the control. Gating: the share of training records
    linked against the control's share (range [0, 1], lower is better; about the control share when the
    generator does not memorise). Information: the normalised risk (r_attack − r_control) / (1 − r_control).
    Column sets: ``Params.columns_a`` / ``columns_b``, or by default the comparable columns split into
    alternating halves (identifiers and text left out). Needs a holdout.

    Cost: four exact searches of ``max_targets`` rows (training and control, A- and B-columns) against the
    synthetic rows, O(``max_targets`` × m × d), fewer targets when that would pass ``max_pairs`` distance
    evaluations per search (1.5·10⁹: 1,500 per side at 1M synthetic rows, the floor); the synthetic side stays
    whole.
    """

    name: ClassVar[str] = "leakage.linkability"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = "Two partial views of a training record cannot be linked through the synthetic data."
    meaning: ClassVar[str] = (
        "How often an attacker with two partial datasets about the same people can tell which records belong "
        "together, using the synthetic data as the bridge — for training records, compared with records the "
        "generator never saw. Lower is better; the gap is the leak."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.HOLDOUT})
    gating_metrics: ClassVar[tuple[str, ...]] = ("linkability_rate",)

    class Params(CheckParams):
        """Thresholds and attack settings of ``leakage.linkability``."""

        rate_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.005, fail_floor=0.01),
            description="Margin over the control's linked share.",
        )
        neighbours: int = Field(1, ge=1, le=20, description="Synthetic rows considered from each half (k).")
        columns_a: tuple[str, ...] = Field((), description="Columns of the first dataset (default: alternate half).")
        columns_b: tuple[str, ...] = Field((), description="Columns of the second dataset (default: the rest).")
        max_targets: int = Field(3000, ge=50, description="Seeded cap on attacked records per side (none with --full).")
        max_pairs: int = Field(
            1_500_000_000,
            ge=1,
            description="Seeded cap on distance evaluations per search and side (records attacked × synthetic rows): "
            "on very large synthetic sets fewer records are attacked (at least 1,500), each searched against every "
            "synthetic row (no cap with --full).",
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Search from each half of each target record and count the links."""
        p = self.params
        if p.columns_a or p.columns_b:
            unknown = [c for c in (*p.columns_a, *p.columns_b) if c not in ctx.data.columns]
            if unknown:
                return self.skip(f"the configured linkability columns {unknown} are not common columns")
            half_a, half_b = list(p.columns_a), list(p.columns_b)
        else:
            columns = list(ctx.comparable_columns)
            half_a, half_b = columns[0::2], columns[1::2]
        if not half_a or not half_b:
            return self.skip("needs at least two comparable columns to split into two datasets")
        # the search is exact over every synthetic row: on huge synthetic sets, fewer records are attacked
        cap = min(p.max_targets, max(_MIN_TARGETS, p.max_pairs // max(1, len(ctx.synth))))
        targets = attack_targets(ctx, self.name, cap)
        frames = [targets.members, targets.controls]
        a_members, a_controls = nearest_synthetic(ctx, half_a, frames, k=p.neighbours)
        b_members, b_controls = nearest_synthetic(ctx, half_b, frames, k=p.neighbours)
        attack = float(links(a_members, b_members).mean())
        control = float(links(a_controls, b_controls).mean())
        n = len(targets.members)
        metrics = [
            gated_metric(
                "linkability_rate",
                value=attack,
                reference=control,
                standard_error=binomial_difference_se(attack, n, control, n),
                margin=p.rate_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of training records whose two halves meet on a synthetic row",
            ),
            info_metric(
                "linkability_risk",
                normalised_risk(attack, control),
                reference=0.0,
                direction="lower_is_better",
                value_range=(None, 1.0),  # normalised_risk: (−∞, 1]
                description="Anonymeter's normalised linkability risk",
            ),
        ]
        table = make_table(
            "setting",
            "Linkability attack",
            [
                {
                    "columns_a": ", ".join(half_a),
                    "columns_b": ", ".join(half_b),
                    "k": p.neighbours,
                    "training_linked": attack,
                    "control_linked": control,
                }
            ],
        )
        summary = (
            f"{attack:.2%} of training records linked through the synthetic data vs {control:.2%} of unseen "
            f"records (normalised risk {normalised_risk(attack, control):.3f})."
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[table],
            sample_sizes={"training_targets": n, "control_targets": n, "synthetic_rows": len(ctx.synth)},
            reference="holdout",
            columns={
                c: f"{_dataset_of(c, half_a, half_b)} ({ctx.roles[c].value})" for c in dict.fromkeys(half_a + half_b)
            },
        )
