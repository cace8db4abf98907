"""The gate: a pure function from check results and the policy to a pass/fail decision with reasons.

DESIGN: the gate fails on any ``fail`` or ``error`` (unless waived, or errors are allowed by the policy);
on a ``warn`` under ``--fail-on-warn``; on a required check that was skipped for missing needs (a check
left out on purpose with ``--only`` / ``--skip`` does not count); and when no gating check ran at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from synthaudit.result import CheckResult, GateDecision, Status

__all__ = ["decide_gate"]


def decide_gate(
    checks: Sequence[CheckResult],
    *,
    required: Iterable[str] = (),
    fail_on_warn: bool = False,
    errors_fail: bool = True,
    deselected: Iterable[str] = (),
    warnings: Iterable[str] = (),
) -> GateDecision:
    """Decide whether the audit passes, and say why not."""
    failing: list[str] = []
    reasons: list[str] = []
    waived: list[str] = []
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
    )
