"""Numerical kernels: scaling, whole-grid fits and time-series cross-validation.

Every fit here is on standardized features and a centred target, which is
what ``make_pipeline(StandardScaler(), Model(fit_intercept=True))`` solves:
the intercept is the training mean of ``y`` and the coefficients are in
standardized units.

* OLS: minimum-norm least squares (:func:`numpy.linalg.lstsq`), as
  :class:`sklearn.linear_model.LinearRegression`.
* Ridge: one SVD ``X = U S V'`` of the training matrix gives every alpha,
  ``w(alpha) = V diag(s / (s^2 + alpha)) U'y``.
* Lasso / elastic net: :func:`sklearn.linear_model.enet_path` over the grid
  in descending order, each alpha warm-started from the previous one. A single
  alpha is fitted cold (from zero, without a Gram matrix), exactly as
  :meth:`sklearn.linear_model.ElasticNet.fit` does, so that the prediction a
  report shows is the one a reviewer gets from scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.linear_model import enet_path
from sklearn.model_selection import TimeSeriesSplit

ModelName = Literal["ols", "ridge", "lasso", "elasticnet"]

CONSTANT_RTOL = 1e-10
"""A training column whose std is at most this fraction of its |mean| counts as constant."""


@dataclass(frozen=True)
class Scaling:
    """Training statistics of a feature matrix.

    Attributes
    ----------
    mean
        Mean of each column's observed training values (also the value that
        replaces its missing ones).
    scale
        Population std (ddof 0) of each column after that imputation.
    keep
        Columns that enter the fit: observed at least once and not constant.
    """

    mean: np.ndarray
    scale: np.ndarray
    keep: np.ndarray

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Kept columns, missing values set to the training mean, standardized."""
        Xk = X[:, self.keep]
        missing = np.isnan(Xk)
        if missing.any():
            Xk = np.where(missing, self.mean[self.keep], Xk)
        return (Xk - self.mean[self.keep]) / self.scale[self.keep]


def fit_scaling(X: np.ndarray) -> Scaling:
    """Mean-impute then standardize, with statistics from ``X`` (the training rows).

    Notes
    -----
    Equals ``SimpleImputer(strategy="mean")`` followed by ``StandardScaler()``:
    the std is taken over all rows after imputation, so imputed rows count in
    its denominator. Columns without an observed value or constant in ``X``
    are left out (a scikit-learn pipeline would give them a zero coefficient).
    """
    observed = ~np.isnan(X)
    count = observed.sum(axis=0)
    if len(X) and (count == len(X)).all():
        # nothing to impute: the same sums on X itself, without two masked copies
        mean = X.sum(axis=0) / count
        filled = X
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, np.where(observed, X, 0.0).sum(axis=0) / count, 0.0)
        filled = np.where(observed, X, mean)
    scale = filled.std(axis=0) if len(X) else np.zeros(X.shape[1])
    keep = (count > 0) & (scale > CONSTANT_RTOL * np.abs(mean))
    return Scaling(mean=mean, scale=np.where(keep, scale, 1.0), keep=keep)


def alpha_max(Xs: np.ndarray, yc: np.ndarray, l1_ratio: float) -> float:
    """Smallest alpha at which every lasso / elastic-net coefficient is zero."""
    if Xs.shape[1] == 0:
        return 0.0
    return float(np.max(np.abs(Xs.T @ yc)) / (len(yc) * l1_ratio))


