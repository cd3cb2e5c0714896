"""The exposure notebook runs alone, as a reviewer would run it: from the project root with
papermill and one parameter, on the bundled sample, without a prior fetch, and without
touching any run's tables unless pointed at that run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def papermill(out: Path, *params: str) -> None:
    cmd = [sys.executable, "-m", "papermill", "templates/exposure.ipynb", str(out), "-k", "python3"]
    subprocess.run([*cmd, *params], cwd=ROOT, check=True, capture_output=True, text=True)


def test_runs_alone_into_a_scratch_run_or_the_run_it_is_given(tmp_path: Path) -> None:
    papermill(tmp_path / "jpm.ipynb", "-p", "ticker", "JPM")
    nb = nbformat.read(tmp_path / "jpm.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "engineered model for JPM" in text and "Rolling OLS for JPM" in text
    scratch = ROOT / "reports" / ".notebook" / "sample"
    assert (scratch / "data").is_dir() and (scratch / "tables" / "JPM.fit.csv").exists()
    # pointed at a folder without a snapshot: the data is fetched and frozen there
    run = tmp_path / "run"
    papermill(tmp_path / "ko.ipynb", "-p", "ticker", "KO", "-p", "run_dir", str(run))
    assert (run / "data").is_dir() and (run / "tables" / "KO.fit.csv").exists()
    assert not (scratch / "tables" / "KO.fit.csv").exists()
