"""Numbers written as text: thousands separators, percent signs and missing-value placeholders.

Spreadsheets and reports export numbers as ``"1,234.5"``, ``"12.5%"`` and mark gaps with ``"-"`` or ``"N/A"``;
a CSV reader then hands the whole column over as strings. Such a column is numeric: read as categories, every
value is its own category and no distance between two samples can see a shift. This module recognises that
format and reads it (pure, no I/O).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MISSING_PLACEHOLDERS", "is_number_text", "parse_number_text"]

MISSING_PLACEHOLDERS = frozenset({"", "-", "--", "?", ".", "n/a", "na", "nan", "null", "none", "missing", "#n/a"})
"""Cell values (stripped, lower-cased) that mean "no value" in a numeric column."""

NUMBER_TEXT_MIN_SHARE = 0.95
"""Share of the non-placeholder values that must read as numbers for a string column to be numeric."""

_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?%?$")
"""A plain or comma-grouped decimal number, optionally a percentage (at least one digit: checked apart)."""


def _cells(values: pd.Series) -> tuple[Any, np.ndarray, np.ndarray]:
    """Stripped strings of ``values`` (a pyarrow array) with masks of placeholders (missing included) and numbers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = values.isna().to_numpy()
    if pd.api.types.infer_dtype(values, skipna=True) != "string":  # numbers or mixed objects: as strings
        values = values.astype(object).where(missing, values.astype(str))
    text = pc.utf8_trim_whitespace(pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True))
    lowered = pc.utf8_lower(text)
    placeholder = missing | pc.is_in(lowered, value_set=pa.array(sorted(MISSING_PLACEHOLDERS))).to_numpy(
        zero_copy_only=False
    ).astype(bool, copy=False)
    matches = pc.and_(pc.match_substring_regex(text, _NUMBER.pattern), pc.match_substring_regex(text, r"\d"))
    number = ~placeholder & pc.fill_null(matches, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return text, placeholder, number


def is_number_text(values: pd.Series) -> bool:
    """Whether a string column holds numbers written as text by a spreadsheet or a report.

    True when at least ``NUMBER_TEXT_MIN_SHARE`` of its values other than placeholders (``"-"``, ``"N/A"``,
    ``""``…) read as numbers (``"1,234.5"``, ``"-3"``, ``"12.5%"``), at least one does, and the column shows
    that format: a thousands separator, a percent sign or a written placeholder. A column of bare digit
    strings without any of these (``"1"``, ``"2"``) is left alone: a CSV reader reads those as numbers
    itself, so as strings they were meant as codes.
    """
    text, placeholder, number = _cells(values)
    present = int((~placeholder).sum())
    if present == 0 or int(number.sum()) < NUMBER_TEXT_MIN_SHARE * present:
        return False
    written_placeholder = bool((placeholder & ~values.isna().to_numpy()).any())
    import pyarrow as pa
    import pyarrow.compute as pc

    formatted = pc.any(pc.match_substring_regex(pc.filter(text, pa.array(number)), r"[,%]")).as_py()
    return written_placeholder or bool(formatted)


def parse_number_text(values: pd.Series) -> tuple[pd.Series, int]:
    """Read numbers written as text; return them as floats and the number of non-placeholder values unread.

    Placeholders become missing (a gap, not a defect); thousands separators and a trailing percent sign are
    dropped (``"12.5%"`` reads as 12.5, in the column's own unit); anything else that is not a number becomes
    missing and is counted.
    """
    text, placeholder, number = _cells(values)
    out = np.full(len(text), np.nan)
    if number.any():
        import pyarrow as pa
        import pyarrow.compute as pc

        kept = pc.filter(text, pa.array(number))
        cleaned = pc.replace_substring_regex(kept, pattern="[,%]", replacement="")
        out[number] = pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False)
    unread = int((~placeholder & ~number).sum())
    return pd.Series(out, index=values.index), unread
