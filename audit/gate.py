"""The gate: a pure function from check results and the policy to a pass/fail decision with reasons.

Only the gate decides. A check reports what it measured (its status) and the facts the rules need; the gate
applies, in this order, to each check:

1. the **inferred-sensitive downgrade**: a ``fail`` of a check whose result says
   ``facts["sensitive_inferred"]`` (its sensitive columns were guessed from column names, not named with
   ``--sensitive``) becomes a ``warn``;
2. **waivers**: a ``fail`` or ``error`` covered by an active waiver of the policy does not fail the gate (an
   expired waiver is ignored, with a warning);
3. ``error`` fails the gate unless the policy's ``errors_fail`` is false; ``warn`` fails it under
   ``--fail-on-warn``; ``fail`` always does;
4. a **required** check that was skipped for missing needs (or did not run) fails the gate; a check left out
   on purpose with ``--only`` / ``--skip`` does not count.

The gate also fails when no gating check ran at all, and first of all when the reference itself is
implausible (holdout vs real does not look like real vs real), since every relative threshold rests on it.
The decision carries each check's :class:`~synthaudit.result.Outcome` (gated status, whether it fails the
gate, and why in words); renderers only map outcomes. :func:`apply_outcomes` mirrors them onto the check
results' legacy fields (``status``, ``summary``, ``waiver``) for readers of those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from synthaudit.result import CheckResult, GateDecision, Outcome, Status, Waiver

if TYPE_CHECKING:
    from synthaudit.policy import WaiverSpec

__all__ = ["REFERENCE_CHECK", "SENSITIVE_COLUMNS", "SENSITIVE_INFERRED", "apply_outcomes", "decide_gate"]

REFERENCE_CHECK = "reference.plausible"
"""The name under which an implausible reference is listed among the failing items."""
SENSITIVE_INFERRED = "sensitive_inferred"
"""The fact (``CheckResult.facts``) that makes the gate downgrade a fail to a warn."""
SENSITIVE_COLUMNS = "sensitive_columns"
"""The fact naming the inferred sensitive columns, quoted in the downgrade's explanation."""


def _downgrade_note(check: CheckResult) -> str:
    columns = list(check.facts.get(SENSITIVE_COLUMNS, ()))
    return (
        f"Downgraded from fail to warn: the sensitive columns {columns} were inferred from column names; name them "
        "with --sensitive to gate on them."
    )


def _waivers(
    specs: Iterable[WaiverSpec], today: dt.date, checks: Sequence[CheckResult]
) -> tuple[dict[str, Waiver], list[str]]:
    """Waiver records of the present checks (active or expired), and a warning for each expired one."""
    by_check = {spec.check: spec for spec in specs}
    records: dict[str, Waiver] = {}
    warnings: list[str] = []
    for check in checks:
        spec = by_check.get(check.name)
        if spec is None:
            continue
        active = today <= spec.expires
        if not active:
            warnings.append(
                f"the waiver for {spec.check} (owner {spec.owner}) expired on {spec.expires.isoformat()} "
                "and was ignored; renew it or fix the check's failure"
            )
        records[check.name] = Waiver(spec.check, spec.reason, spec.owner, spec.expires.isoformat(), active)
    return records, warnings


def _outcome(check: CheckResult, waiver: Waiver | None, *, fail_on_warn: bool, errors_fail: bool) -> Outcome:
    """Apply the downgrade, the waiver and the fail rules to one check (module docstring, rules 1-3)."""
    why: list[str] = []
    status = check.status
    if status is Status.FAIL and check.facts.get(SENSITIVE_INFERRED):
        status = Status.WARN
        why.append(_downgrade_note(check))
    bad = status is Status.FAIL or (status is Status.ERROR and errors_fail) or (status is Status.WARN and fail_on_warn)
    waived = bad and waiver is not None and waiver.active
    if waived and waiver is not None:
        why.append(f"waived by {waiver.owner} until {waiver.expires}: {waiver.reason}")
    elif status is Status.ERROR and not errors_fail:
        why.append("an error does not fail the gate (policy errors_fail: false)")
    elif status is Status.WARN and fail_on_warn:
        why.append("a warning fails the gate (fail_on_warn)")
    return Outcome(
        check=check.name,
        measured=check.status,
        status=status,
        fails_gate=bad and not waived,
        waived=waived,
        waiver=waiver,
        why=tuple(why),
    )


