"""``factor-report verify``: a run re-executed from its frozen snapshot reproduces its tables."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.report import commands
from analysis.report.kinds import KINDS
from analysis.report.pipeline.verify import compare_csv, source_date

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1763683200"  # 2025-11-21, the date of the published runs
OTHER_EPOCH = "1704067200"  # 2024-01-01, the date of the reviewer's shell

SMALL = """\
name: small
title: Small
data: {source: sample}
market: ^GSPC
tickers: [AAPL, JNJ]
models:
  - engineered
  - {model: capm, frequency: monthly, rolling_window: 24}
start: 2012-01-01
end: 2016-12-31
rolling_window: 120
"""

MINE = """\
name: mine
title: My file
data: {source: csv, prices: prices.csv}
market: ^GSPC
tickers: [AAPL, MSFT]
models: [single_index]
rolling_window: 20
"""


def _execute(params: Path, out: Path) -> Path:
    """Execute ``params`` (dated ``EPOCH``, no rendering: verify reads only tables) into ``out``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        summary = commands.run(params, out=out, jobs=1, execute_only=True, progress=False)
    assert summary.exit_code == 0, summary.lines()
    return summary.root


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("verify")
    (folder / "small.yml").write_text(SMALL)
    return _execute(folder / "small.yml", folder / "reports")


@pytest.fixture
def run_copy(small_run: Path, tmp_path: Path) -> Path:
    """A copy of the small run that a test may tamper with."""
    return Path(shutil.copytree(small_run, tmp_path / "small"))


