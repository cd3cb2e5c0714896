"""The strategy kind at scale: a generated panel end to end through ``factor-report run``.

The issue's benchmark: a panel of 3,000 stocks x 25 years of month ends with
planted premia, models composite + ridge + lightgbm, ``--jobs 2``. Targets:
<= 10 minutes wall, peak memory <= 4 GB, and each model's recovered Rank IC
within noise of the planted one. It prints; it never asserts.

The panel (seeded, written as parquet): 10 sectors; four characteristics,
each an AR(1) per stock with persistence 0.9 and unit stationary variance
(``c_t = 0.9 c_{t-1} + sqrt(1 - 0.81) u_t``), so they are N(0, 1) across
stocks at every date; the return of the period ending at ``d_{i+1}`` is

    r_{i+1} = m_{i+1} + s_{sector, i+1} + sum_k b_k c_{k,i} + e_{i+1},  e ~ N(0, 0.10^2)

with a market return ``m``, a sector return ``s`` and premia ``b`` =
value +0.008, quality -0.004, profitability +0.004, size 0 (a factor with no
premium, which the composite still averages in).

Planted Rank IC, two ways:

* **analytic**: score and next return are jointly normal across stocks
  within a sector; for correlation rho, Spearman's is ``6/pi asin(rho/2)``.
  For the learned models the score is the planted signal ``sum_k b_k c_k``
  (their ceiling); for the composite it is ``sum_k sign_k c_k / 4``.
  Sector returns are ignored here, so this is slightly optimistic once the
  sector noise is in the returns.
* **oracle**: the same noise-free scores' Spearman correlation with the
  simulated returns, per scored date, averaged over the dates each model
  scores (the best that sample allows).

"within noise" is |recovered - oracle| against the standard error of the
model's mean Rank IC over dates (printed as z).

Peak memory: psutil samples the CLI process and all its descendants (workers,
kernels) every 0.5 s and sums their RSS (an upper bound: pages shared after
fork count once per process) and their PSS (shared pages split between the
processes that share them: the tree's real footprint). Spikes shorter than
the sampling interval can be missed.

Seconds per stage come from each unit's ``state/<model>.json``: cell
seconds mapped to stages by the cell ids of ``templates/strategy.ipynb``
(cell-03 M1 + header, cell-05 factors, cell-07 M2, cell-09 M3, cell-11 M4,
cell-13 M5 + save) and the html / pdf seconds; run-level seconds (fetch,
execute, collect, render) from ``manifest.json``.

Each worker runs BLAS / OpenMP with one thread (``--threads``), so two jobs
use two cores.

Usage::

    python bench/strategy.py [--stocks 3000] [--years 25] [--jobs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
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
import psutil

BIN = Path(sys.executable).parent
NAME = "bench-strategy"
START = "2000-01-31"
PREMIA = {"value": 0.008, "quality": -0.004, "profitability": 0.004, "size": 0.0}
SIGNS = {"value": 1, "quality": -1, "profitability": 1, "size": 1}
PERSISTENCE, NOISE, SECTOR_VOL, MARKET_VOL, N_SECTORS = 0.9, 0.10, 0.03, 0.045, 10
MODELS = ("composite", "ridge", "lightgbm")
MIN_TRAIN, REFIT_EVERY, QUANTILES = 60, 12, 5
STAGES = {
    "cell-03": "M1+header",
    "cell-05": "factors",
    "cell-07": "M2",
    "cell-09": "M3",
    "cell-11": "M4",
    "cell-13": "M5+save",
}


def make_panel(
    n_stocks: int, n_months: int, seed: int = 2025
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """The long panel, the characteristics (month x stock) and the returns (month x stock)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=n_months, freq="ME")
    tickers = np.array([f"S{i:05d}" for i in range(n_stocks)])
    sector = rng.integers(0, N_SECTORS, n_stocks)
    chars: dict[str, np.ndarray] = {}
    innovation = np.sqrt(1 - PERSISTENCE**2)
    for name in PREMIA:
        c = np.empty((n_months, n_stocks))
        c[0] = rng.normal(size=n_stocks)
        for t in range(1, n_months):
            c[t] = PERSISTENCE * c[t - 1] + innovation * rng.normal(size=n_stocks)
        chars[name] = c
    market = rng.normal(0.006, MARKET_VOL, n_months)
    sectors = rng.normal(0.0, SECTOR_VOL, (n_months, N_SECTORS))[:, sector]
    ret = market[:, None] + sectors + rng.normal(0.0, NOISE, (n_months, n_stocks))
    for name, b in PREMIA.items():
        ret[1:] += b * chars[name][:-1]
    # a simple return is > -1; the normal tail reaches it once in a few million draws
    ret = np.maximum(ret, -0.95)
    frame = pd.DataFrame(
        {
            "date": np.repeat(dates.values, n_stocks),
            "ticker": np.tile(tickers, n_months),
            "return": ret.ravel(),
            **{k: v.ravel() for k, v in chars.items()},
            "sector": np.tile(np.char.add("sector", sector.astype(str)), n_months),
        }
    )
    return frame, chars, ret


