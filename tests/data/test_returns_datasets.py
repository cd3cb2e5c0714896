"""Tests for the return datasets (ff3 with Mkt, mom, ind12) of every data source.

French data come from the fixture archives in tests/fixtures/french/ through a
fake HTTP getter (see the README there); expected values are read from the
fixture text by a small independent parser in this file, or taken from the
generator's pinned rows (make_fixtures.IND_PINNED) and compounded by hand.
"""

from __future__ import annotations

import importlib.util
import io
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.data import fetch_return_datasets
from analysis.data.base import (
    RETURN_DATASETS,
    FactorSource,
    ReturnSource,
    with_market_return,
)
from analysis.data.cache import CachedPriceSource, DataCache
from analysis.data.files import FileSource
from analysis.data.french import (
    BASE_URL,
    INDUSTRY_FILES,
    FrenchSource,
    parse_french_csv,
    parse_french_tables,
)
from analysis.data.sample import SampleSource
from analysis.errors import DataError, SourceUnavailableError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "french"
IND12 = list(RETURN_DATASETS["ind12"])
MONTHLY_ZIP = "12_Industry_Portfolios_CSV.zip"
DAILY_ZIP = "12_Industry_Portfolios_daily_CSV.zip"


def _load_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "french_make_fixtures_returns", FIXTURES / "make_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _load_maker()


def fixture_member(archive: str) -> tuple[str, str]:
    with zipfile.ZipFile(FIXTURES / archive) as zf:
        (member,) = zf.namelist()
        return member, zf.read(member).decode("ascii")


def make_zip(member: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, text)
    return buf.getvalue()


def read_block(text: str, title: str) -> pd.DataFrame:
    """Independent reader of one titled table: the lines after ``title`` up to a blank line."""
    lines = text.split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    columns = [c.strip() for c in lines[start + 1].split(",")[1:]]
    codes, rows = [], []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        code, *cells = [c.strip() for c in line.split(",")]
        codes.append(code)
        rows.append([math.nan if float(c) in (-99.99, -999.0) else float(c) / 100 for c in cells])
    if len(codes[0]) == 6:
        index = pd.DatetimeIndex([pd.Period(c, freq="M").end_time.normalize() for c in codes])
    else:
        index = pd.DatetimeIndex(pd.to_datetime(codes, format="%Y%m%d"))
    return pd.DataFrame(rows, index=index.as_unit("ns").rename("date"), columns=columns)


@dataclass
class FakeResponse:
    status_code: int
    reason: str
    content: bytes


@dataclass
class FakeGet:
    """Serves fixture archives by file name (or a replacement payload) and records calls."""

    payloads: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    reason: str = "OK"
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str, *, headers: Mapping[str, str], timeout: float) -> FakeResponse:
        self.calls.append(url)
        if self.error is not None:
            raise self.error
        name = url.rsplit("/", 1)[-1]
        content = self.payloads.get(name) or (FIXTURES / name).read_bytes()
        return FakeResponse(self.status, self.reason, content)


@pytest.fixture
def fake() -> FakeGet:
    return FakeGet()


@pytest.fixture
def french(fake: FakeGet) -> FrenchSource:
    return FrenchSource(get=fake)


# ------------------------------------------------------------------------------ contract


def test_return_datasets_columns():
    assert RETURN_DATASETS["ff3"] == ("Mkt", "Mkt-RF", "SMB", "HML", "RF")
    assert RETURN_DATASETS["mom"] == ("Mom",)
    assert RETURN_DATASETS["ind12"] == (
        *("NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq"),
        *("Telcm", "Utils", "Shops", "Hlth", "Money", "Other"),
    )


