"""Shared machinery of the line charts over dates: preparing frames, regime bands, panels.

The regime, forecast and backtest charts are all lines (or steps) over a date
index, in one or a few panels sharing the x axis, sometimes with grey bands
marking a regime. Each of them prepares its data with :func:`_prepare_lines`,
computes bands with :func:`_regime_bands` and draws both renditions with
:func:`_line_chart`, so the conventions of :mod:`analysis.charts` (thinning,
float32, date strings, the house look) hold for all of them in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogFormatter, PercentFormatter
from plotly.subplots import make_subplots

from analysis.charts.base import (
    PALETTE,
    ZERO_LINE,
    Chart,
    ChartError,
    _check_max_points,
    _f32,
    _mpl_style,
    _plotly_layout,
    _static_figure,
    _static_title,
    _thin_positions,
    _x_labels,
)

BAND_GREY = "#e4e8ee"
"""Regime bands: light enough that the lines over them stay the figure's subject."""

LEGEND_INSIDE_MAX = 6
"""Up to this many series the legend sits above the plot; beyond it, to the right."""

MERGE_GAP = 5
"""Default: shaded runs separated by fewer rows than this are drawn as one band."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Lines:
    """A frame ready to plot: numeric, rows thinned, all-NaN columns set aside."""

    frame: pd.DataFrame
    n_rows: int
    """Rows with at least one value (the dates the plotted lines stand for)."""
    n_candidates: int
    """Rows left before thinning (fewer than ``n_rows`` after step compression)."""
    dropped: tuple[str, ...] = ()
    """Columns without any value, not drawn."""

    @property
    def thinned(self) -> bool:
        return len(self.frame) < self.n_candidates

    def caption(self, unit: str = "dates") -> str:
        """Sentences about what is not drawn: thinned rows and empty columns."""
        text = ""
        if self.thinned:
            text += (
                f" {len(self.frame)} of {self.n_rows} {unit} are plotted (evenly thinned, "
                "first and last kept)."
            )
        if self.dropped:
            text += f" No value at all, not drawn: {', '.join(self.dropped)}."
        return text


def _as_frame(data: pd.DataFrame | pd.Series, what: str) -> pd.DataFrame:
    """A numeric float64 frame with string column names, sorted index checked."""
    frame = data.to_frame(name=str(data.name or "value")) if isinstance(data, pd.Series) else data
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ChartError(f"{what}: nothing to plot, got an empty frame of shape {frame.shape}")
    try:
        values = frame.to_numpy(dtype="float64", copy=True)
    except (TypeError, ValueError) as exc:
        raise ChartError(
            f"{what}: values must be numeric; columns {', '.join(map(str, frame.columns))} "
            f"have dtypes {', '.join(map(str, frame.dtypes))}"
        ) from exc
    if not frame.index.is_monotonic_increasing:
        raise ChartError(f"{what}: the index must be sorted in increasing order (dates)")
    values[~np.isfinite(values)] = np.nan
    return pd.DataFrame(values, index=frame.index, columns=[str(c) for c in frame.columns])


def _prepare_lines(
    data: pd.DataFrame | pd.Series, *, what: str, max_points: int, step: bool = False
) -> _Lines:
    """Validate, drop rows without any value, compress steps, thin to ``max_points`` rows.

    Rows where every column is missing (leading windows, holidays) are dropped,
    so lines bridge them; a missing value in some columns only is kept and
    breaks those lines. With ``step``, rows equal to the previous row are
    dropped first: for a step line they add nothing, so this loses nothing.
    """
    _check_max_points(max_points)
    frame = _as_frame(data, what)
    empty = frame.isna().all(axis=0)
    frame = frame.loc[:, ~empty]
    frame = frame.loc[frame.notna().any(axis=1)]
    if frame.empty:
        raise ChartError(f"{what}: every value is missing (NaN); nothing to plot")
    n_rows = len(frame)
    if step and n_rows > 2:
        v = frame.to_numpy()
        same = ((v[1:] == v[:-1]) | (np.isnan(v[1:]) & np.isnan(v[:-1]))).all(axis=1)
        keep = np.concatenate([[True], ~same])
        keep[-1] = True  # the last row carries the step to the end of the sample
        frame = frame.loc[keep]
    n_candidates = len(frame)
    frame = frame.iloc[_thin_positions(n_candidates, max_points)]
    dropped = tuple(str(c) for c in empty.index[empty.to_numpy()])
    return _Lines(frame=frame, n_rows=n_rows, n_candidates=n_candidates, dropped=dropped)


def _series_colors(names: Sequence[str], *, ink: Mapping[str, str] | None = None) -> dict[str, str]:
    """House palette in order (cycling through tab20 beyond its six colours); ``ink`` overrides."""
    ink = dict(ink or {})
    rest = [n for n in names if n not in ink]
    if len(rest) <= len(PALETTE):
        colors = list(PALETTE)
    else:
        tab = colormaps["tab20"]
        colors = [to_hex(tab(i % 20)) for i in range(len(rest))]
    return ink | {n: colors[i % len(colors)] for i, n in enumerate(rest)}


# --------------------------------------------------------------------------- regime bands


@dataclass(frozen=True)
class _Bands:
    """Merged runs of one label, as (start, end) index values, clipped to the plotted range."""

    spans: tuple[tuple[Any, Any], ...]
    category: str
    label: str
    merge_gap: int

    def caption(self, when: str = "") -> str:
        """A sentence on the bands; ``when`` overrides "<label> is '<category>'"."""
        when = when or f"{self.label or 'the regime label'} is '{self.category}'"
        if not self.spans:
            return f" No date in the plotted range is one when {when}, so no band is drawn."
        merged = (
            f"; runs separated by fewer than {self.merge_gap} observations are merged into "
            "one band to keep the figure light"
            if self.merge_gap > 1
            else ""
        )
        n = len(self.spans)
        bands = f"{n} band{'s' if n != 1 else ''}"
        return f" Grey bands mark the periods when {when} ({bands}{merged})."

    def legend_label(self) -> str:
        return f"{self.label}: {self.category}" if self.label else str(self.category)


def _shade_category(shade: str | Sequence[str]) -> str:
    if isinstance(shade, str):
        return shade
    cats = list(shade)
    if not cats:
        raise ChartError("shade must name at least one category, got an empty sequence")
    return str(cats[0])


def _check_merge_gap(merge_gap: int) -> None:
    if isinstance(merge_gap, bool) or not isinstance(merge_gap, int | np.integer) or merge_gap < 1:
        raise ChartError(f"merge_gap must be an integer >= 1, got {merge_gap!r}")


def _runs(hit: np.ndarray, merge_gap: int) -> list[tuple[int, int]]:
    """``[start, end)`` positions of the runs of True, gaps under ``merge_gap`` rows closed."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hit.astype(np.int8), [0]])))
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] < merge_gap:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def _regime_bands(
    shading: pd.Series | None,
    shade: str | Sequence[str],
    *,
    label: str,
    merge_gap: int,
    within: pd.Index,
) -> _Bands | None:
    """Bands where ``shading`` equals the first category of ``shade``, within ``within``'s range.

    A band runs from the date of a run's first row to the date of the first
    row after the run (the label holds until it changes), or to the run's last
    row at the end of the series. Missing labels count as "not shaded".
    """
    if shading is None:
        return None
    _check_merge_gap(merge_gap)
    category = _shade_category(shade)
    if not isinstance(shading, pd.Series):
        raise ChartError(f"shading must be a pandas Series of labels, got {type(shading).__name__}")
    if not shading.index.is_monotonic_increasing:
        raise ChartError("shading: the index must be sorted in increasing order (dates)")
    hit = shading.astype(object).eq(category).to_numpy(dtype=bool)
    index = shading.index
    lo, hi = within[0], within[-1]
    spans: list[tuple[Any, Any]] = []
    try:
        for start, end in _runs(hit, merge_gap):
            x0, x1 = index[start], index[end] if end < len(index) else index[end - 1]
            if x1 < lo or x0 > hi:
                continue
            spans.append((max(x0, lo), min(x1, hi)))
    except TypeError as exc:
        raise ChartError(
            f"shading: its index ({type(index).__name__}) cannot be compared with the "
            f"chart's index ({type(within).__name__}); give labels on the same dates"
        ) from exc
    return _Bands(spans=tuple(spans), category=category, label=label, merge_gap=merge_gap)


