"""Both report kinds through a real Quarto, when one is on PATH.

Quarto is not a registry package: ``../shared/tools/quarto-assemble.sh`` builds one
offline. Without ``quarto`` on PATH these tests skip and say so; the built-in
renderer's path is tested everywhere else.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from analysis.report import commands

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("quarto") is None,
        reason="quarto is not on PATH (build one with ../shared/tools/quarto-assemble.sh)",
    ),
]


def test_forecast_kind_renders_with_quarto(tmp_path: Path) -> None:
    summary = commands.run(
        ROOT / "params" / "forecast_sample.yml",
        out=tmp_path,
        jobs=1,
        renderer="quarto",
        progress=False,
    )
    assert summary.exit_code == 0, summary.lines()
    assert summary.renderer == "quarto"
    root = tmp_path / "spy-sectors"
    site = root / "site"
    for name in ("index.html", "methodology.html", "reports/SPY.html", "downloads/forecasts.csv"):
        assert (site / name).exists(), name
    page = (site / "reports" / "SPY.html").read_text()
    assert "Out-of-sample forecasts" in page
    assert "cdn.plot.ly" not in page
    index = (site / "index.html").read_text()
    assert 'id="table-forecast"' in index
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(
            [pdftotext, str(root / "pdf" / "SPY.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for needle in ("Market geometry and regimes", "Strategies", "Regimes"):
            assert needle in text, needle


SMALL = """\
name: small
title: Two tickers
data: {source: sample}
market: ^GSPC
tickers: [JNJ, KO, ZZZZ]
models: [engineered]
start: 2015-01-01
end: 2016-12-31
rolling_window: 120
"""


def test_failed_unit_and_rerender_of_what_changed(tmp_path: Path) -> None:
    params = tmp_path / "small.yml"
    params.write_text(SMALL)
    summary = commands.run(params, out=tmp_path, jobs=2, renderer="quarto", progress=False)
    assert summary.exit_code == 3, summary.lines()  # ZZZZ is not in the sample data
    root = tmp_path / "small"
    record = json.loads((root / "state" / "quarto-render.json").read_text())
    assert record["rendered"] == ["JNJ", "KO", "ZZZZ"]
    # the failed unit: a short reason and the notebook's link, no traceback, no PDF
    page = (root / "site" / "reports" / "ZZZZ.html").read_text()
    assert "This report failed" in page and "../../notebooks/ZZZZ.ipynb" in page
    assert not (root / "pdf" / "ZZZZ.pdf").exists()
    assert not (root / "site" / "reports" / "ZZZZ.pdf").exists()
    for path in (root / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".css", ".js"):
            text = path.read_text(errors="replace")
            assert "Traceback" not in text and str(tmp_path) not in text, path
    jnj = (root / "site" / "reports" / "JNJ.html").stat().st_mtime_ns
    # a reviewer's note added to KO's executed notebook: only KO's page is rendered again
    nb = nbformat.read(root / "notebooks" / "KO.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Reviewed by the desk."))
    nbformat.write(nb, root / "notebooks" / "KO.ipynb")
    commands.render(params, out=tmp_path, renderer="quarto", progress=False)
    again = json.loads((root / "state" / "quarto-render.json").read_text())
    assert again["rendered"] == ["KO"]
    assert "Reviewed by the desk." in (root / "site" / "reports" / "KO.html").read_text()
    assert (root / "site" / "reports" / "JNJ.html").stat().st_mtime_ns == jnj
    assert (root / "pdf" / "JNJ.pdf").exists() and (root / "pdf" / "KO.pdf").exists()
    assert (root / "site" / "reports" / "JNJ.pdf").exists()
    assert not (root / ".quarto-stage").exists()
