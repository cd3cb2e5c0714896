"""Backtests: position sizing, strategy and portfolio returns, performance metrics.

The functions take plain pandas objects (forecasts, positions, returns), so
the per-index forecast strategy and the cross-sectional portfolio strategy
share one implementation of each step and one definition of each metric.
"""

from __future__ import annotations

from analysis.backtest.metrics import SUMMARY_KEYS, performance_summary
from analysis.backtest.returns import buy_and_hold, portfolio_returns, strategy_returns
from analysis.backtest.sizing import SIZING_RULES, SizingError, SizingRule, size

__all__ = [
    "SIZING_RULES",
    "SUMMARY_KEYS",
    "SizingError",
    "SizingRule",
    "buy_and_hold",
    "performance_summary",
    "portfolio_returns",
    "size",
    "strategy_returns",
]