def _band_shapes(bands: _Bands) -> list[dict[str, Any]]:
    """One rectangle per band over every panel at once (``yref="paper"``), not one per panel."""
    if not bands.spans:
        return []
    x0 = _x_labels(pd.Index([s[0] for s in bands.spans]))
    x1 = _x_labels(pd.Index([s[1] for s in bands.spans]))
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": a,
            "x1": b,
            "y0": 0,
            "y1": 1,
            "fillcolor": BAND_GREY,
            "line": {"width": 0},
            "layer": "below",
        }
        for a, b in zip(x0, x1, strict=True)
    ]


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Panel:
    """One panel: a frame whose columns are the lines, and how to draw its y axis."""

    frame: pd.DataFrame
    title: str = ""
    ylabel: str = ""
    yrange: tuple[float, float] | None = None
    log: bool = False
    percent: bool = False
    zero: bool = False
    hlines: tuple[float, ...] = ()
    """Dashed reference levels (e.g. 0.5 for a probability)."""
    vlines: tuple[tuple[float, str], ...] = ()
    """Dashed vertical markers as (x, colour)."""
    step: bool = False
    markers: bool = False
    hover: str = ".3f"
    widths: Mapping[str, float] = field(default_factory=dict)


def _hover(name: str, fmt: str) -> str:
    return f"{name} %{{y:{fmt}}}<extra></extra>"


