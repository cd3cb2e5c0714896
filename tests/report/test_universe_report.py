"""Universe tests in a small exposure run (five sample tickers, CAPM, FF3 and the single-index
model, monthly 2005-2016): universe.csv equals the library on designs rebuilt from the run's
snapshot; the index shows the tests (and says plainly what is not eligible); the universe PDF
has one page per model with the same numbers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis.factors import build_design
from analysis.regression.universe import (
    UNIVERSE_COLUMNS,
    FamaMacBethResult,
    GRSResult,
    common_sample,
    fama_macbeth,
    grs_test,
)
from analysis.report import commands
from analysis.report.kinds import load_params
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.snapshot import RunData
from tests.helpers import require_tool

pytestmark = pytest.mark.slow

EPOCH = "1763683200"  # 2025-11-21
TICKERS = ["AAPL", "MSFT", "JPM", "XOM", "JNJ"]
PARAMS = f"""\
name: universe
title: Universe tests on five sample tickers
data:
  source: sample
market: ^GSPC
tickers: [{", ".join(TICKERS)}]
models:
  - {{model: capm, frequency: monthly, rolling_window: 60}}
  - {{model: ff3, frequency: monthly, rolling_window: 60}}
  - {{model: single_index, frequency: monthly, rolling_window: 60}}
