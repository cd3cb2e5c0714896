"""Adjusted close prices from Yahoo Finance, through :func:`yfinance.download`.

:class:`YahooSource` meets the :class:`~analysis.data.base.PriceSource`
contract: one ``fetch_prices`` call downloads every ticker in one
``yfinance.download`` call, keeps the ``Close`` level of the result (adjusted
for splits and dividends, because ``auto_adjust=True``), and returns a
:class:`~analysis.data.base.PriceBatch` whose ``failed`` mapping gives the
reason for every ticker without usable prices.

Notes
-----
How yfinance 1.7 reports problems shapes this module:

* ``download`` does not raise for a failed ticker. It leaves an all-NaN
  column and keeps the reason in a per-call ``_DownloadCtx`` (``multi.py``)
  that is discarded on return; ``yfinance.shared._ERRORS`` still exists but
  nothing writes to it any more. The one place the reasons come out is the
  summary that ``download`` logs on the ``yfinance`` logger, from the
  calling thread, as ``"['AAPL', 'MSFT']: <reason>"``. :class:`YahooSource`
  listens to that logger for the duration of the call.
* A rate limit (HTTP 429, ``YFRateLimitError``) is not raised either: it is
  recorded per ticker as ``"YFRateLimitError('Too Many Requests. ...')"``.
  Only those tickers are downloaded again, after an exponential back-off.
* A network failure is recorded per ticker too. For the first two tickers
  of a process the reason is the transport error itself (for example
  ``DNSError(...)``); after that yfinance stops trying ``Ticker.info`` and
  reports ``"possibly delisted; no timezone found"``, and the transport
  error only appears in an earlier log line, ``"Failed to get ticker 'X'
  reason: ..."``. Both forms are read.
* For daily data the index is made tz-naive in each exchange's own
  calendar (``ignore_tz=True``, passed explicitly). With ``ignore_tz=False``
  yfinance would convert every ticker to the most common exchange timezone,
  which moves Indian sessions onto the previous day in New York time.
* ``end`` is exclusive in yfinance and inclusive here, so one day is added.

Share counts (:meth:`YahooSource.fetch_shares`) come from
``yfinance.Ticker(t).get_shares_full``, one request per ticker to Yahoo's
``ws/fundamentals-timeseries/v1/finance/timeseries/<T>?symbol=<T>&period1=..&period2=..``
endpoint (after the usual ``range=1d`` chart request that tells yfinance the
ticker's timezone). It answers ``{"timeseries": {"result": [{"meta": ...,
"timestamp": [...], "shares_out": [...]}], "error": null}}``, and yfinance
returns a Series indexed by those timestamps (midnight UTC, localized as
wall time in the exchange's timezone), irregular and sometimes with two
different values on one day (yfinance issue #1954). Failures reach this
module in several ways, all read per ticker: ``None`` after an error logged
on the ``yfinance`` logger (transport errors, a ``Bad Request`` body),
``None`` without a log (no ``shares_out`` key), an exception (HTTP 429 as
``YFRateLimitError``; an empty ``result`` list as ``IndexError`` in
yfinance 1.7).
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yfinance
from yfinance.exceptions import YFRateLimitError

from analysis.data.base import PriceBatch, fmt_date, validate_prices, window_bounds
from analysis.errors import DataError, RateLimitError, SourceUnavailableError

DownloadFunction = Callable[..., "pd.DataFrame | None"]
"""Anything called like :func:`yfinance.download` (injectable for tests)."""

SharesFunction = Callable[[str, dt.date, "dt.date | None"], "pd.Series | None"]
"""Called as ``f(ticker, start, end)`` like ``yfinance.Ticker(ticker).get_shares_full``
(``end`` exclusive, ``None`` for today); injectable for tests."""

EARLIEST_SHARES = dt.date(1970, 1, 2)
"""``period1`` sent when no ``start`` is given: before any share count Yahoo has, and a
positive epoch second in every timezone (yfinance's own default is 18 months back)."""

TICKER_PATTERN = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9^.=&-]{1,20}$")
"""Yahoo symbols: ``AAPL``, ``BRK-B``, ``^GSPC``, ``RELIANCE.NS``, ``500325.BO``, ``M&M.NS``."""

