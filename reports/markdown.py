"""A compact Markdown summary for pull-request comments and GitHub step summaries.

The verdict, a table of checks worst first (status, gating metric, value, reference, thresholds) and the failures
with their findings, each once (a gate reason that only restates a listed failure is not repeated). Data values
are escaped so that a column or category name cannot break the table, inject markup or mention anyone: ``|``,
``<``, ``>``, backticks, emphasis and link characters are escaped, ``@`` is neutralised.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from synthaudit.fileio import write_text_atomic
from synthaudit.reports.html import format_number
from synthaudit.reports.overview import root_causes
from synthaudit.reports.terminal import severity_order
from synthaudit.result import AuditResult, CheckResult, Metric, Status

__all__ = ["escape_markdown", "render_markdown", "write_markdown"]

MAX_FAILURES = 10
"""Failing checks described in full at most (the table always lists every check)."""

_ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skipped": "⏭️", "error": "💥"}
_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def escape_markdown(value: object) -> str:
    """Escape a data value for GitHub-flavoured Markdown, on one line, safe inside a table cell."""
    text = _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")


def _status(check: CheckResult) -> str:
    label = check.status.value.upper()
    if check.waived:
        label += " (waived)"
    return f"{_ICONS[check.status.value]} {label}"


def _headline(check: CheckResult) -> Metric | None:
    gating = check.gating_metrics
    failing = [m for m in gating if m.passed is False] or [m for m in gating if m.warned]
    return (failing or list(gating) or [None])[0]


def _bound(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    return ("&gt; " if metric.direction == "lower_is_better" else "&lt; ") + format_number(value)


def _row(check: CheckResult) -> str:
    metric = _headline(check)
    cells = [escape_markdown(check.name), _status(check)]
    if metric is None:
        reason = check.skipped_reason or (f"{check.error.type}: {check.error.message}" if check.error else "—")
        cells += [escape_markdown(reason), "", "", "", ""]
    else:
        cells += [
            escape_markdown(metric.name),
            format_number(metric.value),
            format_number(metric.reference_value),
            _bound(metric, metric.warn_threshold),
            _bound(metric, metric.threshold),
        ]
    return "| " + " | ".join(cells) + " |"


def _restates(reason: str, listed: set[str], result: AuditResult) -> bool:
    for name in listed:
        check = result.checks.get(name)
        if check is not None and reason.startswith(f"{name} ") and (check.summary in reason or " raised " in reason):
            return True
    return False


def render_markdown(result: AuditResult) -> str:
    """Render the verdict, a table of every check and the top failures with their reasons as Markdown."""
    counts = result.counts()
    tally = " · ".join(f"{counts[k]} {k}" for k in ("pass", "warn", "fail", "skipped", "error", "waived"))
    verdict = "✅ synthaudit: gate PASSED" if result.passed else "❌ synthaudit: gate FAILED"
    lines = [f"## {verdict}", "", f"{result.gate.tally()} — {tally}"]
    synthetic, real = result.inputs.get("synthetic"), result.inputs.get("real")
    if isinstance(synthetic, dict) and isinstance(real, dict):
        synthetic_source = escape_markdown(synthetic.get("source", "?"))
        real_source = escape_markdown(real.get("source", "?"))
        reference = escape_markdown(result.reference.get("kind", "?"))
        lines += [
            "",
            f"Synthetic {synthetic_source} vs real {real_source} — reference: {reference}, seed {result.seed}.",
        ]
    causes, _ = root_causes(result)
    if causes:
        lines += ["", "**Root causes** (a column or group several failing checks single out):", ""]
        lines += [
            f"- **{escape_markdown(c.key)}** — " + ", ".join(escape_markdown(n) for n, _ in c.checks)
            for c in causes[:3]
        ]
    lines += [
        "",
        "| Check | Status | Gating metric | Value | Reference | Warn if | Fail if |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    lines += [_row(check) for check in severity_order(result.checks_list)]
    problems = [
        c
        for c in severity_order(result.checks_list)
        if c.name in result.gate.failing or c.status in (Status.FAIL, Status.ERROR)
    ]
    unwaived = [c for c in problems if not c.waived]
    listed = {c.name for c in unwaived}
    # Each fact once: a reason that only restates a failure listed below ("X failed: <its finding>") is left out.
    reasons = [r for r in result.gate.reasons if not _restates(r, listed, result)]
    if reasons:
        lines += ["", "### Why the gate failed", ""]
        lines += [f"- {escape_markdown(reason)}" for reason in reasons]
    if unwaived:
        lines += ["", "### Failures", ""]
        for check in unwaived[:MAX_FAILURES]:
            detail = check.summary
            if check.status is Status.SKIPPED:
                detail = f"required but skipped: {check.skipped_reason or 'no reason recorded'}"
            elif check.error is not None:
                detail = f"{check.error.type}: {check.error.message}"
            lines.append(f"- **{escape_markdown(check.name)}** — {escape_markdown(detail)}")
            if check.meaning and check.status is Status.FAIL:
                lines.append(f"  - {escape_markdown(check.meaning)}")
        if len(unwaived) > MAX_FAILURES:
            more = ", ".join(escape_markdown(c.name) for c in unwaived[MAX_FAILURES:])
            lines.append(f"- … and {len(unwaived) - MAX_FAILURES} more: {more} (see the HTML report)")
    waivers = [(c, c.waiver) for c in result.checks_list if c.waived and c.waiver is not None]
    if waivers:
        lines += ["", "### Waived", ""]
        lines += [
            f"- **{escape_markdown(check.name)}** — {escape_markdown(w.reason)} "
            f"(owner {escape_markdown(w.owner)}, expires {escape_markdown(w.expires)})"
            for check, w in waivers
            if w is not None
        ]
    notes = [*result.gate.warnings, *result.notes]
    if notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {escape_markdown(note)}" for note in notes]
    lines += ["", f"<sub>synthaudit {escape_markdown(result.tool_version)} — full details in the HTML report.</sub>"]
    return "\n".join(lines) + "\n"


def write_markdown(result: AuditResult, path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_markdown` output to ``path`` atomically; return the path."""
    return write_text_atomic(path, render_markdown(result))
