"""One model's strategy study: factor matrix, scores, signal quality, portfolio, backtest, analysis.

Each function is one stage of the notebook (M1 to M5) and a short composition
of the library: :mod:`analysis.factors` (factor matrix, preprocessing,
labels), :mod:`analysis.forecasting.panel` (pooled walk-forward models),
:mod:`analysis.signals` (IC, quantiles, turnover, premia),
:mod:`analysis.portfolio` (construction) and :mod:`analysis.backtest` (drift,
metrics). The composite baseline runs beside every model, so every tear sheet
compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.backtest import performance_summary
from analysis.backtest.drift import backtest as drift_backtest
from analysis.backtest.drift import period_returns
from analysis.backtest.relative import beta_alpha, information_ratio, tracking_error
from analysis.factors.cross_section import (
    forward_returns,
    forward_returns_from_returns,
    price_factors,
    rebalance_dates,
    size_factor,
    transform_label,
)
from analysis.factors.preprocess import Preprocessed, preprocess
from analysis.factors.returns import PERIODS_PER_YEAR
from analysis.forecasting.panel import PanelResult, PanelWalkForward, walk_forward_panel
from analysis.portfolio import Portfolio, construct, optimize
from analysis.report.kinds.strategy.data import Universe, universe
from analysis.report.kinds.strategy.params import BUILTIN_FACTORS, SIZE, StrategyParams
from analysis.report.pipeline.params import read_params
from analysis.report.pipeline.snapshot import RunData
from analysis.signals import (
    information_coefficient,
    quantile_returns,
    quantile_returns_by_date,
    quantize,
    spread,
)

COMPOSITE = "composite"
EQUAL_WEIGHT = "equal_weight"
BENCHMARK = "benchmark"


@dataclass(frozen=True)
class Run:
    """A strategy run as one notebook sees it: params, data snapshot and output folder."""

    params: StrategyParams
    data: RunData
    folder: Path

    @classmethod
    def open(cls, params_file: str | Path, run_dir: str | Path) -> Run:
        params = read_params(params_file, StrategyParams)
        folder = Path(run_dir)
        return cls(params=params, data=RunData.load(folder / "data"), folder=folder)


@dataclass(frozen=True)
class FactorMatrix:
    """M1: the universe, the rebalance dates, raw and processed factors, and the label."""

    run: Run
    universe: Universe
    dates: pd.DatetimeIndex
    raw: pd.DataFrame
    processed: Preprocessed
    label: pd.Series
    forward: pd.Series
    """The untransformed next-period simple return (what portfolios earn)."""

    @property
    def params(self) -> StrategyParams:
        return self.run.params

    @property
    def X(self) -> pd.DataFrame:
        return self.processed.frame

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.universe.frequency]  # type: ignore[index]

    @property
    def rebalances_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.params.rebalance]


def factor_matrix(run: Run) -> FactorMatrix:
    """M1: factors (price factors or panel columns) at each rebalance date, processed; the label."""
    p = run.params
    u = universe(p, run.data)
    if u.frequency == "daily":
        dates = rebalance_dates(u.prices.dropna(how="all").index, p.rebalance)
    else:
        dates = pd.DatetimeIndex(u.returns.dropna(how="all").index)
    wanted = [f.name for f in p.factors]
    builtin = [f for f in wanted if f in BUILTIN_FACTORS]
    parts = []
    if builtin:
        parts.append(
            price_factors(
                u.prices,
                dates,
                builtin,
                benchmark=None if u.benchmark is None else (1 + u.benchmark.fillna(0)).cumprod(),
                frequency=u.frequency,  # type: ignore[arg-type]
            )
        )
    for name in [f for f in wanted if f not in BUILTIN_FACTORS]:
        if name == SIZE and u.shares is not None:
            parts.append(size_factor(u.prices, u.shares, dates))
            continue
        wide = u.characteristics[name].reindex(index=dates)
        parts.append(wide.stack(future_stack=True).rename(name).to_frame())
    raw = pd.concat(parts, axis=1)[wanted]
    raw.index = raw.index.set_names(["date", "ticker"])
    raw = raw.sort_index()
    pp = p.preprocess
    sectors = u.sectors if pp.neutralize == "sector" else None
    processed = preprocess(
        raw,
        winsorize=tuple(pp.winsorize) if pp.winsorize else None,  # type: ignore[arg-type]
        scale=pp.scale,
        neutralize=pp.neutralize,
        sectors=sectors,
        missing=pp.missing,
        min_names=pp.min_names,
    )
    forward = (
        forward_returns(u.prices, dates)
        if u.frequency == "daily"
        else forward_returns_from_returns(u.returns, dates)
    )
    forward = forward.reindex(processed.frame.index)
    label = transform_label(forward, p.label.transform)
    return FactorMatrix(run, u, dates, raw, processed, label, forward)


@dataclass(frozen=True)
class Scores:
    """M2: the unit's model and the composite baseline, walked forward."""

    model: str
    results: dict[str, PanelResult]

    def frame(self) -> pd.DataFrame:
        """One column of scores per model (the model and the composite)."""
        return pd.DataFrame({k: r.scores for k, r in self.results.items()})


