"""Rebalance dates, labels and price factors against hand values and plain loops."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.errors import DataError
from analysis.factors.cross_section import (
    BETA_WINDOW,
    BUILTIN_FACTORS,
    VOLATILITY_WINDOW,
    forward_returns,
    forward_returns_from_returns,
    panel_price_factors,
    price_factors,
    rebalance_dates,
    transform_label,
)

# The vectorized factors use pandas' online rolling moments, the loop a fresh
# two-pass numpy estimate; they agree to ~1e-12 relative, so 1e-8 is generous.
RTOL = 1e-8


def simulated_prices(
    seed: int, start: str = "2016-01-01", end: str = "2019-12-31", n: int = 7
) -> tuple[pd.DataFrame, pd.Series]:
    """Daily prices with random gaps, a late listing and a delisting, plus a benchmark."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, end, name="date")
    market = rng.normal(0.0003, 0.01, len(idx))
    betas = rng.uniform(0.5, 1.5, n)
    rets = market[:, None] * betas + rng.normal(0, 0.015, (len(idx), n))
    px = pd.DataFrame(
        100 * np.exp(np.cumsum(rets, axis=0)), index=idx, columns=[f"T{i}" for i in range(n)]
    )
    px = px.mask(rng.random(px.shape) < 0.05)  # scattered missing days
    px.iloc[: len(idx) // 2, 1] = np.nan  # listed half way through
    px.iloc[len(idx) - 200 :, 2] = np.nan  # delisted
    px.iloc[100:140, n - 1] = np.nan  # a long suspension
    bench = pd.Series(100 * np.exp(np.cumsum(market)), index=idx, name="bench")
    return px, bench


# --- a plain per-date, per-ticker reference -------------------------------------------


def boundary(t: pd.Timestamp, k: int, frequency: str) -> pd.Timestamp:
    if frequency == "monthly":
        months = t.year * 12 + (t.month - 1) - k
        y, m = divmod(months, 12)
        return pd.Timestamp(y, m + 1, 1) + pd.offsets.MonthEnd(0)
    return pd.Timestamp(t.to_pydatetime() - relativedelta(months=k))


def as_of(series: pd.Series, when: pd.Timestamp) -> float:
    seen = series[(series.index <= when) & series.notna()]
    return float(seen.iloc[-1]) if len(seen) else math.nan


def loop_factors(
    px: pd.DataFrame, dates: pd.DatetimeIndex, bench: pd.Series | None, frequency: str
) -> pd.DataFrame:
    vol_w, vol_min = VOLATILITY_WINDOW[frequency]  # type: ignore[index]
    beta_w, beta_min = BETA_WINDOW[frequency]  # type: ignore[index]
    values = px.to_numpy()
    if bench is None:
        simple = values[1:] / values[:-1] - 1
        mkt = np.full(len(px), np.nan)
        for j in range(1, len(px)):
            row = simple[j - 1][~np.isnan(simple[j - 1])]
            mkt[j] = row.mean() if len(row) else np.nan
    else:
        b = bench.reindex(px.index).to_numpy()
        mkt = np.r_[np.nan, b[1:] / b[:-1] - 1]
    rows = []
    for t in dates:
        p = px.index.get_loc(t)
        for c, ticker in enumerate(px.columns):
            if np.isnan(values[p, c]):
                continue
            p1 = as_of(px[ticker], boundary(t, 1, frequency))
            p12 = as_of(px[ticker], boundary(t, 12, frequency))
            lr = [
                math.log(values[j, c] / values[j - 1, c])
                for j in range(max(1, p - vol_w + 1), p + 1)
                if not (np.isnan(values[j, c]) or np.isnan(values[j - 1, c]))
            ]
            pairs = [
                (values[j, c] / values[j - 1, c] - 1, mkt[j])
                for j in range(max(1, p - beta_w + 1), p + 1)
                if not (np.isnan(values[j, c]) or np.isnan(values[j - 1, c]) or np.isnan(mkt[j]))
            ]
            beta = math.nan
            if len(pairs) >= beta_min:
                y, x = np.array(pairs).T
                design = np.column_stack([np.ones_like(x), x])
                beta = float(np.linalg.lstsq(design, y, rcond=None)[0][1])
            rows.append(
                {
                    "date": t,
                    "ticker": ticker,
                    "momentum": p1 / p12 - 1,
                    "reversal": values[p, c] / p1 - 1,
                    "volatility": float(np.std(lr, ddof=1)) if len(lr) >= vol_min else math.nan,
                    "beta": beta,
                }
            )
    return pd.DataFrame(rows).set_index(["date", "ticker"])


# --- rebalance dates ------------------------------------------------------------------


def test_rebalance_dates_are_last_dates_present() -> None:
    idx = pd.bdate_range("2024-01-01", "2024-03-31").drop(
        pd.DatetimeIndex(["2024-01-31", "2024-03-29"])  # month-end holidays
    )
    got = rebalance_dates(idx, "monthly")
    assert list(got) == list(pd.DatetimeIndex(["2024-01-30", "2024-02-29", "2024-03-28"]))
    assert got.name == "date"
    weekly = rebalance_dates(idx, "weekly")
    # Friday 29 March is missing: that week ends on Thursday 28 March.
    assert pd.Timestamp("2024-03-28") in weekly
    assert pd.Timestamp("2024-01-05") in weekly
    assert (weekly.isin(idx)).all()
    expected = pd.Series(idx, index=idx).groupby(idx.to_period("W-FRI")).max()
    assert list(weekly) == list(expected)


def test_rebalance_dates_rejects_unknown_rule() -> None:
    with pytest.raises(
        DataError, match="rebalance rule must be one of monthly, weekly; got 'daily'"
    ):
        rebalance_dates(pd.bdate_range("2024-01-01", periods=5), "daily")  # type: ignore[arg-type]


# --- labels ---------------------------------------------------------------------------


@pytest.fixture
def small_prices() -> pd.DataFrame:
    idx = pd.DatetimeIndex(
        ["2024-01-30", "2024-01-31", "2024-02-28", "2024-02-29", "2024-03-28"], name="date"
    )
    return pd.DataFrame(
        {
            "A": [9.0, 10.0, 11.0, 12.0, 15.0],
            "B": [20.0, 20.0, 19.0, np.nan, np.nan],  # delists in February
            "C": [np.nan, np.nan, 5.0, 5.0, 4.0],  # lists in February
        },
        index=idx,
    )


def test_forward_returns_by_hand(small_prices: pd.DataFrame) -> None:
    dates = pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-03-28"])
    got = forward_returns(small_prices, dates)
    d1, d2, d3 = dates
    expected = pd.Series(
        [12 / 10 - 1, math.nan, 15 / 12 - 1, 4 / 5 - 1, math.nan, math.nan],
        index=pd.MultiIndex.from_tuples(
            [(d1, "A"), (d1, "B"), (d2, "A"), (d2, "C"), (d3, "A"), (d3, "C")],
            names=["date", "ticker"],
        ),
        name="label",
    )
    pd.testing.assert_series_equal(got, expected)


def test_forward_returns_from_returns_compounds(small_prices: pd.DataFrame) -> None:
    rets = small_prices.pct_change(fill_method=None).iloc[1:]
    dates = pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-03-28"])
    got = forward_returns_from_returns(rets, dates)
    d1, d2 = dates[:2]
    # A: (1 + 0.1)(1 + 1/11) - 1 = 0.2; B has a missing return in (d1, d2]; C has none at d1.
    assert got[(d1, "A")] == pytest.approx(0.2, rel=1e-14)
    assert math.isnan(got[(d1, "B")])
    assert (d1, "C") not in got.index
    assert got[(d2, "A")] == pytest.approx(0.25, rel=1e-14)
    assert got.xs(dates[-1], level="date").isna().all()
    # Without gaps, compounding returns equals the ratio of prices.
    px, _ = simulated_prices(1, "2019-01-01", "2019-12-31")
    px = px.ffill().dropna(axis=1)
    r = px.pct_change(fill_method=None).iloc[1:]
    d = rebalance_dates(r.index, "monthly")
    pd.testing.assert_series_equal(
        forward_returns_from_returns(r, d), forward_returns(px, d), rtol=1e-12
    )


def test_transform_label() -> None:
    rng = np.random.default_rng(3)
    idx = pd.MultiIndex.from_product(
        [pd.date_range("2024-01-31", periods=3, freq="ME"), list("ABCDEF")],
        names=["date", "ticker"],
    )
    label = pd.Series(rng.normal(size=len(idx)), index=idx, name="label")
    label.iloc[[2, 9]] = np.nan
    label.iloc[4] = label.iloc[5]  # a tie
    demeaned = transform_label(label, "demean")
    np.testing.assert_allclose(demeaned.groupby(level="date").mean(), 0, atol=1e-15)
    ranked = transform_label(label, "rank")
    for date, day in label.groupby(level="date"):
        ok = day.dropna()
        expected = stats.rankdata(ok.to_numpy()) / len(ok)
        np.testing.assert_allclose(ranked.loc[ok.index].to_numpy(), expected)
        assert ranked.loc[day.index].isna().sum() == day.isna().sum(), date
    assert ranked.name == "label"
    pd.testing.assert_series_equal(transform_label(label, "raw"), label)
    with pytest.raises(DataError, match="label transform must be one of raw, demean, rank"):
        transform_label(label, "zscore")  # type: ignore[arg-type]


# --- price factors --------------------------------------------------------------------


@pytest.mark.parametrize("use_benchmark", [True, False])
def test_daily_price_factors_equal_a_plain_loop(use_benchmark: bool) -> None:
    px, bench = simulated_prices(11)
    dates = rebalance_dates(px.index, "monthly")
    # Rebalance on days where some prices are missing too.
    dates = dates[dates >= "2016-06-01"]
    b = bench if use_benchmark else None
    got = price_factors(px, dates, BUILTIN_FACTORS, benchmark=b)
    expected = loop_factors(px, dates, b, "daily")
    assert got.index.names == ["date", "ticker"]
    assert got.index.is_monotonic_increasing and got.index.is_unique
    pd.testing.assert_frame_equal(
        got, expected[list(BUILTIN_FACTORS)], rtol=RTOL, check_names=False
    )
    # Every factor is estimable somewhere and NaN somewhere (early dates, late listing).
    assert got.notna().any().all() and got.isna().any().all()


def test_weekly_rebalances_use_calendar_months() -> None:
    px, bench = simulated_prices(12, "2017-01-01", "2019-06-30", n=4)
    dates = rebalance_dates(px.index, "weekly")[-30:]
    got = price_factors(px, dates, ["reversal", "momentum"], benchmark=bench)
    expected = loop_factors(px, dates, bench, "daily")
    pd.testing.assert_frame_equal(got, expected[["reversal", "momentum"]], rtol=RTOL)


@pytest.mark.parametrize("frequency", ["monthly", "weekly"])
def test_period_price_factors_equal_a_plain_loop(frequency: str) -> None:
    px, bench = simulated_prices(13, "2012-01-01", "2019-12-31", n=5)
    rule = "ME" if frequency == "monthly" else "W-FRI"
    periodic = px.resample(rule).last()
    # Period-end labels such as 30 April must still find 31 March one month back.
    periodic.index.name = "date"
    bench_p = bench.resample(rule).last()
    dates = periodic.index[24:] if frequency == "monthly" else periodic.index[-80:]
    got = price_factors(periodic, dates, BUILTIN_FACTORS, benchmark=bench_p, frequency=frequency)  # type: ignore[arg-type]
    expected = loop_factors(periodic, dates, bench_p, frequency)
    pd.testing.assert_frame_equal(got, expected[list(BUILTIN_FACTORS)], rtol=RTOL)
    assert got["beta"].notna().sum() > 0


def test_monthly_momentum_by_hand() -> None:
    idx = pd.date_range("2020-01-31", periods=14, freq="ME", name="date")
    px = pd.DataFrame({"A": np.arange(1.0, 15.0)}, index=idx)
    got = price_factors(px, idx[-2:], ["momentum", "reversal"], frequency="monthly")
    # At 2021-02-28 (row 13, price 14): P(Jan 2021) = 13, P(Feb 2020) = 2.
    assert got.loc[(idx[-1], "A"), "momentum"] == pytest.approx(13 / 2 - 1)
    assert got.loc[(idx[-1], "A"), "reversal"] == pytest.approx(14 / 13 - 1)
    # At 2021-01-31: P(Jan 2020) = 1, the first row.
    assert got.loc[(idx[-2], "A"), "momentum"] == pytest.approx(12 / 1 - 1)
    early = price_factors(px, idx[10:11], ["momentum"], frequency="monthly")
    assert early["momentum"].isna().all()  # twelve months back is before the data


def test_beta_recovers_planted_betas() -> None:
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2018-01-01", periods=400, name="date")
    market = rng.normal(0, 0.01, len(idx))
    betas = np.array([0.3, 0.8, 1.0, 1.6])
    rets = market[:, None] * betas + rng.normal(0, 0.002, (len(idx), 4))
    px = pd.DataFrame(np.exp(np.cumsum(rets, axis=0)), index=idx, columns=list("ABCD"))
    bench = pd.Series(np.exp(np.cumsum(market)), index=idx)
    got = price_factors(px, idx[-1:], ["beta"], benchmark=bench)
    # Simple vs log returns and noise sd 0.002 over 252 days: slope error well below 0.05.
    np.testing.assert_allclose(got["beta"].to_numpy(), betas, atol=0.05)


@settings(max_examples=12, deadline=None)
@given(cut=st.integers(min_value=300, max_value=700), seed=st.integers(0, 2**16))
def test_no_look_ahead(cut: int, seed: int) -> None:
    px, bench = simulated_prices(21, "2016-01-01", "2018-12-31", n=5)
    dates = rebalance_dates(px.index, "weekly")
    rng = np.random.default_rng(seed)
    later = px.copy()
    later.iloc[cut + 1 :] *= rng.uniform(0.5, 2.0, later.iloc[cut + 1 :].shape)
    later.iloc[cut + 1 :] = later.iloc[cut + 1 :].mask(
        rng.random(later.iloc[cut + 1 :].shape) < 0.3
    )
    bench_later = bench.copy()
    bench_later.iloc[cut + 1 :] *= rng.uniform(0.5, 2.0, len(bench) - cut - 1)
    up_to = px.index[cut]
    for b_before, b_after in ((bench, bench_later), (None, None)):
        before = price_factors(px, dates, BUILTIN_FACTORS, benchmark=b_before)
        after = price_factors(later, dates, BUILTIN_FACTORS, benchmark=b_after)
        keep = before.index.get_level_values("date") <= up_to
        pd.testing.assert_frame_equal(
            before[keep], after[after.index.get_level_values("date") <= up_to]
        )


def test_panel_price_factors_equal_price_factors_on_the_index() -> None:
    px, bench = simulated_prices(31, "2012-01-01", "2019-12-31", n=4)
    monthly = px.ffill().resample("ME").last()
    rets = monthly.pct_change(fill_method=None).iloc[1:]
    bench_rets = bench.resample("ME").last().pct_change().iloc[1:]
    dates = rets.index[12:]
    got = panel_price_factors(rets, dates, BUILTIN_FACTORS, benchmark=bench_rets)
    index = (1 + rets).cumprod()
    expected = price_factors(
        index, dates, BUILTIN_FACTORS, benchmark=(1 + bench_rets).cumprod(), frequency="monthly"
    )
    pd.testing.assert_frame_equal(got, expected)
    # Momentum from a return panel is the compounded return of months t-12 .. t-1 (11 months).
    t = dates[-1]
    window = rets.loc[(rets.index > dates[-13]) & (rets.index <= dates[-2])]
    assert len(window) == 11
    np.testing.assert_allclose(
        got.xs(t, level="date")["momentum"].to_numpy(), ((1 + window).prod() - 1).to_numpy()
    )


def test_price_factor_errors() -> None:
    px, _ = simulated_prices(41, "2019-01-01", "2019-06-30", n=3)
    dates = rebalance_dates(px.index, "monthly")
    with pytest.raises(DataError, match=r"unknown price factor.*'size'.*known: momentum"):
        price_factors(px, dates, ["momentum", "size"])
    with pytest.raises(DataError, match="2019-01-05 are not dates of the data"):
        price_factors(px, pd.DatetimeIndex(["2019-01-05"]), ["momentum"])
    bad = px.copy()
    bad.iloc[3, 1] = -1.0
    with pytest.raises(DataError, match=r"T1 on 2019-01-04 is -1.0; prices must be > 0"):
        price_factors(bad, dates, ["reversal"])
    with pytest.raises(DataError, match="frequency must be one of daily, weekly, monthly"):
        price_factors(px, dates, ["reversal"], frequency="hourly")  # type: ignore[arg-type]
    rets = px.pct_change(fill_method=None)
    rets.iloc[5, 0] = -1.5
    with pytest.raises(DataError, match="returns must be > -1"):
        panel_price_factors(rets, dates, ["reversal"])
