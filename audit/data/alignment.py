"""Alignment of the real, synthetic and holdout tables by column name, with types made comparable.

DESIGN's input rules: no common columns, or a named ``--target`` / ``--sensitive`` / ``--text`` / ``--id``
column missing from the real file, is bad input (:class:`~synthaudit.errors.InputError`, exit 2). Columns
present on one side only are not: they are recorded here and the ``constraints.schema`` check fails and
names them. Each common column gets the role inferred from the real data; the other sides are coerced to
that role, and values that cannot be coerced (text in a numeric column) are counted, never dropped
silently: they become missing and the schema check reports them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable
from synthaudit.data.roles import Role, infer_roles
from synthaudit.errors import InputError

__all__ = ["PROTECTED_ATTRIBUTE_WORDS", "AlignedData", "TypeIssue", "align", "infer_sensitive_columns"]

PROTECTED_ATTRIBUTE_WORDS = (
    ("sex",),
    ("gender",),
    ("race",),
    ("ethnicity",),
    ("ethnic",),
    ("age",),
    ("religion",),
    ("nationality",),
    ("marital", "status"),
    ("marital",),
    ("disability",),
    ("disabled",),
)
"""Protected attributes matched as whole words or tokens of a column name (``age`` never matches ``page``)."""

SIDES = ("real", "synthetic", "holdout")


@dataclass(frozen=True, slots=True)
class TypeIssue:
    """Values of ``column`` on ``side`` that could not be read as the real data's type."""

    column: str
    side: str
    expected: str
    found_dtype: str
    unparseable: int


@dataclass(frozen=True)
class AlignedData:
    """Typed frames restricted to the common columns, and everything the alignment noticed."""

    real: pd.DataFrame
    synth: pd.DataFrame
    holdout: pd.DataFrame | None
    roles: dict[str, Role]
    only_real: tuple[str, ...]
    only_synth: tuple[str, ...]
    dtypes: dict[str, dict[str, str]]
    type_issues: tuple[TypeIssue, ...]
    nonfinite: dict[str, dict[str, int]]
    target: str | None = None
    task: str | None = None
    positive_label: str | None = None
    sensitive: tuple[str, ...] = ()
    sensitive_inferred: bool = False
    text: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    quasi_identifiers: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> tuple[str, ...]:
        """The common columns, in the real file's order."""
        return tuple(self.real.columns)

    def columns_with(self, *roles: Role) -> tuple[str, ...]:
        """Common columns whose role is one of ``roles``."""
        return tuple(c for c in self.columns if self.roles[c] in roles)