Svd = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(U, s, Vt)`` of a standardized training matrix, ``np.linalg.svd(Xs, full_matrices=False)``."""


def ridge_svd(Xs: np.ndarray) -> Svd:
    """The thin SVD that gives ridge coefficients for every alpha (reuse it across calls)."""
    U, s, Vt = np.linalg.svd(Xs, full_matrices=False)
    return U, s, Vt


def _ridge_coefs(
    Xs: np.ndarray, yc: np.ndarray, alphas: np.ndarray, svd: Svd | None = None
) -> np.ndarray:
    U, s, Vt = ridge_svd(Xs) if svd is None else svd
    d = s[:, None] / (s[:, None] ** 2 + alphas[None, :])
    return Vt.T @ (d * (U.T @ yc)[:, None])


def path_coefs(
    name: ModelName,
    Xs: np.ndarray,
    yc: np.ndarray,
    alphas: np.ndarray,
    *,
    l1_ratio: float,
    tol: float,
    max_iter: int,
    svd: Svd | None = None,
) -> np.ndarray:
    """Coefficients for every alpha of a descending grid, shape ``(n_features, n_alphas)``.

    ``svd`` is :func:`ridge_svd` of ``Xs`` when the caller already has it (ridge only).
    """
    p = Xs.shape[1]
    if p == 0:
        return np.zeros((0, len(alphas)))
    if name == "ridge":
        return _ridge_coefs(Xs, yc, alphas, svd)
    ratio = 1.0 if name == "lasso" else l1_ratio
    # precompute=True is what "auto" resolves to here (n_samples > n_features); with
    # check_input=False the Gram matrix is not re-validated at every alpha, which cost
    # more than the coordinate descent itself
    _, coefs, _ = enet_path(
        np.asfortranarray(Xs, dtype="float64"),
        np.ascontiguousarray(yc, dtype="float64"),
        l1_ratio=ratio,
        alphas=alphas,
        precompute=True,
        check_input=False,
        tol=tol,
        max_iter=max_iter,
    )
    return np.asarray(coefs)


def single_coef(
    name: ModelName,
    Xs: np.ndarray,
    yc: np.ndarray,
    alpha: float | None,
    *,
    l1_ratio: float,
    tol: float,
    max_iter: int,
    svd: Svd | None = None,
) -> np.ndarray:
    """Coefficients at one alpha (``None`` for OLS), fitted as scikit-learn's estimator does.

    ``svd`` is :func:`ridge_svd` of ``Xs`` when the caller already has it (ridge only).
    """
    p = Xs.shape[1]
    if p == 0:
        return np.zeros(0)
    if name == "ols":
        return np.linalg.lstsq(Xs, yc, rcond=None)[0]
    assert alpha is not None
    if name == "ridge":
        return _ridge_coefs(Xs, yc, np.array([alpha]), svd)[:, 0]
    ratio = 1.0 if name == "lasso" else l1_ratio
    _, coefs, _ = enet_path(
        np.asfortranarray(Xs, dtype="float64"),
        np.ascontiguousarray(yc, dtype="float64"),
        l1_ratio=ratio,
        alphas=np.array([alpha]),
        precompute=False,
        check_input=False,
        coef_init=np.zeros(p),
        tol=tol,
        max_iter=max_iter,
    )
    return np.asarray(coefs)[:, 0]


def cv_mse(
    name: ModelName,
    X: np.ndarray,
    y: np.ndarray,
    alphas: np.ndarray,
    *,
    n_splits: int,
    l1_ratio: float,
    tol: float,
    max_iter: int,
) -> np.ndarray:
    """Mean over ``TimeSeriesSplit(n_splits)`` folds of the validation MSE, per alpha.

    Each fold is imputed and scaled with its own fold-train statistics
    (:func:`fit_scaling`), as a pipeline inside ``GridSearchCV`` would be.
    """
    total = np.zeros(len(alphas))
    # the folds are runs of consecutive rows: slices of a C-ordered copy are views with the
    # layout of the row copies X[tr] would make, so every sum is the same, without the copies
    Xc = np.ascontiguousarray(X)
    for tr, va in TimeSeriesSplit(n_splits=n_splits).split(X):
        a, b, c = tr[0], tr[-1] + 1, va[-1] + 1
        assert len(tr) == b - a and va[0] == b and len(va) == c - b
        X_tr, y_tr = Xc[a:b], y[a:b]
        sc = fit_scaling(X_tr)
        ybar = y_tr.mean()
        coefs = path_coefs(
            name,
            sc.transform(X_tr),
            y_tr - ybar,
            alphas,
            l1_ratio=l1_ratio,
            tol=tol,
            max_iter=max_iter,
        )
        pred = ybar + sc.transform(Xc[b:c]) @ coefs
        total += ((y[b:c][:, None] - pred) ** 2).mean(axis=0)
    return total / n_splits
