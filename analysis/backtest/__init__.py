"""Backtests: position sizing, strategy and portfolio returns, performance metrics.

The functions take plain pandas objects (forecasts, positions, returns), so
the per-index forecast strategy and the cross-sectional portfolio strategy
share one implementation of each step and one definition of each metric.
"""

from __future__ import annotations

from analysis.backtest.drift import RETURN_COLUMNS, Backtest, backtest, period_returns
from analysis.backtest.metrics import SUMMARY_KEYS, performance_summary
from analysis.backtest.relative import (
    BETA_ALPHA_KEYS,
    beta_alpha,
    exposure_over_time,
    information_ratio,
    monthly_returns_table,
    rolling_sharpe,
    tracking_error,
)
from analysis.backtest.returns import buy_and_hold, portfolio_returns, strategy_returns
from analysis.backtest.sizing import SIZING_RULES, SizingError, SizingRule, size

__all__ = [
    "BETA_ALPHA_KEYS",
    "RETURN_COLUMNS",
    "SIZING_RULES",
    "SUMMARY_KEYS",
    "Backtest",
    "SizingError",
    "SizingRule",
    "backtest",
    "beta_alpha",
    "buy_and_hold",
    "exposure_over_time",
    "information_ratio",
    "monthly_returns_table",
    "performance_summary",
    "period_returns",
    "portfolio_returns",
    "rolling_sharpe",
    "size",
    "strategy_returns",
    "tracking_error",
]
