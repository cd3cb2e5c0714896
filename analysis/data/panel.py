"""A long panel file of stock returns and characteristics (CSV or parquet).

The file has one row per ``(date, ticker)`` with the columns

* ``date``: the end of the period (ISO 8601, or ``YYYYMMDD`` / ``YYYYMM``
  integers as in :mod:`analysis.data.files`);
* ``ticker``: the stock's identifier;
* ``return``: the simple return of the period *ending* at ``date`` (0.01 is
  one percent; empty where unknown);
* optional characteristic columns (numbers), each known at its ``date``;
* an optional ``sector`` column of sector names.

Column names are matched after stripping spaces; ``date``, ``ticker``,
``return`` and ``sector`` also ignore case. Every problem is reported with
the file's path and the column, line (CSV, counting the header as line 1) or
row (parquet, from 1), date, ticker and value involved.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.files import _parse_dates, _read_csv
from analysis.errors import DataError

PathLike = str | os.PathLike[str]

REQUIRED_COLUMNS = ("date", "ticker", "return")
SECTOR_COLUMN = "sector"
_CSV_SUFFIXES = (".csv",)
_PARQUET_SUFFIXES = (".parquet", ".pq")
_SHOWN = 5


@dataclass(frozen=True)
class Panel:
    """A validated long panel.

    Attributes
    ----------
    returns
        Wide simple returns (date x ticker, sorted), NaN where the file has no
        row or an empty return.
    characteristics
        Characteristic columns on the MultiIndex ``(date, ticker)``, one row per
        row of the file, already lagged by ``lag`` periods.
    sectors
        The last sector seen for each ticker (by date), or ``None`` when the file
        has no ``sector`` column.
    path
        The file read.
    lag
        Periods the characteristics were shifted by.
    """

    returns: pd.DataFrame
    characteristics: pd.DataFrame
    sectors: pd.Series | None
    path: Path
    lag: int = field(default=0)

    def describe(self) -> str:
        """One line: dates, tickers, rows, characteristics (and lag), sectors."""
        idx = self.returns.index
        chars = ", ".join(map(str, self.characteristics.columns)) or "none"
        span = f"{idx[0]:%Y-%m-%d} to {idx[-1]:%Y-%m-%d}" if len(idx) else "no dates"
        sectors = f"{self.sectors.nunique()} sectors" if self.sectors is not None else "no sectors"
        return (
            f"{self.path.name}: {len(idx)} dates ({span}), {self.returns.shape[1]} tickers, "
            f"{len(self.characteristics)} rows; characteristics: {chars}"
            + (f" (lagged {self.lag} period(s))" if self.lag else "")
            + f"; {sectors}"
        )


def read_panel(path: PathLike, *, lag: int = 0, columns: Sequence[str] | None = None) -> Panel:
    """Read and validate a long panel file.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` file with ``date``, ``ticker``, ``return``,
        characteristic columns and optionally ``sector``.
    lag
        Shift every characteristic this many periods later per ticker, for
        values reported after the date they describe. A period is one step of
        the file's calendar (its sorted distinct dates).
    columns
        Characteristic columns to keep; ``None`` keeps every column besides
        ``date``, ``ticker``, ``return`` and ``sector``.

    Returns
    -------
    Panel

    Raises
    ------
    DataError
        Missing or unreadable file, missing required or requested column,
        unparseable date, empty ticker, duplicate ``(date, ticker)`` rows, a
        return or characteristic that is not a number, a return <= -1, or a
        bad ``lag``.

    Notes
    -----
    With ``lag = L`` the value a ticker reported at the file's date ``d_i``
    appears at ``d_{i+L}``; it is NaN where the ticker has no row at
    ``d_{i-L}``, and values shifted past the last date are dropped.
    Characteristics dated ``t`` (after the lag) are taken as known at ``t``.
    """
    file = Path(path)
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 0:
        raise DataError(f"{file}: lag must be an integer >= 0; got {lag!r}")
    frame, is_csv = _read(file)

    def where(i: int) -> str:
        return f"line {i + 2}" if is_csv else f"row {i + 1}"

    frame = _canonical_columns(frame, file)
    dates = _parse_dates(frame["date"], path=file, is_csv=is_csv)
    tickers = frame["ticker"]
    blank = tickers.isna().to_numpy() | (tickers.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        raise DataError(
            f"{file}: column 'ticker' is empty on {where(int(np.flatnonzero(blank)[0]))}"
        )
    tickers = tickers.astype(str).str.strip()
    keys = pd.MultiIndex.from_arrays(
        [pd.DatetimeIndex(dates).normalize(), tickers.to_numpy()], names=["date", "ticker"]
    )
    _check_duplicates(keys, file, where)

    returns = _numeric(frame["return"], "return", file, where)
    bad = np.flatnonzero((returns <= -1).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{file}: column 'return' is {float(returns.iloc[i])!r} for {keys[i][1]} on "
            f"{keys[i][0]:%Y-%m-%d} ({where(i)}); a simple return must be > -1 (-0.05 is a "
            "5% loss; percent returns must be divided by 100)"
            + (f" ({len(bad)} such values)" if len(bad) > 1 else "")
        )

    available = [c for c in frame.columns if c not in (*REQUIRED_COLUMNS, SECTOR_COLUMN)]
    if columns is None:
        chosen = available
    else:
        if isinstance(columns, str):
            columns = [columns]
        absent = [c for c in columns if c not in available]
        if absent:
            raise DataError(
                f"{file}: characteristic column(s) {', '.join(map(repr, absent))} not found; "
                f"the file has {', '.join(map(repr, available)) or 'none'}"
            )
        chosen = list(dict.fromkeys(columns))
    chars = pd.DataFrame(
        {c: _numeric(frame[c], c, file, where).to_numpy() for c in chosen},
        index=keys,
        columns=chosen,
    ).sort_index()

    wide = (
        pd.Series(returns.to_numpy(), index=keys).unstack("ticker").sort_index().sort_index(axis=1)
    )
    wide.index = pd.DatetimeIndex(wide.index, name="date")
    wide.columns.name = None
    if lag:
        chars = _lag(chars, pd.DatetimeIndex(wide.index), lag)

    sectors = None
    if SECTOR_COLUMN in frame.columns:
        sector = frame[SECTOR_COLUMN].astype("object").where(frame[SECTOR_COLUMN].notna())
        sector = sector.map(lambda v: v.strip() or None if isinstance(v, str) else v)
        seen = (
            pd.DataFrame({"date": keys.get_level_values("date"), "ticker": tickers, "s": sector})
            .dropna(subset=["s"])
            .sort_values(["ticker", "date"], kind="stable")
        )
        sectors = seen.groupby("ticker")["s"].last().astype(str).rename("sector")
        sectors.index.name = "ticker"
    return Panel(returns=wide, characteristics=chars, sectors=sectors, path=file, lag=int(lag))


def _read(file: Path) -> tuple[pd.DataFrame, bool]:
    if not file.exists():
        raise DataError(f"{file}: panel file not found (looked for {file.resolve()})")
    if file.is_dir():
        raise DataError(f"{file}: is a folder, not a panel file")
    suffix = file.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        frame, is_csv = _read_csv(file), True
    elif suffix in _PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise DataError(
                f"{file}: cannot be read as parquet ({type(exc).__name__}: {exc})"
            ) from exc
        # A frame saved with its (date, ticker) index keeps it as the index.
        if any(name is not None for name in frame.index.names):
            frame = frame.reset_index()
        is_csv = False
    else:
        allowed = ", ".join((*_CSV_SUFFIXES, *_PARQUET_SUFFIXES))
        raise DataError(f"{file}: unsupported file type {suffix or '(none)'!r}; use {allowed}")
    if len(frame) == 0:
        raise DataError(f"{file}: panel file has no data rows")
    return frame.reset_index(drop=True), is_csv


def _canonical_columns(frame: pd.DataFrame, file: Path) -> pd.DataFrame:
    names = [str(c).strip() for c in frame.columns]
    special = (*REQUIRED_COLUMNS, SECTOR_COLUMN)
    renamed = [n.lower() if n.lower() in special else n for n in names]
    dups = sorted({n for n in renamed if renamed.count(n) > 1})
    if dups:
        raise DataError(f"{file}: column(s) {', '.join(map(repr, dups))} appear more than once")
    out = frame.set_axis(renamed, axis=1)
    absent = [c for c in REQUIRED_COLUMNS if c not in out.columns]
    if absent:
        found = ", ".join(repr(n) for n in names[:10])
        raise DataError(
            f"{file}: missing required column(s) {', '.join(map(repr, absent))} (found {found}); "
            f"a panel needs {', '.join(REQUIRED_COLUMNS)}"
        )
    return out


def _check_duplicates(keys: pd.MultiIndex, file: Path, where: Callable[[int], str]) -> None:
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return
    rows = np.flatnonzero(dup)
    pairs: dict[tuple[pd.Timestamp, str], list[int]] = {}
    for i in rows:
        pairs.setdefault(keys[i], []).append(int(i))
    shown = "; ".join(
        f"({d:%Y-%m-%d}, {t}) on {', '.join(where(i) for i in lines)}"
        for (d, t), lines in list(pairs.items())[:_SHOWN]
    )
    more = f" and {len(pairs) - _SHOWN} more" if len(pairs) > _SHOWN else ""
    raise DataError(
        f"{file}: {len(pairs)} duplicate (date, ticker) pair(s): {shown}{more}; "
        "keep one row per ticker and date"
    )


def _numeric(raw: pd.Series, column: str, file: Path, where: Callable[[int], str]) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        raise DataError(f"{file}: column {column!r} holds true/false values, not numbers")
    text = raw.str.strip() if raw.dtype == object or pd.api.types.is_string_dtype(raw) else raw
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").astype("float64")
    bad = np.flatnonzero(values.isna().to_numpy() & text.replace("", np.nan).notna().to_numpy())
    inf = np.flatnonzero(np.isinf(values.to_numpy()))
    if len(bad) or len(inf):
        i = int(bad[0]) if len(bad) else int(inf[0])
        n = len(bad) + len(inf)
        raise DataError(
            f"{file}: column {column!r} has a value that is not a finite number on "
            f"{where(i)}: {raw.iloc[i]!r}" + (f" ({n} such values)" if n > 1 else "")
        )
    return values


def _lag(chars: pd.DataFrame, calendar: pd.DatetimeIndex, lag: int) -> pd.DataFrame:
    """Move each value ``lag`` steps later on ``calendar``, onto the rows of ``chars``."""
    dates = chars.index.get_level_values("date")
    step = calendar.get_indexer(dates) + lag
    inside = step < len(calendar)
    moved = chars[inside].copy()
    moved.index = pd.MultiIndex.from_arrays(
        [calendar[step[inside]], moved.index.get_level_values("ticker")], names=["date", "ticker"]
    )
    return moved.reindex(chars.index)
