"""Signal quality and factor premia: IC, quantile returns, turnover, Fama-MacBeth.

One small function per tear-sheet quantity, in alphalens' style; each module's
docstring states its conventions and where they differ from alphalens.
"""

from analysis.signals.ic import (
    forward_returns_by_horizon,
    ic_by_month,
    ic_decay,
    ic_summary,
    information_coefficient,
)
from analysis.signals.premia import (
    PREMIA_COLUMNS,
    factor_correlation,
    factor_spread_summary,
    factor_spreads,
    fama_macbeth,
)
from analysis.signals.quantiles import (
    cumulative_quantile_returns,
    quantile_returns,
    quantile_returns_by_date,
    quantize,
    spread,
    spread_summary,
)
from analysis.signals.turnover import quantile_turnover, rank_autocorrelation

__all__ = [
    "PREMIA_COLUMNS",
    "cumulative_quantile_returns",
    "factor_correlation",
    "factor_spread_summary",
    "factor_spreads",
    "fama_macbeth",
    "forward_returns_by_horizon",
    "ic_by_month",
    "ic_decay",
    "ic_summary",
    "information_coefficient",
    "quantile_returns",
    "quantile_returns_by_date",
    "quantile_turnover",
    "quantize",
    "rank_autocorrelation",
    "spread",
    "spread_summary",
]
