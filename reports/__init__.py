"""Renderers of an :class:`~synthaudit.result.AuditResult`. They format results and never compute metrics."""

from __future__ import annotations

from synthaudit.reports.json import write_json
from synthaudit.reports.terminal import render_summary

__all__ = ["render_summary", "write_json"]
