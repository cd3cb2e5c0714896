"""End to end on the strategy kind's two offline params files: outputs, numbers, PDFs, browser.

Both runs happen once per test session (shared between xdist workers by a
file lock); the 20-stock sample runs three of its six models (``only``) to
keep the module's time reasonable. The numbers in the contract CSVs are
checked against independent implementations: ``scipy.stats`` and
alphalens-reloaded for IC and Rank IC on next-period returns rebuilt here from
the data snapshot, a hand-written drifting-weights loop for the backtest,
empyrical-reloaded for the performance metrics, and the portfolio rules
(legs summing to +1 / -1, top and bottom quantiles, weight cap) checked
against the scores.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
from pathlib import Path

import empyrical
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.report import commands
from analysis.report.kinds import load_params
from analysis.report.kinds.strategy import TABLES
from analysis.report.kinds.strategy.params import StrategyParams
from analysis.report.kinds.strategy.study import Run as StudyRun
from analysis.report.kinds.strategy.study import factor_matrix, predict
from analysis.report.pipeline.paths import library_hash
from analysis.report.pipeline.snapshot import RunData
from tests.helpers import CHROMIUM_FLAGS, require_tool, session_lock, watch_page
from tests.report import shared_runs

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = shared_runs.STRATEGY_SAMPLE
INDUSTRIES = shared_runs.STRATEGY_INDUSTRIES
EPOCH = shared_runs.EPOCH
ONLY = shared_runs.STRATEGY_ONLY

pytestmark = pytest.mark.slow

REL = 1e-8
"""Metrics recomputed from the CSV files, whose values keep 10 significant digits."""
CSV_ABS = 2e-9
"""Correlations of CSV values: scores and returns keep 10 significant digits (1e-10 relative),
which moves a correlation of 20 names by a few 1e-10."""
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run both offline strategy params once per session; the folder holding both runs."""

    return shared_runs.strategy_runs(tmp_path_factory)


def _params(path: Path) -> StrategyParams:
    p = load_params(path)
    assert isinstance(p, StrategyParams)
    return p


def _models(path: Path) -> list[str]:
    """The models the session ran for a params file."""
    return ONLY[path] or _params(path).units


Run = tuple[StrategyParams, Path, list[str]]


@pytest.fixture(scope="module", params=[SAMPLE, INDUSTRIES], ids=["sp500-sample", "industries"])
def run(request: pytest.FixtureRequest, out: Path) -> Run:
    p = _params(request.param)
    return p, out / p.name, _models(request.param)


def _csv(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / f"{name}.csv", keep_default_na=False, na_values=[""])


