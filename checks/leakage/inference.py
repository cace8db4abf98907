"""``leakage.inference``: whether an attacker can infer a secret attribute of a training record."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from synthaudit.artefacts.attacks import attack_targets, nearest_synthetic
from synthaudit.check import (
    Check,
    CheckParams,
    Margin,
    Need,
    Suite,
    gated_metric,
    info_metric,
    make_table,
    worst_of_many_margin,
)
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.result import CheckResult, Metric
from synthaudit.stats.proportions import binomial_difference_se, normalised_risk

__all__ = ["AttributeInferenceCheck", "guess_is_correct"]

_MIN_TARGETS = 1_500


def _gap_to_fail(metric: Metric) -> tuple[bool, bool, float]:
    """Sort key, worst last: failed, past the warn threshold, then the gap as a share of the fail margin."""
    assert metric.reference_value is not None and metric.threshold is not None
    fail_delta = metric.threshold - metric.reference_value
    gap = metric.value - metric.reference_value
    ratio = gap / fail_delta if fail_delta > 0 else (math.inf if gap > 0 else 0.0)
    return metric.passed is False, metric.warned, ratio


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
    control's rate (range [0, 1], lower is better) — the secret furthest past its own control, as a share of
    its fail margin. Taking the worst of m secrets would let a clean sample cross a single comparison's
    margin about m times as often, so the standard-error multipliers are Šidák-adjusted for m (3 and 5 SE
    become 3.32 and 5.20 for three secrets; see :func:`synthaudit.check.sidak_multiplier`); the floors
    stay. Per secret, the table gives the standard error and the thresholds applied. Information:
    Anonymeter's normalised risk (r_attack − r_control) / (1 − r_control) per secret. Needs a holdout (no
    control without one), and a target or sensitive column.

    Cost: per secret (target and sensitive columns), an exact search of 2 × ``max_targets`` rows against the
    synthetic rows on the encoding of the other comparable columns, O(``max_targets`` × m × d), fewer targets
    when that would pass ``max_pairs`` distance evaluations per search (1.5·10⁹: 1,500 per side at 1M synthetic
    rows, the floor); the synthetic side stays whole.
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
            description="Margin over the control's success rate (share of attacked records); the standard-error "
            "multipliers are for one secret and are Šidák-adjusted for the number of secrets attacked.",
        )
        max_targets: int = Field(3000, ge=50, description="Seeded cap on attacked records per side (none with --full).")
        max_pairs: int = Field(
            1_500_000_000,
            ge=1,
            description="Seeded cap on distance evaluations per search and side (records attacked × synthetic rows): "
            "on very large synthetic sets fewer records are attacked (at least 1,500), each searched against every "
            "synthetic row (no cap with --full).",
        )
        numeric_tolerance: float = Field(
            0.05, gt=0, description="A numeric guess hits when within this many real standard deviations."
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        """Attack every secret column with the nearest synthetic record on the quasi-identifiers."""
        p = self.params
        candidates = [ctx.data.target, *ctx.data.sensitive]
        secrets = [c for c in dict.fromkeys(candidates) if c and ctx.roles.get(c) not in (None, Role.EMPTY)]
        if not secrets:
            return self.skip("needs a secret column: the outcome (--target) or a sensitive column (--sensitive)")
        given = ctx.data.quasi_identifiers
        # the search is exact over every synthetic row: on huge synthetic sets, fewer records are attacked
        cap = min(p.max_targets, max(_MIN_TARGETS, p.max_pairs // max(1, len(ctx.synth))))
        targets = attack_targets(ctx, self.name, cap)
        rows = []
        known_columns: set[str] = set()
        for secret in secrets:
            pool = given or ctx.comparable_columns
            known = [c for c in pool if c != secret and c in ctx.data.columns]
            if not known:
                continue
            known_columns.update(known)
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
        margin = worst_of_many_margin(p.rate_margin, len(rows))
        of_many = f"; worst of {len(rows)} secrets" if len(rows) > 1 else ""
        cells = {
            row["secret"]: gated_metric(
                "inference_success_rate",
                value=row["attack_rate"],
                reference=row["control_rate"],
                standard_error=binomial_difference_se(row["attack_rate"], n, row["control_rate"], n),
                margin=margin,
                direction="lower_is_better",
                value_range=(0.0, 1.0),
                description=(
                    f"share of training records whose {row['secret']!r} is guessed{of_many} (margins "
                    f"{margin.warn_se:.2f} / {margin.fail_se:.2f} SE for warn / fail)"
                ),
            )
            for row in rows
        }
        for row in rows:
            cell = cells[row["secret"]]
            row["standard_error"] = cell.standard_error
            row["warn_threshold"] = cell.warn_threshold
            row["fail_threshold"] = cell.threshold
        worst = max(rows, key=lambda r: (_gap_to_fail(cells[r["secret"]]), r["secret"]))
        metrics = [
            cells[worst["secret"]],
            info_metric(
                "inference_risk",
                worst["risk"],
                reference=0.0,
                direction="lower_is_better",
                value_range=(None, 1.0),  # normalised_risk: (−∞, 1]
                description=f"Anonymeter's normalised inference risk for {worst['secret']!r}",
            ),
        ]
        rows.sort(key=lambda r: (_gap_to_fail(cells[r["secret"]]), r["secret"]), reverse=True)
        summary = (
            f"Secret {worst['secret']!r} guessed for {worst['attack_rate']:.1%} of training records vs "
            f"{worst['control_rate']:.1%} of unseen records (normalised risk {worst['risk']:.3f}{of_many})."
        )
        attacked = {row["secret"] for row in rows}
        how = {(True, False): "secret", (False, True): "quasi-identifier", (True, True): "secret, quasi-identifier"}
        used = {
            c: f"{how[c in attacked, c in known_columns]} ({ctx.roles[c].value})"
            for c in ctx.data.columns
            if c in attacked or c in known_columns
        }
        return self.result(
            metrics=metrics,
            summary=summary,
            tables=[make_table("secrets", "Inference attack per secret column, worst first", rows)],
            sample_sizes={"training_targets": n, "control_targets": n, "synthetic_rows": len(ctx.synth)},
            columns=used,
            reference="holdout",
        )
