"""Scale benchmark: a generated universe of many tickers, run end to end.

The universe: ``--tickers`` (default 500) stocks over the last ``--days``
(default 2520, ten years) trading days of the real S&P 500 series bundled with
the package. Each stock's daily log return is ``a + b * market + e`` with a
known beta ``b ~ N(1, 0.3)`` and noise ``e ~ N(0, s)``, ``s ~ U(1%, 2.5%)``
(seeded). Prices go to a CSV file used as ``data: {source: csv}``; the models
are ``engineered`` and ``single_index`` (daily, 252-day rolling windows).

Measured in this run, each end to end (execute + site + PDFs):

1. the project, ``--jobs 2`` (local executor, warm kernels), all tickers;
2. ``--executor dask`` on a LocalCluster of 1 and of 2 workers
   (first ``--dask-tickers`` tickers), for the 1 -> 2 worker speed-up;
3. the naive baseline, sequential papermill CLI + ``jupyter nbconvert --to html``
   per ticker (first ``--naive-tickers`` tickers; it makes no PDF and no site).

It prints seconds per ticker and per ticker per core, the ratios, the peak
RSS of the parent ``factor-report`` process (read from ``/proc``), and how the
estimated single-index betas compare with the true ones.

Usage::

    python bench/scale.py [--tickers 500] [--dask-tickers 100] [--naive-tickers 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from naive import naive_baseline  # bench/naive.py (this folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CORES = 2


def make_universe(folder: Path, n: int, days: int, seed: int = 42) -> tuple[Path, pd.Series]:
    from analysis.data.sample import SampleSource

    market = SampleSource().fetch_prices(["^GSPC"]).prices["^GSPC"].dropna().iloc[-(days + 1) :]
    m = np.log(market).diff().dropna().to_numpy()
    rng = np.random.default_rng(seed)
    beta = rng.normal(1.0, 0.3, n)
    alpha = rng.normal(0.0, 0.0002, n)
    sigma = rng.uniform(0.01, 0.025, n)
    r = alpha + np.outer(m, beta) + rng.normal(0.0, 1.0, (len(m), n)) * sigma
    prices = 100.0 * np.exp(np.vstack([np.zeros(n), np.cumsum(r, axis=0)]))
    names = [f"T{i:03d}" for i in range(n)]
    frame = pd.DataFrame(prices, index=market.index, columns=names)
    frame.insert(0, "^GSPC", market.to_numpy())
    path = folder / "universe.csv"
    frame.to_csv(path, index_label="date", date_format="%Y-%m-%d", float_format="%.6f")
    params = folder / "scale.yml"
    params.write_text(
        "name: scale\n"
        f"title: Generated universe ({n} tickers x {days} days)\n"
        "data: {source: csv, prices: universe.csv}\n"
        "market: ^GSPC\n"
        f"tickers: [{', '.join(names)}]\n"
        "models: [engineered, single_index]\n"
        "frequency: daily\nfactor_window: 126\nrolling_window: 252\n"
        f"start: {market.index[127]:%Y-%m-%d}\nend: {market.index[-1]:%Y-%m-%d}\n"
    )
    # single_index regresses simple returns; report the log-return beta as the truth
    return params, pd.Series(beta, index=names)


def run_project(
    params: Path, out: Path, extra: list[str], only: list[str] | None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of the parent factor-report process."""
    cmd = [
        str(BIN / "factor-report"),
        "run",
        str(params),
        "--out",
        str(out),
        "--force",
        "--renderer",
        "builtin",
        "--no-progress",
        *extra,
    ]
    if only:
        cmd += ["--only", ",".join(only)]
    peak = [0.0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def watch() -> None:
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]) / 1024)
            except OSError:
                break
            time.sleep(0.2)

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    code = proc.wait()
    th.join()
    secs = time.perf_counter() - t0
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(cmd[:4])} ... exited {code}")
    return secs, peak[0]


