from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.roles import Role, infer_role, infer_roles


@pytest.mark.parametrize(
    ("values", "role"),
    [
        (pd.Series([1.5, 2.0, np.nan] * 40), Role.NUMERIC),
        (pd.Series([20, 30, 40, 30] * 30), Role.NUMERIC),
        (pd.Series(np.arange(200)), Role.IDENTIFIER),
        (pd.Series([f"u{i:05d}" for i in range(200)]), Role.IDENTIFIER),
        (pd.Series(["a", "b", None] * 50, dtype=object), Role.CATEGORICAL),
        (pd.Series(["True", "false", "TRUE"] * 30), Role.BOOLEAN),
        (pd.Series([True, False] * 30), Role.BOOLEAN),
        (pd.Series([f"2024-01-0{i % 9 + 1}" for i in range(100)]), Role.DATETIME),
        (pd.Series(pd.date_range("2020-01-01", periods=100)), Role.DATETIME),
        (pd.Series([f"this is a longer free text sentence number {i} about things" for i in range(100)]), Role.TEXT),
        (pd.Series([None] * 10, dtype=object), Role.EMPTY),
        (pd.Series(["7", "x", "3"] * 40, dtype=object), Role.CATEGORICAL),
        # Numbers a spreadsheet wrote as text are numeric; bare digit strings stay codes.
        (pd.Series(["1,234.5", "N/A", "-", "980.0", "12,001.3"] * 30, dtype=object), Role.NUMERIC),
        (pd.Series(["12.5%", "3.0%", "-"] * 40, dtype=object), Role.NUMERIC),
        (pd.Series(["1", "2", "3"] * 40, dtype=object), Role.CATEGORICAL),
    ],
)
def test_infer_role(values, role):
    assert infer_role(values) is role


def test_small_unique_integer_column_is_not_an_identifier():
    assert infer_role(pd.Series(np.arange(20))) is Role.NUMERIC


def test_unique_whole_unit_amounts_are_numeric_not_identifiers():
    """Incomes in whole units, 99 % unique at a few hundred rows, were identifiers and left out of every
    fidelity check (scaled by 10 in the synthetic data, the audit passed); identifiers spread evenly."""
    rng = np.random.default_rng(0)
    income = pd.Series(np.round(np.exp(rng.normal(10.6, 0.4, 600))))
    income[rng.random(600) < 0.4] = np.nan
    assert income.dropna().nunique() / income.notna().sum() >= 0.99
    assert infer_role(income) is Role.NUMERIC
    assert infer_role(pd.Series(np.round(rng.normal(170_000, 20_000, 300)))) is Role.NUMERIC  # bell-shaped
    for seed in range(20):  # random codes and sequences with gaps stay identifiers
        draw = np.random.default_rng(seed)
        assert infer_role(pd.Series(draw.choice(10**8, 60, replace=False))) is Role.IDENTIFIER
        sequence = np.arange(100_000, 100_000 + 3 * 500)[np.sort(draw.choice(1500, 500, replace=False))]
        assert infer_role(pd.Series(sequence)) is Role.IDENTIFIER


def test_explicit_roles_win():
    frame = pd.DataFrame({"a": np.arange(100), "b": ["x y"] * 100})
    roles = infer_roles(frame, text=["b"], overrides={"a": Role.NUMERIC})
    assert roles == {"a": Role.NUMERIC, "b": Role.TEXT}
