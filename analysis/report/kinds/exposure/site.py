"""The exposure kind's parts of the site: per-model tables and heatmaps, methodology, licences."""

from __future__ import annotations

from typing import Any

import markupsafe
import numpy as np
import pandas as pd

from analysis import charts
from analysis.errors import AnalysisError
from analysis.factors.models import Design
from analysis.regression.universe import UniverseResult, universe_tests
from analysis.report.kinds.exposure.notebook import design_for
from analysis.report.kinds.exposure.params import ExposureParams, ResolvedModel
from analysis.report.pipeline.display import (
    Cell,
    Table,
    figure_html,
    fmt_num,
    fmt_p,
    fmt_pct,
    md_escape,
)
from analysis.report.pipeline.public import file_label
from analysis.report.pipeline.render_builtin import GENERATOR, render_markdown_pdf
from analysis.report.pipeline.site import SiteInputs, env, status_fields
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import UnitOutcome
from analysis.report.pipeline.tables import write_csv

UNIVERSE_CSV = "universe.csv"
"""The universe tests' table, in the run folder and ``site/downloads``."""
UNIVERSE_PDF = "_universe.pdf"
"""The universe PDF, in ``<run>/pdf`` and ``site/downloads`` (the underscore keeps it apart
from the tickers' PDFs; only a ticker spelled ``^universe`` would share its name)."""


