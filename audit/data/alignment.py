"""Alignment of the real, synthetic and holdout tables by column name, with types made comparable.

DESIGN's input rules: no common columns, or a named ``--target`` / ``--sensitive`` / ``--text`` / ``--id``
column missing from the real file, is bad input (:class:`~synthaudit.errors.InputError`, exit 2). Columns
present on one side only are not: they are recorded here and the ``constraints.schema`` check fails and
names them. Each common column gets the role inferred from the real data; the other sides are coerced to
that role, and values that cannot be coerced (text in a numeric column) are counted, never dropped
silently: they become missing and the schema check reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from synthaudit.data.coercion import _coerce, _reject_nested
from synthaudit.data.column_options import (
    PROTECTED_ATTRIBUTE_WORDS,
    PairSpec,
    _require_columns,
    _resolve_target,
    infer_sensitive_columns,
    resolve_pairs,
)
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
    unaudited_pairs: tuple[tuple[str, str], ...] = ()
    """Declared pairs left out: a column missing from the synthetic data or left out by ``--columns``."""
    eval_sets: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Evaluation sets (``--eval-set``) by name: their columns shared with the real data, typed like it."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The common columns, in the real file's order."""
        return tuple(self.real.columns)

    def columns_with(self, *roles: Role) -> tuple[str, ...]:
        """Common columns whose role is one of ``roles``."""
        return tuple(c for c in self.columns if self.roles[c] in roles)


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
        frames[side] = _frame(typed, table.frame.index)
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
        unaudited_pairs=tuple(p for p in declared_pairs if p not in kept_pairs),
        eval_sets=aligned_eval,
    )


_MAX_UNCONSOLIDATED = 100
"""Up to this many columns the typed frame keeps one block per column (no copy into 2-D blocks); pandas warns
of a fragmented frame past 100 blocks, so wider frames are consolidated."""


def _frame(columns: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """The typed columns as one frame; the coerced columns are fresh arrays, so they are not copied again."""
    return pd.DataFrame(columns, index=index, copy=len(columns) > _MAX_UNCONSOLIDATED)


def _align_eval_sets(
    tables: Mapping[str, LoadedTable], common: Sequence[str], roles: dict[str, Role], real: LoadedTable
) -> tuple[dict[str, pd.DataFrame], tuple[str, ...]]:
    """Each evaluation set restricted to the common columns it has, coerced to their roles, and notes.

    Values that cannot be read as the real data's type become missing and are noted (they cannot match).
    """
    frames: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    _reject_nested({f"eval set {name!r}": table for name, table in tables.items()}, common)
    for name, table in tables.items():
        shared = [c for c in common if c in table.frame.columns]
        if not shared:
            raise InputError(
                f"the eval set file {table.source!r} shares no column with the real file {real.source!r} and "
                f"the synthetic file (eval set: {list(table.frame.columns)[:10]}, common: {list(common)[:10]}); "
                "an eval set must name its columns like the real data (rename its text column to the real one)."
            )
        text = [c for c in common if roles[c] is Role.TEXT]
        if text and not any(roles[c] is Role.TEXT for c in shared):
            # on text data the items are texts: matched on the other columns alone, the set would not be checked
            raise InputError(
                f"the eval set {name!r} ({table.source}) shares none of the text columns {text[:10]} of the data "
                f"(eval set: {list(table.frame.columns)[:10]}), so its items cannot be looked for in the "
                "synthetic texts; rename its text column(s) to the real ones (a chat eval set: the same chat "
                "format, whose user and assistant messages become those columns)."
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
        frames[name] = _frame(typed, table.frame.index)
    return frames, tuple(notes)
