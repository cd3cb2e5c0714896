"""Drifting-weights backtest: hand example, share-based simulation, costs, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.backtest import performance_summary, portfolio_returns
from analysis.backtest.drift import RETURN_COLUMNS, backtest, period_returns
from analysis.errors import DataError

# sums of a few products of O(1) numbers over at most a few hundred steps: 1e-12 absolute
# leaves room for the different order of operations of two implementations
ABS = 1e-12


def random_panel(seed: int, n_days: int = 60, n_names: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2024-01-01", periods=n_days, name="date")
    cols = pd.Index([f"S{i}" for i in range(n_names)], name="ticker")
    return pd.DataFrame(rng.normal(0.0005, 0.02, (n_days, n_names)), idx, cols)


def random_weights(seed: int, dates: pd.DatetimeIndex, cols: pd.Index) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(len(dates), len(cols)))
    w[rng.random(w.shape) < 0.3] = 0.0
    return pd.DataFrame(w / np.abs(w).sum(axis=1, keepdims=True) * 1.5, dates, cols)


def share_simulation(weights: pd.DataFrame, returns: pd.DataFrame) -> pd.Series:
    """Independent check: buy shares at prices, mark to market, cash earns 0, no costs."""
    prices = (1.0 + returns.fillna(0.0)).cumprod()
    value, shares, cash = 1.0, np.zeros(returns.shape[1]), 1.0
    out = {}
    started = False
    for i, date in enumerate(returns.index):
        px = prices.iloc[i].to_numpy()
        if started:
            new_value = cash + shares @ px
            out[date] = new_value / value - 1.0
            value = new_value
        if date in weights.index:
            target = weights.loc[date].reindex(returns.columns, fill_value=0.0).to_numpy()
            shares = target * value / px
            cash = value - shares @ px
            started = True
    return pd.Series(out)


def test_two_assets_three_days_by_hand() -> None:
    idx = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], name="date")
    r = pd.DataFrame(
        {"A": [np.nan, 0.10, 0.00, -0.10], "B": [np.nan, -0.05, 0.10, 0.00]}, index=idx
    )
    w = pd.DataFrame({"A": [0.6, 0.6], "B": [0.4, 0.4]}, index=idx[[0, 2]])
    bt = backtest(w, r, cost_bps=10.0)
    out = bt.returns
    assert list(out.columns) == list(RETURN_COLUMNS)
    assert out.index.equals(idx[1:])
    # day 1: positions 0.6, 0.4 -> 0.66, 0.38 (value 1.04)
    # day 2: 0.66, 0.418 (value 1.078): return 0.038 / 1.04
    # rebalance on day 2 from 0.66/1.078, 0.418/1.078 to 0.6, 0.4; day 3: 0.6 * -0.1
    tau2 = abs(0.6 - 0.66 / 1.078) + abs(0.4 - 0.418 / 1.078)
    np.testing.assert_allclose(out["gross_return"], [0.04, 0.038 / 1.04, -0.06], atol=ABS)
    np.testing.assert_allclose(out["turnover"], [1.0, 0.0, tau2], atol=ABS)
    np.testing.assert_allclose(
        out["net_return"], [0.04 - 0.001, 0.038 / 1.04, -0.06 - 0.001 * tau2], atol=ABS
    )
    np.testing.assert_allclose(
        bt.weights_drifted.to_numpy(),
        [[0.6, 0.4], [0.66 / 1.04, 0.38 / 1.04], [0.6, 0.4]],
        atol=ABS,
    )
    np.testing.assert_allclose(out["net_exposure"], 1.0, atol=ABS)
    assert (out["n_names"] == 2).all() and (out["missing_returns"] == 0).all()
    # equal weight of the names with a return on the rebalance date: none on day 0 -> cash
    np.testing.assert_allclose(bt.equal_weight_return, [0.0, 0.0, -0.05], atol=ABS)


def test_gross_returns_match_a_share_based_simulation() -> None:
    r = random_panel(1)
    rebal = r.index[[0, 7, 20, 21, 40]]
    w = random_weights(2, rebal, r.columns)
    bt = backtest(w, r, cost_bps=0.0)
    ref = share_simulation(w, r)
    np.testing.assert_allclose(bt.returns["gross_return"], ref.reindex(bt.returns.index), atol=ABS)
    np.testing.assert_array_equal(bt.returns["net_return"], bt.returns["gross_return"])


def test_costs_reconcile_with_turnover() -> None:
    r = random_panel(3)
    rebal = r.index[[5, 15, 25, 35]]
    w = random_weights(4, rebal, r.columns)
    out = backtest(w, r, cost_bps=25.0).returns
    cost = out["gross_return"] - out["net_return"]
    # the cost is charged on the day after each rebalance and only then
    cost_days = r.index[r.index.get_indexer(rebal) + 1]
    assert set(out.index[out["turnover"] > 0]) == set(cost_days)
    np.testing.assert_allclose(cost, 25e-4 * out["turnover"], rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(cost[~out.index.isin(cost_days)], 0.0)
    assert out["turnover"].iloc[0] == pytest.approx(1.5, abs=ABS)  # built from cash


def test_daily_rebalance_to_constant_weights_equals_portfolio_returns() -> None:
    r = random_panel(5, n_days=40)
    w_const = np.array([0.3, -0.2, 0.5, 0.0, 0.1, -0.4, 0.2, 0.25])
    weights = pd.DataFrame(np.tile(w_const, (len(r), 1)), r.index, r.columns)
    rf = pd.Series(np.random.default_rng(6).uniform(0, 2e-4, len(r)), r.index)
    bt = backtest(weights, r, cost_bps=10.0, rf=rf).returns
    ref = portfolio_returns(weights.iloc[1:], r.iloc[1:], cost_bps=10.0, rf=rf)
    np.testing.assert_allclose(bt["gross_return"], ref["gross_return"], atol=ABS)
    np.testing.assert_allclose(bt["net_exposure"], ref["net_exposure"], atol=ABS)
    # portfolio_returns measures turnover against the last target, this module against the
    # drifted weights: they agree on the first trade, from cash, and differ afterwards
    assert bt["turnover"].iloc[0] == pytest.approx(ref["turnover"].iloc[0], abs=ABS)
    assert (bt["turnover"].iloc[1:] > 0).all() and (ref["turnover"].iloc[1:] == 0).all()


def test_period_returns_equals_backtest_on_period_data() -> None:
    rng = np.random.default_rng(7)
    idx = pd.date_range("2020-01-31", periods=24, freq="ME", name="date")
    cols = pd.Index(list("ABCDE"), name="ticker")
    r = pd.DataFrame(rng.normal(0.01, 0.06, (24, 5)), idx, cols)
    w = random_weights(8, idx[2:], cols)
    r.iloc[10, 0] = np.nan
    w.iloc[8, 0] = 0.0  # A is not held over the period with the missing return
    per = period_returns(w, r, cost_bps=15.0, rf=0.001)
    bt = backtest(w, r, cost_bps=15.0, rf=0.001).returns
    assert list(per.index) == list(bt.index)
    for col in RETURN_COLUMNS:
        np.testing.assert_allclose(per[col], bt[col], atol=ABS, err_msg=col)


def test_period_returns_refuses_skipped_periods() -> None:
    r = random_panel(9, n_days=10)
    w = random_weights(10, r.index[[0, 1, 3]], r.columns)
    with pytest.raises(DataError, match="no weights on 2024-01-03"):
        period_returns(w, r, cost_bps=0.0)


def test_missing_return_of_held_name_counts_as_zero() -> None:
    r = random_panel(11, n_days=10, n_names=3)
    w = pd.DataFrame([[0.5, 0.5, 0.0]], index=r.index[[0]], columns=r.columns)
    r_nan = r.copy()
    r_nan.iloc[3, 1] = np.nan
    r_nan.iloc[4, 2] = np.nan  # not held: not counted
    r_zero = r.copy()
    r_zero.iloc[3, 1] = 0.0
    a = backtest(w, r_nan, cost_bps=5.0)
    b = backtest(w, r_zero, cost_bps=5.0)
    np.testing.assert_allclose(a.returns["net_return"], b.returns["net_return"], atol=ABS)
    assert a.returns["missing_returns"].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert a.n_missing_returns == 1


def test_no_look_ahead() -> None:
    r = random_panel(12)
    rebal = r.index[[0, 10, 20, 30, 40, 50]]
    w = random_weights(13, rebal, r.columns)
    bench = pd.Series(np.random.default_rng(14).normal(0, 0.01, len(r)), r.index)
    base = backtest(w, r, cost_bps=10.0, benchmark=bench)
    cut = r.index[25]
    r2 = r.copy()
    r2.loc[r2.index > cut] = np.random.default_rng(15).normal(0, 0.05, r2.loc[r2.index > cut].shape)
    other = backtest(w, r2, cost_bps=10.0, benchmark=bench)
    pd.testing.assert_frame_equal(base.returns.loc[:cut], other.returns.loc[:cut])
    pd.testing.assert_series_equal(
        base.equal_weight_return.loc[:cut], other.equal_weight_return.loc[:cut]
    )
    pd.testing.assert_frame_equal(base.weights_drifted.loc[:cut], other.weights_drifted.loc[:cut])
    assert not base.returns.loc[cut:].iloc[1:].equals(other.returns.loc[cut:].iloc[1:])


def test_equal_weight_is_the_backtest_of_equal_weights() -> None:
    r = random_panel(16)
    r.iloc[:15, 0] = np.nan  # S0 listed later
    rebal = r.index[[1, 20, 40]]
    w = random_weights(17, rebal, r.columns)
    listed = r.loc[rebal].notna()
    ew = listed.div(listed.sum(axis=1), axis=0).astype("float64")
    bt = backtest(w, r, cost_bps=30.0)
    ref = backtest(ew, r, cost_bps=0.0).returns["gross_return"]
    np.testing.assert_allclose(bt.equal_weight_return, ref, atol=ABS)


def test_performance_reuses_performance_summary() -> None:
    r = random_panel(18)
    w = random_weights(19, r.index[[0, 30]], r.columns)
    bench = pd.Series(np.random.default_rng(20).normal(0, 0.01, len(r)), r.index)
    bt = backtest(w, r, cost_bps=10.0, benchmark=bench)
    perf = bt.performance(periods_per_year=252)
    assert list(perf.columns) == ["net", "gross", "equal_weight", "benchmark"]
    ref = performance_summary(
        bt.returns["net_return"], periods_per_year=252, turnover=bt.returns["turnover"]
    )
    pd.testing.assert_series_equal(perf["net"], ref, check_names=False)
    assert "missing returns" in bt.summary(periods_per_year=252)


def test_errors_name_dates_and_tickers() -> None:
    r = random_panel(21, n_days=10)
    w = random_weights(22, r.index[[0]], r.columns)
    with pytest.raises(DataError, match="not dates of the returns: 2024-03-01"):
        backtest(w.set_axis(pd.DatetimeIndex(["2024-03-01"])), r, cost_bps=0.0)
    with pytest.raises(DataError, match="tickers without returns: XX"):
        backtest(w.rename(columns={"S0": "XX"}), r, cost_bps=0.0)
    with pytest.raises(DataError, match="cost_bps must be a finite number >= 0"):
        backtest(w, r, cost_bps=-1.0)
    nan_w = w.copy()
    nan_w.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN or inf on 1 rebalance dates: 2024-01-01"):
        backtest(nan_w, r, cost_bps=0.0)