def index_tables(
    params: ExposureParams,
    exposures: pd.DataFrame,
    fits: pd.DataFrame,
    outcomes: list[UnitOutcome],
    *,
    pdfs: set[str],
    stability: pd.DataFrame | None = None,
    quality: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """One table per model: a row per ticker with its betas, alpha, fit and status.

    The status of an estimated model is ``ok``, with ``unstable`` added when a
    stability test rejects constant betas at 5% and ``n warnings`` when the
    ticker's data-quality checks found something; the cell's title lists them.
    """
    warnings: dict[str, list[str]] = {}
    if quality is not None and len(quality):
        for row in quality.itertuples():
            warnings.setdefault(str(row.ticker), []).append(str(row.detail))
    rejected: dict[tuple[str, str], list[str]] = {}
    if stability is not None and len(stability):
        hits = stability[stability["reject_5pct"].astype(str).str.lower() == "true"]
        for row in hits.itertuples():
            label = f"{row.test}" + (f" at {row.date}" if isinstance(row.date, str) else "")
            rejected.setdefault((str(row.ticker), str(row.model)), []).append(label)
    by_term = exposures.set_index(["ticker", "model", "term"]) if len(exposures) else None
    est = by_term["estimate"] if by_term is not None else None
    pval = by_term["p_value"] if by_term is not None else None

    def starred(cell: Cell, key: tuple[str, str, str]) -> Cell:
        """The cell's text with significance stars from the coefficient's p-value."""
        p = pval.get(key) if pval is not None else None
        return Cell(cell.text + stars(p), cell.raw) if cell.raw else cell

    fit = fits.set_index(["ticker", "model"]) if len(fits) else None
    by_ticker = {o.unit: o for o in outcomes}
    tables = []
    for m in params.resolved_models():
        rows = []
        for ticker in params.units:  # tickers, then portfolios
            slug = params.slugs[ticker]
            o = by_ticker.get(ticker)
            key = (ticker, m.id)
            f = fit.loc[key] if fit is not None and key in fit.index else None
            ok = o is not None and o.status != "failed" and o.components.get(m.id) == "ok"
            reason = "" if ok or o is None else (o.components.get(m.id) or o.error or "")
            betas = [
                starred(
                    Cell.num(est.get((ticker, m.id, fac)) if est is not None else None, "sig3"),
                    (ticker, m.id, fac),
                )
                for fac in m.definition.factors
            ]
            rows.append(
                {
                    "ticker": ticker,
                    "betas": betas,
                    "alpha": starred(
                        Cell.num(None if f is None else f["alpha_annualized"], ".2%"),
                        (ticker, m.id, "alpha"),
                    ),
                    "r2": Cell.num(None if f is None else f["r_squared"], ".3f"),
                    "adj_r2": Cell.num(None if f is None else f["adj_r_squared"], ".3f"),
                    "nobs": Cell.num(None if f is None else f["nobs"], ".0f"),
                    **(
                        _ok_status(rejected.get(key, []), warnings.get(ticker, []))
                        if ok
                        else status_fields("failed", reason)
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


def heatmap_charts(params: ExposureParams, exposures: pd.DataFrame) -> list[charts.Chart | None]:
    """One exposure heatmap per model: tickers x factors (NaN where not estimated), each
    factor on its own colour scale; ``None`` for a model no ticker could be estimated with."""
    out: list[charts.Chart | None] = []
    for m in params.resolved_models():
        sub = exposures[(exposures["model"] == m.id) & (exposures["term"] != "alpha")]
        table = (
            sub.pivot(index="ticker", columns="term", values="estimate")
            if len(sub)
            else pd.DataFrame()
        )
        table = table.reindex(index=list(params.units), columns=list(m.definition.factors))
        table = table.astype(float)
        if not np.isfinite(table.to_numpy()).any():
            out.append(None)
            continue
        title = f"{m.definition.label} ({m.frequency}): betas"
        out.append(charts.exposure_heatmap(table, title=title, scale="column"))
    return out


def licence_lines(site: SiteInputs) -> list[str]:
    """Where each series comes from and under which licence (Markdown, escaped)."""
    params, data = site.params, site.data
    assert isinstance(params, ExposureParams)
    lines: list[str] = []
    if data.source == "sample":
        from analysis.data.sample.catalog import WHEELS, price_group

        symbols = [params.market, *params.tickers, *params.members()]
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
            dq=params.data_quality,
            cov_text=cov_text,
            hac_maxlags=params.hac_maxlags,
            rolling_cov_text="HAC" if params.rolling_cov_type == "HAC" else "classical",
        )
    )


def stars(p: Any) -> str:
    """``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.10, else nothing."""
    if p is None or pd.isna(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def _ok_status(rejections: list[str], warnings: list[str]) -> dict[str, str]:
    words, title = ["ok"], []
    if rejections:
        words.append("unstable")
        title.append("stability rejected at 5%: " + "; ".join(rejections))
    if warnings:
        words.append(f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}")
        title.append("data quality: " + "; ".join(warnings))
    return {"status": ", ".join(words), "status_title": " | ".join(title)}


def index_section(site: SiteInputs) -> str:
    """Per-model sortable tables (a row per ticker) with an exposure heatmap under each,
    then the universe tests (GRS, Fama-MacBeth), also written to ``universe.csv`` and the
    universe PDF (see :func:`write_universe`)."""
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
        quality=site.tables.get("quality"),
    )
    results = universe_results(params, site.data, site.outcomes)
    write_universe(site, tables, results)
    for table, chart in zip(tables, heatmap_charts(params, exposures), strict=True):
        # a one-factor heatmap repeats the table's single column: leave it out
        table["heatmap"] = (
            markupsafe.Markup(figure_html(chart, f"index/{table['id']}"))
            if chart is not None and len(table["factors"]) > 1
            else ""
        )
    return (
        env(autoescape=True)
        .get_template("exposure_index.html.j2")
        .render(
            models_detail=tables,
            universe=[universe_context(m, r) for m, r in results],
            universe_pdf=f"downloads/{UNIVERSE_PDF}",
            universe_csv=f"downloads/{UNIVERSE_CSV}",
        )
    )


# --- universe tests ---------------------------------------------------------------


def universe_results(
    params: ExposureParams, data: RunData, outcomes: list[UnitOutcome]
) -> list[tuple[ResolvedModel, UniverseResult]]:
    """The universe tests of every model of the run, over the tickers its reports estimated.

    A ticker whose report did not estimate the model (or whose data is missing)
    is left out and named, with the reason.
    """
    by_ticker = {o.unit: o for o in outcomes}
    out = []
    for m in params.resolved_models():
        designs: dict[str, Design] = {}
        excluded: dict[str, str] = {}
        runnable = m.definition.origin != "engineered"  # neither test applies to it
        for ticker in params.tickers if runnable else ():
            o = by_ticker.get(ticker)
            status = o.components.get(m.id) if o is not None else None
            if o is None or o.status == "failed" or status != "ok":
                excluded[ticker] = "not estimated in its report"
                continue
            try:
                designs[ticker] = design_for(params, data, ticker, m)
            except (AnalysisError, KeyError) as exc:
                excluded[ticker] = str(exc)
        out.append((m, universe_tests(m.id, m.definition, designs, excluded=excluded)))
    return out


def universe_frame(results: list[tuple[ResolvedModel, UniverseResult]]) -> pd.DataFrame:
    """``universe.csv``: every model's rows (columns ``UNIVERSE_COLUMNS`` of the library)."""
    return pd.concat([r.to_frame() for _, r in results], ignore_index=True)


def _dropped_text(r: UniverseResult) -> str:
    return "; ".join(f"{t}: {why}" for t, why in r.dropped.items())


def universe_context(m: ResolvedModel, r: UniverseResult) -> dict[str, Any]:
    """One model's universe tests for the index template (display strings)."""
    grs = None
    if r.grs is not None:
        g = r.grs
        grs = {
            "f": f"{g.statistic:.3f}",
            "df": f"F({g.df[0]}, {g.df[1]})",
            "p": fmt_p(g.p_value),
            "n": g.n_assets,
            "t": g.n_periods,
            "sample": f"{g.start:%Y-%m-%d} to {g.end:%Y-%m-%d}",
        }
    fm_rows, fm = [], r.fama_macbeth
    if fm is not None:
        fm_rows = [
            {
                "term": "constant" if term == "const" else str(term),
                "premium": Cell.num(row["premium"], ".3%"),
                "t": Cell.num(row["t_stat"], ".2f"),
                "p": Cell(fmt_p(row["p_value"]), repr(float(row["p_value"]))),
            }
            for term, row in fm.premia.iterrows()
        ]
    return {
        "id": m.id,
        "label": m.definition.label,
        "frequency": m.frequency,
        "grs": grs,
        "grs_note": _sentence(r.grs_note),
        "fm_rows": fm_rows,
        "fm": None
        if fm is None
        else {
            "n": fm.n_assets,
            "t": fm.n_periods,
            "lags": fm.lags,
            "sample": f"{fm.start:%Y-%m-%d} to {fm.end:%Y-%m-%d}",
        },
        "fm_note": _sentence(r.fama_macbeth_note),
        "dropped": _dropped_text(r),
    }


def _sentence(note: str) -> str:
    """A reason as a sentence: capitalized, with a full stop."""
    text = note.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _sig3(v: Any) -> str:
    return Cell.num(v, "sig3").text


def _raw(cell: Cell) -> float:
    return float(cell.raw) if cell.raw else float("nan")


def universe_markdown(
    tables: list[dict[str, Any]], results: list[tuple[ResolvedModel, UniverseResult]]
) -> str:
    """The universe PDF as pandoc Markdown: one chapter (page) per model.

    ``tables`` are :func:`index_tables` (the index's rows), ``results`` the
    models' :class:`~analysis.regression.universe.UniverseResult`, in params order.
    """
    parts = []
    for table, (m, r) in zip(tables, results, strict=True):
        c = universe_context(m, r)
        betas = [f"β {f}" for f in table["factors"]]
        rows = pd.DataFrame(
            [
                {
                    "Ticker": row["ticker"],
                    **{name: _raw(b) for name, b in zip(betas, row["betas"], strict=True)},
                    "α ann.": _raw(row["alpha"]),
                    "R²": _raw(row["r2"]),
                    "Status": row["status"],
                }
                for row in table["rows"]
            ]
        )
        formats = {name: _sig3 for name in betas} | {"α ann.": fmt_pct(2), "R²": fmt_num(3)}
        caption = "Exposures: full-sample betas, annualized α and R² per ticker"
        part = [
            f"# {md_escape(m.definition.label)} ({m.frequency})",
            Table(rows, caption=caption, formats=formats).to_markdown(),
            "## GRS test of zero alphas",
        ]
        g = c["grs"]
        part.append(
            f"GRS {g['df']} = {g['f']}, p = {g['p']}; {g['n']} tickers, {g['t']} periods, "
            f"{g['sample']}."
            if g
            else md_escape(c["grs_note"])
        )
        part.append("## Fama-MacBeth risk premia")
        fm = r.fama_macbeth
        if fm is not None:
            premia = fm.premia.reset_index().rename(
                columns={"term": "Term", "premium": "Premium", "t_stat": "NW t", "p_value": "p"}
            )[["Term", "Premium", "NW t", "p"]]
            premia["Term"] = premia["Term"].replace({"const": "constant"})
            caption = (
                f"Premium per period; Newey-West t with {fm.lags} lags; {fm.n_assets} "
                f"tickers, {fm.n_periods} periods, {fm.start:%Y-%m-%d} to {fm.end:%Y-%m-%d}"
            )
            formats = {"Premium": fmt_pct(3), "NW t": fmt_num(2), "p": fmt_p}
            part.append(Table(premia, caption=caption, formats=formats).to_markdown())
        else:
            part.append(md_escape(c["fm_note"]))
        if c["dropped"]:
            part.append(md_escape(f"Tickers left out: {c['dropped']}."))
        parts.append("\n\n".join(part))
    page_break = "\n\n```{=typst}\n#pagebreak()\n```\n\n"
    return page_break.join(parts) + "\n"


def write_universe(
    site: SiteInputs,
    tables: list[dict[str, Any]],
    results: list[tuple[ResolvedModel, UniverseResult]],
) -> None:
    """Write ``universe.csv`` into the run folder and render ``pdf/_universe.pdf``."""
    params = site.params
    assert isinstance(params, ExposureParams)
    write_csv(site.paths.root / UNIVERSE_CSV, universe_frame(results))
    meta = {
        "title": "Universe tests",
        "subtitle": params.title,
        "kicker": "Factor-exposure report",
        "unit": f"{len(params.tickers)} tickers",
        "unit_label": "Universe",
        "run": params.name,
        "report_date": site.date,
        "generator": GENERATOR,
    }
    render_markdown_pdf(universe_markdown(tables, results), meta, site.paths.pdf / UNIVERSE_PDF)


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
