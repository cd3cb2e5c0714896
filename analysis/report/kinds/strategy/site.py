"""The strategy kind's parts of the site: the model comparison, methodology, licences."""

from __future__ import annotations

from typing import Any

from analysis.report.kinds.strategy.params import StrategyParams
from analysis.report.pipeline.display import Cell, md_escape
from analysis.report.pipeline.kind import SiteInputs
from analysis.report.pipeline.public import file_label
from analysis.report.pipeline.site import env, status_fields

_SOURCE_TEXT = {
    "sample": "bundled sample data (real data from PyPI packages, offline)",
    "yahoo": "Yahoo Finance prices",
    "csv": "user files",
}


def _params(site: SiteInputs) -> StrategyParams:
    assert isinstance(site.params, StrategyParams)
    return site.params


def summary_rows(site: SiteInputs) -> list[dict[str, Any]]:
    """One row per model: Rank IC, ICIR, t, spread, net Sharpe, MDD, turnover."""
    p = _params(site)
    m = site.tables["metrics"]
    by_unit = {o.unit: o for o in site.outcomes}
    rows = []
    for model in p.units:
        sub = m[m["model"] == model] if len(m) else m
        sig = (
            dict(
                zip(
                    sub[sub["basis"] == "signal"]["metric"],
                    sub[sub["basis"] == "signal"]["value"],
                    strict=True,
                )
            )
            if len(sub)
            else {}
        )
        net = (
            dict(
                zip(
                    sub[sub["basis"] == "net"]["metric"],
                    sub[sub["basis"] == "net"]["value"],
                    strict=True,
                )
            )
            if len(sub)
            else {}
        )
        o = by_unit.get(model)
        ok = o is not None and o.status in ("ok", "skipped")
        slug = p.slugs[model]
        reason = "" if ok or o is None else (o.error or o.status)
        never = o is not None and o.error == "not run yet"  # e.g. left out by --only
        rows.append(
            {
                "model": model,
                "ric": Cell.num(sig.get("rank_ic_mean"), ".3f"),
                "icir": Cell.num(sig.get("rank_icir"), ".2f"),
                "t": Cell.num(sig.get("rank_ic_t"), ".2f"),
                "spread": Cell.num(sig.get("spread_mean"), ".2%"),
                "sharpe": Cell.num(net.get("sharpe"), ".2f"),
                "mdd": Cell.num(net.get("max_drawdown"), ".1%"),
                "turnover": Cell.num(net.get("turnover"), ".1f"),
                **(
                    {"status": "ok" if ok else "not run", "status_title": ""}
                    if ok or never
                    else status_fields(o.status if o else "failed", reason)
                ),
                "status_class": "ok" if ok else ("notrun" if never else "failed"),
                "page": None if never else f"reports/{slug}.html",
                "pdf": f"reports/{slug}.pdf" if slug in site.pdf_slugs else None,
            }
        )
    return rows


def index_section(site: SiteInputs) -> str:
    p = _params(site)
    portfolio = p.portfolio.type.replace("_", "-")
    return (
        env(autoescape=True)
        .get_template("strategy_index.html.j2")
        .render(rows=summary_rows(site), cost_bps=f"{p.cost_bps:g}", portfolio=portfolio)
    )


def index_facts(site: SiteInputs) -> list[tuple[str, str]]:
    p = _params(site)
    n = len(p.universe) if p.universe else "all the panel's"
    return [
        ("Data", f"{site.data.source}; universe of {n} names; benchmark {p.benchmark or 'none'}"),
        (
            "Window",
            f"{p.start or 'first available'} to {p.end or 'last available'}; "
            f"{p.rebalance} rebalancing",
        ),
        ("Factors", ", ".join(f"{f.name} ({'+' if f.sign > 0 else '−'})" for f in p.factors)),
        (
            "Portfolio",
            f"{p.portfolio.type}, {p.portfolio.quantiles} quantiles, "
            f"{p.portfolio.weighting} weights; costs {p.cost_bps:g} bp per unit of turnover",
        ),
    ]


def methodology_markdown(site: SiteInputs) -> str:
    p = _params(site)
    wf, pf, pp = p.walk_forward, p.portfolio, p.preprocess
    return (
        env(autoescape=False)
        .get_template("strategy_methodology.md.j2")
        .render(
            source_text=_SOURCE_TEXT.get(site.data.source, site.data.source),
            universe=md_escape(", ".join(p.universe))
            if p.universe
            else "every ticker of the panel",
            n_names=len(p.universe) if p.universe else None,
            benchmark=md_escape(p.benchmark or "none"),
            start=p.start or "first available",
            end=p.end or "last available",
            rebalance=p.rebalance,
            factors=md_escape(
                ", ".join(f"{f.name} ({'+' if f.sign > 0 else '−'})" for f in p.factors)
            ),
            winsorize=pp.winsorize,
            scale=pp.scale,
            neutralize=pp.neutralize,
            missing=pp.missing,
            min_names=pp.min_names,
            label=p.label.transform,
            models=md_escape(", ".join(p.units)),
            window=wf.window,
            min_train=wf.min_train,
            refit_every=wf.refit_every,
            pf=pf,
            cost_bps=f"{p.cost_bps:g}",
            cost=f"{p.cost_bps / 1e4:g}",
            date=site.date,
        )
    )


def licence_lines(site: SiteInputs) -> list[str]:
    p, data = _params(site), site.data
    if data.source == "sample":
        from analysis.data.sample.catalog import WHEELS

        if p.datasets:
            w = WHEELS["linearmodels"]
            return [
                "The 12 industry portfolios and the market return (monthly, 1949-01 to 2017-03): "
                f"`linearmodels.datasets.french` from the PyPI package linearmodels {w.version}, "
                f"licence {w.licence}; originally from Kenneth R. French's data library.",
                "Full provenance: `analysis/data/sample/PROVENANCE.md`.",
            ]
        w = WHEELS["skfolio"]
        return [
            "Prices of 20 S&P 500 stocks and the S&P 500 index (daily, 1990-2022): skfolio's "
            f"datasets from the PyPI package skfolio {w.version}, licence {w.licence}; the stocks "
            "are those still listed at the end of the data (survivorship bias).",
            "Full provenance: `analysis/data/sample/PROVENANCE.md`.",
        ]
    if data.source == "yahoo":
        return [
            "Prices: Yahoo Finance through the yfinance package (adjusted closes); Yahoo's "
            "terms of service apply (personal, non-commercial use)."
        ]
    files = [file_label(x) for x in (p.data.prices, p.data.panel) if x is not None]
    return [f"User files: {md_escape(', '.join(files))}; their licence is the user's."]
