from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthaudit.checks.leakage.pii import (
    PiiCheck,
    canonical_value,
    installed_spacy_model,
    pii_detector,
    prefilter,
    real_value_index,
)
from synthaudit.result import AuditResult, GateDecision, Status
from synthaudit.testing import check_contract
from tests.checks.leakage.test_text_near_duplicates import bbc_sentences, text_split
from tests.conftest import make_context


@pytest.fixture(scope="module")
def sentences() -> np.ndarray:
    return bbc_sentences()


def card_number(rng: np.random.Generator) -> str:
    """A Luhn-valid 16-digit Visa-like number, printed in groups of four."""
    digits = [4, *rng.integers(0, 10, 14).tolist()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    number = "".join(map(str, digits))
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def plant_pii(frame: pd.DataFrame, frac: float, tag: str, seed: int) -> pd.DataFrame:
    """Append a fresh e-mail address or card number (unique to this side) to a share ``frac`` of the texts."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    texts = out["text"].to_numpy().copy()
    for j, row in enumerate(rng.choice(len(out), size=round(frac * len(out)), replace=False)):
        if j % 2:
            texts[row] += f" Write to {tag}.user{rng.integers(10**8)}@example.com for details."
        else:
            texts[row] += f" The order was paid with card {card_number(rng)}."
    out["text"] = texts
    return out


def clean_sides(sentences, seed, sizes=(2000, 1000, 1000), frac=0.05):
    real, holdout, synth = text_split(sentences, seed, sizes)
    return (
        plant_pii(real, frac, "real", seed),
        plant_pii(holdout, frac, "hold", seed + 1),
        plant_pii(synth, frac, "synth", seed + 2),
    )


def result_json(result) -> str:
    wrapper = AuditResult(
        passed=True,
        gate=GateDecision(True),
        checks_list=(result,),
        inputs={},
        policy={},
        seed=0,
        tool_version="test",
        reference={},
    )
    return wrapper.to_json()


# ----------------------------------------------------------------- the check
def test_contract_on_texts_with_personal_data(sentences):
    order = np.random.default_rng(0).permutation(len(sentences))

    def sample(n: int, seed: int) -> pd.DataFrame:
        texts = pd.DataFrame({"text": sentences[order[seed * n : (seed + 1) * n]]})
        return plant_pii(texts, 0.05, f"side{seed}", seed)

    result = check_contract(PiiCheck, sample=sample, n=300)
    assert result.status is Status.PASS, result.summary
    assert {m.name for m in result.metrics if m.gating} == {"replayed_pii_values", "pii_row_share"}


def test_contract_without_string_columns_skips():
    result = check_contract(PiiCheck)
    assert result.status is Status.SKIPPED
    assert "scan" in (result.skipped_reason or "")


@pytest.mark.parametrize("with_holdout", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passes_on_independent_samples(sentences, seed, with_holdout):
    real, holdout, synth = clean_sides(sentences, seed)
    result = PiiCheck().run(make_context(real, synth, holdout if with_holdout else None, seed=seed))
    assert result.status is Status.PASS, result.summary
    assert result.metric("replayed_pii_values").value == 0
    assert result.metric("pii_row_share").value > 0.03  # the planted PII is found


@pytest.mark.parametrize("with_holdout", [True, False])
def test_fails_when_real_pii_is_replayed(sentences, with_holdout):
    real, holdout, synth = clean_sides(sentences, 4)
    base = make_context(real, synth, holdout if with_holdout else None).synthetic_pair.base
    with_pii = base["text"][base["text"].str.contains("@example.com|paid with card", regex=True)]
    leaky = synth.copy()
    leaky.loc[:9, "text"] = with_pii.to_numpy()[:10]
    result = PiiCheck().run(make_context(real, leaky, holdout if with_holdout else None))
    assert result.status is Status.FAIL, result.summary
    replay = result.metric("replayed_pii_values")
    assert replay.value >= 10 and replay.passed is False
    assert result.metric("pii_row_share").passed is True  # the rate barely moved: replay alone fails
    top = result.tables[0].rows[0]
    assert top["entity_type"] in {"EMAIL_ADDRESS", "CREDIT_CARD"} and top["replayed_values"] > 0
    assert set(result.evidence["replayed_pii_synthetic_rows"]) == set(range(10))
    # The report must not republish the personal data it found.
    payload = result_json(result)
    for text in with_pii.to_numpy()[:10]:
        for token in text.split():
            if "@" in token:
                assert token.rstrip(".") not in payload


def test_a_single_replayed_email_fails(sentences):
    real, holdout, synth = clean_sides(sentences, 5)
    address = real["text"].str.extract(r"(real\.user\d+@example\.com)")[0].dropna().iloc[0]
    leaky = synth.copy()
    leaky.loc[3, "text"] = f"Please forward the minutes to {address} before Friday."
    result = PiiCheck().run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL, result.summary
    assert result.metric("replayed_pii_values").value == 1
    assert result.metric("replayed_pii_values").reference_value == 0
    assert result.evidence["replayed_pii_synthetic_rows"] == (3,)
    assert address not in result_json(result)


def test_replayed_card_number_with_other_separators_fails(sentences):
    real, holdout, synth = clean_sides(sentences, 6)
    card = real["text"].str.extract(r"card (\d{4} \d{4} \d{4} \d{4})")[0].dropna().iloc[0]
    leaky = synth.copy()
    leaky.loc[0, "text"] = f"Charge it to {card.replace(' ', '-')} please."
    result = PiiCheck().run(make_context(real, leaky, holdout))
    assert result.status is Status.FAIL
    row = next(r for r in result.tables[0].rows if r["entity_type"] == "CREDIT_CARD")
    assert row["replayed_values"] == 1


def test_pii_rate_increase_warns_without_failing(sentences):
    real, holdout, synth = clean_sides(sentences, 7)
    more = plant_pii(synth, 0.15, "extra", 99)
    result = PiiCheck().run(make_context(real, more, holdout))
    assert result.status is Status.WARN, result.summary
    rate = result.metric("pii_row_share")
    assert rate.value > rate.warn_threshold
    assert result.metric("replayed_pii_values").passed is True


def test_identifier_column_of_emails_passes_when_fresh_and_fails_when_replayed(adult_split):
    real, holdout, synth = adult_split(3, real=1000, holdout=500, synth=500)
    real = real.assign(email=[f"person{i}@mail.example.org" for i in range(len(real))])
    holdout = holdout.assign(email=[f"held{i}@mail.example.org" for i in range(len(holdout))])
    fresh = synth.assign(email=[f"new{i}@mail.example.org" for i in range(len(synth))])
    ok = PiiCheck().run(make_context(real, fresh, holdout))
    assert ok.status is Status.PASS, ok.summary  # every row carries PII on both sides: no rate alarm
    assert ok.metric("pii_row_share").value == 1.0
    replayed = fresh.copy()
    replayed.loc[:4, "email"] = real["email"].to_numpy()[:5]
    bad = PiiCheck().run(make_context(real, replayed, holdout))
    assert bad.status is Status.FAIL
    assert bad.metric("replayed_pii_values").value == 5


def test_names_are_skipped_without_a_spacy_model(sentences):
    if installed_spacy_model() is not None:
        pytest.skip("a spaCy model is installed here: names are scanned")
    real, holdout, synth = clean_sides(sentences, 8, sizes=(400, 200, 200))
    result = PiiCheck().run(make_context(real, synth, holdout))
    assert "names were not scanned" in result.summary
    assert "PERSON" not in {row["entity_type"] for row in result.tables[0].rows}


def test_deterministic_and_sample_cap_recorded(sentences):
    real, holdout, synth = clean_sides(sentences, 9, sizes=(1200, 600, 600))
    params = PiiCheck.Params(max_rows=300)
    first = PiiCheck(params).run(make_context(real, synth, holdout, seed=2))
    assert first == PiiCheck(params).run(make_context(real, synth, holdout, seed=2))
    assert first.sample_sizes["synthetic_rows"] == 300
    assert first.sample_sizes["reference_rows"] == 300


# ----------------------------------------------------------------- detection and look-up functions
def test_detector_finds_each_pattern_entity_offline():
    detector = pii_detector()
    text = (
        "Mail jane.doe@example.co.uk, call +1 415 555 2671, card 4111 1111 1111 1111, "
        "IBAN GB82 WEST 1234 5698 7654 32, host 192.168.10.20, SSN 536-22-8174."
    )
    found = {entity for entity, _ in detector.detect(text, detector.entities, 0.4)}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN"} <= found
    assert pii_detector() is detector  # built once


def test_detector_ignores_invalid_card_numbers_and_plain_numbers():
    detector = pii_detector()
    found = detector.detect("Card 4111 1111 1111 1112 and profits of $1.13bn in 2004.", detector.entities, 0.4)
    assert all(entity != "CREDIT_CARD" for entity, _ in found)


def test_canonical_values():
    assert canonical_value("CREDIT_CARD", "4111-1111 1111.1111") == "4111111111111111"
    assert canonical_value("EMAIL_ADDRESS", "Jane.Doe@Example.COM") == "jane.doe@example.com"
    assert canonical_value("IBAN_CODE", "gb82 west 1234") == "GB82WEST1234"
    assert canonical_value("IP_ADDRESS", "10.0.0.1/24") == "10.0.0.1"


def test_real_value_index_matches_whole_digit_groups_only():
    index = real_value_index(
        ["call 020 7946 0018 / 020 7946 0019 now", "id 99990207946001899", "mail Jane@Example.com."],
        digit_lengths=[11],
        iban_lengths=[],
    )
    assert "02079460018" in index["digits"] and "02079460019" in index["digits"]
    assert "99990207946" not in index["digits"]  # no window across the middle of a digit group
    assert "jane@example.com" in index["EMAIL_ADDRESS"]


_plain = st.text(alphabet=st.sampled_from(list("abcdefghij klmnop,;!?")), max_size=80)


@settings(max_examples=80, deadline=None)
@given(_plain, _plain, st.sampled_from(["x.y@mail.org", "555 123 4567", "4111 1111 1111 1111", "10.1.2.3"]))
def test_prefilter_keeps_every_pii_shape_and_drops_plain_words(before, after, pii):
    digits, other = prefilter(pd.Series([f"{before} {pii} {after}", before]))
    assert digits[0] or other[0]
    assert not (digits[1] or other[1])


def test_integer_record_numbers_are_not_scanned(adult_split):
    real, holdout, synth = adult_split(2, real=600, holdout=300, synth=300)
    ids = 4_000_000_000_000_000
    real = real.assign(person_id=np.arange(len(real)) + ids)
    holdout = holdout.assign(person_id=np.arange(len(holdout)) + ids + 10**6)
    synth = synth.assign(person_id=real["person_id"].to_numpy()[: len(synth)])
    ctx = make_context(real, synth, holdout)
    assert "person_id" in ctx.data.ids
    result = PiiCheck().run(ctx)
    assert result.status is Status.SKIPPED
