"""The site of a run: index, methodology and downloads, for either renderer and any kind.

The content is built once, here: the index body (what the run covers, how
many units succeeded, failed units with their reasons, the kind's own section,
downloads) is an HTML fragment from ``templates/site/index_body.html.j2``, and
the methodology is Markdown from ``templates/site/methodology.md.j2`` around
the kind's own section. The built-in renderer wraps them in its page layout;
the Quarto renderer puts them into ``index.qmd`` and ``methodology.qmd`` (see
:mod:`.render_quarto`).

Everything here is published: a failure's reason is one short line (the full
one, without absolute paths, in the cell's ``title``), see :func:`failure_text`
and :mod:`.public`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import jinja2
import markupsafe

from analysis.data.cache import atomic_write_bytes
from analysis.report.pipeline import render_builtin, render_quarto
from analysis.report.pipeline.display import md_escape
from analysis.report.pipeline.kind import SiteInputs
from analysis.report.pipeline.paths import TEMPLATES, RunPaths
from analysis.report.pipeline.public import public_text, short_reason
from analysis.report.pipeline.render_quarto import QuartoSite

SITE_TEMPLATES = TEMPLATES / "site"

STATUS_LIMIT = 80
"""Longest reason an index table shows (the whole reason is the cell's ``title``)."""

_INDEX_DATE = re.compile(r'data-index-date="([^"]*)"')


def failure_text(reason: str, limit: int = STATUS_LIMIT) -> dict[str, str]:
    """A failure's reason for an index table: ``{"text": short line, "title": whole reason}``.

    Parameters
    ----------
    reason
        The reason as recorded (``"<ename>: <evalue>"``, a component's status ...).
    limit
        Longest ``text``.

    Returns
    -------
    dict
        ``text``: the first line cut to ``limit`` characters; ``title``: the
        whole reason on one line. Neither holds an absolute path.
    """
    return {
        "text": short_reason(reason, "", limit),
        "title": " ".join(public_text(reason).split()),
    }


def status_fields(word: str, reason: str) -> dict[str, str]:
    """A table row's ``status`` (``"<word>: <short reason>"``) and ``status_title`` (all of it)."""
    if not reason:
        return {"status": word, "status_title": ""}
    failure = failure_text(reason)
    return {"status": f"{word}: {failure['text']}", "status_title": failure["title"]}


def env(autoescape: bool) -> jinja2.Environment:
    """Jinja2 environment over ``templates/site`` (strict: an undefined name is an error)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(SITE_TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def downloads(site: SiteInputs) -> list[dict[str, str]]:
    """The download list: contract tables, the kind's extras, the manifest."""
    out = [
        {"href": f"downloads/{t.name}.csv", "name": f"{t.name}.csv", "text": t.description}
        for t in site.kind.tables
    ]
    for name in site.kind.extra_downloads(site.paths):
        text = site.kind.extra_descriptions.get(name, "")
        out.append({"href": f"downloads/{name}", "name": name, "text": text})
    out.append(
        {
            "href": "downloads/manifest.json",
            "name": "manifest.json",
            "text": "params, data hashes, package versions, git commit, timings",
        }
    )
    return out


def index_body(site: SiteInputs) -> str:
    """The index page's body as an HTML fragment (values escaped by Jinja2)."""
    kind, outcomes = site.kind, site.outcomes
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "partial", "failed")}
    counts["total"] = len(outcomes)
    failures = [
        {
            "unit": o.unit,
            "reason": failure_text(o.error or "failed"),
            # a unit never executed (left out of a partial run) has no page to link
            "page": f"reports/{o.slug}.html" if site.paths.notebook(o.slug).exists() else "",
        }
        for o in outcomes
        if o.status == "failed"
    ]
    return (
        env(autoescape=True)
        .get_template("index_body.html.j2")
        .render(
            description=site.params.description.strip(),
            date=site.date,
            facts=kind.index_facts(site),
            noun=kind.unit_noun,
            counts=counts,
            failures=failures,
            section=markupsafe.Markup(kind.index_section(site)),
            downloads=downloads(site),
        )
    )


def methodology_markdown(site: SiteInputs) -> str:
    """The methodology page as Markdown (Pandoc dialect with TeX math)."""
    return (
        env(autoescape=False)
        .get_template("methodology.md.j2")
        .render(
            title=md_escape(site.params.title),
            noun=site.kind.unit_noun,
            body=site.kind.methodology(site).strip(),
            licences=site.kind.licences(site),
        )
    )


def write_downloads(site: SiteInputs, folder: Path) -> None:
    """Copy the machine-readable outputs into ``folder/downloads`` (atomically)."""
    for name, payload in download_files(site).items():
        atomic_write_bytes(folder / "downloads" / name, payload)


