"""The Quarto path: command line, ``_quarto.yml``, the staged project, and collecting its output.

Quarto itself cannot be installed here (see the README); the project's Quarto
path is checked against a real Quarto elsewhere. These tests pin down what the
project hands to Quarto, following ``shared/QUARTO-NOTES.md`` (observed with
Quarto 1.7.34) and Quarto's documentation, and test the code that collects
Quarto's output with a stand-in executable that writes the layout Quarto
writes for this project shape (NOTES item 1).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from analysis.report import commands as runner
from analysis.report.kinds import KINDS, load_params
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline import render_quarto, site
from analysis.report.pipeline import runner as runner_mod
from analysis.report.pipeline.execute import read_front_matter
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.site import SiteInputs
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import ordered_all

ROOT = Path(__file__).resolve().parents[2]


def test_command_line_renders_without_executing(tmp_path: Path) -> None:
    cmd = render_quarto.quarto_command(tmp_path / "stage")
    assert cmd == ["quarto", "render", str(tmp_path / "stage"), "--no-execute"]
    assert (
        render_quarto.quarto_command(tmp_path, "/opt/quarto/bin/quarto")[0]
        == "/opt/quarto/bin/quarto"
    )


def test_root_quarto_yml_is_a_website_that_never_executes() -> None:
    cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert cfg["project"]["type"] == "website"
    assert cfg["project"]["output-dir"] == "_site"
    assert set(cfg["project"]["render"]) == {"index.qmd", "methodology.qmd", "reports/*.ipynb"}
    assert {"assets/", "downloads/"} <= set(cfg["project"]["resources"])
    assert cfg["execute"]["enabled"] is False
    # HTML for the whole site; typst (PDF) only for ticker pages, via reports/_metadata.yml
    assert set(cfg["format"]) == {"html"}
    hrefs = [item["href"] for item in cfg["website"]["navbar"]["left"]]
    assert hrefs == ["index.qmd", "methodology.qmd"]


def test_reports_metadata_adds_typst_and_relative_plotly() -> None:
    meta = yaml.safe_load((ROOT / "templates" / "quarto" / "reports_metadata.yml").read_text())
    assert set(meta["format"]) == {"html", "typst"}
    header = meta["format"]["html"]["include-in-header"]["text"]
    assert 'src="../assets/plotly.min.js"' in header and "http" not in header
    typst = meta["format"]["typst"]
    assert typst["papersize"] == "a4" and typst["echo"] is False


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExposureParams, Path]:
    """A small executed run (two tickers, one failing) to stage."""
    folder = tmp_path_factory.mktemp("q")
    params_file = folder / "q.yml"
    params_file.write_text(
        "name: q\ntitle: Quarto stage\ndata: {source: sample}\nmarket: ^GSPC\n"
        "tickers: [JNJ, ZZZZ]\nmodels: [single_index]\nfrequency: weekly\n"
        "start: 2012-01-01\nend: 2015-12-31\nrolling_window: 52\n"
    )
    runner.run(params_file, out=folder / "reports", execute_only=True, progress=False)
    p = load_params(params_file)
    assert isinstance(p, ExposureParams)
    return p, folder / "reports" / "q"


def _stage(params: ExposureParams, root: Path, stage: Path) -> None:
    paths = RunPaths(root)
    inputs = SiteInputs(
        KINDS["exposure"],
        params,
        paths,
        RunData.load(paths.data),
        {
            "exposures": pd.read_csv(root / "exposures.csv"),
            "fit": pd.read_csv(root / "fit.csv"),
        },
        ordered_all(paths, params.slugs, {}),
        "2026-01-02",
    )
    render_quarto.stage_project(site.quarto_site(inputs), stage)


@pytest.mark.slow
def test_staged_project_has_quartos_shape(
    executed: tuple[ExposureParams, Path], tmp_path: Path
) -> None:
    params, root = executed
    stage = tmp_path / "stage"
    _stage(params, root, stage)
    cfg = yaml.safe_load((stage / "_quarto.yml").read_text())
    assert cfg["website"]["title"] == "Quarto stage"
    assert cfg["project"] == yaml.safe_load((ROOT / "_quarto.yml").read_text())["project"]
    for name in (
        "index.qmd",
        "methodology.qmd",
        "reports/_metadata.yml",
        "reports/JNJ.ipynb",
        "reports/ZZZZ.ipynb",
        "assets/plotly.min.js",
        "assets/site.css",
        "downloads/exposures.csv",
        "downloads/rolling.zip",
    ):
        assert (stage / name).exists(), name
    # the page's title and metadata come from the notebook's first raw cell (NOTES item 2)
    nb = nbformat.read(stage / "reports" / "JNJ.ipynb", as_version=4)
    assert read_front_matter(nb)["title"] == "JNJ — factor exposures"
    index = (stage / "index.qmd").read_text()
    front = yaml.safe_load(index.split("---")[1])
    assert front["page-layout"] == "full" and "listing" not in front
    assert "```{=html}" in index and 'href="reports/JNJ.html"' in index
    assert 'src="assets/plotly.min.js"' in front["include-in-header"]["text"]
    # each code cell keeps its source (shown folded) and is followed by a Markdown cell
    # holding its outputs: headings at top level (so they are in the TOC, NOTES item 7),
    # raw HTML for the page (no text/html output, so Quarto loads no require.js/jQuery from
    # a CDN, item 8), and the PDF's rendition in a typst-only div: each figure's PNG as a
    # numbered figure with its caption, each table as a simple table whose caption is
    # labelled for numbering (items 10-11)
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^## Summary$", markdown, re.MULTILINE)
    assert "```{=html}\n<!--| quarto-html-table-processing: none -->" in markdown
    assert '<div class="report-figure">' in markdown
    typst = re.findall(r'::: \{\.content-visible when-format="typst"\}\n(.*?)\n:::', markdown, re.S)
    figures = [b for b in typst if b.startswith("![")]
    assert figures and all("](JNJ_figures/figure-" in b for b in figures)
    assert all(
        (stage / "reports" / re.search(r"\]\((JNJ_figures/[^)]+)\)", b)[1]).exists()
        for b in figures
    )
    assert any(re.search(r"^: .+ \{#tbl-jnj-1\}$", b, re.MULTILINE) for b in typst)
    for name in (
        "_partials/typst-template.typ",
        "_partials/typst-show.typ",
        "_partials/title-block.html",
        "assets/quarto.css",
        "assets/theme.scss",
    ):
        assert (stage / name).exists(), name
    # a failed unit's page: the short reason and a link to the notebook, no traceback
    failed = nbformat.read(stage / "reports" / "ZZZZ.ipynb", as_version=4)
    text = "\n".join(c.source for c in failed.cells)
    assert "This report failed" in text and "../../notebooks/ZZZZ.ipynb" in text
    assert read_front_matter(failed)["error"].startswith("UnknownTickerError")
    for path in stage.rglob("*"):
        if path.suffix in (".qmd", ".ipynb", ".yml"):
            text = path.read_text()
            assert "cdn.plot.ly" not in text and "cdn.jsdelivr" not in text, path
            assert str(ROOT) not in text and str(root) not in text, f"absolute path in {path}"
            assert "Traceback" not in text, path


FAKE_QUARTO = r"""
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "render" and args[2] == "--no-execute", args
stage = Path(args[1])
site = stage / "_site"
(site / "reports").mkdir(parents=True)
for name in ("index", "methodology"):
    (site / f"{name}.html").write_text(f"<html>{name}</html>")
