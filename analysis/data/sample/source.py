"""The offline sample source: real prices and Fama-French factors shipped with the package.

The data and where each series comes from are described in ``PROVENANCE.md``
next to this module; :mod:`analysis.data.sample.build` rebuilds them from
pinned PyPI wheels.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from importlib import resources

import pandas as pd

from analysis.data.base import (
    FACTOR_DATASETS,
    RETURN_DATASETS,
    FactorDataset,
    Frequency,
    PriceBatch,
    ReturnDataset,
    fmt_date,
    split_window,
    window_bounds,
    with_market_return,
)
from analysis.data.sample import catalog as cat
from analysis.errors import DataError

_BUNDLED_FACTORS: dict[str, tuple[str, ...]] = {
    "ff3": FACTOR_DATASETS["ff3"],
    "mom": FACTOR_DATASETS["mom"],
}
_BUNDLED_FREQUENCY = "monthly"


@functools.cache
def _load(name: str) -> pd.DataFrame:
    """Read one bundled parquet file once per process; callers get copies."""
    resource = resources.files(__package__).joinpath(name)
    if not resource.is_file():
        raise DataError(
            f"sample: bundled file {name} is missing from the installed package; "
            "rebuild it with `python -m analysis.data.sample.build` or reinstall the package"
        )
    with resource.open("rb") as fh:
        frame = pd.read_parquet(fh)
    frame = frame.set_index("date")
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.columns.name = None
    return frame


class SampleSource:
    """Prices and monthly factors bundled with the package, for offline runs.

    Implements :class:`~analysis.data.base.PriceSource`,
    :class:`~analysis.data.base.FactorSource` and
    :class:`~analysis.data.base.ReturnSource`. The files are read lazily, once
    per process.

    Notes
    -----
    The bundle holds daily prices for 51 symbols (US stocks, index levels,
    ETFs) between 1990 and 2022, each over its own range, and the monthly
    Fama-French three factors, momentum and 30 portfolios (12 industries among
    them) from 1949-01 to 2017-03. Not every column is an adjusted close: see
    :meth:`available` and ``PROVENANCE.md``.
    """

    name = "sample"

    def fetch_prices(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> PriceBatch:
        """Prices for ``tickers`` between ``start`` and ``end`` (both inclusive).

        Unknown tickers, and tickers with no prices in the window, are returned
        in ``failed`` with the reason; rows where none of the delivered tickers
        has a price are dropped.
        """
        start_ts, end_ts = window_bounds(start, end, source="sample")
        prices = _load(cat.PRICES_FILE)
        failed: dict[str, str] = {}
        wanted: list[str] = []
        for ticker in dict.fromkeys(tickers):
            if ticker in prices.columns:
                wanted.append(ticker)
            else:
                failed[ticker] = _unknown_ticker_reason(ticker, list(prices.columns))
        window, outside = split_window(
            prices[wanted],
            start_ts,
            end_ts,
            lambda t, first, last: (
                f"no prices between {fmt_date(start_ts, 'the start')} and "
                f"{fmt_date(end_ts, 'the end')} in the sample dataset, which has {t} from "
                f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
            ),
        )
        failed.update(outside)
        out = window.astype("float64")
        out.columns.name = None
        return PriceBatch(prices=out, failed=failed, source=self.name)

    def fetch_factors(self, dataset: FactorDataset, frequency: Frequency) -> pd.DataFrame:
        """Monthly decimal factor returns for ``ff3`` or ``mom``, indexed by month end.

        Raises
        ------
        DataError
            For any other dataset or frequency, saying what is bundled and how to
            get the rest.
        """
        if dataset not in _BUNDLED_FACTORS or frequency != _BUNDLED_FREQUENCY:
            factors = _load(cat.FACTORS_FILE)
            bundled = " and ".join(
                f"{name} ({', '.join(cols)})" for name, cols in _BUNDLED_FACTORS.items()
            )
            if dataset not in _BUNDLED_FACTORS:
                fix = "use model ff3 (optionally with mom)"
            else:
                fix = "set `frequency: monthly`"
            raise DataError(
                f"sample: factor dataset {dataset!r} at frequency {frequency!r} is not "
                f"bundled; the sample has only {bundled} at monthly frequency, "
                f"{factors.index[0]:%Y-%m} to {factors.index[-1]:%Y-%m}. Either {fix}, or "
                "set `data: {source: yahoo}` to download Ken French's data library online"
            )
        return _load(cat.FACTORS_FILE)[list(_BUNDLED_FACTORS[dataset])].copy()

    def fetch_returns(self, dataset: ReturnDataset, frequency: Frequency) -> pd.DataFrame:
        """Monthly decimal returns of ``ff3``, ``mom`` or ``ind12``, indexed by month end.

        Columns are ``RETURN_DATASETS[dataset]`` in order: ``ff3`` is the
        bundled three factors with ``Mkt = Mkt-RF + RF`` in front
        (:func:`~analysis.data.base.with_market_return`), ``mom`` the bundled
        momentum factor, ``ind12`` the 12 industry columns of
        :meth:`load_portfolios`, values as bundled.

        Raises
        ------
        DataError
            For an unknown dataset or a frequency other than monthly, saying
            what is bundled and how to get the rest.

        Notes
        -----
        The bundled industry returns are total returns from the same
        linearmodels file as the factors; that file does not say how the
        portfolios are weighted (see ``PROVENANCE.md``), while
        :class:`~analysis.data.french.FrenchSource` delivers French's
        value-weighted returns.
        """
        if dataset not in RETURN_DATASETS or frequency != _BUNDLED_FREQUENCY:
            factors = _load(cat.FACTORS_FILE)
            if dataset not in RETURN_DATASETS:
                fix = f"use one of {', '.join(map(repr, RETURN_DATASETS))}"
            else:
                fix = "set `frequency: monthly`"
            raise DataError(
                f"sample: return dataset {dataset!r} at frequency {frequency!r} is not "
                f"bundled; the sample has only {', '.join(RETURN_DATASETS)} at monthly "
                f"frequency, {factors.index[0]:%Y-%m} to {factors.index[-1]:%Y-%m}. Either "
                f"{fix}, or set `data: {{source: yahoo}}` to download daily, weekly and "
                "monthly series from Ken French's data library online"
            )
        columns = list(RETURN_DATASETS[dataset])
        if dataset == "ind12":
            return _load(cat.PORTFOLIOS_FILE)[columns].copy()
        factors = self.fetch_factors(dataset, frequency)
        if dataset == "ff3":
            factors = with_market_return(factors, what="sample: ff3 monthly")
        return factors[columns]

    @staticmethod
    def available() -> pd.DataFrame:
        """The bundled price symbols, their first and last dates and what the values are.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``symbol``, with columns ``first``, ``last``, ``days``
            (number of prices), ``kind`` (adjusted close, index level, or close
            not adjusted for dividends), ``description`` and ``source``
            (package, version and file).
        """
        prices = _load(cat.PRICES_FILE)
        rows = []
        for group in cat.PRICE_GROUPS:
            wheel = cat.WHEELS[group.member.project]
            for ticker in group.columns:
                series = prices[ticker].dropna()
                rows.append(
                    {
                        "symbol": ticker,
                        "first": series.index[0],
                        "last": series.index[-1],
                        "days": len(series),
                        "kind": group.kind,
                        "description": group.description,
                        "source": f"{wheel.project} {wheel.version}: {group.member.path}",
                    }
                )
        return pd.DataFrame(rows).set_index("symbol")

    @staticmethod
    def load_portfolios() -> pd.DataFrame:
        """Monthly total returns (decimal) of the 30 bundled portfolios, indexed by month end.

        12 industry, 9 size/value and 9 size/momentum portfolios from the same
        Ken French data as the factors; subtract ``RF`` for excess returns.
        """
        return _load(cat.PORTFOLIOS_FILE).copy()


def _unknown_ticker_reason(ticker: str, symbols: list[str]) -> str:
    by_upper = {s.upper(): s for s in symbols}
    close = difflib.get_close_matches(ticker.upper(), list(by_upper), n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(by_upper[c] for c in close)}?)" if close else ""
    examples = ", ".join(["AAPL", "MSFT", "SPY", "XLF", "^GSPC", "^NSEI"])
    return (
        f"not in the sample dataset{hint}; it has {len(symbols)} symbols, e.g. {examples} "
        "(see SampleSource.available())"
    )
