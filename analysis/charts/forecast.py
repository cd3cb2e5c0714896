"""Charts of walk-forward forecasts: the Goyal-Welch plot, the regularization path, coefficients.

Inputs are plain pandas objects (frames built from the walk-forward results),
so each chart can be built and tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.charts.base import Chart, ChartError
from analysis.charts.timeseries import (
    MERGE_GAP,
    _line_chart,
    _Panel,
    _prepare_lines,
    _regime_bands,
    _series_colors,
)

__all__ = [
    "alpha_path_chart",
    "coefficient_path_chart",
    "goyal_welch_chart",
    "phase_transition_chart",
]


def goyal_welch_chart(
    cum: pd.DataFrame,
    *,
    shading: pd.Series | None = None,
    shading_label: str = "",
    shade: str | Sequence[str] = "high",
    merge_gap: int = MERGE_GAP,
    title: str = "Cumulative squared-error advantage over the historical mean",
    max_points: int = 1500,
) -> Chart:
    """Goyal-Welch plot: each model's cumulative squared-error advantage over the mean.

    Parameters
    ----------
    cum
        Indexed by date, one column per model:
        ``cumsum((y - ybar_hist)**2 - (y - yhat)**2)`` over the out-of-sample rows.
    shading, shading_label, shade, merge_gap, max_points
        As in :func:`analysis.charts.rolling_correlation_chart`.
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="goyal_welch"``: one line per model and a zero line.

    Raises
    ------
    ChartError
        If ``cum`` is empty or has no value.

    Notes
    -----
    Goyal and Welch (2008): the line rises over a stretch where the model's
    squared forecast errors are smaller than those of the historical
    (expanding) mean, and falls where the mean did better. Its final value
    divided by the mean's sum of squared errors is the out-of-sample
    R², so a line ending above zero means a positive R²_OS.
    """
    lines = _prepare_lines(cum, what="goyal_welch_chart", max_points=max_points)
    frame = lines.frame
    bands = _regime_bands(
        shading, shade, label=shading_label, merge_gap=merge_gap, within=frame.index
    )
    caption = (
        "For each model, the running sum over the out-of-sample dates of the historical "
        "mean's squared forecast error minus the model's, \u03a3(y \u2212 \u0233_hist)\u00b2 "
        "\u2212 \u03a3(y \u2212 \u0177)\u00b2. A rising line means the model is beating the "
        "historical mean over that stretch, a falling one that the mean is doing better; a "
        "line ending above zero means a positive out-of-sample R\u00b2 (Goyal and Welch, 2008)."
    )
    caption += bands.caption() if bands is not None else ""
    caption += lines.caption()
    panel = _Panel(frame=frame, ylabel="Cumulative SSE difference", zero=True, hover=".3g")
    return _line_chart(
        name="goyal_welch",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(frame.columns)),
        bands=bands,
    )


GRID_COLUMNS = ("model", "alpha", "r2_oos", "n_nonzero")
"""Columns of the phase-transition grid."""


def phase_transition_chart(
    grid: pd.DataFrame,
    *,
    alpha_max: Mapping[str, float],
    title: str = "Out-of-sample R² and sparsity along the regularization path",
) -> Chart:
    """Out-of-sample R² and the number of non-zero coefficients against log10(alpha).

    Parameters
    ----------
    grid
        Long frame with columns ``model``, ``alpha`` (> 0), ``r2_oos`` (a
        fraction) and ``n_nonzero`` (average number of non-zero
        coefficients across refits), one row per model and alpha.
    alpha_max
        ``{model: alpha_max}``: per model, the median across refits of the
        smallest alpha at which every coefficient is zero; NaN or a model left
        out draws no marker.
    title
        Chart title.

    Returns
    -------
    Chart
        ``name="phase_transition"``: two panels sharing the x axis (log10
        alpha), one line per model, a dashed vertical line at each model's
        alpha_max.

    Raises
    ------
    ChartError
        If a column is missing, the grid is empty, an alpha is not positive,
        a (model, alpha) pair repeats or ``alpha_max`` names an unknown model.
    """
    missing = [c for c in GRID_COLUMNS if c not in grid.columns]
    if missing:
        raise ChartError(
            f"phase_transition_chart: grid lacks column(s) {', '.join(missing)}; it needs "
            f"{', '.join(GRID_COLUMNS)}, got {', '.join(map(str, grid.columns)) or 'none'}"
        )
    if grid.empty:
        raise ChartError("phase_transition_chart: the grid is empty; nothing to plot")
    alphas = grid["alpha"].to_numpy(dtype="float64")
    if not (np.isfinite(alphas) & (alphas > 0)).all():
        bad = alphas[~(np.isfinite(alphas) & (alphas > 0))][0]
        raise ChartError(
            f"phase_transition_chart: every alpha must be a positive number (log axis), got {bad!r}"
        )
    g = grid.assign(model=grid["model"].astype(str), log_alpha=np.log10(alphas))
    if g.duplicated(["model", "alpha"]).any():
        dup = g.loc[g.duplicated(["model", "alpha"]), ["model", "alpha"]].iloc[0]
        raise ChartError(
            "phase_transition_chart: the grid must have one row per (model, alpha); "
            f"{dup['model']!r} repeats alpha={dup['alpha']!r}"
        )
    models = list(dict.fromkeys(g["model"]))
    unknown = [m for m in alpha_max if str(m) not in models]
    if unknown:
        raise ChartError(
            f"phase_transition_chart: alpha_max names model(s) {', '.join(map(repr, unknown))} "
            f"that are not in the grid; models: {', '.join(models)}"
        )
    r2 = g.pivot(index="log_alpha", columns="model", values="r2_oos")[models].astype("float64")
    nz = g.pivot(index="log_alpha", columns="model", values="n_nonzero")[models].astype("float64")
    colors = _series_colors(models)
    vlines = tuple(
        (math.log10(float(a)), colors[str(m)])
        for m, a in alpha_max.items()
        if math.isfinite(float(a)) and float(a) > 0
    )
    caption = (
        "Top: out-of-sample R\u00b2 (percent) of each model with alpha held fixed across "
        "refits; bottom: the average number of non-zero coefficients across refits; both "
        "against log\u2081\u2080 \u03b1. The dashed vertical lines mark each model's "
        "\u03b1_max, the smallest \u03b1 at which every coefficient is zero (median across "
        "refits)."
    )
    if len(vlines) < len(models):
        caption += " Models without a dashed line have no \u03b1_max (e.g. ridge)."
    panels = [
        _Panel(
            frame=r2,
            title="Out-of-sample R\u00b2",
            ylabel="R\u00b2_OS (%)",
            percent=True,
            zero=True,
            vlines=vlines,
            markers=True,
            hover=".2%",
        ),
        _Panel(
            frame=nz,
            title="Average number of non-zero coefficients",
            ylabel="Non-zero coefficients",
            vlines=vlines,
            markers=True,
            hover=".1f",
        ),
    ]
    return _line_chart(
        name="phase_transition",
        title=title,
        caption=caption,
        panels=panels,
        colors=colors,
        xlabel="log\u2081\u2080 \u03b1",
    )


def alpha_path_chart(
    alphas: pd.DataFrame,
    *,
    title: str = "Chosen regularization strength per refit",
    max_points: int = 1500,
) -> Chart:
    """The alpha chosen at each refit, one step line per model, on a log axis.

    Parameters
    ----------
    alphas
        Indexed by refit date, one column per model; NaN where a model has no
        alpha (OLS) or did not refit.
    title
        Chart title.
    max_points
        Most refits plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="alpha_path"``.

    Raises
    ------
    ChartError
        If ``alphas`` is empty, has no value or has a value <= 0.

    Notes
    -----
    Each alpha holds from its refit date until the next refit, hence steps.
    """
    lines = _prepare_lines(alphas, what="alpha_path_chart", max_points=max_points, step=True)
    values = lines.frame.to_numpy()
    if (values[np.isfinite(values)] <= 0).any():
        raise ChartError("alpha_path_chart: every alpha must be > 0 (log axis); got a value <= 0")
    caption = (
        "The penalty \u03b1 chosen by time-series cross-validation at each refit, drawn as "
        "steps (an \u03b1 holds until the next refit), on a log scale."
    )
    caption += lines.caption(unit="refits")
    panel = _Panel(frame=lines.frame, ylabel="\u03b1 (log scale)", log=True, step=True, hover=".3g")
    return _line_chart(
        name="alpha_path",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(lines.frame.columns)),
    )


def coefficient_path_chart(coefs: pd.DataFrame, *, title: str, max_points: int = 1500) -> Chart:
    """Standardized coefficients at each refit, one step line per term.

    Parameters
    ----------
    coefs
        Indexed by refit date, one column per term (coefficients on
        standardized features); NaN where a term was not in the fit.
    title
        Chart title.
    max_points
        Most refits plotted (evenly thinned beyond, first and last kept).

    Returns
    -------
    Chart
        ``name="coefficient_path"``; the legend moves to the right of the
        plot beyond six terms.

    Raises
    ------
    ChartError
        If ``coefs`` is empty or has no value.
    """
    lines = _prepare_lines(coefs, what="coefficient_path_chart", max_points=max_points, step=True)
    caption = (
        "Coefficients on standardized features (the change in the forecast for a one-standard-"
        "deviation move of the feature) at each refit, drawn as steps (a fit holds until the "
        "next refit); the dashed line marks zero. A gap means the term was not in that fit."
    )
    if lines.frame.shape[1] > 20:
        caption += " Colours repeat beyond 20 terms."
    caption += lines.caption(unit="refits")
    panel = _Panel(frame=lines.frame, ylabel="Coefficient", zero=True, step=True, hover=".3g")
    return _line_chart(
        name="coefficient_path",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(lines.frame.columns)),
    )
