"""The ``warm`` papermill engine (see :mod:`analysis.report.pipeline.warm`).

This module is what papermill's ``papermill.engine`` entry point loads, which
papermill does while it is itself being imported; so it imports only
papermill's own modules at the top and reaches the kernel pool at call time.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.utils import merge_kwargs, remove_args


class WarmKernelEngine(NBClientEngine):
    """Papermill engine executing every notebook of a process in one reused kernel."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        from analysis.report.pipeline.warm import POOL

        # papermill has already changed into the requested cwd: the kernel follows
        km = POOL.acquire(kernel_name, cwd=os.getcwd(), startup_timeout=start_timeout)
        cell_timeout = execution_timeout if execution_timeout else kwargs.get("timeout")
        kwargs = remove_args(["input_path", "timeout", "startup_timeout", "km"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=cell_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=km, **final)
        # papermill saves the whole notebook when each cell starts and ends (26 writes of a
        # 1.4 MB notebook per ticker). The notebook goes to a partial file that is renamed
        # only once execution has ended, so those saves are never read: keep only the
        # final one, which papermill makes in ``notebook_complete`` after this returns.
        nb_man.save = _no_save
        try:
            return client.execute()
        except BaseException:
            POOL.discard(kernel_name)  # timed out, died or interrupted: never reuse it
            raise
        finally:
            del nb_man.save  # the class's own save again, for notebook_complete
            if client.kc is not None:
                client.kc.stop_channels()


def _no_save(**kwargs: Any) -> None:
    """Stands in for papermill's per-cell save while the cells run."""


def register() -> None:
    """Register the engine with papermill (the entry point does the same on install)."""
    from papermill.engines import papermill_engines

    papermill_engines.register("warm", WarmKernelEngine)
