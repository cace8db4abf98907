"""Chat files: JSON records whose ``messages`` field holds ``{"role": ..., "content": ...}`` turns.

The common format of instruction and chat data (OpenAI fine-tuning files, Hugging Face chat templates).
Each record becomes one row: one text column per role present in the file (``system``, ``user``,
``assistant``, any other role name too), several turns of one role joined in order with a blank line; a
``turns`` column (the number of messages); a ``turn_order_breaks`` column (messages out of turn order:
system messages aside, a first message not the user's and each message of the same role as the one before,
so roles swapped or turns reordered show; 0 for a plain user/assistant alternation); and the record's other
scalar top-level fields as they are.
A role absent from a record is missing in its row. Nested fields other than ``messages`` are left out.

A message's text is its ``content`` string; content given as a list of parts (``{"type": "text", "text":
...}``, the multimodal form) is the text of its parts joined by newlines (other parts, images, are left
out); an assistant message that calls tools (``tool_calls``, or the older ``function_call``) may have a
null or no ``content``, and each call adds a line ``name(arguments)`` to its text. ``tool`` messages are a
role like any other.

Every malformed message is an :class:`~synthaudit.errors.InputError` naming the file, the line (or the
record of a JSON array) and what is wrong: no ``messages`` in a record of a chat file, ``messages`` not a
list, a message that is not an object or lacks ``role`` or ``content`` (without tool calls), a role that
is not a non-empty string, a content that is neither a string nor a list of parts (null without tool
calls).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

import pandas as pd

__all__ = ["CANONICAL_ROLES", "MESSAGES_FIELD", "ORDER_COLUMN", "TURNS_COLUMN", "chat_frame", "is_chat", "order_breaks"]

MESSAGES_FIELD = "messages"
TURNS_COLUMN = "turns"
ORDER_COLUMN = "turn_order_breaks"
"""Column counting the messages out of turn order (:func:`order_breaks`): turns swapped or out of order show."""
CANONICAL_ROLES = ("system", "user", "assistant")
"""Roles placed first, in this order; any other role follows in order of first appearance."""
CALL_FIELDS = ("tool_calls", "function_call")
"""Fields of an assistant message that calls tools (OpenAI format); each call joins the text as ``name(arguments)``."""
TURN_SEPARATOR = "\n\n"
"""Between several turns of one role in one record."""

Fail = Callable[[str, str], NoReturn]
_FIX = 'give each record a "messages" list of {"role": "...", "content": "..."} objects (content a string)'


def is_chat(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any record has a ``messages`` field: then the file is read as a chat file."""
    return any(MESSAGES_FIELD in record for record in records)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _turns(messages: Any, where: str, fail: Fail) -> tuple[dict[str, list[str]], list[str]]:
    """The contents of ``messages`` by role (in order) and the roles in message order; fail if malformed."""
    if not isinstance(messages, list):
        fail(f'has "{MESSAGES_FIELD}" that is a JSON {_kind(messages)}, not a list, on {where}', _FIX)
    by_role: dict[str, list[str]] = {}
    sequence: list[str] = []
    for number, message in enumerate(messages, start=1):
        at = f"message {number} on {where}"
        if not isinstance(message, dict):
            fail(f"has a JSON {_kind(message)} instead of a message object at {at}", _FIX)
        calls = [message[key] for key in CALL_FIELDS if message.get(key)]
        missing = [key for key in ("role", "content") if key not in message and not (key == "content" and calls)]
        if missing:
            fail(f"has a message without {' or '.join(repr(k) for k in missing)} at {at}", _FIX)
        role = message["role"]
        if not isinstance(role, str) or not role.strip():
            fail(f'has a "role" that is not a non-empty string ({_kind(role)}) at {at}', _FIX)
        by_role.setdefault(role.strip(), []).append(_content(message.get("content"), calls, at, fail))
        sequence.append(role.strip())
    return by_role, sequence


def order_breaks(roles: list[str]) -> int:
    """Messages out of turn order: 0 for user, assistant, user, ... (system messages aside).

    Counts a first message that is not the user's and each message with the same role as the one before it.
    """
    spoken = [role for role in roles if role != "system"]
    return int(bool(spoken) and spoken[0] != "user") + sum(a == b for a, b in itertools.pairwise(spoken))


def _content(content: Any, calls: list[Any], at: str, fail: Fail) -> str:
    """A message's text: its string content, the text of its content parts, then its tool calls, if any."""
    # an empty list of parts is no text (seen beside tool calls), like a list of image parts only
    if isinstance(content, list) and all(isinstance(p, dict) and "type" in p for p in content):
        content = "\n".join(p["text"] for p in content if isinstance(p.get("text"), str))
    elif content is None and calls:
        content = ""
    if not isinstance(content, str):
        fail(
            f'has a "content" that is a JSON {_kind(content)}, not a string, at {at}',
            _FIX + ', or a list of {"type": "text", "text": "..."} parts (null only beside "tool_calls")',
        )
    texts = [content] if content else []
    for call in calls:
        for one in call if isinstance(call, list) else [call]:
            texts.append(_call_text(one))
    return "\n".join(texts)


def _call_text(call: Any) -> str:
    """A tool or function call as text: ``name(arguments)``, or its JSON when it has another shape."""
    function = call.get("function", call) if isinstance(call, dict) else call
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        arguments = function.get("arguments", "")
        arguments = arguments if isinstance(arguments, str) else json.dumps(arguments, sort_keys=True)
        return f"{function['name']}({arguments})"
    return json.dumps(call, sort_keys=True, default=str)


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
        by_role, sequence = _turns(record[MESSAGES_FIELD], where, fail)
        row = {k: v for k, v in record.items() if k != MESSAGES_FIELD and _is_scalar(v)}
        fields.update(dict.fromkeys(row))
        for role, contents in by_role.items():
            roles.setdefault(role)
            row[f"\0{role}"] = TURN_SEPARATOR.join(contents)
        row[f"\0{TURNS_COLUMN}"] = len(sequence)
        row[f"\0{ORDER_COLUMN}"] = order_breaks(sequence)
        rows.append(row)
    ordered = [r for r in CANONICAL_ROLES if r in roles] + [r for r in roles if r not in CANONICAL_ROLES]
    for name in (TURNS_COLUMN, ORDER_COLUMN):
        if name in roles:
            fail(
                f'has messages with the role "{name}", the name of a column made from the messages',
                "rename that role (each role of the messages becomes a column)",
            )
    clash = sorted(name for name in (*ordered, TURNS_COLUMN, ORDER_COLUMN) if name in fields)
    if clash:
        fail(
            f"has top-level fields {clash} with the same names as the columns made from its messages",
            "rename those fields (each role of the messages and the turn count become a column)",
        )
    columns = [*fields, *(f"\0{r}" for r in ordered), f"\0{TURNS_COLUMN}", f"\0{ORDER_COLUMN}"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame.columns = pd.Index([c.removeprefix("\0") for c in columns], dtype=object)
    for role in ordered:
        frame[role] = frame[role].astype(object).where(frame[role].notna(), None)
    frame[TURNS_COLUMN] = frame[TURNS_COLUMN].astype("int64")
    frame[ORDER_COLUMN] = frame[ORDER_COLUMN].astype("int64")
    return frame, tuple(ordered)
