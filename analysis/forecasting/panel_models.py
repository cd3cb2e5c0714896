"""The cross-sectional prediction models of the panel walk-forward and their hyperparameters.

Each model maps a row of processed factors (one ticker at one rebalance date)
to a score; :func:`make_estimator` builds it as an object with scikit-learn's
``fit(X, y)`` / ``predict(X)`` on float arrays:

``composite``
    No fitting: the average of the factors, each multiplied by its sign
    (``+1`` unless given), :class:`SignedComposite`.
``ridge``, ``lasso``
    :class:`sklearn.linear_model.Ridge` / :class:`~sklearn.linear_model.Lasso`
    with an intercept and no scaler: the factors are standardized per date
    upstream, so the coefficients are standardized coefficients.
``random_forest``
    :class:`sklearn.ensemble.RandomForestRegressor`.
``lightgbm``
    :class:`lightgbm.LGBMRegressor`, with ``deterministic=True``,
    ``force_row_wise=True`` and ``verbose=-1`` always (not hyperparameters:
    they make a run reproducible and quiet).
``mlp``
    :class:`sklearn.neural_network.MLPRegressor`.

Every random choice is seeded from the ``seed`` argument (``random_state`` of
the scikit-learn models, ``random_state`` of LightGBM, which seeds its
bagging and feature sampling); ``n_jobs`` reaches the random forest and
LightGBM only, so nothing else starts threads or processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, Literal, Protocol

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from analysis.errors import EstimationError

PanelModel = Literal["composite", "ridge", "lasso", "random_forest", "lightgbm", "mlp"]

PANEL_MODELS: tuple[PanelModel, ...] = (
    "composite",
    "ridge",
    "lasso",
    "random_forest",
    "lightgbm",
    "mlp",
)

DEFAULT_PARAMS: Mapping[PanelModel, Mapping[str, Any]] = {
    "composite": {},
    "ridge": {"alpha": 1.0},
    "lasso": {"alpha": 1e-3, "max_iter": 1000, "tol": 1e-4},
    "random_forest": {
        "n_estimators": 200,
        "max_depth": 6,
        "min_samples_leaf": 50,
        "max_features": "sqrt",
        "min_samples_split": 2,
        "max_samples": None,
        "bootstrap": True,
    },
    "lightgbm": {
        "n_estimators": 300,
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_child_samples": 50,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "max_depth": -1,
        "reg_alpha": 0.0,
        "reg_lambda": 0.0,
        "min_split_gain": 0.0,
    },
    "mlp": {
        "hidden_layer_sizes": (32, 16),
        "alpha": 1e-3,
        "early_stopping": True,
        "max_iter": 200,
        "learning_rate_init": 1e-3,
        "batch_size": "auto",
        "activation": "relu",
        "validation_fraction": 0.1,
        "n_iter_no_change": 10,
        "tol": 1e-4,
    },
}
"""The hyperparameters each model accepts in ``params``, with their defaults."""

_RESERVED = {
    "random_state": "pass seed=... instead",
    "seed": "pass seed=... instead",
    "n_jobs": "pass n_jobs=... instead",
    "verbose": "LightGBM runs with verbose=-1 always",
    "deterministic": "LightGBM runs with deterministic=True always",
    "force_row_wise": "LightGBM runs with force_row_wise=True always",
    "fit_intercept": "the linear models always fit an intercept",
}

# LightGBM checks its parameters only when fitting, which would turn a typo into a
# failed refit at every date; these bounds reject it at the boundary instead.
_LGBM_BOUNDS: Mapping[str, tuple[type, float, float, bool]] = {
    # name: (kind, low, high, low inclusive)
    "n_estimators": (int, 1, np.inf, True),
    "learning_rate": (float, 0.0, np.inf, False),
    "num_leaves": (int, 2, 131072, True),
    "min_child_samples": (int, 0, np.inf, True),
    "subsample": (float, 0.0, 1.0, False),
    "subsample_freq": (int, 0, np.inf, True),
    "colsample_bytree": (float, 0.0, 1.0, False),
    "max_depth": (int, -1, np.inf, True),
    "reg_alpha": (float, 0.0, np.inf, True),
    "reg_lambda": (float, 0.0, np.inf, True),
    "min_split_gain": (float, 0.0, np.inf, True),
}


class Regressor(Protocol):
    """What the walk-forward needs of a model: scikit-learn's fit/predict on arrays."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...


