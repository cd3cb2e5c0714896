"""Render a run with Quarto (when ``quarto`` is on PATH).

The run is staged as a Quarto website project in ``<run>/.quarto-stage``:

==========================  ==================================================
``_quarto.yml``             the project root's ``_quarto.yml``, website title set
``index.qmd``               the index body (table, heatmaps) + a listing of reports
``methodology.qmd``         the methodology (Markdown with TeX math)
``reports/_metadata.yml``   ``templates/quarto/reports_metadata.yml``: typst PDF
``reports/<slug>.ipynb``    the executed notebooks (rendered, not executed)
``assets/``                 plotly.min.js, site.css, site.js
``downloads/``              exposures.csv, fit.csv, rolling.zip, manifest.json
==========================  ==================================================

and rendered with :func:`quarto_command` (``quarto render <stage> --no-execute``).
Quarto deletes and rewrites its output folder, so it renders into the stage's
``_site``; the result then replaces ``<run>/site`` by renames, and the ticker
PDFs are copied to ``<run>/pdf``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from analysis.data.cache import atomic_write_bytes, atomic_write_text
from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from analysis.report.site import SiteInputs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUARTO_YML = PROJECT_ROOT / "_quarto.yml"
REPORTS_METADATA = PROJECT_ROOT / "templates" / "quarto" / "reports_metadata.yml"


class RenderError(AnalysisError):
    """The external renderer failed."""


def quarto_command(stage: Path, quarto: str = "quarto") -> list[str]:
    """The command line that renders a staged run.

    ``--no-execute`` (and ``execute.enabled: false`` in ``_quarto.yml``) make
    Quarto render the notebooks' stored outputs instead of running them again.
    """
    return [quarto, "render", str(stage), "--no-execute"]


def project_config(title: str) -> dict[str, Any]:
    """The root ``_quarto.yml`` with the run's title as the website title."""
    config = yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))
    config["website"]["title"] = title
    return config


def _front_matter(meta: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def index_qmd(title: str, body_html: str) -> str:
    """``index.qmd``: the shared index body as raw HTML, then Quarto's own listing."""
    meta = {
        "title": title,
        "toc": False,
        "include-in-header": {
            "text": '<script src="assets/plotly.min.js"></script>'
            '<script src="assets/site.js"></script>'
        },
        "listing": {
            "id": "report-listing",
            "contents": "reports/*.ipynb",
            "type": "table",
            "fields": ["title", "subtitle", "date"],
            "sort": "title",
        },
    }
    return (
        _front_matter(meta)
        + "\n```{=html}\n"
        + body_html
        + "\n```\n\n## All reports\n\n::: {#report-listing}\n:::\n"
    )


def methodology_qmd(markdown: str) -> str:
    return _front_matter({"title": "Methodology"}) + "\n" + markdown


def stage_project(site: SiteInputs, stage: Path) -> None:
    """Write the Quarto project for one run into ``stage`` (emptied first)."""
    from analysis.report import render_builtin
    from analysis.report import site as site_module

    if stage.exists():
        shutil.rmtree(stage)
    (stage / "reports").mkdir(parents=True)
    params = site.params
    atomic_write_text(
        stage / "_quarto.yml",
        yaml.safe_dump(project_config(params.title), sort_keys=False, allow_unicode=True),
    )
    body = site_module.index_body(site, pdfs=site.pdf_slugs)
    atomic_write_text(stage / "index.qmd", index_qmd(params.title, body))
    atomic_write_text(
        stage / "methodology.qmd",
        methodology_qmd(site_module.methodology_markdown(params, site.data, site.date)),
    )
    atomic_write_bytes(stage / "reports" / "_metadata.yml", REPORTS_METADATA.read_bytes())
    for o in site.outcomes:
        nb = site.paths.notebook(o.slug)
        if nb.exists():
            shutil.copyfile(nb, stage / "reports" / f"{o.slug}.ipynb")
    render_builtin.copy_assets(stage)
    site_module.write_downloads(site.paths, stage)


def render_run(site: SiteInputs, *, quarto: str = "quarto", timeout: float = 3600) -> None:
    """Stage, render with Quarto, and move the site and PDFs into the run folder.

    Raises
    ------
    RenderError
        If Quarto exits with an error (its last output lines are in the message)
        or does not produce the expected pages.
    """
    paths = site.paths
    stage = paths.root / ".quarto-stage"
    stage_project(site, stage)
    cmd = quarto_command(stage, quarto)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    built = stage / "_site"
    if proc.returncode != 0 or not (built / "index.html").exists():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RenderError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}")
    missing = [o.slug for o in site.outcomes if not (built / "reports" / f"{o.slug}.html").exists()]
    if missing:
        raise RenderError(f"quarto did not render the pages of {', '.join(missing)}")
    for slug in site.pdf_slugs:
        pdf = built / "reports" / f"{slug}.pdf"
        if pdf.exists():
            atomic_write_bytes(paths.ticker_pdf(slug), pdf.read_bytes())
    replace_dir(built, paths.site)
    shutil.rmtree(stage, ignore_errors=True)


def replace_dir(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest`` by renames: ``dest`` is never missing or half-written.

    The old folder is renamed aside first and removed only after the new one
    is in place, so a crash in between leaves one complete site either way.
    """
    old = dest.with_name(dest.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dest.exists():
        dest.rename(old)
    new.rename(dest)
    if old.exists():
        shutil.rmtree(old)
