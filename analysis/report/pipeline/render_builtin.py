"""The built-in renderer: executed notebooks to site pages and PDF reports, without Quarto.

It produces what ``quarto render`` makes of this project (see
``shared/QUARTO-NOTES.md``) from registry packages only:

* **HTML** (:func:`render_unit_page`): nbconvert's :class:`~nbconvert.HTMLExporter`
  with the template ``templates/builtin/nbconvert/report`` (it extends
  nbconvert's ``classic`` base, so no MathJax or require.js is loaded). Each
  output shows its first MIME type in :data:`HTML_PRIORITY`, the order of
  Quarto's HTML format, so a figure is the interactive plotly div and a table
  its escaped HTML. Code cells are folded, Markdown (cells and ``text/markdown``
  outputs) is converted by pandoc, the pages share one layout
  (:func:`render_page`) and load plotly.js once per site from ``assets/``.
* **PDF** (:func:`render_unit_pdf`): the way Quarto's ``format: typst`` does
  it. The notebook becomes one pandoc Markdown document (outputs by
  :data:`PDF_PRIORITY`, code not shown), pandoc writes Typst through the
  template ``templates/typst/report.typ`` (the report style it shares with
  Quarto) and the ``typst`` package compiles it. The document date is the
  report's date, so the same notebook gives the same bytes.

Everything is written atomically (temporary file, then rename).

Notes
-----
papermill puts two Markdown cells tagged ``papermill-error-cell-tag`` into a
notebook that failed (one before the front matter); they are dropped here and
replaced by a "This report failed" banner that gives the reason in one line
and links to the error and to the executed notebook. Pages and PDFs are
published, so they show no traceback (the executed notebook and the logs keep
it) and no absolute path (see :mod:`.public`): error outputs show their short
reason, and stream and plain-text outputs have their paths reduced to file
names. Cells papermill left ``pending`` after the failure are not shown; the
page says how many. Cells tagged ``remove-cell``, ``remove-input`` or ``remove-output`` are
treated as Quarto treats them.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import re
import struct
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import nbformat
import pypandoc
from markupsafe import Markup
from nbconvert import HTMLExporter
from nbconvert.filters import strip_ansi
from pygments.formatters import HtmlFormatter
from traitlets.config import Config

from analysis import __version__
from analysis.data.cache import atomic_write_bytes, atomic_write_text
from analysis.report.pipeline.display import md_escape
from analysis.report.pipeline.execute import read_front_matter
from analysis.report.pipeline.public import notebook_href, public_text, short_reason

__all__ = [
    "HTML_PRIORITY",
    "PDF_PRIORITY",
    "copy_assets",
    "fence_block",
    "figure_caption",
    "image_markdown",
    "load_report",
    "markdown_to_html",
    "pick_mime",
    "render_markdown_pdf",
    "render_page",
    "render_unit_page",
    "render_unit_pdf",
    "source_text",
    "template_env",
]

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "builtin"
"""``templates/builtin/`` of the project (page layout, nbconvert templates, assets)."""
TYPST_TEMPLATES = TEMPLATES.parent / "typst"
"""``templates/typst/``: the PDF report's pandoc template and the style it shares with Quarto."""

GENERATOR = f"factor-report {__version__} (built-in renderer)"

HTML_PRIORITY: tuple[str, ...] = (
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
)
"""MIME types an HTML page shows, best first (Quarto's HTML order)."""

PDF_PRIORITY: tuple[str, ...] = (
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
)
"""MIME types the PDF shows, best first (Quarto's ``format: typst`` order)."""

PDF_TEXT_WIDTH_IN = (21.0 - 2 * 2.2) / 2.54
"""Text width of the PDF (A4, 2.2 cm side margins, as in ``templates/typst/typst-template.typ``)."""
PDF_MAX_IMAGE_HEIGHT_IN = 0.78 * (29.7 - 2.7 - 2.5) / 2.54
"""Tallest image in the PDF: most of the text height, leaving room for its caption."""

PANDOC_READER = "markdown"
"""Pandoc's own Markdown (pipe tables, table captions, TeX math), the dialect Quarto reads."""

