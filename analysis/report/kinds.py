"""Report kinds: a kind is a notebook template plus the params schema it accepts.

The pipeline (data snapshot, papermill per unit, renderers, site, manifest)
is shared; a new kind (regime forecasting, strategy backtest ...) registers
its schema and template here and reuses the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import ParamsError
from analysis.report.params import ExposureParams, RunParams


@dataclass(frozen=True)
class ReportKind:
    """A report kind.

    Attributes
    ----------
    name
        Value of the ``kind`` key in params files.
    schema
        Pydantic model validating the params file.
    template
        Notebook file name under ``templates/``.
    description
        One line for ``factor-report list``.
    """

    name: str
    schema: type[RunParams]
    template: str
    description: str


KINDS: dict[str, ReportKind] = {
    "exposure": ReportKind(
        "exposure",
        ExposureParams,
        "exposure.ipynb",
        "factor exposures per ticker: betas, alpha, R², rolling betas, diagnostics",
    ),
}


def get_kind(name: object, *, source: str = "params") -> ReportKind:
    """The registered kind called ``name``; the error names ``source`` and the allowed kinds."""
    if not isinstance(name, str) or name not in KINDS:
        raise ParamsError(f"{source}: 'kind' must be one of {', '.join(KINDS)}, got {name!r}")
    return KINDS[name]
