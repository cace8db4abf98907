"""Renderers of a ``synthaudit trend`` result: a self-contained HTML report and an 80-column terminal summary.

Both consume the JSON layout of :meth:`synthaudit.trend.TrendResult.to_dict` (plain data), so a saved result
re-renders without recomputing. The HTML has no scripts and no external resources; every string from the
data is escaped; each quantity gets one small SVG figure across generations (drawn here, no matplotlib), with
the reference value as a dashed line and the fail threshold as a dotted one.
"""

from __future__ import annotations

import html
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthaudit.fileio import write_text_atomic

__all__ = ["render_trend_html", "render_trend_summary", "write_trend_html"]

WIDTH = 80
_STATUS_WORD = {"pass": "pass", "warn": "WARN", "fail": "FAIL", "baseline": "base"}
_COLOURS = {"pass": "#11151a", "warn": "#b26b00", "fail": "#b42318", "baseline": "#11151a"}
_STYLE = """
body{margin:0;background:#f5f6f8;color:#1f2328;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.page{max-width:1080px;margin:0 auto;padding:28px}
h1{font-size:26px;margin:0 0 6px}
h2{font-size:19px;margin:30px 0 10px;border-bottom:1px solid #d9dde3;padding-bottom:4px}
.muted{color:#5f6873}.small{font-size:13px}
.verdict{border-radius:10px;padding:14px 18px;margin:12px 0;border:1px solid}
.v-pass{border-color:#17663a;background:#e3f4e8}.v-warn{border-color:#8a5300;background:#fdf1d6}
.v-fail{border-color:#b42318;background:#fde7e5}
.verdict b{font-size:20px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #d9dde3;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.s-pass{color:#17663a}.s-warn{color:#8a5300;font-weight:600}.s-fail{color:#b42318;font-weight:700}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:8px}
figcaption{font-size:12px;color:#5f6873}figure h3{font-size:13px;margin:0 0 4px;word-break:break-all}
"""


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number == 0:
        return "0"
    text = f"{number:.{digits}g}"
    return text if "e" not in text else f"{number:.2e}"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _worst(quantity: Mapping[str, Any]) -> int:
    """Index of the generation whose decline is largest relative to its fail margin (1 when none is later)."""
    test = quantity["test"]
    ratios = [
        (d / m if m else (math.inf if d > 0 else 0.0))
        for d, m in zip(test["declines"][1:], test["fail_margins"][1:], strict=True)
    ]
    return 1 + max(range(len(ratios)), key=lambda i: ratios[i]) if ratios else 0


def _result_word(quantity: Mapping[str, Any]) -> str:
    test = quantity["test"]
    status = str(test["status"])
    first = test["first_fail"] if status == "fail" else test["first_warn"]
    return _STATUS_WORD.get(status, status) + (f" g{first}" if first else "")


# ----------------------------------------------------------------------------- terminal
def render_trend_summary(record: Mapping[str, Any], width: int = WIDTH) -> str:
    """The terminal summary (lines at most ``width`` characters): one line per quantity, then the verdict."""
    generations = record["generations"]
    reference = record["reference"]
    lines = textwrap.wrap(
        f"synthaudit trend: {len(generations)} generations vs real; reference {reference.get('kind')}; "
        f"{reference.get('matched_rows')} rows per side; seed {record.get('seed')}",
        width,
    )
    name_width = width - 53
    header = (
        f"{'quantity':<{name_width}} {'ref':>7} {'gen 1':>8} {'last':>8} {'decline':>8} {'margin':>7} {'result':<8}"
    )
    lines += ["", header.rstrip(), "-" * min(width, len(header))]
    for q in record["quantities"]:
        worst = _worst(q)
        name = q["name"] if len(q["name"]) <= name_width else q["name"][: name_width - 1] + "…"
        decline = q["test"]["declines"][worst] if worst else None
        margin = q["test"]["fail_margins"][worst] if worst else None
        line = (
            f"{name:<{name_width}} {_number(q['reference'], 3):>7} {_number(q['values'][0], 3):>8} "
            f"{_number(q['values'][-1], 3):>8} {_number(decline, 3):>8} {_number(margin, 3):>7} {_result_word(q):<8}"
        )
        lines.append(line.rstrip()[:width])
    lines.append("")
    for g in generations:
        audit = g.get("audit")
        verdict = "not audited" if audit is None else ("audit passed" if audit["passed"] else "audit FAILED")
        if audit and audit.get("failed_checks"):
            verdict += ": " + ", ".join(audit["failed_checks"])
        lines.extend(
            textwrap.wrap(
                f"gen {g['index']} {g['label']} ({g['rows']} rows): {verdict}", width, subsequent_indent="    "
            )
        )
    for note in record.get("notes", []):
        lines.extend(textwrap.wrap(f"note: {note}", width, subsequent_indent="    "))
    lines.append("")
    lines.extend(textwrap.wrap(str(record["verdict"]), width))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures
