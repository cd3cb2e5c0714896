"""The exposure kind's data: each ticker's prices, the market proxy, sector ETFs, factors,
and each portfolio's value index (a price column named after the portfolio)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.data import fetch_factor_datasets, open_sources
from analysis.data.base import FactorDataset, Frequency
from analysis.errors import DataError
from analysis.portfolio.composite import composite_index
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.snapshot import RunData

#: calendar days per period, to fetch enough history before ``start`` for look-backs
_DAYS_PER_PERIOD: dict[Frequency, float] = {"daily": 7 / 5, "weekly": 7.0, "monthly": 31.0}


def warmup_start(params: ExposureParams) -> pd.Timestamp | None:
    """First date to fetch: ``start`` minus the engineered look-back (plus a margin).

    The regression sample itself starts at ``start``; the extra history only
    feeds the look-back windows of the engineered factors and the first return.
    """
    if params.start is None:
        return None
    days = 0.0
    for m in params.resolved_models():
        periods = params.factor_window + 2 if m.definition.origin == "engineered" else 2
        days = max(days, periods * _DAYS_PER_PERIOD[m.frequency])
    return pd.Timestamp(params.start) - pd.Timedelta(days=math.ceil(days) + 10)


def factor_assets(params: ExposureParams) -> list[str]:
    assets: list[str] = []
    for m in params.resolved_models():
        if m.definition.origin == "sectors":
            assets += [f for f in m.definition.factors if f not in assets]
    return assets


def _user_window(reason: str, params: ExposureParams) -> str:
    """A source's reason with the window the user wrote: the source was asked from the
    look-back's start (``warmup_start``), a date the user never wrote."""
    warm = warmup_start(params)
    if warm is None or not params.start or f"{warm:%Y-%m-%d}" not in reason:
        return reason
    return reason.replace(f"{warm:%Y-%m-%d}", f"{params.start}") + (
        f" (fetched from {warm:%Y-%m-%d} for the {params.factor_window}-period look-back)"
    )


def shared_symbols(params: ExposureParams) -> list[str]:
    """The symbols every unit needs: the market proxy, sector ETFs and a symbol benchmark."""
    bench = (
        [params.benchmark] if params.benchmark and params.benchmark not in params.portfolios else []
    )
    return list(dict.fromkeys([params.market, *factor_assets(params), *bench]))


def add_portfolios(
    params: ExposureParams, prices: pd.DataFrame, failed: dict[str, str]
) -> pd.DataFrame:
    """``prices`` with one column per portfolio: its value index (100 at its start).

    A portfolio whose member has no prices, or whose members never all have a
    price on the same date, is recorded in ``failed`` instead, with the reason.
    """
    columns = {}
    for name, spec in params.portfolios.items():
        lost = [m for m in spec.weights if m not in prices.columns]
        if lost:
            failed[name] = "; ".join(
                f"member {m}: {failed.get(m, 'no prices returned')}" for m in lost
            )
            continue
        try:
            columns[name] = composite_index(prices, spec.weights, spec.rebalance).value
        except DataError as exc:
            failed[name] = str(exc)
    if not columns:
        return prices
    return pd.concat([prices, pd.DataFrame(columns).reindex(prices.index)], axis=1)


def fetch_run_data(
    params: ExposureParams, *, cache_dir: str | Path | None = None, refresh: bool = False
) -> RunData:
    """Fetch everything a run needs, once.

    Tickers the source cannot deliver are recorded in ``failed`` (their
    notebooks will show the reason), and so are portfolios missing a member;
    each portfolio's value index is added to ``prices`` under its name
    (:func:`add_portfolios`). The run itself fails only when the market proxy, a
    sector ETF, the benchmark or a factor dataset is unavailable, because then no
    ticker could be analysed in full.

    Raises
    ------
    DataError
        Naming the source and the series that could not be delivered.
    """
    price_src, factor_src = open_sources(
        params.data.source,
        prices=params.data.prices,
        factors=params.data.factors,
        cache_dir=cache_dir if params.data.cache else None,
        refresh=refresh,
    )
    shared = shared_symbols(params)
    wanted = list(dict.fromkeys([*params.tickers, *params.members(), *shared]))
    end = pd.Timestamp(params.end) if params.end else None
    batch = price_src.fetch_prices(wanted, warmup_start(params), end)
    missing = [s for s in shared if s not in batch.prices.columns]
    if missing:
        reasons = "; ".join(f"{s}: {batch.failed.get(s, 'no prices')}" for s in missing)
        raise DataError(
            f"{price_src.name}: cannot get the market proxy / factor assets / benchmark ({reasons})"
        )
    failed = {
        t: _user_window(batch.failed.get(t, "no prices returned"), params)
        for t in dict.fromkeys([*params.tickers, *params.members()])
        if t not in batch.prices.columns
    }
    prices = add_portfolios(params, batch.prices, failed)
    failed = {u: failed[u] for u in params.units if u in failed}
    if params.benchmark in failed:
        raise DataError(
            f"{price_src.name}: cannot build the benchmark portfolio {params.benchmark} "
            f"({failed[params.benchmark]})"
        )

    factors: dict[str, pd.DataFrame] = {}
    by_freq: dict[Frequency, list[FactorDataset]] = {}
    for m in params.resolved_models():
        if m.definition.origin == "french":
            ds = by_freq.setdefault(m.frequency, [])
            ds += [d for d in m.definition.datasets if d not in ds]
    for freq, datasets in by_freq.items():
        if factor_src is None:
            raise DataError(f"{price_src.name}: no factor source for {datasets} at {freq}")
        factors[freq] = fetch_factor_datasets(factor_src, datasets, freq)
    custom = None
    if any(m.definition.origin == "custom" for m in params.resolved_models()):
        from analysis.data.files import FileSource

        custom = FileSource(factors=params.data.factors).read_factor_file()
    return RunData(
        prices=prices, failed=failed, factors=factors, custom=custom, source=price_src.name
    )
