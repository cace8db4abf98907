"""Chat files (JSON records with ``messages``) and prompt–response pairs: loading, alignment, API and CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthaudit.api import audit
from synthaudit.cli import ExitCode, app
from synthaudit.data.alignment import align
from synthaudit.data.chat import order_breaks
from synthaudit.data.loading import load_table
from synthaudit.data.roles import Role
from synthaudit.errors import InputError

runner = CliRunner()


def _chat(i: int) -> dict[str, Any]:
    messages = [
        {"role": "user", "content": f"Hi {i}"},
        {"role": "assistant", "content": f"Hello {i}."},
        {"role": "user", "content": "Bye"},
        {"role": "assistant", "content": "Goodbye."},
    ]
    if i % 2 == 0:
        messages.insert(0, {"role": "system", "content": "Be brief."})
    return {"id": i, "source": "web" if i % 3 else "app", "messages": messages, "meta": {"nested": True}}


def _write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_chat_jsonl_loads_one_text_column_per_role(tmp_path: Path) -> None:
    table = load_table(_write_jsonl(tmp_path / "chat.jsonl", [_chat(i) for i in range(4)]), label="real")
    frame = table.frame
    assert table.chat_roles == ("system", "user", "assistant")
    assert list(frame.columns) == ["id", "source", "system", "user", "assistant", "turns", "turn_order_breaks"]
    assert frame["user"].tolist()[1] == "Hi 1\n\nBye"
    assert frame["assistant"].tolist()[0] == "Hello 0.\n\nGoodbye."
    assert frame["system"].tolist() == ["Be brief.", None, "Be brief.", None]
    assert frame["turns"].tolist() == [5, 4, 5, 4]
    assert frame["turns"].dtype == "int64"
    assert frame["turn_order_breaks"].tolist() == [0, 0, 0, 0]


def test_turns_out_of_order_are_counted() -> None:
    """Roles swapped or turns reordered leave every text in place: only the order column shows them."""
    assert order_breaks(["system", "user", "assistant", "user", "assistant"]) == 0
    assert order_breaks(["system", "assistant", "user", "assistant", "user"]) == 1  # reversed: assistant first
    assert order_breaks(["user", "user", "assistant", "assistant"]) == 2
    assert order_breaks(["user", "assistant", "tool", "assistant"]) == 0 and order_breaks([]) == 0


def test_reordered_turns_fail_the_audit_and_in_order_turns_pass(tmp_path: Path) -> None:
    def conversation(i: int, reverse: bool) -> dict[str, Any]:
        turns = [
            {"role": r, "content": f"{r} turn {k} about item {i % 7}"} for k in range(2) for r in ("user", "assistant")
        ]
        return {"messages": [{"role": "system", "content": "Be brief."}, *(turns[::-1] if reverse else turns)]}

    real = _write_jsonl(tmp_path / "real.jsonl", [conversation(i, False) for i in range(60)])
    holdout = _write_jsonl(tmp_path / "holdout.jsonl", [conversation(i, False) for i in range(60, 120)])
    checks = ["constraints.expectations", "fidelity.marginals"]
    for reverse, passed in ((False, True), (True, False)):
        synth = _write_jsonl(tmp_path / f"synth{reverse}.jsonl", [conversation(i, reverse) for i in range(120, 180)])
        result = audit(real, synth, holdout, only=checks)
        assert result.passed is passed, [(c.name, c.status, c.summary) for c in result.checks_list]


def test_chat_json_array_and_any_role_name(tmp_path: Path) -> None:
    records = [{"messages": [{"role": "user", "content": "q"}, {"role": "tool", "content": "t"}]}] * 2
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    table = load_table(path, label="synthetic")
    assert table.chat_roles == ("user", "tool")
    assert table.frame["tool"].tolist() == ["t", "t"]


def test_tool_calls_and_content_parts_are_read_as_text(tmp_path: Path) -> None:
    """OpenAI-format files: an assistant turn that calls a tool (content null or absent), the tool's reply,
    and content given as a list of typed parts (images left out) load; null content without a call does not."""
    call = {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": "rain"}'}}
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Will it rain?"}, {"type": "image_url"}]},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "80% chance"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "assistant", "content": "Yes, likely.", "function_call": {"name": "log", "arguments": {"a": 1}}},
        ]
    }
    frame = load_table(_write_jsonl(tmp_path / "tools.jsonl", [record] * 3), label="real").frame
    assert list(frame.columns) == ["user", "assistant", "tool", "turns", "turn_order_breaks"]
    assert frame["user"][0] == "Will it rain?"
    assert frame["assistant"][0] == 'search({"q": "rain"})\n\nsearch({"q": "rain"})\n\nYes, likely.\nlog({"a": 1})'
    assert frame["tool"][0] == "80% chance" and frame["turns"][0] == 5
    empty = {
        "messages": [{"role": "user", "content": "Rain?"}, {"role": "assistant", "content": [], "tool_calls": [call]}]
    }
    frame = load_table(_write_jsonl(tmp_path / "empty.jsonl", [empty] * 3), label="real").frame
    assert frame["assistant"][0] == 'search({"q": "rain"})'  # an empty list of parts is no text, not bad input
    bad = {"messages": [{"role": "assistant", "content": None}]}
    with pytest.raises(InputError, match=r'JSON null, not a string.*"tool_calls"'):
        load_table(_write_jsonl(tmp_path / "bad.jsonl", [bad]), label="real")


def test_plain_jsonl_is_not_a_chat_file(tmp_path: Path) -> None:
    table = load_table(_write_jsonl(tmp_path / "plain.jsonl", [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]), label="real")
    assert table.chat_roles == ()


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"messages": "hello"}, "not a list, on line 3"),
        ({"messages": [{"role": "user"}]}, "without 'content' at message 1 on line 3"),
        ({"messages": [{"content": "x"}]}, "without 'role' at message 1 on line 3"),
        (
            {"messages": [{"role": "user", "content": ["x"]}]},
            '"content" that is a JSON array, not a string, at message 1 on line 3',
        ),
        ({"messages": [{"role": "", "content": "x"}]}, '"role" that is not a non-empty string'),
        ({"messages": ["x"]}, "instead of a message object at message 1 on line 3"),
        ({"prompt": "no messages"}, 'no "messages" field on line 3'),
    ],
)
def test_malformed_messages_name_the_line(tmp_path: Path, bad: dict[str, Any], needle: str) -> None:
    path = _write_jsonl(tmp_path / "chat.jsonl", [_chat(0), _chat(1), bad, _chat(2)])
    with pytest.raises(InputError) as info:
        load_table(path, label="synthetic")
    assert needle in str(info.value)
    assert f"synthetic file '{path}'" in str(info.value)


def test_malformed_record_of_a_json_array_is_named(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps([_chat(0), {"messages": 3}]), encoding="utf-8")
    with pytest.raises(InputError, match="on record 2"):
        load_table(path, label="real")


def test_field_clashing_with_a_role_column_is_bad_input(tmp_path: Path) -> None:
    record = {"user": "me", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(InputError, match=r"top-level fields \['user'\]"):
        load_table(_write_jsonl(tmp_path / "chat.jsonl", [record]), label="real")


def _tables(tmp_path: Path, n: int = 30) -> tuple[Any, Any]:
    real = load_table(_write_jsonl(tmp_path / "real.jsonl", [_chat(i) for i in range(n)]), label="real")
    synth = load_table(_write_jsonl(tmp_path / "synth.jsonl", [_chat(i + 100) for i in range(n)]), label="synthetic")
    return real, synth


def test_chat_implies_user_assistant_and_forces_text(tmp_path: Path) -> None:
    real, synth = _tables(tmp_path)
    data = align(real, synth)
    assert data.pairs == (("user", "assistant"),)
    assert all(data.roles[c] is Role.TEXT for c in ("system", "user", "assistant"))
    assert data.roles["turns"] is Role.NUMERIC
    assert data.pairs == align(real, synth, pairs=["user:assistant"]).pairs  # no duplicate


def test_pairs_are_validated_with_a_suggestion(tmp_path: Path) -> None:
    real, synth = _tables(tmp_path)
    with pytest.raises(InputError, match=r"--pair.*Did you mean 'assistant'"):
        align(real, synth, pairs=["user:asistant"])
    with pytest.raises(InputError, match="no colon"):
        align(real, synth, pairs=["user"])
    with pytest.raises(InputError, match="same column twice"):
        align(real, synth, pairs=[("user", "user")])
    assert align(real, synth, pairs=[("system", "assistant")]).pairs == (("system", "assistant"), ("user", "assistant"))


def test_pair_columns_with_colons_and_short_texts_are_text() -> None:
    frame = pd.DataFrame({"q:a": ["a", "b"] * 15, "ans": ["yes", "no", "ok"] * 10, "n": range(30)})
    data = align(load_table(frame, label="real"), load_table(frame, label="synthetic"), pairs=["q:a:ans"])
    assert data.pairs == (("q:a", "ans"),)
    assert data.roles["q:a"] is Role.TEXT and data.roles["ans"] is Role.TEXT


def test_api_records_pairs(tmp_path: Path) -> None:
    real, synth = _tables(tmp_path)
    result = audit(real.source, synth.source, only=["constraints.schema"])
    assert result.columns["pairs"] == [["user", "assistant"]]
    assert result.columns["roles"]["user"] == "text"


def test_cli_malformed_chat_exits_2(tmp_path: Path) -> None:
    real, _ = _tables(tmp_path)
    bad = _write_jsonl(tmp_path / "bad.jsonl", [_chat(0), {"messages": [{"role": "user", "content": 3}]}])
    result = runner.invoke(app, ["check", real.source, str(bad), "--no-report", "--quiet"])
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "line 2" in result.output


def test_cli_pair_is_repeatable_and_reaches_the_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_audit(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise InputError("stop here")

    monkeypatch.setattr("synthaudit.api.audit", fake_audit)
    real, _ = _tables(tmp_path)
    args = ["check", real.source, str(tmp_path / "synth.jsonl"), "--no-report", "--quiet"]
    result = runner.invoke(app, [*args, "--pair", "user:assistant", "--pair", "system:assistant"])
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert seen["pairs"] == ["user:assistant", "system:assistant"]


def test_cli_unknown_pair_column_exits_2(tmp_path: Path) -> None:
    real, _ = _tables(tmp_path)
    result = runner.invoke(
        app, ["check", real.source, str(tmp_path / "synth.jsonl"), "--no-report", "--pair", "user:answer"]
    )
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "answer" in result.output
