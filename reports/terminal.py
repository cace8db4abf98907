"""The terminal summary of ``synthaudit check``: one table of checks, each failure's finding once, the verdict.

Layout rules, so the summary reads in an 80-column terminal and in a CI log:

* checks are ordered by severity (error, fail, warn, pass, skipped), then by name;
* check names are never shortened (the name column is as wide as the longest name); the metric name and a
  skipped check's reason wrap instead;
* one threshold wording everywhere: the ``fail if`` column prints the fail condition (``> 0.061`` for a metric
  where lower is better, ``< 0.9`` where higher is better); a warning row adds its warn condition
  (``warn > 0.041``) so a warning never looks like a pass;
* the top root causes (a column or group several failing checks single out) follow the findings;
* each fact once: the finding of every failing or warning check is printed once below the table, and the gate's
  reasons are printed only where they add something (``"X failed: <its finding>"`` is not repeated).
"""

from __future__ import annotations

import textwrap

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from synthaudit.reports.overview import root_causes
from synthaudit.result import AuditResult, CheckResult, Metric, Status

__all__ = ["render_summary", "severity_order"]

_STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIPPED: "dim",
    Status.ERROR: "bold magenta",
}
_RANK = {"error": 0, "fail": 1, "warn": 2, "waived": 3, "pass": 4, "skipped": 5}


def severity_order(checks: tuple[CheckResult, ...] | list[CheckResult]) -> list[CheckResult]:
    """Checks worst first: error, fail, warn, waived failure, pass, skipped; ties by name."""
    return sorted(checks, key=lambda c: (_RANK["waived" if c.waived else c.status.value], c.name))


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return f"{value:.3g}"


def _bound(metric: Metric, value: float | None) -> str:
    """The condition that trips a threshold: ``> t`` where lower is better, ``< t`` where higher is better."""
    if value is None:
        return "—"
    return ("> " if metric.direction == "lower_is_better" else "< ") + _number(value)


def _first_clause(text: str, limit: int = 90) -> str:
    """The reason's first clause, short enough for a table cell (the whole reason is in the report)."""
    for stop in ("; ", ". ", ": "):
        head, found, _ = text.partition(stop)
        if found and len(head) >= 20:
            text = head
            break
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _headline(check: CheckResult) -> Metric | None:
    gating = check.gating_metrics
    if not gating:
        return None
    failing = [m for m in gating if m.passed is False] or [m for m in gating if m.warned]
    return (failing or list(gating))[0]


def _status_text(check: CheckResult) -> Text:
    label = check.status.value.upper()
    if check.waived:
        label += " (waived)"
    return Text(label, style=_STYLES[check.status])


def _threshold_text(check: CheckResult, metric: Metric) -> Text:
    text = Text(_bound(metric, metric.threshold), no_wrap=True)
    if check.status is Status.WARN and metric.warn_threshold is not None:
        text.append("\n" + "warn " + _bound(metric, metric.warn_threshold), style="yellow")
    return text


def _table(result: AuditResult, console: Console) -> Table:
    checks = severity_order(result.checks_list)
    name_width = max((len(c.name) for c in checks), default=5)
    table = Table(
        title="synthaudit",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        expand=False,
    )
    stacked = console.width < 100  # narrow terminal: the metric name goes under the check name
    if stacked:  # the indented metric name must fit too, or it folds mid-word
        headlines = (_headline(c) for c in checks)
        name_width = max([name_width, *(len(m.name) + 2 for m in headlines if m is not None)])
    if stacked:  # names never wrap (no spaces in them); a skip reason wraps inside the column
        table.add_column("check · gating metric", min_width=name_width, max_width=name_width + 4, overflow="fold")
    else:
        table.add_column("check", no_wrap=True, min_width=name_width)
    table.add_column("status", no_wrap=True)
    if not stacked:
        table.add_column("gating metric", overflow="fold", ratio=1, min_width=12)
    for header in ("value", "reference", "fail if"):
        table.add_column(header, justify="right", no_wrap=True)
    for check in checks:
        metric = _headline(check)
        if metric is None:
            reason = Text(_first_clause(check.skipped_reason or (check.error.message if check.error else ""), 70))
            reason.stylize("dim")
            if stacked:  # the reason wraps under the name with a hanging indent
                lines = textwrap.wrap(reason.plain, width=name_width - 2) or [""]
                name = Text(check.name)
                name.append("".join("\n  " + line for line in lines), style="dim")
                table.add_row(name, _status_text(check), "", "", "")
            else:
                table.add_row(check.name, _status_text(check), reason, "", "", "")
            continue
        numbers = (_number(metric.value), _number(metric.reference_value), _threshold_text(check, metric))
        if stacked:
            name = Text(check.name)
            name.append("\n  " + metric.name, style="dim")
            table.add_row(name, _status_text(check), *numbers)
        else:
            table.add_row(check.name, _status_text(check), metric.name, *numbers)
    return table


