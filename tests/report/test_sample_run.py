"""End to end on params/sample.yml: outputs, numbers, PDFs, and the site in real Chromium.

The run happens once per module (about a minute with two jobs). CI runs this
module; it is never skipped there (tests.helpers.require_tool fails in CI).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.factors import build_design
from analysis.regression import fit_design, rolling_ols
from analysis.report import commands as runner
from analysis.report.kinds import load_params
from analysis.report.kinds.exposure import EXPOSURE_COLUMNS, FIT_COLUMNS, STABILITY_TABLE_COLUMNS
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.display import fmt_sig
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import UnitOutcome
from tests.helpers import CHROMIUM_FLAGS, require_tool, watch_page
from tests.report import shared_runs

ROOT = Path(__file__).resolve().parents[2]
PARAMS = shared_runs.EXPOSURE_SAMPLE
EPOCH = shared_runs.EPOCH

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class RunRecord:
    """What the sample run returned, as shared between test workers."""

    exit_code: int
    outcomes: list[UnitOutcome]
    lines: list[str]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunRecord, Path]:
    """Run params/sample.yml once per test session, even with several xdist workers.

    Workers share the parent of their base temp folder; the first one to take
    the lock runs the sample, the others wait and reuse its outputs.
    """

    out = shared_runs.exposure_runs(tmp_path_factory)
    record = out / "summary.json"
    doc = json.loads(record.read_text())
    outcomes = [UnitOutcome(**o) for o in doc["outcomes"]]
    return RunRecord(doc["exit_code"], outcomes, doc["lines"]), out / "sample"


@pytest.fixture(scope="module")
def params() -> ExposureParams:
    p = load_params(PARAMS)
    assert isinstance(p, ExposureParams)
    return p


def test_every_ticker_succeeds(sample: tuple[RunRecord, Path], params: ExposureParams) -> None:
    summary, root = sample
    assert summary.exit_code == 0, summary.lines
    assert [o.status for o in summary.outcomes] == ["ok"] * len(params.tickers)
    for t in params.tickers:
        assert (root / "notebooks" / f"{t}.ipynb").exists()
        assert (root / "pdf" / f"{t}.pdf").exists()
        assert (root / "site" / "reports" / f"{t}.html").exists()
        assert (root / "site" / "reports" / f"{t}.pdf").exists()
        for m in params.resolved_models():
            assert (root / "rolling" / f"{t}__{m.id}.csv").exists()
    for name in ("index.html", "methodology.html", "assets/plotly.min.js", "downloads/rolling.zip"):
        assert (root / "site" / name).exists(), name
    assert not list(root.rglob(".*.partial.ipynb"))
    assert "Site: " in "\n".join(summary.lines)


def test_csv_contracts(sample: tuple[RunRecord, Path], params: ExposureParams) -> None:
    _, root = sample
    exp = pd.read_csv(root / "exposures.csv")
    fit = pd.read_csv(root / "fit.csv")
    assert list(exp.columns) == list(EXPOSURE_COLUMNS)
    assert list(fit.columns) == list(FIT_COLUMNS)
    n_terms = sum(len(m.definition.terms) for m in params.resolved_models())
    assert len(exp) == len(params.tickers) * n_terms
    assert len(fit) == len(params.tickers) * len(params.resolved_models())
    assert (fit["status"] == "ok").all()
    rolling = pd.read_csv(root / "rolling" / "AAPL__carhart.csv")
    assert list(rolling.columns) == ["date", "alpha", "Mkt-RF", "SMB", "HML", "Mom"]


@pytest.mark.parametrize("ticker", ["AAPL", "XOM"])
def test_numbers_equal_the_library(
    sample: tuple[RunRecord, Path], params: ExposureParams, ticker: str
) -> None:
    """Recompute every model with the library directly from the run's data snapshot."""
    _, root = sample
    data = RunData.load(root / "data")
    exp = pd.read_csv(root / "exposures.csv").set_index(["ticker", "model", "term"]).sort_index()
    fit = pd.read_csv(root / "fit.csv").set_index(["ticker", "model"])
    for m in params.resolved_models():
        design = build_design(
            m.definition,
            data.prices[ticker].dropna(),
            frequency=m.frequency,
            market=data.prices[params.market].dropna(),
            factor_returns=data.factors.get(m.frequency),
            factor_window=params.factor_window,
            start=pd.Timestamp(params.start),
            end=pd.Timestamp(params.end),
        )
        res = fit_design(design, cov_type=params.cov_type)
        table = res.to_frame().set_index("term")
        got = exp.loc[(ticker, m.id)].reindex(table.index)
        for col in ("estimate", "std_error", "t_stat", "p_value", "ci_low", "ci_high"):
            np.testing.assert_allclose(got[col], table[col], rtol=1e-9, atol=1e-14, err_msg=col)
        assert fit.loc[(ticker, m.id), "r_squared"] == pytest.approx(res.rsquared, rel=1e-9)
        assert fit.loc[(ticker, m.id), "nobs"] == res.nobs
        roll = rolling_ols(
            design.y,
            design.X,
            m.rolling_window,
            cov_type=params.rolling_cov_type,
            center=design.centered,  # the engineered characteristics, within each window
        )
        csv = pd.read_csv(root / "rolling" / f"{ticker}__{m.id}.csv", parse_dates=["date"])
        ref = roll.to_frame()
        assert len(csv) == len(ref)
        np.testing.assert_allclose(csv.drop(columns="date"), ref.drop(columns="date"), rtol=1e-9)


