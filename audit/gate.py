"""The gate: a pure function from check results and the policy to a pass/fail decision with reasons.

DESIGN: the gate fails on any ``fail`` or ``error`` (unless waived, or errors are allowed by the policy);
on a ``warn`` under ``--fail-on-warn``; on a required check that was skipped for missing needs (a check
left out on purpose with ``--only`` / ``--skip`` does not count); when no gating check ran at all; and
when the reference itself is implausible (holdout vs real does not look like real vs real), since every
relative threshold rests on it. The decision counts the checks that measured something and those skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from synthaudit.result import CheckResult, GateDecision, Status

__all__ = ["REFERENCE_CHECK", "decide_gate"]

REFERENCE_CHECK = "reference.plausible"
"""The name under which an implausible reference is listed among the failing items."""


def decide_gate(
    checks: Sequence[CheckResult],
    *,
    required: Iterable[str] = (),
    fail_on_warn: bool = False,
    errors_fail: bool = True,
    deselected: Iterable[str] = (),
    warnings: Iterable[str] = (),
    reference: Mapping[str, Any] | None = None,
) -> GateDecision:
    """Decide whether the audit passes, and say why not.

    ``reference`` is the reference's plausibility record (``synthaudit.plausibility``): when its
    ``plausible`` is False the gate fails first, with the record's reason.
    """
    failing: list[str] = []
    reasons: list[str] = []
    waived: list[str] = []
    if reference is not None and reference.get("plausible") is False:
        failing.append(REFERENCE_CHECK)
        reasons.append(str(reference.get("reason", "the reference is implausible")))
    by_name = {c.name: c for c in checks}
    for check in checks:
        bad = (
            check.status is Status.FAIL
            or (check.status is Status.ERROR and errors_fail)
            or (check.status is Status.WARN and fail_on_warn)
        )
        if not bad:
            continue
        if check.waiver is not None and check.waiver.active:
            waived.append(check.name)
            continue
        failing.append(check.name)
        if check.status is Status.ERROR:
            detail = check.error.message if check.error else "it raised"
            reasons.append(f"{check.name} raised an error: {detail}")
        else:
            reasons.append(f"{check.name} {check.status.value}ed: {check.summary}")
    left_out = set(deselected)
    for name in required:
        if name in left_out:
            continue
        check = by_name.get(name)
        if check is None:
            failing.append(name)
            reasons.append(f"required check {name} did not run")
        elif check.status is Status.SKIPPED:
            failing.append(name)
            reasons.append(f"required check {name} was skipped: {check.skipped_reason}")
    gating_ran = any(c.status in (Status.PASS, Status.WARN, Status.FAIL) and c.gating_metrics for c in checks)
    if not gating_ran:
        reasons.append("no gating check ran, so nothing was verified")
    return GateDecision(
        passed=not failing and gating_ran,
        failing=tuple(dict.fromkeys(failing)),
        reasons=tuple(reasons),
        waived=tuple(waived),
        warnings=tuple(warnings),
        measured=tuple(c.name for c in checks if c.measured),
        skipped=tuple(c.name for c in checks if c.status is Status.SKIPPED),
    )