# yfinance looks a ticker of this shape up as an ISIN on a web service first
# (utils.is_isin); refuse it so a typo cannot trigger a hidden lookup.
_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")

_SUMMARY = re.compile(r"^\[(?P<tickers>[^\]]*)\]: (?P<reason>.*)$", re.DOTALL)
_TZ_LOOKUP_FAILED = re.compile(r"^Failed to get ticker '(?P<ticker>[^']+)' reason: (?P<reason>.*)$")
_TRANSPORT_MARKERS = (
    "DNSError",
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "Timeout",
    "ProxyError",
    "SSLError",
    "Failed to perform, curl",
    "Could not resolve host",
    "Failed to connect",
    "Connection refused",
    "Network is unreachable",
)


@dataclass
class _DownloadReport:
    """What one ``yfinance.download`` call said about its tickers (keys upper-case)."""

    errors: dict[str, str] = field(default_factory=dict)
    tz_lookup: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


class _YFinanceLogListener(logging.Handler):
    """Collect yfinance's per-ticker failure messages while a download runs."""

    def __init__(self, caller: int) -> None:
        super().__init__(level=logging.ERROR)
        self.caller = caller
        self.report = _DownloadReport()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage().strip()
        except Exception:  # a malformed record must not break the download
            return
        found = _TZ_LOOKUP_FAILED.match(message)
        if found:
            self.report.tz_lookup[found["ticker"].upper()] = found["reason"].strip()
            return
        # The summary is logged by download() itself, so in the calling thread;
        # this keeps a concurrent download in another thread out of our report.
        if record.thread != self.caller:
            return
        self.report.messages.append(message)
        found = _SUMMARY.match(message)
        if not found:
            return
        try:
            tickers = ast.literal_eval(f"[{found['tickers']}]")
        except (ValueError, SyntaxError):
            return
        for ticker in tickers:
            self.report.errors[str(ticker).upper()] = found["reason"].strip()


@contextmanager
def _listen_to_yfinance() -> Iterator[_DownloadReport]:
    logger = logging.getLogger("yfinance")
    listener = _YFinanceLogListener(threading.get_ident())
    old_level = logger.level
    lowered = not logger.isEnabledFor(logging.ERROR)
    if lowered:
        logger.setLevel(logging.ERROR)
    logger.addHandler(listener)
    try:
        yield listener.report
    finally:
        logger.removeHandler(listener)
        if lowered:
            logger.setLevel(old_level)


def _is_rate_limit(reason: str) -> bool:
    return "YFRateLimitError" in reason or "Too Many Requests" in reason


def _is_transport(reason: str) -> bool:
    return any(marker in reason for marker in _TRANSPORT_MARKERS)


def _one_line(text: str) -> str:
    """Shorten an error message to its useful part, on one line.

    ``"DNSError('Failed to perform, curl: (6) Could not resolve host: h. See
    https://curl.se/... for more details.')"`` becomes ``"DNSError: curl: (6)
    Could not resolve host: h"``.
    """
    text = " ".join(text.split())
    wrapped = re.match(r"^(?P<name>\w+)\((?P<q>['\"])(?P<message>.*)(?P=q)\)$", text)
    if wrapped:
        text = f"{wrapped['name']}: {wrapped['message']}"
    text = re.sub(r"\s*See https://curl\.se/\S+ first for more details\.?", "", text)
    text = text.replace("Failed to perform, curl: ", "curl: ")
    return text.rstrip(" .")


@dataclass(frozen=True)
class SharesBatch:
    """Share counts for the tickers a source could deliver, and why the others failed.

    Attributes
    ----------
    shares
        Wide float64 frame (``date`` x ticker) of shares outstanding on the
        dates the source reports them, NaN elsewhere; never forward-filled.
    failed
        ``{ticker: reason}`` for every requested ticker that is not in ``shares``.
    source
        Name of the source that produced the batch.
    """

    shares: pd.DataFrame
    failed: Mapping[str, str] = field(default_factory=dict)
    source: str = ""


def _yfinance_shares(ticker: str, start: dt.date, end: dt.date | None) -> pd.Series | None:
    return yfinance.Ticker(ticker).get_shares_full(start=start, end=end)


