from __future__ import annotations

import re
from dataclasses import replace

import pytest

from synthaudit.reports.html import render_html, size_label
from synthaudit.reports.overview import column_grid, implicated, root_causes, suite_rows
from synthaudit.result import AuditResult, CheckResult, Metric, Status, Table
from tests.reports.test_html import build_hostile_result, load_adult_result


@pytest.fixture(scope="module")
def adult() -> AuditResult:
    return load_adult_result()


def test_suite_rows_give_each_suite_its_worst_status_and_finding(adult):
    rows = {row.suite: row for row in suite_rows(adult)}
    assert list(rows) == ["fidelity", "diversity", "leakage", "balance", "constraints"]
    assert rows["leakage"].status == "pass" and rows["constraints"].status == "pass"
    assert rows["fidelity"].status == "fail" and rows["balance"].status == "fail"
    assert rows["fidelity"].worst.startswith("fidelity.")
    shown = rows["fidelity"].finding.removesuffix(" …")
    assert shown and shown in adult.checks[rows["fidelity"].worst].summary


def test_one_lost_column_is_the_first_root_cause(adult):
    causes, rest = root_causes(adult)
    first = causes[0]
    assert first.key == "capital_gain" and first.kind == "column"
    failing = {name for name, status in first.checks if status == "fail"}
    assert {"fidelity.marginals", "fidelity.drift", "fidelity.detection", "diversity.coverage"} <= failing
    assert "capital_gain" in first.finding
    # every failing check is either under a shared cause or listed as not tied to one
    covered = {name for cause in causes for name, _ in cause.checks} | {c.name for c in rest}
    assert {c.name for c in adult.checks_list if c.status is Status.FAIL} <= covered
    assert [c.failures for c in causes] == sorted((c.failures for c in causes), reverse=True)


def test_a_passing_check_singles_nothing_out(adult):
    known = list(adult.columns["roles"])
    for check in adult.checks_list:
        if check.status is Status.PASS:
            assert implicated(check, known) == {}


def test_row_flags_and_worst_metric_thresholds():
    metric = Metric("worst_column_distance", 0.5, "lower_is_better", (0, 1), 0.01, 0.1, 0.05, True, False)
    table = Table(
        "columns",
        "Per column",
        ("column", "distance"),
        ({"column": "a", "distance": 0.5}, {"column": "b", "distance": 0.07}, {"column": "c", "distance": 0.01}),
    )
    check = CheckResult("fidelity.x", "fidelity", Status.FAIL, "Worst column 'a'.", metrics=(metric,), tables=(table,))
    assert implicated(check, ["a", "b", "c"]) == {"a": "fail", "b": "warn"}
    pairs = Table(
        "pairs", "Pairs", ("column_a", "column_b", "distance"), ({"column_a": "b", "column_b": "c", "distance": 0.9},)
    )
    only_pairs = replace(check, tables=(pairs,))
    assert implicated(only_pairs, ["a", "b", "c"]) == {"a": "fail"}  # a per-pair row is not a per-column worst
    drift = Table("columns", "Drift", ("column", "drifted"), ({"column": "c", "drifted": True},))
    assert implicated(replace(check, tables=(drift,)), ["a", "b", "c"]) == {"c": "fail"}


def test_column_grid(adult):
    grid = column_grid(adult)
    names = [name for name, _ in grid.checks]
    assert "fidelity.marginals" in names and "leakage.pii" not in names  # skipped checks measured no column
    rows = dict(grid.rows)
    assert grid.rows[0][0] == "capital_gain"
    assert rows["capital_gain"][names.index("fidelity.marginals")] == "fail"
    assert rows["capital_gain"][names.index("leakage.dcr")] == "pass"
    assert set(rows["age"]) <= {"fail", "warn", "pass", "measured", ""}


def test_first_screen_in_the_page(adult):
    page = render_html(adult)
    first = page.split('<section id="checks">')[0]
    assert 'class="suites"' in first and 'id="root-causes"' in first and 'id="columns"' in first
    causes = first.split('id="root-causes"')[1].split("</div>")[0]
    assert re.search(r"capital_gain</strong>", causes)
    # each fact once: no gate reason restating a finding, and the policy is folded away
    assert "Why the gate failed" not in first
    assert '<details class="policy long">' in page
    assert "encoded rows.base rows" not in page and "encoded rows: real rows available" in page


def test_hostile_first_screen_is_escaped():
    page = render_html(build_hostile_result())
    first = page.split('<section id="checks">')[0]
    assert "<script>" not in first and "&lt;script&gt;" in first
    assert "Why the gate failed" in first  # "required but skipped" adds to the findings, so it is shown


def test_size_labels_are_plain_words():
    assert size_label("encoded rows.base_rows") == "encoded rows: real rows available"
    assert size_label("k") == "neighbours (k)"
    assert size_label("synthetic_candidate_rows") == "synthetic candidate rows"
