"""The :class:`Chart` container, the house style and the helpers every chart module shares.

The style (palette, fonts, the trimmed plotly template, the matplotlib rc
used inside :func:`_mpl_style`) and the data helpers (rounding, float32,
date labels, thinning) live here so that each subject module draws with the
same look and the same conventions; see :mod:`analysis.charts` for those
conventions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from matplotlib.typing import RcKeyType

from analysis.errors import AnalysisError


class ChartError(AnalysisError):
    """Input that cannot be drawn (no estimable window, no model, bad option)."""


@dataclass(frozen=True)
class Chart:
    """One chart in its two renditions.

    Attributes
    ----------
    name
        Machine name, e.g. ``"exposure_bars"``; stable, usable in file names.
    title
        Human title (also drawn on both figures).
    plotly
        Interactive figure for the HTML site.
    static
        Matplotlib figure for the PDF (built without pyplot).
    caption
        What a reader of the printed figure needs to know: what whiskers and
        bands mean, thinning of plotted points, units.
    """

    name: str
    title: str
    plotly: go.Figure
    static: Figure
    caption: str = ""


# --------------------------------------------------------------------------- style

INK = "#2a3f5f"
"""Text and emphasis (plotly_white's font colour)."""
MUTED = "#5b6b82"
AXIS_LINE = "#b8c4d4"
GRID = "#e1e7f0"
ZERO_LINE = "#6b7a90"
BLUE = "#2b5c8a"
"""Primary series, significant estimates."""
LIGHT_BLUE = "#8fb1d3"
SLATE = "#a9b8c9"
"""Not significant, specific/residual components."""
ORANGE = "#d1603d"
"""Accent: fitted values, alpha."""
NAN_GREY = "#d9d9d9"
PALETTE: tuple[str, ...] = (BLUE, ORANGE, "#3f9b7a", "#8c6bb1", "#c9a227", MUTED)

DIVERGING: tuple[str, ...] = (
    "#b2182b",
    "#d6604d",
    "#f4a582",
    "#fddbc7",
    "#f7f7f7",
    "#d1e5f0",
    "#92c5de",
    "#4393c3",
    "#2166ac",
)
"""ColorBrewer RdBu: negative red, zero white, positive blue (both renditions)."""

FONT_FAMILY = "DejaVu Sans"
_PLOTLY_FONT = "DejaVu Sans, Verdana, Geneva, sans-serif"

WIDTH_IN = 6.5
"""Static figure width in inches (A4 text width)."""
DPI = 200
SIG_LEVEL = 0.05

_MPL_RC: dict[RcKeyType, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "axes.labelsize": 8.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": AXIS_LINE,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "grid.color": GRID,
    "grid.linewidth": 0.7,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.major.size": 3,
    "ytick.major.size": 0,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 10,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "text.color": INK,
    "lines.linewidth": 1.3,
}

_PLOTLY_AXIS: dict[str, Any] = {
    "gridcolor": GRID,
    "linecolor": AXIS_LINE,
    "ticks": "",
    "zeroline": False,
    "automargin": True,
    "title": {"standoff": 8},
}

_TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": _PLOTLY_FONT, "size": 12, "color": INK},
        "colorway": list(PALETTE),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": _PLOTLY_AXIS,
        "yaxis": _PLOTLY_AXIS,
        "polar": {
            "bgcolor": "white",
            "angularaxis": {"gridcolor": GRID, "linecolor": AXIS_LINE, "ticks": ""},
            "radialaxis": {"gridcolor": GRID, "linecolor": GRID, "ticks": ""},
        },
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1.0,
            "bgcolor": "rgba(0,0,0,0)",
        },
        "margin": {"l": 10, "r": 20, "t": 70, "b": 40},
    }
)
"""``plotly_white``'s look (white background, light grid) in the house palette and font,
without ``plotly_white``'s per-trace-type defaults (7 kB per figure otherwise)."""


def _diverging_plotly() -> list[list[float | str]]:
    n = len(DIVERGING) - 1
    return [[i / n, c] for i, c in enumerate(DIVERGING)]


_DIVERGING_CMAP = LinearSegmentedColormap.from_list(
    "house_diverging", list(DIVERGING)
).with_extremes(bad=NAN_GREY)


@contextmanager
def _mpl_style() -> Iterator[None]:
    """The house look for figures built inside the block (global rcParams restored on exit)."""
    with matplotlib.rc_context(_MPL_RC):
        yield


def _static_figure(height: float) -> Figure:
    """A constrained-layout figure of the house width; call inside :func:`_mpl_style`."""
    return Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")


def _static_title(fig: Figure, title: str) -> None:
    fig.suptitle(title, x=0.01, ha="left")


def _plotly_layout(
    fig: go.Figure, title: str, height: int, *, top: int = 50, legend: bool = False, **layout: Any
) -> None:
    """Title on the first line, the legend (if any) right-aligned on a second line.

    Both are placed in pixels from the top of the figure so that they never
    overlap each other or subplot titles, whatever the responsive width.
    """
    top = top + 28 if legend else top
    margin = {"l": 10, "r": 20, "t": top, "b": 40} | layout.pop("margin", {})
    fig.update_layout(
        template=_TEMPLATE,
        title={
            "text": title,
            "x": 0.0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1.0 - 12 / height,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 15},
        },
        height=height,
        showlegend=legend,
        margin=margin,
        **layout,
    )
    if legend:
        fig.update_layout(legend={"yref": "container", "y": 1.0 - 40 / height, "yanchor": "top"})


