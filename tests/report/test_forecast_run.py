"""End to end on the forecast kind's two offline params files: outputs, numbers, PDFs, browser.

Both runs happen once per test session (shared between xdist workers by a
file lock). The numbers in the contract CSVs are checked against independent
implementations: scikit-learn and ``numpy.linalg.lstsq`` refits from returns
rebuilt here from the data snapshot, empyrical-reloaded for the performance
metrics, statsmodels for the Diebold-Mariano statistic, and a hand-written
expanding median for the regime labels.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import empyrical
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import Lasso, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from analysis.regression.ols import newey_west_lags
from analysis.report import commands
from analysis.report.kinds import load_params
from analysis.report.kinds.forecast import TABLES
from analysis.report.kinds.forecast.params import ForecastParams
from analysis.report.pipeline.runs_index import write_runs_index
from analysis.report.pipeline.snapshot import RunData
from tests.helpers import CHROMIUM_FLAGS, require_tool, session_lock, watch_page
from tests.report import shared_runs

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = shared_runs.FORECAST_SAMPLE
INDUSTRIES = shared_runs.FORECAST_INDUSTRIES
EPOCH = shared_runs.EPOCH

pytestmark = pytest.mark.slow

REL = 1e-8
"""Metrics recomputed from the CSV files, whose values keep 10 significant digits."""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run both offline forecast params once per session; the folder holding both runs."""

    return shared_runs.forecast_runs(tmp_path_factory)


def _params(path: Path) -> ForecastParams:
    p = load_params(path)
    assert isinstance(p, ForecastParams)
    return p


@pytest.fixture(scope="module", params=[SAMPLE, INDUSTRIES], ids=["spy-sectors", "industries"])
def run(request: pytest.FixtureRequest, out: Path) -> tuple[ForecastParams, Path]:
    p = _params(request.param)
    return p, out / p.name


def _csv(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / f"{name}.csv", keep_default_na=False, na_values=[""])


def _model_ids(p: ForecastParams) -> list[str]:
    ids = [m.id for m in p.models]
    return ids + [f"{i}-cond" for i in ids] if p.regimes.conditional else ids


# --------------------------------------------------------------------------- outputs


def test_runs_succeed_with_every_output(out: Path, run: tuple[ForecastParams, Path]) -> None:
    p, root = run
    summary = json.loads((out / "summary.json").read_text())[p.name]
    assert summary["exit"] == 0, summary["lines"]
    for t in p.targets:
        slug = p.slugs[t]
        for f in (f"notebooks/{slug}.ipynb", f"pdf/{slug}.pdf", f"site/reports/{slug}.html"):
            assert (root / f).exists(), f
        state = json.loads((root / "state" / f"{slug}.json").read_text())
        assert state["status"] == "ok"
        assert set(state["components"]) == {*_model_ids(p), "markov"}
    for name in ("index.html", "methodology.html", "assets/plotly.min.js"):
        assert (root / "site" / name).exists(), name
    for t in TABLES:
        assert (root / "site" / "downloads" / f"{t.name}.csv").exists()
    assert not list(root.rglob(".*.partial.ipynb"))
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["kind"] == "forecast"
    assert set(manifest["units"]) == set(p.targets)


def test_contract_tables_have_exactly_their_columns(run: tuple[ForecastParams, Path]) -> None:
    p, root = run
    for t in TABLES:
        frame = _csv(root, t.name)
        assert tuple(frame.columns) == t.columns, t.name
        assert len(frame) > 0, t.name
        assert set(frame["target"]) == set(p.targets), t.name
    f = _csv(root, "forecasts")
    assert set(f["model"]) == {*_model_ids(p), "hist_mean", "zero"}
    assert pd.to_datetime(f["date"], format="%Y-%m-%d").notna().all()
    assert set(f["regime"].dropna()) <= {"high", "low"}
    s = _csv(root, "strategy_returns")
    combos = set(zip(s["model"], s["sizing"], strict=True))
    for m in _model_ids(p):
        assert {(m, r) for r in p.sizing} <= combos
    assert ("buy_and_hold", "hold") in combos
    m = _csv(root, "metrics")
    forecast_metrics = m[m["sizing"].isna()]
    assert set(forecast_metrics["metric"]) == {
        "n", "rmse", "mae", "r2_oos", "hit_rate", "dm_stat", "dm_pvalue"
    }  # fmt: skip
    assert {"all", "coupling=high", "coupling=low"} <= set(m["scope"])
    c = _csv(root, "coefficients")
    assert {"intercept", *(f"{x}_l{lag}" for x in p.features for lag in p.lags)} <= set(c["term"])