def decide_gate(
    checks: Sequence[CheckResult],
    *,
    required: Iterable[str] = (),
    fail_on_warn: bool = False,
    errors_fail: bool = True,
    deselected: Iterable[str] = (),
    warnings: Iterable[str] = (),
    reference: Mapping[str, Any] | None = None,
    waivers: Iterable[WaiverSpec] = (),
    today: dt.date | None = None,
) -> GateDecision:
    """Decide whether the audit passes, say why not, and give every check's outcome.

    ``reference`` is the reference's plausibility record (``synthaudit.plausibility``): when its
    ``plausible`` is False the gate fails first, with the record's reason. ``waivers`` are the policy's
    waivers, active up to and including their expiry date, judged on ``today`` (default: the current date).
    """
    failing: list[str] = []
    reasons: list[str] = []
    if reference is not None and reference.get("plausible") is False:
        failing.append(REFERENCE_CHECK)
        reasons.append(str(reference.get("reason", "the reference is implausible")))
    by_name = {c.name: c for c in checks}
    records, waiver_warnings = _waivers(waivers, today or dt.date.today(), checks)
    outcomes = {
        c.name: _outcome(c, records.get(c.name), fail_on_warn=fail_on_warn, errors_fail=errors_fail) for c in checks
    }
    for check in checks:
        outcome = outcomes[check.name]
        if not outcome.fails_gate:
            continue
        failing.append(check.name)
        if outcome.status is Status.ERROR:
            detail = check.error.message if check.error else "it raised"
            reasons.append(f"{check.name} raised an error: {detail}")
        else:
            reasons.append(f"{check.name} {outcome.status.value}ed: {_gated_summary(check, outcome)}")
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
            outcomes[name] = replace(
                outcomes[name], fails_gate=True, why=(f"required check skipped: {check.skipped_reason}",)
            )
    gating_ran = any(c.status in (Status.PASS, Status.WARN, Status.FAIL) and c.gating_metrics for c in checks)
    if not gating_ran:
        reasons.append("no gating check ran, so nothing was verified")
    return GateDecision(
        passed=not failing and gating_ran,
        failing=tuple(dict.fromkeys(failing)),
        reasons=tuple(reasons),
        waived=tuple(o.check for o in outcomes.values() if o.waived),
        warnings=(*waiver_warnings, *warnings),
        measured=tuple(c.name for c in checks if c.measured),
        skipped=tuple(c.name for c in checks if c.status is Status.SKIPPED),
        outcomes=tuple(outcomes[c.name] for c in checks),
    )


def _gated_summary(check: CheckResult, outcome: Outcome) -> str:
    """The check's summary followed by the downgrade's explanation when the gate downgraded it."""
    if outcome.status is check.status:
        return check.summary
    return f"{check.summary} {_downgrade_note(check)}"


def apply_outcomes(checks: Sequence[CheckResult], decision: GateDecision) -> tuple[CheckResult, ...]:
    """Mirror the gate's outcomes onto the results' legacy fields, for readers that do not read outcomes.

    ``status`` becomes the gated status (a downgraded fail reads ``warn``), ``summary`` gains the downgrade's
    explanation, and ``waiver`` holds the policy's waiver for the check (active or expired). Nothing is
    decided here: every value comes from the decision.
    """
    out = []
    for check in checks:
        outcome = decision.outcome(check.name)
        if outcome is None:
            out.append(check)
            continue
        out.append(
            replace(
                check,
                status=outcome.status,
                summary=_gated_summary(check, outcome),
                waiver=outcome.waiver if outcome.waiver is not None else check.waiver,
            )
        )
    return tuple(out)