def render_summary(result: AuditResult, console: Console, *, verbose: bool = False) -> None:
    """Print the summary table, each finding once, notes and the verdict to ``console``."""
    console.print(_table(result, console))
    reference = result.reference
    console.print(
        f"reference: {reference.get('kind')} — {reference.get('matched_rows')} rows per side "
        f"(base {reference.get('base_rows')} real rows)",
        style="dim",
        markup=False,
    )
    capped = [
        f"{label} {record['rows_used']:,} of {record['rows']:,}"
        for label, record in result.inputs.items()
        if isinstance(record, dict)
        and isinstance(record.get("rows_used"), int)
        and record["rows_used"] < record["rows"]
    ]
    if capped:
        console.print(
            textwrap.fill(
                f"capped by --max-rows: {', '.join(capped)} rows; exact copies and duplicates are counted over "
                "every row",
                width=max(40, console.width),
            ),
            style="dim",
            markup=False,
        )
    described: set[str] = set()
    for check in severity_order(result.checks_list):
        if check.status in (Status.FAIL, Status.ERROR, Status.WARN) or verbose:
            detail = check.summary
            if check.status is Status.ERROR and check.error is not None:
                detail = f"raised {check.error.type}: {check.error.message}"
            text = textwrap.fill(
                f"{check.name}: {detail}", width=max(40, console.width), initial_indent="  ", subsequent_indent="    "
            )
            console.print(text, markup=False, highlight=False, soft_wrap=True)
            described.add(check.name)
        if verbose:
            _details(check, console)
    if verbose:
        timings = result.run_info.get("timings", {})
        seconds = timings.get("checks_seconds", {})
        if seconds:
            shown = ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items())
            console.print(f"timings: load {timings.get('load_seconds', 0):.2f}s; {shown}", style="dim", markup=False)
    causes, _ = root_causes(result)
    for cause in causes[:3]:  # a column or group several failing checks single out
        names = ", ".join(name for name, _ in cause.checks)
        text = textwrap.fill(f"root cause {cause.key}: {names}", width=max(40, console.width), subsequent_indent="    ")
        console.print(text, style="bold", markup=False, highlight=False, soft_wrap=True)
    for note in (*result.notes, *result.gate.warnings):
        console.print(f"note: {note}", style="yellow", markup=False)
    counts = result.counts()
    tally = ", ".join(f"{counts[k]} {k}" for k in ("pass", "warn", "fail", "skipped", "error", "waived") if counts[k])
    rests_on = result.gate.tally()
    if result.passed:
        console.print(Text(f"PASSED — {rests_on}: {tally}", style="bold green"))
        return
    console.print(Text(f"FAILED — {rests_on}: {tally}", style="bold red"))
    for reason in result.gate.reasons:
        if _restates(reason, described, result):
            continue
        console.print(f"  • {reason}", markup=False, highlight=False)


def _restates(reason: str, described: set[str], result: AuditResult) -> bool:
    """Whether a gate reason only repeats a finding printed above (``"<check> failed: <summary>"``)."""
    for name in described:
        check = result.checks.get(name)
        if check is not None and reason.startswith(f"{name} ") and (check.summary in reason or "raised" in reason):
            return True
    return False


def _details(check: CheckResult, console: Console) -> None:
    sizes = ", ".join(f"{k}={v}" for k, v in sorted(check.sample_sizes.items()))
    if sizes:
        console.print(f"      sample sizes: {sizes}", style="dim", markup=False)
    for metric in check.metrics:
        bounds = ""
        if metric.gating:
            bounds = f", fail if {_bound(metric, metric.threshold)}, warn if {_bound(metric, metric.warn_threshold)}"
        console.print(
            f"      {metric.name} = {_number(metric.value)} (reference {_number(metric.reference_value)}{bounds})",
            style="dim",
            markup=False,
        )
    if check.params:
        console.print(f"      params: {check.params}", style="dim", markup=False)
