"""The runner: which checks run, skipping those whose needs are missing, isolating errors, timing each.

A check that raises becomes an ``error`` result with the exception type, message and a trimmed
traceback; the audit goes on. Progress events (``check_started`` / ``check_finished``) go to an optional
callback, which the CLI turns into a progress bar.

Time budget
-----------
Every check runs in a worker thread, and the runner waits for it at most its budget (the check's
``params.timeout_s``, else the policy's ``timeout_s``, 900 s by default). Past the budget the check is
recorded as ``error`` (``CheckTimeout``, with the budget) and the audit goes on with the next check.

Why a thread rather than ``SIGALRM``: an alarm works only on the main thread of a POSIX process (the API is
also called from notebooks, web servers and worker threads), cannot interrupt a long call into C (numpy,
faiss, torch), so it would not enforce the budget where runaway checks spend their time, and it raises
inside whatever the check was doing, which ``except Exception`` blocks in check code can swallow. Waiting on
a thread always stops waiting on time.

What that costs: Python cannot kill a thread. When the budget runs out the runner asks the thread to stop
(an asynchronous exception, delivered at its next Python instruction: a check looping in Python stops
there; one inside a single long C call stops when that call returns). Until it stops, the abandoned thread
keeps using CPU and the memory it holds, and it may still fill a shared artefact of the context (the same
value another check would compute; the context's caches are keyed and deterministic, so results do not
change; a stop landing inside an artefact's factory caches nothing, and the next check that asks recomputes
it). The thread is a daemon: it never keeps the process alive, and at exit it is discarded (the outputs are
written before that).

A check that exhausts memory raises ``MemoryError`` in its thread, which is recorded as that check's
``error``. Ctrl-C (``KeyboardInterrupt``) interrupts the wait in the main thread and propagates (the CLI exits
130); the worker is asked to stop the same way.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from synthaudit.check import Check, CheckParams, Need
from synthaudit.context import AuditContext
from synthaudit.data.roles import Role
from synthaudit.policy import DEFAULT_TIMEOUT_S, Policy
from synthaudit.result import CheckResult, ErrorInfo, Status

__all__ = ["CheckTimeout", "Selection", "missing_need_reason", "run_checks", "run_with_budget", "select_checks"]

logger = logging.getLogger(__name__)

EventCallback = Callable[[str, dict[str, Any]], None]
_TRACEBACK_LINES = 30
_WAIT_SLICE_S = 0.2
"""Longest single wait on a check's thread: the most a Ctrl-C can go unseen (see :func:`run_with_budget`)."""


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


class CheckTimeout(Exception):
    """A check ran past its time budget (recorded as the check's ``error``)."""


class _Abandoned(BaseException):
    """Raised inside a worker thread the runner stopped waiting for (a BaseException: checks cannot catch it)."""


def _ask_to_stop(thread: threading.Thread) -> None:
    """Raise :class:`_Abandoned` in ``thread`` at its next Python instruction (best effort, CPython only)."""
    ident = thread.ident
    if ident is None or not thread.is_alive():
        return
    try:
        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except AttributeError:  # not CPython: the thread runs on until it finishes
        return
    set_async_exc(ctypes.c_ulong(ident), ctypes.py_object(_Abandoned))


def run_with_budget(check: Check, ctx: AuditContext, budget_s: float) -> CheckResult:
    """``check.run(ctx)`` in a daemon worker thread, waiting at most ``budget_s`` seconds.

    Returns the check's result or raises what it raised; raises :class:`CheckTimeout` past the budget, and
    propagates ``KeyboardInterrupt`` from the wait. Either way an unfinished worker is asked to stop.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            try:
                outcome["result"] = check.run(ctx)
            except BaseException as exc:  # handed to the main thread, which decides
                outcome["error"] = exc
        except _Abandoned:  # the stop request landed after the check ended: nothing to report
            pass

    worker = threading.Thread(target=work, name=f"synthaudit:{check.name}", daemon=True)
    deadline = time.monotonic() + budget_s
    try:
        worker.start()
        # Waited in short slices, not one long join: a SIGINT that lands after the main thread last looked for
        # signals but before it blocks only sets CPython's flag and wakes nothing, so one long join would sit
        # out the whole check (seen under load). Between slices the flag is seen and KeyboardInterrupt raised.
        while worker.is_alive() and (remaining := deadline - time.monotonic()) > 0:
            worker.join(min(remaining, _WAIT_SLICE_S))
    except BaseException:
        _ask_to_stop(worker)
        raise
    if worker.is_alive():
        _ask_to_stop(worker)
        raise CheckTimeout(
            f"the check ran past its time budget of {budget_s:g} s and was abandoned; raise timeout_s in the "
            f"policy (checks.{check.name}.params.timeout_s, or timeout_s for every check), or sample less "
            "(--max-rows)."
        )
    if "error" in outcome:
        raise outcome["error"]
    result: CheckResult = outcome["result"]
    return result


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
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> tuple[list[CheckResult], dict[str, float]]:
    """Run ``checks`` in name order on ``ctx``; return their results and durations in seconds.

    Each check gets its ``params.timeout_s`` seconds, else ``timeout_s`` (see the module docstring).
    """
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
                budget = check.params.timeout_s if check.params.timeout_s is not None else timeout_s
                result = run_with_budget(check, ctx, budget)
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