class SignedComposite(RegressorMixin, BaseEstimator):
    """The equal-weighted composite of signed factors; ``fit`` learns nothing.

    Parameters
    ----------
    signs
        One sign per factor column, each -1, 0 or +1.

    Notes
    -----
    ``predict(X) = X @ coef_`` with ``coef_ = signs / n`` (``n`` the number of
    factors, including those with sign 0) and ``intercept_ = 0``: a linear
    model with fixed weights, so a row with a missing factor gets NaN. It is a
    scikit-learn estimator so that scikit-learn's tools (e.g. permutation
    importance) accept it.
    """

    def __init__(self, signs: Sequence[float] | np.ndarray) -> None:
        self.signs = signs

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> SignedComposite:
        """Set the fixed weights and check the number of columns; nothing is estimated."""
        s = np.asarray(self.signs, dtype="float64")
        if s.ndim != 1 or s.size == 0 or not np.isin(s, (-1.0, 0.0, 1.0)).all():
            raise EstimationError(
                f"composite signs must be a non-empty vector of -1, 0 or +1; got {self.signs!r}"
            )
        self.coef_ = s / s.size
        self.intercept_ = 0.0
        self.n_features_in_ = s.size
        self._check(X)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Average of the signed factors of each row."""
        return self._check(X) @ self.coef_

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype="float64")
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise EstimationError(
                f"composite has {self.n_features_in_} signs; got X of shape {X.shape}"
            )
        return X


def resolve_signs(signs: Mapping[str, float] | None, factors: Sequence[str]) -> np.ndarray:
    """One sign per factor in ``factors`` order: the given one, else +1.

    Raises
    ------
    EstimationError
        A factor not in ``factors``, or a sign other than -1, 0 or +1.
    """
    out = np.ones(len(factors))
    if signs is None:
        return out
    position = {f: i for i, f in enumerate(factors)}
    for factor, sign in signs.items():
        if factor not in position:
            raise EstimationError(
                f"composite sign given for unknown factor {factor!r}; the factors are "
                f"{', '.join(map(repr, factors))}"
            )
        if isinstance(sign, bool) or not isinstance(sign, Real) or sign not in (-1, 0, 1):
            raise EstimationError(
                f"composite sign of factor {factor!r} must be -1, 0 or +1; got {sign!r}"
            )
        out[position[factor]] = float(sign)
    return out


def _check_lgbm(params: Mapping[str, Any]) -> None:
    for key, value in params.items():
        kind, low, high, low_inclusive = _LGBM_BOUNDS[key]
        allowed = Integral if kind is int else Real
        ok = not isinstance(value, bool) and isinstance(value, allowed)
        if ok:
            v = float(value)
            ok = (v >= low if low_inclusive else v > low) and v <= high
        if not ok:
            interval = f"{'[' if low_inclusive else '('}{low:g}, {high:g}]"
            what = "an integer" if kind is int else "a number"
            raise EstimationError(
                f"lightgbm hyperparameter {key!r} must be {what} in {interval}; got {value!r}"
            )


def _build(model: PanelModel, hp: Mapping[str, Any], seed: int, n_jobs: int) -> Any:
    if model == "ridge":
        from sklearn.linear_model import Ridge

        return Ridge(**hp, fit_intercept=True, random_state=seed)
    if model == "lasso":
        from sklearn.linear_model import Lasso

        return Lasso(**hp, fit_intercept=True, random_state=seed)
    if model == "random_forest":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(**hp, random_state=seed, n_jobs=n_jobs)
    if model == "lightgbm":
        from lightgbm import LGBMRegressor

        return LGBMRegressor(
            **hp,
            random_state=seed,
            n_jobs=n_jobs,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
    if model == "mlp":
        from sklearn.neural_network import MLPRegressor

        return MLPRegressor(**hp, random_state=seed)
    raise EstimationError(f"model must be one of {', '.join(PANEL_MODELS)}; got {model!r}")


def resolve_params(model: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The defaults of ``model`` updated with ``params``, validated.

    Parameters
    ----------
    model
        One of :data:`PANEL_MODELS`.
    params
        Hyperparameters overriding :data:`DEFAULT_PARAMS` ``[model]``.

    Returns
    -------
    dict
        Every hyperparameter of the model, in :data:`DEFAULT_PARAMS` order.

    Raises
    ------
    EstimationError
        An unknown model, an unknown or reserved hyperparameter (the message
        names it and the allowed ones), or a value the estimator rejects.
    """
    if model not in PANEL_MODELS:
        raise EstimationError(f"model must be one of {', '.join(PANEL_MODELS)}; got {model!r}")
    name: PanelModel = model
    defaults = DEFAULT_PARAMS[name]
    given = dict(params or {})
    for key in given:
        if key in _RESERVED and key not in defaults:
            raise EstimationError(
                f"{model} hyperparameter {key!r} cannot be set in params: {_RESERVED[key]}"
            )
        if key not in defaults:
            allowed = ", ".join(defaults) if defaults else "none"
            raise EstimationError(f"unknown {model} hyperparameter {key!r}; allowed: {allowed}")
    resolved = {**defaults, **given}
    if name == "lightgbm":
        _check_lgbm(resolved)
    elif name != "composite":
        from sklearn.utils._param_validation import InvalidParameterError

        try:
            # scikit-learn's own constraint check, run now rather than at the first fit
            _build(name, resolved, 0, 1)._validate_params()
        except InvalidParameterError as exc:
            raise EstimationError(f"{model} hyperparameters: {exc}") from exc
    return resolved


def make_estimator(
    model: str,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    n_jobs: int = 1,
    signs: Sequence[float] | np.ndarray | None = None,
) -> Regressor:
    """A fresh, unfitted estimator for ``model``.

    Parameters
    ----------
    model
        One of :data:`PANEL_MODELS`.
    params
        Hyperparameters overriding the defaults (see :func:`resolve_params`).
    seed
        Seed of the model's random choices.
    n_jobs
        Threads of the random forest and LightGBM; ignored by the others.
    signs
        The composite's sign per factor column (from :func:`resolve_signs`);
        required for ``"composite"`` and not allowed otherwise.
    """
    hp = resolve_params(model, params)
    if model == "composite":
        if signs is None:
            raise EstimationError("model 'composite' needs one sign per factor (resolve_signs)")
        return SignedComposite(signs)
    if signs is not None:
        raise EstimationError(f"signs apply to model 'composite' only; got model {model!r}")
    return _build(model, hp, seed, n_jobs)  # type: ignore[arg-type]
