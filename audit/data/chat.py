"""Chat files: JSON records whose ``messages`` field holds ``{"role": ..., "content": ...}`` turns.

The common format of instruction and chat data (OpenAI fine-tuning files, Hugging Face chat templates).
Each record becomes one row: one text column per role present in the file (``system``, ``user``,
``assistant``, any other role name too), several turns of one role joined in order with a blank line; a
``turns`` column (the number of messages); and the record's other scalar top-level fields as they are.
A role absent from a record is missing in its row. Nested fields other than ``messages`` are left out.

Every malformed message is an :class:`~synthaudit.errors.InputError` naming the file, the line (or the
record of a JSON array) and what is wrong: no ``messages`` in a record of a chat file, ``messages`` not a
list, a message that is not an object or lacks ``role`` or ``content``, a role that is not a non-empty
string, a content that is not a string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

import pandas as pd

__all__ = ["CANONICAL_ROLES", "MESSAGES_FIELD", "TURNS_COLUMN", "chat_frame", "is_chat"]

MESSAGES_FIELD = "messages"
TURNS_COLUMN = "turns"
CANONICAL_ROLES = ("system", "user", "assistant")
"""Roles placed first, in this order; any other role follows in order of first appearance."""
TURN_SEPARATOR = "\n\n"
"""Between several turns of one role in one record."""

Fail = Callable[[str, str], NoReturn]
_FIX = 'give each record a "messages" list of {"role": "...", "content": "..."} objects (content a string)'


def is_chat(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any record has a ``messages`` field: then the file is read as a chat file."""
    return any(MESSAGES_FIELD in record for record in records)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _turns(messages: Any, where: str, fail: Fail) -> dict[str, list[str]]:
    """The contents of ``messages`` by role, in order; fail on the first malformed message."""
    if not isinstance(messages, list):
        fail(f'has "{MESSAGES_FIELD}" that is a JSON {_kind(messages)}, not a list, on {where}', _FIX)
    by_role: dict[str, list[str]] = {}
    for number, message in enumerate(messages, start=1):
        at = f"message {number} on {where}"
        if not isinstance(message, dict):
            fail(f"has a JSON {_kind(message)} instead of a message object at {at}", _FIX)
        missing = [key for key in ("role", "content") if key not in message]
        if missing:
            fail(f"has a message without {' or '.join(repr(k) for k in missing)} at {at}", _FIX)
        role, content = message["role"], message["content"]
        if not isinstance(role, str) or not role.strip():
            fail(f'has a "role" that is not a non-empty string ({_kind(role)}) at {at}', _FIX)
        if not isinstance(content, str):
            fail(f'has a "content" that is a JSON {_kind(content)}, not a string, at {at}', _FIX)
        by_role.setdefault(role.strip(), []).append(content)
    return by_role


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def chat_frame(
    records: Iterable[tuple[int, dict[str, Any]]], fail: Fail, unit: str = "line"
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The rows of a chat file and its role columns, from ``(1-based line or position, record)`` pairs.

    ``fail(what, fix)`` raises the loader's :class:`~synthaudit.errors.InputError` (it names the file);
    ``unit`` says what the numbers count (``"line"``, or ``"record"`` for a JSON array).
    """
    rows: list[dict[str, Any]] = []
    roles: dict[str, None] = {}
    fields: dict[str, None] = {}
    for number, record in records:
        where = f"{unit} {number}"
        if MESSAGES_FIELD not in record:
            fail(f'has no "{MESSAGES_FIELD}" field on {where}, while other records are chat messages', _FIX)
        by_role = _turns(record[MESSAGES_FIELD], where, fail)
        row = {k: v for k, v in record.items() if k != MESSAGES_FIELD and _is_scalar(v)}
        fields.update(dict.fromkeys(row))
        for role, contents in by_role.items():
            roles.setdefault(role)
            row[f"\0{role}"] = TURN_SEPARATOR.join(contents)
        row[f"\0{TURNS_COLUMN}"] = sum(len(c) for c in by_role.values())
        rows.append(row)
    ordered = [r for r in CANONICAL_ROLES if r in roles] + [r for r in roles if r not in CANONICAL_ROLES]
    if TURNS_COLUMN in roles:
        fail(
            f'has messages with the role "{TURNS_COLUMN}", the name of the column that counts the messages',
            "rename that role (each role of the messages becomes a column)",
        )
    clash = sorted(name for name in (*ordered, TURNS_COLUMN) if name in fields)
    if clash:
        fail(
            f"has top-level fields {clash} with the same names as the columns made from its messages",
            "rename those fields (each role of the messages and the turn count become a column)",
        )
    columns = [*fields, *(f"\0{r}" for r in ordered), f"\0{TURNS_COLUMN}"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame.columns = pd.Index([c.removeprefix("\0") for c in columns], dtype=object)
    for role in ordered:
        frame[role] = frame[role].astype(object).where(frame[role].notna(), None)
    frame[TURNS_COLUMN] = frame[TURNS_COLUMN].astype("int64")
    return frame, tuple(ordered)
