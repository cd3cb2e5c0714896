"""Walk-forward forecasting: this library against a naive GridSearchCV loop, and one notebook.

Both sides run in this process on the same simulated data: 11 feature log
returns over 20 years of 252 days with a common market mode (pairwise
correlations about 0.5 to 0.8) and a target that is the market mode plus a
small planted effect of yesterday's first feature (seeded). The models are
OLS, Ridge, Lasso and elastic net (l1_ratio 0.5); the penalized ones choose
alpha at every refit by ``TimeSeriesSplit(5)`` cross-validation over
``alpha_grid(1e-6, 10, 40)``; expanding window, first refit at row 504, then
every 21 rows.

* **library**: :func:`analysis.forecasting.walk_forward` for each model, every
  refit (it also keeps the whole grid's predictions at each refit).
* **naive**: at each refit, ``GridSearchCV(Pipeline([StandardScaler(), Model()]),
  {"model__alpha": grid}, cv=TimeSeriesSplit(5),
  scoring="neg_mean_squared_error")`` fitted on the training rows, predicting
  the test rows (OLS: ``LinearRegression`` in the pipeline), refitting every
  alpha from scratch. It is timed on every ``--naive-every``-th refit only and
  extrapolated per refit; predictions are compared on those refits.

Then the notebook end to end: a temporary ``kind: forecast`` params file on a
CSV of the simulated prices (targets [TGT], features F01..F11, the four models,
``regimes: {markov: true}``, defaults otherwise), run by ``factor-report run
--renderer builtin --jobs 1``; the seconds come from the unit's state file.

Everything runs on one core: the BLAS / OpenMP thread counts are set to 1
here, before NumPy is imported, and in the subprocess's environment.

Usage::

    python bench/forecast.py [--years 20] [--naive-every 10] [--no-notebook]
"""

from __future__ import annotations

import os

ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(ONE_CORE)

