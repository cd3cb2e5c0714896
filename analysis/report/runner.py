"""Run a params file end to end: data snapshot, one notebook per ticker, site and PDFs.

Stages
------
1. **fetch**: :func:`~analysis.report.inputs.fetch_run_data` once for the run,
   frozen in ``<run>/data/``.
2. **execute**: papermill runs ``templates/<kind>.ipynb`` once per ticker into
   ``<run>/notebooks/<slug>.ipynb`` (``--jobs`` processes, a progress bar, a
   deadline per notebook). A ticker whose notebook fails keeps the executed
   notebook with the error and is recorded as failed; the others go on. With
   the built-in renderer each worker also renders its ticker's page and PDF.
3. **collect**: the per-ticker tables are merged into ``exposures.csv`` and
   ``fit.csv``; ``rolling/`` already holds one CSV per ticker and model.
4. **render**: the site (index, methodology, ticker pages, downloads) and the
   PDFs, by Quarto or by the built-in renderer.
5. **manifest**: ``manifest.json`` with params, data hashes, versions, git
   commit, template hash, and each ticker's status and timings.

Re-runs skip a ticker whose inputs (params, data hash, template, library and
renderer) are unchanged and whose outputs all exist, unless ``force``. Every
file is written atomically, and a ticker's state file is written last, so
an interrupted run is completed by the next one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd
from tqdm import tqdm

from analysis import __version__
from analysis.data.cache import atomic_write_text
from analysis.errors import ParamsError
from analysis.report import warm
from analysis.report.execute import execute_notebook, remove_partials
from analysis.report.executors import ExecutorName, run_tasks
from analysis.report.exposure import EXPOSURE_COLUMNS, FIT_COLUMNS, write_csv
from analysis.report.inputs import RunData, fetch_run_data, hash_text
from analysis.report.kinds import get_kind
from analysis.report.params import ExposureParams, load_params

RendererName = Literal["auto", "quarto", "builtin"]
TickerStatus = Literal["ok", "partial", "failed", "skipped"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT_ROOT / "templates"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PARTIAL = 3


def build_date() -> str:
    """Report date: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.strftime("%Y-%m-%d")


def library_hash() -> str:
    """Hash of the library's source and the templates: a change re-runs every ticker."""
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
    """Where a run's outputs go."""

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
    def site(self) -> Path:
        return self.root / "site"

    @property
    def pdf(self) -> Path:
        return self.root / "pdf"

    def notebook(self, slug: str) -> Path:
        return self.notebooks / f"{slug}.ipynb"

    def page(self, slug: str) -> Path:
        return self.site / "reports" / f"{slug}.html"

    def ticker_pdf(self, slug: str) -> Path:
        return self.pdf / f"{slug}.pdf"


@dataclass(frozen=True)
class TickerTask:
    """Everything a worker needs to produce one ticker's outputs (picklable)."""

    ticker: str
    slug: str
    template: str
    run_dir: str
    params_file: str
    timeout: float
    input_hash: str
    meta: dict[str, Any]
    render_builtin: bool
    site_title: str
    kernel: str = "python3"
    engine: Literal["warm", "cold"] = "warm"


@dataclass
class TickerOutcome:
    """How one ticker ended; also the content of its state file."""

    ticker: str
    slug: str
    status: TickerStatus
    error: str | None = None
    input_hash: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    cell_seconds: dict[str, float] = field(default_factory=dict)
    model_status: dict[str, str] = field(default_factory=dict)


@dataclass
class RunSummary:
    """What a run produced, for the CLI's exit summary."""

    name: str
    root: Path
    renderer: str
    outcomes: list[TickerOutcome]
    seconds: dict[str, float]

    @property
    def exit_code(self) -> int:
        statuses = [o.status for o in self.outcomes]
        if any(s in ("failed", "partial") for s in statuses):
            return EXIT_ERROR if all(s == "failed" for s in statuses) else EXIT_PARTIAL
        return EXIT_OK

    def lines(self) -> list[str]:
        by = {
            s: [o for o in self.outcomes if o.status == s]
            for s in ("ok", "partial", "failed", "skipped")
        }
        out = [
            f"{self.name}: {len(by['ok'])} ok, {len(by['partial'])} partial, "
            f"{len(by['failed'])} failed, {len(by['skipped'])} unchanged (skipped) "
            f"of {len(self.outcomes)} tickers in {self.seconds.get('total', 0):.1f} s"
        ]
        for o in by["failed"]:
            out.append(f"  FAILED  {o.ticker}: {o.error}")
        for o in by["partial"]:
            bad = ", ".join(f"{m}: {s}" for m, s in o.model_status.items() if s != "ok")
            out.append(f"  PARTIAL {o.ticker}: {bad}")
        site = self.root / "site" / "index.html"
        out.append(f"Site: {site}")
        out.append(
            f"PDFs: {self.root / 'pdf'}/ ({len(list((self.root / 'pdf').glob('*.pdf')))} files)"
        )
        return out


