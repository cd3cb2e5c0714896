"""Forecast evaluation against scikit-learn, statsmodels and planted effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error, root_mean_squared_error

from analysis.errors import DataError, EstimationError
from analysis.forecasting.evaluation import (
    SUMMARY_KEYS,
    diebold_mariano,
    forecast_summary,
    goyal_welch_cumulative,
    hit_rate_sign,
    hln_factor,
    mae,
    r2_oos,
    rmse,
)
from analysis.regression.ols import newey_west_lags

# Closed-form sums on the same float64 values as the reference: only summation order differs.
REL = 1e-10


def planted(n: int, seed: int, signal: float = 0.5) -> tuple[pd.Series, pd.Series, pd.Series]:
    """y_t = mu_t + e_t with a predictable mu_t; the model forecasts mu_t, the benchmark a
    historical mean that ignores it."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-31", periods=n, freq="ME", name="date")
    mu = signal * 0.02 * rng.standard_normal(n)
    y = pd.Series(0.005 + mu + 0.02 * rng.standard_normal(n), idx, name="y")
    yhat = pd.Series(0.005 + mu, idx, name="yhat")
    ybar = pd.Series(0.005 + 0.001 * rng.standard_normal(n), idx, name="ybar")
    return y, yhat, ybar


def test_point_metrics_against_sklearn() -> None:
    y, yhat, ybar = planted(150, 1)
    assert rmse(y, yhat) == pytest.approx(root_mean_squared_error(y, yhat), rel=REL)
    assert mae(y, yhat) == pytest.approx(mean_absolute_error(y, yhat), rel=REL)
    expected = 1 - mean_squared_error(y, yhat) / mean_squared_error(y, ybar)
    assert r2_oos(y, yhat, ybar) == pytest.approx(expected, rel=REL)


def test_r2_oos_of_the_benchmark_is_zero_and_planted_signal_is_positive() -> None:
    y, yhat, ybar = planted(300, 2)
    assert r2_oos(y, ybar, ybar) == 0.0
    assert r2_oos(y, yhat, ybar) > 0.1  # signal variance is 1/5 of the total here
    noise = pd.Series(np.random.default_rng(3).normal(0, 0.03, len(y)), y.index)
    assert r2_oos(y, noise, ybar) < 0


def test_hit_rate_sign_zero_convention() -> None:
    y = pd.Series([0.1, -0.2, 0.0, 0.0, 0.3, -0.1])
    yhat = pd.Series([0.2, 0.1, 0.0, 0.1, 0.0, -0.5])
    # hit, miss, hit (both zero), miss (zero outcome), miss (zero forecast), hit
    assert hit_rate_sign(y, yhat) == 0.5


@pytest.mark.parametrize("lags", [0, 1, 4, 12, None])
def test_dm_equals_statsmodels_hac_tstat(lags: int | None) -> None:
    y, yhat, ybar = planted(120, 4, signal=0.3)
    d = ((y - ybar) ** 2 - (y - yhat) ** 2).to_numpy()
    n = len(d)
    L = newey_west_lags(n) if lags is None else lags
    # use_correction=False: statsmodels then divides the autocovariances by T with no
    # T/(T-1) factor, which is exactly our LRV; with the default (True) they differ.
    fit = sm.OLS(d, np.ones(n)).fit(
        cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": False}
    )
    res = diebold_mariano(y, yhat, ybar, maxlags=lags)
    assert res.lags == L
    assert res.nobs == n
    assert res.mean_loss_diff == pytest.approx(d.mean(), rel=REL)
    k = math.sqrt((n + 1 - 2 + 0) / n)  # HLN with h = 1
    assert res.statistic / k == pytest.approx(fit.tvalues[0], rel=REL)
    assert res.pvalue_one_sided == pytest.approx(stats.t.sf(res.statistic, n - 1), rel=REL)
    assert res.pvalue_two_sided == pytest.approx(2 * stats.t.sf(abs(res.statistic), n - 1), rel=REL)
    corrected = sm.OLS(d, np.ones(n)).fit(
        cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True}
    )
    assert res.statistic / k != pytest.approx(corrected.tvalues[0], rel=1e-6)
    # statsmodels' T/(T-1) variance correction is the h = 1 HLN factor squared
    assert res.statistic == pytest.approx(corrected.tvalues[0], rel=REL)


