"""The naive baseline both pipeline benchmarks measure against.

For each ticker, sequentially: the papermill CLI executes ``templates/exposure.ipynb``
into a notebook (a fresh kernel each time), then ``jupyter nbconvert --to html``
converts it. No PDF, no site: it does less work than the project does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def naive_baseline(params: Path, nb_dir: Path, tickers: list[str]) -> float:
    """Seconds the naive baseline takes for ``tickers`` (their data snapshot must exist)."""
    nb_dir.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(params, nb_dir)
    t0 = time.perf_counter()
    for t in tickers:
        dest = nb_dir / f"naive_{t}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(ROOT / "templates" / "exposure.ipynb"),
                str(dest),
                "-p",
                "params_file",
                rel,
                "-p",
                "ticker",
                t,
                "-p",
                "run_dir",
                "..",
                "--cwd",
                str(nb_dir),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(dest)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - t0
