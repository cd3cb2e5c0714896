"""``--executor dask`` on a LocalCluster of two workers: same outputs, isolation, resume."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.report import commands as runner
from analysis.report.pipeline.runner import EXIT_PARTIAL, RunSummary

pytestmark = pytest.mark.slow

PARAMS = """\
name: d
title: Dask run
data: {source: sample}
market: ^GSPC
tickers: [KO, PG, ZZZZ, WMT]
models: [single_index, {model: capm, frequency: monthly, rolling_window: 36}]
start: 2010-01-01
end: 2014-12-31
rolling_window: 126
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary, Path]:
    folder = tmp_path_factory.mktemp("dask")
    params = folder / "d.yml"
    params.write_text(PARAMS)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1763683200")
    try:
        local = runner.run(params, out=folder / "local", jobs=2, renderer="builtin", progress=False)
        dask = runner.run(
            params,
            out=folder / "dask",
            jobs=2,
            executor="dask",
            renderer="builtin",
            progress=False,
        )
    finally:
        mp.undo()
    assert [o.status for o in local.outcomes] == ["ok", "ok", "failed", "ok"]
    return params, dask, folder


def test_dask_outputs_equal_local_outputs(runs: tuple[Path, RunSummary, Path]) -> None:
    _, summary, folder = runs
    assert [o.status for o in summary.outcomes] == ["ok", "ok", "failed", "ok"]
    assert summary.exit_code == EXIT_PARTIAL
    for name in (
        "exposures.csv",
        "fit.csv",
        "rolling/KO__single_index.csv",
        "notebooks/PG.ipynb",
        "pdf/WMT.pdf",
        "site/reports/KO.html",
    ):
        local = (folder / "local" / "d" / name).read_bytes()
        assert (folder / "dask" / "d" / name).read_bytes() == local, name


def test_dask_isolates_the_failing_ticker(runs: tuple[Path, RunSummary, Path]) -> None:
    _, summary, folder = runs
    bad = next(o for o in summary.outcomes if o.unit == "ZZZZ")
    assert "UnknownTickerError" in (bad.error or "")
    fit = pd.read_csv(folder / "dask" / "d" / "fit.csv")
    assert set(fit.loc[fit.status == "ok", "ticker"]) == {"KO", "PG", "WMT"}
    assert "ZZZZ" in (folder / "dask" / "d" / "site" / "index.html").read_text()


def test_dask_resumes_through_the_cli(
    runs: tuple[Path, RunSummary, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params, _, folder = runs
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763683200")
    (folder / "dask" / "d" / "state" / "PG.json").unlink()  # as if PG had been interrupted
    code = main(
        [
            "run",
            str(params),
            "--out",
            str(folder / "dask"),
            "--executor",
            "dask",
            "--jobs",
            "2",
            "--no-progress",
            "--renderer",
            "builtin",
        ]
    )
    out = capsys.readouterr().out
    assert code == EXIT_PARTIAL
    assert "2 unchanged (skipped)" in out  # KO and WMT; PG re-run, ZZZZ retried
    assert "FAILED  ZZZZ" in out
