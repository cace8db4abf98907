from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from synthaudit.reports.markdown import escape_markdown, render_markdown, write_markdown
from synthaudit.result import AuditResult
from tests.reports.test_html import IMG, SCRIPT, adult_result, build_hostile_result  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def hostile() -> AuditResult:
    return build_hostile_result()


def _table_rows(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("| ")][1:]  # skip the header
    return [re.split(r"(?<!\\)\|", row)[1:-1] for row in rows]


@pytest.mark.parametrize("which", ["adult", "hostile"])
def test_states_the_same_verdict_as_the_json(which, adult_result, hostile):  # noqa: F811
    result = adult_result if which == "adult" else hostile
    passed = json.loads(result.to_json())["passed"]
    text = render_markdown(result)
    first = text.splitlines()[0]
    assert first.startswith("## ")
    assert ("gate PASSED" in first) is passed and ("gate FAILED" in first) is (not passed)
    counts = result.counts()
    assert f"{counts['fail']} fail" in text and f"{counts['pass']} pass" in text


def test_one_table_row_per_check_with_seven_cells(hostile):
    piped = replace(hostile.checks_list[4], skipped_reason="a | b | c")  # a pipe in data must not add a cell
    result = replace(hostile, checks_list=(*hostile.checks_list[:4], piped, *hostile.checks_list[5:]))
    rows = _table_rows(render_markdown(result))
    assert len(rows) == len(result.checks_list)
    assert all(len(cells) == 7 for cells in rows)
    by_name = {cells[0].strip(): cells for cells in rows}
    assert "a \\| b \\| c" in by_name[escape_markdown(piped.name)][2]


def test_gating_metric_value_reference_and_thresholds(hostile):
    rows = {cells[0].strip(): cells for cells in _table_rows(render_markdown(hostile))}
    detection = [c.strip() for c in rows["fidelity.detection"]]
    assert detection[1] == "⚠️ WARN"
    assert detection[2:] == ["auc", "0.56", "0.51", "&gt; 0.55", "&gt; 0.6"]
    assert "FAIL (waived)" in rows["fidelity.marginals"][1]


def test_failures_are_listed_with_reasons(hostile):
    text = render_markdown(hostile)
    assert "### Why the gate failed" in text and "### Failures" in text
    failures = text.split("### Failures")[1].split("###")[0]
    assert "leakage.membership\\_inference" in failures and "required but skipped" in failures
    assert "ValueError" in failures
    assert "fidelity.marginals" not in failures  # waived: listed under Waived instead
    assert "### Waived" in text and "expires 2027-01-01" in text


def test_data_values_are_escaped(hostile):
    text = render_markdown(hostile)
    body = text.replace("<sub>", "").replace("</sub>", "")
    assert "<" not in body and ">" not in body
    assert SCRIPT not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert escape_markdown("`rm -rf` @team [x](y) *a* _b_ #1 | c") == (
        "\\`rm -rf\\` &#64;team \\[x\\](y) \\*a\\* \\_b\\_ \\#1 \\| c"
    )
    assert escape_markdown("two\nlines") == "two lines"
    assert escape_markdown(IMG) == '"&gt;&lt;img src=x onerror=alert(1)&gt;'


def test_written_atomically(adult_result, tmp_path):  # noqa: F811
    path = write_markdown(adult_result, tmp_path / "summary.md")
    assert path.read_text(encoding="utf-8") == render_markdown(adult_result)
    assert len(path.read_text(encoding="utf-8")) < 20_000  # fits a PR comment easily


def test_each_finding_once_and_worst_first(adult_result):  # noqa: F811
    text = render_markdown(adult_result)
    for check in adult_result.checks_list:
        if check.status.value == "fail":
            assert text.count(escape_markdown(check.summary)) <= 1, check.name  # past MAX_FAILURES: named only
            assert escape_markdown(check.name) in text.split("### Failures")[1]
    assert "### Why the gate failed" not in text  # every reason restates a failure listed (or counted) below
    assert "**Root causes**" in text and "- **capital\\_gain** — fidelity." in text
    statuses = [cells[1].strip() for cells in _table_rows(text)]
    order = {"❌ FAIL": 0, "⚠️ WARN": 1, "✅ PASS": 2, "⏭️ SKIPPED": 3}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
