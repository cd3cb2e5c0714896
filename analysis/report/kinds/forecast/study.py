"""One target's forecast study: rows, regimes, walk-forward models, strategies, metrics.

Each function is one step of the notebook and a short composition of the
library (:mod:`analysis.forecasting`, :mod:`analysis.regimes`,
:mod:`analysis.backtest`); the results are plain frames that the notebook
shows and saves. Every number is out of sample: models, scalers, alphas,
quantiles and regime labels used at row ``t`` come from rows before ``t``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.backtest import performance_summary, size, strategy_returns
from analysis.backtest.metrics import drawdown_series, wealth_index
from analysis.backtest.returns import buy_and_hold
from analysis.errors import AnalysisError, UnknownTickerError
from analysis.factors.returns import PERIODS_PER_YEAR
from analysis.forecasting import (
    ForecastRows,
    ModelSpec,
    WalkForward,
    WalkForwardResult,
    alpha_grid,
    build_rows,
    walk_forward,
)
from analysis.forecasting.evaluation import forecast_summary, goyal_welch_cumulative
from analysis.regimes import MarkovRegimes, RegimeFrame, markov_regimes, regime_frame
from analysis.report.kinds.forecast.data import log_returns, risk_free
from analysis.report.kinds.forecast.params import ForecastParams, ModelEntry
from analysis.report.pipeline.params import read_params
from analysis.report.pipeline.snapshot import RunData

HIST_MEAN = "hist_mean"
"""The historical-mean forecast (mean of y over the training rows): the benchmark."""
ZERO = "zero"
"""The zero forecast (a random walk in prices)."""
BUY_AND_HOLD = "buy_and_hold"
COND_SUFFIX = "-cond"
"""Suffix of a model's regime-conditional variant (trained on the current coupling regime)."""


@dataclass(frozen=True)
class Run:
    """A forecast run as one notebook sees it: params, data snapshot and output folder."""

    params: ForecastParams
    data: RunData
    folder: Path

    @classmethod
    def open(cls, params_file: str | Path, run_dir: str | Path) -> Run:
        params = read_params(params_file, ForecastParams)
        folder = Path(run_dir)
        return cls(params=params, data=RunData.load(folder / "data"), folder=folder)


@dataclass(frozen=True)
class Study:
    """The data side of one target's study, before any model is fitted.

    Attributes
    ----------
    target
        The target's name.
    returns
        Log returns of the target and every feature at the run frequency.
    rows
        The forecasting design (:func:`~analysis.forecasting.build_rows`).
    splitter
        The walk-forward schedule.
    regimes
        Correlation geometry (unlagged) and labels (known at t-1), on the rows' dates.
    markov
        The two-regime Markov model's filtered probabilities, or ``None``.
    rf
        The per-period simple risk-free return on the rows' dates (0 without one).
    """

    run: Run
    target: str
    returns: pd.DataFrame
    rows: ForecastRows
    splitter: WalkForward
    regimes: RegimeFrame
    markov: MarkovRegimes | None
    rf: pd.Series
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def params(self) -> ForecastParams:
        return self.run.params

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.params.frequency]

    @property
    def labels(self) -> pd.DataFrame:
        """Every regime label per row: coupling, each pair, and Markov (when fitted)."""
        out = self.regimes.labels.reindex(self.rows.y.index).copy()
        if self.markov is not None:
            out["markov"] = self.markov.labels.reindex(self.rows.y.index)
        return out


