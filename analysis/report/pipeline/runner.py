"""Run a report end to end for any kind: data snapshot, one notebook per unit, site and PDFs.

Stages
------
1. **fetch**: the kind's :meth:`~.kind.ReportKind.fetch` once for the run,
   frozen in ``<run>/data/``.
2. **execute**: papermill runs ``templates/<kind template>`` once per unit
   (a ticker, a target) into ``<run>/notebooks/<slug>.ipynb`` (``--jobs``
   processes or a Dask cluster, a progress bar, a deadline per notebook). A
   unit whose notebook fails keeps the executed notebook with the error and
   is recorded as failed; the others go on. With the built-in renderer each
   worker also renders its unit's page and PDF.
3. **collect**: the per-unit parts of the kind's contract tables are merged
   into ``<run>/<table>.csv``.
4. **render**: the site (index, methodology, unit pages, downloads) and the
   PDFs, by Quarto or by the built-in renderer.
5. **manifest**: ``manifest.json`` with params, data hashes, versions, git
   commit, template hash, and every unit's status, report date and timings,
   with what this invocation did to it (``--only`` leaves the others as they
   were; the manifest still lists them).

Re-runs skip a unit whose inputs (params, data hash, template, library and
renderer) are unchanged and whose outputs all exist, unless ``force``. Every
file is written atomically, and a unit's state file is written last, so an
interrupted run is completed by the next one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, cast

from tqdm import tqdm

from analysis.errors import DataError, ParamsError
from analysis.report.pipeline import warm
from analysis.report.pipeline.execute import execute_notebook, remove_partials
from analysis.report.pipeline.executors import ExecutorName, run_tasks
from analysis.report.pipeline.kind import ReportKind
from analysis.report.pipeline.params import RunParams
from analysis.report.pipeline.paths import (
    TEMPLATES,
    RunPaths,
    build_date,
    hash_text,
    library_hash,
)
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.state import (
    UnitOutcome,
    now_iso,
    ordered_all,
    read_state,
    write_state,
)
from analysis.report.pipeline.tables import collect, read_components, unit_status

RendererName = Literal["auto", "quarto", "builtin"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PARTIAL = 3


@dataclass(frozen=True)
class UnitTask:
    """Everything a worker needs to produce one unit's outputs (picklable)."""

    unit: str
    slug: str
    kind: ReportKind
    params: RunParams
    template: str
    run_dir: str
    params_file: str
    parameters: dict[str, Any]
    timeout: float
    input_hash: str
    meta: dict[str, Any]
    render_builtin: bool
    site_title: str
    kernel: str = "python3"
    engine: Literal["warm", "cold"] = "warm"


@dataclass
class RunSummary:
    """What a run produced, for the CLI's exit summary."""

    name: str
    root: Path
    renderer: str
    noun: str
    outcomes: list[UnitOutcome]
    seconds: dict[str, float]

    @property
    def exit_code(self) -> int:
        """0 every unit ok; 3 a completed run where some or even all units failed or are
        partial (their reasons are on the site). A run that could not complete (bad params,
        the market proxy unavailable ...) raises instead, and the CLI exits 2 or 1."""
        statuses = [o.status for o in self.outcomes]
        if any(s in ("failed", "partial") for s in statuses):
            return EXIT_PARTIAL
        return EXIT_OK

    def lines(self) -> list[str]:
        by = {
            s: [o for o in self.outcomes if o.status == s]
            for s in ("ok", "partial", "failed", "skipped")
        }
        out = [
            f"{self.name}: {len(by['ok'])} ok, {len(by['partial'])} partial, "
            f"{len(by['failed'])} failed, {len(by['skipped'])} unchanged (skipped) "
            f"of {len(self.outcomes)} {self.noun}s in {self.seconds.get('total', 0):.1f} s"
        ]
        for o in by["failed"]:
            out.append(f"  FAILED  {o.unit}: {o.error}")
        for o in by["partial"]:
            bad = ", ".join(f"{m}: {s}" for m, s in o.components.items() if s != "ok")
            out.append(f"  PARTIAL {o.unit}: {bad}")
        site = self.root / "site" / "index.html"
        out.append(f"Site: {site}")
        out.append(
            f"PDFs: {self.root / 'pdf'}/ ({len(list((self.root / 'pdf').glob('*.pdf')))} files)"
        )
        return out


