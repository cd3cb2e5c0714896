"""The report kinds, and the params loader that picks a kind's schema.

A kind is a :class:`~analysis.report.pipeline.kind.ReportKind`: a notebook
template plus the params schema it accepts, its units, its data, its contract
tables and its sections of the site. The pipeline is shared; a new kind
(a cross-sectional strategy, say) adds a package here and registers it in
:data:`KINDS`, without touching :mod:`analysis.report.pipeline`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from analysis.errors import ParamsError
from analysis.report.kinds.exposure import ExposureKind
from analysis.report.kinds.forecast import ForecastKind
from analysis.report.kinds.strategy import StrategyKind
from analysis.report.pipeline.kind import ReportKind
from analysis.report.pipeline.params import RunParams, read_params_doc, validate_params

KINDS: dict[str, ReportKind] = {k.name: k for k in (ExposureKind(), ForecastKind(), StrategyKind())}
"""Every registered kind, by the value of ``kind:`` in params files."""


def get_kind(name: object, *, source: str = "params") -> ReportKind:
    """The registered kind called ``name``; the error names ``source`` and the allowed kinds."""
    if not isinstance(name, str) or name not in KINDS:
        raise ParamsError(f"{source}: 'kind' must be one of {', '.join(KINDS)}, got {name!r}")
    return KINDS[name]


def load_params(path: str | Path) -> RunParams:
    """Read and validate a params file with the schema of its ``kind`` (default ``exposure``).

    Raises
    ------
    ParamsError
        For a missing file, malformed YAML (with line and column), a
        document that is not a mapping, an unknown kind, or any schema
        violation; the message lists every problem, one per line.
    """
    doc = read_params_doc(path)
    kind = get_kind(doc.get("kind", "exposure"), source=str(path))
    return validate_params(path, {**doc, "kind": kind.name}, kind.schema)


def load(path: str | Path) -> tuple[ReportKind, RunParams]:
    """The kind and the validated params of a params file."""
    params = load_params(path)
    return KINDS[params.kind], params


def preload() -> None:
    """Import every kind's notebook module (a warm kernel does this once, before any notebook)."""
    for kind in KINDS.values():
        for module in kind.preload:
            importlib.import_module(module)
