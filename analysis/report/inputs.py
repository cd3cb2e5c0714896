"""The data of one run, fetched once and frozen on disk for every notebook to read.

:func:`fetch_run_data` asks the sources for everything the run needs (each
ticker's prices, the market proxy, sector ETFs, the factor datasets at each
model frequency, a custom factor file) and :meth:`RunData.save` writes it to
``<run>/data/`` atomically. The notebooks read this snapshot, never the
network, so every ticker of a run sees the same data, a notebook can be
re-run alone, and the content hashes in the manifest identify exactly what
was analysed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.data import fetch_factor_datasets, frame_hash, open_sources
from analysis.data.base import FactorDataset, Frequency
from analysis.data.cache import atomic_write_bytes, atomic_write_text
from analysis.errors import DataError
from analysis.report.params import ExposureParams

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


@dataclass(frozen=True)
class RunData:
    """Everything the notebooks of a run read.

    Attributes
    ----------
    prices
        Daily prices, one column per ticker, market proxy and factor asset.
    failed
        ``{ticker: reason}`` for tickers the source could not deliver.
    factors
        ``{frequency: factor returns}`` for the Fama-French models.
    custom
        User factor file (all columns), or ``None``.
    source
        Name of the data source (``sample``, ``yahoo``, ``csv``).
    """

    prices: pd.DataFrame
    failed: Mapping[str, str]
    factors: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    custom: pd.DataFrame | None = None
    source: str = ""

    def hashes(self) -> dict[str, str]:
        """Content hash of every frame (see :func:`~analysis.data.base.frame_hash`)."""
        out = {"prices": frame_hash(self.prices)}
        out.update({f"factors_{k}": frame_hash(v) for k, v in self.factors.items()})
        if self.custom is not None:
            out["custom"] = frame_hash(self.custom)
        return out

    def ticker_hash(self, ticker: str, params: ExposureParams) -> str:
        """Hash of exactly the data one ticker's notebook uses."""
        cols = [c for c in (ticker, params.market, *_factor_assets(params)) if c in self.prices]
        parts: dict[str, str | None] = {"prices": frame_hash(self.prices[cols])}
        parts.update({k: v for k, v in self.hashes().items() if k != "prices"})
        parts["failed"] = self.failed.get(ticker)
        return hash_text(json.dumps(parts, sort_keys=True))

    def save(self, folder: str | Path) -> None:
        """Write the snapshot to ``folder`` (parquet + ``data.json``), each file atomically."""
        d = Path(folder)
        _write_parquet(d / "prices.parquet", self.prices)
        for freq, frame in self.factors.items():
            _write_parquet(d / f"factors_{freq}.parquet", frame)
        if self.custom is not None:
            _write_parquet(d / "custom_factors.parquet", self.custom)
        meta = {
            "source": self.source,
            "failed": dict(self.failed),
            "factors": sorted(self.factors),
            "custom": self.custom is not None,
            "hashes": self.hashes(),
        }
        atomic_write_text(d / "data.json", json.dumps(meta, indent=2, sort_keys=True))

    @classmethod
    def load(cls, folder: str | Path) -> RunData:
        """Read a snapshot written by :meth:`save` and check its hashes."""
        d = Path(folder)
        meta_path = d / "data.json"
        if not meta_path.exists():
            raise DataError(f"{d}: no data snapshot (data.json); run 'factor-report fetch' first")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = cls(
            prices=pd.read_parquet(d / "prices.parquet"),
            failed=meta["failed"],
            factors={f: pd.read_parquet(d / f"factors_{f}.parquet") for f in meta["factors"]},
            custom=pd.read_parquet(d / "custom_factors.parquet") if meta["custom"] else None,
            source=meta["source"],
        )
        if data.hashes() != meta["hashes"]:
            raise DataError(f"{d}: data snapshot does not match its recorded hashes; fetch again")
        return data


def hash_text(text: str) -> str:
    """SHA-256 hex digest of UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    buf = frame.to_parquet()
    assert isinstance(buf, bytes)
    atomic_write_bytes(path, buf)


def _factor_assets(params: ExposureParams) -> list[str]:
    assets: list[str] = []
    for m in params.resolved_models():
        if m.definition.origin == "sectors":
            assets += [f for f in m.definition.factors if f not in assets]
    return assets


def fetch_run_data(
    params: ExposureParams, *, cache_dir: str | Path | None = None, refresh: bool = False
) -> RunData:
    """Fetch everything a run needs, once.

    Tickers the source cannot deliver are recorded in ``failed`` (their
    notebooks will show the reason); the run itself fails only when the
    market proxy, a sector ETF or a factor dataset is unavailable, because
    then no ticker could be analysed.

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
    shared = [params.market, *_factor_assets(params)]
    wanted = list(dict.fromkeys([*params.tickers, *shared]))
    end = pd.Timestamp(params.end) if params.end else None
    batch = price_src.fetch_prices(wanted, warmup_start(params), end)
    missing = [s for s in shared if s not in batch.prices.columns]
    if missing:
        reasons = "; ".join(f"{s}: {batch.failed.get(s, 'no prices')}" for s in missing)
        raise DataError(
            f"{price_src.name}: cannot get the market proxy / factor assets ({reasons})"
        )
    failed = {
        t: batch.failed.get(t, "no prices returned")
        for t in params.tickers
        if t not in batch.prices.columns
    }

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
        prices=batch.prices, failed=failed, factors=factors, custom=custom, source=price_src.name
    )
