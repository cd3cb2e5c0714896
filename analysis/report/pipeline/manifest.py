"""``manifest.json``: what a run used and produced, for reviewers and reproducibility.

The manifest is published (``site/downloads/manifest.json`` is a copy), so it
names the user's files by file name and content hash (:func:`.public.file_label`)
and holds no absolute path of the machine that made it: every string goes
through :func:`.public.public_text`.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.data.cache import atomic_write_text
from analysis.report.pipeline.params import RunParams
from analysis.report.pipeline.paths import PROJECT_ROOT, RunPaths, build_date, library_hash
from analysis.report.pipeline.public import file_label, public_text
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import UnitOutcome, now_iso

NOT_SELECTED = "not selected"
"""``this_run`` of a unit an ``--only`` invocation left out: its entry is its earlier state."""
EXECUTED = ("ok", "partial", "failed")
"""``this_run`` of a unit whose notebook this invocation executed."""

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


def public_params(params: RunParams) -> dict[str, Any]:
    """The params as JSON, each data file as ``"<name> (sha256 <hash>)"`` instead of its path."""
    doc: dict[str, Any] = params.model_dump(mode="json")
    data = params.data
    for key in type(data).model_fields:
        value = getattr(data, key)
        if isinstance(value, Path):
            doc["data"][key] = file_label(value)
    return doc


def public_json(value: Any) -> Any:
    """``value`` (JSON-like) with every string through :func:`.public.public_text`."""
    if isinstance(value, str):
        return public_text(value)
    if isinstance(value, Mapping):
        return {k: public_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [public_json(v) for v in value]
    return value


def unit_entries(
    outcomes: Sequence[UnitOutcome], states: Sequence[UnitOutcome], command: str
) -> dict[str, dict[str, Any]]:
    """Every unit's state, with ``this_run``: what this invocation did to it.

    ``ok``/``partial``/``failed`` (executed now), ``skipped`` (unchanged),
    ``rendered`` (``factor-report render``) or :data:`NOT_SELECTED` (left out
    by ``--only``: ``status``, ``date`` and ``finished`` are from its last run).
    """
    now = {o.unit: o for o in outcomes}
    out = {}
    for state in states:
        this = now.get(state.unit)
        if this is None:
            this_run = NOT_SELECTED
        elif command == "render":
            this_run = "rendered"
        else:
            this_run = this.status
        out[state.unit] = {**asdict(state), "this_run": this_run}
    return out


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
    command: str = "run",
    only: Sequence[str] | None = None,
) -> Path:
    """Write ``<run>/manifest.json`` atomically and return its path.

    ``outcomes`` are the units this invocation covered, ``states`` every unit's
    state file, which says how its current outputs were made: ``units`` lists
    every unit of the run (see :func:`unit_entries`) and ``invocation`` says
    what this ``command`` (run, execute, render) did and when, and its
    ``--only`` selection. The document is public (see the module docstring).
    """
    units = unit_entries(outcomes, states, command)
    doc = {
        "name": params.name,
        "kind": params.kind,
        "title": params.title,
        "date": build_date(),
        "params_file": file_label(params_file),
        "params": public_params(params),
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
        "platform": {"system": platform.platform()},
        "renderer": renderer,
        "seconds": dict(seconds),
        "invocation": {
            "command": command,
            "date": build_date(),
            "finished": now_iso(),
            "only": None if only is None else list(only),
            "executed": [u for u, e in units.items() if e["this_run"] in EXECUTED],
            "skipped": [u for u, e in units.items() if e["this_run"] == "skipped"],
            "not_selected": [u for u, e in units.items() if e["this_run"] == NOT_SELECTED],
        },
        "units": units,
        **dict(extra),
    }
    path = paths.root / "manifest.json"
    text = json.dumps(public_json(json.loads(json.dumps(doc, default=str))), indent=2)
    atomic_write_text(path, text + "\n")
    return path
