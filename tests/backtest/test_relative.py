"""Benchmark-relative metrics against statsmodels, empyrical and hand computations."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.backtest.relative import (
    BETA_ALPHA_KEYS,
    beta_alpha,
    exposure_over_time,
    information_ratio,
    monthly_returns_table,
    rolling_sharpe,
    tracking_error,
)
from analysis.errors import DataError, InsufficientDataError


def simulated(seed: int, n: int = 500) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-01", periods=n, name="date")
    b = pd.Series(rng.normal(0.0004, 0.01, n), idx, name="bench")
    r = pd.Series(0.0003 + 1.3 * b.to_numpy() + rng.normal(0, 0.005, n), idx, name="strat")
    return r, b


def test_beta_alpha_against_statsmodels_hac() -> None:
    r, b = simulated(1)
    r.iloc[[3, 50]] = np.nan  # dropped pairwise
    out = beta_alpha(r, b, periods_per_year=252, cov_type="HAC", maxlags=5)
    assert list(out.index) == list(BETA_ALPHA_KEYS)
    keep = r.notna()
    ref = sm.OLS(r[keep], sm.add_constant(b[keep])).fit(
        cov_type="HAC", cov_kwds={"maxlags": 5}, use_t=True
    )
    # the same statsmodels fit behind a wrapper: agreement to rounding
    assert out["alpha"] == pytest.approx(ref.params["const"], abs=1e-14)
    assert out["beta"] == pytest.approx(ref.params["bench"], rel=1e-12)
    assert out["alpha_tstat"] == pytest.approx(ref.tvalues["const"], rel=1e-10)
    assert out["beta_tstat"] == pytest.approx(ref.tvalues["bench"], rel=1e-10)
    assert out["nobs"] == 498
    assert out["alpha_annualized"] == pytest.approx(252 * out["alpha"], rel=1e-14)


def test_beta_alpha_recovers_planted_values_and_matches_empyrical() -> None:
    r, b = simulated(2, n=2000)
    out = beta_alpha(r, b, periods_per_year=252)
    # noise sd 0.005 over 2000 days: beta se ~ 0.005 / (0.01 sqrt(2000)) = 0.011
    assert out["beta"] == pytest.approx(1.3, abs=0.05)
    assert out["beta_tstat"] > 50
    # OLS slope = cov / var = empyrical.beta
    assert out["beta"] == pytest.approx(empyrical.beta(r, b), rel=1e-10)
    # empyrical compounds the per-period alpha, (1 + alpha)^252 - 1; ours is 252 * alpha
    assert (1 + out["alpha"]) ** 252 - 1 == pytest.approx(empyrical.alpha(r, b), rel=1e-9)


def test_beta_alpha_needs_observations() -> None:
    r, b = simulated(3, n=5)
    with pytest.raises(InsufficientDataError, match="got 2"):
        beta_alpha(r.iloc[:2], b, periods_per_year=252)


def test_tracking_error_and_information_ratio_by_hand() -> None:
    idx = pd.date_range("2024-01-31", periods=4, freq="ME")
    r = pd.Series([0.02, -0.01, 0.03, 0.00], idx)
    b = pd.Series([0.01, 0.00, 0.01, 0.01], idx)
    # active 0.01, -0.01, 0.02, -0.01: mean 0.0025, sample variance (0.0075² + 0.0125² +
    # 0.0175² + 0.0125²) / 3 = 0.000675 / 3 = 0.000225, sd 0.015
    assert tracking_error(r, b, periods_per_year=12) == pytest.approx(0.015 * math.sqrt(12))
    assert information_ratio(r, b, periods_per_year=12) == pytest.approx(
        0.0025 * 12 / (0.015 * math.sqrt(12))
    )
    assert math.isnan(information_ratio(b, b, periods_per_year=12))
    assert math.isnan(tracking_error(r.iloc[:1], b, periods_per_year=12))


def test_tracking_error_matches_empyrical_style_formula() -> None:
    r, b = simulated(4)
    active = r - b
    assert tracking_error(r, b, periods_per_year=252) == pytest.approx(
        active.std(ddof=1) * math.sqrt(252), rel=1e-12
    )
    # empyrical's Sharpe ratio of the active return is the information ratio
    assert information_ratio(r, b, periods_per_year=252) == pytest.approx(
        empyrical.sharpe_ratio(active, period="daily"), rel=1e-10
    )


def test_rolling_sharpe_matches_a_loop() -> None:
    r, _ = simulated(5, n=80)
    out = rolling_sharpe(r, 20, periods_per_year=252)
    assert out.iloc[:19].isna().all()
    for end in (19, 40, 79):
        window = r.iloc[end - 19 : end + 1]
        assert out.iloc[end] == pytest.approx(
            empyrical.sharpe_ratio(window, period="daily"), rel=1e-10
        )
    flat = rolling_sharpe(pd.Series(0.01, r.index), 10, periods_per_year=252)
    assert flat.isna().all()
    with pytest.raises(DataError, match="window must be an integer >= 2; got 1"):
        rolling_sharpe(r, 1, periods_per_year=252)


def test_monthly_table_matches_resample() -> None:
    rng = np.random.default_rng(6)
    idx = pd.bdate_range("2022-03-15", "2024-02-10")
    r = pd.Series(rng.normal(0.0004, 0.01, len(idx)), idx)
    r.iloc[5] = np.nan
    table = monthly_returns_table(r)
    assert list(table.columns) == [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Year"
    ]  # fmt: skip
    monthly = (1 + r.fillna(0.0)).resample("ME").prod() - 1
    for date, value in monthly.items():
        assert table.loc[date.year, table.columns[date.month - 1]] == pytest.approx(
            value, rel=1e-10
        )
    yearly = (1 + r.fillna(0.0)).resample("YE").prod() - 1
    np.testing.assert_allclose(table["Year"], yearly.to_numpy(), rtol=1e-10)
    assert math.isnan(table.loc[2022, "Jan"]) and math.isnan(table.loc[2024, "Mar"])
    assert table.index.tolist() == [2022, 2023, 2024]


def test_monthly_table_with_total_loss() -> None:
    idx = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-02-01"])
    table = monthly_returns_table(pd.Series([0.1, -1.0, 0.5], idx))
    assert table.loc[2024, "Jan"] == -1.0 and table.loc[2024, "Year"] == -1.0
    assert table.loc[2024, "Feb"] == pytest.approx(0.5)


def test_exposure_over_time_by_hand() -> None:
    dates = pd.DatetimeIndex(["2024-01-31", "2024-02-29"], name="date")
    idx = pd.MultiIndex.from_product([dates, ["A", "B", "C"]], names=["date", "ticker"])
    z = pd.DataFrame(
        {"value": [1.0, -1.0, 0.5, 2.0, np.nan, -0.5], "size": [0.0, 1.0, 2.0, 1.0, 1.0, 1.0]},
        idx,
    )
    w = pd.DataFrame({"A": [0.5, 1.0], "B": [-0.5, -1.0], "C": [0.0, 0.0]}, index=dates)
    out = exposure_over_time(w, z)
    # 0.5*1 - 0.5*(-1) = 1; 1*2 - 1*NaN(->0) = 2; size: 0 - 0.5 = -0.5; 1 - 1 = 0
    expected = pd.DataFrame({"value": [1.0, 2.0], "size": [-0.5, 0.0]}, index=dates)
    pd.testing.assert_frame_equal(out, expected)
    with pytest.raises(DataError, match="no rows on 1 rebalance dates: 2024-03-29"):
        exposure_over_time(w.set_axis(pd.DatetimeIndex(["2024-01-31", "2024-03-29"])), z)
