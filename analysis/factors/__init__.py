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

from analysis.factors.cross_section import (
    BUILTIN_FACTORS,
    forward_returns,
    forward_returns_from_returns,
    panel_price_factors,
    price_factors,
    rebalance_dates,
    transform_label,
)
from analysis.factors.preprocess import Preprocessed, describe_distribution, preprocess

__all__ += [
    "BUILTIN_FACTORS",
    "Preprocessed",
    "describe_distribution",
    "forward_returns",
    "forward_returns_from_returns",
    "panel_price_factors",
    "preprocess",
    "price_factors",
    "rebalance_dates",
    "transform_label",
]
