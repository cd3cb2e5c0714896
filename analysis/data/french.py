"""Fama-French factor returns from Kenneth R. French's data library.

The library publishes each dataset as a zip archive holding one CSV file,
under ``https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/``.
:class:`FrenchSource` downloads the archive, :func:`parse_french_csv` reads
the CSV, and the result is returned in the shape every factor source
delivers (see :mod:`analysis.data.base`): decimal returns, a sorted
``date`` index and the columns of ``FACTOR_DATASETS[dataset]``.

Layout of the CSV files (checked against published copies of the files,
vintages 2021 to 2026; see ``tests/fixtures/french/README.md``)::

    This file was created using the 202603 CRSP database.      <- free text,
    The 1-month TBill rate data until 202405 are from ...         may hold commas
                                                                <- blank line
    ,Mkt-RF,SMB,HML,RF                                          <- header: leading comma
    192607,   2.89,  -2.55,  -2.39,   0.22                      <- YYYYMM, percent
    ...
                                                                <- blank line
     Annual Factors: January-December                           <- block title
    ,Mkt-RF,SMB,HML,RF
      1927,  29.47,  -2.46,  -3.75,   3.12                      <- YYYY
    ...

    Copyright 2026 Eugene F. Fama and Kenneth R. French

Lines end in ``\\r\\n``; older vintages pad the values with spaces and the
momentum file pads its column name (``Mom   ``); the annual title of the
momentum file is split over two lines (``Annual Factors:`` /
``January-December``). Daily and weekly files use ``YYYYMMDD`` dates and
have no annual block. Missing values are coded ``-99.99`` or ``-999``.

The industry portfolio files (``12_Industry_Portfolios_CSV.zip`` and its
``_daily`` twin) hold several titled tables of the same frequency::

      Average Value Weighted Returns -- Monthly                 <- title, two spaces
    ,NoDur,Durbl,Manuf,Enrgy,Chems,BusEq,Telcm,Utils,Shops,Hlth ,Money,Other
    192607,   1.45,  15.55,   3.67,  -1.18, ...
    ...
                                                                <- two blank lines
      Average Equal Weighted Returns -- Monthly
    ...   then the annual value- and equal-weighted returns, "Number of Firms in
          Portfolios", "Average Firm Size" (monthly), "Sum of BE / Sum of ME" and
          "Value-Weighted Average of BE/ME" (annual)

:func:`parse_french_tables` keeps each table's title so that a caller can
check it took the table it meant to.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, Protocol

import numpy as np
import pandas as pd
import requests

from analysis.data.base import (
    FACTOR_DATASETS,
    FREQUENCIES,
    RETURN_DATASETS,
    FactorDataset,
    Frequency,
    ReturnDataset,
    clean_index,
    with_market_return,
)
from analysis.errors import DataError, SourceUnavailableError

BASE_URL: Final = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"

#: A desktop browser's User-Agent: the library's server rejects some default clients.
DEFAULT_USER_AGENT: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

#: The archive that holds each (dataset, frequency) French publishes directly.
#: French publishes weekly data for the three-factor model only; the other
#: weekly series are compounded from the daily files (see FrenchSource).
FILES: Final[Mapping[tuple[FactorDataset, Frequency], str]] = {
    ("ff3", "monthly"): "F-F_Research_Data_Factors_CSV.zip",
    ("ff3", "weekly"): "F-F_Research_Data_Factors_weekly_CSV.zip",
    ("ff3", "daily"): "F-F_Research_Data_Factors_daily_CSV.zip",
    ("ff5", "monthly"): "F-F_Research_Data_5_Factors_2x3_CSV.zip",
    ("ff5", "daily"): "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip",
    ("mom", "monthly"): "F-F_Momentum_Factor_CSV.zip",
    ("mom", "daily"): "F-F_Momentum_Factor_daily_CSV.zip",
}

#: The archive of the 12 industry portfolios at each frequency French publishes;
#: weekly returns are compounded from the daily file.
INDUSTRY_FILES: Final[Mapping[Frequency, str]] = {
    "monthly": "12_Industry_Portfolios_CSV.zip",
    "daily": "12_Industry_Portfolios_daily_CSV.zip",
}

#: Numeric codes French uses for a missing value, compared before scaling.
MISSING_CODES: Final = (-99.99, -999.0)

BlockName = Literal["daily", "weekly", "monthly", "annual"]

_DATE_CODE = re.compile(r"\d{4}(?:\d{2}){0,2}")
_VALUE_WEIGHTED = re.compile(r"value[- ]?weighted\s+returns", re.IGNORECASE)


class HttpResponse(Protocol):
    """The part of :class:`requests.Response` that :class:`FrenchSource` reads."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def content(self) -> bytes: ...