start: 2005-01-01
end: 2016-12-31
cov_type: HAC
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExposureParams, Path]:
    folder = tmp_path_factory.mktemp("universe")
    params_file = folder / "universe.yml"
    params_file.write_text(PARAMS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        summary = commands.run(
            params_file, out=folder / "runs", jobs=1, renderer="builtin", progress=False
        )
    assert summary.exit_code == 0, summary.lines
    params = load_params(params_file)
    assert isinstance(params, ExposureParams)
    return params, folder / "runs" / "universe"


def _library(
    params: ExposureParams, root: Path, model_id: str
) -> tuple[GRSResult | None, FamaMacBethResult]:
    """GRS and Fama-MacBeth recomputed from the snapshot with the library functions."""
    data = RunData.load(root / "data")
    m = next(m for m in params.resolved_models() if m.id == model_id)
    designs = {
        t: build_design(
            m.definition,
            data.prices[t].dropna(),
            frequency=m.frequency,
            market=data.prices[params.market].dropna(),
            factor_returns=data.factors.get(m.frequency),
            factor_window=params.factor_window,
            start=pd.Timestamp(params.start),
            end=pd.Timestamp(params.end),
        )
        for t in params.tickers
    }
    factors = designs[TICKERS[0]].X
    sample = common_sample({t: d.y for t, d in designs.items()}, factors)
    assert not sample.dropped
    grs = grs_test(sample.returns, sample.factors) if m.definition.excess else None
    betas = (
        grs.betas
        if grs is not None
        else pd.DataFrame(
            {
                t: np.linalg.lstsq(
                    np.column_stack([np.ones(len(sample.factors)), sample.factors]),
                    sample.returns[t],
                    rcond=None,
                )[0][1:]
                for t in sample.returns
            },
            index=sample.factors.columns,
        ).T
    )
    return grs, fama_macbeth(sample.returns, betas)


def test_universe_csv_equals_the_library(run: tuple[ExposureParams, Path]) -> None:
    params, root = run
    csv = pd.read_csv(root / "universe.csv", keep_default_na=False, na_values=[""])
    assert list(csv.columns) == list(UNIVERSE_COLUMNS)
    assert set(csv["model"]) == {"capm", "ff3", "single_index"}
    for model in ("capm", "ff3"):
        grs, fm = _library(params, root, model)
        rows = csv[csv["model"] == model].set_index(["test", "term"])
        g = rows.loc[("GRS", "alpha")]
        assert g["statistic"] == pytest.approx(grs.statistic, rel=1e-9)
        assert g["p_value"] == pytest.approx(grs.p_value, rel=1e-9)
        assert (g["n_assets"], g["n_periods"]) == (5, grs.n_periods)
        assert (g["start"], g["end"]) == (f"{grs.start:%Y-%m-%d}", f"{grs.end:%Y-%m-%d}")
        for term, r in fm.premia.iterrows():
            got = rows.loc[("Fama-MacBeth premium", term)]
            assert got["statistic"] == pytest.approx(r["premium"], rel=1e-9)
            assert got["p_value"] == pytest.approx(r["p_value"], rel=1e-9)
            got_t = rows.loc[("Fama-MacBeth t", term)]
            assert got_t["statistic"] == pytest.approx(r["t_stat"], rel=1e-9)
    # the single-index model: no GRS (raw returns), Fama-MacBeth on its market betas
    rows = csv[csv["model"] == "single_index"].set_index(["test", "term"])
    assert np.isnan(rows.loc[("GRS", "alpha"), "statistic"])
    assert "not in excess of the risk-free rate" in rows.loc[("GRS", "alpha"), "note"]
    _, fm = _library(params, root, "single_index")
    assert rows.loc[("Fama-MacBeth premium", "market"), "statistic"] == pytest.approx(
        fm.premia.loc["market", "premium"], rel=1e-9
    )
    site_copy = root / "site" / "downloads" / "universe.csv"
    assert site_copy.read_bytes() == (root / "universe.csv").read_bytes()


def test_index_shows_the_universe_tests(run: tuple[ExposureParams, Path]) -> None:
    _, root = run
    soup = BeautifulSoup((root / "site" / "index.html").read_text(encoding="utf-8"), "lxml")
    section = soup.find(id="universe-tests")
    assert section is not None and section.h2.get_text() == "Universe tests"
    csv = pd.read_csv(root / "universe.csv", keep_default_na=False, na_values=[""])
    grs = csv[csv["test"] == "GRS"].set_index("model")
    rows = {
        tr.td.get_text(" ", strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in section.find(id="table-universe-grs").tbody.find_all("tr")
    }
    capm = rows["CAPM (monthly)"]
    assert capm[1] == f"{grs.loc['capm', 'statistic']:.3f}"
    assert capm[4:6] == ["5", str(grs.loc["capm", "n_periods"])]
    assert capm[6] == f"{grs.loc['capm', 'start']} to {grs.loc['capm', 'end']}"
    single = rows["Single-index market model (monthly)"]
    assert single[1] == "—"
    assert single[-1] == "Not eligible: its returns are not in excess of the risk-free rate."
    fm = section.find(id="table-fm-ff3")
    terms = [tr.td.get_text() for tr in fm.tbody.find_all("tr")]
    assert terms == ["constant", "Mkt-RF", "SMB", "HML"]
    links = {a.get_text(): a["href"] for a in section.find_all("a")}
    assert links["Universe PDF"] == "downloads/_universe.pdf"
    assert (root / "site" / links["Universe PDF"]).exists()
    assert (root / "site" / links["universe.csv"]).exists()
    method = (root / "site" / "methodology.html").read_text(encoding="utf-8")
    assert 'id="universe-tests"' in method and "Gibbons, Ross" in method


def _pdf_pages(path: Path) -> list[str]:
    require_tool("pdftotext")
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    pages = [" ".join(p.split()).replace("\u2212", "-") for p in out.stdout.split("\f")]
    return [p for p in pages if p]


def test_universe_pdf_has_a_page_per_model_with_its_numbers(
    run: tuple[ExposureParams, Path],
) -> None:
    _, root = run
    pages = _pdf_pages(root / "site" / "downloads" / "_universe.pdf")
    csv = pd.read_csv(root / "universe.csv", keep_default_na=False, na_values=[""])
    grs = csv[csv["test"] == "GRS"].set_index("model")
    assert len(pages) == 3
    capm, ff3, single = pages
    assert "Universe tests" in capm and "CAPM (monthly)" in capm
    assert f"GRS F(5, 138) = {grs.loc['capm', 'statistic']:.3f}, p = " in capm  # T-N-K
    assert "Fama-French 3-factor (monthly)" in ff3
    assert f"GRS F(5, 136) = {grs.loc['ff3', 'statistic']:.3f}, p = " in ff3
    assert all(t in ff3 for t in TICKERS) and "Fama-MacBeth" in ff3
    assert "Not eligible: its returns are not in excess of the risk-free rate." in single
    fm = csv[(csv["model"] == "ff3") & csv["test"].str.startswith("Fama-MacBeth")]
    smb = fm[fm["term"] == "SMB"].set_index("test")["statistic"]
    row = re.search(r"SMB (-?[\d.]+)% (-?[\d.]+) ", ff3)
    assert row is not None, ff3
    assert row.groups() == (
        f"{smb['Fama-MacBeth premium']:.3%}"[:-1],
        f"{smb['Fama-MacBeth t']:.2f}",
    )
    assert "Fama-MacBeth risk premia" in single and "market" in single


def test_universe_pdf_is_kept_in_the_run_pdf_folder(run: tuple[ExposureParams, Path]) -> None:
    _, root = run
    assert (root / "pdf" / "_universe.pdf").exists()
