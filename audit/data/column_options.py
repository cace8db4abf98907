"""The column options of an audit checked against the real data, before the tables are aligned.

Every named column (``--columns``, ``--target``, ``--sensitive``, ``--text``, ``--id``, ``--quasi-identifiers``,
``--pair``) must be a column of the real file (:class:`~synthaudit.errors.InputError` with a did-you-mean
otherwise); sensitive columns are inferred from protected-attribute words in column names; ``--pair`` specs
become ``(prompt, response)`` tuples; the target's task and positive label are settled from the real data.
"""

import difflib
import re
from collections.abc import Sequence

import pandas as pd

from synthaudit.data.loading import LoadedTable
from synthaudit.data.roles import Role
from synthaudit.errors import InputError

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
