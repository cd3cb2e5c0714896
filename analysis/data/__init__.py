"""Where prices and factor series come from.

One module per source (:mod:`~analysis.data.yahoo`, :mod:`~analysis.data.french`,
:mod:`~analysis.data.files`, :mod:`~analysis.data.sample`) plus the on-disk
cache (:mod:`~analysis.data.cache`). :func:`open_sources` turns the ``data``
section of a params file into a price source and a factor source.

Example
-------
>>> from analysis.data import open_sources, fetch_factor_datasets
>>> prices, factors = open_sources("sample")
>>> px = prices.fetch_prices(["AAPL", "^GSPC"]).prices
>>> ff = fetch_factor_datasets(factors, ("ff3", "mom"), "monthly")
>>> rets = fetch_return_datasets(factors, ("ind12", "ff3"), "monthly")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal, cast

import pandas as pd

from analysis.data.base import (
    FACTOR_DATASETS,
    RETURN_DATASETS,
    FactorDataset,
    FactorSource,
    Frequency,
    PriceBatch,
    PriceSource,
    ReturnDataset,
    ReturnSource,
    frame_hash,
)
from analysis.data.cache import CachedPriceSource, DataCache
from analysis.errors import DataError

SourceKind = Literal["sample", "yahoo", "csv"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("sample", "yahoo", "csv")

__all__ = [
    "RETURN_DATASETS",
    "SOURCE_KINDS",
    "FactorSource",
    "PriceBatch",
    "PriceSource",
    "ReturnDataset",
    "ReturnSource",
    "SourceKind",
    "fetch_factor_datasets",
    "fetch_return_datasets",
    "frame_hash",
    "open_sources",
]


def open_sources(
    kind: SourceKind,
    *,
    prices: str | os.PathLike[str] | None = None,
    factors: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    refresh: bool = False,
) -> tuple[PriceSource, FactorSource | None]:
    """The price source and factor source for a ``data:`` section.

    Parameters
    ----------
    kind
        ``sample`` (bundled real data, offline), ``yahoo`` (prices from Yahoo
        Finance, factors from Ken French's library) or ``csv`` (user files).
    prices, factors
        File paths for ``csv`` (``factors`` optional: without it only the
        price-based models can run).
    cache_dir
        Where downloads are cached (``yahoo`` only); ``None`` disables the cache.
    refresh
        Download again even when the cache holds the query.
    """
    if kind == "sample":
        from analysis.data.sample import SampleSource

        sample = SampleSource()
        return sample, sample
    if kind == "yahoo":
        from analysis.data.french import FrenchSource
        from analysis.data.yahoo import YahooSource

        if cache_dir is None:
            return YahooSource(), FrenchSource()
        cache = DataCache(cache_dir)
        return (
            CachedPriceSource(YahooSource(), cache, refresh=refresh),
            CachedPriceSource(FrenchSource(), cache, refresh=refresh),
        )
    if kind == "csv":
        from analysis.data.files import FileSource

        if prices is None:
            raise DataError("data source 'csv' needs a 'prices' file")
        return FileSource(prices=prices), (
            FileSource(factors=factors) if factors is not None else None
        )
    raise DataError(f"data source must be one of {', '.join(SOURCE_KINDS)}; got {kind!r}")


def fetch_factor_datasets(
    source: FactorSource, datasets: Sequence[FactorDataset], frequency: Frequency
) -> pd.DataFrame:
    """Join several factor datasets (e.g. ``ff3`` and ``mom``) on their common dates.

    Columns shared by two datasets (``RF``, ``Mkt-RF``) are taken from the
    first one that has them.
    """
    out: pd.DataFrame | None = None
    for ds in datasets:
        if ds not in FACTOR_DATASETS:
            raise DataError(f"unknown factor dataset {ds!r}; known: {', '.join(FACTOR_DATASETS)}")
        frame = source.fetch_factors(ds, frequency)
        if out is None:
            out = frame
        else:
            new = [c for c in frame.columns if c not in out.columns]
            out = out.join(frame[new], how="inner")
    if out is None:
        raise DataError("no factor dataset requested")
    return out


def fetch_return_datasets(
    source: ReturnSource, datasets: Sequence[str], frequency: Frequency
) -> pd.DataFrame:
    """Join several return datasets (e.g. ``ind12`` and ``ff3``) on their common dates.

    Parameters
    ----------
    source
        A source with ``fetch_returns`` (sample, French, csv, or a cached one).
    datasets
        Names from ``RETURN_DATASETS``; duplicates are fetched once.
    frequency
        ``"daily"``, ``"weekly"`` or ``"monthly"``.

    Returns
    -------
    DataFrame
        The datasets' columns in the order requested, on the dates every
        dataset has (an inner join; NaN values inside a dataset are kept).
        A column shared by two datasets is taken from the first one that has it.

    Raises
    ------
    DataError
        For an unknown dataset, an empty list, or a source without ``fetch_returns``.
    """
    unknown = [ds for ds in datasets if ds not in RETURN_DATASETS]
    if unknown:
        raise DataError(
            f"unknown return dataset(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(RETURN_DATASETS)}"
        )
    if not isinstance(source, ReturnSource):
        name = getattr(source, "name", type(source).__name__)
        raise DataError(f"data source {name!r} does not deliver return datasets")
    out: pd.DataFrame | None = None
    for ds in dict.fromkeys(datasets):
        frame = source.fetch_returns(cast(ReturnDataset, ds), frequency)
        if out is None:
            out = frame
        else:
            new = [c for c in frame.columns if c not in out.columns]
            out = out.join(frame[new], how="inner")
    if out is None:
        raise DataError("no return dataset requested")
    return out
