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

import hashlib
import json
import shutil
import subprocess
import time
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
    """``index.qmd``: the shared index body (the kind's tables link every unit) as raw HTML.

    Full page width, so that the wide index tables fit; no Quarto listing, as
    the tables already list and link every unit's page and PDF.
    """
    meta = {
        "title": title,
        "toc": False,
        "page-layout": "full",
        "include-in-header": {
            # (replaces _quarto.yml's include-in-header: keep its no-favicon link)
            "text": '<link rel="icon" href="data:,">'
            '<script src="assets/plotly.min.js"></script>'
            '<script src="assets/site.js"></script>'
        },
    }
    return _front_matter(meta) + "\n```{=html}\n" + body_html + "\n```\n"


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


RECORD = "quarto-render.json"
"""In ``<run>/state/``: digests of what the last Quarto render was made from."""


def _digest(root: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def stage_digests(stage: Path, slugs: list[str], quarto_version: str) -> dict[str, Any]:
    """What each page is made from, and what every page shares (config, partials, assets).

    A page's digest covers its staged notebook and its PDF figures; the project
    digest covers everything else that Quarto reads for a unit page, and the
    Quarto version.
    """
    pages = {
        s: _digest(
            stage,
            [stage / "reports" / f"{s}.ipynb", *(stage / "reports" / f"{s}_figures").glob("*")],
        )
        for s in slugs
    }
    shared = [
        p
        for p in stage.rglob("*")
        if p.is_file()
        and p.parent != stage / "downloads"
        and p.name not in ("index.qmd", "methodology.qmd")
        and not (p.parent == stage / "reports" and p.suffix == ".ipynb")
        and not p.parent.name.endswith("_figures")
    ]
    return {"quarto": quarto_version, "project": _digest(stage, shared), "pages": pages}


def pages_to_render(previous: Mapping[str, Any], now: Mapping[str, Any], site: Path) -> list[str]:
    """The unit pages whose inputs changed since the last render (all, when the project did)."""
    slugs = list(now["pages"])
    if (
        previous.get("quarto") != now["quarto"]
        or previous.get("project") != now["project"]
        or not (site / "index.html").exists()
        or not (site / "site_libs").is_dir()  # the site there was not made by Quarto
    ):
        return slugs
    old = previous.get("pages", {})
    return [
        s
        for s in slugs
        if old.get(s) != now["pages"][s] or not (site / "reports" / f"{s}.html").exists()
    ]


def quarto_version(quarto: str) -> str:
    proc = subprocess.run([quarto, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip()


def render_run(q: QuartoSite, *, quarto: str = "quarto", timeout: float = 3600) -> list[str]:
    """Stage, render with Quarto, and move the site and PDFs into the run folder.

    Only what changed is rendered again: when the project (configuration,
    partials, assets, Quarto version) is as at the last render, the previous
    site is the starting point and Quarto renders the index, the methodology and
    the unit pages whose staged notebook changed (``--no-clean`` keeps the
    others). Returns the unit pages rendered.

    Raises
    ------
    RenderError
        If Quarto exits with an error (its last output lines are in the message)
        or does not produce the expected pages.
    """
    stage = q.root / ".quarto-stage"
    staged = stage_project(q, stage)
    record = q.root / "state" / RECORD
    previous = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    now = stage_digests(stage, list(staged), quarto_version(quarto))
    site = q.root / "site"
    changed = pages_to_render(previous, now, site)
    cmd = quarto_command(stage, quarto)
    built = stage / "_site"
    if len(changed) < len(staged):
        shutil.copytree(site, built)
        config = yaml.safe_load((stage / "_quarto.yml").read_text(encoding="utf-8"))
        config["project"]["render"] = [
            "index.qmd",
            "methodology.qmd",
            *(f"reports/{s}.ipynb" for s in changed),
        ]
        atomic_write_text(
            stage / "_quarto.yml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
        )
        cmd.append("--no-clean")
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - t
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
            if slug in changed or not (q.root / "pdf" / f"{slug}.pdf").exists():
                atomic_write_bytes(q.root / "pdf" / f"{slug}.pdf", pdf.read_bytes())
        elif pdf.exists():
            pdf.unlink()  # a failed unit has no PDF, as with the built-in renderer
        shutil.rmtree(built / "reports" / f"{slug}_figures", ignore_errors=True)
    for p in (built / "reports").iterdir():  # pages of units no longer in the run
        if p.is_file() and p.suffix in (".html", ".pdf") and p.stem not in q.notebooks:
            p.unlink()
    for name, payload in q.downloads.items():  # resources of the pages not rendered again
        atomic_write_bytes(built / "downloads" / name, payload)
    replace_dir(built, site)
    # what was rendered and how long `quarto render` took (index and methodology included)
    now |= {"rendered": changed, "seconds": round(seconds, 2)}
    atomic_write_text(record, json.dumps(now, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(stage, ignore_errors=True)
    return changed


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
