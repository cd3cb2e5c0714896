"""Strategy and portfolio returns: hand calculations, an explicit loop, no look-ahead."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.backtest.returns import buy_and_hold, portfolio_returns, strategy_returns
from analysis.errors import DataError

IDX = pd.date_range("2024-01-31", periods=4, freq="ME", name="date")
# Sums of a few products of O(1) numbers: agreement to 1e-12 absolute leaves room for the
# different summation order of the vectorized code.
ABS = 1e-12


def loop_strategy(
    w: np.ndarray, y: np.ndarray, rf: np.ndarray, cost_bps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The definition, one period at a time."""
    c = cost_bps / 1e4
    gross, net, turnover = [], [], []
    prev = 0.0
    for wt, yt, rft in zip(w, y, rf, strict=True):
        tau = abs(wt - prev)
        g = wt * (math.exp(yt) - 1.0) + (1.0 - wt) * rft
        gross.append(g)
        net.append(g - c * tau)
        turnover.append(tau)
        prev = wt
    return np.array(gross), np.array(net), np.array(turnover)


def test_hand_computation() -> None:
    pos = pd.Series([1.0, 0.5, -1.0, 0.0], IDX)
    y = pd.Series(np.log([1.1, 0.9, 1.2, 0.95]), IDX, name="SPX")
    out = strategy_returns(pos, y, rf=0.001, cost_bps=10.0)
    assert list(out.columns) == ["position", "turnover", "gross_return", "net_return"]
    assert out.index.equals(IDX)
    np.testing.assert_allclose(out["position"], pos, rtol=0)
    np.testing.assert_allclose(out["turnover"], [1.0, 0.5, 1.5, 1.0], atol=ABS)
    # 1*0.1; 0.5*(-0.1) + 0.5*0.001; -1*0.2 + 2*0.001; 0 + 1*0.001
    np.testing.assert_allclose(out["gross_return"], [0.1, -0.0495, -0.198, 0.001], atol=ABS)
    # minus 10 bp per unit of turnover, the first purchase included
    np.testing.assert_allclose(out["net_return"], [0.099, -0.05, -0.1995, 0.0], atol=ABS)


def test_against_explicit_loop() -> None:
    rng = np.random.default_rng(11)
    n = 200
    idx = pd.bdate_range("2020-01-01", periods=n)
    w = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5], n)
    y = rng.normal(0.0003, 0.012, n)
    rf = rng.uniform(0.0, 0.0002, n)
    out = strategy_returns(
        pd.Series(w, idx), pd.Series(y, idx), rf=pd.Series(rf, idx), cost_bps=7.5
    )
    gross, net, turnover = loop_strategy(w, y, rf, 7.5)
    np.testing.assert_allclose(out["gross_return"], gross, atol=ABS)
    np.testing.assert_allclose(out["net_return"], net, atol=ABS)
    np.testing.assert_allclose(out["turnover"], turnover, atol=ABS)


def test_buy_and_hold_is_full_position_without_cost() -> None:
    y = pd.Series(np.log([1.1, 0.9, 1.2, 0.95]), IDX)
    bh = buy_and_hold(y)
    np.testing.assert_allclose(bh, [0.1, -0.1, 0.2, -0.05], atol=ABS)
    full = strategy_returns(pd.Series(1.0, IDX), y, rf=0.003, cost_bps=25.0)
    np.testing.assert_allclose(full["gross_return"], bh, atol=ABS)  # no cash leg at w = 1


def test_portfolio_with_one_asset_equals_strategy() -> None:
    rng = np.random.default_rng(12)
    idx = pd.bdate_range("2021-01-01", periods=50)
    pos = pd.Series(rng.uniform(-1, 1.5, 50), idx)
    y = pd.Series(rng.normal(0, 0.01, 50), idx, name="X")
    rf = pd.Series(rng.uniform(0, 1e-4, 50), idx)
    single = strategy_returns(pos, y, rf=rf, cost_bps=5.0)
    multi = portfolio_returns(pos.to_frame("X"), np.expm1(y).to_frame(), cost_bps=5.0, rf=rf)
    for col in ("gross_return", "net_return", "turnover"):
        pd.testing.assert_series_equal(single[col], multi[col], check_exact=True)
    np.testing.assert_array_equal(multi["net_exposure"], pos)
    np.testing.assert_array_equal(multi["gross_exposure"], pos.abs())