def _figure(quantity: Mapping[str, Any]) -> str:
    """One small-multiples panel: values with ±2 SE bars, the reference line and the fail threshold."""
    values = [float(v) for v in quantity["values"]]
    ses = [float(s) for s in quantity["standard_errors"]]
    test = quantity["test"]
    higher = quantity["direction"] == "higher_is_better"
    reference = float(quantity["reference"])
    thresholds = [values[0] - m if higher else values[0] + m for m in test["fail_margins"][1:]]
    floor = 0.0 if min([*values, reference]) >= 0 else -math.inf  # every quantity is a share, ratio or distance
    thresholds = [max(t, floor) for t in thresholds]
    low_points = [max(v - 2 * s, floor) for v, s in zip(values, ses, strict=True)] + [reference, *thresholds]
    high_points = [v + 2 * s for v, s in zip(values, ses, strict=True)] + [reference, *thresholds]
    lo, hi = min(low_points), max(high_points)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    w, h, left, right, top, bottom = 240, 140, 44, 8, 8, 22
    n = len(values)

    def x(i: int) -> float:
        return left + (w - left - right) * (i / max(n - 1, 1))

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'style="width:100%;height:auto" role="img" '
        f'aria-label="{_e(quantity["name"])} across generations">',
        f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" '
        'fill="#fafbfc" stroke="#d9dde3"/>',
        f'<line x1="{left}" x2="{w - right}" y1="{y(reference):.1f}" y2="{y(reference):.1f}" stroke="#0072B2" '
        'stroke-width="1.5" stroke-dasharray="5 3"><title>reference</title></line>',
    ]
    if thresholds:
        points = " ".join(f"{x(i + 1):.1f},{y(t):.1f}" for i, t in enumerate(thresholds))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#b42318" stroke-dasharray="2 2">'
            "<title>fail threshold</title></polyline>"
        )
    parts.append(
        '<polyline points="'
        + " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        + '" fill="none" stroke="#5f6873"/>'
    )
    for i, (v, s) in enumerate(zip(values, ses, strict=True)):
        colour = _COLOURS.get(str(test["statuses"][i]), "#11151a")
        parts.append(
            f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(max(v - 2 * s, floor)):.1f}" y2="{y(v + 2 * s):.1f}" '
            f'stroke="{colour}"/>'
        )
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"><title>generation {i + 1}: '
            f"{_e(_number(v))} ± {_e(_number(2 * s, 2))}</title></circle>"
        )
        parts.append(
            f'<text x="{x(i):.1f}" y="{h - 6}" font-size="10" text-anchor="middle" fill="#5f6873">{i + 1}</text>'
        )
    for v in (lo + pad, hi - pad):
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end" fill="#5f6873">'
            f"{_e(_number(v, 3))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- HTML
