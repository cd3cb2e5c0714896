"""Returns, engineered factors and factor-model definitions (pure functions)."""

from analysis.factors.engineered import ENGINEERED_FACTORS, engineered_factors
from analysis.factors.models import MODELS, Design, FactorModel, build_design, get_model
from analysis.factors.returns import PERIODS_PER_YEAR, Alignment, align, to_returns

__all__ = [
    "ENGINEERED_FACTORS",
    "MODELS",
    "PERIODS_PER_YEAR",
    "Alignment",
    "Design",
    "FactorModel",
    "align",
    "build_design",
    "engineered_factors",
    "get_model",
    "to_returns",
]
