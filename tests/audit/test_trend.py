"""``synthaudit trend``: generation loops on real data (collapsing and healthy), the statistics, bad input, the CLI."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthaudit.cli import ExitCode, app
from synthaudit.errors import InputError
from synthaudit.stats.collapse import (
    coverage_and_recall,
    group_labels,
    presence_null_se,
    tail_mass,
    text_diversity,
    variance_ratio,
    vendi_ratio,
)
from synthaudit.stats.decline import decline_test, weighted_slope
from synthaudit.stats.multiple import sidak_multiplier
from synthaudit.trend import QUANTITY_KINDS, generation_sources, trend
from tests.checks.diversity.test_duplicates import bbc_sentences
from tests.conftest import draw_disjoint

ROWS = 1500
GENERATIONS = 4
NUMERIC = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")


# ----------------------------------------------------------------------------- generation loops
def refit_with_tails_cut(frame: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """A generator fitted on ``frame``: per-column empirical sampling, numeric columns' top and bottom 5 % cut."""
    out = {}
    for column in frame.columns:
        values = frame[column].to_numpy()
        if column in NUMERIC:
            low, high = np.quantile(values, [0.05, 0.95])
            values = values[(values >= low) & (values <= high)]
        out[column] = rng.choice(values, size=rows, replace=True)
    return pd.DataFrame(out)


