"""Benchmark-relative metrics, rolling ratios, calendar tables and factor exposures.

Conventions
-----------
* ``R`` are simple returns per period, ``b`` the benchmark's, ``P`` the
  periods per year (252, 52, 12). Active return ``a_t = R_t - b_t``.
* Only dates where both series have a value count; NaN otherwise means
  "nothing to measure", never an exception (as in
  :mod:`analysis.backtest.metrics`).
* Annualization is simple (``× P`` for means, ``× √P`` for standard
  deviations), as for the regression alphas of the project.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.backtest.returns import format_dates
from analysis.errors import DataError, InsufficientDataError
from analysis.regression.ols import CovType, fit_ols

BETA_ALPHA_KEYS: tuple[str, ...] = (
    "alpha",
    "alpha_annualized",
    "beta",
    "alpha_tstat",
    "beta_tstat",
    "nobs",
)
"""Keys of :func:`beta_alpha`, in order."""

MONTHS: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _check_periods(periods_per_year: float) -> float:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise DataError(f"periods_per_year must be a number > 0; got {periods_per_year!r}")
    return float(periods_per_year)


def _paired(returns: pd.Series, benchmark: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both series on the dates where both have a value."""
    both = pd.concat([returns.astype("float64"), benchmark.astype("float64")], axis=1, join="inner")
    both = both.dropna()
    return both.iloc[:, 0], both.iloc[:, 1]


def beta_alpha(
    returns: pd.Series,
    benchmark: pd.Series,
    *,
    periods_per_year: int,
    cov_type: CovType = "HAC",
    maxlags: int | None = None,
) -> pd.Series:
    """Alpha and beta of the returns on the benchmark's, with their t statistics.

    Parameters
    ----------
    returns, benchmark
        Simple returns per period, indexed by date (paired on common dates,
        NaN dropped). Pass excess returns for a CAPM-style alpha.
    periods_per_year
        ``P``, for ``alpha_annualized``.
    cov_type
        Covariance of the estimates: ``"HAC"`` (Newey-West, default),
        ``"HC1"`` or ``"nonrobust"``.
    maxlags
        HAC bandwidth; default the Newey-West rule of
        :func:`analysis.regression.ols.newey_west_lags`.

    Returns
    -------
    pandas.Series
        Under :data:`BETA_ALPHA_KEYS`: ``alpha`` (per period),
        ``alpha_annualized`` (``alpha × P``), ``beta``, ``alpha_tstat``,
        ``beta_tstat`` and ``nobs``.

    Raises
    ------
    InsufficientDataError
        Fewer than 3 common observations.

    Notes
    -----
    OLS of ``R_t = α + β b_t + ε_t`` through
    :func:`analysis.regression.ols.fit_ols`. ``β`` equals empyrical's
    ``beta`` (``cov(R, b) / var(b)``). empyrical's ``alpha`` annualizes by
    compounding, ``(1 + α)^P - 1``; here ``α × P``, as every alpha of the
    project.
    """
    p = int(_check_periods(periods_per_year))
    y, x = _paired(returns, benchmark)
    if len(y) < 3:
        raise InsufficientDataError(
            f"beta_alpha needs at least 3 dates where both returns and benchmark have a value; "
            f"got {len(y)}"
        )
    name = "strategy" if returns.name is None else str(returns.name)
    res = fit_ols(
        y.rename(name),
        x.rename("benchmark").to_frame(),
        cov_type=cov_type,
        maxlags=maxlags,
        periods_per_year=p,
        model="benchmark",
    )
    return pd.Series(
        {
            "alpha": res.alpha,
            "alpha_annualized": res.alpha_annualized,
            "beta": float(res.params["benchmark"]),
            "alpha_tstat": float(res.tstats["alpha"]),
            "beta_tstat": float(res.tstats["benchmark"]),
            "nobs": float(res.nobs),
        },
        index=list(BETA_ALPHA_KEYS),
        dtype="float64",
        name=name,
    )


def _active(returns: pd.Series, benchmark: pd.Series) -> np.ndarray:
    y, x = _paired(returns, benchmark)
    return (y - x).to_numpy()