def prepare(run: Run, target: str) -> Study:
    """Returns, rows, walk-forward schedule and regimes for one target.

    Raises
    ------
    UnknownTickerError
        When the data source delivered nothing for the target (with its reason).
    InsufficientDataError, EstimationError
        When there are too few rows for ``min_train`` (the message says how
        many there are and how many are needed).
    """
    p = run.params
    if target not in p.targets:
        raise UnknownTickerError(f"{target!r} is not one of the run's targets")
    if target in run.data.failed:
        raise UnknownTickerError(f"{run.data.source}: {target}: {run.data.failed[target]}")
    t0 = time.perf_counter()
    returns = log_returns(p, run.data)
    if target not in returns:
        raise UnknownTickerError(f"{run.data.source}: {target}: no returns in the run's data")
    y = returns[target].dropna().rename(target)
    rows = build_rows(y, returns[list(p.features)], p.lags)
    # the correlation geometry needs every feature in each window: a feature that starts
    # late (XLC in 2018) would leave the coupling index and the absorption ratio undefined
    # until it has a full window, so the geometry uses the features present from the start
    start = rows.y.index[0]
    present = [
        f for f in p.features if all(rows.first_valid[f"{f}_l{lag}"] <= start for lag in p.lags)
    ]
    features = returns[present].reindex(y.index)
    wf = p.walk_forward
    splitter = WalkForward(
        min_train=wf.min_train,
        refit_every=wf.refit_every,
        gap=wf.gap,
        window=wf.window,
        train_size=wf.train_size,
    )
    splitter.get_n_splits(rows.X)  # raises with the row counts when there are too few rows
    rg = p.regimes
    geometry = regime_frame(
        y,
        features,
        corr_window=rg.corr_window,
        ar_window=rg.ar_window,
        ar_short=rg.ar_short,
        ar_long=rg.ar_long,
        pairs=[(a, b) for a, b in rg.pairs if {a, b} <= set(present)],
    )
    markov = None
    if rg.markov:
        markov = markov_regimes(
            rows.y,
            splitter.split(rows.X),
            refit_every=rg.markov_refit_every,
            min_train=min(wf.min_train, 100),
        )
    rf_series = risk_free(p, run.data)
    rf = (
        pd.Series(0.0, index=rows.y.index) if rf_series is None else rf_series.reindex(rows.y.index)
    )
    return Study(
        run=run,
        target=target,
        returns=returns[[target, *p.features]],
        rows=rows,
        splitter=splitter,
        regimes=geometry,
        markov=markov,
        rf=rf,
        timings={"prepare": time.perf_counter() - t0},
    )


@dataclass(frozen=True)
class ModelRun:
    """One model's walk-forward, or why it could not be run."""

    entry_id: str
    label: str
    result: WalkForwardResult | None
    error: str | None = None
    conditional: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result is not None


def _spec(entry: ModelEntry) -> ModelSpec:
    return ModelSpec(
        name=entry.model,
        alpha=entry.alpha,
        l1_ratio=entry.ratio if entry.model == "elasticnet" else 0.5,
        label=entry.id,
    )


def fit_models(study: Study) -> dict[str, ModelRun]:
    """Walk every model forward, and its coupling-conditional variant when configured.

    A model that cannot be fitted is recorded with its reason; the others go on.
    The conditional variant reuses the unconditional variant's refits (``base``)
    for its fallback rows instead of fitting them again; its numbers are the same.
    """
    p = study.params
    grid = alpha_grid(p.alphas.min, p.alphas.max, p.alphas.num)
    coupling = study.labels["coupling"] if p.regimes.conditional else None
    out: dict[str, ModelRun] = {}
    for entry in p.models:
        variants: list[tuple[str, pd.Series | None]] = [(entry.id, None)]
        if coupling is not None:
            variants.append((entry.id + COND_SUFFIX, coupling))
        for key, regimes in variants:
            plain = out.get(entry.id)
            t0 = time.perf_counter()
            try:
                result = walk_forward(
                    study.rows,
                    _spec(entry),
                    study.splitter,
                    alphas=grid if entry.model != "ols" else None,
                    cv_splits=p.walk_forward.cv_splits,
                    regimes=regimes,
                    min_feature_rows=p.walk_forward.min_train,
                    base=plain.result if regimes is not None and plain is not None else None,
                )
                out[key] = ModelRun(
                    key, key, result, None, regimes is not None, time.perf_counter() - t0
                )
            except AnalysisError as exc:
                out[key] = ModelRun(
                    key, key, None, str(exc), regimes is not None, time.perf_counter() - t0
                )
    return out


def predictions(models: Mapping[str, ModelRun]) -> pd.DataFrame:
    """Out-of-sample predictions, one column per model plus the benchmarks and ``actual``."""
    ok = {k: m.result for k, m in models.items() if m.result is not None}
    if not ok:
        return pd.DataFrame()
    first = next(iter(ok.values()))
    frame = pd.DataFrame({k: r.predictions["prediction"] for k, r in ok.items()})
    frame[HIST_MEAN] = first.predictions["benchmark"]
    frame[ZERO] = 0.0
    frame["actual"] = first.predictions["actual"]
    return frame