def test_sources_satisfy_the_return_protocol(tmp_path: Path):
    sources = [SampleSource(), FrenchSource(get=FakeGet()), FileSource(factors="x.csv")]
    cached = CachedPriceSource(SampleSource(), DataCache(tmp_path))
    for source in [*sources, cached]:
        assert isinstance(source, ReturnSource)
        assert isinstance(source, FactorSource)

    class FactorsOnly:
        name = "f"

        def fetch_factors(self, dataset: str, frequency: str) -> pd.DataFrame:
            return pd.DataFrame()

    # A factor source without fetch_returns still is a FactorSource.
    assert isinstance(FactorsOnly(), FactorSource)
    assert not isinstance(FactorsOnly(), ReturnSource)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-0.5, 0.5) | st.just(math.nan),
            st.floats(-0.5, 0.5),
            st.floats(0.0, 0.02),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_with_market_return_adds_the_sum_first_and_keeps_the_rest(rows):
    frame = pd.DataFrame(rows, columns=["Mkt-RF", "SMB", "RF"])
    out = with_market_return(frame, what="t")
    assert list(out.columns) == ["Mkt", "Mkt-RF", "SMB", "RF"]
    expected = frame["Mkt-RF"].to_numpy() + frame["RF"].to_numpy()
    np.testing.assert_array_equal(out["Mkt"].to_numpy(), expected)
    pd.testing.assert_frame_equal(out[frame.columns], frame)


def test_with_market_return_names_what_is_missing():
    with pytest.raises(DataError, match=r"t \(to derive Mkt = Mkt-RF \+ RF\): missing .*'RF'"):
        with_market_return(pd.DataFrame({"Mkt-RF": [0.01]}), what="t")


# -------------------------------------------------------------------------------- sample


def test_sample_ind12_is_the_bundled_industry_columns():
    out = SampleSource().fetch_returns("ind12", "monthly")
    pd.testing.assert_frame_equal(out, SampleSource.load_portfolios()[IND12])
    assert list(out.columns) == IND12


def test_sample_ff3_market_is_excess_plus_riskfree_exactly():
    sample = SampleSource()
    out = sample.fetch_returns("ff3", "monthly")
    assert list(out.columns) == list(RETURN_DATASETS["ff3"])
    np.testing.assert_array_equal(out["Mkt"].to_numpy(), (out["Mkt-RF"] + out["RF"]).to_numpy())
    pd.testing.assert_frame_equal(out.drop(columns="Mkt"), sample.fetch_factors("ff3", "monthly"))
    # PROVENANCE.md: the industry portfolios are total returns, so their average
    # tracks the total market return much better than the excess return.
    industries = sample.fetch_returns("ind12", "monthly").mean(axis=1)
    err_total = (industries - out["Mkt"]).abs().mean()
    err_excess = (industries - out["Mkt-RF"]).abs().mean()
    assert err_total < err_excess


def test_sample_mom_is_the_bundled_factor():
    sample = SampleSource()
    pd.testing.assert_frame_equal(
        sample.fetch_returns("mom", "monthly"), sample.fetch_factors("mom", "monthly")
    )


@pytest.mark.parametrize("frequency", ["weekly", "daily"])
@pytest.mark.parametrize("dataset", ["ind12", "ff3"])
def test_sample_other_frequencies_say_what_is_bundled(dataset, frequency):
    with pytest.raises(DataError) as info:
        SampleSource().fetch_returns(dataset, frequency)
    message = str(info.value)
    assert f"{dataset!r} at frequency {frequency!r} is not bundled" in message
    assert "ff3, mom, ind12 at monthly frequency, 1949-01 to 2017-03" in message
    assert "`frequency: monthly`" in message and "source: yahoo" in message


def test_sample_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DataError, match=r"'ind49'.*use one of 'ff3', 'mom', 'ind12'"):
        SampleSource().fetch_returns("ind49", "monthly")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- french


def test_industry_fixtures_match_the_generator():
    for archive, (member, text) in MAKER.build_industries().items():
        assert fixture_member(archive) == (member, text), archive


