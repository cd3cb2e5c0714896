"""How each unit of a run ended: the state files that make runs resumable."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from analysis.data.cache import atomic_write_text
from analysis.report.pipeline.paths import RunPaths

UnitStatus = Literal["ok", "partial", "failed", "skipped"]


@dataclass
class UnitOutcome:
    """How one unit (one notebook) ended; also the content of its state file.

    Attributes
    ----------
    unit
        The unit (a ticker, a target).
    slug
        Its file-name form.
    status
        ``ok``, ``partial`` (some components failed), ``failed`` or ``skipped``
        (unchanged since the last run).
    error
        Why it failed, or which components failed.
    input_hash
        Hash of everything its outputs depend on (see the runner).
    seconds, cell_seconds
        Timings: per stage, and per code cell of the notebook.
    components
        Each component's status as the notebook recorded it (``"ok"`` or a reason).
    date
        Report date of the unit's outputs (:func:`~.paths.build_date` when its
        notebook ran); ``""`` in state files written before it was recorded.
    finished
        When the unit's notebook run ended (UTC, ISO 8601, see :func:`now_iso`).
    """

    unit: str
    slug: str
    status: UnitStatus
    error: str | None = None
    input_hash: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    cell_seconds: dict[str, float] = field(default_factory=dict)
    components: dict[str, str] = field(default_factory=dict)
    date: str = ""
    finished: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def now_iso() -> str:
    """The current time (UTC, ISO 8601, seconds); ``SOURCE_DATE_EPOCH`` when set.

    Like :func:`~.paths.build_date`: a reproducible build records the fixed
    epoch instead of the wall clock.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.isoformat(timespec="seconds")


def state_path(paths: RunPaths, slug: str) -> Path:
    return paths.state / f"{slug}.json"


def write_state(paths: RunPaths, outcome: UnitOutcome) -> None:
    """Write a unit's state file (last, atomically: it marks the unit complete)."""
    atomic_write_text(state_path(paths, outcome.slug), outcome.to_json())


def read_state(paths: RunPaths, slug: str) -> UnitOutcome | None:
    """The unit's state from its last run, or ``None`` (never run, or unreadable)."""
    p = state_path(paths, slug)
    if not p.exists():
        return None
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        known = {f.name for f in fields(UnitOutcome)}
        return UnitOutcome(**{k: v for k, v in doc.items() if k in known})
    except (ValueError, TypeError, AttributeError):
        return None


def ordered_all(
    paths: RunPaths, slugs: dict[str, str], outcomes: dict[str, UnitOutcome]
) -> list[UnitOutcome]:
    """Outcomes for every unit of the run, in params order (this run's, else the state files)."""
    out = []
    for unit, slug in slugs.items():
        o = outcomes.get(unit) or read_state(paths, slug)
        out.append(o or UnitOutcome(unit, slug, "failed", "not run yet"))
    return out