def forecast_metrics(
    study: Study, models: Mapping[str, ModelRun], scope: pd.Series | None = None
) -> pd.DataFrame:
    """Forecast metrics of every model and benchmark against the historical mean.

    With ``scope`` (a label per date), one block of rows per label value.
    """
    preds = predictions(models)
    if preds.empty:
        return pd.DataFrame()
    y, ybar = preds["actual"], preds[HIST_MEAN]
    rows = []
    groups: list[tuple[str, pd.Index]] = [("all", preds.index)]
    if scope is not None:
        lab = scope.reindex(preds.index)
        groups = [(str(v), lab.index[lab == v]) for v in sorted(lab.dropna().unique())]
    for name, idx in groups:
        for model in [c for c in preds.columns if c != "actual"]:
            s = forecast_summary(y.loc[idx], preds.loc[idx, model], ybar.loc[idx])
            rows.append({"model": model, "scope": name, **s.to_dict()})
    return pd.DataFrame(rows)


def goyal_welch(models: Mapping[str, ModelRun]) -> pd.DataFrame:
    """Cumulative Σ(y − ȳ)² − Σ(y − ŷ)² of each model (rising: beating the historical mean)."""
    preds = predictions(models)
    if preds.empty:
        return pd.DataFrame()
    y, ybar = preds["actual"], preds[HIST_MEAN]
    cols = [c for c in preds.columns if c not in ("actual", HIST_MEAN)]
    return pd.DataFrame({c: goyal_welch_cumulative(y, preds[c], ybar) for c in cols})


def phase_transition(study: Study, models: Mapping[str, ModelRun]) -> tuple[pd.DataFrame, dict]:
    """R²_OS and average non-zero coefficients over the whole α grid (lasso, elastic net).

    Returns the grid (``model, alpha, r2_oos, n_nonzero``) and each model's median α_max
    across refits.
    """
    frames, alpha_max = [], {}
    for key, m in models.items():
        r = m.result
        if r is None or m.conditional or r.grid is None or r.spec is None:
            continue
        if r.spec.name not in ("lasso", "elasticnet"):
            continue
        g = r.grid
        actual = r.predictions["actual"]
        bench = r.predictions["benchmark"]
        y = actual.reindex(pd.DatetimeIndex(g["date"])).to_numpy()
        yb = bench.reindex(pd.DatetimeIndex(g["date"])).to_numpy()
        g = g.assign(e2=(y - g["prediction"].to_numpy()) ** 2, b2=(y - yb) ** 2)
        by = g.groupby("alpha")
        sse = by["e2"].sum()
        sst = by["b2"].sum()
        nz = g.drop_duplicates(["refit_date", "alpha"]).groupby("alpha")["n_nonzero"].mean()
        frames.append(
            pd.DataFrame(
                {"model": key, "alpha": sse.index, "r2_oos": 1 - sse / sst, "n_nonzero": nz}
            ).reset_index(drop=True)
        )
        alpha_max[key] = float(r.refits["alpha_max"].median())
    grid = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return grid, alpha_max


@dataclass(frozen=True)
class Strategies:
    """Every strategy's positions and returns, gross and net of costs.

    Attributes
    ----------
    returns
        Long: ``date, model, sizing, position, turnover, gross_return, net_return``.
    metrics
        Long: ``model, sizing, scope, metric, value`` (``gross_*`` and ``net_*``).
    """

    returns: pd.DataFrame
    metrics: pd.DataFrame

    def wide(self, column: str, sizing: str) -> pd.DataFrame:
        """One column per model for one sizing rule (and buy and hold)."""
        sub = self.returns[self.returns["sizing"].isin([sizing, "hold"])]
        return sub.pivot(index="date", columns="model", values=column)


