"""The engine's pure parts, without Ray: mergeable states, shard bounds, the exact top-k merge, engine choice."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pandas as pd
import pytest

from synthaudit.artefacts.fingerprints import row_fingerprints
from synthaudit.data.roles import Role
from synthaudit.engine import open_engine
from synthaudit.engine.local import LocalEngine, row_blocks
from synthaudit.engine.sharding import exact_squared, merge_topk, shard_bounds
from synthaudit.engine.states import FrameFingerprints, FrameValueCounts, fold
from synthaudit.errors import InputError
from synthaudit.neighbours import ExactNeighbourIndex


def _frame(seed: int, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 25, n).astype(float),
            "job": rng.choice(["a", "b", " c", None], n),
        }
    )


ROLES = {"age": Role.NUMERIC, "job": Role.CATEGORICAL}


@pytest.mark.parametrize("seed", range(5))
def test_merged_states_equal_the_state_of_the_union(seed: int) -> None:
    frame = _frame(seed)
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(1, len(frame)), size=3, replace=False))
    edges = [0, *cuts.tolist(), len(frame)]
    blocks = [frame.iloc[a:b] for a, b in itertools.pairwise(edges)]
    for make in (lambda: FrameFingerprints(("age", "job"), ROLES), lambda: FrameValueCounts("job")):
        whole = make().update(frame).finalise()
        merged = fold(reversed(blocks), make)  # any order: merges are sums
        if isinstance(whole, tuple):
            np.testing.assert_array_equal(whole[0], merged[0])
            np.testing.assert_array_equal(whole[1], merged[1])
        else:
            pd.testing.assert_series_equal(whole, merged)


def test_fingerprint_counts_agree_with_row_fingerprints() -> None:
    frame = _frame(0)
    keys, counts = LocalEngine().counts(frame, lambda: FrameFingerprints(("age", "job"), ROLES))
    expected, expected_counts = np.unique(row_fingerprints(frame, ("age", "job"), ROLES), return_counts=True)
    np.testing.assert_array_equal(keys, expected)
    np.testing.assert_array_equal(counts, expected_counts)
    assert counts.sum() == len(frame)


def test_value_counts_leave_missing_out_and_sort_by_value() -> None:
    counts = FrameValueCounts("job").update(pd.DataFrame({"job": ["b", "a", None, "b"]})).finalise()
    assert counts.to_dict() == {"a": 1, "b": 2}


def test_shard_bounds_cover_every_row_once() -> None:
    for size, shards in [(10, 3), (2, 5), (1, 1), (1000, 7)]:
        bounds = shard_bounds(size, shards)
        assert bounds[0][0] == 0 and bounds[-1][1] == size
        assert all(a < b for a, b in bounds)
        assert all(b == c for (_, b), (c, _) in itertools.pairwise(bounds))
    assert row_blocks(pd.DataFrame({"a": []}))[0].empty


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_merged_shard_answers_equal_the_single_index(shards: int) -> None:
    rng = np.random.default_rng(shards)
    data = rng.integers(0, 3, size=(300, 4)).astype(np.float32)  # many exact ties and twins
    queries = np.vstack([data[:20], rng.integers(0, 3, size=(30, 4)).astype(np.float32)])
    k = 5
    expected = ExactNeighbourIndex(data).search(queries, k)
    parts = []
    for start, stop in shard_bounds(len(data), shards):
        d, i = ExactNeighbourIndex(data[start:stop]).search(queries, k)
        parts.append((d, i + start, exact_squared(data[start:stop], queries, i)))
    merged = merge_topk(parts, k)
    np.testing.assert_array_equal(merged[0], expected[0])
    np.testing.assert_array_equal(merged[1], expected[1])


def test_engine_choice_is_validated() -> None:
    with pytest.raises(InputError, match="unknown engine"):
        open_engine("spark")
    with pytest.raises(InputError, match="--engine ray"):
        open_engine("local", workers=2)
    with pytest.raises(InputError, match="at least 1"):
        open_engine("ray", workers=0)


def test_missing_ray_is_bad_input_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(InputError, match=r"pip install \"synthaudit-toolkit\[ray\]\""):
        open_engine("ray")
