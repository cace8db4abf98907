"""A compact HTML view of an :class:`~synthaudit.result.AuditResult` for notebooks (``display(result)``).

The first screen of the report: the verdict with how much it rests on, the counts per status, one row per
suite (its status and worst finding), the top root causes (columns or groups several failing checks single
out), and the failing and warning checks with their summaries. Inline
styles only (a notebook page is shared with other output), no script, and every string escaped.
"""

from __future__ import annotations

from html import escape

from synthaudit.reports.overview import root_causes
from synthaudit.result import AuditResult, CheckResult, Status

__all__ = ["render_notebook_html"]

_COLOURS = {
    "pass": "#1a7f37",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "error": "#8250df",
    "waived": "#57606a",
    "skipped": "#57606a",
}
_RANK = {"error": 0, "fail": 1, "warn": 2, "waived": 3, "pass": 4, "skipped": 5}
_CELL = "padding:2px 10px 2px 0;text-align:left;vertical-align:top;border:none"
_HEAD = _CELL + ";font-weight:600;border-bottom:1px solid #d0d7de"


def _status(check: CheckResult) -> str:
    return "waived" if check.waived else check.status.value


def _badge(status: str) -> str:
    colour = _COLOURS.get(status, "#57606a")
    return f'<span style="color:{colour};font-weight:600">{escape(status.upper())}</span>'


def _worst(checks: list[CheckResult]) -> CheckResult | None:
    ranked = sorted(checks, key=lambda c: (_RANK[_status(c)], c.name))
    return ranked[0] if ranked else None


def _finding(check: CheckResult) -> str:
    if check.status is Status.SKIPPED:
        return check.skipped_reason or "skipped"
    if check.status is Status.ERROR and check.error is not None:
        return f"raised {check.error.type}: {check.error.message}"
    return check.summary


def _table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    head = "".join(f'<th style="{_HEAD}">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>" for row in rows)
    return f'<table style="border-collapse:collapse;margin:4px 0 8px 0"><tr>{head}</tr>{body}</table>'


def render_notebook_html(result: AuditResult) -> str:
    """The first screen of the report as an HTML fragment (for ``AuditResult._repr_html_``)."""
    verdict = "PASSED" if result.passed else "FAILED"
    colour = _COLOURS["pass" if result.passed else "fail"]
    parts = [
        '<div class="synthaudit-result" style="font-family:system-ui,sans-serif;font-size:13px;line-height:1.4">',
        f'<div style="font-size:16px;font-weight:700;color:{colour}">{verdict}'
        f' <span style="color:#24292f;font-weight:400">— {escape(result.gate.tally())}</span></div>',
    ]
    counts = result.counts()
    shown = [f"{counts[s]} {s}" for s in ("fail", "error", "warn", "pass", "skipped", "waived") if counts.get(s)]
    reference = result.reference.get("kind")
    facts = [", ".join(shown) or "no checks"]
    if reference:
        plausible = result.reference.get("plausible")
        shown_plausible = "" if plausible is None else (" (plausible)" if plausible else " (IMPLAUSIBLE)")
        facts.append(f"reference: {reference}{shown_plausible}")
    parts.append(f'<div style="color:#57606a">{escape(" · ".join(facts))}</div>')

    by_suite: dict[str, list[CheckResult]] = {}
    for check in result.checks_list:
        by_suite.setdefault(check.suite, []).append(check)
    suite_rows = []
    for suite, status in result.suite_statuses().items():
        checks = by_suite[suite]
        worst = _worst(checks)
        measured = sum(c.measured for c in checks)
        finding = "" if worst is None or status in ("pass", "skipped") else f"{worst.name}: {_finding(worst)}"
        suite_rows.append([escape(suite), _badge(status), f"{measured}/{len(checks)}", escape(finding)])
    if suite_rows:
        parts.append(_table(("suite", "status", "measured", "worst finding"), suite_rows))

    causes, _ = root_causes(result)
    if causes:
        items = "".join(
            f"<li><code>{escape(c.key)}</code>: {escape(', '.join(name for name, _ in c.checks))}</li>"
            for c in causes[:3]
        )
        parts.append(f'<div style="margin-top:4px"><b>Root causes</b><ul style="margin:2px 0">{items}</ul></div>')

    flagged = sorted(
        (c for c in result.checks_list if _status(c) in ("error", "fail", "warn", "waived")),
        key=lambda c: (_RANK[_status(c)], c.name),
    )
    if flagged:
        rows = [[f"<code>{escape(c.name)}</code>", _badge(_status(c)), escape(_finding(c))] for c in flagged]
        parts.append(_table(("check", "status", "summary"), rows))
    covered = tuple(f"{c.name} " for c in flagged)
    other_reasons = [r for r in result.gate.reasons if not r.startswith(covered)]
    parts.extend(f'<div style="color:{_COLOURS["fail"]}">{escape(reason)}</div>' for reason in other_reasons)
    parts.extend(f'<div style="color:{_COLOURS["warn"]}">{escape(note)}</div>' for note in result.gate.warnings)
    parts.append(
        '<div style="color:#57606a;margin-top:4px">Every metric: <code>result.to_frame()</code>; the full report: '
        "<code>synthaudit.reports.write_html(result, path)</code>.</div></div>"
    )
    return "".join(parts)
