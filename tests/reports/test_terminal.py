from __future__ import annotations

import io

from rich.console import Console

from synthaudit import audit
from synthaudit.reports.terminal import render_summary
from tests.conftest import inject_exact_copies


def _render(result) -> str:
    buffer = io.StringIO()
    render_summary(result, Console(file=buffer, width=140, color_system=None))
    return buffer.getvalue()


def test_summary_shows_every_check_and_the_verdict(adult_split):
    real, holdout, synth = adult_split(20, real=2000, holdout=1000, synth=1000)
    text = _render(audit(real, synth, holdout=holdout))
    for name in ("constraints.schema", "fidelity.marginals", "leakage.exact_copies"):
        assert name in text
    assert "PASSED" in text and "reference: holdout" in text


def test_failed_summary_gives_reasons(adult_split):
    real, holdout, synth = adult_split(21, real=2000, holdout=1000, synth=1000)
    text = _render(audit(real, inject_exact_copies(synth, real, 0.1), holdout=holdout))
    assert "FAILED" in text and "leakage.exact_copies failed" in text
