from __future__ import annotations

import numpy as np
import pandas as pd

from synthaudit.testing import clean_sample
from tests.conftest import make_context


def test_rng_streams_are_independent_and_reproducible():
    ctx = make_context(clean_sample(100, 0), clean_sample(100, 1))
    a1 = ctx.rng("fidelity.a").random(5)
    assert np.array_equal(a1, make_context(clean_sample(100, 0), clean_sample(100, 1)).rng("fidelity.a").random(5))
    assert not np.array_equal(a1, ctx.rng("fidelity.b").random(5))
    other_seed = make_context(clean_sample(100, 0), clean_sample(100, 1), seed=1)
    assert not np.array_equal(a1, other_seed.rng("fidelity.a").random(5))


def test_holdout_reference_is_matched_in_size():
    ctx = make_context(clean_sample(1000, 0), clean_sample(700, 1), clean_sample(300, 2))
    assert ctx.reference_kind == "holdout"
    assert len(ctx.synthetic_pair.candidate) == len(ctx.reference_pair.candidate) == 300
    assert len(ctx.synthetic_pair.base) == 1000
    assert ctx.reference_info["matched_rows"] == 300


def test_split_reference_uses_disjoint_halves_of_the_real_data():
    real = clean_sample(1000, 0)
    ctx = make_context(real, clean_sample(2000, 1))
    assert ctx.reference_kind == "split"
    base, candidate = ctx.reference_pair.base, ctx.reference_pair.candidate
    assert len(base) == 500 and len(candidate) == 500
    assert set(base.index).isdisjoint(candidate.index)
    assert ctx.synthetic_pair.base is base
    assert len(ctx.synthetic_pair.candidate) == 500
    # candidate rows keep their original row numbers (evidence names input rows)
    assert ctx.synthetic_pair.candidate.index.max() < 2000


def test_encoding_is_standardised_and_cached():
    ctx = make_context(clean_sample(500, 0), clean_sample(500, 1))
    encoded = ctx.encoded("real")
    assert encoded.dtype == np.float32 and encoded.shape[0] == 500
    assert ctx.encoded("real") is encoded
    assert abs(encoded[:, 0].mean()) < 1e-4  # standardised 'age'


def test_encoding_handles_missing_and_unknown_categories():
    real = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0] * 10, "c": ["a", "b", None, "a"] * 10})
    synth = pd.DataFrame({"x": [1.0] * 40, "c": ["zzz"] * 40})
    ctx = make_context(real, synth)
    enc_real, enc_synth = ctx.encoded("real"), ctx.encoded("synthetic")
    assert enc_real.shape[1] == enc_synth.shape[1]
    assert np.isfinite(enc_real).all()
    # unknown category lands in the "other" slot, distinct from every real category
    assert not any((enc_synth[0] == row).all() for row in enc_real)


def test_exact_neighbour_index_finds_copies():
    real = clean_sample(400, 0)
    synth = pd.concat([real.iloc[:10], clean_sample(90, 1)], ignore_index=True)
    ctx = make_context(real, synth)
    distances, indices = ctx.neighbour_index("real").search(ctx.encoded("synthetic"), k=1)
    assert np.allclose(distances[:10, 0], 0.0, atol=1e-5)
    assert list(indices[:10, 0]) == list(range(10))
    assert ctx.neighbour_index("real") is ctx.neighbour_index("real")


def test_rows_found_in_and_repeated_rows_are_the_engine_joins_on_row_fingerprints():
    real = clean_sample(400, 0)
    synth = pd.concat([clean_sample(90, 1), real.iloc[[5, 9, 5]], clean_sample(10, 2).iloc[[0, 0]]])
    synth = synth.reset_index(drop=True)  # rows 90-92 copy real rows (one twice), 94 repeats 93
    ctx = make_context(real, synth)
    columns = list(real.columns)
    copies = ctx.rows_found_in("synthetic", "real", columns, cap=2)
    assert (copies.count, copies.rows, copies.first.tolist()) == (3, 95, [90, 91])
    repeats = ctx.repeated_rows("synthetic", columns, cap=5)
    assert (repeats.count, repeats.first.tolist()) == (2, [92, 94])
    assert ctx.rows_found_in("synthetic", "real", columns, cap=2) is copies  # computed once per audit
    assert len(ctx.row_fingerprints("synthetic", columns)) == len(synth)
