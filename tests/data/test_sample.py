"""The bundled sample dataset: files, PROVENANCE.md claims, SampleSource behaviour, build script."""

from __future__ import annotations

import bz2
import hashlib
import importlib.metadata
import importlib.util
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data.base import (
    FACTOR_DATASETS,
    FactorSource,
    PriceSource,
    frame_hash,
)
from analysis.data.sample import SampleSource, build
from analysis.data.sample import catalog as cat
from analysis.data.sample.source import _load
from analysis.errors import DataError, UnknownTickerError

SAMPLE_DIR = Path(cat.__file__).parent
PROVENANCE = (SAMPLE_DIR / cat.PROVENANCE_FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return _load(cat.PRICES_FILE)


@pytest.fixture(scope="module")
def factors() -> pd.DataFrame:
    return _load(cat.FACTORS_FILE)


@pytest.fixture(scope="module")
def portfolios() -> pd.DataFrame:
    return _load(cat.PORTFOLIOS_FILE)


def _on_cent_grid(values: pd.Series) -> bool:
    cents = values.dropna().to_numpy() * 100
    return bool(np.all(np.abs(cents - np.round(cents)) < 0.002))


# --- the files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", cat.PARQUET_FILES)
def test_files_are_small_and_indexed_by_sorted_unique_naive_dates(name: str) -> None:
    assert (SAMPLE_DIR / name).stat().st_size < 2_000_000
    frame = _load(name)
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "date"
    assert frame.index.tz is None
    assert frame.index.is_unique and frame.index.is_monotonic_increasing
    assert (frame.index == frame.index.normalize()).all()
    assert set(frame.dtypes) == {np.dtype("float64")}
    assert not frame.isna().all(axis=1).any()


def test_prices_have_the_documented_columns(prices: pd.DataFrame) -> None:
    assert list(prices.columns) == list(cat.PRICE_COLUMNS)
    assert len(prices.columns) == 51
    for ticker in ("AAPL", "XOM", "^GSPC", "^NSEI", "^IXIC", "SPY", "XLF", "XLU", "MTUM", "VLUE"):
        assert ticker in prices.columns
    assert (prices.stack().dropna() > 0).all()


def test_factor_and_portfolio_columns(factors: pd.DataFrame, portfolios: pd.DataFrame) -> None:
    assert list(factors.columns) == ["Mkt-RF", "SMB", "HML", "Mom", "RF"]
    assert list(portfolios.columns) == list(cat.PORTFOLIO_COLUMNS)
    assert len(portfolios.columns) == 30


@pytest.mark.parametrize("name", cat.PARQUET_FILES)
def test_content_hash_is_the_one_in_provenance(name: str) -> None:
    row = next(line for line in PROVENANCE.splitlines() if line.startswith(f"| `{name}` |"))
    documented = re.findall(r"`([0-9a-f]{64})`", row)
    assert documented == [frame_hash(_load(name))]


def test_provenance_price_table_matches_the_data() -> None:
    table = {
        m[1]: (m[2], m[3], int(m[4]), m[5])
        for m in re.finditer(
            r"^\| (\S+) \| (\d{4}-\d\d-\d\d) \| (\d{4}-\d\d-\d\d) \| (\d+) \| ([^|]+) \|",
            PROVENANCE,
            flags=re.MULTILINE,
        )
    }
    available = SampleSource.available()
    assert list(table) == list(available.index)
    for symbol, (first, last, days, kind) in table.items():
        row = available.loc[symbol]
        assert (f"{row['first']:%Y-%m-%d}", f"{row['last']:%Y-%m-%d}") == (first, last)
        assert (int(row["days"]), str(row["kind"])) == (days, kind)


# --- PROVENANCE claims and pinned values --------------------------------------------------


def test_date_ranges(prices: pd.DataFrame, factors: pd.DataFrame) -> None:
    def span(ticker: str) -> tuple[str, str]:
        s = prices[ticker].dropna()
        return f"{s.index[0]:%Y-%m-%d}", f"{s.index[-1]:%Y-%m-%d}"

    assert span("^GSPC") == ("1990-01-02", "2022-12-28")
    assert span("AAPL") == ("1990-01-02", "2022-12-28")
    assert span("^NSEI") == ("2012-01-02", "2022-12-30")
    assert span("^IXIC") == ("1999-01-04", "2018-12-31")
    assert span("SPY") == ("2008-01-02", "2016-07-01")
    assert span("MTUM") == ("2014-01-02", "2022-12-28")
    assert prices["^GSPC"].count() == 8313  # skfolio documents 8313 observations
    assert prices["MTUM"].count() == 2264  # skfolio documents 2264 observations
    assert (factors.index[0], factors.index[-1]) == (
        pd.Timestamp("1949-01-31"),
        pd.Timestamp("2017-03-31"),
    )
    assert len(factors) == 819
    assert factors.index.is_month_end.all()


@pytest.mark.parametrize(
    ("ticker", "date", "value"),
    [
        # skfolio 1.12.2 sp500_dataset.csv.gz, rows 1990-01-02 and 2022-12-28 (also in the
        # load_sp500_dataset docstring)
        ("AAPL", "1990-01-02", 0.264),
        ("AAPL", "2022-12-28", 125.674),
        ("XOM", "2022-12-28", 106.627),
        # skfolio 1.12.2 sp500_index.csv.gz, first and last rows
        ("^GSPC", "1990-01-02", 359.69),
        ("^GSPC", "2022-12-28", 3783.22),
        # skfolio 1.12.2 factors_dataset.csv.gz, first row
        ("MTUM", "2014-01-02", 52.704),
        # quantmod 0.1.5 nifty50.csv: "02/01/2012,...,4636.75,..." and "30/12/2022,...,18105.30"
        ("^NSEI", "2012-01-02", 4636.75),
        ("^NSEI", "2022-12-30", 18105.30),
        # arch 8.0.0 nasdaq.csv.gz: "10/15/2008,...,1628.329956,1628.329956,2540180000"
        ("^IXIC", "2008-10-15", 1628.329956),
        # mlfinpy 0.1.2 stock_prices.csv, row 2008-01-02, float32 values written in full
        ("SPY", "2008-01-02", 144.92999267578125),
        ("XLF", "2008-01-02", 23.038179397583008),
        ("EEM", "2008-01-02", 49.27333450317383),
    ],
)
def test_pinned_prices(prices: pd.DataFrame, ticker: str, date: str, value: float) -> None:
    # Values are parsed from the source text, so they match to the last bit.
    assert prices.loc[pd.Timestamp(date), ticker] == pytest.approx(value, rel=0, abs=1e-12)


def test_pinned_factors_2008_10(factors: pd.DataFrame) -> None:
    # linearmodels 7.1 french.csv.bz2, row "2008-10-01,-0.1723,-0.0225,-0.0275,0.0783,0.0008,..."
    row = factors.loc[pd.Timestamp("2008-10-31")]
    expected = {"Mkt-RF": -0.1723, "SMB": -0.0225, "HML": -0.0275, "Mom": 0.0783, "RF": 0.0008}
    assert row.to_dict() == pytest.approx(expected, rel=0, abs=1e-12)


def test_pinned_portfolio_1949_01(portfolios: pd.DataFrame) -> None:
    # linearmodels 7.1 french.csv.bz2, first row: NoDur "0.036699999999999997"
    assert portfolios.loc[pd.Timestamp("1949-01-31"), "NoDur"] == 0.036699999999999997


def test_factors_are_decimal_with_momentum(factors: pd.DataFrame) -> None:
    assert not factors.isna().any().any()
    assert (factors.abs() < 1).all().all()
    assert factors["Mkt-RF"].abs().median() < 0.1
    assert factors["Mom"].notna().all()
    # 2-decimal percentages / 100 in the source: rounding to 4 places moves nothing by more
    # than float noise.
    assert (factors - factors.round(4)).abs().max().max() < 1e-15


def test_portfolios_are_total_not_excess_returns(
    factors: pd.DataFrame, portfolios: pd.DataFrame
) -> None:
    industries = portfolios[list(cat.INDUSTRY_PORTFOLIOS)].mean().mean()
    total_market = (factors["Mkt-RF"] + factors["RF"]).mean()
    assert abs(industries - total_market) < abs(industries - factors["Mkt-RF"].mean())


def test_skfolio_prices_are_rounded_to_three_decimals(prices: pd.DataFrame) -> None:
    values = prices[[*cat.SP500_TICKERS, *cat.FACTOR_ETF_TICKERS]].stack().dropna().to_numpy()
    assert np.all(np.abs(values * 1000 - np.round(values * 1000)) < 1e-6)


def test_mlfinpy_etfs_are_split_adjusted_but_not_dividend_adjusted(prices: pd.DataFrame) -> None:
    # A dividend-adjusted history would leave the cent grid and drift against the index.
    plain = [t for t in cat.ETF_TICKERS if t not in ("EEM", "EPP", "FXI", "XLF")]
    assert all(_on_cent_grid(prices[t]) for t in plain)
    ratio = (prices["SPY"] / (prices["^GSPC"] / 10)).dropna()
    assert ratio.between(0.98, 1.02).all()
    assert ratio.iloc[:250].mean() == pytest.approx(ratio.iloc[-250:].mean(), rel=0.01)
    before_split = prices.index < pd.Timestamp("2008-07-24")
    for ticker in ("EEM", "EPP", "FXI"):
        assert _on_cent_grid(prices.loc[before_split, ticker] * 3)
        assert not _on_cent_grid(prices.loc[before_split, ticker])


def test_xlf_is_divided_by_1231(prices: pd.DataFrame) -> None:
    assert _on_cent_grid(prices["XLF"] * 1.231)
    assert not _on_cent_grid(prices["XLF"])
    assert prices.loc[pd.Timestamp("2008-01-02"), "XLF"] * 1.231 == pytest.approx(28.36, abs=1e-5)


def test_nifty_follows_the_indian_calendar(prices: pd.DataFrame) -> None:
    nifty = prices["^NSEI"].dropna()
    weekend = [f"{d:%Y-%m-%d}" for d in nifty.index[nifty.index.day_of_week >= 5]]
    assert weekend == ["2015-02-28", "2019-10-27", "2020-02-01", "2020-11-14"]
    # 2012-01-26 (Republic Day) the NSE was closed, the NYSE open.
    assert np.isnan(prices.loc[pd.Timestamp("2012-01-26"), "^NSEI"])
    assert not np.isnan(prices.loc[pd.Timestamp("2012-01-26"), "^GSPC"])


# --- against the packages themselves, where installed ------------------------------------


def test_factors_equal_linearmodels_exactly(
    factors: pd.DataFrame, portfolios: pd.DataFrame
) -> None:
    french = pytest.importorskip(
        "linearmodels.datasets.french", reason="linearmodels is not installed"
    )
    data = french.load().set_index("dates")
    data.index = pd.DatetimeIndex(data.index + pd.offsets.MonthEnd(0)).as_unit("ns")
    data.index.name = "date"
    expected = data[["MktRF", "SMB", "HML", "Mom", "RF"]].rename(columns={"MktRF": "Mkt-RF"})
    pd.testing.assert_frame_equal(factors, expected, check_exact=True)
    pd.testing.assert_frame_equal(portfolios, data[list(cat.PORTFOLIO_COLUMNS)], check_exact=True)


def test_nasdaq_equals_arch_exactly(prices: pd.DataFrame) -> None:
    nasdaq = pytest.importorskip("arch.data.nasdaq", reason="arch is not installed")
    expected = nasdaq.load()["Adj Close"]
    got = prices["^IXIC"].dropna()
    np.testing.assert_array_equal(got.index.to_numpy(), expected.index.as_unit("ns").to_numpy())
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("member", [cat.NASDAQ, cat.FRENCH, cat.ARCH_SP500], ids=lambda m: m.path)
def test_pinned_member_hash_matches_the_installed_package(member: cat.Member) -> None:
    spec = importlib.util.find_spec(member.project)
    if spec is None or spec.origin is None:
        pytest.skip(f"{member.project} is not installed")
    installed = Path(spec.origin).parent.parent / member.path
    version = cat.WHEELS[member.project].version
    dist = importlib.metadata.version(member.project)
    if dist != version:
        pytest.skip(f"{member.project} {dist} installed, the sample pins {version}")
    assert hashlib.sha256(installed.read_bytes()).hexdigest() == member.sha256


# --- SampleSource ---------------------------------------------------------------------------


def test_sample_source_meets_both_protocols() -> None:
    source = SampleSource()
    assert isinstance(source, PriceSource)
    assert isinstance(source, FactorSource)
    assert source.name == "sample"


def test_fetch_prices_selects_slices_inclusively_and_keeps_request_order() -> None:
    batch = SampleSource().fetch_prices(
        ["MSFT", "AAPL", "MSFT"], pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-31")
    )
    assert batch.source == "sample"
    assert batch.failed == {}
    assert list(batch.prices.columns) == ["MSFT", "AAPL"]
    assert batch.prices.index[0] == pd.Timestamp("2020-01-02")
    assert batch.prices.index[-1] == pd.Timestamp("2020-01-31")
    assert len(batch.prices) == 21  # NYSE trading days in January 2020
    assert batch.prices.index.name == "date"
    assert (batch.prices.dtypes == "float64").all()


def test_fetch_prices_without_bounds_returns_the_whole_series() -> None:
    batch = SampleSource().fetch_prices(["SPY"])
    assert len(batch.prices) == 2141
    assert not batch.prices["SPY"].isna().any()


def test_fetch_prices_drops_rows_where_all_requested_are_missing() -> None:
    source = SampleSource()
    nifty = source.fetch_prices(["^NSEI"], pd.Timestamp("2015-02-27"), pd.Timestamp("2015-03-03"))
    assert pd.Timestamp("2015-02-28") in nifty.prices.index  # Saturday budget session
    assert not nifty.prices["^NSEI"].isna().any()
    us = source.fetch_prices(["AAPL"], pd.Timestamp("2015-02-27"), pd.Timestamp("2015-03-03"))
    assert pd.Timestamp("2015-02-28") not in us.prices.index
    both = source.fetch_prices(
        ["AAPL", "^NSEI"], pd.Timestamp("2015-02-27"), pd.Timestamp("2015-03-03")
    )
    assert pd.Timestamp("2015-02-28") in both.prices.index
    assert np.isnan(both.prices.loc[pd.Timestamp("2015-02-28"), "AAPL"])


def test_unknown_ticker_fails_alone_with_a_helpful_reason() -> None:
    batch = SampleSource().fetch_prices(["AAPL", "TSLA", "gspc"])
    assert list(batch.prices.columns) == ["AAPL"]
    assert set(batch.failed) == {"TSLA", "gspc"}
    assert "not in the sample dataset" in batch.failed["TSLA"]
    assert "AAPL, MSFT, SPY" in batch.failed["TSLA"]
    assert "SampleSource.available()" in batch.failed["TSLA"]
    assert "did you mean ^GSPC?" in batch.failed["gspc"]
    with pytest.raises(UnknownTickerError, match=r"sample: ticker 'TSLA': not in the sample"):
        batch.require("TSLA")


def test_ticker_without_prices_in_the_window_fails_with_its_range() -> None:
    batch = SampleSource().fetch_prices(
        ["SPY", "AAPL"], pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31")
    )
    assert list(batch.prices.columns) == ["AAPL"]
    assert batch.failed["SPY"] == (
        "no prices between 2020-01-01 and 2020-12-31 in the sample dataset, "
        "which has SPY from 2008-01-02 to 2016-07-01"
    )


def test_start_after_end_is_an_error() -> None:
    with pytest.raises(DataError, match=r"start 2020-02-01 is after end 2020-01-01"):
        SampleSource().fetch_prices(
            ["AAPL"], pd.Timestamp("2020-02-01"), pd.Timestamp("2020-01-01")
        )


def test_results_are_copies_of_the_cached_data() -> None:
    source = SampleSource()
    first = source.fetch_prices(["AAPL"]).prices
    first.iloc[0, 0] = -1.0
    assert source.fetch_prices(["AAPL"]).prices.iloc[0, 0] == 0.264
    factors = source.fetch_factors("ff3", "monthly")
    factors.iloc[0, 0] = 99.0
    assert source.fetch_factors("ff3", "monthly").iloc[0, 0] == 0.0023
    portfolios = SampleSource.load_portfolios()
    portfolios.iloc[0, 0] = 99.0
    assert SampleSource.load_portfolios().iloc[0, 0] == 0.036699999999999997


def test_files_are_read_once_per_process() -> None:
    SampleSource().fetch_prices(["AAPL"])
    hits = _load.cache_info().hits
    SampleSource().fetch_prices(["MSFT"])
    assert _load.cache_info().hits == hits + 1
    assert _load(cat.PRICES_FILE) is _load(cat.PRICES_FILE)


@pytest.mark.parametrize("dataset", ["ff3", "mom"])
def test_fetch_factors_bundled(dataset: str) -> None:
    frame = SampleSource().fetch_factors(dataset, "monthly")  # type: ignore[arg-type]
    assert tuple(frame.columns) == FACTOR_DATASETS[dataset]  # type: ignore[index]
    assert len(frame) == 819
    assert frame.index.is_month_end.all()


def test_fetch_factors_other_dataset_says_what_is_bundled() -> None:
    with pytest.raises(DataError) as info:
        SampleSource().fetch_factors("ff5", "monthly")
    message = str(info.value)
    assert "'ff5' at frequency 'monthly' is not bundled" in message
    assert "ff3 (Mkt-RF, SMB, HML, RF) and mom (Mom) at monthly frequency" in message
    assert "1949-01 to 2017-03" in message
    assert "use model ff3" in message
    assert "`data: {source: yahoo}`" in message


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_fetch_factors_other_frequency_suggests_monthly(frequency: str) -> None:
    with pytest.raises(
        DataError, match=rf"'ff3' at frequency '{frequency}' is not bundled"
    ) as info:
        SampleSource().fetch_factors("ff3", frequency)  # type: ignore[arg-type]
    assert "set `frequency: monthly`" in str(info.value)
    assert "`data: {source: yahoo}`" in str(info.value)


def test_available_lists_every_symbol_with_its_range_and_units() -> None:
    available = SampleSource.available()
    assert list(available.index) == list(cat.PRICE_COLUMNS)
    assert list(available.columns) == ["first", "last", "days", "kind", "description", "source"]
    gspc = available.loc["^GSPC"]
    assert (gspc["first"], gspc["last"]) == (pd.Timestamp("1990-01-02"), pd.Timestamp("2022-12-28"))
    assert gspc["kind"] == "index level"
    assert available.loc["AAPL", "kind"] == "adjusted close"
    assert available.loc["SPY", "kind"] == "close, split-adjusted, not dividend-adjusted"
    assert available.loc["^IXIC", "source"] == "arch 8.0.0: arch/data/nasdaq/nasdaq.csv.gz"


def test_load_portfolios() -> None:
    portfolios = SampleSource.load_portfolios()
    assert list(portfolios.columns) == list(cat.PORTFOLIO_COLUMNS)
    assert portfolios.index.equals(SampleSource().fetch_factors("ff3", "monthly").index)


# --- the build script (no downloads) ------------------------------------------------------


def test_every_pinned_wheel_and_member_is_documented() -> None:
    for wheel in cat.WHEELS.values():
        row = f"| {wheel.project} | {wheel.version} | {wheel.licence} | `{wheel.filename}` |"
        assert f"{row} `{wheel.sha256}` |" in PROVENANCE
        assert f"### {wheel.project} {wheel.version} ({wheel.licence})" in PROVENANCE
        assert wheel.filename.startswith(f"{wheel.project}-{wheel.version}-")
        assert re.fullmatch(r"[0-9a-f]{64}", wheel.sha256)
    for member in (*cat.MEMBERS, *cat.CHECK_MEMBERS):
        assert f"| {member.project} | `{member.path}` | `{member.sha256}` |" in PROVENANCE
        assert member.project in cat.WHEELS
    hashes = [m.sha256 for m in (*cat.MEMBERS, *cat.CHECK_MEMBERS)]
    assert len(set(hashes)) == len(hashes)
    assert f"`{build.REBUILD_COMMAND}`" in PROVENANCE
    assert build.REBUILD_COMMAND == "python -m analysis.data.sample.build"


def test_every_price_column_has_one_group_and_a_date_format() -> None:
    assert len(set(cat.PRICE_COLUMNS)) == len(cat.PRICE_COLUMNS)
    for group in cat.PRICE_GROUPS:
        assert group.member in cat.MEMBERS
        for ticker in group.columns:
            assert cat.price_group(ticker) is group
    for member in (*cat.MEMBERS, *cat.CHECK_MEMBERS):
        assert member.path in build._DATE_FORMATS
    with pytest.raises(KeyError):
        cat.price_group("TSLA")


def test_parquet_bytes_are_deterministic_and_round_trip() -> None:
    frame = pd.DataFrame(
        {"A": [1.5, np.nan, 3.25], "^B": [0.1, 0.2, np.nan]},
        index=pd.DatetimeIndex(["2020-01-31", "2020-02-29", "2020-03-31"], name="date"),
    )
    first, second = build.parquet_bytes(frame), build.parquet_bytes(frame.copy())
    assert first == second
    assert b"pandas" not in first  # no version-stamped pandas metadata
    back = build.read_parquet_frame(first)
    pd.testing.assert_frame_equal(back, frame.set_axis(frame.index.as_unit("ns")))
    assert frame_hash(back) == frame_hash(frame.set_axis(frame.index.as_unit("ns")))


def test_build_french_renames_and_dates_by_month_end() -> None:
    header = ",".join(["dates", *cat.FACTOR_COLUMNS, *cat.PORTFOLIO_COLUMNS])
    values = ",".join(["0.01"] * (len(cat.FACTOR_COLUMNS) + len(cat.PORTFOLIO_COLUMNS)))
    text = f"{header}\n2008-02-01,{values}\n2008-10-01,{values}\n"
    factors, portfolios = build.build_french(bz2.compress(text.encode()))
    assert list(factors.columns) == ["Mkt-RF", "SMB", "HML", "Mom", "RF"]
    assert list(factors.index) == [pd.Timestamp("2008-02-29"), pd.Timestamp("2008-10-31")]
    assert list(portfolios.columns) == list(cat.PORTFOLIO_COLUMNS)


def test_read_member_refuses_a_changed_file(tmp_path: Path) -> None:
    wheel = tmp_path / "fake-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("fake/data.csv", "Date,X\n2020-01-02,1\n")
    good = hashlib.sha256(b"Date,X\n2020-01-02,1\n").hexdigest()
    assert build.read_member(wheel, cat.Member("fake", "fake/data.csv", good)).startswith(b"Date")
    with pytest.raises(DataError, match=r"fake/data.csv: sha256 [0-9a-f]{64} does not match"):
        build.read_member(wheel, cat.Member("fake", "fake/data.csv", "0" * 64))


def test_fetch_wheel_refuses_a_wheel_with_another_hash(tmp_path: Path) -> None:
    wheel = cat.WHEELS["mlfinpy"]
    (tmp_path / wheel.filename).write_bytes(b"not the pinned wheel")  # present: no download
    with pytest.raises(DataError, match=r"does not match the pinned 2e0237e0"):
        build.fetch_wheel(wheel, tmp_path)