def input_hash(
    kind: ReportKind,
    params: RunParams,
    unit: str,
    data: RunData,
    template: Path,
    renderer: str,
) -> str:
    """Everything a unit's outputs depend on, hashed."""
    settings: dict[str, Any] = params.model_dump(mode="json")
    # the list of units is not an input of one unit's outputs: adding a ticker
    # must not re-run the others
    for key in ("tickers", "targets"):
        settings.pop(key, None)
    doc = {
        "params": settings,
        "unit": unit,
        "data": data.unit_hash(kind.unit_columns(params, unit), unit),
        "template": hashlib.sha256(template.read_bytes()).hexdigest(),
        "library": library_hash(),
        "renderer": renderer,
        "date": build_date(),
    }
    return hash_text(json.dumps(doc, sort_keys=True, default=str))


def _outputs_exist(
    paths: RunPaths, kind: ReportKind, slug: str, status: str, builtin: bool
) -> bool:
    need = [paths.notebook(slug), paths.components(slug)]
    need += [paths.part(slug, t.name) for t in kind.tables]
    if builtin:
        need.append(paths.page(slug))
        if status != "failed":
            need.append(paths.unit_pdf(slug))
    return all(p.exists() for p in need)


def render_unit(
    paths: RunPaths, slug: str, status: str, site_title: str, index_date: str | None = None
) -> dict[str, float]:
    """Built-in renderer: a unit's page, and its PDF unless the unit failed.

    The page links the PDF exactly when one is made, and notes ``index_date``
    when it is not the report's own date. Returns the seconds each took.
    """
    from analysis.report.pipeline import render_builtin

    nb = paths.notebook(slug)
    seconds = {}
    t = time.perf_counter()
    render_builtin.render_unit_page(
        nb, paths.page(slug), site_title=site_title, pdf=status != "failed", index_date=index_date
    )
    seconds["html"] = time.perf_counter() - t
    if status != "failed":
        t = time.perf_counter()
        render_builtin.render_unit_pdf(nb, paths.unit_pdf(slug))
        seconds["pdf"] = time.perf_counter() - t
    return seconds


def process_unit(task: UnitTask) -> UnitOutcome:
    """Execute one unit's notebook, render it (built-in renderer) and record its state.

    Never raises for a problem of the unit itself: the outcome says what failed.
    """
    paths = RunPaths(Path(task.run_dir))
    t0 = time.perf_counter()
    # a stale components file from an earlier run must not vouch for this one
    paths.components(task.slug).unlink(missing_ok=True)
    ex = execute_notebook(
        Path(task.template),
        paths.notebook(task.slug),
        {"params_file": task.params_file, "run_dir": "..", **task.parameters},
        meta=task.meta,
        cwd=paths.notebooks,
        timeout=task.timeout,
        kernel_name=task.kernel,
        log_path=(
            warm.kernel_log(paths.root / "logs")
            if task.engine == "warm"
            else paths.root / "logs" / f"{task.slug}.kernel.log"
        ),
        engine=task.engine,
    )
    seconds = {"execute": ex.seconds}
    components = read_components(paths.components(task.slug)) if ex.ok else None
    if components:
        status = unit_status(components)
        error = (
            None
            if status == "ok"
            else "; ".join(f"{m}: {s}" for m, s in components.items() if s != "ok")
        )
    else:
        status, error = "failed", ex.error or "notebook recorded no results"
        _write_failed_parts(paths, task, error)
    outcome = UnitOutcome(
        unit=task.unit,
        slug=task.slug,
        status=cast(Any, status),
        error=error,
        input_hash=task.input_hash,
        seconds=seconds,
        cell_seconds=dict(ex.cell_seconds),
        components=components or {},
        date=str(task.meta.get("date", "")),
    )
    if task.render_builtin:
        seconds.update(render_unit(paths, task.slug, outcome.status, task.site_title))
    seconds["total"] = time.perf_counter() - t0
    outcome.finished = now_iso()
    write_state(paths, outcome)
    return outcome


def _write_failed_parts(paths: RunPaths, task: UnitTask, error: str) -> None:
    task.kind.write_failed_parts(paths, task.params, task.unit, error)


def choose_renderer(name: RendererName) -> Literal["quarto", "builtin"]:
    """``auto`` means Quarto when ``quarto`` is on PATH, else the built-in renderer."""
    if name == "auto":
        return "quarto" if shutil.which("quarto") else "builtin"
    if name == "quarto" and not shutil.which("quarto"):
        raise ParamsError("--renderer quarto: 'quarto' is not on PATH (use --renderer builtin)")
    return cast(Literal["quarto", "builtin"], name)


