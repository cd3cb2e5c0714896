"""What a report kind declares, so that the shared pipeline can run it.

The pipeline (data snapshot, papermill per unit, warm kernels, executors,
resume, atomic writes, failure isolation, manifest, both renderers, site,
PDFs) knows nothing of betas or forecasts. A kind (:mod:`analysis.report.kinds`)
is a :class:`ReportKind`: its params schema, its units (one notebook each),
its notebook template, its contract tables, what its data snapshot holds, and
its sections of the site's index and methodology pages.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from analysis.report.pipeline.params import RunParams
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import UnitOutcome
from analysis.report.pipeline.tables import ContractTable, write_csv


@dataclass(frozen=True)
class SiteInputs:
    """Everything the site of a run is built from (either renderer, any kind)."""

    kind: ReportKind
    params: Any
    paths: RunPaths
    data: RunData
    tables: Mapping[str, pd.DataFrame]
    outcomes: list[UnitOutcome]
    date: str

    @property
    def pdf_slugs(self) -> set[str]:
        """Units that get a PDF: every unit whose notebook did not fail."""
        return {o.slug for o in self.outcomes if o.status != "failed"}


class ReportKind(ABC):
    """A report kind (subclass it; one instance per kind is registered).

    Class attributes
    ----------------
    name
        Value of the ``kind`` key in params files.
    schema
        Pydantic model validating the params file (a :class:`RunParams`).
    template
        Notebook file name under ``templates/``.
    description
        One line for ``factor-report list``.
    unit_noun
        What one notebook covers ("ticker", "target"), for messages and pages.
    tables
        The contract tables every unit's notebook writes a part of.
    preload
        Modules a warm kernel imports once, before any notebook of any kind.
    """

    name: ClassVar[str]
    schema: ClassVar[type[RunParams]]
    template: ClassVar[str]
    description: ClassVar[str]
    unit_noun: ClassVar[str] = "unit"
    tables: ClassVar[tuple[ContractTable, ...]] = ()
    preload: ClassVar[tuple[str, ...]] = ()

    # ---------------------------------------------------------------- run

    @abstractmethod
    def fetch(self, params: Any, *, cache_dir: Path | None, refresh: bool) -> RunData:
        """Fetch everything the run needs, once (units the source lacks go to ``failed``)."""

    @abstractmethod
    def unit_columns(self, params: Any, unit: str) -> Sequence[str]:
        """The price columns of the snapshot that ``unit``'s notebook reads (for its hash)."""

    def unit_meta(self, params: Any, unit: str) -> dict[str, Any]:
        """Front matter of the unit's executed notebook (title, subtitle ...)."""
        return {"title": unit, "subtitle": params.title}

    def notebook_parameters(self, params: Any, unit: str) -> dict[str, Any]:
        """Parameters papermill injects, besides ``params_file`` and ``run_dir``."""
        return {"unit": unit}

    def write_failed_parts(self, paths: RunPaths, params: Any, unit: str, error: str) -> None:
        """Table parts of a unit whose notebook failed before saving (default: empty parts)."""
        slug = params.slugs[unit]
        for t in self.tables:
            write_csv(paths.part(slug, t.name), pd.DataFrame(columns=list(t.columns)))

    def summarize(self, paths: RunPaths, params: Any) -> dict[str, Any]:
        """Anything the kind adds to the manifest (default: nothing)."""
        return {}

    # ---------------------------------------------------------------- site

    def extra_downloads(self, paths: RunPaths) -> dict[str, bytes]:
        """Files besides the contract tables for ``site/downloads`` (``{name: bytes}``)."""
        return {}

    extra_descriptions: ClassVar[dict[str, str]] = {}
    """What each of :meth:`extra_downloads` is, for the index's download list."""

    run_documents: ClassVar[tuple[str, ...]] = ()
    """Run-level PDFs in ``<run>/pdf`` (stems, e.g. ``_universe``), kept beside the units'."""

    site_module: ClassVar[str] = ""
    """The kind's site module: ``index_facts(site)``, ``index_section(site)``,
    ``methodology_markdown(site)`` and ``licence_lines(site)``, which the four methods below
    call (imported when the site is built, so a notebook never loads it)."""

    def _site(self) -> Any:
        if not self.site_module:
            raise NotImplementedError(f"kind {self.name!r} declares no site_module")
        return importlib.import_module(self.site_module)

    def index_facts(self, site: SiteInputs) -> list[tuple[str, str]]:
        """``(label, text)`` lines describing the run at the top of the index page."""
        return list(self._site().index_facts(site))

    def index_section(self, site: SiteInputs) -> str:
        """The kind's part of the index page: an HTML fragment (values escaped)."""
        return str(self._site().index_section(site))

    def methodology(self, site: SiteInputs) -> str:
        """The kind's part of the methodology page: pandoc Markdown with TeX math."""
        return str(self._site().methodology_markdown(site))

    def licences(self, site: SiteInputs) -> list[str]:
        """Where each series comes from and under which licence (Markdown lines)."""
        return list(self._site().licence_lines(site))
