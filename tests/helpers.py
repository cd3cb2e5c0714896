"""Helpers shared by the tests (importable as ``tests.helpers``)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def simulate(
    rng: np.random.Generator,
    betas: dict[str, float],
    *,
    n: int = 1000,
    alpha: float = 0.0002,
    noise: float = 0.01,
    start: str = "2010-01-01",
    name: str = "SIM",
) -> tuple[pd.Series, pd.DataFrame]:
    """Returns y = alpha + X @ betas + e with known coefficients, on business days."""
    idx = pd.bdate_range(start, periods=n, name="date")
    X = pd.DataFrame(rng.normal(0.0003, 0.01, (n, len(betas))), index=idx, columns=list(betas))
    e = rng.normal(0.0, noise, n)
    y = pd.Series(alpha + X.to_numpy() @ np.array(list(betas.values())) + e, index=idx, name=name)
    return y, X


CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these Chromium keeps trying to reach Google's hosts (no network here)
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Headless Chromium flags for the browser tests (root, no GPU, no background network)."""


def require_tool(name: str) -> str:
    """Path of a command-line tool the test needs.

    Outside CI a missing tool skips the test with the reason; in CI (``CI`` set)
    it fails, because CI installs every tool (scripts/system-deps.sh) and the
    end-to-end path must never be skipped there.
    """
    import os
    import shutil

    import pytest

    path = shutil.which(name)
    if path:
        return path
    msg = f"{name} is not installed (run `make system-deps`: Debian chromium / poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(f"{msg}; CI must install it")
    pytest.skip(msg)


def watch_page(page: Any, local: tuple[str, ...] = ("file://", "data:")) -> list[str]:
    """Collect a Playwright page's problems: console errors and warnings, page errors,
    failed requests and any request that leaves the local files (the site must work offline):
    any URL not starting with one of ``local`` (a site served from a local HTTP server
    adds its own address).

    Returns the list the listeners append to; a test asserts it stays empty.
    """
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on(
        "request",
        lambda r: (
            problems.append(f"network request: {r.url}") if not r.url.startswith(local) else None
        ),
    )
    return problems


def shared_folder(factory: Any, name: str) -> Path:
    """``<name>`` in the temp folder every xdist worker of the session shares."""
    base = factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


@contextmanager
def session_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of a shared run folder (``<folder>.lock``) across xdist workers."""
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_once(
    factory: Any, name: str, run: Callable[[Path], dict[str, Any]], *, epoch: str | None = None
) -> Path:
    """Run an expensive end-to-end run once per session, even with several xdist workers.

    The first worker to take the lock calls ``run(folder)`` (with ``SOURCE_DATE_EPOCH``
    set to ``epoch`` when given) and writes what it returns to ``folder/summary.json``;
    the others wait and reuse the folder. Returns the folder.
    """
    import pytest

    folder = shared_folder(factory, name)
    record = folder / "summary.json"
    with session_lock(folder):
        if not record.exists():
            mp = pytest.MonkeyPatch()
            if epoch is not None:
                mp.setenv("SOURCE_DATE_EPOCH", epoch)
            try:
                doc = run(folder)
            finally:
                mp.undo()
            folder.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps(doc))
    return folder
