from __future__ import annotations

import html as html_lib
import importlib.util
import re
from dataclasses import replace
from pathlib import Path

import pytest

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


ADULT_RESULT_JSON = Path(__file__).parent / "data" / "adult_result.json"


def load_adult_result() -> AuditResult:
    """The saved result of the bundled UCI Adult audit (``synthaudit check examples/adult/...``, full size).

    Report tests render this hand-kept result instead of running an audit, so they take milliseconds. It holds
    no record (evidence is row indices, breakdowns are aggregates).
    """
    return AuditResult.from_json(ADULT_RESULT_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def adult_result() -> AuditResult:
    return load_adult_result()


@pytest.fixture(scope="module")
def hostile_result() -> AuditResult:
    return build_hostile_result()


@pytest.fixture(scope="module")
def adult_page(adult_result) -> str:
    """The Adult report, rendered once for the tests that only read it (drawing its figures takes seconds)."""
    return render_html(adult_result, signoff="A, B", signoff_date="2026-01-02")


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
    assert "Show 30 more rows" in text  # long breakdown folded beyond 10 rows
    assert "and 70 more" in text  # evidence indices capped, count kept
    assert page.count('<svg class="chart"') == 5  # five drawable figures
    assert "No drawing for figure kind" in text and "could not be drawn" in text  # two shown as tables
    assert "required" in text


def test_counts_and_verdict_match_the_result(hostile_result, adult_result, adult_page):
    for result, page in ((hostile_result, render_html(hostile_result)), (adult_result, adult_page)):
        text = _visible_text(page)
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


def test_rendering_is_deterministic(adult_result, hostile_result, adult_page):
    for result in (adult_result, hostile_result):
        first = render_html(result, signoff="A, B", signoff_date="2026-01-02")
        if result is adult_result:
            assert first == adult_page
        else:
            assert first == render_html(result, signoff="A, B", signoff_date="2026-01-02")
            # a result read back from its JSON (sorted keys) renders to the same bytes
            again = AuditResult.from_json(result.to_json())
            assert render_html(again, signoff="A, B", signoff_date="2026-01-02") == first


def test_no_clock_reading_besides_the_run_start(adult_result):
    page = render_html(replace(adult_result, run_info={**adult_result.run_info, "started_at": "1999-12-31T00:00:00"}))
    assert re.findall(r"\b20\d\d-\d\d-\d\d", page) == []  # nothing dated today
    assert "1999-12-31T00:00:00" in page


def test_adult_report_is_small_and_written_atomically(adult_result, adult_page, hostile_result, tmp_path):
    path = write_html(hostile_result, tmp_path / "out" / "report.html", signoff="A, B", signoff_date="2026-01-02")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    assert path.read_text(encoding="utf-8") == render_html(hostile_result, signoff="A, B", signoff_date="2026-01-02")
    page = adult_page
    assert len(page.encode("utf-8")) < 2_000_000, len(page)
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


_OVERFLOW_JS = """() => {
  const over = [];
  for (const el of document.querySelectorAll('#verdict, #overview, #overview *, #summary, #summary table')) {
    if (el.classList.contains('sr-only')) continue;
    if (el.scrollWidth > el.clientWidth + 1) over.push((el.id || el.tagName) + '.' + el.className);
  }
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) over.push('page ' + root.scrollWidth);
  return over;
}"""

# Every word of a number cell or a column header sits on one line (no "0.00811/7", no "REFE/RENCE").
_BROKEN_WORDS_JS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('td.num, th.num, thead th')) {
    if (!cell.getClientRects().length) continue;  // not printed
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g;
      let m;
      while ((m = re.exec(node.data)) !== null) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.skipif(_browser_missing() is not None, reason=str(_browser_missing()))
@pytest.mark.parametrize("which", ["adult", "hostile"])
def test_report_in_headless_chromium(which, adult_result, hostile_result, adult_page, tmp_path):
    from playwright.sync_api import sync_playwright

    result = adult_result if which == "adult" else hostile_result
    path = tmp_path / f"{which}.html"
    if which == "adult":
        path.write_text(adult_page, encoding="utf-8")
    else:
        write_html(result, path, signoff=f"Reviewer {IMG}", signoff_date="2026-11-26")
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
            page.screenshot(path=str(ARTIFACTS / f"report-{which}.png"))
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=str(ARTIFACTS / f"report-{which}-dark.png"))
            page.emulate_media(color_scheme="light")
            for width in (1280, 800):  # the summary never scrolls sideways, at desktop or half-screen width
                page.set_viewport_size({"width": width, "height": 900})
                assert page.evaluate(_OVERFLOW_JS) == [], width
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 688, "height": 900})  # A4's printable width
            assert page.evaluate(_BROKEN_WORDS_JS) == []
            pages = {}
            for paper in ("A4", "Letter"):
                pdf = page.pdf(path=str(ARTIFACTS / f"report-{which}-{paper}.pdf"), format=paper)
                pages[paper] = _pdf_pages(pdf)
            assert all(1 <= n <= 20 for n in pages.values()), pages
        finally:
            browser.close()
    assert console == []
    assert requests == [url]
    assert dialogs == []
