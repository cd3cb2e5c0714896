"""Feature importance of a fitted cross-sectional model, one method per model family.

=================  ====================  =============================================
model              ``method``            value per factor
=================  ====================  =============================================
composite          ``composite_weight``  its fixed weight ``sign / n``
ridge, lasso       ``standardized_coef`` the fitted coefficient
random_forest,     ``mean_abs_shap``     mean ``|SHAP value|`` over (a sample of) the
lightgbm                                 training rows
mlp                ``permutation_mse``   mean increase of the MSE when the factor is
                                         shuffled, over (a sample of) the training rows
=================  ====================  =============================================

The factors reach the models already standardized per date, so the linear
coefficients are standardized coefficients: the score change for a one
cross-sectional standard deviation move of the factor. The signed methods
(coefficients, weights) keep the sign; SHAP and permutation values are
non-negative magnitudes (a permutation value can be slightly negative by
chance when the factor does not matter).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.errors import EstimationError

ImportanceMethod = Literal[
    "composite_weight", "standardized_coef", "mean_abs_shap", "permutation_mse"
]

IMPORTANCE_METHODS: Mapping[str, ImportanceMethod] = {
    "composite": "composite_weight",
    "ridge": "standardized_coef",
    "lasso": "standardized_coef",
    "random_forest": "mean_abs_shap",
    "lightgbm": "mean_abs_shap",
    "mlp": "permutation_mse",
}
"""The importance method of each panel model."""

MAX_ROWS = 2000
"""Training rows (a seeded sample when there are more) that SHAP and permutation use."""

N_REPEATS = 5
"""Shuffles per factor in the permutation importance."""


def sample_rows(n: int, max_rows: int = MAX_ROWS, seed: int = 0) -> np.ndarray:
    """Sorted positions of at most ``max_rows`` of ``n`` rows, drawn without replacement.

    All rows when ``n <= max_rows``; otherwise
    ``numpy.random.default_rng(seed).choice(n, max_rows, replace=False)``, sorted.
    """
    if max_rows < 1:
        raise EstimationError(f"max_rows must be >= 1; got {max_rows!r}")
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def _matrix(X: pd.DataFrame | np.ndarray, factors: Sequence[str]) -> np.ndarray:
    a = np.asarray(X, dtype="float64")
    if a.ndim != 2 or a.shape[1] != len(factors):
        raise EstimationError(f"X must have one column per factor ({len(factors)}); got {a.shape}")
    return a


def coefficient_importance(estimator: Any, factors: Sequence[str]) -> pd.Series:
    """The fitted linear coefficients (``coef_``), indexed by factor.

    For ridge and lasso on per-date standardized factors these are
    standardized coefficients; for the composite, its weights ``sign / n``.
    """
    coef = np.asarray(estimator.coef_, dtype="float64").ravel()
    if coef.size != len(factors):
        raise EstimationError(f"model has {coef.size} coefficients for {len(factors)} factors")
    return pd.Series(coef, index=pd.Index(list(factors), name="factor"), name="importance")


def shap_importance(
    estimator: Any,
    X: pd.DataFrame | np.ndarray,
    factors: Sequence[str],
    *,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> pd.Series:
    """Mean absolute SHAP value of each factor for a fitted tree ensemble.

    Parameters
    ----------
    estimator
        A fitted random forest or LightGBM regressor.
    X
        Rows to explain (the training rows), one column per factor.
    factors
        Factor names, in column order.
    seed, max_rows
        At most ``max_rows`` rows are explained, a seeded sample
        (:func:`sample_rows`).

    Notes
    -----
    ``shap.TreeExplainer(estimator)`` with no background data, so its
    ``feature_perturbation`` default is ``"tree_path_dependent"``: a factor
    left out of a coalition is integrated out along the trees' own split
    paths, weighted by the training cover of each branch (the conditional
    expectation the trees encode), not against an interventional background
    sample. The value of factor ``j`` is ``mean_i |phi_ij|`` over the
    explained rows, in the units of the score.
    """
    with warnings.catch_warnings():
        # shap's own import raises PendingDeprecationWarnings of its dependencies; they
        # would otherwise end up printed in the reports
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import shap  # imported here: importing shap takes seconds and only tree models need it

    a = _matrix(X, factors)
    rows = a[sample_rows(len(a), max_rows, seed)]
    values = np.asarray(shap.TreeExplainer(estimator).shap_values(rows), dtype="float64")
    return pd.Series(
        np.abs(values).mean(axis=0),
        index=pd.Index(list(factors), name="factor"),
        name="importance",
    )


def permutation_mse_importance(
    estimator: Any,
    X: pd.DataFrame | np.ndarray,
    y: pd.Series | np.ndarray,
    factors: Sequence[str],
    *,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
    n_repeats: int = N_REPEATS,
) -> pd.Series:
    """Mean increase in MSE when each factor is shuffled, for any fitted regressor.

    :func:`sklearn.inspection.permutation_importance` with
    ``scoring="neg_mean_squared_error"``, ``n_repeats`` shuffles and
    ``random_state=seed`` on at most ``max_rows`` rows (a seeded sample,
    :func:`sample_rows`); the value is its ``importances_mean`` (the drop of
    the negative MSE, i.e. the rise of the MSE).
    """
    from sklearn.inspection import permutation_importance

    a = _matrix(X, factors)
    target = np.asarray(y, dtype="float64").ravel()
    if target.size != len(a):
        raise EstimationError(f"y has {target.size} rows; X has {len(a)}")
    rows = sample_rows(len(a), max_rows, seed)
    result = permutation_importance(
        estimator,
        a[rows],
        target[rows],
        scoring="neg_mean_squared_error",
        n_repeats=n_repeats,
        random_state=seed,
    )
    return pd.Series(
        np.asarray(result.importances_mean, dtype="float64"),
        index=pd.Index(list(factors), name="factor"),
        name="importance",
    )


def feature_importance(
    model: str,
    estimator: Any,
    X: pd.DataFrame | np.ndarray,
    y: pd.Series | np.ndarray,
    factors: Sequence[str],
    *,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> pd.DataFrame:
    """The importance of each factor for a fitted panel model, by the model's method.

    Parameters
    ----------
    model
        The panel model's name (a key of :data:`IMPORTANCE_METHODS`).
    estimator
        The fitted model.
    X, y
        Its training rows and labels (used by SHAP and permutation only).
    factors
        Factor names, in column order.
    seed, max_rows
        Row sample and shuffles of the SHAP and permutation methods.

    Returns
    -------
    pandas.DataFrame
        Columns ``factor``, ``value``, ``method``; one row per factor.
    """
    if model not in IMPORTANCE_METHODS:
        raise EstimationError(
            f"no importance method for model {model!r}; known: {', '.join(IMPORTANCE_METHODS)}"
        )
    method = IMPORTANCE_METHODS[model]
    if method in ("composite_weight", "standardized_coef"):
        values = coefficient_importance(estimator, factors)
    elif method == "mean_abs_shap":
        values = shap_importance(estimator, X, factors, seed=seed, max_rows=max_rows)
    else:
        values = permutation_mse_importance(estimator, X, y, factors, seed=seed, max_rows=max_rows)
    return pd.DataFrame({"factor": list(factors), "value": values.to_numpy(), "method": method})
