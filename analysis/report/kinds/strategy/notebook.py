"""The ``strategy`` report for one model (a tear sheet): what the notebook shows and saves.

The template (``templates/strategy.ipynb``) runs the five stages through
:mod:`analysis.report.kinds.strategy.study` and shows each with the
``*_section`` functions here; :func:`save` writes the model's parts of the
contract tables and its component statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import __version__, charts
from analysis.backtest.metrics import drawdown_series, wealth_index
from analysis.backtest.relative import monthly_returns_table, rolling_sharpe
from analysis.factors.preprocess import describe_distribution
from analysis.report.kinds.strategy.study import (
    BENCHMARK,
    COMPOSITE,
    EQUAL_WEIGHT,
    Books,
    FactorMatrix,
    Run,
    Scores,
    SignalQuality,
    build_books,
    factor_matrix,
    ic_table,
    predict,
    signal_quality,
)
from analysis.report.pipeline.display import (
    Figure,
    Markdown,
    Table,
    figure_with_caption,
    fmt_pct,
    md_escape,
)
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.tables import write_components, write_csv
from analysis.signals import (
    cumulative_quantile_returns,
    factor_correlation,
    factor_spread_summary,
    factor_spreads,
    fama_macbeth,
    forward_returns_by_horizon,
    ic_by_month,
    ic_decay,
    quantile_returns_by_date,
    quantile_turnover,
    quantize,
    rank_autocorrelation,
)
from analysis.signals.premia import PREMIA_COLUMNS

__all__ = [
    "Run",
    "analysis_section",
    "backtest_section",
    "build_books",
    "factor_matrix",
    "factors_section",
    "header_section",
    "portfolio_section",
    "predict",
    "save",
    "signal_quality",
    "signal_section",
]

Display = Markdown | Table | Figure


def _figure(build: Callable[[], charts.Chart], *, key: str) -> list[Figure | Markdown]:
    """A chart and its caption; a chart with nothing to draw (too short a backtest for a
    rolling window, say) becomes a note instead of failing the whole tear sheet."""
    try:
        chart = build()
    except charts.ChartError as exc:
        return [Markdown(f"*Chart not drawn: {md_escape(exc)}*")]
    return figure_with_caption(chart, key=key)


def _fmt(digits: int) -> Callable[[Any], str]:
    return lambda v: "—" if pd.isna(v) else f"{v:.{digits}f}"


# --------------------------------------------------------------------------- header / M1


def header_section(fm: FactorMatrix, model: str) -> list[Display]:
    """What was analysed: universe, dates, factors, preprocessing, model, portfolio, costs."""
    p = fm.params
    X = fm.X
    dates = X.index.get_level_values("date").unique()
    names = X.index.get_level_values("ticker").unique()
    items = [
        ("Model", f"{model} (beside the composite baseline)"),
        ("Universe", f"{len(names)} names" + (f": {', '.join(p.universe)}" if p.universe else "")),
        ("Benchmark", p.benchmark or ("Mkt" if p.datasets else "none")),
        ("Data source", fm.run.data.source),
        (
            "Returns",
            f"{fm.universe.frequency}, {fm.universe.returns.index.min():%Y-%m-%d} to "
            f"{fm.universe.returns.index.max():%Y-%m-%d}",
        ),
        (
            "Rebalancing",
            f"{p.rebalance}: {len(dates)} dates with factors, "
            f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}",
        ),
        ("Factors (composite sign)", ", ".join(f"{f.name} ({f.sign:+d})" for f in p.factors)),
        (
            "Preprocessing",
            f"winsorize {p.preprocess.winsorize}, {p.preprocess.scale}, "
            f"neutralize {p.preprocess.neutralize or 'no'}, missing → {p.preprocess.missing}",
        ),
        ("Label", f"next-period simple return ({p.label.transform})"),
        (
            "Walk-forward",
            f"{p.walk_forward.window}; first fit after {p.walk_forward.min_train} "
            f"dates; refit every {p.walk_forward.refit_every}",
        ),
        (
            "Portfolio",
            f"{p.portfolio.type}, {p.portfolio.quantiles} quantiles, "
            f"{p.portfolio.weighting} weights, max weight {p.portfolio.max_weight or 'none'}, "
            f"turnover cap {p.portfolio.max_turnover or 'none'}",
        ),
        ("Costs", f"{p.cost_bps:g} bp per unit of turnover, one way"),
        ("Library version", __version__),
    ]
    out: list[Display] = [
        Table(pd.DataFrame(items, columns=["Item", "Value"]), caption="Run settings")
    ]
    per_q = len(names) / p.portfolio.quantiles
    if per_q < 20:
        out.append(
            Markdown(
                f"*A small universe: {len(names)} names in {p.portfolio.quantiles} quantiles leave "
                f"about {per_q:.1f} names per quantile, so quantile returns and spreads are noisy "
                "and one name moves a quantile; read the standard errors. The bundled sample is "
                "an illustration, not research (survivorship bias, few names).*"
            )
        )
    return out


def factors_section(fm: FactorMatrix) -> list[Display]:
    """M1: coverage, distributions before and after preprocessing, dropped dates, correlations."""
    raw, X = fm.raw, fm.X
    cover = pd.DataFrame(
        {
            "Factor": raw.columns,
            "Observations": pd.array([int(raw[c].notna().sum()) for c in raw.columns], "Int64"),
            "Missing (raw)": [float(raw[c].isna().mean()) for c in raw.columns],
            "Filled": [int(fm.processed.filled.get(c, 0)) for c in raw.columns],
        }
    )
    out: list[Display] = [
        Table(
            cover,
            caption="Factor coverage (raw values at the rebalance dates)",
            formats={"Missing (raw)": fmt_pct(1)},
        ),
    ]
    desc = describe_distribution(raw).reset_index(names="Factor")
    out.append(Table(desc, caption="Raw factor distributions (all dates and names)"))
    out += _figure(
        lambda: charts.factor_distribution_chart(
            raw, X, title="Factors before and after preprocessing"
        ),
        key="m1",
    )
    if fm.processed.dropped_dates:
        lines = "\n".join(
            f"- {d:%Y-%m-%d}: {md_escape(r)}"
            for d, r in list(fm.processed.dropped_dates.items())[:20]
        )
        out.append(Markdown(f"**Dates skipped** ({len(fm.processed.dropped_dates)}):\n\n{lines}"))
    corr = factor_correlation(X)
    out += _figure(
        lambda: charts.correlation_matrix_heatmap(
            corr, title="Factor rank correlations (average over dates)"
        ),
        key="m1",
    )
    return out


# --------------------------------------------------------------------------- M2


def signal_section(fm: FactorMatrix, scores: Scores, quality: SignalQuality) -> list[Display]:
    """IC and Rank IC, IC by month, quantile returns, cumulative quantile returns, turnover."""
    out: list[Display] = []
    for name, r in scores.results.items():
        bad = r.refits[r.refits["status"] != "ok"] if "status" in r.refits else r.refits.iloc[:0]
        if len(bad):
            msgs = "; ".join(
                f"{d:%Y-%m-%d}: {m}" for d, m in zip(bad["refit_date"], bad["message"], strict=True)
            )
            out.append(
                Markdown(
                    f"**{md_escape(name)}: refits failed and their dates have no "
                    f"score:** {md_escape(msgs)}"
                )
            )
    table = ic_table(quality)
    out.append(
        Table(
            table.rename(
                columns={
                    "model": "Model",
                    "ic_mean": "IC",
                    "rank_ic_mean": "Rank IC",
                    "rank_ic_std": "Rank IC sd",
                    "rank_icir": "ICIR",
                    "rank_ic_t": "t",
                    "share_positive": "Share > 0",
                    "spread_mean": "Spread",
                    "n_dates": "Dates",
                }
            ),
            caption="Signal quality (IC: Pearson, Rank IC: Spearman, per date, then averaged; "
            "spread: top minus bottom quantile's mean next-period return)",
            formats={
                "IC": _fmt(3),
                "Rank IC": _fmt(3),
                "Rank IC sd": _fmt(3),
                "ICIR": _fmt(2),
                "t": _fmt(2),
                "Share > 0": fmt_pct(0),
                "Spread": fmt_pct(2),
                "Dates": lambda v: f"{int(v)}",
            },
        )
    )
    ic = quality.ic
    model = scores.model
    own = ic[ic["model"] == model].set_index("date")[["ic", "rank_ic"]]
    out += _figure(
        lambda: charts.ic_chart(own, title=f"{model}: IC and Rank IC per rebalance date"), key=model
    )
    out += _figure(
        lambda: charts.ic_heatmap(
            ic_by_month(own["rank_ic"]), title=f"{model}: mean Rank IC by month"
        ),
        key=model,
    )
    horizons = forward_returns_by_horizon(
        fm.universe.prices if fm.universe.frequency == "daily" else fm.universe.returns,
        fm.dates,
        range(1, 7),
        kind="prices" if fm.universe.frequency == "daily" else "returns",
    )
    decay = pd.DataFrame(
        {
            k: ic_decay(r.scores.dropna(), horizons, method="spearman")
            for k, r in scores.results.items()
        }
    )
    out += _figure(
        lambda: charts.ic_decay_chart(
            decay, title="Rank IC decay: the score against the return h periods ahead"
        ),
        key=model,
    )
    q = fm.params.portfolio.quantiles
    out += _figure(
        lambda: charts.quantile_returns_chart(
            {k: v for k, v in quality.quantile_means.items()},
            title="Mean next-period return by score quantile",
        ),
        key=model,
    )
    s = scores.results[model].scores.dropna()
    y = fm.forward.reindex(s.index)
    ok = y.notna()
    quant = quantize(s[ok].groupby(level="date").rank(method="first"), quantiles=q)
    per_date = quantile_returns_by_date(quant, y[ok])
    out += _figure(
        lambda: charts.cumulative_quantile_chart(
            cumulative_quantile_returns(per_date),
            title=f"{model}: growth of 1 in each score quantile (equal weights, no cost)",
        ),
        key=model,
    )
    turn = pd.DataFrame(
        {
            "Top quantile turnover": [quantile_turnover(quant, q).mean()],
            "Bottom quantile turnover": [quantile_turnover(quant, 1).mean()],
            "Score rank autocorrelation": [rank_autocorrelation(s).mean()],
        }
    )
    out.append(
        Table(
            turn,
            caption=f"{model}: turnover of the quantiles and persistence of the "
            "scores (means over dates)",
            formats={c: _fmt(3) for c in turn.columns},
        )
    )
    return out


_METRIC_LABELS = {
    "cagr": "CAGR",
    "volatility": "Vol.",
    "sharpe": "Sharpe",
    "sortino": "Sortino",
    "max_drawdown": "MDD",
    "calmar": "Calmar",
    "hit_rate": "Hit rate",
    "turnover": "Turnover",
    "beta": "Beta",
    "alpha_annualized": "Alpha (ann.)",
    "alpha_tstat": "Alpha t",
    "tracking_error": "Tracking error",
    "information_ratio": "Info. ratio",
}
_METRIC_FORMATS: dict[str, Callable[[Any], str]] = {
    **{k: fmt_pct(2) for k in ("CAGR", "Vol.", "MDD", "Alpha (ann.)", "Tracking error")},
    **{
        k: _fmt(2)
        for k in ("Sharpe", "Sortino", "Calmar", "Turnover", "Beta", "Alpha t", "Info. ratio")
    },
    "Hit rate": fmt_pct(1),
}

# --------------------------------------------------------------------------- M3 / M4


def portfolio_section(fm: FactorMatrix, books: Books, model: str) -> list[Display]:
    """M3: constraints binding, exposure and names over time."""
    port = books.portfolios[model]
    b = port.binding
    summary = pd.DataFrame(
        {
            "Rebalances": [len(b)],
            "Mean names long": [b["n_long"].mean()],
            "Mean names short": [b["n_short"].mean()],
            "Max-weight binding (share of dates)": [
                b.get("max_weight_binding", pd.Series([False])).mean()
            ],
            "Turnover cap binding (share of dates)": [
                b.get("turnover_cap_binding", pd.Series([False])).mean()
            ],
            "Mean turnover per rebalance": [b["turnover"].mean()],
        }
    )
    out: list[Display] = [
        Table(
            summary,
            caption=f"{model}: portfolio construction",
            formats={c: _fmt(2) for c in summary.columns if c != "Rebalances"},
        ),
    ]
    r = books.returns
    exp = pd.DataFrame({"net exposure": r[f"{model}:net_exposure"]})
    names = pd.DataFrame({"names held": r[f"{model}:n_names"]})
    out += _figure(
        lambda: charts.exposure_names_chart(
            exp, names, title=f"{model}: net exposure and names held"
        ),
        key=model,
    )
    return out


def backtest_section(fm: FactorMatrix, books: Books, model: str) -> list[Display]:
    """M4: metrics table, cumulative returns, drawdowns, rolling Sharpe, monthly returns."""
    m = books.metrics
    wide = m.pivot_table(index=["model", "basis"], columns="metric", values="value", sort=False)
    out: list[Display] = []
    for cols, caption in (
        (
            ["cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar", "hit_rate"],
            f"Performance ({fm.universe.frequency} returns; Sharpe without a risk-free rate; "
            "maximum drawdown of wealth starting at 1)",
        ),
        (
            [
                "turnover",
                "beta",
                "alpha_annualized",
                "alpha_tstat",
                "tracking_error",
                "information_ratio",
            ],
            "Turnover (a year) and performance against the benchmark (beta and alpha from an "
            "OLS with HAC standard errors; alpha annualized × P)",
        ),
    ):
        part = wide[[c for c in cols if c in wide.columns]].reset_index()
        out.append(
            Table(
                part.rename(columns={"model": "Book", "basis": "Basis", **_METRIC_LABELS}),
                caption=caption,
                formats=_METRIC_FORMATS,
            )
        )
    r = books.returns
    lines = {f"{model} (net)": r[f"{model}:net"], f"{model} (gross)": r[f"{model}:gross"]}
    if model != COMPOSITE:
        lines["composite (net)"] = r[f"{COMPOSITE}:net"]
    lines["equal-weight universe"] = r[EQUAL_WEIGHT]
    if BENCHMARK in r:
        lines["benchmark"] = r[BENCHMARK]
    frame = pd.DataFrame(lines).dropna(how="all").fillna(0.0)
    w = frame.apply(wealth_index)
    out += _figure(
        lambda: charts.equity_curve_chart(w, title="Growth of 1", log=bool((w > 0).all().all())),
        key=model,
    )
    out += _figure(
        lambda: charts.drawdown_chart(frame.apply(drawdown_series), title="Drawdowns"), key=model
    )
    P = fm.periods_per_year
    window = P  # twelve months of returns
    rs = pd.DataFrame({k: rolling_sharpe(v, window, periods_per_year=P) for k, v in frame.items()})
    out += _figure(
        lambda: charts.rolling_sharpe_chart(
            rs, window_label="12 months", title="Rolling 12-month Sharpe"
        ),
        key=model,
    )
    out += _figure(
        lambda: charts.monthly_returns_heatmap(
            monthly_returns_table(r[f"{model}:net"].dropna()),
            title=f"{model}: monthly net returns",
        ),
        key=model,
    )
    return out


# --------------------------------------------------------------------------- M5


def analysis_section(
    fm: FactorMatrix, scores: Scores, books: Books, model: str
) -> tuple[list[Display], pd.DataFrame]:
    """M5: feature importance, the book's factor exposures, factor premia. Returns the premia."""
    from analysis.backtest.relative import exposure_over_time

    out: list[Display] = []
    imp = scores.results[model].importance
    if imp is not None and len(imp):
        method = str(imp["method"].iloc[0])
        out += _figure(
            lambda: charts.importance_chart(
                imp, title=f"{model}: feature importance at each refit", method=method
            ),
            key=model,
        )
    exposures = exposure_over_time(books.portfolios[model].weights, fm.X)
    out += _figure(
        lambda: charts.factor_exposure_chart(
            exposures, title=f"{model}: the book's factor exposures (Σ w·z)"
        ),
        key=model,
    )
    fmb = fama_macbeth(fm.X, fm.forward.reindex(fm.X.index))
    spreads = factor_spreads(
        fm.X, fm.forward.reindex(fm.X.index), quantiles=fm.params.portfolio.quantiles
    )
    spread_summary = factor_spread_summary(spreads, periods_per_year=fm.rebalances_per_year)
    premia = pd.concat([fmb, spread_summary], ignore_index=True)[list(PREMIA_COLUMNS)]
    out.append(
        Table(
            premia.rename(
                columns={
                    "factor": "Factor",
                    "method": "Method",
                    "estimate": "Estimate",
                    "std_error": "Std. error",
                    "t_stat": "t",
                }
            ),
            caption="Factor premia over every rebalance date (descriptive, full sample, not out "
            "of sample): Fama–MacBeth (Newey–West) and each factor's own top-minus-bottom "
            "quantile return, per rebalance period",
            formats={"Estimate": _fmt(4), "Std. error": _fmt(4), "t": _fmt(2)},
        )
    )
    growth = (1 + spreads.fillna(0.0)).cumprod()
    out += _figure(
        lambda: charts.factor_spread_chart(
            growth, title="Each factor's top-minus-bottom quantile: growth of 1"
        ),
        key=model,
    )
    return out, premia


