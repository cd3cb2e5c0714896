from __future__ import annotations

import alphalens.performance as al_perf
import alphalens.utils as al_utils
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import DataError, InsufficientDataError
from analysis.signals.quantiles import (
    cumulative_quantile_returns,
    quantile_returns,
    quantile_returns_by_date,
    quantize,
    spread,
    spread_summary,
)
from tests.signals import alphalens_frame, simulate_panel


@pytest.fixture
def panel() -> tuple[pd.Series, pd.Series]:
    return simulate_panel(np.random.default_rng(21))


def test_quantize_matches_alphalens(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, _ = panel
    got = quantize(scores, 5)
    frame = scores.rename("factor").to_frame()
    frame.index = frame.index.set_names(["date", "asset"])
    expected = al_utils.quantize_factor(frame, quantiles=5).astype("int64")
    assert got.name == "quantile"
    np.testing.assert_array_equal(got.to_numpy(), expected.sort_index().to_numpy())
    assert got.index.equals(scores.index)
    counts = got.groupby(level="date").value_counts().unstack()
    # equal-count buckets: sizes differ by at most one name on every date
    assert (counts.max(axis=1) - counts.min(axis=1) <= 1).all()


def test_quantize_drops_small_dates_and_refuses_ties(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, _ = panel
    first = scores.index.get_level_values("date")[0]
    small = scores.drop(scores.xs(first, level="date", drop_level=False).index[3:])
    got = quantize(small, 5)
    assert first not in got.index.get_level_values("date")
    assert got.index.get_level_values("date").nunique() == 59
    tied = scores.copy()
    second = scores.index.get_level_values("date").unique()[1]
    tied.loc[second] = np.r_[np.zeros(60), np.arange(tied.loc[second].size - 60)]
    with pytest.raises(DataError, match=f"{second:%Y-%m-%d}.*ties"):
        quantize(tied, 5)
    with pytest.raises(DataError, match="quantiles must be an integer >= 2"):
        quantize(scores, 1)


def test_quantile_returns_match_alphalens(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    buckets = quantize(scores, 5)
    frame = alphalens_frame(scores, label, buckets)
    mean, se = al_perf.mean_return_by_quantile(frame, by_date=False, demeaned=False)
    got = quantile_returns(buckets, label)
    # same arithmetic on the same numbers; 1e-12 is rounding
    np.testing.assert_allclose(got["mean"], mean["1D"], rtol=1e-12)
    np.testing.assert_allclose(got["std_error"], se["1D"], rtol=1e-12)
    assert (got["n_dates"] == 59).all()
    by_date, _ = al_perf.mean_return_by_quantile(frame, by_date=True, demeaned=False)
    per_date = quantile_returns_by_date(buckets, label)
    expected = by_date["1D"].unstack("factor_quantile")
    np.testing.assert_allclose(per_date.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert per_date.index.equals(pd.DatetimeIndex(expected.index))
    # the planted positive link: bucket means increase from 1 to 5
    assert got["mean"].is_monotonic_increasing
    assert got.loc[5, "mean"] - got.loc[1, "mean"] > 0.03


def test_cumulative_compounds_per_date_returns() -> None:
    per_date = pd.DataFrame(
        {1: [0.1, -0.2, np.nan, 0.05], 2: [0.0, 0.1, 0.1, 0.1]},
        index=pd.date_range("2020-01-31", periods=4, freq="ME"),
    )
    got = cumulative_quantile_returns(per_date)
    np.testing.assert_allclose(got[1].to_numpy(), [1.1, 1.1 * 0.8, np.nan, 1.1 * 0.8 * 1.05])
    np.testing.assert_allclose(got[2].to_numpy(), [1.0, 1.1, 1.21, 1.331])


def test_spread_and_summary_by_hand(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    per_date = quantile_returns_by_date(quantize(scores, 5), label)
    s = spread(per_date, 5, 1)
    pd.testing.assert_series_equal(s, (per_date[5] - per_date[1]).rename("spread"))
    summary = spread_summary(s, 12)
    test = stats.ttest_1samp(s.dropna(), 0.0)
    assert summary["mean"] == pytest.approx(s.mean())
    assert summary["std_error"] == pytest.approx(s.std(ddof=1) / np.sqrt(59))
    assert summary["t_stat"] == pytest.approx(test.statistic)
    assert summary["annualized_mean"] == pytest.approx(12 * s.mean())
    assert summary["n_dates"] == 59
    with pytest.raises(DataError, match="top quantile 7"):
        spread(per_date, 7, 1)
    with pytest.raises(InsufficientDataError, match="at least 2 dates"):
        spread_summary(s.iloc[:1], 12)
    with pytest.raises(DataError, match="periods_per_year"):
        spread_summary(s, 0)


def test_bucket_returns_at_a_date_ignore_later_scores(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    base = quantile_returns_by_date(quantize(scores, 5), label)
    d = base.index[20]
    later = scores.index.get_level_values("date") > d
    bumped = scores.copy()
    bumped[later] = np.random.default_rng(4).normal(size=later.sum())
    after = quantile_returns_by_date(quantize(bumped, 5), label)
    pd.testing.assert_frame_equal(after.loc[:d], base.loc[:d])
