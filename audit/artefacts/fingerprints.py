"""Row fingerprints: one 64-bit hash per row after normalisation, so equal rows are found by hashing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthaudit.data.roles import Role

__all__ = ["input_row_fingerprints", "row_fingerprints"]

_MANTISSA_SCALE = float(2**30)
"""Numbers are canonical to about 9 significant digits (30 bits of mantissa)."""

_MISSING = "\x00<missing>"


def _canonical_numbers(values: np.ndarray) -> np.ndarray:
    """Floats rounded to 30 mantissa bits (≈ 9 significant digits), -0.0 made 0.0, so 0.1+0.2 == 0.3."""
    mantissa, exponent = np.frexp(values)
    return np.ldexp(np.round(mantissa * _MANTISSA_SCALE) / _MANTISSA_SCALE, exponent) + 0.0


def _canonical_column(values: pd.Series, role: Role) -> pd.Series:
    if role is Role.NUMERIC:
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.Series(np.where(np.isnan(numbers), np.inf, _canonical_numbers(numbers)), index=values.index)
    if role is Role.DATETIME:
        stamps = values.astype("int64").to_numpy()
        return pd.Series(np.where(values.isna().to_numpy(), np.iinfo(np.int64).min, stamps), index=values.index)
    # Each distinct value is turned into text and trimmed once (a million rows hold few distinct values).
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    trimmed = np.append(np.asarray(pd.Index(uniques).astype(str).str.strip(), dtype=object), _MISSING)
    return pd.Series(trimmed[codes], index=values.index, dtype=object)  # code -1 (missing) takes the last slot


def row_fingerprints(frame: pd.DataFrame, columns: tuple[str, ...], roles: dict[str, Role]) -> np.ndarray:
    """A 64-bit fingerprint per row after normalisation (trimmed strings, canonical numbers, missing equal).

    Two rows get the same fingerprint exactly when their normalised values are equal (up to 64-bit hash
    collisions, about one in 10^19 per pair).
    """
    canonical = pd.DataFrame({c: _canonical_column(frame[c], roles[c]) for c in columns}, index=frame.index)
    return pd.util.hash_pandas_object(canonical, index=False).to_numpy()


def input_row_fingerprints(block: pd.DataFrame, columns: tuple[str, ...], roles: dict[str, Role]) -> np.ndarray:
    """:func:`row_fingerprints` of a block of an input as read (before alignment).

    Each column is first coerced to its role exactly as the aligned table's is
    (:func:`synthaudit.data.coercion._coerce`, a value-by-value conversion), so a row gets the fingerprint it
    has in the aligned table.
    """
    from synthaudit.data.coercion import _coerce  # data → artefacts is the usual direction; this is the exception

    typed = pd.DataFrame({c: _coerce(block[c], roles[c])[0] for c in columns}, index=block.index)
    return row_fingerprints(typed, columns, roles)
