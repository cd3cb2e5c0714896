"""The exposure kind's parts of the site: per-model tables and heatmaps, methodology, licences."""

from __future__ import annotations

from typing import Any

import markupsafe
import pandas as pd

from analysis import charts
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.display import Cell, figure_html, md_escape
from analysis.report.pipeline.public import file_label
from analysis.report.pipeline.site import SiteInputs, env, status_fields
from analysis.report.pipeline.state import UnitOutcome


def index_tables(
    params: ExposureParams,
    exposures: pd.DataFrame,
    fits: pd.DataFrame,
    outcomes: list[UnitOutcome],
    *,
    pdfs: set[str],
    stability: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """One table per model: a row per ticker with its betas, alpha, fit and status.

    The status of an estimated model is ``ok``, or ``ok, unstable`` (with the
    tests in the cell's title) when a stability test rejects constant betas at 5%.
    """
    rejected: dict[tuple[str, str], list[str]] = {}
    if stability is not None and len(stability):
        hits = stability[stability["reject_5pct"].astype(str).str.lower() == "true"]
        for row in hits.itertuples():
            label = f"{row.test}" + (f" at {row.date}" if isinstance(row.date, str) else "")
            rejected.setdefault((str(row.ticker), str(row.model)), []).append(label)
    est = exposures.set_index(["ticker", "model", "term"])["estimate"] if len(exposures) else None
    fit = fits.set_index(["ticker", "model"]) if len(fits) else None
    by_ticker = {o.unit: o for o in outcomes}
    tables = []
    for m in params.resolved_models():
        rows = []
        for ticker in params.tickers:
            slug = params.slugs[ticker]
            o = by_ticker.get(ticker)
            key = (ticker, m.id)
            f = fit.loc[key] if fit is not None and key in fit.index else None
            ok = o is not None and o.status != "failed" and o.components.get(m.id) == "ok"
            reason = "" if ok or o is None else (o.components.get(m.id) or o.error or "")
            betas = [
                Cell.num(est.get((ticker, m.id, fac)) if est is not None else None, "sig3")
                for fac in m.definition.factors
            ]
            rows.append(
                {
                    "ticker": ticker,
                    "betas": betas,
                    "alpha": Cell.num(None if f is None else f["alpha_annualized"], ".2%"),
                    "r2": Cell.num(None if f is None else f["r_squared"], ".3f"),
                    "adj_r2": Cell.num(None if f is None else f["adj_r_squared"], ".3f"),
                    "nobs": Cell.num(None if f is None else f["nobs"], ".0f"),
                    **(
                        _ok_status(rejected.get(key, [])) if ok else status_fields("failed", reason)
                    ),
                    "status_class": "ok" if ok else "failed",
                    "page": f"reports/{slug}.html",
                    "pdf": f"reports/{slug}.pdf" if slug in pdfs else None,
                }
            )
        tables.append(
            {
                "id": m.id,
                "label": m.definition.label,
                "frequency": m.frequency,
                "factors": list(m.definition.factors),
                "rows": rows,
            }
        )
    return tables


def heatmap_charts(params: ExposureParams, exposures: pd.DataFrame) -> list[charts.Chart]:
    """One exposure heatmap per model: tickers x factors (NaN where not estimated)."""
    out = []
    for m in params.resolved_models():
        sub = exposures[(exposures["model"] == m.id) & (exposures["term"] != "alpha")]
        table = (
            sub.pivot(index="ticker", columns="term", values="estimate")
            if len(sub)
            else pd.DataFrame()
        )
        table = table.reindex(index=list(params.tickers), columns=list(m.definition.factors))
        out.append(
            charts.exposure_heatmap(
                table.astype(float), title=f"{m.definition.label} ({m.frequency}): betas"
            )
        )
    return out


def licence_lines(site: SiteInputs) -> list[str]:
    """Where each series comes from and under which licence (Markdown, escaped)."""
    params, data = site.params, site.data
    assert isinstance(params, ExposureParams)
    lines: list[str] = []
    if data.source == "sample":
        from analysis.data.sample.catalog import WHEELS, price_group

        symbols = [params.market, *params.tickers]
        for m in params.resolved_models():
            if m.definition.origin == "sectors":
                symbols += list(m.definition.factors)
        groups: dict[str, list[str]] = {}
        for s in dict.fromkeys(symbols):
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
        if any(m.definition.origin == "french" for m in params.resolved_models()):
            w = WHEELS["linearmodels"]
            lines.append(
                "Fama-French factors and momentum, monthly 1949-01 to 2017-03: "
                f"`linearmodels.datasets.french` from the PyPI package linearmodels {w.version}, "
                f"licence {w.licence}; originally from Kenneth R. French's data library."
            )
        lines.append(
            "Full provenance (file hashes, units, caveats): `analysis/data/sample/PROVENANCE.md`."
        )
    elif data.source == "yahoo":
        lines.append(
            "Prices: Yahoo Finance through the yfinance package (adjusted closes, "
            "`auto_adjust=True`); Yahoo's terms of service apply (personal, non-commercial use)."
        )
    else:
        files = [file_label(p) for p in (params.data.prices, params.data.factors) if p is not None]
        lines.append(f"User files: {md_escape(', '.join(files))}; their licence is the user's.")
    if data.source != "sample" and any(
        m.definition.origin == "french" for m in params.resolved_models()
    ):
        lines.append(
            "Factors: Kenneth R. French's data library "
            "(mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html), "
            "free to use with attribution."
        )
    return lines


def methodology_markdown(site: SiteInputs) -> str:
    """The kind's part of the methodology page (Pandoc Markdown with TeX math)."""
    params, data, date = site.params, site.data, site.date
    assert isinstance(params, ExposureParams)
    models = [
        {
            "label": md_escape(m.definition.label),
            "frequency": m.frequency,
            "factors": md_escape(", ".join(m.definition.factors)),
            "returns": (
                f"{m.definition.returns}" + (" excess of RF" if m.definition.excess else "")
            ),
            "window": m.rolling_window,
        }
        for m in params.resolved_models()
    ]
    cov_text = {
        "HAC": "HAC (heteroskedasticity and autocorrelation consistent), Newey-West.",
        "HC1": "White heteroskedasticity-robust (HC1, with the n/(n-k) correction).",
        "nonrobust": "Classical OLS standard errors.",
    }[params.cov_type]
    source_text = {
        "sample": "bundled sample data (real data from PyPI packages, offline)",
        "yahoo": "Yahoo Finance prices; Ken French's data library factors",
        "csv": "user files",
    }.get(data.source, data.source)
    return (
        env(autoescape=False)
        .get_template("exposure_methodology.md.j2")
        .render(
            source=data.source,
            source_text=source_text,
            first=f"{data.prices.index.min():%Y-%m-%d}",
            last=f"{data.prices.index.max():%Y-%m-%d}",
            market=md_escape(params.market),
            start=params.start or "first available",
            end=params.end or "last available",
            date=date,
            models=models,
            factor_window=params.factor_window,
            break_dates=", ".join(str(d) for d in params.break_dates),
            cov_text=cov_text,
            hac_maxlags=params.hac_maxlags,
            rolling_cov_text="HAC" if params.rolling_cov_type == "HAC" else "classical",
        )
    )


def _ok_status(rejections: list[str]) -> dict[str, str]:
    if not rejections:
        return {"status": "ok", "status_title": ""}
    return {
        "status": "ok, unstable",
        "status_title": "stability rejected at 5%: " + "; ".join(rejections),
    }


def index_section(site: SiteInputs) -> str:
    """Per-model sortable tables (a row per ticker) with an exposure heatmap under each."""
    params = site.params
    assert isinstance(params, ExposureParams)
    exposures, fits = site.tables["exposures"], site.tables["fit"]
    tables = index_tables(
        params,
        exposures,
        fits,
        site.outcomes,
        pdfs=site.pdf_slugs,
        stability=site.tables.get("stability"),
    )
    for table, chart in zip(tables, heatmap_charts(params, exposures), strict=True):
        # a one-factor heatmap repeats the table's single column: leave it out
        table["heatmap"] = (
            markupsafe.Markup(figure_html(chart, f"index/{table['id']}"))
            if len(table["factors"]) > 1
            else ""
        )
    return env(autoescape=True).get_template("exposure_index.html.j2").render(models_detail=tables)


def index_facts(site: SiteInputs) -> list[tuple[str, str]]:
    """The run's data, window and models, for the top of the index page."""
    params, data = site.params, site.data
    assert isinstance(params, ExposureParams)
    return [
        (
            "Data",
            f"{data.source}; prices {data.prices.index.min():%Y-%m-%d} to "
            f"{data.prices.index.max():%Y-%m-%d} (with the look-back history before the "
            f"analysis window); market proxy {params.market}",
        ),
        (
            "Analysis window",
            f"{params.start or 'first available'} to {params.end or 'last available'}",
        ),
        ("Models", ", ".join(m.definition.label for m in params.resolved_models())),
    ]
