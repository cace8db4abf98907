"""The HTML report's view model: display strings built from an AuditResult (numbers rounded for display only).

:func:`_build` turns a result into a :class:`_Report` the Jinja2 template renders; nothing here writes markup
except the figures (:mod:`synthaudit.reports.figures`) and gauges (:mod:`synthaudit.reports.html_metrics`),
which are SVG drawn from numbers.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synthaudit.reports.figures import RenderedFigure, render_figure
from synthaudit.reports.html_format import _is_number, _sorted_items, anchor_ids, format_cell, format_number
from synthaudit.reports.html_metrics import _headline, _metric_view, _MetricView
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
from synthaudit.result import SUITE_ORDER, AuditResult, CheckResult, Table, Waiver

VISIBLE_ROWS = 10
"""Rows of a breakdown table shown before the rest are folded into a ``<details>``."""

EVIDENCE_SHOWN = 50
"""Row indices listed per evidence item (the count is always given)."""


_RANK = {"error": 0, "fail": 1, "warn": 2, "waived": 3, "pass": 4, "skipped": 5}


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
