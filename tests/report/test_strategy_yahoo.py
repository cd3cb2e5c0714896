"""The strategy kind end to end through the real yfinance code path, offline.

A params file like ``params/strategy_us_yahoo.yml``, cut to the eleven SPDR
sector ETFs with SPY as benchmark on the window of the forecast recordings
(2018-01-02 .. 2019-04-30, ``tests/fixtures/yahoo/forecast/``), is run with
:func:`analysis.report.commands.run` inside the replay of
``tests/yahoo_replay.py``: ``yfinance.download``, the data layer, the cache,
the notebooks and the site run unchanged, and any attempt to reach the network
raises. Momentum is left out (it needs twelve months of history before the
first rebalance date, which the window lacks).

The ``size`` factor asks Yahoo for every name's share history
(``Ticker.get_shares_full``, from 400 days before the start). Two cases:
none recorded (every name's request gets Yahoo's 404 body), and six of the
eleven recorded (``tests/fixtures/yahoo/strategy/timeseries/``, served beside
the forecast chart recordings from one replay root built in a temporary
folder). The size values are rebuilt here from the recorded JSON and the run's
price snapshot with pandas and numpy, not with the library's ``size_factor``.

The run's backtest is about seven months long: shorter than the rolling 12-month
Sharpe window, whose chart becomes a note (once a bug that failed every tear
sheet). A run whose names have no share history at all stops with a DataError
naming 'factors' and size (once a crash in the notebook).

Each run happens once per module (4 runs and a cached rerun, about 25 s on two cores).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.errors import DataError
from analysis.report import commands
from analysis.report.kinds.strategy import TABLES
from analysis.report.pipeline.runner import RunSummary
from analysis.report.pipeline.snapshot import RunData
from tests.yahoo_replay import FIXTURES, YahooReplay, replaying

pytestmark = pytest.mark.slow

CHARTS = FIXTURES / "forecast"
SHARES = FIXTURES / "strategy" / "timeseries"
BENCHMARK = "SPY"
UNIVERSE = ["XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"]
WITH_SHARES = sorted(p.stem for p in SHARES.glob("*.json"))
START, END = "2018-01-02", "2019-04-30"
MODELS = ("composite", "ridge")
QUANTILES = 3
MIN_NAMES = 6
SHARES_LOOKBACK = pd.Timedelta(days=400)
"""``fetch_run_data`` asks for share counts from this long before ``start``."""

LEG_ABS = 1e-9
"""Weights are equal leg shares written with 10 significant digits: legs sum to 1 within ~1e-10."""


@dataclass(frozen=True)
class Done:
    """One replayed run: its summary (or the error it raised), the replay's requests, the folder."""

    params: Path
    summary: RunSummary | None
    error: Exception | None
    replay: YahooReplay
    root: Path


def write_params(folder: Path, name: str, *, size: bool = False) -> Path:
    """strategy_us_yahoo.yml on the sector ETFs and the recorded window, two cheap models."""
    factors: list[Any] = ["reversal", {"name": "volatility", "sign": -1}]
    if size:
        factors.append({"name": "size", "sign": -1})
    doc: dict[str, Any] = {
        "kind": "strategy",
        "name": name,
        "title": "SPDR sector ETFs, price factors (replayed Yahoo Finance)",
        "data": {"source": "yahoo"},
        "universe": UNIVERSE,
        "benchmark": BENCHMARK,
        "start": START,
        "end": END,
        "rebalance": "monthly",
        "factors": factors,
        "preprocess": {"min_names": MIN_NAMES},
        "models": list(MODELS),
        "walk_forward": {"min_train": 6, "refit_every": 3},
        "portfolio": {"type": "long_short", "quantiles": QUANTILES},
    }
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def run_replayed(params: Path, out: Path, root: Path = CHARTS) -> Done:
    summary: RunSummary | None = None
    error: Exception | None = None
    with replaying(YahooReplay(root=root)) as replay:
        try:
            summary = commands.run(params, out=out, jobs=1, renderer="builtin", progress=False)
        except DataError as exc:
            error = exc
    return Done(params, summary, error, replay, out / params.stem)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("strategy-yahoo")


@pytest.fixture(scope="module")
def first(folder: Path) -> Done:
    return run_replayed(write_params(folder, "sectors-yahoo"), folder / "out")


@pytest.fixture(scope="module")
def second(folder: Path, first: Done) -> Done:
    """The same params file again, after ``first``: the prices must come from the cache."""
    return run_replayed(first.params, folder / "out")


@pytest.fixture(scope="module")
def no_shares(folder: Path) -> Done:
    """With size, against the forecast recordings, which hold no share history at all."""
    params = write_params(folder, "sectors-size-none", size=True)
    return run_replayed(params, folder / "out-size-none")