def analytic_rank_ic(weights: dict[str, float]) -> float:
    """Spearman correlation of ``sum_k w_k c_k`` with next returns (no sector noise)."""
    cov = sum(w * PREMIA[k] for k, w in weights.items())
    sd_score = np.sqrt(sum(w**2 for w in weights.values()))
    sd_ret = np.sqrt(sum(b**2 for b in PREMIA.values()) + NOISE**2)
    return float(6 / np.pi * np.arcsin(cov / (sd_score * sd_ret) / 2))


def oracle_rank_ic(
    chars: dict[str, np.ndarray], ret: np.ndarray, weights: dict[str, float]
) -> np.ndarray:
    """Per date i: Spearman of the noise-free score at i with the returns at i + 1."""
    score = np.zeros_like(ret)
    for k, w in weights.items():
        score += w * chars[k]
    rs = np.argsort(np.argsort(score[:-1], axis=1), axis=1).astype(float)
    rr = np.argsort(np.argsort(ret[1:], axis=1), axis=1).astype(float)
    rs -= rs.mean(axis=1, keepdims=True)
    rr -= rr.mean(axis=1, keepdims=True)
    ic = (rs * rr).sum(axis=1) / np.sqrt((rs**2).sum(axis=1) * (rr**2).sum(axis=1))
    return np.r_[ic, np.nan]