def profile(run: Path, template: Path, cores: int) -> list[str]:
    """Where the time went, from the run's manifest: per ticker (mean over the tickers, on a
    worker) and in the parent, with each as seconds per ticker per core of the whole run."""
    import json

    import nbformat

    man = json.loads((run / "manifest.json").read_text())
    units = [u for u in man["units"].values() if u.get("seconds")]
    n = len(units)

    def label(source: str) -> str:  # the cell's first statement that is not an import
        code = [ln for ln in source.splitlines() if ln.strip() and not ln.startswith("#")]
        return next((ln for ln in code if not ln.startswith(("from ", "import "))), "")[:60]

    first = {
        c.get("id", ""): label(c.source)
        for c in nbformat.read(template, as_version=4).cells
        if c.cell_type == "code"
    }
    first["injected-parameters"] = "(papermill's parameters)"
    lines = [f"\nprofile of the {n}-ticker run (mean seconds per ticker, on one worker):"]
    stages = {
        k: sum(u["seconds"].get(k, 0.0) for u in units) / n for k in ("execute", "html", "pdf")
    }
    cells: dict[str, float] = {}
    for u in units:
        for k, v in u.get("cell_seconds", {}).items():
            cells[k] = cells.get(k, 0.0) + v / n
    for k, v in sorted(cells.items(), key=lambda kv: -kv[1]):
        lines.append(f"  cell {k:<20} {v:6.3f}  {first.get(k, '')}")
    lines.append(f"  {'kernel, papermill, I/O':<25} {stages['execute'] - sum(cells.values()):6.3f}")
    lines.append(f"  {'HTML page':<25} {stages['html']:6.3f}")
    lines.append(f"  {'PDF (pandoc + typst)':<25} {stages['pdf']:6.3f}")
    lines.append(f"  {'total on a worker':<25} {sum(stages.values()):6.3f}")
    sec = man["seconds"]
    parent = {k: sec.get(k, 0.0) for k in ("fetch", "collect", "render")}
    lines.append(
        "parent (serial, whole run): "
        + ", ".join(f"{k} {v:.1f} s ({v * cores / n:.3f} s/ticker/core)" for k, v in parent.items())
    )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=500)
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--dask-tickers", type=int, default=100)
    ap.add_argument("--naive-tickers", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    params, truth = make_universe(folder, args.tickers, args.days)
    names = list(truth.index)
    n = len(names)
    size = (folder / "universe.csv").stat().st_size / 2**20
    print(
        f"universe: {n} tickers x {args.days} days (csv, {size:.1f} MiB), "
        f"models engineered + single_index; {os.cpu_count()} cores; folder {folder}"
    )

    rows = []
    secs, peak = run_project(params, folder / "local", ["--jobs", "2"], None)
    rows.append((f"project --jobs 2, {n} tickers", n, secs, peak))
    fit = pd.read_csv(folder / "local" / "scale" / "exposures.csv")
    est = fit[(fit.model == "single_index") & (fit.term == "market")].set_index("ticker")[
        "estimate"
    ]
    err = (est - truth.reindex(est.index)).abs()
    status = pd.read_csv(folder / "local" / "scale" / "fit.csv")["status"].value_counts().to_dict()

    k = min(args.dask_tickers, n)
    d1, p1 = run_project(params, folder / "dask1", ["--executor", "dask", "--jobs", "1"], names[:k])
    d2, p2 = run_project(params, folder / "dask2", ["--executor", "dask", "--jobs", "2"], names[:k])
    rows.append((f"dask, 1 worker, {k} tickers", k, d1, p1))
    rows.append((f"dask, 2 workers, {k} tickers", k, d2, p2))

    m = min(args.naive_tickers, n)
    naive = naive_baseline(params, folder / "local" / "scale" / "notebooks", names[:m])
    naive_per = naive / m

    print(
        f"\n{'pipeline':<36} {'tickers':>7} {'wall s':>8} {'s/ticker':>9} {'s/ticker/core':>13} "
        f"{'vs naive':>9} {'parent peak RSS':>16}"
    )
    for name, count, wall, peak in rows:
        per = wall / count
        cores = 1 if "1 worker" in name else CORES
        print(
            f"{name:<36} {count:7d} {wall:8.1f} {per:9.2f} {per * cores:13.2f} "
            f"{naive_per / per:8.1f}x {peak:13.0f} MiB"
        )
    print(
        f"{'naive papermill+nbconvert (no PDF)':<36} {m:7d} {naive:8.1f} {naive_per:9.2f} "
        f"{naive_per:13.2f} {1.0:8.1f}x {'-':>16}"
    )
    print(f"\ndask speed-up 1 -> 2 workers: {d1 / d2:.2f}x")
    print(
        f"statuses: {status}; single-index beta vs true beta: mean |error| {err.mean():.4f}, "
        f"max {err.max():.4f} (noise alone gives ~0.02)"
    )
    per_core = rows[0][2] / n * CORES
    print(
        "\ntargets: <= 0.5 s per ticker per core: "
        f"{'met' if per_core <= 0.5 else 'NOT met'} ({per_core:.2f}); "
        f">= 10x naive: {'met' if naive_per / (rows[0][2] / n) >= 10 else 'NOT met'} "
        f"({naive_per / (rows[0][2] / n):.1f}x); 1->2 workers >= 1.7x: "
        f"{'met' if d1 / d2 >= 1.7 else 'NOT met'} ({d1 / d2:.2f}x); parent peak RSS < 2 GB: "
        f"{'met' if rows[0][3] < 2048 else 'NOT met'} ({rows[0][3]:.0f} MiB)"
    )
    print(
        "\n".join(profile(folder / "local" / "scale", ROOT / "templates" / "exposure.ipynb", CORES))
    )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