# --------------------------------------------------------------------------- save


def _long(frame: pd.Series, model: str, value: str) -> pd.DataFrame:
    s = frame.dropna()
    return pd.DataFrame(
        {
            "date": s.index.get_level_values("date").strftime("%Y-%m-%d"),
            "ticker": s.index.get_level_values("ticker"),
            "model": model,
            value: s.to_numpy(),
        }
    )


def save(
    fm: FactorMatrix,
    scores: Scores,
    quality: SignalQuality,
    books: Books,
    premia: pd.DataFrame,
    folder: str | Path | None = None,
) -> list[Path]:
    """Write the model's parts of the contract tables and its component statuses."""
    p = fm.params
    model = scores.model
    paths = RunPaths(Path(folder) if folder is not None else fm.run.folder)
    slug = p.slugs[model]
    first = model == p.units[0]
    w = books.portfolios[model].weights
    w_long = w.stack(future_stack=True)
    w_long = w_long[w_long != 0]
    w_long.index = w_long.index.set_names(["date", "ticker"])
    r = books.returns
    bt = pd.DataFrame(
        {
            "date": r.index.strftime("%Y-%m-%d"),
            "model": model,
            "gross_return": r[f"{model}:gross"].to_numpy(),
            "net_return": r[f"{model}:net"].to_numpy(),
            "benchmark_return": (r.get(BENCHMARK, np.nan)),
            "turnover": r[f"{model}:turnover"].to_numpy(),
        }
    )
    if first:
        ew = pd.DataFrame(
            {
                "date": r.index.strftime("%Y-%m-%d"),
                "model": EQUAL_WEIGHT,
                "gross_return": r[EQUAL_WEIGHT].to_numpy(),
                "net_return": r[EQUAL_WEIGHT].to_numpy(),
                "benchmark_return": (r.get(BENCHMARK, np.nan)),
                "turnover": np.nan,
            }
        )
        bt = pd.concat([bt, ew], ignore_index=True)
    ic = quality.ic[quality.ic["model"] == model].copy()
    ic["date"] = pd.DatetimeIndex(ic["date"]).strftime("%Y-%m-%d")
    signal = ic_table(quality)
    sig_rows = (
        signal[signal["model"] == model]
        .drop(columns="model")
        .melt(var_name="metric", value_name="value")
        .assign(model=model, basis="signal")
    )
    metrics = books.metrics[books.metrics["model"] == model]
    if first:
        metrics = books.metrics[books.metrics["model"].isin([model, EQUAL_WEIGHT, BENCHMARK])]
    frames = {
        "scores": _long(scores.results[model].scores, model, "model_score"),
        "weights": _long(w_long, model, "target_weight"),
        "backtest": bt,
        "ic": ic[["date", "model", "ic", "rank_ic"]],
        "factor_premia": premia if first else premia.iloc[:0],
        "metrics": pd.concat([metrics, sig_rows], ignore_index=True)[
            ["model", "basis", "metric", "value"]
        ],
    }
    written = [write_csv(paths.part(slug, name), f) for name, f in frames.items()]
    res = scores.results[model]
    bad = (
        res.refits[res.refits["status"] != "ok"] if "status" in res.refits else res.refits.iloc[:0]
    )
    components = {
        model: "ok" if bad.empty else f"{len(bad)} of {len(res.refits)} refits failed",
        "portfolio": "ok",
    }
    written.append(write_components(paths.components(slug), components))
    return written
