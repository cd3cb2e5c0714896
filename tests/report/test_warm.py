"""The warm-kernel engine: same notebooks as a cold run, no state between notebooks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis.report import commands as runner
from analysis.report.pipeline import warm
from analysis.report.pipeline.execute import execute_notebook
from tests.report.test_execute import outputs_text, tiny_template

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(template: Path, out: Path, cwd: Path, engine: str, **params: object):
    return execute_notebook(
        template,
        out,
        params,
        meta={"title": out.stem},
        cwd=cwd,
        timeout=120,
        engine=engine,  # type: ignore[arg-type]
    )


def test_warm_notebooks_equal_cold_ones(tmp_path: Path) -> None:
    """Real report notebooks, two tickers in one warm kernel, against cold runs."""
    params = tmp_path / "p.yml"
    params.write_text(
        "name: w\ntitle: Warm\ndata: {source: sample}\nmarket: ^GSPC\ntickers: [KO, PG]\n"
        "models: [single_index, {model: capm, frequency: monthly, rolling_window: 36}]\n"
        "start: 2010-01-01\nend: 2014-12-31\nrolling_window: 126\n"
    )
    paths, _ = runner.fetch(params, out=tmp_path / "reports")
    nb_dir = paths.notebooks
    nb_dir.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(params, nb_dir)
    template = ROOT / "templates" / "exposure.ipynb"
    before = warm.POOL.started
    for ticker in ("KO", "PG", "KO"):
        for engine in ("cold", "warm"):
            res = _run(
                template,
                tmp_path / engine / f"{ticker}.ipynb",
                nb_dir,
                engine,
                params_file=rel,
                ticker=ticker,
                run_dir="..",
            )
            assert res.ok, res.error
        cold = (tmp_path / "cold" / f"{ticker}.ipynb").read_bytes()
        assert (tmp_path / "warm" / f"{ticker}.ipynb").read_bytes() == cold, ticker
    assert warm.POOL.started - before <= 1  # one kernel served every warm notebook


def test_nothing_leaks_between_notebooks(tmp_path: Path) -> None:
    first = tmp_path / "a"
    second = tmp_path / "b"
    for d in (first, second):
        d.mkdir()
    defines = tiny_template(first, "secret = 42\nimport json as renamed_json\nprint('set')")
    res = _run(defines, first / "out.ipynb", first, "warm", x=1)
    assert res.ok
    probe = tiny_template(
        second,
        "import os\n"
        "print('secret' in globals(), 'renamed_json' in globals(), os.getcwd())\n"
        "print(sorted(k for k in globals() if not k.startswith('_'))[:8])",
    )
    res = _run(probe, second / "out.ipynb", second, "warm", x=2)
    assert res.ok
    nb = nbformat.read(res.path, as_version=4)
    text = outputs_text(nb)
    assert f"False False {second}" in text  # fresh namespace, and the notebook's own folder
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # counter restarts at 1


def test_the_notebook_is_written_once_at_start_and_once_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after every cell (papermill's default): the partial file is never read meanwhile."""
    import papermill.engines

    writes: list[str] = []
    real = papermill.engines.write_ipynb

    def counting(nb: object, path: str, **kw: object) -> None:
        writes.append(path)
        real(nb, path, **kw)

    monkeypatch.setattr(papermill.engines, "write_ipynb", counting)
    body = "import gc\nprint('frozen', gc.get_freeze_count() > 1000)"
    res = _run(tiny_template(tmp_path, body), tmp_path / "out.ipynb", tmp_path, "warm", x=3)
    assert res.ok, res.error
    assert len(writes) == 2  # four code cells (with papermill's parameters cell)
    text = outputs_text(nbformat.read(res.path, as_version=4))
    assert "frozen True" in text and "after 3" in text  # preloaded objects left out of gc


def test_a_timed_out_kernel_is_replaced(tmp_path: Path) -> None:
    slow = tiny_template(tmp_path, "import time\ntime.sleep(30)")
    started = warm.POOL.started
    res = execute_notebook(
        slow, tmp_path / "slow.ipynb", {"x": 1}, meta={}, cwd=tmp_path, timeout=3, engine="warm"
    )
    assert not res.ok and res.error is not None and res.error.startswith("Timeout")
    fine = tiny_template(
        tmp_path / "next" if (tmp_path / "next").mkdir() is None else tmp_path, "y = 2"
    )
    res = _run(fine, tmp_path / "next" / "ok.ipynb", tmp_path / "next", "warm", x=3)
    assert res.ok
    assert warm.POOL.started >= started + 1  # the busy kernel was discarded, not reused


def test_papermill_cli_finds_the_engine(tmp_path: Path) -> None:
    template = tiny_template(tmp_path, "print('warm engine', x)")
    out = tmp_path / "cli.ipynb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(template),
            str(out),
            "-p",
            "x",
            "7",
            "--engine",
            "warm",
            "--no-progress-bar",
        ],
        check=True,
        capture_output=True,
    )
    assert "warm engine 7" in outputs_text(nbformat.read(out, as_version=4))


def test_each_thread_gets_its_own_kernel(tmp_path: Path) -> None:
    """Two threads of one worker never share a kernel (e.g. `dask worker --nthreads 2`)."""
    import threading

    kms: list[object] = []

    def grab() -> None:
        kms.append(warm.POOL.acquire("python3", str(tmp_path)))
        warm.POOL.discard("python3")

    threads = [threading.Thread(target=grab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kms) == 2 and kms[0] is not kms[1]
