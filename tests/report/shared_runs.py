"""The offline sample runs that several end-to-end test modules read, made once per session.

Each function runs its params files the first time any test (in any xdist worker)
asks for them, and returns the folder that holds the runs; later callers reuse it
(:func:`tests.helpers.run_once`). All use the built-in renderer and the same
``SOURCE_DATE_EPOCH``, so the outputs are reproducible and dated 2025-11-21.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from analysis.report import commands
from analysis.report.pipeline.paths import library_hash
from tests.helpers import run_once

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1763683200"  # SOURCE_DATE_EPOCH for 2025-11-21

EXPOSURE_SAMPLE = ROOT / "params" / "sample.yml"
FORECAST_SAMPLE = ROOT / "params" / "forecast_sample.yml"
FORECAST_INDUSTRIES = ROOT / "params" / "forecast_industries.yml"
STRATEGY_SAMPLE = ROOT / "params" / "strategy_sample.yml"
STRATEGY_INDUSTRIES = ROOT / "params" / "strategy_industries.yml"
STRATEGY_ONLY = {STRATEGY_SAMPLE: ["composite", "ridge", "lightgbm"], STRATEGY_INDUSTRIES: None}
"""Models run per strategy params file (None: all); three of the sample's six keep CI time down."""


def exposure_runs(factory: Any) -> Path:
    """``params/sample.yml`` (two jobs); ``summary.json`` holds the outcomes."""

    def run(out: Path) -> dict[str, Any]:
        summary = commands.run(EXPOSURE_SAMPLE, out=out, jobs=2, renderer="builtin", progress=False)
        return {
            "exit_code": summary.exit_code,
            "outcomes": [asdict(o) for o in summary.outcomes],
            "lines": summary.lines(),
        }

    return run_once(factory, "sample-run", run, epoch=EPOCH)


def forecast_runs(factory: Any) -> Path:
    """Both offline forecast params files (one job each)."""

    def run(folder: Path) -> dict[str, Any]:
        codes = {}
        for p in (FORECAST_SAMPLE, FORECAST_INDUSTRIES):
            s = commands.run(p, out=folder, jobs=1, renderer="builtin", progress=False)
            codes[s.name] = {"exit": s.exit_code, "lines": s.lines()}
        return codes

    return run_once(factory, "forecast-runs", run, epoch=EPOCH)


def strategy_runs(factory: Any) -> Path:
    """Both offline strategy params files (the models of :data:`STRATEGY_ONLY`)."""

    def run(folder: Path) -> dict[str, Any]:
        codes: dict[str, Any] = {"library": library_hash()}
        for p, only in STRATEGY_ONLY.items():
            s = commands.run(p, out=folder, jobs=2, renderer="builtin", progress=False, only=only)
            codes[s.name] = {
                "exit": s.exit_code,
                "lines": s.lines(),
                "status": {o.unit: o.status for o in s.outcomes},
            }
        return codes

    return run_once(factory, "strategy-runs", run, epoch=EPOCH)
