"""Where the per-unit work runs: this machine's cores, or a Dask cluster.

Both executors take the same picklable tasks and the same function
(:func:`analysis.report.pipeline.runner.process_unit`), report each outcome as soon
as it is known, and turn a task that raised, or a worker that died, into a
failed outcome for that unit only.

* ``local``: a pool of ``jobs`` processes (``spawn``), or the calling process
  when ``jobs`` is 1. Each process keeps its own warm kernel.
* ``dask``: :mod:`dask.distributed`. Without ``scheduler`` a
  :class:`~distributed.LocalCluster` of ``jobs`` single-threaded worker
  processes is started for the run; with ``scheduler`` (``tcp://host:8786``)
  the tasks go to that cluster, whose workers must have this project
  installed and see the run folder at the same absolute path (a shared file
  system): they write the notebooks, pages, PDFs and state files themselves.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypeVar

from tqdm import tqdm

ExecutorName = Literal["local", "dask"]
EXECUTORS: tuple[ExecutorName, ...] = ("local", "dask")


class _Task(Protocol):
    @property
    def unit(self) -> str: ...


T = TypeVar("T", bound=_Task)
R = TypeVar("R")


def run_tasks(
    tasks: Sequence[T],
    fn: Callable[[T], R],
    *,
    on_done: Callable[[R], None],
    on_crash: Callable[[T, BaseException], R],
    executor: ExecutorName = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    noun: str = "unit",
) -> None:
    """Run ``fn`` on every task and call ``on_done`` with each result as it completes.

    ``on_crash(task, exc)`` builds the result for a task that raised or whose
    worker died; the other tasks are not affected.
    """
    bar = tqdm(total=len(tasks), desc=f"{noun}s", unit=noun, disable=not progress, file=sys.stderr)

    def done(task: T, result: R) -> None:
        bar.set_postfix_str(task.unit)
        on_done(result)
        bar.update()

    try:
        if executor == "dask":
            _run_dask(tasks, fn, done, on_crash, jobs=jobs, scheduler=scheduler)
        elif jobs <= 1 or len(tasks) <= 1:
            for t in tasks:
                try:
                    result = fn(t)
                except Exception as exc:
                    result = on_crash(t, exc)
                done(t, result)
        else:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                futures = {pool.submit(fn, t): t for t in tasks}
                for fut in cf.as_completed(futures):
                    t = futures[fut]
                    try:
                        result = fut.result()
                    except Exception as exc:  # includes a worker process that died
                        result = on_crash(t, exc)
                    done(t, result)
    finally:
        bar.close()


def _run_dask(
    tasks: Sequence[T],
    fn: Callable[[T], R],
    done: Callable[[T, R], None],
    on_crash: Callable[[T, BaseException], R],
    *,
    jobs: int,
    scheduler: str | None,
) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        from analysis.errors import AnalysisError

        raise AnalysisError(
            "--executor dask needs dask.distributed: pip install -e '.[dask]'"
        ) from None

    cluster: Any = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(1, jobs),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = {
            client.submit(fn, t, pure=False, key=f"unit-{i}-{t.unit}"): t
            for i, t in enumerate(tasks)
        }
        for fut in as_completed(futures):
            t = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # task raised, or its worker died (KilledWorker)
                result = on_crash(t, exc)
            done(t, result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
