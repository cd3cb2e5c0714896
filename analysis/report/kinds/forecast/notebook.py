"""The ``forecast`` report for one target: what the notebook shows and what it saves.

The notebook template (``templates/forecast.ipynb``) runs the study step by
step through :mod:`analysis.report.kinds.forecast.study` (rows, regimes,
walk-forward models, strategies) and shows each part with the ``*_section``
functions here; :func:`save` writes the target's parts of the contract tables
and its component statuses (each model, and the Markov regimes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import __version__, charts
from analysis.regimes import correlation_matrix
from analysis.report.kinds.forecast.study import (
    BUY_AND_HOLD,
    COND_SUFFIX,
    HIST_MEAN,
    ZERO,
    ModelRun,
    Run,
    Strategies,
    Study,
    backtest,
    best_strategy,
    drawdowns,
    fit_models,
    forecast_metrics,
    goyal_welch,
    phase_transition,
    prepare,
    regime_scopes,
    strategy_metrics,
    wealth,
)
from analysis.report.pipeline.display import (
    Figure,
    Markdown,
    Table,
    figure_with_caption,
    fmt_p,
    fmt_pct,
    md_escape,
)
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.tables import write_components, write_csv

__all__ = [
    "Run",
    "backtest",
    "fit_models",
    "forecast_section",
    "geometry_section",
    "header_section",
    "notes_section",
    "prepare",
    "regime_section",
    "save",
    "strategy_section",
]

Display = Markdown | Table | Figure

_FORECAST_LABELS = {
    "n": "Obs.",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2_oos": "R²_OS",
    "hit_rate": "Hit rate",
    "dm_stat": "DM stat.",
    "dm_pvalue": "DM p (one-sided)",
}

DISPLAY_NAMES = {BUY_AND_HOLD: "buy and hold", HIST_MEAN: "historical mean"}
"""How the benchmark strategies are named in tables (their ids stay in the CSV files)."""

_MLFINPY = {"SPY", "DIA", "XLB", "XLE", "XLF", "XLK", "XLU"}


def _fmt(digits: int) -> Callable[[Any], str]:
    return lambda v: "—" if pd.isna(v) else f"{v:.{digits}f}"


def _date(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}"


# --------------------------------------------------------------------------- header


def header_section(study: Study) -> list[Display]:
    """What was analysed: target, features, dates, frequency, walk-forward, data source."""
    p, rows = study.params, study.rows
    wf = p.walk_forward
    n_refits = study.splitter.get_n_splits(rows.X)
    oos = rows.y.index[wf.min_train :]
    window = f"{wf.window}" + (f", {wf.train_size} rows" if wf.train_size else "")
    items = [
        ("Target", study.target),
        ("Features", ", ".join(p.features)),
        ("Lags (periods)", ", ".join(map(str, p.lags))),
        ("Frequency", p.frequency),
        ("Data source", study.run.data.source),
        (
            "Rows",
            f"{len(rows.y)} from {_date(rows.y.index[0])} to {_date(rows.y.index[-1])} "
            f"({rows.dropped} target dates dropped: first lags, missing features)",
        ),
        (
            "Walk-forward",
            f"{window}; first fit on {wf.min_train} rows; refit every "
            f"{wf.refit_every} rows; gap {wf.gap}; {n_refits} refits",
        ),
        ("Out of sample", f"{len(oos)} rows from {_date(oos[0])} to {_date(oos[-1])}"),
        ("Models", ", ".join(m.id for m in p.models)),
        (
            "α grid",
            f"{p.alphas.num} log-spaced values from {p.alphas.min:g} to {p.alphas.max:g}; "
            f"chosen by {p.walk_forward.cv_splits}-fold time-series CV in each training set",
        ),
        ("Sizing", ", ".join(p.sizing)),
        ("Costs", f"{p.cost_bps:g} bp per unit of turnover, one way"),
        ("Risk-free rate", p.risk_free or "0"),
        ("Library version", __version__),
    ]
    out: list[Display] = [
        Table(pd.DataFrame(items, columns=["Item", "Value"]), caption="Run settings")
    ]
    if study.run.data.source == "sample" and {study.target, *p.features} & _MLFINPY:
        out.append(
            Markdown(
                "*Data note: the bundled ETF closes (SPY, XLB, XLE, XLF, XLK, XLU) are adjusted "
                "for splits but not for dividends, so their returns are price returns that "
                "miss the dividends (about 2% a year for SPY) and show each ex-dividend day "
                "as a loss.*"
            )
        )
    late = {c: d for c, d in rows.first_valid.items() if d > rows.y.index[0]}
    if late:
        refit_dates = rows.y.index[study.splitter.refit_points(len(rows.y))]
        lines = []
        for c, d in late.items():
            n_before = int((rows.y.index < d).sum())
            enters = n_before + wf.min_train
            when = (
                _date(refit_dates[refit_dates >= rows.y.index[enters]][0])
                if enters < len(rows.y) and (refit_dates >= rows.y.index[enters]).any()
                else "never (too little history)"
            )
            lines.append({"Column": c, "First value": _date(d), "Enters the model at": when})
        out.append(
            Table(
                pd.DataFrame(lines),
                caption="Late features: left out of every fit until they have min_train "
                "rows; earlier training rows then get the training mean (0 after scaling)",
            )
        )
    return out


# --------------------------------------------------------------------------- geometry


def geometry_section(study: Study) -> list[Display]:
    """Correlation matrix, rolling correlations, coupling and absorption ratio, Markov."""
    p = study.params
    g = study.regimes.geometry.reindex(study.rows.y.index)
    shading = study.labels["coupling"]
    out: list[Display] = []
    corr = correlation_matrix(study.returns.dropna())
    out += figure_with_caption(
        charts.correlation_matrix_heatmap(
            corr,
            title=f"Correlations of daily log returns, {study.target} and features"
            if p.frequency == "daily"
            else f"Correlations of {p.frequency} log returns",
        ),
        key=study.target,
    )
    corr_cols = [c for c in g.columns if "~" in c]
    out += figure_with_caption(
        charts.rolling_correlation_chart(
            g[corr_cols],
            window=p.regimes.corr_window,
            shading=shading,
            shading_label="high coupling (known at t−1)",
        ),
        key=study.target,
    )
    out += figure_with_caption(
        charts.coupling_absorption_chart(
            g[["coupling", "absorption_ratio", "delta_ar"]],
            shading=shading,
            shading_label="high coupling (known at t−1)",
        ),
        key=study.target,
    )
    if study.markov is not None:
        mk = study.markov
        if mk.p_high.notna().any():
            out += figure_with_caption(
                charts.regime_probability_chart(
                    mk.p_high.dropna(),
                    title=f"Filtered probability of the turbulent regime of {study.target}",
                ),
                key=study.target,
            )
        failed = mk.fits[~mk.fits["converged"].astype(bool)] if len(mk.fits) else mk.fits
        if mk.failed or len(failed):
            msgs = "; ".join(dict.fromkeys(mk.messages)) or "some refits did not converge"
            out.append(
                Markdown(
                    f"**Markov regimes flagged:** {md_escape(msgs)}. Rows those fits would "
                    "have labelled have no Markov label; everything else is unaffected."
                )
            )
        out.append(_markov_table(study))
    return out


def _markov_table(study: Study) -> Table:
    assert study.markov is not None
    f = study.markov.fits
    if f.empty:
        return Table(pd.DataFrame({"Note": ["no Markov refit"]}), caption="Markov refits")
    frame = pd.DataFrame(
        {
            "Refits": [len(f)],
            "Converged": [int(f["converged"].astype(bool).sum())],
            "σ calm (%/period, median)": [float(np.sqrt(f["sigma2_low"].median()))],
            "σ turbulent (%/period, median)": [float(np.sqrt(f["sigma2_high"].median()))],
            "P(stay calm), median": [float(f["p_stay_low"].median())],
            "P(stay turbulent), median": [float(f["p_stay_high"].median())],
        }
    )
    return Table(
        frame,
        caption="Two-regime Markov switching model (switching mean and variance), refitted on "
        f"training rows every {study.params.regimes.markov_refit_every} refits; "
        "filtered probabilities only",
        formats={
            "Refits": lambda v: f"{int(v)}",
            "Converged": lambda v: f"{int(v)}",
            **{c: _fmt(3) for c in frame.columns[2:]},
        },
    )


# --------------------------------------------------------------------------- forecasts


def _forecast_table(metrics: pd.DataFrame, caption: str) -> Table:
    frame = metrics.drop(columns=["scope"]).rename(columns={"model": "Model", **_FORECAST_LABELS})
    frame["Obs."] = frame["Obs."].astype("Int64")
    return Table(
        frame,
        caption=caption,
        formats={
            "Obs.": lambda v: "—" if pd.isna(v) else f"{int(v)}",
            "RMSE": _fmt(5),
            "MAE": _fmt(5),
            "R²_OS": fmt_pct(2),
            "Hit rate": fmt_pct(1),
            "DM stat.": _fmt(2),
            "DM p (one-sided)": fmt_p,
        },
    )


def forecast_section(study: Study, models: Mapping[str, ModelRun]) -> list[Display]:
    """Metrics against the benchmarks, Goyal–Welch, phase transition, α and coefficient paths."""
    out: list[Display] = []
    failed = {k: m.error for k, m in models.items() if not m.ok}
    for k, reason in failed.items():
        out.append(Markdown(f"**{md_escape(k)} not estimated:** {md_escape(reason)}"))
    metrics = forecast_metrics(study, models)
    if metrics.empty:
        return [*out, Markdown("*No model could be estimated.*")]
    out.append(
        _forecast_table(
            metrics,
            "Out-of-sample forecasts (benchmark: historical mean; DM: Diebold–Mariano, "
            "squared loss, HAC variance, Harvey–Leybourne–Newbold correction)",
        )
    )
    cum = goyal_welch(models)
    cum = cum[[c for c in cum.columns if c != ZERO]]
    out += figure_with_caption(
        charts.goyal_welch_chart(
            cum, shading=study.labels["coupling"], shading_label="high coupling"
        ),
        key=study.target,
    )
    grid, amax = phase_transition(study, models)
    if not grid.empty:
        out.append(Markdown("### Phase transition (Lasso and ElasticNet)"))
        out += figure_with_caption(
            charts.phase_transition_chart(grid, alpha_max=amax), key=study.target
        )
    alphas = {
        k: m.result.refits.set_index("refit_date")["alpha"]
        for k, m in models.items()
        if m.result is not None and not m.conditional and m.result.refits["alpha"].notna().any()
    }
    if alphas:
        out.append(Markdown("### Chosen α and coefficients over the refits"))
        out += figure_with_caption(charts.alpha_path_chart(pd.DataFrame(alphas)), key=study.target)
    for k, m in models.items():
        if m.result is None or m.conditional:
            continue
        c = m.result.coefficients
        c = c[(c["regime"] == "all") & (c["term"] != "intercept")]
        wide = c.pivot(index="refit_date", columns="term", values="coef")[
            list(dict.fromkeys(c["term"]))
        ]
        out += figure_with_caption(
            charts.coefficient_path_chart(
                wide, title=f"{k}: standardized coefficients at each refit"
            ),
            key=f"{study.target}/{k}",
        )
    return out


# --------------------------------------------------------------------------- strategies


_STRAT_METRICS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("cagr", "CAGR", fmt_pct(2)),
    ("volatility", "Vol.", fmt_pct(1)),
    ("sharpe", "Sharpe", _fmt(2)),
    ("max_drawdown", "MDD", fmt_pct(1)),
    ("turnover", "Turnover/yr", _fmt(1)),
]


def strategy_table(metrics: pd.DataFrame, scope: str = "all") -> pd.DataFrame:
    """One row per model × sizing: gross and net CAGR, volatility, Sharpe, MDD, turnover."""
    m = metrics[metrics["scope"] == scope]
    wide = m.pivot_table(index=["model", "sizing"], columns="metric", values="value", sort=False)
    cols = {}
    for key, label, _ in _STRAT_METRICS:
        for kind in ("gross", "net"):
            if key == "turnover" and kind == "gross":
                continue
            cols[f"{kind}_{key}"] = f"{label} {kind}" if key != "turnover" else label
    frame = wide[list(cols)].rename(columns=cols).reset_index()
    frame["model"] = frame["model"].map(lambda m: DISPLAY_NAMES.get(m, m))
    return frame.rename(columns={"model": "Model", "sizing": "Sizing"})


def strategy_section(study: Study, strategies: Strategies) -> list[Display]:
    """Strategy table, equity curves (log scale) against buy and hold, drawdowns, positions."""
    p = study.params
    if strategies.returns.empty:
        return [Markdown("*No strategy: no model could be estimated.*")]
    table = strategy_table(strategies.metrics)
    formats: dict[str, Callable[[Any], str]] = {}
    for _key, label, f in _STRAT_METRICS:
        for c in table.columns:
            if c.startswith(label):
                formats[c] = f
    out: list[Display] = [
        Table(
            table,
            caption=f"Strategies, gross and net of {p.cost_bps:g} bp costs "
            "(Sharpe: mean excess return / sd × √P; MDD from the start of wealth 1)",
            formats=formats,
        )
    ]
    for rule in p.sizing:
        net = strategies.wide("net_return", rule)
        cols = [c for c in net.columns if not c.endswith(COND_SUFFIX)]
        w = wealth(net[cols].rename(columns={BUY_AND_HOLD: "buy and hold"}))
        out.append(Markdown(f"### {rule.replace('_', ' ').capitalize()} sizing"))
        out += figure_with_caption(
            charts.equity_curve_chart(
                w,
                title=f"Growth of 1, net of costs: {rule} sizing",
                shading=study.labels["coupling"],
                shading_label="high coupling",
                log=bool((w > 0).all().all()),
            ),
            key=f"{study.target}/{rule}",
        )
        out += figure_with_caption(
            charts.drawdown_chart(
                drawdowns(net[cols].rename(columns={BUY_AND_HOLD: "buy and hold"})),
                title=f"Drawdowns, net of costs: {rule} sizing",
            ),
            key=f"{study.target}/{rule}",
        )
    # continuous positions read better than ±1 flips: prefer the proportional rule
    rule = "proportional" if "proportional" in p.sizing else p.sizing[0]
    pos = strategies.wide("position", rule)
    pos = pos[[c for c in pos.columns if c not in (BUY_AND_HOLD,) and not c.endswith(COND_SUFFIX)]]
    out += figure_with_caption(
        charts.position_chart(pos, title=f"Positions: {rule} sizing"), key=study.target
    )
    return out


# --------------------------------------------------------------------------- regimes


def regime_section(
    study: Study, models: Mapping[str, ModelRun], strategies: Strategies
) -> tuple[list[Display], pd.DataFrame, pd.DataFrame]:
    """Forecast and strategy metrics by regime, conditional against unconditional models.

    Returns the displays and the by-regime forecast and strategy metrics (for the tables).
    """
    scopes = regime_scopes(study)
    out: list[Display] = []
    fm_parts = [
        forecast_metrics(study, models, labels).assign(scope=lambda d, n=name: n + "=" + d["scope"])
        for name, labels in scopes.items()
    ]
    fm = (
        pd.concat([f for f in fm_parts if not f.empty], ignore_index=True)
        if fm_parts
        else pd.DataFrame()
    )
    sm = (
        strategy_metrics(study, strategies.returns, scopes)
        if not strategies.returns.empty
        else pd.DataFrame()
    )
    if not fm.empty:
        sub = fm[~fm["model"].isin([ZERO])]
        r2 = sub.pivot_table(index="model", columns="scope", values="r2_oos", sort=False)
        r2 = r2.reset_index().rename(columns={"model": "Model"})
        out.append(
            Table(
                r2,
                caption="R²_OS by regime (rows of each regime; labels known at t−1)",
                formats={c: fmt_pct(2) for c in r2.columns if c != "Model"},
            )
        )
        coupling_cols = [c for c in r2.columns if c.startswith("coupling=")]
        bars = sub[sub["scope"].isin(coupling_cols) & (sub["model"] != HIST_MEAN)]
        if not bars.empty:
            table = bars.pivot_table(index="model", columns="scope", values="r2_oos", sort=False)
            out += figure_with_caption(
                charts.metric_bars_by_regime(
                    table, metric="R²_OS", title="R²_OS by coupling regime", percent=True
                ),
                key=study.target,
            )
        counts = {
            name: labels.reindex(study.rows.y.index[study.params.walk_forward.min_train :])
            .value_counts()
            .to_dict()
            for name, labels in scopes.items()
        }
        lines = [
            f"{k}: " + ", ".join(f"{v} {n}" for v, n in sorted(c.items()))
            for k, c in counts.items()
        ]
        out.append(
            Markdown(
                "Out-of-sample rows per regime — " + "; ".join(md_escape(x) for x in lines) + "."
            )
        )
    if not sm.empty:
        sharpe = sm[sm["metric"] == "net_sharpe"]
        wide = sharpe.pivot_table(
            index=["model", "sizing"], columns="scope", values="value", sort=False
        )
        wide = wide.reset_index().rename(columns={"model": "Model", "sizing": "Sizing"})
        out.append(
            Table(
                wide,
                caption="Net Sharpe ratio by regime (each regime's periods only)",
                formats={c: _fmt(2) for c in wide.columns if c not in ("Model", "Sizing")},
            )
        )
    cond = [k for k, m in models.items() if m.conditional and m.ok]
    if cond and not fm.empty:
        allm = forecast_metrics(study, models)
        rows = []
        for k in cond:
            base = k.removesuffix(COND_SUFFIX)
            a = allm.set_index("model")
            best_c = best_strategy(strategies.metrics, k) if not strategies.metrics.empty else None
            best_u = (
                best_strategy(strategies.metrics, base) if not strategies.metrics.empty else None
            )
            rows.append(
                {
                    "Model": base,
                    "R²_OS unconditional": a.loc[base, "r2_oos"] if base in a.index else np.nan,
                    "R²_OS conditional": a.loc[k, "r2_oos"],
                    "Best net Sharpe unconditional": np.nan
                    if best_u is None
                    else best_u["net_sharpe"],
                    "Best net Sharpe conditional": np.nan
                    if best_c is None
                    else best_c["net_sharpe"],
                    "Fallback rows": _fallback_rows(models[k]),
                }
            )
        frame = pd.DataFrame(rows)
        out.append(
            Table(
                frame,
                caption="Coupling-conditional models (trained only on the training rows of the "
                "current coupling regime) against the unconditional ones",
                formats={
                    "R²_OS unconditional": fmt_pct(2),
                    "R²_OS conditional": fmt_pct(2),
                    "Best net Sharpe unconditional": _fmt(2),
                    "Best net Sharpe conditional": _fmt(2),
                },
            )
        )
    return out, fm, sm


def _fallback_rows(m: ModelRun) -> int:
    return 0 if m.result is None else int(m.result.predictions["fallback"].sum())


# --------------------------------------------------------------------------- notes


def notes_section(study: Study) -> list[Display]:
    """Short methodology notes for the PDF (the site has the full methodology page)."""
    p = study.params
    lines = [
        "- Rows: y_t is the target's log return at t; x_t are the features' log returns at "
        "t − l for each lag l. Nothing at or after the decision row enters a fit, a scaler, "
        "an α choice, a quantile or a regime label.",
        f"- Walk-forward: {p.walk_forward.window} window, refit every "
        f"{p.walk_forward.refit_every} rows after {p.walk_forward.min_train}; features "
        "standardized with the training mean and population sd; intercept fitted.",
        "- R²_OS = 1 − Σ(y − ŷ)² / Σ(y − ȳ_hist)² (Campbell & Thompson 2008); DM one-sided "
        "p-value for the model beating the historical mean.",
        "- Strategy return R_t = w_t (e^{y_t} − 1) + (1 − w_t) rf_t − c |w_t − w_{t−1}|, "
        f"c = {p.cost_bps:g} bp; w decided from ŷ_t (information up to t − 1).",
        f"- Annualization: P = {study.periods_per_year} periods a year; Sharpe = mean(R − rf) / "
        "sd(R − rf, ddof 1) × √P; maximum drawdown of wealth starting at 1.",
        "- Regimes: coupling high/low (average pairwise correlation above its expanding "
        "median), pair correlation sign, Markov filtered probability; each known at t − 1.",
    ]
    return [Markdown("\n".join(lines))]


# --------------------------------------------------------------------------- save


def _d(index: pd.Index) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(index).strftime("%Y-%m-%d"), index=index)


def forecasts_frame(study: Study, models: Mapping[str, ModelRun]) -> pd.DataFrame:
    """Rows of ``forecasts.csv`` (every model, and the two benchmarks)."""
    coupling = study.labels["coupling"]
    parts = []
    for k, m in models.items():
        if m.result is None:
            continue
        pr = m.result.predictions
        parts.append(
            pd.DataFrame(
                {
                    "date": _d(pr.index),
                    "target": study.target,
                    "model": k,
                    "alpha": pr["alpha"],
                    "prediction": pr["prediction"],
                    "actual": pr["actual"],
                    "benchmark": pr["benchmark"],
                    "regime": coupling.reindex(pr.index),
                }
            )
        )
    if not parts:
        return pd.DataFrame()
    pr = next(m.result for m in models.values() if m.result is not None).predictions
    for name, pred in ((HIST_MEAN, pr["benchmark"]), (ZERO, pr["benchmark"] * 0.0)):
        parts.append(
            pd.DataFrame(
                {
                    "date": _d(pr.index),
                    "target": study.target,
                    "model": name,
                    "alpha": np.nan,
                    "prediction": pred,
                    "actual": pr["actual"],
                    "benchmark": pr["benchmark"],
                    "regime": coupling.reindex(pr.index),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def coefficients_frame(study: Study, models: Mapping[str, ModelRun]) -> pd.DataFrame:
    """Rows of ``coefficients.csv``; a conditional model has one model/regime per regime."""
    parts = []
    for k, m in models.items():
        if m.result is None:
            continue
        c = m.result.coefficients
        model = np.where(c["regime"] == "all", k, k + "/" + c["regime"].astype(str))
        parts.append(
            pd.DataFrame(
                {
                    "refit_date": pd.DatetimeIndex(c["refit_date"]).strftime("%Y-%m-%d"),
                    "target": study.target,
                    "model": model,
                    "alpha": c["alpha"].to_numpy(),
                    "term": c["term"].to_numpy(),
                    "coef": c["coef"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def regimes_frame(study: Study) -> pd.DataFrame:
    """Rows of ``regimes.csv``: geometry (unlagged) and the labels (known at t−1) per row."""
    idx = study.rows.y.index
    g = study.regimes.geometry.reindex(idx)
    p_high = (
        study.markov.p_high.reindex(idx)
        if study.markov is not None
        else pd.Series(np.nan, index=idx)
    )
    return pd.DataFrame(
        {
            "date": _d(idx),
            "target": study.target,
            "coupling": g["coupling"],
            "absorption_ratio": g["absorption_ratio"],
            "delta_ar": g["delta_ar"],
            "markov_p_high": p_high,
            "regime": study.labels["coupling"],
        }
    ).reset_index(drop=True)


def metrics_frame(
    study: Study,
    models: Mapping[str, ModelRun],
    strategies: Strategies,
    by_regime_forecasts: pd.DataFrame,
    by_regime_strategies: pd.DataFrame,
) -> pd.DataFrame:
    """Rows of ``metrics.csv``: forecast metrics (sizing empty) and strategy metrics."""
    fm = pd.concat([forecast_metrics(study, models), by_regime_forecasts], ignore_index=True)
    parts = []
    if not fm.empty:
        long = fm.melt(id_vars=["model", "scope"], var_name="metric", value_name="value")
        parts.append(long.assign(sizing=""))
    sm = pd.concat([strategies.metrics, by_regime_strategies], ignore_index=True)
    if not sm.empty:
        parts.append(sm)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True).assign(target=study.target)
    return out[["target", "model", "sizing", "scope", "metric", "value"]]


def save(
    study: Study,
    models: Mapping[str, ModelRun],
    strategies: Strategies,
    by_regime_forecasts: pd.DataFrame,
    by_regime_strategies: pd.DataFrame,
    folder: str | Path | None = None,
) -> list[Path]:
    """Write the target's parts of the contract tables and its component statuses."""
    paths = RunPaths(Path(folder) if folder is not None else study.run.folder)
    slug = study.params.slugs[study.target]
    sr = strategies.returns
    frames = {
        "forecasts": forecasts_frame(study, models),
        "strategy_returns": (
            pd.DataFrame(
                {
                    "date": pd.DatetimeIndex(sr["date"]).strftime("%Y-%m-%d"),
                    "target": study.target,
                    "model": sr["model"],
                    "sizing": sr["sizing"],
                    "position": sr["position"],
                    "gross_return": sr["gross_return"],
                    "net_return": sr["net_return"],
                }
            )
            if not sr.empty
            else pd.DataFrame()
        ),
        "metrics": metrics_frame(
            study, models, strategies, by_regime_forecasts, by_regime_strategies
        ),
        "coefficients": coefficients_frame(study, models),
        "regimes": regimes_frame(study),
    }
    written = [write_csv(paths.part(slug, name), f) for name, f in frames.items()]
    components = {k: "ok" if m.ok else (m.error or "failed") for k, m in models.items()}
    if study.markov is not None:
        mk = study.markov
        components["markov"] = (
            "ok" if not mk.failed else "; ".join(dict.fromkeys(mk.messages)) or "failed"
        )
    written.append(write_components(paths.components(slug), components))
    return written
