"""End to end on params/portfolio_sample.yml: portfolios as units, active exposures.

The portfolio's value index and its CAPM beta are rebuilt here with numpy (share counts)
and statsmodels from the snapshot's member prices; the active table is checked against
the unit's and the benchmark's own regressions and a hand computation of TE and IR.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.regression import fit_design
from analysis.report import commands
from analysis.report.kinds import load_params
from analysis.report.kinds.exposure import ACTIVE_COLUMNS
from analysis.report.kinds.exposure import notebook as ex
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.snapshot import RunData
from tests.helpers import require_tool

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "portfolio_sample.yml"


@pytest.fixture(scope="module")
def params() -> ExposureParams:
    p = load_params(PARAMS)
    assert isinstance(p, ExposureParams)
    return p


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, str], Path]:
    out = tmp_path_factory.mktemp("portfolio")
    s = commands.run(PARAMS, out=out, jobs=2, renderer="builtin", progress=False)
    return s.exit_code, {o.unit: o.status for o in s.outcomes}, out / "portfolio-sample"


def shares_index(prices: pd.DataFrame, weights: dict[str, float], monthly: bool) -> pd.Series:
    """The portfolio value with share counts: 100 at the first date every member has a
    price, trading back to the weights at every month's last close (``monthly``)."""
    px = prices[list(weights)]
    px = px.loc[px.notna().all(axis=1).idxmax() :]
    px = px[px.notna().any(axis=1)].ffill()
    p = px.to_numpy()
    w = np.array(list(weights.values()))
    month = px.index.month.to_numpy()
    value = np.empty(len(p))
    shares = 100.0 * w / p[0]
    for t in range(len(p)):
        value[t] = shares @ p[t]
        if monthly and t + 1 < len(p) and month[t] != month[t + 1]:
            shares = value[t] * w / p[t]
    return pd.Series(value, index=px.index)


def monthly_excess(price: pd.Series, factors: pd.DataFrame, params: ExposureParams) -> pd.DataFrame:
    """Monthly simple excess return and Mkt-RF over the analysis window."""
    r = price.dropna().resample("ME").last().pct_change().dropna().rename("y")
    joined = pd.concat([r, factors[["Mkt-RF", "RF"]]], axis=1, join="inner")
    joined["y"] -= joined["RF"]
    lo, hi = pd.Timestamp(params.start), pd.Timestamp(params.end)
    return joined.loc[(joined.index >= lo) & (joined.index <= hi)]


