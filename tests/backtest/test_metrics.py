"""Performance metrics against empyrical-reloaded, scipy and hand calculations."""

from __future__ import annotations

import math
import warnings

import empyrical
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.backtest import metrics as m
from analysis.errors import DataError
from analysis.factors.returns import PERIODS_PER_YEAR

# Everything here is closed-form on the same float64 values as the reference, so the
# results differ only by summation order: 1e-12 relative leaves ample room.
REL = 1e-12


@pytest.fixture(params=["daily", "weekly", "monthly"])
def sample(request: pytest.FixtureRequest) -> tuple[pd.Series, int]:
    freq = request.param
    seed = {"daily": 1, "weekly": 2, "monthly": 3}[freq]
    rng = np.random.default_rng(seed)
    p = PERIODS_PER_YEAR[freq]
    n = {"daily": 600, "weekly": 260, "monthly": 120}[freq]
    idx = pd.bdate_range("2015-01-01", periods=n, name="date")
    r = pd.Series(rng.standard_t(5, n) * 0.2 / math.sqrt(p) + 0.06 / p, idx, name="R")
    return r, p


@pytest.fixture
def tiny() -> pd.Series:
    return pd.Series(
        [0.10, -0.20, 0.05, 0.10], pd.date_range("2020-01-31", periods=4, freq="ME"), name="R"
    )


def test_against_empyrical(sample: tuple[pd.Series, int]) -> None:
    r, p = sample
    assert m.cagr(r, periods_per_year=p) == pytest.approx(
        empyrical.cagr(r, annualization=p), rel=REL
    )
    assert m.cagr(r, periods_per_year=p) == pytest.approx(
        empyrical.annual_return(r, annualization=p), rel=REL
    )
    assert m.annual_volatility(r, periods_per_year=p) == pytest.approx(
        empyrical.annual_volatility(r, annualization=p), rel=REL
    )
    assert m.sharpe_ratio(r, periods_per_year=p) == pytest.approx(
        empyrical.sharpe_ratio(r, annualization=p), rel=REL
    )
    assert m.sortino_ratio(r, periods_per_year=p) == pytest.approx(
        empyrical.sortino_ratio(r, annualization=p), rel=REL
    )
    assert m.sortino_ratio(r, 0.5 / p, periods_per_year=p) == pytest.approx(
        empyrical.sortino_ratio(r, required_return=0.5 / p, annualization=p), rel=REL
    )
    assert m.downside_deviation(r, periods_per_year=p) == pytest.approx(
        empyrical.downside_risk(r, annualization=p), rel=REL
    )
    assert m.max_drawdown(r) == pytest.approx(empyrical.max_drawdown(r), rel=REL)
    assert m.calmar_ratio(r, periods_per_year=p) == pytest.approx(
        empyrical.calmar_ratio(r, annualization=p), rel=REL
    )
    assert m.total_return(r) == pytest.approx(empyrical.cum_returns_final(r), rel=REL)
    pd.testing.assert_series_equal(
        m.wealth_index(r), empyrical.cum_returns(r, starting_value=1.0), check_names=False
    )
    pd.testing.assert_series_equal(
        m.drawdown_series(r), empyrical.stats.drawdown_series(r), check_names=False
    )


def test_sharpe_with_risk_free_against_empyrical(sample: tuple[pd.Series, int]) -> None:
    r, p = sample
    rng = np.random.default_rng(7)
    rf_series = pd.Series(rng.uniform(0.0, 0.04 / p, len(r)), r.index)
    assert m.sharpe_ratio(r, 0.02 / p, periods_per_year=p) == pytest.approx(
        empyrical.sharpe_ratio(r, risk_free=0.02 / p, annualization=p), rel=REL
    )
    assert m.sharpe_ratio(r, rf_series, periods_per_year=p) == pytest.approx(
        empyrical.sharpe_ratio(r, risk_free=rf_series, annualization=p), rel=REL
    )
    # rf only shifts the mean: the excess series' std is the same up to rf's own variation
    assert m.sharpe_ratio(r, 0.02 / p, periods_per_year=p) < m.sharpe_ratio(r, periods_per_year=p)


def test_log_sharpe_is_sharpe_of_log_returns(sample: tuple[pd.Series, int]) -> None:
    r, p = sample
    rf = 0.01 / p
    expected = empyrical.sharpe_ratio(np.log1p(r) - math.log1p(rf), annualization=p)
    assert m.log_sharpe_ratio(r, rf, periods_per_year=p) == pytest.approx(expected, rel=REL)
    assert math.isnan(m.log_sharpe_ratio(pd.Series([0.1, -1.0, 0.2]), periods_per_year=12))