def test_manifest(sample: tuple[RunRecord, Path], params: ExposureParams) -> None:
    _, root = sample
    doc = json.loads((root / "manifest.json").read_text())
    data = RunData.load(root / "data")
    assert doc["data"]["hashes"] == data.hashes()
    assert doc["date"] == "2025-11-21"
    assert doc["params"]["tickers"] == list(params.tickers)
    assert doc["template"]["path"] == "templates/exposure.ipynb"
    assert len(doc["template"]["sha256"]) == 64
    assert doc["packages"]["statsmodels"] and doc["packages"]["papermill"]
    assert "commit" in doc["git"]
    assert set(doc["units"]) == set(params.tickers)
    aapl = doc["units"]["AAPL"]
    assert aapl["status"] == "ok" and aapl["seconds"]["execute"] > 0 and aapl["cell_seconds"]


def _pdftotext(path: Path) -> str:
    require_tool("pdftotext")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split()).replace("\u2212", "-")


def test_pdf_text_and_charts(sample: tuple[RunRecord, Path]) -> None:
    _, root = sample
    pdf = root / "pdf" / "AAPL.pdf"
    text = _pdftotext(pdf)
    assert "AAPL" in text and "factor exposures" in text
    assert "2025-11-21" in text  # report date
    assert "2004-06-25 to 2016-12-30" in text  # data range
    exp = pd.read_csv(root / "exposures.csv").set_index(["ticker", "model", "term"])
    for model, term in (("carhart", "Mkt-RF"), ("engineered", "market"), ("ff3", "HML")):
        beta = exp.loc[("AAPL", model, term), "estimate"]
        assert fmt_sig(4)(beta) in text, (model, term, beta)  # four significant digits
    # the charts are vector (SVG, text kept as text): every chart's title is text in the PDF
    nb = nbformat.read(root / "notebooks" / "AAPL.ipynb", as_version=4)
    titles = [
        o.metadata["image/svg+xml"]["alt"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/svg+xml" in o.get("data", {})
    ]
    assert len(titles) >= 20  # every chart of the four models
    missing = [t for t in titles if " ".join(t.split()).replace("\u2212", "-") not in text]
    assert missing == []


def test_notebooks_are_complete_and_titled(sample: tuple[RunRecord, Path]) -> None:
    _, root = sample
    nb = nbformat.read(root / "notebooks" / "MSFT.ipynb", as_version=4)
    assert nb.cells[0].cell_type == "raw" and "title: MSFT — factor exposures" in nb.cells[0].source
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    htmls = [o for o in svgs if "Plotly.newPlot" in o["data"].get("text/html", "")]
    assert len(svgs) >= 20 and len(htmls) == len(svgs)  # every figure carries both renditions
    # the static rendition keeps its text as text, in the font the PDF embeds
    assert all("DejaVu Sans" in "".join(o["data"]["image/svg+xml"]) for o in svgs)
    assert not [o for o in outputs if "image/png" in o.get("data", {})]


def test_rerun_skips_unchanged_tickers(sample: tuple[RunRecord, Path]) -> None:
    _, root = sample
    before = (root / "exposures.csv").read_bytes()
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    try:
        again = runner.run(PARAMS, out=root.parent, jobs=1, renderer="builtin", progress=False)
    finally:
        mp.undo()
    assert {o.status for o in again.outcomes} == {"skipped"}
    assert again.exit_code == 0
    assert (root / "exposures.csv").read_bytes() == before


def test_forced_rerun_is_byte_identical(sample: tuple[RunRecord, Path]) -> None:
    _, root = sample
    files = [
        root / "notebooks" / "KO.ipynb",
        root / "pdf" / "KO.pdf",
        root / "site" / "reports" / "KO.html",
        root / "rolling" / "KO__engineered.csv",
    ]
    before = {f: f.read_bytes() for f in files}
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    try:
        again = runner.run(
            PARAMS,
            out=root.parent,
            jobs=1,
            renderer="builtin",
            progress=False,
            force=True,
            only=["KO"],
        )
    finally:
        mp.undo()
    assert [o.status for o in again.outcomes] == ["ok"]
    for f, content in before.items():
        assert f.read_bytes() == content, f"{f.name} differs after a forced re-run"


# --------------------------------------------------------------------------- browser


def _links_resolve(page_file: Path, html: str) -> list[str]:
    """Every local href/src of a page points to an existing file; returns the broken ones."""
    broken = []
    for ref in re.findall(r'(?:href|src)="([^"#]+)', html):
        if ref.startswith(("http://", "https://", "//")):
            broken.append(f"absolute URL {ref}")
            continue
        if ref.startswith(("data:", "mailto:")):
            continue
        target = (page_file.parent / unquote(urlparse(ref).path)).resolve()
        if not target.exists():
            broken.append(ref)
    return broken


def test_site_in_chromium(sample: tuple[RunRecord, Path], params: ExposureParams) -> None:
    chromium = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    site = sample[1] / "site"
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = watch_page(page)

        page.goto((site / "index.html").as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3")
        rows = page.locator("#table-engineered tbody tr")
        assert rows.count() == len(params.tickers)
        first = rows.nth(0).locator("td").nth(0).inner_text()
        page.locator("#table-engineered th", has_text="β market").click()
        page.locator("#table-engineered th", has_text="β market").click()
        cells = page.locator("#table-engineered tbody tr td:nth-child(2)").all_inner_texts()
        # each beta carries its significance stars (from exposures.csv's p-values)
        values = [float(c.replace("\u2212", "-").rstrip("*")) for c in cells]
        assert any(c.endswith("***") for c in cells)  # AAPL's market beta, p < 0.0001
        assert values == sorted(values) or values == sorted(values, reverse=True)
        assert rows.nth(0).locator("td").nth(0).inner_text() != first or len(set(values)) == 1
        page.screenshot(path=str(site.parent / "index.png"), full_page=False)

        page.goto((site / "reports" / "AAPL.html").as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 20", timeout=30000
        )
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')).filter("
            "d => d.querySelector('.main-svg') && d.getBoundingClientRect().height > 50).length"
        )
        figures = page.evaluate("document.querySelectorAll('.report-figure').length")
        assert drawn == figures and drawn >= 20
        assert page.locator("table.report-table").count() >= 10
        assert "AAPL — factor exposures" in page.title()

        page.goto((site / "methodology.html").as_uri())
        assert page.locator("math").count() > 5  # MathML rendered natively, no script
        browser.close()
    assert problems == []
    for name in ("index.html", "methodology.html", "reports/AAPL.html"):
        f = site / name
        assert _links_resolve(f, f.read_text()) == [], name


def test_stability_tests_rolling_errors_and_index_flags(
    sample: tuple[RunRecord, Path], params: ExposureParams
) -> None:
    """stability.csv: two CUSUMs and a Chow test per break date, for every ticker and model;
    the Chow F equals statsmodels' F test of the model interacted with an after-the-date
    dummy; rolling/*_se.csv are the rolling standard errors; the index marks exactly the
    rejected ticker-model pairs "ok, unstable"."""
    _, root = sample
    st = pd.read_csv(root / "stability.csv", keep_default_na=False, na_values=[""])
    assert tuple(st.columns) == STABILITY_TABLE_COLUMNS
    models = params.resolved_models()
    assert params.break_dates  # the sample lists one
    assert len(st) == len(params.tickers) * len(models) * (2 + len(params.break_dates))
    data = RunData.load(root / "data")
    m = next(x for x in models if x.id == "capm")
    design = build_design(
        m.definition,
        data.prices["JPM"].dropna(),
        frequency=m.frequency,
        factor_returns=data.factors.get(m.frequency),
        start=pd.Timestamp(params.start),
        end=pd.Timestamp(params.end),
    )
    after = (design.y.index >= pd.Timestamp(params.break_dates[0])).astype(float)
    Z = sm.add_constant(design.X)
    full = pd.concat([Z, Z.mul(after, axis=0).add_suffix("_after")], axis=1)
    f, p, _ = sm.OLS(design.y, full).fit().compare_f_test(sm.OLS(design.y, Z).fit())
    chow = st[(st.ticker == "JPM") & (st.model == "capm") & (st.test == "Chow")].iloc[0]
    assert chow.statistic == pytest.approx(f, rel=1e-8)
    assert chow.p_value == pytest.approx(p, rel=1e-6)
    # rolling standard errors beside the estimates, same dates and terms
    roll = rolling_ols(design.y, design.X, m.rolling_window, cov_type=params.rolling_cov_type)
    se = pd.read_csv(root / "rolling" / "JPM__capm_se.csv", parse_dates=["date"])
    ref = roll.std_errors.loc[roll.params.notna().any(axis=1)]
    np.testing.assert_allclose(se.drop(columns="date"), ref, rtol=1e-9)
    assert list(se["date"]) == list(ref.index)
    # the index flags exactly the pairs with a rejection
    rejected = st[st.reject_5pct.astype(str) == "True"][["ticker", "model"]].drop_duplicates()
    index = (root / "site" / "index.html").read_text()
    assert index.count(">ok, unstable<") == len(rejected) > 0