def test_portfolio_against_hand_loop_and_costs() -> None:
    rng = np.random.default_rng(13)
    n, k = 60, 4
    idx = pd.bdate_range("2022-01-03", periods=n)
    cols = ["A", "B", "C", "D"]
    w = pd.DataFrame(rng.normal(0, 0.4, (n, k)), idx, cols)
    r = pd.DataFrame(rng.normal(0.0005, 0.02, (n, k)), idx, cols)
    out = portfolio_returns(w, r, cost_bps=20.0, rf=0.0001)
    prev = np.zeros(k)
    for t in range(n):
        wt, rt = w.to_numpy()[t], r.to_numpy()[t]
        tau = np.abs(wt - prev).sum()
        gross = sum(wt[i] * rt[i] for i in range(k)) + (1 - wt.sum()) * 0.0001
        assert out["turnover"].iloc[t] == pytest.approx(tau, abs=ABS)
        assert out["gross_return"].iloc[t] == pytest.approx(gross, abs=ABS)
        assert out["gross_exposure"].iloc[t] == pytest.approx(np.abs(wt).sum(), abs=ABS)
        assert out["net_exposure"].iloc[t] == pytest.approx(wt.sum(), abs=ABS)
        prev = wt
    # costs take exactly c * turnover, period by period
    free = portfolio_returns(w, r, cost_bps=0.0, rf=0.0001)
    np.testing.assert_allclose(free["net_return"], free["gross_return"], rtol=0, atol=0)
    np.testing.assert_allclose(
        free["net_return"] - out["net_return"], 20.0 / 1e4 * out["turnover"], atol=ABS
    )
    assert list(out.columns) == [
        "gross_return", "net_return", "turnover", "gross_exposure", "net_exposure"
    ]  # fmt: skip


def test_missing_return_allowed_only_without_position() -> None:
    cols = ["A", "B"]
    w = pd.DataFrame([[0.5, 0.0], [0.5, 0.5]], IDX[:2], cols)
    r = pd.DataFrame([[0.1, np.nan], [0.1, 0.2]], IDX[:2], cols)  # B not listed yet
    out = portfolio_returns(w, r, cost_bps=0.0)
    np.testing.assert_allclose(out["gross_return"], [0.05, 0.15], atol=ABS)
    w.iloc[0, 1] = 0.1
    with pytest.raises(DataError, match="return missing for a held position: B on 2024-01-31"):
        portfolio_returns(w, r, cost_bps=0.0)


def test_errors() -> None:
    pos = pd.Series([1.0, 0.0, 1.0, 1.0], IDX)
    y = pd.Series(0.01, IDX)
    with pytest.raises(DataError, match="same index; got 4 positions and 3 returns"):
        strategy_returns(pos, y.iloc[:3])
    with pytest.raises(DataError, match="on different dates"):
        strategy_returns(pos, y.set_axis(IDX + pd.Timedelta(days=1)))
    nan_pos = pos.copy()
    nan_pos.iloc[1] = np.nan
    with pytest.raises(DataError, match="NaN or inf on 1 dates: 2024-02-29"):
        strategy_returns(nan_pos, y)
    rf = pd.Series(0.001, IDX).drop(IDX[[1, 3]])
    with pytest.raises(DataError, match="rf is missing on 2 dates: 2024-02-29, 2024-04-30"):
        strategy_returns(pos, y, rf=rf)
    with pytest.raises(DataError, match=r"cost_bps must be a finite number >= 0; got -1\.0"):
        strategy_returns(pos, y, cost_bps=-1.0)
    with pytest.raises(DataError, match="unique periods in increasing order"):
        strategy_returns(pos.iloc[::-1], y.iloc[::-1])
    with pytest.raises(DataError, match="same index and columns"):
        portfolio_returns(pos.to_frame("A"), y.to_frame("B"), cost_bps=0.0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]), min_size=8, max_size=8),
    st.lists(st.floats(-0.2, 0.2), min_size=8, max_size=8),
    st.integers(0, 6),
    st.floats(0.0, 50.0),
)
def test_no_look_ahead(pos: list[float], ys: list[float], d: int, cost: float) -> None:
    idx = pd.bdate_range("2023-01-02", periods=8)
    w = pd.Series(pos, idx)
    y = pd.Series(ys, idx)
    rf = pd.Series(np.linspace(0.0, 1e-3, 8), idx)
    base = strategy_returns(w, y, rf=rf, cost_bps=cost)
    rng = np.random.default_rng(d)
    later = y.copy()
    later.iloc[d + 1 :] = rng.normal(0.0, 0.5, 7 - d)
    rf_later = rf.copy()
    rf_later.iloc[d + 1 :] = 0.05
    moved = strategy_returns(w, later, rf=rf_later, cost_bps=cost)
    pd.testing.assert_frame_equal(moved.iloc[: d + 1], base.iloc[: d + 1])
    # returns at d itself move that period's return but never the positions (they are inputs)
    at_d = y.copy()
    at_d.iloc[d] += 0.1
    shocked = strategy_returns(w, at_d, rf=rf, cost_bps=cost)
    pd.testing.assert_series_equal(shocked["position"], base["position"])
    pd.testing.assert_series_equal(shocked["turnover"], base["turnover"])
    pd.testing.assert_frame_equal(shocked.iloc[:d], base.iloc[:d])
