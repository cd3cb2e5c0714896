"""Position rules: from a forecast to the weight held over the forecast period.

Timing
------
The forecast ``ŷ_t`` of period ``t``'s return uses information up to
``t-1`` only; the position ``w_t`` decided from it is held over period ``t``
and earns that period's return (see :mod:`analysis.backtest.returns`). Every
rule here is a pure, row-by-row map ``ŷ_t -> w_t`` (plus the inputs of the
refit that produced ``ŷ_t``), so it cannot look ahead by construction.

A missing forecast (NaN) gives a missing position (NaN); it is not silently
read as "flat". :func:`analysis.backtest.returns.strategy_returns` refuses
NaN positions, so the caller decides explicitly what a missing forecast
means (``fillna(0.0)`` for "stay out", or trim the sample).
"""

from __future__ import annotations

import math
from typing import Literal, cast

import numpy as np
import pandas as pd

from analysis.backtest.returns import format_dates
from analysis.errors import AnalysisError, DataError

SizingRule = Literal["binary", "binary_long", "proportional", "quartile"]
SIZING_RULES: tuple[SizingRule, ...] = ("binary", "binary_long", "proportional", "quartile")
"""Names accepted by :func:`size`."""

QUARTILE_COLUMNS: tuple[str, ...] = ("q25", "q50", "q75")
"""Columns :func:`quartile` needs in its ``thresholds`` frame."""


class SizingError(AnalysisError):
    """A position rule that cannot be applied as specified (bad setting or missing input)."""


def _check_index(pred: pd.Series, other: pd.Series | pd.DataFrame, name: str) -> None:
    if not other.index.equals(pred.index):
        raise DataError(
            f"{name} must have the same index as the predictions; got {len(other)} rows "
            f"from {_span(other.index)} for {len(pred)} predictions from {_span(pred.index)}"
        )


def _span(index: pd.Index) -> str:
    if len(index) == 0:
        return "nothing"
    return f"{format_dates(index[:1])} to {format_dates(index[-1:])}"


def binary(pred: pd.Series, *, long_only: bool = False) -> pd.Series:
    """Direction of the forecast: long when positive, short when negative.

    Parameters
    ----------
    pred
        Forecasts ``ŷ_t``, one per period.
    long_only
        If True, 1 when ``ŷ_t > 0`` and 0 otherwise (never short).

    Returns
    -------
    pandas.Series
        Positions indexed like ``pred``; NaN where ``pred`` is NaN.

    Notes
    -----
    ``w_t = sign(ŷ_t) ∈ {-1, 0, +1}``: a forecast of exactly zero is flat.
    Long-only: ``w_t = 1[ŷ_t > 0]``.
    """
    values = pred.to_numpy(dtype="float64")
    w = (values > 0).astype("float64") if long_only else np.sign(values)
    w[np.isnan(values)] = np.nan
    return pd.Series(w, index=pred.index, name="position")


def proportional(
    pred: pd.Series,
    variance: pd.Series | float,
    *,
    gamma: float = 3.0,
    lower: float = -1.0,
    upper: float = 1.5,
) -> pd.Series:
    """Mean-variance weight of an investor with risk aversion ``gamma``, clipped.

    Parameters
    ----------
    pred
        Forecasts ``ŷ_t`` of the period return.
    variance
        ``σ̂²_t``: the variance of the target over the training rows of the
        refit that produced ``ŷ_t`` (a Series indexed like ``pred``), or one
        number for every period. Must be > 0; NaN gives a NaN position.
    gamma
        Relative risk aversion, > 0.
    lower, upper
        Bounds of the weight (``lower < upper``); the defaults, -1 and 1.5,
        are Campbell and Thompson's (2008) no-more-than-50%-leverage limits
        with shorting allowed.

    Returns
    -------
    pandas.Series
        Positions indexed like ``pred``; NaN where ``pred`` is NaN.

    Notes
    -----
    ``w_t = clip(ŷ_t / (γ σ̂²_t), lower, upper)``, the weight that maximizes
    ``w ŷ - (γ/2) w² σ̂²`` before clipping.
    """
    if not (math.isfinite(gamma) and gamma > 0):
        raise SizingError(f"proportional sizing: gamma must be a finite number > 0; got {gamma!r}")
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise SizingError(
            f"proportional sizing: need finite bounds with lower < upper; "
            f"got lower={lower!r}, upper={upper!r}"
        )
    if isinstance(variance, pd.Series):
        _check_index(pred, variance, "variance")
        var = variance.astype("float64")
        bad = var.index[(var <= 0).to_numpy() | np.isinf(var.to_numpy())]
        if len(bad):
            raise DataError(
                f"proportional sizing: variance must be finite and > 0; got "
                f"{float(var[bad].iloc[0])!r} on {format_dates(bad)}"
            )
    else:
        if not (math.isfinite(variance) and variance > 0):
            raise DataError(
                f"proportional sizing: variance must be a finite number > 0; got {variance!r}"
            )
        var = pd.Series(float(variance), index=pred.index)
    w = (pred.astype("float64") / (gamma * var)).clip(lower, upper)
    return w.rename("position")


