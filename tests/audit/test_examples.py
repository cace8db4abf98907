"""--show-examples: flagged synthetic texts beside their nearest real text, masked; nothing without the flag."""

from __future__ import annotations

import json

import numpy as np

from synthaudit.api import audit
from synthaudit.artefacts.masking import mask_personal_data, shorten
from synthaudit.reports.html import render_html
from tests.checks.diversity.test_duplicates import text_split


def test_masking_hides_addresses_numbers_and_names_but_keeps_the_wording():
    text = "Write to John Smith at john.smith@example.org or call +44 20 7946 0958. The answer is 42."
    masked = mask_personal_data(text)
    assert masked == "Write to [NAME] [NAME] at [EMAIL] or call [NUMBER]. The answer is 42."
    assert mask_personal_data("Visit https://x.org/a from 10.0.0.1, card 4111 1111 1111 1111.") == (
        "Visit [URL] from [IP], card [NUMBER]."
    )
    assert mask_personal_data("Sure! Here is what I think.") == "Sure! Here is what I think."
    assert shorten("word " * 100, 40).endswith("…") and len(shorten("word " * 100, 40)) <= 41


def _copied(seed: int = 3):
    real, holdout, synth = text_split(seed, real=300, holdout=150, synth=150)
    synth = synth.copy()
    rows = np.random.default_rng(seed).choice(len(synth), size=45, replace=False)
    with_mail = [f"Mail Anna Berg at anna.berg@example.org. {s}" for s in real["sentence"].to_numpy()[:45]]
    synth.iloc[rows, synth.columns.get_loc("sentence")] = with_mail
    real = real.copy()
    real.iloc[:45, real.columns.get_loc("sentence")] = with_mail
    return real, holdout, synth


def test_examples_only_with_the_flag_and_masked(tmp_path):
    real, holdout, synth = _copied()
    only = ("leakage.text_near_duplicates",)
    plain = audit(real, synth, holdout, text=["sentence"], only=only, cache_dir=tmp_path)
    check = plain.checks["leakage.text_near_duplicates"]
    assert check.status.value == "fail" and check.examples == ()
    assert "Flagged examples" not in render_html(plain)

    shown = audit(real, synth, holdout, text=["sentence"], only=only, cache_dir=tmp_path, show_examples=True)
    examples = shown.checks["leakage.text_near_duplicates"].examples
    assert 1 <= len(examples) <= 5
    for example in examples:
        assert example["synthetic_row"] in set(synth.index)
        assert example["similarity"] > 0.9  # a copy sits next to its real source
        assert "[EMAIL]" in example["synthetic_text"] and "[NAME]" in example["nearest_real_text"]
    document = shown.to_json()
    assert "anna.berg@example.org" not in document and "Anna Berg" not in document
    assert json.loads(document)["checks"][0]["examples"]
    html = render_html(shown)
    assert "Flagged examples" in html and "anna.berg" not in html
