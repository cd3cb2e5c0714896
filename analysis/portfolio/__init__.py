"""Portfolio construction: cross-sectional scores to target weights under constraints."""

from __future__ import annotations

from analysis.portfolio.construction import (
    BINDING_COLUMNS,
    PORTFOLIO_TYPES,
    WEIGHTINGS,
    ConstraintError,
    Portfolio,
    PortfolioType,
    Weighting,
    construct,
    water_fill,
)

__all__ = [
    "BINDING_COLUMNS",
    "PORTFOLIO_TYPES",
    "WEIGHTINGS",
    "ConstraintError",
    "Portfolio",
    "PortfolioType",
    "Weighting",
    "construct",
    "water_fill",
]

from analysis.portfolio.optimize import (
    OBJECTIVES,
    OPTIMIZE_BINDING_COLUMNS,
    Objective,
    optimize,
)

__all__ += ["OBJECTIVES", "OPTIMIZE_BINDING_COLUMNS", "Objective", "optimize"]
