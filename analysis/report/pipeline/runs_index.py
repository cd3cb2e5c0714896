"""``reports/index.html``: one page linking every run under an output folder.

Each run folder holds a ``manifest.json`` (see :mod:`.manifest`); the page lists
the runs with their kind, title, report date, data source and how many units
succeeded, and links each run's site. It is self-contained (the site's CSS
inlined), so it opens from disk with no other file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analysis.data.cache import atomic_write_text
from analysis.report.pipeline.render_builtin import GENERATOR, TEMPLATES
from analysis.report.pipeline.site import env


def runs(out: Path) -> list[dict[str, Any]]:
    """The runs under ``out`` (folders with a ``manifest.json`` and a site), by name."""
    found = []
    for manifest in sorted(out.glob("*/manifest.json")):
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            continue
        run = manifest.parent
        units = doc.get("units", {})
        statuses = [u.get("status") for u in units.values()]
        found.append(
            {
                "name": doc.get("name", run.name),
                "kind": doc.get("kind", "exposure"),
                "title": doc.get("title", run.name),
                "date": doc.get("date", ""),
                "source": doc.get("data", {}).get("source", ""),
                "units": len(units),
                "ok": sum(s in ("ok", "skipped") for s in statuses),
                "partial": statuses.count("partial"),
                "failed": statuses.count("failed"),
                "site": f"{run.name}/site/index.html",
                "has_site": (run / "site" / "index.html").exists(),
                "pdfs": len(list((run / "pdf").glob("*.pdf"))),
            }
        )
    return found


def write_runs_index(out: str | Path) -> Path:
    """Write ``<out>/index.html`` listing every run under ``out``; return its path."""
    folder = Path(out)
    css = (TEMPLATES / "site.css").read_text(encoding="utf-8")
    page = (
        env(autoescape=True)
        .get_template("runs_index.html.j2")
        .render(runs=runs(folder), css=css, generator=GENERATOR)
    )
    path = folder / "index.html"
    atomic_write_text(path, page)
    return path
