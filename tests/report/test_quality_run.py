"""Data-quality findings end to end: a one-day price glitch warns by default (the report, the
PDF and quality.csv say so) and fails the ticker when the params ask."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import commands
from tests.helpers import require_tool

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "files" / "prices.csv"
PARAMS = """\
name: {name}
title: Glitch
data: {{source: csv, prices: prices.csv}}
market: ^GSPC
tickers: [AAPL, MSFT]
models: [engineered]
start: 2020-01-02
end: 2020-03-31
factor_window: 10
rolling_window: 20
data_quality: {{on_finding: {action}}}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quality")
    px = pd.read_csv(FIXTURE, index_col="date")
    px.loc[px.index[30], "MSFT"] *= 1e6  # a vendor glitch for one day
    px.to_csv(folder / "prices.csv")
    return folder


def run(folder: Path, action: str) -> tuple[int, Path, dict[str, str]]:
    name = f"glitch-{action}"
    params = folder / f"{name}.yml"
    params.write_text(PARAMS.format(name=name, action=action))
    s = commands.run(params, out=folder / "reports", jobs=1, renderer="builtin", progress=False)
    return s.exit_code, folder / "reports" / name, {o.unit: o.status for o in s.outcomes}


def test_a_finding_warns_by_default(folder: Path) -> None:
    code, root, status = run(folder, "warn")
    assert code == 0 and status == {"AAPL": "ok", "MSFT": "ok"}
    q = pd.read_csv(root / "quality.csv")
    assert list(q.columns) == ["ticker", "series", "check", "start", "end", "value", "detail"]
    assert set(q.ticker) == {"MSFT"} and list(q.check) == ["jump", "jump"]
    assert q.value.abs().min() > 13  # log(1e6)
    page = (root / "site" / "reports" / "MSFT.html").read_text()
    assert "Data quality: 2 warnings" in page
    assert "Data quality: no findings" in (root / "site" / "reports" / "AAPL.html").read_text()
    index = (root / "site" / "index.html").read_text()
    assert ">ok, 2 warnings<" in index and "data quality: log return +13.8" in index
    manifest = json.loads((root / "manifest.json").read_text())["data_quality"]
    assert manifest["rules"]["on_finding"] == "warn" and list(manifest["findings"]) == ["MSFT"]
    assert len(manifest["findings"]["MSFT"]) == 2
    exe = require_tool("pdftotext")
    text = subprocess.run(
        [exe, str(root / "pdf" / "MSFT.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Data quality: 2 warnings" in text and "log return +13.8" in text


def test_a_finding_fails_the_ticker_when_asked(folder: Path) -> None:
    code, root, status = run(folder, "fail")
    assert code == 3 and status == {"AAPL": "ok", "MSFT": "failed"}
    fit = pd.read_csv(root / "fit.csv")
    assert set(fit[fit.ticker == "MSFT"].status) == {"failed"}
    index = (root / "site" / "index.html").read_text()
    assert "DataQualityError" in index and "data quality" in index
    shutil.rmtree(root / "data")  # nothing else to check; keep the tmp folder small
