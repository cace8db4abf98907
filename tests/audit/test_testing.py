"""The conformance suite catches what it promises to: each property check fails on a check that breaks it."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
from pydantic import Field

from synthaudit.check import Check, CheckParams, Margin, Suite, gated_metric, make_table
from synthaudit.testing import PROPERTIES, Bench, Defect, parametrize_with_checks

BENCH = Bench(n=300)
SHIFT = Defect("ages shifted by 15 years", lambda s, rng: s.synth.assign(age=s.synth["age"] + 15))


class MeanAge(Check):
    """Mean age of the synthetic rows against the real one, as far apart as unseen real rows are."""

    name: ClassVar[str] = "fidelity.mean_age"
    suite: ClassVar[Suite] = Suite.FIDELITY
    description: ClassVar[str] = "Mean age matches."
    meaning: ClassVar[str] = (
        "Gap between synthetic and real mean age, in real SDs, against the reference's; lower is better."
    )
    gating_metrics: ClassVar[tuple[str, ...]] = ("mean_age_gap",)
    conformance_defect = SHIFT

    class Params(CheckParams):
        """Thresholds."""

        margin: Margin = Field(Margin(fail_floor=0.05), description="Margin over the reference's gap.")

    def _gap(self, pair) -> float:
        base, candidate = pair.base["age"], pair.candidate["age"]
        return float(abs(candidate.mean() - base.mean()) / base.std())

    def run(self, ctx):
        pair = ctx.synthetic_pair
        se = math.sqrt(2.0) * math.sqrt(1 / len(pair.base) + 1 / len(pair.candidate))
        metric = gated_metric(
            "mean_age_gap",
            value=self._gap(pair),
            reference=self._gap(ctx.reference_pair),
            standard_error=se,
            margin=self.params.margin,
            direction="lower_is_better",
            value_range=(0.0, None),
        )
        return self.result(metrics=[metric], summary="mean age gap", columns=["age"], ctx=ctx)


class Printing(MeanAge):
    """Prints while it runs."""

    name: ClassVar[str] = "fidelity.printing"

    def run(self, ctx):
        print("hello")
        return super().run(ctx)


class Reseeding(MeanAge):
    """Reseeds NumPy's global generator."""

    name: ClassVar[str] = "fidelity.reseeding"

    def run(self, ctx):
        np.random.seed(0)  # noqa: NPY002  (the breach under test)
        return super().run(ctx)


class NoMetric(MeanAge):
    """Passes without measuring anything."""

    name: ClassVar[str] = "fidelity.no_metric"

    def run(self, ctx):
        return self.result(metrics=[], summary="nothing", columns=["age"], ctx=ctx)


class ShowsIdentifiers(MeanAge):
    """Puts real identifiers in a table."""

    name: ClassVar[str] = "fidelity.shows_ids"

    def run(self, ctx):
        result = super().run(ctx)
        table = make_table("rows", "rows", [{"id": v} for v in ctx.real["customer_id"].head(3)])
        return type(result)(**{**{f: getattr(result, f) for f in result.__slots__}, "tables": (table,)})


class HardCodedMargin(MeanAge):
    """Undocumented Params field."""

    name: ClassVar[str] = "fidelity.undocumented"

    class Params(CheckParams):
        """Thresholds."""

        margin: Margin = Margin(fail_floor=0.05)


class NoDefect(MeanAge):
    """Declares no defect."""

    name: ClassVar[str] = "fidelity.no_defect"
    conformance_defect = None


class BlindToDefect(MeanAge):
    """Measures a column the defect leaves alone."""

    name: ClassVar[str] = "fidelity.blind"
    conformance_defect = Defect("incomes doubled", lambda s, rng: s.synth.assign(income=s.synth["income"] * 2))


@pytest.mark.parametrize(
    ("check", "breaks"),
    [
        (Printing, "quiet_and_seeded"),
        (Reseeding, "quiet_and_seeded"),
        (NoMetric, "passes_clean_sample"),
        (ShowsIdentifiers, "evidence_holds_no_values"),
        (HardCodedMargin, "attributes_and_docs"),
        (NoDefect, "fails_injected_defect"),
        (BlindToDefect, "fails_injected_defect"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_each_breach_is_caught_by_its_property(check, breaks):
    with pytest.raises(AssertionError):
        PROPERTIES[breaks](check, BENCH)


@parametrize_with_checks([MeanAge], bench=BENCH)
def test_a_check_that_keeps_the_contract_passes_every_property(check, conformance):
    conformance(check)


@parametrize_with_checks(
    [Printing], bench=BENCH, expected_failures={("fidelity.printing", "quiet_and_seeded"): "it prints, on purpose"}
)
def test_expected_failures_are_declared_with_a_reason(check, conformance):
    conformance(check)