def _forbid_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on any fetch of any kind fails the test: verify reads the frozen snapshot only."""

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("verify fetched data")

    for kind in KINDS.values():
        monkeypatch.setattr(type(kind), "fetch", boom)


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _tables(run: Path) -> list[str]:
    kind = json.loads((run / "manifest.json").read_text())["kind"]
    return [f"{t.name}.csv" for t in KINDS[kind].tables]


def _hash_keys(run: Path) -> list[str]:
    return list(json.loads((run / "manifest.json").read_text())["data"]["hashes"])


# ------------------------------------------------------------------ end to end


@pytest.mark.slow
def test_a_run_verifies_without_touching_it(
    small_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", OTHER_EPOCH)
    before = _files(small_run)
    _forbid_fetch(monkeypatch)
    code = main(["verify", str(small_run), "--keep", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    for table in _tables(small_run):
        assert re.search(rf"^{re.escape(table)}: same \(\d+ rows\)$", out, re.M), out
    for key in _hash_keys(small_run):
        assert re.search(rf"^data {key}: same ", out, re.M), out
    assert "reproduced: every table and data hash is the same" in out
    assert _files(small_run) == before  # nothing in the run folder changed
    # the re-execution is dated like the original, not like the reviewer's day,
    # and the reviewer's SOURCE_DATE_EPOCH is back afterwards
    match = re.search(r"^re-execution kept in (.+)$", out, re.M)
    assert match, out
    kept = Path(match.group(1))
    try:
        redone = json.loads((kept / "reports" / "small" / "manifest.json").read_text())
        assert redone["date"] == json.loads((small_run / "manifest.json").read_text())["date"]
        assert redone["date"] == "2025-11-21"
    finally:
        shutil.rmtree(kept)
    assert os.environ["SOURCE_DATE_EPOCH"] == OTHER_EPOCH


@pytest.mark.slow
def test_a_tampered_table_is_named_with_its_line(
    run_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = tmp_path / "scratch"  # where verify's temporary folder goes
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    fit = run_copy / "fit.csv"
    lines = fit.read_text().splitlines(keepends=True)
    original = lines[2].rstrip("\n")
    # one digit of the second data row (line 3), the last one of its numbers
    i = max(j for j, ch in enumerate(original) if ch.isdigit())
    tampered = original[:i] + str((int(original[i]) + 1) % 10) + original[i + 1 :]
    lines[2] = tampered + "\n"
    fit.write_text("".join(lines))
    code = main(["verify", str(run_copy), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1, out
    rows = len(lines) - 1
    assert f"fit.csv: differs at line 3 (published {rows} rows, re-executed {rows} rows)" in out
    assert f"published:   {tampered}" in out and f"re-executed: {original}" in out
    for table in set(_tables(run_copy)) - {"fit.csv"}:
        assert f"{table}: same" in out
    assert "NOT reproduced: 1 of" in out
    assert not list(scratch.iterdir())  # the temporary folder is gone without --keep


@pytest.mark.slow
def test_a_tampered_snapshot_is_a_hash_mismatch(
    run_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_fetch(monkeypatch)
    recorded = json.loads((run_copy / "manifest.json").read_text())["data"]["hashes"]["prices"]
    path = run_copy / "data" / "prices.parquet"
    prices = pd.read_parquet(path)
    prices.iloc[10, 0] *= 1.01
    prices.to_parquet(path)
    code = main(["verify", str(run_copy), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert re.search(
        rf"^data prices: hash mismatch: manifest sha256 {recorded[:12]}, snapshot sha256 "
        r"[0-9a-f]{12}$",
        out,
        re.M,
    ), out
    for table in _tables(run_copy):
        assert f"{table}: not compared" in out


@pytest.mark.slow
def test_a_csv_source_run_verifies_without_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "tests" / "fixtures" / "files" / "prices.csv", tmp_path / "prices.csv")
    (tmp_path / "mine.yml").write_text(MINE)
    run = _execute(tmp_path / "mine.yml", tmp_path / "reports")
    label = json.loads((run / "manifest.json").read_text())["params"]["data"]["prices"]
    assert label.startswith("prices.csv (sha256 ")
    (tmp_path / "prices.csv").unlink()  # the snapshot is all the re-execution may read
    _forbid_fetch(monkeypatch)
    code = main(["verify", str(run), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    for table in _tables(run):
        assert f"{table}: same" in out


@pytest.mark.slow
def test_a_forecast_run_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _execute(ROOT / "params" / "forecast_sample.yml", tmp_path / "reports")
    _forbid_fetch(monkeypatch)
    code = main(["verify", str(run), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert _tables(run) and all(f"{t}: same" in out for t in _tables(run))


@pytest.mark.slow
def test_what_is_not_a_complete_run_folder_is_a_usage_error(
    run_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["verify", str(empty)]) == 2
    err = capsys.readouterr().err
    assert str(empty) in err and "not a run folder: no manifest.json" in err

    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    assert f"{tmp_path / 'nowhere'}: does not exist" in capsys.readouterr().err

    (run_copy / "fit.csv").unlink()
    (run_copy / "data" / "data.json").unlink()
    assert main(["verify", str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert str(run_copy) in err and "fit.csv" in err and "data/data.json" in err

    assert main(["verify", str(run_copy), "--jobs", "0"]) == 2


# ------------------------------------------------------------------ the pieces


def test_compare_csv_says_where_two_tables_differ(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y\n1,2\n3,4\n")
    b.write_text("x,y\n1,2\n3,4\n")
    same = compare_csv("t.csv", a, b)
    assert same.same and same.summary == "same (2 rows)"

    b.write_text("x,y\n1,2\n3,5\n5,6\n")
    diff = compare_csv("t.csv", a, b)
    assert not diff.same
    assert diff.summary == "differs at line 3 (published 2 rows, re-executed 3 rows)"
    assert diff.details == ("published:   3,4", "re-executed: 3,5")

    b.write_text("x,y\n1,2\n3,4\n5,6\n")  # one more row
    extra = compare_csv("t.csv", a, b)
    assert extra.summary.startswith("differs at line 4")
    assert extra.details == ("published:   (no such line)", "re-executed: 5,6")

    b.write_bytes(b"x,y\n1,2\r\n3,4\n")  # only a line ending differs: shown as repr
    crlf = compare_csv("t.csv", a, b)
    assert crlf.details == ("published:   '1,2\\n'", "re-executed: '1,2\\r\\n'")

    assert not compare_csv("t.csv", a, tmp_path / "missing.csv").same


def test_source_date_sets_and_restores_the_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.report.pipeline.paths import build_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with source_date("2025-11-21"):
        assert os.environ["SOURCE_DATE_EPOCH"] == EPOCH and build_date() == "2025-11-21"
    assert "SOURCE_DATE_EPOCH" not in os.environ
    monkeypatch.setenv("SOURCE_DATE_EPOCH", OTHER_EPOCH)
    with source_date("2016-02-29"):
        assert build_date() == "2016-02-29"
    assert os.environ["SOURCE_DATE_EPOCH"] == OTHER_EPOCH
