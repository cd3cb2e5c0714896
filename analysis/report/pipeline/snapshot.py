"""The data of one run, fetched once and frozen on disk for every notebook to read.

Each report kind fetches what its run needs (prices, factor or return
datasets, a user file) into a :class:`RunData`, and :meth:`RunData.save`
writes it to ``<run>/data/`` atomically. The notebooks read this snapshot,
never the network, so every unit of a run sees the same data, a notebook can
be re-run alone, and the content hashes in the manifest identify exactly what
was analysed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.data import frame_hash
from analysis.data.cache import atomic_write_bytes, atomic_write_text
from analysis.errors import DataError
from analysis.report.pipeline.paths import hash_text


@dataclass(frozen=True)
class RunData:
    """Everything the notebooks of a run read.

    Attributes
    ----------
    prices
        Daily prices, one column per symbol the run reads.
    failed
        ``{ticker: reason}`` for tickers the source could not deliver.
    factors
        Named frames of return series (``{frequency: Fama-French factors}``
        for the exposure kind, ``{frequency: return datasets}`` for the
        forecast kind).
    custom
        User factor file (all columns), or ``None``.
    source
        Name of the data source (``sample``, ``yahoo``, ``csv``).
    attributes
        Named text attributes per symbol (``{"sector": {ticker: sector}}``), for
        cross-sections; saved in ``data.json`` and hashed with the rest.
    """

    prices: pd.DataFrame
    failed: Mapping[str, str]
    factors: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    custom: pd.DataFrame | None = None
    source: str = ""
    attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def hashes(self) -> dict[str, str]:
        """Content hash of every frame (see :func:`~analysis.data.base.frame_hash`)."""
        out = {"prices": frame_hash(self.prices)}
        out.update({f"factors_{k}": frame_hash(v) for k, v in self.factors.items()})
        if self.custom is not None:
            out["custom"] = frame_hash(self.custom)
        if self.attributes:
            text = json.dumps({k: dict(v) for k, v in self.attributes.items()}, sort_keys=True)
            out["attributes"] = hash_text(text)
        return out

    def unit_hash(self, columns: Iterable[str], unit: str) -> str:
        """Hash of exactly the data one unit's notebook uses.

        ``columns`` are the price columns it reads; every other frame of the
        snapshot counts whole, and so does the unit's recorded failure.
        """
        cols = [c for c in dict.fromkeys(columns) if c in self.prices]
        parts: dict[str, str | None] = {"prices": frame_hash(self.prices[cols])}
        parts.update({k: v for k, v in self.hashes().items() if k != "prices"})
        parts["failed"] = self.failed.get(unit)
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
            "attributes": {k: dict(v) for k, v in self.attributes.items()},
            "hashes": self.hashes(),
        }
        atomic_write_text(d / "data.json", json.dumps(meta, indent=2, sort_keys=True))

    @classmethod
    def load(cls, folder: str | Path, *, check: bool = True) -> RunData:
        """Read a snapshot written by :meth:`save` and check its hashes.

        ``check=False`` reads it as it is (``factor-report verify`` compares the
        contents with the manifest itself, to say which part differs).
        """
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
            attributes=meta.get("attributes", {}),
        )
        if check and data.hashes() != meta["hashes"]:
            raise DataError(f"{d}: data snapshot does not match its recorded hashes; fetch again")
        return data


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    buf = frame.to_parquet()
    assert isinstance(buf, bytes)
    atomic_write_bytes(path, buf)
