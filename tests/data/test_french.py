"""Tests for analysis.data.french: the CSV parser, weekly compounding and FrenchSource.

Everything runs offline: FrenchSource gets a fake HTTP getter that serves the
fixture archives in tests/fixtures/french/ (see the README there for the real
files they mimic). Pinned numbers come from the rows that make_fixtures.py
writes verbatim (its PINNED and MISSING tables).
"""

from __future__ import annotations

import importlib.util
import io
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import requests

from analysis.data.base import FACTOR_DATASETS, FactorDataset, FactorSource, Frequency
from analysis.data.cache import CachedPriceSource, DataCache
from analysis.data.french import (
    BASE_URL,
    FILES,
    FrenchSource,
    compound_to_weekly,
    parse_french_csv,
)
from analysis.errors import DataError, SourceUnavailableError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "french"


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "french_make_fixtures", FIXTURES / "make_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _load_maker()


def fixture_text(archive: str) -> str:
    with zipfile.ZipFile(FIXTURES / archive) as zf:
        (member,) = zf.namelist()
        return zf.read(member).decode("ascii")


def make_zip(files: Mapping[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


@dataclass
class FakeResponse:
    status_code: int
    reason: str
    content: bytes


@dataclass
class FakeGet:
    """Serves fixture archives by file name and records every call."""

    payloads: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    reason: str = "OK"
    error: Exception | None = None
    calls: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def __call__(self, url: str, *, headers: Mapping[str, str], timeout: float) -> FakeResponse:
        self.calls.append((url, dict(headers), timeout))
        if self.error is not None:
            raise self.error
        name = url.rsplit("/", 1)[-1]
        stored = self.payloads.get(name)
        content = stored if stored is not None else (FIXTURES / name).read_bytes()
        return FakeResponse(self.status, self.reason, content)


@pytest.fixture
def fake() -> FakeGet:
    return FakeGet()


@pytest.fixture
def source(fake: FakeGet) -> FrenchSource:
    return FrenchSource(get=fake, timeout=7.5)


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


# ----------------------------------------------------------------- fixtures are current


def test_committed_fixtures_match_the_generator():
    for archive, (member, text) in MAKER.build().items():
        with zipfile.ZipFile(FIXTURES / archive) as zf:
            assert zf.namelist() == [member]
            assert zf.read(member).decode("ascii") == text, archive


def test_fixtures_keep_the_real_files_quirks():
    for archive in FILES.values():
        raw = fixture_text(archive)
        assert "\r\n" in raw and "\n" not in raw.replace("\r\n", "")
        assert raw.splitlines()[0].startswith("This file was created")
    assert ",Mom   \r\n" in fixture_text("F-F_Momentum_Factor_CSV.zip")
    assert "\r\nAnnual Factors:\r\nJanuary-December \r\n" in fixture_text(
        "F-F_Momentum_Factor_CSV.zip"
    )
    assert " Annual Factors: January-December \r\n" in fixture_text(
        "F-F_Research_Data_Factors_CSV.zip"
    )


# ----------------------------------------------------------------------------- parser


def test_parse_ff3_monthly_divides_by_100_and_splits_off_the_annual_block():
    blocks = parse_french_csv(fixture_text("F-F_Research_Data_Factors_CSV.zip"))
    assert list(blocks) == ["monthly", "annual"]
    monthly, annual = blocks["monthly"], blocks["annual"]
    assert list(monthly.columns) == ["Mkt-RF", "SMB", "HML", "RF"]
    assert monthly.shape == (36, 4)
    assert (monthly.dtypes == "float64").all()
    # PINNED row 201901: 8.41, 2.91, -0.63, 0.21 (percent)
    np.testing.assert_allclose(monthly.loc["2019-01-31"], [0.0841, 0.0291, -0.0063, 0.0021])
    assert annual.shape == (3, 4)
    assert list(annual.index) == [ts("2019-12-31"), ts("2020-12-31"), ts("2021-12-31")]
    # December's monthly row and the year's annual row share a date but not values
    assert not np.allclose(monthly.loc["2019-12-31"], annual.loc["2019-12-31"])


def test_parse_monthly_index_is_calendar_month_end():
    monthly = parse_french_csv(fixture_text("F-F_Research_Data_5_Factors_2x3_CSV.zip"))["monthly"]
    assert monthly.index.name == "date"
    assert monthly.index[0] == ts("2019-01-31")
    assert monthly.index[1] == ts("2019-02-28")
    assert monthly.index[13] == ts("2020-02-29")  # leap year
    assert monthly.index.is_month_end.all()
    assert list(monthly.columns) == list(FACTOR_DATASETS["ff5"])


def test_parse_momentum_strips_padded_name_and_turns_missing_codes_into_nan():
    blocks = parse_french_csv(fixture_text("F-F_Momentum_Factor_CSV.zip"))
    assert list(blocks) == ["monthly", "annual"]  # two-line annual title
    monthly, annual = blocks["monthly"], blocks["annual"]
    assert list(monthly.columns) == ["Mom"]
    assert monthly.loc["2019-01-31", "Mom"] == pytest.approx(-0.0865)
    assert np.isnan(monthly.loc["2019-05-31", "Mom"])  # -99.99
    assert np.isnan(monthly.loc["2020-11-30", "Mom"])  # -999
    assert int(monthly["Mom"].isna().sum()) == 2
    assert annual["Mom"].isna().tolist() == [True, True, False]
    # a code divided before being recognized would show up as -0.9999 or -9.99
    values = pd.concat([monthly, annual]).to_numpy()
    assert not np.isclose(values, -0.9999).any()
    assert not np.isclose(values, -9.99).any()


def test_parse_daily_keeps_trading_dates():
    daily = parse_french_csv(fixture_text("F-F_Research_Data_5_Factors_2x3_daily_CSV.zip"))
    assert list(daily) == ["daily"]
    frame = daily["daily"]
    assert list(frame.index.date) == MAKER.DAYS
    assert frame.loc["2024-01-08", "Mkt-RF"] == pytest.approx(0.01)
    assert frame.loc["2024-01-08", "RF"] == pytest.approx(0.00021)
    assert np.isnan(frame.loc["2024-02-13", "HML"])
    assert frame.drop(index=ts("2024-02-13")).notna().all().all()


def test_parse_weekly_labels_each_week_with_its_friday():
    blocks = parse_french_csv(fixture_text("F-F_Research_Data_Factors_weekly_CSV.zip"))
    assert list(blocks) == ["weekly"]
    weekly = blocks["weekly"]
    assert (weekly.index.day_of_week == 4).all()
    assert weekly.index.is_unique and weekly.index.is_monotonic_increasing
    # modern weeks: the W-FRI period end containing the date
    for d in ("2024-01-05", "2024-03-22"):
        assert ts(d) == pd.Period(d, freq="W-FRI").end_time.normalize()
    assert ts("2024-03-29") in weekly.index  # week ending Thursday 2024-03-28 (Good Friday)
    assert weekly.loc["2024-03-29", "Mkt-RF"] == pytest.approx(0.0149)
    # Saturday week ends of 1926 go to the Friday of their own week, not the next one
    assert weekly.loc["1926-12-17", "Mkt-RF"] == pytest.approx(0.0138)  # row 19261218
    assert weekly.loc["1926-12-24", "Mkt-RF"] == pytest.approx(0.0025)  # row 19261224
    assert weekly.loc["1926-12-24", "RF"] == pytest.approx(0.00069)


def test_weekly_labels_match_resampled_prices():
    """Prices resampled W-FRI land on the same labels as the weekly factors."""
    weekly = parse_french_csv(fixture_text("F-F_Research_Data_Factors_weekly_CSV.zip"))["weekly"]
    days = pd.bdate_range("2024-01-01", "2024-03-28")
    prices = pd.Series(np.arange(len(days), dtype=float) + 100.0, index=days)
    resampled = prices.resample("W-FRI").last().index
    assert list(weekly.loc["2024"].index) == list(resampled)


def test_parse_is_robust_to_line_endings_and_trailing_whitespace():
    crlf = fixture_text("F-F_Momentum_Factor_CSV.zip")
    expected = parse_french_csv(crlf)
    variants = {
        "lf": crlf.replace("\r\n", "\n"),
        "cr": crlf.replace("\r\n", "\r"),
        "trailing": crlf.replace("\r\n", "   \t\r\n"),
        "bom": "\ufeff" + crlf,
    }
    for label, text in variants.items():
        got = parse_french_csv(text)
        assert list(got) == list(expected), label
        for key in expected:
            pd.testing.assert_frame_equal(got[key], expected[key], obj=label)


def test_parse_reads_the_unpadded_2025_layout():
    # verbatim start of F-F_Research_Data_Factors.csv, vintage 202504
    text = (
        "This file was created using the 202504 CRSP database.\r\n"
        "The 1-month TBill rate data until 202405 are from Ibbotson Associates. Starting "
        "from 202406, the 1-month TBill rate is from ICE BofA US 1-Month Treasury Bill Index.\r\n"
        "\r\n"
        ",Mkt-RF,SMB,HML,RF\r\n"
        "192607,2.89,-2.55,-2.39,0.22\r\n"
        "192608,2.64,-1.14,3.81,0.25\r\n"
    )
    monthly = parse_french_csv(text)["monthly"]
    assert list(monthly.index) == [ts("1926-07-31"), ts("1926-08-31")]
    np.testing.assert_allclose(monthly.iloc[0], [0.0289, -0.0255, -0.0239, 0.0022])


def test_parse_infers_daily_or_weekly_and_accepts_an_override():
    text = ",Mom\n20240102, 1.0\n20240103, 2.0\n20240104, 3.0\n"
    assert list(parse_french_csv(text)) == ["daily"]
    assert list(parse_french_csv(text, weekly=True)) == ["weekly"]
    weekly_text = ",Mom\n20240105, 1.0\n20240112, 2.0\n20240119, 3.0\n"
    assert list(parse_french_csv(weekly_text)) == ["weekly"]
    assert list(parse_french_csv(weekly_text, weekly=False)) == ["daily"]


def test_parse_names_repeated_tables_with_a_suffix():
    text = (
        "  Average Value Weighted Returns -- Monthly\n,Lo 30,Hi 30\n202001, 1.0, 2.0\n\n"
        "  Average Equal Weighted Returns -- Monthly\n,Lo 30,Hi 30\n202001, 3.0, 4.0\n"
    )
    blocks = parse_french_csv(text)
    assert list(blocks) == ["monthly", "monthly_2"]
    assert blocks["monthly_2"].loc["2020-01-31", "Hi 30"] == pytest.approx(0.04)


def test_parse_ignores_description_lines_with_commas_and_empty_headers():
    text = "Some text, with a comma\n,,\n\n,Mkt-RF,SMB\n202001, 1.0, 2.0\n"
    blocks = parse_french_csv(text)
    assert list(blocks) == ["monthly"]
    assert list(blocks["monthly"].columns) == ["Mkt-RF", "SMB"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("This file has no table.\r\nCopyright\r\n", r"demo\.csv: no table found"),
        (",Mkt-RF,SMB\n202001, 1.0\n", r"demo\.csv: line 2: expected 2 value\(s\) for Mkt-RF, SMB"),
        (",Mkt-RF\n202001, 1.0\n202002, abc\n", r"demo\.csv: line 3: 'abc' is not a number"),
        (
            ",Mkt-RF\n202001, 1.0\n202013, 1.0\n",
            r"demo\.csv: line 3: '202013' is not a valid YYYYMM date",
        ),
        (
            ",Mkt-RF\n202001, 1.0\n20200201, 1.0\n",
            r"demo\.csv: line 3: date '20200201' is not a YYYYMM code",
        ),
    ],
)
def test_parse_errors_name_the_file_and_line(text: str, message: str):
    with pytest.raises(DataError, match=message):
        parse_french_csv(text, name="demo.csv")


# -------------------------------------------------------------------- weekly compounding


def test_compound_to_weekly_matches_a_hand_computation():
    daily = parse_french_csv(fixture_text("F-F_Research_Data_5_Factors_2x3_daily_CSV.zip"))
    weekly = compound_to_weekly(daily["daily"])
    # PINNED Mkt-RF 2024-01-08..12: 1.00, -0.50, 0.20, 0.00, 0.30 percent
    # 1.01 * 0.995 * 1.002 * 1.000 * 1.003 - 1 = 0.0099807797
    assert weekly.loc["2024-01-12", "Mkt-RF"] == pytest.approx(0.0099807797, abs=1e-12)
    # RF 0.021 % on five days: 1.00021 ** 5 - 1
    assert weekly.loc["2024-01-12", "RF"] == pytest.approx(1.00021**5 - 1, abs=1e-15)


def test_compound_to_weekly_matches_an_independent_loop():
    daily = parse_french_csv(fixture_text("F-F_Research_Data_Factors_daily_CSV.zip"))["daily"]
    weekly = compound_to_weekly(daily)
    groups: dict[tuple[int, int], list[pd.Timestamp]] = {}
    for d in daily.index:
        groups.setdefault(d.isocalendar()[:2], []).append(d)
    expected = {}
    for days in groups.values():
        friday = days[0] + pd.Timedelta(days=4 - days[0].day_of_week)
        expected[friday] = [
            math.prod(1.0 + daily.loc[d, c] for d in days) - 1.0 for c in daily.columns
        ]
    del expected[ts("2024-03-01")]  # data stop on Thursday 2024-02-29: partial week dropped
    want = pd.DataFrame.from_dict(expected, orient="index", columns=daily.columns)
    assert list(weekly.index) == list(want.index)
    np.testing.assert_allclose(weekly.to_numpy(), want.to_numpy(), rtol=0, atol=1e-15)


def test_compound_to_weekly_never_compounds_over_a_missing_day():
    days = pd.to_datetime(["2024-01-08", "2024-01-09", "2024-01-10", "2024-01-15", "2024-01-19"])
    daily = pd.DataFrame({"A": [0.01, np.nan, 0.02, 0.01, 0.01], "B": [0.01] * 5}, index=days)
    weekly = compound_to_weekly(daily)
    assert list(weekly.index) == [ts("2024-01-12"), ts("2024-01-19")]
    assert np.isnan(weekly.loc["2024-01-12", "A"])
    assert weekly.loc["2024-01-12", "B"] == pytest.approx(1.01**3 - 1)
    assert weekly.loc["2024-01-19", "A"] == pytest.approx(1.01**2 - 1)


def test_compound_to_weekly_of_one_day_weeks_is_the_identity():
    fridays = pd.date_range("2024-01-05", periods=6, freq="W-FRI")
    rng = np.random.default_rng(7)
    daily = pd.DataFrame(rng.normal(0, 0.01, (6, 3)), index=fridays, columns=["x", "y", "z"])
    pd.testing.assert_frame_equal(
        compound_to_weekly(daily), daily.rename_axis("date"), check_freq=False
    )


# ------------------------------------------------------------------------ FrenchSource


def test_french_source_satisfies_the_protocol(source: FrenchSource):
    assert isinstance(source, FactorSource)
    assert source.name == "french"


@pytest.mark.parametrize(("dataset", "frequency"), sorted(FILES))
def test_fetch_published_files(source: FrenchSource, fake: FakeGet, dataset, frequency):
    frame = source.fetch_factors(dataset, frequency)
    assert len(fake.calls) == 1
    url, headers, timeout = fake.calls[0]
    assert url == BASE_URL + FILES[(dataset, frequency)]
    assert headers["User-Agent"].startswith("Mozilla/5.0")
    assert timeout == 7.5
    assert list(frame.columns) == list(FACTOR_DATASETS[dataset])
    assert (frame.dtypes == "float64").all()
    assert frame.index.name == "date"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.abs().max().max() < 0.5  # decimals, not percent


def test_fetch_expected_urls_are_the_library_file_names():
    assert BASE_URL == "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"
    assert FILES == {
        ("ff3", "monthly"): "F-F_Research_Data_Factors_CSV.zip",
        ("ff3", "weekly"): "F-F_Research_Data_Factors_weekly_CSV.zip",
        ("ff3", "daily"): "F-F_Research_Data_Factors_daily_CSV.zip",
        ("ff5", "monthly"): "F-F_Research_Data_5_Factors_2x3_CSV.zip",
        ("ff5", "daily"): "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip",
        ("mom", "monthly"): "F-F_Momentum_Factor_CSV.zip",
        ("mom", "daily"): "F-F_Momentum_Factor_daily_CSV.zip",
    }


def test_fetch_monthly_values(source: FrenchSource):
    ff3 = source.fetch_factors("ff3", "monthly")
    assert len(ff3) == 36  # the annual block is not included
    np.testing.assert_allclose(ff3.loc["2019-01-31"], [0.0841, 0.0291, -0.0063, 0.0021])
    mom = source.fetch_factors("mom", "monthly")
    assert list(mom.columns) == ["Mom"]
    assert mom["Mom"].isna().sum() == 2


def test_fetch_weekly_ff3_uses_french_weekly_file(source: FrenchSource, fake: FakeGet):
    weekly = source.fetch_factors("ff3", "weekly")
    assert [c[0] for c in fake.calls] == [BASE_URL + "F-F_Research_Data_Factors_weekly_CSV.zip"]
    assert (weekly.index.day_of_week == 4).all()
    assert weekly.loc["2024-01-05", "Mkt-RF"] == pytest.approx(-0.0158)


@pytest.mark.parametrize("dataset", ["ff5", "mom"])
def test_fetch_weekly_compounds_the_daily_file(source: FrenchSource, fake: FakeGet, dataset):
    weekly = source.fetch_factors(dataset, "weekly")
    assert [c[0] for c in fake.calls] == [BASE_URL + FILES[(dataset, "daily")]]
    assert fake.calls[0][1]["User-Agent"].startswith("Mozilla/5.0")
    assert list(weekly.columns) == list(FACTOR_DATASETS[dataset])
    fridays = [date(2024, 1, 5), date(2024, 1, 12), date(2024, 1, 19), date(2024, 1, 26)]
    fridays += [date(2024, 2, 2), date(2024, 2, 9), date(2024, 2, 16), date(2024, 2, 23)]
    assert list(weekly.index.date) == fridays  # week of 2024-03-01 is partial: dropped
    assert weekly.index.name == "date"


def test_fetch_weekly_values(source: FrenchSource):
    ff5 = source.fetch_factors("ff5", "weekly")
    assert ff5.loc["2024-01-12", "Mkt-RF"] == pytest.approx(0.0099807797, abs=1e-12)
    assert np.isnan(ff5.loc["2024-02-16", "HML"])  # -99.99 on 2024-02-13
    assert ff5.drop(index=ts("2024-02-16")).notna().all().all()
    mom = source.fetch_factors("mom", "weekly")
    assert mom["Mom"].isna().tolist() == [False, False, False, True, False, True, False, False]


def test_second_fetch_through_the_cache_does_not_download(tmp_path: Path, fake: FakeGet):
    cached = CachedPriceSource(FrenchSource(get=fake), DataCache(tmp_path))
    assert cached.name == "french"
    cases: list[tuple[FactorDataset, Frequency]] = [
        ("ff3", "monthly"),
        ("mom", "daily"),
        ("ff5", "weekly"),
    ]
    for dataset, frequency in cases:
        first = cached.fetch_factors(dataset, frequency)
        calls = len(fake.calls)
        second = cached.fetch_factors(dataset, frequency)
        assert len(fake.calls) == calls
        pd.testing.assert_frame_equal(first, second, check_freq=False)
    assert len(fake.calls) == 3


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"dataset": "ff4", "frequency": "monthly"},
            r"unknown dataset 'ff4'; allowed: 'ff3', 'ff5', 'mom'",
        ),
        (
            {"dataset": "ff3", "frequency": "annual"},
            r"unknown frequency 'annual'; allowed: 'daily', 'weekly', 'monthly'",
        ),
    ],
)
def test_unknown_dataset_or_frequency(source: FrenchSource, fake: FakeGet, kwargs, message):
    with pytest.raises(DataError, match=message):
        source.fetch_factors(**kwargs)
    assert fake.calls == []


