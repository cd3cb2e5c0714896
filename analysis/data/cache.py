"""On-disk cache of downloaded data, so a run can be repeated offline.

Each entry is a parquet file plus a JSON sidecar holding the source, the
query, the time of the download and the :func:`~analysis.data.base.frame_hash`
of the content. Both are written to a temporary file and renamed, so a killed
process leaves either the old entry or the new one, never half of one. The
sidecar is written last: an entry without a sidecar is treated as absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from analysis.data.base import FactorDataset, Frequency, PriceBatch, ReturnDataset, frame_hash
from analysis.errors import DataError, SourceUnavailableError

if TYPE_CHECKING:
    # imported when used: loading yfinance is needed for Yahoo runs only
    from analysis.data.yahoo import SharesBatch


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The file gets the permissions a plain ``open(path, "w")`` would give it
    (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass(frozen=True)
class CacheEntry:
    """One cached frame and what is known about it."""

    frame: pd.DataFrame
    meta: Mapping[str, Any]

    @property
    def content_hash(self) -> str:
        return str(self.meta["content_sha256"])


class DataCache:
    """A folder of cached query results.

    Parameters
    ----------
    root
        Folder holding the entries (created on first write).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @staticmethod
    def key(source: str, query: Mapping[str, Any]) -> str:
        """Stable file stem for a source and a JSON-serializable query."""
        blob = json.dumps({"source": source, "query": query}, sort_keys=True, default=str)
        return f"{source}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}"

    def get(self, source: str, query: Mapping[str, Any]) -> CacheEntry | None:
        """The cached entry for this query, or ``None``."""
        stem = self.key(source, query)
        meta_path = self.root / f"{stem}.json"
        data_path = self.root / f"{stem}.parquet"
        if not (meta_path.exists() and data_path.exists()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        frame = pd.read_parquet(data_path)
        if frame_hash(frame) != meta.get("content_sha256"):
            raise DataError(
                f"cache entry {data_path} does not match its recorded hash; "
                "delete it and fetch again"
            )
        return CacheEntry(frame=frame, meta=meta)

    def put(
        self,
        source: str,
        query: Mapping[str, Any],
        frame: pd.DataFrame,
        extra: Mapping[str, Any] | None = None,
    ) -> CacheEntry:
        """Store ``frame`` for this query, atomically, and return the entry."""
        stem = self.key(source, query)
        meta = {
            "source": source,
            "query": dict(query),
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "content_sha256": frame_hash(frame),
            "rows": int(frame.shape[0]),
            "columns": [str(c) for c in frame.columns],
            **(extra or {}),
        }
        buf = frame.to_parquet()
        assert isinstance(buf, bytes)
        atomic_write_bytes(self.root / f"{stem}.parquet", buf)
        atomic_write_text(
            self.root / f"{stem}.json", json.dumps(meta, indent=2, sort_keys=True, default=str)
        )
        return CacheEntry(frame=frame, meta=meta)

    def get_or_fetch(
        self,
        source: str,
        query: Mapping[str, Any],
        fetch: Callable[[], pd.DataFrame],
        *,
        refresh: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> CacheEntry:
        """The cached entry, or ``fetch()`` stored as a new one (always when ``refresh``)."""
        if not refresh:
            hit = self.get(source, query)
            if hit is not None:
                return hit
        return self.put(source, query, fetch(), extra=extra)


def _window_query(
    kind: str, tickers: Sequence[str], start: pd.Timestamp | None, end: pd.Timestamp | None
) -> dict[str, Any]:
    """The cache key of a query for ``tickers`` over a date window."""
    return {
        "kind": kind,
        "tickers": sorted(tickers),
        "start": None if start is None else str(pd.Timestamp(start).date()),
        "end": None if end is None else str(pd.Timestamp(end).date()),
    }


class CachedPriceSource:
    """Wrap a price source so that each query is downloaded once and reused offline.

    Prices, share counts, factor datasets and return datasets are cached,
    each query separately (query kinds ``"prices"``, ``"shares"``,
    ``"factors"`` and ``"returns"``).

    Only the delivered prices (share counts) are cached; the failures of a
    batch are stored in the sidecar so a cached run reports the same failures.
    """

    def __init__(self, inner: Any, cache: DataCache, *, refresh: bool = False) -> None:
        self.inner = inner
        self.cache = cache
        self.refresh = refresh
        self.name = str(inner.name)

    def fetch_prices(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> PriceBatch:
        query = _window_query("prices", tickers, start, end)
        if not self.refresh:
            hit = self.cache.get(self.name, query)
            if hit is not None:
                return PriceBatch(
                    prices=hit.frame, failed=dict(hit.meta.get("failed", {})), source=self.name
                )
        try:
            batch = self.inner.fetch_prices(tickers, start, end)
        except SourceUnavailableError as exc:
            raise self._with_cache_hint(exc, query) from exc
        self.cache.put(self.name, query, batch.prices, extra={"failed": dict(batch.failed)})
        return batch

    def _with_cache_hint(self, exc: SourceUnavailableError, query: dict[str, Any]) -> Exception:
        """The source's error, suggesting the cache only when it holds this very query
        (which happens when ``--refresh`` asked to download again)."""
        if self.refresh and self.cache.get(self.name, query) is not None:
            return type(exc)(
                f"{exc}; the cache holds an earlier download of these prices: run without "
                "--refresh to use it"
            )
        return exc

    def fetch_shares(
        self,
        tickers: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> SharesBatch:
        """The inner source's ``fetch_shares``, cached under the query kind ``"shares"``."""
        from analysis.data.yahoo import SharesBatch

        fetch = getattr(self.inner, "fetch_shares", None)
        if fetch is None:
            raise DataError(
                f"{self.name}: this source does not deliver share counts "
                "(it has no fetch_shares); use the yahoo source"
            )
        query = _window_query("shares", tickers, start, end)
        if not self.refresh:
            hit = self.cache.get(self.name, query)
            if hit is not None:
                return SharesBatch(
                    shares=hit.frame, failed=dict(hit.meta.get("failed", {})), source=self.name
                )
        batch = fetch(tickers, start, end)
        self.cache.put(self.name, query, batch.shares, extra={"failed": dict(batch.failed)})
        return cast("SharesBatch", batch)

    def fetch_factors(self, dataset: FactorDataset, frequency: Frequency) -> pd.DataFrame:
        query = {"kind": "factors", "dataset": dataset, "frequency": frequency}
        entry = self.cache.get_or_fetch(
            self.name,
            query,
            lambda: self.inner.fetch_factors(dataset, frequency),
            refresh=self.refresh,
        )
        return entry.frame

    def fetch_returns(self, dataset: ReturnDataset, frequency: Frequency) -> pd.DataFrame:
        """The inner source's ``fetch_returns``, cached under the query kind ``"returns"``."""
        fetch = getattr(self.inner, "fetch_returns", None)
        if fetch is None:
            raise DataError(
                f"{self.name}: this source does not deliver return datasets "
                "(it has no fetch_returns); use the sample, yahoo or csv source"
            )
        query = {"kind": "returns", "dataset": dataset, "frequency": frequency}
        entry = self.cache.get_or_fetch(
            self.name, query, lambda: fetch(dataset, frequency), refresh=self.refresh
        )
        return entry.frame
