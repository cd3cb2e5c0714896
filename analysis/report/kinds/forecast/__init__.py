"""The ``forecast`` kind: can lagged sector returns forecast an index, and is it worth trading?

One notebook per target (``templates/forecast.ipynb``). Expanding walk-forward
OLS / Ridge / Lasso / ElasticNet on lagged feature log returns, correlation
geometry and regime labels known at t−1, position sizing and self-financing
strategy returns net of costs. Contract tables: ``forecasts.csv``,
``strategy_returns.csv``, ``metrics.csv``, ``coefficients.csv``, ``regimes.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.report.kinds.forecast.params import ForecastParams
from analysis.report.pipeline.kind import ReportKind
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.tables import ContractTable

TABLES = (
    ContractTable(
        "forecasts",
        ("date", "target", "model", "alpha", "prediction", "actual", "benchmark", "regime"),
        "every out-of-sample forecast: date, target, model, alpha, prediction, actual "
        "(log returns), benchmark (historical mean), regime",
    ),
    ContractTable(
        "strategy_returns",
        ("date", "target", "model", "sizing", "position", "gross_return", "net_return"),
        "per period and strategy: position held, simple return before and after costs",
    ),
    ContractTable(
        "metrics",
        ("target", "model", "sizing", "scope", "metric", "value"),
        "forecast metrics (sizing empty) and strategy metrics, overall (scope all) and by regime",
    ),
    ContractTable(
        "coefficients",
        ("refit_date", "target", "model", "alpha", "term", "coef"),
        "coefficients of every refit (standardized features), intercept included",
    ),
    ContractTable(
        "regimes",
        (
            "date",
            "target",
            "coupling",
            "absorption_ratio",
            "delta_ar",
            "markov_p_high",
            "regime",
        ),
        "geometry and regime labels per date (each label known at t−1)",
    ),
)


class ForecastKind(ReportKind):
    """Regime-aware walk-forward forecasts of an index (see the module docstring)."""

    name = "forecast"
    schema = ForecastParams
    template = "forecast.ipynb"
    description = (
        "walk-forward forecasts of an index from lagged sector returns, by regime, after costs"
    )
    unit_noun = "target"
    tables = TABLES
    site_module = "analysis.report.kinds.forecast.site"
    preload = ("analysis.report.kinds.forecast.notebook", "sklearn.linear_model")

    def fetch(self, params: Any, *, cache_dir: Path | None, refresh: bool) -> RunData:
        from analysis.report.kinds.forecast.data import fetch_run_data

        return fetch_run_data(params, cache_dir=cache_dir, refresh=refresh)

    def unit_columns(self, params: Any, unit: str) -> Sequence[str]:
        return list(params.price_symbols)

    def unit_meta(self, params: Any, unit: str) -> dict[str, Any]:
        return {
            "title": f"{unit} — walk-forward forecasts",
            "subtitle": params.title,
            "unit": unit,
            "kicker": "Forecast report",
            "unit_label": "Target",
        }

    def notebook_parameters(self, params: Any, unit: str) -> dict[str, Any]:
        return {"target": unit}