class HttpGet(Protocol):
    """A function that performs an HTTP GET, like :func:`requests.get`."""

    def __call__(self, url: str, *, headers: Mapping[str, str], timeout: float) -> HttpResponse:
        """Fetch ``url``; raise :class:`requests.RequestException` or ``OSError`` on failure."""
        ...


def _requests_get(url: str, *, headers: Mapping[str, str], timeout: float) -> HttpResponse:
    return requests.get(url, headers=dict(headers), timeout=timeout)


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# --------------------------------------------------------------------------- parsing


def _split(line: str) -> list[str]:
    fields = [f.strip() for f in line.split(",")]
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return fields


def _is_header(line: str) -> bool:
    return line.lstrip().startswith(",") and any(_split(line)[1:])


def _is_row(line: str) -> bool:
    return _DATE_CODE.fullmatch(line.split(",", 1)[0].strip()) is not None


def _to_float(value: str, *, where: str) -> float:
    if value == "":
        return float("nan")
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"{where}: {value!r} is not a number") from None
    if number in MISSING_CODES:
        return float("nan")
    return number / 100.0


def _week_friday(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The Friday of each date's Monday-Sunday week."""
    offsets = pd.to_timedelta(4 - np.asarray(dates.day_of_week), unit="D")
    return pd.DatetimeIndex(dates + offsets)


def _block_index(
    codes: list[str], lines: list[int], *, name: str, weekly: bool | None
) -> tuple[BlockName, pd.DatetimeIndex]:
    width = len(codes[0])
    pattern = {4: "YYYY", 6: "YYYYMM", 8: "YYYYMMDD"}[width]
    for code, line in zip(codes, lines, strict=True):
        if len(code) != width:
            raise DataError(
                f"{name}: line {line}: date {code!r} is not a {pattern} code like the "
                f"table's first date {codes[0]!r}"
            )
    fmt = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d"}[width]
    parsed = pd.to_datetime(pd.Series(codes), format=fmt, errors="coerce")
    if parsed.isna().any():
        bad = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise DataError(f"{name}: line {lines[bad]}: {codes[bad]!r} is not a valid {pattern} date")
    dates = pd.DatetimeIndex(parsed)
    if width == 4:
        return "annual", pd.DatetimeIndex(dates + pd.offsets.YearEnd(0))
    if width == 6:
        return "monthly", pd.DatetimeIndex(dates + pd.offsets.MonthEnd(0))
    if weekly is None:
        gaps = np.diff(dates.to_numpy()) / np.timedelta64(1, "D")
        weekly = gaps.size > 0 and float(np.median(gaps)) >= 5
    if weekly:
        return "weekly", _week_friday(dates)
    return "daily", dates


@dataclass(frozen=True)
class FrenchTable:
    """One table of a French CSV file.

    Attributes
    ----------
    kind
        The table's frequency: ``"daily"``, ``"weekly"``, ``"monthly"`` or ``"annual"``.
    title
        The non-blank lines right above the header, stripped and joined by a
        space (``"Average Value Weighted Returns -- Monthly"``), or ``""``
        when a blank line precedes the header (the factor files' first table).
    frame
        Float64 values divided by 100, indexed by ``date`` (see :func:`parse_french_csv`).
    line
        Line number (1-based) of the table's header, for messages.
    """

    kind: BlockName
    title: str
    frame: pd.DataFrame
    line: int


def _title_above(lines: list[str], header: int) -> str:
    """The block title: the run of non-blank, non-table lines right above a header."""
    parts: list[str] = []
    j = header - 1
    while j >= 0 and lines[j].strip() and not (_is_row(lines[j]) or _is_header(lines[j])):
        parts.append(lines[j].strip())
        j -= 1
    return " ".join(reversed(parts))


def parse_french_tables(
    text: str, *, name: str = "French CSV", weekly: bool | None = None
) -> list[FrenchTable]:
    """Read every table of a Ken French data-library CSV file, in file order, with its title.

    Parameters and parsing rules are those of :func:`parse_french_csv`; this
    function also keeps each table's title, which tells apart the several
    tables of one frequency in a portfolio file (value-weighted returns,
    equal-weighted returns, number of firms ...).

    Raises
    ------
    DataError
        As :func:`parse_french_csv`.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tables: list[FrenchTable] = []
    i = 0
    while i < len(lines):
        if not _is_header(lines[i]):
            i += 1
            continue
        header = i
        columns = _split(lines[i])[1:]
        codes: list[str] = []
        rows: list[list[float]] = []
        line_numbers: list[int] = []
        i += 1
        while i < len(lines) and _is_row(lines[i]):
            fields = _split(lines[i])
            where = f"{name}: line {i + 1}"
            if len(fields) - 1 != len(columns):
                raise DataError(
                    f"{where}: expected {len(columns)} value(s) for "
                    f"{', '.join(columns)}, found {len(fields) - 1}"
                )
            codes.append(fields[0])
            rows.append([_to_float(v, where=where) for v in fields[1:]])
            line_numbers.append(i + 1)
            i += 1
        if not rows:
            continue
        kind, index = _block_index(codes, line_numbers, name=name, weekly=weekly)
        frame = pd.DataFrame(
            np.array(rows, dtype="float64").reshape(len(rows), len(columns)),
            index=index.rename("date"),
            columns=columns,
        )
        tables.append(
            FrenchTable(kind=kind, title=_title_above(lines, header), frame=frame, line=header + 1)
        )
    if not tables:
        raise DataError(
            f"{name}: no table found (expected a header line starting with a comma, "
            "followed by rows that start with a YYYY, YYYYMM or YYYYMMDD date)"
        )
    return tables


def parse_french_csv(
    text: str, *, name: str = "French CSV", weekly: bool | None = None
) -> dict[str, pd.DataFrame]:
    """Read the tables of a Ken French data-library CSV file.

    Parameters
    ----------
    text
        The decoded content of the CSV file (any of ``\\r\\n``, ``\\n`` or
        ``\\r`` line endings).
    name
        Names the file in error messages, e.g. ``"F-F_Momentum_Factor.csv"``.
    weekly
        Whether ``YYYYMMDD`` tables are weekly (``True``) or daily
        (``False``). ``None`` infers it from the dates: weekly when the median
        gap between consecutive dates is at least five days.

    Returns
    -------
    dict
        One float64 DataFrame per table, keyed by the table's frequency:
        ``"daily"``, ``"weekly"``, ``"monthly"`` or ``"annual"``. A second
        table of the same frequency (the library's portfolio files have
        several) is keyed ``"monthly_2"``, ``"monthly_3"``..., so ``"monthly"``
        is always the file's first monthly table. Columns are the
        header's names with surrounding spaces removed (``"Mom   "`` becomes
        ``"Mom"``); the index is a :class:`~pandas.DatetimeIndex` named
        ``date``.

    Raises
    ------
    DataError
        If the text holds no table, or a row has the wrong number of values,
        a value that is not a number, or an invalid date.

    Notes
    -----
    A table starts at a header line whose first field is empty (the line
    begins with a comma) and runs over the following lines whose first field
    is a date code; the first other line (usually blank) ends it. Lines
    outside tables (description, block titles, copyright) are ignored.

    Values are percent in the file and divided by 100 here, so 1.25 becomes
    0.0125. The missing-value codes ``-99.99`` and ``-999`` (compared as
    numbers, before the division) and empty fields become NaN.

    Dates: ``YYYY`` becomes December 31 of that year; ``YYYYMM`` the last
    calendar day of the month (``202001`` -> 2020-01-31); a daily
    ``YYYYMMDD`` the date itself. A weekly ``YYYYMMDD`` is the last trading
    day of a calendar week and becomes the Friday of its Monday-Sunday week,
    which is the label ``resample("W-FRI")`` gives a price series for the
    same week whenever the market does not trade on weekends (since 1952).
    Earlier weeks ended on Saturdays: ``W-FRI`` would move those to the
    *next* Friday, where some collide with the following week (1926-12-18,
    a Saturday, and 1926-12-24, a Friday), so the Monday-Sunday rule is used
    instead.
    """
    blocks: dict[str, pd.DataFrame] = {}
    for table in parse_french_tables(text, name=name, weekly=weekly):
        key: str = table.kind
        n = 2
        while key in blocks:
            key = f"{table.kind}_{n}"
            n += 1
        blocks[key] = table.frame
    return blocks


# --------------------------------------------------------------------------- weekly


def compound_to_weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Compound daily decimal returns into weekly returns labelled by Friday.

    Parameters
    ----------
    daily
        Decimal daily returns indexed by date (sorted, unique).

    Returns
    -------
    DataFrame
        Same columns; one row per week, indexed by the Friday of the week.

    Notes
    -----
    Each column is compounded within Monday-Sunday weeks,
    :math:`R_w = \\prod_{d \\in w} (1 + r_d) - 1`, and labelled with the week's
    Friday, the label ``resample("W-FRI")`` gives prices of the same week.
    A week in which a column has a missing day is NaN for that column, never
    compounded over the gap. The last week is dropped when the data stop
    before its Friday (French's daily files end on the last trading day of a
    month), because its return would cover only part of the week that a
    weekly price return covers; a final week that ends on Thursday because
    Friday was a holiday is dropped too, having no calendar to tell the two
    apart.

    Compounding ``Mkt-RF`` directly gives :math:`\\prod(1 + r_m - r_f) - 1`,
    which differs from the weekly market return minus the weekly risk-free
    return by cross terms of order :math:`r_f \\cdot r_m` (around 1e-5 in a week).
    """
    if daily.empty:
        return daily.copy()
    index = pd.DatetimeIndex(daily.index)
    week = _week_friday(index)
    grouped = (1.0 + daily).groupby(week)
    weekly = grouped.prod() - 1.0
    weekly[daily.isna().groupby(week).any()] = np.nan
    if index[-1] < week[-1]:
        weekly = weekly.iloc[:-1]
    weekly.index = pd.DatetimeIndex(weekly.index).rename("date")
    return weekly.astype("float64")