def test_portfolios_are_units(
    run: tuple[int, dict[str, str], Path], params: ExposureParams
) -> None:
    code, status, root = run
    assert code == 0
    assert status == dict.fromkeys([*params.tickers, "growth", "defensive"], "ok")
    for unit in ("growth", "defensive"):
        assert (root / "pdf" / f"{unit}.pdf").stat().st_size > 10_000
        page = (root / "site" / "reports" / f"{unit}.html").read_text()
        assert "Active exposures vs" in page and "Members (target weight)" in page
    exposures = pd.read_csv(root / "exposures.csv")
    rows = exposures[exposures.ticker == "growth"]
    assert set(rows.model) == {"engineered", "capm"} and len(rows) == 6 + 2
    active = pd.read_csv(root / "active.csv")
    assert tuple(active.columns) == ACTIVE_COLUMNS
    assert set(active.ticker) == set(params.units)
    exe = require_tool("pdftotext")
    text = subprocess.run(
        [exe, str(root / "pdf" / "growth.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "AAPL 40.00%, MSFT 35.00%, HD 25.00%" in text and "Tracking error" in text


def test_capm_beta_of_a_portfolio_built_by_hand(
    run: tuple[int, dict[str, str], Path], params: ExposureParams
) -> None:
    _, _, root = run
    data = RunData.load(root / "data")
    spec = params.portfolios["growth"]
    value = shares_index(data.prices, spec.weights, monthly=spec.rebalance == "monthly")
    snap = data.prices["growth"].dropna()
    pd.testing.assert_index_equal(snap.index, value.index)
    np.testing.assert_allclose(snap.to_numpy(), value.to_numpy(), rtol=1e-12)
    d = monthly_excess(value, data.factors["monthly"], params)
    fit = sm.OLS(d["y"], sm.add_constant(d[["Mkt-RF"]])).fit()
    exposures = pd.read_csv(root / "exposures.csv").set_index(["ticker", "model", "term"])
    assert exposures.loc[("growth", "capm", "Mkt-RF"), "estimate"] == pytest.approx(
        fit.params["Mkt-RF"], rel=1e-9
    )
    assert exposures.loc[("growth", "capm", "alpha"), "estimate"] == pytest.approx(
        fit.params["const"], rel=1e-8
    )


def test_active_is_unit_minus_benchmark(
    run: tuple[int, dict[str, str], Path], params: ExposureParams
) -> None:
    """Same factors, same dates: OLS is linear in y, so the active coefficients are the
    unit's minus the benchmark's; TE and IR recomputed from the two return series."""
    _, _, root = run
    data = RunData.load(root / "data")
    active = pd.read_csv(root / "active.csv").set_index(["ticker", "model", "term"]).sort_index()
    assert params.benchmark is not None
    bench = monthly_excess(data.prices[params.benchmark], data.factors["monthly"], params)
    for unit in ("growth", "JPM"):
        own = monthly_excess(data.prices[unit], data.factors["monthly"], params)
        x = sm.add_constant(own[["Mkt-RF"]])
        diff = sm.OLS(own["y"], x).fit().params - sm.OLS(bench["y"].loc[own.index], x).fit().params
        row = active.loc[(unit, "capm")]
        # the csv keeps 10 significant digits
        assert row.loc["Mkt-RF", "estimate"] == pytest.approx(diff["Mkt-RF"], abs=1e-10)
        assert row.loc["alpha", "estimate"] == pytest.approx(diff["const"], rel=1e-9)
        a = (own["y"] - bench["y"].loc[own.index]).to_numpy()
        te = np.std(a, ddof=1) * math.sqrt(12)
        assert row["tracking_error"].iloc[0] == pytest.approx(te, rel=1e-9)
        assert row["information_ratio"].iloc[0] == pytest.approx(a.mean() * 12 / te, rel=1e-9)


def test_active_fit_in_process_and_the_benchmark_unit(
    run: tuple[int, dict[str, str], Path], params: ExposureParams
) -> None:
    """Linearity to 1e-10 for every model of a unit, and a unit that is the benchmark is
    skipped with a note (benchmark: the portfolio growth)."""
    _, _, root = run
    p = params.model_copy(update={"benchmark": "growth"})
    r = ex.Run(params=p, data=RunData.load(root / "data"), folder=root / "scratch")
    for spec in p.resolved_models():
        if spec.definition.origin == "engineered":
            continue  # its characteristics are each unit's own: not the same X
        unit = ex.design_for(p, r.data, "defensive", spec)
        bench = ex.design_for(p, r.data, "growth", spec)
        assert unit.X.equals(bench.X)
        expected = fit_design(unit).params - fit_design(bench).params
        got = ex.active_fit(p, r.data, "defensive", spec, unit).result.params
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-10)
    growth = ex.analyze_ticker(r, "growth")
    assert growth.active_frame().empty
    notes = [f.active_note for f in growth.fits.values()]
    assert notes == ["growth is the benchmark; its active return is zero"] * len(notes)
    texts = [getattr(x, "text", "") for x in ex.model_section(growth, "capm")]
    assert "### Active exposures vs growth" in texts
    assert any("Not computed: growth is the benchmark" in t for t in texts)


def test_a_missing_member_fails_its_portfolio_or_the_run(params: ExposureParams) -> None:
    """A member the source cannot deliver fails its portfolio (with the source's reason);
    when that portfolio is the benchmark, the run cannot start."""
    from analysis.errors import DataError, UnknownTickerError
    from analysis.report.kinds.exposure.data import fetch_run_data

    growth = params.portfolios["growth"].model_copy(update={"weights": {"AAPL": 0.5, "NOPE": 0.5}})
    p = params.model_copy(update={"portfolios": {**params.portfolios, "growth": growth}})
    data = fetch_run_data(p)
    assert "growth" not in data.prices and "defensive" in data.prices
    assert data.failed == {"growth": data.failed["growth"]}
    assert data.failed["growth"].startswith("member NOPE: not in the sample dataset")
    r = ex.Run(params=p, data=data, folder=Path("unused"))
    with pytest.raises(UnknownTickerError, match=r"sample: growth: member NOPE"):
        ex.analyze_ticker(r, "growth")
    with pytest.raises(
        DataError, match=r"cannot build the benchmark portfolio growth \(member NOPE"
    ):
        fetch_run_data(p.model_copy(update={"benchmark": "growth"}))
