from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from synthaudit.reports.figures import KNOWN_KINDS, FigureDataError, figure_svg, render_figure
from synthaudit.result import FigureSpec

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

SPECS = {
    "histogram": FigureSpec(
        "histogram",
        "age: real vs synthetic",
        {"bin_edges": [0, 1, 2, 3, 4], "series": {"real": [0.1, 0.4, 0.3, 0.2], "synthetic": [0.2, 0.3, 0.3, 0.2]}},
        x_label="age",
        y_label="share of rows",
    ),
    "bars": FigureSpec(
        "bars",
        "sex",
        {"categories": ["Male", "Female"], "series": {"real": [0.67, 0.33], "synthetic": [0.6, 0.4]}},
    ),
    "heatmap": FigureSpec("heatmap", "corr", {"labels": ["a", "b"], "matrix": [[1.0, 0.3], [0.3, 1.0]]}),
    "distribution": FigureSpec(
        "distribution", "dcr", {"series": {"synthetic": [0.1, 0.5, 0.9, 1.3], "holdout": [0.2, 0.4, 0.8]}}
    ),
    "scatter": FigureSpec("scatter", "map", {"series": {"real": {"x": [0, 1], "y": [1, 0]}, "synthetic": [[0.5, 1]]}}),
}


@pytest.mark.parametrize("kind", KNOWN_KINDS)
def test_every_known_kind_draws_a_small_clean_svg(kind):
    svg = figure_svg(SPECS[kind], key=kind)
    assert svg.startswith('<svg class="chart"') and svg.endswith("</svg>")
    root = ET.fromstring(svg)
    assert root.get("viewBox")
    assert "<script" not in svg and "<image" not in svg and "foreignObject" not in svg
    assert "<metadata" not in svg and "dc:date" not in svg  # no date, no creator block
    assert "font-family" not in svg  # the page's CSS sets the font
    assert len(svg) < 60_000


def test_histogram_with_datetime_edges_and_distribution_as_histogram():
    day = 86400.0
    spec = FigureSpec(
        "histogram",
        "when",
        {"bin_edges": [1.7e9, 1.7e9 + 30 * day, 1.7e9 + 60 * day], "series": {"real": [0.5, 0.5]}, "datetime": True},
    )
    assert "2024-Jan" in figure_svg(spec)  # ticks are dates, not seconds
    binned = FigureSpec("distribution", "dcr", SPECS["histogram"].data)
    assert render_figure(binned).svg is not None


def test_output_is_deterministic_and_ids_are_unique_per_figure():
    spec = SPECS["histogram"]
    assert figure_svg(spec, key="a") == figure_svg(spec, key="a")
    ids_a = set(re.findall(r'id="([^"]+)"', figure_svg(spec, key="a")))
    ids_b = set(re.findall(r'id="([^"]+)"', figure_svg(spec, key="b")))
    assert ids_a and not ids_a & ids_b  # two figures inlined in one page never share an id


def test_labels_are_escaped_in_the_svg():
    spec = FigureSpec(
        "bars",
        SCRIPT,
        {"categories": [SCRIPT, IMG, "$x^2$ & co"], "series": {IMG: [1, 2, 3]}},
        x_label=SCRIPT,
        y_label=IMG,
    )
    svg = figure_svg(spec)
    assert SCRIPT not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "$x^2$ &amp; co" in svg  # no mathtext: dollar signs are text
    ET.fromstring(svg)


def test_unknown_kind_is_shown_as_a_table():
    figure = render_figure(FigureSpec("sankey", "flows", {"source": ["a", "b"], "value": [1, 2], "unit": "rows"}))
    assert figure.svg is None and figure.table is not None
    assert "sankey" in figure.note
    assert figure.table.columns == ("source", "value")
    assert figure.table.rows == (("a", 1), ("b", 2))
    assert figure.table.fields == (("unit", "rows"),)


@pytest.mark.parametrize(
    "spec",
    [
        FigureSpec("histogram", "no data", {}),
        FigureSpec("histogram", "lengths", {"bin_edges": [0, 1, 2], "series": {"real": [1.0]}}),
        FigureSpec("histogram", "decreasing", {"bin_edges": [2, 1, 0], "series": {"real": [1.0, 1.0]}}),
        FigureSpec("histogram", "nan", {"bin_edges": [0, 1], "series": {"real": [math.nan]}}),
        FigureSpec("histogram", "none", {"bin_edges": [0, None], "series": {"real": [1]}}),
        FigureSpec("histogram", "text", {"bin_edges": ["a", "b"], "series": {"real": [1]}}),
        FigureSpec("bars", "series missing", {"categories": ["a"]}),
        FigureSpec("bars", "not a list", {"categories": "abc", "series": {"r": [1, 2, 3]}}),
        FigureSpec("bars", "too many series", {"categories": ["a"], "series": {str(i): [1] for i in range(20)}}),
        FigureSpec("heatmap", "ragged", {"labels": ["a", "b"], "matrix": [[1, 2], [3]]}),
        FigureSpec("heatmap", "huge", {"labels": list(map(str, range(70))), "matrix": [[0] * 70] * 70}),
        FigureSpec("distribution", "empty", {"series": {"real": []}}),
        FigureSpec("scatter", "bad points", {"series": {"real": [[1, 2, 3]]}}),
        FigureSpec("scatter", "bool", {"series": {"real": {"x": [True], "y": [1]}}}),
        FigureSpec("heatmap", "data not a mapping", ["not", "a", "mapping"]),  # type: ignore[arg-type]
    ],
    ids=lambda s: s.title,
)
def test_malformed_data_falls_back_to_a_table_and_never_raises(spec):
    figure = render_figure(spec)
    assert figure.svg is None and figure.table is not None
    assert "could not be drawn" in figure.note
    with pytest.raises(FigureDataError):
        figure_svg(spec)


def test_large_scatter_is_thinned_to_keep_the_svg_small():
    n = 50_000
    spec = FigureSpec("scatter", "big", {"series": {"real": {"x": list(range(n)), "y": [i % 97 for i in range(n)]}}})
    svg = figure_svg(spec)
    assert len(svg) < 300_000


def test_fallback_table_caps_rows():
    figure = render_figure(FigureSpec("mystery", "long", {"values": list(range(1000))}))
    assert figure.table is not None
    assert len(figure.table.rows) == 200 and figure.table.hidden_rows == 800


def test_drawing_leaves_pyplot_and_the_backend_alone():
    # pyplot (global figure manager, backend selection) is never imported, so a notebook's backend is untouched
    code = (
        "import sys; from synthaudit.reports.figures import figure_svg; from synthaudit.result import FigureSpec; "
        "figure_svg(FigureSpec('bars', 't', {'categories': ['a'], 'series': {'r': [1]}})); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