for nb in (stage / "reports").glob("*.ipynb"):
    (site / "reports" / f"{nb.stem}.html").write_text("<html>page</html>")
    (site / "reports" / f"{nb.stem}.pdf").write_bytes(b"%PDF-1.7 stand-in")
for folder in ("assets", "downloads"):
    shutil.copytree(stage / folder, site / folder)
"""


@pytest.mark.slow
def test_render_run_collects_site_and_pdfs(
    executed: tuple[ExposureParams, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, root = executed
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(f"#!{sys.executable}\n{FAKE_QUARTO}")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    (root / "site").mkdir(exist_ok=True)
    (root / "site" / "stale.html").write_text("old")
    assert runner_mod.choose_renderer("auto") == "quarto"
    summary = runner.render(root.parent.parent / "q.yml", out=root.parent, progress=False)
    assert summary.renderer == "quarto"
    assert (root / "site" / "index.html").read_text() == "<html>index</html>"
    assert not (root / "site" / "stale.html").exists()  # the old site was replaced whole
    assert (root / "pdf" / "JNJ.pdf").read_bytes().startswith(b"%PDF")
    assert not (root / "pdf" / "ZZZZ.pdf").exists()  # failed tickers get no PDF
    assert not (root / ".quarto-stage").exists()
    assert (root / "site" / "downloads" / "manifest.json").exists()


def test_quarto_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception, match="--renderer quarto: 'quarto' is not on PATH"):
        monkeypatch.setenv("PATH", str(tmp_path))
        runner_mod.choose_renderer("quarto")


def test_only_changed_pages_are_rendered_again(tmp_path: Path) -> None:
    stage, site = tmp_path / "stage", tmp_path / "site"
    (stage / "reports" / "A_figures").mkdir(parents=True)
    (stage / "_quarto.yml").write_text("project: {}")
    for slug in ("A", "B"):
        (stage / "reports" / f"{slug}.ipynb").write_text(f"{{{slug}}}")
    (stage / "reports" / "A_figures" / "figure-001.png").write_bytes(b"png")
    (site / "reports").mkdir(parents=True)
    (site / "site_libs").mkdir()
    for name in ("index.html", "reports/A.html", "reports/B.html"):
        (site / name).write_text("page")
    first = render_quarto.stage_digests(stage, ["A", "B"], "1.7.34")
    assert render_quarto.pages_to_render({}, first, site) == ["A", "B"]
    assert render_quarto.pages_to_render(first, first, site) == []
    # a page's own notebook or figure changed: that page only
    (stage / "reports" / "A_figures" / "figure-001.png").write_bytes(b"png2")
    second = render_quarto.stage_digests(stage, ["A", "B"], "1.7.34")
    assert render_quarto.pages_to_render(first, second, site) == ["A"]
    # shared inputs, another Quarto, a missing page or a site Quarto did not make: all / that one
    (stage / "_quarto.yml").write_text("project: {render: []}")
    third = render_quarto.stage_digests(stage, ["A", "B"], "1.7.34")
    assert render_quarto.pages_to_render(second, third, site) == ["A", "B"]
    assert render_quarto.pages_to_render(third, {**third, "quarto": "1.8"}, site) == ["A", "B"]
    (site / "reports" / "B.html").unlink()
    assert render_quarto.pages_to_render(third, third, site) == ["B"]
    (site / "site_libs").rmdir()
    assert render_quarto.pages_to_render(third, third, site) == ["A", "B"]
