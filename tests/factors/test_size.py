"""Tests for :func:`analysis.factors.cross_section.size_factor`."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import DataError
from analysis.factors.cross_section import SHARES_MAX_AGE, size_factor

DAYS = pd.bdate_range("2020-01-01", "2021-12-31")


def panel(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random positive prices on business days and irregular share reports."""
    rng = np.random.default_rng(seed)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(DAYS), 3)), axis=0)),
        index=DAYS,
        columns=["A", "B", "C"],
    )
    prices.iloc[:40, 2] = np.nan  # C lists later
    report_days = pd.DatetimeIndex(
        sorted(rng.choice(pd.date_range("2019-06-01", "2021-12-31"), 25, replace=False))
    )
    shares = pd.DataFrame(
        rng.uniform(1e8, 1e10, (len(report_days), 3)), index=report_days, columns=["A", "B", "C"]
    )
    shares.iloc[rng.random(shares.shape) < 0.4] = np.nan
    return prices, shares


def by_hand(prices: pd.DataFrame, shares: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.Series:
    """Row by row: last reported count at or before t, if at most 400 days old."""
    rows = {}
    for t in dates:
        for ticker in prices.columns:
            price = prices.at[t, ticker]
            if np.isnan(price):
                continue
            count = np.nan
            if ticker in shares.columns:
                known = shares[ticker].dropna()
                known = known[known.index <= t]
                if len(known) and (t - known.index[-1]).days <= 400:
                    count = known.iloc[-1]
            rows[(t, ticker)] = np.log(price) + np.log(count)
    out = pd.Series(rows, name="size", dtype="float64")
    out.index.names = ["date", "ticker"]
    return out


def test_matches_a_hand_computation() -> None:
    prices, shares = panel(7)
    dates = DAYS[::21]
    got = size_factor(prices, shares, dates)
    assert list(got.columns) == ["size"]
    assert list(got.index.names) == ["date", "ticker"]
    expected = by_hand(prices, shares, dates)
    # log(P*S) vs log P + log S: equal up to rounding of the product
    pd.testing.assert_series_equal(got["size"], expected, check_exact=False, rtol=1e-12)
    assert got["size"].notna().sum() > 20  # the hand computation is not vacuously all-NaN


def test_small_case_with_known_numbers() -> None:
    dates = pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-03-29"])
    prices = pd.DataFrame({"X": [10.0, 20.0, 40.0], "Y": [5.0, np.nan, 5.0]}, index=dates)
    shares = pd.DataFrame(
        {"X": [1e6, 4e6, 9e9], "Y": [2e3, np.nan, np.nan]},
        index=pd.DatetimeIndex(["2024-01-15", "2024-02-29", "2024-03-30"]),
    )
    got = size_factor(prices, shares, dates)["size"]
    assert got[("2024-01-31", "X")] == pytest.approx(np.log(10.0 * 1e6))
    # a report dated t itself is known at t
    assert got[("2024-02-29", "X")] == pytest.approx(np.log(20.0 * 4e6))
    # the 30 March report is after 29 March: the 29 February count is used
    assert got[("2024-03-29", "X")] == pytest.approx(np.log(40.0 * 4e6))
    assert got[("2024-03-29", "Y")] == pytest.approx(np.log(5.0 * 2e3))
    assert ("2024-02-29", "Y") not in got.index  # no price, no row


def test_staleness_rule_400_days() -> None:
    report = pd.Timestamp("2020-01-01")
    dates = pd.DatetimeIndex([report + pd.Timedelta(days=d) for d in (0, 399, 400, 401, 800)])
    prices = pd.DataFrame({"X": 1.0}, index=dates)
    shares = pd.DataFrame({"X": [np.e]}, index=pd.DatetimeIndex([report]))
    got = size_factor(prices, shares, dates)["size"].to_numpy()
    assert pd.Timedelta(days=400) == SHARES_MAX_AGE
    np.testing.assert_array_equal(np.isnan(got), [False, False, False, True, True])
    assert got[2] == pytest.approx(1.0)  # exactly 400 days old is still used


def test_missing_ticker_and_no_reports_give_nan() -> None:
    prices, shares = panel(3)
    dates = DAYS[300:310]
    got = size_factor(prices, shares.drop(columns="B"), dates)
    assert got.xs("B", level="ticker")["size"].isna().all()
    assert got.xs("A", level="ticker")["size"].notna().any()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    cut=st.integers(5, len(DAYS) - 5),
    shock=st.floats(0.1, 10.0),
)
def test_no_look_ahead(seed: int, cut: int, shock: float) -> None:
    prices, shares = panel(seed)
    dates = DAYS[::10]
    t = DAYS[cut]
    before = size_factor(prices, shares, dates)

    later_prices = prices.copy()
    later_prices.loc[later_prices.index > t] *= shock
    later_shares = shares.copy()
    later_shares.loc[later_shares.index > t] *= shock
    # a new report the day after t, for every ticker
    extra = pd.DataFrame({c: [1.2345e9] for c in shares.columns}, index=[t + pd.Timedelta(days=1)])
    later_shares = pd.concat(
        [later_shares[~later_shares.index.isin(extra.index)], extra]
    ).sort_index()
    after = size_factor(later_prices, later_shares, dates)

    keep = before.index.get_level_values("date") <= t
    pd.testing.assert_frame_equal(after[keep], before[keep])
    # the perturbation is visible after t, so the comparison above is not vacuous
    if (before.index.get_level_values("date") > t).any():
        assert not after[~keep].equals(before[~keep])


def test_rejects_bad_shares() -> None:
    dates = pd.DatetimeIndex(["2024-01-31"])
    prices = pd.DataFrame({"X": [1.0]}, index=dates)
    with pytest.raises(
        DataError, match=re.escape("shares: X on 2024-01-31 is -5.0; share counts must be > 0")
    ):
        size_factor(prices, pd.DataFrame({"X": [-5.0]}, index=dates), dates)
    aware = pd.DataFrame({"X": [5.0]}, index=dates.tz_localize("UTC"))
    with pytest.raises(DataError, match="tz-naive"):
        size_factor(prices, aware, dates)
    with pytest.raises(DataError, match="not dates of the data"):
        size_factor(prices, prices, pd.DatetimeIndex(["2024-02-01"]))
