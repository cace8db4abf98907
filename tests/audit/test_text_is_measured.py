"""On data with text, no distance, membership or detection check passes without having measured the text.

The data are BBC news sentences with their topic (the situation the gate-integrity issue saw: a required
distance check that ran on the one-hot topic alone, found every row at distance 0 on both sides, and passed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit.context_text
from synthaudit.checks.fidelity.detection import DetectionCheck
from synthaudit.checks.leakage.dcr import DistanceToClosestRecordCheck
from synthaudit.checks.leakage.membership import MembershipInferenceCheck
from synthaudit.result import Status
from tests.checks.diversity.test_duplicates import text_split
from tests.conftest import make_context

CHECKS = (DetectionCheck, DistanceToClosestRecordCheck, MembershipInferenceCheck)
pytestmark = pytest.mark.xdist_group("text-is-measured")  # one worker embeds the texts once (shared cache)


@pytest.fixture(scope="module")
def texts() -> list[pd.DataFrame]:
    real, holdout, synth = text_split(11, real=500, holdout=300, synth=300)
    return [real.rename(columns={"sentence": "body"}) for real in (real, holdout, synth)]


def word_salad(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Incoherent text with the real vocabulary, lengths and topics: each text's words drawn from all texts."""
    rng = np.random.default_rng(seed)
    words = np.array(" ".join(frame["body"]).split(), dtype=object)
    out = frame.copy()
    out["body"] = [" ".join(rng.choice(words, size=len(t.split()))) for t in frame["body"]]
    return out


@pytest.fixture(scope="module")
def clean_context(texts):
    real, holdout, synth = texts
    return make_context(real, synth, holdout, seed=0, text=["body"])


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_each_check_measures_the_text_and_passes_clean_text(clean_context, check):
    result = check().run(clean_context)
    assert result.status is Status.PASS, result.summary
    assert result.columns["body"].startswith("text"), result.columns
    assert result.columns.get("topic") == "categorical"


def test_incoherent_text_with_the_real_topics_fails_detection(texts):
    real, holdout, synth = texts
    result = DetectionCheck().run(make_context(real, word_salad(synth, 0), holdout, seed=0, text=["body"]))
    assert result.status is Status.FAIL, result.summary
    assert result.tables[0].rows[0]["column"].startswith("body")


def test_copied_texts_fail_the_distance_and_membership_checks(texts):
    real, holdout, synth = texts
    leaky = synth.copy()
    leaky.iloc[:150] = real.iloc[:150].to_numpy()  # half of the synthetic rows are training rows, text included
    ctx = make_context(real, leaky, holdout, seed=0, text=["body"])
    assert DistanceToClosestRecordCheck().run(ctx).status is Status.FAIL
    assert MembershipInferenceCheck().run(ctx).status is Status.FAIL


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_without_embeddings_the_checks_skip_rather_than_pass_on_the_other_columns(texts, monkeypatch, check):
    real, holdout, synth = texts
    monkeypatch.setattr(synthaudit.context_text, "embeddings_unavailable_reason", lambda options: "not installed here")
    result = check().run(make_context(real, synth, holdout, seed=0, text=["body"]))
    assert result.status is Status.SKIPPED
    assert "body" in (result.skipped_reason or "") and "not installed here" in (result.skipped_reason or "")
