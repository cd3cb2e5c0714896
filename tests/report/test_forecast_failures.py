"""Forecast runs with bad inputs: clear errors, isolated failures, nothing half-written.

Each run is tiny (two features, two models, a few hundred rows) and shared by
several tests through module-scoped fixtures, so the module stays well under
90 s on two cores.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.errors import DataError
from analysis.report import commands
from analysis.report.kinds.forecast import TABLES
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.runner import EXIT_PARTIAL, RunSummary

SMALL: dict[str, Any] = {
    "kind": "forecast",
    "title": "Forecast failure test",
    "models": ["ols", "ridge"],
    "alphas": {"min": 1.0e-4, "max": 10.0, "num": 5},
    "sizing": ["binary"],
}
"""Keys every run below shares (the cheapest models and sizing)."""


def write_params(folder: Path, name: str, **keys: Any) -> Path:
    path = folder / f"{name}.yml"
    doc = {**SMALL, "name": name, **keys}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def sample_params(folder: Path, name: str, **keys: Any) -> Path:
    """SPY from XLK and XLE, daily 2008-2009, from the bundled sample (about 500 rows)."""
    return write_params(
        folder,
        name,
        **{
            "data": {"source": "sample"},
            "start": "2008-01-01",
            "end": "2009-12-31",
            "targets": ["SPY"],
            "features": ["XLK", "XLE"],
            "walk_forward": {"min_train": 252, "refit_every": 63},
            "regimes": {"corr_window": 21, "ar_window": 63, "ar_long": 63, "markov": False},
            **keys,
        },
    )


def run(params: Path, out: Path) -> RunSummary:
    return commands.run(params, out=out, jobs=1, renderer="builtin", progress=False)


def by_unit(summary: RunSummary) -> dict[str, Any]:
    return {o.unit: o for o in summary.outcomes}


def assert_nothing_half_written(root: Path, units: list[str]) -> None:
    """No partial notebook is left, and every contract CSV parses with the contract columns."""
    assert not list(root.rglob("*.partial.ipynb"))
    assert not [p for p in root.rglob("*") if p.name.startswith(".") and p.is_file()], (
        "temporary files left behind"
    )
    for table in TABLES:
        frame = pd.read_csv(root / f"{table.name}.csv")
        assert tuple(frame.columns) == table.columns, table.name
        for unit in units:
            assert (frame["target"] == unit).any(), f"{table.name}.csv has no rows for {unit}"


# -- run-level data errors: no notebook runs ------------------------------------------


def test_unknown_feature_is_a_data_error_naming_file_key_and_series(tmp_path: Path) -> None:
    params = sample_params(tmp_path, "nofeature", features=["XLK", "XLZZ"])
    pattern = f"(?s)(?=.*{re.escape(str(params))})(?=.*'features')(?=.*XLZZ)"
    with pytest.raises(DataError, match=pattern):
        run(params, tmp_path / "reports")
    # no notebook was started for a run whose data could not be fetched
    assert not list((tmp_path / "reports").rglob("*.ipynb"))


def test_cli_turns_the_data_error_into_one_line_and_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = sample_params(tmp_path, "nofeature", features=["XLK", "XLZZ"])
    code = main(["run", str(params), "--out", str(tmp_path / "reports"), "--no-progress"])
    assert code == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ") and "XLZZ" in lines[0] and "'features'" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def write_prices(path: Path, columns: dict[str, np.ndarray], index: pd.DatetimeIndex) -> None:
    frame = pd.DataFrame(columns, index=index)
    frame.index.name = "date"
    frame.to_csv(path, float_format="%.6f")


def test_all_nan_feature_is_a_data_error_naming_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2015-01-01", periods=300)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 2)), axis=0))
    write_prices(
        tmp_path / "prices.csv",
        {"GOOD": prices[:, 0], "F1": prices[:, 1], "EMPTY": np.full(300, np.nan)},
        idx,
    )
    params = write_params(
        tmp_path,
        "emptyfeature",
        data={"source": "csv", "prices": "prices.csv"},
        targets=["GOOD"],
        features=["F1", "EMPTY"],
    )
    with pytest.raises(DataError, match=r"'features'.*EMPTY.*empty"):
        commands.fetch(params, out=tmp_path / "reports")


# -- an unknown target: the run goes on ----------------------------------------------


@pytest.fixture(scope="module")
def unknown_target(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunSummary, RunPaths]:
    folder = tmp_path_factory.mktemp("unknown_target")
    params = sample_params(folder, "badtarget", targets=["SPY", "NOPE"])
    summary = run(params, folder / "reports")
    return summary, RunPaths(folder / "reports" / "badtarget")


@pytest.mark.slow
def test_unknown_target_fails_alone(unknown_target: tuple[RunSummary, RunPaths]) -> None:
    summary, _ = unknown_target
    units = by_unit(summary)
    assert units["SPY"].status == "ok"
    assert units["NOPE"].status == "failed"
    # the source's reason, not a generic one
    assert "NOPE" in units["NOPE"].error and "not in the sample dataset" in units["NOPE"].error
    assert summary.exit_code == EXIT_PARTIAL == 3
    assert any(line.startswith("  FAILED  NOPE") for line in summary.lines())


@pytest.mark.slow
def test_unknown_target_is_listed_and_gets_no_pdf(
    unknown_target: tuple[RunSummary, RunPaths],
) -> None:
    _, paths = unknown_target
    index = (paths.site / "index.html").read_text(encoding="utf-8")
    failures = index[index.index('id="failures"') :]
    # a row of the "Failed targets" table: the target, then the source's reason
    assert re.search(
        r"<td[^>]*>NOPE</td>\s*<td[^>]*>[^<]*NOPE: not in the sample dataset", failures
    )
    assert not re.search(r"<td[^>]*>SPY</td>\s*<td[^>]*>[^<]*Error", failures)
    assert "reports/SPY.pdf" in index and "reports/NOPE.pdf" not in index
    assert paths.unit_pdf("SPY").exists()
    assert not paths.unit_pdf("NOPE").exists()
    assert paths.page("NOPE").exists()  # its page shows why


@pytest.mark.slow
def test_unknown_target_run_is_complete(unknown_target: tuple[RunSummary, RunPaths]) -> None:
    _, paths = unknown_target
    assert_nothing_half_written(paths.root, ["SPY"])
    for table in TABLES:
        frame = pd.read_csv(paths.root / f"{table.name}.csv")
        assert not (frame["target"] == "NOPE").any()


# -- csv data: too few rows, a non-converging Markov fit, a constant feature -----------

N_ROWS = 400
MIN_TRAIN = 150


@pytest.fixture(scope="module")
def csv_prices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random walks, a late-starting series and an almost constant one (seeded)."""
    folder = tmp_path_factory.mktemp("csv")
    rng = np.random.default_rng(20261121)
    idx = pd.bdate_range("2015-01-01", periods=N_ROWS)

    def walk(vol: float) -> np.ndarray:
        return 100 * np.exp(np.cumsum(rng.normal(0.0003, vol, N_ROWS)))

    short = walk(0.01)
    short[: N_ROWS - 60] = np.nan  # 60 prices: 59 returns, fewer than MIN_TRAIN
    # a price that moves once every 50 days: the Markov model's likelihood has no
    # interior optimum, so its fits fail while the linear models still run
    flat = np.full(N_ROWS, 100.0)
    flat[::50] = 100.01
    write_prices(
        folder / "prices.csv",
        {
            "GOOD": walk(0.01),
            "SHORT": short,
            "FLAT": flat,
            "F1": walk(0.01),
            "F2": walk(0.012),
            "CONST": np.full(N_ROWS, 50.0),
        },
        idx,
    )
    return folder


