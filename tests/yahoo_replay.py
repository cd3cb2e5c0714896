"""Run the real :func:`yfinance.download` against recorded Yahoo responses.

The seam is the HTTP transport, nothing above it: while :func:`replaying`
is active, ``curl_cffi.requests.Session.request`` (the one method through
which yfinance 1.7's ``YfData`` sends every GET and POST: cookie, crumb,
consent and chart calls) is replaced by :meth:`YahooReplay.respond`, which
builds a genuine ``curl_cffi`` ``Response`` from the files under
``tests/fixtures/yahoo/``. Everything else (``YfData._make_request`` with its
429 handling and cookie-strategy retry, ``Ticker._fetch_ticker_tz``,
``PriceHistory.history`` parsing and adjustment, ``download``'s error
bookkeeping and frame assembly) is yfinance's own code.

While replaying, the harness also:

* fails any attempt to reach the network (``Curl.perform``,
  ``socket.getaddrinfo`` and ``socket.socket`` for any family but ``AF_UNIX``
  raise :class:`NetworkAccessError`). Unix sockets stay allowed because they
  cannot leave the machine and asyncio's event loop needs a pair of them
  (``socket.socketpair``), so a replayed report run can start the kernels
  that execute its notebooks;
* gives yfinance a fresh ``YfData`` singleton and clears its per-process
  ``cache_get`` memo, so no crumb or cached response leaks between tests;
* swaps yfinance's on-disk timezone and cookie caches for its own no-op
  dummies, so nothing is read from or written to ``~/.cache/py-yfinance``;
* sets yfinance's process-wide ``_tz_info_fetch_ctr`` (``yfinance/base.py``)
  to its cap of 2 unless ``info_fallback=True``. Below the cap, a failed
  timezone lookup falls back to ``Ticker.info`` (quoteSummary, v7 quote and
  timeseries endpoints) which no fixture records. In a long-running process
  the counter reaches the cap after two such fallbacks anyway.

Share-count requests (``Ticker.get_shares_full``: ``GET
/ws/fundamentals-timeseries/v1/finance/timeseries/<T>?symbol=<T>&period1=..&period2=..``)
are answered from ``<root>/timeseries/<T>.json``, whose ``timestamp`` and
``shares_out`` lists are sliced to ``period1 <= t < period2``; a symbol
without a file gets Yahoo's 404 ``finance.error`` body and counts as a miss.

Chart bodies hold a whole window; :meth:`YahooReplay.respond` slices them to
the requested ``period1 <= t < period2`` like Yahoo does (or to the last bar
for ``range=1d``, the request yfinance uses to learn a ticker's timezone).
A body whose ``chart.error`` is set is served with HTTP 404, as Yahoo does.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, unquote, urlsplit

import curl_cffi.curl
import curl_cffi.requests
import pandas as pd
import yfinance
import yfinance.base
import yfinance.cache
from curl_cffi.requests.exceptions import DNSError
from curl_cffi.requests.models import Response
from yfinance.data import SingletonMeta, YfData

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "yahoo"
FRAMES = FIXTURES / "frames"
CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/"
TIMESERIES_PATH = "/ws/fundamentals-timeseries/v1/finance/timeseries/"
CRUMB = "replayCrumb0"

# Exactly what curl_cffi raised for a DNS failure when yfinance 1.7 ran in a
# sandbox without network (the message is libcurl's, error code 6).
_DNS_MESSAGE = (
    "Failed to perform, curl: (6) Could not resolve host: {host}. "
    "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
)


class NetworkAccessError(AssertionError):
    """Something tried to reach the real network during a replayed test."""


@dataclass(frozen=True)
class Call:
    """One HTTP request yfinance made."""

    method: str
    url: str
    params: Mapping[str, Any]

    @property
    def ticker(self) -> str | None:
        """The symbol of a chart request, else ``None``."""
        if not self.url.startswith(CHART_URL):
            return None
        return unquote(self.url[len(CHART_URL) :])

    @property
    def shares_ticker(self) -> str | None:
        """The symbol of a share-count (fundamentals timeseries) request, else ``None``."""
        path = urlsplit(self.url).path
        if not path.startswith(TIMESERIES_PATH):
            return None
        return unquote(path[len(TIMESERIES_PATH) :])


@dataclass
class YahooReplay:
    """A fake Yahoo Finance that answers from recorded files.

    Attributes
    ----------
    offline
        Every request fails with curl's DNS error, like a machine without network.
    rate_limit_everything
        Every request (crumb and chart alike) gets HTTP 429.
    calls
        Every request received, in order.
    misses
        Requests for which no recording exists (a test should end with none).
    """

    root: Path = FIXTURES
    offline: bool = False
    rate_limit_everything: bool = False
    calls: list[Call] = field(default_factory=list)
    misses: list[Call] = field(default_factory=list)
    _limited: dict[str, int | None] = field(default_factory=dict)
    _limited_shares: dict[str, int | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rate_limit(self, ticker: str, times: int | None = None) -> None:
        """Answer the next ``times`` chart requests for ``ticker`` with 429 (``None``: always)."""
        self._limited[ticker.upper()] = times

    def rate_limit_shares(self, ticker: str, times: int | None = None) -> None:
        """Answer the next ``times`` share-count requests for ``ticker`` with 429.

        ``None`` means every request.
        """
        self._limited_shares[ticker.upper()] = times

    def shares_calls(self, ticker: str | None = None) -> list[Call]:
        """The share-count requests received, optionally for one ticker."""
        return [
            c
            for c in self.calls
            if c.shares_ticker is not None and (ticker is None or c.shares_ticker == ticker)
        ]

    def chart_calls(self, ticker: str | None = None) -> list[Call]:
        """The chart requests received, optionally for one ticker."""
        return [
            c for c in self.calls if c.ticker is not None and (ticker is None or c.ticker == ticker)
        ]

    def respond(self, method: str, url: str, params: Mapping[str, Any] | None = None) -> Response:
        """Answer one request the way Yahoo would have, from the recordings."""
        call = Call(method.upper(), url, dict(params or {}))
        with self._lock:
            self.calls.append(call)
            if self.offline:
                host = urlsplit(url).hostname or url
                raise DNSError(_DNS_MESSAGE.format(host=host), code=6)  # type: ignore[arg-type]
            if self.rate_limit_everything:
                return self._too_many_requests(url)
            host, path = urlsplit(url).hostname, urlsplit(url).path
            if host == "fc.yahoo.com":
                # Yahoo answers 404 and sets the A3 cookie; yfinance only needs the call to succeed.
                return _response(url, 404, b"", "text/html")
            if path == "/v1/test/getcrumb":
                return _response(url, 200, CRUMB.encode(), "text/plain")
            if host == "guce.yahoo.com" and path == "/consent":
                # No consent form: yfinance's 'csrf' cookie strategy gives up and
                # falls back to the 'basic' one, as it does outside the EU.
                return _response(url, 200, b"<html><body></body></html>", "text/html")
            if call.ticker is not None:
                return self._chart(call)
            if call.shares_ticker is not None:
                return self._shares(call)
            self.misses.append(call)
            return _response(url, 404, b'{"error":"no recording"}', "application/json")

    def _too_many_requests(self, url: str) -> Response:
        body = (self.root / "rate_limit_429.txt").read_bytes()
        return _response(url, 429, body, "text/plain;charset=utf-8")

    def _chart(self, call: Call) -> Response:
        ticker = call.ticker or ""
        if ticker in self._limited:
            left = self._limited[ticker]
            if left is None or left > 0:
                if left is not None:
                    self._limited[ticker] = left - 1
                return self._too_many_requests(call.url)
        path = self.root / "chart" / f"{ticker}.json"
        if not path.exists():
            self.misses.append(call)
            body = json.dumps(
                {
                    "chart": {
                        "result": None,
                        "error": {"code": "Not Found", "description": "no recording"},
                    }
                }
            )
            return _response(call.url, 404, body.encode(), "application/json")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["chart"]["error"] is not None:
            return _response(call.url, 404, path.read_bytes(), "application/json;charset=utf-8")
        body = json.dumps(_slice(doc, call.params), separators=(",", ":")).encode()
        return _response(call.url, 200, body, "application/json;charset=utf-8")

    def _shares(self, call: Call) -> Response:
        ticker = call.shares_ticker or ""
        if _take_one(self._limited_shares, ticker.upper()):
            return self._too_many_requests(call.url)
        path = self.root / "timeseries" / f"{ticker}.json"
        if not path.exists():
            self.misses.append(call)
            body = json.dumps(
                {
                    "finance": {
                        "result": None,
                        "error": {"code": "Not Found", "description": "no recording"},
                    }
                }
            )
            return _response(call.url, 404, body.encode(), "application/json")
        doc = json.loads(path.read_text(encoding="utf-8"))
        query = dict(parse_qsl(urlsplit(call.url).query))
        body = json.dumps(_slice_shares(doc, {**query, **call.params}), separators=(",", ":"))
        return _response(call.url, 200, body.encode(), "application/json;charset=utf-8")


def _take_one(limited: dict[str, int | None], key: str) -> bool:
    """Whether this request is rate limited, using up one of ``key``'s 429s."""
    if key not in limited:
        return False
    left = limited[key]
    if left is not None and left <= 0:
        return False
    if left is not None:
        limited[key] = left - 1
    return True


