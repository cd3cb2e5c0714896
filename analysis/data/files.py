"""Prices and factors from the user's own CSV or parquet files.

A *price file* is wide: a ``date`` column and one column per ticker holding
adjusted close prices. A *factor file* has a ``date`` column and one column
per factor holding decimal returns (0.01 is one percent), optionally with an
``RF`` column; for the Fama-French models the columns must carry Ken French's
names (``Mkt-RF``, ``SMB``, ``HML``, ``RMW``, ``CMA``, ``Mom``, ``RF``). The
same file can hold the return series of ``RETURN_DATASETS`` (the industry
portfolios ``NoDur`` ... ``Other``, the total market return ``Mkt``), which
:meth:`FileSource.fetch_returns` delivers.

Dates are read as ISO 8601 (``2024-01-31``, with or without a time), or as
the ``YYYYMMDD`` / ``YYYYMM`` integers of Ken French's CSV files; ``YYYYMM``
months are dated by their last day. Other spellings such as ``01/02/2024``
are rejected because they are ambiguous.

Every problem with a file is reported with the file's path, and where it
helps the column and line, so that the user can fix the file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analysis.data.base import (
    FACTOR_DATASETS,
    FREQUENCIES,
    RETURN_DATASETS,
    FactorDataset,
    Frequency,
    PriceBatch,
    ReturnDataset,
    check_columns,
    clean_index,
    fmt_date,
    split_window,
    validate_prices,
    window_bounds,
    with_market_return,
)
from analysis.errors import DataError

PathLike = str | os.PathLike[str]
Role = Literal["prices", "factors"]

_CSV_SUFFIXES = (".csv",)
_PARQUET_SUFFIXES = (".parquet", ".pq")
PERCENT_MEDIAN_THRESHOLD = 0.2
"""A factor column whose median absolute value exceeds this is taken to be in percent."""

# Median spacing of dates, in days, that each frequency may have.
_GAP_DAYS: dict[Frequency, tuple[float, float]] = {
    "daily": (1, 4),
    "weekly": (5, 10),
    "monthly": (25, 35),
}


@dataclass(frozen=True)
class _Table:
    """A file's cells as read (``date`` parsed into the index, values untouched)."""

    path: Path
    frame: pd.DataFrame
    is_csv: bool

    def where(self, position: int) -> str:
        """Where the ``position``-th data row is, in the user's terms."""
        return f"line {position + 2}" if self.is_csv else f"row {position + 1}"

    def numeric(self, column: str) -> tuple[pd.Series, str | None]:
        """The column as float64, and a message naming the first cell that is not a number."""
        raw = self.frame[column]
        if pd.api.types.is_bool_dtype(raw):
            return raw.astype("float64"), f"{self.path}: column {column!r} holds true/false values"
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = np.flatnonzero(values.isna().to_numpy() & raw.notna().to_numpy())
        if len(bad):
            i = int(bad[0])
            return values, (
                f"{self.path}: column {column!r} has a value that is not a number on "
                f"{self.where(i)}: {raw.iloc[i]!r}"
                + (f" ({len(bad)} such values)" if len(bad) > 1 else "")
            )
        return values, None