def csv_params(folder: Path, name: str, **keys: Any) -> Path:
    return write_params(
        folder,
        name,
        **{
            "data": {"source": "csv", "prices": str(folder / "prices.csv")},
            "walk_forward": {"min_train": MIN_TRAIN, "refit_every": 42},
            "regimes": {
                "corr_window": 20,
                "ar_window": 40,
                "ar_short": 5,
                "ar_long": 40,
                "markov": True,
                "markov_refit_every": 2,
            },
            **keys,
        },
    )


@pytest.fixture(scope="module")
def csv_run(csv_prices: Path) -> tuple[RunSummary, RunPaths]:
    params = csv_params(
        csv_prices, "csvrun", targets=["GOOD", "SHORT", "FLAT"], features=["F1", "F2"]
    )
    summary = run(params, csv_prices / "reports")
    return summary, RunPaths(csv_prices / "reports" / "csvrun")


@pytest.mark.slow
def test_too_few_rows_says_how_many_and_how_many_needed(
    csv_run: tuple[RunSummary, RunPaths],
) -> None:
    summary, paths = csv_run
    units = by_unit(summary)
    assert units["SHORT"].status == "failed"
    error = units["SHORT"].error
    # 60 prices -> 59 returns -> 58 rows with a lag-1 feature; min_train 150 needs 151
    assert re.search(r"\b58\b", error) and f"min_train = {MIN_TRAIN}" in error, error
    assert re.search(rf"\b{MIN_TRAIN + 1}\b", error), error
    assert not paths.unit_pdf("SHORT").exists()


