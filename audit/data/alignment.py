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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthaudit.data.loading import LoadedTable
from synthaudit.data.roles import Role, infer_roles
from synthaudit.errors import InputError

__all__ = [
    "PROTECTED_ATTRIBUTE_WORDS",
    "AlignedData",
    "PairSpec",
    "TypeIssue",
    "align",
    "infer_sensitive_columns",
    "resolve_pairs",
]

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
    pairs: tuple[tuple[str, str], ...] = ()
    """``(prompt, response)`` text columns whose relation is audited (``--pair``; ``user:assistant`` for chats)."""
    eval_sets: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Evaluation sets (``--eval-set``) by name: their columns shared with the real data, typed like it."""

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


PairSpec = str | tuple[str, str]
"""A prompt–response pair: ``"PROMPT:RESPONSE"`` or ``(prompt, response)``."""
CHAT_PAIR = ("user", "assistant")


def _split_pair(spec: PairSpec, columns: Sequence[str]) -> tuple[str, str]:
    """``(prompt, response)`` of one ``--pair``; with several colons, the split whose halves are both columns."""
    if not isinstance(spec, str):
        if len(spec) != 2:
            raise InputError(f"pair {spec!r} must name two columns: (prompt, response) or 'PROMPT:RESPONSE'.")
        return str(spec[0]), str(spec[1])
    cuts = [i for i, char in enumerate(spec) if char == ":"]
    if not cuts:
        raise InputError(f"--pair {spec!r} has no colon; write it as PROMPT:RESPONSE, two text columns.")
    known = set(columns)
    fitting = [i for i in cuts if spec[:i] in known and spec[i + 1 :] in known]
    cut = fitting[0] if fitting else (cuts[0] if len(cuts) == 1 else cuts[-1])
    return spec[:cut], spec[cut + 1 :]


def resolve_pairs(pairs: Sequence[PairSpec], real: LoadedTable) -> tuple[tuple[str, str], ...]:
    """The ``--pair`` columns as ``(prompt, response)`` tuples, checked against the real file's columns.

    Both halves must be columns of the real data (:class:`InputError` with a did-you-mean otherwise) and
    differ. A chat file (:attr:`LoadedTable.chat_roles`) adds ``user:assistant`` when it has both roles.
    """
    columns = list(real.frame.columns)
    out: list[tuple[str, str]] = []
    for spec in pairs:
        prompt, response = _split_pair(spec, columns)
        if not prompt or not response:
            raise InputError(f"--pair {spec!r} names an empty column; write it as PROMPT:RESPONSE.")
        if prompt == response:
            raise InputError(f"--pair {spec!r} names the same column twice; name a prompt and a response column.")
        _require_columns("--pair", [prompt, response], real)
        out.append((prompt, response))
    if set(CHAT_PAIR) <= set(real.chat_roles):
        out.append(CHAT_PAIR)
    return tuple(dict.fromkeys(out))


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


_NESTED = (list, tuple, dict, set, np.ndarray)


def _holds_nested(values: pd.Series) -> bool:
    """Whether any cell holds a list, dict, set or array (Parquet structs and lists, nested JSON)."""
    dtype = values.dtype
    pyarrow_dtype = getattr(dtype, "pyarrow_dtype", None)
    if pyarrow_dtype is not None:
        import pyarrow as pa

        return bool(pa.types.is_nested(pyarrow_dtype))
    if not pd.api.types.is_object_dtype(dtype):
        return False
    if pd.api.types.infer_dtype(values, skipna=True) not in ("mixed", "mixed-integer", "unknown-array"):
        return False
    return any(isinstance(v, _NESTED) for v in values.to_numpy())


def _reject_nested(tables: dict[str, LoadedTable | None], columns: Sequence[str]) -> None:
    """Bad input when a compared column holds nested values: no check can compare lists or records."""
    for side, table in tables.items():
        if table is None:
            continue
        nested = [c for c in columns if c in table.frame.columns and _holds_nested(table.frame[c])]
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
    pairs: Sequence[PairSpec] = (),
    eval_sets: Mapping[str, LoadedTable] | None = None,
) -> AlignedData:
    """Align the tables by column name and coerce them to the real data's column roles.

    Pair columns (``pairs``, and for a chat file ``user:assistant`` plus every role column) are text,
    whatever their lengths would suggest. A pair with a column outside the common columns is left out
    with a note (``constraints.schema`` names the column).

    ``eval_sets`` (name → table) keep the common columns they have, coerced like the holdout; one that
    shares no common column is bad input naming its file.
    """
    if columns:
        _require_columns("--columns", columns, real)
    _require_columns("--target", [target] if target else [], real)
    _require_columns("--sensitive", sensitive, real)
    _require_columns("--text", text, real)
    _require_columns("--id", ids, real)
    _require_columns("--quasi-identifiers", quasi_identifiers, real)
    declared_pairs = resolve_pairs(pairs, real)

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
    _reject_nested({"real": real, "synthetic": synth, "holdout": holdout}, common)
    forced_text = [c for c in (*text, *real.chat_roles, *(c for pair in declared_pairs for c in pair)) if c in common]
    inferred = infer_roles(real.frame[common], text=list(dict.fromkeys(forced_text)), ids=ids, overrides=roles)
    kept_pairs = tuple(p for p in declared_pairs if p[0] in common and p[1] in common)
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
    notes = (
        *notes,
        *(
            f"the pair {prompt}:{response} is not audited: a column is missing from the synthetic data or "
            "left out by --columns"
            for prompt, response in declared_pairs
            if (prompt, response) not in kept_pairs
        ),
    )
    resolved_task, resolved_label = _resolve_target(frames["real"], inferred, target, task, positive_label, real)
    aligned_eval, eval_notes = _align_eval_sets(eval_sets or {}, common, inferred, real)
    notes = (*notes, *eval_notes)
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
        pairs=kept_pairs,
        eval_sets=aligned_eval,
    )


def _align_eval_sets(
    tables: Mapping[str, LoadedTable], common: Sequence[str], roles: dict[str, Role], real: LoadedTable
) -> tuple[dict[str, pd.DataFrame], tuple[str, ...]]:
    """Each evaluation set restricted to the common columns it has, coerced to their roles, and notes.

    Values that cannot be read as the real data's type become missing and are noted (they cannot match).
    """
    frames: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for name, table in tables.items():
        shared = [c for c in common if c in table.frame.columns]
        if not shared:
            raise InputError(
                f"the eval set file {table.source!r} shares no column with the real file {real.source!r} and "
                f"the synthetic file (eval set: {list(table.frame.columns)[:10]}, common: {list(common)[:10]}); "
                "an eval set must name its columns like the real data (rename its text column to the real one)."
            )
        typed = {}
        for column in shared:
            coerced, unparseable, _ = _coerce(table.frame[column], roles[column])
            typed[column] = coerced
            if unparseable:
                notes.append(
                    f"{unparseable} value(s) of column {column!r} in the eval set {name!r} are not readable as "
                    f"{roles[column].value}; they cannot match"
                )
        frames[name] = pd.DataFrame(typed, index=table.frame.index)
    return frames, tuple(notes)


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
