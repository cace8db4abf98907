from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit.context_text
from synthaudit.checks.leakage.dcr import (
    DistanceToClosestRecordCheck,
    close_share,
    copy_likeness,
    nearest_distances,
    query_cap,
    suspicious_rows,
)
from synthaudit.context import AuditContext
from synthaudit.embeddings import EmbeddingOptions, embeddings_unavailable_reason
from synthaudit.result import Status
from tests.conftest import inject_exact_copies, make_context

NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
EVIDENCE = "suspiciously_close_synthetic_rows"


def planted_rows(n, frac, seed=0):
    """The positions ``inject_exact_copies(…, frac, seed)`` overwrites (its first draw)."""
    return np.random.default_rng(seed).choice(n, size=round(frac * n), replace=False)


def inject_near_copies(synth, real, frac, seed=0):
    """Real rows with tiny noise on the numeric columns, in place of a share ``frac`` of synthetic rows."""
    rng = np.random.default_rng(seed + 1)
    out = inject_exact_copies(synth, real, frac, seed)
    rows = planted_rows(len(synth), frac, seed)
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
    assert result.evidence[EVIDENCE] == ()  # natural look-alikes are not evidence


def test_dcr_fails_on_two_percent_near_copies(adult_split):
    real, holdout, synth = adult_split(4, real=8000, holdout=4000, synth=4000)
    leaky = inject_near_copies(synth, real, 0.02)
    result = DistanceToClosestRecordCheck().run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("dcr_very_close_share").passed is False
    evidence = result.evidence[EVIDENCE]
    assert len(evidence) == 20
    assert np.isin(evidence, planted_rows(len(synth), 0.02)).sum() >= 18  # most copy-like first


def test_dcr_exact_copies_are_at_distance_zero(adult_split):
    # float32 faiss distances put about 15 % of verbatim copies a little above 0 (zero share 0.0428, not 0.05).
    real, holdout, synth = adult_split(4, real=8000, holdout=4000, synth=4000)
    ctx = make_context(real, inject_exact_copies(synth, real, 0.05), holdout)
    result = DistanceToClosestRecordCheck().run(ctx)
    distances, _ = nearest_distances(ctx, "synthetic_candidate")
    planted = planted_rows(len(synth), 0.05)
    assert np.all(distances[planted, 0] == 0.0)
    base = {row.tobytes() for row in ctx.encoded("base")}
    twins = np.array([row.tobytes() in base for row in ctx.encoded("synthetic_candidate")])
    assert np.array_equal(distances[:, 0] == 0.0, twins)  # distance 0 exactly when the encoded row is in the base
    assert twins.sum() == len(planted)  # this seed has no natural twin
    assert result.metric("dcr_zero_share").value == 0.05
    assert result.status is Status.FAIL
    assert len(result.evidence[EVIDENCE]) == 20
    assert set(result.evidence[EVIDENCE]) <= set(planted.tolist())


def test_dcr_skips_when_every_unseen_row_has_an_exact_twin():
    # Two binary columns: every row of every frame equals some training row, so every DCR is 0.
    rng = np.random.default_rng(0)

    def frame(n):
        return pd.DataFrame({"colour": rng.choice(["red", "blue"], n), "size": rng.choice(["small", "large"], n)})

    real, holdout = frame(2000), frame(1000)
    for synth in (frame(1000), real.sample(1000, random_state=0).reset_index(drop=True)):
        for reference in (holdout, None):
            result = DistanceToClosestRecordCheck().run(make_context(real, synth, reference))
            assert result.status is Status.SKIPPED
            assert "cannot tell copies from natural matches" in (result.skipped_reason or "")


def test_dcr_records_the_columns_it_measured(adult_split):
    real, holdout, synth = adult_split(6, real=3000, holdout=1500, synth=2000)
    ctx = make_context(real, synth, holdout)
    result = DistanceToClosestRecordCheck().run(ctx)
    assert result.columns == {column: ctx.roles[column].value for column in ctx.encoder.columns}
    assert set(NUMERIC) <= set(result.columns) and result.columns["sex"] == "categorical"


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


def with_notes(frame):
    """Adult rows with a short free-text note (a few dozen distinct texts, so embedding is quick)."""
    out = frame.copy()
    out["note"] = (
        "Works as "
        + out["occupation"].fillna("unknown").astype(str)
        + " in "
        + out["workclass"].fillna("an unknown sector").astype(str)
    )
    return out


