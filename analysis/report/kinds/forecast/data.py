"""The forecast kind's data: price columns and return datasets, and the run's log returns.

:func:`fetch_run_data` fetches, once per run, the prices of every target,
feature and risk-free symbol that comes from the price source, and the return
datasets (``ff3``, ``mom``, ``ind12``) at the run frequency. :func:`log_returns`
turns the snapshot into the log returns a notebook analyses.

Conventions
-----------
* Prices are resampled to the last price of each period and turned into log
  returns ``r_t = ln(P_t / P_{t-1})``; the first period of each series, which
  has no previous price, is dropped.
* Dataset series are simple returns ``R_t`` (decimal) and become
  ``ln(1 + R_t)``.
* The risk-free rate stays a simple per-period return: it enters the
  strategy returns, not the forecasts.
* The analysis window is ``[start, end]``: nothing before ``start`` is
  fetched, so rolling windows (correlations, absorption ratio) are empty at
  first and fill as the window advances.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import fetch_return_datasets, open_sources
from analysis.data.base import Frequency, ReturnSource
from analysis.errors import DataError
from analysis.factors.returns import to_returns
from analysis.report.kinds.forecast.params import ForecastParams
from analysis.report.pipeline.snapshot import RunData


def fetch_run_data(
    params: ForecastParams, *, cache_dir: str | Path | None = None, refresh: bool = False
) -> RunData:
    """Fetch everything a forecast run needs, once.

    A target the source cannot deliver is recorded in ``failed`` (its notebook
    shows the reason); a missing feature or risk-free series fails the run,
    because no target could then be analysed.

    Raises
    ------
    DataError
        Naming the key (``features``, ``risk_free``, ``datasets``), the series
        and the source's reason.
    """
    price_src, factor_src = open_sources(
        params.data.source,
        prices=params.data.prices,
        factors=params.data.factors,
        cache_dir=cache_dir if params.data.cache else None,
        refresh=refresh,
    )
    start = pd.Timestamp(params.start) if params.start else None
    end = pd.Timestamp(params.end) if params.end else None
    symbols = params.price_symbols
    if symbols:
        batch = price_src.fetch_prices(symbols, start, end)
        prices, failed = batch.prices, dict(batch.failed)
    else:
        prices, failed = pd.DataFrame(index=pd.DatetimeIndex([], name="date")), {}
    _require(params, failed, price_src.name)
    returns: dict[str, pd.DataFrame] = {}
    if params.datasets:
        if factor_src is None or not isinstance(factor_src, ReturnSource):
            raise DataError(
                f"'datasets': {price_src.name} has no source of return datasets "
                f"for {params.datasets}"
            )
        frame = fetch_return_datasets(factor_src, list(params.datasets), params.frequency)
        returns[params.frequency] = frame.loc[start:end]
        missing = [t for t in params.targets if t in params.dataset_columns and t not in frame]
        for t in missing:
            failed[t] = f"not a column of the return datasets {params.datasets}"
    return RunData(
        prices=prices,
        failed={t: failed[t] for t in params.targets if t in failed},
        factors=returns,
        source=price_src.name,
    )


def _require(params: ForecastParams, failed: dict[str, str], source: str) -> None:
    """Features and the risk-free series must all be there; say which are not, and why."""
    for key, names in (("features", params.features), ("risk_free", [params.risk_free])):
        bad = [n for n in names if n is not None and n in failed]
        if bad:
            reasons = "; ".join(f"{n}: {failed[n]}" for n in bad)
            raise DataError(f"'{key}': {source} cannot deliver {', '.join(bad)} ({reasons})")


def log_returns(params: ForecastParams, data: RunData) -> pd.DataFrame:
    """Log returns of every target and feature at the run frequency, one column each.

    Price series and dataset series are joined on the union of their dates
    (a row is NaN where a series has no return); rows where no series has a
    value are dropped.
    """
    names = [*params.targets, *params.features]
    parts: list[pd.DataFrame] = []
    px_cols = [n for n in names if n not in params.dataset_columns and n in data.prices]
    if px_cols:
        parts.append(_price_log_returns(data.prices[px_cols], params.frequency))
    ds_cols = [n for n in names if n in params.dataset_columns]
    if ds_cols:
        frame = data.factors.get(params.frequency)
        if frame is None:
            raise DataError(f"the run's data has no return datasets at {params.frequency}")
        parts.append(np.log1p(frame[[c for c in ds_cols if c in frame]]))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, axis=1).sort_index()
    return out.dropna(how="all")


def risk_free(params: ForecastParams, data: RunData) -> pd.Series | None:
    """The per-period simple risk-free return, or ``None`` when none is configured."""
    if params.risk_free is None:
        return None
    name = params.risk_free
    if name in params.dataset_columns:
        return data.factors[params.frequency][name].rename(name)
    px = data.prices[name].dropna()
    return to_returns(px, "simple", params.frequency)[name].rename(name)


def _price_log_returns(prices: pd.DataFrame, frequency: Frequency) -> pd.DataFrame:
    """Each column's own log returns (a late-starting series keeps its history intact)."""
    cols = {c: to_returns(prices[c].dropna(), "log", frequency)[c] for c in prices.columns}
    return pd.DataFrame(cols)
