"""The JSON result file: the documented, versioned layout of :meth:`AuditResult.to_dict`, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from synthaudit.fileio import write_text_atomic
from synthaudit.result import AuditResult

__all__ = ["read_json", "write_json"]


def write_json(result: AuditResult, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` as JSON (sorted keys, full float precision) to ``path`` atomically."""
    return write_text_atomic(path, result.to_json() + "\n")


def read_json(path: str | os.PathLike[str]) -> AuditResult:
    """Read a result written by :func:`write_json`."""
    return AuditResult.from_json(Path(path).read_text(encoding="utf-8"))