def _rows(cells: Sequence[Sequence[tuple[str, str]]]) -> str:
    return "".join(
        "<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for c, v in row) + "</tr>"
        for row in cells
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{_rows(rows)}</tbody></table>"


def _generation_rows(record: Mapping[str, Any]) -> list[list[tuple[str, str]]]:
    rows = []
    for g in record["generations"]:
        i = int(g["index"]) - 1
        crossed = {
            s: [q["name"] for q in record["quantities"] if q["test"]["statuses"][i] == s] for s in ("fail", "warn")
        }
        audit = g.get("audit")
        verdict = "not audited" if audit is None else ("passed" if audit["passed"] else "failed")
        status = "" if audit is None else ("s-pass" if audit["passed"] else "s-fail")
        rows.append(
            [
                ("num", _e(g["index"])),
                ("", _e(g["label"])),
                ("num", _e(g["rows"])),
                (status, _e(verdict)),
                ("small", _e(", ".join(audit["failed_checks"]) if audit and audit["failed_checks"] else "—")),
                ("s-fail" if crossed["fail"] else "", _e(", ".join(crossed["fail"]) or "—")),
                ("s-warn" if crossed["warn"] else "", _e(", ".join(crossed["warn"]) or "—")),
            ]
        )
    return rows


def _quantity_rows(record: Mapping[str, Any]) -> list[list[tuple[str, str]]]:
    rows = []
    for q in record["quantities"]:
        worst = _worst(q)
        test = q["test"]
        rows.append(
            [
                ("", _e(q["name"])),
                ("small", _e("higher is better" if q["direction"] == "higher_is_better" else "lower is better")),
                ("num", f"{_e(_number(q['reference']))} ± {_e(_number(q['reference_se'], 2))}"),
                ("num", _e(" → ".join(_number(v, 3) for v in q["values"]))),
                ("num", _e(_number(test["declines"][worst], 3) if worst else "—")),
                ("num", _e(_number(test["fail_margins"][worst], 3) if worst else "—")),
                ("num", _e(f"{_number(test['slope'], 3)} ± {_number(test['slope_se'], 2)}")),
                (f"s-{_e(test['status'])}", _e(_result_word(q))),
            ]
        )
    return rows


def render_trend_html(record: Mapping[str, Any]) -> str:
    """The self-contained HTML report of a trend result (see the module docstring)."""
    status = str(record["status"])
    reference = record["reference"]
    multipliers = record["multipliers"]
    figures = "".join(
        f'<figure><h3>{_e(q["name"])} <span class="s-{_e(q["test"]["status"])}">{_e(_result_word(q))}</span></h3>'
        f"{_figure(q)}<figcaption>{_e(q['meaning'])}</figcaption></figure>"
        for q in record["quantities"]
    )
    notes = "".join(f"<li>{_e(n)}</li>" for n in record.get("notes", []))
    body = [
        f'<h1>Model collapse across generations</h1><p class="muted">synthaudit {_e(record.get("tool_version"))} · '
        f"seed {_e(record.get('seed'))} · real {_e(reference.get('real_source'))}</p>",
        f'<div class="verdict v-{_e(status)}"><b>{_e(status.upper())}</b><p>{_e(record["verdict"])}</p></div>',
        f"<p>Reference: {_e(reference.get('description'))}. Every generation and the reference are measured at "
        f"{_e(reference.get('matched_rows'))} rows ({_e(reference.get('vector_rows'))} for the neighbourhood "
        f"quantities). Generation k fails a quantity when its decline from generation 1 exceeds max(floor, "
        f"{_e(_number(multipliers['fail'], 3))} × SE); it warns past {_e(_number(multipliers['warn'], 3))} × SE "
        f"(5 and 3 standard errors, Šidák-corrected for {_e(multipliers['comparisons'])} comparisons).</p>",
        "<h2>Generations</h2>",
        _table(
            ["gen", "file", "rows", "audit", "failed checks", "crossed fail margin", "crossed warn margin"],
            _generation_rows(record),
        ),
        "<h2>Trend checks</h2>",
        _table(
            [
                "quantity",
                "direction",
                "reference ± SE",
                "values by generation",
                "worst decline",
                "fail margin",
                "slope / generation",
                "result",
            ],
            _quantity_rows(record),
        ),
        '<h2>Quantities across generations</h2><p class="small muted">Dots: each generation (bars ±2 SE; red '
        "failed, amber warned). Dashed blue: the reference (real data at the same size). Dotted red: the fail "
        "threshold below generation 1.</p>",
        f'<div class="grid">{figures}</div>',
    ]
    if notes:
        body.append(f"<h2>Notes</h2><ul>{notes}</ul>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>synthaudit trend: {_e(status.upper())}</title><style>{_STYLE}</style></head>"
        f'<body><main class="page">{"".join(body)}</main></body></html>\n'
    )


def write_trend_html(record: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_trend_html` of ``record`` to ``path`` atomically."""
    return write_text_atomic(path, render_trend_html(record))
