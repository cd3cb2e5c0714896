"""The forecast kind end to end through the real yfinance code path, offline.

``params/forecast_us_sectors.yml`` (SPY from the eleven SPDR sector ETFs, Yahoo
Finance) is run on a short window, 2018-01-02 .. 2019-04-30, against recorded
chart responses (``tests/fixtures/yahoo/forecast/``, written by
``make_forecast_responses.py``) replayed at the HTTP session layer by
``tests/yahoo_replay.py``: ``yfinance.download``, the data layer, the cache,
the notebook and the site all run unchanged, and any attempt to reach the
network raises. XLC starts trading on 2018-06-19, inside the window, so it is
a *late feature*: left out of every fit until it has ``min_train`` rows, then
in. The expected rows, entry date and coefficients are rebuilt here from the
recorded JSON and the run's data snapshot, with pandas, numpy and
scikit-learn, not with the library's row builder or models.

The run happens once per module (about 30 s on two cores); the tests share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from analysis.errors import DataError
from analysis.report import commands
from analysis.report.pipeline.runner import RunSummary
from analysis.report.pipeline.snapshot import RunData
from tests.yahoo_replay import FIXTURES, YahooReplay, replaying

pytestmark = pytest.mark.slow

RECORDINGS = FIXTURES / "forecast"
TARGET = "SPY"
FEATURES = ["XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"]
START, END = "2018-01-02", "2019-04-30"
LATE, LATE_COL = "XLC", "XLC_l1"
XLC_FIRST_BAR = pd.Timestamp("2018-06-19")
MIN_TRAIN, REFIT_EVERY = 150, 21
MODELS = ("ols", "ridge")

SIG10 = 1e-9
"""Relative tolerance for numbers read back from the CSV files, which keep 10 significant digits."""


@dataclass(frozen=True)
class Done:
    """One replayed run: its summary, the replay's record of requests, the run folder."""

    params: Path
    summary: RunSummary
    replay: YahooReplay
    root: Path


def write_params(folder: Path, name: str, features: list[str]) -> Path:
    """forecast_us_sectors.yml, cut to the recorded window and to two cheap models."""
    doc: dict[str, Any] = {
        "kind": "forecast",
        "name": name,
        "title": "SPY from the SPDR sector ETFs (replayed Yahoo Finance)",
        "data": {"source": "yahoo", "cache": True},
        "frequency": "daily",
        "start": START,
        "end": END,
        "targets": [TARGET],
        "features": features,
        "lags": [1],
        "models": list(MODELS),
        "alphas": {"min": 1.0e-6, "max": 100.0, "num": 5},
        "walk_forward": {
            "window": "expanding",
            "min_train": MIN_TRAIN,
            "refit_every": REFIT_EVERY,
            "gap": 0,
        },
        "sizing": ["binary", "proportional", "quartile"],
        "cost_bps": 5,
        "regimes": {
            "corr_window": 63,
            "ar_window": 252,
            "pairs": [["XLE", "XLU"]],
            "markov": False,
        },
    }
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def run_replayed(params: Path, out: Path) -> Done:
    with replaying(YahooReplay(root=RECORDINGS)) as replay:
        summary = commands.run(params, out=out, jobs=1, renderer="builtin", progress=False)
    return Done(params, summary, replay, summary.root)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forecast-yahoo")


@pytest.fixture(scope="module")
def first(folder: Path) -> Done:
    return run_replayed(write_params(folder, "spy-sectors-yahoo", FEATURES), folder / "out")


@pytest.fixture(scope="module")
def second(folder: Path, first: Done) -> Done:
    """The same params file again, after ``first``: everything must come from the cache."""
    return run_replayed(first.params, folder / "out")


# --------------------------------------------------------------------------- independent rebuild


def recorded_adjclose(symbol: str) -> pd.Series:
    """Adjusted closes straight from a recording, dated by the session's New York date."""
    doc = json.loads((RECORDINGS / "chart" / f"{symbol}.json").read_text(encoding="utf-8"))
    result = doc["chart"]["result"][0]
    stamps = pd.to_datetime(result["timestamp"], unit="s", utc=True)
    dates = stamps.tz_convert(result["meta"]["exchangeTimezoneName"]).date
    return pd.Series(
        result["indicators"]["adjclose"][0]["adjclose"],
        index=pd.DatetimeIndex(dates).as_unit("ns"),
        name=symbol,
        dtype="float64",
    )


