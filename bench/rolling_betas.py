"""Rolling betas for many tickers: this library against a loop of statsmodels RollingOLS.

Both run in the same process on the same data: 500 tickers x 2520 days,
window 252, three factors plus a constant. The market factor is the real
S&P 500 daily return from the bundled sample when it is available (else
simulated); the other factors and the stock returns are simulated with known
betas (seeded). Prints wall-clock seconds, the speed ratio, the largest
absolute difference over every window and coefficient, and peak memory
(tracemalloc, Python and NumPy allocations) of each side.

Usage::

    python bench/rolling_betas.py [--tickers 500] [--days 2520] [--window 252]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from analysis.regression.rolling import rolling_ols_many, rolling_params


def make_data(n_tickers: int, n_days: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    market = None
    try:
        from analysis.data.sample import SampleSource

        px = SampleSource().fetch_prices(["^GSPC"]).prices["^GSPC"]
        r = np.log(px).diff().dropna()
        if len(r) >= n_days:
            market = r.iloc[-n_days:]
    except Exception:  # the bundled sample is optional for the benchmark
        market = None
    if market is None:
        idx = pd.bdate_range("2013-01-02", periods=n_days, name="date")
        market = pd.Series(rng.normal(0.0004, 0.011, n_days), index=idx)
    idx = market.index
    X = pd.DataFrame(
        {
            "market": market.to_numpy(),
            "size": rng.normal(0, 0.005, n_days),
            "value": rng.normal(0, 0.005, n_days),
        },
        index=idx,
    )
    betas = rng.normal([1.0, 0.2, 0.0], [0.3, 0.4, 0.4], (n_tickers, 3))
    noise = rng.normal(0, 0.015, (n_days, n_tickers))
    Y = pd.DataFrame(
        X.to_numpy() @ betas.T + noise, index=idx, columns=[f"T{i:03d}" for i in range(n_tickers)]
    )
    return Y, X


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, seconds and peak traced memory (MiB) of ``fn()``."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, secs, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=500)
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--window", type=int, default=252)
    args = ap.parse_args()
    Y, X = make_data(args.tickers, args.days)
    Z = sm.add_constant(X)
    w = args.window
    print(f"rolling betas: {Y.shape[1]} tickers x {len(Y)} days, window {w}, {X.shape[1]} factors")

    def baseline(params_only: bool) -> np.ndarray:
        out = np.empty((len(Y), Y.shape[1], Z.shape[1]))
        for j, col in enumerate(Y.columns):
            res = RollingOLS(Y[col], Z, window=w).fit(params_only=params_only)
            out[:, j, :] = res.params.to_numpy()
        return out

    rows = []
    ref, t_ref, m_ref = measure(lambda: baseline(True))
    ours, t_ours, m_ours = measure(lambda: rolling_params(Y, X, w))
    diff = float(np.nanmax(np.abs(ours - ref)))
    same_nan = bool(np.array_equal(np.isnan(ours), np.isnan(ref)))
    rows.append(("betas only", t_ref, t_ours, diff, same_nan, m_ref, m_ours))

    ref_se, t_ref2, m_ref2 = measure(lambda: baseline(False))
    full, t_full, m_full = measure(lambda: rolling_ols_many(Y, X, w))
    ours2 = np.stack([full[c].params.to_numpy() for c in Y.columns], axis=1)
    diff2 = float(np.nanmax(np.abs(ours2 - ref_se)))
    rows.append(
        (
            "betas + SE + band",
            t_ref2,
            t_full,
            diff2,
            bool(np.isnan(ours2).sum() == np.isnan(ref_se).sum()),
            m_ref2,
            m_full,
        )
    )

    print(
        f"{'case':<18} {'statsmodels s':>13} {'library s':>10} {'speed-up':>9} "
        f"{'max |diff|':>11} {'NaN same':>8} {'peak MiB sm':>11} {'peak MiB lib':>12}"
    )
    for name, a, b, d, nan_ok, ma, mb in rows:
        print(
            f"{name:<18} {a:13.2f} {b:10.3f} {a / b:8.1f}x {d:11.2e} {nan_ok!s:>8} "
            f"{ma:11.1f} {mb:12.1f}"
        )
    ok = all(d <= 1e-10 and a / b >= 5 for _, a, b, d, *_ in rows)
    print(f"target (>= 5x faster, max |diff| <= 1e-10): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
