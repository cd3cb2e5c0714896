"""The forecast kind's parts of the site: the summary table, methodology, licences."""

from __future__ import annotations

from typing import Any

from analysis.factors.returns import PERIODS_PER_YEAR
from analysis.report.kinds.forecast.params import ForecastParams
from analysis.report.pipeline.display import Cell, md_escape
from analysis.report.pipeline.public import file_label
from analysis.report.pipeline.site import SiteInputs, env, status_fields

_SOURCE_TEXT = {
    "sample": "bundled sample data (real data from PyPI packages, offline)",
    "yahoo": "Yahoo Finance prices; Ken French's data library return series",
    "csv": "user files",
}


def _params(site: SiteInputs) -> ForecastParams:
    assert isinstance(site.params, ForecastParams)
    return site.params


def summary_rows(site: SiteInputs) -> list[dict[str, Any]]:
    """One row per target × model: R²_OS, DM p, hit rate, best net Sharpe and its MDD."""
    params = _params(site)
    metrics = site.tables["metrics"]
    allm = metrics[metrics["scope"] == "all"] if len(metrics) else metrics
    by_unit = {o.unit: o for o in site.outcomes}
    rows = []
    for target in params.targets:
        slug = params.slugs[target]
        o = by_unit.get(target)
        m_t = allm[allm["target"] == target] if len(allm) else allm
        models = list(dict.fromkeys(m_t["model"])) if len(m_t) else []
        models = [m for m in models if m not in ("zero", "buy_and_hold")]
        if not models:
            models = [m.id for m in params.models]
        for model in models:
            fm = m_t[(m_t["model"] == model) & (m_t["sizing"].fillna("") == "")]
            val = dict(zip(fm["metric"], fm["value"], strict=True)) if len(fm) else {}
            sm = m_t[(m_t["model"] == model) & (m_t["metric"] == "net_sharpe")].dropna(
                subset=["value"]
            )
            best_sizing, sharpe, mdd = "", None, None
            if len(sm):
                best = sm.loc[sm["value"].idxmax()]
                best_sizing, sharpe = str(best["sizing"]), float(best["value"])
                mm = m_t[
                    (m_t["model"] == model)
                    & (m_t["sizing"] == best_sizing)
                    & (m_t["metric"] == "net_max_drawdown")
                ]["value"]
                mdd = float(mm.iloc[0]) if len(mm) else None
            never = o is not None and o.error == "not run yet"  # e.g. left out by --only
            status = o.components.get(model, "ok") if o and o.status != "failed" else None
            ok = o is not None and o.status != "failed" and status in ("ok", None)
            reason = "" if ok or o is None else (status or o.error or "failed")
            rows.append(
                {
                    "target": target,
                    "model": model,
                    "r2": Cell.num(val.get("r2_oos"), ".2%"),
                    "dm": Cell.num(val.get("dm_pvalue"), ".3f"),
                    "hit": Cell.num(val.get("hit_rate"), ".1%"),
                    "sharpe": Cell.num(sharpe, ".2f"),
                    "sizing": best_sizing or "—",
                    "mdd": Cell.num(mdd, ".1%"),
                    **(
                        {"status": "ok" if ok else "not run", "status_title": ""}
                        if ok or never
                        else status_fields("failed", reason)
                    ),
                    "status_class": "ok" if ok else ("notrun" if never else "failed"),
                    "page": None if never else f"reports/{slug}.html",
                    "pdf": f"reports/{slug}.pdf" if slug in site.pdf_slugs else None,
                }
            )
    return rows


def index_section(site: SiteInputs) -> str:
    """The sortable summary table (one row per target × model)."""
    params = _params(site)
    return (
        env(autoescape=True)
        .get_template("forecast_index.html.j2")
        .render(rows=summary_rows(site), cost_bps=f"{params.cost_bps:g}")
    )


def index_facts(site: SiteInputs) -> list[tuple[str, str]]:
    """Data, window, features, walk-forward and models, for the top of the index page."""
    p, data = _params(site), site.data
    wf = p.walk_forward
    first = data.prices.index.min() if len(data.prices) else None
    last = data.prices.index.max() if len(data.prices) else None
    for frame in data.factors.values():
        if len(frame):
            first = min(first, frame.index.min()) if first is not None else frame.index.min()
            last = max(last, frame.index.max()) if last is not None else frame.index.max()
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first is not None else "no data"
    return [
        ("Data", f"{data.source}; {p.frequency} series {span}"),
        ("Features", f"{', '.join(p.features)} (lags {', '.join(map(str, p.lags))})"),
        (
            "Walk-forward",
            f"{wf.window}; first fit on {wf.min_train} rows, refit every {wf.refit_every}",
        ),
        ("Models", ", ".join(m.id for m in p.models)),
        ("Sizing", f"{', '.join(p.sizing)}; costs {p.cost_bps:g} bp per unit of turnover"),
    ]


