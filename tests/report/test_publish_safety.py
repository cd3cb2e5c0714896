"""The published site and PDFs hold no local path and no traceback; partial re-runs stay consistent.

One small run on the user-file fixture (two tickers that work, one that is not
in the file) with the built-in renderer, then an ``--only`` re-run of a copy
of it on a later report date. Every file under each site folder (zip members
included) and every PDF (raw bytes and ``pdftotext``) is searched for the run
folder, the params folder, the project checkout, the user's home and the word
"Traceback". The helpers of :mod:`analysis.report.pipeline.public` are unit-tested
first.
"""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from analysis.cli import main
from analysis.report.pipeline.paths import PROJECT_ROOT, RunPaths
from analysis.report.pipeline.public import file_label, notebook_href, public_text, short_reason
from analysis.report.pipeline.site import STATUS_LIMIT
from tests.helpers import require_tool

FIXTURE_PRICES = PROJECT_ROOT / "tests" / "fixtures" / "files" / "prices.csv"
PARAMS = """\
name: unsafe
title: Unsafe run
data: {source: csv, prices: prices.csv}
market: ^GSPC
tickers: [AAPL, MSFT, ZZZZ]
models: [engineered]
start: 2020-01-02
end: 2020-03-31
factor_window: 20
rolling_window: 30
"""
DAY1, DAY2 = "2026-11-28", "2026-11-29"


def _epoch(day: str) -> str:
    return str(int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()))


# --------------------------------------------------------------------------- public_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No such file: '/home/me/data/prices.csv'", "No such file: 'prices.csv'"),
        ('File "/tmp/run/x/cell.py", line 3', 'File "cell.py", line 3'),
        ("/srv/a/b.csv at the start", "b.csv at the start"),
        ("two: /a/b/one.csv, /c/d/two.csv.", "two: one.csv, two.csv."),
        ("--out=/tmp/pub/reports", "--out=reports"),
        ("folder /tmp/pub/ gone", "folder pub gone"),
        ("in ~/data/p.csv and ~bob/x/y.csv", "in p.csv and y.csv"),
        (r"C:\Users\me\prices.csv missing", "prices.csv missing"),
        (r"'C:\\Users\\me\\prices.csv'", "'prices.csv'"),
        ("C:/Users/me/prices.csv", "prices.csv"),
        ("see file:///tmp/run/site/index.html", "see index.html"),
    ],
)
def test_public_text_keeps_only_file_names(text: str, expected: str) -> None:
    assert public_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/a/b/c.html and http://host:8080/x/y",
        "reports/AAPL.html, ../notebooks/AAPL.ipynb, ./a/b.csv",
        "ratio 1/2, and/or, 5%/day, a / b",
        "/usr alone is a word, not a file",
        "no path at all",
    ],
)
def test_public_text_leaves_urls_and_relative_paths(text: str) -> None:
    assert public_text(text) == text


def test_public_text_is_idempotent() -> None:
    once = public_text("error in /tmp/a/b/c.py and ~/x/y.csv")
    assert public_text(once) == once


# --------------------------------------------------------------------------- short_reason


def test_short_reason_is_the_first_line_without_paths_or_colours() -> None:
    reason = short_reason("FileNotFoundError", "\x1b[1m/tmp/a/b/p.csv\x1b[0m is gone\nmore\nlines")
    assert reason == "FileNotFoundError: p.csv is gone"
    assert short_reason("KeyboardInterrupt", "") == "KeyboardInterrupt"


@pytest.mark.parametrize("limit", [20, 50, 120])
def test_short_reason_cuts_at_a_word_boundary(limit: int) -> None:
    evalue = " ".join(f"word{i}" for i in range(100))
    reason = short_reason("ValueError", evalue, limit)
    full = f"ValueError: {evalue}"
    assert len(reason) <= limit and reason.endswith("…")
    kept = reason[:-1]
    assert full.startswith(kept) and full[len(kept)] == " "  # a whole word was dropped


def test_short_reason_cuts_one_long_word_and_keeps_short_text() -> None:
    reason = short_reason("ValueError", "x" * 500, 40)
    assert len(reason) == 40 and reason.startswith("ValueError: xxx") and reason.endswith("…")
    assert short_reason("ValueError", "short", 40) == "ValueError: short"


# --------------------------------------------------------------------------- notebook_href


