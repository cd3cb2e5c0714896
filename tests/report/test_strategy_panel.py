"""The strategy kind end to end on a simulated CSV panel with planted premia.

The panel: 120 tickers in 6 sectors over 72 month ends; characteristics
``value`` and ``quality`` drawn i.i.d. N(0, 1) per ticker and date; the
return of the period ending at ``d_{i+1}`` is

    r_{i+1} = m_{i+1} + 0.01 value_i - 0.005 quality_i + e_{i+1},  e ~ N(0, 0.04^2)

with a common market return ``m`` (which cross-sectional statistics do not
see). The run uses the params of the issue (value, quality with sign -1,
momentum; sector neutralization; composite and ridge; expanding walk-forward
with 24 training dates, refit every 12; long-short quintiles) and is made
once per session (shared between xdist workers by a file lock).

Independent checks: Rank IC per date against ``scipy.stats.spearmanr`` of
``scores.csv`` and the panel's next returns; the long-short gross return
against ``weights.csv`` times the panel's returns; the mean Rank IC against
the planted signal's Rank IC computed in closed form; the Fama-MacBeth
premia against the planted coefficients.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import cli
from analysis.errors import DataError
from analysis.report import commands
from analysis.report.kinds import load_params
from analysis.report.kinds.strategy import TABLES, study
from analysis.report.kinds.strategy.params import StrategyParams
from tests.helpers import run_once

pytestmark = pytest.mark.slow

N_TICKERS, N_MONTHS, N_SECTORS = 120, 72, 6
B_VALUE, B_QUALITY, NOISE = 0.01, -0.005, 0.04
COST_BPS = 10.0

PARAMS = """\
kind: strategy
name: {name}
title: Simulated panel with planted value and quality premia
data: {{source: csv, panel: {panel}, lag: {lag}}}
factors: {factors}
preprocess: {preprocess}
models: {models}
walk_forward: {{window: expanding, min_train: 24, refit_every: 12}}
portfolio: {{type: long_short, quantiles: {quantiles}}}
cost_bps: {cost}
"""


def make_panel(n_tickers: int = N_TICKERS, n_months: int = N_MONTHS, seed: int = 7) -> pd.DataFrame:
    """The long simulated panel (see the module docstring); ``date`` as ISO text."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-31", periods=n_months, freq="ME")
    tickers = [f"S{i:03d}" for i in range(n_tickers)]
    value = rng.normal(size=(n_months, n_tickers))
    quality = rng.normal(size=(n_months, n_tickers))
    market = rng.normal(0.005, 0.03, n_months)
    ret = np.empty((n_months, n_tickers))
    ret[0] = market[0] + rng.normal(0.0, NOISE, n_tickers)
    ret[1:] = (
        market[1:, None]
        + B_VALUE * value[:-1]
        + B_QUALITY * quality[:-1]
        + rng.normal(0.0, NOISE, (n_months - 1, n_tickers))
    )
    return pd.DataFrame(
        {
            "date": np.repeat(dates.strftime("%Y-%m-%d"), n_tickers),
            "ticker": np.tile(tickers, n_months),
            "return": ret.ravel(),
            "value": value.ravel(),
            "quality": quality.ravel(),
            "sector": np.tile([f"sector{i % N_SECTORS}" for i in range(n_tickers)], n_months),
        }
    )


def write_run(
    folder: Path,
    panel: pd.DataFrame,
    *,
    name: str = "sim-panel",
    lag: int = 0,
    factors: str = "[value, {name: quality, sign: -1}, momentum]",
    preprocess: str = "{neutralize: sector}",
    models: str = "[composite, ridge]",
    quantiles: int = 5,
) -> Path:
    """Write ``panel.csv`` and ``params.yml`` into ``folder``; the params file."""
    folder.mkdir(parents=True, exist_ok=True)
    panel.to_csv(folder / "panel.csv", index=False, float_format="%.12g")
    params = folder / "params.yml"
    params.write_text(
        PARAMS.format(
            name=name,
            panel="panel.csv",
            lag=lag,
            factors=factors,
            preprocess=preprocess,
            models=models,
            quantiles=quantiles,
            cost=COST_BPS,
        )
    )
    return params


def planted_rank_ic(weights: dict[str, float]) -> float:
    """Rank IC of a linear score in the factors against next returns, in closed form.

    Score and next return are jointly normal across tickers (the market term is
    common to all, so it drops out of a cross-sectional correlation), and for a
    bivariate normal with correlation rho, Spearman's correlation is
    ``6 / pi * arcsin(rho / 2)``. Factors are i.i.d. N(0, 1); momentum carries
    no premium.
    """
    beta = {"value": B_VALUE, "quality": B_QUALITY, "momentum": 0.0}
    cov = sum(w * beta[k] for k, w in weights.items())
    sd_score = np.sqrt(sum(w**2 for w in weights.values()))
    sd_ret = np.sqrt(B_VALUE**2 + B_QUALITY**2 + NOISE**2)
    rho = cov / (sd_score * sd_ret)
    return float(6 / np.pi * np.arcsin(rho / 2))


