"""The contract every data source meets, and the checks applied at the boundary.

A *price source* returns adjusted close prices as a wide DataFrame: a sorted,
duplicate-free, tz-naive :class:`~pandas.DatetimeIndex` named ``date`` and one
float64 column per ticker. A *factor source* returns factor returns in
decimal form (0.01 is one percent) with the same index conventions, and the
column names used by Ken French's data library (``Mkt-RF``, ``SMB``, ``HML``,
``RMW``, ``CMA``, ``Mom``, ``RF``). A *return source* returns the return
series of a dataset (``RETURN_DATASETS``) with the same conventions, for
models that use a portfolio's or the market's return as a target or feature.

Sources never raise for one bad ticker in a batch: they return a
:class:`PriceBatch` whose ``failed`` mapping says which tickers failed and
why, so the report runner can record the failure and carry on with the rest.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from analysis.errors import DataError, UnknownTickerError

Frequency = Literal["daily", "weekly", "monthly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly", "monthly")

FactorDataset = Literal["ff3", "ff5", "mom"]
FACTOR_DATASETS: dict[FactorDataset, tuple[str, ...]] = {
    "ff3": ("Mkt-RF", "SMB", "HML", "RF"),
    "ff5": ("Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"),
    "mom": ("Mom",),
}

ReturnDataset = Literal["ff3", "mom", "ind12"]
RETURN_DATASETS: dict[str, tuple[str, ...]] = {
    "ff3": ("Mkt", "Mkt-RF", "SMB", "HML", "RF"),
    "mom": ("Mom",),
    "ind12": (
        "NoDur",
        "Durbl",
        "Manuf",
        "Enrgy",
        "Chems",
        "BusEq",
        "Telcm",
        "Utils",
        "Shops",
        "Hlth",
        "Money",
        "Other",
    ),
}
"""Columns of each return dataset a :class:`ReturnSource` delivers, in this order.

Every value is a decimal simple return over one period (0.01 is one percent),
indexed by the period's end exactly as the factors are (month end for
monthly data, the trading date for daily, the week's Friday for weekly).

- ``ff3``: the Fama-French three factors plus ``Mkt``, the total market
  return, derived as ``Mkt-RF + RF`` by :func:`with_market_return` (every
  source derives it the same way).
- ``mom``: the momentum factor.
- ``ind12``: Ken French's 12 industry portfolios (value-weighted total returns,
  not excess returns; subtract ``RF`` for excess returns).
"""


class DataWarning(UserWarning):
    """Data was repaired at the boundary (sorted, de-duplicated); the message says how."""


@dataclass(frozen=True)
class PriceBatch:
    """Prices for the tickers a source could deliver, and why the others failed.

    Attributes
    ----------
    prices
        Wide frame, one float64 column per delivered ticker (see module docs).
    failed
        ``{ticker: reason}`` for every requested ticker that is not in ``prices``.
    source
        Name of the source that produced the batch (``yahoo``, ``sample`` ...).
    """

    prices: pd.DataFrame
    failed: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def require(self, ticker: str) -> pd.Series:
        """Return one ticker's prices, or raise the recorded failure."""
        if ticker in self.prices.columns:
            return self.prices[ticker].dropna()
        reason = self.failed.get(ticker, "not requested from the source")
        raise UnknownTickerError(f"{self.source}: ticker {ticker!r}: {reason}")