@pytest.mark.parametrize(
    "error",
    [
        requests.ConnectionError("Failed to resolve 'mba.tuck.dartmouth.edu'\n(Name or service)"),
        requests.Timeout("read timed out"),
        OSError("network is unreachable"),
    ],
)
def test_network_failure_is_source_unavailable(source: FrenchSource, fake: FakeGet, error):
    fake.error = error
    url = BASE_URL + "F-F_Research_Data_Factors_CSV.zip"
    with pytest.raises(SourceUnavailableError, match=rf"could not download {url}: ") as info:
        source.fetch_factors("ff3", "monthly")
    message = str(info.value)
    assert "\n" not in message
    assert type(error).__name__ in message
    assert " ".join(str(error).split()) in message


@pytest.mark.parametrize(("status", "reason"), [(403, "Forbidden"), (404, "Not Found"), (503, "")])
def test_http_error_status_is_source_unavailable(
    source: FrenchSource, fake: FakeGet, status, reason
):
    fake.status, fake.reason = status, reason
    url = BASE_URL + "F-F_Momentum_Factor_daily_CSV.zip"
    with pytest.raises(SourceUnavailableError, match=rf"{url}: HTTP {status} ") as info:
        source.fetch_factors("mom", "daily")
    assert (reason or "no reason given") in str(info.value)


