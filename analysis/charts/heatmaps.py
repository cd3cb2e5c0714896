"""Heatmaps on a diverging scale: factor correlations and the cross-section of betas."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from analysis.charts.base import (
    _DIVERGING_CMAP,
    INK,
    MUTED,
    NAN_GREY,
    Chart,
    ChartError,
    _clamp,
    _diverging_plotly,
    _fixed2,
    _mpl_style,
    _plotly_layout,
    _sig2d,
    _static_figure,
    _static_title,
)

# --------------------------------------------------------------------------- 4. correlations


def correlation_heatmap(X: pd.DataFrame) -> Chart:
    """Correlation matrix of the factor returns.

    Parameters
    ----------
    X
        Factor returns, one column per factor (e.g. ``OLSResult.X``).

    Returns
    -------
    Chart
        ``name="correlation_heatmap"``: Pearson correlations on a diverging
        scale fixed to [-1, 1] (red negative, blue positive), values annotated.

    Raises
    ------
    ChartError
        If ``X`` has no column.
    """
    if X.shape[1] == 0:
        raise ChartError("correlation_heatmap needs at least one factor column, got none")
    corr = X.astype("float64").corr()
    names = [str(c) for c in corr.columns]
    k = len(names)
    span = ""
    if isinstance(X.index, pd.DatetimeIndex) and len(X.index):
        span = f"{X.index[0]:%Y-%m-%d} to {X.index[-1]:%Y-%m-%d}, "
    title = "Factor correlations"
    caption = (
        f"Pearson correlations of the factor returns over the regression sample ({span}"
        f"{len(X)} observations); the colour scale is fixed from \u22121 (red) to +1 (blue)."
    )
    ticks = [-1.0, -0.5, 0.0, 0.5, 1.0]

    fig = go.Figure(
        go.Heatmap(
            z=_sig2d(corr),
            x=names,
            y=names,
            zmin=-1.0,
            zmax=1.0,
            colorscale=_diverging_plotly(),
            texttemplate="%{z:.2f}",
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": "corr."}, "thickness": 12, "tickvals": ticks},
            hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>",
        )
    )
    _plotly_layout(
        fig,
        title,
        int(_clamp(150 + 48 * k, 320, 900)),
        yaxis={"autorange": "reversed", "showgrid": False},
        xaxis={"showgrid": False},
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.0 + 0.42 * k, 2.8, 8.5))
        ax = sfig.subplots()
        im = ax.imshow(
            np.ma.masked_invalid(corr.to_numpy()),
            cmap=_DIVERGING_CMAP,
            vmin=-1.0,
            vmax=1.0,
            aspect="auto",
        )
        _annotate_cells(ax, corr.to_numpy(), dark_above=0.6)
        _heatmap_axes(ax, names, names, top=False)
        cb = sfig.colorbar(im, ax=ax, shrink=0.9, pad=0.02, ticks=ticks)
        cb.set_label("Correlation")
        cb.outline.set_visible(False)
        _static_title(sfig, title)
    return Chart("correlation_heatmap", title, fig, sfig, caption)


def _sig3(v: float) -> str:
    """Three significant digits with a typographic minus (betas of very different scales)."""
    return f"{v:.3g}".replace("-", "\u2212")


def _annotate_cells(
    ax: Axes,
    values: np.ndarray,
    *,
    dark_above: float,
    fmt: Callable[[float], str] | None = None,
    shade: np.ndarray | None = None,
) -> None:
    """Write each cell's value (two decimals by default; ``n/a`` if missing), white on dark.

    ``shade`` (default ``values``) is what the cell's colour was drawn from, when the
    colours are not the values themselves (a heatmap scaled per column).
    """
    fmt = fmt or _fixed2
    shade = values if shade is None else shade
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            finite = math.isfinite(v)
            ax.text(
                j,
                i,
                fmt(v) if finite else "n/a",
                ha="center",
                va="center",
                fontsize=8,
                color=("white" if abs(shade[i, j]) >= dark_above else INK) if finite else MUTED,
            )


def _heatmap_axes(ax: Axes, cols: list[str], rows: list[str], *, top: bool) -> None:
    """Category ticks for an ``imshow`` heatmap; long column names are slanted."""
    # slant the column names only when they would not fit side by side (8 pt ~ 0.075 in/char)
    slant = max(map(len, cols)) * 0.075 > 0.9 * 5.2 / len(cols)
    if top:
        ax.xaxis.tick_top()
    ax.set_xticks(
        np.arange(len(cols)),
        cols,
        rotation=30 if slant else 0,
        ha=("left" if top else "right") if slant else "center",
        rotation_mode="anchor",
    )
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.grid(visible=False)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


# --------------------------------------------------------------------------- 9. cross-section


def exposure_heatmap(
    betas: pd.DataFrame, *, title: str, scale: Literal["shared", "column"] = "shared"
) -> Chart:
    """Betas of many tickers on a diverging scale centred at zero.

    Parameters
    ----------
    betas
        Rows are tickers, columns factor names (possibly prefixed with the
        model, e.g. ``"ff3: SMB"``); NaN where a ticker has no estimate.
    title
        Chart title.
    scale
        ``"shared"``: one colour scale for every cell. ``"column"``: each column
        on its own scale, ``±`` its largest absolute beta (named under the column),
        so factors of very different sizes (a market beta near 1, a mean-reversion
        beta near 0.001) all show their spread across tickers; no colour bar then.

    Returns
    -------
    Chart
        ``name="exposure_heatmap"``. With a shared scale the colour limits are
        ``-m`` and ``+m`` with ``m`` the largest absolute beta; values are
        annotated to three significant digits (up to 14 columns and 40 rows);
        missing cells are grey and read ``n/a``.

    Raises
    ------
    ChartError
        If ``betas`` has no row or no column.
    """
    if betas.empty:
        raise ChartError(
            f"exposure_heatmap {title!r}: needs at least one ticker and one factor, "
            f"got shape {betas.shape}"
        )
    values = betas.to_numpy(dtype="float64")
    rows = [str(r) for r in betas.index]
    cols = [str(c) for c in betas.columns]
    finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    m = m if m > 0 else 1.0
    missing = ~np.isfinite(values)
    # 8 pt values stay legible up to 14 columns and 40 rows of the static figure
    annotate = len(cols) <= 14 and len(rows) <= 40
    per_column = scale == "column"
    if per_column:
        with np.errstate(all="ignore"):
            col_m = np.nanmax(np.abs(values), axis=0)
        col_m = np.where(np.isfinite(col_m) & (col_m > 0), col_m, 1.0)
        shade = values / col_m
        labels = [f"{c}<br>\u00b1{_sig3(v)}" for c, v in zip(cols, col_m, strict=True)]
        static_labels = [f"{c}\n\u00b1{_sig3(v)}" for c, v in zip(cols, col_m, strict=True)]
        lim = 1.0
        caption = (
            "Full-sample betas by ticker; each column has its own colour scale, centred at zero "
            "and symmetric (\u00b1 its largest absolute beta, under the column name; red "
            "negative, blue positive), so colours compare tickers within a factor, not factors"
            + (", values annotated" if annotate else "")
            + "."
        )
    else:
        shade, labels, static_labels, lim = values, cols, cols, m
        caption = (
            "Full-sample betas by ticker; the colour scale is centred at zero and symmetric "
            f"(\u00b1{m:.2f}, red negative, blue positive)"
            + (", values annotated" if annotate else "")
            + "."
        )
    if missing.any():
        caption += (
            " Grey cells (n/a) have no estimate: the ticker failed or its model does not "
            "include that factor."
        )

    fig = go.Figure()
    actual = _sig2d(betas)
    fig.add_trace(
        go.Heatmap(
            z=_sig2d(pd.DataFrame(shade)) if per_column else actual,
            x=labels,
            y=rows,
            zmin=-lim,
            zmax=lim,
            colorscale=_diverging_plotly(),
            text=[[_sig3(v) if math.isfinite(v) else "" for v in row] for row in values],
            texttemplate=("%{text}" if annotate else None),
            xgap=1,
            ygap=1,
            name="beta",
            showscale=not per_column,
            colorbar={"title": {"text": "beta"}, "thickness": 12},
            hovertemplate="<b>%{y}</b> \u00b7 %{x}<br>beta %{text}<extra></extra>",
        )
    )
    if missing.any():
        fig.add_trace(
            go.Heatmap(
                z=[[1.0 if miss else None for miss in row] for row in missing],
                x=labels,
                y=rows,
                colorscale=[[0.0, NAN_GREY], [1.0, NAN_GREY]],
                showscale=False,
                text=[["n/a" if miss else "" for miss in row] for row in missing],
                texttemplate="%{text}",
                xgap=1,
                ygap=1,
                name="no estimate",
                hovertemplate="<b>%{y}</b> \u00b7 %{x}<br>no estimate<extra></extra>",
            )
        )
    _plotly_layout(
        fig,
        title,
        int(_clamp(170 + 26 * len(rows), 320, 1400)),
        top=110,
        margin={"b": 20},
        xaxis={"side": "top", "showgrid": False},
        yaxis={"autorange": "reversed", "showgrid": False},
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.5 + 0.23 * len(rows), 2.6, 9.5))
        ax = sfig.subplots()
        im = ax.imshow(
            np.ma.masked_invalid(shade), cmap=_DIVERGING_CMAP, vmin=-lim, vmax=lim, aspect="auto"
        )
        if annotate:
            _annotate_cells(ax, values, dark_above=0.6 * lim, fmt=_sig3, shade=shade)
        _heatmap_axes(ax, static_labels, rows, top=True)
        if not per_column:
            cb = sfig.colorbar(im, ax=ax, shrink=min(1.0, 0.3 + 6.0 / len(rows)), pad=0.02)
            cb.set_label("Beta")
            cb.outline.set_visible(False)
            cb.ax.yaxis.set_major_formatter(
                FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212"))
            )
        _static_title(sfig, title)
    return Chart("exposure_heatmap", title, fig, sfig, caption)


# --------------------------------------------------------------------------- given matrix

ANNOTATE_MAX = 12
"""Up to this many columns the correlation matrix's cells carry their values."""