def methodology_markdown(site: SiteInputs) -> str:
    """The kind's part of the methodology page (Pandoc Markdown with TeX math)."""
    p = _params(site)
    wf, rg = p.walk_forward, p.regimes
    rf_text = (
        f"the per-period simple return of `{md_escape(p.risk_free)}`"
        if p.risk_free
        else "$= 0$ (no risk-free series configured)"
    )
    return (
        env(autoescape=False)
        .get_template("forecast_methodology.md.j2")
        .render(
            source=site.data.source,
            source_text=_SOURCE_TEXT.get(site.data.source, site.data.source),
            targets=md_escape(", ".join(p.targets)),
            features=md_escape(", ".join(p.features)),
            frequency=p.frequency,
            periods=PERIODS_PER_YEAR[p.frequency],
            start=p.start or "first available",
            end=p.end or "last available",
            risk_free=md_escape(p.risk_free) if p.risk_free else "none (0)",
            date=site.date,
            lags=", ".join(map(str, p.lags)),
            min_train=wf.min_train,
            refit_every=wf.refit_every,
            gap=wf.gap,
            window=wf.window,
            train_size=wf.train_size,
            cv_splits=wf.cv_splits,
            models=md_escape(", ".join(m.id for m in p.models)),
            alpha_num=p.alphas.num,
            alpha_min=f"{p.alphas.min:g}",
            alpha_max=f"{p.alphas.max:g}",
            gamma=f"{p.proportional.gamma:g}",
            lower=f"{p.proportional.lower:g}",
            upper=f"{p.proportional.upper:g}",
            cost_bps=f"{p.cost_bps:g}",
            cost=f"{p.cost_bps / 1e4:g}",
            rf_text=rf_text,
            corr_window=rg.corr_window,
            ar_window=rg.ar_window,
            ar_short=rg.ar_short,
            ar_long=rg.ar_long,
            pairs=md_escape(", ".join(f"{a}~{b}" for a, b in rg.pairs) or "(none)"),
            markov=rg.markov,
            markov_refit=rg.markov_refit_every,
        )
    )


def licence_lines(site: SiteInputs) -> list[str]:
    """Where each series comes from and under which licence (Markdown, escaped)."""
    p, data = _params(site), site.data
    lines: list[str] = []
    if data.source == "sample":
        from analysis.data.sample.catalog import WHEELS, price_group

        groups: dict[str, list[str]] = {}
        for s in p.price_symbols:
            try:
                g = price_group(s)
            except (KeyError, ValueError):
                continue
            w = WHEELS[g.member.project]
            key = (
                f"{g.description} ({g.kind}): `{g.member.path}` from the PyPI package "
                f"{w.project} {w.version}, licence {w.licence}"
            )
            groups.setdefault(key, []).append(md_escape(s))
        lines += [f"{k}; symbols {', '.join(v)}." for k, v in groups.items()]
        if p.datasets:
            w = WHEELS["linearmodels"]
            lines.append(
                f"Return datasets {', '.join(p.datasets)} (monthly, 1949-01 to 2017-03): "
                f"`linearmodels.datasets.french` from the PyPI package linearmodels "
                f"{w.version}, licence {w.licence}; originally from Kenneth R. French's data "
                "library."
            )
        lines.append(
            "Full provenance (file hashes, units, caveats): `analysis/data/sample/PROVENANCE.md`."
        )
    elif data.source == "yahoo":
        lines.append(
            "Prices: Yahoo Finance through the yfinance package (adjusted closes, "
            "`auto_adjust=True`); Yahoo's terms of service apply (personal, non-commercial use)."
        )
        if p.datasets:
            lines.append(
                "Return datasets: Kenneth R. French's data library "
                "(mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html), "
                "free to use with attribution."
            )
    else:
        files = [file_label(x) for x in (p.data.prices, p.data.factors) if x is not None]
        lines.append(f"User files: {md_escape(', '.join(files))}; their licence is the user's.")
    return lines