@pytest.fixture(scope="module")
def some_shares(folder: Path) -> Done:
    """With size, six of the eleven names' share histories recorded."""
    root = folder / "replay-root"
    root.mkdir()
    (root / "chart").symlink_to(CHARTS / "chart", target_is_directory=True)
    (root / "timeseries").symlink_to(SHARES, target_is_directory=True)
    params = write_params(folder, "sectors-size-some", size=True)
    # its own output folder, hence its own data cache: the cache of ``no_shares`` holds
    # the same share-count query (same names and window), answered with nothing
    return run_replayed(params, folder / "out-size-some", root)


def csv(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / f"{name}.csv", keep_default_na=False, na_values=[""])


def recorded_shares(symbol: str) -> pd.Series:
    """Share counts from the recording, dated by the UTC date of Yahoo's midnight stamp."""
    doc = json.loads((SHARES / f"{symbol}.json").read_text(encoding="utf-8"))
    result = doc["timeseries"]["result"][0]
    days = pd.to_datetime(result["timestamp"], unit="s").normalize().as_unit("ns")
    return pd.Series(result["shares_out"], index=days, dtype="float64", name=symbol)


def coverage_table(notebook: Path) -> str:
    """The HTML of the executed notebook's 'Factor coverage' table."""
    nb = nbformat.read(notebook, as_version=4)
    texts = [
        "".join(out.get("data", {}).get("text/html", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    ]
    found = [t for t in texts if "Factor coverage" in t]
    assert len(found) == 1, "the notebook shows one 'Factor coverage' table"
    return found[0]


def coverage_row(html: str, factor: str) -> list[str]:
    """The cells of ``factor``'s row in the coverage table's HTML, markup stripped."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        ]
        if cells and cells[0] == factor:
            return cells
    raise AssertionError(f"no row for {factor!r} in the coverage table")


def month_ends(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The last session of each calendar month: monthly rebalance dates, rebuilt with pandas."""
    days = index.to_series()
    return pd.DatetimeIndex(days.groupby(days.index.to_period("M")).max().to_numpy())


# --------------------------------------------------------------------------- the price run


def test_run_succeeds(first: Done) -> None:
    assert first.summary is not None, first.error
    assert first.summary.exit_code == 0, first.summary.lines()
    assert {o.unit: o.status for o in first.summary.outcomes} == dict.fromkeys(MODELS, "ok")
    for model in MODELS:
        state = json.loads((first.root / "state" / f"{model}.json").read_text())
        assert state["status"] == "ok", state
        for f in (f"notebooks/{model}.ipynb", f"site/reports/{model}.html"):
            assert (first.root / f).exists(), f
    assert (first.root / "site" / "index.html").exists()


def test_the_recordings_answer_every_request(first: Done) -> None:
    assert first.summary is not None, first.error
    assert not first.replay.misses, first.replay.misses
    hosts = {urlsplit(c.url).hostname or "" for c in first.replay.calls}
    assert all(h.endswith(".yahoo.com") for h in hosts), hosts
    assert {c.ticker for c in first.replay.chart_calls()} == {BENCHMARK, *UNIVERSE}
    # no size factor, so no share-count request
    assert first.replay.shares_calls() == []
    prices = RunData.load(first.root / "data").prices
    assert set(prices.columns) == {BENCHMARK, *UNIVERSE}
    assert f"{prices.index.min():%Y-%m-%d}" == START and f"{prices.index.max():%Y-%m-%d}" == END


def test_contract_tables_have_their_columns_and_rows(first: Done) -> None:
    for t in TABLES:
        assert (first.root / "site" / "downloads" / f"{t.name}.csv").exists(), t.name
        frame = csv(first.root, t.name)
        assert tuple(frame.columns) == t.columns, t.name
        assert len(frame) > 0, t.name
    for name in ("scores", "weights", "ic"):
        assert set(csv(first.root, name)["model"]) == set(MODELS), name
    assert set(csv(first.root, "backtest")["model"]) >= set(MODELS)


def test_scores_start_after_min_train_dates(first: Done) -> None:
    """The first score comes on the seventh rebalance date with six names holding both factors."""
    prices = RunData.load(first.root / "data").prices[UNIVERSE]
    scores = csv(first.root, "scores")
    dates = month_ends(prices.index)
    scored = pd.DatetimeIndex(sorted(set(pd.to_datetime(scores["date"]))))
    assert scored.isin(dates).all(), "scores come only on month-end sessions"
    # the composite needs no fit, but it is walked forward on the same splits as ridge
    for model in MODELS:
        got = pd.DatetimeIndex(
            sorted(set(pd.to_datetime(scores.loc[scores["model"] == model, "date"])))
        )
        assert got.equals(scored), model
    first_scored = dates.get_loc(scored[0])
    assert first_scored >= 6, "six training dates come before the first score"
    assert scored.equals(dates[first_scored:]), "every month-end after the first is scored"


def test_weights_are_the_score_quantile_legs(first: Done) -> None:
    """Each date's long leg sums to +1, its short leg to -1, and they are the top/bottom thirds."""
    w = csv(first.root, "weights")
    s = csv(first.root, "scores")
    assert len(w) > 0
    for model in MODELS:
        wm = w[w["model"] == model].set_index(["date", "ticker"])["target_weight"]
        sm = s[s["model"] == model].set_index(["date", "ticker"])["model_score"]
        assert wm.index.difference(sm.index).empty, model
        for date, scores in sm.groupby(level="date"):
            scores = scores.droplevel("date").dropna()
            wd = wm.loc[date]
            long, short = wd[wd > 0], wd[wd < 0]
            assert long.sum() == pytest.approx(1.0, abs=LEG_ABS), (model, date)
            assert short.sum() == pytest.approx(-1.0, abs=LEG_ABS), (model, date)
            n = len(scores)
            for leg in (long, short):
                assert math.floor(n / QUANTILES) <= len(leg) <= math.ceil(n / QUANTILES)
                np.testing.assert_allclose(leg.abs(), 1.0 / len(leg), rtol=1e-9)
            rest = scores.drop(wd.index)
            assert scores[long.index].min() >= rest.max(), (model, date)
            assert scores[short.index].max() <= rest.min(), (model, date)


def test_second_run_reads_the_cache(first: Done, second: Done) -> None:
    assert second.summary is not None, second.error
    assert second.replay.chart_calls() == []
    assert second.replay.calls == []
    a = RunData.load(first.root / "data").prices
    b = RunData.load(second.root / "data").prices
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- size


def test_size_asks_for_every_names_share_history(no_shares: Done) -> None:
    calls = no_shares.replay.shares_calls()
    assert {c.shares_ticker for c in calls} == set(UNIVERSE), "the benchmark has no size"
    # midnight in New York (EST), 400 days before the start
    first_day = pd.Timestamp(START) - SHARES_LOOKBACK
    period1 = int(pd.Timestamp(first_day, tz="America/New_York").timestamp())
    for c in calls:
        query = dict(part.split("=") for part in urlsplit(c.url).query.split("&"))
        assert int(query["period1"]) == period1, c.url
    # the only unanswered requests are the share counts nobody recorded
    assert {m.shares_ticker for m in no_shares.replay.misses} == set(UNIVERSE)
    assert all(m.ticker is None for m in no_shares.replay.misses)


def test_size_without_any_share_history_is_a_clear_outcome(no_shares: Done) -> None:
    """Either a DataError naming 'factors' and size, or a run that finishes without size."""
    if no_shares.error is not None:
        assert re.search(r"'factors'.*size", str(no_shares.error)), no_shares.error
        return
    assert no_shares.summary is not None
    errors = [o.error or "" for o in no_shares.summary.outcomes]
    assert not any("NaT" in e for e in errors), errors
    assert no_shares.summary.exit_code == 0, no_shares.summary.lines()


def test_size_from_recorded_shares_is_in_the_factor_matrix(some_shares: Done) -> None:
    assert some_shares.summary is not None, some_shares.error
    assert WITH_SHARES == ["XLB", "XLE", "XLF", "XLK", "XLU", "XLV"]
    assert all(m.ticker is None for m in some_shares.replay.misses), "every chart is recorded"
    assert {m.shares_ticker for m in some_shares.replay.misses} == set(UNIVERSE) - set(WITH_SHARES)

    data = RunData.load(some_shares.root / "data")
    shares = data.factors["shares"]
    assert sorted(shares.columns) == WITH_SHARES
    lo = pd.Timestamp(START) - SHARES_LOOKBACK
    for t in WITH_SHARES:
        expect = recorded_shares(t)[lo:END]
        pd.testing.assert_series_equal(
            shares[t].dropna(), expect, check_names=False, check_freq=False
        )

    # size = ln(price x last count reported at or before the date), rebuilt with pandas
    prices = data.prices[UNIVERSE]
    dates = month_ends(prices.index)
    asof = {t: recorded_shares(t).reindex(dates, method="ffill") for t in WITH_SHARES}
    expect = pd.DataFrame({t: np.log(prices.loc[dates, t] * asof[t]) for t in WITH_SHARES})
    assert expect.notna().all().all(), "every month-end has a report within 400 days"

    from analysis.report.kinds.strategy.study import Run, factor_matrix

    fm = factor_matrix(Run.open(some_shares.params, some_shares.root))
    got = fm.raw["size"].unstack("ticker")
    assert got.index.equals(dates)
    # ln of the same float64 product, computed once per side
    np.testing.assert_allclose(got[WITH_SHARES], expect, rtol=1e-14)
    assert got.drop(columns=WITH_SHARES).isna().all().all()

    for model in MODELS:
        html = coverage_table(some_shares.root / "notebooks" / f"{model}.ipynb")
        row = coverage_row(html, "size")
        # the table prints the count as a float ('96.0000')
        assert float(row[1].replace(",", "")) == len(dates) * len(WITH_SHARES), row
        assert coverage_row(html, "reversal")