def _crashed(task: UnitTask, exc: BaseException) -> UnitOutcome:
    """Outcome (and state file) of a unit whose worker raised or died."""
    outcome = UnitOutcome(
        task.unit,
        task.slug,
        "failed",
        f"worker crashed: {exc!r}",
        task.input_hash,
        date=str(task.meta.get("date", "")),
        finished=now_iso(),
    )
    write_state(RunPaths(Path(task.run_dir)), outcome)
    return outcome


def run(
    kind: ReportKind,
    params: RunParams,
    params_file: str | Path,
    *,
    out: str | Path = "reports",
    jobs: int = 1,
    executor: ExecutorName = "local",
    scheduler: str | None = None,
    fresh_kernels: bool = False,
    renderer: RendererName = "auto",
    force: bool = False,
    refresh: bool = False,
    progress: bool = True,
    only: Iterable[str] | None = None,
    execute_only: bool = False,
    timeout: float | None = None,
    reuse_data: bool = False,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> RunSummary:
    """Run a validated params file of ``kind`` end to end (see the module docstring).

    With ``reuse_data`` the run's existing snapshot (``<run>/data``, checked
    against its hashes by :meth:`RunData.load`) is used as it is and nothing is
    fetched (``factor-report verify`` re-executes a run this way).
    """
    t_start = time.perf_counter()
    template = TEMPLATES / kind.template
    which = "builtin" if execute_only else choose_renderer(renderer)
    paths = RunPaths(Path(out) / params.name)
    created = [d for d in (paths.root, paths.notebooks, paths.state, paths.data) if not d.exists()]
    for d in (paths.notebooks, paths.state, paths.data):
        d.mkdir(parents=True, exist_ok=True)
    stale = remove_partials(paths.notebooks)
    if stale:
        log(f"removed {len(stale)} partial notebook(s) left by an interrupted run")

    t = time.perf_counter()
    try:
        if reuse_data:
            data = RunData.load(paths.data)
        else:
            data = _fetch(kind, params, params_file, out, refresh)
            data.save(paths.data)
    except BaseException:
        # the run failed before it made anything: leave no empty folders behind
        for d in reversed(created):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise
    seconds = {"fetch": time.perf_counter() - t}
    if data.failed:
        log(f"data: no prices for {', '.join(data.failed)} (their reports will say why)")

    units = list(params.units)
    if only is not None:
        unknown = sorted(set(only) - set(units))
        if unknown:
            raise ParamsError(
                f"{params_file}: {', '.join(unknown)} not among the run's {kind.unit_noun}s "
                f"({', '.join(units)})"
            )
        units = [x for x in units if x in set(only)]
    params_rel = os.path.relpath(Path(params_file).resolve(), paths.notebooks.resolve())
    date = build_date()
    builtin = which == "builtin" and not execute_only
    tasks: list[UnitTask] = []
    outcomes: dict[str, UnitOutcome] = {}
    for unit in units:
        slug = params.slugs[unit]
        h = input_hash(kind, params, unit, data, template, which)
        prev = read_state(paths, slug)
        if (
            not force
            and prev is not None
            and prev.input_hash == h
            and prev.status in ("ok", "partial")
            and _outputs_exist(paths, kind, slug, prev.status, builtin)
        ):
            prev.seconds = {}
            outcomes[unit] = UnitOutcome(**{**asdict(prev), "status": "skipped"})
            continue
        meta = {**kind.unit_meta(params, unit), "date": date, "run": params.name}
        tasks.append(
            UnitTask(
                unit=unit,
                slug=slug,
                kind=kind,
                params=params,
                template=str(template),
                run_dir=str(paths.root.resolve()),
                params_file=params_rel,
                parameters=kind.notebook_parameters(params, unit),
                timeout=float(timeout or params.timeout),
                input_hash=h,
                meta=meta,
                render_builtin=builtin,
                site_title=params.title,
                engine="cold" if fresh_kernels else "warm",
            )
        )
    if outcomes:
        log(
            f"{len(outcomes)} {kind.unit_noun}(s) unchanged since the last run: "
            "skipped (use --force)"
        )
    t = time.perf_counter()
    run_tasks(
        tasks,
        process_unit,
        on_done=lambda o: outcomes.__setitem__(o.unit, o),
        on_crash=_crashed,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
        noun=kind.unit_noun,
    )
    seconds["execute"] = time.perf_counter() - t

    ordered = [outcomes[x] for x in units]
    return _finish(
        kind,
        params,
        Path(params_file),
        paths,
        data,
        template,
        ordered,
        which,
        date,
        seconds,
        t_start,
        render=not execute_only,
        command="execute" if execute_only else "run",
        only=None if only is None else units,
    )


def _finish(
    kind: ReportKind,
    params: RunParams,
    params_file: Path,
    paths: RunPaths,
    data: RunData,
    template: Path,
    outcomes: list[UnitOutcome],
    which: str,
    date: str,
    seconds: dict[str, float],
    t_start: float,
    *,
    render: bool,
    command: str,
    only: list[str] | None = None,
) -> RunSummary:
    """Collect tables, render the site, write the manifest (shared by run and render).

    ``outcomes`` are the units this invocation covered (``command``: run,
    execute or render; ``only``: the ``--only`` selection, if any); the site
    and the manifest cover every unit of the run.
    """
    from analysis.report.pipeline import site
    from analysis.report.pipeline.manifest import write_manifest

    t = time.perf_counter()
    slugs = [params.slugs[u] for u in params.units]
    tables = {tab.name: collect(paths, tab, slugs) for tab in kind.tables}
    seconds["collect"] = time.perf_counter() - t
    everyone = ordered_all(paths, params.slugs, {})
    inputs = site.SiteInputs(kind, params, paths, data, tables, everyone, date)
    if render:
        t = time.perf_counter()
        site.render_site(inputs, which)
        seconds["render"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t_start
    summary = RunSummary(params.name, paths.root, which, kind.unit_noun, outcomes, seconds)
    write_manifest(
        paths,
        params,
        params_file,
        data,
        template,
        renderer=summary.renderer,
        seconds=summary.seconds,
        outcomes=summary.outcomes,
        states=everyone,
        extra=kind.summarize(paths, params),
        command=command,
        only=only,
    )
    if render:
        site.write_downloads(inputs, paths.site)
    return summary


def render(
    kind: ReportKind,
    params: RunParams,
    params_file: str | Path,
    *,
    out: str | Path = "reports",
    renderer: RendererName = "auto",
    progress: bool = True,
) -> RunSummary:
    """Render the site and PDFs again from a run's executed notebooks (no execution)."""
    t_start = time.perf_counter()
    template = TEMPLATES / kind.template
    which = choose_renderer(renderer)
    paths = RunPaths(Path(out) / params.name)
    data = RunData.load(paths.data)
    outcomes = ordered_all(paths, params.slugs, {})
    missing = [o.unit for o in outcomes if not paths.notebook(o.slug).exists()]
    if missing:
        raise ParamsError(
            f"{paths.root}: no executed notebook for {', '.join(missing)}; "
            "run 'factor-report execute' (or 'run') first"
        )
    seconds: dict[str, float] = {}
    date = build_date()
    if which == "builtin":
        t = time.perf_counter()
        for o in tqdm(
            outcomes, desc="pages", unit=kind.unit_noun, disable=not progress, file=sys.stderr
        ):
            render_unit(paths, o.slug, o.status, params.title, index_date=date)
        seconds["pages"] = time.perf_counter() - t
    return _finish(
        kind,
        params,
        Path(params_file),
        paths,
        data,
        template,
        outcomes,
        which,
        date,
        seconds,
        t_start,
        render=True,
        command="render",
    )


def fetch(
    kind: ReportKind,
    params: RunParams,
    params_file: str | Path,
    *,
    out: str | Path = "reports",
    refresh: bool = False,
) -> tuple[RunPaths, RunData]:
    """Fetch a run's data (filling the download cache) and freeze it in ``<run>/data``."""
    paths = RunPaths(Path(out) / params.name)
    data = _fetch(kind, params, params_file, out, refresh)
    data.save(paths.data)
    return paths, data


def _fetch(
    kind: ReportKind, params: RunParams, params_file: str | Path, out: str | Path, refresh: bool
) -> RunData:
    """The kind's fetch; a data error that concerns a params key names the params file."""
    try:
        return kind.fetch(params, cache_dir=Path(out) / ".cache", refresh=refresh)
    except DataError as exc:
        if str(exc).startswith("'"):
            raise DataError(f"{params_file}: {exc}") from exc
        raise