import argparse  # noqa: E402  (the thread counts must be set before NumPy loads)
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import RegressorMixin  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from analysis.forecasting import (  # noqa: E402
    ModelSpec,
    WalkForward,
    alpha_grid,
    build_rows,
    walk_forward,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET = "TGT"
FEATURES = [f"F{i:02d}" for i in range(1, 12)]
SPECS = [
    ModelSpec("ols"),
    ModelSpec("ridge"),
    ModelSpec("lasso"),
    ModelSpec("elasticnet", l1_ratio=0.5),
]
MIN_TRAIN, REFIT_EVERY, CV_SPLITS = 504, 21, 5


def make_prices(years: int, seed: int = 2024) -> pd.DataFrame:
    """Simulated adjusted closes of the target and the 11 features (business days)."""
    rng = np.random.default_rng(seed)
    n = years * 252
    idx = pd.bdate_range("2004-01-02", periods=n, name="date")
    # one market mode; loadings and idiosyncratic scales put pairwise correlations
    # between about 0.5 and 0.8, as among sector ETFs
    market = rng.normal(0.0003, 0.010, n)
    beta = rng.uniform(0.8, 1.2, len(FEATURES))
    idio = rng.uniform(0.005, 0.010, len(FEATURES))
    F = market[:, None] * beta + rng.normal(0.0, 1.0, (n, len(FEATURES))) * idio
    # planted effect: 5% of yesterday's F01, about 0.1% of the target's variance
    lagged = np.r_[0.0, F[:-1, 0]]
    y = market + rng.normal(0.0, 0.004, n) + 0.05 * lagged
    logret = np.column_stack([y, F])
    prices = 100.0 * np.exp(np.cumsum(logret, axis=0))
    return pd.DataFrame(prices, index=idx, columns=[TARGET, *FEATURES])


def _model(name: str) -> RegressorMixin:
    if name == "ols":
        return LinearRegression()
    if name == "ridge":
        return Ridge()
    if name == "lasso":
        return Lasso()
    return ElasticNet(l1_ratio=0.5)


def naive_refit(
    name: str, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """The from-scratch scikit-learn fit of one refit: grid search, then predict."""
    pipe = Pipeline([("scale", StandardScaler()), ("model", _model(name))])
    if name == "ols":
        return pipe.fit(X, y).predict(X_test)
    gs = GridSearchCV(
        pipe,
        {"model__alpha": grid},
        cv=TimeSeriesSplit(CV_SPLITS),
        scoring="neg_mean_squared_error",
    )
    return gs.fit(X, y).predict(X_test)


def run_notebook(prices: pd.DataFrame, tmp: Path) -> dict:
    """Seconds of one target's forecast notebook, from its state file."""
    csv_path = tmp / "prices.csv"
    prices.to_csv(csv_path, index_label="date", float_format="%.10g")
    name = "bench-forecast"
    models = "[ols, ridge, lasso, {model: elasticnet, l1_ratio: 0.5}]"
    (tmp / "forecast.yml").write_text(
        "kind: forecast\n"
        f"name: {name}\n"
        "title: bench/forecast.py (simulated prices)\n"
        f"data: {{source: csv, prices: {csv_path}}}\n"
        f"targets: [{TARGET}]\n"
        f"features: [{', '.join(FEATURES)}]\n"
        f"models: {models}\n"
        "regimes: {markov: true}\n"
    )
    out = tmp / "out"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            str(BIN / "factor-report"),
            "run",
            str(tmp / "forecast.yml"),
            "--renderer",
            "builtin",
            "--jobs",
            "1",
            "--out",
            str(out),
            "--no-progress",
        ],
        env={**os.environ, **ONE_CORE},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    state_file = out / name / "state" / f"{TARGET}.json"
    if proc.returncode != 0 or not state_file.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"factor-report failed (exit {proc.returncode}): " + " | ".join(tail))
    state = json.loads(state_file.read_text())
    return {"wall": wall, "state": state}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--naive-every", type=int, default=10, help="time every k-th refit naively")
    ap.add_argument("--no-notebook", action="store_true", help="skip the end-to-end notebook")
    args = ap.parse_args()

    prices = make_prices(args.years)
    logret = np.log(prices).diff().iloc[1:]
    rows = build_rows(logret[TARGET], logret[FEATURES], [1])
    corr = logret[FEATURES].corr().to_numpy()[np.triu_indices(len(FEATURES), 1)]
    splitter = WalkForward(min_train=MIN_TRAIN, refit_every=REFIT_EVERY)
    splits = list(splitter.split(rows.X))
    subset = list(range(0, len(splits), args.naive_every))
    grid = alpha_grid(1e-6, 10.0, 40)
    print(
        f"forecast walk-forward: {len(rows.y)} rows x {rows.X.shape[1]} features "
        f"(pairwise corr {corr.min():.2f}..{corr.max():.2f}), {len(splits)} refits "
        f"(min_train {MIN_TRAIN}, every {REFIT_EVERY}), {len(grid)} alphas, "
        f"TimeSeriesSplit({CV_SPLITS}); naive timed on refits {subset[0]}, "
        f"{subset[1] if len(subset) > 1 else ''}... (every {args.naive_every}th, "
        f"{len(subset)} of {len(splits)})"
    )

    X, y = rows.X.to_numpy(), rows.y.to_numpy()
    # at the smallest alphas the solver stops at max_iter on these correlated features and
    # scikit-learn warns; both sides run that solver with the same settings
    warnings.simplefilter("ignore", ConvergenceWarning)
    table = []
    for spec in SPECS:
        t0 = time.perf_counter()
        res = walk_forward(
            rows,
            spec,
            splitter,
            alphas=grid if spec.penalized else None,
            cv_splits=CV_SPLITS,
            min_feature_rows=MIN_TRAIN,
        )
        t_lib = time.perf_counter() - t0
        ours = res.predictions["prediction"].to_numpy()

        diff = 0.0
        t0 = time.perf_counter()
        for k in subset:
            train, test = splits[k]
            ref = naive_refit(spec.name, X[train], y[train], X[test], grid)
            diff = max(diff, float(np.max(np.abs(ours[test - MIN_TRAIN] - ref))))
        t_naive_subset = time.perf_counter() - t0
        per_lib = t_lib / len(splits)
        per_naive = t_naive_subset / len(subset)
        table.append((spec.name, t_lib, t_naive_subset, per_lib, per_naive, diff))

    print(
        f"{'model':<11} {'library s':>9} {'naive s (subset)':>16} {'lib ms/refit':>12} "
        f"{'naive ms/refit':>14} {'speed-up':>8} {'max |d pred|':>12}"
    )
    for name, t_lib, t_sub, per_lib, per_naive, diff in table:
        print(
            f"{name:<11} {t_lib:9.2f} {t_sub:16.2f} {per_lib * 1e3:12.1f} "
            f"{per_naive * 1e3:14.1f} {per_naive / per_lib:7.1f}x {diff:12.2e}"
        )
    lib_total = sum(r[1] for r in table)
    naive_total = sum(r[4] for r in table) * len(splits)
    print(
        f"{'all four':<11} {lib_total:9.2f} {sum(r[2] for r in table):16.2f} "
        f"{'':>12} {'':>14} {naive_total / lib_total:7.1f}x "
        f"{max(r[5] for r in table):12.2e}"
    )
    print(
        f"naive extrapolated to all {len(splits)} refits: {naive_total:.1f} s; "
        f"target (>= 5x the naive loop): {'met' if naive_total / lib_total >= 5 else 'NOT met'}"
    )

    if args.no_notebook:
        return
    with tempfile.TemporaryDirectory(prefix="bench-forecast-") as tmp:
        nb = run_notebook(prices, Path(tmp))
    state = nb["state"]
    secs = state.get("seconds", {})
    print(
        "notebook end to end (factor-report run --renderer builtin --jobs 1, one core): "
        + ", ".join(f"{k} {float(v):.2f} s" for k, v in secs.items())
        + f"; process wall {nb['wall']:.2f} s"
    )
    cells = state.get("cell_seconds") or []
    cells = list(cells.items()) if isinstance(cells, dict) else list(enumerate(cells))
    top = sorted(cells, key=lambda kv: -float(kv[1] or 0.0))[:8]
    print("slowest cells: " + ", ".join(f"[{k}] {float(v or 0.0):.2f} s" for k, v in top))
    total = float(secs.get("total", nb["wall"]))
    print(f"target (one target's notebook <= 15 s): {'met' if total <= 15 else 'NOT met'}")


if __name__ == "__main__":
    main()
