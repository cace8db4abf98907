"""A capped input's whole input reads every row again, typed as the stacked table, block by block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.artefacts.fingerprints import input_row_fingerprints, row_fingerprints
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.engine.local import LocalEngine
from synthaudit.errors import InputError


def _mixed_shards(folder: Path) -> Path:
    """CSV shards whose columns take their dtype from the stack (ints here, floats there, empty in one)."""
    folder.mkdir()
    rng = np.random.default_rng(4)
    for i in range(4):
        n = 30 + 10 * i
        pd.DataFrame(
            {
                "a": rng.integers(0, 9, n) if i % 2 == 0 else rng.integers(0, 9, n) + 0.5,
                "b": [None] * n if i == 0 else rng.choice(["x", "y", " z"], n),
                "c": rng.integers(0, 3, n),
                "d": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
            }
        ).to_csv(folder / f"part-{i}.csv", index=False)
    pd.DataFrame({"a": [1], "b": ["w"], "c": [0.5], "d": ["2024-02-01"]}).to_csv(folder / "part-4.csv", index=False)
    return folder


def test_blocks_fingerprint_as_the_aligned_whole_table(tmp_path: Path) -> None:
    folder = _mixed_shards(tmp_path / "real")
    capped = LocalEngine().load_table(folder, label="real", encoding="utf-8", max_rows=50, seed=3)
    whole = capped.whole
    assert whole is not None and whole.blocks == 5 and whole.n_rows == capped.n_rows == 181
    full = load_table(folder, label="real")
    aligned = align(full, full)
    columns = tuple(aligned.columns)
    expected = row_fingerprints(aligned.real, columns, aligned.roles)
    blocks = [input_row_fingerprints(whole.block(i), columns, aligned.roles) for i in range(whole.blocks)]
    np.testing.assert_array_equal(np.concatenate(blocks), expected)
    for column in full.frame:  # each block is typed as the stack, whatever its own file holds
        assert {str(whole.block(i)[column].dtype) for i in range(whole.blocks)} == {str(full.frame[column].dtype)}
    # The kept rows are the input rows the whole input numbers them by.
    kept = row_fingerprints(align(capped, capped).real, columns, aligned.roles)
    np.testing.assert_array_equal(kept, expected[capped.frame.index.to_numpy()])


def test_only_a_capped_table_keeps_its_whole_input(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": np.arange(100), "b": ["x", "y"] * 50})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    engine = LocalEngine()
    assert engine.load_table(path, label="synthetic", encoding="utf-8").whole is None
    assert engine.load_table(path, label="synthetic", encoding="utf-8", max_rows=100).whole is None
    from_file = engine.load_table(path, label="synthetic", encoding="utf-8", max_rows=10)
    assert from_file.whole is not None and from_file.whole.files == (str(path),)
    pd.testing.assert_frame_equal(from_file.whole.block(0), frame)
    from_frame = engine.load_table(frame, label="synthetic", encoding="utf-8", max_rows=10)
    assert from_frame.whole is not None and from_frame.whole.blocks == 1
    pd.testing.assert_frame_equal(from_frame.whole.block(0), frame)


def test_a_shard_broken_after_loading_is_bad_input(tmp_path: Path) -> None:
    folder = _mixed_shards(tmp_path / "real")
    capped = LocalEngine().load_table(folder, label="real", encoding="utf-8", max_rows=50)
    (folder / "part-1.csv").write_bytes(b"a,b,c,d\n1.0,x,1,2024-01-01\n\xff\xfe,y,1,2024-01-01\n")
    assert capped.whole is not None
    with pytest.raises(InputError, match=r"part-1\.csv"):
        capped.whole.block(1)
