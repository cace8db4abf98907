from __future__ import annotations

import html as html_lib
import importlib.util
import re
from dataclasses import replace
from pathlib import Path

import pytest

from synthaudit import audit
from synthaudit.reports.html import CSP, anchor_ids, format_number, render_html, write_html
from synthaudit.result import (
    AuditResult,
    CheckResult,
    ErrorInfo,
    FigureSpec,
    GateDecision,
    Metric,
    Status,
    Table,
    Waiver,
)

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "examples" / "adult"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} {IMG}"


# ----------------------------------------------------------------------------------------- sample results
def build_hostile_result() -> AuditResult:
    """A result with every status, every figure kind and hostile text in every field a renderer shows."""
    gating_fail = Metric(
        name=f"worst_distance {SCRIPT}",
        value=0.9095,
        direction="lower_is_better",
        value_range=(0.0, 1.0),
        reference_value=0.011,
        threshold=0.061,
        warn_threshold=0.041,
        gating=True,
        passed=False,
        description=f"largest distance (column {IMG})",
    )
    checks = (
        CheckResult(
            name="constraints.schema",
            suite="constraints",
            status=Status.PASS,
            summary="All columns match.",
            description="Same columns on both sides.",
            meaning="0 is right.",
            metrics=(Metric("schema_mismatch_count", 0.0, "lower_is_better", (0.0, None), 0.0, 0.0, 0.0, True, True),),
            tables=(Table("schema", "Schema differences", ("column", "problem"), ()),),
            reference="real",
        ),
        CheckResult(
            name="fidelity.marginals",
            suite="fidelity",
            status=Status.FAIL,
            summary=f"Worst column {SCRIPT}: KS 0.910.",
            description=f"Each column's distribution {IMG}.",
            meaning=f"Lower is better {SCRIPT}.",
            metrics=(
                gating_fail,
                Metric("mean_distance", 0.12, "lower_is_better", (0.0, 1.0), 0.006, description="information"),
            ),
            params={"distance_margin": {"fail_se": 5.0, "warn_se": 3.0}, SCRIPT: IMG},
            sample_sizes={"reference_rows": 16281, f"rows {SCRIPT}": 3},
            tables=(
                Table(
                    name="columns",
                    title=f"Per-column distance {SCRIPT}",
                    columns=("column", "distance", SCRIPT),
                    rows=tuple(
                        {"column": f"col{i} {IMG}", "distance": 1 / (i + 1), SCRIPT: [IMG, SCRIPT], "extra": i}
                        for i in range(40)
                    ),
                ),
            ),
            figures=(
                FigureSpec(
                    "histogram",
                    f"{SCRIPT}: real vs synthetic",
                    {
                        "bin_edges": [0.0, 1.0, 2.0, 3.0],
                        "series": {"real": [0.2, 0.5, 0.3], f"synthetic {SCRIPT}": [0.3, 0.3, 0.4]},
                    },
                    x_label=SCRIPT,
                    y_label="share of rows",
                ),
                FigureSpec(
                    "bars",
                    f"sex {IMG}",
                    {
                        "categories": ["Male", "Female", IMG],
                        "series": {"real": [0.6, 0.4, 0.0], "synthetic": [0.5, 0.4, 0.1]},
                    },
                    x_label="share",
                    y_label=IMG,
                ),
                FigureSpec(
                    "heatmap",
                    "correlation difference",
                    {"labels": ["age", SCRIPT, "hours"], "matrix": [[0, 0.2, -0.1], [0.2, 0, 0.05], [-0.1, 0.05, 0]]},
                ),
                FigureSpec(
                    "distribution",
                    "distance to closest record",
                    {
                        "series": {"synthetic": [0.1 * i for i in range(50)], "holdout": [0.12 * i for i in range(40)]},
                        "markers": {f"5th percentile {IMG}": 0.5},
                    },
                    x_label="distance",
                ),
                FigureSpec(
                    "scatter",
                    "embedding map",
                    {"series": {"real": {"x": [0, 1, 2], "y": [1, 0, 2]}, "synthetic": [[0.5, 0.5], [1.5, 1.0]]}},
                ),
                FigureSpec(f"pie {SCRIPT}", f"unknown kind {SCRIPT}", {"slices": [IMG, SCRIPT], "total": IMG}),
                FigureSpec("histogram", "malformed", {"bin_edges": [0, 1], "series": {"real": [IMG, 2]}}),
            ),
            evidence={f"rows {SCRIPT}": tuple(range(120))},
            reference="holdout",
            waiver=Waiver("fidelity.marginals", f"known <b>issue</b> {SCRIPT}", f"QA {IMG}", "2027-01-01", True),
            provider=f"plugin {SCRIPT}",
        ),
        CheckResult(
            name="fidelity.detection",
            suite="fidelity",
            status=Status.WARN,
            summary="A classifier tells them apart slightly.",
            metrics=(Metric("auc", 0.56, "lower_is_better", (0.5, 1.0), 0.51, 0.6, 0.55, True, True),),
        ),
        CheckResult(
            name="leakage.membership_inference",
            suite="leakage",
            status=Status.SKIPPED,
            summary="Skipped.",
            skipped_reason=f"needs a holdout {SCRIPT}",
        ),
        CheckResult(
            name="diversity.vendi",
            suite="diversity",
            status=Status.SKIPPED,
            summary="Skipped.",
            skipped_reason="no text column",
        ),
        CheckResult(
            name=f"balance.{SCRIPT}",
            suite=f"balance {IMG}",
            status=Status.ERROR,
            summary="The check raised.",
            error=ErrorInfo(f"ValueError {SCRIPT}", f"bad {IMG}", f"Traceback\n  File {SCRIPT}\nValueError: {IMG}"),
        ),
    )
    return AuditResult(
        passed=False,
        gate=GateDecision(
            passed=False,
            failing=(f"balance.{SCRIPT}", "leakage.membership_inference"),
            reasons=(f"balance.{SCRIPT} raised {IMG}", "leakage.membership_inference is required but skipped"),
            waived=("fidelity.marginals",),
            warnings=(f"warning {SCRIPT}",),
        ),
        checks_list=checks,
        inputs={
            "real": {
                "source": f"{SCRIPT}.csv",
                "format": "csv",
                "sha256": "ab" * 32,
                "rows": 100,
                "rows_used": 100,
                "columns": 3,
            },
            "synthetic": {
                "source": IMG,
                "format": "dataframe",
                "sha256": None,
                "rows": 90,
                "rows_used": 90,
                "columns": 3,
            },
        },
        policy={
            "required": ["leakage.membership_inference", "leakage.dcr"],
            "fail_on_warn": False,
            "waivers": [
                {"check": "fidelity.marginals", "reason": f"known {SCRIPT}", "owner": "QA", "expires": "2027-01-01"},
                {"check": "leakage.dcr", "reason": IMG, "owner": SCRIPT, "expires": "2020-01-01"},
            ],
            "params": {"fidelity.marginals": {"distance_margin": {"fail_se": 5.0}, SCRIPT: [IMG]}},
        },
        seed=7,
        tool_version="0.1.0",
        reference={"kind": "holdout", "description": f"holdout rows {SCRIPT}", "matched_rows": 100},
        notes=(f"note {SCRIPT}", f"note {IMG}"),
        columns={
            "roles": {SCRIPT: "categorical", "age": "numeric", IMG: "numeric"},
            "sensitive": [SCRIPT],
            "target": IMG,
        },
        run_info={
            "started_at": "2026-11-25T07:07:15+00:00",
            "command_line": ["synthaudit", "check", SCRIPT, IMG],
            "versions": {"python": "3.11.7", SCRIPT: IMG},
            "timings": {"load_seconds": 0.12, "checks_seconds": {"fidelity.marginals": 0.19, SCRIPT: 1.5}},
            "cwd": SCRIPT,
            "platform": IMG,
        },
    )


