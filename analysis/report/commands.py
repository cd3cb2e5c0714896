"""The pipeline's commands for a params file of any kind (what the CLI calls).

Each reads the params file, picks its kind (:mod:`analysis.report.kinds`) and
hands both to :mod:`analysis.report.pipeline.runner`; :func:`verify` reads a run
folder instead, whose manifest names its kind and params.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.report import kinds
from analysis.report.pipeline import runner
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.verify import VerifyResult
from analysis.report.pipeline.verify import verify as verify_run


def run(params_file: str | Path, **options: Any) -> runner.RunSummary:
    """Fetch, execute every unit's notebook, render site and PDFs (see :func:`runner.run`)."""
    kind, params = kinds.load(params_file)
    return runner.run(kind, params, params_file, **options)


def render(params_file: str | Path, **options: Any) -> runner.RunSummary:
    """Render site and PDFs again from the executed notebooks (see :func:`runner.render`)."""
    kind, params = kinds.load(params_file)
    return runner.render(kind, params, params_file, **options)


def fetch(
    params_file: str | Path, *, out: str | Path = "reports", refresh: bool = False
) -> tuple[RunPaths, RunData]:
    """Fetch a run's data and freeze it in ``<run>/data`` (see :func:`runner.fetch`)."""
    kind, params = kinds.load(params_file)
    return runner.fetch(kind, params, params_file, out=out, refresh=refresh)


def verify(run_folder: str | Path, **options: Any) -> VerifyResult:
    """Re-execute a run folder from its frozen data and compare (see :func:`verify.verify`)."""
    return verify_run(run_folder, kinds.KINDS, **options)