@pytest.mark.slow
def test_markov_failure_makes_the_unit_partial_not_failed(
    csv_run: tuple[RunSummary, RunPaths],
) -> None:
    summary, paths = csv_run
    units = by_unit(summary)
    assert units["GOOD"].status == "ok"
    assert units["GOOD"].components["markov"] == "ok"
    flat = units["FLAT"]
    assert flat.status == "partial"
    assert flat.components["markov"] != "ok"
    assert "refit 0" in flat.components["markov"]
    # the linear models are unaffected by the Markov failure
    assert {k: v for k, v in flat.components.items() if k != "markov"}
    assert all(v == "ok" for k, v in flat.components.items() if k != "markov")
    assert any(line.startswith("  PARTIAL FLAT: markov:") for line in summary.lines())
    assert summary.exit_code == EXIT_PARTIAL
    assert paths.unit_pdf("FLAT").exists()


@pytest.mark.slow
def test_markov_failure_is_flagged_in_the_report(csv_run: tuple[RunSummary, RunPaths]) -> None:
    _, paths = csv_run
    nb = nbformat.read(paths.notebook("FLAT"), as_version=4)
    text = "\n".join(
        str(o.get("data", {}).get("text/markdown", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "Markov regimes flagged" in text
    assert "Markov regimes flagged" in paths.page("FLAT").read_text(encoding="utf-8")
    # and only there: a unit whose fits converged shows no such note
    assert "Markov regimes flagged" not in paths.page("GOOD").read_text(encoding="utf-8")


@pytest.mark.slow
def test_markov_failure_leaves_the_rows_in_every_table(
    csv_run: tuple[RunSummary, RunPaths],
) -> None:
    _, paths = csv_run
    assert_nothing_half_written(paths.root, ["GOOD", "FLAT"])
    regimes = pd.read_csv(paths.root / "regimes.csv")
    flat = regimes[regimes["target"] == "FLAT"]
    good = regimes[regimes["target"] == "GOOD"]
    # the failed refits leave NaN probabilities, never a filled-in value
    assert flat["markov_p_high"].isna().any()
    assert good["markov_p_high"].notna().any()
    for table in TABLES:
        frame = pd.read_csv(paths.root / f"{table.name}.csv")
        assert not (frame["target"] == "SHORT").any(), table.name


@pytest.fixture(scope="module")
def constant_feature_run(csv_prices: Path) -> tuple[RunSummary, RunPaths]:
    params = csv_params(
        csv_prices,
        "constfeature",
        targets=["GOOD"],
        features=["F1", "CONST"],
        regimes={"corr_window": 20, "ar_window": 40, "ar_short": 5, "ar_long": 40, "markov": False},
    )
    summary = run(params, csv_prices / "reports")
    return summary, RunPaths(csv_prices / "reports" / "constfeature")


@pytest.mark.slow
def test_constant_feature_fails_naming_it(
    constant_feature_run: tuple[RunSummary, RunPaths],
) -> None:
    summary, paths = constant_feature_run
    outcome = by_unit(summary)["GOOD"]
    assert outcome.status == "failed"
    assert "'CONST'" in outcome.error and "constant" in outcome.error, outcome.error
    assert summary.exit_code == 3  # the run completed; every unit failed, and the site says why
    assert not list(paths.root.rglob("*.partial.ipynb"))
    assert not paths.unit_pdf("GOOD").exists()
    index = (paths.site / "index.html").read_text(encoding="utf-8")
    failures = index[index.index('id="failures"') :]
    assert re.search(r"<td[^>]*>GOOD</td>\s*<td[^>]*>[^<]*&#39;CONST&#39; is constant", failures)
