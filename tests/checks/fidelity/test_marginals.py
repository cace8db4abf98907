from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.checks.fidelity.marginals import MarginalDistributionCheck
from synthaudit.data.roles import Role
from synthaudit.reports.overview import implicated
from synthaudit.result import Status
from synthaudit.stats.distances import ks_statistic, total_variation_distance
from tests.conftest import draw_disjoint, drop_missing, make_context, set_constant, shift_marginal


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_marginals_pass_on_independent_sample(adult_split, seed):
    real, holdout, synth = adult_split(seed)
    result = MarginalDistributionCheck().run(make_context(real, synth, holdout, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert set(result.columns) == set(real.columns)  # every Adult column is compared, with its role
    assert result.columns["age"] == "numeric" and result.columns["sex"] == "categorical"


def test_marginals_pass_without_holdout(adult_split):
    real, _, synth = adult_split(4)
    result = MarginalDistributionCheck().run(make_context(real, synth))
    assert result.status is Status.PASS, result.summary
    assert result.reference is None  # the runner fills it; the context says split
    assert make_context(real, synth).reference_kind == "split"


@pytest.mark.parametrize(
    ("defect", "column"),
    [
        (lambda s: shift_marginal(s, "age", 0.5), "age"),
        (lambda s: set_constant(s, "occupation"), "occupation"),
        (lambda s: set_constant(s, "hours_per_week"), "hours_per_week"),
    ],
)
def test_marginals_fail_on_wrong_marginal_and_name_column(adult_split, defect, column):
    real, holdout, synth = adult_split(5)
    result = MarginalDistributionCheck().run(make_context(real, defect(synth), holdout))
    assert result.status is Status.FAIL
    assert column in result.summary
    assert result.tables[0].rows[0]["column"] == column


def test_marginals_fail_when_generator_drops_missing_values(adult_split):
    real, holdout, synth = adult_split(6)
    result = MarginalDistributionCheck().run(make_context(real, drop_missing(synth, "occupation", "Sales"), holdout))
    metric = result.metric("worst_missing_rate_difference")
    assert metric.passed is False
    assert "occupation" in metric.description


def test_marginals_lists_invented_categories(adult_split):
    real, holdout, synth = adult_split(7)
    synth = synth.copy()
    synth.loc[:99, "race"] = "Martian"
    result = MarginalDistributionCheck().run(make_context(real, synth, holdout))
    row = next(r for r in result.tables[0].rows if r["column"] == "race")
    assert row["invented_categories_shown"] == ["Martian"]


def test_marginals_figures_are_specs(adult_split):
    real, holdout, synth = adult_split(8)
    result = MarginalDistributionCheck().run(make_context(real, synth, holdout))
    assert len(result.figures) == len(result.columns)  # every compared column, worst first
    assert {f.kind for f in result.figures} <= {"histogram", "bars"}


def _cities_and_regions(rows: int, seed: int) -> pd.DataFrame:
    """A region column (five categories) beside an 800-value city column (Zipf shares), which two clean
    1,000-row samples put at TVD ≈ 0.27 from each other, and a numeric column."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, 801) ** 1.1
    return pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east", "west", "centre"], rows, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
            "city": rng.choice([f"city_{i:04d}" for i in range(800)], rows, p=weights / weights.sum()),
            "age": rng.normal(42, 14, rows).round(),
        }
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_marginals_high_cardinality_column_does_not_hide_a_merged_category(seed):
    real, holdout, synth = draw_disjoint(_cities_and_regions(3000, seed), (1000, 1000, 1000), seed)
    clean = MarginalDistributionCheck().run(make_context(real, synth, holdout, seed=seed))
    assert clean.status is not Status.FAIL, clean.summary
    merged = synth.copy()
    merged.loc[merged["region"] == "south", "region"] = "north"  # a quarter of the rows in the wrong category
    result = MarginalDistributionCheck().run(make_context(real, merged, holdout, seed=seed))
    # Clean city samples are as far apart (reference TVD ≈ 0.27) as the merged region from the real one (≈ 0.25):
    # against the worst reference column the merge passed. Each column against its own reference, it fails.
    rows = {row["column"]: row for row in result.tables[0].rows}
    assert rows["city"]["reference_distance"] > 0.2 and rows["region"]["reference_distance"] < 0.1
    assert result.status is Status.FAIL, result.summary
    metric = result.metric("worst_column_distance")
    assert "region" in metric.description and "'region'" in result.summary
    assert metric.value == pytest.approx(rows["region"]["distance"])
    assert metric.reference_value == pytest.approx(rows["region"]["reference_distance"])
    # Each row carries its own fail threshold: the report singles out the merged region, not the clean city.
    assert rows["region"]["distance"] > rows["region"]["threshold"] and rows["city"]["threshold"] > 0.3
    assert implicated(result, list(real.columns)) == {"region": "fail"}


def test_marginals_column_at_distance_one_on_both_sides_does_not_disable_the_gate():
    real, holdout, synth = draw_disjoint(_cities_and_regions(90, 3), (30, 30, 30), 3)
    real, holdout, synth = (
        frame.assign(code=[f"{label}{i}" for i in range(len(frame))])  # unique on each side: TVD 1 on both
        for label, frame in (("r", real), ("h", holdout), ("s", synth))
    )
    shifted = synth.assign(age=synth["age"] + 60)  # every synthetic age beyond every real one: KS 1
    result = MarginalDistributionCheck().run(
        make_context(real, shifted, holdout, seed=3, roles={"code": Role.CATEGORICAL})
    )
    assert result.status is Status.FAIL, result.summary
    assert "age" in result.metric("worst_column_distance").description


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50))
def test_ks_statistic_properties(a, b):
    a, b = np.array(a), np.array(b)
    value = ks_statistic(a, b)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(ks_statistic(b, a))
    assert ks_statistic(a, a) == 0.0
    assert value == pytest.approx(ks_statistic(a[::-1], b))


def test_ks_matches_scipy():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.3, 1, size=200)
    assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic)


def test_tvd_properties():
    p = pd.Series({"a": 0.5, "b": 0.5})
    q = pd.Series({"c": 1.0})
    assert total_variation_distance(p, p) == 0.0
    assert total_variation_distance(p, q) == 1.0
    assert total_variation_distance(p, pd.Series({"a": 1.0})) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("shares", "rows"),
    [([0.5, 0.5], 1000), ([0.9, 0.1], 500), ([0.49, 0.48, 0.03], 1000), ([0.3, 0.25, 0.2, 0.15, 0.1], 400)],
)
def test_tvd_null_sd_matches_multinomial_simulation(shares, rows):
    """The share differences sum to zero: taken as independent half-normals, a binary column's SD was √2 small."""
    from synthaudit.stats.distances import category_distance
    from synthaudit.stats.states import CategoryCounts

    shares = np.array(shares)
    labels = [f"v{i}" for i in range(len(shares))]
    base = CategoryCounts().update(pd.Series(np.repeat(labels, np.round(shares * rows).astype(int))))
    _, null_sd = category_distance(base, base)
    rng = np.random.default_rng(0)
    draws = rng.multinomial(rows, shares, size=(2, 20000)) / rows
    simulated = (0.5 * np.abs(draws[0] - draws[1]).sum(axis=1)).std()
    assert null_sd == pytest.approx(simulated, rel=0.04)
    if len(shares) == 2:  # TVD is one |difference| exactly: the half-normal SD
        exact = np.sqrt((1 - 2 / np.pi) * shares[0] * shares[1] * 2 / rows)
        assert null_sd == pytest.approx(exact, rel=1e-9)


# ------------------------------------------------------------------ text columns (length and vocabulary)
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_holdout", [True, False])
def test_marginals_pass_on_held_apart_text(seed, with_holdout):
    from tests.checks.fidelity.text_defects import text_split

    real, holdout, synth = text_split(seed, 2000, 1000, 1000)
    ctx = make_context(real, synth, holdout if with_holdout else None, seed=seed, text=["sentence"])
    result = MarginalDistributionCheck().run(ctx)
    assert result.status is Status.PASS, result.summary
    assert result.columns == {"sentence": "text (length, vocabulary)", "topic": "categorical"}
    measured = {row["column"] for row in result.tables[0].rows}
    assert {"sentence:chars", "sentence:tokens", "sentence:oov_share", "sentence:mean_log_frequency"} <= measured
    assert result.sample_sizes["text_columns"] == 1


@pytest.mark.parametrize("defect", ["halved", "vocabulary", "invented"])
def test_marginals_fail_on_text_with_wrong_lengths_or_vocabulary(defect):
    from tests.checks.fidelity.text_defects import changed_vocabulary, halved_lengths, invented_words, text_split

    real, holdout, synth = text_split(4, 2000, 1000, 1000)
    broken = {
        "halved": lambda: halved_lengths(synth),
        "vocabulary": lambda: changed_vocabulary(synth, real),
        "invented": lambda: invented_words(synth),
    }[defect]()
    result = MarginalDistributionCheck().run(make_context(real, broken, holdout, text=["sentence"]))
    assert result.status is Status.FAIL, result.summary
    worst = result.tables[0].rows[0]["column"]
    expected = {"halved": ("chars", "tokens"), "vocabulary": ("mean_log_frequency", "oov_share")}
    expected["invented"] = ("oov_share", "mean_log_frequency")
    assert worst.split(":")[1] in expected[defect]
    assert "sentence:" in result.metric("worst_column_distance").description


def test_text_statistics_measure_real_texts_leaving_themselves_out():
    from synthaudit.artefacts.text_stats import Vocabulary, text_statistics

    base = pd.Series(["the cat sat", "the dog sat on the mat", None, "a zebra"])
    vocabulary = Vocabulary.fit(base)
    inside = text_statistics(base, vocabulary, in_vocabulary=True)
    assert inside["tokens"].tolist()[:2] == [3.0, 6.0] and np.isnan(inside.loc[2]).all()
    assert inside.loc[0, "oov_share"] == pytest.approx(1 / 3)  # 'cat' occurs in no other real text
    assert inside.loc[1, "type_token_ratio"] == pytest.approx(5 / 6)
    assert inside.loc[3, "oov_share"] == 1.0
    outside = text_statistics(pd.Series(["The cat!", "xyz qq", ""], index=[5, 6, 7]), vocabulary, in_vocabulary=False)
    assert outside["oov_share"].tolist()[:2] == [0.0, 1.0] and np.isnan(outside.loc[7, "oov_share"])
    assert outside.loc[5, "chars"] == 8.0 and outside.loc[7, "tokens"] == 0.0
    assert outside.loc[5, "mean_log_frequency"] > outside.loc[6, "mean_log_frequency"]  # known words are likelier
    assert (outside["mean_log_frequency"].dropna() <= 0).all()


def test_an_unseen_text_equal_to_a_real_text_is_measured_like_its_real_copies():
    from synthaudit.artefacts.text_stats import Vocabulary, text_statistics

    base = pd.Series(["you are a helpful assistant"] * 5 + ["the cat sat", "a zebra"])
    vocabulary = Vocabulary.fit(base)
    inside = text_statistics(base, vocabulary, in_vocabulary=True)
    outside = text_statistics(
        pd.Series(["You are a helpful assistant.", "the cat sat", "a cat"]), vocabulary, in_vocabulary=False
    )
    vocabulary_statistics = ["tokens", "type_token_ratio", "oov_share", "mean_log_frequency"]
    same = outside.loc[0, vocabulary_statistics] == inside.loc[0, vocabulary_statistics]
    assert same.all()  # the same atom (after normalisation), exactly the same value
    assert outside.loc[1, "oov_share"] == inside.loc[5, "oov_share"] == 1.0  # its words: in no other real text
    assert outside.loc[2, "oov_share"] == 0.0  # an unseen text: the whole vocabulary


def test_a_repeated_system_prompt_does_not_blind_the_worst_column_gate():
    """Chat files carry a system prompt repeated on every row. Measured leave-one-out on the real side and against
    the full vocabulary on the held-out side, its identical texts got values one count apart, and the KS distance
    of that atom (0.5+) became the reference's worst column: every other column could drift that far unseen."""
    from tests.checks.fidelity.text_defects import text_split

    prompts = ["You are a concise assistant. Answer in one sentence.", "You are a helpful news assistant."]
    real, holdout, synth = (
        f.assign(system=[prompts[i % 2] for i in range(len(f))]) for f in text_split(2, 2000, 1000, 1000)
    )
    roles = {"text": ["sentence", "system"]}
    clean = MarginalDistributionCheck().run(make_context(real, synth, holdout, seed=2, **roles))
    assert clean.status is Status.PASS, clean.summary
    assert clean.metric("worst_column_distance").reference_value < 0.1
    empty = synth.copy()
    empty.loc[empty.index[::5], "sentence"] = ""  # a fifth of the texts empty
    result = MarginalDistributionCheck().run(make_context(real, empty, holdout, seed=2, **roles))
    assert result.status is Status.FAIL, result.summary
    assert "sentence:" in result.metric("worst_column_distance").description
