"""Property: any frame, through the whole audit and through every built-in check alone, never crashes.

For random real / synthetic / holdout frames (numeric, categorical, boolean, datetime, text, identifier,
constant, all-missing, unicode, extreme and mixed-type columns; missing values anywhere; duplicated rows):

- the audit returns a result or raises :class:`~synthaudit.errors.InputError` (bad input, e.g. too few
  rows), nothing else;
- every check ends ``pass`` / ``warn`` / ``fail`` with finite metrics inside their declared ranges, or
  ``skipped`` with a reason; never ``error`` (a crash is a bug, whatever the data);
- the JSON is strict (no NaN / Infinity) and round-trips.

Text embeddings come from a deterministic stand-in (:class:`FakeEmbedder`): the property is about the
checks' arithmetic on degenerate data, not the model. Profiles are derandomised, so CI is deterministic;
``HYPOTHESIS_PROFILE=synthaudit-explore`` explores with more, random examples.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

import synthaudit.context_text
from synthaudit import audit
from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.errors import InputError
from synthaudit.registry import load_registry
from synthaudit.result import AuditResult, CheckResult, GateDecision, Status
from synthaudit.runner import missing_need_reason
from tests.property.frames import ColumnSpec, FakeEmbedder, FrameSpec, build, frame_specs

settings.register_profile(
    "synthaudit-ci",
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "synthaudit-explore",
    max_examples=200,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "synthaudit-ci")

REGISTRY = load_registry(autoload_plugins=False)
CHECKS = REGISTRY.classes
FAST_CHECKS = (
    "constraints",
    "fidelity.marginals",
    "fidelity.pairwise",
    "fidelity.kmarginal",
    "diversity.duplicates",
    "diversity.coverage",
    "leakage.exact_copies",
    "leakage.rare_records",
    "balance.representation",
)
"""Checks that cost milliseconds on a small frame: the many-examples property runs these."""


@pytest.fixture(scope="module", autouse=True)
def _fake_embeddings() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synthaudit.context_text, "embeddings_unavailable_reason", lambda options: None)
        patch.setattr(AuditContext, "embedder", property(lambda self: FakeEmbedder()))
        yield


def _strict(text: str) -> object:
    def reject(constant: str) -> object:
        raise AssertionError(f"the JSON holds {constant}")

    return json.loads(text, parse_constant=reject)


def _assert_sound(result: CheckResult) -> None:
    where = f"{result.name} ({result.status.value}: {result.summary})"
    assert result.status is not Status.ERROR, f"{where}\n{result.error.traceback if result.error else ''}"
    if result.status is Status.SKIPPED:
        assert result.skipped_reason, f"{where}: a skip must say why"
        return
    assert result.metrics, f"{where}: a measured result needs metrics"
    for metric in result.metrics:
        assert math.isfinite(metric.value), f"{where}: {metric.name} = {metric.value}"
        low, high = metric.value_range
        assert low is None or metric.value >= low - 1e-9, f"{where}: {metric.name}={metric.value} < {low}"
        assert high is None or metric.value <= high + 1e-9, f"{where}: {metric.name}={metric.value} > {high}"
    if result.status is Status.PASS:
        assert result.gating_metrics, f"{where}: a pass must rest on a gating metric"


def _roles(real_columns: list[str]) -> dict[str, Any]:
    """Target / sensitive / text columns named the way a user would (only when the frame has them)."""
    roles: dict[str, Any] = {}
    text = [c for c in real_columns if c.startswith("text_")]
    if text:
        roles["text"] = text
    categories = [c for c in real_columns if c.startswith(("category_", "boolean_"))]
    if categories:
        roles["sensitive"] = categories[:1]
        roles["target"] = categories[-1]
    return roles


def _audit(spec: FrameSpec, only: tuple[str, ...] = ()) -> AuditResult | None:
    real, synth, holdout = build(spec)
    try:
        result = audit(
            real,
            synth,
            holdout,
            registry=REGISTRY,
            only=only,
            no_cache=True,
            **_roles(list(real.columns)),
        )
    except InputError as exc:
        assert str(exc).strip()
        return None
    for check in result.checks_list:
        _assert_sound(check)
    text = result.to_json()
    _strict(text)
    assert AuditResult.from_json(text).to_json() == text
    return result


# -------------------------------------------------------------- regressions found by the properties
CONSTANT_AND_EMPTY = FrameSpec(
    columns=(ColumnSpec("constant"), ColumnSpec("empty"), ColumnSpec("float")), real_rows=40, synth_rows=40
)
ONLY_DEGENERATE = FrameSpec(columns=(ColumnSpec("constant"), ColumnSpec("empty")), real_rows=30, synth_rows=25)
EXTREMES = FrameSpec(  # found: fidelity.marginals' histogram edges overflowed on ±1e308
    columns=(ColumnSpec("extreme"), ColumnSpec("huge_int"), ColumnSpec("category", 0.5)),
    real_rows=60,
    synth_rows=60,
    holdout_rows=30,
)
ALL_COPIES = FrameSpec(
    columns=(ColumnSpec("int"), ColumnSpec("category")), real_rows=50, synth_rows=50, copied_share=1.0
)
ONE_REPEATED_ROW = FrameSpec(
    columns=(ColumnSpec("float"), ColumnSpec("boolean", 0.5)), real_rows=50, synth_rows=50, repeated_share=1.0
)
UNICODE_AND_MIXED = FrameSpec(
    columns=(ColumnSpec("unicode", 0.05), ColumnSpec("mixed"), ColumnSpec("datetime", 0.5)),
    real_rows=45,
    synth_rows=45,
    holdout_rows=45,
)


@settings(settings.get_profile(PROFILE), max_examples=settings.get_profile(PROFILE).max_examples * 4)
@given(frame_specs())
@example(CONSTANT_AND_EMPTY)
@example(ONLY_DEGENERATE)
@example(EXTREMES)
@example(ALL_COPIES)
@example(ONE_REPEATED_ROW)
@example(UNICODE_AND_MIXED)
def test_the_fast_checks_never_crash_on_any_frame(spec: FrameSpec) -> None:
    _audit(spec, only=FAST_CHECKS)


ALMOST_EMPTY_COLUMN = FrameSpec(
    columns=(ColumnSpec("float", 0.95),), real_rows=20, synth_rows=20, holdout_rows=20, seed=136
)
"""Found: scikit-learn's histogram binning crashed on a feature all-missing in a training fold (the
classifier two-sample test of the reference plausibility, before any check ran)."""


@settings(settings.get_profile(PROFILE))
@given(frame_specs(min_rows=20, max_rows=120, max_columns=4))
@example(ALMOST_EMPTY_COLUMN)
@example(CONSTANT_AND_EMPTY)
@example(EXTREMES)
@example(UNICODE_AND_MIXED)
def test_the_whole_audit_never_crashes_on_any_frame(spec: FrameSpec) -> None:
    _audit(spec)


def _context(spec: FrameSpec) -> AuditContext | None:
    real, synth, holdout = build(spec)
    try:
        data = align(
            load_table(real, label="real"),
            load_table(synth, label="synthetic"),
            None if holdout is None else load_table(holdout, label="holdout"),
            **_roles(list(real.columns)),
        )
    except InputError:
        return None
    return AuditContext(data, seed=spec.seed)


TINY = FrameSpec(columns=(ColumnSpec("float"), ColumnSpec("category")), real_rows=2, synth_rows=1, holdout_rows=1)
ONE_REAL_ROW = FrameSpec(columns=(ColumnSpec("float"),), real_rows=1, synth_rows=1)
"""Found: leakage.dcr indexed the distances to an empty base (the seeded half of one real row)."""
CONTROL_BEATS_ATTACK = FrameSpec(
    columns=(ColumnSpec("unicode"), ColumnSpec("float"), ColumnSpec("float")), real_rows=10, synth_rows=3, seed=4696
)
"""Found: Anonymeter's normalised risk is below −1 when the control beats the attack; its range is (−∞, 1]."""


@pytest.mark.parametrize("name", sorted(CHECKS))
@settings(settings.get_profile(PROFILE), max_examples=3)
@given(frame_specs(min_rows=1, max_rows=30, max_columns=4))
@example(TINY)
@example(ONLY_DEGENERATE)
@example(ONE_REAL_ROW)
@example(CONTROL_BEATS_ATTACK)
def test_each_check_alone_never_crashes_on_tiny_or_degenerate_frames(name: str, spec: FrameSpec) -> None:
    ctx = _context(spec)
    if ctx is None:
        return
    cls = CHECKS[name]
    check = cls()
    missing = [r for need in sorted(cls.needs) if (r := missing_need_reason(need, ctx))]
    result = check.skip("; ".join(missing)) if missing else check.run(ctx)
    _assert_sound(result)
    wrapper = AuditResult(
        passed=True,
        gate=GateDecision(True),
        checks_list=(result,),
        inputs={},
        policy={},
        seed=0,
        tool_version="t",
        reference={},
    )
    _strict(wrapper.to_json())
