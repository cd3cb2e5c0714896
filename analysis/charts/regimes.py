"""Charts of correlation regimes: rolling correlations, coupling and absorption, Markov regimes.

Inputs are plain pandas objects (the frames of :mod:`analysis.regimes`), so
each chart can be built and tested alone. Regime labels, given as a Series
of strings on dates, are drawn as grey bands behind the lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.charts.base import BLUE, INK, ORANGE, Chart, ChartError, _x_labels
from analysis.charts.timeseries import (
    MERGE_GAP,
    _line_chart,
    _Panel,
    _prepare_lines,
    _regime_bands,
    _series_colors,
)

__all__ = ["coupling_absorption_chart", "regime_probability_chart", "rolling_correlation_chart"]


def _check_window(window: int) -> None:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ChartError(f"window must be an integer >= 2, got {window!r}")


def rolling_correlation_chart(
    corr: pd.DataFrame,
    *,
    window: int,
    shading: pd.Series | None = None,
    shading_label: str = "",
    shade: str | Sequence[str] = "high",
    merge_gap: int = MERGE_GAP,
    max_points: int = 1500,
) -> Chart:
    """Rolling pairwise correlations, one line per pair, on a fixed [-1, 1] axis.

    Parameters
    ----------
    corr
        Rolling correlations indexed by date, one column per pair (e.g.
        ``"XLK~SPY"``, ``"XLE~XLU"``); NaN before the first full window.
    window
        Rows per window (for the title and caption).
    shading
        Regime labels on dates (e.g. ``"high"``/``"low"``); the runs of the
        category ``shade`` are drawn as grey bands.
    shading_label
        What the labels are, for the caption and legend (e.g.
        ``"the coupling regime"``).
    shade
        The category to shade; given a sequence (e.g. the labels in their
        order), its first entry.
    merge_gap
        Shaded runs separated by fewer than this many rows are drawn as one
        band (1: every run is its own band).
    max_points
        Most dates plotted; longer series are evenly thinned, keeping the
        first and last date.

    Returns
    -------
    Chart
        ``name="rolling_correlation"``.

    Raises
    ------
    ChartError
        If ``corr`` is empty or has no value, ``window`` < 2 or ``max_points`` < 2.

    Notes
    -----
    Each value is dated by the last row of its window. Rows where every pair
    is missing (the first ``window - 1`` rows) are dropped; a missing value of
    one pair breaks that pair's line only.
    """
    _check_window(window)
    lines = _prepare_lines(corr, what="rolling_correlation_chart", max_points=max_points)
    frame = lines.frame
    bands = _regime_bands(
        shading, shade, label=shading_label, merge_gap=merge_gap, within=frame.index
    )
    title = f"Rolling correlations — {window}-observation windows"
    caption = (
        f"Pearson correlations over rolling {window}-observation windows, each dated by the "
        "last observation of its window; the axis runs from \u22121 to +1 and the dashed line "
        "marks zero."
    )
    caption += bands.caption() if bands is not None else ""
    caption += lines.caption()
    panel = _Panel(
        frame=frame,
        ylabel="Correlation",
        yrange=(-1.0, 1.0),
        zero=True,
        hover=".2f",
    )
    return _line_chart(
        name="rolling_correlation",
        title=title,
        caption=caption,
        panels=[panel],
        colors=_series_colors(list(frame.columns)),
        bands=bands,
    )


GEOMETRY_COLUMNS = ("coupling", "absorption_ratio")
"""Required columns of the geometry frame; ``delta_ar`` is drawn too when present."""


def coupling_absorption_chart(
    geometry: pd.DataFrame,
    *,
    shading: pd.Series | None = None,
    shading_label: str = "",
    shade: str | Sequence[str] = "high",
    merge_gap: int = MERGE_GAP,
    max_points: int = 1500,
) -> Chart:
    """Coupling index and absorption ratio in stacked panels sharing the date axis.

    Parameters
    ----------
    geometry
        Indexed by date, with columns ``coupling`` (average pairwise rolling
        correlation) and ``absorption_ratio``, and optionally ``delta_ar``
        (the standardized shift of the absorption ratio), drawn in a third
        panel. Other columns are ignored.
    shading, shading_label, shade, merge_gap, max_points
        As in :func:`rolling_correlation_chart`.

    Returns
    -------
    Chart
        ``name="coupling_absorption"``: two or three panels.

    Raises
    ------
    ChartError
        If a required column is missing or no row has a value.

    Notes
    -----
    The absorption ratio is the share of the total variance explained by the
    largest eigenvectors of the rolling covariance matrix (Kritzman, Li, Page
    and Rigobon, 2011); ΔAR compares its short-run mean with its long-run mean
    in units of the long-run standard deviation, so +1 is a one-sigma rise.
    """
    missing = [c for c in GEOMETRY_COLUMNS if c not in geometry.columns]
    if missing:
        raise ChartError(
            f"coupling_absorption_chart: geometry lacks column(s) {', '.join(missing)}; it needs "
            f"{', '.join(GEOMETRY_COLUMNS)} (and optionally delta_ar), got "
            f"{', '.join(map(str, geometry.columns)) or 'none'}"
        )
    cols = [*GEOMETRY_COLUMNS, *(["delta_ar"] if "delta_ar" in geometry.columns else [])]
    lines = _prepare_lines(geometry[cols], what="coupling_absorption_chart", max_points=max_points)
    frame = lines.frame
    bands = _regime_bands(
        shading, shade, label=shading_label, merge_gap=merge_gap, within=frame.index
    )
    titles = {
        "coupling": "Coupling index (average pairwise correlation)",
        "absorption_ratio": "Absorption ratio (variance share of the top eigenvectors)",
        "delta_ar": "\u0394AR (standardized shift of the absorption ratio)",
    }
    colors = {"coupling": BLUE, "absorption_ratio": ORANGE, "delta_ar": INK}
    panels = [
        _Panel(
            frame=frame[[c]],
            title=titles[c],
            zero=c == "delta_ar",
            hover=".3f",
        )
        for c in cols
        if c in frame.columns
    ]
    title = "Coupling index and absorption ratio"
    caption = (
        "Top: the average of the pairwise rolling correlations. Middle: the absorption ratio, "
        "the share of total variance explained by the largest eigenvectors of the rolling "
        "covariance matrix (higher = more tightly coupled markets)."
    )
    if "delta_ar" in frame.columns:
        caption += (
            " Bottom: \u0394AR, the short-run mean of the absorption ratio minus its long-run "
            "mean, in long-run standard deviations; the dashed line marks zero."
        )
    caption += " Each value is dated by the last observation of its window."
    caption += bands.caption() if bands is not None else ""
    caption += lines.caption()
    return _line_chart(
        name="coupling_absorption",
        title=title,
        caption=caption,
        panels=panels,
        colors=colors,
        bands=bands,
        legend=False,
    )


def regime_probability_chart(
    p: pd.Series,
    *,
    title: str,
    merge_gap: int = MERGE_GAP,
    max_points: int = 1500,
) -> Chart:
    """Probability of the turbulent regime over time, shaded where it exceeds one half.

    Parameters
    ----------
    p
        Markov-switching filtered probability of the turbulent (high-variance)
        regime, in [0, 1], indexed by date; NaN where the model gave none.
    title
        Chart title.
    merge_gap, max_points
        As in :func:`rolling_correlation_chart`.

    Returns
    -------
    Chart
        ``name="regime_probability"``.

    Raises
    ------
    ChartError
        If ``p`` is empty, has no value or lies outside [0, 1].

    Notes
    -----
    The bands are the runs of ``p > 0.5`` in the full series (before
    thinning), the rule that labels a date "turbulent".
    """
    tol = 1e-9  # filtered probabilities may overshoot [0, 1] by rounding
    lines = _prepare_lines(p, what="regime_probability_chart", max_points=max_points)
    values = p.to_numpy(dtype="float64")
    bad = np.isfinite(values) & ((values < -tol) | (values > 1 + tol))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ChartError(
            "regime_probability_chart: probabilities must lie in [0, 1]; got "
            f"{float(values[first]):g} at {_x_labels(p.index[[first]])[0]}"
        )
    # a missing probability is not above one half: it counts as "not shaded", like a missing label
    labels = pd.Series(np.where(values > 0.5, "turbulent", "calm"), index=p.index)
    frame = lines.frame.set_axis(["p(turbulent)"], axis=1)
    bands = _regime_bands(labels, "turbulent", label="", merge_gap=merge_gap, within=frame.index)
    caption = (
        "Markov-switching filtered probability of the turbulent (high-variance) regime of a "
        "two-state model; the dotted line marks 0.5."
    )
    caption += bands.caption(when="the probability exceeds 0.5") if bands is not None else ""
    caption += lines.caption()
    panel = _Panel(
        frame=frame,
        ylabel="Probability",
        yrange=(0.0, 1.0),
        hlines=(0.5,),
        hover=".2f",
    )
    return _line_chart(
        name="regime_probability",
        title=title,
        caption=caption,
        panels=[panel],
        colors={"p(turbulent)": BLUE},
        bands=bands,
        legend=False,
    )