def _slice_shares(doc: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the share counts with ``period1 <= timestamp < period2``."""
    doc = copy.deepcopy(doc)
    for result in doc["timeseries"].get("result") or []:
        stamps = result.get("timestamp")
        if not stamps:
            continue
        lo = int(params.get("period1") or stamps[0])
        hi = int(params.get("period2") or stamps[-1] + 1)
        keep = [i for i, t in enumerate(stamps) if lo <= t < hi]
        result["timestamp"] = [stamps[i] for i in keep]
        result["shares_out"] = [result["shares_out"][i] for i in keep]
    return doc


def _slice(doc: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the bars (and events) Yahoo would return for these query parameters."""
    doc = copy.deepcopy(doc)
    result = doc["chart"]["result"][0]
    stamps: list[int] = result["timestamp"]
    if "range" in params:
        keep = [len(stamps) - 1]
        result["meta"]["range"] = params["range"]
        lo, hi = stamps[-1], stamps[-1] + 1
    else:
        lo = int(params.get("period1") or stamps[0])
        hi = int(params.get("period2") or stamps[-1] + 1)
        keep = [i for i, t in enumerate(stamps) if lo <= t < hi]
    result["timestamp"] = [stamps[i] for i in keep]
    for block in result["indicators"]["quote"] + result["indicators"].get("adjclose", []):
        for key, values in block.items():
            block[key] = [values[i] for i in keep]
    for kind, events in list(result.get("events", {}).items()):
        result["events"][kind] = {k: v for k, v in events.items() if lo <= v["date"] < hi}
    return doc


def _response(url: str, status: int, body: bytes, content_type: str) -> Response:
    response = Response()
    response.url = url
    response.status_code = status
    response.ok = status < 400
    response.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "")
    response.content = body
    response.headers["content-type"] = content_type
    return response