def _of_model(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    """A long table's rows of one model, indexed by date."""
    rows = frame[frame["model"] == model]
    return rows.set_index(pd.DatetimeIndex(pd.to_datetime(rows["date"]), name="date"))


def _periods_per_year(p: StrategyParams) -> int:
    return 12 if p.datasets else 252  # monthly panel / daily prices


# --------------------------------------------------------------------------- rebuilt inputs


def _returns(p: StrategyParams, root: Path) -> pd.DataFrame:
    """Simple returns of the universe (date x ticker) from the snapshot, daily or monthly."""
    data = RunData.load(root / "data")
    if p.datasets:
        return data.factors["returns"].dropna(how="all")
    px = data.prices[list(p.universe or [])].dropna(how="all")
    return px.pct_change(fill_method=None)


def _labels(p: StrategyParams, root: Path) -> pd.Series:
    """Next-period simple return at each rebalance date, on (date, ticker), rebuilt here.

    Daily prices: rebalance dates are the last trading day of each calendar month in the
    data and the label is P(next rebalance date) / P(date) - 1. Monthly panel: every
    month is a rebalance date and the label is next month's return.
    """
    data = RunData.load(root / "data")
    if p.datasets:
        r = data.factors["returns"].dropna(how="all")
        nxt = r.shift(-1)
    else:
        px = data.prices[list(p.universe or [])].dropna(how="all")
        last = px.index.to_series().groupby(px.index.to_period("M")).max()
        at = px.loc[pd.DatetimeIndex(last.to_numpy())]
        nxt = at.shift(-1) / at - 1.0
    y = nxt.stack().rename("y")
    y.index = y.index.set_names(["date", "ticker"])
    return y


def _scores(root: Path, model: str) -> pd.Series:
    s = _csv(root, "scores")
    s = s[s["model"] == model]
    return pd.Series(
        s["model_score"].to_numpy(),
        index=pd.MultiIndex.from_arrays(
            [pd.to_datetime(s["date"]), s["ticker"]], names=["date", "ticker"]
        ),
        name="score",
    )


# --------------------------------------------------------------------------- outputs


def test_runs_succeed_with_every_output(out: Path, run: Run) -> None:
    p, root, models = run
    summary = json.loads((out / "summary.json").read_text())[p.name]
    assert summary["exit"] == 0, summary["lines"]
    assert summary["status"] == dict.fromkeys(models, "ok"), summary["lines"]
    for model in models:
        slug = p.slugs[model]
        for f in (f"notebooks/{slug}.ipynb", f"pdf/{slug}.pdf", f"site/reports/{slug}.html"):
            assert (root / f).exists(), f
        state = json.loads((root / "state" / f"{slug}.json").read_text())
        assert state["status"] == "ok"
        assert state["components"] == {model: "ok", "portfolio": "ok"}
    for name in ("index.html", "methodology.html", "assets/plotly.min.js"):
        assert (root / "site" / name).exists(), name
    for t in TABLES:
        assert (root / "site" / "downloads" / f"{t.name}.csv").exists(), t.name
    assert not list(root.rglob(".*.partial.ipynb"))
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["kind"] == "strategy"
    # every model of the params is listed; those left out by --only say so
    assert set(manifest["units"]) == set(p.slugs)
    this_run = {u: e["this_run"] for u, e in manifest["units"].items()}
    assert this_run == {u: "ok" if u in models else "not selected" for u in p.slugs}


def test_contract_tables_have_exactly_their_columns(run: Run) -> None:
    _, root, models = run
    for t in TABLES:
        frame = _csv(root, t.name)
        assert tuple(frame.columns) == t.columns, t.name
        assert len(frame) > 0, t.name
        if "date" in frame:
            dates = frame["date"].astype(str)
            assert dates.str.fullmatch(DATE).all(), t.name
            assert pd.to_datetime(dates, format="%Y-%m-%d").notna().all(), t.name
    for name in ("scores", "weights", "ic"):
        assert set(_csv(root, name)["model"]) == set(models), name
    assert set(_csv(root, "backtest")["model"]) == {*models, "equal_weight"}
    m = _csv(root, "metrics")
    assert set(m["basis"]) == {"gross", "net", "reference", "signal"}
    assert {"equal_weight", "benchmark"} <= set(m.loc[m["basis"] == "reference", "model"])
    for model in models:
        assert set(m.loc[m["model"] == model, "basis"]) == {"gross", "net", "signal"}, model


# --------------------------------------------------------------------------- numbers


def test_ic_equals_scipy_on_rebuilt_labels(run: Run) -> None:
    """Per date: Pearson and Spearman of scores.csv against next-period returns rebuilt here."""
    p, root, models = run
    y = _labels(p, root)
    ic = _csv(root, "ic")
    for model in models:
        joined = pd.concat([_scores(root, model), y], axis=1, join="inner").dropna()
        expect = joined.groupby(level="date").apply(
            lambda g: pd.Series(
                {
                    "ic": stats.pearsonr(g["score"], g["y"])[0],
                    "rank_ic": stats.spearmanr(g["score"], g["y"])[0],
                }
            )
        )
        got = _of_model(ic, model)
        # every scored date whose next-period return is known has an IC, and no other date
        assert got.index.equals(expect.index), model
        assert len(got) > 100
        np.testing.assert_allclose(got["ic"], expect["ic"], rtol=0, atol=CSV_ABS)
        np.testing.assert_allclose(got["rank_ic"], expect["rank_ic"], rtol=0, atol=CSV_ABS)


def test_rank_ic_equals_alphalens(run: Run) -> None:
    import alphalens.performance as perf

    p, root, models = run
    model = models[1]  # the first model beside the composite
    frame = pd.concat([_scores(root, model).rename("factor"), _labels(p, root)], axis=1)
    frame = frame.dropna().rename(columns={"y": "1D"})
    frame.index = frame.index.set_names(["date", "asset"])
    frame["factor_quantile"] = frame.groupby(level="date")["factor"].transform(
        lambda s: pd.qcut(s.rank(method="first"), p.portfolio.quantiles, labels=False) + 1
    )
    expect = perf.factor_information_coefficient(frame[["1D", "factor", "factor_quantile"]])["1D"]
    ic = _csv(root, "ic")
    got = _of_model(ic, model)
    assert got.index.equals(pd.DatetimeIndex(expect.index))
    np.testing.assert_allclose(got["rank_ic"], expect.to_numpy(), rtol=0, atol=CSV_ABS)


def test_weights_follow_the_scores_of_their_date(run: Run) -> None:
    """Legs sum to +1 and -1, the cap holds, and the legs are the top and bottom quantiles."""
    p, root, models = run
    pf = p.portfolio
    assert pf.type == "long_short"
    w = _csv(root, "weights")
    s = _csv(root, "scores")
    for model in models:
        wm = w[w["model"] == model].set_index(["date", "ticker"])["target_weight"]
        sm = s[s["model"] == model].set_index(["date", "ticker"])["model_score"]
        # weights at t only name (date, ticker) rows scored at t
        missing = wm.index.difference(sm.index)
        assert missing.empty, (model, list(missing[:5]))
        assert set(wm.index.get_level_values("date")) == set(sm.index.get_level_values("date"))
        # the weights are exact leg shares, summed from 10-significant-digit values
        if pf.max_weight is not None:
            assert (wm.abs() <= pf.max_weight + 1e-9).all(), model
        for date, scores in sm.groupby(level="date"):
            scores = scores.droplevel("date")
            wd = wm.loc[date]
            long, short = wd[wd > 0], wd[wd < 0]
            assert long.sum() == pytest.approx(1.0, abs=1e-9), (model, date)
            assert short.sum() == pytest.approx(-1.0, abs=1e-9), (model, date)
            n, q = len(scores), pf.quantiles
            assert math.floor(n / q) <= len(long) <= math.ceil(n / q), (model, date, len(long))
            assert math.floor(n / q) <= len(short) <= math.ceil(n / q), (model, date)
            rest = scores.drop(wd.index)
            # >=: tied scores are split by position in the index, so a tie may straddle
            assert scores[long.index].min() >= rest.max(), (model, date)
            assert scores[short.index].max() <= rest.min(), (model, date)
            assert scores[long.index].min() > scores[short.index].max(), (model, date)


def _drift_book(weights: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """Gross return and turnover of a book rebalanced to ``weights``, drifting in between.

    Written independently of analysis.backtest.drift: positions grow with their own
    returns, the return is the P&L over the capital at the previous close, turnover is
    traded on the rebalance date from the drifted weights and reported on the next date.
    """
    r = returns.reindex(columns=weights.columns).fillna(0.0)
    first = returns.index.get_loc(weights.index[0])
    held = np.zeros(len(weights.columns))
    pending = 0.0
    rows = {}
    targets = {d: weights.loc[d].to_numpy() for d in weights.index}
    for i in range(first, len(returns.index)):
        date = returns.index[i]
        if i > first:
            ri = r.iloc[i].to_numpy()
            gross = float(held @ ri)
            rows[date] = (gross, pending)
            held = held * (1 + ri) / (1 + gross)
            pending = 0.0
        if date in targets:
            pending = float(np.abs(targets[date] - held).sum())
            held = targets[date]
    return pd.DataFrame.from_dict(rows, orient="index", columns=["gross", "turnover"])


def test_backtest_follows_from_weights_and_returns(run: Run) -> None:
    """Gross return, turnover, net = gross - c * turnover, the references, row by row."""
    p, root, models = run
    c = p.cost_bps / 1e4
    bt = _csv(root, "backtest")
    returns = _returns(p, root)
    w = _csv(root, "weights")
    for model in models:
        b = _of_model(bt, model)
        # CSV values keep 10 significant digits: turnover ~1 and returns ~1e-2
        np.testing.assert_allclose(
            b["net_return"], b["gross_return"] - c * b["turnover"], rtol=1e-9, atol=1e-12
        )
        wide = (
            w[w["model"] == model]
            .pivot(index="date", columns="ticker", values="target_weight")
            .fillna(0.0)
        )
        wide.index = pd.to_datetime(wide.index)
        expect = _drift_book(wide, returns)
        assert b.index.equals(expect.index), model
        np.testing.assert_allclose(b["gross_return"], expect["gross"], rtol=1e-8, atol=1e-11)
        np.testing.assert_allclose(b["turnover"], expect["turnover"], rtol=1e-8, atol=1e-9)
    ew = bt[bt["model"] == "equal_weight"]
    assert len(ew) == len(bt[bt["model"] == models[0]])
    np.testing.assert_array_equal(ew["net_return"], ew["gross_return"])
    assert ew["turnover"].isna().all()
    assert ew["benchmark_return"].notna().sum() > 0.9 * len(ew)
    if p.datasets:
        # rebalanced to equal weights every month: next month's cross-sectional mean return
        ew_r = _of_model(bt, "equal_weight")["gross_return"]
        np.testing.assert_allclose(
            ew_r, returns.mean(axis=1).reindex(ew_r.index), rtol=1e-8, atol=1e-12
        )


def test_metrics_equal_empyrical(run: Run) -> None:
    p, root, models = run
    ann = {"annualization": _periods_per_year(p)}
    m = _csv(root, "metrics").set_index(["model", "basis", "metric"])["value"]
    bt = _csv(root, "backtest")
    for model in (*models, "equal_weight"):
        basis = "reference" if model == "equal_weight" else "net"
        r = bt.loc[bt["model"] == model, "net_return"].dropna().to_numpy()
        key = (model, basis)
        assert m[(*key, "sharpe")] == pytest.approx(empyrical.sharpe_ratio(r, **ann), rel=REL)
        assert m[(*key, "cagr")] == pytest.approx(empyrical.cagr(r, **ann), rel=REL)
        assert m[(*key, "max_drawdown")] == pytest.approx(empyrical.max_drawdown(r), rel=REL)
        assert m[(*key, "volatility")] == pytest.approx(
            empyrical.annual_volatility(r, **ann), rel=REL
        )
    # signal rows: the mean Rank IC of ic.csv
    ic = _csv(root, "ic")
    for model in models:
        ric = ic.loc[ic["model"] == model, "rank_ic"].dropna()
        assert m[(model, "signal", "rank_ic_mean")] == pytest.approx(ric.mean(), rel=REL)
        assert m[(model, "signal", "n_dates")] == len(ric)


def test_factor_premia_has_both_methods_for_every_factor(run: Run) -> None:
    p, root, _ = run
    f = _csv(root, "factor_premia")
    rows = set(zip(f["factor"], f["method"], strict=True))
    for name in (x.name for x in p.factors):
        assert {(name, "fama_macbeth"), (name, "quantile_spread")} <= rows, name
    assert f[["estimate", "std_error", "t_stat"]].notna().all().all()
    np.testing.assert_allclose(f["t_stat"], f["estimate"] / f["std_error"], rtol=1e-8)


def test_scores_ignore_returns_after_their_date(out: Path) -> None:
    """No look-ahead: noise in place of every return after d leaves each score at or before d."""
    p = _params(INDUSTRIES)
    root = out / p.name
    data = RunData.load(root / "data")
    returns = data.factors["returns"]
    scores = _scores(root, "ridge")
    dates = scores.index.get_level_values("date").unique()
    d = dates[len(dates) // 2]
    rng = np.random.default_rng(7)
    after = returns.index > d
    noisy = returns.copy()
    noisy.loc[after] = rng.normal(0.0, 0.05, (int(after.sum()), returns.shape[1]))
    perturbed = dataclasses.replace(data, factors={**data.factors, "returns": noisy})
    fm = factor_matrix(StudyRun(params=p, data=perturbed, folder=root))
    got = predict(fm, "ridge").results["ridge"].scores.dropna()
    kept = got[got.index.get_level_values("date") <= d]
    assert len(kept) > 100
    # scores.csv keeps 10 significant digits of scores of order 1e-2..1
    np.testing.assert_allclose(kept, scores.reindex(kept.index), rtol=1e-9, atol=1e-12)
    # the noise does reach the scores after d (the check above can fail)
    later = got[got.index.get_level_values("date") > d]
    assert not np.allclose(later, scores.reindex(later.index), rtol=1e-6, equal_nan=True)


# --------------------------------------------------------------------------- documents


def test_pdf_reads_as_a_report(run: Run) -> None:
    pdftotext = require_tool("pdftotext")
    p, root, models = run
    pdf = root / "pdf" / f"{p.slugs[models[1]]}.pdf"
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for needle in ("STRATEGY REPORT", "M1", "M2", "M3", "M4", "M5", "Signal quality"):
        assert needle in text, needle
    assert "Factor premia" in text
    # 20 names in 5 quantiles and 12 in 3 both leave 4 names per quantile
    assert "A small universe" in text


def test_site_in_chromium(out: Path) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    p = _params(SAMPLE)
    models = _models(SAMPLE)
    site = out / p.name / "site"
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = watch_page(page)
        page.goto((site / "index.html").as_uri())
        # every model of the params has a row; the ones the session ran are ok
        assert page.locator("#table-strategy tbody tr").count() == len(p.units)
        ok = page.locator("#table-strategy tbody tr.status-ok td:first-child").all_inner_texts()
        assert sorted(ok) == sorted(models)
        header = page.locator("#table-strategy th", has_text="Net Sharpe")
        header.click()
        header.click()
        cells = page.locator("#table-strategy tbody tr td:nth-child(6)").all_inner_texts()
        values = [float(v.replace("\u2212", "-")) for v in cells if v != "—"]
        assert len(values) == len(models)
        assert values == sorted(values) or values == sorted(values, reverse=True)

        page.goto((site / "reports" / f"{p.slugs[models[1]]}.html").as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 10", timeout=30000
        )
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')).filter("
            "d => d.querySelector('.main-svg') && d.getBoundingClientRect().height > 50).length"
        )
        figures = page.evaluate("document.querySelectorAll('.report-figure').length")
        assert drawn == figures and drawn >= 10

        page.goto((site / "methodology.html").as_uri())
        assert page.locator("math").count() > 5
        browser.close()
    assert problems == []


def test_rerun_skips_every_unchanged_model(out: Path) -> None:
    """A second run with the same inputs executes nothing and leaves the tables as they were."""
    p = _params(INDUSTRIES)
    root = out / p.name
    if json.loads((out / "summary.json").read_text())["library"] != library_hash():
        # the input hash covers analysis/ and templates/: an edit during the session
        # (another developer's working tree) rightly re-runs every model
        pytest.skip("the library's source changed since the session's runs")
    with session_lock(out):
        before = {t.name: (root / f"{t.name}.csv").read_bytes() for t in TABLES}
        mp = pytest.MonkeyPatch()
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        try:
            again = commands.run(INDUSTRIES, out=out, jobs=2, renderer="builtin", progress=False)
        finally:
            mp.undo()
    assert again.exit_code == 0
    assert {o.unit: o.status for o in again.outcomes} == dict.fromkeys(p.units, "skipped")
    for name, content in before.items():
        assert (root / f"{name}.csv").read_bytes() == content, name