_ZIPS: dict[tuple[str, str], tuple[tuple[tuple[str, int, int], ...], bytes]] = {}


def zip_folder(folder: Path, prefix: str) -> bytes:
    """The CSV files of ``folder`` as a reproducible zip (fixed timestamps, sorted names).

    The last zip of each folder is kept with the names, sizes and modification
    times of the files it holds, and returned again while they are unchanged:
    building a site asks for the downloads three times, and a 500-ticker run's
    ``rolling.zip`` takes seconds to compress.
    """
    files = sorted(folder.glob("*.csv"))
    signature = tuple((p.name, (st := p.stat()).st_size, st.st_mtime_ns) for p in files)
    key = (str(folder.resolve()), prefix)
    cached = _ZIPS.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in files:
            info = zipfile.ZipInfo(f"{prefix}/{p.name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, p.read_bytes())
    _ZIPS[key] = (signature, buf.getvalue())
    return _ZIPS[key][1]


def download_files(site: SiteInputs) -> dict[str, bytes]:
    """``{file name: content}`` of everything under ``downloads/``."""
    out: dict[str, bytes] = {}
    for name in [f"{t.name}.csv" for t in site.kind.tables] + ["manifest.json"]:
        src = site.paths.root / name
        if src.exists():
            out[name] = src.read_bytes()
    out.update(site.kind.extra_downloads(site.paths))
    return out


def quarto_site(site: SiteInputs) -> QuartoSite:
    """The run as a Quarto project's content."""
    return QuartoSite(
        root=site.paths.root,
        title=site.params.title,
        index_html=index_body(site),
        methodology_md=methodology_markdown(site),
        notebooks={o.slug: site.paths.notebook(o.slug) for o in site.outcomes},
        pdf_slugs=site.pdf_slugs,
        downloads=download_files(site),
        date=site.date,
    )


def render_site(site: SiteInputs, renderer: str) -> None:
    """Build ``<run>/site`` (and, with Quarto, ``<run>/pdf``) for the chosen renderer."""
    if renderer == "quarto":
        render_quarto.render_run(quarto_site(site))
        return

    paths, params = site.paths, site.params
    render_builtin.copy_assets(paths.site)
    for o in site.outcomes:
        pdf, published = paths.unit_pdf(o.slug), paths.site / "reports" / f"{o.slug}.pdf"
        if pdf.exists() and o.status != "failed":
            atomic_write_bytes(published, pdf.read_bytes())
        elif published.exists():
            published.unlink()
    render_builtin.render_page(
        paths.site / "index.html",
        title=params.title,
        body_html=index_body(site),
        site_title=params.title,
        depth=0,
        plotly=True,
    )
    render_builtin.render_page(
        paths.site / "methodology.html",
        title="Methodology",
        body_html=render_builtin.markdown_to_html(methodology_markdown(site)),
        site_title=params.title,
        depth=0,
    )
    write_downloads(site, paths.site)
    remove_stale_pages(paths, set(params.slugs.values()) | set(site.kind.run_documents))
    refresh_page_dates(site)


def page_index_date(page: Path) -> str | None:
    """The index date a built-in unit page notes (``None``: no note, or no page)."""
    if not page.exists():
        return None
    m = _INDEX_DATE.search(page.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def refresh_page_dates(site: SiteInputs) -> list[str]:
    """Re-render the built-in pages whose report date differs from the index's date.

    A unit left out of a partial re-run (``--only``) keeps its page, made on
    its own report date; the page then says both dates. A page that already
    notes this index's date is left alone. Returns the slugs re-rendered.
    """
    done = []
    for o in site.outcomes:
        page, notebook = site.paths.page(o.slug), site.paths.notebook(o.slug)
        older = bool(o.date) and o.date != site.date  # "": a state file without a date
        if not older or not notebook.exists() or not page.exists():
            continue
        if page_index_date(page) == site.date:
            continue
        render_builtin.render_unit_page(
            notebook,
            page,
            site_title=site.params.title,
            pdf=o.status != "failed" and site.paths.unit_pdf(o.slug).exists(),
            index_date=site.date,
        )
        done.append(o.slug)
    return done


def remove_stale_pages(paths: RunPaths, keep: set[str]) -> None:
    """Pages of units no longer in the params file would be linked from nowhere: drop them."""
    folder = paths.site / "reports"
    if folder.exists():
        for p in folder.iterdir():
            if p.is_file() and p.stem not in keep:
                p.unlink()
    if paths.pdf.exists():
        for p in paths.pdf.glob("*.pdf"):
            if p.stem not in keep:
                p.unlink()
