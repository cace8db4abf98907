"""Figure drawing: one matplotlib function per figure kind, and the checks on a figure spec's data.

Each ``_draw_<kind>`` validates the spec's data (raising :class:`FigureDataError` when it does not have the shape
its kind needs) and draws it on a fresh ``Figure``; :mod:`synthaudit.reports.figures` turns that figure into
checked SVG. matplotlib is imported inside the functions (it is slow to import) and never through pyplot.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

from synthaudit.result import FigureSpec

_MAX_LABEL = 40
_MAX_POINTS = 800
_ECDF_POINTS = 400

# Okabe–Ito palette (distinguishable with the common colour-vision deficiencies); fixed colours for the names
# checks use, so "real" is the same blue in every figure of a report.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_NAMED_COLOURS = {
    "real": "#0072B2",
    "synthetic": "#E69F00",
    "holdout": "#009E73",
    "reference": "#009E73",
}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FigureDataError(ValueError):
    """A figure spec whose data does not have the shape its kind needs."""


# --------------------------------------------------------------------------------------------- data checks
def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FigureDataError(f"{what} must be a number; got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise FigureDataError(f"{what} must be finite; got {number!r}")
    return number


def _numbers(values: Any, what: str, *, length: int | None = None, minimum: int = 1) -> list[float]:
    if not isinstance(values, list | tuple):
        raise FigureDataError(f"{what} must be a list of numbers; got {type(values).__name__}")
    out = [_number(v, f"{what}[{i}]") for i, v in enumerate(values)]
    if length is not None and len(out) != length:
        raise FigureDataError(f"{what} must have {length} values; got {len(out)}")
    if len(out) < minimum:
        raise FigureDataError(f"{what} must have at least {minimum} value(s); got {len(out)}")
    return out


def _series(data: Mapping[str, Any], key: str = "series") -> dict[str, Any]:
    series = data.get(key)
    if not isinstance(series, Mapping) or not series:
        raise FigureDataError(f"data[{key!r}] must be a non-empty mapping of series name to values")
    if len(series) > len(_PALETTE):
        raise FigureDataError(f"data[{key!r}] has {len(series)} series; at most {len(_PALETTE)} can be drawn")
    # Sorted by name, as the JSON result stores them, so a re-loaded result draws the same figure.
    return {str(k): series[k] for k in sorted(series, key=str)}


def _labels(values: Any, what: str, *, length: int | None = None) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise FigureDataError(f"{what} must be a non-empty list of labels")
    if length is not None and len(values) != length:
        raise FigureDataError(f"{what} must have {length} labels; got {len(values)}")
    return [_label(v) for v in values]


def _label(value: Any, limit: int = _MAX_LABEL) -> str:
    """A label for matplotlib: a string without control characters, shortened (matplotlib escapes it)."""
    text = _CONTROL_CHARS.sub("", str(value)).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _colour(name: str, index: int) -> str:
    return _NAMED_COLOURS.get(name.lower(), _PALETTE[index % len(_PALETTE)])


# --------------------------------------------------------------------------------------------- drawing
def _style() -> dict[str, Any]:
    return {
        "svg.fonttype": "none",
        "text.parse_math": False,
        "font.size": 9.0,
        "axes.titlesize": 9.0,
        "axes.labelsize": 9.0,
        "xtick.labelsize": 8.0,
        "ytick.labelsize": 8.0,
        "legend.fontsize": 8.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#9ca3af",
        "axes.labelcolor": "#374151",
        "xtick.color": "#4b5563",
        "ytick.color": "#4b5563",
        "axes.grid": True,
        "axes.axisbelow": True,
        "grid.color": "#e5e7eb",
        "grid.linewidth": 0.6,
        "legend.frameon": False,
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "path.simplify": True,
    }


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _draw_histogram(fig: Any, spec: FigureSpec) -> None:
    data = spec.data
    edges = _numbers(data.get("bin_edges"), "data['bin_edges']", minimum=2)
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise FigureDataError("data['bin_edges'] must be strictly increasing")
    series = _series(data)
    ax = fig.add_subplot()
    if data.get("datetime") is True:
        import matplotlib.dates as mdates

        edges = [e / 86400.0 for e in edges]  # seconds since the epoch → matplotlib's days since the epoch
        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    for i, (name, values) in enumerate(series.items()):
        heights = _numbers(values, f"data['series'][{name!r}]", length=len(edges) - 1)
        colour = _colour(name, i)
        ax.stairs(heights, edges, fill=True, color=colour, alpha=0.22, linewidth=0)
        ax.stairs(heights, edges, color=colour, linewidth=1.4, label=_label(name))
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.grid(axis="x", visible=False)
    _finish(ax, spec, legend=True)


def _draw_bars(fig: Any, spec: FigureSpec) -> None:
    data = spec.data
    categories = _labels(data.get("categories"), "data['categories']")
    series = _series(data)
    n, k = len(categories), len(series)
    fig.set_size_inches(5.0, min(9.0, 1.0 + 0.22 * n * max(1, k) ** 0.5 + 0.1 * k))
    ax = fig.add_subplot()
    height = 0.8 / k
    for i, (name, values) in enumerate(series.items()):
        widths = _numbers(values, f"data['series'][{name!r}]", length=n)
        positions = [c + (i - (k - 1) / 2) * height for c in range(n)]
        ax.barh(positions, widths, height=height * 0.92, color=_colour(name, i), label=_label(name))
    ax.set_yticks(range(n), categories)
    ax.invert_yaxis()  # first category (the worst, as given) at the top
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    _finish(ax, spec, legend=k > 1, swap_labels=True)


def _matrix(values: Any, where: str) -> list[list[float]]:
    if not isinstance(values, list | tuple) or not values:
        raise FigureDataError(f"{where} must be a non-empty list of rows")
    rows = [_numbers(row, f"{where}[{i}]") for i, row in enumerate(values)]
    if len({len(r) for r in rows}) != 1:
        raise FigureDataError(f"{where} rows must all have the same length")
    return rows


def _draw_heatmap(fig: Any, spec: FigureSpec) -> None:
    """One matrix (``matrix``), or several side by side on one colour scale (``panels``: title and matrix each)."""
    data = spec.data
    panels_data = data.get("panels")
    if panels_data is not None:
        if not isinstance(panels_data, list | tuple) or not 1 <= len(panels_data) <= 3:
            raise FigureDataError("data['panels'] must be a list of 1 to 3 {'title', 'matrix'} records")
        titles = [str(p.get("title", "")) if isinstance(p, dict) else "" for p in panels_data]
        matrices = [
            _matrix(p.get("matrix") if isinstance(p, dict) else None, f"data['panels'][{i}]['matrix']")
            for i, p in enumerate(panels_data)
        ]
    else:
        titles, matrices = [""], [_matrix(data.get("matrix"), "data['matrix']")]
    if len({(len(m), len(m[0])) for m in matrices}) != 1:
        raise FigureDataError("the panels' matrices must have the same shape")
    rows = matrices[0]
    n_rows, n_cols = len(rows), len(rows[0])
    if "labels" in data:
        y_labels = _labels(data["labels"], "data['labels']", length=n_rows)
        x_labels = _labels(data["labels"], "data['labels']", length=n_cols)
    else:
        y_labels = _labels(data.get("y_labels"), "data['y_labels']", length=n_rows)
        x_labels = _labels(data.get("x_labels"), "data['x_labels']", length=n_cols)
    if n_rows > 60 or n_cols > 60:
        raise FigureDataError(f"a {n_rows}×{n_cols} heatmap is too large to draw; shown as a table")
    flat = [v for matrix in matrices for row in matrix for v in row]
    low = _number(data["vmin"], "data['vmin']") if data.get("vmin") is not None else min(flat)
    high = _number(data["vmax"], "data['vmax']") if data.get("vmax") is not None else max(flat)
    diverging = low < 0 < high
    if diverging:
        bound = max(abs(low), abs(high))
        low, high, name = -bound, bound, "RdBu_r"
    else:
        name = "Blues"
    import matplotlib

    # A stepped colour scale: easier to read off than a continuous one, and its colour bar stays vector.
    cmap = matplotlib.colormaps[name].resampled(16)
    if high <= low:
        high = low + 1.0
    # Drawn at the width it is shown at (a full-width figure, ~6.5 in), so its 8-point labels read as 8 points.
    longest = max(len(label) for label in (*x_labels, *y_labels))
    k = len(matrices)
    side = min(5.2 / k, 1.2 + 0.26 * max(n_rows, n_cols) / k) + 0.055 * longest
    fig.set_size_inches(min(7.0, k * side + 1.0), side + (0.3 if k > 1 else 0.0))
    axes = fig.subplots(1, k, squeeze=False)[0]
    mesh = None
    for index, (ax, title, matrix) in enumerate(zip(axes, titles, matrices, strict=True)):
        mesh = ax.pcolormesh(matrix, cmap=cmap, vmin=low, vmax=high, edgecolors="white", linewidth=0.5)
        ax.set_xticks([c + 0.5 for c in range(n_cols)], x_labels, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks([r + 0.5 for r in range(n_rows)], y_labels if index == 0 else [""] * n_rows)
        ax.invert_yaxis()
        ax.set_aspect("equal")
        ax.grid(visible=False)
        ax.tick_params(length=0)
        if title:
            ax.set_title(title, fontsize=9)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if k == 1 and n_rows * n_cols <= 144:
            for r, row in enumerate(matrix):
                for c, value in enumerate(row):
                    shade = abs(value - (0 if diverging else low)) / ((high - low) / (2 if diverging else 1))
                    ax.text(
                        c + 0.5,
                        r + 0.5,
                        f"{value:.2g}",
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="white" if shade > 0.6 else "#111827",
                    )
    fig.colorbar(mesh, ax=list(axes), shrink=0.8)
    _finish(ax, spec, legend=False)


def _draw_distribution(fig: Any, spec: FigureSpec) -> None:
    if "bin_edges" in spec.data:
        _draw_histogram(fig, spec)
        return
    import numpy as np

    series = _series(spec.data)
    ax = fig.add_subplot()
    for i, (name, values) in enumerate(series.items()):
        sample = np.sort(np.asarray(_numbers(values, f"data['series'][{name!r}]"), dtype=float))
        if len(sample) > _ECDF_POINTS:  # the curve's shape at display resolution, not every point
            levels = np.linspace(0.0, 1.0, _ECDF_POINTS)
            xs, ys = np.quantile(sample, levels), levels
        else:
            xs, ys = sample, np.arange(1, len(sample) + 1) / len(sample)
        ax.step(xs, ys, where="post", color=_colour(name, i), linewidth=1.5, label=_label(name))
    markers = spec.data.get("markers") or {}
    if not isinstance(markers, Mapping):
        raise FigureDataError("data['markers'] must map a label to an x value")
    for j, (label, x) in enumerate(sorted(markers.items(), key=lambda item: str(item[0]))):
        ax.axvline(_number(x, f"data['markers'][{label!r}]"), color="#6b7280", linestyle=(0, (4, 2 + j)), linewidth=1)
        ax.annotate(
            _label(label),
            (_number(x, "marker"), 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            rotation=90,
            va="top",
            ha="right",
            color="#4b5563",
        )
    ax.set_ylim(0, 1.02)
    if not spec.y_label:
        ax.set_ylabel("cumulative share")
    _finish(ax, spec, legend=True)


def _points(values: Any, what: str) -> tuple[list[float], list[float]]:
    if isinstance(values, Mapping):
        xs = _numbers(values.get("x"), f"{what}['x']")
        ys = _numbers(values.get("y"), f"{what}['y']", length=len(xs))
        return xs, ys
    if isinstance(values, list | tuple) and values:
        pairs = [_numbers(p, f"{what}[{i}]", length=2) for i, p in enumerate(values)]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    raise FigureDataError(f"{what} must be {{'x': [...], 'y': [...]}} or a list of [x, y] pairs")


def _draw_scatter(fig: Any, spec: FigureSpec) -> None:
    series = _series(spec.data)
    ax = fig.add_subplot()
    for i, (name, values) in enumerate(series.items()):
        xs, ys = _points(values, f"data['series'][{name!r}]")
        step = max(1, math.ceil(len(xs) / _MAX_POINTS))  # a fixed stride keeps the SVG small and deterministic
        ax.scatter(xs[::step], ys[::step], s=12, alpha=0.6, color=_colour(name, i), label=_label(name), linewidths=0)
    _finish(ax, spec, legend=True)


def _finish(ax: Any, spec: FigureSpec, *, legend: bool, swap_labels: bool = False) -> None:
    x_label, y_label = (spec.y_label, spec.x_label) if swap_labels else (spec.x_label, spec.y_label)
    if x_label:
        ax.set_xlabel(_label(x_label, 2 * _MAX_LABEL))
    if y_label:
        ax.set_ylabel(_label(y_label, _MAX_LABEL))
    if legend:
        # Outside the data: a row above the axes (constrained layout makes room), never over bars or curves.
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.figure.legend(handles, labels, loc="outside upper center", ncols=min(len(labels), 4))


_DRAWERS = {
    "histogram": _draw_histogram,
    "bars": _draw_bars,
    "heatmap": _draw_heatmap,
    "distribution": _draw_distribution,
    "scatter": _draw_scatter,
}
