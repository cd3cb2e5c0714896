"""The site of a run: index, methodology and downloads, for either renderer.

The content is built once, here: the index body (a sortable table of every
ticker x model, failed tickers with their reasons, exposure heatmaps across
tickers, downloads) is an HTML fragment from ``templates/site/index_body.html.j2``
and the methodology is Markdown from ``templates/site/methodology.md.j2``.
The built-in renderer wraps them in its page layout; the Quarto renderer puts
them into ``index.qmd`` and ``methodology.qmd`` (see :mod:`render_quarto`).
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from analysis import charts
from analysis.data.cache import atomic_write_bytes
from analysis.report.display import Figure, md_escape
from analysis.report.inputs import RunData
from analysis.report.params import ExposureParams

if TYPE_CHECKING:
    from analysis.report.runner import RunPaths, TickerOutcome

SITE_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "site"


@dataclass(frozen=True)
class SiteInputs:
    """Everything the site of a run is built from (either renderer)."""

    params: ExposureParams
    paths: RunPaths
    data: RunData
    exposures: pd.DataFrame
    fits: pd.DataFrame
    outcomes: list[TickerOutcome]
    date: str

    @property
    def pdf_slugs(self) -> set[str]:
        """Tickers that get a PDF: every ticker whose notebook did not fail."""
        return {o.slug for o in self.outcomes if o.status != "failed"}


def _env(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(SITE_TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Cell:
    """A table cell: display text and the raw value used for sorting."""

    text: str
    raw: str

    @classmethod
    def num(cls, v: Any, fmt: str) -> Cell:
        """``fmt`` is a format spec, or ``"sig3"``: three significant digits, never exponents."""
        if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
            return cls("—", "")
        if fmt == "sig3":
            text = np.format_float_positional(
                float(v), precision=3, unique=False, fractional=False, trim="-"
            )
        else:
            text = format(v, fmt)
        return cls(text, repr(float(v)))


def index_tables(
    params: ExposureParams,
    exposures: pd.DataFrame,
    fits: pd.DataFrame,
    outcomes: list[TickerOutcome],
    *,
    pdfs: set[str],
) -> list[dict[str, Any]]:
    """One table per model: a row per ticker with its betas, alpha, fit and status."""
    est = exposures.set_index(["ticker", "model", "term"])["estimate"] if len(exposures) else None
    fit = fits.set_index(["ticker", "model"]) if len(fits) else None
    by_ticker = {o.ticker: o for o in outcomes}
    tables = []
    for m in params.resolved_models():
        rows = []
        for ticker in params.tickers:
            slug = params.slugs[ticker]
            o = by_ticker.get(ticker)
            key = (ticker, m.id)
            f = fit.loc[key] if fit is not None and key in fit.index else None
            ok = o is not None and o.status != "failed" and o.model_status.get(m.id) == "ok"
            reason = "" if ok or o is None else (o.model_status.get(m.id) or o.error or "")
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
                    "status": "ok" if ok else f"failed: {reason}".rstrip(": "),
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


def _figure_html(chart: charts.Chart, key: str) -> str:
    bundle, _ = Figure(chart, key=key)._repr_mimebundle_()
    return str(bundle["text/html"])


def index_body(site: SiteInputs, *, pdfs: set[str]) -> str:
    """The index page's body as an HTML fragment (values escaped by Jinja2)."""
    params, data, outcomes = site.params, site.data, site.outcomes
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "partial", "failed")}
    counts["total"] = len(outcomes)
    failures = [
        {
            "ticker": o.ticker,
            "reason": o.error or "failed",
            "page": f"reports/{o.slug}.html",
        }
        for o in outcomes
        if o.status == "failed"
    ]
    tables = index_tables(params, site.exposures, site.fits, outcomes, pdfs=pdfs)
    for table, chart in zip(tables, heatmap_charts(params, site.exposures), strict=True):
        # a one-factor heatmap repeats the table's single column: leave it out
        table["heatmap"] = (
            markupsafe.Markup(_figure_html(chart, f"index/{table['id']}"))
            if len(table["factors"]) > 1
            else ""
        )
    return (
        _env(autoescape=True)
        .get_template("index_body.html.j2")
        .render(
            description=params.description.strip(),
            date=site.date,
            source=data.source,
            first=f"{data.prices.index.min():%Y-%m-%d}",
            last=f"{data.prices.index.max():%Y-%m-%d}",
            market=params.market,
            start=params.start or "first available",
            end=params.end or "last available",
            models=[m.definition.label for m in params.resolved_models()],
            counts=counts,
            failures=failures,
            models_detail=tables,
        )
    )


