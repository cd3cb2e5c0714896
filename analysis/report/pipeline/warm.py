"""A papermill engine that runs notebooks in a warm, reused kernel (``engine_name="warm"``).

A cold notebook run pays for a new kernel process and for importing pandas,
statsmodels, plotly, matplotlib and this library, about two seconds per
ticker before any analysis (``bench/report_pipeline.py`` prints the split).
This engine keeps one kernel per worker process, started once with the
library already imported, and before each notebook resets it:

* ``get_ipython().reset(new_session=True)`` empties the user namespace, the
  output cache and the history, and sets the execution counter back to 1, so
  the executed notebook is identical to a cold run's;
* the kernel's working directory is set to the notebook's.

Imported modules stay loaded; that is the point. Nothing a notebook defines
survives into the next one (``tests/report/test_warm.py`` checks both). After
any failure of the engine itself (a timeout, a kernel that died) the kernel
is discarded and the next notebook gets a fresh one; a notebook whose cell
raised keeps the kernel, which is reset like any other.

The engine (:class:`analysis.report.pipeline.papermill_engine.WarmKernelEngine`)
is registered under papermill's ``papermill.engine`` entry point
(``papermill --engine warm ...`` works too) and by its module's ``register``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from pathlib import Path
from typing import Any

from jupyter_client.utils import run_sync

from analysis.errors import AnalysisError
from analysis.report.pipeline.kernels import LocalKernelManager

# After the imports, ``gc.freeze()`` moves every object they made into the collector's
# permanent generation: the full collection each reset runs (IPython's displayhook flush)
# then scans only what notebooks made, 0.2 s less per notebook (bench/kernel_levers.py).
PRELOAD = (
    "import IPython.display\nimport analysis.report.kinds\nanalysis.report.kinds.preload()\n"
    "import gc as _fr_gc\n_fr_gc.collect()\n_fr_gc.freeze()\ndel _fr_gc\n"
)

_RESET = (
    "get_ipython().reset(new_session=True)\n"
    "import os as _fr_os\n"
    "_fr_os.chdir({cwd!r})\n"
    "del _fr_os\n"
)


class KernelPool:
    """One warm kernel per kernel name and thread, for this process.

    Keying by thread keeps two notebooks from ever sharing a kernel at the same
    time, even in a worker that runs tasks on several threads (a Dask worker
    started with ``--nthreads 2``, say).

    Each kernel has a control client on the shell channel only (no IOPub
    subscription, so it never buffers the notebooks' output), used to run
    the preload and the resets without a new handshake each time.
    """

    def __init__(self) -> None:
        self._kernels: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._lock = threading.Lock()
        self.started = 0  # how many kernels this process has started (for tests and logs)

    def acquire(self, kernel_name: str, cwd: str, startup_timeout: float = 60) -> Any:
        """A started, preloaded and freshly reset kernel manager for ``kernel_name``."""

        key = (kernel_name, threading.get_ident())
        with self._lock:
            entry = self._kernels.get(key)
            if entry is not None and not run_sync(entry[0].is_alive)():
                self._discard(key)
                entry = None
            if entry is None:
                km = LocalKernelManager(kernel_name=kernel_name)
                # no history database: nothing to write on every reset
                run_sync(km.start_kernel)(
                    cwd=cwd, extra_arguments=["--HistoryManager.enabled=False"]
                )
                ready = km.blocking_client()
                ready.start_channels()
                try:
                    ready.wait_for_ready(timeout=startup_timeout)
                finally:
                    ready.stop_channels()
                control = km.blocking_client()
                control.start_channels(shell=True, iopub=False, stdin=False, hb=False)
                entry = (km, control)
                self._kernels[key] = entry
                self.started += 1
                self._run(control, PRELOAD, startup_timeout)
            self._run(entry[1], _RESET.format(cwd=cwd), startup_timeout)
            return entry[0]

    @staticmethod
    def _run(control: Any, code: str, timeout: float) -> None:
        msg_id = control.execute(code, silent=True, store_history=False)
        while True:
            reply = control.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise AnalysisError(
                f"warm kernel: {content.get('ename')}: {content.get('evalue')} "
                f"while running {code.splitlines()[0]!r}"
            )

    def discard(self, kernel_name: str) -> None:
        """Shut down this thread's kernel of ``kernel_name`` (the next acquire starts anew)."""
        with self._lock:
            self._discard((kernel_name, threading.get_ident()))

    def _discard(self, key: tuple[str, int]) -> None:
        entry = self._kernels.pop(key, None)
        if entry is not None:
            km, control = entry
            with contextlib.suppress(Exception):  # channels already closed
                control.stop_channels()
            with contextlib.suppress(Exception):  # kernel already dead: nothing to stop
                run_sync(km.shutdown_kernel)(now=True)

    def shutdown(self) -> None:
        """Stop every kernel of this process."""
        with self._lock:
            for key in list(self._kernels):
                self._discard(key)


POOL = KernelPool()
atexit.register(POOL.shutdown)


def kernel_log(folder: Path) -> Path:
    """Where this process's warm kernel writes its own output."""
    return folder / f"kernel-{os.getpid()}.log"
