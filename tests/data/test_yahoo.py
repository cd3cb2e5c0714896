"""Tests for :mod:`analysis.data.yahoo`.

Most tests run the real ``yfinance.download`` against recorded Yahoo chart
responses (``tests/fixtures/yahoo/``, served by ``tests/yahoo_replay.py``),
with the network blocked. Expected prices are computed independently from
the recorded JSON, not from yfinance. A few tests inject a fake download
function to reach branches that recordings cannot (a failure reported for a
ticker that has data, a flat single-ticker frame, exceptions from download).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import curl_cffi.curl
import numpy as np
import pandas as pd
import pytest
import yfinance
from curl_cffi.requests.exceptions import DNSError
from yfinance.exceptions import YFRateLimitError

from analysis.data.base import PriceSource
from analysis.data.cache import CachedPriceSource, DataCache
from analysis.data.yahoo import TICKER_PATTERN, YahooSource
from analysis.errors import (
    DataError,
    RateLimitError,
    SourceUnavailableError,
    UnknownTickerError,
)
from tests.yahoo_replay import (
    FIXTURES,
    FRAMES,
    LAYOUT_CASES,
    NetworkAccessError,
    YahooReplay,
    download_layout_case,
    replaying,
)

START = pd.Timestamp("2024-01-01")
END = pd.Timestamp("2024-02-13")
US = ["AAPL", "^GSPC"]
INDIA = ["RELIANCE.NS", "^NSEI", "500325.BO"]


# ------------------------------------------------------------- helpers


def recorded(ticker: str) -> pd.DataFrame:
    """Close and adjusted close straight from a recorded chart response.

    Dates are the exchange's own: Yahoo stamps a daily bar with the session's
    opening time in UTC, so converting to ``meta.exchangeTimezoneName`` and
    taking the calendar date gives the trading day.
    """
    doc = json.loads((FIXTURES / "chart" / f"{ticker}.json").read_text(encoding="utf-8"))
    result = doc["chart"]["result"][0]
    tz = result["meta"]["exchangeTimezoneName"]
    stamps = pd.to_datetime(result["timestamp"], unit="s", utc=True).tz_convert(tz)
    frame = pd.DataFrame(
        {
            "close": result["indicators"]["quote"][0]["close"],
            "adjclose": result["indicators"]["adjclose"][0]["adjclose"],
        },
        index=pd.DatetimeIndex(stamps.date).as_unit("ns").rename("date"),
        dtype="float64",
    )
    return frame.dropna(how="all")


class Sleeps(list[float]):
    """Stands in for ``time.sleep``: remembers the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def replay() -> Iterator[YahooReplay]:
    with replaying() as served:
        yield served
    assert not served.misses, f"requests without a recording: {served.misses}"


def yf_frame(prices: dict[str, list[float]], dates: list[str]) -> pd.DataFrame:
    """A frame shaped like yfinance 1.x's ``download`` result: (Price, Ticker) columns."""
    index = pd.DatetimeIndex(dates, name="Date")
    parts = {(field, t): values for t, values in prices.items() for field in ("Close", "Open")}
    frame = pd.DataFrame(parts, index=index)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["Price", "Ticker"])
    return frame


def log_failures(errors: dict[str, str]) -> None:
    """Log failures the way yfinance's download() does (multi.py, summary block)."""
    logger = logging.getLogger("yfinance")
    logger.error("\n%d Failed downloads:", len(errors))
    for ticker, reason in errors.items():
        logger.error(f"{[ticker]}: {reason}")


def must_not_download(*_args: Any, **_kwargs: Any) -> pd.DataFrame:
    raise AssertionError("download() must not be called")


