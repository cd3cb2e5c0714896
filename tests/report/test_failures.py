"""Failure isolation, interrupted runs, and the CLI's promised errors."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.cli import main
from analysis.report import commands as runner
from analysis.report.pipeline import runner as runner_mod
from analysis.report.pipeline.execute import partial_path
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.runner import EXIT_PARTIAL, RunSummary

pytestmark = pytest.mark.slow

MIXED = """\
name: mixed
title: Mixed <b>outcomes</b> & failures
data: {source: sample}
market: ^GSPC
tickers: [JNJ, ZZZZ]
models:
  - engineered
  - {model: capm, frequency: monthly, rolling_window: 24}
start: 2015-06-01
end: 2016-12-31
rolling_window: 120
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunSummary, Path]:
    folder = tmp_path_factory.mktemp("mixed")
    params = folder / "mixed.yml"
    params.write_text(MIXED)
    summary = runner.run(params, out=folder / "reports", jobs=2, renderer="builtin", progress=False)
    return summary, folder / "reports" / "mixed"


def test_one_failing_ticker_does_not_stop_the_others(
    mixed: tuple[RunSummary, Path],
) -> None:
    summary, _ = mixed
    by = {o.unit: o for o in summary.outcomes}
    # ZZZZ is not in the bundled data: failed, with the source's reason
    assert by["ZZZZ"].status == "failed"
    assert "ZZZZ" in (by["ZZZZ"].error or "") and "UnknownTickerError" in (by["ZZZZ"].error or "")
    # JNJ: 18 monthly observations are too few for CAPM, the daily model still runs
    assert by["JNJ"].status == "partial"
    assert by["JNJ"].components["engineered"] == "ok"
    assert "at least 30" in by["JNJ"].components["capm"]
    assert summary.exit_code == EXIT_PARTIAL
    text = "\n".join(summary.lines())
    assert "FAILED  ZZZZ" in text and "PARTIAL JNJ" in text