_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_REMOVE_CELL = frozenset({"remove-cell", "remove_cell"})
_REMOVE_INPUT = frozenset({"remove-input", "remove_input"})
_REMOVE_OUTPUT = frozenset({"remove-output", "remove_output"})

_MD_SPLIT = "<!-- builtin-renderer: next fragment -->"
_HEADING = re.compile(r'<h([23])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_ATX_H1 = re.compile(r"^# ", re.MULTILINE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CAPTION = re.compile(r"^\*(?!\*)(.+)(?<!\\)\*$", re.DOTALL)


# --------------------------------------------------------------------------- pandoc


def _pandoc(source: str, to: str, extra_args: Sequence[str] = ()) -> str:
    return str(
        pypandoc.convert_text(
            source,
            to,
            format=PANDOC_READER,
            extra_args=["--wrap=none", *extra_args],
            verify_format=False,
            sandbox=True,
        )
    )


_HTML_ARGS = ("--mathml", "--syntax-highlighting=none")


def markdown_to_html(md: str) -> str:
    """Convert Markdown to an HTML fragment.

    Parameters
    ----------
    md
        Pandoc Markdown: pipe tables (with ``: caption`` lines), TeX math in
        ``$...$`` and ``$$...$$``, backslash escapes, raw HTML.

    Returns
    -------
    str
        The HTML fragment (no ``<html>`` or ``<body>``). Math is MathML, which
        browsers draw without any script; headings carry pandoc's identifiers.
    """
    return _pandoc(md, "html", _HTML_ARGS).strip()


def _markdown_fragments(texts: Sequence[str]) -> list[str]:
    """Convert many Markdown snippets in one pandoc call (in order, ids unique across all).

    Notes
    -----
    The snippets are joined with raw HTML markers. A snippet that swallows a
    marker (an unclosed code fence) makes the split come out wrong; then each
    snippet is converted on its own.
    """
    if not texts:
        return []
    marker = f"\n\n```{{=html}}\n{_MD_SPLIT}\n```\n\n"
    parts = _pandoc(marker.join(texts), "html", _HTML_ARGS).split(_MD_SPLIT)
    if len(parts) != len(texts):
        parts = [_pandoc(t, "html", _HTML_ARGS) for t in texts]
    return [p.strip() for p in parts]


# --------------------------------------------------------------------------- notebook


@dataclass
class _Report:
    """What both renditions need from an executed notebook."""

    title: str
    subtitle: str
    date: str
    unit: str
    unit_label: str
    kicker: str
    run: str
    notebook: Any
    """The notebook with only the cells to show."""
    errors: list[tuple[str, str]] = field(default_factory=list)
    """``(ename, evalue)`` of each error output, ANSI codes removed."""
    not_run: int = 0
    """Cells papermill did not execute because an earlier cell failed."""

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def reasons(self) -> list[str]:
        """Each error in one public line (:func:`.public.short_reason`)."""
        return [short_reason(ename, evalue) for ename, evalue in self.errors]


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _text(value: Any) -> str:
    """A front-matter value as text (YAML may give a date or a number)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def load_report(nb_path: Path) -> _Report:
    """Read an executed notebook: front matter, the cells to show, the errors."""
    nb = nbformat.read(str(nb_path), as_version=4)
    cells = [c for c in nb.cells if _PAPERMILL_ERROR_TAG not in _tags(c)]
    meta: dict[str, Any] = {}
    if cells:
        meta = read_front_matter(nbformat.NotebookNode(cells=[cells[0]]))
        if meta:
            cells = cells[1:]
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    unit = _text(meta.get("unit") or params.get("unit"))
    report = _Report(
        title=_text(meta.get("title")) or unit or nb_path.stem,
        subtitle=_text(meta.get("subtitle")),
        date=_text(meta.get("date")),
        unit=unit,
        unit_label=_text(meta.get("unit_label")) or "Unit",
        kicker=_text(meta.get("kicker")),
        run=_text(meta.get("run")),
        notebook=nb,
    )
    shown = []
    for cell in cells:
        tags = _tags(cell)
        if tags & _REMOVE_CELL:
            continue
        if cell.metadata.get("papermill", {}).get("status") == "pending":
            report.not_run += 1
            continue
        if cell.cell_type == "code":
            if tags & _REMOVE_INPUT:
                cell.metadata.setdefault("transient", {})["remove_source"] = True
            if tags & _REMOVE_OUTPUT:
                cell.outputs = []
            for out in cell.outputs:
                if out.output_type == "error":
                    report.errors.append((out.ename, strip_ansi(out.evalue)))
                elif out.output_type == "stream":
                    out.text = public_text(source_text(out.text))
                elif "text/plain" in out.get("data", {}):
                    out.data["text/plain"] = public_text(source_text(out.data["text/plain"]))
        shown.append(cell)
    nb.cells = shown
    return report


def pick_mime(data: Any, priority: Iterable[str]) -> str | None:
    return next((m for m in priority if m in data), None)


def source_text(text: Any) -> str:
    """Notebook text fields may be a list of lines."""
    return "".join(text) if isinstance(text, list) else str(text)


# --------------------------------------------------------------------------- HTML


@functools.cache
def template_env(folder: Path) -> jinja2.Environment:
    """Jinja2 environment over ``folder``: autoescaping, strict, block lines trimmed."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page_env() -> jinja2.Environment:
    return template_env(TEMPLATES)


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    atomic_write_bytes(path, data)


def copy_assets(site_dir: Path) -> None:
    """Write the site's shared assets into ``site_dir/assets/``.

    Parameters
    ----------
    site_dir
        Root folder of the site.

    Notes
    -----
    ``plotly.min.js`` comes from the installed plotly package (the version that
    wrote the figures' JSON) and is written only when it differs from what is
    there, so re-rendering a site does not rewrite 4.8 MB. ``site.css`` is
    ``templates/builtin/site.css`` plus pygments' classes for folded code.
    """
    import plotly

    assets = site_dir / "assets"
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    _write_if_changed(assets / "plotly.min.js", plotly_js.read_bytes())
    css = (TEMPLATES / "site.css").read_text(encoding="utf-8")
    # pygments names each rule's token in a comment ("/* Generic.Traceback */"): drop them
    pygments_css = _CSS_COMMENT.sub("", HtmlFormatter(style="default").get_style_defs(".highlight"))
    pygments_css = "\n".join(line.rstrip() for line in pygments_css.splitlines())
    css = f"{css.rstrip()}\n\n/* Code highlighting (pygments 'default' style) */\n{pygments_css}\n"
    _write_if_changed(assets / "site.css", css.encode("utf-8"))
    _write_if_changed(assets / "site.js", (TEMPLATES / "site.js").read_bytes())


def render_page(
    out: Path,
    *,
    title: str,
    body_html: str,
    site_title: str,
    depth: int,
    plotly: bool = False,
    extra_head: str = "",
) -> None:
    """Write one page of the site in the site's layout.

    Parameters
    ----------
    out
        Destination ``.html`` file (replaced atomically).
    title
        Page title (escaped); the browser tab shows ``title – site_title``.
    body_html
        Trusted HTML for the page's main area (not escaped).
    site_title
        Name of the site, shown in the navigation bar (escaped).
    depth
        Folder depth of ``out`` below the site root: 0 for ``index.html``,
        1 for ``reports/<slug>.html``. Every link to the site's other pages
        and assets is relative, so the folder works from disk and on a web
        server alike.
    plotly
        Load ``assets/plotly.min.js`` in ``<head>``, before the figures'
        inline scripts run.
    extra_head
        Trusted HTML appended to ``<head>``.
    """
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    active = {"index.html": "index", "methodology.html": "methodology"}.get(out.name, "")
    page = (
        _page_env()
        .get_template("page.html.j2")
        .render(
            title=title,
            site_title=site_title,
            body=Markup(body_html),
            root="../" * depth,
            plotly=plotly,
            extra_head=Markup(extra_head),
            active=active if depth == 0 else "",
            generator=GENERATOR,
        )
    )
    atomic_write_text(out, page)


@functools.cache
def _exporter() -> HTMLExporter:
    config = Config()
    config.NbConvertBase.display_data_priority = list(HTML_PRIORITY)
    exporter = HTMLExporter(
        config=config,
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
        template_name="report",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    return exporter


@dataclass(frozen=True)
class _TocEntry:
    id: str
    label: Markup
    children: list[_TocEntry] = field(default_factory=list)


def _toc(body: str) -> list[_TocEntry]:
    """h2/h3 headings of the body (pandoc gave them ids) as a two-level list."""
    entries: list[_TocEntry] = []
    for level, ident, inner in _HEADING.findall(body):
        label = Markup(_TAG.sub("", inner).strip())
        entry = _TocEntry(html.unescape(ident), label)
        if level == "3" and entries:
            entries[-1].children.append(entry)
        else:
            entries.append(entry)
    return entries


def _notebook_body(report: _Report) -> str:
    """The cells as HTML through nbconvert; Markdown pre-rendered by pandoc in one call."""
    texts: list[str] = []
    error_no = 0
    for cell in report.notebook.cells:
        if cell.cell_type == "markdown":
            cell.metadata["builtin_md"] = len(texts)
            texts.append(source_text(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                error_no += 1
                out["builtin_anchor"] = f"error-{error_no}"
                out["builtin_reason"] = short_reason(out.ename, strip_ansi(out.evalue))
            elif (
                out.output_type in ("display_data", "execute_result")
                and pick_mime(out.data, HTML_PRIORITY) == "text/markdown"
            ):
                out.setdefault("metadata", {})["builtin_md"] = len(texts)
                texts.append(source_text(out.data["text/markdown"]))
    body, _ = _exporter().from_notebook_node(
        report.notebook, resources={"builtin_md": _markdown_fragments(texts)}
    )
    return body


def render_unit_page(
    nb_path: Path,
    out: Path,
    *,
    site_title: str,
    pdf: bool | None = None,
    index_date: str | None = None,
) -> None:
    """Render an executed notebook as a page of the site (``reports/<slug>.html``).

    Parameters
    ----------
    nb_path
        The executed notebook; its first raw cell holds the YAML front matter
        (``title``, ``subtitle``, ``date``, ``unit``, ``unit_label``, ``run``).
    out
        Destination page (replaced atomically), one folder below the site root.
    site_title
        Name of the site for the navigation bar.
    pdf
        Whether ``<out stem>.pdf`` will exist beside the page, to link it as
        "Download PDF". ``None`` means: when the notebook has no error output
        (a failed unit gets no PDF).
    index_date
        Date of the site's index. When it differs from the report's own date
        (a unit left out of a partial re-run), the title block says both.

    Notes
    -----
    The page shows the report's title block, a table of contents built from
    the h2/h3 headings, every cell with its code folded, and, when an output
    is an error, a banner that says the report failed, why (one line, see
    :func:`.public.short_reason`), where, and links the executed notebook
    ``../../notebooks/<slug>.ipynb`` that holds the traceback.
    """
    report = load_report(nb_path)
    body = _notebook_body(report)
    with_pdf = (not report.failed) if pdf is None else pdf
    article = (
        _page_env()
        .get_template("unit.html.j2")
        .render(
            report=report,
            body=Markup(body),
            toc=_toc(body),
            pdf_href=quote(f"{out.stem}.pdf") if with_pdf else "",
            index_href="../index.html",
            notebook_href=notebook_href(nb_path.stem, depth=1),
            index_date=index_date if index_date and index_date != report.date else "",
        )
    )
    render_page(
        out,
        title=report.title,
        body_html=article,
        site_title=site_title,
        depth=1,
        plotly="Plotly.newPlot" in body,
    )


# --------------------------------------------------------------------------- PDF


def fence_block(text: str) -> str:
    """A fenced code block that no backtick run inside ``text`` can close."""
    runs = [len(m) for m in re.findall(r"`{3,}", text)]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    return f"{ticks}\n{text.rstrip()}\n{ticks}"


def _png_size_in(data: bytes, default_dpi: float = 150.0) -> tuple[float, float] | None:
    """Print size (width, height) in inches of a PNG: its pHYs resolution, else ``default_dpi``."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    dpi_x = dpi_y = default_dpi
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            break
        if kind == b"pHYs" and length == 9:
            ppu_x, ppu_y, unit = struct.unpack(">IIB", data[pos + 8 : pos + 17])
            if unit == 1 and ppu_x and ppu_y:
                dpi_x, dpi_y = ppu_x * 0.0254, ppu_y * 0.0254
        pos += 12 + length
    return width / dpi_x, height / dpi_y


_SVG_SIZE = re.compile(
    rb"<svg\b[^>]*?\bwidth=\"([0-9.]+)pt\"[^>]*?\bheight=\"([0-9.]+)pt\"", re.DOTALL
)


def _svg_size_in(data: bytes) -> tuple[float, float] | None:
    """Print size (width, height) in inches of an SVG whose root gives them in points."""
    m = _SVG_SIZE.search(data[:4096])
    return (float(m.group(1)) / 72, float(m.group(2)) / 72) if m else None


IMAGE_MIMES = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}
"""The image types a PDF shows, and their file extensions."""


def image_bytes(data: Any, mime: str) -> bytes:
    """An image output's file content (SVG is stored as text, the others as base64)."""
    text = source_text(data[mime])
    return text.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(text)


def image_markdown(path: str, data: bytes, caption: str) -> str:
    """An image at the text width, never enlarged past its print size nor taller than a page.

    Wide figures (the charts are 6.5 in) fill the text width; a small image
    keeps its size; a tall one is narrowed so that it and its caption fit on
    one page.
    """
    size = _svg_size_in(data) if path.endswith(".svg") else _png_size_in(data)
    if size is None:
        return f"![{caption}]({path}){{width=100%}}"
    width, height = size
    shown = min(width, PDF_TEXT_WIDTH_IN)
    if height * shown / width > PDF_MAX_IMAGE_HEIGHT_IN:
        shown = PDF_MAX_IMAGE_HEIGHT_IN * width / height
        return f"![{caption}]({path}){{width={shown:.2f}in}}"
    if width >= PDF_TEXT_WIDTH_IN:
        return f"![{caption}]({path}){{width=100%}}"
    return f"![{caption}]({path}){{width={shown:.2f}in}}"


def figure_caption(output: Any) -> str | None:
    """The caption Markdown of an output that is one italic paragraph (a figure's caption)."""
    if output.output_type not in ("display_data", "execute_result"):
        return None
    if pick_mime(output.data, PDF_PRIORITY) != "text/markdown":
        return None
    m = _CAPTION.match(source_text(output.data["text/markdown"]).strip())
    return m.group(1) if m and "\n\n" not in m.group(1) else None


def _pdf_markdown(report: _Report, folder: Path) -> tuple[str, bool]:
    """The report as one pandoc Markdown document; images written into ``folder``.

    Also says whether any Markdown (not code or plain-text output) has a level-1 heading.
    """
    blocks: list[str] = []
    h1 = False
    n_images = 0
    for cell in report.notebook.cells:
        if cell.cell_type == "markdown":
            blocks.append(source_text(cell.source))
            h1 = h1 or bool(_ATX_H1.search(blocks[-1]))
            continue
        if cell.cell_type != "code":
            continue
        outputs = list(cell.outputs)
        i = 0
        while i < len(outputs):
            out = outputs[i]
            i += 1
            kind = out.output_type
            if kind == "stream":
                blocks.append(fence_block(strip_ansi(source_text(out.text))))
            elif kind == "error":
                reason = short_reason(out.ename, strip_ansi(out.evalue))
                blocks.append(f"**Error:** {md_escape(reason)}")
            elif kind in ("display_data", "execute_result"):
                mime = pick_mime(out.data, PDF_PRIORITY)
                if mime == "text/markdown":
                    blocks.append(source_text(out.data[mime]))
                    h1 = h1 or bool(_ATX_H1.search(blocks[-1]))
                elif mime in IMAGE_MIMES:
                    n_images += 1
                    name = f"figure-{n_images:03d}.{IMAGE_MIMES[mime]}"
                    data = image_bytes(out.data, mime)
                    (folder / name).write_bytes(data)
                    # a figure's caption is the italic note right after it: keep them together
                    caption = figure_caption(outputs[i]) if i < len(outputs) else None
                    if caption is not None:
                        i += 1
                    blocks.append(image_markdown(name, data, caption or ""))
                elif mime == "text/plain":
                    blocks.append(fence_block(source_text(out.data[mime])))
    if report.not_run:
        blocks.append(f"*{report.not_run} later cells were not run because of the error above.*")
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip()) + "\n", h1


def render_unit_pdf(nb_path: Path, out: Path) -> None:
    """Render an executed notebook as an A4 PDF report with Typst.

    Parameters
    ----------
    nb_path
        The executed notebook (front matter in its first raw cell).
    out
        Destination ``.pdf`` (replaced atomically).

    Notes
    -----
    As Quarto's ``format: typst``: code is not shown (``echo: false``), each
    output shows its first MIME type in :data:`PDF_PRIORITY` (so a table is
    its pipe table and a figure its PNG), an error as its one-line reason
    (no traceback, no absolute path: the PDF is published). A
    figure followed by a one-paragraph italic note gets that note as its
    caption. Headings are shifted up one level (``##`` sections become
    numbered chapters) unless a Markdown cell uses ``#``. The PDF's creation
    date is the report's date, so the output is byte-for-byte reproducible.
    """
    report = load_report(nb_path)
    with tempfile.TemporaryDirectory(prefix="render-builtin-") as tmp:
        folder = Path(tmp)
        md, has_h1 = _pdf_markdown(report, folder)
        meta = {
            "title": report.title,
            "subtitle": report.subtitle,
            "date": report.date,
            "report_date": report.date,
            "unit": report.unit,
            "unit_label": report.unit_label,
            "kicker": report.kicker,
            "run": report.run,
            "generator": GENERATOR,
        }
        if report.failed:
            meta["error"] = report.reasons[0]
        render_markdown_pdf(md, meta, out, shift_headings=not has_h1, folder=folder)


def render_markdown_pdf(
    markdown: str,
    meta: Mapping[str, str],
    out: Path,
    *,
    shift_headings: bool = False,
    folder: Path | None = None,
) -> None:
    """Render a pandoc Markdown document as an A4 PDF in the report style.

    Parameters
    ----------
    markdown
        The document (pandoc Markdown; images relative to ``folder``).
    meta
        The template's metadata (``title``, ``subtitle``, ``kicker``, ``unit``,
        ``unit_label``, ``run``, ``report_date``, ``error``, ``generator``: see
        ``templates/typst/typst-show.typ``); empty values are left out.
    out
        Destination ``.pdf`` (replaced atomically).
    shift_headings
        Shift headings up one level (``##`` sections become numbered chapters).
    folder
        Where the document's images are, and where Typst compiles; default a
        temporary folder.

    Notes
    -----
    Pandoc writes Typst through ``templates/typst/report.typ``, the style the
    unit reports share with Quarto, and the ``typst`` package compiles it with
    matplotlib's fonts only. With the same input the PDF is the same bytes.
    """
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="render-builtin-") as tmp:
            render_markdown_pdf(
                markdown, meta, out, shift_headings=shift_headings, folder=Path(tmp)
            )
        return
    import typst

    args = [
        "--standalone",
        f"--template={TYPST_TEMPLATES / 'report.typ'}",
        "--columns=10000",
        "--metadata=lang:en",
    ]
    for key, value in meta.items():
        if value:
            args += ["-M", f"{key}={value}"]
    if shift_headings:
        args.append("--shift-heading-level-by=-1")
    source = _pandoc(markdown, "typst", args)
    main = folder / "report.typ"
    main.write_text(source, encoding="utf-8")
    pdf = typst.compile(
        str(main),
        root=str(folder),
        font_paths=_font_paths(),
        ignore_system_fonts=True,
    )
    atomic_write_bytes(out, bytes(pdf))


def _mpl_fonts() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def figure_fonts() -> list[Path]:
    """matplotlib's DejaVu Sans files: the font of the figures' SVG text, for Typst."""
    return sorted(_mpl_fonts().glob("DejaVuSans*.ttf"))


def _font_paths() -> list[str]:
    """matplotlib's DejaVu fonts (the charts' font), so the PDF does not depend on the system."""
    folder = _mpl_fonts()
    return [str(folder)] if folder.is_dir() else []