class FileSource:
    """Prices and/or factors from local CSV or parquet files.

    Implements :class:`~analysis.data.base.PriceSource`,
    :class:`~analysis.data.base.FactorSource` and
    :class:`~analysis.data.base.ReturnSource`. The files are read on every
    call, so edits are picked up without restarting.

    Parameters
    ----------
    prices
        Wide price file: a ``date`` column and one column per ticker.
    factors
        Factor file: a ``date`` column and one column per factor, decimal returns.
    """

    name = "csv"

    def __init__(self, prices: PathLike | None = None, factors: PathLike | None = None) -> None:
        self.prices_path = Path(prices) if prices is not None else None
        self.factors_path = Path(factors) if factors is not None else None

    def __repr__(self) -> str:
        return f"FileSource(prices={self.prices_path!r}, factors={self.factors_path!r})"

    def fetch_prices(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> PriceBatch:
        """Prices for ``tickers`` between ``start`` and ``end`` (both inclusive).

        Tickers that are not columns of the file, columns with cells that are
        not numbers, and columns with no prices in the window are returned in
        ``failed`` with a reason naming the file; the others are delivered.

        Raises
        ------
        DataError
            If the file as a whole cannot be used: missing, unreadable, empty,
            without a ``date`` column, with bad or conflicting duplicate dates.
        """
        table = _read_table(self.prices_path, "prices")
        path = table.path
        columns = [str(c) for c in table.frame.columns]
        if not columns:
            raise DataError(f"{path}: no ticker columns besides 'date'")
        start_ts, end_ts = window_bounds(start, end, source=str(path))

        failed: dict[str, str] = {}
        good: dict[str, pd.Series] = {}
        for ticker in dict.fromkeys(tickers):
            if ticker not in columns:
                failed[ticker] = _absent_reason(ticker, columns, path)
                continue
            values, problem = table.numeric(ticker)
            if problem is not None:
                failed[ticker] = problem
            elif values.isna().all():
                failed[ticker] = f"{path}: column {ticker!r} is empty"
            else:
                good[ticker] = values

        frame = _clean(pd.DataFrame(good, index=table.frame.index), what=str(path))
        batch = validate_prices(frame, source=self.name)
        failed.update({t: f"{path}: column {t!r}: {why}" for t, why in batch.failed.items()})
        out, outside = split_window(
            batch.prices,
            start_ts,
            end_ts,
            lambda t, first, last: (
                f"{path}: no prices for {t} between {fmt_date(start_ts, 'the start')} and "
                f"{fmt_date(end_ts, 'the end')}; the file has them from {first:%Y-%m-%d} "
                f"to {last:%Y-%m-%d}"
            ),
        )
        failed.update(outside)
        out.index = _plain_index(out.index)  # validate_prices re-infers a freq
        # Keep the caller's order for the delivered tickers and the failures.
        order = list(dict.fromkeys(tickers))
        out = out[[t for t in order if t in out.columns]]
        failed = {t: failed[t] for t in order if t in failed}
        return PriceBatch(prices=out, failed=failed, source=self.name)

    def fetch_factors(self, dataset: FactorDataset, frequency: Frequency) -> pd.DataFrame:
        """The columns of the factor file that ``dataset`` needs, as decimal returns.

        Raises
        ------
        DataError
            If the file lacks one of the columns, its dates are not spaced as
            ``frequency`` says, or anything :meth:`read_factor_file` rejects.
        """
        if dataset not in FACTOR_DATASETS:
            raise DataError(
                f"csv: unknown factor dataset {dataset!r}; expected one of "
                f"{', '.join(FACTOR_DATASETS)}"
            )
        if frequency not in FREQUENCIES:
            raise DataError(
                f"csv: unknown frequency {frequency!r}; expected one of {', '.join(FREQUENCIES)}"
            )
        frame = self.read_factor_file()
        path = self.factors_path
        required = FACTOR_DATASETS[dataset]
        check_columns(frame, required, what=f"{path} (factor dataset {dataset!r})")
        _check_frequency(frame.index, frequency, path=str(path))
        return frame[list(required)].copy()

    def fetch_returns(self, dataset: ReturnDataset, frequency: Frequency) -> pd.DataFrame:
        """The columns of the factor file that return dataset ``dataset`` needs, in order.

        Every column of ``RETURN_DATASETS[dataset]`` is required, except that
        ``Mkt`` is derived as ``Mkt-RF + RF``
        (:func:`~analysis.data.base.with_market_return`) when the file has
        those two and no ``Mkt``; a ``Mkt`` column in the file is used as given.

        Raises
        ------
        DataError
            For an unknown dataset or frequency, a file that lacks one of the
            columns (all missing ones are named), dates not spaced as
            ``frequency`` says, or anything :meth:`read_factor_file` rejects.
        """
        if dataset not in RETURN_DATASETS:
            raise DataError(
                f"csv: unknown return dataset {dataset!r}; expected one of "
                f"{', '.join(RETURN_DATASETS)}"
            )
        if frequency not in FREQUENCIES:
            raise DataError(
                f"csv: unknown frequency {frequency!r}; expected one of {', '.join(FREQUENCIES)}"
            )
        frame = self.read_factor_file()
        path = self.factors_path
        required = list(RETURN_DATASETS[dataset])
        derivable = {"Mkt-RF", "RF"} <= set(frame.columns)
        if "Mkt" in required and "Mkt" not in frame.columns and derivable:
            frame = with_market_return(frame, what=str(path))
        missing = [c for c in required if c not in frame.columns]
        if missing:
            hint = " ('Mkt' can also be derived from 'Mkt-RF' and 'RF')" if "Mkt" in missing else ""
            found = ", ".join(map(repr, map(str, frame.columns)))
            raise DataError(
                f"{path} (return dataset {dataset!r}): missing column(s) "
                f"{', '.join(map(repr, missing))}{hint}; found {found}"
            )
        _check_frequency(frame.index, frequency, path=str(path))
        return frame[required].copy()

    def read_factor_file(self) -> pd.DataFrame:
        """Every column of the factor file as decimal returns, for custom factor models.

        Raises
        ------
        DataError
            If the file is missing, unreadable or empty, has no ``date`` column,
            bad dates, cells that are not numbers, infinite values, an empty
            column, conflicting duplicate dates, or values that look like percent.
        """
        table = _read_table(self.factors_path, "factors")
        path = table.path
        if table.frame.shape[1] == 0:
            raise DataError(f"{path}: no factor columns besides 'date'")
        columns: dict[str, pd.Series] = {}
        for column in table.frame.columns:
            values, problem = table.numeric(column)
            if problem is not None:
                raise DataError(problem)
            if values.isna().all():
                raise DataError(f"{path}: column {column!r} is empty")
            infinite = np.flatnonzero(np.isinf(values.to_numpy()))
            if len(infinite):
                raise DataError(
                    f"{path}: column {column!r} has an infinite value on "
                    f"{table.where(int(infinite[0]))}"
                )
            columns[str(column)] = values
        frame = _clean(pd.DataFrame(columns, index=table.frame.index), what=str(path))
        _check_decimal(frame, path=str(path))
        return frame


def _clean(frame: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """:func:`clean_index`, then nanosecond dates without an inferred ``freq``.

    One resolution for every source keeps :func:`~analysis.data.base.frame_hash`
    (which hashes the raw integers of the dates) comparable across sources.
    """
    out = clean_index(frame, what=what)
    out.index = _plain_index(out.index)
    return out


def _plain_index(index: pd.Index) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.DatetimeIndex(index).as_unit("ns").to_numpy(), name="date")


def _read_table(path: Path | None, role: Role) -> _Table:
    """Read a price or factor file: its value cells as read, indexed by the parsed dates."""
    if path is None:
        raise DataError(f"csv: no {role} file was given to the csv source")
    if not path.exists():
        raise DataError(f"{path}: {role} file not found (looked for {path.resolve()})")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a {role} file")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        frame = _read_csv(path)
        is_csv = True
    elif suffix in _PARQUET_SUFFIXES:
        frame = _read_parquet(path)
        is_csv = False
    else:
        allowed = ", ".join((*_CSV_SUFFIXES, *_PARQUET_SUFFIXES))
        raise DataError(f"{path}: unsupported file type {suffix or '(none)'!r}; use {allowed}")
    if len(frame) == 0:
        raise DataError(f"{path}: {role} file has no data rows")
    date_col = _date_column(frame, path)
    dates = _parse_dates(frame[date_col], path=path, is_csv=is_csv)
    values = frame.drop(columns=[date_col])
    values.index = dates
    values.columns = [str(c) for c in values.columns]
    return _Table(path=path, frame=values, is_csv=is_csv)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 text ({exc.reason}); save the file as UTF-8 CSV"
        ) from exc
    if not header or not any(h.strip() for h in header):
        raise DataError(f"{path}: file is empty; expected a header line such as 'date,AAPL,MSFT'")
    names = [h.strip() for h in header]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise DataError(
            f"{path}: column name(s) {', '.join(map(repr, dups))} appear more than once"
        )
    try:
        # Strings first, so that a bad cell can be reported exactly as written.
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: file is empty") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as CSV ({exc})") from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"{path}: cannot be read as parquet ({type(exc).__name__}: {exc})") from exc
    # A frame saved with DataFrame.to_parquet() keeps its date index as the index.
    if isinstance(frame.index, pd.DatetimeIndex) or str(frame.index.name).lower() == "date":
        frame = frame.reset_index(names=str(frame.index.name or "date"))
    return frame


