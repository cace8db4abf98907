"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched) for reviewers.

The renderer builds a small view model of display strings from an :class:`~synthaudit.result.AuditResult`
(numbers rounded for display only) and hands it to a Jinja2 template with ``autoescape=True``. Data values are
always escaped by the template; the only markup passed through unescaped is SVG this package drew from numbers
(:mod:`synthaudit.reports.figures` and the metric gauges below). A Content-Security-Policy meta tag forbids
scripts and every network load, so opening the report fetches nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from synthaudit.fileio import write_text_atomic
from synthaudit.reports.figures import RenderedFigure, render_figure
from synthaudit.reports.overview import (
    Cause,
    ColumnGrid,
    SuiteRow,
    column_grid,
    finding,
    first_clause,
    root_causes,
    status_of,
    suite_rows,
)
from synthaudit.result import SUITE_ORDER, AuditResult, CheckResult, Metric, Status, Table, Waiver

__all__ = ["CSP", "anchor_ids", "format_cell", "format_number", "render_html", "write_html"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The report's Content-Security-Policy: no script, no network; only inline styles and data: images."""

VISIBLE_ROWS = 10
"""Rows of a breakdown table shown before the rest are folded into a ``<details>``."""

EVIDENCE_SHOWN = 50
"""Row indices listed per evidence item (the count is always given)."""

STATUS_LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skipped": "SKIPPED", "error": "ERROR"}
STATUS_ICONS = {"pass": "✓", "warn": "!", "fail": "✗", "skipped": "–", "error": "✗", "waived": "~"}
STATUS_LABELS["waived"] = "WAIVED"
_RANK = {"error": 0, "fail": 1, "warn": 2, "waived": 3, "pass": 4, "skipped": 5}


# --------------------------------------------------------------------------------------------- formatting
def format_number(value: float | int | None, digits: int = 4) -> str:
    """A number for display: integers with thousands separators, others to ``digits`` significant digits."""
    if value is None or isinstance(value, bool):
        return "—" if value is None else ("yes" if value else "no")
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    magnitude = math.floor(math.log10(abs(number)))
    if -4 <= magnitude < 6:
        text = f"{number:.{max(0, digits - 1 - magnitude)}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return "0" if text in ("-0", "") else text
    return f"{number:.{digits - 1}e}"


def format_cell(value: Any) -> str:
    """A table cell for display: numbers rounded, lists joined, nested data as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool | int | float):
        return format_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(format_cell(v) for v in value) if value else "none"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def anchor_ids(names: list[str]) -> list[str]:
    """Safe, unique fragment ids for check names: ``check-`` plus ``[a-z0-9-]`` only, never raw data."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = "check-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed")
        anchor, n = base, 1
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        out.append(anchor)
    return out


# --------------------------------------------------------------------------------------------- view model
@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class _TableView:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[_Cell, ...], ...]
    more: tuple[tuple[_Cell, ...], ...]


@dataclass(frozen=True, slots=True)
class _MetricView:
    name: str
    description: str
    value: str
    reference: str
    warn: str
    fail: str
    direction: str
    gating: bool
    outcome: str  # pass / warn / fail / info
    gauge: str  # SVG drawn here from numbers only
    interval: str  # "95 % CI a – b" for gating metrics with a standard error, else ""


@dataclass(frozen=True, slots=True)
class _CheckView:
    name: str
    anchor: str
    suite: str
    status: str
    waived: bool
    summary: str
    description: str
    meaning: str
    headline: tuple[_MetricView, ...]
    metrics: tuple[_MetricView, ...]
    tables: tuple[_TableView, ...]
    figures: tuple[RenderedFigure, ...]
    evidence: tuple[tuple[str, str, str, int], ...]  # name, count, shown indices, hidden count
    examples: tuple[dict[str, Any], ...]  # masked flagged texts (--show-examples only)
    params: Any
    sample_sizes: tuple[tuple[str, str], ...]
    reference: str
    provider: str
    skipped_reason: str | None
    columns: tuple[tuple[str, str], ...]
    required: bool
    error: Any
    waiver: Waiver | None


