"""Conformance helper for check authors: ``check_contract(MyCheck)`` raises ``AssertionError`` on a breach.

It verifies the class attributes and ``Params`` (validated defaults, every field described, a docstring),
runs the check on a tiny clean sample (real, holdout and synthetic rows drawn independently from one
population), and requires: a ``pass`` (or a skip for needs the sample cannot meet) with at least one
gating metric and the columns it measured, gating metrics that the class declares, finite metrics
inside their declared ranges, a deterministic repeat, and a JSON round-trip of the result. Our own test
suite runs it over every registered check.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from synthaudit.check import Check
from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.registry import validate_check_class
from synthaudit.result import AuditResult, CheckResult, GateDecision, Status
from synthaudit.runner import missing_need_reason

__all__ = ["check_contract", "clean_sample"]


def clean_sample(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows of a small mixed population: correlated numerics, categories, a binary outcome."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    age = np.clip(rng.normal(40, 12, n) + (group == "b") * 5, 18, 90).round()
    income = np.exp(rng.normal(10 + 0.01 * age, 0.5))
    colour = rng.choice(["red", "green", "blue", "grey"], size=n)
    score = rng.normal(0, 1, n) + 0.02 * age
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-(score - 0.8))), "yes", "no")
    return pd.DataFrame(
        {"age": age.astype(int), "income": income, "group": group, "colour": colour, "score": score, "label": label}
    )


def _context(real: pd.DataFrame, synth: pd.DataFrame, holdout: pd.DataFrame, seed: int) -> AuditContext:
    data = align(
        load_table(real, label="real"),
        load_table(synth, label="synthetic"),
        load_table(holdout, label="holdout"),
        target="label" if "label" in real.columns else None,
        sensitive=["group"] if "group" in real.columns else [],
    )
    return AuditContext(data, seed=seed)


def _roundtrip(result: CheckResult) -> CheckResult:
    wrapper = AuditResult(
        passed=True,
        gate=GateDecision(True),
        checks_list=(result,),
        inputs={},
        policy={},
        seed=0,
        tool_version="test",
        reference={},
    )
    return AuditResult.from_json(wrapper.to_json()).checks_list[0]


def check_contract(
    check_cls: type[Check],
    *,
    sample: Callable[[int, int], pd.DataFrame] = clean_sample,
    n: int = 800,
    seed: int = 0,
) -> CheckResult:
    """Assert that ``check_cls`` keeps the check contract; return its result on the clean sample."""
    validate_check_class(check_cls, check_cls.__qualname__)
    assert (check_cls.__doc__ or "").strip(), f"{check_cls.name}: the check class needs a docstring"
    assert check_cls.meaning.strip(), f"{check_cls.name}: `meaning` must say in plain words what it measures"
    params = check_cls.Params()
    for field_name, field in type(params).model_fields.items():
        assert field.description, f"{check_cls.name}: Params.{field_name} needs a Field(description=...)"
    assert check_cls(params) == check_cls(), f"{check_cls.name}: construction must only store params"

    real, holdout, synth = sample(n, seed), sample(n, seed + 1), sample(n, seed + 2)
    ctx = _context(real, synth, holdout, seed)
    check = check_cls()
    missing = [r for need in sorted(check_cls.needs) if (r := missing_need_reason(need, ctx))]
    if missing:
        return check.skip("; ".join(missing))
    result = check.run(ctx)
    assert result.name == check_cls.name, f"run() returned a result named {result.name!r}"
    assert result.status in (Status.PASS, Status.SKIPPED), (
        f"{check_cls.name} must pass on a clean independent sample; got {result.status}: {result.summary}"
    )
    if result.status is Status.SKIPPED:
        assert result.skipped_reason, f"{check_cls.name}: a skip must say why"
    else:
        assert result.gating_metrics, f"{check_cls.name}: a check that passes must have measured a gating metric"
        assert result.columns, f"{check_cls.name}: a result must list the columns it measured (result(columns=...))"
        unknown = set(result.columns) - set(real.columns)
        assert not unknown, f"{check_cls.name}: lists columns the data does not have: {sorted(unknown)}"
    for metric in result.metrics:
        assert math.isfinite(metric.value), f"{check_cls.name}.{metric.name} is not finite"
        low, high = metric.value_range
        assert low is None or metric.value >= low - 1e-12, f"{metric.name}={metric.value} below its range"
        assert high is None or metric.value <= high + 1e-12, f"{metric.name}={metric.value} above its range"
        if metric.gating:
            assert metric.name in check_cls.gating_metrics, (
                f"{check_cls.name}: gating metric {metric.name!r} is not declared in gating_metrics"
            )
            assert metric.threshold is not None and metric.reference_value is not None
    again = check_cls().run(_context(real, synth, holdout, seed))
    assert again == result, f"{check_cls.name}: two identical runs gave different results"
    assert _roundtrip(result) == result, f"{check_cls.name}: the result does not survive a JSON round-trip"
    return result
