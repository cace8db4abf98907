"""The renderers of a ``synthaudit trend`` result: self-contained escaped HTML, an 80-column terminal summary."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from synthaudit.reports.trend import render_trend_html, render_trend_summary, write_trend_html
from synthaudit.trend import trend
from tests.conftest import draw_disjoint

NUMERIC = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")


def _shrink(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per-column resampling with the numeric tails cut: a generator refit on its own output."""
    out = {}
    for column in frame.columns:
        values = frame[column].to_numpy()
        if column in NUMERIC:
            low, high = np.quantile(values, [0.05, 0.95])
            values = values[(values >= low) & (values <= high)]
        out[column] = rng.choice(values, size=800, replace=True)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def record(adult_population):
    (real,) = draw_disjoint(adult_population, (1600,), seed=2)
    rng = np.random.default_rng(2)
    current, generations = real, []
    for _ in range(4):
        current = _shrink(current, rng)
        generations.append(current)
    result = trend(real, generations, seed=2, audits=False)
    assert result.status == "fail"
    return json.loads(result.to_json())


def test_html_is_self_contained_with_one_figure_per_quantity(record):
    page = render_trend_html(record)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert not re.search(r"\b(src|href)=", page) and "@import" not in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == len(record["quantities"])
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and root.findall(".//{http://www.w3.org/2000/svg}circle")
    for generation in record["generations"]:
        assert f"<td>{generation['label']}</td>" in page
    assert "FAIL" in page and "Trend checks" in page and "reference" in page


def test_html_escapes_every_string(record):
    hostile = copy.deepcopy(record)
    hostile["generations"][0]["label"] = "<script>alert(1)</script>"
    hostile["quantities"][0]["name"] = 'tail_mass:<img src=x onerror="alert(1)">'
    hostile["notes"] = ["</li><script>x</script>"]
    page = render_trend_html(hostile)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_html_is_deterministic_and_written_atomically(record, tmp_path):
    path = write_trend_html(record, tmp_path / "sub" / "trend.html")
    assert path.read_text(encoding="utf-8") == render_trend_html(json.loads(json.dumps(record)))
    assert [p.name for p in path.parent.iterdir()] == ["trend.html"]


def test_terminal_summary_fits_80_columns_and_names_the_failure(record):
    text = render_trend_summary(record)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    failing = [q["name"] for q in record["quantities"] if q["test"]["status"] == "fail"]
    assert failing and any(re.search(r"FAIL g\d", line) for line in lines)
    assert "FAILED (model collapse)" in text and "generation" in text
    assert len([line for line in lines if line.startswith(("tail_mass", "variance_ratio"))]) >= 10


def test_terminal_summary_truncates_long_names_and_shows_audits(record):
    long = copy.deepcopy(record)
    long["quantities"][0]["name"] = "variance_ratio:" + "a_very_long_column_name" * 4
    long["generations"][0]["audit"] = {"passed": False, "failed_checks": ["fidelity.marginals"] * 8}
    long["notes"] = ["columns of the real data missing from every generation, not measured: ['age'] " * 2]
    lines = render_trend_summary(long).splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("note: columns of the real data missing") for line in lines)
    assert any("…" in line for line in lines) and any("audit FAILED: fidelity.marginals" in line for line in lines)