def _name_tokens(name: str) -> list[str]:
    """Lower-case word tokens of a column name: ``maritalStatus`` / ``marital-status`` → marital, status."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def infer_sensitive_columns(columns: Sequence[str], roles: dict[str, Role]) -> tuple[str, ...]:
    """Columns whose name contains a protected attribute as a whole token (see PROTECTED_ATTRIBUTE_WORDS)."""
    found = []
    for column in columns:
        if roles.get(column) in (Role.IDENTIFIER, Role.TEXT, Role.EMPTY):
            continue
        tokens = _name_tokens(column)
        if any(
            tokens[i : i + len(words)] == list(words)
            for words in PROTECTED_ATTRIBUTE_WORDS
            for i in range(len(tokens) - len(words) + 1)
        ):
            found.append(column)
    return tuple(found)


def _suggest(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _require_columns(kind: str, names: Sequence[str], real: LoadedTable) -> None:
    columns = list(real.frame.columns)
    for name in names:
        if name not in columns:
            shown = ", ".join(repr(c) for c in columns[:20]) + (" …" if len(columns) > 20 else "")
            raise InputError(
                f"column {name!r} given with {kind} is not in the real file {real.source!r}; "
                f"its columns are {shown}.{_suggest(name, columns)} Name a column of the real data."
            )


def _as_strings(values: pd.Series) -> pd.Series:
    """Non-missing values as strings, integral floats written without a trailing ``.0``."""
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
    before = int(values.notna().sum())
    nonfinite = 0
    if role is Role.NUMERIC:
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        out = pd.to_numeric(values, errors="coerce").astype(float)
        infinite = np.isinf(out.to_numpy())
        nonfinite = int(infinite.sum())
        if nonfinite:
            out = out.mask(infinite)
        return out, before - int(out.notna().sum()) - nonfinite, nonfinite
    if role is Role.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(values):
            stamps = values
        else:
            stamps = pd.to_datetime(values.astype("string"), errors="coerce", format="mixed", utc=True)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = stamps.astype("datetime64[ns]")
        return stamps, before - int(stamps.notna().sum()), 0
    if role is Role.BOOLEAN:
        strings = _as_strings(values)
        return strings.where(strings.isna(), strings.str.strip().str.lower()), 0, 0
    if role is Role.EMPTY:
        return values, 0, 0
    return _as_strings(values), 0, 0


def align(
    real: LoadedTable,
    synth: LoadedTable,
    holdout: LoadedTable | None = None,
    *,
    columns: Sequence[str] | None = None,
    target: str | None = None,
    sensitive: Sequence[str] = (),
    text: Sequence[str] = (),
    ids: Sequence[str] = (),
    quasi_identifiers: Sequence[str] = (),
    roles: dict[str, Role] | None = None,
    task: str | None = None,
    positive_label: str | None = None,
) -> AlignedData:
    """Align the tables by column name and coerce them to the real data's column roles."""
    if columns:
        _require_columns("--columns", columns, real)
    _require_columns("--target", [target] if target else [], real)
    _require_columns("--sensitive", sensitive, real)
    _require_columns("--text", text, real)
    _require_columns("--id", ids, real)
    _require_columns("--quasi-identifiers", quasi_identifiers, real)

    real_cols = [c for c in real.frame.columns if not columns or c in columns]
    synth_cols = set(synth.frame.columns)
    common = [c for c in real_cols if c in synth_cols]
    if not common:
        raise InputError(
            f"the real file {real.source!r} and the synthetic file {synth.source!r} have no column name in "
            f"common (real: {list(real.frame.columns)[:10]}, synthetic: {list(synth.frame.columns)[:10]}); "
            "the synthetic data must use the real data's column names (check the header row and the "
            "delimiter)."
        )
    only_real = tuple(c for c in real_cols if c not in synth_cols)
    only_synth = tuple(c for c in synth.frame.columns if c not in set(real.frame.columns))
    if columns:
        only_synth = tuple(c for c in only_synth if c in columns)
    if holdout is not None:
        missing = [c for c in common if c not in holdout.frame.columns]
        if missing:
            raise InputError(
                f"the holdout file {holdout.source!r} lacks columns of the real data: {missing}; a holdout "
                "must hold real rows with the real data's columns."
            )

    unknown = sorted(set(roles or {}) - set(common))
    if unknown:
        raise InputError(
            f"the policy sets roles for {unknown}, which are not columns of both the real file {real.source!r} and "
            f"the synthetic file {synth.source!r}; fix the column names under `roles:`."
        )
    inferred = infer_roles(real.frame[common], text=text, ids=ids, overrides=roles)
    tables = {"real": real, "synthetic": synth, "holdout": holdout}
    frames: dict[str, pd.DataFrame] = {}
    issues: list[TypeIssue] = []
    nonfinite: dict[str, dict[str, int]] = {}
    dtypes: dict[str, dict[str, str]] = {c: {} for c in common}
    for side, table in tables.items():
        if table is None:
            continue
        typed = {}
        for column in common:
            raw = table.frame[column]
            dtypes[column][side] = str(raw.dtype)
            coerced, unparseable, infinite = _coerce(raw, inferred[column])
            typed[column] = coerced
            if unparseable:
                issues.append(TypeIssue(column, side, inferred[column].value, str(raw.dtype), unparseable))
            if infinite:
                nonfinite.setdefault(column, {})[side] = infinite
        frames[side] = pd.DataFrame(typed, index=table.frame.index)
    notes = tuple(
        f"column {c!r} is empty (all values missing) in the real data; it is not compared"
        for c in common
        if inferred[c] is Role.EMPTY
    )
    inferred_sensitive = () if sensitive else infer_sensitive_columns(common, inferred)
    if inferred_sensitive:
        notes = (
            *notes,
            f"no --sensitive column given: using {list(inferred_sensitive)}, inferred from column names; balance "
            "checks on inferred columns warn but do not fail until you name them with --sensitive",
        )
    resolved_task, resolved_label = _resolve_target(frames["real"], inferred, target, task, positive_label, real)
    return AlignedData(
        real=frames["real"],
        synth=frames["synthetic"],
        holdout=frames.get("holdout"),
        roles=inferred,
        only_real=only_real,
        only_synth=only_synth,
        dtypes=dtypes,
        type_issues=tuple(issues),
        nonfinite=nonfinite,
        target=target,
        task=resolved_task,
        positive_label=resolved_label,
        sensitive=tuple(sensitive) or inferred_sensitive,
        sensitive_inferred=not sensitive and bool(inferred_sensitive),
        text=tuple(c for c in common if inferred[c] is Role.TEXT),
        ids=tuple(c for c in common if inferred[c] is Role.IDENTIFIER),
        quasi_identifiers=tuple(quasi_identifiers),
        notes=notes,
    )


def _resolve_target(
    real: pd.DataFrame,
    roles: dict[str, Role],
    target: str | None,
    task: str | None,
    positive_label: str | None,
    source: LoadedTable,
) -> tuple[str | None, str | None]:
    """The task (classification or regression) and, for a binary target, the positive label.

    A numeric target with more than 10 distinct values is a regression target, anything else a
    classification target. The default positive label of a binary target is its rarer class (the outcome
    usually of interest: ``>50K``, ``default``, ``churn``).
    """
    if target is None:
        if task is not None or positive_label is not None:
            raise InputError("--task and --positive-label need an outcome column: name it with --target COL.")
        return None, None
    if task not in (None, "classification", "regression"):
        raise InputError(f"--task must be 'classification' or 'regression'; got {task!r}.")
    values = real[target].dropna()
    if values.empty:
        raise InputError(
            f"the --target column {target!r} of the real file {source.source!r} has no values; name a column "
            "that holds the outcome."
        )
    if task is None:
        many_numbers = roles[target] in (Role.NUMERIC, Role.DATETIME) and values.nunique() > 10
        task = "regression" if many_numbers else "classification"
    if task == "regression":
        if roles[target] is not Role.NUMERIC:
            raise InputError(f"--task regression needs a numeric --target; {target!r} is {roles[target].value}.")
        if positive_label is not None:
            raise InputError("--positive-label applies to classification targets only.")
        return task, None
    labels = values.astype(str)
    counts = labels.value_counts()
    if positive_label is not None:
        if positive_label not in counts.index:
            shown = ", ".join(repr(v) for v in counts.index[:10])
            raise InputError(
                f"--positive-label {positive_label!r} does not occur in the --target column {target!r} of the real "
                f"file {source.source!r}; its values include {shown}."
            )
        return task, positive_label
    if len(counts) == 2:
        return task, str(sorted(counts.index, key=lambda v: (counts[v], v))[0])
    return task, None
