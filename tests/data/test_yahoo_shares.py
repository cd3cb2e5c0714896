"""Tests for :meth:`analysis.data.yahoo.YahooSource.fetch_shares` and its cache.

The real ``yfinance.Ticker.get_shares_full`` runs against recorded responses
(``tests/fixtures/yahoo/shares/``, served by ``tests/yahoo_replay.py``) with
the network blocked. Expected counts are read straight from the recorded
JSON, not from yfinance. A fake ``shares_history`` reaches the branches no
recording can (``None`` without a log, an unexpected exception).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from analysis.data.cache import CachedPriceSource, DataCache
from analysis.data.yahoo import SharesBatch, YahooSource
from analysis.errors import DataError, RateLimitError, SourceUnavailableError
from tests.yahoo_replay import FIXTURES, YahooReplay, replaying

SHARES = FIXTURES / "shares"
TICKERS = ["AAPL", "MSFT", "^GSPC"]


def recorded(ticker: str) -> pd.Series:
    """Share counts from the recording: UTC date of each stamp, last value of a day kept."""
    doc = json.loads((SHARES / "timeseries" / f"{ticker}.json").read_text(encoding="utf-8"))
    result = doc["timeseries"]["result"][0]
    days = pd.DatetimeIndex(pd.to_datetime(result["timestamp"], unit="s")).normalize().as_unit("ns")
    counts = pd.Series(result["shares_out"], index=days, dtype="float64")
    return counts.groupby(level=0).last()


def source(**kwargs: object) -> tuple[YahooSource, list[float]]:
    waits: list[float] = []
    return YahooSource(sleep=waits.append, **kwargs), waits  # type: ignore[arg-type]


def fetch(
    tickers: list[str], replay: YahooReplay | None = None, **kwargs: object
) -> tuple[SharesBatch, YahooReplay, list[float]]:
    yahoo, waits = source()
    with replaying(replay or YahooReplay(root=SHARES)) as used:
        batch = yahoo.fetch_shares(tickers, **kwargs)  # type: ignore[arg-type]
    return batch, used, waits


def test_full_history_matches_the_recording_and_index_fails() -> None:
    batch, replay, _ = fetch(TICKERS)

    assert replay.misses == []
    assert list(batch.shares.columns) == ["AAPL", "MSFT"]
    assert batch.shares.index.name == "date"
    assert batch.shares.index.dtype == "datetime64[ns]"
    assert (batch.shares.dtypes == "float64").all()
    for ticker in ("AAPL", "MSFT"):
        pd.testing.assert_series_equal(
            batch.shares[ticker].dropna(), recorded(ticker), check_names=False, check_freq=False
        )
    assert set(batch.failed) == {"^GSPC"}
    assert "no share count history" in batch.failed["^GSPC"]
    # one request per ticker to the share-count endpoint, with the symbol in the query
    assert [c.shares_ticker for c in replay.shares_calls()] == TICKERS
    assert "symbol=MSFT" in replay.shares_calls("MSFT")[0].url


def test_two_counts_on_one_day_keep_the_last_listed() -> None:
    batch, _, _ = fetch(["MSFT"])
    doc = json.loads((SHARES / "timeseries" / "MSFT.json").read_text(encoding="utf-8"))
    result = doc["timeseries"]["result"][0]
    day = pd.Timestamp("2021-05-31")
    listed = [
        v
        for t, v in zip(result["timestamp"], result["shares_out"], strict=True)
        if pd.Timestamp(t, unit="s").normalize() == day
    ]
    assert len(listed) == 2 and listed[0] != listed[1]  # the recording has the duplicate
    assert batch.shares.loc[day, "MSFT"] == listed[-1]
    assert not batch.shares.index.has_duplicates


def test_split_jump_is_delivered_as_reported() -> None:
    batch, _, _ = fetch(["AAPL"])
    aapl = batch.shares["AAPL"].dropna()
    before = aapl[:"2020-08-30"].iloc[-1]
    after = aapl["2020-08-31":].iloc[0]
    assert after / before == pytest.approx(4.0, rel=0.01)  # 4:1 split less one buyback step


def test_window_is_inclusive_and_sent_to_yahoo() -> None:
    start, end = pd.Timestamp("2020-03-01"), pd.Timestamp("2020-10-14")
    batch, replay, _ = fetch(["AAPL"], start=start, end=end)
    expected = recorded("AAPL")[start:end]
    assert len(expected) >= 3
    pd.testing.assert_series_equal(
        batch.shares["AAPL"], expected, check_names=False, check_freq=False
    )
    url = replay.shares_calls("AAPL")[0].url
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    # midnight in New York: EST (UTC-5) on 1 March, EDT (UTC-4) on 15 October; end + 1 day
    est, edt = (dt.timezone(dt.timedelta(hours=h)) for h in (-5, -4))
    assert int(query["period1"]) == int(dt.datetime(2020, 3, 1, tzinfo=est).timestamp())
    assert int(query["period2"]) == int(dt.datetime(2020, 10, 15, tzinfo=edt).timestamp())


def test_rate_limited_ticker_is_retried_then_delivered() -> None:
    replay = YahooReplay(root=SHARES)
    # yfinance retries a 429 once itself (other cookie strategy); 2 answers make one failed call
    replay.rate_limit_shares("MSFT", times=2)
    batch, used, waits = fetch(["AAPL", "MSFT"], replay)
    assert batch.failed == {}
    assert list(batch.shares.columns) == ["AAPL", "MSFT"]
    assert waits == [2.0]
    assert len(used.shares_calls("MSFT")) == 3
    assert len(used.shares_calls("AAPL")) == 1  # only the limited ticker is asked again


def test_rate_limit_that_persists_fails_the_ticker_and_bounds_retries() -> None:
    replay = YahooReplay(root=SHARES)
    replay.rate_limit_shares("MSFT")
    batch, used, waits = fetch(["AAPL", "MSFT"], replay)
    assert list(batch.shares.columns) == ["AAPL"]
    assert "rate limited by Yahoo (HTTP 429) on 4 attempt(s)" in batch.failed["MSFT"]
    assert waits == [2.0, 4.0, 8.0]
    assert len(used.shares_calls("MSFT")) == 8


def test_every_ticker_rate_limited_raises() -> None:
    replay = YahooReplay(root=SHARES)
    for ticker in ("AAPL", "MSFT"):
        replay.rate_limit_shares(ticker)
    with pytest.raises(RateLimitError, match="still rate limited"):
        fetch(["AAPL", "MSFT"], replay)


def test_offline_raises_source_unavailable() -> None:
    with pytest.raises(SourceUnavailableError, match=r"could not reach Yahoo.*resolve host"):
        fetch(["AAPL", "MSFT"], YahooReplay(root=SHARES, offline=True))


def test_window_without_reports_is_a_failure() -> None:
    batch, _, _ = fetch(["AAPL", "MSFT"], start="2022-06-01", end="2022-07-01")
    assert batch.shares.empty
    assert set(batch.failed) == {"AAPL", "MSFT"}
    assert "no share counts between 2022-06-01 and 2022-07-01" in batch.failed["AAPL"]


def test_fake_history_branches() -> None:
    def history(ticker: str, start: dt.date, end: dt.date | None) -> pd.Series | None:
        if ticker == "NONE":
            return None
        if ticker == "BOOM":
            raise RuntimeError("unexpected layout")
        index = pd.DatetimeIndex(["2024-01-02 00:00", "2024-01-02 00:00", "2024-02-01"])
        return pd.Series([10.0, 12.0, 0.0], index=index.tz_localize("America/New_York"))

    batch = YahooSource(shares_history=history).fetch_shares(["OK", "NONE", "BOOM"])
    # the non-positive count is dropped, the last of the two on 2 January kept
    assert batch.shares["OK"].to_dict() == {pd.Timestamp("2024-01-02"): 12.0}
    assert "no share count history" in batch.failed["NONE"]
    assert "RuntimeError: unexpected layout" in batch.failed["BOOM"]


def test_bad_tickers_raise_before_any_request() -> None:
    with pytest.raises(DataError, match="not a Yahoo symbol"):
        YahooSource(shares_history=lambda *a: None).fetch_shares(["AAPL", "bad ticker"])


def test_cache_second_call_does_not_hit_yahoo(tmp_path: object) -> None:
    cache = DataCache(tmp_path)  # type: ignore[arg-type]
    cached = CachedPriceSource(YahooSource(sleep=lambda _s: None), cache)
    with replaying(YahooReplay(root=SHARES)) as first:
        batch = cached.fetch_shares(TICKERS, start="2019-01-01", end="2021-12-31")
    assert first.shares_calls()
    # a fresh replay (yfinance's in-process memo cleared) that would fail any request
    with replaying(YahooReplay(root=SHARES, offline=True)) as second:
        again = cached.fetch_shares(list(reversed(TICKERS)), start="2019-01-01", end="2021-12-31")
    assert second.calls == []
    pd.testing.assert_frame_equal(again.shares, batch.shares, check_freq=False)
    assert again.failed == batch.failed
    assert isinstance(again, SharesBatch)
    # a different window is a different query
    with replaying(YahooReplay(root=SHARES)) as third:
        cached.fetch_shares(TICKERS, start="2020-01-01", end="2021-12-31")
    assert third.shares_calls()


def test_cache_refuses_a_source_without_shares(tmp_path: object) -> None:
    class PricesOnly:
        name = "prices-only"

    cached = CachedPriceSource(PricesOnly(), DataCache(tmp_path))  # type: ignore[arg-type]
    with pytest.raises(DataError, match="does not deliver share counts"):
        cached.fetch_shares(["AAPL"])
