"""``manifest.json``: what a run used and produced, for reviewers and reproducibility."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.data.cache import atomic_write_text
from analysis.report.pipeline.params import RunParams
from analysis.report.pipeline.paths import PROJECT_ROOT, RunPaths, build_date, library_hash
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import UnitOutcome

PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pyarrow",
    "yfinance",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "plotly",
    "matplotlib",
    "jinja2",
    "typst",
    "pypandoc_binary",
    "pydantic",
    "scikit-learn",
)


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(root: Path) -> dict[str, Any]:
    """Commit of the project checkout, and whether it had uncommitted changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return {"commit": sha, "dirty": bool(dirty)}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def write_manifest(
    paths: RunPaths,
    params: RunParams,
    params_file: Path,
    data: RunData,
    template: Path,
    *,
    renderer: str,
    seconds: Mapping[str, float],
    outcomes: Sequence[UnitOutcome],
    states: Sequence[UnitOutcome],
    extra: Mapping[str, Any],
) -> Path:
    """Write ``<run>/manifest.json`` atomically and return its path.

    ``outcomes`` are this run's units (``this_run``: ok, skipped ...), ``states``
    every unit's state file, which says how its current outputs were made.
    """
    state = {o.unit: o for o in states}
    doc = {
        "name": params.name,
        "kind": params.kind,
        "title": params.title,
        "date": build_date(),
        "params_file": str(params_file),
        "params": params.model_dump(mode="json"),
        "data": {
            "source": data.source,
            "hashes": data.hashes(),
            "failed": dict(data.failed),
            "first": str(data.prices.index.min().date()) if len(data.prices) else None,
            "last": str(data.prices.index.max().date()) if len(data.prices) else None,
        },
        "template": {
            "path": str(template.relative_to(PROJECT_ROOT)),
            "sha256": hashlib.sha256(template.read_bytes()).hexdigest(),
        },
        "library": {"version": __version__, "source_sha256": library_hash()},
        "git": git_commit(PROJECT_ROOT),
        "packages": package_versions(),
        "platform": {"system": platform.platform(), "executable": sys.executable},
        "renderer": renderer,
        "seconds": dict(seconds),
        "units": {o.unit: {**asdict(state.get(o.unit, o)), "this_run": o.status} for o in outcomes},
        **dict(extra),
    }
    path = paths.root / "manifest.json"
    atomic_write_text(path, json.dumps(doc, indent=2, default=str) + "\n")
    return path
