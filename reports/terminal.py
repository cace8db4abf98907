"""The terminal summary: one table of checks (status, gating metric vs reference vs threshold) and the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from synthaudit.result import AuditResult, CheckResult, Metric, Status

__all__ = ["render_summary"]

_STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIPPED: "dim",
    Status.ERROR: "bold magenta",
}


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return f"{value:.3g}"


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


def render_summary(result: AuditResult, console: Console, *, verbose: bool = False) -> None:
    """Print the summary table, notes and the verdict to ``console``."""
    table = Table(title="synthaudit", title_justify="left", show_lines=False, expand=False)
    for header, justify in (
        ("check", "left"),
        ("status", "left"),
        ("gating metric", "left"),
        ("value", "right"),
        ("reference", "right"),
        ("threshold", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for check in result.checks_list:
        metric = _headline(check)
        if metric is None:
            reason = _first_clause(check.skipped_reason or (check.error.message if check.error else ""))
            table.add_row(check.name, _status_text(check), Text(reason, style="dim"), "", "", "")
            continue
        table.add_row(
            check.name,
            _status_text(check),
            metric.name,
            _number(metric.value),
            _number(metric.reference_value),
            ("≤ " if metric.direction == "lower_is_better" else "≥ ") + _number(metric.threshold),
        )
    console.print(table)
    reference = result.reference
    console.print(
        f"reference: {reference.get('kind')} — {reference.get('matched_rows')} rows per side "
        f"(base {reference.get('base_rows')} real rows)",
        style="dim",
    )
    for check in result.checks_list:
        if check.status in (Status.FAIL, Status.ERROR, Status.WARN) or verbose:
            console.print(f"  {check.name}: {check.summary}", markup=False, highlight=False)
        if verbose:
            sizes = ", ".join(f"{k}={v}" for k, v in sorted(check.sample_sizes.items()))
            if sizes:
                console.print(f"      sample sizes: {sizes}", style="dim", markup=False)
            for metric in check.metrics:
                console.print(
                    f"      {metric.name} = {_number(metric.value)} (reference {_number(metric.reference_value)}, "
                    f"warn {_number(metric.warn_threshold)}, fail {_number(metric.threshold)})",
                    style="dim",
                    markup=False,
                )
            if check.params:
                console.print(f"      params: {check.params}", style="dim", markup=False)
    if verbose:
        timings = result.run_info.get("timings", {})
        seconds = timings.get("checks_seconds", {})
        if seconds:
            shown = ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items())
            console.print(f"timings: load {timings.get('load_seconds', 0):.2f}s; {shown}", style="dim", markup=False)
    for note in (*result.notes, *result.gate.warnings):
        console.print(f"note: {note}", style="yellow", markup=False)
    counts = result.counts()
    tally = ", ".join(f"{counts[k]} {k}" for k in ("pass", "warn", "fail", "skipped", "error", "waived") if counts[k])
    rests_on = result.gate.tally()
    if result.passed:
        console.print(Text(f"PASSED — {rests_on}: {tally}", style="bold green"))
    else:
        console.print(Text(f"FAILED — {rests_on}: {tally}", style="bold red"))
        for reason in result.gate.reasons:
            console.print(f"  • {reason}", markup=False, highlight=False)
