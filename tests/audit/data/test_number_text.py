from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.data.number_text import is_number_text, parse_number_text
from synthaudit.data.roles import Role


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1,234.5", "N/A", "-", "7"], True),
        (["12.5%", "3%", None], True),
        (["1", "2", "-"], True),  # a written placeholder shows the format
        (["1", "2", "3"], False),  # bare digit strings: codes
        (["1", "2", None], False),
        (["a", "b", "1,000"], False),
        (["-", "N/A", ""], False),  # no number at all
        (["$1.00", "$2.00"], False),
    ],
)
def test_is_number_text(values, expected):
    assert is_number_text(pd.Series(values, dtype=object)) is expected


def test_parse_reads_numbers_and_counts_only_unreadable_values():
    values = pd.Series(["1,234.5", " N/A ", "-", "12.5%", "abc", None, "-1,000", ".5", "1,23"], dtype=object)
    parsed, unread = parse_number_text(values)
    expected = [1234.5, np.nan, np.nan, 12.5, np.nan, np.nan, -1000.0, 0.5, np.nan]
    np.testing.assert_array_equal(parsed.to_numpy(), expected)
    assert unread == 2  # "abc" and "1,23"; placeholders and missing values are gaps


def _revenue(n: int, seed: int, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = [f"{v:,.1f}" for v in np.exp(rng.normal(7, 1, n)) * scale]
    for i in rng.choice(n, n // 20, replace=False):
        values[i] = "-"
    return pd.DataFrame({"revenue": values, "region": rng.choice(["N", "S"], n)})


def test_alignment_reads_formatted_numbers_on_every_side():
    real, synth = _revenue(300, 0), _revenue(300, 1)
    synth.loc[:9, "revenue"] = "$5.00"  # a different format: unreadable, counted
    data = align(load_table(real, label="real"), load_table(synth, label="synthetic"))
    assert data.roles["revenue"] is Role.NUMERIC
    assert data.real["revenue"].isna().sum() == 15  # the "-" gaps
    (issue,) = data.type_issues
    assert (issue.column, issue.side, issue.unparseable) == ("revenue", "synthetic", 10)


def test_a_shift_of_formatted_numbers_is_seen_by_the_marginals():
    from synthaudit.checks.fidelity.marginals import MarginalDistributionCheck
    from synthaudit.result import Status
    from tests.conftest import make_context

    real, holdout = _revenue(800, 0), _revenue(400, 1)
    clean = MarginalDistributionCheck().run(make_context(real, _revenue(800, 2), holdout))
    assert clean.status is Status.PASS, clean.summary
    # Read as categories, every value was its own category: a 3x shift passed with a distance saturated at 1.
    shifted = MarginalDistributionCheck().run(make_context(real, _revenue(800, 2, scale=3.0), holdout))
    assert shifted.status is Status.FAIL, shifted.summary
    assert "'revenue'" in shifted.summary
