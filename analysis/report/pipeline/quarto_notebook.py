"""An executed notebook staged for Quarto: each output already in the rendition each format shows.

Quarto renders a notebook's stored outputs, but on its own it would
(i) leave headings that come from ``text/markdown`` outputs out of the table of
contents (outputs sit inside cell ``div``\\s), (ii) load require.js and jQuery
from a CDN as soon as any output has ``text/html``, (iii) drop pipe-table
captions in the PDF and print figure captions as plain text. The staged copy
therefore keeps every code cell's source (shown folded, as in the built-in
renderer) without outputs, and follows it with a Markdown cell holding the
outputs as pandoc Markdown, chosen by the same MIME priorities as the built-in
renderer (:data:`~.render_builtin.HTML_PRIORITY`,
:data:`~.render_builtin.PDF_PRIORITY`):

* ``text/html`` (plotly figures, tables) becomes a raw HTML block, which the
  PDF ignores;
* the PDF's rendition, where it differs, sits in a
  ``.content-visible when-format="typst"`` div: a table's pipe table with its
  caption (numbered, ``tbl-`` label), a figure's SVG as a numbered figure whose
  caption is the italic note that follows it (that note then shows on the HTML
  page only);
* an error shows a short reason (no traceback, no absolute path) and a link to
  the executed notebook, where the traceback stays.

The front matter gets the page header of the built-in renderer (back link,
unit, run, date, status, "Download PDF") and the PDF's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml
from nbconvert.filters import strip_ansi

from analysis import __version__
from analysis.report.pipeline import public, render_builtin
from analysis.report.pipeline.display import md_escape
from analysis.report.pipeline.paths import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates" / "quarto"
GENERATOR = f"factor-report {__version__} (Quarto renderer)"

_TABLE_CAPTION = re.compile(r"^: (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class StagedPage:
    """What the staging of one notebook found (the site needs it for links and checks)."""

    slug: str
    failed: bool
    figures: int
    tables: int


_NO_TABLE_PROCESSING = "<!--| quarto-html-table-processing: none -->"
"""Keeps Quarto from parsing a raw HTML table into a pandoc table (and, for the PDF,
from printing the HTML rendition of a table beside its Markdown one)."""


def _raw_html(html: str) -> str:
    """A raw HTML block: the page shows it as it is, the PDF leaves it out."""
    html = f"{_NO_TABLE_PROCESSING}\n{html.strip()}"
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`{3,}", html)), default=0))
    return f"{fence}{{=html}}\n{html}\n{fence}"


def _only(fmt: str, markdown: str) -> str:
    return f'::: {{.content-visible when-format="{fmt}"}}\n{markdown.strip()}\n:::'


class _Outputs:
    """Converts one page's outputs to Markdown, numbering its figures and tables."""

    def __init__(self, slug: str, figures_dir: Path, notebook_href: str) -> None:
        self.slug = slug
        self.figures_dir = figures_dir
        self.notebook_href = notebook_href
        self.n_figures = 0
        self.n_tables = 0

    def _table_md(self, markdown: str) -> str:
        """A pipe table's caption labelled ``tbl-…``, so that it is numbered in the PDF."""

        def label(m: re.Match[str]) -> str:
            self.n_tables += 1
            return f": {m.group(1)} {{#tbl-{self.slug.lower()}-{self.n_tables}}}"

        return _TABLE_CAPTION.sub(label, markdown, count=1)

    def _figure_md(self, data: bytes, ext: str, caption: str) -> str:
        self.n_figures += 1
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        name = f"figure-{self.n_figures:03d}.{ext}"
        (self.figures_dir / name).write_bytes(data)
        rel = f"{self.figures_dir.name}/{name}"
        return render_builtin.image_markdown(rel, data, caption)

    def convert(self, outputs: list[Any]) -> Iterator[str]:
        i = 0
        while i < len(outputs):
            out = outputs[i]
            i += 1
            kind = out.output_type
            if kind == "stream":
                yield render_builtin.fence_block(strip_ansi(render_builtin.source_text(out.text)))
            elif kind == "error":
                reason = public.short_reason(out.ename, strip_ansi(out.evalue))
                yield (
                    f"**Error:** {md_escape(reason)}. The traceback is in the "
                    f"[executed notebook]({self.notebook_href})."
                )
            elif kind in ("display_data", "execute_result"):
                caption = render_builtin.figure_caption(outputs[i]) if i < len(outputs) else None
                md, used_caption = self._display(out.data, caption)
                yield md
                if used_caption:
                    i += 1
                    yield _only(
                        "html", render_builtin.source_text(outputs[i - 1].data["text/markdown"])
                    )

    def _display(self, data: Any, caption: str | None) -> tuple[str, bool]:
        html_mime = render_builtin.pick_mime(data, render_builtin.HTML_PRIORITY)
        pdf_mime = render_builtin.pick_mime(data, render_builtin.PDF_PRIORITY)
        text = {m: render_builtin.source_text(data[m]) for m in (html_mime, pdf_mime) if m}
        if html_mime == pdf_mime == "text/markdown":
            md = text["text/markdown"]
            return (self._table_md(md) if _TABLE_CAPTION.search(md) else md), False
        parts: list[str] = []
        if html_mime == "text/html":
            parts.append(_raw_html(text["text/html"]))
        elif html_mime == "text/markdown":
            parts.append(_only("html", text["text/markdown"]))
        used_caption = False
        if pdf_mime == "text/markdown":
            parts.append(_only("typst", self._table_md(text["text/markdown"])))
        elif pdf_mime in render_builtin.IMAGE_MIMES:
            raw = render_builtin.image_bytes(data, pdf_mime)
            ext = render_builtin.IMAGE_MIMES[pdf_mime]
            used_caption = caption is not None
            parts.append(_only("typst", self._figure_md(raw, ext, caption or "")))
        elif pdf_mime == "text/plain" and html_mime != "text/plain":
            parts.append(_only("typst", render_builtin.fence_block(text["text/plain"])))
        elif pdf_mime == "text/plain":
            parts.append(render_builtin.fence_block(text["text/plain"]))
        return "\n\n".join(parts), used_caption