def predict(fm: FactorMatrix, model: str, *, n_jobs: int = 1) -> Scores:
    """M2: pooled walk-forward of ``model`` and of the composite baseline."""
    p = fm.params
    wf = p.walk_forward
    splitter = PanelWalkForward(
        min_train=wf.min_train,
        refit_every=wf.refit_every,
        window=wf.window,
        train_size=wf.train_size,
    )
    entries = {m.id: m for m in p.models}
    results = {}
    for name in dict.fromkeys([model, COMPOSITE]):
        hyper = entries[name].params if name in entries else {}
        results[name] = walk_forward_panel(
            fm.X,
            fm.label,
            name,
            splitter,
            signs=p.factor_signs if name == COMPOSITE else None,
            params=hyper,
            seed=p.seed,
            n_jobs=n_jobs,
        )
    return Scores(model, results)


@dataclass(frozen=True)
class SignalQuality:
    """Per model: IC and Rank IC per date, quantile returns, and the top-minus-bottom spread."""

    ic: pd.DataFrame
    """Long: date, model, ic, rank_ic."""
    quantile_means: dict[str, pd.DataFrame]
    spread: pd.DataFrame
    """Date x model: mean next-period return of the top minus the bottom quantile."""


def signal_quality(fm: FactorMatrix, scores: Scores) -> SignalQuality:
    """Alphalens definitions of IC, Rank IC and quantile returns, per model."""
    q = fm.params.portfolio.quantiles
    rows = []
    means = {}
    spreads = {}
    for name, r in scores.results.items():
        s = r.scores.dropna()
        y = fm.forward.reindex(s.index)
        ok = y.notna()
        s, y = s[ok], y[ok]
        ic = information_coefficient(s, y, method="pearson")
        rank_ic = information_coefficient(s, y, method="spearman")
        rows.append(
            pd.DataFrame(
                {
                    "date": ic.index,
                    "model": name,
                    "ic": ic.values,
                    "rank_ic": rank_ic.reindex(ic.index).values,
                }
            )
        )
        # ties broken by order, as the portfolio construction breaks them (a tied bucket
        # edge would otherwise make the quantiles undefined on that date)
        quant = quantize(s.groupby(level="date").rank(method="first"), quantiles=q)
        means[name] = quantile_returns(quant, y)
        per_date = quantile_returns_by_date(quant, y)
        spreads[name] = spread(per_date, q, 1)
    return SignalQuality(
        ic=pd.concat(rows, ignore_index=True),
        quantile_means=means,
        spread=pd.DataFrame(spreads),
    )


@dataclass(frozen=True)
class Books:
    """M3 + M4: each model's portfolio and its backtest, with the references."""

    portfolios: dict[str, Portfolio]
    returns: pd.DataFrame
    """Date x series: ``{model}:gross``, ``{model}:net``, ``{model}:turnover``, references."""
    metrics: pd.DataFrame
    """Long: model, basis (gross/net/reference), metric, value."""
    extra: dict[str, Any] = field(default_factory=dict)


