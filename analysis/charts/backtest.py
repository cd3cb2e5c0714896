"""Charts of backtests: equity curves, drawdowns, positions and metrics by regime.

Inputs are plain pandas objects (one column per strategy), so each chart can
be built and tested alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.patches import Patch

from analysis.charts.base import (
    BLUE,
    INK,
    PALETTE,
    ZERO_LINE,
    Chart,
    ChartError,
    _clamp,
    _mpl_style,
    _num_label,
    _padded_range,
    _pct_label,
    _percent_formatter,
    _plotly_layout,
    _sig,
    _static_figure,
    _static_title,
)
from analysis.charts.timeseries import (
    MERGE_GAP,
    _line_chart,
    _Panel,
    _prepare_lines,
    _regime_bands,
    _series_colors,
)

__all__ = ["drawdown_chart", "equity_curve_chart", "metric_bars_by_regime", "position_chart"]

BUY_AND_HOLD = "buy and hold"
"""The benchmark column drawn in dark ink."""


def _strategy_colors(names: list[str]) -> dict[str, str]:
    """Buy and hold in ink, the others in the palette in order (without its blue, close to ink)."""
    if BUY_AND_HOLD not in names:
        return _series_colors(names)
    others = [n for n in names if n != BUY_AND_HOLD]
    palette = [c for c in PALETTE if c != BLUE]
    if len(others) > len(palette):
        return _series_colors(names, ink={BUY_AND_HOLD: INK})
    return {BUY_AND_HOLD: INK} | {n: palette[i] for i, n in enumerate(others)}


def equity_curve_chart(
    wealth: pd.DataFrame,
    *,
    title: str,
    log: bool = True,
    shading: pd.Series | None = None,
    shading_label: str = "",
    shade: str | Sequence[str] = "high",
    merge_gap: int = MERGE_GAP,
    max_points: int = 1500,
) -> Chart:
    """Growth of 1 invested in each strategy.

    Parameters
    ----------
    wealth
        Indexed by date, one column per strategy: the value of 1 invested at
        the start, net returns compounded. A column named ``"buy and hold"``
        is drawn in dark ink, the others in the palette.
    title
        Chart title.
    log
        Log y axis (equal vertical distances are equal percentage moves).
    shading, shading_label, shade, merge_gap, max_points
        As in :func:`analysis.charts.rolling_correlation_chart`.

    Returns
    -------
    Chart
        ``name="equity_curve"``.

    Raises
    ------
    ChartError
        If ``wealth`` is empty or has no value, or has a value <= 0 with ``log``.
    """
    lines = _prepare_lines(wealth, what="equity_curve_chart", max_points=max_points)
    frame = lines.frame
    values = frame.to_numpy()
    if log and (values[np.isfinite(values)] <= 0).any():
        col = frame.columns[(frame <= 0).any(axis=0).to_numpy()][0]
        raise ChartError(
            f"equity_curve_chart: {col!r} has wealth <= 0, which a log axis cannot show; "
            "pass log=False"
        )
    bands = _regime_bands(
        shading, shade, label=shading_label, merge_gap=merge_gap, within=frame.index
    )
    names = list(frame.columns)
    caption = (
        "Value of 1 invested at the start in each strategy, returns compounded"
        + (", on a log scale (equal distances are equal percentage moves)" if log else "")
        + "."
    )
    if BUY_AND_HOLD in names:
        caption += " The dark line is buy and hold."
    caption += bands.caption() if bands is not None else ""
    caption += lines.caption()
    panel = _Panel(
        frame=frame,
        ylabel="Growth of 1" + (" (log scale)" if log else ""),
        log=log,
        hover=".3f",
        widths={BUY_AND_HOLD: 1.8},
    )
    return _line_chart(
        name="equity_curve",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_strategy_colors(names),
        bands=bands,
    )


def drawdown_chart(drawdowns: pd.DataFrame, *, title: str, max_points: int = 1500) -> Chart:
    """Underwater curves: each strategy's fall below its running peak.

    Parameters
    ----------
    drawdowns
        Indexed by date, one column per strategy: ``wealth / running max - 1``,
        fractions <= 0.
    title
        Chart title.
    max_points
        Most dates plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="drawdown"``; y axis in percent, zero at the top.

    Raises
    ------
    ChartError
        If ``drawdowns`` is empty, has no value or has a positive value.

    Notes
    -----
    Thinning can skip the deepest day of a drawdown; the caption gives each
    strategy's maximum drawdown from the full series.
    """
    lines = _prepare_lines(drawdowns, what="drawdown_chart", max_points=max_points)
    full = drawdowns.astype("float64").set_axis([str(c) for c in drawdowns.columns], axis=1)
    tol = 1e-12  # wealth / peak - 1 can round to a hair above zero at a new peak
    if (full.to_numpy() > tol).any():
        col = full.columns[(full > tol).any(axis=0).to_numpy()][0]
        raise ChartError(
            f"drawdown_chart: drawdowns are fractions <= 0 below the running peak; {col!r} "
            "has a positive value"
        )
    frame = lines.frame
    worst = full[frame.columns].min(axis=0)
    low = float(min(worst.min(), -0.01)) * 1.05
    caption = (
        "Percentage below the running peak of each strategy's wealth (0% at a new peak). "
        "Maximum drawdown: "
        + "; ".join(f"{c} {_pct_label(float(v))}" for c, v in worst.items())
        + "."
    )
    caption += lines.caption()
    panel = _Panel(
        frame=frame,
        ylabel="Drawdown (%)",
        yrange=(low, 0.0),
        percent=True,
        hover=".1%",
        widths={BUY_AND_HOLD: 1.8},
    )
    return _line_chart(
        name="drawdown",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_strategy_colors(list(frame.columns)),
    )


def position_chart(positions: pd.DataFrame, *, title: str, max_points: int = 1500) -> Chart:
    """Positions over time as step lines.

    Parameters
    ----------
    positions
        Indexed by date, one column per strategy: the position held (e.g. a
        fraction of capital, negative when short).
    title
        Chart title.
    max_points
        Most position changes plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="positions"``.

    Raises
    ------
    ChartError
        If ``positions`` is empty or has no value.

    Notes
    -----
    A position holds until it changes, hence steps; dates where no position
    changes are not plotted (a step line needs only the changes), so long
    daily series usually need no thinning.
    """
    lines = _prepare_lines(positions, what="position_chart", max_points=max_points, step=True)
    caption = (
        "Position held by each strategy (fraction of capital; negative = short), drawn as "
        "steps: a position holds until it changes. The dashed line marks zero."
    )
    caption += lines.caption()
    panel = _Panel(frame=lines.frame, ylabel="Position", zero=True, step=True, hover=".2f")
    return _line_chart(
        name="positions",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_strategy_colors(list(lines.frame.columns)),
    )


def metric_bars_by_regime(
    table: pd.DataFrame, *, metric: str, title: str, percent: bool = False
) -> Chart:
    """One metric of several models (or strategies) by regime, as grouped horizontal bars.

    Parameters
    ----------
    table
        Index models or strategies, columns regime names, values the metric;
        NaN where it is undefined (e.g. no row of that regime).
    metric
        The metric's name, for the axis and caption (e.g. ``"Sharpe ratio"``).
    title
        Chart title.
    percent
        The values are fractions to show in percent (returns, hit rates).

    Returns
    -------
    Chart
        ``name="metric_by_regime"``: one bar per (row, regime), the regimes
        in the columns' order and colours, values printed at the bar ends.

    Raises
    ------
    ChartError
        If ``table`` has no row or no column, or values that are not numbers.
    """
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise ChartError(
            f"metric_bars_by_regime {metric!r}: needs at least one model and one regime, "
            f"got shape {table.shape}"
        )
    try:
        values = table.to_numpy(dtype="float64", copy=True)
    except (TypeError, ValueError) as exc:
        raise ChartError(f"metric_bars_by_regime {metric!r}: values must be numeric") from exc
    values[~np.isfinite(values)] = np.nan
    rows = [str(r) for r in table.index]
    regimes = [str(c) for c in table.columns]
    colors = _series_colors(regimes)
    label = _pct_label if percent else _num_label
    low, high = _padded_range(values, pad=0.2, labels=True)
    missing = np.isnan(values)
    caption = (
        f"{metric} of each model or strategy by regime"
        + (" (percent)" if percent else "")
        + ", computed on the rows of that regime only."
    )
    if missing.any():
        caption += " n/a: undefined for that regime (e.g. too few rows)."

    fig = go.Figure()
    for j, regime in enumerate(regimes):
        fig.add_trace(
            go.Bar(
                name=regime,
                orientation="h",
                y=rows,
                x=_sig(values[:, j]),
                marker={"color": colors[regime]},
                text=[label(float(v)) for v in values[:, j]],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=(
                    f"<b>%{{y}}</b> \u00b7 {regime}<br>{metric} "
                    + ("%{x:.2%}" if percent else "%{x:.3g}")
                    + "<extra></extra>"
                ),
            )
        )
    fig.add_vline(x=0, line={"color": ZERO_LINE, "width": 1})
    n_bars = len(rows) * len(regimes)
    _plotly_layout(
        fig,
        title,
        int(_clamp(150 + 22 * n_bars + 14 * len(rows), 300, 1000)),
        legend=True,
        barmode="group",
        bargap=0.3,
        xaxis={
            "title": {"text": metric},
            "range": [low, high],
            **({"tickformat": ".0%" if high - low >= 0.05 else ".1~%"} if percent else {}),
        },
        yaxis={"categoryorder": "array", "categoryarray": rows, "autorange": "reversed"},
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.2 + 0.2 * n_bars + 0.1 * len(rows), 2.6, 8.5))
        ax = sfig.subplots()
        ypos = np.arange(len(rows))
        h = 0.8 / len(regimes)
        for j, regime in enumerate(regimes):
            offset = (j - (len(regimes) - 1) / 2) * h
            bars = ax.barh(
                ypos + offset, np.nan_to_num(values[:, j]), height=h, color=colors[regime]
            )
            ax.bar_label(
                bars,
                labels=[label(float(v)) for v in values[:, j]],
                padding=2,
                fontsize=8,
                color=INK,
            )
        ax.axvline(0, color=ZERO_LINE, linewidth=0.9)
        ax.set_yticks(ypos, rows)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(low, high)
        ax.grid(axis="y", visible=False)
        if percent:
            ax.xaxis.set_major_formatter(_percent_formatter(low, high))
        ax.set_xlabel(metric)
        ax.legend(
            handles=[Patch(color=colors[r], label=r) for r in regimes],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.01),
            ncols=min(len(regimes), 4),
            borderaxespad=0.0,
        )
        _static_title(sfig, title)
    return Chart("metric_by_regime", title, fig, sfig, caption)
