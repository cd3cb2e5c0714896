"""Returns, resampling and alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.factors.returns import align, resample_prices, to_returns


@pytest.fixture
def daily(rng: np.random.Generator) -> pd.Series:
    idx = pd.bdate_range("2021-01-04", "2021-06-30", name="date")
    return pd.Series(50 * np.exp(rng.normal(0, 0.015, len(idx)).cumsum()), idx, name="X")


def test_monthly_simple_returns_compound_daily(daily: pd.Series) -> None:
    monthly = to_returns(daily, "simple", "monthly")["X"]
    d = daily.pct_change().dropna()
    for end, value in monthly.items():
        days = d[(d.index.year == end.year) & (d.index.month == end.month)]
        assert value == pytest.approx(np.prod(1 + days) - 1, rel=1e-12)
    assert monthly.index[0] == pd.Timestamp("2021-02-28")  # January has no previous month
    assert len(monthly) == 5


def test_weekly_log_returns_sum_daily_and_end_on_friday(daily: pd.Series) -> None:
    weekly = to_returns(daily, "log", "weekly")["X"]
    assert (weekly.index.day_of_week == 4).all()
    d = np.log(daily).diff()
    wk = weekly.index[3]
    days = d[(d.index > wk - pd.Timedelta(days=7)) & (d.index <= wk)]
    assert weekly[wk] == pytest.approx(days.sum(), rel=1e-12)


def test_daily_is_unchanged_and_gaps_are_not_filled(daily: pd.Series) -> None:
    p = daily.copy()
    p.iloc[10] = np.nan
    r = to_returns(p, "simple")["X"]
    assert r.iloc[9:11].isna().all()  # returns into and out of the gap
    assert resample_prices(p, "daily").equals(p.to_frame())


def test_bad_arguments(daily: pd.Series) -> None:
    with pytest.raises(DataError, match="frequency must be one of daily, weekly, monthly"):
        to_returns(daily, "log", "hourly")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="return kind must be 'log' or 'simple'"):
        to_returns(daily, "arith")  # type: ignore[arg-type]


def test_align_reports_dropped_dates() -> None:
    us = pd.Series(1.0, pd.bdate_range("2024-01-01", periods=10))
    india = pd.Series(2.0, pd.bdate_range("2024-01-03", periods=10)).drop(
        pd.Timestamp("2024-01-05")
    )
    joined, al = align({"AAPL": us, "^NSEI": india})
    assert al.common == 7
    assert al.dropped == {"AAPL": 3, "^NSEI": 2}
    assert al.start == pd.Timestamp("2024-01-03") and al.end == pd.Timestamp("2024-01-12")
    assert list(joined.columns) == ["AAPL", "^NSEI"]
    assert (
        al.describe() == "7 common dates; left out (missing elsewhere): 3 dates of AAPL, 2 of ^NSEI"
    )
