from __future__ import annotations

import numpy as np
import pytest

from synthaudit.checks.leakage.dcr import DistanceToClosestRecordCheck, close_share
from synthaudit.result import Status
from tests.conftest import inject_exact_copies, make_context

NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def inject_near_copies(synth, real, frac, seed=0):
    """Real rows with tiny noise on the numeric columns, in place of a share ``frac`` of synthetic rows."""
    rng = np.random.default_rng(seed)
    out = inject_exact_copies(synth, real, frac, seed)
    rows = np.flatnonzero((out.to_numpy() != synth.to_numpy()).any(axis=1))
    for column in NUMERIC:
        out[column] = out[column].astype(float)
        out.loc[rows, column] = out.loc[rows, column] + rng.normal(0, 0.01 * real[column].std(), len(rows))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_dcr_passes_on_independent_sample(adult_split, seed, with_holdout):
    real, holdout, synth = adult_split(seed, real=6000, holdout=3000, synth=3000)
    ctx = make_context(real, synth, holdout if with_holdout else None, seed=seed)
    result = DistanceToClosestRecordCheck().run(ctx)
    assert result.status is Status.PASS, result.summary


def test_dcr_fails_on_two_percent_near_copies(adult_split):
    real, holdout, synth = adult_split(4, real=8000, holdout=4000, synth=4000)
    leaky = inject_near_copies(synth, real, 0.02)
    result = DistanceToClosestRecordCheck().run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("dcr_very_close_share").passed is False
    assert len(result.evidence["closest_synthetic_rows"]) == 20


def test_dcr_counts_ties_when_the_reference_quantile_is_zero(adult_split):
    # Without fnlwgt, over 5 % of unseen real rows equal some training row: q = 0, and copies must still count.
    real, holdout, synth = (f.drop(columns=["fnlwgt"]) for f in adult_split(5, real=6000, holdout=3000, synth=3000))
    clean = DistanceToClosestRecordCheck().run(make_context(real, synth, holdout))
    assert clean.status is Status.PASS
    assert "(0)" in clean.metric("dcr_close_share").description  # q = 0
    leaky = DistanceToClosestRecordCheck().run(make_context(real, inject_exact_copies(synth, real, 0.05), holdout))
    assert leaky.status is Status.FAIL, leaky.summary


def test_dcr_records_sample_sizes_and_figure(adult_split):
    real, holdout, synth = adult_split(6, real=3000, holdout=1500, synth=2000)
    result = DistanceToClosestRecordCheck().run(make_context(real, synth, holdout))
    assert result.sample_sizes["synthetic_rows"] == 1500 == result.sample_sizes["reference_rows"]
    assert result.figures[0].kind == "histogram"


def test_close_share_counts_ties():
    distances = np.array([0.0, 0.0, 1.0, 2.0])
    assert close_share(distances, 0.0) == 0.5
    assert close_share(distances, 1.0) == 0.75
    assert close_share(np.array([]), 1.0) == 0.0