def test_zip_without_a_csv(source: FrenchSource, fake: FakeGet):
    fake.payloads["F-F_Research_Data_Factors_CSV.zip"] = make_zip({"README.txt": "hello"})
    with pytest.raises(
        DataError,
        match=r"F-F_Research_Data_Factors_CSV\.zip holds no \.csv file \(found: README\.txt\)",
    ):
        source.fetch_factors("ff3", "monthly")


def test_payload_that_is_not_a_zip(source: FrenchSource, fake: FakeGet):
    fake.payloads["F-F_Research_Data_Factors_CSV.zip"] = b"<html><body>Access denied</body></html>"
    with pytest.raises(DataError, match=r"F-F_Research_Data_Factors_CSV\.zip is not a zip archive"):
        source.fetch_factors("ff3", "monthly")


def test_csv_header_lacking_a_factor(source: FrenchSource, fake: FakeGet):
    text = "Description\r\n\r\n,Mkt-RF,SMB,RF\r\n202001,   1.00,   2.00,   0.10\r\n"
    fake.payloads["F-F_Research_Data_Factors_CSV.zip"] = make_zip(
        {"F-F_Research_Data_Factors.csv": text}
    )
    with pytest.raises(
        DataError,
        match=r"F-F_Research_Data_Factors_CSV\.zip \(F-F_Research_Data_Factors\.csv\): "
        r"header lacks 'HML'; found 'Mkt-RF', 'SMB', 'RF'",
    ):
        source.fetch_factors("ff3", "monthly")


