"""Values made comparable to the real data's column roles: coercion that counts what it cannot read.

A value that cannot be read as the column's role (text in a numeric column) becomes missing and is counted,
never dropped silently; a column holding nested values (lists, records, arrays) or raw bytes is bad input, since
no check can compare them.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable
from synthaudit.data.number_text import parse_number_text
from synthaudit.data.roles import Role
from synthaudit.errors import InputError


def _as_strings(values: pd.Series) -> pd.Series:
    """Non-missing values as strings, integral floats written without a trailing ``.0``."""
    if pd.api.types.is_object_dtype(values.dtype):
        kind = pd.api.types.infer_dtype(values, skipna=False)  # one C pass; "string": str only, nothing missing
        if kind == "string":
            return pd.Series(values.to_numpy(dtype=object, copy=True), index=values.index)
        if kind in ("mixed", "empty") and pd.api.types.infer_dtype(values, skipna=True) == "string":
            strings = values.to_numpy(dtype=object, copy=True)  # str or missing: the strings, None elsewhere
            strings[values.isna().to_numpy()] = None
            return pd.Series(strings, index=values.index)
    out = pd.Series(np.full(len(values), None, dtype=object), index=values.index)
    mask = values.notna().to_numpy()
    present = values[mask]
    if pd.api.types.is_bool_dtype(present):
        out[mask] = present.map({True: "true", False: "false"}).to_numpy(dtype=object)
    elif pd.api.types.is_float_dtype(present):
        floats = present.to_numpy(dtype=float)
        integral = np.isfinite(floats) & (np.mod(floats, 1.0) == 0.0)
        text = np.where(integral, np.char.mod("%d", np.where(integral, floats, 0).astype(np.int64)), floats.astype(str))
        out[mask] = text.astype(object)
    else:
        out[mask] = present.astype(str).to_numpy(dtype=object)
    return out


def _coerce(values: pd.Series, role: Role) -> tuple[pd.Series, int, int]:
    """Coerce one column to ``role``; return it, the number of unparseable values and of non-finite ones."""
    nonfinite = 0
    if role is Role.NUMERIC:
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        out = pd.to_numeric(values, errors="coerce").astype(float)
        failed = values.notna().to_numpy() & out.isna().to_numpy()
        unparseable = int(failed.sum())
        if unparseable and not pd.api.types.is_numeric_dtype(values.dtype):
            # "1,234.5" and "12.5%" are numbers; "-" and "N/A" are gaps, not unreadable values.
            parsed, unparseable = parse_number_text(values[failed])
            out[failed] = parsed.to_numpy()
        infinite = np.isinf(out.to_numpy())
        nonfinite = int(infinite.sum())
        if nonfinite:
            out = out.mask(infinite)
        return out, unparseable, nonfinite
    if role is Role.DATETIME:
        before = int(values.notna().sum())
        if pd.api.types.is_datetime64_any_dtype(values):
            stamps = values
        else:
            stamps = pd.to_datetime(values.astype("string"), errors="coerce", format="mixed", utc=True)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = stamps.astype("datetime64[ns]")
        return stamps, before - int(stamps.notna().sum()), 0
    if role is Role.BOOLEAN:
        return _normalised_words(_as_strings(values)), 0, 0
    if role is Role.EMPTY:
        return values.copy(), 0, 0  # a copy: the typed frame never shares memory with the input
    return _as_strings(values), 0, 0


def _normalised_words(strings: pd.Series) -> pd.Series:
    """Strings stripped and lower-cased, missing values kept: each distinct value is normalised once."""
    codes, uniques = pd.factorize(strings.to_numpy(dtype=object), use_na_sentinel=True)
    words = np.array([str(u).strip().lower() for u in uniques] + [None], dtype=object)
    return pd.Series(words[codes], index=strings.index)  # code -1 (missing) takes the trailing None


_NESTED = (list, tuple, dict, set, np.ndarray)
_BYTES = (bytes, bytearray, memoryview)

_FLAT_FORMATS = frozenset({"csv", "tsv"})
"""Formats whose cells are always flat (pyarrow reads CSV fields as numbers, booleans, dates or text)."""


def _uncomparable(values: pd.Series) -> str | None:
    """Why no check can compare this column, or ``None`` when they can.

    ``"nested"``: a cell holds a list, dict, set or array (Parquet structs and lists, nested JSON); ``"bytes"``:
    a cell holds raw bytes (a Parquet binary column that is not UTF-8 text).
    """
    dtype = values.dtype
    pyarrow_dtype = getattr(dtype, "pyarrow_dtype", None)
    if pyarrow_dtype is not None:
        import pyarrow as pa

        return "nested" if pa.types.is_nested(pyarrow_dtype) else None
    if not pd.api.types.is_object_dtype(dtype):
        return None
    inferred = pd.api.types.infer_dtype(values, skipna=True)  # one pass over the column, in C
    if inferred == "bytes":
        return "bytes"
    if inferred not in ("mixed", "mixed-integer", "unknown-array"):
        return None
    for value in values.to_numpy():
        if isinstance(value, _NESTED):
            return "nested"
        if isinstance(value, _BYTES):
            return "bytes"
    return None


def _reject_nested(tables: dict[str, LoadedTable | None], columns: Sequence[str]) -> None:
    """Bad input when a compared column holds nested values or raw bytes: no check can compare them."""
    for side, table in tables.items():
        if table is None or table.format in _FLAT_FORMATS:
            continue
        kinds = {c: _uncomparable(table.frame[c]) for c in columns if c in table.frame.columns}
        raw = [c for c, kind in kinds.items() if kind == "bytes"]
        if raw:
            raise InputError(
                f"the {side} file {table.source!r} has raw bytes that are not UTF-8 text in the column(s) {raw[:10]}; "
                "synthaudit compares numbers, categories, dates and text. Decode them to text (e.g. hex or base64), "
                "or leave them out with --columns."
            )
        nested = [c for c, kind in kinds.items() if kind == "nested"]
        if nested:
            hint = (
                " JSON input must hold one flat object per row (JSON lines, or an array of records)."
                if table.format.startswith("json")
                else ""
            )
            raise InputError(
                f"the {side} file {table.source!r} has nested values (lists, records or arrays) in the column(s) "
                f"{nested[:10]}; synthaudit compares flat columns. Flatten them into one column per field, or "
                f"leave them out with --columns.{hint}"
            )
