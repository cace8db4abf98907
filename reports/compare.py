"""Renderers of a comparison of two audit results (``synthaudit compare``): terminal table, Markdown, HTML.

They format the documented JSON layout of :meth:`synthaudit.compare.Comparison.to_dict` (or the comparison
itself) and compute nothing. The terminal table fits 80 columns; the Markdown summary is fit for a
pull-request comment (data values escaped, nobody mentioned); the HTML page is self-contained: inline CSS, a
Content-Security-Policy that forbids scripts and every network load, and every value escaped.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.table import Table
from rich.text import Text

from synthaudit.fileio import write_text_atomic
from synthaudit.reports.html import CSP, format_number
from synthaudit.reports.markdown import escape_markdown

__all__ = [
    "TERMINAL_WIDTH",
    "render_comparison_html",
    "render_comparison_markdown",
    "render_comparison_summary",
    "write_comparison_html",
    "write_comparison_markdown",
]

TERMINAL_WIDTH = 80
"""Widest line of the terminal summary."""

_VERDICT_STYLES = {"worse": "bold red", "better": "green", "unchanged": "dim", "new": "yellow", "gone": "yellow"}
_VERDICT_ICONS = {"worse": "❌", "better": "✅", "unchanged": "", "new": "🆕", "gone": "⚠️"}
_BASIS_MARKS = {"margin": "†", "threshold": "‡"}
_BASIS_LEGEND = {
    "margin": "† no standard error recorded: z is in units of the fail margin over its multiplier.",
    "threshold": "‡ no standard error or margin: significant only if the fail threshold was crossed.",
}


class _Comparable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def _data(comparison: Mapping[str, Any] | _Comparable) -> Mapping[str, Any]:
    return comparison if isinstance(comparison, Mapping) else comparison.to_dict()


def _signed(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    text = format_number(value, digits)
    return f"+{text}" if value > 0 else text


def _z(row: Mapping[str, Any]) -> str:
    z = row.get("z")
    mark = _BASIS_MARKS.get(str(row.get("basis")), "")
    return (f"{z:+.1f}" if isinstance(z, int | float) else "—") + mark


def _verdict(row: Mapping[str, Any]) -> str:
    verdict = str(row.get("verdict"))
    return f"{verdict} (regression)" if row.get("regression") else verdict


def _headline(data: Mapping[str, Any]) -> str:
    if data.get("regressed"):
        count = len(data.get("regressions", ()))
        return f"REGRESSION — {count} regression{'s' * (count != 1)}"
    rows = data.get("metrics", ())
    better = sum(1 for r in rows if r.get("verdict") == "better")
    return f"NO REGRESSION — {len(rows)} gating metrics compared, {better} better"


def _sides(data: Mapping[str, Any]) -> tuple[str, str]:
    out = []
    for side in ("baseline", "current"):
        s = data.get(side, {})
        gate = "PASSED" if s.get("passed") else "FAILED"
        out.append(f"{side} {s.get('label')} (gate {gate}, synthaudit {s.get('tool_version')}, seed {s.get('seed')})")
    return out[0], out[1]


def _rule(data: Mapping[str, Any]) -> str:
    policy = data.get("policy", {})
    status = {
        "warn": "a check gone from pass to warn/fail or from measured to unmeasured",
        "fail": "a check gone to fail or from measured to unmeasured",
    }.get(str(policy.get("status_rule")))
    parts = [f"a gating metric worse by more than {format_number(policy.get('sigma'))} standard errors"]
    parts += [status] if status else []
    parts += ["the gate gone from passed to failed"] if policy.get("gate") else []
    return "Regression: " + "; ".join(parts) + "."


def _status_changes(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in data.get("checks", ()) if c.get("reason")]


def _legend(data: Mapping[str, Any]) -> list[str]:
    bases = {str(r.get("basis")) for r in data.get("metrics", ())}
    return [text for basis, text in _BASIS_LEGEND.items() if basis in bases]


# --------------------------------------------------------------------------------------------- terminal
def _bullets(console: Console, items: list[str], width: int, style: str = "") -> None:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row("  •", Text(item, style=style))
    console.print(grid, width=width)


def render_comparison_summary(comparison: Mapping[str, Any] | _Comparable, console: Console) -> None:
    """Print the per-metric table (at most :data:`TERMINAL_WIDTH` columns wide), regressions and verdict.

    One row per check, then one indented row per gating metric: baseline and current values, the change
    (current − baseline), z (the change in standard errors, positive = worse) and the verdict (upper case
    when it counts as a regression).
    """
    data = _data(comparison)
    width = min(console.width, TERMINAL_WIDTH)
    table = Table(title="synthaudit compare", title_justify="left", box=None, padding=(0, 1), pad_edge=False)
    table.add_column("check / metric", overflow="fold")
    for header in ("baseline", "current", "change", "z"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    previous = None
    for row in data.get("metrics", ()):
        if row.get("check") != previous:
            table.add_row(Text(str(row.get("check")), style="bold"))
            previous = row.get("check")
        verdict = str(row.get("verdict"))
        table.add_row(
            f"  {row.get('metric')}",
            format_number(row.get("baseline"), 3),
            format_number(row.get("current"), 3),
            _signed(row.get("change"), 2),
            _z(row),
            Text(verdict.upper() if row.get("regression") else verdict, style=_VERDICT_STYLES.get(verdict, "")),
        )
    console.print(table, width=width)
    for line in (*_sides(data), *_legend(data)):
        console.print(line, style="dim", markup=False, highlight=False, width=width)
    changes = [f"{c.get('check')}: {c.get('reason')}" for c in _status_changes(data)]
    if changes:
        console.print("status changes:", markup=False, width=width)
        _bullets(console, changes, width)
    if data.get("notes"):
        console.print("notes:", style="yellow", markup=False, width=width)
        _bullets(console, list(data.get("notes", ())), width, style="yellow")
    style = "bold red" if data.get("regressed") else "bold green"
    console.print(Text(_headline(data), style=style), width=width)
    _bullets(console, list(data.get("regressions", ())), width)


# --------------------------------------------------------------------------------------------- Markdown
def render_comparison_markdown(comparison: Mapping[str, Any] | _Comparable) -> str:
    """The verdict, the per-metric table, regressions, status changes and notes as GitHub Markdown."""
    data = _data(comparison)
    icon = "❌" if data.get("regressed") else "✅"
    baseline, current = (escape_markdown(s) for s in _sides(data))
    reference = escape_markdown(data.get("baseline", {}).get("reference_kind"))
    lines = [
        f"## {icon} synthaudit compare: {escape_markdown(_headline(data))}",
        "",
        f"Baseline: {baseline.removeprefix('baseline ')}; current: {current.removeprefix('current ')}; "
        f"reference: {reference}.",
        "",
        escape_markdown(_rule(data)),
        "",
        "| Check | Metric | Baseline | Current | Change | z | Verdict |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in data.get("metrics", ()):
        verdict = str(row.get("verdict"))
        shown = f"{_VERDICT_ICONS.get(verdict, '')} {escape_markdown(_verdict(row))}".strip()
        cells = [
            escape_markdown(row.get("check")),
            escape_markdown(row.get("metric")),
            format_number(row.get("baseline")),
            format_number(row.get("current")),
            _signed(row.get("change")),
            _z(row),
            f"**{shown}**" if row.get("regression") else shown,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *(escape_markdown(text) for text in _legend(data))] if _legend(data) else []
    sections = (
        ("Regressions", list(data.get("regressions", ()))),
        ("Status changes", [f"{c.get('check')}: {c.get('reason')}" for c in _status_changes(data)]),
        ("Notes", list(data.get("notes", ()))),
    )
    for title, items in sections:
        if items:
            lines += ["", f"### {title}", ""] + [f"- {escape_markdown(item)}" for item in items]
    return "\n".join(lines) + "\n"


def write_comparison_markdown(comparison: Mapping[str, Any] | _Comparable, path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_comparison_markdown` output to ``path`` atomically; return the path."""
    return write_text_atomic(path, render_comparison_markdown(comparison))


