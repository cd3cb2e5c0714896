"""Charts of the strategy report: factor distributions, IC, quantile returns, exposures, importance.

The strategy (cross-sectional factor) report scores a universe of names on
each date, sorts them into quantiles and holds the top (and shorts the
bottom). Inputs are plain pandas objects (frames built from the signal,
portfolio and backtest results), so each chart can be built and tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from plotly.subplots import make_subplots

from analysis.charts.base import (
    _DIVERGING_CMAP,
    BLUE,
    DIVERGING,
    INK,
    LIGHT_BLUE,
    MUTED,
    NAN_GREY,
    PALETTE,
    ZERO_LINE,
    Chart,
    ChartError,
    _check_max_points,
    _clamp,
    _diverging_plotly,
    _f32,
    _mpl_style,
    _padded_range,
    _percent_formatter,
    _plotly_layout,
    _sig,
    _static_figure,
    _static_legend,
    _static_title,
    _x_labels,
)
from analysis.charts.timeseries import (
    _date_axis,
    _line_chart,
    _Panel,
    _prepare_lines,
    _series_colors,
)

__all__ = [
    "cumulative_quantile_chart",
    "exposure_names_chart",
    "factor_distribution_chart",
    "factor_exposure_chart",
    "factor_spread_chart",
    "ic_chart",
    "ic_decay_chart",
    "ic_heatmap",
    "importance_chart",
    "monthly_returns_heatmap",
    "quantile_returns_chart",
    "rolling_sharpe_chart",
]

DISTRIBUTION_QUANTILES = (0.01, 0.25, 0.50, 0.75, 0.99)
"""Quantiles drawn by :func:`factor_distribution_chart`: whisker, box, median, box, whisker."""

WHISKER_Z = 1.96
"""Whiskers of the quantile return bars: ±1.96 standard errors (a 95% normal interval)."""

HEATMAP_ANNOTATE_MAX = 30
"""Up to this many years (rows) the year × month heatmaps carry their values."""

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_QUANTILE_CMAP = LinearSegmentedColormap.from_list(
    "quantiles", [DIVERGING[0], DIVERGING[1], "#9aa3ad", DIVERGING[7], DIVERGING[8]]
)
"""Bottom quantile red, top blue; the middle is grey rather than RdBu's white, which would
vanish on the white background."""

_BAR_UP = DIVERGING[6]
_BAR_DOWN = DIVERGING[2]

_IMPORTANCE_LABELS = {
    "composite_weight": "composite weight",
    "standardized_coef": "standardized coefficient",
    "mean_abs_shap": "mean |SHAP value|",
    "permutation_mse": "permutation increase in MSE",
}


# --------------------------------------------------------------------------- helpers


def _numeric(frame: pd.DataFrame, what: str) -> np.ndarray:
    """Float64 values (inf -> NaN) of a non-empty frame, or a ChartError naming ``what``."""
    if not isinstance(frame, pd.DataFrame):
        raise ChartError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ChartError(f"{what}: nothing to plot, got an empty frame of shape {frame.shape}")
    try:
        values = frame.to_numpy(dtype="float64", copy=True)
    except (TypeError, ValueError) as exc:
        raise ChartError(
            f"{what}: values must be numeric; columns {', '.join(map(str, frame.columns))} "
            f"have dtypes {', '.join(map(str, frame.dtypes))}"
        ) from exc
    values[~np.isfinite(values)] = np.nan
    return values


def _log_or_linear(frame: pd.DataFrame, log: bool) -> tuple[bool, str]:
    """Whether a growth-of-1 axis can be logarithmic, and the caption sentence if it cannot."""
    if not log:
        return False, ""
    low = frame.min(axis=0)
    bad = [str(c) for c, v in low.items() if math.isfinite(v) and v <= 0]
    if not bad:
        return True, ""
    return False, (
        f" A log scale was asked for but {', '.join(bad)} reach{'es' if len(bad) == 1 else ''} "
        "a wealth of 0 or below (a long-short portfolio can lose more than its capital), "
        "which a log axis cannot show, so the axis is linear."
    )


def _quantile_name(c: object) -> str:
    return f"Q{int(c)}" if isinstance(c, int | np.integer) else str(c)


def _bar_width_days(index: pd.Index) -> float:
    """80% of the median spacing, in the units matplotlib uses for the x axis (days for dates)."""
    if len(index) < 2:
        return 0.8
    pos = mdates.date2num(index) if isinstance(index, pd.DatetimeIndex) else index.to_numpy()
    return 0.8 * float(np.median(np.diff(np.asarray(pos, dtype="float64"))))


# --------------------------------------------------------------------------- 1. distributions


def _box_stats(values: pd.Series) -> tuple[list[float], int]:
    v = values.to_numpy(dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [math.nan] * len(DISTRIBUTION_QUANTILES), 0
    return [float(q) for q in np.quantile(v, DISTRIBUTION_QUANTILES)], int(v.size)


def factor_distribution_chart(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    title: str = "Factor distributions before and after preprocessing",
) -> Chart:
    """Box plots of each factor's raw and processed values, side by side.

    Parameters
    ----------
    before
        Raw factor values, one column per factor, one row per observation
        (e.g. a ``(date, ticker)`` MultiIndex; any index); NaN ignored.
    after
        The same factors after preprocessing (winsorizing, standardizing,
        neutralizing); a factor may be missing from either frame.
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="factor_distribution"``: one row per factor (factors of
        ``before`` first, then those only in ``after``), raw values on the
        left, processed on the right, each cell with its own value axis.

    Raises
    ------
    ChartError
        If either frame has no row or no column, values are not numeric, or
        no factor has a value in either frame.

    Notes
    -----
    The box spans the 25% to 75% quantiles with a line at the median; the
    whiskers reach the 1% and 99% quantiles (``numpy.quantile``, linear
    interpolation) of the non-missing values, so the 2% most extreme values
    are not drawn. Raw factors live on very different scales (a market value
    in dollars, a return as a fraction), hence one axis per cell.
    """
    _numeric(before, "factor_distribution_chart: before")
    _numeric(after, "factor_distribution_chart: after")
    b = before.set_axis([str(c) for c in before.columns], axis=1)
    a = after.set_axis([str(c) for c in after.columns], axis=1)
    factors = list(dict.fromkeys([*b.columns, *a.columns]))
    panels = (("Raw", b), ("Processed", a))
    stats: dict[tuple[str, str], tuple[list[float], int]] = {}
    for label, frame in panels:
        for f in factors:
            stats[(label, f)] = (
                _box_stats(frame[f].astype("float64")) if f in frame else ([math.nan] * 5, 0)
            )
    if all(n == 0 for _, n in stats.values()):
        raise ChartError("factor_distribution_chart: every value is missing (NaN); nothing to plot")
    k = len(factors)
    empty = [f"{f} ({label.lower()})" for (label, f), (_, n) in stats.items() if n == 0]
    caption = (
        "Distribution of each factor's values over all (date, name) observations, raw (left) "
        "and after preprocessing (right): the box spans the 25% to 75% quantiles, the line "
        "inside it is the median and the whiskers reach the 1% and 99% quantiles, so the "
        "2% most extreme values are not drawn. Each cell has its own scale; missing values "
        "are ignored."
    )
    if empty:
        caption += f" No value: {', '.join(empty)}."

    fig = make_subplots(
        rows=k,
        cols=2,
        column_titles=[label for label, _ in panels],
        row_titles=factors,
        horizontal_spacing=0.08,
        vertical_spacing=min(0.04, 0.3 / k),
    )
    for col, (label, _) in enumerate(panels, start=1):
        color = MUTED if label == "Raw" else BLUE
        for row, f in enumerate(factors, start=1):
            (q01, q25, q50, q75, q99), n = stats[(label, f)]
            if n == 0:
                continue
            fig.add_trace(
                go.Box(
                    y=[f],
                    q1=_sig([q25]),
                    median=_sig([q50]),
                    q3=_sig([q75]),
                    lowerfence=_sig([q01]),
                    upperfence=_sig([q99]),
                    orientation="h",
                    name=f"{f} ({label.lower()})",
                    marker={"color": color},
                    line={"color": color, "width": 1.4},
                    fillcolor="rgba(143,177,211,0.35)" if label == "Processed" else None,
                    hoverinfo="x",
                    showlegend=False,
                ),
                row=row,
                col=col,
            )
            fig.update_yaxes(showticklabels=False, row=row, col=col)
    for ann in fig.layout.annotations:
        if ann.textangle == 90:  # row titles: the factor names, left of the plot
            ann.update(textangle=0, x=-0.01, xanchor="right", font={"size": 11})
    _plotly_layout(
        fig,
        title,
        int(_clamp(120 + 60 * k, 300, 1400)),
        top=80,
        margin={"l": 10 + 7 * max(map(len, factors))},
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.0 + 0.55 * k, 2.6, 9.5))
        axes = sfig.subplots(k, 2, squeeze=False)
        for col, (label, _) in enumerate(panels):
            color = MUTED if label == "Raw" else BLUE
            fill = "#eef1f5" if label == "Raw" else LIGHT_BLUE
            for row, f in enumerate(factors):
                ax = axes[row, col]
                (q01, q25, q50, q75, q99), n = stats[(label, f)]
                if n == 0:
                    ax.text(
                        0.5,
                        0.5,
                        "no value",
                        ha="center",
                        va="center",
                        color=MUTED,
                        transform=ax.transAxes,
                    )
                    ax.set_xticks([])
                else:
                    ax.bxp(
                        [
                            {
                                "med": q50,
                                "q1": q25,
                                "q3": q75,
                                "whislo": q01,
                                "whishi": q99,
                                "fliers": [],
                            }
                        ],
                        orientation="horizontal",
                        widths=0.6,
                        showfliers=False,
                        patch_artist=True,
                        boxprops={"facecolor": fill, "edgecolor": color},
                        medianprops={"color": INK, "linewidth": 1.4},
                        whiskerprops={"color": color},
                        capprops={"color": color},
                    )
                ax.set_yticks([0] if n == 0 else [1], [f if col == 0 else ""])
                ax.grid(axis="y", visible=False)
                ax.tick_params(axis="x", labelsize=8)
                if row == 0:
                    ax.set_title(label)
        _static_title(sfig, title)
    return Chart("factor_distribution", title, fig, sfig, caption)


# --------------------------------------------------------------------------- 2.-4. IC


def _check_window(window: int) -> None:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ChartError(f"window must be an integer >= 2, got {window!r}")


def ic_chart(
    ic: pd.DataFrame,
    *,
    title: str = "Information coefficient by date",
    window: int = 12,
    bars: str | None = None,
    max_points: int = 1500,
) -> Chart:
    """Per-date IC as bars and its rolling mean as lines.

    Parameters
    ----------
    ic
        Indexed by date, one column per IC kind or model (e.g. ``ic``,
        ``rank_ic``); NaN where a date has no IC.
    title
        Chart title.
    window
        Number of ICs in each rolling mean.
    bars
        The column drawn as bars: by default ``"rank_ic"`` if present, else
        the first column.
    max_points
        Most dates plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="ic"``: the bars of ``bars`` (blue above zero, red below), one
        rolling-mean line per column and a dashed zero line.

    Raises
    ------
    ChartError
        If ``ic`` is empty or has no value, ``bars`` is not a column, or
        ``window`` is not an integer >= 2.

    Notes
    -----
    The rolling mean at date :math:`t` is the mean of the last ``window``
    available ICs up to and including :math:`t` (dates without an IC are
    skipped, not counted as zero); it is missing until ``window`` ICs exist,
    so it only uses the past.
    """
    _check_window(window)
    _check_max_points(max_points)
    values = _numeric(ic, "ic_chart")
    frame = pd.DataFrame(values, index=ic.index, columns=[str(c) for c in ic.columns])
    if not frame.index.is_monotonic_increasing:
        raise ChartError("ic_chart: the index must be sorted in increasing order (dates)")
    if bars is None:
        bars = "rank_ic" if "rank_ic" in frame.columns else str(frame.columns[0])
    if bars not in frame.columns:
        raise ChartError(
            f"ic_chart: bars={bars!r} is not a column of ic; columns: {', '.join(frame.columns)}"
        )
    means = {
        f"{c} ({window}-date mean)": frame[c].dropna().rolling(window).mean().reindex(frame.index)
        for c in frame.columns
    }
    data = pd.concat({bars: frame[bars], **means}, axis=1)
    lines = _prepare_lines(data, what="ic_chart", max_points=max_points)
    plotted = lines.frame
    mean_cols = [c for c in plotted.columns if c != bars]
    # the mean of the barred series in ink; the others skip the palette's blue, close to ink
    own = f"{bars} ({window}-date mean)"
    others = [c for c in mean_cols if c != own]
    colors = {own: INK} | {c: PALETTE[1:][i % (len(PALETTE) - 1)] for i, c in enumerate(others)}
    caption = (
        f"Bars: the {bars} of each date (blue above zero, red below). Lines: the mean of the "
        f"last {window} available values of each series (from the {window}th value on). The "
        "dashed line marks zero."
    )
    caption += lines.caption()
    has_bars = bars in plotted.columns
    y = plotted[bars].to_numpy() if has_bars else np.array([])
    x = _x_labels(plotted.index)
    signs = [_BAR_DOWN if v < 0 else _BAR_UP for v in y]

    fig = go.Figure()
    if has_bars:
        fig.add_trace(
            go.Bar(
                x=x,
                y=_f32(y),
                name=bars,
                marker={
                    "color": [_BAR_DOWN if v < 0 else _BAR_UP for v in y],
                    "line": {"width": 0},
                },
                hovertemplate=f"{bars} %{{y:.3f}}<extra></extra>",
            )
        )
    for c in mean_cols:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_f32(plotted[c]),
                mode="lines",
                name=c,
                line={"color": colors[c], "width": 1.8},
                hovertemplate=f"{c} %{{y:.3f}}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": ZERO_LINE, "width": 1, "dash": "dash"})
    dated = isinstance(plotted.index, pd.DatetimeIndex)
    _plotly_layout(
        fig,
        title,
        400,
        legend=True,
        bargap=0.1,
        hovermode="x unified",
        yaxis={"title": {"text": "IC"}},
        xaxis={"hoverformat": "%Y-%m-%d"} if dated else {},
    )

    with _mpl_style():
        sfig = _static_figure(3.0)
        ax = sfig.subplots()
        if has_bars:
            ax.bar(
                plotted.index,
                np.nan_to_num(y),
                width=_bar_width_days(plotted.index),
                color=signs,
                linewidth=0,
            )
        for c in mean_cols:
            ax.plot(plotted.index, plotted[c].to_numpy(), color=colors[c], linewidth=1.4)
        ax.axhline(0, color=ZERO_LINE, linewidth=0.8, linestyle=(0, (4, 3)))
        ax.set_ylabel("IC")
        ax.margins(x=0.01)
        if dated:
            _date_axis(ax)
        handles = ([Patch(color=_BAR_UP, label=bars)] if has_bars else []) + [
            _line_handle(colors[c], c) for c in mean_cols
        ]
        _static_legend(ax, handles)
        _static_title(sfig, title)
    return Chart("ic", title, fig, sfig, caption)


def _line_handle(color: str, label: str) -> Line2D:
    return Line2D([], [], color=color, linewidth=1.4, label=label)


def _month_labels(columns: pd.Index) -> list[str]:
    """Month numbers 1..12 as ``Jan``..``Dec``; other labels (``Year``, ``Jan``) unchanged."""
    out = []
    for c in columns:
        if isinstance(c, int | np.integer) and 1 <= int(c) <= 12:
            out.append(MONTH_NAMES[int(c) - 1])
        else:
            out.append(str(c))
    return out


def _year_month_heatmap(
    table: pd.DataFrame,
    *,
    name: str,
    title: str,
    what: str,
    fmt: Callable[[float], str],
    hover: str,
    colorbar: str,
    caption: str,
    scale_columns: Sequence[str] | None = None,
    percent: bool = False,
) -> Chart:
    """A year × month table on the house diverging scale, symmetric around zero."""
    values = _numeric(table, what)
    rows = [str(r) for r in table.index]
    cols = _month_labels(table.columns)
    if not np.isfinite(values).any():
        raise ChartError(f"{what}: every value is missing (NaN); nothing to plot")
    in_scale = [j for j, c in enumerate(cols) if scale_columns is None or c in scale_columns]
    scaled = values[:, in_scale]
    finite = scaled[np.isfinite(scaled)]
    if not finite.size:
        finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max())
    m = m if m > 0 else 1.0
    annotate = len(rows) <= HEATMAP_ANNOTATE_MAX
    text = [[fmt(v) if math.isfinite(v) else "" for v in row] for row in values]
    limit = f"\u00b1{fmt(m).lstrip('+')}"
    caption += (
        f" The colour scale is centred at zero and symmetric ({limit}; red below zero, blue "
        "above)" + (", values annotated" if annotate else "") + "; blank cells have no value."
    )

    fig = go.Figure(
        go.Heatmap(
            z=[_sig(row) for row in values],
            x=cols,
            y=rows,
            zmin=-m,
            zmax=m,
            zmid=0.0,
            colorscale=_diverging_plotly(),
            text=text if annotate else None,
            texttemplate="%{text}" if annotate else None,
            xgap=1,
            ygap=1,
            colorbar={
                "title": {"text": colorbar},
                "thickness": 12,
                **({"tickformat": ".0%" if m >= 0.05 else ".1%"} if percent else {}),
            },
            hovertemplate=f"%{{y}} %{{x}}: %{{z:{hover}}}<extra></extra>",
        )
    )
    _plotly_layout(
        fig,
        title,
        int(_clamp(130 + 26 * len(rows), 300, 1400)),
        top=80,
        xaxis={"side": "top", "showgrid": False, "type": "category"},
        yaxis={"autorange": "reversed", "showgrid": False, "type": "category"},
        plot_bgcolor=NAN_GREY,
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.3 + 0.24 * len(rows), 2.4, 9.5))
        ax = sfig.subplots()
        im = ax.imshow(
            np.ma.masked_invalid(values), cmap=_DIVERGING_CMAP, vmin=-m, vmax=m, aspect="auto"
        )
        if annotate:
            for i in range(values.shape[0]):
                for j in range(values.shape[1]):
                    v = values[i, j]
                    if math.isfinite(v):
                        ax.text(
                            j,
                            i,
                            text[i][j],
                            ha="center",
                            va="center",
                            fontsize=8,
                            color="white" if abs(v) >= 0.6 * m else INK,
                        )
        ax.xaxis.tick_top()
        ax.set_xticks(np.arange(len(cols)), cols)
        ax.set_yticks(np.arange(len(rows)), rows)
        ax.grid(visible=False)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        cb = sfig.colorbar(im, ax=ax, shrink=min(1.0, 0.4 + 4.0 / len(rows)), pad=0.02)
        cb.set_label(colorbar)
        cb.outline.set_visible(False)
        if percent:
            cb.ax.yaxis.set_major_formatter(_percent_formatter(-m, m))
        _static_title(sfig, title)
    return Chart(name, title, fig, sfig, caption)


def _ic_label(v: float) -> str:
    return f"{v:.3f}".replace("-", "\u2212") if f"{v:.3f}" != "-0.000" else "0.000"


def ic_heatmap(table: pd.DataFrame, *, title: str = "Mean IC by year and month") -> Chart:
    """Mean IC per year and calendar month on a diverging scale centred at zero.

    Parameters
    ----------
    table
        Index years, columns months (1..12, as from
        :func:`analysis.signals.ic.ic_by_month`, or ``Jan``..``Dec``); NaN
        where a year-month has no IC.
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="ic_heatmap"``; cells annotated with three decimals when there
        are at most 30 years.

    Raises
    ------
    ChartError
        If ``table`` is empty, not numeric or has no value.
    """
    return _year_month_heatmap(
        table,
        name="ic_heatmap",
        title=title,
        what="ic_heatmap",
        fmt=_ic_label,
        hover=".3f",
        colorbar="mean IC",
        caption="Mean of the per-date information coefficients in each year and calendar month.",
    )


def ic_decay_chart(decay: pd.DataFrame, *, title: str = "IC decay by horizon") -> Chart:
    """Mean IC against the return 1..h periods ahead, grouped bars per model.

    Parameters
    ----------
    decay
        Index horizon (1, 2, ... periods), one column per model (e.g. from
        :func:`analysis.signals.ic.ic_decay`); NaN where undefined.
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="ic_decay"``.

    Raises
    ------
    ChartError
        If ``decay`` is empty, not numeric or has no value.
    """
    values = _numeric(decay, "ic_decay_chart")
    if not np.isfinite(values).any():
        raise ChartError("ic_decay_chart: every value is missing (NaN); nothing to plot")
    horizons = [str(h) for h in decay.index]
    models = [str(c) for c in decay.columns]
    caption = (
        "Mean over dates of the information coefficient between the scores and the return "
        "h periods ahead (the one-period return starting h \u2212 1 periods after the score "
        "date), for each horizon h. A slow decay means the signal stays informative for "
        "longer, so it can be traded less often."
    )
    return _grouped_bars(
        name="ic_decay",
        title=title,
        caption=caption,
        categories=horizons,
        series={m: values[:, j] for j, m in enumerate(models)},
        xlabel="Horizon (periods ahead)",
        ylabel="Mean IC",
        hover=".3f",
    )


def _grouped_bars(
    *,
    name: str,
    title: str,
    caption: str,
    categories: list[str],
    series: Mapping[str, np.ndarray],
    xlabel: str,
    ylabel: str,
    hover: str,
    errors: Mapping[str, np.ndarray] | None = None,
    percent: bool = False,
) -> Chart:
    """Vertical bars, one group per category and one bar per series; optional error whiskers."""
    colors = _series_colors(list(series))
    errors = errors or {}
    allv = [np.asarray(v, dtype="float64") for v in series.values()]
    bounds = list(allv)
    for s, e in errors.items():
        bounds += [series[s] + e, series[s] - e]
    low, high = _padded_range(np.concatenate(bounds), pad=0.08)
    legend = len(series) > 1

    fig = go.Figure()
    for s, v in series.items():
        err = errors.get(s)
        fig.add_trace(
            go.Bar(
                x=categories,
                y=_sig(v),
                name=s,
                marker={"color": colors[s]},
                error_y=(
                    {"type": "data", "array": _sig(err), "color": INK, "thickness": 1.2, "width": 4}
                    if err is not None
                    else None
                ),
                hovertemplate=f"{s}: %{{y:{hover}}}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": ZERO_LINE, "width": 1})
    yaxis: dict[str, object] = {"title": {"text": ylabel}, "range": [low, high]}
    if percent:
        yaxis["tickformat"] = ".0%" if high - low >= 0.05 else ".2~%"
    _plotly_layout(
        fig,
        title,
        380,
        legend=legend,
        barmode="group",
        bargap=0.25,
        xaxis={"title": {"text": xlabel}, "type": "category"},
        yaxis=yaxis,
    )

    with _mpl_style():
        sfig = _static_figure(3.0)
        ax = sfig.subplots()
        pos = np.arange(len(categories))
        w = 0.8 / len(series)
        for j, (s, v) in enumerate(series.items()):
            err = errors.get(s)
            ax.bar(
                pos + (j - (len(series) - 1) / 2) * w,
                np.nan_to_num(v),
                width=w,
                color=colors[s],
                yerr=err,
                error_kw={"ecolor": INK, "elinewidth": 0.9, "capsize": 2.5},
                label=s,
            )
        ax.axhline(0, color=ZERO_LINE, linewidth=0.9)
        ax.set_xticks(pos, categories)
        ax.grid(axis="x", visible=False)
        ax.set_ylim(low, high)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if percent:
            ax.yaxis.set_major_formatter(_percent_formatter(low, high))
        if legend:
            _static_legend(ax, [Patch(color=colors[s], label=s) for s in series])
        _static_title(sfig, title)
    return Chart(name, title, fig, sfig, caption)


# --------------------------------------------------------------------------- 5.-6. quantiles

QUANTILE_COLUMNS = ("mean", "std_error")
"""Columns :func:`quantile_returns_chart` needs in each frame."""


def quantile_returns_chart(
    means: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    title: str = "Mean return by quantile",
    percent: bool = True,
) -> Chart:
    """Mean next-period return of each score quantile with ±1.96 standard-error whiskers.

    Parameters
    ----------
    means
        Index quantile (1 = lowest score .. q), columns ``mean`` and
        ``std_error`` (as from :func:`analysis.signals.quantiles.quantile_returns`);
        or ``{model: frame}`` to compare models, one bar per model in each
        quantile.
    title
        Chart title.
    percent
        The returns are fractions to show in percent.

    Returns
    -------
    Chart
        ``name="quantile_returns"``.

    Raises
    ------
    ChartError
        If no frame is given, a frame is empty or lacks a column, or values
        are not numeric.

    Notes
    -----
    The whiskers span ``mean ± 1.96 std_error``: a 95% confidence interval
    for the mean if the per-date bucket returns are independent and roughly
    normal (serial correlation makes it too narrow).
    """
    frames = {"": means} if isinstance(means, pd.DataFrame) else dict(means)
    if not frames:
        raise ChartError("quantile_returns_chart: no frame given; pass a frame or {model: frame}")
    quantiles: list[str] = []
    for model, frame in frames.items():
        what = f"quantile_returns_chart{f' {model!r}' if model else ''}"
        if not isinstance(frame, pd.DataFrame):
            raise ChartError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
        missing = [c for c in QUANTILE_COLUMNS if c not in frame.columns]
        if missing:
            got = ", ".join(map(str, getattr(frame, "columns", []))) or "none"
            raise ChartError(
                f"{what}: needs columns {', '.join(QUANTILE_COLUMNS)}; lacks "
                f"{', '.join(missing)}, got {got}"
            )
        _numeric(frame[list(QUANTILE_COLUMNS)], what)
        quantiles += [_quantile_name(q) for q in frame.index]
    categories = list(dict.fromkeys(quantiles))
    series: dict[str, np.ndarray] = {}
    errors: dict[str, np.ndarray] = {}
    for model, frame in frames.items():
        f = frame.set_axis([_quantile_name(q) for q in frame.index], axis=0).reindex(categories)
        key = model or "mean"
        series[key] = f["mean"].to_numpy(dtype="float64")
        errors[key] = WHISKER_Z * f["std_error"].to_numpy(dtype="float64")
    caption = (
        "Average return over the next period of the names in each score quantile (Q1 = "
        "lowest scores), each date weighted equally"
        + (", in percent" if percent else "")
        + ". Whiskers: \u00b11.96 standard errors of the mean over dates (a 95% interval if "
        "dates are independent)."
    )
    return _grouped_bars(
        name="quantile_returns",
        title=title,
        caption=caption,
        categories=categories,
        series=series,
        errors=errors,
        xlabel="Quantile",
        ylabel="Mean return" + (" (%)" if percent else ""),
        hover=".3%" if percent else ".4g",
        percent=percent,
    )


def cumulative_quantile_chart(
    growth: pd.DataFrame,
    *,
    title: str = "Growth of 1 in each quantile",
    log: bool = True,
    max_points: int = 1500,
) -> Chart:
    """Growth of 1 invested in each score quantile, bottom red to top blue.

    Parameters
    ----------
    growth
        Indexed by date, one column per quantile (1 = lowest score .. q, as
        from :func:`analysis.signals.quantiles.cumulative_quantile_returns`).
        Integer columns are sorted and labelled ``Q1`` .. ``Qq``.
    title
        Chart title.
    log
        Log y axis; falls back to linear (and the caption says so) when a
        value is <= 0.
    max_points
        Most dates plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="cumulative_quantile"``.

    Raises
    ------
    ChartError
        If ``growth`` is empty or has no value.
    """
    if isinstance(growth, pd.DataFrame) and all(
        isinstance(c, int | np.integer) for c in growth.columns
    ):
        growth = growth[sorted(growth.columns)]
        growth = growth.set_axis([_quantile_name(c) for c in growth.columns], axis=1)
    lines = _prepare_lines(growth, what="cumulative_quantile_chart", max_points=max_points)
    frame = lines.frame
    log, fallback = _log_or_linear(frame, log)
    names = [str(c) for c in frame.columns]
    k = len(names)
    colors = {n: to_hex(_QUANTILE_CMAP(i / max(k - 1, 1))) for i, n in enumerate(names)}
    caption = (
        "Value of 1 invested in each score quantile, rebalanced every period to equal weights "
        "and its returns compounded"
        + (", on a log scale (equal distances are equal percentage moves)" if log else "")
        + f"; the lowest quantile ({names[0]}) in red through to the highest ({names[-1]}) in "
        "blue. A signal that ranks well fans the lines out in order."
    )
    caption += fallback + lines.caption()
    panel = _Panel(
        frame=frame, ylabel="Growth of 1" + (" (log scale)" if log else ""), log=log, hover=".3f"
    )
    return _line_chart(
        name="cumulative_quantile", title=title, caption=caption, panels=[panel], colors=colors
    )


# --------------------------------------------------------------------------- 7.-9. backtest


def rolling_sharpe_chart(
    frame: pd.DataFrame,
    *,
    window_label: str,
    title: str = "Rolling Sharpe ratio",
    max_points: int = 1500,
) -> Chart:
    """Rolling annualized Sharpe ratio of each series.

    Parameters
    ----------
    frame
        Indexed by date, one column per strategy or benchmark: the Sharpe
        ratio over the trailing window (NaN until the first full window).
    window_label
        The window in words for the caption and axis, e.g. ``"12-month"``.
    title
        Chart title.
    max_points
        Most dates plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="rolling_sharpe"``.

    Raises
    ------
    ChartError
        If ``frame`` is empty or has no value.
    """
    lines = _prepare_lines(frame, what="rolling_sharpe_chart", max_points=max_points)
    caption = (
        f"Annualized Sharpe ratio over a trailing {window_label} window, each point using "
        "only returns up to its date; the dashed line marks zero."
    )
    caption += lines.caption()
    panel = _Panel(
        frame=lines.frame, ylabel=f"Sharpe ratio ({window_label})", zero=True, hover=".2f"
    )
    return _line_chart(
        name="rolling_sharpe",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(lines.frame.columns)),
    )


def _pct1(v: float) -> str:
    text = f"{100 * v:.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def monthly_returns_heatmap(table: pd.DataFrame, *, title: str = "Monthly returns (%)") -> Chart:
    """Compounded return of each month, one row per year, in percent.

    Parameters
    ----------
    table
        Index years, columns the months (``Jan``..``Dec`` or 1..12) and
        optionally ``Year`` (as from
        :func:`analysis.backtest.relative.monthly_returns_table`); returns as
        fractions, NaN for a month without any.
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="monthly_returns"``; cells annotated in percent with one
        decimal when there are at most 30 years.

    Raises
    ------
    ChartError
        If ``table`` is empty, not numeric or has no value.

    Notes
    -----
    The colour limits come from the monthly cells only: a year's total is
    usually larger than any month and would wash the months out; totals
    beyond the limits take the end colours.
    """
    months = [c for c in _month_labels(table.columns) if c in MONTH_NAMES]
    has_year = "Year" in [str(c) for c in table.columns]
    caption = "Compounded return of each calendar month, in percent" + (
        "; the last column is the whole year's." if has_year else "."
    )
    if has_year:
        caption += " Colours are scaled on the months; year totals beyond the scale are capped."
    return _year_month_heatmap(
        table,
        name="monthly_returns",
        title=title,
        what="monthly_returns_heatmap",
        fmt=_pct1,
        hover=".2%",
        colorbar="return",
        caption=caption,
        scale_columns=months or None,
        percent=True,
    )


def exposure_names_chart(
    exposure: pd.DataFrame,
    names: pd.DataFrame,
    *,
    title: str = "Exposure and number of names",
    max_points: int = 1500,
) -> Chart:
    """Net and gross exposure (top) and the number of names held (bottom) over time.

    Parameters
    ----------
    exposure
        Indexed by date, columns such as ``net`` and ``gross``: sums of the
        signed and absolute weights, as fractions of capital.
    names
        Indexed by date, columns such as ``n_long`` and ``n_short`` (or
        ``n_held``): the number of names in the book.
    title
        Chart title.
    max_points
        Most changes plotted per panel (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="exposure_names"``: two panels sharing the date axis, step lines.

    Raises
    ------
    ChartError
        If either frame is empty or has no value.
    """
    top = _prepare_lines(
        exposure, what="exposure_names_chart: exposure", max_points=max_points, step=True
    )
    bottom = _prepare_lines(
        names, what="exposure_names_chart: names", max_points=max_points, step=True
    )
    cols = list(dict.fromkeys([*top.frame.columns, *bottom.frame.columns]))
    caption = (
        "Top: net exposure (sum of the signed weights) and gross exposure (sum of their "
        "absolute values), in percent of capital; bottom: the number of names held. Both are "
        "drawn as steps, holding until the next rebalance; the dashed line marks zero."
    )
    caption += top.caption(unit="exposure changes") + bottom.caption(unit="changes in names")
    panels = [
        _Panel(
            frame=top.frame,
            title="Exposure",
            ylabel="Exposure (%)",
            percent=True,
            zero=True,
            step=True,
            hover=".1%",
        ),
        _Panel(
            frame=bottom.frame,
            title="Number of names",
            ylabel="Names",
            step=True,
            hover=".0f",
        ),
    ]
    return _line_chart(
        name="exposure_names",
        title=title,
        caption=caption,
        panels=panels,
        colors=_series_colors(cols),
    )


# --------------------------------------------------------------------------- 10.-12. factors

IMPORTANCE_COLUMNS = ("refit_date", "factor", "value")
"""Columns of the long importance frame."""


def importance_chart(
    importance: pd.DataFrame,
    *,
    title: str = "Factor importance",
    method: str,
    max_points: int = 1500,
) -> Chart:
    """Each factor's importance in the model, over refits (or as bars for a single fit).

    Parameters
    ----------
    importance
        Long frame with columns ``refit_date``, ``factor`` and ``value``, one
        row per refit and factor.
    title
        Chart title.
    method
        How importance was measured: a key of
        :data:`analysis.forecasting.importance.IMPORTANCE_METHODS`' values
        (``composite_weight``, ``standardized_coef``, ``mean_abs_shap``,
        ``permutation_mse``) or any text, for the axis and caption.
    max_points
        Most refits plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="importance"``: step lines over refit dates, or, with a single
        refit, horizontal bars sorted from the most important factor down.

    Raises
    ------
    ChartError
        If a column is missing, the frame is empty, values are not numeric,
        or a (refit_date, factor) pair repeats.
    """
    missing = [c for c in IMPORTANCE_COLUMNS if c not in importance.columns]
    if missing:
        got = ", ".join(map(str, importance.columns)) or "none"
        raise ChartError(
            f"importance_chart: lacks column(s) {', '.join(missing)}; it needs "
            f"{', '.join(IMPORTANCE_COLUMNS)}, got {got}"
        )
    if importance.empty:
        raise ChartError("importance_chart: the frame is empty; nothing to plot")
    long = importance.assign(factor=importance["factor"].astype(str))
    if long.duplicated(["refit_date", "factor"]).any():
        dup = long.loc[long.duplicated(["refit_date", "factor"]), ["refit_date", "factor"]].iloc[0]
        raise ChartError(
            "importance_chart: needs one row per (refit_date, factor); "
            f"{dup['factor']!r} repeats at refit_date={dup['refit_date']!r}"
        )
    factors = list(dict.fromkeys(long["factor"]))
    wide = long.pivot(index="refit_date", columns="factor", values="value")[factors]
    wide = wide.sort_index()
    _numeric(wide, "importance_chart")
    label = _IMPORTANCE_LABELS.get(method, method)
    measure = f"Importance ({label})"
    if len(wide) > 1:
        lines = _prepare_lines(wide, what="importance_chart", max_points=max_points, step=True)
        caption = (
            f"Importance of each factor, measured as the {label}, at each refit of the model, "
            "drawn as steps (a fit holds until the next refit)."
        )
        caption += lines.caption(unit="refits")
        panel = _Panel(frame=lines.frame, ylabel=measure, step=True, zero=True, hover=".3g")
        return _line_chart(
            name="importance",
            title=title,
            caption=caption,
            panels=[panel],
            colors=_series_colors(list(lines.frame.columns)),
        )
    row = wide.iloc[0].astype("float64").dropna().sort_values(ascending=False)
    if row.empty:
        raise ChartError("importance_chart: every value is missing (NaN); nothing to plot")
    when = wide.index[0]
    when_text = f"{when:%Y-%m-%d}" if isinstance(when, pd.Timestamp) else str(when)
    caption = (
        f"Importance of each factor, measured as the {label}, in the single fit of the model "
        f"(refit date {when_text}), from the most important down."
    )
    return _hbars(row, name="importance", title=title, caption=caption, xlabel=measure)


def _hbars(row: pd.Series, *, name: str, title: str, caption: str, xlabel: str) -> Chart:
    labels = [str(i) for i in row.index]
    v = row.to_numpy(dtype="float64")
    low, high = _padded_range(v, pad=0.15, labels=True)
    n = len(labels)
    text = [f"{x:.3g}".replace("-", "\u2212") for x in v]
    fig = go.Figure(
        go.Bar(
            x=_sig(v),
            y=labels,
            orientation="h",
            marker={"color": BLUE},
            text=text,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line={"color": ZERO_LINE, "width": 1})
    _plotly_layout(
        fig,
        title,
        int(_clamp(130 + 34 * n, 300, 900)),
        xaxis={"title": {"text": xlabel}, "range": [low, high]},
        yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed"},
    )
    with _mpl_style():
        sfig = _static_figure(_clamp(1.1 + 0.27 * n, 2.6, 8.5))
        ax: Axes = sfig.subplots()
        y = np.arange(n)
        bars = ax.barh(y, v, color=BLUE, height=0.65)
        ax.bar_label(bars, labels=text, padding=2, fontsize=8, color=INK)
        ax.axvline(0, color=ZERO_LINE, linewidth=0.9)
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(low, high)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(xlabel)
        _static_title(sfig, title)
    return Chart(name, title, fig, sfig, caption)


def factor_exposure_chart(
    exposures: pd.DataFrame,
    *,
    title: str = "Portfolio factor exposures",
    max_points: int = 1500,
) -> Chart:
    """The portfolio's exposure to each factor over time.

    Parameters
    ----------
    exposures
        Indexed by date, one column per factor: the weighted sum of the
        names' (processed) factor values, e.g. ``w @ Z`` on each date.
    title
        Chart title.
    max_points
        Most dates plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="factor_exposure"``: one line per factor and a dashed zero line.

    Raises
    ------
    ChartError
        If ``exposures`` is empty or has no value.
    """
    lines = _prepare_lines(exposures, what="factor_exposure_chart", max_points=max_points)
    caption = (
        "Exposure of the portfolio to each factor: the sum over names of weight times the "
        "name's processed factor value on each date (in standard deviations of the factor "
        "when factors are standardized); the dashed line marks zero."
    )
    if lines.frame.shape[1] > 20:
        caption += " Colours repeat beyond 20 factors."
    caption += lines.caption()
    panel = _Panel(frame=lines.frame, ylabel="Exposure", zero=True, hover=".3f")
    return _line_chart(
        name="factor_exposure",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(lines.frame.columns)),
    )


def factor_spread_chart(
    cumulative: pd.DataFrame,
    *,
    title: str = "Top-minus-bottom quantile spread of each factor",
    log: bool = True,
    max_points: int = 1500,
) -> Chart:
    """Growth of 1 in each factor's top-minus-bottom quantile portfolio.

    Parameters
    ----------
    cumulative
        Indexed by date, one column per factor: the value of 1 invested in
        the long-short portfolio (long the top quantile of that factor, short
        the bottom one), returns compounded.
    title
        Chart title.
    log
        Log y axis; a long-short wealth can reach 0 or below, in which case
        the axis falls back to linear and the caption says so.
    max_points
        Most dates plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="factor_spread"``: one line per factor and a dotted line at 1.

    Raises
    ------
    ChartError
        If ``cumulative`` is empty or has no value.
    """
    lines = _prepare_lines(cumulative, what="factor_spread_chart", max_points=max_points)
    frame = lines.frame
    log, fallback = _log_or_linear(frame, log)
    caption = (
        "Value of 1 invested in each factor's spread portfolio (long the top quantile, short "
        "the bottom one, rebalanced every period), returns compounded"
        + (", on a log scale" if log else "")
        + "; the dotted line marks 1, the starting value."
    )
    caption += fallback + lines.caption()
    panel = _Panel(
        frame=frame,
        ylabel="Growth of 1" + (" (log scale)" if log else ""),
        log=log,
        hlines=(1.0,),
        hover=".3f",
    )
    return _line_chart(
        name="factor_spread",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(frame.columns)),
    )
