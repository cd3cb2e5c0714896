"""Render a run with Quarto (when ``quarto`` is on PATH).

The run is staged as a Quarto website project in ``<run>/.quarto-stage``:

==========================  ==================================================
``_quarto.yml``             the project root's ``_quarto.yml``, website title set
``index.qmd``               the index body (table, heatmaps) + a listing of reports
``methodology.qmd``         the methodology (Markdown with TeX math)
``reports/_metadata.yml``   ``templates/quarto/reports_metadata.yml``: typst PDF
``reports/<slug>.ipynb``    the executed notebooks, staged by :mod:`.quarto_notebook`
                            (rendered from their outputs, not executed)
``_partials/``              template partials: the shared PDF style
                            (``templates/typst/typst-template.typ``), no HTML title block
``assets/``                 plotly.min.js, site.css, quarto.css, site.js
``downloads/``              the kind's contract tables (CSV), extras, manifest.json
==========================  ==================================================

and rendered with :func:`quarto_command` (``quarto render <stage> --no-execute``).
Quarto deletes and rewrites its output folder, so it renders into the stage's
``_site``; the result then replaces ``<run>/site`` by renames, and the unit
PDFs are copied to ``<run>/pdf``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.data.cache import atomic_write_bytes, atomic_write_text
from analysis.errors import AnalysisError
from analysis.report.pipeline import quarto_notebook, render_builtin
from analysis.report.pipeline.paths import PROJECT_ROOT

QUARTO_YML = PROJECT_ROOT / "_quarto.yml"
REPORTS_METADATA = PROJECT_ROOT / "templates" / "quarto" / "reports_metadata.yml"
QUARTO_TEMPLATES = PROJECT_ROOT / "templates" / "quarto"
"""``quarto.css`` and ``theme.scss`` (staged in ``assets/``), the partials, the metadata."""
TEMPLATE_PARTIALS = {
    "typst-template.typ": PROJECT_ROOT / "templates" / "typst" / "typst-template.typ",
    "typst-show.typ": PROJECT_ROOT / "templates" / "typst" / "typst-show.typ",
    "title-block.html": PROJECT_ROOT / "templates" / "quarto" / "title-block.html",
}
"""Quarto template partials of the unit pages (staged in ``_partials/``): the shared PDF
report style, and no HTML title block (the page header replaces it)."""


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
        "page-layout": "full",
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


@dataclass(frozen=True)
class QuartoSite:
    """What the Quarto project of a run is staged from (built by :mod:`.site`)."""

    root: Path
    """The run folder: the site goes to ``root/site``, the PDFs to ``root/pdf``."""
    title: str
    index_html: str
    methodology_md: str
    notebooks: Mapping[str, Path]
    """``{slug: executed notebook}``."""
    pdf_slugs: set[str]
    downloads: Mapping[str, bytes]
    """``{file name: content}`` for ``downloads/``."""
    date: str = ""
    """The index's date; a unit page whose report date differs says so."""


def stage_project(q: QuartoSite, stage: Path) -> dict[str, quarto_notebook.StagedPage]:
    """Write the Quarto project for one run into ``stage`` (emptied first).

    Returns what the staging found on each unit's page (failed or not).
    """
    staged: dict[str, quarto_notebook.StagedPage] = {}
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "reports").mkdir(parents=True)
    atomic_write_text(
        stage / "_quarto.yml",
        yaml.safe_dump(project_config(q.title), sort_keys=False, allow_unicode=True),
    )
    atomic_write_text(stage / "index.qmd", index_qmd(q.title, q.index_html))
    atomic_write_text(stage / "methodology.qmd", methodology_qmd(q.methodology_md))
    atomic_write_bytes(stage / "reports" / "_metadata.yml", REPORTS_METADATA.read_bytes())
    for name, src in TEMPLATE_PARTIALS.items():
        atomic_write_bytes(stage / "_partials" / name, src.read_bytes())
    for slug, nb in q.notebooks.items():
        if nb.exists():
            staged[slug] = quarto_notebook.stage_notebook(
                nb,
                stage / "reports" / f"{slug}.ipynb",
                slug=slug,
                pdf=slug in q.pdf_slugs,
                index_date=q.date,
            )
    render_builtin.copy_assets(stage)
    for name in ("quarto.css", "theme.scss"):
        atomic_write_bytes(stage / "assets" / name, (QUARTO_TEMPLATES / name).read_bytes())
    for name, payload in q.downloads.items():
        atomic_write_bytes(stage / "downloads" / name, payload)
    return staged


def render_run(q: QuartoSite, *, quarto: str = "quarto", timeout: float = 3600) -> None:
    """Stage, render with Quarto, and move the site and PDFs into the run folder.

    Raises
    ------
    RenderError
        If Quarto exits with an error (its last output lines are in the message)
        or does not produce the expected pages.
    """
    stage = q.root / ".quarto-stage"
    staged = stage_project(q, stage)
    cmd = quarto_command(stage, quarto)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    built = stage / "_site"
    if proc.returncode != 0 or not (built / "index.html").exists():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RenderError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}")
    missing = [s for s in q.notebooks if not (built / "reports" / f"{s}.html").exists()]
    if missing:
        raise RenderError(f"quarto did not render the pages of {', '.join(missing)}")
    for slug in q.notebooks:
        pdf = built / "reports" / f"{slug}.pdf"
        page = staged.get(slug)
        if slug in q.pdf_slugs and page is not None and not page.failed and pdf.exists():
            atomic_write_bytes(q.root / "pdf" / f"{slug}.pdf", pdf.read_bytes())
        elif pdf.exists():
            pdf.unlink()  # a failed unit has no PDF, as with the built-in renderer
        shutil.rmtree(built / "reports" / f"{slug}_figures", ignore_errors=True)
    replace_dir(built, q.root / "site")
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