@pytest.fixture(scope="module")
def adult_result() -> AuditResult:
    """A real audit of the bundled UCI Adult example (as ``make demo`` runs it)."""
    return audit(
        ADULT / "real.csv",
        ADULT / "synthetic.csv",
        holdout=ADULT / "holdout.csv",
        target="income",
        sensitive=["sex"],
        max_rows=3000,  # every installed check runs, on a seeded sample, in a few seconds
        command_line=["synthaudit", "check", "examples/adult/real.csv", "examples/adult/synthetic.csv"],
    )


@pytest.fixture(scope="module")
def hostile_result() -> AuditResult:
    return build_hostile_result()


def _visible_text(page: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


# ----------------------------------------------------------------------------------------- safety
def test_hostile_strings_appear_only_escaped(hostile_result):
    page = render_html(hostile_result, signoff=f"{SCRIPT} {IMG}", signoff_date="2026-11-26")
    assert SCRIPT not in page
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>issue</b>" not in page and "&lt;b&gt;issue&lt;/b&gt;" in page
    # no attribute anywhere is an event handler: onerror=… only ever appears as escaped text
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", page, flags=re.IGNORECASE)


def test_csp_meta_is_exact_and_the_page_is_self_contained(hostile_result):
    page = render_html(hostile_result)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page  # literally, not entity-escaped
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert "<script" not in page.lower()
    for pattern in (
        r"<link(?![^>]*href=\"data:)",
        r"<[^>]*\ssrc=",
        r"url\((?!#)",
        r"@import",
        r"https?://(?!www\.w3\.org/)",
    ):
        assert not re.search(pattern, page), pattern


def test_anchors_are_derived_safely_and_unique():
    assert anchor_ids(["leakage.dcr", f"balance.{SCRIPT}", "leakage dcr", ""]) == [
        "check-leakage-dcr",
        "check-balance-script-alert-1-script",
        "check-leakage-dcr-2",
        "check-unnamed",
    ]


def test_every_section_is_present(hostile_result):
    page = render_html(hostile_result)
    text = _visible_text(page)
    for anchor in anchor_ids([c.name for c in hostile_result.checks_list]):
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page
    for section in ("verdict", "summary", "checks", "waivers", "notes", "data", "policy", "reproducibility", "signoff"):
        assert f'id="{section}"' in page
    assert "Gate FAILED" in text
    assert "needs a holdout " + SCRIPT in text  # skipped reason
    assert "ValueError " + SCRIPT in text and "Traceback" in text  # error type and traceback
    assert f"known <b>issue</b> {SCRIPT}" in text and "2027-01-01" in text and "QA " + IMG in text  # waiver
    assert "expired" in text or "not applied" in text  # the policy waiver that did not apply
    assert f"note {SCRIPT}" in text and f"warning {SCRIPT}" in text
    assert "ab" * 32 in text and "synthaudit check" in text and "3.11.7" in text  # reproducibility
    assert "Show 25 more rows" in text  # long breakdown folded beyond 15 rows
    assert "and 70 more" in text  # evidence indices capped, count kept
    assert page.count('<svg class="chart"') == 5  # five drawable figures
    assert "No drawing for figure kind" in text and "could not be drawn" in text  # two shown as tables
    assert "required" in text


def test_counts_and_verdict_match_the_result(hostile_result, adult_result):
    for result in (hostile_result, adult_result):
        text = _visible_text(render_html(result))
        assert ("Gate PASSED" if result.passed else "Gate FAILED") in text
        for status, n in result.counts().items():
            assert re.search(rf"\b{n}\s+{status}\b", text), status


def test_numbers_are_rounded_for_display():
    assert format_number(0.90951234) == "0.9095"
    assert format_number(0.0008297123) == "0.0008297"
    assert format_number(32561) == "32,561"
    assert format_number(5000.0) == "5,000"
    assert format_number(1234.5678) == "1235"
    assert format_number(1.5e-7) == "1.500e-07"
    assert format_number(-0.0) == "0"
    assert format_number(None) == "—"


def test_signoff_block(hostile_result):
    blank = _visible_text(render_html(hostile_result))
    assert "Name, role" in blank and "Signature" in blank
    signed = render_html(hostile_result, signoff="Jane Doe, Data Steward", signoff_date="2026-11-26")
    assert "Jane Doe, Data Steward" in signed and "2026-11-26" in signed


def test_rendering_is_deterministic(adult_result, hostile_result):
    for result in (adult_result, hostile_result):
        first = render_html(result, signoff="A, B", signoff_date="2026-01-02")
        assert first == render_html(result, signoff="A, B", signoff_date="2026-01-02")
        # a result read back from its JSON (sorted keys) renders to the same bytes
        again = AuditResult.from_json(result.to_json())
        assert render_html(again, signoff="A, B", signoff_date="2026-01-02") == first


def test_no_clock_reading_besides_the_run_start(adult_result):
    page = render_html(replace(adult_result, run_info={**adult_result.run_info, "started_at": "1999-12-31T00:00:00"}))
    assert re.findall(r"\b20\d\d-\d\d-\d\d", page) == []  # nothing dated today
    assert "1999-12-31T00:00:00" in page


def test_adult_report_is_small_and_written_atomically(adult_result, tmp_path):
    path = write_html(adult_result, tmp_path / "out" / "report.html")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    size = path.stat().st_size
    assert size < 2_000_000, size
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for check in adult_result.checks_list:
        assert check.name in page


# ----------------------------------------------------------------------------------------- in a browser
_BROWSER_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install playwright; no browser download needed)"
    return None


