"""The kernel manager every notebook of a run is executed with."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any, ClassVar

from jupyter_client.manager import AsyncKernelManager
from traitlets import default


class LocalKernelManager(AsyncKernelManager):
    """A kernel on this machine, reached over Unix sockets instead of loopback TCP.

    IPC needs no free ports (parallel workers cannot race for them) and
    ipykernel does not warn about unencrypted TCP. Each manager gets its own
    socket path prefix under the temporary folder. The kernel process's own
    output (start-up and shutdown messages, not cell output, which goes into
    the notebook) is appended to :attr:`log_path` instead of the terminal.
    """

    log_path: ClassVar[Path | None] = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if self.log_path is None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            kw.update(stdout=log, stderr=log)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"fr-{os.getpid()}-{uuid.uuid4().hex[:8]}")
