"""Renderers of an :class:`~synthaudit.result.AuditResult`. They format results and never compute metrics."""

from __future__ import annotations

from synthaudit.reports.html import render_html, write_html
from synthaudit.reports.json import read_json, write_json
from synthaudit.reports.junit import render_junit, write_junit
from synthaudit.reports.markdown import render_markdown, write_markdown
from synthaudit.reports.terminal import render_summary

__all__ = [
    "read_json",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_summary",
    "write_html",
    "write_json",
    "write_junit",
    "write_markdown",
]