def _plotly_y(panel: _Panel) -> dict[str, Any]:
    y: dict[str, Any] = {"title": {"text": panel.ylabel}}
    if panel.log:
        y["type"] = "log"
    if panel.yrange is not None:
        y["range"] = list(panel.yrange)
    if panel.percent:
        values = panel.frame.to_numpy()
        finite = values[np.isfinite(values)]
        span = float(finite.max() - finite.min()) if finite.size else 1.0
        y["tickformat"] = ".0%" if span >= 0.05 else ".1~%"
    return y


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _line_chart(
    *,
    name: str,
    title: str,
    caption: str,
    panels: Sequence[_Panel],
    colors: Mapping[str, str],
    bands: _Bands | None = None,
    legend: bool = True,
    xlabel: str = "",
) -> Chart:
    """Both renditions of lines in one or more stacked panels sharing the x axis."""
    n = len(panels)
    names = list(dict.fromkeys(c for p in panels for c in p.frame.columns))
    dated = all(isinstance(p.frame.index, pd.DatetimeIndex) for p in panels)
    outside = legend and len(names) > LEGEND_INSIDE_MAX
    titles = [p.title for p in panels]

    if n == 1:
        fig = go.Figure()
    else:
        fig = make_subplots(
            rows=n,
            cols=1,
            shared_xaxes=True,
            subplot_titles=titles,
            vertical_spacing=min(0.1, 0.3 / n),
        )
    shown: set[str] = set()
    for r, panel in enumerate(panels, start=1):
        cell = {} if n == 1 else {"row": r, "col": 1}
        x = _x_labels(panel.frame.index)
        for col in panel.frame.columns:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=_f32(panel.frame[col]),
                    mode="lines+markers" if panel.markers else "lines",
                    name=col,
                    line={
                        "color": colors[col],
                        "width": panel.widths.get(col, 1.6),
                        "shape": "hv" if panel.step else "linear",
                    },
                    marker={"size": 4} if panel.markers else None,
                    showlegend=legend and col not in shown,
                    legendgroup=col,
                    hovertemplate=_hover(col, panel.hover),
                ),
                **cell,
            )
            shown.add(col)
        if panel.zero:
            fig.add_hline(y=0, line={"color": ZERO_LINE, "width": 1, "dash": "dash"}, **cell)
        for level in panel.hlines:
            fig.add_hline(y=level, line={"color": ZERO_LINE, "width": 1, "dash": "dot"}, **cell)
        for xv, color in panel.vlines:
            fig.add_vline(x=xv, line={"color": color, "width": 1.2, "dash": "dash"}, **cell)
        fig.update_yaxes(_plotly_y(panel), **cell)
    if n > 1:
        for ann, r in zip(fig.layout.annotations, range(1, n + 1), strict=True):
            ann.update(x=fig.get_subplot(r, 1).xaxis.domain[0], xanchor="left", font={"size": 12})
    height = 400 if n == 1 else int(80 + 190 * n)
    xaxis: dict[str, Any] = {"hoverformat": "%Y-%m-%d"} if dated else {}
    _plotly_layout(
        fig,
        title,
        height,
        top=75 if n > 1 else 50,
        legend=legend and not outside,
        hovermode="x unified",
        xaxis=xaxis,
    )
    # appended to the existing shapes (the reference lines) in one assignment: add_shape
    # re-validates every earlier shape at each call, quadratic in the number of bands
    if bands is not None:
        new = _band_shapes(bands)
        if new:
            fig.layout.shapes = (*fig.layout.shapes, *new)
    if xlabel:
        fig.update_xaxes(title_text=xlabel, **({} if n == 1 else {"row": n, "col": 1}))
    if outside:
        fig.update_layout(
            showlegend=True,
            legend={
                "orientation": "v",
                "x": 1.02,
                "xanchor": "left",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "top",
            },
        )

    with _mpl_style():
        sfig = _static_figure(3.0 if n == 1 else _clamp_height(1.0 + 1.55 * n))
        axes = sfig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
        for ax, panel in zip(axes, panels, strict=True):
            if bands is not None:
                for x0, x1 in bands.spans:
                    ax.axvspan(x0, x1, color=BAND_GREY, linewidth=0, zorder=0)
            for col in panel.frame.columns:
                ax.plot(
                    panel.frame.index,
                    panel.frame[col].to_numpy(),
                    color=colors[col],
                    linewidth=0.8 * panel.widths.get(col, 1.6),
                    drawstyle="steps-post" if panel.step else "default",
                    marker="o" if panel.markers else None,
                    markersize=2.5,
                    label=col,
                )
            if panel.zero:
                ax.axhline(0, color=ZERO_LINE, linewidth=0.8, linestyle=(0, (4, 3)))
            for level in panel.hlines:
                ax.axhline(level, color=ZERO_LINE, linewidth=0.8, linestyle=":")
            for xv, color in panel.vlines:
                ax.axvline(xv, color=color, linewidth=1.0, linestyle=(0, (4, 3)))
            if panel.log:
                ax.set_yscale("log")
                _plain_log_labels(ax)
            if panel.yrange is not None:
                ax.set_ylim(*panel.yrange)
            if panel.percent:
                # automatic decimals: whole percents would print -2.5% as -2%
                ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
            if panel.title and n > 1:
                ax.set_title(panel.title)
            if panel.ylabel:
                ax.set_ylabel(panel.ylabel)
            ax.margins(x=0.01)
        if dated:
            _date_axis(axes[-1])
        if xlabel:
            axes[-1].set_xlabel(xlabel)
        handles: list[Any] = (
            [Line2D([], [], color=colors[c], linewidth=1.3, label=c) for c in names]
            if legend
            else []
        )
        if bands is not None and bands.spans:
            handles.append(Patch(color=BAND_GREY, label=bands.legend_label()))
        if handles:
            if outside:
                sfig.legend(
                    handles=handles, loc="outside right upper", ncols=1 if len(handles) <= 18 else 2
                )
            elif n == 1:
                axes[0].legend(
                    handles=handles,
                    loc="lower right",
                    bbox_to_anchor=(1.0, 1.01),
                    ncols=min(len(handles), 4),
                    borderaxespad=0.0,
                    handlelength=1.6,
                    columnspacing=1.4,
                )
            else:
                sfig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
        _static_title(sfig, title)
    return Chart(name, title, fig, sfig, caption)


class _PlainLogFormatter(LogFormatter):
    """Log-axis labels as plain numbers (``0.6``, ``4``) where matplotlib would write ``6×10⁻¹``.

    The base class still decides which minor ticks get a label (only on axes
    spanning few decades), so labels never crowd.
    """

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return f"{x:g}".replace("-", "\u2212")


def _plain_log_labels(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(_PlainLogFormatter())
    ax.yaxis.set_minor_formatter(_PlainLogFormatter(minor_thresholds=(2, 0.5)))


def _clamp_height(h: float) -> float:
    return max(2.8, min(8.5, h))