# --------------------------------------------------------------------------------------------- HTML
_STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff; --muted: #59636e; --line: #d1d9e0;
  --bad: #cf222e; --good: #1a7f37; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d;
  --bad: #ff7b72; --good: #3fb950; --warn: #d29922; } }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; } h1.bad { color: var(--bad); } h1.good { color: var(--good); }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
th.num { text-align: right; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.worse td { color: var(--bad); } tr.regression td { font-weight: 600; }
tr.better td.verdict { color: var(--good); } tr.new td.verdict, tr.gone td.verdict { color: var(--warn); }
tr.unchanged td.verdict { color: var(--muted); }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _list(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"<h2>{_e(title)}</h2>", "<ul>", *(f"<li>{_e(item)}</li>" for item in items), "</ul>"]


def render_comparison_html(comparison: Mapping[str, Any] | _Comparable) -> str:
    """A small self-contained HTML page of the comparison (no script, nothing fetched, every value escaped)."""
    data = _data(comparison)
    headline = _headline(data)
    rows = []
    for row in data.get("metrics", ()):
        verdict = str(row.get("verdict"))
        classes = " ".join(
            [verdict if verdict in _VERDICT_STYLES else "other"] + (["regression"] if row.get("regression") else [])
        )
        basis = f"basis: {row.get('basis')}; standard error of the change: {format_number(row.get('standard_error'))}"
        cells = [
            f"<td>{_e(row.get('check'))}</td>",
            f'<td>{_e(row.get("metric"))}<br><span class="muted">{_e(str(row.get("direction")).replace("_", " "))}'
            "</span></td>",
            f'<td class="num">{_e(format_number(row.get("baseline")))}</td>',
            f'<td class="num">{_e(format_number(row.get("current")))}</td>',
            f'<td class="num">{_e(_signed(row.get("change")))}</td>',
            f'<td class="num" title="{_e(basis)}">{_e(_z(row))}</td>',
            f'<td class="verdict">{_e(_verdict(row))}</td>',
        ]
        rows.append(f'<tr class="{classes}">' + "".join(cells) + "</tr>")
    body = [
        f'<h1 class="{"bad" if data.get("regressed") else "good"}">synthaudit compare: {_e(headline)}</h1>',
        *(f'<p class="muted">{_e(side)}</p>' for side in _sides(data)),
        f"<p>{_e(_rule(data))} Reference: {_e(data.get('baseline', {}).get('reference_kind'))}.</p>",
        "<table><thead><tr><th>check</th><th>metric</th><th class=num>baseline</th><th class=num>current</th>"
        '<th class=num>change</th><th class=num title="the change in standard errors; positive is worse">z</th>'
        "<th>verdict</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        *(f'<p class="muted">{_e(text)}</p>' for text in _legend(data)),
        *_list("Regressions", list(data.get("regressions", ()))),
        *_list("Status changes", [f"{c.get('check')}: {c.get('reason')}" for c in _status_changes(data)]),
        *_list("Notes", list(data.get("notes", ()))),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>synthaudit compare — {_e(headline)}</title>",
            f"<style>{_STYLE}</style></head><body><main>",
            *body,
            "</main></body></html>",
            "",
        ]
    )


def write_comparison_html(comparison: Mapping[str, Any] | _Comparable, path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_comparison_html` output to ``path`` atomically; return the path."""
    return write_text_atomic(path, render_comparison_html(comparison))