def header_html(
    report: Any, *, pdf_href: str, notebook_href: str, index_date: str, reasons: list[str]
) -> str:
    """The page header of the built-in renderer (title block, status, PDF, failure)."""
    return str(
        render_builtin.template_env(TEMPLATES)
        .get_template("unit_header.html.j2")
        .render(
            report=report,
            pdf_href=pdf_href,
            notebook_href=notebook_href,
            index_href="../index.html",
            index_date=index_date,
            reasons=reasons,
        )
    )


def stage_notebook(src: Path, dest: Path, *, slug: str, pdf: bool, index_date: str) -> StagedPage:
    """Write the Quarto copy of an executed notebook to ``dest`` (``reports/<slug>.ipynb``).

    Parameters
    ----------
    src
        The executed notebook.
    dest
        Its staged copy; figures for the PDF go to ``<slug>_figures/`` beside it.
    slug
        The unit's page name.
    pdf
        Whether the page links its PDF.
    index_date
        The date of the index; the page says when its own report date differs.
    """
    report = render_builtin.load_report(src)
    href = public.notebook_href(slug, depth=1)
    conv = _Outputs(slug, dest.parent / f"{slug}_figures", href)
    reasons = report.reasons
    header = header_html(
        report,
        pdf_href=f"{slug}.pdf" if pdf and not report.failed else "",
        notebook_href=href,
        index_date=index_date,
        reasons=reasons,
    )
    cells: list[Any] = [nbformat.v4.new_markdown_cell(_raw_html(header))]
    for cell in report.notebook.cells:
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(render_builtin.source_text(cell.source)))
        elif cell.cell_type == "code":
            if not cell.metadata.get("transient", {}).get("remove_source"):  # remove-input
                cells.append(nbformat.v4.new_code_cell(render_builtin.source_text(cell.source)))
            md = "\n\n".join(b.strip("\n") for b in conv.convert(list(cell.outputs)) if b.strip())
            if md:
                cells.append(nbformat.v4.new_markdown_cell(md))
    if report.not_run:
        cells.append(
            nbformat.v4.new_markdown_cell(
                f"*{report.not_run} later cells were not run because of the error above.*"
            )
        )
    front: dict[str, Any] = {
        "title": report.title,
        "subtitle": report.subtitle or None,
        "date": report.date or None,
        "report_date": report.date or None,
        "unit": report.unit or None,
        "unit_label": report.unit_label,
        "kicker": report.kicker or None,
        "run": report.run or None,
        "generator": GENERATOR,
        "error": reasons[0] if reasons else None,
        "format-links": False,
    }
    front = {k: v for k, v in front.items() if v is not None}
    raw = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=10_000) + "---"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell(raw), *cells])
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # not nbformat's random ids: the same notebook stages the same bytes
    nb.metadata = {
        k: v for k, v in report.notebook.metadata.items() if k in ("kernelspec", "language_info")
    }
    nbformat.write(nb, str(dest))
    return StagedPage(slug, report.failed, conv.n_figures, conv.n_tables)