# --------------------------------------------------------------------------- source


class FrenchSource:
    """Fama-French factors downloaded from Kenneth R. French's data library.

    Parameters
    ----------
    get
        Performs the HTTP GET; defaults to :func:`requests.get`. Tests pass a
        fake so that nothing touches the network.
    timeout
        Seconds to wait for the server (connect and read).
    user_agent
        Value of the ``User-Agent`` header sent with every request.
    base_url
        Folder holding the zip archives.

    Notes
    -----
    Datasets, their columns and the archives they come from (the daily and
    weekly archives insert ``_daily`` or ``_weekly`` before ``_CSV.zip``;
    the full list is :data:`FILES`):

    - ``ff3``: ``Mkt-RF SMB HML RF`` from ``F-F_Research_Data_Factors_CSV.zip``;
    - ``ff5``: ``Mkt-RF SMB HML RMW CMA RF`` from
      ``F-F_Research_Data_5_Factors_2x3_CSV.zip``;
    - ``mom``: ``Mom`` from ``F-F_Momentum_Factor_CSV.zip``.

    French publishes weekly returns for ``ff3`` only. Weekly ``ff5`` and
    ``mom`` are built from the daily files by :func:`compound_to_weekly`:
    ``prod(1 + r) - 1`` within each Monday-Sunday week, labelled with its
    Friday (the ``W-FRI`` label of modern data), dropping a final partial
    week. French's own weekly ``RF`` is instead the rate that compounds to
    the month's T-bill return over four weeks, so weekly ``ff3`` and
    ``ff5`` differ slightly in ``RF`` and in the market factor.

    :meth:`fetch_returns` delivers the return datasets of
    :data:`~analysis.data.base.RETURN_DATASETS`: ``ff3`` (with the total
    market return ``Mkt = Mkt-RF + RF``) and ``mom`` from the factor files
    above, and ``ind12``, the 12 industry portfolios, from
    ``12_Industry_Portfolios_CSV.zip`` (monthly) or
    ``12_Industry_Portfolios_daily_CSV.zip`` (daily; weekly is compounded
    from daily like ``mom``). Those files hold several tables per frequency;
    the first, *Average Value Weighted Returns*, is the one returned, and its
    title is checked.

    Monthly returns are indexed by the last calendar day of the month,
    daily by the trading date; see :func:`parse_french_csv`. Wrap the source
    in :class:`~analysis.data.cache.CachedPriceSource` to download each
    dataset once and reuse it offline.
    """

    name = "french"

    def __init__(
        self,
        *,
        get: HttpGet | None = None,
        timeout: float = 30.0,
        user_agent: str = DEFAULT_USER_AGENT,
        base_url: str = BASE_URL,
    ) -> None:
        self._get: HttpGet = get if get is not None else _requests_get
        self.timeout = timeout
        self.user_agent = user_agent
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def fetch_factors(self, dataset: FactorDataset, frequency: Frequency) -> pd.DataFrame:
        """Decimal factor returns with the columns of ``FACTOR_DATASETS[dataset]``.

        Parameters
        ----------
        dataset
            ``"ff3"``, ``"ff5"`` or ``"mom"``.
        frequency
            ``"daily"``, ``"weekly"`` or ``"monthly"``.

        Raises
        ------
        DataError
            For an unknown dataset or frequency, an archive without a CSV
            file, or a CSV whose table lacks one of the expected factors.
        SourceUnavailableError
            If the server cannot be reached or answers with an HTTP error.
        """
        if dataset not in FACTOR_DATASETS:
            allowed = ", ".join(map(repr, FACTOR_DATASETS))
            raise DataError(f"french: unknown dataset {dataset!r}; allowed: {allowed}")
        if frequency not in FREQUENCIES:
            allowed = ", ".join(map(repr, FREQUENCIES))
            raise DataError(f"french: unknown frequency {frequency!r}; allowed: {allowed}")
        if (dataset, frequency) not in FILES and frequency == "weekly":
            return compound_to_weekly(self.fetch_factors(dataset, "daily"))
        return self._fetch_table(dataset, frequency)

    def fetch_returns(self, dataset: ReturnDataset, frequency: Frequency) -> pd.DataFrame:
        """Decimal simple returns with the columns of ``RETURN_DATASETS[dataset]``, in order.

        Parameters
        ----------
        dataset
            ``"ff3"`` (``Mkt Mkt-RF SMB HML RF``), ``"mom"`` or ``"ind12"``.
        frequency
            ``"daily"``, ``"weekly"`` or ``"monthly"``.

        Raises
        ------
        DataError
            For an unknown dataset or frequency, or a file whose first table
            of the frequency is not the value-weighted returns or lacks an
            industry.
        SourceUnavailableError
            If the server cannot be reached or answers with an HTTP error.

        Notes
        -----
        ``Mkt`` is ``Mkt-RF + RF`` of the same file
        (:func:`~analysis.data.base.with_market_return`); for weekly data that
        is French's weekly file, whose ``RF`` compounds to the month's T-bill
        return over four weeks. ``ind12`` values are the *value-weighted*
        average returns of the industries, percent divided by 100, missing
        codes as NaN; weekly ``ind12`` is :func:`compound_to_weekly` of the
        daily file, so a week with a missing day is NaN.
        """
        if dataset not in RETURN_DATASETS:
            allowed = ", ".join(map(repr, RETURN_DATASETS))
            raise DataError(f"french: unknown return dataset {dataset!r}; allowed: {allowed}")
        if frequency not in FREQUENCIES:
            allowed = ", ".join(map(repr, FREQUENCIES))
            raise DataError(f"french: unknown frequency {frequency!r}; allowed: {allowed}")
        if dataset == "ff3":
            factors = self.fetch_factors("ff3", frequency)
            what = f"french: ff3 {frequency}"
            return with_market_return(factors, what=what)[list(RETURN_DATASETS["ff3"])]
        if dataset == "mom":
            return self.fetch_factors("mom", frequency)
        if frequency == "weekly":
            return compound_to_weekly(self.fetch_returns("ind12", "daily"))
        return self._fetch_industries(frequency)

    def url(self, dataset: FactorDataset, frequency: Frequency) -> str:
        """The archive's URL for a dataset French publishes at that frequency."""
        return self.base_url + FILES[(dataset, frequency)]

    def _fetch_table(self, dataset: FactorDataset, frequency: Frequency) -> pd.DataFrame:
        url = self.url(dataset, frequency)
        archive = FILES[(dataset, frequency)]
        member, text = _read_csv_member(self._download(url), archive=archive)
        what = f"french: {archive} ({member})"
        blocks = parse_french_csv(text, name=what, weekly=frequency == "weekly")
        if frequency not in blocks:
            raise DataError(f"{what}: no {frequency} table; found {', '.join(blocks) or 'none'}")
        table = blocks[frequency]
        by_key = {str(col).strip().lower(): col for col in table.columns}
        wanted = FACTOR_DATASETS[dataset]
        missing = [f for f in wanted if f.lower() not in by_key]
        if missing:
            raise DataError(
                f"{what}: header lacks {', '.join(map(repr, missing))}; "
                f"found {', '.join(map(repr, map(str, table.columns)))}"
            )
        frame = pd.DataFrame(
            {f: table[by_key[f.lower()]].to_numpy(dtype="float64") for f in wanted},
            index=table.index,
        )
        return clean_index(frame, what=what)

    def _fetch_industries(self, frequency: Frequency) -> pd.DataFrame:
        archive = INDUSTRY_FILES[frequency]
        member, text = _read_csv_member(self._download(self.base_url + archive), archive=archive)
        what = f"french: {archive} ({member})"
        tables = parse_french_tables(text, name=what, weekly=False)
        first = next((t for t in tables if t.kind == frequency), None)
        if first is None:
            found = ", ".join(dict.fromkeys(t.kind for t in tables))
            raise DataError(f"{what}: no {frequency} table; found {found}")
        # The file also has equal-weighted returns and firm counts with the same
        # header and dates; only the title tells them apart, so a reordered file
        # must fail here rather than deliver the wrong table.
        if _VALUE_WEIGHTED.search(first.title) is None:
            raise DataError(
                f"{what}: line {first.line}: the first {frequency} table is titled "
                f"{first.title!r}; expected 'Average Value Weighted Returns'"
            )
        table = first.frame
        by_key = {str(col).strip().lower(): col for col in table.columns}
        wanted = RETURN_DATASETS["ind12"]
        missing = [c for c in wanted if c.lower() not in by_key]
        if missing:
            raise DataError(
                f"{what}: header of {first.title!r} lacks {', '.join(map(repr, missing))}; "
                f"found {', '.join(map(repr, map(str, table.columns)))}"
            )
        frame = pd.DataFrame(
            {c: table[by_key[c.lower()]].to_numpy(dtype="float64") for c in wanted},
            index=table.index,
        )
        return clean_index(frame, what=what)

    def _download(self, url: str) -> bytes:
        headers = {"User-Agent": self.user_agent}
        try:
            response = self._get(url, headers=headers, timeout=self.timeout)
        except (requests.RequestException, OSError) as exc:
            reason = _one_line(f"{type(exc).__name__}: {exc}")
            raise SourceUnavailableError(f"french: could not download {url}: {reason}") from exc
        status = int(response.status_code)
        if status >= 400:
            reason = _one_line(str(response.reason or "").strip()) or "no reason given"
            raise SourceUnavailableError(
                f"french: could not download {url}: HTTP {status} {reason}"
            )
        return bytes(response.content)


def _read_csv_member(payload: bytes, *, archive: str) -> tuple[str, str]:
    """The name and decoded text of the CSV file inside a library zip archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as zf:
            csvs = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if not csvs:
                found = ", ".join(zf.namelist()) or "nothing"
                raise DataError(f"french: {archive} holds no .csv file (found: {found})")
            member = csvs[0]
            raw = zf.read(member)
    except zipfile.BadZipFile as exc:
        start = _one_line(payload[:60].decode("latin-1"), limit=60)
        raise DataError(
            f"french: {archive} is not a zip archive ({len(payload)} bytes starting {start!r})"
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return member, text