# --------------------------------------------------------------------------- numbers


def _rows(p: ForecastParams, root: Path, target: str) -> tuple[pd.Series, pd.DataFrame]:
    """y and lagged X rebuilt here from the snapshot, without the library's row builder."""
    data = RunData.load(root / "data")
    if p.datasets:
        frame = np.log1p(data.factors[p.frequency])
        series = {n: frame[n].dropna() for n in (target, *p.features)}
    else:
        series = {n: np.log(data.prices[n].dropna()).diff().dropna() for n in (target, *p.features)}
    y = series[target]
    X = pd.DataFrame(
        {f"{f}_l{lag}": series[f].reindex(y.index).shift(lag) for f in p.features for lag in p.lags}
    )
    keep = X.notna().all(axis=1)
    return y[keep], X[keep]


def test_forecasts_equal_scikit_learn_refits(run: tuple[ForecastParams, Path]) -> None:
    """Three refits of each of ridge, lasso and OLS, refitted from rebuilt rows."""
    p, root = run
    target = p.targets[0]
    y, X = _rows(p, root, target)
    f = _csv(root, "forecasts")
    f = f[f["target"] == target]
    wf = p.walk_forward
    n = len(y)
    refits = list(range(wf.min_train, n, wf.refit_every))
    for k in (refits[0], refits[len(refits) // 2], refits[-1]):
        train = slice(0, k - wf.gap)
        test = y.index[k : min(k + wf.refit_every, n)]
        for model in ("ridge", "lasso", "ols"):
            got = f[f["model"] == model].set_index("date").loc[test.strftime("%Y-%m-%d")]
            if model == "ols":
                Xt = X.iloc[train]
                mu, sd = Xt.mean(), Xt.std(ddof=0)
                A = np.column_stack([np.ones(len(Xt)), (Xt - mu) / sd])
                beta = np.linalg.lstsq(A, y.iloc[train].to_numpy(), rcond=None)[0]
                Z = (X.loc[test] - mu) / sd
                expect = beta[0] + Z.to_numpy() @ beta[1:]
                tol = 1e-10  # two exact least-squares solutions
            else:
                alpha = float(got["alpha"].iloc[0])
                est = Ridge(alpha=alpha) if model == "ridge" else Lasso(alpha=alpha)
                pipe = make_pipeline(StandardScaler(), est).fit(X.iloc[train], y.iloc[train])
                expect = pipe.predict(X.loc[test])
                # ridge is closed form; lasso agrees to its solver's tolerance (tol 1e-4 on
                # the duality gap, far below the predictions' scale of 1e-3)
                tol = 1e-10 if model == "ridge" else 1e-6
            np.testing.assert_allclose(got["prediction"], expect, rtol=0, atol=tol * 10)
            # the CSV keeps 10 significant digits
            np.testing.assert_allclose(got["actual"], y.loc[test], rtol=1e-9)
            np.testing.assert_allclose(got["benchmark"], y.iloc[train].mean(), rtol=1e-9)


def test_strategy_returns_follow_from_the_forecasts(run: tuple[ForecastParams, Path]) -> None:
    """Binary/long positions from the predictions; gross and net returns by hand."""
    p, root = run
    f = _csv(root, "forecasts").set_index(["model", "date"])
    s = _csv(root, "strategy_returns")
    c = p.cost_bps / 1e4
    rule = "binary" if "binary" in p.sizing else "binary_long"
    rf = 0.0
    if p.risk_free:
        data = RunData.load(root / "data")
        rf_series = data.factors[p.frequency][p.risk_free]
    for model in ("ridge", "lasso"):
        pred = f.loc[model, "prediction"]
        actual = f.loc[model, "actual"]
        got = s[(s["model"] == model) & (s["sizing"] == rule)].set_index("date")
        if p.risk_free:
            rf = rf_series.reindex(pd.to_datetime(got.index)).to_numpy()
        # with a risk-free rate the rules bet on the forecast in excess of cash
        excess = pred.to_numpy() - np.log1p(rf)
        w = np.sign(excess) if rule == "binary" else (excess > 0).astype(float)
        np.testing.assert_array_equal(got["position"], w)
        gross = w * np.expm1(actual.to_numpy()) + (1 - w) * rf
        turnover = np.abs(np.diff(np.concatenate([[0.0], w])))
        # both sides come from 10-significant-digit CSV values (actuals ~1e-2: 1e-12 absolute)
        np.testing.assert_allclose(got["gross_return"], gross, rtol=1e-8, atol=2e-12)
        np.testing.assert_allclose(got["net_return"], gross - c * turnover, rtol=1e-8, atol=2e-12)


def test_metrics_equal_empyrical_and_statsmodels(run: tuple[ForecastParams, Path]) -> None:
    p, root = run
    P = {"daily": 252, "weekly": 52, "monthly": 12}[p.frequency]
    m = _csv(root, "metrics")
    m = m[m["scope"] == "all"].set_index(["model", "sizing", "metric"])["value"]
    s = _csv(root, "strategy_returns")
    rule = p.sizing[0]
    r = s[(s["model"] == "ridge") & (s["sizing"] == rule)].set_index("date")["net_return"]
    rf = 0.0
    if p.risk_free:
        rf = (
            RunData.load(root / "data")
            .factors[p.frequency][p.risk_free]
            .reindex(pd.to_datetime(r.index))
            .to_numpy()
        )
    excess = r.to_numpy() - rf
    key = ("ridge", rule)
    ann = {"annualization": P}
    assert m[(*key, "net_sharpe")] == pytest.approx(empyrical.sharpe_ratio(excess, **ann), rel=REL)
    assert m[(*key, "net_cagr")] == pytest.approx(empyrical.cagr(r.to_numpy(), **ann), rel=REL)
    assert m[(*key, "net_volatility")] == pytest.approx(
        empyrical.annual_volatility(r.to_numpy(), **ann), rel=REL
    )
    assert m[(*key, "net_max_drawdown")] == pytest.approx(
        empyrical.max_drawdown(r.to_numpy()), rel=REL
    )
    assert m[(*key, "net_sortino")] == pytest.approx(
        empyrical.sortino_ratio(excess, **ann), rel=REL
    )
    # forecast metrics from the forecasts themselves
    f = _csv(root, "forecasts")
    g = f[f["model"] == "lasso"]
    y, yhat, ybar = g["actual"].to_numpy(), g["prediction"].to_numpy(), g["benchmark"].to_numpy()
    r2 = 1 - np.sum((y - yhat) ** 2) / np.sum((y - ybar) ** 2)
    fm = _csv(root, "metrics")
    fm = fm[(fm["scope"] == "all") & fm["sizing"].isna()].set_index(["model", "metric"])["value"]
    assert fm[("lasso", "r2_oos")] == pytest.approx(r2, rel=REL, abs=1e-12)
    d = (y - ybar) ** 2 - (y - yhat) ** 2
    T = len(d)
    ols = sm.OLS(d, np.ones(T)).fit(
        cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(T), "use_correction": False}
    )
    hln = np.sqrt((T + 1 - 2 + 0) / T)
    assert fm[("lasso", "dm_stat")] == pytest.approx(float(ols.tvalues[0]) * hln, rel=REL)


def test_regime_labels_use_only_the_past(run: tuple[ForecastParams, Path]) -> None:
    """coupling label at t = coupling index at t-1 above its expanding median up to t-1."""
    _, root = run
    r = _csv(root, "regimes")
    c = r["coupling"]
    prev = c.shift(1)
    median = c.expanding().median().shift(1)
    expect = np.where(prev > median, "high", "low")
    known = prev.notna() & r["regime"].notna()
    assert known.sum() > 100
    assert (r.loc[known, "regime"].to_numpy() == expect[known.to_numpy()]).all()
    assert r["markov_p_high"].dropna().between(0, 1).all()


# --------------------------------------------------------------------------- documents


def test_pdf_reads_as_a_report(run: tuple[ForecastParams, Path]) -> None:
    pdftotext = require_tool("pdftotext")
    p, root = run
    pdf = root / "pdf" / f"{p.slugs[p.targets[0]]}.pdf"
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for needle in (
        "FORECAST REPORT",
        "walk-forward forecasts",
        "Market geometry and regimes",
        "Out-of-sample forecasts",
        "Diebold",
        "Strategies, gross and net",
        "R²_OS by regime",
        "Coupling-conditional models",
    ):
        assert needle in text, needle
    if p.data.source == "sample" and "SPY" in p.targets:
        assert "not for dividends" in text
    pages = int(re.search(r"Page 1 of (\d+)", text).group(1))  # type: ignore[union-attr]
    assert 8 <= pages <= 40


def test_site_in_chromium(out: Path) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    p = _params(SAMPLE)
    site = out / p.name / "site"
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = watch_page(page)
        page.goto((site / "index.html").as_uri())
        rows = page.locator("#table-forecast tbody tr")
        assert rows.count() == len(_model_ids(p)) + 1  # + the historical mean
        header = page.locator("#table-forecast th", has_text="Best net Sharpe")
        header.click()
        header.click()
        cells = page.locator("#table-forecast tbody tr td:nth-child(6)").all_inner_texts()
        values = [float(v.replace("\u2212", "-")) for v in cells if v != "—"]
        assert values == sorted(values) or values == sorted(values, reverse=True)

        page.goto((site / "reports" / "SPY.html").as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 15", timeout=30000
        )
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')).filter("
            "d => d.querySelector('.main-svg') && d.getBoundingClientRect().height > 50).length"
        )
        figures = page.evaluate("document.querySelectorAll('.report-figure').length")
        assert drawn == figures and drawn >= 15
        toc = page.locator("nav.toc a, .toc a").all_inner_texts()
        for section in ("Market geometry and regimes", "Forecasts", "Strategies", "Regimes"):
            assert any(section in t for t in toc), (section, toc)

        page.goto((site / "methodology.html").as_uri())
        assert page.locator("math").count() > 10
        text = page.locator("main").inner_text()
        for needle in ("Walk-forward", "TimeSeriesSplit", "Campbell", "Harvey", "Kritzman"):
            assert needle in text, needle
        browser.close()
    assert problems == []


def test_runs_index_links_every_run(out: Path) -> None:
    page = write_runs_index(out).read_text()
    for p in (_params(SAMPLE), _params(INDUSTRIES)):
        assert f'href="{p.name}/site/index.html"' in page
        assert p.title.replace("&", "&amp;") in page


def test_rerun_skips_the_unchanged_target(out: Path, tmp_path: Path) -> None:
    """A second run with the same inputs executes nothing and leaves the tables as they were."""
    p = _params(INDUSTRIES)
    root = out / p.name
    with session_lock(out):
        before = {t.name: (root / f"{t.name}.csv").read_bytes() for t in TABLES}
        mp = pytest.MonkeyPatch()
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        try:
            again = commands.run(INDUSTRIES, out=out, jobs=1, renderer="builtin", progress=False)
        finally:
            mp.undo()
    assert [o.status for o in again.outcomes] == ["skipped"]
    for name, content in before.items():
        assert (root / f"{name}.csv").read_bytes() == content, name