def build_books(fm: FactorMatrix, scores: Scores) -> Books:
    """Portfolios from the scores, backtested with drifting weights; the references beside."""
    p = fm.params
    pf = p.portfolio
    u = fm.universe
    vol = fm.raw.get("volatility", None)
    # every book rebalances on the dates the composite scored (it never fails): a date whose
    # refit failed has no scores, and that book is flat until the next scored date instead
    # of silently holding a stale portfolio
    dates = scores.results[COMPOSITE].scores.dropna().index.get_level_values("date").unique()
    cols: dict[str, pd.Series] = {}
    portfolios = {}
    for name, r in scores.results.items():
        if pf.weighting == "min_variance":
            portfolios[name] = optimize(
                r.scores.dropna(),
                u.returns,
                type=pf.type,
                quantiles=pf.quantiles,
                top_k=pf.top_k,
                lookback=pf.lookback,
                min_obs=max(2, pf.lookback // 2),
                max_weight=pf.max_weight,
            )
            bt = _run(_on_dates(portfolios[name].weights, dates), u, p.cost_bps)
            _collect(cols, name, bt)
            continue
        port = construct(
            r.scores.dropna(),
            type=pf.type,
            quantiles=pf.quantiles,
            top_k=pf.top_k,
            weighting=pf.weighting,
            volatility=vol,
            min_weight=pf.min_weight,
            max_weight=pf.max_weight,
            max_turnover=pf.max_turnover,
        )
        portfolios[name] = port
        _collect(cols, name, _run(_on_dates(port.weights, dates), u, p.cost_bps))
    universe_w = pd.DataFrame(1.0, index=dates, columns=u.returns.columns)
    universe_w = universe_w.where(u.prices.reindex(dates).notna(), 0.0)
    universe_w = universe_w.div(universe_w.sum(axis=1), axis=0)
    ref = _run(universe_w, u, 0.0)
    cols[EQUAL_WEIGHT] = ref["gross_return"]
    frame = pd.DataFrame(cols)
    if u.benchmark is not None:
        frame[BENCHMARK] = u.benchmark.reindex(frame.index)
    return Books(portfolios, frame, book_metrics(fm, frame, list(portfolios)))


def _on_dates(weights: pd.DataFrame, dates: pd.Index) -> pd.DataFrame:
    """Target weights on every rebalance date: zero (flat) where the book has none."""
    return weights.reindex(pd.DatetimeIndex(dates)).fillna(0.0)


def _collect(cols: dict[str, pd.Series], name: str, bt: pd.DataFrame) -> None:
    cols[f"{name}:gross"] = bt["gross_return"]
    cols[f"{name}:net"] = bt["net_return"]
    cols[f"{name}:turnover"] = bt["turnover"]
    cols[f"{name}:net_exposure"] = bt["net_exposure"]
    cols[f"{name}:n_names"] = bt["n_names"]


def _run(weights: pd.DataFrame, u: Universe, cost_bps: float) -> pd.DataFrame:
    if u.frequency == "daily":
        return drift_backtest(weights, u.returns, cost_bps=cost_bps).returns
    return period_returns(weights, u.returns, cost_bps=cost_bps)


def book_metrics(fm: FactorMatrix, frame: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Performance metrics of every book (gross, net) and reference, one definition everywhere."""
    P = fm.periods_per_year
    rows = []
    series = {f"{m}:{basis}": (m, basis) for m in models for basis in ("gross", "net")}
    series[EQUAL_WEIGHT] = (EQUAL_WEIGHT, "reference")
    if BENCHMARK in frame:
        series[BENCHMARK] = (BENCHMARK, "reference")
    bench = frame.get(BENCHMARK, None)
    for col, (model, basis) in series.items():
        r = frame[col].dropna()
        turnover = frame.get(f"{model}:turnover") if basis != "reference" else None
        s = performance_summary(r, periods_per_year=P, turnover=turnover)
        values = s.to_dict()
        if bench is not None and col != BENCHMARK:
            b = bench.reindex(r.index)
            ok = b.notna()
            if ok.sum() > 10:
                ba = beta_alpha(r[ok], b[ok], periods_per_year=P)
                values.update({f"{k}": float(v) for k, v in ba.items()})
                values["tracking_error"] = tracking_error(r[ok], b[ok], periods_per_year=P)
                values["information_ratio"] = information_ratio(r[ok], b[ok], periods_per_year=P)
        for metric, value in values.items():
            rows.append({"model": model, "basis": basis, "metric": metric, "value": float(value)})
    return pd.DataFrame(rows)


def ic_table(quality: SignalQuality) -> pd.DataFrame:
    """Mean IC, Rank IC, ICIR, t and the spread per model (for the index and the tear sheet)."""
    out = []
    for model, g in quality.ic.groupby("model", sort=False):
        ric = g["rank_ic"].dropna()
        ic = g["ic"].dropna()
        spread = quality.spread[model].dropna()
        out.append(
            {
                "model": model,
                "ic_mean": ic.mean(),
                "rank_ic_mean": ric.mean(),
                "rank_ic_std": ric.std(ddof=1),
                "rank_icir": ric.mean() / ric.std(ddof=1) if ric.std(ddof=1) > 0 else np.nan,
                "rank_ic_t": ric.mean() / (ric.std(ddof=1) / np.sqrt(len(ric)))
                if len(ric) > 1 and ric.std(ddof=1) > 0
                else np.nan,
                "share_positive": float((ric > 0).mean()),
                "spread_mean": spread.mean(),
                "n_dates": len(ric),
            }
        )
    return pd.DataFrame(out)
