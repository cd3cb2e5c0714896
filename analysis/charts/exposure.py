"""Charts of regression results: exposures, rolling betas, fit, decompositions, model comparison.

Each function takes result objects of :mod:`analysis.regression` and returns a
:class:`~analysis.charts.base.Chart` in its two renditions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, cast

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.projections.polar import PolarAxes
from matplotlib.ticker import MaxNLocator
from plotly.subplots import make_subplots

from analysis.charts.base import (
    AXIS_LINE,
    BLUE,
    DIVERGING,
    INK,
    LIGHT_BLUE,
    MUTED,
    ORANGE,
    SIG_LEVEL,
    SLATE,
    ZERO_LINE,
    Chart,
    ChartError,
    _bar_height_in,
    _bar_height_px,
    _check_max_points,
    _clamp,
    _f32,
    _fixed2,
    _mpl_style,
    _nice_ceiling,
    _num_label,
    _padded_range,
    _pct_label,
    _percent_formatter,
    _plotly_layout,
    _rgba,
    _sig,
    _static_bar_labels,
    _static_figure,
    _static_legend,
    _static_title,
    _thin_positions,
    _x_labels,
)

if TYPE_CHECKING:  # annotations only: importing charts does not pull in statsmodels
    from analysis.regression.ols import OLSResult
    from analysis.regression.rolling import RollingResult


def _cov_text(result: OLSResult) -> str:
    if result.cov_type == "HAC":
        return f"Newey-West HAC standard errors ({result.hac_maxlags} lags)"
    if result.cov_type == "HC1":
        return "heteroskedasticity-robust (HC1) standard errors"
    return "classical standard errors"


def _subject(result: OLSResult) -> str:
    return f"{result.dependent} ({result.model})"


# --------------------------------------------------------------------------- 1. exposures


def exposure_bars(result: OLSResult) -> Chart:
    """Factor betas as horizontal bars with 95% confidence-interval whiskers.

    Parameters
    ----------
    result
        A full-sample fit.

    Returns
    -------
    Chart
        ``name="exposure_bars"``. Bars are coloured by significance
        (p < 0.05 against p >= 0.05) and the estimates are printed at the
        right; alpha is not drawn (it is a return, not a loading). Hover text
        gives estimate, interval, standard error, t and p.

    Notes
    -----
    Whiskers run from ``conf_int["lower"]`` to ``conf_int["upper"]``, the 95%
    interval of the result's covariance estimator with t critical values.
    """
    factors = list(result.betas.index)
    est = result.params[factors].to_numpy(dtype="float64")
    se = result.std_errors[factors].to_numpy(dtype="float64")
    tst = result.tstats[factors].to_numpy(dtype="float64")
    pv = result.pvalues[factors].to_numpy(dtype="float64")
    lower = result.conf_int.loc[factors, "lower"].to_numpy(dtype="float64")
    upper = result.conf_int.loc[factors, "upper"].to_numpy(dtype="float64")
    sig = pv < SIG_LEVEL
    title = f"Factor exposures — {_subject(result)}"
    caption = (
        "Bars are the estimated betas (values at the right) and whiskers their 95% "
        f"confidence intervals ({_cov_text(result)}); dark bars are significant at the 5% "
        f"level (p < 0.05), light bars are not. Sample {result.start:%Y-%m-%d} to "
        f"{result.end:%Y-%m-%d}, {result.nobs} observations."
    )
    groups = [("p < 0.05", BLUE, sig), ("p \u2265 0.05", SLATE, ~sig)]

    fig = go.Figure()
    for label, color, mask in groups:
        idx = np.flatnonzero(mask)
        if not idx.size:
            continue
        fig.add_trace(
            go.Bar(
                name=label,
                orientation="h",
                y=[factors[i] for i in idx],
                x=_sig(est[idx]),
                marker={"color": color},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": _sig(upper[idx] - est[idx]),
                    "arrayminus": _sig(est[idx] - lower[idx]),
                    "color": INK,
                    "thickness": 1.2,
                    "width": 4,
                },
                customdata=[_sig([se[i], tst[i], pv[i], lower[i], upper[i]], 4) for i in idx],
                hovertemplate=(
                    "<b>%{y}</b><br>beta %{x:.4g}"
                    "<br>95% CI [%{customdata[3]:.4g}, %{customdata[4]:.4g}]"
                    "<br>SE %{customdata[0]:.3g}<br>t %{customdata[1]:.2f}"
                    "<br>p %{customdata[2]:.3g}<extra></extra>"
                ),
            )
        )
    fig.add_vline(x=0, line={"color": ZERO_LINE, "width": 1})
    for name, value in zip(factors, est, strict=True):
        fig.add_annotation(
            x=1.0,
            xref="paper",
            xanchor="left",
            xshift=8,
            y=name,
            yref="y",
            text=_num_label(value),
            showarrow=False,
            font={"size": 11, "color": INK},
        )
    _plotly_layout(
        fig,
        title,
        _bar_height_px(len(factors)),
        legend=True,
        barmode="overlay",
        bargap=0.35,
        margin={"r": 70},
        xaxis={"title": {"text": "Beta (loading on the factor return)"}},
        yaxis={"categoryorder": "array", "categoryarray": factors, "autorange": "reversed"},
    )

    with _mpl_style():
        sfig = _static_figure(_bar_height_in(len(factors)))
        ax = sfig.subplots()
        ypos = np.arange(len(factors))
        ax.barh(
            ypos,
            est,
            height=0.6,
            color=[BLUE if s else SLATE for s in sig],
            xerr=np.vstack([est - lower, upper - est]),
            error_kw={"ecolor": INK, "elinewidth": 1.0, "capsize": 3, "capthick": 1.0},
        )
        ax.axvline(0, color=ZERO_LINE, linewidth=0.9)
        ax.set_yticks(ypos, factors)
        ax.set_ylim(len(factors) - 0.4, -0.6)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Beta (loading on the factor return)")
        trans = ax.get_yaxis_transform()
        for yi, value in zip(ypos, est, strict=True):
            ax.text(1.015, float(yi), _num_label(value), transform=trans, va="center", fontsize=8)
        _static_legend(ax, [Patch(color=c, label=lab) for lab, c, m in groups if m.any()])
        _static_title(sfig, title)
    return Chart("exposure_bars", title, fig, sfig, caption)


def exposure_radar(result: OLSResult) -> Chart | None:
    """Radar chart of the standardized betas, or None with fewer than 3 factors.

    Parameters
    ----------
    result
        A full-sample fit.

    Returns
    -------
    Chart or None
        ``name="exposure_radar"``; None when the model has 1 or 2 factors, for
        which a radar has no shape worth reading.

    Notes
    -----
    The radial axis is symmetric, from ``-m`` at the centre to ``+m`` at the
    rim, with the zero ring drawn dashed: a point's distance from the ring is
    the size of the exposure and its side is the sign. Plotting absolute values
    would make opposite exposures look alike, and an axis starting at zero
    cannot show negative ones at all. ``m`` is a round number above the
    largest absolute value.
    """
    sb = result.standardized_betas
    if len(sb) < 3:
        return None
    names = [str(n) for n in sb.index]
    vals = sb.to_numpy(dtype="float64")
    finite = vals[np.isfinite(vals)]
    m = _nice_ceiling(1.1 * float(np.abs(finite).max())) if finite.size else 1.0
    title = f"Standardized exposures — {_subject(result)}"
    lim = f"{m:g}"
    caption = (
        "Standardized betas: the move in the return, in standard deviations, for a "
        "one-standard-deviation move of the factor. The radial axis runs from "
        f"\u2212{lim} at the centre to +{lim} at the rim and the dashed ring marks zero, so "
        "points inside the ring (red) are negative exposures and points outside it (blue) "
        "positive ones."
    )
    colors = [BLUE if v >= 0 else DIVERGING[0] for v in vals]
    ticks = [-m, -m / 2, 0.0, m / 2, m]
    tick_text = [f"{t:g}".replace("-", "\u2212") for t in ticks]

    fig = go.Figure()
    fig.add_trace(
        go.Scatterpolar(
            r=[0.0] * (len(names) + 1),
            theta=[*names, names[0]],
            mode="lines",
            line={"color": INK, "dash": "dash", "width": 1},
            name="zero",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatterpolar(
            r=_sig([*vals, vals[0]]),
            theta=[*names, names[0]],
            mode="lines+markers",
            line={"color": BLUE, "width": 2},
            marker={"color": [*colors, colors[0]], "size": 9},
            name="standardized beta",
            hovertemplate="<b>%{theta}</b><br>standardized beta %{r:.3f}<extra></extra>",
        )
    )
    _plotly_layout(
        fig,
        title,
        440,
        polar={
            "radialaxis": {
                "range": [-m, m],
                "tickvals": ticks,
                "ticktext": tick_text,
                "angle": 90 - 180 / len(names),
                "tickfont": {"size": 10, "color": MUTED},
            },
            "angularaxis": {"direction": "clockwise", "rotation": 90},
        },
        margin={"l": 60, "r": 60, "t": 80, "b": 40},
    )

    with _mpl_style():
        sfig = _static_figure(3.4)
        ax = cast(PolarAxes, sfig.add_subplot(projection="polar"))
        angles = np.linspace(0.0, 2 * np.pi, len(names), endpoint=False)
        ax.set_theta_offset(np.pi / 2)
        ax.set_theta_direction(-1)
        ring = np.linspace(0.0, 2 * np.pi, 241)
        ax.plot(ring, np.zeros_like(ring), color=INK, linestyle=(0, (4, 3)), linewidth=0.9)
        ax.plot(np.append(angles, angles[0]), np.append(vals, vals[0]), color=BLUE, linewidth=1.6)
        ax.scatter(angles, vals, c=colors, s=22, zorder=3)
        ax.set_ylim(-m, m)
        # ring labels as texts above the data line, so the line never crosses them
        ax.set_yticks(ticks, [""] * len(ticks))
        between = np.pi / len(names)  # half-way between the first two spokes
        for t, text in zip(ticks, tick_text, strict=True):
            ax.text(
                between,
                t,
                text,
                fontsize=8,
                color=MUTED,
                ha="center",
                va="center",
                zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.8},
            )
        ax.set_xticks(angles, names)
        ax.tick_params(axis="x", pad=4)
        ax.spines["polar"].set_color(AXIS_LINE)
        _static_title(sfig, title)
    return Chart("exposure_radar", title, fig, sfig, caption)


# --------------------------------------------------------------------------- 3. rolling


def rolling_betas(
    rolling: RollingResult, *, max_points: int = 1500, include_alpha: bool = False
) -> Chart:
    """Small multiples of the rolling estimates with their confidence band.

    Parameters
    ----------
    rolling
        Rolling-window estimates.
    max_points
        Most windows plotted per panel; longer series are evenly thinned,
        keeping the first and last window.
    include_alpha
        Add a first panel for the intercept (per period).

    Returns
    -------
    Chart
        ``name="rolling_betas"``: one panel per term on a shared date axis, in
        one column up to four panels and two columns beyond.

    Raises
    ------
    ChartError
        If no window could be estimated, or ``max_points`` < 2.

    Notes
    -----
    Windows that could not be estimated (NaN) are dropped, so a line bridges
    an interior gap rather than breaking. Each point is dated by the last row
    of its window. The band is ``rolling.lower`` to ``rolling.upper``. The y
    range of each panel includes zero.
    """
    _check_max_points(max_points)
    terms = [t for t in rolling.terms if include_alpha or t != "alpha"]
    if not terms:
        raise ChartError(f"{rolling.dependent}: the rolling result has no factor to plot")
    est_all = rolling.params[terms]
    estimable = est_all.notna().any(axis=1).to_numpy()
    n_est = int(estimable.sum())
    if n_est == 0:
        raise ChartError(
            f"{rolling.dependent}: no rolling window of {rolling.window} observations could be "
            "estimated; nothing to plot"
        )
    rows = np.flatnonzero(estimable)[_thin_positions(n_est, max_points)]
    est = est_all.iloc[rows]
    lower = rolling.lower[terms].iloc[rows]
    upper = rolling.upper[terms].iloc[rows]

    cov = "Newey-West HAC" if rolling.cov_type == "HAC" else "classical"
    title = f"Rolling exposures — {rolling.dependent}, {rolling.window}-observation windows"
    caption = (
        f"Estimates from rolling {rolling.window}-observation OLS windows, each dated by its "
        f"last observation; the shaded band is the {rolling.level:.0%} confidence interval "
        f"({cov} standard errors) and the dashed line marks zero."
    )
    if "alpha" in terms:
        caption += " Alpha is per period, not annualized."
    if len(rows) < n_est:
        caption += (
            f" {len(rows)} of {n_est} windows are plotted (evenly thinned); the full series "
            "is in the CSV."
        )

    n = len(terms)
    ncols = 1 if n <= 4 else 2
    nrows = math.ceil(n / ncols)
    panels = [(t, i // ncols, i % ncols) for i, t in enumerate(terms)]
    bottom = {c: max(r for _, r, cc in panels if cc == c) for c in range(ncols)}
    band_name = f"{rolling.level:.0%} confidence band"
    series: dict[str, tuple[pd.Series, pd.Series, pd.Series]] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for term in terms:
        e = est[term]
        ok = e.notna()
        band_ok = ok & lower[term].notna() & upper[term].notna()
        series[term] = (e[ok], lower[term][band_ok], upper[term][band_ok])
        ranges[term] = _padded_range(np.concatenate([s.to_numpy() for s in series[term]]))

    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        specs=[[{} if r * ncols + c < n else None for c in range(ncols)] for r in range(nrows)],
        shared_xaxes="all",
        subplot_titles=terms,
        vertical_spacing=min(0.12, 0.4 / nrows),
        horizontal_spacing=0.08,
    )
    for i, (term, r, c) in enumerate(panels):
        e, lo, hi = series[term]
        xb = _x_labels(lo.index)
        fig.add_trace(
            go.Scatter(
                x=xb,
                y=_f32(hi),
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup="band",
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=xb,
                y=_f32(lo),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(BLUE, 0.2),
                name=band_name,
                hoverinfo="skip",
                showlegend=i == 0,
                legendgroup="band",
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=_x_labels(e.index),
                y=_f32(e),
                mode="lines",
                line={"color": BLUE, "width": 1.6},
                name="estimate",
                showlegend=i == 0,
                legendgroup="estimate",
                hovertemplate=f"{term} %{{y:.4g}}<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.add_hline(
            y=0, row=r + 1, col=c + 1, line={"color": ZERO_LINE, "width": 1, "dash": "dash"}
        )
        fig.update_yaxes(range=list(ranges[term]), row=r + 1, col=c + 1)
        fig.update_xaxes(showticklabels=r == bottom[c], row=r + 1, col=c + 1)
    # subplot titles left-aligned over their panel, like the static rendition
    for ann, (_, r, c) in zip(fig.layout.annotations, panels, strict=True):
        domain = fig.get_subplot(r + 1, c + 1).xaxis.domain
        ann.update(x=domain[0], xanchor="left", font={"size": 12})
    _plotly_layout(
        fig,
        title,
        int(80 + 190 * nrows),
        top=75,
        legend=True,
        hovermode="x",
        xaxis={"hoverformat": "%Y-%m-%d"},
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.0 + 1.55 * nrows, 2.8, 8.5))
        axes = sfig.subplots(nrows, ncols, sharex=True, squeeze=False)
        for term, r, c in panels:
            ax = axes[r, c]
            e, lo, hi = series[term]
            ax.fill_between(
                lo.index, lo.to_numpy(), hi.to_numpy(), color=BLUE, alpha=0.2, linewidth=0
            )
            ax.plot(e.index, e.to_numpy(), color=BLUE, linewidth=1.2)
            ax.axhline(0, color=ZERO_LINE, linewidth=0.8, linestyle=(0, (4, 3)))
            ax.set_ylim(*ranges[term])
            ax.set_title(term)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.xaxis.set_tick_params(labelbottom=r == bottom[c])
        for idx in range(n, nrows * ncols):
            axes[idx // ncols, idx % ncols].remove()
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        axes[0, 0].xaxis.set_major_locator(locator)
        axes[0, 0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        handles = [
            Line2D([], [], color=BLUE, linewidth=1.2, label="estimate"),
            Patch(color=BLUE, alpha=0.2, label=band_name),
        ]
        sfig.legend(handles=handles, loc="outside lower center", ncols=2)
        _static_title(sfig, title)
    return Chart("rolling_betas", title, fig, sfig, caption)


# --------------------------------------------------------------------------- 5. cumulative fit


def cumulative_fit(
    result: OLSResult, kind: Literal["log", "simple"], *, max_points: int = 1500
) -> Chart:
    """Cumulative actual against fitted return over the sample.

    Parameters
    ----------
    result
        A full-sample fit.
    kind
        The return type the model was estimated on: ``"log"`` returns are
        summed, ``"simple"`` returns compounded (``prod(1 + r) - 1``).
    max_points
        Most dates plotted; longer samples are evenly thinned, keeping the
        first and last date.

    Returns
    -------
    Chart
        ``name="cumulative_fit"``; y axis in percent.

    Raises
    ------
    ChartError
        If ``kind`` is not ``"log"`` or ``"simple"``, or ``max_points`` < 2.

    Notes
    -----
    "Actual" is the regression's dependent variable (an excess return for
    models that use excess returns) and "fitted" is ``alpha + x_t' beta``;
    for log returns the gap between the lines is the cumulated residual.
    Thinning picks dates from the series cumulated over every observation,
    so the plotted points are exact.
    """
    _check_max_points(max_points)
    y = result.y.astype("float64")
    f = result.fitted.astype("float64")
    if kind == "log":
        cum_y, cum_f = y.cumsum(), f.cumsum()
        axis = "Cumulative log return (%)"
        how = "log returns summed"
    elif kind == "simple":
        cum_y, cum_f = (1.0 + y).cumprod() - 1.0, (1.0 + f).cumprod() - 1.0
        axis = "Cumulative return (%)"
        how = "simple returns compounded"
    else:
        raise ChartError(f"cumulative_fit: kind must be 'log' or 'simple', got {kind!r}")
    pos = _thin_positions(len(cum_y), max_points)
    cum_y, cum_f = cum_y.iloc[pos], cum_f.iloc[pos]
    title = f"Cumulative return, actual vs fitted — {_subject(result)}"
    caption = (
        f"Cumulative return of the regression's dependent variable ({result.dependent}, in "
        "excess of the risk-free rate where the model uses excess returns) and of the model's "
        f"fitted values (alpha + betas \u00d7 factors), {how}, "
        f"{result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}."
    )
    if len(pos) < len(y):
        caption += f" {len(pos)} of {len(y)} dates are plotted (evenly spaced)."
    x = _x_labels(cum_y.index)

    fig = go.Figure()
    for name, cum, color in (("actual", cum_y, BLUE), ("fitted", cum_f, ORANGE)):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_f32(cum),
                mode="lines",
                name=name,
                line={"color": color, "width": 1.6},
                hovertemplate=f"{name} %{{y:.1%}}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": ZERO_LINE, "width": 1})
    _plotly_layout(
        fig,
        title,
        400,
        legend=True,
        hovermode="x unified",
        yaxis={"title": {"text": axis}, "tickformat": ".0%"},
        xaxis={"hoverformat": "%Y-%m-%d"},
    )

    with _mpl_style():
        sfig = _static_figure(3.0)
        ax = sfig.subplots()
        ax.plot(cum_y.index, cum_y.to_numpy(), color=BLUE, label="actual")
        ax.plot(cum_f.index, cum_f.to_numpy(), color=ORANGE, label="fitted")
        ax.axhline(0, color=ZERO_LINE, linewidth=0.8)
        lo, hi = ax.get_ylim()
        ax.yaxis.set_major_formatter(_percent_formatter(lo, hi))
        ax.set_ylabel(axis)
        if isinstance(cum_y.index, pd.DatetimeIndex):
            locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.margins(x=0.01)
        _static_legend(ax, ax.get_legend_handles_labels()[0])
        _static_title(sfig, title)
    return Chart("cumulative_fit", title, fig, sfig, caption)


# --------------------------------------------------------------------------- 6-7. decompositions


def _component_bars(
    *,
    name: str,
    title: str,
    caption: str,
    labels: list[str],
    values: np.ndarray,
    groups: list[tuple[str, str, np.ndarray]],
    axis_title: str,
    separator_before: int | None = None,
) -> Chart:
    """Horizontal percent bars, one trace per colour group, value labels at the bar ends."""
    low, high = _padded_range(values, pad=0.2, labels=True)
    fig = go.Figure()
    for group, color, mask in groups:
        idx = np.flatnonzero(mask)
        if not idx.size:
            continue
        fig.add_trace(
            go.Bar(
                name=group,
                orientation="h",
                y=[labels[i] for i in idx],
                x=_sig(values[idx]),
                text=[_pct_label(float(values[i])) for i in idx],
                textposition="outside",
                cliponaxis=False,
                marker={"color": color},
                hovertemplate="<b>%{y}</b> %{x:.3%}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": ZERO_LINE, "width": 1})
    if separator_before is not None:
        fig.add_hline(
            y=separator_before - 0.5, line={"color": AXIS_LINE, "width": 1, "dash": "dot"}
        )
    _plotly_layout(
        fig,
        title,
        _bar_height_px(len(labels)),
        legend=True,
        barmode="overlay",
        bargap=0.35,
        xaxis={
            "title": {"text": axis_title},
            "tickformat": ".0%" if high - low >= 0.05 else ".1~%",
            "range": [low, high],
        },
        yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed"},
    )

    with _mpl_style():
        sfig = _static_figure(_bar_height_in(len(labels)))
        ax = sfig.subplots()
        ypos = np.arange(len(labels))
        colors = [SLATE] * len(labels)
        for _, color, mask in groups:
            for i in np.flatnonzero(mask):
                colors[i] = color
        ax.barh(ypos, np.nan_to_num(values), height=0.6, color=colors)
        ax.axvline(0, color=ZERO_LINE, linewidth=0.9)
        if separator_before is not None:
            ax.axhline(separator_before - 0.5, color=AXIS_LINE, linewidth=0.8, linestyle=":")
        ax.set_yticks(ypos, labels)
        ax.set_ylim(len(labels) - 0.4, -0.6)
        ax.set_xlim(low, high)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(_percent_formatter(low, high))
        ax.set_xlabel(axis_title)
        _static_bar_labels(ax, ypos, values, [_pct_label(float(v)) for v in values])
        _static_legend(ax, [Patch(color=c, label=g) for g, c, m in groups if m.any()])
        _static_title(sfig, title)
    return Chart(name, title, fig, sfig, caption)


def attribution_bars(result: OLSResult) -> Chart:
    """Annualized return attribution: alpha, each factor, residual and the total.

    Parameters
    ----------
    result
        A full-sample fit.

    Returns
    -------
    Chart
        ``name="attribution_bars"``: ``result.attribution["annualized"]`` as
        horizontal bars in percent; the total is a separate, dark bar below a
        dotted separator.

    Notes
    -----
    Annualization is simple (per-period mean times ``periods_per_year``), so
    the components add up to the total exactly.
    """
    att = result.attribution["annualized"].astype("float64")
    labels = [str(i) for i in att.index]
    values = att.to_numpy()
    kind = np.array([lab if lab in ("alpha", "residual", "total") else "factor" for lab in labels])
    groups = [
        ("alpha", ORANGE, kind == "alpha"),
        ("factor contribution", BLUE, kind == "factor"),
        ("residual", SLATE, kind == "residual"),
        ("total (mean return)", INK, kind == "total"),
    ]
    total_at = np.flatnonzero(kind == "total")
    title = f"Return attribution — {_subject(result)}"
    caption = (
        f"Annualized mean return (per-period mean \u00d7 {result.periods_per_year}, not "
        "compounded) split into alpha, each factor's beta \u00d7 mean factor return and the mean "
        f"residual; the components add up to the total. Sample {result.start:%Y-%m-%d} to "
        f"{result.end:%Y-%m-%d}."
    )
    return _component_bars(
        name="attribution_bars",
        title=title,
        caption=caption,
        labels=labels,
        values=values,
        groups=groups,
        axis_title="Annualized return (%)",
        separator_before=int(total_at[0]) if total_at.size else None,
    )


def variance_bars(result: OLSResult) -> Chart:
    """Variance decomposition: each factor's share and the specific share.

    Parameters
    ----------
    result
        A full-sample fit.

    Returns
    -------
    Chart
        ``name="variance_bars"``: ``result.variance_decomposition`` in percent.
        A negative factor share (the factor offsets others, a suppression
        effect) is drawn to the left of zero.
    """
    vd = result.variance_decomposition.astype("float64")
    labels = [str(i) for i in vd.index]
    values = vd.to_numpy()
    specific = np.array([lab == "specific" for lab in labels])
    groups = [("factor", BLUE, ~specific), ("specific (residual)", SLATE, specific)]
    title = f"Variance decomposition — {_subject(result)}"
    caption = (
        f"Share of the variance of {result.dependent}'s return due to each factor "
        "(beta \u00d7 covariance with the return / variance of the return) and the specific "
        f"(residual) share; factor shares sum to R\u00b2 = {result.rsquared:.1%} and all shares "
        "to 100%."
    )
    if (values[~specific] < 0).any():
        caption += (
            " A negative share means the factor offsets the others (a suppression effect "
            "of correlated factors)."
        )
    return _component_bars(
        name="variance_bars",
        title=title,
        caption=caption,
        labels=labels,
        values=values,
        groups=groups,
        axis_title="Share of return variance (%)",
    )


# --------------------------------------------------------------------------- 8. model comparison


def model_comparison(results: Mapping[str, OLSResult]) -> Chart:
    """R-squared, adjusted R-squared and annualized alpha across models.

    Parameters
    ----------
    results
        ``{label: fit}``, in display order.

    Returns
    -------
    Chart
        ``name="model_comparison"``: left panel grouped bars of R² and
        adjusted R², right panel annualized alpha with its 95% interval.

    Raises
    ------
    ChartError
        If ``results`` is empty.

    Notes
    -----
    Alpha and its interval are annualized by each model's own
    ``periods_per_year`` (simple, not compounded).
    """
    if not results:
        raise ChartError("model_comparison needs at least one result, got none")
    names = [str(k) for k in results]
    fits = list(results.values())
    r2 = np.array([r.rsquared for r in fits])
    r2a = np.array([r.rsquared_adj for r in fits])
    alpha = np.array([r.alpha_annualized for r in fits])
    a_lo = np.array([float(r.conf_int.loc["alpha", "lower"]) * r.periods_per_year for r in fits])
    a_hi = np.array([float(r.conf_int.loc["alpha", "upper"]) * r.periods_per_year for r in fits])
    a_p = np.array([float(r.pvalues["alpha"]) for r in fits])
    deps = sorted({r.dependent for r in fits})
    title = "Model comparison" + (f" — {deps[0]}" if len(deps) == 1 else "")
    caption = (
        "Left: R\u00b2 and adjusted R\u00b2 of each model's full-sample regression. Right: "
        "alpha annualized by simple scaling (per-period alpha \u00d7 periods per year) with its "
        "95% confidence interval from each model's own standard errors."
    )
    r2_range = (min(0.0, float(np.nanmin(r2a)) * 1.15), 1.0)
    a_low, a_high = _padded_range(np.concatenate([a_lo, a_hi, alpha]), pad=0.08)
    panel_titles = ["R\u00b2 and adjusted R\u00b2", "Annualized alpha (95% CI)"]

    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.06,
        subplot_titles=panel_titles,
    )
    for label, vals, color in (("R\u00b2", r2, BLUE), ("adjusted R\u00b2", r2a, LIGHT_BLUE)):
        fig.add_trace(
            go.Bar(
                name=label,
                orientation="h",
                y=names,
                x=_sig(vals),
                marker={"color": color},
                text=[_fixed2(v) for v in vals],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"<b>%{{y}}</b><br>{label} %{{x:.3f}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Bar(
            name="alpha (annualized)",
            orientation="h",
            y=names,
            x=_sig(alpha),
            marker={"color": ORANGE},
            width=0.5,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": _sig(a_hi - alpha),
                "arrayminus": _sig(alpha - a_lo),
                "color": INK,
                "thickness": 1.2,
                "width": 4,
            },
            customdata=[_sig([lo, hi, p], 4) for lo, hi, p in zip(a_lo, a_hi, a_p, strict=True)],
            hovertemplate=(
                "<b>%{y}</b><br>alpha %{x:.2%} per year"
                "<br>95% CI [%{customdata[0]:.2%}, %{customdata[1]:.2%}]"
                "<br>p %{customdata[2]:.3g}<extra></extra>"
            ),
        ),
        row=1,
        col=2,
    )
    fig.add_vline(x=0, row=1, col=2, line={"color": ZERO_LINE, "width": 1})
    for ann, col in zip(fig.layout.annotations, (1, 2), strict=True):
        ann.update(x=fig.get_subplot(1, col).xaxis.domain[0], xanchor="left", font={"size": 12})
    _plotly_layout(
        fig,
        title,
        int(_clamp(170 + 60 * len(names), 320, 900)),
        top=75,
        legend=True,
        barmode="group",
        bargap=0.3,
    )
    fig.update_yaxes(categoryorder="array", categoryarray=names, autorange="reversed")
    fig.update_xaxes(title_text="R\u00b2", range=list(r2_range), row=1, col=1)
    fig.update_xaxes(
        title_text="Alpha (% per year)",
        tickformat=".0%" if a_high - a_low >= 0.05 else ".1~%",
        range=[a_low, a_high],
        row=1,
        col=2,
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.5 + 0.45 * len(names), 2.8, 8.5))
        ax1, ax2 = sfig.subplots(1, 2, sharey=True, width_ratios=[0.55, 0.45])
        ypos = np.arange(len(names))
        h = 0.36
        for offset, vals, color in ((-h / 2, r2, BLUE), (h / 2, r2a, LIGHT_BLUE)):
            bars = ax1.barh(ypos + offset, vals, height=h, color=color)
            ax1.bar_label(
                bars,
                labels=[_fixed2(v) for v in vals],
                padding=2,
                fontsize=8,
                color=INK,
            )
        ax1.set_xlim(r2_range[0], r2_range[1])
        ax1.set_xlabel("R\u00b2")
        ax1.set_title(panel_titles[0])
        ax1.set_yticks(ypos, names)
        ax1.set_ylim(len(names) - 0.4, -0.6)
        ax1.grid(axis="y", visible=False)
        ax1.axvline(0, color=ZERO_LINE, linewidth=0.8)
        ax2.barh(
            ypos,
            alpha,
            height=0.5,
            color=ORANGE,
            xerr=np.vstack([alpha - a_lo, a_hi - alpha]),
            error_kw={"ecolor": INK, "elinewidth": 1.0, "capsize": 3, "capthick": 1.0},
        )
        ax2.axvline(0, color=ZERO_LINE, linewidth=0.9)
        ax2.set_xlim(a_low, a_high)
        ax2.xaxis.set_major_formatter(_percent_formatter(a_low, a_high))
        ax2.set_xlabel("Alpha (% per year)")
        ax2.set_title(panel_titles[1])
        ax2.grid(axis="y", visible=False)
        ax2.tick_params(axis="y", left=False)
        sfig.legend(
            handles=[
                Patch(color=BLUE, label="R\u00b2"),
                Patch(color=LIGHT_BLUE, label="adjusted R\u00b2"),
                Patch(color=ORANGE, label="alpha (annualized)"),
            ],
            loc="outside lower center",
            ncols=3,
        )
        _static_title(sfig, title)
    return Chart("model_comparison", title, fig, sfig, caption)
