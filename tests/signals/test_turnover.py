from __future__ import annotations

import alphalens.performance as al_perf
import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.signals.quantiles import quantize
from analysis.signals.turnover import quantile_turnover, rank_autocorrelation
from tests.signals import alphalens_frame, simulate_panel


@pytest.fixture
def panel() -> tuple[pd.Series, pd.Series]:
    # 10% of rows missing: universes change from date to date
    return simulate_panel(np.random.default_rng(31), missing=0.1)


@pytest.mark.parametrize("q", [1, 3, 5])
def test_quantile_turnover_matches_alphalens(panel: tuple[pd.Series, pd.Series], q: int) -> None:
    scores, _ = panel
    buckets = quantize(scores, 5)
    expected = al_perf.quantile_turnover(buckets.rename_axis(["date", "asset"]), q)
    got = quantile_turnover(buckets, q)
    assert got.name == "turnover" and np.isnan(got.iloc[0])
    # counts of names over counts of names: exact up to rounding
    pd.testing.assert_series_equal(
        got, expected.rename("turnover"), check_freq=False, check_index_type=False, rtol=1e-12
    )


def test_turnover_by_hand_and_for_persistent_scores() -> None:
    dates = pd.date_range("2020-01-31", periods=3, freq="ME")
    index = pd.MultiIndex.from_tuples(
        [(dates[0], t) for t in "ABCD"] + [(dates[1], t) for t in "ABCD"] + [(dates[2], "A")],
        names=["date", "ticker"],
    )
    buckets = pd.Series([2, 2, 1, 1, 2, 1, 2, 1, 2], index=index)
    got = quantile_turnover(buckets, 2)
    # date 1: {A, C} vs {A, B}: C is new -> 1/2; date 2: {A} vs {A, C} -> 0
    np.testing.assert_allclose(got.to_numpy(), [np.nan, 0.5, 0.0])
    with pytest.raises(DataError, match="quantile 9 never occurs"):
        quantile_turnover(buckets, 9)


def test_rank_autocorrelation_matches_alphalens(panel: tuple[pd.Series, pd.Series]) -> None:
    scores, label = panel
    frame = alphalens_frame(scores, label.fillna(0.0), quantize(scores, 5))
    expected = al_perf.factor_rank_autocorrelation(frame)
    got = rank_autocorrelation(scores)
    pd.testing.assert_series_equal(
        got, expected.rename("rank_autocorrelation"), check_freq=False, rtol=1e-12
    )
    # AR(1) coefficient 0.8 with unit-variance innovations scaled 0.6: correlation about 0.8
    assert 0.7 < got.iloc[1:].mean() < 0.9


def test_rank_autocorrelation_is_spearman_on_a_fixed_universe() -> None:
    rng = np.random.default_rng(2)
    dates = pd.date_range("2020-01-31", periods=5, freq="ME")
    index = pd.MultiIndex.from_product([dates, list("ABCDEFGH")], names=["date", "ticker"])
    scores = pd.Series(rng.normal(size=len(index)), index=index)
    got = rank_autocorrelation(scores)
    wide = scores.unstack("ticker")
    from scipy import stats

    for k in range(1, 5):
        expected = stats.spearmanr(wide.iloc[k], wide.iloc[k - 1]).statistic
        assert got.iloc[k] == pytest.approx(expected, abs=1e-12)  # rounding only


def test_turnover_and_autocorrelation_at_a_date_ignore_later_scores(
    panel: tuple[pd.Series, pd.Series],
) -> None:
    scores, _ = panel
    d = scores.index.get_level_values("date").unique()[25]
    later = scores.index.get_level_values("date") > d
    bumped = scores.copy()
    bumped[later] = np.random.default_rng(6).normal(size=later.sum())
    pd.testing.assert_series_equal(
        rank_autocorrelation(bumped)[:d], rank_autocorrelation(scores)[:d]
    )
    pd.testing.assert_series_equal(
        quantile_turnover(quantize(bumped, 5), 5)[:d],
        quantile_turnover(quantize(scores, 5), 5)[:d],
    )