def test_momentum_file_with_another_column(source: FrenchSource, fake: FakeGet):
    text = "Description\r\n\r\n,UMD   \r\n20240102,   1.00\r\n"
    fake.payloads["F-F_Momentum_Factor_daily_CSV.zip"] = make_zip(
        {"F-F_Momentum_Factor_daily.CSV": text}
    )
    with pytest.raises(DataError, match=r"header lacks 'Mom'; found 'UMD'"):
        source.fetch_factors("mom", "weekly")


def test_file_without_the_expected_table(source: FrenchSource, fake: FakeGet):
    text = "Description\r\n\r\n Annual Factors: January-December \r\n,Mom\r\n  2020,  1.0\r\n"
    fake.payloads["F-F_Momentum_Factor_CSV.zip"] = make_zip({"F-F_Momentum_Factor.CSV": text})
    with pytest.raises(
        DataError, match=r"F-F_Momentum_Factor\.CSV\): no monthly table; found annual"
    ):
        source.fetch_factors("mom", "monthly")


def test_unparseable_csv_names_the_archive(source: FrenchSource, fake: FakeGet):
    text = ",Mkt-RF,SMB,HML,RF\r\n20240102,  1.00,  x,  0.1,  0.02\r\n"
    fake.payloads["F-F_Research_Data_Factors_daily_CSV.zip"] = make_zip(
        {"F-F_Research_Data_Factors_daily.CSV": text}
    )
    with pytest.raises(
        DataError,
        match=r"F-F_Research_Data_Factors_daily_CSV\.zip \(F-F_Research_Data_Factors_daily\.CSV\): "
        r"line 2: 'x' is not a number",
    ):
        source.fetch_factors("ff3", "daily")