def correlation_matrix_heatmap(corr: pd.DataFrame, *, title: str) -> Chart:
    """A given correlation matrix, in the given order, on a diverging scale fixed to [-1, 1].

    Parameters
    ----------
    corr
        Square correlation matrix with the same labels on rows and columns,
        already ordered (e.g. clustered so that correlated assets sit together).
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="correlation_matrix"``; cells are annotated with two decimals
        when there are at most 12 columns.

    Raises
    ------
    ChartError
        If ``corr`` is empty, not square or its row and column labels differ.
    """
    if corr.empty:
        raise ChartError(
            f"correlation_matrix_heatmap {title!r}: needs at least one asset, got shape "
            f"{corr.shape}"
        )
    if corr.shape[0] != corr.shape[1] or list(corr.index) != list(corr.columns):
        raise ChartError(
            f"correlation_matrix_heatmap {title!r}: needs a square matrix with the same labels "
            f"in the same order on rows and columns, got shape {corr.shape}"
        )
    try:
        values = corr.to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ChartError(f"correlation_matrix_heatmap {title!r}: values must be numeric") from exc
    names = [str(c) for c in corr.columns]
    k = len(names)
    annotate = k <= ANNOTATE_MAX
    caption = (
        "Pearson correlations in the order shown; the colour scale is fixed from \u22121 "
        "(red) to +1 (blue)" + (", values annotated" if annotate else "") + "."
    )
    if np.isnan(values).any():
        caption += " Missing cells (no common observations) are " + (
            "grey and read n/a." if annotate else "grey."
        )
    ticks = [-1.0, -0.5, 0.0, 0.5, 1.0]

    fig = go.Figure(
        go.Heatmap(
            z=_sig2d(corr),
            x=names,
            y=names,
            zmin=-1.0,
            zmax=1.0,
            colorscale=_diverging_plotly(),
            texttemplate="%{z:.2f}" if annotate else None,
            xgap=1 if k <= 40 else 0,
            ygap=1 if k <= 40 else 0,
            colorbar={"title": {"text": "corr."}, "thickness": 12, "tickvals": ticks},
            hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>",
        )
    )
    _plotly_layout(
        fig,
        title,
        int(_clamp(150 + 40 * k, 320, 900)),
        yaxis={"autorange": "reversed", "showgrid": False},
        xaxis={"showgrid": False},
    )

    with _mpl_style():
        sfig = _static_figure(_clamp(1.0 + 0.42 * k, 2.8, 8.5))
        ax = sfig.subplots()
        im = ax.imshow(
            np.ma.masked_invalid(values), cmap=_DIVERGING_CMAP, vmin=-1.0, vmax=1.0, aspect="auto"
        )
        if annotate:
            _annotate_cells(ax, values, dark_above=0.6)
        _heatmap_axes(ax, names, names, top=False)
        cb = sfig.colorbar(im, ax=ax, shrink=0.9, pad=0.02, ticks=ticks)
        cb.set_label("Correlation")
        cb.outline.set_visible(False)
        _static_title(sfig, title)
    return Chart("correlation_matrix", title, fig, sfig, caption)
