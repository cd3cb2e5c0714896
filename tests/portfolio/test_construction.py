"""Portfolio construction: legs, weighting rules, bounds, turnover cap, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import DataError, InsufficientDataError
from analysis.portfolio import BINDING_COLUMNS, ConstraintError, construct, water_fill

# sums of at most a few dozen O(1) weights: 1e-12 absolute covers the summation order
ABS = 1e-12


def make_scores(
    seed: int, n_dates: int = 4, n_names: int = 20, nan_share: float = 0.0
) -> pd.Series:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-31", periods=n_dates, freq="ME")
    tickers = [f"T{i:02d}" for i in range(n_names)]
    idx = pd.MultiIndex.from_product([dates, tickers], names=["date", "ticker"])
    s = pd.Series(rng.normal(size=len(idx)), idx, name="model_score")
    if nan_share:
        s[rng.random(len(idx)) < nan_share] = np.nan
    return s


def test_long_short_equal_quintiles() -> None:
    s = make_scores(1)
    p = construct(s, type="long_short", quantiles=5)
    assert list(p.binding.columns) == list(BINDING_COLUMNS)
    for date, row in p.weights.iterrows():
        sc = s.xs(date, level="date")
        top = set(sc.nlargest(4).index)
        bottom = set(sc.nsmallest(4).index)
        assert set(row[row > 0].index) == top
        assert set(row[row < 0].index) == bottom
        np.testing.assert_allclose(row[row > 0], 0.25, atol=ABS)
        np.testing.assert_allclose(row[row < 0], -0.25, atol=ABS)
    np.testing.assert_allclose(p.binding["net"], 0.0, atol=ABS)
    np.testing.assert_allclose(p.binding["gross"], 2.0, atol=ABS)
    assert (p.binding[["n_long", "n_short"]] == 4).all().all()


def test_ties_are_broken_by_ticker_order() -> None:
    idx = pd.MultiIndex.from_product(
        [pd.DatetimeIndex(["2024-01-31"]), list("ABCDEF")], names=["date", "ticker"]
    )
    s = pd.Series([1.0, 1.0, 1.0, 0.0, 2.0, 0.0], idx)
    w = construct(s, type="long_short", quantiles=3).weights.iloc[0]
    # ranks (method="first"): D=1, F=2, A=3, B=4, C=5, E=6
    assert list(w[w > 0].index) == ["C", "E"]
    assert list(w[w < 0].index) == ["D", "F"]


def test_long_only_top_k_and_nan_scores() -> None:
    s = make_scores(2, nan_share=0.2)
    p = construct(s, type="long_only", top_k=3)
    for date, row in p.weights.iterrows():
        sc = s.xs(date, level="date").dropna()
        assert set(row[row != 0].index) == set(sc.nlargest(3).index)
        assert row.sum() == pytest.approx(1.0, abs=ABS)
        assert (row >= 0).all()
    # a name with a NaN score is never held
    held = p.weights.stack()
    assert s.reindex(held[held != 0].index).notna().all()


def test_long_short_top_k() -> None:
    s = make_scores(3)
    w = construct(s, type="long_short", top_k=2).weights
    assert ((w > 0).sum(axis=1) == 2).all() and ((w < 0).sum(axis=1) == 2).all()


def test_inverse_volatility_is_proportional() -> None:
    s = make_scores(4)
    rng = np.random.default_rng(5)
    vol = pd.Series(rng.uniform(0.1, 0.5, len(s)), s.index)
    p = construct(s, type="long_short", quantiles=4, weighting="inverse_volatility", volatility=vol)
    for date, row in p.weights.iterrows():
        v = vol.xs(date, level="date")
        for leg in (row[row > 0], -row[row < 0]):
            inv = 1.0 / v[leg.index]
            np.testing.assert_allclose(leg, inv / inv.sum(), rtol=1e-12)


def test_inverse_volatility_rejects_bad_vol() -> None:
    s = make_scores(6, n_dates=1, n_names=10)
    vol = pd.Series(0.2, s.index)
    vol.iloc[int(np.argmax(s.to_numpy()))] = 0.0
    with pytest.raises(DataError, match=r"volatility of T\d\d on 2023-01-31 is 0.0"):
        construct(s, type="long_only", quantiles=2, weighting="inverse_volatility", volatility=vol)


def test_score_weighting_rule() -> None:
    s = make_scores(7, n_dates=1, n_names=10)
    w = construct(s, type="long_short", quantiles=2, weighting="score").weights.iloc[0]
    sc = s.droplevel("date")
    long, short = w[w > 0], -w[w < 0]
    raw_long = sc[long.index] - sc.min()
    raw_short = sc.max() - sc[short.index]
    np.testing.assert_allclose(long, raw_long / raw_long.sum(), rtol=1e-12)
    np.testing.assert_allclose(short, raw_short / raw_short.sum(), rtol=1e-12)
    assert (long > 0).all() and (short > 0).all()


def test_water_fill_by_hand() -> None:
    w, bound = water_fill(np.array([0.6, 0.2, 0.1, 0.1]), 0.3)
    # 0.6 -> 0.3, excess 0.3 spread 2:1:1 -> 0.35, 0.175, 0.175; 0.35 -> 0.3, then 0.35 on 1:1
    np.testing.assert_allclose(w, [0.3, 0.3, 0.2, 0.2], atol=ABS)
    assert bound
    w, bound = water_fill(np.array([0.5, 0.5]), 0.6)
    assert not bound and np.allclose(w, 0.5)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    kind=st.sampled_from(["long_short", "long_only"]),
    weighting=st.sampled_from(["equal", "score", "inverse_volatility"]),
    max_weight=st.floats(0.2, 1.0),
    min_weight=st.floats(0.0, 0.05),
)
def test_bounds_hold_for_random_scores(
    seed: int, kind: str, weighting: str, max_weight: float, min_weight: float
) -> None:
    s = make_scores(seed, n_dates=3, n_names=30, nan_share=0.1)
    vol = pd.Series(np.random.default_rng(seed + 1).uniform(0.05, 1.0, len(s)), s.index)
    p = construct(
        s,
        type=kind,  # type: ignore[arg-type]
        quantiles=5,
        weighting=weighting,  # type: ignore[arg-type]
        volatility=vol,
        min_weight=min_weight,
        max_weight=max_weight,
    )
    w = p.weights
    assert (w.abs() <= max_weight + 1e-12).all().all()
    a = np.abs(w.to_numpy())
    # after the cap raises the others, every held name still weighs at least min_weight
    assert (a[a != 0] >= min_weight - 1e-12).all()
    np.testing.assert_allclose(w.clip(lower=0).sum(axis=1), 1.0, atol=1e-12)
    short = -w.clip(upper=0).sum(axis=1)
    np.testing.assert_allclose(short, 1.0 if kind == "long_short" else 0.0, atol=1e-12)
    free = construct(
        s,
        type=kind,  # type: ignore[arg-type]
        quantiles=5,
        weighting=weighting,  # type: ignore[arg-type]
        volatility=vol,
        min_weight=min_weight,
    ).weights
    bound = p.binding["max_weight_binding"].to_numpy()
    at_cap = (w.abs() >= max_weight - 1e-12).any(axis=1).to_numpy()
    assert (at_cap[bound]).all()
    # where the cap did not bind, the book is the unconstrained one
    np.testing.assert_allclose(w[~bound], free[~bound], atol=1e-12)
    assert (free[bound].abs() > max_weight).any(axis=1).all()


def test_max_weight_infeasible_names_date_and_bound() -> None:
    s = make_scores(8, n_dates=2, n_names=10)
    with pytest.raises(
        ConstraintError, match=r"2023-01-31: the long leg has 2 names; max_weight=0.4"
    ):
        construct(s, type="long_short", quantiles=5, max_weight=0.4)


def test_min_weight_drops_and_renormalizes() -> None:
    idx = pd.MultiIndex.from_product(
        [pd.DatetimeIndex(["2024-01-31"]), list("ABCDEFGH")], names=["date", "ticker"]
    )
    s = pd.Series([8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0], idx)
    vol = pd.Series([0.1, 0.1, 0.1, 1.0, 1.0, 1.0, 1.0, 1.0], idx)
    p = construct(
        s,
        type="long_only",
        quantiles=2,
        weighting="inverse_volatility",
        volatility=vol,
        min_weight=0.1,
    )
    w = p.weights.iloc[0]
    # raw 10, 10, 10, 1 -> D weighs 1/31 < 0.1: dropped, the rest 1/3 each
    np.testing.assert_allclose(w[["A", "B", "C"]], 1 / 3, atol=ABS)
    assert w["D"] == 0.0 and p.binding["n_dropped_min_weight"].iloc[0] == 1


def test_turnover_cap_binds_exactly() -> None:
    s = make_scores(9, n_dates=6, n_names=25)
    free = construct(s, type="long_short", quantiles=5)
    cap = 0.5
    p = construct(s, type="long_short", quantiles=5, max_turnover=cap)
    b = p.binding
    turn = p.weights.diff().abs().sum(axis=1).iloc[1:]
    np.testing.assert_allclose(turn, b["turnover"].iloc[1:], atol=ABS)
    assert b["turnover_cap_binding"].iloc[1:].all()
    np.testing.assert_allclose(b["turnover"].iloc[1:], cap, atol=1e-12)
    assert not b["turnover_cap_binding"].iloc[0]
    assert (b["target_turnover"].iloc[1:] > cap).all()
    # the first rebalance is not capped and equals the free book
    pd.testing.assert_series_equal(p.weights.iloc[0], free.weights.iloc[0])
    # net stays 0; gross can only fall (names switching sides)
    np.testing.assert_allclose(b["net"], 0.0, atol=ABS)
    assert (b["gross"] <= 2.0 + ABS).all()
    # the blend from the previous (capped) target towards the new free target
    lam = cap / b["target_turnover"].iloc[1]
    expected = p.weights.iloc[0] + lam * (free.weights.iloc[1] - p.weights.iloc[0])
    np.testing.assert_allclose(p.weights.iloc[1], expected, atol=ABS)


def test_turnover_cap_long_only_stays_invested() -> None:
    s = make_scores(10, n_dates=5, n_names=25)
    p = construct(s, type="long_only", quantiles=5, max_turnover=0.3, max_weight=0.3)
    np.testing.assert_allclose(p.binding["net"], 1.0, atol=ABS)
    np.testing.assert_allclose(p.binding["gross"], 1.0, atol=ABS)
    assert (p.weights <= 0.3 + ABS).all().all()


def test_no_look_ahead() -> None:
    s = make_scores(11, n_dates=6, n_names=20)
    base = construct(s, type="long_short", quantiles=4, max_turnover=0.8)
    cut = s.index.get_level_values("date").unique()[2]
    perturbed = s.copy()
    later = s.index.get_level_values("date") > cut
    perturbed[later] = np.random.default_rng(12).normal(size=int(later.sum()))
    other = construct(perturbed, type="long_short", quantiles=4, max_turnover=0.8)
    pd.testing.assert_frame_equal(base.weights.loc[:cut], other.weights.loc[:cut])
    pd.testing.assert_frame_equal(base.binding.loc[:cut], other.binding.loc[:cut])
    assert not base.weights.loc[cut:].iloc[1:].equals(other.weights.loc[cut:].iloc[1:])


def test_errors_name_the_problem() -> None:
    s = make_scores(13, n_dates=1, n_names=3)
    with pytest.raises(InsufficientDataError, match="2023-01-31: 3 names have a score"):
        construct(s, type="long_short", quantiles=5)
    with pytest.raises(DataError, match="type must be one of long_short, long_only; got 'x'"):
        construct(s, type="x")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="needs the volatility"):
        construct(s, type="long_only", quantiles=2, weighting="inverse_volatility")
    with pytest.raises(DataError, match="MultiIndex named"):
        construct(s.droplevel("date"), type="long_only", quantiles=2)


def test_summary_mentions_settings() -> None:
    p = construct(make_scores(14), type="long_short", quantiles=5, max_weight=0.5)
    text = p.summary()
    assert "4 rebalance dates" in text and "max_weight=0.5" in text
