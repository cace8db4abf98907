"""The HTML report's view of one metric: display strings, its pass / warn / fail outcome and its SVG gauge.

The gauge is the only markup here, drawn from numbers only (never data values), so the template may pass it
through unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthaudit.reports.html_format import format_number
from synthaudit.result import CheckResult, Metric


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
