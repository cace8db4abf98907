"""The hash-partitioned joins give the brute-force answer whatever the partitions and blocks (no Ray needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.data import whole_input
from synthaudit.data.whole_input import WholeInput
from synthaudit.engine.joins import InputKeys, merge_matches, partition_keys, repeats_part, semi_join_part, shifted
from synthaudit.engine.local import LocalEngine


def _keys(seed: int, n: int, distinct: int) -> np.ndarray:
    """Keys with many repeats, spread over the whole uint64 range (as fingerprints are)."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, np.iinfo(np.uint64).max, size=distinct, dtype=np.uint64, endpoint=True)
    return pool[rng.integers(0, distinct, size=n)]


def _blocked(keys: np.ndarray, block: int, parts: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """``pieces[partition][block]``, as the Ray engine's map tasks produce them."""
    pieces: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(parts)]
    for start in range(0, len(keys), block):
        for part, piece in enumerate(partition_keys(keys[start : start + block], start, parts)):
            pieces[part].append(piece)
    return pieces


@pytest.mark.parametrize(("parts", "block"), [(1, 1000), (3, 7), (8, 50), (5, 1)])
def test_semi_join_over_partitions_and_blocks_is_the_brute_force_answer(parts: int, block: int) -> None:
    keys = _keys(0, 500, 80)
    left, right = keys[:300], keys[300:]  # one pool: some left keys are in right, some not
    expected = np.flatnonzero([k in set(right.tolist()) for k in left.tolist()])
    lefts, rights = _blocked(left, block, parts), _blocked(right, block, parts)
    found = merge_matches([semi_join_part(lefts[p], rights[p], 10) for p in range(parts)], len(left), 10)
    assert 0 < found.count < len(left)  # the case has both copies and non-copies
    assert found.count == len(expected)
    np.testing.assert_array_equal(found.first, expected[:10])
    assert found.share == len(expected) / len(left)


@pytest.mark.parametrize(("parts", "block"), [(1, 1000), (4, 9), (16, 33)])
def test_repeats_over_partitions_and_blocks_are_the_later_occurrences(parts: int, block: int) -> None:
    keys = _keys(2, 400, 90)
    seen: set[int] = set()
    expected = []
    for row, key in enumerate(keys.tolist()):
        if key in seen:
            expected.append(row)
        seen.add(key)
    pieces = _blocked(keys, block, parts)
    found = merge_matches([repeats_part(pieces[p], 5) for p in range(parts)], len(keys), 5)
    assert found.count == len(expected) == len(keys) - len(np.unique(keys))
    np.testing.assert_array_equal(found.first, expected[:5])
    _, counts = np.unique(keys, return_counts=True)
    assert found.groups == int((counts > 1).sum()) > 0  # distinct keys that repeat
    assert found.count + found.groups == int(counts[counts > 1].sum())  # rows another row shares a key with


def test_block_row_numbers_shift_to_the_whole_table() -> None:
    keys = _keys(5, 30, 10)
    local = [partition_keys(keys[a:b], 0, 3) for a, b in ((0, 12), (12, 30))]
    for part in range(3):
        moved = shifted([local[0][part], local[1][part]], (0, 12))
        whole = [p[part] for p in (partition_keys(keys[:12], 0, 3), partition_keys(keys[12:], 12, 3))]
        for (k1, r1), (k2, r2) in zip(moved, whole, strict=True):
            np.testing.assert_array_equal(k1, k2)
            np.testing.assert_array_equal(r1, r2)


def _key_column(block: pd.DataFrame) -> np.ndarray:
    return block["k"].to_numpy(dtype=np.uint64)


def test_local_engine_joins_a_whole_input_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys read from the blocks of a whole input (4 blocks here) give the answer of the keys in hand."""
    monkeypatch.setattr(whole_input, "FRAME_BLOCK_ROWS", 40)
    keys = _keys(6, 150, 50)
    frame = pd.DataFrame({"k": keys})
    whole = InputKeys(WholeInput("synthetic", "utf-8", 150, dict(frame.dtypes.items()), frame=frame), _key_column)
    assert whole.whole.blocks == 4
    engine = LocalEngine()
    for ours, theirs in (
        (engine.semi_join(whole, keys[:60], 7), engine.semi_join(keys, keys[:60], 7)),
        (engine.repeats(whole, 7), engine.repeats(keys, 7)),
    ):
        assert (ours.count, ours.rows, ours.groups) == (theirs.count, theirs.rows, theirs.groups)
        np.testing.assert_array_equal(ours.first, theirs.first)


def test_partitions_hold_every_key_once_and_equal_keys_together() -> None:
    keys = _keys(3, 500, 40)
    parts = partition_keys(keys, 100, 6)
    rows = np.sort(np.concatenate([p[1] for p in parts]))
    np.testing.assert_array_equal(rows, np.arange(100, 600))
    owners = {}
    for index, (part_keys, part_rows) in enumerate(parts):
        np.testing.assert_array_equal(keys[part_rows - 100], part_keys)
        for key in part_keys.tolist():
            assert owners.setdefault(key, index) == index


def test_local_engine_joins_and_empty_tables() -> None:
    engine = LocalEngine()
    keys = _keys(4, 100, 30)
    left, right = keys[:50], keys[50:]
    matches = engine.semi_join(left, right, 3)
    assert matches.count == int(np.isin(left, right).sum())
    assert engine.semi_join(left[:0], right, 3).share == 0.0
    assert engine.semi_join(left, right[:0], 3).count == 0
    assert engine.repeats(np.array([7, 7, 7], dtype=np.uint64), 3).first.tolist() == [1, 2]