@pytest.mark.skipif(_browser_missing() is not None, reason=str(_browser_missing()))
@pytest.mark.parametrize("which", ["adult", "hostile"])
def test_report_in_headless_chromium(which, adult_result, hostile_result, tmp_path):
    from playwright.sync_api import sync_playwright

    result = adult_result if which == "adult" else hostile_result
    path = write_html(result, tmp_path / f"{which}.html", signoff=f"Reviewer {IMG}", signoff_date="2026-11-26")
    url = path.as_uri()
    console: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=_BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(200)
            assert page.locator("#verdict .verdict-title").inner_text().strip() == (
                "Gate PASSED" if result.passed else "Gate FAILED"
            )
            for anchor in anchor_ids([c.name for c in result.checks_list]):
                assert page.locator(f"article#{anchor}").count() == 1, anchor
            assert page.locator("script").count() == 0 and page.locator("img").count() == 0
            page.screenshot(path=str(ARTIFACTS / f"report-{which}.png"), full_page=True)
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=str(ARTIFACTS / f"report-{which}-dark.png"))
            page.emulate_media(media="print")
            page.pdf(path=str(ARTIFACTS / f"report-{which}.pdf"), format="A4")
        finally:
            browser.close()
    assert console == []
    assert requests == [url]
    assert dialogs == []