def _static_legend(ax: Axes, handles: Sequence[Any]) -> None:
    """Legend right-aligned just above a single axes, under the figure title."""
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.01),
        ncols=len(handles),
        borderaxespad=0.0,
        handlelength=1.6,
        columnspacing=1.4,
    )


def _percent_formatter(low: float, high: float) -> PercentFormatter:
    """Whole percents unless the axis spans less than 5 points."""
    return PercentFormatter(xmax=1.0, decimals=0 if high - low >= 0.05 else None)


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (round(255 * v) for v in to_rgb(color))
    return f"rgba({r},{g},{b},{alpha})"


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


# --------------------------------------------------------------------------- data helpers


def _sig(values: Any, digits: int = 6) -> list[float | None]:
    """Values rounded to ``digits`` significant digits; NaN becomes None (JSON null)."""
    out: list[float | None] = []
    for v in np.asarray(values, dtype="float64").ravel():
        out.append(float(f"{v:.{digits}g}") if math.isfinite(v) else None)
    return out


def _sig2d(frame: pd.DataFrame, digits: int = 6) -> list[list[float | None]]:
    return [_sig(row, digits) for row in frame.to_numpy(dtype="float64")]


def _f32(values: Any) -> np.ndarray:
    """A long series for plotly: float32 keeps ~7 significant digits in half the bytes."""
    return np.asarray(values, dtype="float64").astype(np.float32)


def _x_labels(index: pd.Index) -> list[Any]:
    """Dates as ``YYYY-MM-DD`` (or full ISO when intraday); other indexes unchanged."""
    if isinstance(index, pd.DatetimeIndex):
        fmt = "%Y-%m-%d" if (index == index.normalize()).all() else "%Y-%m-%dT%H:%M:%S"
        return list(index.strftime(fmt))
    return list(index)


def _thin_positions(n: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` evenly spaced positions in ``range(n)``, first and last included."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.intp))


def _check_max_points(max_points: int) -> None:
    if isinstance(max_points, bool) or not isinstance(max_points, int | np.integer):
        raise ChartError(f"max_points must be an integer >= 2, got {max_points!r}")
    if max_points < 2:
        raise ChartError(f"max_points must be an integer >= 2, got {max_points!r}")


def _padded_range(
    values: Sequence[float] | np.ndarray, pad: float = 0.06, *, labels: bool = False
) -> tuple[float, float]:
    """Data range including zero, widened by ``pad`` of its span.

    With ``labels``, a side only gets the full padding (room for value
    labels) if some value lies on that side of zero, else a sliver.
    """
    arr = np.asarray(values, dtype="float64")
    arr = arr[np.isfinite(arr)]
    low = min(0.0, float(arr.min())) if arr.size else 0.0
    high = max(0.0, float(arr.max())) if arr.size else 1.0
    span = high - low or 1.0
    if not labels:
        return low - pad * span, high + pad * span
    tiny = 1e-12 * span
    left = pad if (arr < -tiny).any() else 0.03
    right = pad if (arr > tiny).any() else 0.03
    return low - left * span, high + right * span


def _nice_ceiling(x: float) -> float:
    """Smallest of 1, 2, 2.5, 5 times a power of ten that is >= x (> 0)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10.0**exp >= x * (1 - 1e-12):
            return m * 10.0**exp
    return 10.0 ** (exp + 1)


def _pct_label(v: float) -> str:
    """Signed percent for value labels: one decimal, two significant digits below 1%.

    Values below 1e-10 in absolute value (numerical zeros such as the mean
    OLS residual) read ``0.0%``.
    """
    if not math.isfinite(v):
        return "n/a"
    if abs(v) < 1e-10:
        return "0.0%"
    text = f"{v:+.1%}" if abs(v) >= 0.01 else f"{100 * v:+#.2g}%"
    return text.replace("-", "\u2212")


def _fixed2(v: float) -> str:
    """Two decimals with a true minus sign and no negative zero (``-0.004`` reads ``0.00``)."""
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text.replace("-", "\u2212")


def _num_label(v: float) -> str:
    """Three significant digits (trailing zeros kept) with a true minus sign."""
    if not math.isfinite(v):
        return "n/a"
    return f"{v:#.3g}".rstrip(".").replace("-", "\u2212")


def _bar_height_px(n: int) -> int:
    return int(_clamp(130 + 34 * n, 300, 900))


def _bar_height_in(n: int) -> float:
    return _clamp(1.1 + 0.27 * n, 2.6, 8.5)


def _static_bar_labels(ax: Axes, y: np.ndarray, x: np.ndarray, labels: list[str]) -> None:
    """Value labels just beyond the end of each horizontal bar (left of negative bars)."""
    lo, hi = ax.get_xlim()
    off = 0.012 * (hi - lo)
    for yi, xi, text in zip(y, x, labels, strict=True):
        if not math.isfinite(xi):
            continue
        right = xi >= 0
        ax.text(
            xi + (off if right else -off),
            yi,
            text,
            va="center",
            ha="left" if right else "right",
            fontsize=8,
            color=INK,
        )
