from __future__ import annotations

import alphalens.performance as al_perf
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import DataError, InsufficientDataError
from analysis.signals.ic import (
    forward_returns_by_horizon,
    ic_by_month,
    ic_decay,
    ic_summary,
    information_coefficient,
)
from analysis.signals.quantiles import quantize
from tests.signals import alphalens_frame, simulate_panel


@pytest.fixture
def panel() -> tuple[pd.Series, pd.Series]:
    return simulate_panel(np.random.default_rng(11))


def test_rank_ic_matches_alphalens(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    frame = alphalens_frame(scores, label, quantize(scores, 5))
    expected = al_perf.factor_information_coefficient(frame)["1D"]
    got = information_coefficient(scores, label, method="spearman")
    # alphalens has no label for the last date; ours reports it as NaN
    assert np.isnan(got.iloc[-1])
    # both are the same Spearman correlation; 1e-12 is rounding
    pd.testing.assert_series_equal(
        got.dropna(), expected.rename("rank_ic"), check_freq=False, rtol=1e-12, atol=1e-12
    )


def test_pearson_ic_matches_scipy(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    got = information_coefficient(scores, label, method="pearson")
    assert got.name == "ic"
    for date in got.index[:-1]:
        x, y = scores.xs(date, level="date"), label.xs(date, level="date")
        # 1e-12: rounding only
        assert got[date] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)


def test_planted_link_gives_positive_significant_ic(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    summary = ic_summary(information_coefficient(scores, label, method="spearman"))
    assert summary["mean"] > 0.2
    assert summary["t_stat"] > 5
    assert summary["n_dates"] == 59


def test_undefined_dates_are_nan_not_dropped(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    first = scores.index.get_level_values("date")[0]
    flat = scores.copy()
    flat[flat.index.get_level_values("date") == first] = 1.5
    for method in ("pearson", "spearman"):
        got = information_coefficient(flat, label, method=method)  # type: ignore[arg-type]
        assert got.index[0] == first and np.isnan(got.iloc[0])
        assert got.iloc[1:-1].notna().all()


def test_ic_at_a_date_ignores_later_data(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    base = information_coefficient(scores, label, method="pearson")
    rng = np.random.default_rng(3)
    d = base.index[30]
    later = scores.index.get_level_values("date") > d
    s2, y2 = scores.copy(), label.copy()
    s2[later] = rng.normal(size=later.sum())
    y2[later] = rng.normal(size=later.sum())
    perturbed = information_coefficient(s2, y2, method="pearson")
    pd.testing.assert_series_equal(perturbed[:d], base[:d])
    assert not np.allclose(perturbed[d:].iloc[1:-1], base[d:].iloc[1:-1])


def test_ic_summary_by_hand() -> None:
    ic = pd.Series(
        [0.1, -0.05, 0.2, np.nan, 0.07, 0.0],
        index=pd.date_range("2020-01-31", periods=6, freq="ME"),
    )
    values = np.array([0.1, -0.05, 0.2, 0.07, 0.0])
    test = stats.ttest_1samp(values, 0.0)
    got = ic_summary(ic)
    assert got["mean"] == pytest.approx(values.mean())
    assert got["std"] == pytest.approx(values.std(ddof=1))
    assert got["icir"] == pytest.approx(values.mean() / values.std(ddof=1))
    assert got["t_stat"] == pytest.approx(test.statistic)
    assert got["p_value"] == pytest.approx(test.pvalue)
    assert got["share_positive"] == pytest.approx(3 / 5)
    assert got["n_dates"] == 5
    with pytest.raises(InsufficientDataError, match="at least 2 dates"):
        ic_summary(ic.iloc[:1])


def test_ic_by_month_is_a_year_by_month_table() -> None:
    dates = pd.bdate_range("2020-01-01", "2021-03-31")
    ic = pd.Series(np.random.default_rng(5).normal(size=len(dates)), index=dates)
    got = ic_by_month(ic)
    assert list(got.columns) == list(range(1, 13))
    assert list(got.index) == [2020, 2021]
    assert got.loc[2020, 7] == pytest.approx(ic["2020-07"].mean())
    assert got.loc[2021, 3] == pytest.approx(ic["2021-03"].mean())
    assert got.loc[2021, 4:].isna().all()


def _prices(rng: np.random.Generator) -> pd.DataFrame:
    days = pd.bdate_range("2020-01-01", "2021-06-30", name="date")
    r = 0.01 * rng.normal(size=(len(days), 4))
    prices = pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=days, columns=list("ABCD"))
    prices.iloc[:30, 3] = np.nan  # D lists late
    return prices


def _month_ends(prices: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(prices.groupby(prices.index.to_period("M")).tail(1).index)


def test_forward_returns_from_prices_by_hand_and_from_returns() -> None:
    prices = _prices(np.random.default_rng(7))
    dates = _month_ends(prices)
    fwd = forward_returns_by_horizon(prices, dates, (1, 2, 3))
    p = prices.reindex(dates)
    for h in (1, 2, 3):
        series = fwd[h]
        assert series.name == f"forward_return_{h}"
        assert series.index.names == ["date", "ticker"] and series.index.is_monotonic_increasing
        for k in (0, 4, len(dates) - h - 1):
            expected = p.iloc[k + h] / p.iloc[k + h - 1] - 1
            got = series.xs(dates[k], level="date")
            pd.testing.assert_series_equal(got, expected, check_names=False)
        assert series.xs(dates[-h], level="date").isna().all()
    # D has no price at the first month end: no return over the period that starts there
    assert np.isnan(fwd[1].loc[(dates[0], "D")])
    assert np.isfinite(fwd[2].loc[(dates[0], "D")])
    # the same from daily simple returns (compounded within each period); 1e-12: rounding
    from_returns = forward_returns_by_horizon(
        prices.pct_change(fill_method=None), dates, (1, 2, 3), kind="returns"
    )
    for h in (1, 2, 3):
        pd.testing.assert_series_equal(from_returns[h], fwd[h], rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_compounded_horizons_match_alphalens_cumulative_forward_returns() -> None:
    # alphalens' horizon-h forward return is cumulative over (t, t+h]; ours is one period.
    # Compounding our horizons 1..h must give alphalens' number.
    import alphalens.utils as al_utils

    prices = _prices(np.random.default_rng(8)).iloc[:, :3]
    dates = _month_ends(prices)
    at = prices.reindex(dates)
    factor = at.stack().rename("factor")
    factor.index.names = ["date", "asset"]
    expected = al_utils.compute_forward_returns(factor, at, periods=(3,))
    fwd = forward_returns_by_horizon(prices, dates, (1, 2, 3))
    growth = (1 + fwd[1]) * (1 + fwd[2]) * (1 + fwd[3]) - 1
    expected_series = expected.iloc[:, 0]
    mine = growth.reindex(pd.MultiIndex.from_tuples(list(expected_series.index)))
    np.testing.assert_allclose(mine.to_numpy(), expected_series.to_numpy(), rtol=1e-12)


def test_forward_returns_do_not_use_prices_after_their_period() -> None:
    prices = _prices(np.random.default_rng(9))
    dates = _month_ends(prices)
    base = forward_returns_by_horizon(prices, dates, (1, 2))
    k, h = 5, 2
    bumped = prices.copy()
    bumped.loc[bumped.index > dates[k + h]] *= 1.5
    after = forward_returns_by_horizon(bumped, dates, (1, 2))
    at_k = pd.IndexSlice[: dates[k], :]
    pd.testing.assert_series_equal(after[h].loc[at_k], base[h].loc[at_k])
    assert (
        not after[h]
        .loc[pd.IndexSlice[dates[k + 1] :, :]]
        .equals(base[h].loc[pd.IndexSlice[dates[k + 1] :, :]])
    )


def test_ic_decay_finds_a_one_period_signal() -> None:
    rng = np.random.default_rng(12)
    days = pd.date_range("2020-01-31", periods=40, freq="ME", name="date")
    tickers = [f"T{i:02d}" for i in range(80)]
    x = rng.normal(size=(40, 80))
    r = 0.05 * rng.normal(size=(40, 80))
    r[1:] += 0.03 * x[:-1]  # the score at t predicts the return over (t, t+1] only
    prices = pd.DataFrame(100 * np.cumprod(1 + r, axis=0), index=days, columns=tickers)
    scores = pd.DataFrame(x, index=days, columns=tickers).stack()
    scores.index.names = ["date", "ticker"]
    fwd = forward_returns_by_horizon(prices, days, range(1, 7))
    decay = ic_decay(scores, fwd, "spearman")
    assert list(decay.index) == [1, 2, 3, 4, 5, 6]
    assert decay[1] > 0.3
    assert (decay.loc[2:].abs() < 0.1).all()


def test_errors_name_what_was_wrong(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    with pytest.raises(DataError, match="'kendall'"):
        information_coefficient(scores, label, method="kendall")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="MultiIndex named"):
        information_coefficient(scores.reset_index(drop=True), label, method="pearson")
    prices = _prices(np.random.default_rng(1))
    with pytest.raises(DataError, match="2020-01-04"):
        forward_returns_by_horizon(prices, pd.DatetimeIndex(["2020-01-04"]), (1,))
    with pytest.raises(DataError, match="horizons"):
        forward_returns_by_horizon(prices, _month_ends(prices), (0, 1))
