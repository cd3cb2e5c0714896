"""A run on user CSV files (prices and factors), with a custom factor model, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.data import fetch_factor_datasets, open_sources
from analysis.factors import build_design, get_model
from analysis.regression import fit_design

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("csv")
    prices, factors = open_sources("sample")
    px = prices.fetch_prices(["AAPL", "MSFT", "^GSPC"], "2009-06-01", "2016-12-31").prices
    px.to_csv(folder / "prices.csv", index_label="date", date_format="%Y-%m-%d")
    assert factors is not None
    ff = fetch_factor_datasets(factors, ("ff3", "mom"), "monthly")
    ff.loc["2009":"2016"].to_csv(folder / "factors.csv", index_label="date", date_format="%Y-%m-%d")
    (folder / "mine.yml").write_text(
        "name: mine\n"
        "title: My files\n"
        "data: {source: csv, prices: prices.csv, factors: factors.csv}\n"
        "market: ^GSPC\n"
        "tickers: [AAPL, MSFT]\n"
        "models:\n"
        "  - single_index\n"
        "  - {model: ff3, frequency: monthly, rolling_window: 36}\n"
        "  - {model: custom, factors: [SMB, HML, Mom], frequency: monthly, rolling_window: 36}\n"
        "start: 2010-01-01\nend: 2016-12-31\n"
    )
    return folder


def test_fetch_and_list(csv_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = csv_run / "reports"
    assert main(["fetch", str(csv_run / "mine.yml"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "data: csv, 3 series" in text and (out / "mine" / "data" / "data.json").exists()
    assert main(["list", str(csv_run), "--out", str(out)]) == 0
    assert "mine (exposure) [csv] 2 tickers; single_index, ff3, custom" in capsys.readouterr().out


def test_run_on_user_files(csv_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = csv_run / "reports"
    code = main(
        [
            "run",
            str(csv_run / "mine.yml"),
            "--out",
            str(out),
            "--renderer",
            "builtin",
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr()
    root = out / "mine"
    fit = pd.read_csv(root / "fit.csv")
    assert (fit["status"] == "ok").all() and len(fit) == 6
    exp = pd.read_csv(root / "exposures.csv")
    custom = exp[(exp.ticker == "AAPL") & (exp.model == "custom")].set_index("term")
    assert list(custom.index) == ["alpha", "SMB", "HML", "Mom"]
    # the custom model is a plain (not excess) return regression on the file's columns
    prices = pd.read_csv(csv_run / "prices.csv", index_col="date", parse_dates=True)
    factors = pd.read_csv(csv_run / "factors.csv", index_col="date", parse_dates=True)
    design = build_design(
        get_model("custom", ["SMB", "HML", "Mom"]),
        prices["AAPL"],
        frequency="monthly",
        factor_returns=factors,
        start=pd.Timestamp("2010-01-01"),
        end=pd.Timestamp("2016-12-31"),
    )
    ref = fit_design(design)
    assert custom.loc["HML", "estimate"] == pytest.approx(ref.params["HML"], rel=1e-9)
    assert (root / "pdf" / "MSFT.pdf").exists() and (root / "site" / "index.html").exists()
    assert "User files" in (root / "site" / "methodology.html").read_text()
