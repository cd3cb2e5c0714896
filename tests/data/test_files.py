"""FileSource: the user's own price and factor files, in CSV or parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.data.base import DataWarning, FactorSource, PriceSource
from analysis.data.files import FileSource
from analysis.data.sample import SampleSource
from analysis.data.sample import catalog as cat
from analysis.errors import DataError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
PRICES_CSV = FIXTURES / "prices.csv"
FACTORS_CSV = FIXTURES / "factors_monthly.csv"
SAMPLE_DIR = Path(cat.__file__).parent


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def monthly_factors(n: int = 24, *, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(20240131)
    index = pd.date_range("2010-01-31", periods=n, freq="ME", name="date")
    frame = pd.DataFrame(
        rng.normal(0.005, 0.04, size=(n, 6)) * scale,
        index=index,
        columns=["Mkt-RF", "SMB", "HML", "RMW", "CMA", "Mom"],
    )
    frame["RF"] = 0.001 * scale
    return frame


# --- the fixtures and the protocols --------------------------------------------------------


def test_file_source_meets_both_protocols() -> None:
    source = FileSource(prices=PRICES_CSV, factors=FACTORS_CSV)
    assert isinstance(source, PriceSource)
    assert isinstance(source, FactorSource)
    assert source.name == "csv"


def test_fixtures_are_cut_from_the_sample() -> None:
    sample = SampleSource()
    expected = sample.fetch_prices(
        ["AAPL", "MSFT", "XOM", "^GSPC"], pd.Timestamp("2020-01-02"), pd.Timestamp("2020-03-31")
    ).prices
    got = FileSource(prices=PRICES_CSV).fetch_prices(["AAPL", "MSFT", "XOM", "^GSPC"])
    assert got.failed == {}
    pd.testing.assert_frame_equal(got.prices, expected, check_exact=True)

    ff3 = sample.fetch_factors("ff3", "monthly").loc["2010":"2016"]
    mom = sample.fetch_factors("mom", "monthly").loc["2010":"2016"]
    source = FileSource(factors=FACTORS_CSV)
    pd.testing.assert_frame_equal(source.fetch_factors("ff3", "monthly"), ff3, atol=1e-15, rtol=0)
    pd.testing.assert_frame_equal(source.fetch_factors("mom", "monthly"), mom, atol=1e-15, rtol=0)


def test_reading_the_sample_parquet_agrees_with_sample_source() -> None:
    # Independent path to the same data: FileSource's parquet reader vs SampleSource.
    tickers = ["^NSEI", "AAPL", "XLF"]
    start, end = pd.Timestamp("2012-01-01"), pd.Timestamp("2012-03-31")
    from_file = FileSource(prices=SAMPLE_DIR / cat.PRICES_FILE).fetch_prices(tickers, start, end)
    from_sample = SampleSource().fetch_prices(tickers, start, end)
    pd.testing.assert_frame_equal(from_file.prices, from_sample.prices, check_exact=True)


def test_sample_portfolios_work_as_a_custom_factor_file() -> None:
    frame = FileSource(factors=SAMPLE_DIR / cat.PORTFOLIOS_FILE).read_factor_file()
    pd.testing.assert_frame_equal(frame, SampleSource.load_portfolios(), check_exact=True)


# --- prices ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_price_round_trip(tmp_path: Path, suffix: str) -> None:
    prices = pd.DataFrame(
        {"AAPL": [100.0, 101.5, np.nan, 99.25], "BRK-B": [300.0, 301.0, 302.5, 303.0]},
        index=pd.DatetimeIndex(
            ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], name="date"
        ),
    )
    path = tmp_path / f"prices{suffix}"
    if suffix == ".csv":
        prices.to_csv(path)
    else:
        prices.reset_index().to_parquet(path, index=False)
    batch = FileSource(prices=path).fetch_prices(["AAPL", "BRK-B"])
    assert batch.source == "csv"
    assert batch.failed == {}
    pd.testing.assert_frame_equal(
        batch.prices, prices.set_axis(prices.index.as_unit("ns")), check_exact=True
    )
    assert batch.prices.index.freq is None


def test_parquet_saved_with_its_date_index(tmp_path: Path) -> None:
    prices = pd.DataFrame(
        {"SPY": [400.0, 401.0]}, index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="date")
    )
    prices.to_parquet(tmp_path / "p.parquet")
    batch = FileSource(prices=tmp_path / "p.parquet").fetch_prices(["SPY"])
    assert list(batch.prices["SPY"]) == [400.0, 401.0]


def test_price_window_is_inclusive_and_order_follows_the_request() -> None:
    batch = FileSource(prices=PRICES_CSV).fetch_prices(
        ["^GSPC", "AAPL"], pd.Timestamp("2020-01-03"), pd.Timestamp("2020-01-07")
    )
    assert list(batch.prices.columns) == ["^GSPC", "AAPL"]
    assert list(batch.prices.index) == list(
        pd.to_datetime(["2020-01-03", "2020-01-06", "2020-01-07"])
    )
    # prices.csv line 3: "2020-01-03,72.635,153.487,58.06,3234.85"
    assert batch.prices.loc[pd.Timestamp("2020-01-03"), "AAPL"] == 72.635


@settings(max_examples=25, deadline=None)
@given(st.permutations(["AAPL", "MSFT", "XOM", "^GSPC"]))
def test_request_order_does_not_change_the_values(order: list[str]) -> None:
    batch = FileSource(prices=PRICES_CSV).fetch_prices(order)
    assert list(batch.prices.columns) == order
    reference = FileSource(prices=PRICES_CSV).fetch_prices(sorted(order)).prices
    pd.testing.assert_frame_equal(batch.prices[sorted(order)], reference)


def test_absent_ticker_fails_with_a_reason_naming_the_file() -> None:
    batch = FileSource(prices=PRICES_CSV).fetch_prices(["AAPL", "TSLA", "msft"])
    assert list(batch.prices.columns) == ["AAPL"]
    assert batch.failed["TSLA"] == (
        f"not a column of {PRICES_CSV}; its tickers are AAPL, MSFT, XOM, ^GSPC"
    )
    assert "(did you mean 'MSFT'?)" in batch.failed["msft"]


def test_ticker_without_prices_in_the_window_fails() -> None:
    batch = FileSource(prices=PRICES_CSV).fetch_prices(
        ["AAPL"], pd.Timestamp("2021-01-01"), pd.Timestamp("2021-12-31")
    )
    assert batch.prices.empty
    assert batch.failed["AAPL"] == (
        f"{PRICES_CSV}: no prices for AAPL between 2021-01-01 and 2021-12-31; "
        "the file has them from 2020-01-02 to 2020-03-31"
    )


def test_non_numeric_price_fails_that_ticker_only(tmp_path: Path) -> None:
    path = write(tmp_path, "date,AAPL,MSFT\n2024-01-02,1.5,2\n2024-01-03,1.6,n/a?\n")
    batch = FileSource(prices=path).fetch_prices(["AAPL", "MSFT"])
    assert list(batch.prices.columns) == ["AAPL"]
    assert batch.failed["MSFT"] == (
        f"{path}: column 'MSFT' has a value that is not a number on line 3: 'n/a?'"
    )


def test_non_positive_price_fails_that_ticker(tmp_path: Path) -> None:
    path = write(tmp_path, "date,AAPL,MSFT\n2024-01-02,1.5,2\n2024-01-03,1.6,0\n")
    batch = FileSource(prices=path).fetch_prices(["AAPL", "MSFT"])
    assert list(batch.prices.columns) == ["AAPL"]
    assert batch.failed["MSFT"].startswith(f"{path}: column 'MSFT': 1 non-positive")


def test_empty_price_column_fails_that_ticker(tmp_path: Path) -> None:
    path = write(tmp_path, "date,AAPL,MSFT\n2024-01-02,1.5,\n2024-01-03,1.6,\n")
    batch = FileSource(prices=path).fetch_prices(["AAPL", "MSFT"])
    assert batch.failed == {"MSFT": f"{path}: column 'MSFT' is empty"}


def test_price_file_with_only_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "date\n2024-01-02\n")
    with pytest.raises(DataError, match=r"data.csv: no ticker columns besides 'date'"):
        FileSource(prices=path).fetch_prices(["AAPL"])


def test_start_after_end_is_an_error() -> None:
    with pytest.raises(DataError, match=r"start 2020-03-01 is after end 2020-01-01"):
        FileSource(prices=PRICES_CSV).fetch_prices(
            ["AAPL"], pd.Timestamp("2020-03-01"), pd.Timestamp("2020-01-01")
        )


# --- dates -------------------------------------------------------------------------------------


def test_date_header_is_case_insensitive_and_a_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeffDate,SPY\n2024-01-02,470.1\n".encode())
    assert FileSource(prices=path).fetch_prices(["SPY"]).prices["SPY"].iloc[0] == 470.1


def test_french_style_integer_dates(tmp_path: Path) -> None:
    monthly = write(tmp_path, "date,Mom\n192607,0.01\n192608,0.02\n192609,0.03\n", "m.csv")
    frame = FileSource(factors=monthly).fetch_factors("mom", "monthly")
    assert list(frame.index) == list(pd.to_datetime(["1926-07-31", "1926-08-31", "1926-09-30"]))
    daily = write(tmp_path, "date,Mom\n19260701,0.001\n19260702,0.002\n19260706,0.003\n", "d.csv")
    frame = FileSource(factors=daily).fetch_factors("mom", "daily")
    assert frame.index[2] == pd.Timestamp("1926-07-06")


def test_timestamps_with_offsets_keep_their_local_date(tmp_path: Path) -> None:
    # yfinance exports write the exchange's midnight with its offset, which changes with DST.
    path = write(
        tmp_path, "date,SPY\n2024-03-08 00:00:00-05:00,510.0\n2024-03-11 00:00:00-04:00,511.0\n"
    )
    batch = FileSource(prices=path).fetch_prices(["SPY"])
    assert list(batch.prices.index) == list(pd.to_datetime(["2024-03-08", "2024-03-11"]))
    assert batch.prices.index.tz is None


def test_ambiguous_dates_are_rejected_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "date,SPY\n2024-01-02,1\n03/01/2024,2\n")
    with pytest.raises(
        DataError,
        match=r"data.csv: '03/01/2024' on line 3 is not a date; write dates as YYYY-MM-DD",
    ):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_missing_date_is_rejected_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "date,SPY\n2024-01-02,1\n,2\n")
    with pytest.raises(DataError, match=r"data.csv: no date on line 3"):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_no_date_column(tmp_path: Path) -> None:
    path = write(tmp_path, "day,SPY\n2024-01-02,1\n")
    with pytest.raises(DataError, match=r"data.csv: no 'date' column \(found 'day', 'SPY'\)"):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_unsorted_dates_are_sorted_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "date,SPY\n2024-01-03,2\n2024-01-02,1\n")
    with pytest.warns(DataWarning, match=r"data.csv: dates were not sorted; sorted them"):
        batch = FileSource(prices=path).fetch_prices(["SPY"])
    assert list(batch.prices["SPY"]) == [1.0, 2.0]


def test_identical_duplicate_rows_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "date,SPY\n2024-01-02,1\n2024-01-02,1.0\n2024-01-03,2\n")
    with pytest.warns(DataWarning, match=r"data.csv: dropped 1 duplicate row"):
        batch = FileSource(prices=path).fetch_prices(["SPY"])
    assert len(batch.prices) == 2


def test_conflicting_duplicate_dates_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "date,Mom\n2024-01-31,0.01\n2024-01-31,0.02\n", "f.csv")
    with pytest.raises(
        DataError, match=r"f.csv: duplicate dates with different values \(2024-01-31\)"
    ):
        FileSource(factors=path).read_factor_file()


# --- file-level errors ----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError, match=r"nope.csv: prices file not found \(looked for /"):
        FileSource(prices=path).fetch_prices(["SPY"])
    with pytest.raises(DataError, match=r"nope.csv: factors file not found"):
        FileSource(factors=path).fetch_factors("ff3", "monthly")


def test_no_file_given() -> None:
    with pytest.raises(DataError, match=r"csv: no prices file was given"):
        FileSource(factors=FACTORS_CSV).fetch_prices(["SPY"])
    with pytest.raises(DataError, match=r"csv: no factors file was given"):
        FileSource(prices=PRICES_CSV).fetch_factors("ff3", "monthly")


def test_folder_and_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"is a folder, not a prices file"):
        FileSource(prices=tmp_path).fetch_prices(["SPY"])
    path = write(tmp_path, "date,SPY\n", "prices.xlsx")
    with pytest.raises(DataError, match=r"prices.xlsx: unsupported file type '.xlsx'; use .csv, "):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data.csv: file is empty"):
        FileSource(prices=write(tmp_path, "")).fetch_prices(["SPY"])
    with pytest.raises(DataError, match=r"data.csv: factors file has no data rows"):
        FileSource(factors=write(tmp_path, "date,Mom\n")).read_factor_file()
    empty = tmp_path / "empty.parquet"
    pd.DataFrame({"date": pd.to_datetime([]), "SPY": []}).to_parquet(empty, index=False)
    with pytest.raises(DataError, match=r"empty.parquet: prices file has no data rows"):
        FileSource(prices=empty).fetch_prices(["SPY"])


def test_duplicated_column_names(tmp_path: Path) -> None:
    path = write(tmp_path, "date,SPY,SPY\n2024-01-02,1,2\n")
    with pytest.raises(DataError, match=r"data.csv: column name\(s\) 'SPY' appear more than once"):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("date,Soci\xe9t\xe9\n2024-01-02,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin.csv: not UTF-8 text"):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(DataError, match=r"bad.parquet: cannot be read as parquet"):
        FileSource(prices=path).fetch_prices(["SPY"])


def test_malformed_csv(tmp_path: Path) -> None:
    path = write(tmp_path, 'date,SPY\n2024-01-02,"1\n')
    with pytest.raises(DataError, match=r"data.csv: cannot be read as CSV"):
        FileSource(prices=path).fetch_prices(["SPY"])


# --- factors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_factor_round_trip(tmp_path: Path, suffix: str) -> None:
    factors = monthly_factors()
    path = tmp_path / f"factors{suffix}"
    if suffix == ".csv":
        factors.to_csv(path)
    else:
        factors.reset_index().to_parquet(path, index=False)
    source = FileSource(factors=path)
    ff5 = source.fetch_factors("ff5", "monthly")
    factors.index = pd.DatetimeIndex(factors.index.as_unit("ns"), freq=None)
    expected = factors[["Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"]]
    pd.testing.assert_frame_equal(ff5, expected, check_exact=True)
    pd.testing.assert_frame_equal(source.read_factor_file(), factors, check_exact=True)


def test_factor_file_without_rf_serves_custom_models_but_not_ff3(tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    monthly_factors().drop(columns="RF").to_csv(path)
    source = FileSource(factors=path)
    assert "RF" not in source.read_factor_file().columns
    assert list(source.fetch_factors("mom", "monthly").columns) == ["Mom"]
    with pytest.raises(
        DataError, match=r"custom.csv \(factor dataset 'ff3'\): missing column\(s\) 'RF'; found "
    ):
        source.fetch_factors("ff3", "monthly")


def test_missing_factor_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"missing column\(s\) 'RMW', 'CMA'; found 'Mkt-RF', 'SMB'"):
        FileSource(factors=FACTORS_CSV).fetch_factors("ff5", "monthly")


def test_percent_factors_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "percent.csv"
    monthly_factors(scale=100).to_csv(path)
    with pytest.raises(
        DataError,
        match=r"percent.csv: factor returns must be decimal returns \(0.01 = 1%\), but column "
        r"'Mkt-RF' has a median absolute value of [\d.]+, which looks like percent; divide",
    ):
        FileSource(factors=path).fetch_factors("ff3", "monthly")


def test_decimal_daily_factors_are_accepted(tmp_path: Path) -> None:
    # Quiet decimal data must not trip the percent heuristic.
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2024-01-01", periods=60, name="date")
    frame = pd.DataFrame({"Mom": rng.normal(0, 0.01, 60)}, index=index)
    path = tmp_path / "daily.csv"
    frame.to_csv(path)
    got = FileSource(factors=path).fetch_factors("mom", "daily")
    np.testing.assert_array_equal(got["Mom"].to_numpy(), frame["Mom"].to_numpy())


def test_non_numeric_factor_is_an_error_naming_column_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "date,Mom,RF\n2024-01-31,0.01,0.001\n2024-02-29,1.2%,0.001\n")
    with pytest.raises(
        DataError,
        match=r"data.csv: column 'Mom' has a value that is not a number on line 3: '1.2%'",
    ):
        FileSource(factors=path).read_factor_file()


def test_non_numeric_factor_in_parquet_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-31", "2024-02-29"]), "Mom": ["0.01", "x"]}
    )
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"f.parquet: column 'Mom' .* not a number on row 2: 'x'"):
        FileSource(factors=path).read_factor_file()


def test_infinite_and_empty_factor_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "date,Mom\n2024-01-31,0.01\n2024-02-29,inf\n")
    with pytest.raises(DataError, match=r"column 'Mom' has an infinite value on line 3"):
        FileSource(factors=path).read_factor_file()
    path = write(tmp_path, "date,Mom,SMB\n2024-01-31,0.01,\n2024-02-29,0.02,\n")
    with pytest.raises(DataError, match=r"data.csv: column 'SMB' is empty"):
        FileSource(factors=path).read_factor_file()


def test_factor_file_with_only_dates(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no factor columns besides 'date'"):
        FileSource(factors=write(tmp_path, "date\n2024-01-31\n")).read_factor_file()


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_frequency_must_match_the_dates(frequency: str) -> None:
    with pytest.raises(
        DataError,
        match=rf"factors_monthly.csv: dates are a median 3\d day\(s\) apart, which is not "
        rf"{frequency}",
    ):
        FileSource(factors=FACTORS_CSV).fetch_factors("ff3", frequency)  # type: ignore[arg-type]


def test_unknown_dataset_or_frequency() -> None:
    source = FileSource(factors=FACTORS_CSV)
    with pytest.raises(
        DataError, match=r"unknown factor dataset 'ff6'; expected one of ff3, ff5, mom"
    ):
        source.fetch_factors("ff6", "monthly")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"unknown frequency 'yearly'"):
        source.fetch_factors("ff3", "yearly")  # type: ignore[arg-type]