def test_tiny_series_by_hand(tiny: pd.Series) -> None:
    p = 12
    # wealth 1.1, 0.88, 0.924, 1.0164; the running peak is 1.1 from the first month on
    assert m.total_return(tiny) == pytest.approx(0.0164, rel=REL)
    assert m.cagr(tiny, periods_per_year=p) == pytest.approx(1.0164**3 - 1, rel=REL)
    assert list(m.wealth_index(tiny)) == pytest.approx([1.1, 0.88, 0.924, 1.0164], rel=REL)
    assert list(m.drawdown_series(tiny)) == pytest.approx([0.0, -0.2, -0.16, -0.076], abs=1e-15)
    assert m.max_drawdown(tiny) == pytest.approx(-0.2, rel=REL)
    assert m.calmar_ratio(tiny, periods_per_year=p) == pytest.approx((1.0164**3 - 1) / 0.2, rel=REL)
    # mean 0.0125; squared deviations sum to 0.061875
    sd = math.sqrt(0.061875 / 3)
    assert m.annual_volatility(tiny, periods_per_year=p) == pytest.approx(
        sd * math.sqrt(12), rel=REL
    )
    assert m.sharpe_ratio(tiny, periods_per_year=p) == pytest.approx(
        0.0125 / sd * math.sqrt(12), rel=REL
    )
    # downside: only -0.2 is below 0, sqrt(0.04 / 4) = 0.1 per month
    assert m.sortino_ratio(tiny, periods_per_year=p) == pytest.approx(
        12 * 0.0125 / (0.1 * math.sqrt(12)), rel=REL
    )
    assert m.hit_rate(tiny) == 0.75
    for ours, theirs in [
        (m.cagr(tiny, periods_per_year=p), empyrical.cagr(tiny, period="monthly")),
        (m.sharpe_ratio(tiny, periods_per_year=p), empyrical.sharpe_ratio(tiny, period="monthly")),
        (
            m.sortino_ratio(tiny, periods_per_year=p),
            empyrical.sortino_ratio(tiny, period="monthly"),
        ),
        (m.calmar_ratio(tiny, periods_per_year=p), empyrical.calmar_ratio(tiny, period="monthly")),
        (m.max_drawdown(tiny), empyrical.max_drawdown(tiny)),
    ]:
        assert ours == pytest.approx(theirs, rel=REL)


def test_first_period_loss_is_a_drawdown() -> None:
    r = pd.Series([-0.1, 0.2, 0.05])
    assert m.max_drawdown(r) == pytest.approx(-0.1, rel=REL)
    assert m.max_drawdown(r) == pytest.approx(empyrical.max_drawdown(r), rel=REL)
    assert m.drawdown_series(r).iloc[0] == pytest.approx(-0.1, rel=REL)


def test_no_drawdown_gives_nan_calmar_like_empyrical() -> None:
    r = pd.Series([0.01, 0.02, 0.0, 0.03])
    assert m.max_drawdown(r) == 0.0
    assert math.isnan(m.calmar_ratio(r, periods_per_year=12))
    assert math.isnan(empyrical.calmar_ratio(r, period="monthly"))
    # no period below the target: empyrical says +inf, we say NaN (documented)
    assert math.isnan(m.sortino_ratio(r, periods_per_year=12))
    assert empyrical.sortino_ratio(r, period="monthly") == math.inf


def test_skewness_and_kurtosis_against_scipy(sample: tuple[pd.Series, int]) -> None:
    r, _ = sample
    assert m.skewness(r) == pytest.approx(stats.skew(r.to_numpy(), bias=False), rel=REL)
    assert m.excess_kurtosis(r) == pytest.approx(
        stats.kurtosis(r.to_numpy(), fisher=True, bias=False), rel=REL
    )
    # the bias-adjusted versions differ from scipy's defaults, so the choice is pinned
    assert m.skewness(r) != pytest.approx(stats.skew(r.to_numpy()), rel=1e-6)


def test_hit_rate_counts_zero_as_miss_and_turnover() -> None:
    r = pd.Series([0.01, 0.0, -0.02, 0.03, np.nan])
    assert m.hit_rate(r) == 0.5  # 2 of the 4 non-missing periods
    t = pd.Series([1.0, 0.0, 0.5, 0.5])
    assert m.annual_turnover(t, periods_per_year=52) == pytest.approx(0.5 * 52, rel=REL)


