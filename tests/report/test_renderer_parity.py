"""Both renderers publish the same report: one set of assertions, run for each.

Every kind's offline sample is executed once (built-in renderer, shared with the
other end-to-end modules). The built-in site is checked here always; a copy of
the same run folder is rendered again with Quarto when ``quarto`` is on PATH
(otherwise those cases skip and say why), so both renderers read exactly the
same executed notebooks. Checked for each unit page and PDF, against what the
notebook itself holds:

* the table of contents lists every section and subsection heading;
* every table keeps its caption, on the page and in the PDF ("Table n: …");
* every figure is there (interactive on the page, numbered in the PDF);
* the PDF has the running header and the "Page X of Y" footer;
* nothing is loaded from the network, in real Chromium: the built-in site from
  disk, the Quarto site through a local HTTP server (Quarto 1.7's own script is an
  ES module, which browsers do not load from ``file://``);
* the index tables fit a 1400 px window;
* nothing published holds the run folder's absolute path or a traceback.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from analysis.report import commands
from tests.helpers import CHROMIUM_FLAGS, require_tool, watch_page
from tests.report import shared_runs

pytestmark = pytest.mark.slow

QUARTO = shutil.which("quarto")
NO_QUARTO = "quarto is not on PATH (build one with ../shared/tools/quarto-assemble.sh)"


@dataclass(frozen=True)
class Sample:
    kind: str
    params: Path
    name: str
    runs: Callable[[Any], Path]


SAMPLES = {
    "exposure": Sample(
        "exposure", shared_runs.EXPOSURE_SAMPLE, "sample", shared_runs.exposure_runs
    ),
    "forecast": Sample(
        "forecast", shared_runs.FORECAST_SAMPLE, "spy-sectors", shared_runs.forecast_runs
    ),
    "strategy": Sample(
        "strategy", shared_runs.STRATEGY_SAMPLE, "sp500-sample", shared_runs.strategy_runs
    ),
}
CASES = [
    pytest.param(kind, renderer, id=f"{kind}-{renderer}", marks=marks)
    for kind in SAMPLES
    for renderer, marks in (
        ("builtin", ()),
        ("quarto", pytest.mark.skipif(QUARTO is None, reason=NO_QUARTO)),
    )
]


# --------------------------------------------------------------------------- runs


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, str], Path]]:
    """``(kind, renderer) -> run folder``: the shared built-in run, or a Quarto-rendered copy."""
    cache: dict[tuple[str, str], Path] = {}

    def get(kind: str, renderer: str) -> Path:
        if (kind, renderer) not in cache:
            sample = SAMPLES[kind]
            root = sample.runs(tmp_path_factory) / sample.name
            if renderer == "quarto":
                out = tmp_path_factory.mktemp(f"quarto-{kind}")
                shutil.copytree(root, out / sample.name, ignore=shutil.ignore_patterns("site"))
                params = sample.params
                only = shared_runs.STRATEGY_ONLY.get(params)
                if only:  # the shared run made these models' notebooks only
                    doc = yaml.safe_load(params.read_text(encoding="utf-8"))
                    doc["models"] = only
                    params = out / params.name
                    params.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
                summary = commands.render(params, out=out, renderer="quarto", progress=False)
                assert summary.renderer == "quarto"
                root = out / sample.name
            cache[kind, renderer] = root
        return cache[kind, renderer]

    yield get


# ------------------------------------------------------------------ what the notebook holds


@dataclass(frozen=True)
class Expected:
    headings: list[str]
    captions: list[str]
    figures: int


_MD_HEADING = re.compile(r"^(#{2,3}) +(.+?) *#*$", re.MULTILINE)
_MD_CAPTION = re.compile(r"^: (.+)$", re.MULTILINE)


def _plain(markdown: str) -> str:
    """Heading or caption text as a reader sees it: no Markdown escapes or emphasis."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("*", "").strip()