def collapse_loop(population: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Real rows, then generations each refit on the previous generation's output (the first on the real rows)."""
    (real,) = draw_disjoint(population, (2 * ROWS,), seed)
    rng = np.random.default_rng(seed)
    current, generations = real, []
    for _ in range(GENERATIONS):
        current = refit_with_tails_cut(current, ROWS, rng)
        generations.append(current)
    return real, generations


def healthy_loop(population: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Real rows, then fresh independent samples of the real population as generations."""
    real, *generations = draw_disjoint(population, (2 * ROWS,) + (ROWS,) * GENERATIONS, seed)
    return real, generations


def refit_bigrams(frame: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """A word-bigram model fitted on ``frame.sentence``, sampled ``rows`` times; topics resampled."""
    followers: dict[str, list[str]] = {}
    for sentence in frame["sentence"]:
        tokens = ["<s>", *sentence.split(), "</s>"]
        for a, b in itertools.pairwise(tokens):
            followers.setdefault(a, []).append(b)
    sentences = []
    for _ in range(rows):
        token, words = "<s>", []
        while len(words) < 60:
            options = followers[token]
            token = options[int(rng.integers(len(options)))]
            if token == "</s>":
                break
            words.append(token)
        sentences.append(" ".join(words) if len(words) >= 4 else " ".join([*words, "and", "so", "on"]))
    return pd.DataFrame({"sentence": sentences, "topic": rng.choice(frame["topic"].to_numpy(), size=rows)})


@pytest.fixture(scope="module")
def collapsed(adult_population):
    real, generations = collapse_loop(adult_population, seed=0)
    return trend(real, generations, seed=0, audits=False)


# ----------------------------------------------------------------------------- the acceptance loops
def test_collapse_loop_fails_naming_a_generation_and_a_quantity(collapsed):
    assert collapsed.status == "fail" and not collapsed.passed
    first = collapsed.failures()[0]
    assert first["status"] == "fail" and 2 <= first["generation"] <= GENERATIONS
    assert first["quantity"].split(":")[0] in QUANTITY_KINDS
    verdict = collapsed.verdict()
    assert f"from generation {first['generation']}" in verdict and first["quantity"] in verdict
    failed = {q.name for q in collapsed.quantities if q.test.status == "fail"}
    assert "recall" in failed or "variance_ratio:age" in failed


def test_collapse_loop_quantities_move_as_collapse_predicts(collapsed):
    by_name = {q.name: q for q in collapsed.quantities}
    age = by_name["variance_ratio:age"]
    assert age.reference == pytest.approx(1.0, abs=0.15)
    assert age.values[0] < 0.85 and list(age.values) == sorted(age.values, reverse=True)
    assert by_name["tail_mass:age"].values[0] < 0.2 * by_name["tail_mass:age"].reference  # tails cut at once
    assert by_name["fidelity_distance"].values[-1] > by_name["fidelity_distance"].values[0]
    assert all(se >= q.reference_se for q in collapsed.quantities for se in q.standard_errors)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_healthy_loop_passes(adult_population, seed):
    real, generations = healthy_loop(adult_population, seed)
    result = trend(real, generations, seed=seed, audits=False)
    assert result.status != "fail", result.verdict()
    worst = max(
        d / m for q in result.quantities for d, m in zip(q.test.declines[1:], q.test.fail_margins[1:], strict=True)
    )
    assert worst < 1.0


def test_a_vanishing_tail_of_a_zero_inflated_amount_fails(adult_population):
    """Fresh samples whose capital gains lose their top a little more each generation (the zeros untouched):
    only the upper tail can show it, and it must be measured although the 5th percentile is a mass point."""
    real, *generations = draw_disjoint(adult_population, (2 * ROWS,) + (ROWS,) * GENERATIONS, 3)
    gains = real["capital_gain"].to_numpy()
    real.loc[(gains > 0) & (gains < np.quantile(gains, 0.97)), "capital_gain"] = np.quantile(gains, 0.95)  # tied
    for k, frame in enumerate(generations):
        positive = frame.loc[frame["capital_gain"] > 0, "capital_gain"]
        frame["capital_gain"] = frame["capital_gain"].clip(upper=positive.quantile(1 - 0.3 * k))
    result = trend(real, generations, seed=3, audits=False)
    by_name = {q.name: q for q in result.quantities}
    assert by_name["tail_mass:capital_gain"].test.status == "fail" and result.status == "fail", result.verdict()


def test_text_bigram_loop_fails_and_fresh_text_passes():
    population = bbc_sentences()
    real, *fresh = draw_disjoint(population, (1200, 600, 600, 600, 600), seed=3)
    rng = np.random.default_rng(3)
    current, refit = real, []
    for _ in range(GENERATIONS):
        current = refit_bigrams(current, 600, rng)
        refit.append(current)
    collapsed = trend(real, refit, text=["sentence"], seed=3, audits=False)
    assert collapsed.status == "fail"
    failed = {f["quantity"] for f in collapsed.failures() if f["status"] == "fail"}
    assert failed & {"distinct_2:sentence", "vocabulary_ratio:sentence"}
    healthy = trend(real, fresh, text=["sentence"], seed=3, audits=False)
    assert healthy.status != "fail", healthy.verdict()
    assert {"distinct_2:sentence", "vocabulary_ratio:sentence"} <= {q.name for q in healthy.quantities}


def test_text_losing_its_shortest_and_longest_texts_fails():
    """Fresh real sentences, each generation drawn from a narrower band of lengths (the central 100, 90, 80, 70 %
    of the lengths in words): no text repeats and the vocabulary barely moves, so only the lengths show the
    vanishing tails (this passed, no quantity saw it, before text lengths had a tail mass)."""
    population = bbc_sentences()
    real, pool = draw_disjoint(population, (3000, 12000), seed=4)
    words = pool["sentence"].str.split().str.len()
    generations, used = [], np.zeros(len(pool), dtype=bool)
    for k, cut in enumerate((0.0, 0.05, 0.1, 0.15)):
        band = ~used & words.between(words.quantile(cut), words.quantile(1 - cut)).to_numpy()
        rows = np.random.default_rng(k).choice(np.flatnonzero(band), size=ROWS, replace=False)
        used[rows] = True
        generations.append(pool.iloc[rows].reset_index(drop=True))
    result = trend(real, generations, text=["sentence"], seed=4, audits=False)
    by_name = {q.name: q for q in result.quantities}
    lengths = by_name["length_tail_mass:sentence"]
    assert lengths.test.status == "fail" and result.status == "fail", result.verdict()
    assert lengths.values[-1] < 0.2 * lengths.reference < lengths.values[0]
    assert by_name["distinct_2:sentence"].test.status != "fail"  # no repeats: the diversity measures are blind


def test_holdout_is_the_reference_and_generation_audits_are_recorded(adult_population):
    real, holdout, *generations = draw_disjoint(adult_population, (1500, 600, 400, 400, 400), seed=5)
    policy = {"only": ["fidelity.marginals", "leakage.exact_copies"]}  # fast audits: the same engine, fewer checks
    result = trend(real, generations, holdout, seed=5, policy=policy)
    assert result.reference["kind"] == "holdout" and result.reference["matched_rows"] == 400
    assert [g["index"] for g in result.generations] == [1, 2, 3]
    for generation in result.generations:
        assert generation["audit"]["passed"] is True
        assert generation["audit"]["counts"]["pass"] == 2


def test_json_is_deterministic_and_written_atomically(collapsed, adult_population, tmp_path):
    real, generations = collapse_loop(adult_population, seed=0)
    again = trend(real, generations, seed=0, audits=False)
    assert again.to_json() == collapsed.to_json()
    path = collapsed.write_json(tmp_path / "out" / "trend.json")
    data = json.loads(path.read_text())
    assert data["format"] == "synthaudit.trend/1" and data["status"] == "fail" and data["passed"] is False
    quantity = data["quantities"][0]
    for key in ("values", "standard_errors", "reference", "reference_se", "meaning", "direction", "test"):
        assert key in quantity
    assert len(quantity["values"]) == GENERATIONS and len(quantity["test"]["declines"]) == GENERATIONS
    assert data["failures"][0]["generation"] >= 2 and "timings" not in data
    assert list(tmp_path.joinpath("out").iterdir()) == [path]


# ----------------------------------------------------------------------------- bad input
def test_fewer_than_three_generations_is_bad_input(adult_population):
    real, a, b = draw_disjoint(adult_population, (500, 200, 200), seed=0)
    with pytest.raises(InputError, match="at least 3 generations"):
        trend(real, [a, b], audits=False)


def test_mismatched_columns_name_the_generation_and_the_columns(adult_population):
    real, a, b, c = draw_disjoint(adult_population, (500, 200, 200, 200), seed=0)
    with pytest.raises(InputError, match=r"generation 3 .*missing \['age'\].*extra \['bonus'\]"):
        trend(real, [a, b, c.drop(columns="age").assign(bonus=1)], audits=False)


def test_generations_sharing_no_column_with_real_name_a_generation_file(adult_population, tmp_path):
    real = draw_disjoint(adult_population, (300,), seed=0)[0]
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"gen{i + 1}.csv")
        pd.DataFrame({"sentence": [f"text {j}" for j in range(30)]}).to_csv(paths[-1], index=False)
    with pytest.raises(InputError, match=r"generations \('.*gen1.csv' ...\) have no column name in common"):
        trend(real, paths, audits=False)


def test_a_column_every_generation_lost_is_named_in_the_notes(adult_population):
    """No generation has 'age': nothing can decline, so the result says it was not measured."""
    real, a, b, c = draw_disjoint(adult_population, (500, 200, 200, 200), seed=0)
    result = trend(real, [g.drop(columns="age") for g in (a, b, c)], audits=False)
    assert not any(q.column == "age" for q in result.quantities)
    assert any("missing from every generation" in n and "'age'" in n for n in result.notes)


def test_directory_of_generations_is_sorted_by_name(tmp_path):
    for name in ("gen10.csv", "gen02.csv", "gen01.csv", ".hidden.csv", "notes.md"):
        (tmp_path / name).write_text("a\n1\n")
    assert [p.rsplit("/", 1)[-1] for p in map(str, generation_sources([tmp_path]))] == [
        "gen01.csv",
        "gen02.csv",
        "gen10.csv",
    ]
    with pytest.raises(InputError, match="directory"):
        generation_sources([tmp_path, tmp_path / "gen01.csv", tmp_path / "gen02.csv"])


def test_a_missing_generation_path_is_named_not_counted(tmp_path):
    """A mistyped directory is reported as missing, not as "trend needs at least 3 generations; got 1"."""
    with pytest.raises(InputError, match=r"generation '.*generations' does not exist; check the path"):
        generation_sources([tmp_path / "generations"])
    (tmp_path / "gen1.csv").write_text("a\n1\n")
    with pytest.raises(InputError, match=r"'.*gen2.csv' does not exist"):
        generation_sources([tmp_path / "gen1.csv", tmp_path / "gen2.csv", tmp_path / "gen1.csv"])


def test_directory_numbers_sort_as_numbers_not_as_text(tmp_path):
    """gen1 … gen11 unpadded: gen10 and gen11 come last, not second and third (a decline would be misplaced)."""
    for number in range(1, 12):
        (tmp_path / f"gen{number}.csv").write_text("a\n1\n")
    names = [p.rsplit("/", 1)[-1] for p in map(str, generation_sources([tmp_path]))]
    assert names == [f"gen{number}.csv" for number in range(1, 12)]


# ----------------------------------------------------------------------------- statistics
def test_sidak_multiplier():
    assert sidak_multiplier(3.0, 1) == 3.0
    assert sidak_multiplier(3.0, 3) == pytest.approx(3.32, abs=0.01)
    assert sidak_multiplier(5.0, 5) == pytest.approx(5.30, abs=0.01)
    assert sidak_multiplier(5.0, 50) > sidak_multiplier(5.0, 10) > 5.0


def test_decline_test_names_the_first_generation_past_the_margin():
    test = decline_test(
        [1.0, 0.98, 0.7, 0.5],
        [0.02] * 4,
        higher_is_better=True,
        fail_floor=0.1,
        warn_floor=0.05,
        fail_multiplier=5.0,
        warn_multiplier=3.0,
    )
    assert test.statuses == ("baseline", "pass", "fail", "fail") and test.first_fail == 3 and test.status == "fail"
    assert test.fail_margins[2] == pytest.approx(max(0.1, 5 * math.sqrt(2) * 0.02))
    rising = decline_test(
        [0.1, 0.1, 0.3],
        [0.01] * 3,
        higher_is_better=False,
        fail_floor=0.05,
        warn_floor=0.02,
        fail_multiplier=5,
        warn_multiplier=3,
    )
    assert rising.first_fail == 3
    slope, slope_se = weighted_slope([1.0, 0.9, 0.8], [0.1, 0.1, 0.1])
    assert slope == pytest.approx(-0.1) and slope_se == pytest.approx(0.1 / math.sqrt(2))


def test_single_sample_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    mass = tail_mass(x, -1.6449, 1.6449)
    assert mass.value == pytest.approx(0.1, abs=0.02) and mass.se == pytest.approx(math.sqrt(0.09 / 4000), rel=0.1)
    ratio = variance_ratio(x, 1.0)
    assert ratio.value == pytest.approx(1.0, abs=0.1) and ratio.se == pytest.approx(math.sqrt(2 / 4000), rel=0.15)
    assert presence_null_se(np.array([]), 10) == 0.0
    base, same = rng.normal(size=(400, 5)), rng.normal(size=(400, 5))
    labels = group_labels(400, rng)
    coverage, recall = coverage_and_recall(base, same, 5, labels)
    assert coverage.value > 0.9 and recall.value > 0.85 and 0 < coverage.se < 0.05
    shrunk_coverage, _ = coverage_and_recall(base, 0.3 * same, 5, labels)
    assert shrunk_coverage.value < coverage.value - 0.2
    assert vendi_ratio(base, same, labels).value == pytest.approx(1.0, abs=0.1)
    assert vendi_ratio(base, np.tile(same[:1], (400, 1)), labels).value < 0.3
    distinct, vocabulary = text_diversity(["the cat sat", "the cat sat", "a dog ran far"], np.array([0, 1, 0]))
    assert distinct.value == pytest.approx(5 / 7) and vocabulary.value == 7


# ----------------------------------------------------------------------------- the command line
runner = CliRunner()


@pytest.fixture(scope="module")
def loop_files(tmp_path_factory, adult_population):
    folder = tmp_path_factory.mktemp("trend")
    real, generations = collapse_loop(adult_population, seed=1)
    real.to_csv(folder / "real.csv", index=False)
    (folder / "collapse").mkdir()
    for index, frame in enumerate(generations, start=1):
        frame.to_csv(folder / "collapse" / f"gen{index}.csv", index=False)
    healthy_real, fresh = healthy_loop(adult_population, seed=1)
    healthy_real.to_csv(folder / "healthy_real.csv", index=False)
    for index, frame in enumerate(fresh[:3], start=1):
        frame.iloc[:600].to_csv(folder / f"fresh{index}.csv", index=False)
    return folder


def test_cli_collapse_exits_1_with_json_and_report(loop_files, tmp_path):
    out, report = tmp_path / "trend.json", tmp_path / "trend.html"
    args = ["trend", str(loop_files / "real.csv"), str(loop_files / "collapse"), "--no-audits"]
    result = runner.invoke(app, [*args, "--json", str(out), "--report", str(report)])
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "FAILED (model collapse)" in result.output and "from generation" in result.output
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    data = json.loads(out.read_text())
    assert [g["label"] for g in data["generations"]] == [f"gen{i}.csv" for i in range(1, GENERATIONS + 1)]
    assert report.read_text().count("<svg") == len(data["quantities"])


def test_cli_healthy_loop_exits_0_with_generation_audits(loop_files, tmp_path):
    files = [str(loop_files / f"fresh{i}.csv") for i in (1, 2, 3)]
    policy = tmp_path / "policy.yaml"  # the audits' policy: two checks keep the test fast
    policy.write_text("only:\n  - fidelity.marginals\n  - leakage.exact_copies\n")
    args = ["trend", str(loop_files / "healthy_real.csv"), *files, "--seed", "1", "--config", str(policy)]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.PASSED, result.output
    assert "PASSED" in result.output and "audit passed" in result.output


def test_cli_bad_input_exits_2(loop_files, tmp_path):
    two = runner.invoke(
        app, ["trend", str(loop_files / "real.csv"), *(str(loop_files / f"fresh{i}.csv") for i in (1, 2))]
    )
    assert two.exit_code == ExitCode.USAGE_ERROR and "at least 3 generations" in two.output
    pd.read_csv(loop_files / "fresh3.csv").drop(columns="sex").to_csv(tmp_path / "odd.csv", index=False)
    files = [str(loop_files / "fresh1.csv"), str(loop_files / "fresh2.csv"), str(tmp_path / "odd.csv")]
    odd = runner.invoke(app, ["trend", str(loop_files / "real.csv"), *files, "--no-audits"])
    assert odd.exit_code == ExitCode.USAGE_ERROR and "generation 3" in odd.output and "'sex'" in odd.output