def quartile(pred: pd.Series, thresholds: pd.DataFrame) -> pd.Series:
    """Four-step position from where the forecast falls among in-sample quartiles.

    Parameters
    ----------
    pred
        Forecasts ``ŷ_t``.
    thresholds
        Indexed like ``pred``, with columns ``q25``, ``q50``, ``q75``: the
        quartiles of the in-sample fitted values of the refit that produced
        ``ŷ_t``. Each row must satisfy ``q25 <= q50 <= q75``.

    Returns
    -------
    pandas.Series
        Positions in ``{-1, -0.5, +0.5, +1}`` indexed like ``pred``; NaN
        where ``pred`` or any threshold of the row is NaN.

    Notes
    -----
    Intervals are closed on the right, so a forecast equal to a threshold
    takes the lower bucket::

        ŷ <= q25         -> -1
        q25 < ŷ <= q50   -> -0.5
        q50 < ŷ <= q75   -> +0.5
        ŷ > q75          -> +1
    """
    missing = [c for c in QUARTILE_COLUMNS if c not in thresholds.columns]
    if missing:
        raise SizingError(
            f"quartile sizing: thresholds need columns {', '.join(QUARTILE_COLUMNS)}; "
            f"missing {', '.join(missing)} (got {', '.join(map(str, thresholds.columns))})"
        )
    _check_index(pred, thresholds, "thresholds")
    q = thresholds.loc[:, list(QUARTILE_COLUMNS)].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        unordered = (q[:, 0] > q[:, 1]) | (q[:, 1] > q[:, 2])
    if unordered.any():
        raise DataError(
            "quartile sizing: thresholds must satisfy q25 <= q50 <= q75; violated on "
            + format_dates(thresholds.index[unordered])
        )
    y = pred.to_numpy(dtype="float64")
    w = np.select(
        [y <= q[:, 0], y <= q[:, 1], y <= q[:, 2], y > q[:, 2]],
        [-1.0, -0.5, 0.5, 1.0],
        default=np.nan,
    )
    w[np.isnan(y) | np.isnan(q).any(axis=1)] = np.nan
    return pd.Series(w, index=pred.index, name="position")


def size(
    rule: SizingRule,
    pred: pd.Series,
    *,
    variance: pd.Series | float | None = None,
    thresholds: pd.DataFrame | None = None,
    gamma: float = 3.0,
    lower: float = -1.0,
    upper: float = 1.5,
) -> pd.Series:
    """Positions from forecasts under the named rule.

    Parameters
    ----------
    rule
        One of :data:`SIZING_RULES`: ``"binary"`` (:func:`binary`),
        ``"binary_long"`` (:func:`binary` with ``long_only=True``),
        ``"proportional"`` (:func:`proportional`, needs ``variance``) or
        ``"quartile"`` (:func:`quartile`, needs ``thresholds``).
    pred
        Forecasts ``ŷ_t``.
    variance, thresholds
        Inputs of the rules that need them; ignored by the others.
    gamma, lower, upper
        Settings of ``"proportional"``.

    Returns
    -------
    pandas.Series
        Positions indexed like ``pred``.
    """
    if rule == "binary":
        return binary(pred)
    if rule == "binary_long":
        return binary(pred, long_only=True)
    if rule == "proportional":
        if variance is None:
            raise SizingError(
                "sizing rule 'proportional' needs variance (the training-sample variance "
                "of the target for each forecast, or one number)"
            )
        return proportional(pred, variance, gamma=gamma, lower=lower, upper=upper)
    if rule == "quartile":
        if thresholds is None:
            raise SizingError(
                "sizing rule 'quartile' needs thresholds (a frame with columns q25, q50, q75)"
            )
        return quartile(pred, thresholds)
    raise SizingError(
        f"sizing rule must be one of {', '.join(SIZING_RULES)}; got {cast(str, rule)!r}"
    )
