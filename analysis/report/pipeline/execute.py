"""Execute one parameterized notebook with papermill, atomically and with a deadline.

The notebook is executed into a hidden ``.<name>.partial.ipynb`` file beside its
destination and renamed into place only when execution has ended, so an
interrupted run (even ``kill -9``) never leaves a half-written notebook
under the final name; the next run removes the stale partial file.

A failing notebook is not an exception here: papermill stores the error in
the executed notebook, which is kept (a reader sees where and why it
failed), and :class:`ExecOutcome` carries the reason.

After execution the notebook is made reproducible and self-describing:

* the YAML front matter in the first (raw) cell gets the report's title,
  subtitle and date (Quarto and the built-in renderer read it);
* papermill's and nbclient's timestamps and absolute paths are removed, so
  the same inputs give the same file; the per-cell durations are returned
  in :attr:`ExecOutcome.cell_seconds` for the manifest instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat
import papermill
import yaml
from papermill.exceptions import PapermillExecutionError

from analysis.data.cache import atomic_write_text
from analysis.report.pipeline.kernels import LocalKernelManager

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ExecOutcome:
    """How the execution of one notebook ended.

    Attributes
    ----------
    path
        The executed notebook (present even when execution failed).
    error
        ``None`` on success, else one line: ``"ExceptionName: message"``.
    seconds
        Wall-clock seconds, kernel start included.
    cell_seconds
        Duration of each code cell, keyed ``"cell-NN"`` (from papermill).
    """

    path: Path
    error: str | None
    seconds: float
    cell_seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def partial_path(path: Path) -> Path:
    """Where ``path`` is written while its notebook executes."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def front_matter(meta: Mapping[str, Any]) -> str:
    """A YAML front matter block (``---`` fenced) for the first raw cell."""
    body = yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{body}---"


_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def _first_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The notebook's first cell, ignoring the banner papermill puts above a failed one."""
    for cell in nb.cells:
        if _PAPERMILL_ERROR_TAG not in cell.metadata.get("tags", []):
            return cell
    return None


def read_front_matter(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The metadata in the first cell's YAML front matter (empty if there is none)."""
    cell = _first_cell(nb)
    if cell is None or cell.cell_type not in ("raw", "markdown"):
        return {}
    m = re.match(r"^---\n(.*?)\n---\s*$", cell.source, re.DOTALL)
    if not m:
        return {}
    meta = yaml.safe_load(m.group(1))
    return meta if isinstance(meta, dict) else {}


def _clean(nb: nbformat.NotebookNode, meta: Mapping[str, Any]) -> dict[str, float]:
    """Set the front matter, drop timestamps and paths; return cell durations."""
    first = _first_cell(nb)
    if first is not None and first.cell_type == "raw":
        first.source = front_matter(meta)
    durations: dict[str, float] = {}
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        pm = cell.metadata.get("papermill", {})
        if cell.cell_type == "code" and pm.get("duration") is not None:
            durations[str(cell.get("id", len(durations)))] = float(pm["duration"])
        for key in ("start_time", "end_time", "duration"):
            pm.pop(key, None)
        cell.metadata.pop("execution", None)
    pm_nb = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm_nb.pop(key, None)
    return durations


def execute_notebook(
    template: Path,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    meta: Mapping[str, Any],
    cwd: Path,
    timeout: float,
    kernel_name: str = "python3",
    log_path: Path | None = None,
    engine: Literal["warm", "cold"] = "warm",
) -> ExecOutcome:
    """Execute ``template`` with ``parameters`` into ``output``.

    Parameters
    ----------
    template
        The parameterized notebook (a cell tagged ``parameters``).
    output
        Destination of the executed notebook (replaced atomically).
    parameters
        Values papermill injects after the ``parameters`` cell.
    meta
        Front matter for the executed notebook (title, subtitle, date ...).
    cwd
        Working directory of the kernel.
    timeout
        Seconds for the whole notebook (every cell gets what is left of it).
    kernel_name
        Jupyter kernel to run.
    log_path
        File the kernel process's own stderr/stdout is appended to
        (default: inherited from this process).
    engine
        ``"warm"`` (default): run in this process's reused kernel, reset before
        the notebook (see :mod:`analysis.report.pipeline.warm`); ``"cold"``: a new
        kernel for this notebook only, as papermill does by default.
    """
    tmp = partial_path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    deadline = t0 + timeout

    def remaining(cell: Any) -> int:
        return max(1, int(deadline - time.monotonic()))

    error: str | None = None
    LocalKernelManager.log_path = log_path
    if engine == "warm":
        from analysis.report.pipeline.papermill_engine import register

        register()
    try:
        papermill.execute_notebook(
            str(template),
            str(tmp),
            engine_name="warm" if engine == "warm" else None,
            parameters=dict(parameters),
            cwd=str(cwd),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            timeout_func=remaining,
            record_timing=False,
            kernel_manager_class=LocalKernelManager,
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}".strip()
    except TimeoutError as exc:  # nbclient's CellTimeoutError is a TimeoutError
        error = f"Timeout: notebook exceeded {timeout:.0f} s ({exc.__class__.__name__})"
    except Exception as exc:  # kernel died, could not start ...: record, do not crash the run
        error = f"{exc.__class__.__name__}: {_ANSI.sub('', str(exc))}".splitlines()[0]
    finally:
        LocalKernelManager.log_path = None
    seconds = time.monotonic() - t0
    if not tmp.exists():
        # nothing was written (e.g. the kernel never started): keep a notebook that says so
        nb = nbformat.read(str(template), as_version=4)
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(f"**Execution failed:** {error}"))
    else:
        nb = nbformat.read(str(tmp), as_version=4)
    durations = _clean(nb, meta)
    atomic_write_text(output, nbformat.writes(nb) + "\n")
    tmp.unlink(missing_ok=True)
    return ExecOutcome(path=output, error=error, seconds=seconds, cell_seconds=durations)


def remove_partials(folder: Path) -> list[Path]:
    """Delete partial notebooks left by an interrupted run; return what was removed."""
    removed = []
    if folder.exists():
        for p in folder.glob(".*.partial.ipynb"):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
