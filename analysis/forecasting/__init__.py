"""Walk-forward forecasting: the design rows, the splitter, the linear models."""

from analysis.forecasting.design import ForecastRows, build_rows
from analysis.forecasting.models import (
    ModelSpec,
    WalkForwardResult,
    alpha_grid,
    walk_forward,
)
from analysis.forecasting.walkforward import WalkForward

__all__ = [
    "ForecastRows",
    "ModelSpec",
    "WalkForward",
    "WalkForwardResult",
    "alpha_grid",
    "build_rows",
    "walk_forward",
]
