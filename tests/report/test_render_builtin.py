"""The built-in renderer on notebooks built here (no kernel, no papermill).

The notebooks carry the real display objects of :mod:`analysis.report.display`
(a :class:`Table`, a :class:`Figure` of :func:`analysis.charts.exposure_bars`
on an OLS fit of simulated returns, :class:`Markdown` notes) and, for the
failed one, an error output with ANSI colour codes as IPython writes it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest

from analysis import charts
from analysis.regression.ols import OLSResult, fit_ols
from analysis.report.pipeline import render_builtin
from analysis.report.pipeline.display import Figure, Markdown, Table, fmt_p, md_escape
from analysis.report.pipeline.execute import front_matter
from analysis.report.pipeline.render_builtin import (
    copy_assets,
    markdown_to_html,
    render_page,
    render_unit_page,
    render_unit_pdf,
)
from tests.helpers import CHROMIUM_FLAGS, require_tool, simulate

TITLE = "TST <script>alert(1)</script> & Co — β report"
EVIL_CELL = "<script>evil()</script> & sons"
ANSI_TRACE = [
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mValueError\x1b[39m                                Traceback (most recent call last)",
    "\x1b[32m----> 1\x1b[39m \x1b[38;5;28;01mraise\x1b[39;00m "
    "\x1b[38;5;167;01mValueError\x1b[39;00m(\x1b[33m'no prices for TST'\x1b[39m)",
    "\x1b[31mValueError\x1b[39m: no prices for TST",
]
HREF_SRC = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _display(bundle: Any) -> nbformat.NotebookNode:
    data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
    return nbformat.v4.new_output("display_data", data=data, metadata=meta)


def _fit() -> OLSResult:
    rng = np.random.default_rng(20261121)
    y, X = simulate(rng, {"Mkt-RF": 1.1, "SMB": 0.4, "HML": -0.3}, n=300, name="TST")
    return fit_ols(y, X, cov_type="HAC", model="ff3")


def _coef_table(result: OLSResult) -> Table:
    frame = pd.DataFrame(
        {
            "Term": [*result.params.index, EVIL_CELL],
            "Estimate": [*result.params.to_numpy(), np.nan],
            "p": [*result.pvalues.to_numpy(), np.nan],
        }
    )
    return Table(frame, caption="Coefficients", formats={"p": fmt_p})


def _notebook(*, failed: bool) -> nbformat.NotebookNode:
    meta = {
        "title": TITLE,
        "subtitle": "Unit universe — factor exposures",
        "date": "2026-11-21",
        "unit": "TST",
        "unit_label": "Ticker",
        "run": "unit",
    }
    cells = [
        nbformat.v4.new_raw_cell(front_matter(meta)),
        nbformat.v4.new_markdown_cell("Intro with `code` and a backslash \\* escape."),
        nbformat.v4.new_markdown_cell("## Summary"),
    ]
    code = nbformat.v4.new_code_cell("display(*ex.model_sections(analysis))")
    if failed:
        code.outputs = [
            nbformat.v4.new_output(
                "error",
                ename="ValueError",
                evalue="\x1b[1mno prices for TST\x1b[0m",
                traceback=ANSI_TRACE,
            )
        ]
        cells.append(code)
        pending = nbformat.v4.new_markdown_cell("## Never shown")
        pending.metadata["papermill"] = {"status": "pending"}
        cells.append(pending)
    else:
        result = _fit()
        chart = charts.exposure_bars(result)
        buf = io.BytesIO()
        chart.static.savefig(buf, format="png", dpi=100)  # an image with no other rendition
        png_only = buf.getvalue()
        code.outputs = [
            _display(_coef_table(result)._repr_mimebundle_()),
            _display(Figure(chart, key="TST")._repr_mimebundle_()),
            _display(Markdown(f"*{md_escape(chart.caption)}*")._repr_mimebundle_()),
            _display(
                Markdown(
                    "### Details\n\n" + md_escape("p < 0.05 for mean_reversion")
                )._repr_mimebundle_()
            ),
            _display({"image/png": base64.b64encode(png_only).decode(), "text/plain": "<png>"}),
        ]
        cells.append(code)
        cells.append(nbformat.v4.new_markdown_cell("## Notes\n\nInline math $\\alpha$."))
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture(scope="module")
def result() -> OLSResult:
    return _fit()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("render")
    out: dict[str, Path] = {}
    for name, failed in (("TST", False), ("FAIL", True)):
        nb_path = root / "notebooks" / f"{name}.ipynb"
        nb_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(_notebook(failed=failed), str(nb_path))
        out[f"{name}.ipynb"] = nb_path
        out[f"{name}.html"] = root / "site" / "reports" / f"{name}.html"
        out[f"{name}.pdf"] = root / "site" / "reports" / f"{name}.pdf"
        render_unit_page(nb_path, out[f"{name}.html"], site_title="Unit <site>")
        render_unit_pdf(nb_path, out[f"{name}.pdf"])
    return out


def _page(rendered: dict[str, Path], name: str) -> str:
    return rendered[f"{name}.html"].read_text(encoding="utf-8")


# --------------------------------------------------------------------------- HTML


def test_page_escapes_title_site_title_and_table_cells(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    assert "<script>alert(1)" not in page
    assert "TST &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co — β report" in page
    assert "Unit &lt;site&gt;" in page
    assert "<script>evil()" not in page
    assert "&lt;script&gt;evil()&lt;/script&gt; &amp; sons" in page


def test_page_links_are_relative_and_nothing_comes_from_the_network(
    rendered: dict[str, Path],
) -> None:
    for name in ("TST", "FAIL"):
        page = _page(rendered, name)
        targets = HREF_SRC.findall(page)
        assert targets
        remote = [t for t in targets if re.match(r"^(https?:)?//", t, re.IGNORECASE)]
        assert remote == []
        assert "mathjax" not in page.lower()
        assert "require.js" not in page and "require.min.js" not in page
        scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", page)
        assert set(scripts) <= {"../assets/plotly.min.js", "../assets/site.js"}
        assert "../index.html" in targets
        assert "../methodology.html" in targets
        assert "../assets/site.css" in targets


def test_plotly_loaded_once_before_the_figures(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    tag = '<script src="../assets/plotly.min.js"></script>'
    assert page.count("plotly.min.js") == 1
    assert page.index(tag) < page.index("</head>") < page.index("Plotly.newPlot")
    # a failed page has no figure and does not load 4.8 MB for nothing
    assert "plotly.min.js" not in _page(rendered, "FAIL")


def test_html_output_wins_over_png_and_markdown(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    # the figure's PNG is not used (its div is); the PNG-only output is
    assert page.count("data:image/png;base64,") == 1
    assert page.count('class="report-figure"') == 1
    # the table is its HTML (classes for the CSS), not its pipe table
    assert '<table class="report-table"><caption>Coefficients</caption>' in page
    assert '<td class="num">' in page
    assert "|---:" not in page


def test_markdown_is_rendered_with_escapes_headings_and_math(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    assert '<h2 id="summary">Summary</h2>' in page
    assert '<h3 id="details">Details</h3>' in page
    assert "p &lt; 0.05 for mean_reversion" in page
    assert "mean\\_reversion" not in page
    assert "backslash * escape" in page
    assert "<em>Bars are the estimated betas" in page
    assert "<math" in page and "<mi>α</mi>" in page


def test_front_matter_is_the_title_block_not_a_cell(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    assert page.count("<h1") == 1
    assert "title:" not in page
    assert "Unit universe — factor exposures" in page
    assert '<time datetime="2026-11-21">2026-11-21</time>' in page
    assert "<dd>unit</dd>" in page


def test_code_is_folded_and_outputs_shown(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    assert page.count('<details class="code-fold">') == 1
    assert "<summary>Code</summary>" in page
    assert "<details open" not in page
    assert "model_sections" in page  # the code is there, folded


def test_toc_lists_h2_and_h3_and_its_anchors_exist(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "TST")
    toc = page[page.index('<nav class="toc"') : page.index("</nav>", page.index('class="toc"'))]
    hrefs = re.findall(r'href="#([^"]+)"', toc)
    assert hrefs == ["summary", "details", "notes"]
    for ident in hrefs:
        assert f'id="{ident}"' in page


def test_pdf_link_and_back_link(rendered: dict[str, Path], tmp_path: Path) -> None:
    page = _page(rendered, "TST")
    assert 'href="TST.pdf"' in page and "Download PDF" in page
    assert "Back to the index" in page
    failed = _page(rendered, "FAIL")
    assert "Download PDF" not in failed  # auto: a failed ticker gets no PDF
    out = tmp_path / "reports" / "TST.html"
    render_unit_page(rendered["TST.ipynb"], out, site_title="Unit", pdf=False)
    assert "Download PDF" not in out.read_text(encoding="utf-8")


def test_failed_notebook_has_banner_reason_and_no_traceback(rendered: dict[str, Path]) -> None:
    page = _page(rendered, "FAIL")
    banner = page.index("This report failed")
    assert banner < page.index('class="report-body"')
    assert "ValueError: no prices for TST" in page
    assert 'href="#error-1"' in page and 'id="error-1"' in page
    assert "\x1b" not in page and "[31m" not in page and "[39m" not in page
    # the page is published: the reason, a link to the executed notebook, no traceback
    assert "Traceback" not in page
    assert "----&gt; 1 raise" not in page
    assert 'href="../../notebooks/FAIL.ipynb"' in page
    assert "Never shown" not in page
    assert "1 later cells were not run" in page


def test_html_is_deterministic(rendered: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "reports" / "TST.html"
    render_unit_page(rendered["TST.ipynb"], again, site_title="Unit <site>")
    assert again.read_bytes() == rendered["TST.html"].read_bytes()


def test_render_page_layout_depth_and_plotly_flag(tmp_path: Path) -> None:
    out = tmp_path / "index.html"
    render_page(out, title="All <tickers>", body_html="<p>body</p>", site_title="S & P", depth=0)
    page = out.read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="assets/site.css">' in page
    assert '<script src="assets/site.js" defer></script>' in page
    assert "plotly.min.js" not in page
    assert "<title>All &lt;tickers&gt; – S &amp; P</title>" in page
    assert "<p>body</p>" in page
    assert '<a href="index.html" aria-current="page">Overview</a>' in page
    assert "Generated by factor-report" in page
    nested = tmp_path / "a" / "b" / "page.html"
    render_page(nested, title="t", body_html="", site_title="s", depth=2, plotly=True)
    page = nested.read_text(encoding="utf-8")
    assert '<script src="../../assets/plotly.min.js"></script>' in page
    assert 'href="../../methodology.html"' in page
    with pytest.raises(ValueError, match="depth must be >= 0"):
        render_page(out, title="t", body_html="", site_title="s", depth=-1)


# --------------------------------------------------------------------------- PDF


def _pdftotext(path: Path) -> str:
    require_tool("pdftotext")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # one line of words: independent of line breaks; Typst sets a minus sign before digits
    return " ".join(text.split()).replace("\u2212", "-")


def _pages(path: Path) -> int:
    require_tool("pdfinfo")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert m, info
    return int(m.group(1))


def test_pdf_has_title_ticker_betas_and_sane_length(
    rendered: dict[str, Path], result: OLSResult
) -> None:
    pdf = rendered["TST.pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = _pdftotext(pdf)
    assert "TST <script>alert(1)</script> & Co — β report" in text
    assert "Ticker TST" in text
    assert "Run unit" in text and "2026-11-21" in text
    for term in ("Mkt-RF", "SMB", "HML"):
        assert f"{result.params[term]:,.4f}" in text  # as display.fmt_num writes it
    assert "Table 1: Coefficients" in text
    assert "Figure 1: Bars are the estimated betas" in text
    assert "model_sections" not in text  # code is not shown
    assert re.search(r"Page 1 of \d+", text)
    assert 1 <= _pages(pdf) <= 4


def test_pdf_figures_are_vector_with_the_chart_text_in_dejavu_sans(
    rendered: dict[str, Path], result: OLSResult
) -> None:
    text = _pdftotext(rendered["TST.pdf"])
    chart = charts.exposure_bars(result)
    assert chart.title in text  # the SVG's title is text in the PDF, not pixels
    require_tool("pdffonts")
    fonts = subprocess.run(
        ["pdffonts", str(rendered["TST.pdf"])], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"\+DejaVuSans\s", fonts)  # embedded, from matplotlib's font files


def test_svg_figures_are_sized_from_their_points() -> None:
    svg = Figure(charts.exposure_bars(_fit())).svg()
    assert "<text" in svg and "DejaVu Sans" in svg  # text kept as text
    assert svg == Figure(charts.exposure_bars(_fit())).svg()  # same bytes every time
    # its print size, 6.5 in (468 pt): just inside the text width, as the PNGs were
    assert render_builtin.image_markdown("f.svg", svg.encode(), "c") == "![c](f.svg){width=6.50in}"
    wide = b'<svg xmlns="http://www.w3.org/2000/svg" width="720pt" height="360pt">'
    assert render_builtin.image_markdown("w.svg", wide, "c") == "![c](w.svg){width=100%}"
    tall = b'<svg xmlns="http://www.w3.org/2000/svg" width="216pt" height="1440pt">'
    shown = render_builtin.image_markdown("t.svg", tall, "c")  # 3 x 20 in: narrowed to fit
    width = float(re.search(r"width=([0-9.]+)in", shown).group(1))  # type: ignore[union-attr]
    assert width * 20 / 3 <= render_builtin.PDF_MAX_IMAGE_HEIGHT_IN + 0.01
    small = b'<svg xmlns="http://www.w3.org/2000/svg" width="144pt" height="72pt">'
    assert render_builtin.image_markdown("s.svg", small, "c") == "![c](s.svg){width=2.00in}"


def test_pdf_of_failed_notebook_shows_the_error(rendered: dict[str, Path]) -> None:
    pdf = rendered["FAIL.pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = _pdftotext(pdf)
    assert "This report failed" in text
    assert "ValueError: no prices for TST" in text
    assert "Traceback" not in text and "raise ValueError" not in text
    assert "[31m" not in text
    assert _pages(pdf) == 1


def test_pdf_metadata(rendered: dict[str, Path]) -> None:
    require_tool("pdfinfo")
    info = subprocess.run(
        ["pdfinfo", str(rendered["TST.pdf"])], capture_output=True, text=True
    ).stdout
    assert "Title:           TST <script>alert(1)</script> & Co — β report" in info
    assert "Author:          factor-report" in info
    assert "CreationDate:    Sat Nov 21 00:00:00 2026" in info
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)


def test_pdf_is_deterministic(rendered: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "TST.pdf"
    render_unit_pdf(rendered["TST.ipynb"], again)
    digest = hashlib.sha256(again.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(rendered["TST.pdf"].read_bytes()).hexdigest()


# --------------------------------------------------------------------------- helpers


def test_markdown_to_html_tables_and_mathml() -> None:
    html = markdown_to_html(
        "| Term | Beta |\n|:---|---:|\n| market | 1.02 |\n\n: Betas\n\n"
        "Inline $\\alpha$ and display $$R^2 = 1 - \\frac{SS_{res}}{SS_{tot}}$$\n\n"
        "A literal \\$5 and \\*stars\\*."
    )
    assert "<table>" in html and "<caption>Betas</caption>" in html
    assert '<th style="text-align: right;">Beta</th>' in html
    assert '<math display="inline"' in html and "<mi>α</mi>" in html
    assert '<math display="block"' in html and "<mfrac>" in html
    assert "A literal $5 and *stars*." in html
    assert "<script" not in html


def test_copy_assets_writes_plotly_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import plotly

    written: list[str] = []
    real = render_builtin.atomic_write_bytes

    def spy(path: Path, data: bytes) -> None:
        written.append(path.name)
        real(path, data)

    monkeypatch.setattr(render_builtin, "atomic_write_bytes", spy)
    copy_assets(tmp_path)
    assert sorted(written) == ["plotly.min.js", "site.css", "site.js"]
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (tmp_path / "assets" / "plotly.min.js").read_bytes() == source.read_bytes()
    assert ".highlight" in (tmp_path / "assets" / "site.css").read_text(encoding="utf-8")
    written.clear()
    copy_assets(tmp_path)
    assert written == []  # nothing changed, nothing rewritten
    (tmp_path / "assets" / "plotly.min.js").write_bytes(b"stale")
    copy_assets(tmp_path)
    assert written == ["plotly.min.js"]


# --------------------------------------------------------------------------- browser


def _chromium() -> str:
    return require_tool("chromium")


def _headless(url: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_page_in_headless_chromium_draws_charts_without_errors(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    site = rendered["TST.html"].parent.parent
    copy_assets(site)
    run = _headless(rendered["TST.html"].as_uri(), tmp_path / "profile")
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert run.stdout.count('class="main-svg"') >= 1  # plotly drew the figure


@pytest.mark.slow
def test_site_js_sorts_numerically_and_sets_aria_sort(tmp_path: Path) -> None:
    copy_assets(tmp_path)
    body = (
        '<table class="sortable"><thead><tr><th>Ticker</th><th class="num">Beta</th></tr></thead>'
        "<tbody><tr><td>A</td><td>10.5</td></tr><tr><td>B</td><td>\u2014</td></tr>"
        "<tr><td>C</td><td>\u22122.0</td></tr><tr><td>D</td><td data-value='9'>nine</td></tr>"
        "</tbody></table>"
        "<script>document.addEventListener('DOMContentLoaded', function () {"
        "  var b = document.querySelectorAll('th button')[1]; b.click(); b.click();"
        "  document.title = Array.from(document.querySelectorAll('tbody td:first-child'))"
        "    .map(function (c) { return c.textContent; }).join('') + '|' +"
        "    document.querySelectorAll('th')[1].getAttribute('aria-sort');"
        "});</script>"
    )
    render_page(tmp_path / "index.html", title="t", body_html=body, site_title="s", depth=0)
    run = _headless((tmp_path / "index.html").as_uri(), tmp_path / "profile")
    assert "<title>ADCB|descending</title>" in run.stdout