def expected(notebook: Path) -> Expected:
    """Headings (h2, h3), table captions and figures of an executed notebook, in order."""
    nb = nbformat.read(str(notebook), as_version=4)
    headings: list[str] = []
    captions: list[str] = []
    figures = 0
    for cell in nb.cells:
        texts = [cell.source] if cell.cell_type == "markdown" else []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/svg+xml" in data:
                figures += 1
            elif "text/markdown" in data:
                md = "".join(data["text/markdown"])
                texts.append(md)
                if "text/html" in data:  # a table: its caption line
                    captions += [_plain(c) for c in _MD_CAPTION.findall(md)]
        for text in texts:
            headings += [_plain(h) for _, h in _MD_HEADING.findall("".join(text))]
    return Expected(headings, captions, figures)


# --------------------------------------------------------------------------- what was published


def page_facts(page: Path) -> Expected:
    """The same facts read from a published unit page."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    toc = [a.get_text(" ", strip=True) for a in soup.select("nav#TOC a, nav.toc a")]
    captions = [c.get_text(" ", strip=True) for c in soup.select("table.report-table > caption")]
    figures = len(soup.select("div.report-figure"))
    return Expected(toc, captions, figures)


def pdf_text(pdf: Path) -> str:
    exe = require_tool("pdftotext")
    return subprocess.run([exe, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ad": None}
)


def _squash(text: str) -> str:
    """Text without whitespace and soft hyphens (line breaks fall anywhere, words may be
    hyphenated) and with typographic quotes plain."""
    return re.sub(r"\s+", "", text.translate(_QUOTES))


def units(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "notebooks").glob("*.ipynb"))


# --------------------------------------------------------------------------- the assertions


@pytest.mark.parametrize(("kind", "renderer"), CASES)
def test_pages_show_every_section_table_and_figure(
    rendered: Callable[[str, str], Path], kind: str, renderer: str
) -> None:
    root = rendered(kind, renderer)
    slugs = units(root)
    assert slugs
    for slug in slugs:
        want = expected(root / "notebooks" / f"{slug}.ipynb")
        got = page_facts(root / "site" / "reports" / f"{slug}.html")
        assert got.headings == want.headings, slug
        assert got.captions == want.captions, slug
        assert got.figures == want.figures, slug
        assert len(want.headings) >= 3 and want.captions and want.figures, slug


@pytest.mark.parametrize(("kind", "renderer"), CASES)
def test_pdfs_keep_captions_numbering_and_page_furniture(
    rendered: Callable[[str, str], Path], kind: str, renderer: str
) -> None:
    root = rendered(kind, renderer)
    for slug in units(root):
        want = expected(root / "notebooks" / f"{slug}.ipynb")
        text = pdf_text(root / "pdf" / f"{slug}.pdf")
        flat = _squash(text)
        for i, caption in enumerate(want.captions, start=1):
            # numbered in order; pdftotext may break a long caption over lines
            assert _squash(f"Table {i}: {caption}") in flat, (slug, caption)
        figures = re.findall(r"^Figure (\d+):", text, re.MULTILINE)
        assert [int(n) for n in figures] == list(range(1, want.figures + 1)), slug
        for heading in want.headings:
            assert _squash(heading) in flat, (slug, heading)
        pages = re.search(r"Page 1 of (\d+)", text)
        assert pages is not None, slug
        n = int(pages.group(1))
        assert f"Page {n} of {n}" in text, slug
        assert "Traceback" not in text and str(root) not in text, slug


@pytest.mark.skipif(QUARTO is None, reason=NO_QUARTO)
@pytest.mark.parametrize("kind", list(SAMPLES))
def test_quarto_equals_builtin(rendered: Callable[[str, str], Path], kind: str) -> None:
    builtin, quarto = rendered(kind, "builtin"), rendered(kind, "quarto")
    assert units(builtin) == units(quarto)
    for slug in units(builtin):
        b = page_facts(builtin / "site" / "reports" / f"{slug}.html")
        q = page_facts(quarto / "site" / "reports" / f"{slug}.html")
        assert b == q, slug
        tb, tq = (pdf_text(r / "pdf" / f"{slug}.pdf") for r in (builtin, quarto))
        caps_b = re.findall(r"^(?:Table|Figure) \d+:.{0,40}", tb, re.MULTILINE)
        caps_q = re.findall(r"^(?:Table|Figure) \d+:.{0,40}", tq, re.MULTILINE)
        assert caps_b == caps_q, slug
        pages_b = int(re.search(r"Page 1 of (\d+)", tb).group(1))  # type: ignore[union-attr]
        pages_q = int(re.search(r"Page 1 of (\d+)", tq).group(1))  # type: ignore[union-attr]
        assert abs(pages_b - pages_q) <= max(1, pages_b // 10), (slug, pages_b, pages_q)


@pytest.mark.parametrize(("kind", "renderer"), CASES)
def test_nothing_private_is_published(
    rendered: Callable[[str, str], Path], kind: str, renderer: str
) -> None:
    root = rendered(kind, renderer)
    private = [str(root), str(root.parent), str(Path.home()), "Traceback"]
    for path in sorted((root / "site").rglob("*")):
        if path.is_file() and path.suffix in (".html", ".json", ".csv", ".css", ".js", ".xml"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for needle in private:
                assert needle not in text, (path.relative_to(root), needle)
    for pdf in sorted((root / "pdf").glob("*.pdf")):
        text = pdf_text(pdf)
        for needle in private:
            assert needle not in text, (pdf.name, needle)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def serve() -> Iterator[Callable[[Path], str]]:
    """``folder -> base URL`` of a local HTTP server for it (stopped after the test)."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.mark.parametrize(("kind", "renderer"), CASES)
