"""Out-of-sample accuracy of return forecasts against the historical-mean benchmark.

Inputs are three Series on the same index: the realized target ``y``, the
model's forecast ``ŷ`` and the benchmark forecast ``ȳ`` (the mean of the
target over the training rows of the same refit, as in Goyal and Welch
2008 and Campbell and Thompson 2008). Rows where any input is missing are
left out of every statistic, so each one is computed on the same rows.

Squared-error loss throughout; the loss differential

.. math::  d_t = (y_t - \\bar y_t)^2 - (y_t - \\hat y_t)^2

is positive when the model beats the benchmark in period ``t``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError, EstimationError
from analysis.regression.ols import newey_west_lags

SUMMARY_KEYS: tuple[str, ...] = ("n", "rmse", "mae", "r2_oos", "hit_rate", "dm_stat", "dm_pvalue")
"""Keys of :func:`forecast_summary`, in order."""


def _complete(**series: pd.Series) -> dict[str, np.ndarray]:
    """The inputs as arrays over the rows where none is missing; indexes must agree."""
    items = list(series.items())
    first_name, first = items[0]
    for name, s in items[1:]:
        if not s.index.equals(first.index):
            raise DataError(
                f"{name} must have the same index as {first_name}; got {len(s)} rows "
                f"for {len(first)}" + ("" if len(s) != len(first) else " on different dates")
            )
    arrays = {name: s.to_numpy(dtype="float64") for name, s in items}
    keep = np.logical_and.reduce([~np.isnan(a) for a in arrays.values()])
    return {name: a[keep] for name, a in arrays.items()} | {"_keep": keep}


def rmse(y: pd.Series, yhat: pd.Series) -> float:
    """Root mean squared forecast error ``sqrt(mean((y - ŷ)²))``; NaN when empty."""
    a = _complete(y=y, yhat=yhat)
    e = a["y"] - a["yhat"]
    return float(math.sqrt(np.mean(e**2))) if len(e) else math.nan


def mae(y: pd.Series, yhat: pd.Series) -> float:
    """Mean absolute forecast error ``mean(|y - ŷ|)``; NaN when empty."""
    a = _complete(y=y, yhat=yhat)
    e = a["y"] - a["yhat"]
    return float(np.mean(np.abs(e))) if len(e) else math.nan


def hit_rate_sign(y: pd.Series, yhat: pd.Series) -> float:
    """Share of periods in which the forecast has the sign of the outcome.

    Notes
    -----
    ``mean(sign(ŷ_t) == sign(y_t))`` with ``sign(0) = 0``: a zero forecast or
    a zero outcome is a miss, unless both are zero. NaN when empty.
    """
    a = _complete(y=y, yhat=yhat)
    if not len(a["y"]):
        return math.nan
    return float(np.mean(np.sign(a["yhat"]) == np.sign(a["y"])))


def r2_oos(y: pd.Series, yhat: pd.Series, ybar: pd.Series) -> float:
    """Out-of-sample R² against the historical mean (Campbell and Thompson 2008).

    Notes
    -----
    ``R²_OS = 1 - Σ(y - ŷ)² / Σ(y - ȳ)²``: positive when the model's mean
    squared error is below the benchmark's; 0 for the benchmark itself. NaN
    when empty or when the benchmark is exact in every period.
    """
    a = _complete(y=y, yhat=yhat, ybar=ybar)
    sse_bench = float(np.sum((a["y"] - a["ybar"]) ** 2))
    if not len(a["y"]) or sse_bench == 0:
        return math.nan
    return 1.0 - float(np.sum((a["y"] - a["yhat"]) ** 2)) / sse_bench


def goyal_welch_cumulative(y: pd.Series, yhat: pd.Series, ybar: pd.Series) -> pd.Series:
    """Cumulative difference of squared errors, benchmark minus model (Goyal and Welch 2008).

    Notes
    -----
    ``C_t = Σ_{s<=t} [(y_s - ȳ_s)² - (y_s - ŷ_s)²]``, indexed by the rows
    where no input is missing. A rising line means the model is beating the
    historical mean over that stretch; the last value is
    ``Σ(y - ȳ)² · R²_OS``.
    """
    a = _complete(y=y, yhat=yhat, ybar=ybar)
    d = (a["y"] - a["ybar"]) ** 2 - (a["y"] - a["yhat"]) ** 2
    return pd.Series(np.cumsum(d), index=y.index[a["_keep"]], name="cum_sse_diff")


def hln_factor(nobs: int, h: int = 1) -> float:
    """Harvey, Leybourne and Newbold (1997) small-sample factor for the DM statistic.

    Notes
    -----
    ``sqrt((T + 1 - 2h + h(h-1)/T) / T)``, which is ``sqrt((T-1)/T)`` for
    one-step forecasts. The radicand is ``(T - h)(T + 1 - h) / T²``: it
    vanishes at ``h = T`` and ``h = T + 1``, where the result is NaN; a
    horizon that long leaves no test anyway.
    """
    if nobs < 1:
        return math.nan
    # the factored form is exact in integers, so h = T gives exactly 0
    inner = (nobs - h) * (nobs + 1 - h) / nobs**2
    return math.sqrt(inner) if inner > 0 else math.nan


@dataclass(frozen=True)
class DMResult:
    """Diebold-Mariano test of equal accuracy, model against the benchmark.

    Attributes
    ----------
    statistic
        The HLN-corrected statistic ``DM*`` (NaN when the loss differential
        has no variance, e.g. a model identical to the benchmark).
    pvalue_one_sided
        ``P(t_{T-1} >= DM*)``: H1 is that the model is more accurate.
    pvalue_two_sided
        ``P(|t_{T-1}| >= |DM*|)``.
    nobs
        ``T``, the periods compared.
    lags
        Newey-West lags of the long-run variance.
    mean_loss_diff
        ``mean(d)``, positive when the model has the smaller mean squared error.
    """

    statistic: float
    pvalue_one_sided: float
    pvalue_two_sided: float
    nobs: int
    lags: int
    mean_loss_diff: float

    def summary(self) -> str:
        """One line: statistic, p-values and settings."""
        return (
            f"Diebold-Mariano (HLN): DM* = {self.statistic:.3f}, one-sided p = "
            f"{self.pvalue_one_sided:.4f}, two-sided p = {self.pvalue_two_sided:.4f} "
            f"(T = {self.nobs}, {self.lags} Newey-West lags, mean loss differential "
            f"{self.mean_loss_diff:.3g})"
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _long_run_variance(d: np.ndarray, lags: int) -> float:
    """Newey-West (Bartlett kernel) long-run variance of ``d``, autocovariances over ``T``."""
    u = d - d.mean()
    n = len(u)
    lrv = float(u @ u) / n
    for lag in range(1, min(lags, n - 1) + 1):
        lrv += 2.0 * (1.0 - lag / (lags + 1.0)) * float(u[lag:] @ u[:-lag]) / n
    return lrv


def diebold_mariano(
    y: pd.Series,
    yhat: pd.Series,
    ybar: pd.Series,
    *,
    h: int = 1,
    maxlags: int | None = None,
) -> DMResult:
    """Diebold-Mariano test that the model forecasts better than the benchmark.

    Parameters
    ----------
    y, yhat, ybar
        Realized values, model and benchmark forecasts, on the same index.
    h
        Forecast horizon in periods (1 for one-step-ahead forecasts); enters
        only the HLN correction.
    maxlags
        Newey-West lags; default :func:`analysis.regression.ols.newey_west_lags`
        of ``T`` (``floor(4 (T/100)^{2/9})``), the rule used for every HAC
        estimate in the package.

    Returns
    -------
    DMResult

    Notes
    -----
    With ``d_t = (y_t - ȳ_t)² - (y_t - ŷ_t)²`` and ``u_t = d_t - d̄``,

    .. math::

        \\hat\\Omega = \\frac1T \\sum_t u_t^2 + \\frac2T \\sum_{l=1}^{L}
        \\Big(1 - \\frac{l}{L+1}\\Big) \\sum_{t>l} u_t u_{t-l},
        \\qquad DM = \\frac{\\bar d}{\\sqrt{\\hat\\Omega / T}}.

    ``DM`` is the HAC t-statistic of the mean in a regression of ``d`` on a
    constant, as statsmodels computes it with ``cov_type="HAC"`` and
    ``use_correction=False`` (no ``T/(T-1)`` degrees-of-freedom factor).
    The Harvey-Leybourne-Newbold statistic ``DM* = DM · hln_factor(T, h)`` is
    compared with Student's t with ``T - 1`` degrees of freedom. For
    ``h = 1`` the factor is ``sqrt((T-1)/T)``, so ``DM*`` is then also
    statsmodels' HAC t-statistic with its default ``use_correction=True``. Fewer than
    two periods, or a differential without variance (``Ω̂ = 0``), give NaN
    statistic and p-values.
    """
    if not (isinstance(h, int | np.integer) and h >= 1):
        raise EstimationError(f"Diebold-Mariano horizon h must be an integer >= 1; got {h!r}")
    if maxlags is not None and not (isinstance(maxlags, int | np.integer) and maxlags >= 0):
        raise EstimationError(f"Diebold-Mariano maxlags must be an integer >= 0; got {maxlags!r}")
    a = _complete(y=y, yhat=yhat, ybar=ybar)
    d = (a["y"] - a["ybar"]) ** 2 - (a["y"] - a["yhat"]) ** 2
    T = len(d)
    lags = int(maxlags) if maxlags is not None else (newey_west_lags(T) if T else 0)
    mean_d = float(d.mean()) if T else math.nan
    lrv = _long_run_variance(d, lags) if T >= 2 else 0.0
    if lrv <= 0:
        return DMResult(math.nan, math.nan, math.nan, T, lags, mean_d)
    stat = mean_d / math.sqrt(lrv / T) * hln_factor(T, h)
    return DMResult(
        statistic=stat,
        pvalue_one_sided=float(stats.t.sf(stat, T - 1)),
        pvalue_two_sided=float(2.0 * stats.t.sf(abs(stat), T - 1)),
        nobs=T,
        lags=lags,
        mean_loss_diff=mean_d,
    )


def forecast_summary(y: pd.Series, yhat: pd.Series, ybar: pd.Series) -> pd.Series:
    """Accuracy of the model's forecasts in one Series.

    Returns
    -------
    pandas.Series
        Keys of :data:`SUMMARY_KEYS`: ``n`` (rows compared), ``rmse``,
        ``mae``, ``r2_oos``, ``hit_rate`` (:func:`hit_rate_sign`),
        ``dm_stat`` and ``dm_pvalue`` (HLN-corrected Diebold-Mariano with the
        default lags, ``h = 1``; one-sided, H1: the model is more accurate).
    """
    dm = diebold_mariano(y, yhat, ybar)
    values = {
        "n": float(dm.nobs),
        "rmse": rmse(y.where(ybar.notna()), yhat),
        "mae": mae(y.where(ybar.notna()), yhat),
        "r2_oos": r2_oos(y, yhat, ybar),
        "hit_rate": hit_rate_sign(y.where(ybar.notna()), yhat),
        "dm_stat": dm.statistic,
        "dm_pvalue": dm.pvalue_one_sided,
    }
    return pd.Series(values, index=list(SUMMARY_KEYS), dtype="float64")