def _csv(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / f"{name}.csv", keep_default_na=False, na_values=[""])


def _wide_returns(panel: pd.DataFrame) -> pd.DataFrame:
    wide = panel.pivot(index="date", columns="ticker", values="return")
    wide.index = pd.DatetimeIndex(wide.index)
    return wide


# --------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def main_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    """The issue's run, once per session: (params file, run folder, panel)."""
    panel = make_panel()

    def panel_run(folder: Path) -> dict[str, Any]:
        params = write_run(folder, panel)
        s = commands.run(params, out=folder / "out", jobs=2, renderer="builtin", progress=False)
        return {"exit": s.exit_code, "lines": s.lines()}

    folder = run_once(tmp_path_factory, "strategy-panel", panel_run)
    params = folder / "params.yml"
    return params, folder / "out" / "sim-panel", panel


def test_run_succeeds_with_every_table(main_run: tuple[Path, Path, pd.DataFrame]) -> None:
    params, root, _ = main_run
    summary = json.loads((params.parent / "summary.json").read_text())
    assert summary["exit"] == 0, summary["lines"]
    for model in ("composite", "ridge"):
        state = json.loads((root / "state" / f"{model}.json").read_text())
        assert state["status"] == "ok", state
        assert state["components"] == {model: "ok", "portfolio": "ok"}
        assert (root / "site" / "reports" / f"{model}.html").exists()
        assert (root / "pdf" / f"{model}.pdf").exists()
    for t in TABLES:
        frame = _csv(root, t.name)
        assert tuple(frame.columns) == t.columns, t.name
        assert len(frame) > 0, t.name
    assert set(_csv(root, "scores")["model"]) == {"composite", "ridge"}


def test_rank_ic_recovers_the_planted_signal(main_run: tuple[Path, Path, pd.DataFrame]) -> None:
    _, root, _ = main_run
    ic = _csv(root, "ic").dropna(subset=["rank_ic"])
    # the composite averages the z-scores with signs (+1, -1, +1); ridge can learn the
    # planted weights, so its ceiling is the planted signal itself
    planted = {
        "composite": planted_rank_ic({"value": 1.0, "quality": -1.0, "momentum": 1.0}),
        "ridge": planted_rank_ic({"value": B_VALUE, "quality": B_QUALITY}),
    }
    for model, expect in planted.items():
        r = ic.loc[ic["model"] == model, "rank_ic"]
        assert len(r) >= 30, model
        assert r.mean() > 0.05, (model, r.mean())
        # within 4 standard errors of the mean over dates (Rank IC per date is close to
        # independent across dates here: characteristics are redrawn every month)
        se = r.std(ddof=1) / np.sqrt(len(r))
        assert abs(r.mean() - expect) < 4 * se, (model, r.mean(), expect, se)