def test_parse_french_tables_keeps_titles_in_file_order():
    _, text = fixture_member(MONTHLY_ZIP)
    tables = parse_french_tables(text)
    assert [(t.kind, t.title) for t in tables] == [
        ("monthly", "Average Value Weighted Returns -- Monthly"),
        ("monthly", "Average Equal Weighted Returns -- Monthly"),
        ("annual", "Average Value Weighted Returns -- Annual"),
        ("annual", "Average Equal Weighted Returns -- Annual"),
        ("monthly", "Number of Firms in Portfolios"),
        ("monthly", "Average Firm Size"),
        ("annual", "Sum of BE / Sum of ME"),
        ("annual", "Value-Weighted Average of BE/ME"),
    ]
    assert tables[0].line == 12
    # parse_french_csv keeps the first table of a frequency under the plain key
    blocks = parse_french_csv(text)
    assert list(blocks) == [
        *("monthly", "monthly_2", "annual", "annual_2"),
        *("monthly_3", "monthly_4", "annual_3", "annual_4"),
    ]
    pd.testing.assert_frame_equal(blocks["monthly"], tables[0].frame)


def test_parse_french_tables_titles_of_the_factor_files():
    _, text = fixture_member("F-F_Momentum_Factor_CSV.zip")
    titles = [t.title for t in parse_french_tables(text)]
    # the monthly table follows a blank line; the annual title spans two lines
    assert titles == ["", "Annual Factors: January-December"]


def test_french_ind12_monthly_is_the_value_weighted_block(french: FrenchSource, fake: FakeGet):
    out = french.fetch_returns("ind12", "monthly")
    assert fake.calls == [BASE_URL + MONTHLY_ZIP]
    _, text = fixture_member(MONTHLY_ZIP)
    expected = read_block(text, "Average Value Weighted Returns -- Monthly")
    pd.testing.assert_frame_equal(out, expected, check_freq=False)
    assert list(out.columns) == IND12 and (out.dtypes == "float64").all()
    # dates are calendar month ends
    assert out.shape == (36, 12)
    assert (out.index[0], out.index[-1]) == (pd.Timestamp("2019-01-31"), pd.Timestamp("2021-12-31"))
    assert bool(out.index.is_month_end.all())
    # the pinned 201901 row is the value-weighted one, in decimals, not the equal-weighted one
    pinned = MAKER.IND_PINNED[MONTHLY_ZIP]
    vw = np.array(pinned[MAKER.VW_MONTHLY]["201901"]) / 100
    ew = np.array(pinned[MAKER.EW_MONTHLY]["201901"]) / 100
    np.testing.assert_allclose(out.loc["2019-01-31"].to_numpy(), vw, rtol=0, atol=1e-15)
    assert not np.allclose(out.loc["2019-01-31"].to_numpy(), ew)
    other = read_block(text, "Average Equal Weighted Returns -- Monthly")
    assert not np.allclose(out.to_numpy(), other.to_numpy(), equal_nan=True)


def test_french_ind12_missing_codes_become_nan(french: FrenchSource):
    out = french.fetch_returns("ind12", "monthly")
    # make_fixtures.IND_MISSING: -99.99 in Enrgy 201905, -999 in Telcm 202011
    assert math.isnan(out.loc["2019-05-31", "Enrgy"])
    assert math.isnan(out.loc["2020-11-30", "Telcm"])
    assert int(out.isna().sum().sum()) == 2


def test_french_ind12_daily_is_the_value_weighted_block(french: FrenchSource, fake: FakeGet):
    out = french.fetch_returns("ind12", "daily")
    assert fake.calls == [BASE_URL + DAILY_ZIP]
    _, text = fixture_member(DAILY_ZIP)
    expected = read_block(text, "Average Value Weighted Returns -- Daily")
    pd.testing.assert_frame_equal(out, expected, check_freq=False)
    assert len(out) == 41 and out.index[-1] == pd.Timestamp("2024-02-29")
    assert math.isnan(out.loc["2024-01-23", "Durbl"]) and math.isnan(out.loc["2024-02-07", "Other"])
    assert int(out.isna().sum().sum()) == 2


