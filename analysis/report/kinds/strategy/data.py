"""The strategy kind's data: the universe's prices (or a return panel), the benchmark, panels.

Three shapes of input become one :class:`Universe` in every notebook:

* **prices** (sample, yahoo, csv ``prices``): daily prices of the universe and
  the benchmark; price factors are built from them.
* **a return panel** (csv ``panel``): long ``date,ticker,return,...``;
  ``return`` is the simple return of the period ending at ``date``, other
  columns are characteristics known at ``date`` (``data.lag`` shifts them).
* **the bundled industry portfolios** (``datasets: [ind12]``): the 12
  Fama-French industry portfolios' monthly returns as a panel, the market
  (``Mkt`` = Mkt-RF + RF) as benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data import fetch_return_datasets, open_sources
from analysis.data.base import ReturnSource
from analysis.errors import DataError
from analysis.report.kinds.strategy.params import SIZE, StrategyParams
from analysis.report.pipeline.snapshot import RunData

RETURNS = "returns"
BENCHMARK = "benchmark"
SHARES = "shares"
CHAR_PREFIX = "char_"


def fetch_run_data(
    params: StrategyParams, *, cache_dir: str | Path | None = None, refresh: bool = False
) -> RunData:
    """Fetch the run's universe once (prices, or a panel of returns and characteristics).

    Raises
    ------
    DataError
        Naming the key (``universe``, ``benchmark``, ``factors``, ``data.panel``) and the
        reason; fewer than the quantiles' names available is an error too.
    """
    start = pd.Timestamp(params.start) if params.start else None
    end = pd.Timestamp(params.end) if params.end else None
    if params.data.panel is not None:
        return _panel_data(params, start, end)
    price_src, factor_src = open_sources(
        params.data.source,
        prices=params.data.prices,
        factors=params.data.factors,
        cache_dir=cache_dir if params.data.cache else None,
        refresh=refresh,
    )
    if params.datasets:
        if factor_src is None or not isinstance(factor_src, ReturnSource):
            raise DataError(f"'datasets': {price_src.name} has no return datasets")
        frame = fetch_return_datasets(factor_src, ["ind12", "ff3"], "monthly").loc[start:end]
        names = params.universe or [
            c for c in frame.columns if c not in ("Mkt", "Mkt-RF", "SMB", "HML", "RF")
        ]
        missing = [n for n in names if n not in frame]
        if missing:
            raise DataError(f"'universe': {missing} are not industries of {params.datasets}")
        bench = params.benchmark or "Mkt"
        if bench not in frame:
            raise DataError(f"'benchmark': {bench!r} is not a column of the return datasets")
        return RunData(
            prices=pd.DataFrame(index=pd.DatetimeIndex([], name="date")),
            failed={},
            factors={RETURNS: frame[names], BENCHMARK: frame[[bench]]},
            source=price_src.name,
        )
    assert params.universe is not None
    wanted = [*params.universe, *([params.benchmark] if params.benchmark else [])]
    batch = price_src.fetch_prices(wanted, start, end)
    if params.benchmark and params.benchmark not in batch.prices:
        reason = batch.failed.get(params.benchmark, "no prices")
        raise DataError(
            f"'benchmark': {price_src.name} cannot deliver {params.benchmark} ({reason})"
        )
    failed = {t: batch.failed[t] for t in params.universe if t in batch.failed}
    factors: dict[str, pd.DataFrame] = {}
    shares_failed: dict[str, str] = {}
    if any(f.name == SIZE for f in params.factors):
        fetch_shares = getattr(price_src, "fetch_shares", None)
        if fetch_shares is None:
            raise DataError(f"'factors': size needs shares history, which {price_src.name} lacks")
        # shares reported up to 400 days before the first date still count (see size_factor)
        first = None if start is None else start - pd.Timedelta(days=400)
        shares = fetch_shares(list(params.universe), first, end)
        if shares.shares.empty or not shares.shares.notna().any().any():
            reasons = "; ".join(f"{t}: {r}" for t, r in list(shares.failed.items())[:5])
            raise DataError(
                f"'factors': size needs shares outstanding, and {price_src.name} has no shares "
                f"history for any name of 'universe' ({reasons})"
            )
        factors[SHARES] = shares.shares
        shares_failed = {t: str(r) for t, r in shares.failed.items()}
    have = [t for t in params.universe if t in batch.prices]
    if len(have) < params.portfolio.quantiles:
        raise DataError(
            f"'universe': only {len(have)} of {len(params.universe)} names have prices "
            f"({'; '.join(f'{k}: {v}' for k, v in failed.items())}); "
            f"'portfolio.quantiles' needs at least {params.portfolio.quantiles}"
        )
    attributes = {"shares_failed": shares_failed} if shares_failed else {}
    return RunData(
        prices=batch.prices,
        failed=failed,
        factors=factors,
        source=price_src.name,
        attributes=attributes,
    )


def _panel_data(
    params: StrategyParams, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> RunData:
    from analysis.data.panel import read_panel

    assert params.data.panel is not None
    builtin = {"momentum", "reversal", "volatility", "beta"}
    columns = [f.name for f in params.factors if f.name not in builtin]
    panel = read_panel(params.data.panel, lag=params.data.lag, columns=columns)
    returns = panel.returns.loc[start:end]
    if params.universe is not None:
        missing = [t for t in params.universe if t not in returns]
        if missing:
            raise DataError(f"'universe': {missing} are not tickers of {params.data.panel}")
        returns = returns[list(params.universe)]
    if returns.empty or returns.notna().to_numpy().sum() == 0:
        span = f"from {params.start or 'its first date'} to {params.end or 'its last date'}"
        raise DataError(f"'start'/'end': {params.data.panel} has no returns {span}")
    # Quantiles are formed per date, so the test is the best date, not the whole file.
    names = returns.notna().sum(axis=1)
    q = params.portfolio.quantiles
    if int(names.max()) < q:
        raise DataError(
            f"'portfolio.quantiles' ({q}) exceeds the names of {params.data.panel}: at most "
            f"{int(names.max())} tickers have a return on any date (e.g. "
            f"{names.idxmax():%Y-%m-%d}); every quantile needs at least one name"
        )
    if params.preprocess.neutralize == "sector":
        # checked here, once, rather than failing inside every model's notebook
        if panel.sectors is None:
            raise DataError(
                f"'preprocess.neutralize': sector needs a 'sector' column in "
                f"{params.data.panel}; it has none (remove 'neutralize' or add the column)"
            )
        unsectored = [t for t in returns.columns if t not in panel.sectors.index]
        if unsectored:
            raise DataError(
                f"'preprocess.neutralize': sector needs a sector for every ticker, but "
                f"{params.data.panel} has none for {len(unsectored)} ticker(s), e.g. "
                f"{', '.join(map(str, unsectored[:5]))}"
            )
    factors = {RETURNS: returns}
    chars = panel.characteristics
    for c in columns:
        wide = chars[c].unstack("ticker").reindex(index=returns.index, columns=returns.columns)
        factors[CHAR_PREFIX + c] = wide
    attributes = {}
    if panel.sectors is not None:
        attributes["sector"] = {str(k): str(v) for k, v in panel.sectors.items()}
    return RunData(
        prices=pd.DataFrame(index=pd.DatetimeIndex([], name="date")),
        failed={},
        factors=factors,
        source="csv",
        attributes=attributes,
    )


@dataclass(frozen=True)
class Universe:
    """What a strategy notebook analyses, whatever the input's shape.

    Attributes
    ----------
    prices
        Prices (daily for price runs; a price index cumprod(1 + r) for panels), date x ticker.
    returns
        Simple returns on the same calendar.
    benchmark
        The benchmark's simple returns on that calendar, or ``None``.
    characteristics
        Panel characteristics, ``{name: date x ticker}`` (empty for price runs).
    shares
        Shares outstanding on the dates Yahoo reported them (``size`` for Yahoo runs), or None.
    sectors
        Sector of each ticker, or ``None``.
    frequency
        ``daily`` (prices) or ``monthly``/``weekly`` (a panel's periods).
    """

    prices: pd.DataFrame
    returns: pd.DataFrame
    benchmark: pd.Series | None
    characteristics: dict[str, pd.DataFrame]
    sectors: pd.Series | None
    frequency: str
    shares: pd.DataFrame | None = None


def universe(params: StrategyParams, data: RunData) -> Universe:
    """The notebook's view of the run data."""
    if RETURNS in data.factors:
        r = data.factors[RETURNS]
        prices = (1 + r.fillna(0.0)).cumprod().where(r.notna())
        bench = data.factors.get(BENCHMARK)
        freq = _infer_frequency(r.index)
        chars = {
            k.removeprefix(CHAR_PREFIX): v
            for k, v in data.factors.items()
            if k.startswith(CHAR_PREFIX)
        }
        sectors = (
            pd.Series(data.attributes["sector"], name="sector")
            if "sector" in data.attributes
            else None
        )
        return Universe(
            prices=prices,
            returns=r,
            benchmark=None if bench is None else bench.iloc[:, 0].rename("benchmark"),
            characteristics=chars,
            sectors=sectors,
            frequency=freq,
        )
    names = [t for t in (params.universe or []) if t in data.prices]
    px = data.prices[names].dropna(how="all")
    bench = None
    if params.benchmark and params.benchmark in data.prices:
        bench = data.prices[params.benchmark].reindex(px.index).pct_change(fill_method=None)
    return Universe(
        prices=px,
        returns=px.pct_change(fill_method=None),
        benchmark=None if bench is None else bench.rename("benchmark"),
        characteristics={},
        sectors=None,
        frequency="daily",
        shares=data.factors.get(SHARES),
    )


def _infer_frequency(index: pd.DatetimeIndex) -> str:
    if len(index) < 3:
        return "monthly"
    gap = float(pd.Series(index).diff().dt.days.median())
    return "weekly" if gap < 20 else "monthly"