def backtest(study: Study, models: Mapping[str, ModelRun]) -> Strategies:
    """Size every model's forecast (and the historical mean's) and compute the strategy returns.

    Buy and hold (w ≡ 1, bought on the first out-of-sample day at cost) is the
    reference; the historical-mean forecast is sized like the models (except
    by quartile, whose thresholds are degenerate for a constant forecast).
    """
    p = study.params
    ok = {k: m.result for k, m in models.items() if m.result is not None}
    if not ok:
        return Strategies(pd.DataFrame(), pd.DataFrame())
    first = next(iter(ok.values()))
    base = first.predictions
    y = base["actual"]
    rf = study.rf.reindex(y.index)
    pieces = []
    forecasts: dict[str, pd.DataFrame] = {k: r.predictions for k, r in ok.items()}
    forecasts[HIST_MEAN] = base.assign(prediction=base["benchmark"])
    # the positions bet on the forecast return in excess of cash: with a risk-free rate the
    # sign, long-only and mean-variance rules use yhat - ln(1 + rf) (with rf = 0, yhat itself)
    cash = np.log1p(rf)
    for model, pred in forecasts.items():
        for rule in p.sizing:
            if model == HIST_MEAN and rule == "quartile":
                continue
            signal = pred["prediction"] if rule == "quartile" else pred["prediction"] - cash
            w = size(
                rule,
                signal,
                variance=pred["train_variance"],
                thresholds=pred[["q25", "q50", "q75"]],
                gamma=p.proportional.gamma,
                lower=p.proportional.lower,
                upper=p.proportional.upper,
            )
            r = strategy_returns(w, y, rf=rf, cost_bps=p.cost_bps)
            pieces.append(r.assign(model=model, sizing=rule))
    hold = strategy_returns(pd.Series(1.0, index=y.index), y, rf=rf, cost_bps=p.cost_bps)
    pieces.append(hold.assign(model=BUY_AND_HOLD, sizing="hold"))
    frame = pd.concat(pieces).rename_axis("date").reset_index()
    frame = frame[["date", "model", "sizing", "position", "turnover", "gross_return", "net_return"]]
    return Strategies(frame, strategy_metrics(study, frame, {"all": None}))


def strategy_metrics(
    study: Study, frame: pd.DataFrame, scopes: Mapping[str, pd.Series | None]
) -> pd.DataFrame:
    """Performance metrics (gross and net) of every strategy, per scope and label value.

    Within a regime the metrics use that regime's periods only (annualized
    from their count); compounding across non-adjacent periods is what a
    strategy trading only in that regime would earn.
    """
    P = study.periods_per_year
    rows = []
    for (model, rule), sub in frame.groupby(["model", "sizing"], sort=False):
        sub = sub.set_index("date")
        rf = study.rf.reindex(sub.index)
        for scope_name, labels in scopes.items():
            if labels is None:
                groups = [("all", sub.index)]
            else:
                lab = labels.reindex(sub.index)
                groups = [
                    (f"{scope_name}={v}", lab.index[lab == v])
                    for v in sorted(lab.dropna().unique())
                ]
            for name, idx in groups:
                for kind in ("gross", "net"):
                    s = performance_summary(
                        sub.loc[idx, f"{kind}_return"],
                        periods_per_year=P,
                        rf=rf.loc[idx],
                        turnover=sub.loc[idx, "turnover"],
                    )
                    for metric, value in s.items():
                        rows.append(
                            {
                                "model": model,
                                "sizing": rule,
                                "scope": name,
                                "metric": f"{kind}_{metric}",
                                "value": float(value),
                            }
                        )
    return pd.DataFrame(rows)


def regime_scopes(study: Study) -> dict[str, pd.Series]:
    """The label columns metrics are split by: coupling, each pair, Markov."""
    labels = study.labels
    out = {"coupling": labels["coupling"]}
    for c in labels.columns:
        if c.startswith("pair:"):
            out[c.removeprefix("pair:")] = labels[c]
    if "markov" in labels and labels["markov"].notna().any():
        out["markov"] = labels["markov"]
    return out


def wealth(frame: pd.DataFrame) -> pd.DataFrame:
    """Growth of 1 for each column of simple returns."""
    return frame.apply(wealth_index)


def drawdowns(frame: pd.DataFrame) -> pd.DataFrame:
    """Drawdown from the running peak (the start counts as a peak) for each column."""
    return frame.apply(drawdown_series)


def best_strategy(metrics: pd.DataFrame, model: str) -> pd.Series | None:
    """The sizing rule with the best net Sharpe ratio for ``model`` (scope ``all``)."""
    m = metrics[(metrics["model"] == model) & (metrics["scope"] == "all")]
    sharpe = m[m["metric"] == "net_sharpe"].dropna(subset=["value"])
    if sharpe.empty:
        return None
    best = sharpe.loc[sharpe["value"].idxmax()]
    mdd = m[(m["sizing"] == best["sizing"]) & (m["metric"] == "net_max_drawdown")]["value"]
    return pd.Series(
        {
            "sizing": best["sizing"],
            "net_sharpe": best["value"],
            "net_max_drawdown": float(mdd.iloc[0]) if len(mdd) else np.nan,
        }
    )


def buy_and_hold_returns(study: Study, index: pd.Index) -> pd.Series:
    """Simple returns of holding the target (no cost), for reference lines."""
    return buy_and_hold(study.rows.y.reindex(index))
