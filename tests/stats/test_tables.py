"""Tables of binned code columns: joint and pair tables merge exactly across any split of the rows."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthaudit.stats import tables
from synthaudit.stats.tables import ContingencyTables, JointCounts, aligned_counts
from tests.stats.strategies import STATES, cut_points, fold, split

LEVELS = (3, 2, 4)


@st.composite
def codes(draw: st.DrawFn, levels: tuple[int, ...] = LEVELS) -> np.ndarray:
    n = draw(st.integers(0, 60))
    rows = [draw(st.lists(st.integers(0, size - 1), min_size=n, max_size=n)) for size in levels]
    return np.array(rows, dtype=np.int32).reshape(len(levels), n)


@STATES
@given(codes(), st.data())
def test_contingency_tables_merge_equals_whole(matrix, data):
    whole = ContingencyTables(LEVELS).update(matrix)
    parts = split(matrix, data.draw(cut_points(matrix.shape[1])), axis=1)
    merged = fold(lambda: ContingencyTables(LEVELS), parts, data.draw(st.permutations(range(len(parts)))))
    assert merged == whole
    out = whole.finalise()
    assert list(out) == list(combinations(range(3), 2))
    for (i, j), table in out.items():
        assert table.shape == (LEVELS[i], LEVELS[j])
        assert table.sum() == matrix.shape[1]
        assert table[1, 0] == int(((matrix[i] == 1) & (matrix[j] == 0)).sum())


def test_contingency_tables_of_chosen_pairs_only():
    matrix = np.array([[0, 1, 2], [1, 1, 0], [3, 0, 0]])
    state = ContingencyTables(LEVELS, [(0, 2)]).update(matrix)
    assert list(state.finalise()) == [(0, 2)]
    with pytest.raises(ValueError):
        state.merge(ContingencyTables(LEVELS))


@STATES
@given(codes(), st.booleans(), st.data())
def test_joint_counts_merge_equals_whole_dense_and_sparse(matrix, sparse, data):
    if sparse:
        original = tables.DENSE_CELLS
        tables.DENSE_CELLS = 4  # force the sparse representation
    try:
        whole = JointCounts(LEVELS).update(matrix)
        parts = split(matrix, data.draw(cut_points(matrix.shape[1])), axis=1)
        merged = fold(lambda: JointCounts(LEVELS), parts, data.draw(st.permutations(range(len(parts)))))
        assert whole.dense is not sparse
    finally:
        if sparse:
            tables.DENSE_CELLS = original
    assert merged == whole
    cells = whole.cell_numbers(matrix)
    dense = np.bincount(cells, minlength=int(np.prod(LEVELS)))
    if sparse:
        keys, counts = whole.finalise()
        assert np.array_equal(dense[keys], counts) and counts.sum() == matrix.shape[1]
    else:
        assert np.array_equal(whole.finalise(), dense)


def test_aligned_counts_put_sparse_tables_on_shared_cells():
    original = tables.DENSE_CELLS
    tables.DENSE_CELLS = 4
    try:
        a = JointCounts((3, 3)).update(np.array([[0, 0, 2], [1, 1, 2]]))
        b = JointCounts((3, 3)).update(np.array([[2, 1], [2, 0]]))
    finally:
        tables.DENSE_CELLS = original
    left, right = aligned_counts([a, b])
    assert left.tolist() == [2, 0, 1] and right.tolist() == [0, 1, 1]  # cells 1, 3, 8
    with pytest.raises(ValueError):
        a.merge(JointCounts((3, 2)))
