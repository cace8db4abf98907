"""``leakage.rare_records``: singling-out risk of real records unique on their quasi-identifiers."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, info_metric, make_table
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult
from synthaudit.stats.proportions import normalised_risk, wilson_interval

__all__ = ["RareRecordCheck", "default_quasi_identifiers"]

MAX_DEFAULT_QUASI_IDENTIFIERS = 6
MAX_DEFAULT_CARDINALITY = 20


def default_quasi_identifiers(ctx: AuditContext) -> tuple[str, ...]:
    """The columns an attacker is assumed to know when the user names none.

    The sensitive columns, then low-cardinality categorical or boolean columns (at most 20 distinct real
    values), fewest values first, up to six columns in all (Anonymeter-style attacks use a handful of
    attributes; with more, every record is unique and nothing reappears anywhere).
    """
    chosen = [c for c in ctx.data.sensitive if c in ctx.data.columns]
    low = sorted(
        (c for c in ctx.columns_with(Role.CATEGORICAL, Role.BOOLEAN) if c not in chosen),
        key=lambda c: (ctx.real[c].nunique(), c),
    )
    for column in low:
        if len(chosen) >= MAX_DEFAULT_QUASI_IDENTIFIERS:
            break
        if ctx.real[column].nunique() <= MAX_DEFAULT_CARDINALITY:
            chosen.append(column)
    return tuple(chosen)


class RareRecordCheck(Check):
    """Singling-out risk: real records unique on their quasi-identifiers that the synthetic data reproduces.

    The attack targets real (base) records whose combination of quasi-identifier values is unique in the
    real data. It succeeds on a target when that exact combination occurs in the synthetic sample; the
    control does the same with the reference rows (holdout, or the real data's other half) at the same
    size: real data from the same population reproduces some unique combinations by chance. The metric is
    the attack's success rate against the control's; the risk as Anonymeter defines it,
    (r_attack − r_control) / (1 − r_control), and its Wilson interval are information. Range [0, 1], lower
    is better; about the control rate for an independent sample, much higher when the generator memorises
    rare records. Quasi-identifiers: ``--quasi-identifiers``, or a stated default (see
    :func:`default_quasi_identifiers`). Skips when no quasi-identifier is available or no real record is
    unique.

    Cost: one hash per row over the quasi-identifiers (at most six by default), O((n + m + h) × q); independent of the
    other columns.
    """

    name: ClassVar[str] = "leakage.rare_records"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = (
        "Real records unique on their quasi-identifiers are not reproduced by the synthetic data."
    )
    meaning: ClassVar[str] = (
        "Of the real people who are one of a kind on the attributes an attacker may know, the share whose exact "
        "combination shows up in the synthetic data, compared with how often it shows up in real data the "
        "generator never saw. Lower is better; a clear excess means rare real people can be singled out."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("singling_out_rate",)

    class Params(CheckParams):
        """Thresholds of ``leakage.rare_records``."""

        rate_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.01, fail_floor=0.03),
            description="Margin over the control's success rate (binomial standard error, share of targets).",
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Find unique real combinations and count how many reappear in the synthetic and reference rows."""
        p = self.params
        given = ctx.data.quasi_identifiers
        columns = tuple(c for c in given if c in ctx.data.columns) if given else default_quasi_identifiers(ctx)
        if not columns:
            return self.skip("no quasi-identifier columns (name them with --quasi-identifiers)")
        base = ctx.synthetic_pair.base
        base_prints = row_fingerprints(base, columns, ctx.roles)
        values, counts = np.unique(base_prints, return_counts=True)
        unique_prints = values[counts == 1]
        if len(unique_prints) == 0:
            return self.skip(f"no real record is unique on the quasi-identifiers {list(columns)}")
        syn_prints = row_fingerprints(ctx.synthetic_pair.candidate, columns, ctx.roles)
        ref_prints = row_fingerprints(ctx.reference_pair.candidate, columns, ctx.roles)
        attack_hits = np.isin(unique_prints, syn_prints)
        control_hits = np.isin(unique_prints, ref_prints)
        targets = len(unique_prints)
        attack, control = float(attack_hits.mean()), float(control_hits.mean())
        se = math.sqrt(max(control * (1 - control), 1.0 / targets) * 2.0 / targets)
        risk = normalised_risk(attack, control)
        low, high = wilson_interval(int(attack_hits.sum()), targets)
        metrics = [
            gated_metric(
                "singling_out_rate",
                value=attack,
                reference=control,
                standard_error=se,
                margin=p.rate_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="share of unique real records whose quasi-identifier combination appears",
            ),
            info_metric(
                "singling_out_risk",
                risk,
                reference=0.0,
                direction="lower_is_better",
                value_range=(None, 1.0),  # normalised_risk: (−∞, 1]
                description="(r_attack − r_control) / (1 − r_control), Anonymeter's normalised risk",
            ),
            info_metric(
                "singling_out_rate_ci_low",
                low,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="Wilson 95 % interval of the attack rate, lower end",
            ),
            info_metric(
                "singling_out_rate_ci_high",
                high,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description="Wilson 95 % interval of the attack rate, upper end",
            ),
        ]
        target_rows = pd.Series(base.index.to_numpy(), index=base_prints)
        reproduced = target_rows[target_rows.index.isin(unique_prints[attack_hits])].to_numpy()[:20]
        table = make_table(
            "quasi_identifiers",
            "Attack setting",
            [
                {
                    "quasi_identifiers": ", ".join(columns),
                    "unique_real_records": targets,
                    "chosen": "given" if given else "default (sensitive and low-cardinality columns)",
                    "reproduced_by_synthetic": int(attack_hits.sum()),
                    "reproduced_by_reference": int(control_hits.sum()),
                }
            ],
        )
        summary = (
            f"{attack:.2%} of the {targets} real records unique on {list(columns)} reappear in the synthetic data "
            f"(reference {control:.2%}; normalised risk {risk:.3f})."
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[table],
            sample_sizes={"targets": targets, "synthetic_rows": len(syn_prints), "reference_rows": len(ref_prints)},
            evidence={"reproduced_real_rows": reproduced.tolist()},
            columns={c: f"quasi-identifier ({ctx.roles[c].value})" for c in columns},
        )