class YahooSource:
    """Adjusted daily close prices from Yahoo Finance via :func:`yfinance.download`.

    Parameters
    ----------
    download
        Function called like :func:`yfinance.download`; the default is
        ``yfinance.download`` itself. Tests inject a fake here.
    max_retries
        How many times tickers that were rate limited (HTTP 429) are
        downloaded again before giving up on them.
    retry_delay
        Seconds to wait before the first retry; each further retry waits
        twice as long, up to ``max_delay``.
    max_delay
        Upper bound, in seconds, of one wait between retries.
    sleep
        Called with the number of seconds to wait (``time.sleep`` by
        default; tests pass a recorder so they never sleep).
    timeout
        Seconds yfinance waits for each HTTP response.
    threads
        Passed to ``yfinance.download``: ``True`` for one thread per ticker
        (bounded by yfinance), an integer for that many, ``False`` for none.
    shares_history
        Function called like ``yfinance.Ticker(t).get_shares_full`` (see
        :data:`SharesFunction`), used by :meth:`fetch_shares`; tests inject
        a fake here.

    Notes
    -----
    Prices are Yahoo's adjusted closes (``auto_adjust=True``), in the
    currency the ticker trades in, indexed by the exchange's own trading
    dates. A ticker missing from ``prices`` is in ``failed`` with a reason.

    The whole call raises only when nothing could be delivered because of
    the source itself: :class:`~analysis.errors.RateLimitError` when every
    ticker was still rate limited after the retries,
    :class:`~analysis.errors.SourceUnavailableError` when Yahoo could not
    be reached for any ticker. A malformed ticker raises
    :class:`~analysis.errors.DataError` before any request is made.

    yfinance's failure messages are read from the ``yfinance`` logger; if
    logging is switched off globally (:func:`logging.disable`), failures
    are still reported but with a generic reason, and rate-limited tickers
    are not retried.
    """

    name = "yahoo"

    def __init__(
        self,
        download: DownloadFunction | None = None,
        *,
        max_retries: int = 3,
        retry_delay: float = 2.0,
        max_delay: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10.0,
        threads: bool | int = True,
        shares_history: SharesFunction | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
        if retry_delay < 0 or max_delay < 0:
            raise ValueError(
                f"retry_delay and max_delay must be >= 0, got {retry_delay!r} and {max_delay!r}"
            )
        self._download = download if download is not None else yfinance.download
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self.timeout = timeout
        self.threads = threads
        self._shares_history = shares_history if shares_history is not None else _yfinance_shares

    def fetch_prices(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> PriceBatch:
        """Adjusted close prices for ``tickers`` from ``start`` to ``end``, both inclusive.

        Parameters
        ----------
        tickers
            Yahoo symbols, e.g. ``["AAPL", "^GSPC", "RELIANCE.NS", "^NSEI"]``.
            Duplicates are dropped; columns keep the order and spelling given.
        start, end
            First and last date wanted; ``None`` means the earliest data
            available and today.

        Returns
        -------
        PriceBatch
            One float64 column per delivered ticker; ``failed`` says why the
            others are missing.

        Raises
        ------
        DataError
            A ticker is not a valid Yahoo symbol, or ``start`` is after ``end``.
        RateLimitError
            Every ticker was still rate limited after ``max_retries`` retries.
        SourceUnavailableError
            Yahoo could not be reached for any ticker.
        """
        wanted = self._check_tickers(tickers)
        first_ts, last_ts = window_bounds(start, end, source="yahoo")
        first = None if first_ts is None else first_ts.date()
        last = None if last_ts is None else last_ts.date()

        delivered: list[pd.DataFrame] = []
        failed: dict[str, str] = {}
        unreachable: dict[str, str] = {}
        pending = wanted
        attempt = 0
        while True:
            close, report = self._download_once(pending, first, last)
            limited: dict[str, str] = {}
            ok: list[str] = []
            for ticker in pending:
                key = ticker.upper()
                reason = report.errors.get(key)
                if reason is None:
                    ok.append(ticker)
                elif _is_rate_limit(reason):
                    limited[ticker] = reason
                elif _is_transport(reason):
                    unreachable[ticker] = _one_line(reason)
                elif _is_transport(report.tz_lookup.get(key, "")):
                    unreachable[ticker] = _one_line(report.tz_lookup[key])
                else:
                    failed[ticker] = f"Yahoo returned no usable prices: {_one_line(reason)}"
            if ok:
                delivered.append(self._columns(close, ok))
            if not limited or attempt >= self.max_retries:
                break
            self._sleep(min(self.retry_delay * 2**attempt, self.max_delay))
            attempt += 1
            pending = list(limited)

        attempts = attempt + 1
        for ticker in limited:
            failed[ticker] = (
                f"rate limited by Yahoo (HTTP 429) on {attempts} attempt(s); try again later"
            )
        for ticker, reason in unreachable.items():
            failed[ticker] = f"could not reach Yahoo Finance ({reason})"

        self._raise_if_source_failed(wanted, limited, unreachable, delivered)

        prices = pd.concat(delivered, axis=1, sort=True) if delivered else pd.DataFrame()
        batch = validate_prices(prices, source=self.name)
        failed.update(batch.failed)
        order = [t for t in wanted if t in batch.prices.columns]
        out = batch.prices[order]
        # yfinance builds the index in seconds; nanoseconds keep frame_hash and
        # joins with other sources independent of that pandas/yfinance detail.
        out.index = pd.DatetimeIndex(out.index).as_unit("ns")
        return PriceBatch(
            prices=out,
            failed={t: failed[t] for t in wanted if t in failed},
            source=self.name,
        )

    def fetch_shares(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> SharesBatch:
        """Shares outstanding for ``tickers`` reported from ``start`` to ``end``, both inclusive.

        Parameters
        ----------
        tickers
            Yahoo symbols. Duplicates are dropped; columns keep the order and
            spelling given.
        start, end
            First and last report date wanted; ``None`` means all the history
            Yahoo has (from :data:`EARLIEST_SHARES`) and today.

        Returns
        -------
        SharesBatch
            One float64 column per ticker with at least one share count, on
            the union of the report dates; ``failed`` says why the others are
            missing (no share history, e.g. an index; rate limited; Yahoo
            unreachable; an unexpected answer).

        Raises
        ------
        DataError
            A ticker is not a valid Yahoo symbol, or ``start`` is after ``end``.
        RateLimitError
            Every ticker was still rate limited after ``max_retries`` retries.
        SourceUnavailableError
            Yahoo could not be reached for any ticker.

        Notes
        -----
        One request per ticker, one ticker after the other. A report's date
        is the calendar date of Yahoo's timestamp (which yfinance puts at
        midnight in the exchange's timezone); when Yahoo reports several
        counts on one day, the last one it lists is kept. Missing and
        non-positive counts are dropped. Nothing is forward-filled: that is
        an as-of decision left to the caller
        (:func:`analysis.factors.cross_section.size_factor`).

        Rate-limited tickers (HTTP 429) are requested again after the same
        exponential back-off as :meth:`fetch_prices`; every other failure is
        recorded for its ticker and the batch carries on.
        """
        wanted = self._check_tickers(tickers)
        first_ts, last_ts = window_bounds(start, end, source="yahoo")
        first = EARLIEST_SHARES if first_ts is None else first_ts.date()
        # get_shares_full stops at midnight of ``end`` in the exchange's timezone
        last = None if last_ts is None else last_ts.date() + dt.timedelta(days=1)

        delivered: dict[str, pd.Series] = {}
        failed: dict[str, str] = {}
        unreachable: dict[str, str] = {}
        pending = wanted
        attempt = 0
        while True:
            limited: dict[str, str] = {}
            for ticker in pending:
                status, value = self._shares_once(ticker, first, last)
                if status == "ok":
                    assert isinstance(value, pd.Series)
                    counts = self._clean_shares(value, first_ts, last_ts)
                    if counts.empty:
                        failed[ticker] = (
                            "Yahoo reported no share counts between "
                            f"{fmt_date(first_ts, 'the start')} and {fmt_date(last_ts, 'today')}"
                        )
                    else:
                        delivered[ticker] = counts
                elif status == "limited":
                    limited[ticker] = str(value)
                elif status == "unreachable":
                    unreachable[ticker] = str(value)
                else:
                    failed[ticker] = str(value)
            if not limited or attempt >= self.max_retries:
                break
            self._sleep(min(self.retry_delay * 2**attempt, self.max_delay))
            attempt += 1
            pending = list(limited)

        attempts = attempt + 1
        for ticker in limited:
            failed[ticker] = (
                f"rate limited by Yahoo (HTTP 429) on {attempts} attempt(s); try again later"
            )
        for ticker, reason in unreachable.items():
            failed[ticker] = f"could not reach Yahoo Finance ({reason})"

        self._raise_if_source_failed(
            wanted, limited, unreachable, [s.to_frame(t) for t, s in delivered.items()]
        )

        order = [t for t in wanted if t in delivered]
        if order:
            shares = pd.concat([delivered[t].rename(t) for t in order], axis=1, sort=True)
        else:
            shares = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
        shares.index = pd.DatetimeIndex(shares.index).as_unit("ns").rename("date")
        return SharesBatch(
            shares=shares.astype("float64"),
            failed={t: failed[t] for t in wanted if t in failed},
            source=self.name,
        )

    def _shares_once(
        self, ticker: str, start: dt.date, end: dt.date | None
    ) -> tuple[str, pd.Series | str]:
        """One share-history request: ``(status, series or reason)``.

        ``status`` is ``"ok"``, ``"limited"``, ``"unreachable"`` or ``"failed"``.
        """
        with _listen_to_yfinance() as report, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The inplace keyword", module="yfinance")
            try:
                series = self._shares_history(ticker, start, end)
            except YFRateLimitError as exc:
                return "limited", repr(exc)
            except OSError as exc:  # curl_cffi and requests errors derive from OSError
                return "unreachable", _one_line(repr(exc))
            except (IndexError, KeyError, TypeError) as exc:
                # yfinance 1.7 indexes result[0] unguarded: an empty or partial answer lands here
                return "failed", (
                    "Yahoo has no share count history for this ticker (its answer held none; "
                    f"{type(exc).__name__}: {_one_line(str(exc)) or 'no detail'})"
                )
            except Exception as exc:  # one odd answer must not sink the other tickers
                return "failed", (
                    "Yahoo's share count answer could not be read "
                    f"({type(exc).__name__}: {_one_line(str(exc)) or 'no detail'})"
                )
        if isinstance(series, pd.Series):
            return "ok", series
        said = [*report.tz_lookup.values(), *report.messages]
        if any(_is_rate_limit(m) for m in said):
            return "limited", next(m for m in said if _is_rate_limit(m))
        transport = [m for m in said if _is_transport(m)]
        if transport:
            return "unreachable", _one_line(transport[0])
        if series is None:
            detail = f": {_one_line(report.messages[-1])}" if report.messages else ""
            return "failed", f"Yahoo has no share count history for this ticker{detail}"
        return "failed", f"expected a Series of share counts, got {type(series).__name__}"

    @staticmethod
    def _clean_shares(
        series: pd.Series, first: pd.Timestamp | None, last: pd.Timestamp | None
    ) -> pd.Series:
        """Share counts by calendar date, last report of a day kept, within ``[first, last]``."""
        index = pd.DatetimeIndex(series.index)
        if index.tz is not None:
            # yfinance localizes Yahoo's UTC midnights as exchange wall time; keep that date
            index = index.tz_localize(None)
        raw = pd.Series(series.to_numpy(), index=index.normalize())
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        values = values[values.notna() & (values > 0)]
        # yfinance sorts by timestamp; a stable sort keeps Yahoo's order within a day
        values = values.sort_index(kind="stable")
        values = values[~values.index.duplicated(keep="last")]
        if first is not None:
            values = values[values.index >= first]
        if last is not None:
            values = values[values.index <= last]
        return values

    def download_kwargs(self, start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
        """Keyword arguments passed to ``yfinance.download`` for this date range.

        ``end`` is inclusive here and exclusive in yfinance, so one day is
        added. Without ``start``, ``period="max"`` asks for all history
        (yfinance's own default would be one month).
        """
        kwargs: dict[str, Any] = {
            "auto_adjust": True,
            "actions": False,
            "progress": False,
            "multi_level_index": True,
            "group_by": "column",
            "ignore_tz": True,
            "interval": "1d",
            "threads": self.threads,
            "timeout": self.timeout,
            "start": start,
            "end": None if end is None else end + dt.timedelta(days=1),
        }
        if start is None:
            kwargs["period"] = "max"
        return kwargs

    def _check_tickers(self, tickers: Sequence[str]) -> list[str]:
        if isinstance(tickers, str):
            raise DataError(f"yahoo: tickers must be a list of symbols, got the string {tickers!r}")
        out: list[str] = []
        seen: set[str] = set()
        for ticker in tickers:
            if not isinstance(ticker, str) or not TICKER_PATTERN.match(ticker):
                raise DataError(
                    f"yahoo: ticker {ticker!r} is not a Yahoo symbol; use 1-20 letters, digits "
                    "and ^ . - = & (e.g. 'AAPL', '^GSPC', 'RELIANCE.NS', '500325.BO')"
                )
            if _ISIN.match(ticker):
                raise DataError(
                    f"yahoo: ticker {ticker!r} looks like an ISIN; pass its Yahoo symbol instead"
                )
            if ticker.upper() not in seen:
                seen.add(ticker.upper())
                out.append(ticker)
        if not out:
            raise DataError("yahoo: no tickers requested")
        return out

    def _download_once(
        self, tickers: list[str], start: dt.date | None, end: dt.date | None
    ) -> tuple[pd.DataFrame, _DownloadReport]:
        with _listen_to_yfinance() as report, warnings.catch_warnings():
            # yfinance 1.7 calls pandas methods with inplace=True, which pandas 3
            # deprecates; the warning is about yfinance's code, not the caller's.
            warnings.filterwarnings("ignore", message="The inplace keyword", module="yfinance")
            try:
                raw = self._download(list(tickers), **self.download_kwargs(start, end))
            except YFRateLimitError as exc:
                report.errors.update({t.upper(): repr(exc) for t in tickers})
                raw = None
            except OSError as exc:  # curl_cffi and requests errors derive from OSError
                report.errors.update({t.upper(): repr(exc) for t in tickers})
                raw = None
        return self._close_level(raw, tickers), report

    @staticmethod
    def _close_level(raw: pd.DataFrame | None, tickers: list[str]) -> pd.DataFrame:
        """The ``Close`` prices of a ``download`` result, one column per upper-case ticker."""
        if raw is None or raw.shape[1] == 0:
            return pd.DataFrame()
        columns = raw.columns
        if isinstance(columns, pd.MultiIndex):
            for level in range(columns.nlevels):
                if "Close" in columns.get_level_values(level):
                    close = raw.xs("Close", axis=1, level=level)
                    break
            else:
                raise DataError(
                    "yahoo: yfinance returned no 'Close' prices; columns were "
                    f"{sorted(map(str, columns.get_level_values(0).unique()))}"
                )
        elif "Close" in columns and len(tickers) == 1:
            close = raw[["Close"]].set_axis([tickers[0]], axis=1)
        else:
            raise DataError(
                f"yahoo: cannot find per-ticker 'Close' prices in columns {list(map(str, columns))}"
            )
        if isinstance(close, pd.Series):
            close = close.to_frame(tickers[0])
        close = close.copy()
        close.columns = [str(c).upper() for c in close.columns]
        return close.loc[:, ~close.columns.duplicated()]

    @staticmethod
    def _columns(close: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
        """Columns of ``close`` for ``tickers``, renamed to their requested spelling."""
        data = {
            t: close[t.upper()]
            if t.upper() in close.columns
            else pd.Series(float("nan"), index=close.index)
            for t in tickers
        }
        return pd.DataFrame(data, index=close.index)

    def _raise_if_source_failed(
        self,
        wanted: list[str],
        limited: Mapping[str, str],
        unreachable: Mapping[str, str],
        delivered: list[pd.DataFrame],
    ) -> None:
        if delivered or not wanted:
            return
        if set(limited) == set(wanted):
            raise RateLimitError(
                f"yahoo: still rate limited (HTTP 429) after {self.max_retries} retries for "
                f"{', '.join(wanted)}; wait a few minutes and run again"
            )
        if set(limited) | set(unreachable) == set(wanted):
            detail = next(iter(unreachable.values()), "")
            raise SourceUnavailableError(
                f"yahoo: could not reach Yahoo Finance for {', '.join(wanted)} ({detail}); "
                "check the network connection"
            )