@pytest.mark.skipif(embeddings_unavailable_reason(EmbeddingOptions()) is not None, reason="no text extra")
def test_dcr_measures_text_columns_with_the_row(adult_split, tmp_path):
    real, holdout, synth = (with_notes(f) for f in adult_split(7, real=3000, holdout=1500, synth=1500))
    leaky = inject_exact_copies(synth, real, 0.05)
    data = make_context(real, leaky, holdout, text=["note"]).data
    result = DistanceToClosestRecordCheck().run(AuditContext(data, embedding=EmbeddingOptions(cache_dir=tmp_path)))
    assert result.columns["note"] == "text (embeddings)" and result.columns["age"] == "numeric"
    assert result.metric("dcr_zero_share").value >= 0.05
    assert result.status is Status.FAIL


def test_dcr_skips_when_text_cannot_be_embedded(adult_split, monkeypatch):
    monkeypatch.setattr(synthaudit.context_text, "embeddings_unavailable_reason", lambda options: "no model (test)")
    real, holdout, synth = (with_notes(f) for f in adult_split(7, real=1000, holdout=500, synth=500))
    result = DistanceToClosestRecordCheck().run(make_context(real, synth, holdout, text=["note"]))
    assert result.status is Status.SKIPPED
    assert "note" in (result.skipped_reason or "") and "no model (test)" in (result.skipped_reason or "")


def test_suspicious_rows_take_the_surplus_most_copy_like_first():
    dcr = np.array([0.5, 0.01, 0.02, 0.0, 0.3, 0.03])
    second = np.array([1.0, 1.0, 0.04, 0.5, 1.0, 0.3])
    likeness = copy_likeness(np.c_[dcr, second])
    np.testing.assert_allclose(likeness, [0.5, 0.01, 0.5, 0.0, 0.3, 0.1])
    assert suspicious_rows(dcr, likeness, [(0.05, 0)]).tolist() == []
    assert suspicious_rows(dcr, likeness, [(0.05, 2)]).tolist() == [3, 1]
    assert suspicious_rows(dcr, likeness, [(0.05, 9), (0.02, 1)]).tolist() == [3, 1, 5, 2]
    assert suspicious_rows(dcr, likeness, [(0.05, 9)], cap=3).tolist() == [3, 1, 5]
    assert copy_likeness(np.array([[0.0, 0.0], [1.0, 0.0]])).tolist() == [0.0, 1.0]  # exact match of a duplicated row


def test_close_share_counts_ties():
    distances = np.array([0.0, 0.0, 1.0, 2.0])
    assert close_share(distances, 0.0) == 0.5
    assert close_share(distances, 1.0) == 0.75
    assert close_share(np.array([]), 1.0) == 0.0


def test_query_cap_bounds_the_pairs_searched_but_never_below_the_floor():
    assert query_cap(100_000, 2_000_000_000, 32_561) == 61_423
    assert query_cap(100_000, 2_000_000_000, 100_000) == 20_000
    assert query_cap(100_000, 2_000_000_000, 1_000_000) == 5_000  # the floor
    assert query_cap(3_000, 2_000_000_000, 1_000) == 3_000  # max_queries binds first


def test_dcr_searches_only_its_sample_and_records_it(adult_split, monkeypatch):
    # A pair budget that allows 1,200 rows per side: the check searches exactly the rows it measures (the
    # same seeded sample as when the cap comes from max_queries), each against the whole base.
    real, holdout, synth = adult_split(5, real=4000, holdout=2000, synth=2000)
    monkeypatch.setattr("synthaudit.checks.leakage.dcr._MIN_QUERIES", 100)
    by_pairs = DistanceToClosestRecordCheck(DistanceToClosestRecordCheck.Params(max_pairs=1200 * 4000))
    by_rows = DistanceToClosestRecordCheck(DistanceToClosestRecordCheck.Params(max_queries=1200))
    searched: list[int] = []
    ctx = make_context(real, synth, holdout)
    index = ctx.neighbour_index("base")
    original = type(index).search
    monkeypatch.setattr(type(index), "search", lambda self, q, k=1: searched.append(len(q)) or original(self, q, k))
    first = by_pairs.run(ctx)
    assert searched == [1200, 1200]
    assert first.sample_sizes["synthetic_rows"] == first.sample_sizes["reference_rows"] == 1200
    assert first.sample_sizes["base_rows"] == 4000
    second = by_rows.run(make_context(real, synth, holdout))
    assert [m.value for m in first.metrics] == [m.value for m in second.metrics]
    full, _ = nearest_distances(make_context(real, synth, holdout), "synthetic_candidate")
    keep = np.sort(ctx.rng(by_pairs.name).choice(2000, size=1200, replace=False))
    table = {row["quantile"]: row["synthetic"] for row in first.tables[0].rows}
    assert table[0.5] == float(np.quantile(full[keep, 0], 0.5))  # exact distances of the sampled rows
