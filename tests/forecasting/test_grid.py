"""Numerical kernels: the shortcuts taken for speed give the same numbers as the plain forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, Ridge
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from analysis.forecasting import ModelSpec, WalkForward, alpha_grid, build_rows, walk_forward
from analysis.forecasting.grid import (
    ModelName,
    cv_mse,
    fit_scaling,
    path_coefs,
    ridge_svd,
    single_coef,
)

GRID = alpha_grid(1e-5, 1e1, 12)


def _data(n: int = 300, p: int = 5, seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0, 0.01, n)
    # Fortran order, as DataFrame.to_numpy() often returns; correlated columns
    X = np.asfortranarray(0.8 * common[:, None] + rng.normal(0.0, 0.006, (n, p)))
    y = 0.3 * X[:, 0] + rng.normal(0.0, 0.01, n)
    return X, y


def _masked_scaling(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The imputing form of fit_scaling, taken on every input (reference)."""
    observed = ~np.isnan(X)
    count = observed.sum(axis=0)
    mean = np.where(observed, X, 0.0).sum(axis=0) / count
    return mean, np.where(observed, X, mean).std(axis=0)


@pytest.mark.parametrize("with_gaps", [False, True])
def test_fit_scaling(with_gaps: bool) -> None:
    X, _ = _data()
    X = np.ascontiguousarray(X)
    if with_gaps:
        X[:40, 2] = np.nan
    sc = fit_scaling(X)
    mean, scale = _masked_scaling(X)
    # the complete-data shortcut performs the same sums on the same layout: exact
    np.testing.assert_array_equal(sc.mean, mean)
    np.testing.assert_array_equal(sc.scale, scale)
    ref = make_pipeline(SimpleImputer(), StandardScaler()).fit(X)
    # the same statistics as scikit-learn's, summed in another order: rounding only
    np.testing.assert_allclose(sc.transform(X), ref.transform(X), rtol=1e-12, atol=1e-12)


def test_ridge_svd_reuse_is_exact() -> None:
    X, y = _data()
    sc = fit_scaling(X)
    Xs, yc = sc.transform(X), y - y.mean()
    svd = ridge_svd(Xs)
    np.testing.assert_array_equal(
        path_coefs("ridge", Xs, yc, GRID, l1_ratio=0.5, tol=1e-4, max_iter=1000, svd=svd),
        path_coefs("ridge", Xs, yc, GRID, l1_ratio=0.5, tol=1e-4, max_iter=1000),
    )
    w = single_coef("ridge", Xs, yc, 0.5, l1_ratio=0.5, tol=1e-4, max_iter=1000, svd=svd)
    np.testing.assert_array_equal(
        w, single_coef("ridge", Xs, yc, 0.5, l1_ratio=0.5, tol=1e-4, max_iter=1000)
    )
    ref = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(X, y)[-1].coef_
    np.testing.assert_allclose(w, ref, rtol=1e-10)  # closed forms: rounding only


@pytest.mark.parametrize("name", ["ridge", "lasso", "elasticnet"])
def test_cv_mse_fold_views_match_row_copies(name: ModelName) -> None:
    X, y = _data()
    X[:30, 1] = np.nan  # a late column: imputation inside each fold
    got = cv_mse(name, X, y, GRID, n_splits=5, l1_ratio=0.5, tol=1e-4, max_iter=1000)
    # reference: the fold rows taken as fancy-indexed copies, as before the views
    total = np.zeros(len(GRID))
    for tr, va in TimeSeriesSplit(5).split(X):
        sc = fit_scaling(X[tr])
        ybar = y[tr].mean()
        coefs = path_coefs(
            name, sc.transform(X[tr]), y[tr] - ybar, GRID, l1_ratio=0.5, tol=1e-4, max_iter=1000
        )
        total += ((y[va][:, None] - (ybar + sc.transform(X[va]) @ coefs)) ** 2).mean(axis=0)
    np.testing.assert_array_equal(got, total / 5)


def test_path_without_input_checks_matches_lasso() -> None:
    X, y = _data()
    sc = fit_scaling(X)
    Xs, yc = sc.transform(X), y - y.mean()
    coefs = path_coefs("lasso", Xs, yc, GRID, l1_ratio=1.0, tol=1e-12, max_iter=100_000)
    for j, alpha in enumerate(GRID):
        ref = make_pipeline(StandardScaler(), Lasso(alpha=alpha, tol=1e-12, max_iter=100_000))
        ref.fit(X, y)
        # both converged to a duality gap of 1e-12 ||y||^2 / n: far below 1e-6 relative
        np.testing.assert_allclose(coefs[:, j], ref[-1].coef_, rtol=1e-6, atol=1e-9)


def test_walk_forward_leaves_sklearn_validation_on() -> None:
    X, y = _data(n=260)
    idx = pd.bdate_range("2020-01-01", periods=len(y), name="date")
    F = pd.DataFrame(X, index=idx, columns=[f"f{i}" for i in range(X.shape[1])])
    rows = build_rows(pd.Series(y, index=idx, name="T"), F, [1])
    walk_forward(rows, ModelSpec("lasso"), WalkForward(150, 50), alphas=GRID)
    # walk_forward turns scikit-learn's parameter validation off for its own calls only
    assert sklearn.get_config()["skip_parameter_validation"] is False
    with pytest.raises(InvalidParameterError):
        Lasso(alpha="big").fit(X, y)