def _date_column(frame: pd.DataFrame, path: Path) -> str:
    matches = [c for c in frame.columns if str(c).strip().lower() == "date"]
    if not matches:
        found = ", ".join(repr(str(c)) for c in frame.columns[:10])
        raise DataError(
            f"{path}: no 'date' column (found {found}); name the column of dates 'date'"
        )
    if len(matches) > 1:
        raise DataError(f"{path}: several date columns ({', '.join(map(repr, matches))})")
    return str(matches[0])


def _parse_dates(raw: pd.Series, *, path: Path, is_csv: bool) -> pd.DatetimeIndex:
    """Parse a date column, naming the first cell that is not a date."""

    def where(i: int) -> str:
        return f"line {i + 2}" if is_csv else f"row {i + 1}"

    missing = np.flatnonzero(raw.isna().to_numpy())
    if len(missing):
        raise DataError(f"{path}: no date on {where(int(missing[0]))}")
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.DatetimeIndex(raw)
    text = raw.astype(str).str.strip()
    if text.str.fullmatch(r"\d{8}").all():
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    elif text.str.fullmatch(r"\d{6}").all():
        parsed = pd.to_datetime(text, format="%Y%m", errors="coerce") + pd.offsets.MonthEnd(0)
    else:
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except ValueError:
            # Offsets that differ between rows (daylight saving): keep each row's local date.
            parsed = pd.Series(
                [_local_timestamp(t) for t in text], index=text.index, dtype="datetime64[ns]"
            )
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{path}: {text.iloc[i]!r} on {where(i)} is not a date; write dates as YYYY-MM-DD "
            "(ISO 8601)"
        )
    return pd.DatetimeIndex(parsed)