class TreeMemory:
    """Peak summed RSS and PSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            rss = pss = n = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue  # ended between listing and reading
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
                n += 1
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, n)
            self._stop.wait(self.every)


def write_params(folder: Path, panel: Path, jobs_models: tuple[str, ...]) -> Path:
    factors = ", ".join(
        name if SIGNS[name] == 1 else f"{{name: {name}, sign: -1}}" for name in PREMIA
    )
    params = folder / "strategy.yml"
    params.write_text(
        "kind: strategy\n"
        f"name: {NAME}\n"
        "title: bench/strategy.py (simulated panel with planted premia)\n"
        f"data: {{source: csv, panel: {panel}}}\n"
        f"factors: [{factors}]\n"
        "preprocess: {neutralize: sector}\n"
        f"models: [{', '.join(jobs_models)}]\n"
        f"walk_forward: {{window: expanding, min_train: {MIN_TRAIN}, "
        f"refit_every: {REFIT_EVERY}}}\n"
        f"portfolio: {{type: long_short, quantiles: {QUANTILES}}}\n"
        "cost_bps: 10\n"
        "timeout: 3600\n"
    )
    return params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stocks", type=int, default=3000)
    ap.add_argument("--years", type=int, default=25)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per worker")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--keep", type=Path, default=None, help="write here and keep the outputs")
    args = ap.parse_args()
    models = tuple(m.strip() for m in args.models.split(","))

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-strategy-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        frame, chars, ret = make_panel(args.stocks, 12 * args.years)
        panel = work / "panel.parquet"
        frame.to_parquet(panel, index=False)
        print(
            f"panel: {args.stocks} stocks x {12 * args.years} months = {len(frame):,} rows, "
            f"{len(PREMIA)} characteristics, {panel.stat().st_size / 1e6:.0f} MB parquet; "
            f"generated in {time.perf_counter() - t0:.1f} s"
        )
        del frame
        params = write_params(work, panel, models)
        out = work / "out"
        threads = str(args.threads)
        env = {
            **os.environ,
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
        cmd = [
            str(BIN / "factor-report"),
            "run",
            str(params),
            "--jobs",
            str(args.jobs),
            "--renderer",
            "builtin",
            "--out",
            str(out),
            "--no-progress",
        ]
        print("running: " + " ".join(cmd[1:]) + f"  (BLAS/OpenMP threads {threads})")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        with TreeMemory(proc.pid) as mem:
            log, _ = proc.communicate()
        wall = time.perf_counter() - t0
        root = out / NAME
        print(f"exit code {proc.returncode}; " + " | ".join(log.strip().splitlines()[-4:]))
        report(root, models, wall, mem, chars, ret)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def report(
    root: Path,
    models: tuple[str, ...],
    wall: float,
    mem: TreeMemory,
    chars: dict[str, np.ndarray],
    ret: np.ndarray,
) -> None:
    gb = 1024**3
    manifest = json.loads((root / "manifest.json").read_text())
    run_secs = manifest.get("seconds", {})
    print(
        f"wall {wall:.1f} s (target <= 600: {'met' if wall <= 600 else 'NOT met'}); "
        f"peak memory of the process tree ({mem.peak_procs} processes at most): "
        f"RSS sum {mem.peak_rss / gb:.2f} GB, PSS sum {mem.peak_pss / gb:.2f} GB "
        f"(target <= 4 GB: {'met' if mem.peak_pss <= 4 * gb else 'NOT met'})"
    )
    print("run stages (manifest.json): " + ", ".join(f"{k} {v:.1f} s" for k, v in run_secs.items()))

    cols = [*STAGES.values(), "other cells", "execute", "html", "pdf", "total"]
    print(f"{'model':<10} {'status':<8} " + " ".join(f"{c:>11}" for c in cols))
    for m in models:
        state_file = root / "state" / f"{m}.json"
        if not state_file.exists():
            print(f"{m:<10} no state file")
            continue
        state = json.loads(state_file.read_text())
        cells = state.get("cell_seconds") or {}
        secs = state.get("seconds") or {}
        row = [float(cells.get(c, np.nan)) for c in STAGES]
        other = sum(float(v or 0.0) for k, v in cells.items() if k not in STAGES)
        row += [other, *(float(secs.get(k, np.nan)) for k in ("execute", "html", "pdf", "total"))]
        print(f"{m:<10} {state['status']:<8} " + " ".join(f"{v:11.1f}" for v in row))

    ic = pd.read_csv(root / "ic.csv", parse_dates=["date"])
    dates = pd.date_range(START, periods=ret.shape[0], freq="ME")
    print(
        f"{'model':<10} {'Rank IC':>8} {'se':>7} {'n dates':>8} {'oracle':>8} {'z vs oracle':>11} "
        f"{'analytic':>9}  within noise (|z| < 2)"
    )
    learned = {k: b for k, b in PREMIA.items() if b}
    composite = {k: s / len(SIGNS) for k, s in SIGNS.items()}
    for m in models:
        weights = composite if m == "composite" else learned
        oracle = pd.Series(oracle_rank_ic(chars, ret, weights), index=dates)
        r = ic.loc[ic["model"] == m].set_index("date")["rank_ic"].dropna()
        if r.empty:
            print(f"{m:<10} no Rank IC")
            continue
        se = r.std(ddof=1) / np.sqrt(len(r))
        o = oracle.reindex(r.index).mean()
        z = (r.mean() - o) / se
        print(
            f"{m:<10} {r.mean():8.4f} {se:7.4f} {len(r):8d} {o:8.4f} {z:11.2f} "
            f"{analytic_rank_ic(weights):9.4f}  {'yes' if abs(z) < 2 else 'no'}"
        )


if __name__ == "__main__":
    main()
