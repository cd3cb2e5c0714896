"""Linear forecasting models, the alpha grid, and the walk-forward fit.

At each refit of a :class:`~analysis.forecasting.walkforward.WalkForward`
split (training rows ``T``, test rows ``S``):

1. *Active columns*: a column with at least ``min_feature_rows`` observed
   training values enters the fit; the others (late features that have not
   yet accumulated enough history) are left out and reported as NaN.
2. *Scaling*: an active column's missing training values are set to its
   training mean, then every column is standardized with the training mean and
   population std (ddof 0), exactly ``StandardScaler``; ``y`` is not scaled
   and an intercept is fitted, so the intercept is ``mean(y_T)`` and the
   coefficients are in standardized units.
3. *Objective*, exactly scikit-learn's: OLS ``LinearRegression``; Ridge
   ``||y - Xw||^2 + alpha ||w||^2``; Lasso
   ``(1/2n) ||y - Xw||^2 + alpha ||w||_1``; elastic net
   ``(1/2n) ||y - Xw||^2 + alpha l1 ||w||_1 + (alpha/2)(1 - l1) ||w||^2``.
4. *Alpha*: the spec's, or the grid value with the smallest mean validation
   MSE over ``TimeSeriesSplit(cv_splits)`` folds of ``T`` (each fold imputed
   and scaled with its own fold-train statistics; exact ties go to the larger
   alpha), i.e. what ``GridSearchCV(..., cv=TimeSeriesSplit(cv_splits),
   scoring="neg_mean_squared_error")`` chooses with the grid in descending
   order. The model is then refitted on all of ``T`` at that alpha.

Nothing at or after the first test row enters the fit, the scaling, the
alpha choice, the benchmark or the in-sample quantiles of a refit.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn import config_context

from analysis.errors import EstimationError
from analysis.forecasting.design import ForecastRows
from analysis.forecasting.grid import (
    ModelName,
    alpha_max,
    cv_mse,
    fit_scaling,
    path_coefs,
    ridge_svd,
    single_coef,
)
from analysis.forecasting.walkforward import WalkForward

MODEL_NAMES: tuple[ModelName, ...] = ("ols", "ridge", "lasso", "elasticnet")
ALL_REGIMES = "all"
"""Label of the unconditional model in :attr:`WalkForwardResult.coefficients`."""

_TITLES = {"ols": "OLS", "ridge": "Ridge", "lasso": "Lasso", "elasticnet": "Elastic net"}


@dataclass(frozen=True)
class ModelSpec:
    """A linear model to walk forward.

    Parameters
    ----------
    name
        ``"ols"``, ``"ridge"``, ``"lasso"`` or ``"elasticnet"``.
    alpha
        Fixed penalty; ``None`` to choose it at each refit by time-series
        cross-validation over a grid. Must be ``None`` for OLS.
    l1_ratio
        Elastic-net mixing, in ``(0, 1]`` (scikit-learn's ``l1_ratio``);
        ignored by the other models.
    label
        Display name; defaults to one built from the other fields.
    """

    name: ModelName
    alpha: float | None = None
    l1_ratio: float = 0.5
    label: str = ""

    def __post_init__(self) -> None:
        if self.name not in MODEL_NAMES:
            raise EstimationError(
                f"model name must be one of {', '.join(MODEL_NAMES)}; got {self.name!r}"
            )
        if self.name == "ols" and self.alpha is not None:
            raise EstimationError(f"model 'ols' takes no alpha; got alpha={self.alpha!r}")
        if self.alpha is not None and not (np.isfinite(self.alpha) and self.alpha > 0):
            raise EstimationError(
                f"model {self.name!r}: alpha must be a finite number > 0 or None; "
                f"got {self.alpha!r}"
            )
        if self.name == "elasticnet" and not 0 < self.l1_ratio <= 1:
            raise EstimationError(
                f"model 'elasticnet': l1_ratio must be in (0, 1]; got {self.l1_ratio!r}"
            )
        if not self.label:
            title = _TITLES[self.name]
            if self.name == "elasticnet":
                title += f" (l1_ratio {self.l1_ratio:g})"
            if self.name != "ols":
                title += f", alpha {self.alpha:g}" if self.alpha is not None else ", alpha by CV"
            object.__setattr__(self, "label", title)

    @property
    def penalized(self) -> bool:
        return self.name != "ols"

    @property
    def effective_l1_ratio(self) -> float:
        """The l1 share of the penalty: 1 for lasso, ``l1_ratio`` for elastic net."""
        return 1.0 if self.name == "lasso" else self.l1_ratio


def alpha_grid(min: float, max: float, num: int) -> np.ndarray:
    """``num`` log-spaced penalties from ``max`` down to ``min`` (descending).

    Descending is the order of a regularization path (warm starts go from the
    all-zero solution towards the least-squares one) and makes
    ``GridSearchCV`` break exact ties towards the larger alpha, as
    :func:`walk_forward` does.
    """
    if not (np.isfinite(min) and np.isfinite(max) and min > 0):
        raise EstimationError(
            f"alpha_grid: min and max must be finite and > 0; got min={min!r}, max={max!r}"
        )
    if not min < max:
        raise EstimationError(f"alpha_grid: min must be < max; got min={min!r}, max={max!r}")
    if isinstance(num, bool) or not isinstance(num, int | np.integer) or num < 2:
        raise EstimationError(f"alpha_grid: num must be an integer >= 2; got {num!r}")
    return np.geomspace(float(max), float(min), int(num))


def _check_alphas(alphas: np.ndarray | None) -> np.ndarray | None:
    if alphas is None:
        return None
    a = np.asarray(alphas, dtype="float64").ravel()
    if a.size == 0 or not np.isfinite(a).all() or (a <= 0).any():
        raise EstimationError(
            f"alphas must be a non-empty array of finite values > 0; got {alphas!r}"
        )
    if len(np.unique(a)) != a.size:
        raise EstimationError(f"alphas must be unique; got {a.tolist()}")
    return np.sort(a)[::-1]


@dataclass(frozen=True)
class _Fit:
    """One model fitted on one training set (internal)."""

    alpha: float
    intercept: float
    coef: np.ndarray
    pred: np.ndarray
    quantiles: np.ndarray
    n_nonzero: int
    alpha_max: float
    cv: np.ndarray | None
    grid_pred: np.ndarray | None
    grid_nnz: np.ndarray | None


def _fit_one(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    active: np.ndarray,
    spec: ModelSpec,
    alphas: np.ndarray | None,
    *,
    cv_splits: int,
    tol: float,
    max_iter: int,
    want_grid: bool,
) -> _Fit:
    Xa = X_train[:, active]
    sc = fit_scaling(Xa)
    Xs = sc.transform(Xa)
    ybar = float(y_train.mean())
    yc = y_train - ybar
    cv = None
    alpha = spec.alpha
    if spec.penalized and alpha is None:
        assert alphas is not None
        cv = cv_mse(
            spec.name,
            Xa,
            y_train,
            alphas,
            n_splits=cv_splits,
            l1_ratio=spec.l1_ratio,
            tol=tol,
            max_iter=max_iter,
        )
        # np.argmin takes the first minimum, the largest alpha of a descending grid
        alpha = float(alphas[int(np.argmin(cv))])
    svd = ridge_svd(Xs) if spec.name == "ridge" and Xs.shape[1] else None
    w = single_coef(
        spec.name, Xs, yc, alpha, l1_ratio=spec.l1_ratio, tol=tol, max_iter=max_iter, svd=svd
    )
    Xt = sc.transform(X_test[:, active])
    coef = np.full(X_train.shape[1], np.nan)
    coef[np.flatnonzero(active)[sc.keep]] = w
    grid_pred = grid_nnz = None
    if want_grid and spec.penalized and alphas is not None:
        coefs = path_coefs(
            spec.name, Xs, yc, alphas, l1_ratio=spec.l1_ratio, tol=tol, max_iter=max_iter, svd=svd
        )
        grid_pred = (ybar + Xt @ coefs).T
        grid_nnz = (coefs != 0).sum(axis=0)
    return _Fit(
        alpha=np.nan if alpha is None else float(alpha),
        intercept=ybar,
        coef=coef,
        pred=ybar + Xt @ w,
        quantiles=np.quantile(ybar + Xs @ w, [0.25, 0.5, 0.75]),
        n_nonzero=int((w != 0).sum()),
        alpha_max=(
            alpha_max(Xs, yc, spec.effective_l1_ratio)
            if spec.name in ("lasso", "elasticnet")
            else np.nan
        ),
        cv=cv,
        grid_pred=grid_pred,
        grid_nnz=grid_nnz,
    )


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample predictions of a walk-forward fit, with every refit's details.

    Attributes
    ----------
    predictions
        Indexed by date (test rows only): ``prediction``, ``actual``,
        ``benchmark`` (training mean of ``y``), ``alpha`` (NaN for OLS),
        ``train_variance`` (training variance of ``y``, ddof 1), ``q25``,
        ``q50``, ``q75`` (quantiles of the predicting model's in-sample fitted
        values), ``refit_date``, ``regime`` (the row's label, NaN without
        regimes) and ``fallback`` (True where regimes were given but the row's
        label was unknown or had too few training rows, so the unconditional
        model predicted it).
    coefficients
        Long: ``refit_date``, ``regime`` (``"all"`` for the unconditional
        model), ``alpha``, ``term`` (``"intercept"`` then the columns),
        ``coef`` (standardized units; NaN for a column not in the fit).
    refits
        One row per refit of the unconditional model: ``refit_date``,
        ``n_train``, ``n_active``, ``alpha``, ``alpha_max`` (lasso and elastic
        net only), ``n_nonzero``, ``active`` (tuple of column names).
    grid
        Long, penalized models given a grid: ``refit_date``, ``alpha``,
        ``date``, ``prediction``, ``n_nonzero`` for every alpha of the grid,
        fitted on all training rows along the path; else None.
    cv_mse
        Long, when alpha is chosen by CV: ``refit_date``, ``alpha``, ``mse``
        (mean validation MSE over the folds); else None.
    spec, splitter
        What produced the result.
    settings
        The other arguments of :func:`walk_forward` that shape the unconditional fits
        (``alphas`` in descending order, ``cv_splits``, ``min_feature_rows``, ``tol``,
        ``max_iter``) and ``conditional`` (whether regimes were given); it is how
        ``walk_forward(..., base=...)`` checks that a result can be reused.
    """

    predictions: pd.DataFrame
    coefficients: pd.DataFrame = field(repr=False)
    refits: pd.DataFrame = field(repr=False)
    grid: pd.DataFrame | None = field(repr=False)
    cv_mse: pd.DataFrame | None = field(repr=False)
    spec: ModelSpec | None = None
    splitter: WalkForward | None = None
    settings: dict[str, object] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        """Model, refits, prediction period and the chosen alphas."""
        p = self.predictions
        label = self.spec.label if self.spec is not None else "model"
        lines = [
            f"{label}: {len(self.refits)} refits, {len(p)} out-of-sample predictions "
            f"from {p.index[0]:%Y-%m-%d} to {p.index[-1]:%Y-%m-%d}",
            f"training rows {self.refits['n_train'].min()} to {self.refits['n_train'].max()}; "
            f"non-zero coefficients {self.refits['n_nonzero'].min()} to "
            f"{self.refits['n_nonzero'].max()}",
        ]
        a = self.refits["alpha"]
        if a.notna().any():
            lines.append(f"alpha from {a.min():.4g} to {a.max():.4g} (median {a.median():.4g})")
        if p["regime"].notna().any():
            lines.append(f"{int(p['fallback'].sum())} rows predicted by the unconditional model")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _check_regimes(regimes: pd.Series, index: pd.DatetimeIndex) -> np.ndarray:
    labels = regimes.reindex(index).to_numpy(dtype=object)
    for v in labels:
        if isinstance(v, str):
            if v == ALL_REGIMES:
                raise EstimationError(
                    f"regime label {ALL_REGIMES!r} is reserved for the unconditional model"
                )
        elif not pd.isna(v):
            raise EstimationError(f"regime labels must be strings or NaN; got {v!r}")
    return np.array([v if isinstance(v, str) else None for v in labels], dtype=object)


def _check_base(
    base: WalkForwardResult,
    spec: ModelSpec,
    splitter: WalkForward,
    settings: dict[str, object],
    dates: pd.DatetimeIndex,
    y: np.ndarray,
) -> None:
    """Raise unless ``base`` is the unconditional result of this very call."""
    if not isinstance(base, WalkForwardResult):
        raise EstimationError(f"base must be a WalkForwardResult; got {type(base).__name__}")
    if base.settings.get("conditional", True):
        raise EstimationError(
            "base must be a walk-forward result fitted without regimes (the unconditional "
            "model); got one fitted with regimes"
        )
    theirs = {k: v for k, v in base.settings.items() if k != "conditional"}
    ours = {k: v for k, v in settings.items() if k != "conditional"}
    for what, a, b in (("spec", base.spec, spec), ("splitter", base.splitter, splitter)):
        if a != b:
            raise EstimationError(f"base was fitted with {what} {a!r}; this call has {b!r}")
    for key in ours:
        if theirs.get(key) != ours[key]:
            raise EstimationError(
                f"base was fitted with {key}={theirs.get(key)!r}; this call has {ours[key]!r}"
            )
    p = base.predictions
    if not (
        p.index.equals(dates)
        and np.array_equal(p["actual"].to_numpy(dtype="float64"), y, equal_nan=True)
    ):
        raise EstimationError(
            "base was fitted on other rows (its test dates or actual values differ); pass "
            "the unconditional result of the same rows"
        )


def walk_forward(
    rows: ForecastRows,
    spec: ModelSpec,
    splitter: WalkForward,
    *,
    alphas: np.ndarray | None,
    cv_splits: int = 5,
    regimes: pd.Series | None = None,
    min_feature_rows: int | None = None,
    tol: float = 1e-4,
    max_iter: int = 1000,
    base: WalkForwardResult | None = None,
) -> WalkForwardResult:
    """Fit ``spec`` at every refit of ``splitter`` and predict the following rows.

    Parameters
    ----------
    rows
        The design (:func:`~analysis.forecasting.design.build_rows`).
    spec
        The model.
    splitter
        Refit schedule and training windows.
    alphas
        Penalty grid (any order; used in descending order). Required when
        ``spec.alpha`` is None; with a fixed alpha it only feeds ``grid``.
    cv_splits
        Folds of the ``TimeSeriesSplit`` that chooses alpha inside each
        training set.
    regimes
        Optional label per date (strings; NaN = unknown), known at ``t - 1``.
        Each refit then also fits one model per label on the training rows
        carrying that label (imputation, scaling and alpha choice inside that
        subset, with the refit's active columns) and predicts each test row
        with its label's model.
    min_feature_rows
        Observed training values a column needs to enter a refit; default
        ``splitter.min_train``.
    tol, max_iter
        Coordinate-descent settings (lasso, elastic net), scikit-learn's
        defaults.
    base
        With ``regimes``: the result of the same call without ``regimes``
        (same rows, spec, splitter and settings). Its unconditional fits are
        reused instead of refitted, so only the per-regime models are fitted;
        the result is identical to the one computed without ``base``.

    Returns
    -------
    WalkForwardResult

    Notes
    -----
    See the module docstring for the fit at each refit. The benchmark is the
    training mean of ``y`` (the historical-mean forecast) and
    ``train_variance`` its training variance with ddof 1.

    With regimes, a model is fitted for each label that has at least
    ``max(2 * n_active, 2 * cv_splits + 2, 30)`` training rows; the rows of
    other labels, and rows with an unknown label, are predicted by the
    unconditional model (``fallback`` True). The benchmark stays the
    unconditional mean.

    Ridge, OLS and every fixed or chosen alpha are refitted as scikit-learn's
    estimator does (lasso and elastic net from zero), so predictions match
    ``make_pipeline(StandardScaler(), Model(alpha))`` to rounding. The
    cross-validation errors and the ``grid`` predictions come from the
    warm-started path and match cold fits to the solver's tolerance ``tol``
    (duality gap at most ``tol * ||y||^2 / n``).
    """
    a = _check_alphas(alphas)
    if spec.penalized and spec.alpha is None and a is None:
        raise EstimationError(
            f"model {spec.label!r} chooses alpha by cross-validation: pass alphas "
            "(e.g. alpha_grid(1e-4, 1e-1, 20)) or give the spec a fixed alpha"
        )
    if isinstance(cv_splits, bool) or not isinstance(cv_splits, int | np.integer) or cv_splits < 2:
        raise EstimationError(f"cv_splits must be an integer >= 2; got {cv_splits!r}")
    mfr = splitter.min_train if min_feature_rows is None else min_feature_rows
    if isinstance(mfr, bool) or not isinstance(mfr, int | np.integer) or mfr < 1:
        raise EstimationError(f"min_feature_rows must be an integer >= 1; got {mfr!r}")
    if not (tol > 0 and max_iter >= 1):
        raise EstimationError(f"tol must be > 0 and max_iter >= 1; got {tol!r}, {max_iter!r}")

    X = rows.X.to_numpy(dtype="float64")
    y = rows.y.to_numpy(dtype="float64")
    dates = pd.DatetimeIndex(rows.y.index)
    columns = list(map(str, rows.X.columns))
    splits = list(splitter.split(X))
    need_cv = spec.penalized and spec.alpha is None
    shortest = min(len(tr) for tr, _ in splits)
    if need_cv and shortest <= cv_splits:
        raise EstimationError(
            f"cross-validation with cv_splits={cv_splits} needs more than {cv_splits} training "
            f"rows at every refit; the shortest training set has {shortest}"
        )
    labels = _check_regimes(regimes, dates) if regimes is not None else None
    settings: dict[str, object] = {
        "alphas": None if a is None else tuple(a.tolist()),
        "cv_splits": int(cv_splits),
        "min_feature_rows": int(mfr),
        "tol": float(tol),
        "max_iter": int(max_iter),
        "conditional": labels is not None,
    }
    test_rows = np.concatenate([te for _, te in splits])
    if base is not None:
        if labels is None:
            raise EstimationError(
                "base is only used with regimes (it replaces the unconditional refits of a "
                "conditional walk-forward); drop base or pass regimes"
            )
        _check_base(base, spec, splitter, settings, dates[test_rows], y[test_rows])

    n_pred = sum(len(te) for _, te in splits)
    pred = np.full(n_pred, np.nan)
    out_alpha = np.full(n_pred, np.nan)
    bench = np.full(n_pred, np.nan)
    var = np.full(n_pred, np.nan)
    quant = np.full((n_pred, 3), np.nan)
    refit_of = np.empty(n_pred, dtype="datetime64[ns]")
    fallback = np.zeros(n_pred, dtype=bool)

    coef_rec: list[tuple[pd.Timestamp, str, float, np.ndarray]] = []
    refit_rec: list[dict[str, object]] = []
    # the grid and CV records are gathered as arrays and framed once at the end: one small
    # DataFrame per refit cost more than the ridge fits themselves
    grid_rec: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    cv_rec: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n_terms = 1 + len(columns)
    if base is not None:
        base_pred = base.predictions
        base_pred_values = base_pred["prediction"].to_numpy(dtype="float64")
        base_alpha = base_pred["alpha"].to_numpy(dtype="float64")
        base_quant = base_pred[["q25", "q50", "q75"]].to_numpy(dtype="float64")
        base_coef = base.coefficients["coef"].to_numpy(dtype="float64").reshape(-1, n_terms)
        base_refit_alpha = base.refits["alpha"].to_numpy(dtype="float64")

    # our inputs are validated above; scikit-learn re-validating the parameters of each of
    # the thousands of path calls below costs about a sixth of a lasso walk-forward
    with config_context(skip_parameter_validation=True):
        pos = 0
        for k, (train, test) in enumerate(splits):
            refit_date = dates[test[0]]
            sl = slice(pos, pos + len(test))
            pos += len(test)
            active = (~np.isnan(X[train])).sum(axis=0) >= mfr
            bench[sl] = y[train].mean()
            var[sl] = y[train].var(ddof=1)
            refit_of[sl] = refit_date.to_datetime64()
            if base is not None:
                # the base's own numbers, copied: identical to refitting them here
                pred[sl] = base_pred_values[sl]
                out_alpha[sl] = base_alpha[sl]
                quant[sl] = base_quant[sl]
                coef_rec.append(
                    (refit_date, ALL_REGIMES, float(base_refit_alpha[k]), base_coef[k].copy())
                )
            else:
                fit = _fit_one(
                    X[train],
                    y[train],
                    X[test],
                    active,
                    spec,
                    a,
                    want_grid=True,
                    cv_splits=cv_splits,
                    tol=tol,
                    max_iter=max_iter,
                )
                pred[sl] = fit.pred
                out_alpha[sl] = fit.alpha
                quant[sl] = fit.quantiles
                coef_rec.append(
                    (refit_date, ALL_REGIMES, fit.alpha, np.r_[fit.intercept, fit.coef])
                )
                refit_rec.append(
                    {
                        "refit_date": refit_date,
                        "n_train": len(train),
                        "n_active": int(active.sum()),
                        "alpha": fit.alpha,
                        "alpha_max": fit.alpha_max,
                        "n_nonzero": fit.n_nonzero,
                        "active": tuple(c for c, on in zip(columns, active, strict=True) if on),
                    }
                )
                if fit.grid_pred is not None and fit.grid_nnz is not None and a is not None:
                    n_a, n_t = fit.grid_pred.shape
                    grid_rec.append(
                        (
                            np.repeat(refit_date.to_datetime64(), n_a * n_t),
                            np.repeat(a, n_t),
                            np.tile(dates[test].to_numpy(), n_a),
                            fit.grid_pred.ravel(),
                            np.repeat(fit.grid_nnz, n_t),
                        )
                    )
                if fit.cv is not None and a is not None:
                    cv_rec.append((np.repeat(refit_date.to_datetime64(), len(a)), a, fit.cv))

            if labels is None:
                continue
            threshold = max(2 * int(active.sum()), 2 * cv_splits + 2, 30)
            test_labels = labels[test]
            fallback[sl] = True
            train_labels = labels[train]
            for lab in sorted({v for v in train_labels if v is not None}):
                tr = train[train_labels == lab]
                if len(tr) < threshold:
                    continue
                # every test row is passed, not only this label's, so that the arithmetic of a
                # row's prediction cannot depend on the labels of later rows
                sub = _fit_one(
                    X[tr],
                    y[tr],
                    X[test],
                    active,
                    spec,
                    a,
                    want_grid=False,
                    cv_splits=cv_splits,
                    tol=tol,
                    max_iter=max_iter,
                )
                on = test_labels == lab
                idx = np.flatnonzero(on) + sl.start
                pred[idx] = sub.pred[on]
                out_alpha[idx] = sub.alpha
                quant[idx] = sub.quantiles
                fallback[idx] = False
                coef_rec.append((refit_date, lab, sub.alpha, np.r_[sub.intercept, sub.coef]))

    index = pd.DatetimeIndex(dates[test_rows], name="date")
    predictions = pd.DataFrame(
        {
            "prediction": pred,
            "actual": y[test_rows],
            "benchmark": bench,
            "alpha": out_alpha,
            "train_variance": var,
            "q25": quant[:, 0],
            "q50": quant[:, 1],
            "q75": quant[:, 2],
            "refit_date": pd.DatetimeIndex(refit_of),
            "regime": pd.Series(
                labels[test_rows] if labels is not None else None, index=index, dtype=object
            ).to_numpy(),
            "fallback": fallback,
        },
        index=index,
    )
    terms = ["intercept", *columns]
    coefficients = pd.DataFrame(
        {
            "refit_date": np.repeat([r[0] for r in coef_rec], len(terms)),
            "regime": np.repeat([r[1] for r in coef_rec], len(terms)),
            "alpha": np.repeat([r[2] for r in coef_rec], len(terms)),
            "term": np.tile(terms, len(coef_rec)),
            "coef": np.concatenate([r[3] for r in coef_rec]),
        }
    )
    if base is not None:
        refits = base.refits.copy()
        grid = None if base.grid is None else base.grid.copy()
        cv = None if base.cv_mse is None else base.cv_mse.copy()
    else:
        refits = pd.DataFrame(refit_rec)
        grid = _frame(("refit_date", "alpha", "date", "prediction", "n_nonzero"), grid_rec)
        cv = _frame(("refit_date", "alpha", "mse"), cv_rec)
    return WalkForwardResult(
        predictions=predictions,
        coefficients=coefficients,
        refits=refits,
        grid=grid,
        cv_mse=cv,
        spec=spec,
        splitter=splitter,
        settings=settings,
    )


def _frame(
    columns: tuple[str, ...], parts: Sequence[tuple[np.ndarray, ...]]
) -> pd.DataFrame | None:
    """One long frame from per-refit column arrays (None without any refit)."""
    if not parts:
        return None
    return pd.DataFrame({c: np.concatenate([p[i] for p in parts]) for i, c in enumerate(columns)})