@runtime_checkable
class PriceSource(Protocol):
    """Anything that can deliver adjusted close prices for a list of tickers."""

    name: str

    def fetch_prices(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> PriceBatch:
        """Prices for ``tickers`` between ``start`` and ``end`` (both inclusive)."""
        ...


@runtime_checkable
class FactorSource(Protocol):
    """Anything that can deliver a Fama-French style factor dataset.

    Sources that can also deliver return series (the factors with the total
    market return, the industry portfolios) implement a second method,
    ``fetch_returns(dataset, frequency) -> DataFrame``, described by
    :class:`ReturnSource`. It is a separate protocol so that a factor source
    without it still passes ``isinstance(source, FactorSource)``.
    """

    name: str

    def fetch_factors(self, dataset: FactorDataset, frequency: Frequency) -> pd.DataFrame:
        """Decimal factor returns with the columns of ``FACTOR_DATASETS[dataset]``."""
        ...


@runtime_checkable
class ReturnSource(Protocol):
    """Anything that can deliver the return series of a dataset in ``RETURN_DATASETS``."""

    name: str

    def fetch_returns(self, dataset: ReturnDataset, frequency: Frequency) -> pd.DataFrame:
        """Decimal simple returns with the columns of ``RETURN_DATASETS[dataset]``, in order."""
        ...


def with_market_return(frame: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Add the total market return ``Mkt = Mkt-RF + RF`` as the first column.

    Parameters
    ----------
    frame
        Decimal returns holding ``Mkt-RF`` and ``RF``.
    what
        Names the data in messages, e.g. ``"french: ff3 monthly"``.

    Returns
    -------
    DataFrame
        A copy with ``Mkt`` inserted before the other columns (replacing a
        ``Mkt`` column already there).

    Raises
    ------
    DataError
        If ``Mkt-RF`` or ``RF`` is missing.

    Notes
    -----
    The sum is exact for simple returns over the same period: ``Mkt-RF`` is
    defined as the market's return minus the risk-free return of that
    period. A date where either is missing has no market return (NaN).
    """
    check_columns(frame, ("Mkt-RF", "RF"), what=f"{what} (to derive Mkt = Mkt-RF + RF)")
    market = (frame["Mkt-RF"] + frame["RF"]).astype("float64").rename("Mkt")
    rest = frame.drop(columns=["Mkt"], errors="ignore")
    return pd.concat([market, rest], axis=1)


def clean_index(frame: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Normalize a frame's index to sorted, unique, tz-naive dates named ``date``.

    Unsorted dates are sorted and duplicated dates whose rows are identical are
    dropped, each with a :class:`DataWarning`. Duplicated dates whose rows
    differ are rejected, because no rule can say which row is right.

    Parameters
    ----------
    frame
        Frame indexed by something convertible to dates.
    what
        Names the data in messages, e.g. ``"yahoo prices"`` or ``"prices.csv"``.
    """
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{what}: index is not made of dates ({exc})") from exc
    if index.hasnans:
        raise DataError(f"{what}: {int(index.isna().sum())} rows have no date")
    if index.tz is not None:
        index = index.tz_localize(None)
    out = frame.copy()
    out.index = pd.DatetimeIndex(index.normalize().as_unit("ns"), freq=None, name="date")
    if not out.index.is_monotonic_increasing:
        warnings.warn(f"{what}: dates were not sorted; sorted them", DataWarning, stacklevel=2)
        out = out.sort_index(kind="stable")
    dup = out.index.duplicated(keep=False)
    if dup.any():
        dups = out[dup]
        conflicting = dups.groupby(level=0).nunique(dropna=False).gt(1).any(axis=1)
        if conflicting.any():
            dates = ", ".join(d.strftime("%Y-%m-%d") for d in conflicting[conflicting].index[:5])
            raise DataError(
                f"{what}: duplicate dates with different values ({dates}); "
                "remove the wrong rows and try again"
            )
        n = int(out.index.duplicated().sum())
        warnings.warn(
            f"{what}: dropped {n} duplicate row(s) with identical values", DataWarning, stacklevel=2
        )
        out = out[~out.index.duplicated()]
    return out


BAD_PRICES = "non-positive or infinite price"
"""What a failure reason says when the source delivered prices that cannot be used."""


def validate_prices(frame: pd.DataFrame, *, source: str) -> PriceBatch:
    """Check a wide price frame at the boundary and split off unusable tickers.

    A column that is entirely NaN (how yfinance reports a failed ticker) or
    that holds a zero or negative price is moved to ``failed`` with the
    reason; the other columns are returned as float64.

    Parameters
    ----------
    frame
        Wide frame of prices, one column per ticker.
    source
        Source name, used in messages.
    """
    out = clean_index(frame, what=f"{source} prices")
    failed: dict[str, str] = {}
    good: dict[str, pd.Series] = {}
    for col in out.columns:
        ticker = str(col)
        try:
            values = pd.to_numeric(out[col], errors="raise").astype("float64")
        except (ValueError, TypeError) as exc:
            failed[ticker] = f"prices are not numbers ({exc})"
            continue
        if values.isna().all():
            failed[ticker] = "no prices returned (unknown or delisted ticker?)"
            continue
        bad = values[(values <= 0) | ~np.isfinite(values.fillna(1.0))]
        if len(bad):
            failed[ticker] = (
                f"{len(bad)} {BAD_PRICES}(s), first on {bad.index[0]:%Y-%m-%d}: "
                f"{float(bad.iloc[0]):g}"
            )
            continue
        good[ticker] = values
    prices = pd.DataFrame(good, index=out.index)
    prices.columns.name = None
    prices = prices.dropna(how="all")
    return PriceBatch(prices=prices, failed=failed, source=source)


def frame_hash(frame: pd.DataFrame | pd.Series) -> str:
    """SHA-256 of a frame's dates, column names and float64 values.

    The digest depends only on the data, not on the file format or the
    library versions that wrote it, so it identifies the data in manifests
    and cache entries.
    """
    df = frame.to_frame() if isinstance(frame, pd.Series) else frame
    h = hashlib.sha256()
    h.update(
        np.asarray(df.index.asi8 if isinstance(df.index, pd.DatetimeIndex) else df.index).tobytes()
    )
    h.update("\x1f".join(map(str, df.columns)).encode())
    h.update(np.ascontiguousarray(df.to_numpy(dtype="float64", na_value=np.nan)).tobytes())
    return h.hexdigest()


def window_bounds(
    start: object, end: object, *, source: str
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Parse a source's ``start``/``end`` arguments as tz-naive timestamps (``None`` stays).

    Raises
    ------
    DataError
        Naming the source, if either is not a date or ``start`` is after ``end``.
    """
    bounds: list[pd.Timestamp | None] = []
    for what, value in (("start", start), ("end", end)):
        if value is None:
            bounds.append(None)
            continue
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise DataError(f"{source}: {what} {value!r} is not a date") from exc
        if pd.isna(ts):
            raise DataError(f"{source}: {what} {value!r} is not a date")
        bounds.append(ts.tz_localize(None) if ts.tzinfo is not None else ts)
    first, last = bounds
    if first is not None and last is not None and first > last:
        raise DataError(f"{source}: start {first:%Y-%m-%d} is after end {last:%Y-%m-%d}")
    return first, last


def fmt_date(ts: pd.Timestamp | None, default: str) -> str:
    """``YYYY-MM-DD``, or ``default`` (e.g. ``"the start"``) for an open bound."""
    return default if ts is None else f"{ts:%Y-%m-%d}"


def split_window(
    prices: pd.DataFrame,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    reason: Callable[[str, pd.Timestamp, pd.Timestamp], str],
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Prices inside ``[start, end]``, and why each ticker without one there failed.

    ``reason(ticker, first, last)`` words the failure, given the range the
    ticker's data does cover. Rows where no delivered ticker has a price are
    dropped.
    """
    window = prices.loc[start:end]
    delivered: list[str] = []
    failed: dict[str, str] = {}
    for ticker in prices.columns:
        if window[ticker].notna().any():
            delivered.append(ticker)
            continue
        series = prices[ticker].dropna()
        failed[str(ticker)] = reason(str(ticker), series.index[0], series.index[-1])
    return window[delivered].dropna(how="all"), failed


def check_columns(frame: pd.DataFrame, required: Sequence[str], *, what: str) -> None:
    """Raise :class:`DataError` naming the columns of ``required`` that ``frame`` lacks."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {', '.join(map(repr, missing))}; "
            f"found {', '.join(map(repr, map(str, frame.columns)))}"
        )