def test_empty_short_and_constant_inputs_give_nan() -> None:
    empty = pd.Series([], dtype="float64")
    all_nan = pd.Series([np.nan, np.nan])
    one = pd.Series([0.01])
    flat = pd.Series([0.01] * 5)
    p = 252
    for r in (empty, all_nan):
        assert math.isnan(m.total_return(r))
        assert math.isnan(m.cagr(r, periods_per_year=p))
        assert math.isnan(m.max_drawdown(r))
        assert math.isnan(m.calmar_ratio(r, periods_per_year=p))
        assert math.isnan(m.hit_rate(r))
        assert math.isnan(m.annual_turnover(r, periods_per_year=p))
        summary = m.performance_summary(r, periods_per_year=p)
        assert summary.drop("n_periods").isna().all() and summary["n_periods"] == 0
    for r in (empty, all_nan, one):
        assert math.isnan(m.annual_volatility(r, periods_per_year=p))
        assert math.isnan(m.sharpe_ratio(r, periods_per_year=p))
        assert math.isnan(m.log_sharpe_ratio(r, periods_per_year=p))
        assert math.isnan(m.sortino_ratio(r, periods_per_year=p))
        assert math.isnan(m.skewness(r))
        assert math.isnan(m.excess_kurtosis(r))
    assert math.isnan(m.excess_kurtosis(pd.Series([0.1, 0.2, 0.3])))  # needs 4
    assert math.isnan(m.sharpe_ratio(flat, periods_per_year=p))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by a zero std on the way
        assert math.isnan(m.sharpe_ratio(pd.Series([0.0, 5e-324, 0.0]), periods_per_year=p))
    assert math.isnan(m.skewness(flat))
    assert m.annual_volatility(flat, periods_per_year=p) == 0.0


def test_missing_periods_are_left_out() -> None:
    r = pd.Series([0.1, np.nan, -0.2, 0.05, 0.1])
    clean = r.dropna()
    assert m.sharpe_ratio(r, periods_per_year=12) == m.sharpe_ratio(clean, periods_per_year=12)
    assert m.cagr(r, periods_per_year=12) == m.cagr(clean, periods_per_year=12)
    assert list(m.wealth_index(r).index) == [0, 2, 3, 4]


def test_performance_summary_keys_and_values(sample: tuple[pd.Series, int]) -> None:
    r, p = sample
    turnover = pd.Series(0.1, r.index)
    s = m.performance_summary(r, periods_per_year=p, rf=0.01 / p, turnover=turnover)
    assert tuple(s.index) == m.SUMMARY_KEYS
    assert tuple(s.index) == (
        "total_return", "cagr", "volatility", "sharpe", "log_sharpe", "sortino",
        "max_drawdown", "calmar", "skewness", "excess_kurtosis", "hit_rate", "turnover",
        "n_periods",
    )  # fmt: skip
    assert s["sharpe"] == m.sharpe_ratio(r, 0.01 / p, periods_per_year=p)
    assert s["sortino"] == m.sortino_ratio(r, 0.01 / p, periods_per_year=p)
    assert s["max_drawdown"] == m.max_drawdown(r)
    assert s["turnover"] == pytest.approx(0.1 * p, rel=REL)
    assert s["n_periods"] == len(r)
    assert math.isnan(m.performance_summary(r, periods_per_year=p)["turnover"])


def test_bad_arguments(tiny: pd.Series) -> None:
    with pytest.raises(DataError, match="periods_per_year must be a number > 0; got 0"):
        m.sharpe_ratio(tiny, periods_per_year=0)
    rf = pd.Series(0.001, tiny.index[:2])
    with pytest.raises(
        DataError, match="rf is missing on 2 dates of the returns: 2020-03-31, 2020-04"
    ):
        m.sharpe_ratio(tiny, rf, periods_per_year=12)
    with pytest.raises(DataError, match="rf must be a finite number or a Series; got nan"):
        m.sharpe_ratio(tiny, math.nan, periods_per_year=12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=40),
    st.floats(0.1, 10.0),
)
def test_properties(values: list[float], scale: float) -> None:
    r = pd.Series(values)
    dd = m.drawdown_series(r)
    assert (dd <= 0).all() and m.max_drawdown(r) == dd.min()
    assert m.max_drawdown(r) == pytest.approx(empyrical.max_drawdown(r), rel=1e-9, abs=1e-15)
    sharpe = m.sharpe_ratio(r, periods_per_year=12)
    if math.isfinite(sharpe) and np.std(values) > 1e-6:
        # scale-free with rf = 0; rel 1e-8 because the std of tiny-dispersion draws loses digits
        assert m.sharpe_ratio(r * scale, periods_per_year=12) == pytest.approx(sharpe, rel=1e-8)