def _forbidden(*_args: Any, **_kwargs: Any) -> Any:
    raise NetworkAccessError("a test tried to reach the network; replay it instead")


_REAL_SOCKET = socket.socket


class _UnixSocketOnly(_REAL_SOCKET):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the family is known only now when a file descriptor was handed over (socketpair)
        if self.family != socket.AF_UNIX:
            self.close()
            _forbidden()


@contextmanager
def replaying(
    replay: YahooReplay | None = None, *, info_fallback: bool = False
) -> Iterator[YahooReplay]:
    """Serve ``replay`` to yfinance for the duration of the block (see module docs)."""
    replay = replay or YahooReplay()

    def request(_session: Any, method: str, url: str, params: Any = None, **_kw: Any) -> Response:
        return replay.respond(method, url, params)

    with ExitStack() as stack:
        patch = stack.enter_context
        patch(mock.patch.object(curl_cffi.requests.Session, "request", request))
        patch(mock.patch.object(curl_cffi.curl.Curl, "perform", _forbidden))
        patch(mock.patch.object(socket, "socket", _UnixSocketOnly))
        patch(mock.patch.object(socket, "getaddrinfo", _forbidden))
        patch(mock.patch.object(yfinance.cache, "get_tz_cache", yfinance.cache._TzCacheDummy))
        patch(
            mock.patch.object(yfinance.cache, "get_cookie_cache", yfinance.cache._CookieCacheDummy)
        )
        patch(mock.patch.object(yfinance.base, "_tz_info_fetch_ctr", 0 if info_fallback else 2))
        patch(mock.patch.dict(SingletonMeta._instances))
        SingletonMeta._instances.pop(YfData, None)
        YfData.cache_get.cache_clear()
        stack.callback(YfData.cache_get.cache_clear)
        yield replay


@dataclass(frozen=True)
class LayoutCase:
    """One ``yfinance.download`` call whose raw result is kept under ``frames/``.

    ``start`` and ``end`` are inclusive, as in ``PriceSource``; the call uses
    the keyword arguments :class:`~analysis.data.yahoo.YahooSource` passes,
    updated with ``overrides``.
    """

    tickers: tuple[str, ...]
    start: dt.date
    end: dt.date
    overrides: Mapping[str, Any] = field(default_factory=dict)


LAYOUT_CASES: dict[str, LayoutCase] = {
    # US and Indian listings side by side, plus a symbol Yahoo does not know.
    "us_india_failed": LayoutCase(
        ("AAPL", "^GSPC", "RELIANCE.NS", "^NSEI", "500325.BO", "NOSUCH.NS"),
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 13),
    ),
    # One ticker: yfinance 1.x still returns (Price, Ticker) columns.
    "single_aapl": LayoutCase(("AAPL",), dt.date(2024, 1, 2), dt.date(2024, 1, 31)),
    # What ignore_tz=False would give: an Asia/Kolkata-aware index.
    "india_tz_aware": LayoutCase(
        ("RELIANCE.NS", "^NSEI"),
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 13),
        {"ignore_tz": False},
    ),
}


def download_layout_case(case: LayoutCase) -> pd.DataFrame:
    """Run the real ``yfinance.download`` for ``case`` against the recordings."""
    from analysis.data.yahoo import YahooSource

    kwargs = {**YahooSource().download_kwargs(case.start, case.end), **case.overrides}
    with replaying() as replay, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword", module="yfinance")
        frame = yfinance.download(list(case.tickers), **kwargs)
    if replay.misses:
        raise AssertionError(f"requests without a recording: {replay.misses}")
    assert frame is not None
    return frame
