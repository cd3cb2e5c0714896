"""The ``strategy`` kind: do characteristics predict the cross-section of next-period returns?

One notebook per prediction model (a tear sheet, ``templates/strategy.ipynb``),
each beside the ``composite`` baseline: M1 factor matrix, M2 walk-forward
scores, M3 portfolio, M4 backtest with costs, M5 factor analysis. Contract
tables: ``scores.csv``, ``weights.csv``, ``backtest.csv``, ``ic.csv``,
``factor_premia.csv`` and ``metrics.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.report.kinds.strategy.params import StrategyParams
from analysis.report.pipeline.kind import ReportKind
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.tables import ContractTable

TABLES = (
    ContractTable(
        "scores",
        ("date", "ticker", "model", "model_score"),
        "M2: every out-of-sample score (rebalance date, ticker, model)",
    ),
    ContractTable(
        "weights",
        ("date", "ticker", "model", "target_weight"),
        "M3: target weights at each rebalance date (non-zero positions)",
    ),
    ContractTable(
        "backtest",
        ("date", "model", "gross_return", "net_return", "benchmark_return", "turnover"),
        "M4: per period: the book's simple return before and after costs, the benchmark, turnover",
    ),
    ContractTable(
        "ic",
        ("date", "model", "ic", "rank_ic"),
        "signal quality per rebalance date: IC (Pearson) and Rank IC (Spearman)",
    ),
    ContractTable(
        "factor_premia",
        ("factor", "method", "estimate", "std_error", "t_stat"),
        "M5: Fama–MacBeth premia and each factor's top-minus-bottom quantile return",
    ),
    ContractTable(
        "metrics",
        ("model", "basis", "metric", "value"),
        "performance and signal metrics of every book (gross, net) and reference",
    ),
)


class StrategyKind(ReportKind):
    """Cross-sectional factor strategies, one tear sheet per model (see the module docstring)."""

    name = "strategy"
    schema = StrategyParams
    template = "strategy.ipynb"
    description = "cross-sectional factor strategy: factors, model scores, portfolio, backtest"
    unit_noun = "model"
    tables = TABLES
    site_module = "analysis.report.kinds.strategy.site"
    preload = ("analysis.report.kinds.strategy.notebook", "lightgbm", "sklearn.ensemble")

    def fetch(self, params: Any, *, cache_dir: Path | None, refresh: bool) -> RunData:
        from analysis.report.kinds.strategy.data import fetch_run_data

        return fetch_run_data(params, cache_dir=cache_dir, refresh=refresh)

    def unit_columns(self, params: Any, unit: str) -> Sequence[str]:
        return [*(params.universe or []), *([params.benchmark] if params.benchmark else [])]

    def unit_meta(self, params: Any, unit: str) -> dict[str, Any]:
        return {
            "title": f"{unit} — factor strategy tear sheet",
            "subtitle": params.title,
            "kicker": "Strategy report",
            "unit": unit,
            "unit_label": "Model",
        }

    def notebook_parameters(self, params: Any, unit: str) -> dict[str, Any]:
        return {"model": unit}