@pytest.mark.parametrize(
    ("page", "depth"), [("index.html", 0), ("reports/AAPL.html", 1), ("a/b/c.html", 2)]
)
def test_notebook_href_reaches_the_notebooks_folder(page: str, depth: int) -> None:
    href = notebook_href("AAPL", depth)
    # site/ and notebooks/ are siblings in the run folder
    target = posixpath.normpath(posixpath.join("run/site", posixpath.dirname(page), href))
    assert target == "run/notebooks/AAPL.ipynb"


def test_notebook_href_quotes_the_slug_and_checks_depth() -> None:
    assert notebook_href("^GSPC x", 1) == "../../notebooks/%5EGSPC%20x.ipynb"
    with pytest.raises(ValueError, match="depth"):
        notebook_href("AAPL", -1)


# --------------------------------------------------------------------------- file_label


def test_file_label_names_the_content_not_the_folder(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a" / "p.csv", tmp_path / "b" / "p.csv", tmp_path / "c" / "p.csv"
    for path, text in ((a, "x,y\n1,2\n"), (b, "x,y\n1,2\n"), (c, "x,y\n1,3\n")):
        path.parent.mkdir()
        path.write_text(text)
    digest = hashlib.sha256(a.read_bytes()).hexdigest()[:12]
    assert file_label(a) == f"p.csv (sha256 {digest})"
    assert file_label(b) == file_label(a)  # same content elsewhere: same label
    assert file_label(c) != file_label(a)
    assert str(tmp_path) not in file_label(a)
    assert file_label(tmp_path / "gone.csv") == "gone.csv (missing)"


# --------------------------------------------------------------------------- end to end


def _run(folder: Path, day: str, *extra: str) -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", _epoch(day))
        return main(
            [
                "run",
                str(folder / "unsafe.yml"),
                "--out",
                str(folder / "reports"),
                "--renderer",
                "builtin",
                "--no-progress",
                *extra,
            ]
        )


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spec's unsafe run on DAY1: AAPL and MSFT ok, ZZZZ not in the user's file."""
    folder = tmp_path_factory.mktemp("publish")
    shutil.copyfile(FIXTURE_PRICES, folder / "prices.csv")
    (folder / "unsafe.yml").write_text(PARAMS)
    assert _run(folder, DAY1) == 3  # partial: ZZZZ failed
    return folder


@pytest.fixture(scope="module")
def partial_run(full_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the full run, re-run on DAY2 with ``--only AAPL``."""
    folder = tmp_path_factory.mktemp("partial") / "copy"
    shutil.copytree(full_run, folder)
    assert _run(folder, DAY2, "--only", "AAPL") == 0
    return folder


def _forbidden(folder: Path) -> list[str]:
    """What must never be published: local folders (as given and resolved), "Traceback"."""
    places = [folder, folder / "reports" / "unsafe", PROJECT_ROOT, Path.home()]
    out = {"Traceback"}
    for place in places:
        for form in (place, place.resolve()):
            if len(form.parts) > 1:  # the home may be "/"
                out.add(str(form))
    return sorted(out, key=len, reverse=True)


def _published_texts(root: Path) -> Iterator[tuple[str, str]]:
    """``(label, text)`` of every published file: site files, zip members, PDFs."""
    for path in sorted(p for p in (root / "site").rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path.relative_to(root)), data.decode("utf-8", errors="replace")
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    yield f"{path.name}:{name}", zf.read(name).decode("utf-8", errors="replace")
    pdftotext = require_tool("pdftotext")
    pdfs = sorted((root / "pdf").glob("*.pdf")) + sorted((root / "site").rglob("*.pdf"))
    assert pdfs, "the run made no PDF"
    for pdf in pdfs:
        text = subprocess.run(
            [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        yield f"{pdf.relative_to(root)} (text)", text


@pytest.mark.slow
@pytest.mark.parametrize("which", ["full_run", "partial_run"])
def test_nothing_published_names_a_local_path_or_a_traceback(
    which: str, request: pytest.FixtureRequest
) -> None:
    folder: Path = request.getfixturevalue(which)
    root = folder / "reports" / "unsafe"
    forbidden = _forbidden(folder)
    seen = 0
    leaks = []
    for label, text in _published_texts(root):
        seen += 1
        leaks += [(label, word) for word in forbidden if word in text]
    assert seen > 10  # pages, assets, downloads, PDFs
    assert leaks == []


@pytest.mark.slow
def test_index_status_is_short_and_links_the_page(full_run: Path) -> None:
    root = full_run / "reports" / "unsafe"
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    cell = re.search(
        r'<td class="txt status-cell" title="([^"]*)">'
        r'<a href="reports/ZZZZ\.html">([^<]*)</a></td>',
        index,
    )
    assert cell, "ZZZZ's status cell does not link its page"
    title, text = html.unescape(cell.group(1)), html.unescape(cell.group(2))
    assert text.startswith("failed: UnknownTickerError") and text.endswith("…")
    assert len(text) <= len("failed: ") + STATUS_LIMIT
    # the whole reason, with the file's name only, is the cell's tooltip
    assert "not a column of prices.csv" in title and "AAPL, MSFT" in title
    assert text[len("failed: ") : -1] in title
    assert (root / "site" / "reports" / "ZZZZ.html").exists()


@pytest.mark.slow
def test_failed_unit_page_gives_the_reason_and_links_the_notebook(full_run: Path) -> None:
    paths = RunPaths(full_run / "reports" / "unsafe")
    page_path = paths.page("ZZZZ")
    page = page_path.read_text(encoding="utf-8")
    assert "UnknownTickerError: csv: ZZZZ: not a column of prices.csv" in page
    hrefs = re.findall(r'<a href="([^"]+)"[^>]*>executed notebook</a>', page)
    assert len(hrefs) == 1
    assert (page_path.parent / hrefs[0]).resolve() == paths.notebook("ZZZZ").resolve()
    assert paths.notebook("ZZZZ").exists()
    # the notebook kept with the run still has the whole traceback
    nb = nbformat.read(paths.notebook("ZZZZ"), as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "UnknownTickerError" and errors[0].traceback


@pytest.mark.slow
def test_manifest_and_methodology_name_files_by_hash(full_run: Path) -> None:
    root = full_run / "reports" / "unsafe"
    doc = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert doc["params_file"] == file_label(full_run / "unsafe.yml")
    assert doc["params"]["data"]["prices"] == file_label(full_run / "prices.csv")
    assert "executable" not in doc["platform"]
    assert "prices.csv;" in doc["units"]["ZZZZ"]["error"]
    assert (root / "site" / "downloads" / "manifest.json").read_bytes() == (
        root / "manifest.json"
    ).read_bytes()
    methodology = (root / "site" / "methodology.html").read_text(encoding="utf-8")
    assert f"User files: {file_label(full_run / 'prices.csv')};" in methodology


@pytest.mark.slow
def test_partial_rerun_manifest_lists_every_unit_with_this_run_markers(
    partial_run: Path,
) -> None:
    root = partial_run / "reports" / "unsafe"
    doc = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert list(doc["units"]) == ["AAPL", "MSFT", "ZZZZ"]
    units = doc["units"]
    assert (units["AAPL"]["this_run"], units["AAPL"]["status"]) == ("ok", "ok")
    assert (units["MSFT"]["this_run"], units["MSFT"]["status"]) == ("not selected", "ok")
    assert (units["ZZZZ"]["this_run"], units["ZZZZ"]["status"]) == ("not selected", "failed")
    assert units["AAPL"]["date"] == DAY2
    assert units["MSFT"]["date"] == units["ZZZZ"]["date"] == DAY1
    assert units["AAPL"]["finished"].startswith(DAY2)
    assert units["MSFT"]["finished"].startswith(DAY1)
    inv = doc["invocation"]
    assert inv["only"] == ["AAPL"] and inv["executed"] == ["AAPL"]
    assert inv["not_selected"] == ["MSFT", "ZZZZ"] and inv["date"] == doc["date"] == DAY2
    assert (root / "site" / "downloads" / "manifest.json").read_bytes() == (
        root / "manifest.json"
    ).read_bytes()
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="reports/MSFT.html"' in index and 'href="reports/ZZZZ.html"' in index


@pytest.mark.slow
def test_page_not_rerun_notes_its_own_report_date(partial_run: Path) -> None:
    paths = RunPaths(partial_run / "reports" / "unsafe")
    note = f"report date {DAY1}; index built {DAY2}"
    for slug in ("MSFT", "ZZZZ"):
        assert note in paths.page(slug).read_text(encoding="utf-8"), slug
    aapl = paths.page("AAPL").read_text(encoding="utf-8")
    assert "index built" not in aapl and DAY2 in aapl