def test_site_in_chromium_is_offline_and_fits(
    rendered: Callable[[str, str], Path],
    serve: Callable[[Path], str],
    kind: str,
    renderer: str,
) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    root = rendered(kind, renderer)
    site = root / "site"
    if renderer == "quarto":
        base = serve(site)
        local = (base + "/",)
    else:
        base = site.as_uri()
        local = ("file://",)
    slug = units(root)[0]
    want = expected(root / "notebooks" / f"{slug}.ipynb")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems = watch_page(page, local=(*local, "data:"))

        page.goto(f"{base}/index.html")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "Array.from(document.querySelectorAll('main table, .content table, table'))"
            ".filter(t => t.offsetParent !== null)"
            ".map(t => t.getBoundingClientRect().right)"
            ".filter(r => r > window.innerWidth + 1).length"
        )
        assert overflow == 0, "an index table is cut off at 1400 px"
        scrolled = page.evaluate(
            "Array.from(document.querySelectorAll('.table-scroll'))"
            ".filter(d => d.offsetParent !== null && d.scrollWidth > d.clientWidth + 1)"
            ".map(d => d.querySelector('table') ? d.querySelector('table').id : '?')"
        )
        assert scrolled == [], f"index tables wider than the page at 1400 px: {scrolled}"

        page.goto(f"{base}/reports/{slug}.html")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {want.figures}",
            timeout=60000,
        )
        toc = [t.strip() for t in page.locator("nav#TOC a, nav.toc a").all_inner_texts()]
        assert [t for t in toc if t] == want.headings
        visible = page.evaluate(
            "Array.from(document.querySelectorAll('nav#TOC a, nav.toc a'))"
            ".filter(a => a.getBoundingClientRect().height > 0).length"
        )
        assert visible == len(want.headings), "every TOC entry is shown, not collapsed"
        assert page.locator("a.button-pdf").count() == 1
        assert page.locator("a", has_text="Back to the index").count() == 1

        page.goto(f"{base}/methodology.html")
        assert page.locator("math").count() > 3, "formulas are MathML, not raw TeX"
        browser.close()
    assert problems == []  # console errors, failed requests, requests leaving the site
