"""Data-quality checks: planted problems are found with their dates and values; the real
sample series have none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data.quality import QualityRules, check_prices, findings_frame
from analysis.data.sample import SampleSource


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    tickers = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "KO", "^GSPC"]
    return SampleSource().fetch_prices(tickers, "2004-01-01", "2016-12-31").prices


def test_real_sample_series_have_no_findings(sample: pd.DataFrame) -> None:
    for col in sample:
        assert check_prices(sample[col]) == [], col


def test_planted_problems_are_found(sample: pd.DataFrame) -> None:
    px = sample["AAPL"].dropna().copy()
    glitch = px.index[1000]
    px[glitch] *= 1e6  # a vendor glitch for one day
    hole = px.index[1500:1780]  # about 400 calendar days without a price
    px = px.drop(hole)
    px.iloc[2000:2015] = px.iloc[2000]  # a stale feed: 15 identical prices
    found = check_prices(px)
    by = {f.check: [x for x in found if x.check == f.check] for f in found}
    assert [f.start for f in by["gap"]] == [f"{px.index[1499]:%Y-%m-%d}"]
    assert by["gap"][0].value == (px.index[1500] - px.index[1499]).days > 300
    jumps = [f for f in by["jump"] if f.start in (f"{glitch:%Y-%m-%d}",)]
    assert jumps and jumps[0].value == pytest.approx(np.log(1e6), abs=0.1)  # + the day's move
    assert [(f.start, f.value) for f in by["stale"]] == [(f"{px.index[2000]:%Y-%m-%d}", 15.0)]
    assert "15 identical prices" in by["stale"][0].line()
    frame = findings_frame(found)
    assert list(frame.columns) == ["series", "check", "start", "end", "value", "detail"]


def test_thresholds_and_non_positive_prices() -> None:
    idx = pd.bdate_range("2020-01-01", periods=30)
    px = pd.Series(np.linspace(10, 12, 30), index=idx, name="X")
    px.iloc[5] = -3.0
    found = check_prices(px)
    assert [(f.check, f.detail) for f in found] == [
        ("non_positive", f"price -3 on {idx[5]:%Y-%m-%d}")
    ]
    rising = pd.Series(np.exp(np.arange(10) * 0.3), index=idx[:10], name="Y")
    assert check_prices(rising) == []
    assert {f.check for f in check_prices(rising, QualityRules(max_abs_log_return=0.2))} == {"jump"}
