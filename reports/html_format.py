"""Display formatting shared by the HTML report and the other renderers: numbers, table cells, anchor ids."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["anchor_ids", "format_cell", "format_number"]


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


def _sorted_items(mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Items in key order: a result read back from JSON (sorted keys) renders exactly like the original."""
    return sorted(mapping.items(), key=lambda item: str(item[0]))
