"""Both report kinds through a real Quarto, when one is on PATH.

Quarto is not a registry package: ``../shared/tools/quarto-assemble.sh`` builds one
offline. Without ``quarto`` on PATH these tests skip and say so; the built-in
renderer's path is tested everywhere else.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