@dataclass(frozen=True, slots=True)
class _WaiverView:
    check: str
    anchor: str | None
    reason: str
    owner: str
    expires: str
    state: str  # active / expired / not used
    covers: str


@dataclass(slots=True)
class _Report:
    result: AuditResult
    title: str
    verdict: str
    counts: list[tuple[str, int]]
    suites: list[tuple[str, list[_CheckView]]]
    checks: list[_CheckView]
    waivers: list[_WaiverView]
    inputs: list[tuple[str, dict[str, str]]]
    command_line: str
    environment: list[tuple[str, str]]
    versions: list[tuple[str, str]]
    timings: list[tuple[str, str]]
    reference: list[tuple[str, str]]
    columns: dict[str, Any]
    roles: list[tuple[str, str]]
    policy: Any
    signoff: str | None
    signoff_date: str | None
    suite_rows: list[SuiteRow] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    unexplained: list[tuple[str, str, str]] = field(default_factory=list)  # name, status, finding
    grid: ColumnGrid | None = None
    reasons: list[str] = field(default_factory=list)  # gate reasons that do not restate a check's finding
    anchors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _threshold(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    return ("> " if metric.direction == "lower_is_better" else "< ") + format_number(value)


def _outcome(metric: Metric) -> str:
    if not metric.gating or metric.passed is None:
        return "info"
    if metric.passed is False:
        return "fail"
    return "warn" if metric.warned else "pass"


def _gauge(metric: Metric) -> str:
    """A small bullet chart: good / warn / fail bands, the reference tick and the value marker (numbers only)."""
    if not metric.gating or metric.threshold is None:
        return ""
    fail = metric.threshold
    warn = metric.warn_threshold if metric.warn_threshold is not None else fail
    points = [v for v in (metric.value, metric.reference_value, warn, fail) if v is not None]
    low_bound, high_bound = metric.value_range
    low = low_bound if low_bound is not None else min(0.0, *points)
    high = max(points) * 1.3 if max(points) > 0 else max(points) + 1.0
    if high_bound is not None:
        high = min(high, high_bound)
    if high <= low:
        high = low + 1.0
    width, height, top, bar = 140.0, 18.0, 4.0, 10.0

    def x(v: float) -> float:
        return round(min(max((v - low) / (high - low), 0.0), 1.0) * width, 2)

    if metric.direction == "lower_is_better":
        bands = [("ok", low, warn), ("warn", warn, fail), ("bad", fail, high)]
    else:
        bands = [("bad", low, fail), ("warn", fail, warn), ("ok", warn, high)]
    if all(x(b) - x(a) < 1 for name, a, b in bands if name != "bad"):
        return ""  # only the exact best value passes (e.g. "0 is right"): a scale would show nothing but red
    parts = [
        f'<svg class="gauge" viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        'role="img" aria-hidden="true" focusable="false">'
    ]
    for name, a, b in bands:
        if x(b) > x(a):
            parts.append(f'<rect class="g-{name}" x="{x(a)}" y="{top}" width="{x(b) - x(a)}" height="{bar}"/>')
    if metric.reference_value is not None:
        r = x(metric.reference_value)
        parts.append(f'<line class="g-ref" x1="{r}" x2="{r}" y1="1" y2="{height - 1}"/>')
    v = x(metric.value)
    parts.append(f'<rect class="g-val" x="{max(0.0, min(v - 1.5, width - 3))}" y="1.5" width="3" height="15"/>')
    parts.append("</svg>")
    return "".join(parts)


def _metric_view(metric: Metric) -> _MetricView:
    arrow = "lower is better" if metric.direction == "lower_is_better" else "higher is better"
    return _MetricView(
        name=metric.name,
        description=metric.description,
        value=format_number(metric.value),
        reference=format_number(metric.reference_value),
        warn=_threshold(metric, metric.warn_threshold),
        fail=_threshold(metric, metric.threshold),
        direction=arrow,
        gating=metric.gating,
        outcome=_outcome(metric),
        gauge=_gauge(metric),
        interval=(
            f"95 % CI {format_number(metric.interval[0])} – {format_number(metric.interval[1])}"
            if metric.interval is not None
            else ""
        ),
    )


def _headline(check: CheckResult) -> tuple[Metric, ...]:
    """Gating metrics, the failing ones first (as the terminal summary does)."""
    gating = check.gating_metrics
    return tuple(sorted(gating, key=lambda m: {"fail": 0, "warn": 1}.get(_outcome(m), 2)))


def _table_view(table: Table) -> _TableView:
    declared = list(table.columns)
    # Records may carry fields the declared columns leave out: show them too, after, in name order.
    columns = declared + sorted({str(k) for row in table.rows for k in row} - set(declared))
    rows = tuple(tuple(_Cell(format_cell(row.get(c)), _is_number(row.get(c))) for c in columns) for row in table.rows)
    return _TableView(
        title=table.title or table.name,
        columns=tuple(c.replace("_", " ") for c in columns),
        rows=rows[:VISIBLE_ROWS],
        more=rows[VISIBLE_ROWS:],
    )


_SIZE_WORDS = {
    "k": "neighbours (k)",
    "folds": "cross-validation folds",
    "base_rows": "real rows available",
    "reference_rows": "reference rows",
    "synthetic_rows": "synthetic rows",
    "holdout_rows": "holdout rows",
}


def size_label(key: str) -> str:
    """A sample-size key in plain words: ``"encoded rows.base_rows"`` → ``"encoded rows: real rows available"``."""
    part, _, name = key.rpartition(".")
    words = _SIZE_WORDS.get(name, name.replace("_", " "))
    return f"{part.replace('_', ' ')}: {words}" if part else words


def _check_view(check: CheckResult, anchor: str, required: set[str]) -> _CheckView:
    evidence = tuple(
        (
            name,
            format_number(len(rows)),
            ", ".join(str(i) for i in rows[:EVIDENCE_SHOWN]),
            max(0, len(rows) - EVIDENCE_SHOWN),
        )
        for name, rows in _sorted_items(check.evidence)
    )
    return _CheckView(
        name=check.name,
        anchor=anchor,
        suite=check.suite,
        status=check.status.value,
        waived=check.waived,
        summary=check.summary,
        description=check.description,
        meaning=check.meaning,
        headline=tuple(_metric_view(m) for m in _headline(check)),
        metrics=tuple(_metric_view(m) for m in check.metrics),
        tables=tuple(_table_view(t) for t in check.tables),
        figures=tuple(render_figure(f, key=f"{anchor}-{i}") for i, f in enumerate(check.figures)),
        evidence=evidence,
        examples=check.examples,
        params=check.params,
        sample_sizes=tuple((size_label(k), format_number(v)) for k, v in _sorted_items(check.sample_sizes)),
        reference=check.reference or "",
        provider=check.provider,
        skipped_reason=check.skipped_reason,
        columns=tuple(sorted(check.columns.items())),
        required=check.name in required,
        error=check.error,
        waiver=check.waiver,
    )


def _waivers(result: AuditResult, anchors: dict[str, str]) -> list[_WaiverView]:
    out: list[_WaiverView] = []
    seen: set[tuple[str, str]] = set()
    for check in result.checks_list:
        w = check.waiver
        if w is None:
            continue
        seen.add((w.check, str(w.expires)))
        covers = "yes" if check.waived else f"no (status {check.status.value})"
        out.append(
            _WaiverView(
                w.check,
                anchors.get(w.check),
                w.reason,
                w.owner,
                str(w.expires),
                "active" if w.active else "expired",
                covers,
            )
        )
    for spec in result.policy.get("waivers") or ():
        if not isinstance(spec, Mapping) or (str(spec.get("check")), str(spec.get("expires"))) in seen:
            continue
        name = str(spec.get("check", ""))
        out.append(
            _WaiverView(
                name,
                anchors.get(name),
                str(spec.get("reason", "")),
                str(spec.get("owner", "")),
                str(spec.get("expires", "")),
                "not applied",
                "no (check not run or not failing)",
            )
        )
    return out


_INPUT_ORDER = {"real": 0, "synthetic": 1, "holdout": 2}


def _sorted_items(mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Items in key order: a result read back from JSON (sorted keys) renders exactly like the original."""
    return sorted(mapping.items(), key=lambda item: str(item[0]))


def _inputs(result: AuditResult) -> list[tuple[str, dict[str, str]]]:
    out = []
    for role, info in sorted(result.inputs.items(), key=lambda item: (_INPUT_ORDER.get(item[0], 3), item[0])):
        if not isinstance(info, Mapping):
            out.append((role, {"source": format_cell(info)}))
            continue
        out.append((role, {k: format_cell(v) for k, v in info.items()}))
    return out


def _roles(columns: Mapping[str, Any]) -> list[tuple[str, str]]:
    roles = columns.get("roles")
    if not isinstance(roles, Mapping):
        return []
    grouped: dict[str, list[str]] = {}
    for column, role in _sorted_items(roles):
        grouped.setdefault(str(role), []).append(str(column))
    return [(role, ", ".join(names)) for role, names in sorted(grouped.items())]


def _seconds(value: Any) -> str:
    return f"{format_number(value, 3)} s" if _is_number(value) else format_cell(value)


def _timings(run_info: Mapping[str, Any]) -> list[tuple[str, str]]:
    timings = run_info.get("timings")
    if not isinstance(timings, Mapping):
        return []
    out: list[tuple[str, str]] = []
    for key, value in _sorted_items(timings):
        if isinstance(value, Mapping):
            out.extend((f"check {name}", _seconds(v)) for name, v in _sorted_items(value))
        else:
            out.append((key.removesuffix("_seconds").replace("_", " "), _seconds(value)))
    return out


def _command_line(run_info: Mapping[str, Any]) -> str:
    command = run_info.get("command_line")
    if isinstance(command, list | tuple):
        return shlex.join(str(c) for c in command)
    return "" if command is None else str(command)


def _build(result: AuditResult, signoff: str | None, signoff_date: str | None) -> _Report:
    names = [c.name for c in result.checks_list]
    anchors = anchor_ids(names)
    required = {str(r) for r in (result.policy.get("required") or ())}
    checks = [_check_view(c, a, required) for c, a in zip(result.checks_list, anchors, strict=True)]
    suites: dict[str, list[_CheckView]] = {}
    for view in checks:
        suites.setdefault(view.suite, []).append(view)
    order = {suite: i for i, suite in enumerate(SUITE_ORDER)}
    suites = dict(sorted(suites.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
    for views in suites.values():  # worst first inside each suite
        views.sort(key=lambda v: (_RANK["waived" if v.waived else v.status], v.name))
    causes, unexplained = root_causes(result)
    by_name = result.checks
    reasons = [
        reason
        for reason in result.gate.reasons
        if not any(
            reason.startswith(f"{name} ") and (c.summary in reason or " raised " in reason)
            for name, c in by_name.items()
        )
    ]
    counts = result.counts()
    run_info = result.run_info
    synthetic = result.inputs.get("synthetic")
    source = synthetic.get("source") if isinstance(synthetic, Mapping) else None
    verdict = "passed" if result.passed else "failed"
    environment = [
        ("run started", str(run_info.get("started_at", "—"))),
        ("synthaudit version", result.tool_version),
        ("result schema", result.schema_version),
        ("seed", str(result.seed)),
        ("working directory", format_cell(run_info.get("cwd"))),
        ("platform", format_cell(run_info.get("platform"))),
        ("CPU count", format_cell(run_info.get("cpu_count"))),
    ]
    versions = run_info.get("versions")
    version_rows = (
        [(str(k), format_cell(v)) for k, v in _sorted_items(versions)] if isinstance(versions, Mapping) else []
    )
    reference = [(k.replace("_", " "), format_cell(v)) for k, v in _sorted_items(result.reference)]
    return _Report(
        result=result,
        title=f"synthaudit report — {verdict.upper()}" + (f" — {source}" if source else ""),
        verdict=verdict,
        counts=[(k, counts.get(k, 0)) for k in ("pass", "warn", "fail", "skipped", "error", "waived")],
        suites=list(suites.items()),
        checks=checks,
        waivers=_waivers(result, dict(zip(names, anchors, strict=True))),
        inputs=_inputs(result),
        command_line=_command_line(run_info),
        environment=environment,
        versions=version_rows,
        timings=_timings(run_info),
        reference=reference,
        columns={k: v for k, v in _sorted_items(result.columns) if k != "roles"},
        roles=_roles(result.columns),
        policy=result.policy,
        signoff=signoff,
        signoff_date=signoff_date,
        suite_rows=suite_rows(result),
        causes=causes,
        unexplained=[(c.name, status_of(c), first_clause(finding(c))) for c in unexplained],
        grid=column_grid(result),
        reasons=reasons,
        anchors=dict(zip(names, anchors, strict=True)),
        notes=[*result.notes],
    )


# --------------------------------------------------------------------------------------------- rendering
@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("synthaudit.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = format_cell
    env.filters["num"] = format_number
    env.filters["label"] = lambda key: str(key).replace("_", " ")
    env.filters["short"] = lambda name: str(name).rpartition(".")[2].replace("_", " ")
    env.filters["breakable"] = _breakable
    env.globals.update(STATUS_LABELS=STATUS_LABELS, STATUS_ICONS=STATUS_ICONS, is_mapping=_is_mapping)
    env.globals["is_records"] = _is_records
    env.globals["is_flat"] = _is_flat
    return env


def _breakable(text: Any) -> Any:
    """Escaped ``text`` with a line-break opportunity after each ``_`` and ``.`` (long metric and check names)."""
    import markupsafe

    escaped = str(markupsafe.escape(str(text)))
    return markupsafe.Markup(re.sub(r"([_.])", r"\1<wbr>", escaped))


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_flat(value: Mapping[str, Any]) -> bool:
    """A small mapping of scalars, shown on one line ("fail floor 0.05 · fail se 5")."""
    return len(value) <= 8 and all(v is None or isinstance(v, str | int | float) for v in value.values())


def _is_records(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Mapping) for v in value)


def render_html(result: AuditResult, *, signoff: str | None = None, signoff_date: dt.date | str | None = None) -> str:
    """Render ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result
        The audit result (from :func:`synthaudit.audit` or :meth:`AuditResult.from_json`).
    signoff
        "Name, Role" of the person signing the report off; fills the sign-off block, which is otherwise left
        with blank lines to sign on paper.
    signoff_date
        The date written next to ``signoff`` (default: today). Ignored without ``signoff``. The page holds no
        other clock reading than the run's own ``run_info["started_at"]``, so the same result, sign-off and
        date always give the same bytes.

    Returns
    -------
    str
        The HTML document. It carries a Content-Security-Policy that forbids scripts and network loads.
    """
    date: str | None = None
    if signoff:
        date = (signoff_date or dt.date.today()).isoformat() if not isinstance(signoff_date, str) else signoff_date
    report = _build(result, signoff or None, date)
    return _environment().get_template("report.html.j2").render(r=report, Status=Status)


def write_html(
    result: AuditResult,
    path: str | os.PathLike[str],
    *,
    signoff: str | None = None,
    signoff_date: dt.date | str | None = None,
) -> Path:
    """Render ``result`` (see :func:`render_html`) and write it to ``path`` atomically; return the path."""
    return write_text_atomic(path, render_html(result, signoff=signoff, signoff_date=signoff_date))
