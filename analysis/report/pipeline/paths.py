"""Where a run's files live, the report date, and the hashes that decide what to re-run."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from analysis import __version__

PROJECT_ROOT = Path(__file__).resolve().parents[3]
"""The project checkout (``analysis/``, ``templates/``, ``params/`` ...)."""
TEMPLATES = PROJECT_ROOT / "templates"


def build_date() -> str:
    """Report date: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.strftime("%Y-%m-%d")


def hash_text(text: str) -> str:
    """SHA-256 hex digest of UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


def library_hash() -> str:
    """Hash of the library's source and the templates: a change re-runs every unit."""
    h = hashlib.sha256(__version__.encode())
    files = sorted((PROJECT_ROOT / "analysis").rglob("*.py")) + sorted(
        p for p in TEMPLATES.rglob("*") if p.is_file()
    )
    for path in files:
        h.update(str(path.relative_to(PROJECT_ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class RunPaths:
    """Where a run's outputs go (``reports/<name>/``).

    A *unit* is what one notebook covers (a ticker for the exposure kind, a
    target for the forecast kind); ``slug`` is its file-name form.
    """

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def tables(self) -> Path:
        """Per-unit parts of the contract tables, merged by the runner."""
        return self.root / "tables"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def pdf(self) -> Path:
        return self.root / "pdf"

    def notebook(self, slug: str) -> Path:
        return self.notebooks / f"{slug}.ipynb"

    def page(self, slug: str) -> Path:
        return self.site / "reports" / f"{slug}.html"

    def unit_pdf(self, slug: str) -> Path:
        return self.pdf / f"{slug}.pdf"

    def part(self, slug: str, table: str) -> Path:
        """One unit's part of contract table ``table`` (``tables/<slug>.<table>.csv``)."""
        return self.tables / f"{slug}.{table}.csv"

    def components(self, slug: str) -> Path:
        """The unit's component statuses, written by its notebook (see :mod:`.tables`)."""
        return self.tables / f"{slug}.components.json"
