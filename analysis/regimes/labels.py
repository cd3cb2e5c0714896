"""Out-of-sample regime labels built from the correlation geometry.

Every label attached to row ``t`` is computed from data up to row ``t-1`` only, so it
can sit beside the row-``t`` return being predicted without look-ahead. The geometry
itself (:mod:`analysis.regimes.geometry`) is unlagged; each label goes through
:func:`lag_one` exactly once, after it is computed from that unlagged geometry.

Labels are string Series (``"high"``/``"low"``, ``"positive"``/``"negative"``) with
NaN where the label is not yet defined (before the first full window, and on the
first row, which has no previous row).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.regimes.geometry import (
    absorption_ratio,
    coupling_index,
    delta_absorption,
    rolling_correlations,
)

Frame = TypeVar("Frame", pd.Series, pd.DataFrame)


def lag_one(x: Frame) -> Frame:
    """Shift by one row: the value at row ``t`` becomes the value at row ``t-1``.

    The single place where labels are lagged; the first row becomes NaN.
    """
    return x.shift(1)


def _label(cond: pd.Series, defined: pd.Series, yes: str, no: str) -> pd.Series:
    out = pd.Series(np.where(cond.to_numpy(dtype=bool), yes, no), index=cond.index)
    return out.where(defined.to_numpy(dtype=bool))


def coupling_regime(coupling: pd.Series) -> pd.Series:
    """``"high"``/``"low"`` coupling at each row, from the coupling index up to the previous row.

    Parameters
    ----------
    coupling
        Coupling index, e.g. :func:`analysis.regimes.geometry.coupling_index` (unlagged).

    Returns
    -------
    pandas.Series
        Named ``"coupling"``, indexed like ``coupling``; NaN where the coupling index
        at ``t-1`` is missing.

    Notes
    -----
    The label at ``t`` is ``"high"`` when :math:`C_{t-1} > \\operatorname{median}
    \\{C_s : s \\le t-1\\}` (the expanding median of the non-missing values up to and
    including ``t-1``), else ``"low"``. The threshold uses no later data, so the label
    is usable out of sample. The first defined value is its own median, so the first
    defined label is always ``"low"``.
    """
    c = coupling.astype("float64")
    prev = lag_one(c)
    median = lag_one(c.expanding(min_periods=1).median())
    return _label(prev > median, prev.notna(), "high", "low").rename("coupling")


def pair_sign_regime(corr: pd.Series, name: str) -> pd.Series:
    """Sign of a rolling pair correlation at the previous row.

    Parameters
    ----------
    corr
        Rolling correlation of a pair, e.g. the ``"XLE~XLU"`` column of
        :func:`analysis.regimes.geometry.rolling_correlations` (unlagged).
    name
        The pair's name, e.g. ``"XLE~XLU"``.

    Returns
    -------
    pandas.Series
        Named ``"pair:{name}"``: ``"positive"`` at ``t`` when the correlation at ``t-1``
        is above zero, ``"negative"`` when it is zero or below, NaN where it is missing.
    """
    prev = lag_one(corr.astype("float64"))
    return _label(prev > 0, prev.notna(), "positive", "negative").rename(f"pair:{name}")


@dataclass(frozen=True)
class RegimeFrame:
    """Correlation geometry (unlagged, for charts) and the regime labels (lagged one row).

    Attributes
    ----------
    geometry
        Indexed by date; columns ``coupling``, ``absorption_ratio``, ``delta_ar`` and
        the rolling correlations (``"{feature}~{target}"``, then ``"{a}~{b}"`` per pair).
        Row ``t`` uses data up to and including ``t``.
    labels
        Indexed by date; ``coupling`` (``"high"``/``"low"``) and one ``"pair:{a}~{b}"``
        column per pair (``"positive"``/``"negative"``). Row ``t`` uses data up to
        ``t-1`` only.
    target
        Name of the target series.
    corr_window, ar_window, ar_short, ar_long
        The settings that produced the frame.
    """

    geometry: pd.DataFrame
    labels: pd.DataFrame = field(repr=False)
    target: str = "target"
    corr_window: int = 63
    ar_window: int = 252
    ar_short: int = 15
    ar_long: int = 252

    def to_frame(self) -> pd.DataFrame:
        """``date`` column, then the geometry, then the labels (prefixed ``label:``)."""
        out = pd.concat([self.geometry, self.labels.add_prefix("label:")], axis=1).reset_index()
        return out.rename(columns={out.columns[0]: "date"})

    def summary(self) -> str:
        """Settings, and the share of rows in each regime for every label."""
        lines = [
            f"Regimes for {self.target}: correlation window {self.corr_window}, absorption "
            f"ratio window {self.ar_window} (ΔAR {self.ar_short}/{self.ar_long})"
        ]
        for col in self.labels.columns:
            counts = self.labels[col].value_counts()
            total = int(counts.sum())
            if total == 0:
                lines.append(f"{col}: never defined")
                continue
            shares = ", ".join(f"{k} {v / total:.0%}" for k, v in counts.sort_index().items())
            lines.append(f"{col}: {total} labelled rows; {shares}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def regime_frame(
    target: pd.Series,
    features: pd.DataFrame,
    *,
    corr_window: int,
    ar_window: int,
    ar_short: int,
    ar_long: int,
    pairs: Sequence[tuple[str, str]],
) -> RegimeFrame:
    """Correlation geometry and out-of-sample regime labels for a target and its features.

    Parameters
    ----------
    target
        Log returns of the series being predicted (e.g. ``SPY``), same index as
        ``features``.
    features
        Log returns of the predictors (e.g. sector ETFs), one column each.
    corr_window
        Rows per window of the rolling correlations and the coupling index.
    ar_window
        Rows per window of the absorption ratio's covariance matrix.
    ar_short, ar_long
        Short and long windows of ΔAR (:func:`analysis.regimes.geometry.delta_absorption`).
    pairs
        Feature pairs whose correlation sign is a regime, e.g. ``[("XLE", "XLU")]``.

    Returns
    -------
    RegimeFrame

    Notes
    -----
    The coupling index and the absorption ratio are computed on ``features`` only; the
    target enters the rolling correlations. Labels are lagged one row with
    :func:`lag_one`, so the label at ``t`` uses returns up to ``t-1``.
    """
    if not isinstance(target, pd.Series) or not isinstance(features, pd.DataFrame):
        raise DataError("target must be a pandas Series and features a pandas DataFrame")
    if not target.index.equals(features.index):
        raise DataError("target and features must share the same index (align them first)")
    name = "target" if target.name is None else str(target.name)
    if name in features.columns:
        raise DataError(f"target {name!r} is also a column of features; drop it from features")
    for pair in pairs:
        unknown = [c for c in pair if c not in features.columns]
        if len(pair) != 2 or unknown:
            raise DataError(
                f"each pair must be two feature columns; got {pair!r} "
                f"(features: {', '.join(map(str, features.columns))})"
            )
    corr = rolling_correlations(
        pd.concat([features, target.rename(name)], axis=1), name, corr_window, pairs
    )
    coupling = coupling_index(features, corr_window)
    ar = absorption_ratio(features, ar_window)
    geometry = pd.concat([coupling, ar, delta_absorption(ar, ar_short, ar_long), corr], axis=1)
    labels = pd.concat(
        [coupling_regime(coupling)]
        + [pair_sign_regime(corr[f"{a}~{b}"], f"{a}~{b}") for a, b in pairs],
        axis=1,
    )
    return RegimeFrame(
        geometry=geometry,
        labels=labels,
        target=name,
        corr_window=corr_window,
        ar_window=ar_window,
        ar_short=ar_short,
        ar_long=ar_long,
    )
