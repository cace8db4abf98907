from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from synthaudit.api import audit
from synthaudit.artefacts.ngrams import item_patterns, scan_texts
from synthaudit.checks.leakage.contamination import EvalContaminationCheck
from synthaudit.cli import ExitCode, app
from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.errors import InputError
from synthaudit.result import Status
from synthaudit.testing import check_contract, clean_sample
from tests.checks.diversity.test_duplicates import bbc_sentences
from tests.conftest import draw_disjoint


def context(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    evals: dict[str, pd.DataFrame] | None = None,
    *,
    seed: int = 0,
    **roles: object,
) -> AuditContext:
    data = align(
        load_table(real, label="real"),
        load_table(synth, label="synthetic"),
        None if holdout is None else load_table(holdout, label="holdout"),
        eval_sets={name: load_table(frame, label="eval set") for name, frame in (evals or {}).items()},
        **roles,  # type: ignore[arg-type]
    )
    return AuditContext(data, seed=seed)


def bbc_split(seed: int) -> list[pd.DataFrame]:
    """Disjoint real, holdout, synthetic and eval samples of BBC sentences (2000, 1000, 1000, 500)."""
    return draw_disjoint(bbc_sentences(), (2000, 1000, 1000, 500), seed)


def scan(texts: list[str], items: list[str], ngram: int = 13, min_item_words: int = 8) -> list[int]:
    spec = item_patterns(items, ngram, min_item_words)
    [(positions, _, _)] = scan_texts(texts, [spec.patterns])
    return positions.tolist()


# ----------------------------------------------------------------------------- the matching rule
LONG_ITEM = "The committee said the new rules would come into force at the start of next year across the country"


def test_thirteen_shared_words_count_and_twelve_do_not():
    words = LONG_ITEM.split()
    thirteen = "Earlier today, " + " ".join(words[2:15]) + " said a spokesman."
    twelve = "Earlier today, " + " ".join(words[2:14]) + " said a spokesman."
    assert scan([thirteen, twelve], [LONG_ITEM]) == [0]


def test_matching_ignores_case_whitespace_and_punctuation():
    messy = "  THE committee said:   the new rules -- would come into force at the START of next year, across!"
    assert scan([messy], [LONG_ITEM]) == [0]


def test_short_items_match_verbatim_and_too_short_items_never():
    item = "Profits rose sharply in the third quarter"  # 7 words
    text = "Analysts noted that profits rose sharply in the third quarter of the year."
    assert scan([text], [item], min_item_words=7) == [0]
    assert scan([text], [item], min_item_words=8) == []
    assert item_patterns([item, "Yes."], 13, 8).too_short == 2


def test_words_of_one_text_do_not_join_the_next():
    words = LONG_ITEM.split()
    first, second = " ".join(words[:7]), " ".join(words[7:14])  # the 13-gram spans two texts
    assert scan([first, second], [LONG_ITEM]) == []


WORDS = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"]), max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    item=st.lists(st.sampled_from(["one", "two", "three", "four"]), min_size=13, max_size=20),
    before=WORDS,
    after=WORDS,
    others=st.lists(WORDS, max_size=5),
)
def test_an_item_inside_any_text_is_found_wherever_it_sits(item, before, after, others):
    texts = [" ".join(w) for w in others] + [" ".join([*before, *item, *after])]
    assert scan(texts, [" ".join(item)]) == [len(others)]  # found once, in the right text; vocabularies disjoint


