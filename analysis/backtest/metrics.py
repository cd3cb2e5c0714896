"""Performance metrics of a strategy's simple per-period returns.

One small function per metric, in the style of empyrical; every report kind
uses these and only these definitions. The conventions are empyrical's
(the tests compare against empyrical-reloaded), stated in each Notes
section.

Common conventions
------------------
* ``R`` are *simple* returns per period; ``P`` (``periods_per_year``) the
  number of periods in a year, :data:`analysis.factors.returns.PERIODS_PER_YEAR`
  (252 daily, 52 weekly, 12 monthly).
* Missing periods (NaN) are left out: ``N`` counts the non-missing ones.
  empyrical instead compounds a NaN as a zero return while still counting
  it in ``N``; on complete series the two agree.
* Nothing to measure gives NaN, never an exception: an empty or all-NaN
  series, too few observations for the statistic (2 for a standard
  deviation, 3 for skewness, 4 for kurtosis), or a zero denominator (no
  dispersion, no downside, no drawdown). empyrical returns ``±inf`` for a
  Sharpe or Sortino ratio with a zero denominator; a report cannot use an
  infinite ratio, so these are NaN here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from analysis.backtest.returns import format_dates
from analysis.errors import DataError

SUMMARY_KEYS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "log_sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "skewness",
    "excess_kurtosis",
    "hit_rate",
    "turnover",
    "n_periods",
)
"""Keys of :func:`performance_summary`, in order."""


def _check_periods(periods_per_year: float) -> float:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise DataError(f"periods_per_year must be a number > 0; got {periods_per_year!r}")
    return float(periods_per_year)


def _values(returns: pd.Series) -> np.ndarray:
    x = returns.to_numpy(dtype="float64")
    return x[~np.isnan(x)]


def _excess(returns: pd.Series, benchmark: pd.Series | float, name: str) -> np.ndarray:
    """``R_t - b_t`` over the non-missing periods of ``returns``."""
    if isinstance(benchmark, pd.Series):
        b = benchmark.reindex(returns.index).to_numpy(dtype="float64")
        r = returns.to_numpy(dtype="float64")
        keep = ~np.isnan(r)
        missing = returns.index[keep & np.isnan(b)]
        if len(missing):
            raise DataError(
                f"{name} is missing on {len(missing)} dates of the returns: "
                + format_dates(missing)
            )
        return r[keep] - b[keep]
    if not math.isfinite(benchmark):
        raise DataError(f"{name} must be a finite number or a Series; got {benchmark!r}")
    return _values(returns) - float(benchmark)


def _std(x: np.ndarray) -> float:
    """Sample standard deviation (ddof 1); NaN below 2 observations or without dispersion."""
    if len(x) < 2 or x.max() == x.min():
        return math.nan
    sd = float(np.std(x, ddof=1))
    # differences of a few subnormal numbers square to zero
    return sd if sd > 0 else math.nan


def total_return(returns: pd.Series) -> float:
    """Compounded return over the whole sample.

    Notes
    -----
    ``Π_t (1 + R_t) - 1``; NaN for an empty series.
    """
    x = _values(returns)
    return float(np.prod(1.0 + x) - 1.0) if len(x) else math.nan


def cagr(returns: pd.Series, *, periods_per_year: float) -> float:
    """Compound annual growth rate.

    Notes
    -----
    ``(Π_t (1 + R_t))^{P/N} - 1`` with ``N`` the number of periods, as
    empyrical's ``cagr`` / ``annual_return``. NaN for an empty series or a
    negative terminal wealth (which has no real root).
    """
    p = _check_periods(periods_per_year)
    x = _values(returns)
    if not len(x):
        return math.nan
    wealth = float(np.prod(1.0 + x))
    return wealth ** (p / len(x)) - 1.0 if wealth >= 0 else math.nan


def annual_volatility(returns: pd.Series, *, periods_per_year: float) -> float:
    """Annualized standard deviation of returns.

    Notes
    -----
    ``std(R, ddof=1) · √P``; NaN below two observations. Unlike the ratios,
    a constant series has volatility 0.
    """
    p = _check_periods(periods_per_year)
    x = _values(returns)
    return float(np.std(x, ddof=1) * math.sqrt(p)) if len(x) >= 2 else math.nan


def sharpe_ratio(
    returns: pd.Series, rf: pd.Series | float = 0.0, *, periods_per_year: float
) -> float:
    """Annualized Sharpe ratio of the returns in excess of ``rf``.

    Parameters
    ----------
    returns
        Simple returns per period.
    rf
        Per-period risk-free return: a number, or a Series with a value on
        every date of ``returns``.
    periods_per_year
        ``P``.

    Notes
    -----
    ``mean(R - rf) / std(R - rf, ddof=1) · √P`` (empyrical's
    ``sharpe_ratio``): the ratio of per-period moments scaled by ``√P``, not
    the ratio of annualized compounded quantities. NaN below two
    observations or when the excess return does not vary.
    """
    p = _check_periods(periods_per_year)
    x = _excess(returns, rf, "rf")
    sd = _std(x)
    return float(np.mean(x) / sd * math.sqrt(p)) if math.isfinite(sd) else math.nan


def log_sharpe_ratio(
    returns: pd.Series, rf: pd.Series | float = 0.0, *, periods_per_year: float
) -> float:
    """Sharpe ratio of log returns: :func:`sharpe_ratio` applied to ``ln(1 + R)``.

    Notes
    -----
    ``mean(ℓ) / std(ℓ, ddof=1) · √P`` with ``ℓ_t = ln(1 + R_t) - ln(1 + rf_t)``.
    Log returns add up over time, so ``P · mean(ℓ)`` is the continuously
    compounded excess growth rate; the ratio penalizes volatility drag,
    which the simple-return Sharpe ratio ignores. A return of -100% or worse
    (total loss) makes it NaN.
    """
    p = _check_periods(periods_per_year)
    r = returns.astype("float64")
    if (r.dropna() <= -1.0).any():
        return math.nan
    rf_log: pd.Series | float
    rf_log = np.log1p(rf.astype("float64")) if isinstance(rf, pd.Series) else math.log1p(rf)
    x = _excess(np.log1p(r), rf_log, "rf")
    sd = _std(x)
    return float(np.mean(x) / sd * math.sqrt(p)) if math.isfinite(sd) else math.nan


def downside_deviation(
    returns: pd.Series, required_return: pd.Series | float = 0.0, *, periods_per_year: float
) -> float:
    """Annualized downside deviation below ``required_return`` (empyrical's ``downside_risk``).

    Notes
    -----
    ``sqrt(mean(min(R - required, 0)²)) · √P``: the mean runs over *all*
    periods (those above the target count as zero), not over the losing
    ones only.
    """
    p = _check_periods(periods_per_year)
    x = _excess(returns, required_return, "required_return")
    if not len(x):
        return math.nan
    return float(math.sqrt(np.mean(np.minimum(x, 0.0) ** 2)) * math.sqrt(p))


def sortino_ratio(
    returns: pd.Series, required_return: pd.Series | float = 0.0, *, periods_per_year: float
) -> float:
    """Annualized Sortino ratio.

    Notes
    -----
    ``P · mean(R - required) / DD`` with ``DD`` the annualized
    :func:`downside_deviation`, as empyrical's ``sortino_ratio``. NaN below
    two observations (empyrical's rule) or when no period falls below the
    required return (empyrical gives ``+inf`` there).
    """
    p = _check_periods(periods_per_year)
    x = _excess(returns, required_return, "required_return")
    if len(x) < 2:
        return math.nan
    dd = downside_deviation(returns, required_return, periods_per_year=p)
    return float(p * np.mean(x) / dd) if dd > 0 else math.nan


def wealth_index(returns: pd.Series) -> pd.Series:
    """Compounded wealth of one unit invested before the first period.

    Notes
    -----
    ``W_t = Π_{s<=t} (1 + R_s)``, indexed like the (non-missing) returns: the
    first value is the wealth at the *end* of the first period, so the
    starting wealth ``W_{-1} = 1`` is not a row of the result.
    """
    r = returns.astype("float64").dropna()
    return (1.0 + r).cumprod().rename("wealth")


def drawdown_series(returns: pd.Series) -> pd.Series:
    """Relative distance of wealth below its running peak, at each period's end.

    Notes
    -----
    ``D_t = W_t / max(1, max_{s<=t} W_s) - 1 <= 0`` with ``W`` from
    :func:`wealth_index`. The starting wealth 1 counts as a peak, so a loss
    in the first period is already a drawdown (empyrical's convention).
    """
    w = wealth_index(returns)
    peak = np.maximum(w.cummax(), 1.0)
    return (w / peak - 1.0).rename("drawdown")


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough loss of compounded wealth, as a negative number.

    Notes
    -----
    ``min_t D_t`` of :func:`drawdown_series` (start counted as a peak);
    0 when wealth never falls below a previous peak, NaN for an empty series.
    """
    d = drawdown_series(returns)
    return float(d.min()) if len(d) else math.nan


def calmar_ratio(returns: pd.Series, *, periods_per_year: float) -> float:
    """CAGR per unit of maximum drawdown.

    Notes
    -----
    ``cagr / |max_drawdown|``; NaN when there is no drawdown (``MDD = 0``),
    as in empyrical.
    """
    mdd = max_drawdown(returns)
    if not mdd < 0:
        return math.nan
    return cagr(returns, periods_per_year=periods_per_year) / abs(mdd)


def skewness(returns: pd.Series) -> float:
    """Sample skewness, adjusted for bias.

    Notes
    -----
    ``scipy.stats.skew(R, bias=False)``: the adjusted Fisher-Pearson
    coefficient ``G1 = g1 √(N(N-1)) / (N-2)``. NaN below three observations
    or for a constant series.
    """
    x = _values(returns)
    if len(x) < 3 or x.max() == x.min():
        return math.nan
    return float(stats.skew(x, bias=False))


def excess_kurtosis(returns: pd.Series) -> float:
    """Sample excess kurtosis, adjusted for bias (0 for a normal distribution).

    Notes
    -----
    ``scipy.stats.kurtosis(R, fisher=True, bias=False)``, the ``G2``
    estimator. NaN below four observations or for a constant series.
    """
    x = _values(returns)
    if len(x) < 4 or x.max() == x.min():
        return math.nan
    return float(stats.kurtosis(x, fisher=True, bias=False))


def hit_rate(returns: pd.Series) -> float:
    """Share of periods with a positive return.

    Notes
    -----
    ``#{R_t > 0} / N`` over all non-missing periods: a zero return (a flat
    period) counts as a miss, so a strategy that is often out of the market
    has a low hit rate.
    """
    x = _values(returns)
    return float(np.mean(x > 0)) if len(x) else math.nan


def annual_turnover(turnover: pd.Series, *, periods_per_year: float) -> float:
    """Average turnover per year.

    Notes
    -----
    ``mean(τ) · P`` with ``τ_t = Σ_i |w_{i,t} - w_{i,t-1}|`` as returned by
    :func:`analysis.backtest.returns.portfolio_returns`: 2 is a full round
    trip of the book (all sold, all bought again) per year.
    """
    p = _check_periods(periods_per_year)
    x = _values(turnover)
    return float(np.mean(x) * p) if len(x) else math.nan


def performance_summary(
    returns: pd.Series,
    *,
    periods_per_year: float,
    rf: pd.Series | float = 0.0,
    turnover: pd.Series | None = None,
) -> pd.Series:
    """Every metric of this module for one return series.

    Parameters
    ----------
    returns
        Simple returns per period.
    periods_per_year
        ``P``.
    rf
        Per-period risk-free return; the Sharpe ratios are on returns in
        excess of it and the Sortino ratio uses it as the required return.
    turnover
        Per-period turnover; the ``turnover`` entry is NaN without it.

    Returns
    -------
    pandas.Series
        Float values under the keys of :data:`SUMMARY_KEYS`, in that order:
        ``total_return``, ``cagr``, ``volatility``, ``sharpe``,
        ``log_sharpe``, ``sortino``, ``max_drawdown``, ``calmar``,
        ``skewness``, ``excess_kurtosis``, ``hit_rate``, ``turnover``
        (annual) and ``n_periods`` (non-missing returns).
    """
    p = _check_periods(periods_per_year)
    values = {
        "total_return": total_return(returns),
        "cagr": cagr(returns, periods_per_year=p),
        "volatility": annual_volatility(returns, periods_per_year=p),
        "sharpe": sharpe_ratio(returns, rf, periods_per_year=p),
        "log_sharpe": log_sharpe_ratio(returns, rf, periods_per_year=p),
        "sortino": sortino_ratio(returns, rf, periods_per_year=p),
        "max_drawdown": max_drawdown(returns),
        "calmar": calmar_ratio(returns, periods_per_year=p),
        "skewness": skewness(returns),
        "excess_kurtosis": excess_kurtosis(returns),
        "hit_rate": hit_rate(returns),
        "turnover": (
            math.nan if turnover is None else annual_turnover(turnover, periods_per_year=p)
        ),
        "n_periods": float(len(_values(returns))),
    }
    return pd.Series(values, index=list(SUMMARY_KEYS), dtype="float64", name=returns.name)
