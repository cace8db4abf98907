"""The runner: which checks run, skipping those whose needs are missing, isolating errors, timing each.

A check that raises becomes an ``error`` result with the exception type, message and a trimmed
traceback; the audit goes on. Progress events (``check_started`` / ``check_finished``) go to an optional
callback, which the CLI turns into a progress bar.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from synthaudit.check import Check, CheckParams, Need
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.policy import Policy
from synthaudit.result import CheckResult, ErrorInfo, Status

__all__ = ["Selection", "missing_need_reason", "run_checks", "select_checks"]

logger = logging.getLogger(__name__)

EventCallback = Callable[[str, dict[str, Any]], None]
_TRACEBACK_LINES = 30


@dataclass(frozen=True)
class Selection:
    """Checks chosen to run, and the ones left out on purpose (by ``--only``, ``--skip`` or the policy)."""

    run: tuple[str, ...]
    deselected: tuple[str, ...]


def _matches(name: str, selectors: Sequence[str]) -> bool:
    return any(name == s or name.startswith(s + ".") for s in selectors)


def select_checks(names: Sequence[str], policy: Policy) -> Selection:
    """Apply ``only`` / ``skip`` (check names or whole suites) and per-check ``enabled: false``."""
    chosen: list[str] = []
    left_out: list[str] = []
    for name in sorted(names):
        enabled = policy.checks[name].enabled if name in policy.checks else True
        keep = enabled and (not policy.only or _matches(name, policy.only)) and not _matches(name, policy.skip)
        (chosen if keep else left_out).append(name)
    return Selection(tuple(chosen), tuple(left_out))


def missing_need_reason(need: Need, ctx: AuditContext) -> str | None:
    """Why ``need`` is not met in this audit (with how to meet it), or ``None`` when it is."""
    data = ctx.data
    if need is Need.HOLDOUT and ctx.holdout is None:
        return "needs a holdout: real rows the generator never saw (--holdout FILE)"
    if need is Need.TARGET and not data.target:
        return "needs an outcome column (--target COL)"
    if need is Need.SENSITIVE and not data.sensitive:
        return "needs demographic columns (--sensitive COL)"
    if need is Need.TEXT and not data.text:
        return "needs text columns (--text COL), and none was found"
    if need is Need.NUMERIC and not ctx.columns_with(Role.NUMERIC, Role.DATETIME):
        return "needs numeric or datetime columns, and the data has none"
    if need is Need.CATEGORICAL and not ctx.columns_with(Role.CATEGORICAL, Role.BOOLEAN):
        return "needs categorical columns, and the data has none"
    if need is Need.IDENTIFIER and not data.ids:
        return "needs identifier columns (--id COL), and none was found"
    return None


def _error_result(check: Check, exc: BaseException) -> CheckResult:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    text = "".join(lines)
    trimmed = "\n".join(text.splitlines()[-_TRACEBACK_LINES:])
    return CheckResult(
        name=check.name,
        suite=check.suite.value,
        status=Status.ERROR,
        summary=f"Error: {type(exc).__name__}: {exc}",
        description=check.description,
        meaning=check.meaning,
        params=check.params.model_dump(mode="json"),
        error=ErrorInfo(type=type(exc).__name__, message=str(exc), traceback=trimmed),
    )


def run_checks(
    checks: Mapping[str, type[Check]],
    params: Mapping[str, CheckParams],
    ctx: AuditContext,
    *,
    providers: Mapping[str, str] | None = None,
    on_event: EventCallback | None = None,
) -> tuple[list[CheckResult], dict[str, float]]:
    """Run ``checks`` in name order on ``ctx``; return their results and durations in seconds."""
    results: list[CheckResult] = []
    durations: dict[str, float] = {}
    emit = on_event or (lambda event, payload: None)
    names = sorted(checks)
    for position, name in enumerate(names):
        check = checks[name](params.get(name))
        emit("check_started", {"name": name, "position": position, "total": len(names)})
        started = time.perf_counter()
        reasons = [r for need in sorted(check.needs) if (r := missing_need_reason(need, ctx))]
        if reasons:
            result = check.skip("; ".join(reasons))
        else:
            try:
                result = check.run(ctx)
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                logger.debug("check %s raised", name, exc_info=True)
                result = _error_result(check, exc)
        if result.name != name:
            result = _error_result(check, RuntimeError(f"run() returned a result named {result.name!r}"))
        result = replace(result, provider=(providers or {}).get(name, ""))
        if result.status is not Status.SKIPPED and result.reference is None and result.status is not Status.ERROR:
            result = replace(result, reference=ctx.reference_kind)
        durations[name] = time.perf_counter() - started
        emit("check_finished", {"name": name, "status": result.status.value, "seconds": durations[name]})
        results.append(result)
    return results, durations
