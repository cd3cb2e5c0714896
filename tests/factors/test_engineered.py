"""Engineered factors on a hand-computable series, and the no-look-ahead property."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import DataError
from analysis.factors.engineered import ENGINEERED_FACTORS, engineered_factors, rolling_slope

P = [100.0, 102.0, 101.0, 105.0, 107.0, 104.0, 110.0]
M = [1000.0, 1010.0, 1005.0, 1020.0, 1030.0, 1025.0, 1040.0]
IDX = pd.bdate_range("2024-01-01", periods=len(P), name="date")


def test_hand_computed_values() -> None:
    """Window L=3: the first usable period is t=4 and every value is worked out by hand."""
    y, X = engineered_factors(pd.Series(P, IDX, name="S"), pd.Series(M, IDX, name="^M"), 3)
    assert list(X.columns) == list(ENGINEERED_FACTORS)
    assert list(X.index) == list(IDX[4:])
    assert y.name == "S"
    t = IDX[4]
    assert y[t] == pytest.approx(math.log(107 / 105), abs=1e-15)
    assert X.loc[t, "market"] == pytest.approx(math.log(1030 / 1020), abs=1e-15)
    r = [math.log(102 / 100), math.log(101 / 102), math.log(105 / 101)]  # r_1..r_3
    # mean of three log returns telescopes to ln(105/100)/3
    assert X.loc[t, "momentum"] == pytest.approx(math.log(105 / 100) / 3, abs=1e-15)
    assert X.loc[t, "volatility"] == pytest.approx(statistics.stdev(r), abs=1e-15)
    # slope of three equally spaced points = (last - first) / 2
    assert X.loc[t, "trend"] == pytest.approx((math.log(105) - math.log(102)) / 2, abs=1e-15)
    # (P_3 - mean(102, 101, 105)) / sd(102, 101, 105): mean 308/3, sd sqrt(13/3)
    assert X.loc[t, "mean_reversion"] == pytest.approx((105 - 308 / 3) / math.sqrt(13 / 3))
    # last row, t=6: window P_3..P_5 = 105, 107, 104
    last = IDX[6]
    assert X.loc[last, "trend"] == pytest.approx((math.log(104) - math.log(105)) / 2, abs=1e-15)
    assert X.loc[last, "momentum"] == pytest.approx(math.log(104 / 101) / 3, abs=1e-15)


def test_rolling_slope_matches_polyfit(rng: np.random.Generator) -> None:
    s = pd.Series(rng.normal(size=50).cumsum())
    got = rolling_slope(s, 10)
    assert got.iloc[:9].isna().all()
    for i in range(9, 50):
        ref = np.polyfit(np.arange(10), s.iloc[i - 9 : i + 1].to_numpy(), 1)[0]
        assert got.iloc[i] == pytest.approx(ref, abs=1e-12)


def test_calendars_are_intersected() -> None:
    stock = pd.Series(P, IDX, name="S")
    market = pd.Series(M, IDX, name="^M").drop(IDX[4])  # a market holiday
    y, X = engineered_factors(stock, market, 2)
    assert IDX[4] not in y.index
    # the return over the holiday spans two sessions for both series
    assert y[IDX[5]] == pytest.approx(math.log(104 / 105), abs=1e-15)
    assert X.loc[IDX[5], "market"] == pytest.approx(math.log(1025 / 1020), abs=1e-15)
    assert X.loc[IDX[5], "momentum"] == pytest.approx(math.log(105 / 102) / 2, abs=1e-15)


def test_too_short_history() -> None:
    with pytest.raises(DataError, match=r"S: 7 common prices .* at least factor_window \+ 2 = 12"):
        engineered_factors(pd.Series(P, IDX, name="S"), pd.Series(M, IDX), 10)
    with pytest.raises(DataError, match="factor_window must be an integer >= 2"):
        engineered_factors(pd.Series(P, IDX, name="S"), pd.Series(M, IDX), 1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.integers(30, 59), window=st.integers(2, 20))
def test_no_look_ahead(seed: int, cut: int, window: int) -> None:
    """Changing prices from period `cut` on leaves every factor before `cut` unchanged,
    and the stock-specific factors at `cut` too (they use information up to t-1)."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=60)
    p = pd.Series(100 * np.exp(rng.normal(0, 0.02, 60).cumsum()), idx, name="S")
    m = pd.Series(1000 * np.exp(rng.normal(0, 0.01, 60).cumsum()), idx, name="M")
    p2 = p.copy()
    p2.iloc[cut:] *= np.exp(rng.normal(0, 0.05, 60 - cut))
    _, X1 = engineered_factors(p, m, window)
    _, X2 = engineered_factors(p2, m, window)
    before = X1.index[X1.index < idx[cut]]
    pd.testing.assert_frame_equal(X1.loc[before], X2.loc[before])
    own = [c for c in ENGINEERED_FACTORS if c != "market"]
    if idx[cut] in X1.index:
        pd.testing.assert_series_equal(X1.loc[idx[cut], own], X2.loc[idx[cut], own])