def _local_timestamp(text: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        return pd.NaT
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _check_decimal(frame: pd.DataFrame, *, path: str) -> None:
    medians = frame.abs().median()
    percent = medians[medians > PERCENT_MEDIAN_THRESHOLD]
    if len(percent):
        col = str(percent.index[0])
        raise DataError(
            f"{path}: factor returns must be decimal returns (0.01 = 1%), but column {col!r} has "
            f"a median absolute value of {percent.iloc[0]:.3g}, which looks like percent; "
            "divide the values by 100"
        )


def _check_frequency(index: pd.DatetimeIndex, frequency: Frequency, *, path: str) -> None:
    if len(index) < 3:
        return
    gap = float(np.median(np.diff(index.to_numpy()).astype("timedelta64[s]").astype(float))) / 86400
    low, high = _GAP_DAYS[frequency]
    if not low <= gap <= high:
        raise DataError(
            f"{path}: dates are a median {gap:.0f} day(s) apart, which is not {frequency} "
            f"({low:.0f}-{high:.0f} days); set the frequency the file has, or resample the file"
        )


def _absent_reason(ticker: str, columns: list[str], path: Path) -> str:
    same_case = [c for c in columns if c.upper() == ticker.upper()]
    hint = f" (did you mean {same_case[0]!r}?)" if same_case else ""
    shown = ", ".join(columns[:10]) + (
        f", ... ({len(columns)} in all)" if len(columns) > 10 else ""
    )
    return f"not a column of {path}{hint}; its tickers are {shown}"
