"""Figure specs → small, deterministic inline SVG (matplotlib), or a table of the data when that is not possible.

A check describes a figure as plain data (:class:`~synthaudit.result.FigureSpec`); this module draws it
(one function per kind in :mod:`synthaudit.reports.figure_drawing`). Known
kinds: ``histogram`` (``bin_edges`` and ``series`` of shares per bin, optional ``datetime`` for edges in
seconds since the epoch), ``bars`` (``categories`` and ``series`` of values per category), ``heatmap``
(``labels`` — or ``x_labels`` and ``y_labels`` — and ``matrix``, or ``panels`` of ``{title, matrix}`` drawn
side by side on one colour scale; optional ``vmin`` / ``vmax``), ``distribution``
(either a histogram's ``bin_edges`` and ``series``, or ``series`` of raw values drawn as cumulative
distributions, optional ``markers`` {label: x}), and ``scatter`` (``series`` of ``{"x": [...], "y": [...]}`` or
of ``[x, y]`` pairs). An unknown kind or malformed data never raises: it comes back as a
:class:`FallbackTable` of the data, which the HTML template escapes like any other value.

matplotlib is imported inside the functions (it is slow to import) and never through pyplot: each figure gets
its own ``Figure`` with an Agg canvas, so a user's interactive backend is left alone. Output is deterministic:
a fixed ``svg.hashsalt`` per figure (which also keeps clip-path ids unique between figures of one page), no
date metadata, and text kept as ``<text>`` (``svg.fonttype = 'none'``) whose content matplotlib XML-escapes.
Every SVG is then parsed and checked against an allow-list of elements and attributes before it is returned,
so a figure can only ever contain drawing.
"""

from __future__ import annotations

import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synthaudit.reports.figure_drawing import _DRAWERS, FigureDataError, _new_figure, _style
from synthaudit.result import FigureSpec

__all__ = [
    "KNOWN_KINDS",
    "FallbackTable",
    "FigureDataError",
    "RenderedFigure",
    "fallback_table",
    "figure_svg",
    "render_figure",
]

logger = logging.getLogger(__name__)

KNOWN_KINDS = ("histogram", "bars", "heatmap", "distribution", "scatter")
"""Figure kinds drawn as SVG; any other kind is shown as a table."""