def test_rank_ic_equals_scipy_spearman(main_run: tuple[Path, Path, pd.DataFrame]) -> None:
    """ic.csv's Rank IC and IC per date against scipy on scores.csv and the panel."""
    _, root, panel = main_run
    wide = _wide_returns(panel)
    nxt = wide.shift(-1)  # the label of date d_i: the return of the period ending at d_{i+1}
    scores = _csv(root, "scores")
    ic = _csv(root, "ic").set_index(["model", "date"])
    for model in ("composite", "ridge"):
        dates = sorted(scores.loc[scores["model"] == model, "date"].unique())
        for d in (dates[0], dates[len(dates) // 2], dates[-2]):
            s = scores[(scores["model"] == model) & (scores["date"] == d)].set_index("ticker")
            y = nxt.loc[pd.Timestamp(d)].reindex(s.index)
            rho = stats.spearmanr(s["model_score"], y).statistic
            r = stats.pearsonr(s["model_score"], y).statistic
            # scores.csv keeps 10 significant digits: ranks are exact, Pearson moves ~1e-10
            assert ic.loc[(model, d), "rank_ic"] == pytest.approx(rho, abs=1e-9)
            assert ic.loc[(model, d), "ic"] == pytest.approx(r, abs=1e-8)


def test_fama_macbeth_premia_have_the_planted_signs(
    main_run: tuple[Path, Path, pd.DataFrame],
) -> None:
    _, root, _ = main_run
    fm = _csv(root, "factor_premia")
    fm = fm[fm["method"] == "fama_macbeth"].set_index("factor")
    assert fm.loc["value", "estimate"] > 0 and fm.loc["value", "t_stat"] > 2
    assert fm.loc["quality", "estimate"] < 0 and fm.loc["quality", "t_stat"] < -2
    # the factors are z-scored per date (sd 1 up to winsorizing and sector demeaning), so
    # the premium per unit is the planted coefficient, within 4 standard errors
    for factor, beta in (("value", B_VALUE), ("quality", B_QUALITY)):
        est, se = fm.loc[factor, ["estimate", "std_error"]]
        assert abs(est - beta) < 4 * se, (factor, est, beta, se)
    # momentum has no premium planted
    assert abs(fm.loc["momentum", "t_stat"]) < 3


def test_long_short_books_from_weights_and_panel(
    main_run: tuple[Path, Path, pd.DataFrame],
) -> None:
    """Gross = sum of weights times next returns; net = gross - cost x turnover; net > 0."""
    _, root, panel = main_run
    wide = _wide_returns(panel)
    weights = _csv(root, "weights")
    bt = _csv(root, "backtest")
    for model in ("composite", "ridge"):
        b = bt[bt["model"] == model].set_index("date")
        assert b["net_return"].mean() > 0, model
        np.testing.assert_allclose(
            b["net_return"], b["gross_return"] - COST_BPS / 1e4 * b["turnover"], atol=1e-9
        )
        w = weights[weights["model"] == model].pivot(
            index="date", columns="ticker", values="target_weight"
        )
        w.index = pd.DatetimeIndex(w.index)
        assert np.allclose(w.sum(axis=1), 0.0, atol=1e-9)  # dollar neutral
        assert np.allclose(w.abs().sum(axis=1), 2.0, atol=1e-9)  # one long, one short
        for d in w.index[:-1]:
            after = wide.index[wide.index.get_loc(d) + 1]
            expect = float((w.loc[d].dropna() * wide.loc[after]).sum())
            # CSV values keep 10 significant digits
            assert b.loc[f"{after:%Y-%m-%d}", "gross_return"] == pytest.approx(expect, abs=1e-9)


# --------------------------------------------------------------------------- lag, look-ahead


def _composite_and_ridge(params_file: Path, out: Path) -> tuple[study.FactorMatrix, pd.DataFrame]:
    """The notebook's M1 and M2 in this process, from the run's own fetch."""
    paths, data = commands.fetch(params_file, out=out)
    p = load_params(params_file)
    assert isinstance(p, StrategyParams)
    fm = study.factor_matrix(study.Run(p, data, paths.root))
    return fm, study.predict(fm, "ridge").frame()


def test_lag_one_shifts_characteristics(
    main_run: tuple[Path, Path, pd.DataFrame], tmp_path: Path
) -> None:
    _, root, panel = main_run
    params = write_run(tmp_path, panel, name="sim-lag", lag=1)
    fm, scores = _composite_and_ridge(params, tmp_path / "out")
    chars = fm.universe.characteristics["value"]
    raw = panel.pivot(index="date", columns="ticker", values="value")
    raw.index = pd.DatetimeIndex(raw.index)
    assert chars.iloc[0].isna().all()
    # the file keeps 12 significant digits
    np.testing.assert_allclose(chars.iloc[1:], raw.iloc[:-1][chars.columns], rtol=1e-11)
    lag0 = _csv(root, "scores")
    first = lag0["date"].min()
    for model in ("composite", "ridge"):
        was = lag0[(lag0["model"] == model) & (lag0["date"] == first)].set_index("ticker")
        now = scores[model].xs(pd.Timestamp(first), level="date").reindex(was.index)
        assert now.notna().all()
        assert not np.allclose(now, was["model_score"], atol=1e-6), model


def test_no_look_ahead(main_run: tuple[Path, Path, pd.DataFrame], tmp_path: Path) -> None:
    """Changing every return and characteristic after date d leaves scores up to d unchanged."""
    _, _, panel = main_run
    base = write_run(tmp_path / "base", panel)
    _, before = _composite_and_ridge(base, tmp_path / "base" / "out")
    cut = "2018-06-30"
    rng = np.random.default_rng(11)
    changed = panel.copy()
    after = changed["date"] > cut
    for col in ("return", "value", "quality"):
        changed.loc[after, col] = rng.normal(0.0, 0.05, after.sum())
    moved = write_run(tmp_path / "moved", changed)
    _, later = _composite_and_ridge(moved, tmp_path / "moved" / "out")
    d = before.index.get_level_values("date")
    upto = d <= pd.Timestamp(cut)
    assert upto.sum() > 0 and (~upto).sum() > 0
    pd.testing.assert_frame_equal(before[upto], later.loc[before.index[upto]], check_exact=True)
    assert not np.allclose(before[~upto], later.loc[before.index[~upto]])


# --------------------------------------------------------------------------- bad input


def _duplicate(p: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([p, p.iloc[[3]]], ignore_index=True)


def _text_return(p: pd.DataFrame) -> pd.DataFrame:
    p = p.astype({"return": object})
    p.loc[7, "return"] = "n/a%"
    return p


BAD: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], dict[str, Any], list[str]]] = {
    # case: (panel edit, params overrides, the message's parts)
    "duplicate-rows": (_duplicate, {}, [r"panel\.csv", r"duplicate \(date, ticker\)", "S003"]),
    "text-return": (_text_return, {}, [r"panel\.csv", "column 'return'", "line 9", "'n/a%'"]),
    "missing-factor": (
        lambda p: p,
        {"factors": "[value, size]"},
        [r"panel\.csv", "'size' not found", "'value', 'quality'"],
    ),
    "too-few-names": (
        lambda p: p[p["ticker"].isin(["S000", "S001", "S002", "S003"])],
        {},
        [r"params\.yml", "'portfolio.quantiles' \\(5\\)", r"panel\.csv", "at most 4 tickers"],
    ),
    "no-sector-column": (
        lambda p: p.drop(columns="sector"),
        {},
        [r"params\.yml", "'preprocess.neutralize'", r"panel\.csv", "'sector' column"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_panel_is_a_one_line_error(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, overrides, parts = BAD[case]
    panel = edit(make_panel(n_tickers=12, n_months=6))
    params = write_run(tmp_path, panel, **overrides)
    with pytest.raises(DataError) as info:
        commands.run(params, out=tmp_path / "out", jobs=1, renderer="builtin", progress=False)
    message = str(info.value)
    assert "\n" not in message
    for part in parts:
        assert re.search(part, message), (part, message)
    capsys.readouterr()
    code = cli.main(
        [
            "run",
            str(params),
            "--out",
            str(tmp_path / "cli"),
            "--renderer",
            "builtin",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [f"error: {message}"]


# --------------------------------------------------------------------------- a failed refit


def test_failed_refit_is_flagged_and_the_rest_kept(tmp_path: Path) -> None:
    """A data gap leaves the first refit without a labelled row: flagged, the rest kept.

    Over the first 25 months half the tickers report a return in even months
    and the other half in odd months, so no ticker has the two consecutive
    returns a label needs on the first 24 dates: ridge's first refit has no
    training row (the composite needs none). Later refits train on the labels
    from month 25 on.
    """
    panel = make_panel()
    month = panel["date"].rank(method="dense").astype(int) - 1
    ticker = panel["ticker"].str[1:].astype(int)
    panel.loc[(month <= 24) & ((month + ticker) % 2 == 1), "return"] = np.nan
    params = write_run(
        tmp_path,
        panel,
        name="sim-gap",
        factors="[value, {name: quality, sign: -1}]",
        preprocess="{}",
        models="[ridge]",
    )
    s = commands.run(
        params, out=tmp_path / "out", jobs=1, renderer="builtin", progress=False, execute_only=True
    )
    assert s.exit_code == 3, s.lines()  # partial
    root = tmp_path / "out" / "sim-gap"
    state = json.loads((root / "state" / "ridge.json").read_text())
    assert state["status"] == "partial"
    assert state["components"] == {"ridge": "1 of 4 refits failed", "portfolio": "ok"}
    notebook = (root / "notebooks" / "ridge.ipynb").read_text()
    assert "refits failed" in notebook and "InsufficientDataError" in notebook
    scores = _csv(root, "scores")
    dates = pd.DatetimeIndex(sorted(pd.to_datetime(panel["date"]).unique()))
    scored = set(pd.to_datetime(scores["date"]))
    # dates 24..35 belonged to the failed refit; 36..71 to the three that worked
    assert scored.isdisjoint(dates[24:36])
    assert scored == set(dates[36:])
    # the book is flat over the failed block, not holding a stale portfolio: the periods
    # that start on dates 24..35 earn nothing and trade nothing
    bt = _csv(root, "backtest")
    book = bt[bt["model"] == "ridge"].set_index(pd.to_datetime(bt[bt["model"] == "ridge"]["date"]))
    flat = book.loc[dates[25] : dates[36]]
    assert len(flat) == 12
    assert (flat["gross_return"] == 0).all() and (flat["turnover"] == 0).all()
    assert book.loc[dates[37] :, "gross_return"].abs().sum() > 0
    ic = _csv(root, "ic")
    assert ic["rank_ic"].mean() > 0.05