def tracking_error(returns: pd.Series, benchmark: pd.Series, *, periods_per_year: float) -> float:
    """Annualized standard deviation of the active return.

    Notes
    -----
    ``std(R - b, ddof=1) · √P`` over the common dates; NaN below two.
    """
    p = _check_periods(periods_per_year)
    a = _active(returns, benchmark)
    return float(np.std(a, ddof=1) * math.sqrt(p)) if len(a) >= 2 else math.nan


def information_ratio(
    returns: pd.Series, benchmark: pd.Series, *, periods_per_year: float
) -> float:
    """Annualized mean active return over the tracking error.

    Notes
    -----
    ``mean(R - b) · P / (std(R - b, ddof=1) · √P)``; NaN below two common
    dates or when the active return does not vary.
    """
    p = _check_periods(periods_per_year)
    a = _active(returns, benchmark)
    if len(a) < 2:
        return math.nan
    sd = float(np.std(a, ddof=1))
    if not sd > 0 or a.max() == a.min():
        return math.nan
    return float(np.mean(a) * p / (sd * math.sqrt(p)))


def rolling_sharpe(returns: pd.Series, window: int, *, periods_per_year: float) -> pd.Series:
    """Sharpe ratio over a trailing window of ``window`` periods.

    Notes
    -----
    ``mean / std(ddof=1) · √P`` of the last ``window`` returns (no risk-free
    rate: pass excess returns). NaN until ``window`` non-missing returns
    are available in the window, and where the returns do not vary.
    """
    p = _check_periods(periods_per_year)
    if not (isinstance(window, int) and window >= 2):
        raise DataError(f"window must be an integer >= 2; got {window!r}")
    r = returns.astype("float64")
    roll = r.rolling(window, min_periods=window)
    mean, sd = roll.mean(), roll.std(ddof=1)
    rng = roll.max() - roll.min()
    out = (mean / sd * math.sqrt(p)).where((rng > 0) & (sd > 0))
    return out.rename("rolling_sharpe")


def monthly_returns_table(returns: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month, one row per year, plus the year's total.

    Parameters
    ----------
    returns
        Simple returns (daily or other), indexed by date.

    Returns
    -------
    pandas.DataFrame
        Index ``year``, columns ``Jan`` ... ``Dec`` and ``Year``:
        ``Π(1 + R) - 1`` over the non-missing returns of the month (of the
        year); NaN for a month without any.
    """
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise DataError("monthly_returns_table needs returns indexed by a DatetimeIndex")
    r = returns.astype("float64").dropna()
    growth = 1.0 + r
    by_month = growth.groupby([r.index.year, r.index.month]).prod() - 1.0
    by_year = growth.groupby(r.index.year).prod() - 1.0
    table = by_month.unstack().reindex(columns=range(1, 13))
    table.columns = pd.Index(MONTHS)
    table["Year"] = by_year
    table.index.name = "year"
    return table


def exposure_over_time(weights: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """The portfolio's factor exposures ``Σ_i w_{i,t} z_{i,t}`` per rebalance date.

    Parameters
    ----------
    weights
        Rebalance dates x tickers.
    factors
        Factor values (usually the processed z-scores) on a ``(date, ticker)``
        MultiIndex, one column per factor; every rebalance date must have rows.

    Returns
    -------
    pandas.DataFrame
        Index the rebalance dates, one column per factor.

    Notes
    -----
    A held name without a value of the factor on the date (missing row or
    NaN) contributes 0, the cross-sectional mean of a z-scored factor.
    """
    if not isinstance(factors.index, pd.MultiIndex) or list(factors.index.names) != [
        "date",
        "ticker",
    ]:
        raise DataError(
            "factors must be indexed by a MultiIndex named ('date', 'ticker'); got "
            f"{list(factors.index.names)}"
        )
    fdates = factors.index.get_level_values("date").unique()
    missing = weights.index.difference(fdates)
    if len(missing):
        raise DataError(
            f"factors have no rows on {len(missing)} rebalance dates: {format_dates(missing)}"
        )
    w = weights.stack()
    w.index.names = ["date", "ticker"]
    w = w[w != 0]
    z = factors.reindex(w.index).astype("float64").fillna(0.0)
    contrib = z.mul(w, axis=0)
    out = contrib.groupby(level="date").sum().reindex(weights.index, fill_value=0.0)
    out.index.name = weights.index.name
    return out
