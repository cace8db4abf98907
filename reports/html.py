"""The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched) for reviewers.

The renderer builds a small view model of display strings from an :class:`~synthaudit.result.AuditResult`
(:mod:`synthaudit.reports.html_view`; numbers rounded for display only) and hands it to a Jinja2 template with
``autoescape=True``. Data values are always escaped by the template; the only markup passed through unescaped
is SVG this package drew from numbers (:mod:`synthaudit.reports.figures` and the metric gauges of
:mod:`synthaudit.reports.html_metrics`). A Content-Security-Policy meta tag forbids scripts and every network
load, so opening the report fetches nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from synthaudit.fileio import write_text_atomic
from synthaudit.reports.html_format import anchor_ids, format_cell, format_number
from synthaudit.reports.html_view import _build
from synthaudit.reports.html_view import size_label as size_label  # imported from here by callers
from synthaudit.result import AuditResult, Status

__all__ = ["CSP", "anchor_ids", "format_cell", "format_number", "render_html", "write_html"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The report's Content-Security-Policy: no script, no network; only inline styles and data: images."""

STATUS_LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skipped": "SKIPPED", "error": "ERROR"}
STATUS_ICONS = {"pass": "✓", "warn": "!", "fail": "✗", "skipped": "–", "error": "✗", "waived": "~"}
STATUS_LABELS["waived"] = "WAIVED"


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