def licence_lines(params: ExposureParams, data: RunData) -> list[str]:
    """Where each series comes from and under which licence (Markdown, escaped)."""
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
        files = [str(p) for p in (params.data.prices, params.data.factors) if p is not None]
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


def methodology_markdown(params: ExposureParams, data: RunData, date: str) -> str:
    """The methodology page as Markdown (Pandoc dialect with TeX math)."""
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
        _env(autoescape=False)
        .get_template("methodology.md.j2")
        .render(
            title=md_escape(params.title),
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
            cov_text=cov_text,
            hac_maxlags=params.hac_maxlags,
            rolling_cov_text="HAC" if params.rolling_cov_type == "HAC" else "classical",
            licences=licence_lines(params, data),
        )
    )


def write_downloads(paths: RunPaths, site: Path) -> None:
    """Copy the machine-readable outputs into ``site/downloads`` (atomically)."""
    dl = site / "downloads"
    for name in ("exposures.csv", "fit.csv", "manifest.json"):
        src = paths.root / name
        if src.exists():
            atomic_write_bytes(dl / name, src.read_bytes())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted((paths.root / "rolling").glob("*.csv")):
            info = zipfile.ZipInfo(f"rolling/{p.name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, p.read_bytes())
    atomic_write_bytes(dl / "rolling.zip", buf.getvalue())


def render_site(site: SiteInputs, renderer: str) -> None:
    """Build ``<run>/site`` (and, with Quarto, ``<run>/pdf``) for the chosen renderer."""
    if renderer == "quarto":
        from analysis.report import render_quarto

        render_quarto.render_run(site)
        return
    from analysis.report import render_builtin

    paths, params = site.paths, site.params
    render_builtin.copy_assets(paths.site)
    pdfs = set()
    for o in site.outcomes:
        pdf, published = paths.ticker_pdf(o.slug), paths.site / "reports" / f"{o.slug}.pdf"
        if pdf.exists() and o.status != "failed":
            atomic_write_bytes(published, pdf.read_bytes())
            pdfs.add(o.slug)
        elif published.exists():
            published.unlink()
    render_builtin.render_page(
        paths.site / "index.html",
        title=params.title,
        body_html=index_body(site, pdfs=pdfs),
        site_title=params.title,
        depth=0,
        plotly=True,
    )
    render_builtin.render_page(
        paths.site / "methodology.html",
        title="Methodology",
        body_html=render_builtin.markdown_to_html(
            methodology_markdown(params, site.data, site.date)
        ),
        site_title=params.title,
        depth=0,
    )
    write_downloads(paths, paths.site)
    _remove_stale_pages(paths, params)


def _remove_stale_pages(paths: RunPaths, params: ExposureParams) -> None:
    """Pages of tickers no longer in the params file would be linked from nowhere: drop them."""
    keep = set(params.slugs.values())
    folder = paths.site / "reports"
    if folder.exists():
        for p in folder.iterdir():
            if p.is_file() and p.stem not in keep:
                p.unlink()
    if paths.pdf.exists():
        for p in paths.pdf.glob("*.pdf"):
            if p.stem not in keep:
                p.unlink()
