"""How derived expectations are batched for great-expectations: few validation runs on short frames, narrow on long."""

from __future__ import annotations

from typing import Any

from synthaudit.checks.constraints.gx_validation import _batch_groups


def _derived(column: str) -> dict[str, Any]:
    return {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": column},
        "meta": {"synthaudit": {"origin": "derived"}},
    }


def _suite(columns: int) -> list[dict[str, Any]]:
    entries = []
    for c in range(columns):
        entries += [_derived(f"c{c}"), _derived(f"c{c}")]  # two expectations per column
    entries.append({"type": "expect_table_row_count_to_be_between", "kwargs": {}, "meta": {}})
    return entries


def test_short_frames_batch_many_columns_per_run() -> None:
    suite = _suite(200)
    groups = _batch_groups(suite, range(len(suite)), rows=100)
    assert [len(k) for k in groups if k is not None] == [64, 64, 64, 8]
    assert groups[None] == [400]  # table-level expectations run on the whole frame
    assert sorted(i for g in groups.values() for i in g) == list(range(len(suite)))  # every expectation once
    first = next(iter(groups))
    assert groups[first][:2] == [0, 1]  # a column's expectations stay together


def test_long_frames_keep_one_column_per_run() -> None:
    suite = _suite(3)
    groups = _batch_groups(suite, range(len(suite)), rows=1_000_000)
    assert list(groups) == [("c0",), ("c1",), ("c2",), None]