def test_french_ind12_weekly_matches_a_hand_computation(french: FrenchSource, fake: FakeGet):
    out = french.fetch_returns("ind12", "weekly")
    assert fake.calls == [BASE_URL + DAILY_ZIP]  # French publishes no weekly industry file
    # IND_PINNED daily rows 2024-01-08 .. 12, in percent:
    # NoDur 1.00, -0.5, 0.20, 0.0, 0.30 -> 1.01 * 0.995 * 1.002 * 1.000 * 1.003 - 1
    #       = 1.00495 * 1.002 * 1.003 - 1 = 1.0069599 * 1.003 - 1 = 0.0099807797
    # Hlth  2.00, -1.0, 0.50, 0.0, 1.50 -> 1.02 * 0.99 * 1.005 * 1.000 * 1.015 - 1
    #       = 1.0098 * 1.005 * 1.015 - 1 = 1.014849 * 1.015 - 1 = 0.030071735
    week = pd.Timestamp("2024-01-12")
    # tolerance: only floating-point rounding separates the product from the decimals above
    assert out.loc[week, "NoDur"] == pytest.approx(0.0099807797, abs=1e-12)
    assert out.loc[week, "Hlth"] == pytest.approx(0.030071735, abs=1e-12)
    assert bool((out.index.day_of_week == 4).all())
    # the week 2024-02-26 .. 29 stops on a Thursday: dropped as partial
    assert (out.index[0], out.index[-1]) == (pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-23"))
    # a missing day makes its week NaN, never compounded over
    assert math.isnan(out.loc["2024-01-26", "Durbl"]) and math.isnan(out.loc["2024-02-09", "Other"])
    assert int(out.isna().sum().sum()) == 2


def test_french_ind12_weekly_matches_resampled_daily(french: FrenchSource):
    _, text = fixture_member(DAILY_ZIP)
    daily = read_block(text, "Average Value Weighted Returns -- Daily")
    # Independent route: pandas' W-FRI weeks (the same weeks for 2024 dates), NaN if a day is.
    growth = (1 + daily).resample("W-FRI").prod(min_count=1) - 1
    growth[daily.isna().resample("W-FRI").sum() > 0] = np.nan
    expected = growth.loc[:"2024-02-23"]
    out = french.fetch_returns("ind12", "weekly")
    # tolerance: the two routes multiply the same factors in the same order (rounding only)
    pd.testing.assert_frame_equal(out, expected, check_freq=False, rtol=1e-14, atol=1e-15)


def test_french_ind12_weekly_has_no_look_ahead(fake: FakeGet):
    member, text = fixture_member(DAILY_ZIP)
    cutoff = pd.Timestamp("2024-01-26")
    lines = text.split("\r\n")
    perturbed = []
    for line in lines:
        code = line.split(",", 1)[0]
        if len(code) == 8 and code.isdigit() and pd.Timestamp(code) > cutoff:
            code_, *cells = line.split(",")
            line = code_ + "," + ",".join(f"{float(c) + 0.37:8.2f}" for c in cells)
        perturbed.append(line)
    changed = "\r\n".join(perturbed)
    assert changed != text
    before = FrenchSource(get=FakeGet()).fetch_returns("ind12", "weekly")
    perturbed_get = FakeGet(payloads={DAILY_ZIP: make_zip(member, changed)})
    after = FrenchSource(get=perturbed_get).fetch_returns("ind12", "weekly")
    pd.testing.assert_frame_equal(before.loc[:cutoff], after.loc[:cutoff])
    assert not np.allclose(before.loc["2024-02-02"], after.loc["2024-02-02"])


@pytest.mark.parametrize("frequency", ["monthly", "weekly", "daily"])
def test_french_ff3_adds_the_total_market(french: FrenchSource, frequency):
    out = french.fetch_returns("ff3", frequency)
    assert list(out.columns) == list(RETURN_DATASETS["ff3"])
    np.testing.assert_array_equal(out["Mkt"].to_numpy(), (out["Mkt-RF"] + out["RF"]).to_numpy())
    pd.testing.assert_frame_equal(out.drop(columns="Mkt"), french.fetch_factors("ff3", frequency))


def test_french_ff3_monthly_pinned_market_return(french: FrenchSource):
    # make_fixtures.PINNED ff3 201901: Mkt-RF 8.41, RF 0.21 (percent) -> Mkt 8.62 %
    out = french.fetch_returns("ff3", "monthly")
    assert out.loc["2019-01-31", "Mkt"] == pytest.approx(0.0862, abs=1e-15)


def test_french_mom_is_the_factor(french: FrenchSource):
    pd.testing.assert_frame_equal(
        french.fetch_returns("mom", "daily"), french.fetch_factors("mom", "daily")
    )


def test_french_industry_urls():
    assert INDUSTRY_FILES == {"monthly": MONTHLY_ZIP, "daily": DAILY_ZIP}


@pytest.mark.parametrize("status", [404, 503])
def test_french_http_error_is_source_unavailable(fake: FakeGet, french: FrenchSource, status):
    fake.status, fake.reason = status, "Not Found" if status == 404 else "Service Unavailable"
    url = BASE_URL + MONTHLY_ZIP
    with pytest.raises(SourceUnavailableError, match=rf"{url}: HTTP {status} "):
        french.fetch_returns("ind12", "monthly")


def test_french_network_failure_is_source_unavailable(fake: FakeGet, french: FrenchSource):
    fake.error = requests.ConnectionError("connection refused")
    with pytest.raises(SourceUnavailableError, match=rf"could not download .*{DAILY_ZIP}"):
        french.fetch_returns("ind12", "weekly")


def test_french_rejects_a_first_table_that_is_not_value_weighted(fake: FakeGet):
    member, text = fixture_member(MONTHLY_ZIP)
    swapped = text.replace("Average Value Weighted Returns -- Monthly", "Number of Firms", 1)
    fake.payloads[MONTHLY_ZIP] = make_zip(member, swapped)
    with pytest.raises(DataError, match=r"line 12: the first monthly table is titled 'Number of"):
        FrenchSource(get=fake).fetch_returns("ind12", "monthly")


def test_french_header_lacking_an_industry(fake: FakeGet):
    member, text = fixture_member(DAILY_ZIP)
    fake.payloads[DAILY_ZIP] = make_zip(member, text.replace(",Durbl,", ",Cars,", 1))
    with pytest.raises(DataError, match=rf"{DAILY_ZIP} \({member}\): header .* lacks 'Durbl'"):
        FrenchSource(get=fake).fetch_returns("ind12", "daily")


@pytest.mark.parametrize(
    ("dataset", "frequency", "message"),
    [
        ("ind49", "monthly", r"unknown return dataset 'ind49'; allowed: 'ff3', 'mom', 'ind12'"),
        ("ind12", "hourly", r"unknown frequency 'hourly'; allowed: 'daily', 'weekly', 'monthly'"),
    ],
)
def test_french_unknown_dataset_or_frequency(
    french: FrenchSource, fake: FakeGet, dataset, frequency, message
):
    with pytest.raises(DataError, match=message):
        french.fetch_returns(dataset, frequency)
    assert fake.calls == []


# --------------------------------------------------------------------------------- files


def industry_frame(n: int = 14, *, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-31", periods=n, freq="ME", name="date")
    return pd.DataFrame(rng.normal(0.01, 0.05, (n, 12)).round(6), index=dates, columns=IND12)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index_label="date", date_format="%Y-%m-%d")
    return path


def test_file_ind12_returns_the_industry_columns(tmp_path: Path):
    frame = industry_frame()
    frame["XLK"] = 0.02  # an extra column is ignored
    path = write_csv(frame[["XLK", *IND12[::-1]]], tmp_path / "ind.csv")
    out = FileSource(factors=path).fetch_returns("ind12", "monthly")
    expected = pd.read_csv(path, index_col="date", parse_dates=["date"])[IND12]
    pd.testing.assert_frame_equal(out, expected, check_freq=False, check_index_type=False)
    assert list(out.columns) == IND12


@settings(max_examples=10, deadline=None)
@given(st.permutations(IND12))
def test_file_ind12_does_not_depend_on_the_file_column_order(tmp_path_factory, order):
    frame = industry_frame(n=4, seed=3)
    path = write_csv(frame[list(order)], tmp_path_factory.mktemp("perm") / "ind.csv")
    out = FileSource(factors=path).fetch_returns("ind12", "monthly")
    np.testing.assert_array_equal(out.to_numpy(), frame.to_numpy())


def test_file_missing_column_error_names_it_and_the_file(tmp_path: Path):
    path = write_csv(industry_frame().drop(columns=["Hlth", "Money"]), tmp_path / "ind.csv")
    with pytest.raises(DataError) as info:
        FileSource(factors=path).fetch_returns("ind12", "monthly")
    message = str(info.value)
    assert message.startswith(f"{path} (return dataset 'ind12'): missing column(s) 'Hlth', 'Money'")
    assert "'NoDur'" in message  # what the file does have


def ff3_frame(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    dates = pd.date_range("2021-01-31", periods=n, freq="ME", name="date")
    data = rng.normal(0.0, 0.03, (n, 3)).round(6)
    frame = pd.DataFrame(data, index=dates, columns=["Mkt-RF", "SMB", "HML"])
    frame["RF"] = 0.001
    return frame


def test_file_derives_mkt_from_excess_and_riskfree(tmp_path: Path):
    path = write_csv(ff3_frame(), tmp_path / "ff3.csv")
    out = FileSource(factors=path).fetch_returns("ff3", "monthly")
    assert list(out.columns) == list(RETURN_DATASETS["ff3"])
    np.testing.assert_array_equal(out["Mkt"].to_numpy(), (out["Mkt-RF"] + out["RF"]).to_numpy())
    np.testing.assert_array_equal(out["Mkt-RF"].to_numpy(), ff3_frame()["Mkt-RF"].to_numpy())


def test_file_mkt_column_is_used_as_given(tmp_path: Path):
    frame = ff3_frame()
    frame["Mkt"] = 0.0123
    path = write_csv(frame, tmp_path / "ff3.csv")
    out = FileSource(factors=path).fetch_returns("ff3", "monthly")
    assert (out["Mkt"] == 0.0123).all()


def test_file_without_mkt_or_riskfree_says_mkt_can_be_derived(tmp_path: Path):
    path = write_csv(ff3_frame().drop(columns="RF"), tmp_path / "ff3.csv")
    with pytest.raises(DataError, match=r"missing column\(s\) 'Mkt', 'RF' \('Mkt' can also be"):
        FileSource(factors=path).fetch_returns("ff3", "monthly")


def test_file_frequency_and_percent_checks_apply(tmp_path: Path):
    path = write_csv(industry_frame(), tmp_path / "ind.csv")
    with pytest.raises(DataError, match=r"not weekly"):
        FileSource(factors=path).fetch_returns("ind12", "weekly")
    percent = write_csv(industry_frame() * 100, tmp_path / "pct.csv")
    with pytest.raises(DataError, match=r"looks like percent"):
        FileSource(factors=percent).fetch_returns("ind12", "monthly")
    with pytest.raises(DataError, match=r"unknown return dataset 'ff5'"):
        FileSource(factors=path).fetch_returns("ff5", "monthly")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------- cache


@dataclass
class CountingSource:
    """A return and factor source that counts its calls."""

    name: str = "counting"
    returns_calls: list[tuple[str, str]] = field(default_factory=list)
    factor_calls: list[tuple[str, str]] = field(default_factory=list)

    def fetch_returns(self, dataset: str, frequency: str) -> pd.DataFrame:
        self.returns_calls.append((dataset, frequency))
        frame = industry_frame(n=6, seed=len(self.returns_calls))
        return frame[list(RETURN_DATASETS[dataset])] if dataset == "ind12" else frame

    def fetch_factors(self, dataset: str, frequency: str) -> pd.DataFrame:
        self.factor_calls.append((dataset, frequency))
        return ff3_frame(6)


def test_cached_returns_are_fetched_once(tmp_path: Path):
    inner = CountingSource()
    cached = CachedPriceSource(inner, DataCache(tmp_path))
    first = cached.fetch_returns("ind12", "monthly")
    second = cached.fetch_returns("ind12", "monthly")
    assert inner.returns_calls == [("ind12", "monthly")]
    pd.testing.assert_frame_equal(first, second, check_freq=False)
    # the inner source's frame was built with seed 1; the cached copy is that frame
    pd.testing.assert_frame_equal(second, industry_frame(n=6, seed=1), check_freq=False)
    # another query, and the factors of the same name, are separate entries
    cached.fetch_returns("ind12", "weekly")
    cached.fetch_factors("ff3", "monthly")
    assert inner.returns_calls == [("ind12", "monthly"), ("ind12", "weekly")]
    assert inner.factor_calls == [("ff3", "monthly")]
    # a new process (a new wrapper) reads the cache from disk
    again = CachedPriceSource(CountingSource(), DataCache(tmp_path))
    again.fetch_returns("ind12", "monthly")
    assert again.inner.returns_calls == []


def test_cached_returns_refresh_fetches_again(tmp_path: Path):
    inner = CountingSource()
    CachedPriceSource(inner, DataCache(tmp_path)).fetch_returns("ind12", "monthly")
    CachedPriceSource(inner, DataCache(tmp_path), refresh=True).fetch_returns("ind12", "monthly")
    assert len(inner.returns_calls) == 2


def test_cached_french_returns_do_not_download_twice(tmp_path: Path, fake: FakeGet):
    cached = CachedPriceSource(FrenchSource(get=fake), DataCache(tmp_path))
    first = cached.fetch_returns("ind12", "weekly")
    second = cached.fetch_returns("ind12", "weekly")
    assert fake.calls == [BASE_URL + DAILY_ZIP]
    pd.testing.assert_frame_equal(first, second, check_freq=False)


def test_cached_source_without_returns(tmp_path: Path):
    class FactorsOnly:
        name = "f"

    with pytest.raises(DataError, match=r"f: this source does not deliver return datasets"):
        CachedPriceSource(FactorsOnly(), DataCache(tmp_path)).fetch_returns("ff3", "monthly")


# ------------------------------------------------------------------- fetch_return_datasets


def test_fetch_return_datasets_joins_the_sample_datasets():
    sample = SampleSource()
    out = fetch_return_datasets(sample, ["ind12", "ff3", "mom"], "monthly")
    assert list(out.columns) == [*IND12, *RETURN_DATASETS["ff3"], "Mom"]
    pd.testing.assert_frame_equal(out[IND12], sample.fetch_returns("ind12", "monthly"))
    pd.testing.assert_frame_equal(out[["Mom"]], sample.fetch_returns("mom", "monthly"))


@dataclass
class TableSource:
    """Serves fixed frames per dataset."""

    frames: dict[str, pd.DataFrame]
    name: str = "tables"

    def fetch_returns(self, dataset: str, frequency: str) -> pd.DataFrame:
        return self.frames[dataset]


def test_fetch_return_datasets_first_wins_on_common_dates():
    dates = pd.date_range("2020-01-31", periods=4, freq="ME", name="date")
    ff3 = pd.DataFrame({"Mkt": [0.1, 0.2, 0.3, 0.4], "RF": 0.001}, index=dates)
    # mom shares 'Mkt' (different values) and covers only the last three dates
    mom = pd.DataFrame({"Mom": [1.0, 2.0, 3.0], "Mkt": [9.0, 9.0, 9.0]}, index=dates[1:])
    out = fetch_return_datasets(TableSource({"ff3": ff3, "mom": mom}), ["ff3", "mom"], "monthly")
    assert list(out.columns) == ["Mkt", "RF", "Mom"]
    assert list(out.index) == list(dates[1:])
    np.testing.assert_array_equal(out["Mkt"].to_numpy(), [0.2, 0.3, 0.4])
    np.testing.assert_array_equal(out["Mom"].to_numpy(), [1.0, 2.0, 3.0])


def test_fetch_return_datasets_errors():
    with pytest.raises(DataError, match=r"unknown return dataset\(s\) 'ind49'; known: ff3, mom"):
        fetch_return_datasets(SampleSource(), ["ind12", "ind49"], "monthly")
    with pytest.raises(DataError, match="no return dataset requested"):
        fetch_return_datasets(SampleSource(), [], "monthly")

    class FactorsOnly:
        name = "f"

    with pytest.raises(DataError, match="data source 'f' does not deliver return datasets"):
        fetch_return_datasets(FactorsOnly(), ["ff3"], "monthly")  # type: ignore[arg-type]
