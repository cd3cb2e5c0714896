"""Contract tables: how a notebook saves its parts and how the runner merges them.

Every report kind declares its contract tables (:class:`ContractTable`: a file
name and its columns). A unit's notebook writes its rows to
``tables/<slug>.<table>.csv``; the runner concatenates the parts of every unit
into ``<run>/<table>.csv`` with exactly the declared columns. A notebook also
writes ``tables/<slug>.components.json``: the status of each part of its
analysis (``{"ols": "ok", "markov": "did not converge ..."}``), from which the
runner derives the unit's status (ok, partial, failed) without knowing what
the components are.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data.cache import atomic_write_text
from analysis.report.pipeline.paths import RunPaths


@dataclass(frozen=True)
class ContractTable:
    """One machine-readable output of a report kind.

    Attributes
    ----------
    name
        File stem: the run gets ``<name>.csv``, each unit ``tables/<slug>.<name>.csv``.
    columns
        The columns, in order (the contract).
    description
        One line for the site's download list.
    """

    name: str
    columns: tuple[str, ...]
    description: str


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """A table as CSV (10 significant digits, no index), written atomically."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.10g", lineterminator="\n")
    atomic_write_text(path, buf.getvalue())
    return path


def write_components(path: Path, components: Mapping[str, str]) -> Path:
    """Write a unit's component statuses: ``"ok"`` or the reason a component failed."""
    atomic_write_text(path, json.dumps(dict(components), indent=2) + "\n")
    return path


def read_components(path: Path) -> dict[str, str] | None:
    """The component statuses a notebook wrote, or ``None`` when it wrote none."""
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else None


def unit_status(components: Mapping[str, str]) -> str:
    """``ok`` when every component is ok, ``partial`` when some are, else ``failed``."""
    ok = [v == "ok" for v in components.values()]
    if ok and all(ok):
        return "ok"
    return "partial" if any(ok) else "failed"


def collect(paths: RunPaths, table: ContractTable, slugs: Iterable[str]) -> pd.DataFrame:
    """Merge the units' parts of ``table`` into ``<run>/<table>.csv`` (atomically)."""
    parts = []
    for slug in slugs:
        part = paths.part(slug, table.name)
        if part.exists():
            try:
                frame = pd.read_csv(part, keep_default_na=False, na_values=[""])
            except pd.errors.EmptyDataError:  # a part with no rows and no header
                continue
            if len(frame):
                parts.append(frame)
    cols = list(table.columns)
    merged = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    missing = [c for c in cols if c not in merged.columns]
    for c in missing:
        merged[c] = pd.NA
    write_csv(paths.root / f"{table.name}.csv", merged[cols])
    return merged[cols]