def test_failed_ticker_keeps_its_notebook_and_is_listed(
    mixed: tuple[RunSummary, Path],
) -> None:
    _, root = mixed
    nb = nbformat.read(root / "notebooks" / "ZZZZ.ipynb", as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors and errors[0].ename == "UnknownTickerError"
    assert (root / "site" / "reports" / "ZZZZ.html").exists()
    assert not (root / "pdf" / "ZZZZ.pdf").exists()
    assert (root / "pdf" / "JNJ.pdf").exists()
    fit = pd.read_csv(root / "fit.csv")
    assert fit.loc[fit.ticker == "ZZZZ", "status"].tolist() == ["failed", "failed"]
    assert fit.set_index(["ticker", "model"]).loc[("JNJ", "capm"), "status"] == "failed"
    exp = pd.read_csv(root / "exposures.csv")
    assert set(exp.ticker) == {"JNJ"} and set(exp.model) == {"engineered"}
    index = (root / "site" / "index.html").read_text()
    assert 'id="failures"' in index and "ZZZZ" in index
    # params text is escaped, never injected as markup
    assert "Mixed &lt;b&gt;outcomes&lt;/b&gt; &amp; failures" in index
    assert "<b>outcomes</b>" not in index
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["units"]["ZZZZ"]["status"] == "failed"


def test_interrupted_run_resumes(tmp_path: Path) -> None:
    """kill -9 in the middle of a run: nothing half-written; the next run completes it."""
    params = tmp_path / "p.yml"
    params.write_text(
        MIXED.replace("[JNJ, ZZZZ]", "[JNJ, KO, PG, WMT, HD]")
        .replace("name: mixed", "name: resume")
        .replace("start: 2015-06-01", "start: 2012-01-01")
    )
    out = tmp_path / "reports"
    root = out / "resume"
    cmd = [
        sys.executable,
        "-m",
        "analysis.cli",
        "run",
        str(params),
        "--out",
        str(out),
        "--no-progress",
    ]
    log = tmp_path / "run.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, start_new_session=True, stdout=sink, stderr=sink)
    deadline = time.monotonic() + 180
    try:
        # wait until the first ticker is complete and a later one is executing
        # (four tickers remain after the first: a window of several seconds)
        while time.monotonic() < deadline:
            if (root / "state" / "JNJ.json").exists() and list(
                (root / "notebooks").glob(".*.partial.ipynb")
            ):
                break
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it could be interrupted:\n{log.read_text()}")
            time.sleep(0.02)
        else:
            pytest.fail("the run never reached the second ticker")
    finally:
        with contextlib.suppress(ProcessLookupError):  # (it may have ended on its own)
            os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernels
        proc.wait()
    interrupted = [
        t
        for t in ("KO", "PG", "WMT", "HD")
        if partial_path(root / "notebooks" / f"{t}.ipynb").exists()
    ]
    assert interrupted, "the kill did not land during a notebook"
    for ticker in interrupted:  # never under its final name half-done, and not marked done
        assert not (root / "notebooks" / f"{ticker}.ipynb").exists()
        assert not (root / "state" / f"{ticker}.json").exists()
    for nb in (root / "notebooks").glob("*.ipynb"):
        if not nb.name.startswith("."):
            nbformat.read(nb, as_version=4)  # every finished notebook is complete JSON
    assert not list(root.rglob("*.tmp"))  # atomic writes leave no temp files at final paths

    summary = runner.run(params, out=out, jobs=1, renderer="builtin", progress=False)
    statuses = {o.unit: o.status for o in summary.outcomes}
    assert statuses["JNJ"] == "skipped"  # finished before the kill
    for ticker in interrupted:
        assert statuses[ticker] in ("ok", "partial")  # completed by the second run
    assert set(statuses.values()) <= {"ok", "partial", "skipped"}
    assert not list(root.rglob(".*.partial.ipynb"))
    fit = pd.read_csv(root / "fit.csv")
    assert sorted(fit.ticker.unique()) == ["HD", "JNJ", "KO", "PG", "WMT"]
    assert (root / "site" / "index.html").exists()
    assert all((root / "pdf" / f"{t}.pdf").exists() for t in ("JNJ", "KO", "PG", "WMT", "HD"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ntitle: [oops\n", "malformed YAML at line 3"),
        ("name: x\ntitle: t\nmarket: ^GSPC\ntickers: [A]\nmodels: [ff7]\n", "unknown model 'ff7'"),
        (
            "name: x\ntitle: t\nmarket: ^GSPC\ntickers: [A]\nmodels: [capm]\nwindow: 5\n",
            "'window' is not a known key",
        ),
    ],
)
def test_cli_bad_params_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    params = tmp_path / "bad.yml"
    params.write_text(text)
    code = main(["run", str(params), "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_cli_missing_file_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "none.yml")]) == 2
    assert "params file not found" in capsys.readouterr().err
    for cmd in ("run", "execute", "render", "fetch", "list"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: factor-report" in capsys.readouterr().out


def test_cli_data_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Daily Fama-French factors are not bundled: the run stops before any notebook, clearly."""
    params = tmp_path / "daily.yml"
    params.write_text(
        "name: daily\ntitle: t\nmarket: ^GSPC\ntickers: [AAPL]\nmodels: [ff3]\n"
        "start: 2010-01-01\nend: 2012-12-31\n"
    )
    assert main(["run", str(params), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "monthly" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_failed_ticker_page_never_links_a_missing_pdf(
    mixed: tuple[RunSummary, Path], tmp_path: Path
) -> None:
    """A ticker can fail without an error output in its notebook (a timeout, say):
    its page must not link a PDF, because none is made."""
    _, root = mixed
    paths = RunPaths(tmp_path / "run")
    paths.notebooks.mkdir(parents=True)
    shutil.copyfile(root / "notebooks" / "JNJ.ipynb", paths.notebook("JNJ"))  # no error output
    seconds = runner_mod.render_unit(paths, "JNJ", "failed", "t")
    assert "pdf" not in seconds and not paths.unit_pdf("JNJ").exists()
    assert "JNJ.pdf" not in paths.page("JNJ").read_text()
    runner_mod.render_unit(paths, "JNJ", "partial", "t")
    assert paths.unit_pdf("JNJ").exists() and "JNJ.pdf" in paths.page("JNJ").read_text()
