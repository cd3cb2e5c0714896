"""End-to-end seconds per ticker for the sample universe, against a naive baseline.

Both sides run in this process's session on the same machine, one after the other:

* **project**: ``factor-report run params/sample.yml --force --renderer builtin``
  (execute + HTML page + PDF per ticker, plus the site), with ``--jobs 1`` and
  ``--jobs 2``;
* **naive baseline**: for each ticker, sequentially, the papermill CLI executes
  the same template into a notebook, then ``jupyter nbconvert --to html``
  converts it. The baseline makes no PDF and no site, so it does less work.

Then it breaks one ticker's time down: kernel start, library imports, the
fits, building the charts and tables, HTML and PDF rendering.

Usage::

    python bench/report_pipeline.py [--tickers N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from naive import naive_baseline  # bench/naive.py (this folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "sample.yml"
BIN = Path(sys.executable).parent


def sh(cmd: list[str], cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def project(out: Path, jobs: int, tickers: list[str]) -> tuple[float, dict]:
    secs = sh(
        [
            str(BIN / "factor-report"),
            "run",
            str(PARAMS),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--force",
            "--renderer",
            "builtin",
            "--no-progress",
            "--only",
            ",".join(tickers),
        ]
    )
    manifest = json.loads((out / "sample" / "manifest.json").read_text())
    return secs, manifest


def breakdown(out: Path, ticker: str) -> dict[str, float]:
    """Where one ticker's time goes, each part measured on its own."""
    parts: dict[str, float] = {}
    from jupyter_client.utils import run_sync

    from analysis.report.pipeline.execute import LocalKernelManager

    t0 = time.perf_counter()
    km = LocalKernelManager(kernel_name="python3")  # the kernel the project starts (IPC)
    run_sync(km.start_kernel)()
    kc = km.blocking_client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    parts["kernel start (paid once per worker when warm)"] = time.perf_counter() - t0
    kc.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)

    code = (
        "import time; t=time.perf_counter(); "
        "import analysis.report.kinds.exposure.notebook, IPython.display; "
        "print(time.perf_counter()-t)"
    )
    parts["imports (once per worker when warm)"] = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )

    from analysis.report.kinds.exposure import notebook as ex
    from analysis.report.pipeline import render_builtin

    run = ex.Run.open(PARAMS, out / "sample")
    t0 = time.perf_counter()
    analysis = ex.analyze_ticker(run, ticker)
    parts["fits (4 models, full + rolling)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    displays = ex.comparison_section(analysis) + ex.model_sections(analysis)
    parts["charts: build figures"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in displays:
        d._repr_mimebundle_()
    parts["charts: plotly HTML + PNG encode"] = time.perf_counter() - t0
    nb = out / "sample" / "notebooks" / f"{ticker}.ipynb"
    tmp = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    render_builtin.render_unit_page(nb, tmp / "p.html", site_title="x", pdf=True)
    parts["HTML page (nbconvert + pandoc)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_builtin.render_unit_pdf(nb, tmp / "p.pdf")
    parts["PDF (pandoc + typst)"] = time.perf_counter() - t0
    shutil.rmtree(tmp)
    return parts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=12, help="first N tickers of params/sample.yml")
    args = ap.parse_args()
    from analysis.report.kinds import load_params

    tickers = list(load_params(PARAMS).tickers)[: args.tickers]  # type: ignore[attr-defined]
    n = len(tickers)
    out = Path(tempfile.mkdtemp(prefix="bench-report-"))
    env_note = f"{os.cpu_count()} cores"
    print(f"sample universe: {n} tickers, 4 models each; {env_note}; output in {out}")

    s2, manifest = project(out, 2, tickers)
    s1, _ = project(out, 1, tickers)
    sb = naive_baseline(PARAMS, out / "sample" / "notebooks", tickers)
    rows = [
        ("project --jobs 1 (execute+HTML+PDF+site)", s1),
        ("project --jobs 2 (execute+HTML+PDF+site)", s2),
        ("naive: papermill CLI + nbconvert, sequential (no PDF)", sb),
    ]
    print(f"\n{'pipeline':<56} {'total s':>8} {'s/ticker':>9} {'vs naive':>9}")
    for name, secs in rows:
        print(f"{name:<56} {secs:8.1f} {secs / n:9.2f} {sb / secs:8.2f}x")

    per = manifest["units"]
    stages = {"execute": 0.0, "html": 0.0, "pdf": 0.0}
    for t in tickers:
        for k in stages:
            stages[k] += per[t]["seconds"].get(k, 0.0)
    print("\nper-ticker stage means inside the --jobs 2 run (from manifest.json):")
    for k, v in stages.items():
        print(f"  {k:<10} {v / n:6.2f} s")
    print(f"  run-level: {json.dumps({k: round(v, 2) for k, v in manifest['seconds'].items()})}")

    print(f"\nwhere one ticker's time goes ({tickers[0]}, each part timed alone):")
    parts = breakdown(out, tickers[0])
    total = sum(parts.values())
    for k, v in parts.items():
        print(f"  {k:<48} {v:6.2f} s  {v / total:5.1%}")
    print(f"  {'sum':<48} {total:6.2f} s")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