def input_hash(
    params: ExposureParams, ticker: str, data: RunData, template: Path, renderer: str
) -> str:
    """Everything a ticker's outputs depend on, hashed."""
    doc = {
        "params": params.model_dump(mode="json", exclude={"tickers"}),
        "ticker": ticker,
        "data": data.ticker_hash(ticker, params),
        "template": hashlib.sha256(template.read_bytes()).hexdigest(),
        "library": library_hash(),
        "renderer": renderer,
        "date": build_date(),
    }
    return hash_text(json.dumps(doc, sort_keys=True, default=str))


def _state_path(paths: RunPaths, slug: str) -> Path:
    return paths.state / f"{slug}.json"


def _outputs_exist(paths: RunPaths, slug: str, status: str, builtin: bool) -> bool:
    need = [paths.notebook(slug), paths.root / "tables" / f"{slug}.fit.csv"]
    if builtin:
        need.append(paths.page(slug))
        if status != "failed":
            need.append(paths.ticker_pdf(slug))
    return all(p.exists() for p in need)


def _previous(paths: RunPaths, slug: str) -> TickerOutcome | None:
    p = _state_path(paths, slug)
    if not p.exists():
        return None
    try:
        return TickerOutcome(**json.loads(p.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None


def render_ticker(paths: RunPaths, slug: str, status: str, site_title: str) -> dict[str, float]:
    """Built-in renderer: a ticker's page, and its PDF unless the ticker failed.

    The page links the PDF exactly when one is made. Returns the seconds each took.
    """
    from analysis.report import render_builtin

    nb = paths.notebook(slug)
    seconds = {}
    t = time.perf_counter()
    render_builtin.render_ticker_page(
        nb, paths.page(slug), site_title=site_title, pdf=status != "failed"
    )
    seconds["html"] = time.perf_counter() - t
    if status != "failed":
        t = time.perf_counter()
        render_builtin.render_ticker_pdf(nb, paths.ticker_pdf(slug))
        seconds["pdf"] = time.perf_counter() - t
    return seconds


def process_ticker(task: TickerTask) -> TickerOutcome:
    """Execute one ticker's notebook, render it (built-in renderer) and record its state.

    Never raises for a problem of the ticker itself: the outcome says what failed.
    """
    paths = RunPaths(Path(task.run_dir))
    t0 = time.perf_counter()
    nb_path = paths.notebook(task.slug)
    ex = execute_notebook(
        Path(task.template),
        nb_path,
        {"params_file": task.params_file, "ticker": task.ticker, "run_dir": ".."},
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
    model_status: dict[str, str] = {}
    fit_part = paths.root / "tables" / f"{task.slug}.fit.csv"
    if ex.ok and fit_part.exists():
        fit = pd.read_csv(fit_part, keep_default_na=False)
        model_status = {
            str(m): "ok" if st == "ok" else (reason or "failed")
            for m, st, reason in zip(fit["model"], fit["status"], fit["reason"], strict=True)
        }
        status: TickerStatus = (
            "ok"
            if all(s == "ok" for s in model_status.values())
            else ("partial" if any(s == "ok" for s in model_status.values()) else "failed")
        )
        error = (
            None
            if status == "ok"
            else "; ".join(f"{m}: {s}" for m, s in model_status.items() if s != "ok")
        )
    else:
        status, error = "failed", ex.error or "notebook wrote no results"
        _write_failed_tables(paths, task, error)
    outcome = TickerOutcome(
        ticker=task.ticker,
        slug=task.slug,
        status=status,
        error=error,
        input_hash=task.input_hash,
        seconds=seconds,
        cell_seconds=dict(ex.cell_seconds),
        model_status=model_status,
    )
    if task.render_builtin:
        seconds.update(render_ticker(paths, task.slug, status, task.site_title))
    seconds["total"] = time.perf_counter() - t0
    atomic_write_text(
        _state_path(paths, task.slug), json.dumps(asdict(outcome), indent=2, sort_keys=True)
    )
    return outcome


def _write_failed_tables(paths: RunPaths, task: TickerTask, error: str) -> None:
    """A failed ticker still has rows in fit.csv (status failed) and none in exposures.csv."""
    params = load_params(paths.notebooks / task.params_file)
    assert isinstance(params, ExposureParams)
    fit = pd.DataFrame(
        [
            {
                "ticker": task.ticker,
                "model": m.id,
                **dict.fromkeys(FIT_COLUMNS[2:8]),
                "status": "failed",
            }
            for m in params.resolved_models()
        ],
        columns=FIT_COLUMNS,
    )
    write_csv(paths.root / "tables" / f"{task.slug}.fit.csv", fit)
    write_csv(
        paths.root / "tables" / f"{task.slug}.exposures.csv", pd.DataFrame(columns=EXPOSURE_COLUMNS)
    )


def choose_renderer(name: RendererName) -> Literal["quarto", "builtin"]:
    """``auto`` means Quarto when ``quarto`` is on PATH, else the built-in renderer."""
    if name == "auto":
        return "quarto" if shutil.which("quarto") else "builtin"
    if name == "quarto" and not shutil.which("quarto"):
        raise ParamsError("--renderer quarto: 'quarto' is not on PATH (use --renderer builtin)")
    return cast(Literal["quarto", "builtin"], name)


def _crashed(task: TickerTask, exc: BaseException) -> TickerOutcome:
    """Outcome (and state file) of a ticker whose worker raised or died."""
    outcome = TickerOutcome(
        task.ticker, task.slug, "failed", f"worker crashed: {exc!r}", task.input_hash
    )
    atomic_write_text(
        _state_path(RunPaths(Path(task.run_dir)), task.slug),
        json.dumps(asdict(outcome), indent=2, sort_keys=True),
    )
    return outcome


def collect_tables(paths: RunPaths, slugs: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge the per-ticker parts into ``exposures.csv`` and ``fit.csv`` (atomically)."""
    exp: list[pd.DataFrame] = []
    fit: list[pd.DataFrame] = []
    for slug in slugs:
        for kind, acc in (("exposures", exp), ("fit", fit)):
            part = paths.root / "tables" / f"{slug}.{kind}.csv"
            if part.exists():
                acc.append(pd.read_csv(part, keep_default_na=False, na_values=[""]))
    exposures = pd.concat(exp, ignore_index=True) if exp else pd.DataFrame(columns=EXPOSURE_COLUMNS)
    fits = pd.concat(fit, ignore_index=True) if fit else pd.DataFrame(columns=FIT_COLUMNS)
    write_csv(paths.root / "exposures.csv", exposures[EXPOSURE_COLUMNS])
    write_csv(paths.root / "fit.csv", fits[FIT_COLUMNS])
    return exposures, fits


def run(
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
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> RunSummary:
    """Run ``params_file`` end to end (see the module docstring)."""
    t_start = time.perf_counter()
    params = load_params(params_file)
    if not isinstance(params, ExposureParams):
        raise ParamsError(f"{params_file}: kind {getattr(params, 'kind', '?')!r} has no runner")
    kind = get_kind(params.kind, source=str(params_file))
    template = TEMPLATES / kind.template
    which = "builtin" if execute_only else choose_renderer(renderer)
    paths = RunPaths(Path(out) / params.name)
    for d in (paths.notebooks, paths.state, paths.data):
        d.mkdir(parents=True, exist_ok=True)
    stale = remove_partials(paths.notebooks)
    if stale:
        log(f"removed {len(stale)} partial notebook(s) left by an interrupted run")

    t = time.perf_counter()
    data = fetch_run_data(params, cache_dir=Path(out) / ".cache", refresh=refresh)
    data.save(paths.data)
    seconds = {"fetch": time.perf_counter() - t}
    if data.failed:
        log(f"data: no prices for {', '.join(data.failed)} (their reports will say why)")

    tickers = list(params.tickers)
    if only is not None:
        unknown = sorted(set(only) - set(tickers))
        if unknown:
            raise ParamsError(f"{params_file}: {', '.join(unknown)} not in 'tickers'")
        tickers = [x for x in tickers if x in set(only)]
    params_rel = os.path.relpath(Path(params_file).resolve(), paths.notebooks.resolve())
    date = build_date()
    builtin = which == "builtin" and not execute_only
    tasks: list[TickerTask] = []
    outcomes: dict[str, TickerOutcome] = {}
    for ticker in tickers:
        slug = params.slugs[ticker]
        h = input_hash(params, ticker, data, template, which)
        prev = _previous(paths, slug)
        if (
            not force
            and prev is not None
            and prev.input_hash == h
            and prev.status in ("ok", "partial")
            and _outputs_exist(paths, slug, prev.status, builtin)
        ):
            prev.seconds = {}
            outcomes[ticker] = TickerOutcome(**{**asdict(prev), "status": "skipped"})
            continue
        meta = {
            "title": f"{ticker} — factor exposures",
            "subtitle": params.title,
            "date": date,
            "ticker": ticker,
            "run": params.name,
        }
        tasks.append(
            TickerTask(
                ticker=ticker,
                slug=slug,
                template=str(template),
                run_dir=str(paths.root.resolve()),
                params_file=params_rel,
                timeout=float(timeout or params.timeout),
                input_hash=h,
                meta=meta,
                render_builtin=builtin,
                site_title=params.title,
                engine="cold" if fresh_kernels else "warm",
            )
        )
    if outcomes:
        log(f"{len(outcomes)} ticker(s) unchanged since the last run: skipped (use --force)")
    t = time.perf_counter()
    run_tasks(
        tasks,
        process_ticker,
        on_done=lambda o: outcomes.__setitem__(o.ticker, o),
        on_crash=_crashed,
        executor=executor,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
    )
    seconds["execute"] = time.perf_counter() - t

    ordered = [outcomes[x] for x in tickers]
    return _finish(
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
    )


def _finish(
    params: ExposureParams,
    params_file: Path,
    paths: RunPaths,
    data: RunData,
    template: Path,
    outcomes: list[TickerOutcome],
    which: str,
    date: str,
    seconds: dict[str, float],
    t_start: float,
    *,
    render: bool,
) -> RunSummary:
    """Collect tables, render the site, write the manifest (shared by run and render)."""
    from analysis.report import site
    from analysis.report.manifest import write_manifest

    t = time.perf_counter()
    exposures, fits = collect_tables(paths, [params.slugs[x] for x in params.tickers])
    seconds["collect"] = time.perf_counter() - t
    if render:
        t = time.perf_counter()
        site.render_site(
            site.SiteInputs(
                params, paths, data, exposures, fits, ordered_all(paths, params, {}), date
            ),
            which,
        )
        seconds["render"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t_start
    summary = RunSummary(params.name, paths.root, which, outcomes, seconds)
    write_manifest(paths, params, params_file, data, template, summary)
    if render:
        site.write_downloads(paths, paths.site)
    return summary


def render(
    params_file: str | Path,
    *,
    out: str | Path = "reports",
    renderer: RendererName = "auto",
    progress: bool = True,
) -> RunSummary:
    """Render the site and PDFs again from a run's executed notebooks (no execution)."""
    t_start = time.perf_counter()
    params = load_params(params_file)
    if not isinstance(params, ExposureParams):
        raise ParamsError(f"{params_file}: kind {getattr(params, 'kind', '?')!r} has no renderer")
    template = TEMPLATES / get_kind(params.kind, source=str(params_file)).template
    which = choose_renderer(renderer)
    paths = RunPaths(Path(out) / params.name)
    data = RunData.load(paths.data)
    outcomes = ordered_all(paths, params, {})
    missing = [o.ticker for o in outcomes if not paths.notebook(o.slug).exists()]
    if missing:
        raise ParamsError(
            f"{paths.root}: no executed notebook for {', '.join(missing)}; "
            "run 'factor-report execute' (or 'run') first"
        )
    seconds: dict[str, float] = {}
    if which == "builtin":
        t = time.perf_counter()
        for o in tqdm(outcomes, desc="pages", unit="ticker", disable=not progress, file=sys.stderr):
            render_ticker(paths, o.slug, o.status, params.title)
        seconds["pages"] = time.perf_counter() - t
    return _finish(
        params,
        Path(params_file),
        paths,
        data,
        template,
        outcomes,
        which,
        build_date(),
        seconds,
        t_start,
        render=True,
    )


def ordered_all(
    paths: RunPaths, params: ExposureParams, outcomes: dict[str, TickerOutcome]
) -> list[TickerOutcome]:
    """Outcomes for every ticker of the run (from this run, else from the state files)."""
    out = []
    for ticker in params.tickers:
        slug = params.slugs[ticker]
        o = outcomes.get(ticker) or _previous(paths, slug)
        out.append(o or TickerOutcome(ticker, slug, "failed", "not run yet"))
    return out


def fetch(
    params_file: str | Path, *, out: str | Path = "reports", refresh: bool = False
) -> tuple[RunPaths, RunData]:
    """Fetch a run's data (filling the download cache) and freeze it in ``<run>/data``."""
    params = load_params(params_file)
    if not isinstance(params, ExposureParams):
        raise ParamsError(f"{params_file}: kind {getattr(params, 'kind', '?')!r} has no data")
    paths = RunPaths(Path(out) / params.name)
    data = fetch_run_data(params, cache_dir=Path(out) / ".cache", refresh=refresh)
    data.save(paths.data)
    return paths, data
