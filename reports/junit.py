"""JUnit XML: one ``<testcase>`` per check, so CI dashboards show the audit like a test run.

Every verdict comes from the gate's :class:`~synthaudit.result.Outcome` of the check; this module only maps
it (``classname`` is the check's suite, ``name`` the check's name):

- waived (a failure covered by an active waiver) → ``<skipped>`` naming the waiver;
- an outcome that fails the gate → ``<error>`` (status ``error``: exception type, message, traceback) or
  ``<failure>`` whose ``type`` is the gated status (``fail``, ``warn`` under fail-on-warn, ``required-skipped``);
- ``skipped`` → ``<skipped>`` with the reason; an error the policy allows → ``<skipped>`` naming the error;
- anything else (``pass``, ``warn``) → a passing test case.

The gate's words (``Outcome.why``: downgrades, waivers, fail-on-warn) are in the message. Every test case
carries the check's metrics (value, reference, warn and fail thresholds) in its message or in
``<system-out>``. Times come from the run's ``run_info["timings"]``.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthaudit.fileio import write_text_atomic
from synthaudit.reports.html import format_number
from synthaudit.result import AuditResult, CheckResult, Metric, Outcome, Status

__all__ = ["render_junit", "write_junit"]

_INVALID_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    """Text without the characters XML 1.0 cannot hold (ElementTree escapes the rest)."""
    return _INVALID_XML.sub("\ufffd", str(text))


def _metric_line(metric: Metric) -> str:
    sign = ">" if metric.direction == "lower_is_better" else "<"
    parts = [f"{metric.name} = {format_number(metric.value)}"]
    if metric.reference_value is not None:
        parts.append(f"reference {format_number(metric.reference_value)}")
    if metric.warn_threshold is not None:
        parts.append(f"warn if {sign} {format_number(metric.warn_threshold)}")
    if metric.threshold is not None:
        parts.append(f"fail if {sign} {format_number(metric.threshold)}")
    if not metric.gating:
        parts.append("information")
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def _message(check: CheckResult) -> str:
    gating = "; ".join(_metric_line(m) for m in check.gating_metrics)
    return f"{check.summary} [{gating}]" if gating else check.summary


def _details(check: CheckResult, outcome: Outcome) -> str:
    lines = [f"{check.name} ({check.suite}): {outcome.label}", check.summary]
    lines.extend(f"Gate: {why}" for why in outcome.why if why not in check.summary)
    if check.meaning:
        lines.append(f"How to read it: {check.meaning}")
    lines.extend(f"  {_metric_line(m)}" for m in check.metrics)
    if check.sample_sizes:
        lines.append("Sample sizes: " + ", ".join(f"{k} {v}" for k, v in sorted(check.sample_sizes.items())))
    if check.reference:
        lines.append(f"Reference: {check.reference}")
    for name, rows in sorted(check.evidence.items()):
        lines.append(f"Evidence {name}: {len(rows)} row(s)" + (f", indices {list(rows[:20])}" if rows else ""))
    return "\n".join(lines)


def _seconds(run_info: Mapping[str, Any], name: str | None = None) -> float:
    timings = run_info.get("timings")
    if not isinstance(timings, Mapping):
        return 0.0
    value = timings.get("total_seconds") if name is None else (timings.get("checks_seconds") or {}).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _testcase(check: CheckResult, result: AuditResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": _clean(check.suite),
            "name": _clean(check.name),
            "time": f"{_seconds(result.run_info, check.name):.3f}",
        },
    )
    outcome = result.outcome(check.name)
    why = "; ".join(w for w in outcome.why if w not in check.summary)  # the gate's words not already shown
    waiver = outcome.waiver
    if outcome.waived and waiver is not None:
        message = f"waived until {waiver.expires} by {waiver.owner}: {waiver.reason} (status {outcome.status.value})"
        ET.SubElement(case, "skipped", {"message": _clean(message)})
    elif outcome.fails_gate and outcome.status is Status.ERROR:
        error = check.error
        element = ET.SubElement(
            case,
            "error",
            {
                "type": _clean(error.type if error else "error"),
                "message": _clean(error.message if error else check.summary),
            },
        )
        element.text = _clean(error.traceback if error and error.traceback else check.summary)
    elif outcome.fails_gate and outcome.status is Status.SKIPPED:
        reason = check.skipped_reason or "no reason recorded"
        message = f"required check skipped: {reason}"
        element = ET.SubElement(case, "failure", {"type": "required-skipped", "message": _clean(message)})
        element.text = _clean(
            f"{check.name} is listed as required in the policy, so skipping it fails the gate.\n{reason}"
        )
    elif outcome.fails_gate:
        message = _message(check) + (f" ({why})" if why else "")
        element = ET.SubElement(case, "failure", {"type": outcome.status.value, "message": _clean(message)})
        element.text = _clean(_details(check, outcome))
    elif outcome.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", {"message": _clean(check.skipped_reason or "skipped")})
    elif outcome.status is Status.ERROR:  # an error the policy allows: shown, not failed
        detail = f"{check.error.type}: {check.error.message}" if check.error else check.summary
        ET.SubElement(case, "skipped", {"message": _clean(f"raised an error, which the policy allows ({detail})")})
    if outcome.status is not Status.SKIPPED and case.find("failure") is None:  # a failure's text has the details
        ET.SubElement(case, "system-out").text = _clean(_details(check, outcome))
    return case


def render_junit(result: AuditResult, *, fail_on_warn: bool | None = None) -> str:
    """Render ``result`` as JUnit XML: a ``<testsuite>`` per suite, a ``<testcase>`` per check.

    Parameters
    ----------
    result
        The audit result; its gate's outcomes decide every test case.
    fail_on_warn
        Only shown among the suite's properties (default: the result's policy). Whether a warning failed the
        gate is the gate's decision, recorded in its outcomes.

    Returns
    -------
    str
        The XML document, UTF-8, with an XML declaration.
    """
    if fail_on_warn is None:
        fail_on_warn = bool(result.policy.get("fail_on_warn"))
    root = ET.Element("testsuites", {"name": "synthaudit"})
    suites: dict[str, ET.Element] = {}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check in result.checks_list:
        suite = suites.get(check.suite)
        if suite is None:
            suite = ET.SubElement(root, "testsuite", {"name": _clean(check.suite)})
            properties = ET.SubElement(suite, "properties")
            for name, value in (
                ("synthaudit.version", result.tool_version),
                ("seed", result.seed),
                ("reference", result.reference.get("kind", "")),
                ("gate", "passed" if result.passed else "failed"),
                ("fail_on_warn", str(fail_on_warn).lower()),
            ):
                ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
            suites[check.suite] = suite
        suite.append(_testcase(check, result))
    for suite in suites.values():
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        seconds = sum(float(c.get("time", "0")) for c in cases)
        suite.attrib.update({k: str(v) for k, v in counts.items()})
        suite.set("time", f"{seconds:.3f}")
        if result.run_info.get("started_at"):
            suite.set("timestamp", _clean(result.run_info["started_at"]))
        for key, value in counts.items():
            totals[key] += value
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{_seconds(result.run_info):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(result: AuditResult, path: str | os.PathLike[str], *, fail_on_warn: bool | None = None) -> Path:
    """Write :func:`render_junit` output to ``path`` atomically; return the path."""
    return write_text_atomic(path, render_junit(result, fail_on_warn=fail_on_warn))