def test_hln_factor_and_horizon() -> None:
    assert hln_factor(10, 1) == pytest.approx(math.sqrt(0.9), rel=1e-15)
    assert hln_factor(10, 3) == pytest.approx(math.sqrt((10 + 1 - 6 + 0.6) / 10), rel=1e-15)
    # the radicand is (h - T)(h - T - 1) / T², zero at h = T: no correction possible
    assert math.isnan(hln_factor(5, 5))
    y, yhat, ybar = planted(80, 5)
    one = diebold_mariano(y, yhat, ybar, h=1, maxlags=3)
    three = diebold_mariano(y, yhat, ybar, h=3, maxlags=3)
    assert three.statistic / one.statistic == pytest.approx(
        hln_factor(80, 3) / hln_factor(80, 1), rel=1e-12
    )


def test_dm_detects_planted_accuracy() -> None:
    y, yhat, ybar = planted(240, 6)
    res = diebold_mariano(y, yhat, ybar)
    assert res.statistic > 2 and res.pvalue_one_sided < 0.05 and res.mean_loss_diff > 0
    worse = diebold_mariano(y, ybar + 0.03, ybar)  # a biased model loses
    assert worse.statistic < -2 and worse.pvalue_one_sided > 0.95


def test_model_equal_to_benchmark_gives_nan_without_crash() -> None:
    y, _, ybar = planted(60, 7)
    res = diebold_mariano(y, ybar, ybar)
    assert res.mean_loss_diff == 0.0 and res.nobs == 60
    assert math.isnan(res.statistic) and math.isnan(res.pvalue_one_sided)
    assert math.isnan(res.pvalue_two_sided)
    assert "nan" in res.summary()
    summary = forecast_summary(y, ybar, ybar)
    assert summary["r2_oos"] == 0.0 and math.isnan(summary["dm_stat"])


def test_goyal_welch_cumulative() -> None:
    y, yhat, ybar = planted(100, 8)
    c = goyal_welch_cumulative(y, yhat, ybar)
    d = (y - ybar) ** 2 - (y - yhat) ** 2
    np.testing.assert_allclose(c.diff().iloc[1:], d.iloc[1:], atol=1e-15)
    assert c.iloc[-1] == pytest.approx(((y - ybar) ** 2).sum() * r2_oos(y, yhat, ybar), rel=REL)
    assert c.index.equals(y.index)


def test_missing_rows_are_dropped_from_every_statistic() -> None:
    y, yhat, ybar = planted(50, 9)
    yhat.iloc[:5] = np.nan  # no forecast before the first refit
    ybar.iloc[10] = np.nan
    keep = yhat.notna() & ybar.notna()
    s = forecast_summary(y, yhat, ybar)
    assert tuple(s.index) == SUMMARY_KEYS
    assert tuple(s.index) == ("n", "rmse", "mae", "r2_oos", "hit_rate", "dm_stat", "dm_pvalue")
    assert s["n"] == keep.sum() == 44
    assert s["rmse"] == pytest.approx(root_mean_squared_error(y[keep], yhat[keep]), rel=REL)
    assert s["mae"] == pytest.approx(mean_absolute_error(y[keep], yhat[keep]), rel=REL)
    assert s["hit_rate"] == hit_rate_sign(y[keep], yhat[keep])
    dm = diebold_mariano(y[keep], yhat[keep], ybar[keep])
    assert s["dm_stat"] == dm.statistic and s["dm_pvalue"] == dm.pvalue_one_sided
    assert len(goyal_welch_cumulative(y, yhat, ybar)) == 44


def test_no_look_ahead_in_cumulative_path() -> None:
    y, yhat, ybar = planted(40, 10)
    base = goyal_welch_cumulative(y, yhat, ybar)
    y2 = y.copy()
    y2.iloc[25:] += 1.0
    pd.testing.assert_series_equal(goyal_welch_cumulative(y2, yhat, ybar).iloc[:25], base[:25])


def test_errors_and_empty_input() -> None:
    y, yhat, ybar = planted(20, 11)
    with pytest.raises(DataError, match="yhat must have the same index as y; got 19 rows for 20"):
        rmse(y, yhat.iloc[1:])
    with pytest.raises(DataError, match=r"ybar must have the same index as y.*different dates"):
        r2_oos(y, yhat, ybar.shift(1, freq="D"))
    with pytest.raises(EstimationError, match="horizon h must be an integer >= 1; got 0"):
        diebold_mariano(y, yhat, ybar, h=0)
    with pytest.raises(EstimationError, match="maxlags must be an integer >= 0; got -1"):
        diebold_mariano(y, yhat, ybar, maxlags=-1)
    empty = pd.Series([], dtype="float64")
    assert math.isnan(rmse(empty, empty)) and math.isnan(r2_oos(empty, empty, empty))
    res = diebold_mariano(empty, empty, empty)
    assert res.nobs == 0 and math.isnan(res.statistic)