def rows_from_snapshot(root: Path) -> tuple[pd.Series, pd.DataFrame]:
    """y and lag-1 X on the target's calendar, each series' returns from its own prices."""
    prices = RunData.load(root / "data").prices
    ret = {c: np.log(prices[c].dropna()).diff().dropna() for c in [TARGET, *FEATURES]}
    y = ret[TARGET]
    X = pd.DataFrame({f"{f}_l1": ret[f].reindex(y.index).shift(1) for f in FEATURES})
    # the sample starts when every feature that is there from the start has its lag
    on_time = [f"{f}_l1" for f in FEATURES if f != LATE]
    keep = X[on_time].notna().all(axis=1)
    return y[keep], X[keep]


def refit_positions(n: int) -> list[int]:
    return list(range(MIN_TRAIN, n, REFIT_EVERY))


def entry_refit(y: pd.Series, X: pd.DataFrame) -> int:
    """Row position of the first refit whose training rows hold MIN_TRAIN values of XLC_l1."""
    observed = X[LATE_COL].notna().to_numpy()
    return next(k for k in refit_positions(len(y)) if observed[:k].sum() >= MIN_TRAIN)


def csv(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / f"{name}.csv", keep_default_na=False, na_values=[""])


# --------------------------------------------------------------------------- the run


def test_run_succeeds_from_the_recordings_alone(first: Done) -> None:
    assert first.summary.exit_code == 0, first.summary.lines()
    assert not first.replay.misses, first.replay.misses
    hosts = {urlsplit(c.url).hostname or "" for c in first.replay.calls}
    assert all(h.endswith(".yahoo.com") for h in hosts), hosts
    asked = {c.ticker for c in first.replay.chart_calls()}
    assert asked == {TARGET, *FEATURES}
    slug = "SPY"
    state = json.loads((first.root / "state" / f"{slug}.json").read_text())
    assert state["status"] == "ok", state
    for f in (f"notebooks/{slug}.ipynb", f"site/reports/{slug}.html", "site/index.html"):
        assert (first.root / f).exists(), f


def test_snapshot_holds_the_recorded_adjusted_closes(first: Done) -> None:
    prices = RunData.load(first.root / "data").prices
    assert list(prices.columns) == [TARGET, *FEATURES]
    for symbol in prices.columns:
        expect = recorded_adjclose(symbol)
        got = prices[symbol].dropna()
        assert got.index.equals(expect.index), symbol
        # yfinance rescales the float32-valued close by adjclose / close: a few ulps
        np.testing.assert_allclose(got, expect, rtol=1e-12, err_msg=symbol)
    xlc = prices[LATE]
    assert xlc.first_valid_index() == XLC_FIRST_BAR
    assert xlc.loc[XLC_FIRST_BAR:].notna().all()
    assert xlc.loc[: XLC_FIRST_BAR - pd.Timedelta(days=1)].isna().all()
    assert prices.drop(columns=LATE).notna().all().all()


def test_forecasts_start_after_min_train(first: Done) -> None:
    y, _ = rows_from_snapshot(first.root)
    f = csv(first.root, "forecasts")
    assert set(f["target"]) == {TARGET}
    expect = list(y.index[MIN_TRAIN:].strftime("%Y-%m-%d"))
    for model in [*MODELS, *(m + "-cond" for m in MODELS), "hist_mean", "zero"]:
        rows = f[f["model"] == model]
        assert list(rows["date"]) == expect, model
        np.testing.assert_allclose(rows["actual"], y.iloc[MIN_TRAIN:], rtol=SIG10)
    assert f.loc[f["model"].isin(MODELS), "prediction"].notna().all()


def test_late_feature_column_is_complete_after_its_start(first: Done) -> None:
    from analysis.forecasting import build_rows
    from analysis.report.kinds.forecast.data import log_returns
    from analysis.report.kinds.forecast.study import Run

    y, X = rows_from_snapshot(first.root)
    # XLC's first bar gives no return; its first return (the next session) is the
    # lag of the row after that
    sessions = recorded_adjclose(LATE).index
    first_value = y.index[y.index > sessions[1]][0]
    col = X[LATE_COL]
    assert col.first_valid_index() == first_value
    assert col.loc[first_value:].notna().all()
    assert col.loc[: first_value - pd.Timedelta(days=1)].isna().all()
    assert X.drop(columns=LATE_COL).notna().all().all()

    run = Run.open(first.params, first.root)
    returns = log_returns(run.params, run.data)
    lib = build_rows(returns[TARGET].dropna(), returns[FEATURES], [1])
    assert lib.first_valid[LATE_COL] == first_value
    assert all(d == y.index[0] for c, d in lib.first_valid.items() if c != LATE_COL)
    pd.testing.assert_series_equal(lib.y, y, check_names=False, rtol=1e-15)
    pd.testing.assert_frame_equal(lib.X, X, check_freq=False, rtol=1e-15)