# ----------------------------------------------------------------------------- text data
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_held_apart_text_passes(seed):
    real, holdout, synth, evaluation = bbc_split(seed)
    result = EvalContaminationCheck().run(context(real, synth, holdout, {"eval.jsonl": evaluation}, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert {r["eval_set"] for r in result.tables[0].rows} == {"eval.jsonl", "holdout"}
    assert result.sample_sizes["reference_rows"] == len(synth)
    assert "sentence" in result.columns


def plant(synth: pd.DataFrame, evaluation: pd.DataFrame, share: float, *, as_ngram: bool, seed: int = 0):
    """Replace ``share`` of the synthetic sentences by eval items, whole or as a 13-word run in a longer text."""
    rng = np.random.default_rng(seed)
    long_items = evaluation[evaluation["sentence"].str.split().str.len() >= 20]
    k = round(share * len(synth))
    rows = rng.choice(len(synth), size=k, replace=False)
    items = long_items.sample(k, random_state=seed)
    out = synth.copy()
    planted = []
    for item in items["sentence"]:
        if as_ngram:
            words = re.findall(r"\w+", item)  # normalised words: a lone dash or "U.S." would change the count
            start = int(rng.integers(0, len(words) - 13 + 1))
            planted.append(f"In other news, {' '.join(words[start : start + 13])} and more was said about it.")
        else:
            planted.append(item)
    out.loc[rows, "sentence"] = planted
    return out, rows, items.index.to_numpy()


@pytest.mark.parametrize("as_ngram", [False, True], ids=["verbatim", "13-gram"])
def test_planted_eval_items_fail_and_name_the_eval_set(as_ngram):
    real, holdout, synth, evaluation = bbc_split(7)
    leaky, rows, items = plant(synth, evaluation, 0.05, as_ngram=as_ngram)
    result = EvalContaminationCheck().run(context(real, leaky, holdout, {"bench.jsonl": evaluation}))
    assert result.status is Status.FAIL, result.summary
    assert "bench.jsonl" in result.metric("contaminated_share").description
    table = {r["eval_set"]: r for r in result.tables[0].rows}
    assert table["bench.jsonl"]["status"] == "fail" and table["holdout"]["status"] == "pass"
    assert table["bench.jsonl"]["contaminated_synthetic_rows"] >= len(rows)
    if as_ngram:
        assert table["bench.jsonl"]["verbatim_synthetic_rows"] < len(rows) // 2
    else:
        assert table["bench.jsonl"]["verbatim_synthetic_rows"] >= len(rows)
    shown = result.evidence["contaminated_synthetic_rows:bench.jsonl"]
    matched = result.evidence["matched_eval_rows:bench.jsonl"]
    assert 0 < len(shown) == len(matched) <= 20
    assert set(shown) <= set(rows) | set(range(len(synth)))
    planted_pairs = dict(zip(rows.tolist(), items.tolist(), strict=True))
    assert all(planted_pairs[s] == m for s, m in zip(shown, matched, strict=True) if s in planted_pairs)
    blob = json.dumps([result.summary, list(result.tables[0].rows), dict(result.evidence)])
    assert not any(text in blob for text in evaluation["sentence"])  # row numbers only, never the texts


SYSTEM_PROMPT = "You are a careful assistant. Answer the question in one or two sentences, citing the story."


def with_system_prompt(frame: pd.DataFrame) -> pd.DataFrame:
    """A chat file's constant system prompt beside each text, as the chat loader's ``system`` column."""
    return frame.assign(system=SYSTEM_PROMPT)


def test_a_system_prompt_on_every_row_is_boilerplate_not_an_item():
    """Chat files repeat one system prompt: counted as an eval item, it marked every real and synthetic row
    contaminated (reference 100 %) and hid planted eval items entirely (a leaky sample passed)."""
    real, holdout, synth, evaluation = (with_system_prompt(f) for f in bbc_split(7))
    leaky, rows, _ = plant(synth, evaluation, 0.05, as_ngram=False)
    check = EvalContaminationCheck()
    roles = {"text": ["sentence", "system"]}
    failed = check.run(context(real, leaky, holdout, {"bench.jsonl": evaluation}, **roles))
    assert failed.status is Status.FAIL, failed.summary
    table = {r["eval_set"]: r for r in failed.tables[0].rows}
    assert table["bench.jsonl"]["reference_share"] < 0.02 and table["bench.jsonl"]["eval_items_boilerplate"] >= 500
    assert set(failed.evidence["contaminated_synthetic_rows:bench.jsonl"]) <= set(rows.tolist())
    clean = check.run(context(real, synth, holdout, {"bench.jsonl": evaluation}, **roles))
    assert clean.status is Status.PASS, clean.summary
    only_template = check.run(context(real, synth, None, {"bench.jsonl": evaluation[["system"]]}, **roles))
    assert only_template.status is Status.SKIPPED and "boilerplate" in (only_template.skipped_reason or "")


def test_a_passage_several_eval_questions_share_is_an_item_not_boilerplate():
    """A reading-comprehension eval set repeats each passage on several rows (one per question); the real data
    does not hold them, so they stay items: synthetic rows carrying eval passages fail (they passed 0 vs 0 when
    any run of 3+ eval rows counted as boilerplate)."""
    sentences = bbc_sentences()["sentence"]
    long = sentences[sentences.str.split().str.len() >= 20].reset_index(drop=True)
    order = np.random.default_rng(3).permutation(len(long))
    passages = long.iloc[order[:60]].tolist()
    questions = [f"Question {i}: what does the passage say about item number {i}?" for i in range(240)]
    evaluation = pd.DataFrame({"context": [p for p in passages for _ in range(4)], "question": questions})
    real, holdout, synth = (
        pd.DataFrame({"context": long.iloc[order[a : a + 400]].tolist(), "question": "What happened next?"})
        for a in (100, 500, 900)
    )
    roles = {"text": ["context", "question"]}
    clean = EvalContaminationCheck().run(context(real, synth, holdout, {"squad.jsonl": evaluation}, **roles))
    assert clean.status is Status.PASS, clean.summary
    leaky = synth.copy()
    leaky.loc[:39, "context"] = passages[:40]  # 10 % of the rows carry an eval passage
    failed = EvalContaminationCheck().run(context(real, leaky, holdout, {"squad.jsonl": evaluation}, **roles))
    assert failed.status is Status.FAIL, failed.summary
    table = {r["eval_set"]: r for r in failed.tables[0].rows}
    assert table["squad.jsonl"]["contaminated_synthetic_rows"] >= 40
    assert table["squad.jsonl"]["eval_items_boilerplate"] == 0


def test_boilerplate_is_counted_by_distinct_eval_rows():
    items = [LONG_ITEM, LONG_ITEM, "Another sentence of the benchmark that is long enough to be an item here"]
    spec = item_patterns(items, 13, 8, rows=[0, 1, 2], boilerplate_rows=3)
    assert spec.boilerplate == 0 and scan([LONG_ITEM], items) == [0]  # an item repeated once is still an item
    spec = item_patterns(items, 13, 8, rows=[0, 1, 2], boilerplate_rows=2)
    assert spec.boilerplate == 2
    [(positions, _, _)] = scan_texts([LONG_ITEM, items[2]], [spec.patterns])
    assert positions.tolist() == [1]
    same_row = item_patterns(items, 13, 8, rows=[0, 0, 1], boilerplate_rows=2)  # two columns of one row
    assert same_row.boilerplate == 0


def test_holdout_counts_as_an_eval_set_and_is_not_its_own_reference():
    real, holdout, synth, _ = bbc_split(4)
    leaky, _, _ = plant(synth, holdout, 0.05, as_ngram=False)
    result = EvalContaminationCheck().run(context(real, leaky, holdout))
    assert result.status is Status.FAIL, result.summary
    row = result.tables[0].rows[0]
    assert row["eval_set"] == "holdout" and row["reference_share"] < 0.02  # real rows, not the holdout itself
    off = EvalContaminationCheck(EvalContaminationCheck.Params(include_holdout=False)).run(
        context(real, leaky, holdout)
    )
    assert off.status is Status.SKIPPED


def test_skips_without_eval_set_or_holdout():
    real, _, synth, _ = bbc_split(5)
    ctx = context(real, synth)
    result = EvalContaminationCheck().run(ctx)
    assert result.status is Status.SKIPPED and "--eval-set" in (result.skipped_reason or "")
    assert EvalContaminationCheck.not_applicable(ctx)


def test_an_eval_set_without_the_text_column_is_bad_input():
    """Matched on its other columns alone, the named eval set went unchecked while the audit passed."""
    real, holdout, synth, evaluation = bbc_split(5)
    with pytest.raises(InputError, match=r"labels\.csv.*shares none of the text columns \['sentence'\]"):
        context(real, synth, holdout, evals={"labels.csv": evaluation[["topic"]].rename_axis(None)})
    other = evaluation.rename(columns={"sentence": "question"})
    with pytest.raises(InputError, match="rename its text column"):
        context(real, synth, holdout, evals={"labels.csv": other})


# ----------------------------------------------------------------------------- tabular data
@pytest.mark.parametrize("seed", [1, 2])
def test_clean_tabular_sample_passes(adult_population, seed):
    real, holdout, synth, evaluation = draw_disjoint(adult_population, (4000, 2000, 2000, 2000), seed)
    result = EvalContaminationCheck().run(context(real, synth, holdout, {"test.csv": evaluation}, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert result.tables[0].rows[0]["rule"].startswith("row")


def test_planted_tabular_eval_rows_fail(adult_population):
    real, holdout, synth, evaluation = draw_disjoint(adult_population, (4000, 2000, 2000, 2000), 3)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(synth), size=60, replace=False)
    leaky = synth.copy()
    leaky.iloc[rows] = evaluation.iloc[rng.choice(len(evaluation), size=60, replace=False)].to_numpy()
    result = EvalContaminationCheck().run(context(real, leaky, holdout, {"test.csv": evaluation}))
    assert result.status is Status.FAIL, result.summary
    assert {r["eval_set"]: r for r in result.tables[0].rows}["test.csv"]["contaminated_synthetic_rows"] >= 60
    shown = set(result.evidence["contaminated_synthetic_rows:test.csv"])
    assert len(shown & set(rows.tolist())) >= len(shown) - 2  # Adult repeats itself: a natural copy may show


def test_check_contract():
    check_contract(EvalContaminationCheck)


# ----------------------------------------------------------------------------- inputs: API and CLI
def test_api_records_eval_sets_and_rejects_one_without_shared_columns(tmp_path):
    real, holdout, synth, evaluation = (clean_sample(400, seed) for seed in range(4))
    path = tmp_path / "bench.jsonl"
    evaluation.to_json(path, orient="records", lines=True)
    result = audit(real, synth, holdout, eval_sets=[path], only=["leakage.contamination"])
    assert result.inputs["eval set bench.jsonl"]["sha256"]
    assert result.checks["leakage.contamination"].status is Status.PASS
    named = audit(real, synth, eval_sets={"bench": evaluation, "holdout": holdout}, only=["leakage.contamination"])
    assert {"eval set bench", "eval set holdout #2"} <= set(named.inputs)
    other = tmp_path / "other.csv"
    pd.DataFrame({"unrelated": range(30)}).to_csv(other, index=False)
    with pytest.raises(InputError, match=r"other\.csv"):
        audit(real, synth, eval_sets=[other], only=["leakage.contamination"])


@pytest.fixture()
def table_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real, holdout, synth, evaluation = (clean_sample(400, seed) for seed in range(4))
    leaky = synth.copy()
    leaky.iloc[:40] = evaluation.iloc[100:140].to_numpy()  # 10 % of the synthetic rows are eval rows
    paths = {}
    for name, frame in {"real": real, "holdout": holdout, "synth": synth, "leaky": leaky, "eval": evaluation}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def test_cli_eval_set_fails_contaminated_data_and_passes_clean(table_files):
    runner = CliRunner()
    common = ["--holdout", str(table_files["holdout"]), "--eval-set", str(table_files["eval"])]
    common += ["--only", "leakage.contamination", "--no-report"]
    leaky = runner.invoke(app, ["check", str(table_files["real"]), str(table_files["leaky"]), *common])
    assert leaky.exit_code == ExitCode.FAILED, leaky.output
    assert "eval.csv" in leaky.output
    clean = runner.invoke(app, ["check", str(table_files["real"]), str(table_files["synth"]), *common])
    assert clean.exit_code == ExitCode.PASSED, clean.output


def test_cli_missing_eval_set_exits_2(table_files):
    result = CliRunner().invoke(
        app, ["check", str(table_files["real"]), str(table_files["synth"]), "--eval-set", "nowhere.jsonl"]
    )
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert "nowhere.jsonl" in result.output


def test_eval_sets_keep_shared_columns_typed_like_the_real_data():
    real = pd.DataFrame({"age": [30, 40, 50] * 10, "city": ["a", "b", "c"] * 10})
    evaluation = pd.DataFrame({"age": ["40", "x", "50"], "city": ["b", "c", "a"], "extra": [1, 2, 3]})
    ctx = context(real, real, evals={"bench": evaluation})
    frame = ctx.eval_sets()["bench"]
    assert list(frame.columns) == ["age", "city"] and frame["age"].dtype == float
    assert frame["age"].isna().tolist() == [False, True, False]
    assert any("'bench'" in note for note in ctx.data.notes)