def raw_download(tickers: list[str], **kwargs: Any) -> pd.DataFrame:
    """Call ``yfinance.download`` directly, without its pandas-3 ``inplace`` deprecation noise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword", module="yfinance")
        frame = yfinance.download(tickers, **kwargs)
    assert frame is not None
    return frame


# ------------------------------------------------------------- real yfinance, replayed


def test_is_a_price_source() -> None:
    assert isinstance(YahooSource(), PriceSource)
    assert YahooSource.name == "yahoo"


def test_multi_ticker_download_returns_adjusted_closes(replay: YahooReplay, sleeps: Sleeps) -> None:
    batch = YahooSource(sleep=sleeps).fetch_prices(US, START, END)

    assert batch.source == "yahoo"
    assert batch.failed == {}
    assert list(batch.prices.columns) == US
    assert (batch.prices.dtypes == "float64").all()
    assert batch.prices.index.name == "date"
    assert batch.prices.index.tz is None
    assert batch.prices.index.dtype == "datetime64[ns]"
    assert batch.prices.index.is_monotonic_increasing and batch.prices.index.is_unique
    for ticker in US:
        expected = recorded(ticker)["adjclose"].rename(ticker)
        pd.testing.assert_series_equal(batch.prices[ticker], expected, check_freq=False, rtol=1e-12)
    assert sleeps == []


def test_adjusted_close_matches_an_independent_dividend_adjustment(replay: YahooReplay) -> None:
    # AAPL went ex-dividend ($0.24) on 2024-02-09. Yahoo's adjustment scales every
    # earlier close by 1 - 0.24 / (close on the day before the ex-date).
    raw = recorded("AAPL")["close"]
    ex_date = pd.Timestamp("2024-02-09")
    factor = 1 - 0.24 / raw[raw.index < ex_date].iloc[-1]
    expected = raw.where(raw.index >= ex_date, raw * factor)

    prices = YahooSource().fetch_prices(["AAPL"], START, END).prices["AAPL"]

    np.testing.assert_allclose(prices, expected, rtol=1e-6)  # fixture stores float32
    assert prices.loc["2024-02-12"] == raw.loc["2024-02-12"]  # after the ex-date: unadjusted
    assert prices.loc["2024-01-02"] < raw.loc["2024-01-02"]


def test_single_ticker(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(["^GSPC"], START, END)

    assert list(batch.prices.columns) == ["^GSPC"]
    assert len(batch.prices) == 30  # NYSE sessions 2024-01-02 .. 2024-02-13
    # Pinned: last close in chart/^GSPC.json (indicators.adjclose[0].adjclose[-1]).
    assert batch.prices["^GSPC"].iloc[-1] == pytest.approx(4668.16015625, abs=1e-9)


def test_columns_keep_the_requested_spelling_and_order(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(["^gspc", "aapl", "AAPL"], START, END)

    assert list(batch.prices.columns) == ["^gspc", "aapl"]
    assert batch.prices["aapl"].notna().all()


def test_india_tickers_keep_the_exchange_calendar(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(INDIA, START, END)

    assert batch.failed == {}
    index = batch.prices.index
    assert index.tz is None
    assert (index == index.normalize()).all()
    for ticker in INDIA:
        expected = recorded(ticker)["adjclose"].rename(ticker)
        got = batch.prices[ticker].dropna()
        pd.testing.assert_series_equal(got, expected, check_freq=False, rtol=1e-12)
    # NSE/BSE, January 2024: a full session on Saturday the 20th, closed on the 22nd and 26th.
    assert pd.Timestamp("2024-01-20") in index
    assert pd.Timestamp("2024-01-22") not in index
    assert pd.Timestamp("2024-01-26") not in index
    # 500325.BO's recording has an all-null bar on 2024-01-10; yfinance drops it.
    assert np.isnan(batch.prices.loc["2024-01-10", "500325.BO"])
    assert batch.prices.loc["2024-01-10", "RELIANCE.NS"] > 0


def test_us_and_india_together_each_keep_their_own_dates(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(["AAPL", "RELIANCE.NS"], START, END)
    prices = batch.prices

    # 2024-01-01 (US holiday) and 2024-01-15 (MLK day): India traded, New York did not.
    for day in ("2024-01-01", "2024-01-15", "2024-01-20"):
        assert np.isnan(prices.loc[day, "AAPL"]) and prices.loc[day, "RELIANCE.NS"] > 0
    # 2024-01-26 (Republic Day): the reverse.
    assert prices.loc["2024-01-26", "AAPL"] > 0 and np.isnan(
        prices.loc["2024-01-26", "RELIANCE.NS"]
    )
    pd.testing.assert_series_equal(
        prices["RELIANCE.NS"].dropna(),
        recorded("RELIANCE.NS")["adjclose"].rename("RELIANCE.NS"),
        check_freq=False,
        rtol=1e-12,
    )


def test_ignore_tz_false_would_move_indian_sessions(replay: YahooReplay) -> None:
    # Why YahooSource passes ignore_tz=True: with False, yfinance converts every
    # ticker to the most common exchange timezone (multi.py, reindex_dfs), so
    # RELIANCE.NS's 2024-01-01 session (midnight IST) becomes 2023-12-31 in New York.
    kwargs = {
        **YahooSource().download_kwargs(dt.date(2024, 1, 1), dt.date(2024, 1, 5)),
        "ignore_tz": False,
    }
    frame = raw_download(["AAPL", "^GSPC", "RELIANCE.NS"], **kwargs)
    reliance = frame[("Close", "RELIANCE.NS")].dropna()

    assert str(frame.index.tz) == "America/New_York"
    assert reliance.index[0] == pd.Timestamp("2023-12-31 13:30", tz="America/New_York")


def test_failed_ticker_is_recorded_while_the_others_succeed(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(["AAPL", "NOSUCH.NS", "^NSEI"], START, END)

    assert list(batch.prices.columns) == ["AAPL", "^NSEI"]
    assert list(batch.failed) == ["NOSUCH.NS"]
    # yfinance 1.7 cannot learn the timezone of a symbol Yahoo answers 404 for,
    # and reports that (base.py _get_ticker_tz, history.py YFTzMissingError).
    assert batch.failed["NOSUCH.NS"] == (
        "Yahoo returned no usable prices: possibly delisted; no timezone found"
    )
    with pytest.raises(UnknownTickerError, match=r"yahoo: ticker 'NOSUCH\.NS': .*no timezone"):
        batch.require("NOSUCH.NS")


def test_every_ticker_failing_is_not_a_source_error(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(["NOSUCH.NS"], START, END)

    assert batch.prices.empty
    assert "no timezone found" in batch.failed["NOSUCH.NS"]


def test_rate_limit_is_retried_for_the_limited_ticker_only(
    replay: YahooReplay, sleeps: Sleeps
) -> None:
    # Two 429s: yfinance's own second try (data.py _make_request) also gets one,
    # so the first download reports AAPL as rate limited; the retry succeeds.
    replay.rate_limit("AAPL", times=2)

    batch = YahooSource(sleep=sleeps, retry_delay=2.0).fetch_prices(US, START, END)

    assert batch.failed == {}
    assert list(batch.prices.columns) == US
    pd.testing.assert_series_equal(
        batch.prices["AAPL"], recorded("AAPL")["adjclose"].rename("AAPL"), check_freq=False
    )
    assert sleeps == [2.0]
    assert len(replay.chart_calls("AAPL")) == 4  # 429, 429, then timezone + history
    assert len(replay.chart_calls("^GSPC")) == 2  # downloaded once, not again on the retry


def test_rate_limit_exhausted_marks_the_ticker_failed(replay: YahooReplay, sleeps: Sleeps) -> None:
    replay.rate_limit("AAPL")  # every time

    batch = YahooSource(sleep=sleeps, max_retries=2, retry_delay=1.5).fetch_prices(US, START, END)

    assert list(batch.prices.columns) == ["^GSPC"]
    assert batch.failed == {
        "AAPL": "rate limited by Yahoo (HTTP 429) on 3 attempt(s); try again later"
    }
    assert sleeps == [1.5, 3.0]


def test_every_ticker_rate_limited_raises(sleeps: Sleeps) -> None:
    with (
        replaying(YahooReplay(rate_limit_everything=True)) as served,
        pytest.raises(
            RateLimitError,
            match=r"^yahoo: still rate limited \(HTTP 429\) after 1 retries for "
            r"AAPL, \^GSPC; wait",
        ),
    ):
        YahooSource(sleep=sleeps, max_retries=1).fetch_prices(US, START, END)
    assert sleeps == [2.0]
    assert served.calls  # the requests did reach the (fake) server


@pytest.mark.parametrize(
    "info_fallback",
    [
        pytest.param(True, id="fresh-process-DNSError-reason"),
        pytest.param(False, id="later-no-timezone-reason"),
    ],
)
def test_total_network_failure_raises_one_readable_line(
    info_fallback: bool, sleeps: Sleeps
) -> None:
    # yfinance reports a network failure in one of two ways (see yahoo.py Notes);
    # both must end as SourceUnavailableError.
    offline = replaying(YahooReplay(offline=True), info_fallback=info_fallback)
    with offline, pytest.raises(SourceUnavailableError) as caught:
        YahooSource(sleep=sleeps).fetch_prices(["AAPL", "^GSPC", "RELIANCE.NS"], START, END)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("yahoo: could not reach Yahoo Finance for AAPL, ^GSPC, RELIANCE.NS (")
    assert "Could not resolve host: query2.finance.yahoo.com)" in message
    assert message.endswith("check the network connection")
    assert not isinstance(caught.value, RateLimitError)
    assert sleeps == []  # network failures are not retried


@pytest.mark.parametrize(
    "bad",
    ["AAPL US", "", "^", "A/B", "X" * 21, "RELIANCE.NS;", "US0378331005", 123, None],
)
def test_bad_ticker_is_rejected_before_any_request(bad: Any, replay: YahooReplay) -> None:
    with pytest.raises(DataError, match=r"^yahoo: ticker .* (is not a Yahoo symbol|ISIN)"):
        YahooSource().fetch_prices(["AAPL", bad], START, END)
    assert replay.calls == []


def test_a_plain_string_is_not_a_list_of_tickers() -> None:
    with pytest.raises(DataError, match=r"list of symbols, got the string 'AAPL'"):
        YahooSource(download=must_not_download).fetch_prices("AAPL", START, END)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ticker", ["AAPL", "BRK-B", "^GSPC", "^NSEI", "RELIANCE.NS", "500325.BO", "M&M.NS", "EURUSD=X"]
)
def test_real_yahoo_symbols_are_valid(ticker: str) -> None:
    assert TICKER_PATTERN.match(ticker)


def test_end_date_is_inclusive(replay: YahooReplay) -> None:
    batch = YahooSource().fetch_prices(
        ["AAPL"], pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-31")
    )

    assert batch.prices.index[0] == pd.Timestamp("2024-01-03")
    assert batch.prices.index[-1] == pd.Timestamp("2024-01-31")
    # yfinance was asked for [2024-01-03, 2024-02-01) in New York time.
    new_york = ZoneInfo("America/New_York")
    history = [c for c in replay.chart_calls("AAPL") if "period2" in c.params]
    assert history[-1].params["period1"] == dt.datetime(2024, 1, 3, tzinfo=new_york).timestamp()
    assert history[-1].params["period2"] == dt.datetime(2024, 2, 1, tzinfo=new_york).timestamp()


def test_yfinance_end_is_exclusive(replay: YahooReplay) -> None:
    # The counterpart of the test above: what the replay does with end as given.
    kwargs = {
        **YahooSource().download_kwargs(dt.date(2024, 1, 3), None),
        "end": dt.date(2024, 1, 31),
    }
    frame = raw_download(["AAPL"], **kwargs)
    assert frame.index[-1] == pd.Timestamp("2024-01-30")


def test_without_start_all_history_is_requested() -> None:
    seen: dict[str, Any] = {}

    def download(tickers: list[str], **kwargs: Any) -> pd.DataFrame:
        seen.update(kwargs)
        return yf_frame({"AAPL": [1.0]}, ["2024-01-02"])

    YahooSource(download=download).fetch_prices(["AAPL"], None, None)

    assert seen["period"] == "max"  # yfinance's default would be one month
    assert seen["start"] is None and seen["end"] is None
    assert seen["ignore_tz"] is True and seen["auto_adjust"] is True


def test_start_after_end_is_rejected() -> None:
    with pytest.raises(DataError, match=r"start 2024-02-01 is after end 2024-01-01"):
        YahooSource(download=must_not_download).fetch_prices(
            ["AAPL"], pd.Timestamp("2024-02-01"), pd.Timestamp("2024-01-01")
        )


def test_cached_source_replays_a_run_offline(tmp_path: Path) -> None:
    cached = CachedPriceSource(YahooSource(), DataCache(tmp_path))
    tickers = ["AAPL", "RELIANCE.NS", "NOSUCH.NS"]

    with replaying() as online:
        first = cached.fetch_prices(tickers, START, END)
    assert online.chart_calls()

    with replaying(YahooReplay(offline=True)) as offline:
        again = cached.fetch_prices(tickers, START, END)
    assert offline.calls == []

    pd.testing.assert_frame_equal(again.prices, first.prices)
    assert (
        again.failed
        == first.failed
        == {"NOSUCH.NS": "Yahoo returned no usable prices: possibly delisted; no timezone found"}
    )
    assert again.source == "yahoo"


def test_the_cache_is_suggested_only_when_it_holds_the_query(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    tickers = ["AAPL", "^GSPC"]
    # nothing cached yet: the offline error says nothing of a cache
    empty = CachedPriceSource(YahooSource(sleep=sleeps), DataCache(tmp_path), refresh=True)
    with replaying(YahooReplay(offline=True)), pytest.raises(SourceUnavailableError) as first:
        empty.fetch_prices(tickers, START, END)
    assert "cache" not in str(first.value)
    with replaying():
        CachedPriceSource(YahooSource(), DataCache(tmp_path)).fetch_prices(tickers, START, END)
    # cached, but --refresh asked to download again: the error says how to use the copy
    cached = CachedPriceSource(YahooSource(sleep=sleeps), DataCache(tmp_path), refresh=True)
    with replaying(YahooReplay(offline=True)), pytest.raises(SourceUnavailableError) as again:
        cached.fetch_prices(tickers, START, END)
    assert str(again.value).endswith(
        "the cache holds an earlier download of these prices: run without --refresh to use it"
    )


def test_the_replay_blocks_the_real_network() -> None:
    # The guard behind "no network" in every replayed test: a request that
    # bypassed the replay would reach curl or a socket, both disabled.
    with replaying(), pytest.raises(NetworkAccessError):
        curl_cffi.curl.Curl().perform()
    with replaying(), pytest.raises(NetworkAccessError):
        socket.create_connection(("query2.finance.yahoo.com", 443), timeout=1)


@pytest.mark.parametrize("name", sorted(LAYOUT_CASES))
def test_yfinance_layout_matches_recorded_frames(name: str) -> None:
    expected = pd.read_parquet(FRAMES / f"{name}.parquet")
    actual = download_layout_case(LAYOUT_CASES[name])
    # Parquet cannot hold yfinance's seconds-resolution index and reads it back
    # in milliseconds; the resolution is not part of the layout relied on.
    expected.index = expected.index.as_unit("ns")
    actual.index = actual.index.as_unit("ns")
    try:
        pd.testing.assert_frame_equal(
            actual.sort_index(axis=1), expected.sort_index(axis=1), rtol=1e-9
        )
    except AssertionError as exc:
        recorded_with = json.loads((FRAMES / "versions.json").read_text(encoding="utf-8"))
        raise AssertionError(
            f"yfinance {yfinance.__version__} builds a different frame for {name!r} than "
            f"yfinance {recorded_with['yfinance']} did. If the change is intended, update "
            "analysis/data/yahoo.py and re-run tests/fixtures/yahoo/record_frames.py.\n"
            f"{exc}"
        ) from exc


# ------------------------------------------------------------- injected download


def test_a_ticker_reported_failed_is_failed_even_with_prices() -> None:
    # e.g. history.py logs "auto_adjust failed" and returns *unadjusted* closes.
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        log_failures({"AAPL": "auto_adjust failed with KeyError('Adj Close')"})
        return yf_frame({"AAPL": [1.0, 2.0], "^GSPC": [3.0, 4.0]}, ["2024-01-02", "2024-01-03"])

    batch = YahooSource(download=download).fetch_prices(US, START, END)

    assert list(batch.prices.columns) == ["^GSPC"]
    assert batch.failed == {
        "AAPL": "Yahoo returned no usable prices: auto_adjust failed with KeyError('Adj Close')"
    }


def test_a_flat_single_ticker_frame_is_understood() -> None:
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        index = pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="Date")
        return pd.DataFrame({"Close": [1.0, 2.0], "Open": [1.0, 2.0]}, index=index)

    batch = YahooSource(download=download).fetch_prices(["AAPL"], START, END)

    assert batch.prices["AAPL"].tolist() == [1.0, 2.0]


def test_tz_aware_dates_become_exchange_dates() -> None:
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        frame = yf_frame({"RELIANCE.NS": [2586.85, 2572.24]}, ["2024-01-01", "2024-01-02"])
        frame.index = frame.index.tz_localize("Asia/Kolkata")
        return frame

    batch = YahooSource(download=download).fetch_prices(["RELIANCE.NS"], START, END)

    assert list(batch.prices.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]


def test_non_positive_price_fails_that_ticker() -> None:
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        return yf_frame({"AAPL": [1.0, 0.0], "^GSPC": [3.0, 4.0]}, ["2024-01-02", "2024-01-03"])

    batch = YahooSource(download=download).fetch_prices(US, START, END)

    assert list(batch.prices.columns) == ["^GSPC"]
    assert batch.failed["AAPL"].startswith(
        "1 non-positive or infinite price(s), first on 2024-01-03"
    )


def test_backoff_doubles_up_to_the_cap(sleeps: Sleeps) -> None:
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        log_failures({"AAPL": "YFRateLimitError('Too Many Requests. Rate limited.')"})
        return yf_frame({"AAPL": [np.nan], "^GSPC": [1.0]}, ["2024-01-02"])

    source = YahooSource(
        download=download, sleep=sleeps, max_retries=4, retry_delay=10, max_delay=25
    )
    batch = source.fetch_prices(US, START, END)

    assert sleeps == [10, 20, 25, 25]
    assert "on 5 attempt(s)" in batch.failed["AAPL"]


def test_a_raised_rate_limit_error_is_retried(sleeps: Sleeps) -> None:
    calls: list[list[str]] = []

    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        calls.append(tickers)
        if len(calls) == 1:
            raise YFRateLimitError()
        return yf_frame({"AAPL": [1.0]}, ["2024-01-02"])

    batch = YahooSource(download=download, sleep=sleeps).fetch_prices(["AAPL"], START, END)

    assert calls == [["AAPL"], ["AAPL"]]
    assert batch.prices["AAPL"].tolist() == [1.0]
    assert sleeps == [2.0]


def test_a_raised_connection_error_means_the_source_is_unavailable(sleeps: Sleeps) -> None:
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        raise DNSError(
            "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com."
        )

    with pytest.raises(
        SourceUnavailableError,
        match=r"for AAPL \(DNSError: curl: \(6\) Could not resolve host: "
        r"query2\.finance\.yahoo\.com\); check the network",
    ):
        YahooSource(download=download, sleep=sleeps).fetch_prices(["AAPL"], START, END)


def test_another_threads_download_does_not_leak_into_the_report() -> None:
    def download(tickers: list[str], **_kwargs: Any) -> pd.DataFrame:
        other = threading.Thread(target=log_failures, args=({"AAPL": "from another download"},))
        other.start()
        other.join()
        return yf_frame({"AAPL": [1.0]}, ["2024-01-02"])

    batch = YahooSource(download=download).fetch_prices(["AAPL"], START, END)

    assert batch.failed == {}
    assert batch.prices["AAPL"].tolist() == [1.0]