def test_report_shows_when_the_late_feature_entered(first: Done) -> None:
    y, X = rows_from_snapshot(first.root)
    entered = f"{y.index[entry_refit(y, X)]:%Y-%m-%d}"
    first_value = f"{X[LATE_COL].first_valid_index():%Y-%m-%d}"
    nb = nbformat.read(first.root / "notebooks" / "SPY.ipynb", as_version=4)
    texts = [
        "".join(out.get("data", {}).get("text/html", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    ]
    late = [t for t in texts if "Late features" in t]
    assert len(late) == 1, "the notebook shows one 'Late features' table"
    assert LATE_COL in late[0] and first_value in late[0] and entered in late[0]
    assert not any(f"{c}_l1" in late[0] for c in FEATURES if c != LATE)
    page = (first.root / "site" / "reports" / "SPY.html").read_text(encoding="utf-8")
    assert "Late features" in page and LATE_COL in page and entered in page


def test_late_coefficients_are_nan_until_entry_then_match_scikit_learn(first: Done) -> None:
    y, X = rows_from_snapshot(first.root)
    refits = refit_positions(len(y))
    k_in = entry_refit(y, X)
    assert refits[0] < k_in <= refits[-2], "the window holds refits before and after entry"
    c = csv(first.root, "coefficients")
    for model in MODELS:
        cm = c[(c["model"] == model)]
        assert list(dict.fromkeys(cm["refit_date"])) == [f"{y.index[k]:%Y-%m-%d}" for k in refits]
        late = cm[cm["term"] == LATE_COL].set_index("refit_date")["coef"]
        before = [f"{y.index[k]:%Y-%m-%d}" for k in refits if k < k_in]
        after = [f"{y.index[k]:%Y-%m-%d}" for k in refits if k >= k_in]
        assert late.loc[before].isna().all(), model
        assert late.loc[after].notna().all() and (late.loc[after] != 0).any(), model
        others = cm[~cm["term"].isin([LATE_COL])]
        assert others["coef"].notna().all(), model

        # one refit either side of the entry, refitted with scikit-learn: XLC dropped
        # before; after, its earlier training rows mean-imputed (SimpleImputer) and
        # every column standardized with the population sd (StandardScaler)
        for k in (refits[refits.index(k_in) - 1], k_in):
            cols = list(X.columns) if k >= k_in else [x for x in X.columns if x != LATE_COL]
            got = cm[cm["refit_date"] == f"{y.index[k]:%Y-%m-%d}"].set_index("term")["coef"]
            est: LinearRegression | Ridge
            if model == "ols":
                est = LinearRegression()
            else:
                alpha = float(cm[cm["refit_date"] == f"{y.index[k]:%Y-%m-%d}"]["alpha"].iloc[0])
                est = Ridge(alpha=alpha)
            pipe = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(), est)
            pipe.fit(X[cols].iloc[:k], y.iloc[:k])
            # exact least squares / closed-form ridge on both sides, printed to 10 digits
            np.testing.assert_allclose(got[cols], est.coef_, rtol=1e-8, atol=1e-14)
            np.testing.assert_allclose(got["intercept"], est.intercept_, rtol=1e-8)


def test_second_run_reads_the_cache(first: Done, second: Done) -> None:
    assert second.summary.exit_code == 0, second.summary.lines()
    assert second.replay.chart_calls() == []
    assert second.replay.calls == []
    a = RunData.load(first.root / "data").prices
    b = RunData.load(second.root / "data").prices
    pd.testing.assert_frame_equal(a, b)


def test_unknown_feature_fails_the_run_naming_it(folder: Path) -> None:
    params = write_params(folder, "spy-sectors-xlzz", [*FEATURES, "XLZZ"])
    with (
        replaying(YahooReplay(root=RECORDINGS)) as replay,
        pytest.raises(DataError, match=r"'features'.*XLZZ") as caught,
    ):
        commands.run(params, out=folder / "out-xlzz", jobs=1, renderer="builtin", progress=False)
    assert "spy-sectors-xlzz.yml" in str(caught.value)
    assert not replay.misses, "XLZZ was answered from its recorded 404 body"
    assert replay.chart_calls("XLZZ")
    assert not (folder / "out-xlzz" / "spy-sectors-xlzz" / "notebooks" / "SPY.ipynb").exists()