MAX_TABLE_ROWS = 200
"""Rows of a fallback table shown at most (the rest are counted, not shown)."""


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_ALLOWED_ELEMENTS = frozenset(
    {"svg", "g", "path", "defs", "style", "clipPath", "use", "text", "tspan", "rect", "line", "polyline", "polygon"}
    | {"circle", "ellipse", "title", "desc"}
)
_ALLOWED_ATTRIBUTES = frozenset(
    {"width", "height", "viewBox", "version", "id", "d", "style", "clip-path", "transform", "x", "y", "type"}
    | {"class", "role", "focusable", "aria-hidden", "points", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry"}
    | {"fill", "stroke", "stroke-width", "text-anchor", "dominant-baseline", "preserveAspectRatio"}
)


@dataclass(frozen=True, slots=True)
class FallbackTable:
    """A figure's data as a table: raw cell values (the renderer formats and escapes them).

    ``columns`` and ``rows`` hold the list-valued fields side by side (one column per list); ``fields``
    holds everything else as (name, value) pairs; ``hidden_rows`` counts rows left out past
    :data:`MAX_TABLE_ROWS`.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    fields: tuple[tuple[str, Any], ...] = ()
    hidden_rows: int = 0


@dataclass(frozen=True, slots=True)
class RenderedFigure:
    """One figure ready for a report: SVG markup made from numbers, or a table of the data, never both."""

    kind: str
    title: str
    svg: str | None = None
    table: FallbackTable | None = None
    note: str = ""


# --------------------------------------------------------------------------------------------- SVG output
def _tidy_svg(raw: str) -> str:
    """Inline-ready SVG: no XML prolog or metadata, no per-text font lists (the page's CSS sets the font)."""
    svg = raw[raw.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"font-family:[^;\"]*;?\s*", "", svg)
    svg = re.sub(r'<g id="[^"]*">', "<g>", svg)  # matplotlib's group names repeat between figures; unused
    svg = re.sub(r"\s*\n\s*", " ", svg)
    svg = re.sub(r">\s+<", "><", svg)
    svg = svg.replace("<svg ", '<svg class="chart" role="img" focusable="false" ', 1)
    return svg.strip()


def _check_svg(svg: str) -> None:
    """Raise unless ``svg`` parses and holds only drawing: allow-listed elements, no events, local links."""
    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.rpartition("}")[2]
        if tag not in _ALLOWED_ELEMENTS:
            raise FigureDataError(f"unexpected SVG element <{tag}>")
        for name, value in element.attrib.items():
            namespace, _, local = name.rpartition("}")
            if namespace.lstrip("{") == _XLINK_NS and local == "href":
                if not value.startswith("#"):
                    raise FigureDataError("SVG link outside the figure")
                continue
            if local not in _ALLOWED_ATTRIBUTES:
                raise FigureDataError(f"unexpected SVG attribute {local!r}")
        if "url(" in element.attrib.get("style", "").replace("url(#", ""):
            raise FigureDataError("SVG style refers outside the figure")


def figure_svg(spec: FigureSpec, *, key: str = "") -> str:
    """Draw ``spec`` as inline SVG markup; raise :class:`FigureDataError` when its data does not fit its kind.

    Parameters
    ----------
    spec
        The figure spec; its ``kind`` must be one of :data:`KNOWN_KINDS`.
    key
        A name unique within the page (e.g. the check's anchor and the figure's index). It salts the SVG's
        internal ids, so that several figures inlined in one page never share an id, and the same figure
        always gets the same bytes.

    Returns
    -------
    str
        An ``<svg>`` element with a ``viewBox``, built only from the spec's numbers and (escaped) labels.
    """
    drawer = _DRAWERS.get(spec.kind)
    if drawer is None:
        raise FigureDataError(f"unknown figure kind {spec.kind!r}; known kinds are {', '.join(KNOWN_KINDS)}")
    if not isinstance(spec.data, Mapping):
        raise FigureDataError("figure data must be a mapping")
    import matplotlib

    style: Any = {**_style(), "svg.hashsalt": f"synthaudit:{key}"}
    with matplotlib.rc_context(style):
        fig = _new_figure(5.0, 2.7)
        drawer(fig, spec)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _tidy_svg(buffer.getvalue())
    _check_svg(svg)
    return svg


# --------------------------------------------------------------------------------------------- fallback
def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def fallback_table(data: Any) -> FallbackTable:
    """The figure's data as a table: list-valued fields side by side, the rest as name/value pairs."""
    if not isinstance(data, Mapping):
        return FallbackTable(columns=(), rows=(), fields=(("data", _cell(data)),))
    flat: dict[str, Any] = {}
    for key, value in sorted(data.items(), key=lambda item: str(item[0])):
        if isinstance(value, Mapping) and all(isinstance(v, list | tuple) for v in value.values()) and value:
            for sub, values in sorted(value.items(), key=lambda item: str(item[0])):
                flat[f"{key}: {sub}"] = values
        else:
            flat[str(key)] = value
    columns = tuple(k for k, v in flat.items() if isinstance(v, list | tuple))
    fields = tuple((k, _cell(v)) for k, v in flat.items() if k not in columns)
    length = max((len(flat[c]) for c in columns), default=0)
    shown = min(length, MAX_TABLE_ROWS)
    rows = tuple(tuple(_cell(flat[c][i]) if i < len(flat[c]) else None for c in columns) for i in range(shown))
    return FallbackTable(columns=columns, rows=rows, fields=fields, hidden_rows=length - shown)


def render_figure(spec: FigureSpec, *, key: str = "") -> RenderedFigure:
    """Draw ``spec`` as SVG, or fall back to a table of its data (unknown kind, malformed data); never raises."""
    title = str(spec.title)
    if spec.kind not in _DRAWERS:
        note = f"No drawing for figure kind “{spec.kind}”; its data is shown as a table."
        return RenderedFigure(kind=str(spec.kind), title=title, table=fallback_table(spec.data), note=note)
    try:
        return RenderedFigure(kind=spec.kind, title=title, svg=figure_svg(spec, key=key))
    except Exception as exc:  # any failure to draw (bad data, a matplotlib error) must not sink the report
        logger.debug("figure %r (%s) shown as a table: %s", title, spec.kind, exc, exc_info=True)
        note = f"The figure could not be drawn ({_short(exc)}); its data is shown as a table."
        return RenderedFigure(kind=spec.kind, title=title, table=fallback_table(spec.data), note=note)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"
