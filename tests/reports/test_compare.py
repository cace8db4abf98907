"""Renderers of a comparison: terminal table within 80 columns, Markdown for pull requests, safe HTML."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import pytest
from rich.console import Console

from synthaudit.compare import compare_results
from synthaudit.reports.compare import (
    TERMINAL_WIDTH,
    render_comparison_html,
    render_comparison_markdown,
    render_comparison_summary,
    write_comparison_html,
    write_comparison_markdown,
)
from synthaudit.result import Status
from tests.audit.test_compare import make_check, make_result

HOSTILE = "leakage.<script>alert(1)</script>|@everyone"


@pytest.fixture
def regression():
    """A comparison with a regression, a long metric name, a margin-based z, a status change and a note."""
    params = {"copy_margin": {"warn_se": 3.0, "fail_se": 5.0, "warn_floor": 0.001, "fail_floor": 0.02}}
    long_metric = "share_of_synthetic_rows_closer_to_training_than_any_holdout_row_by_a_wide_margin"
    baseline = make_result(
        [
            make_check("leakage.exact_copies", 0.0, se=0.0, params=params),
            make_check("fidelity.marginals_with_a_rather_long_check_name", 0.01, metric=long_metric),
        ]
    )
    current = make_result(
        [
            make_check("leakage.exact_copies", 0.05, se=0.0, params=params, status=Status.FAIL),
            make_check("fidelity.marginals_with_a_rather_long_check_name", 0.0101, metric=long_metric),
        ],
        passed=False,
    )
    return compare_results(
        baseline, replace(current, seed=3), baseline_label="runs/v1.json", current_label="runs/v2.json"
    )


@pytest.fixture
def hostile():
    return compare_results(
        make_result([make_check(HOSTILE, metric="rate*_[x](http://evil)`")]),
        make_result([make_check(HOSTILE, 0.5, metric="rate*_[x](http://evil)`", status=Status.FAIL)], passed=False),
        baseline_label="<b>v1</b>.json",
        current_label="@here v2.json",
    )


def terminal(comparison, width: int) -> str:
    buffer = io.StringIO()
    render_comparison_summary(comparison, Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 200])
def test_terminal_table_fits_80_columns(regression, width):
    text = terminal(regression, width)
    assert max(len(line) for line in text.splitlines()) <= TERMINAL_WIDTH
    for header in ("check / metric", "baseline", "current", "change", "z", "verdict"):
        assert header in text
    assert "leakage.exact_copies" in text and "WORSE" in text and "+12.5†" in text
    assert "REGRESSION" in text and "pass → fail" in text and "note:" not in text and "seeds differ" in text


def test_terminal_without_regression_says_so(regression):
    same = compare_results(make_result([make_check()]), make_result([make_check()]))
    text = terminal(same, 80)
    assert "NO REGRESSION — 1 gating metrics compared, 0 better" in text and "unchanged" in text


def test_markdown_has_the_table_rule_and_sections(regression, tmp_path):
    text = render_comparison_markdown(regression)
    assert text.startswith("## ❌ synthaudit compare: REGRESSION")
    assert "| Check | Metric | Baseline | Current | Change | z | Verdict |" in text
    assert "| leakage.exact\\_copies | copy\\_rate | 0 | 0.05 | +0.05 | +12.5† | **❌ worse (regression)** |" in text
    assert "more than 3 standard errors" in text
    for section in ("### Regressions", "### Status changes", "### Notes"):
        assert section in text
    assert "† no standard error recorded" in text
    path = write_comparison_markdown(regression, tmp_path / "c.md")
    assert path.read_text() == text


def test_markdown_escapes_data_and_mentions_nobody(hostile):
    text = render_comparison_markdown(hostile)
    assert "<script>" not in text and "@everyone" not in text and "@here" not in text
    assert "[x](http" not in text and "\\[x\\](http" in text  # brackets escaped: no link
    table = [line for line in text.splitlines() if line.startswith("| leakage")]
    assert len(table) == 1 and len(re.findall(r"(?<!\\)\|", table[0])) == 8  # 7 cells, no extra column


def test_html_is_self_contained_and_escaped(hostile, regression, tmp_path):
    page = render_comparison_html(hostile)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "<b>v1</b>" not in page and "&lt;b&gt;v1&lt;/b&gt;" in page
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src &#x27;none&#x27;" in page
    assert not re.search(r"(src|href)=", page)
    good = render_comparison_html(regression)
    assert 'class="worse regression"' in good and "copy_rate" in good and "+12.5†" in good
    assert write_comparison_html(regression, tmp_path / "c.html").read_text() == good


def test_renderers_take_the_json_layout(regression):
    data = json.loads(regression.to_json())
    assert render_comparison_markdown(data) == render_comparison_markdown(regression)
    assert render_comparison_html(data) == render_comparison_html(regression)
