"""Factors engineered from prices alone: market, momentum, volatility, trend, mean reversion.

For a stock with prices ``P`` and log returns ``r_t = ln(P_t / P_{t-1})``, a
market index with log returns ``m_t``, and a look-back window of ``L``
periods, the factors at period ``t`` are

============== =============================================================
market         ``m_t``, the index's log return over the same period
momentum       ``mean(r_{t-L}, ..., r_{t-1})``
volatility     ``std(r_{t-L}, ..., r_{t-1})`` with ``ddof=1``
trend          OLS slope of ``ln P`` on time (per period) over ``P_{t-L} ... P_{t-1}``
mean_reversion ``(P_{t-1} - mean(P_{t-L..t-1})) / std(P_{t-L..t-1})``, ``ddof=1``
============== =============================================================

Every stock-specific factor uses information up to ``t-1`` only, so nothing
in the regressors is known later than the return it explains. The first
usable period is ``t = L + 1`` (``L`` returns before it are needed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from analysis.errors import DataError

ENGINEERED_FACTORS: tuple[str, ...] = (
    "market",
    "momentum",
    "volatility",
    "trend",
    "mean_reversion",
)
CHARACTERISTICS: tuple[str, ...] = ENGINEERED_FACTORS[1:]
"""The engineered regressors that are levels of the stock's own price history, not returns:
a design centres them on their sample mean (see :class:`~analysis.factors.models.Design`)."""


def rolling_slope(values: pd.Series, window: int) -> pd.Series:
    """OLS slope of ``values`` on ``0, 1, ..., window-1`` over each trailing window.

    The value at position ``i`` uses ``values[i-window+1 .. i]``; the first
    ``window-1`` positions are NaN. Computed as a dot product with the fixed
    centred time weights ``(j - mean(j)) / sum((j - mean(j))**2)``, which is
    exact for each window (no running sums).
    """
    x = values.to_numpy(dtype="float64")
    out = np.full(x.shape, np.nan)
    if len(x) >= window:
        j = np.arange(window, dtype="float64")
        w = (j - j.mean()) / np.sum((j - j.mean()) ** 2)
        out[window - 1 :] = sliding_window_view(x, window) @ w
    return pd.Series(out, index=values.index, name=values.name)


def engineered_factors(
    stock: pd.Series, market: pd.Series, window: int = 126
) -> tuple[pd.Series, pd.DataFrame]:
    """Stock log returns and the five engineered factors, on common dates.

    Parameters
    ----------
    stock, market
        Price series at the analysis frequency (already resampled), indexed
        by date. They are first restricted to the dates where both have a
        price, so both returns span the same intervals.
    window
        Look-back ``L`` in periods (126 trading days is about six months).

    Returns
    -------
    y, X
        ``y`` is the stock's log return (named after ``stock``); ``X`` has the
        columns :data:`ENGINEERED_FACTORS`. Rows before the look-back is full
        are dropped, so neither has missing values.

    Notes
    -----
    See the module docstring for the formulas. ``volatility`` and
    ``mean_reversion`` are NaN when the window's prices are constant; such
    rows are dropped too.
    """
    if window < 2:
        raise DataError(f"factor_window must be an integer >= 2; got {window!r}")
    both = pd.concat([stock.rename("stock"), market.rename("market")], axis=1).dropna()
    if len(both) < window + 2:
        raise DataError(
            f"{stock.name}: {len(both)} common prices with the market; the engineered "
            f"factors need at least factor_window + 2 = {window + 2}"
        )
    p = both["stock"]
    logp = np.log(p)
    r = logp.diff()
    lag = 1  # use information up to t-1 only
    x = pd.DataFrame(
        {
            "market": np.log(both["market"]).diff(),
            "momentum": r.rolling(window).mean().shift(lag),
            "volatility": r.rolling(window).std(ddof=1).shift(lag),
            "trend": rolling_slope(logp, window).shift(lag),
            "mean_reversion": (
                (p - p.rolling(window).mean()) / p.rolling(window).std(ddof=1)
            ).shift(lag),
        },
        index=both.index,
    )
    x = x.replace([np.inf, -np.inf], np.nan)
    frame = pd.concat([r.rename(stock.name), x], axis=1).dropna()
    return frame.iloc[:, 0], frame.iloc[:, 1:]
