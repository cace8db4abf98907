"""``leakage.inference``: whether an attacker can infer a secret attribute of a training record."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Need, Suite, gated_metric, info_metric, make_table
from synthaudit.checks.leakage.attacks import attack_targets, binomial_difference_se, nearest_synthetic
from synthaudit.checks.leakage.rare_records import normalised_risk
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult

__all__ = ["AttributeInferenceCheck", "guess_is_correct"]


def guess_is_correct(truth: pd.Series, guess: np.ndarray, numeric: bool, tolerance: float) -> np.ndarray:
    """Whether each guess hits: equal for categories, within ``tolerance`` for numbers; missing never hits."""
    truth_values = truth.to_numpy()
    present = truth.notna().to_numpy()
    if numeric:
        t = truth_values.astype(float)
        g = guess.astype(float)
        return present & np.isfinite(g) & (np.abs(t - g) <= tolerance)
    return present & (truth_values.astype(object) == guess.astype(object))


class AttributeInferenceCheck(Check):
    """Attribute-inference risk (Anonymeter's inference attack), for the target and each sensitive column.

    The attacker knows a real record's quasi-identifiers (``--quasi-identifiers``; by default every other
    comparable column, the strongest attacker), finds the nearest synthetic record on them
    (exact search on the encoded quasi-identifiers) and guesses the record's secret column from it: a
    category must match, a number must fall within ``numeric_tolerance`` real standard deviations. The
    attack runs on training records and, as the control, on holdout records: a generator that learned
    the population lets the attacker guess both about equally well; one that memorised its training rows
    gives training secrets away. Gating: the worst secret's success rate on training records against the
    control's rate (range [0, 1], lower is better). Information: Anonymeter's normalised risk
    (r_attack − r_control) / (1 − r_control) per secret. Needs a holdout (no control without one), and a
    target or sensitive column. Cost: exact search of 2 × ``max_targets`` rows per secret.
    """

    name: ClassVar[str] = "leakage.inference"
    suite: ClassVar[Suite] = Suite.LEAKAGE
    description: ClassVar[str] = (
        "Knowing a person's quasi-identifiers, the synthetic data does not reveal their secrets."
    )
    meaning: ClassVar[str] = (
        "How often an attacker who knows some attributes of a real person guesses their secret attribute (the "
        "outcome or a sensitive column) from the most similar synthetic row — for people in the training data, "
        "compared with people the generator never saw. Lower is better; the gap is the leak."
    )
    needs: ClassVar[frozenset[Need]] = frozenset({Need.HOLDOUT})
    gating_metrics: ClassVar[tuple[str, ...]] = ("inference_success_rate",)

    class Params(CheckParams):
        """Thresholds of ``leakage.inference``."""

        rate_margin: Margin = Field(
            Margin(warn_se=3.0, fail_se=5.0, warn_floor=0.015, fail_floor=0.03),
            description="Margin over the control's success rate (share of attacked records).",
        )
        max_targets: int = Field(3000, ge=50, description="Seeded cap on attacked records per side (none with --full).")
        numeric_tolerance: float = Field(
            0.05, gt=0, description="A numeric guess hits when within this many real standard deviations."
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Attack every secret column with the nearest synthetic record on the quasi-identifiers."""
        p = self.params
        assert isinstance(p, AttributeInferenceCheck.Params)
        candidates = [ctx.data.target, *ctx.data.sensitive]
        secrets = [c for c in dict.fromkeys(candidates) if c and ctx.roles.get(c) not in (None, Role.EMPTY)]
        if not secrets:
            return self.skip("needs a secret column: the outcome (--target) or a sensitive column (--sensitive)")
        given = ctx.data.quasi_identifiers
        targets = attack_targets(ctx, self.name, p.max_targets)
        rows = []
        for secret in secrets:
            pool = given or ctx.comparable_columns
            known = [c for c in pool if c != secret and c in ctx.data.columns]
            if not known:
                continue
            member_nn, control_nn = nearest_synthetic(ctx, known, [targets.members, targets.controls])
            numeric = ctx.roles[secret] in (Role.NUMERIC, Role.DATETIME)
            tolerance = 0.0
            if numeric:
                real_values = ctx.real[secret]
                if ctx.roles[secret] is Role.DATETIME:
                    real_values = real_values.astype("int64").astype(float)
                tolerance = p.numeric_tolerance * float(np.nanstd(real_values.to_numpy(dtype=float)))
            synthetic_secret = ctx.synth[secret].to_numpy()
            rates = []
            for frame, nn in ((targets.members, member_nn), (targets.controls, control_nn)):
                truth = frame[secret]
                guess = synthetic_secret[nn[:, 0]]
                if ctx.roles[secret] is Role.DATETIME:
                    truth = truth.astype("int64").astype(float)
                    guess = pd.Series(guess).astype("int64").to_numpy(dtype=float)
                rates.append(float(guess_is_correct(truth, guess, numeric, tolerance).mean()))
            rows.append(
                {
                    "secret": secret,
                    "known_columns": ", ".join(known),
                    "attack_rate": rates[0],
                    "control_rate": rates[1],
                    "risk": normalised_risk(rates[0], rates[1]),
                }
            )
        if not rows:
            return self.skip("no quasi-identifier is left to attack with once the secret is removed")
        n = len(targets.members)
        worst = max(rows, key=lambda r: r["attack_rate"] - r["control_rate"])
        metrics = [
            gated_metric(
                "inference_success_rate",
                value=worst["attack_rate"],
                reference=worst["control_rate"],
                standard_error=binomial_difference_se(worst["attack_rate"], n, worst["control_rate"], n),
                margin=p.rate_margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=f"share of training records whose {worst['secret']!r} is guessed",
            ),
            info_metric(
                "inference_risk",
                worst["risk"],
                reference=0.0,
                direction="lower_is_better",
                value_range=(-1.0, 1.0),
                description=f"Anonymeter's normalised inference risk for {worst['secret']!r}",
            ),
        ]
        rows.sort(key=lambda r: r["control_rate"] - r["attack_rate"])
        summary = (
            f"Secret {worst['secret']!r} guessed for {worst['attack_rate']:.1%} of training records vs "
            f"{worst['control_rate']:.1%} of unseen records (normalised risk {worst['risk']:.3f})."
        )
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[make_table("secrets", "Inference attack per secret column, worst first", rows)],
            sample_sizes={"training_targets": n, "control_targets": n, "synthetic_rows": len(ctx.synth)},
            reference="holdout",
        )
