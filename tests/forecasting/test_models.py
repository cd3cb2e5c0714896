"""walk_forward against scikit-learn refit by refit, plus properties.

Reference fits are ``make_pipeline(StandardScaler(), Model(alpha))`` on each
training set (``SimpleImputer`` first where a late feature has gaps) and
``GridSearchCV`` with ``TimeSeriesSplit(5)`` for the alpha choice.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from analysis.errors import EstimationError
from analysis.forecasting import (
    ForecastRows,
    ModelSpec,
    WalkForward,
    WalkForwardResult,
    alpha_grid,
    build_rows,
    walk_forward,
)

FEATURES = ["x1", "x2", "x3", "x4"]
RIDGE_GRID = alpha_grid(1e-1, 1e4, 10)
LASSO_GRID = alpha_grid(1e-5, 1e-2, 10)


def _simulate(n: int = 400, seed: int = 7, beta: float = 0.3) -> tuple[pd.Series, pd.DataFrame]:
    """y_t = beta * x1_{t-1} + noise, x i.i.d. (the planted effect)."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2018-01-01", periods=n, name="date")
    F = pd.DataFrame(rng.normal(0.0, 0.01, (n, len(FEATURES))), index=idx, columns=FEATURES)
    y = 0.0002 + beta * F["x1"].shift(1).fillna(0.0) + rng.normal(0.0, 0.01, n)
    return pd.Series(y, index=idx, name="IDX"), F


@pytest.fixture(scope="module")
def rows() -> ForecastRows:
    y, F = _simulate()
    return build_rows(y, F, [1, 2])


SPLITTER = WalkForward(min_train=200, refit_every=50)


def _estimator(spec: ModelSpec, alpha: float, **kw: float) -> RegressorMixin:
    if spec.name == "ols":
        return LinearRegression()
    if spec.name == "ridge":
        return Ridge(alpha=alpha)
    if spec.name == "lasso":
        return Lasso(alpha=alpha, **kw)
    return ElasticNet(alpha=alpha, l1_ratio=spec.l1_ratio, **kw)


def _coef_table(res: WalkForwardResult, refit_date: pd.Timestamp, regime: str = "all") -> pd.Series:
    c = res.coefficients
    sel = c[(c["refit_date"] == refit_date) & (c["regime"] == regime)]
    return sel.set_index("term")["coef"]


def _check_against_sklearn(
    rows: ForecastRows,
    res: WalkForwardResult,
    spec: ModelSpec,
    rtol: float,
    **kw: float,
) -> None:
    """Refit every training set with sklearn at the alpha walk_forward used."""
    X, y = rows.X, rows.y
    for (train, test), refit in zip(
        SPLITTER.split(X), res.refits.itertuples(index=False), strict=True
    ):
        pipe = make_pipeline(StandardScaler(), _estimator(spec, refit.alpha, **kw))
        pipe.fit(X.iloc[train], y.iloc[train])
        model = pipe[-1]
        ours = res.predictions.loc[X.index[test], "prediction"].to_numpy()
        ref = pipe.predict(X.iloc[test])
        scale_y = np.abs(ref).max()
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale_y)
        coef = _coef_table(res, refit.refit_date)
        np.testing.assert_allclose(
            coef["intercept"], model.intercept_, rtol=rtol, atol=rtol * scale_y
        )
        scale_c = np.abs(model.coef_).max()
        np.testing.assert_allclose(
            coef[list(X.columns)].to_numpy(), model.coef_, rtol=rtol, atol=rtol * scale_c
        )
        fitted = pipe.predict(X.iloc[train])
        q = res.predictions.loc[X.index[test[0]], ["q25", "q50", "q75"]].to_numpy(dtype=float)
        np.testing.assert_allclose(q, np.quantile(fitted, [0.25, 0.5, 0.75]), rtol=max(rtol, 1e-9))
        assert refit.n_nonzero == int((model.coef_ != 0).sum())


# Ridge and OLS are closed forms (SVD / lstsq here, Cholesky / gelsd in sklearn): 1e-10
# relative leaves room for rounding only. Lasso and elastic net at one alpha run the same
# coordinate descent from zero as sklearn's estimator, on a standardized matrix equal to the
# pipeline's up to rounding, so they agree far below the solver tolerance; 1e-7 relative
# allows the stopping test to fall one sweep apart (a sweep changes predictions by much
# less than the tol-scaled duality gap would allow).
CASES = [
    (ModelSpec("ols"), None, 1e-10),
    (ModelSpec("ridge", alpha=50.0), None, 1e-10),
    (ModelSpec("ridge"), RIDGE_GRID, 1e-10),
    (ModelSpec("lasso", alpha=3e-4), None, 1e-7),
    (ModelSpec("lasso"), LASSO_GRID, 1e-7),
    (ModelSpec("elasticnet", alpha=5e-4, l1_ratio=0.3), None, 1e-7),
    (ModelSpec("elasticnet", l1_ratio=0.7), LASSO_GRID, 1e-7),
]


@pytest.mark.parametrize(("spec", "alphas", "rtol"), CASES, ids=lambda v: getattr(v, "label", ""))
def test_every_refit_matches_sklearn(
    rows: ForecastRows, spec: ModelSpec, alphas: np.ndarray | None, rtol: float
) -> None:
    res = walk_forward(rows, spec, SPLITTER, alphas=alphas)
    assert len(res.refits) == 4
    if spec.alpha is not None:
        assert (res.refits["alpha"] == spec.alpha).all()
    _check_against_sklearn(rows, res, spec, rtol)
    # benchmark and train variance of each refit from its training rows
    for train, test in SPLITTER.split(rows.X):
        p = res.predictions.loc[rows.X.index[test]]
        assert (p["benchmark"] == rows.y.iloc[train].mean()).all()
        np.testing.assert_allclose(p["train_variance"], rows.y.iloc[train].var(ddof=1), rtol=1e-12)
        assert (p["refit_date"] == rows.X.index[test[0]]).all()
    np.testing.assert_array_equal(res.predictions["actual"], rows.y.iloc[200:])


@pytest.mark.parametrize(
    ("spec", "alphas", "param", "kw"),
    [
        (ModelSpec("ridge"), RIDGE_GRID, "ridge__alpha", {}),
        # tight tol on both sides so that solver tolerance cannot reorder near-equal MSEs
        (ModelSpec("lasso"), LASSO_GRID, "lasso__alpha", {"tol": 1e-10, "max_iter": 100_000}),
        (
            ModelSpec("elasticnet", l1_ratio=0.5),
            LASSO_GRID,
            "elasticnet__alpha",
            {"tol": 1e-10, "max_iter": 100_000},
        ),
    ],
)
def test_alpha_choice_matches_grid_search(
    rows: ForecastRows, spec: ModelSpec, alphas: np.ndarray, param: str, kw: dict
) -> None:
    res = walk_forward(rows, spec, SPLITTER, alphas=alphas, **kw)
    assert res.cv_mse is not None
    for (train, _), refit in zip(
        SPLITTER.split(rows.X), res.refits.itertuples(index=False), strict=True
    ):
        pipe = Pipeline(
            [("scale", StandardScaler()), (param.split("__")[0], _estimator(spec, 1.0, **kw))]
        )
        gs = GridSearchCV(
            pipe, {param: alphas}, cv=TimeSeriesSplit(5), scoring="neg_mean_squared_error"
        ).fit(rows.X.iloc[train], rows.y.iloc[train])
        assert refit.alpha == gs.best_params_[param]
        mse = res.cv_mse[res.cv_mse["refit_date"] == refit.refit_date]["mse"].to_numpy()
        # ridge: closed forms (1e-10); lasso/EN at tol 1e-10: converged to ~1e-9 of ||y||^2/n
        np.testing.assert_allclose(mse, -gs.cv_results_["mean_test_score"], rtol=1e-7)
    # the alpha was chosen, not stuck at an end of the grid, in at least one refit
    assert res.refits["alpha"].between(alphas[-1], alphas[0], inclusive="neither").any()


def test_grid_predictions_match_cold_fits(rows: ForecastRows) -> None:
    kw = {"tol": 1e-10, "max_iter": 100_000}
    res = walk_forward(rows, ModelSpec("lasso"), SPLITTER, alphas=LASSO_GRID, **kw)
    assert res.grid is not None
    assert len(res.grid) == len(LASSO_GRID) * len(res.predictions)
    train, test = list(SPLITTER.split(rows.X))[1]
    refit_date = rows.X.index[test[0]]
    g = res.grid[res.grid["refit_date"] == refit_date]
    for alpha in LASSO_GRID:
        pipe = make_pipeline(StandardScaler(), Lasso(alpha=alpha, **kw))
        pipe.fit(rows.X.iloc[train], rows.y.iloc[train])
        ga = g[g["alpha"] == alpha]
        # warm-started path vs cold fit, both converged to a duality gap of 1e-10 ||y||^2/n
        np.testing.assert_allclose(
            ga["prediction"], pipe.predict(rows.X.iloc[test]), rtol=1e-6, atol=1e-9
        )
        assert (ga["n_nonzero"] == int((pipe[-1].coef_ != 0).sum())).all()
    # the chosen alpha's grid prediction is the reported prediction (to solver tolerance)
    chosen = g[g["alpha"] == res.refits["alpha"].iloc[1]].set_index("date")["prediction"]
    np.testing.assert_allclose(chosen, res.predictions.loc[chosen.index, "prediction"], rtol=1e-6)


def test_default_tol_grid_within_solver_bound(rows: ForecastRows) -> None:
    res = walk_forward(rows, ModelSpec("lasso"), SPLITTER, alphas=LASSO_GRID)
    assert res.grid is not None
    train, test = next(SPLITTER.split(rows.X))
    y_tr = rows.y.iloc[train]
    g = res.grid[res.grid["refit_date"] == rows.X.index[test[0]]]
    for alpha in LASSO_GRID:
        pipe = make_pipeline(StandardScaler(), Lasso(alpha=alpha)).fit(rows.X.iloc[train], y_tr)
        diff = g[g["alpha"] == alpha]["prediction"].to_numpy() - pipe.predict(rows.X.iloc[test])
        # each solution is within eps = tol * ||y||^2 / n of the optimum in objective, which
        # bounds the fitted-value RMS distance to the optimum by sqrt(2 eps); two such
        # solutions differ by at most twice that. Applied to the test rows (same x scale).
        bound = 2 * np.sqrt(2 * 1e-4 * np.mean((y_tr - y_tr.mean()) ** 2))
        assert np.sqrt(np.mean(diff**2)) <= bound


def test_alpha_max_is_where_lasso_empties(rows: ForecastRows) -> None:
    res = walk_forward(rows, ModelSpec("lasso", alpha=1e-3), SPLITTER, alphas=None)
    for (train, _), am in zip(SPLITTER.split(rows.X), res.refits["alpha_max"], strict=True):
        X_tr, y_tr = rows.X.iloc[train], rows.y.iloc[train]

        def fit(a: float, X_tr: pd.DataFrame = X_tr, y_tr: pd.Series = y_tr) -> np.ndarray:
            pipe = make_pipeline(StandardScaler(), Lasso(alpha=a, tol=1e-10)).fit(X_tr, y_tr)
            return pipe[-1].coef_

        assert np.all(fit(am) == 0)
        assert np.all(fit(am * 1.5) == 0)
        assert np.any(fit(am * 0.99) != 0)


def test_planted_effect_recovered() -> None:
    y, F = _simulate(n=600, seed=11)
    rows = build_rows(y, F, [1])
    wf = WalkForward(min_train=150, refit_every=25)
    for spec, alphas in [(ModelSpec("ols"), None), (ModelSpec("ridge"), RIDGE_GRID)]:
        res = walk_forward(rows, spec, wf, alphas=alphas)
        coefs = res.coefficients.pivot(index="refit_date", columns="term", values="coef")
        assert (coefs["x1_l1"] > 0).all()
        assert (coefs["x1_l1"] > coefs[["x2_l1", "x3_l1", "x4_l1"]].abs().max(axis=1)).mean() > 0.9
        p = res.predictions
        r2 = (
            1
            - ((p["actual"] - p["prediction"]) ** 2).sum()
            / ((p["actual"] - p["benchmark"]) ** 2).sum()
        )
        assert r2 > 0.1  # signal/noise 0.3*0.01 vs 0.01 -> population R^2 ~ 0.08-0.09


def test_late_feature_inactive_then_imputed() -> None:
    y, F = _simulate(n=400, seed=3)
    F["x4"] = F["x4"].where(F.index >= F.index[180])  # starts at row 180: late
    rows = build_rows(y, F, [1])
    assert rows.X.index[0] == y.index[1]  # no truncation
    wf = WalkForward(min_train=150, refit_every=40)
    res = walk_forward(rows, ModelSpec("ridge", alpha=20.0), wf, alphas=None, min_feature_rows=60)
    observed = rows.X["x4_l1"].notna().to_numpy()
    states = []
    for (train, test), refit in zip(
        wf.split(rows.X), res.refits.itertuples(index=False), strict=True
    ):
        is_active = bool(observed[train].sum() >= 60)
        states.append(is_active)
        assert ("x4_l1" in refit.active) == is_active
        coef = _coef_table(res, refit.refit_date)
        cols = list(refit.active)
        assert np.isnan(coef["x4_l1"]) != is_active
        pipe = make_pipeline(SimpleImputer(), StandardScaler(), Ridge(alpha=20.0))
        pipe.fit(rows.X.iloc[train][cols], rows.y.iloc[train])
        ours = res.predictions.loc[rows.X.index[test], "prediction"]
        np.testing.assert_allclose(ours, pipe.predict(rows.X.iloc[test][cols]), rtol=1e-10)
        np.testing.assert_allclose(coef[cols], pipe[-1].coef_, rtol=1e-10)
    assert states[0] is False and states[-1] is True


def _regime_data() -> tuple[ForecastRows, pd.Series]:
    rng = np.random.default_rng(5)
    n = 420
    idx = pd.bdate_range("2019-01-01", periods=n, name="date")
    F = pd.DataFrame(rng.normal(0.0, 0.01, (n, 3)), index=idx, columns=["x1", "x2", "x3"])
    lab = np.where(rng.random(n) < 0.5, "high", "low").astype(object)
    lab[rng.random(n) < 0.05] = None  # unknown
    sign = np.where(lab == "high", 0.6, -0.6)
    y = sign * F["x1"].shift(1).fillna(0.0).to_numpy() + rng.normal(0, 0.005, n)
    rows = build_rows(pd.Series(y, index=idx, name="IDX"), F, [1])
    return rows, pd.Series(lab, index=idx)


def test_regime_models() -> None:
    rows, regimes = _regime_data()
    wf = WalkForward(min_train=200, refit_every=55)
    spec = ModelSpec("ridge", alpha=5.0)
    res = walk_forward(rows, spec, wf, alphas=None, regimes=regimes)
    p = res.predictions
    lab = regimes.reindex(p.index)
    assert (p["fallback"] == lab.isna()).all()
    coefs = res.coefficients.set_index(["refit_date", "regime", "term"])["coef"]
    for train, test in wf.split(rows.X):
        d = rows.X.index[test[0]]
        assert coefs[(d, "high", "x1_l1")] > 0 > coefs[(d, "low", "x1_l1")]
        tr_lab = regimes.reindex(rows.X.index).iloc[train]
        for name in ("high", "low"):
            tr = np.asarray(train)[(tr_lab == name).to_numpy()]
            pipe = make_pipeline(StandardScaler(), Ridge(alpha=5.0)).fit(
                rows.X.iloc[tr], rows.y.iloc[tr]
            )
            te = rows.X.index[test][(lab.loc[rows.X.index[test]] == name).to_numpy()]
            np.testing.assert_allclose(
                p.loc[te, "prediction"], pipe.predict(rows.X.loc[te]), rtol=1e-10
            )
            q = np.quantile(pipe.predict(rows.X.iloc[tr]), [0.25, 0.5, 0.75])
            np.testing.assert_allclose(p.loc[te[0], ["q25", "q50", "q75"]].astype(float), q)
        assert (p.loc[rows.X.index[test], "benchmark"] == rows.y.iloc[train].mean()).all()
    # unknown-label rows use the unconditional model
    plain = walk_forward(rows, spec, wf, alphas=None)
    fb = p.index[p["fallback"]]
    np.testing.assert_array_equal(p.loc[fb, "prediction"], plain.predictions.loc[fb, "prediction"])


def test_rare_regime_falls_back() -> None:
    rows, _ = _regime_data()
    n = len(rows.y)
    # every 20th row is "rare": at most 16 training rows < 30 (the minimum), the rest "high"
    labels = np.where(np.arange(n) % 20 == 0, "rare", "high")
    regimes = pd.Series(labels, index=rows.y.index)
    wf = WalkForward(min_train=200, refit_every=110)
    res = walk_forward(rows, ModelSpec("ols"), wf, alphas=None, regimes=regimes)
    p = res.predictions
    rare = p["regime"] == "rare"
    assert rare.any() and p.loc[rare, "fallback"].all()
    assert not p.loc[~rare, "fallback"].any()
    assert set(res.coefficients["regime"]) == {"all", "high"}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    d=st.integers(min_value=120, max_value=230),
    seed=st.integers(min_value=0, max_value=2**16),
    name=st.sampled_from(["lasso", "ridge", "elasticnet"]),
)
def test_no_look_ahead(d: int, seed: int, name: str) -> None:
    rows, regimes = _regime_data()
    rows = ForecastRows(rows.y.iloc[:240], rows.X.iloc[:240], rows.dropped, rows.first_valid)
    X = rows.X.copy()
    X.iloc[:60, 2] = np.nan  # a late column too
    rows = ForecastRows(rows.y, X, rows.dropped, rows.first_valid)
    wf = WalkForward(min_train=100, refit_every=15, gap=1)
    grid = RIDGE_GRID if name == "ridge" else LASSO_GRID
    kw = {"alphas": grid, "regimes": regimes, "cv_splits": 3, "min_feature_rows": 30}
    base = walk_forward(rows, ModelSpec(name), wf, **kw)

    rng = np.random.default_rng(seed)
    y2, X2 = rows.y.copy(), rows.X.copy()
    y2.iloc[d + 1 :] += rng.normal(0, 0.05, len(y2) - d - 1)
    X2.iloc[d + 1 :] = X2.iloc[d + 1 :] * rng.uniform(0.1, 10.0, X2.iloc[d + 1 :].shape)
    r2 = regimes.copy()
    r2[r2.index > rows.y.index[d]] = "low"
    other = walk_forward(
        ForecastRows(y2, X2, 0, rows.first_valid), ModelSpec(name), wf, **{**kw, "regimes": r2}
    )

    cut = rows.y.index[d]
    cols = ["prediction", "benchmark", "alpha", "train_variance", "q25", "q50", "q75", "fallback"]
    pd.testing.assert_frame_equal(
        base.predictions.loc[:cut, cols], other.predictions.loc[:cut, cols], check_exact=True
    )
    c1, c2 = base.coefficients, other.coefficients
    pd.testing.assert_frame_equal(
        c1[c1["refit_date"] <= cut].reset_index(drop=True),
        c2[c2["refit_date"] <= cut].reset_index(drop=True),
        check_exact=True,
    )
    assert base.grid is not None and other.grid is not None
    g1, g2 = base.grid, other.grid
    pd.testing.assert_frame_equal(
        g1[g1["date"] <= cut].reset_index(drop=True),
        g2[g2["date"] <= cut].reset_index(drop=True),
        check_exact=True,
    )
    r1, r2_ = base.refits, other.refits
    pd.testing.assert_frame_equal(
        r1[r1["refit_date"] <= cut], r2_[r2_["refit_date"] <= cut], check_exact=True
    )


def test_validation() -> None:
    with pytest.raises(EstimationError, match=r"model name must be one of .*got 'svm'"):
        ModelSpec("svm")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match=r"'ols' takes no alpha; got alpha=1.0"):
        ModelSpec("ols", alpha=1.0)
    with pytest.raises(EstimationError, match=r"alpha must be a finite number > 0 .*got -1"):
        ModelSpec("ridge", alpha=-1)
    with pytest.raises(EstimationError, match=r"l1_ratio must be in \(0, 1\]; got 0"):
        ModelSpec("elasticnet", l1_ratio=0)
    with pytest.raises(EstimationError, match=r"min must be < max; got min=1.0, max=0.1"):
        alpha_grid(1.0, 0.1, 5)
    with pytest.raises(EstimationError, match="> 0"):
        alpha_grid(0.0, 1.0, 5)
    with pytest.raises(EstimationError, match="num must be an integer >= 2; got 1"):
        alpha_grid(0.1, 1.0, 1)
    g = alpha_grid(1e-3, 1e1, 5)
    np.testing.assert_allclose(g, [10, 1, 0.1, 0.01, 0.001])
    assert ModelSpec("lasso").label == "Lasso, alpha by CV"


def test_walk_forward_validation(rows: ForecastRows) -> None:
    with pytest.raises(EstimationError, match="pass alphas"):
        walk_forward(rows, ModelSpec("lasso"), SPLITTER, alphas=None)
    with pytest.raises(EstimationError, match="cv_splits must be an integer >= 2; got 1"):
        walk_forward(rows, ModelSpec("ridge"), SPLITTER, alphas=RIDGE_GRID, cv_splits=1)
    with pytest.raises(EstimationError, match="shortest training set has 4"):
        walk_forward(rows, ModelSpec("ridge"), WalkForward(4, 100), alphas=RIDGE_GRID)
    with pytest.raises(EstimationError, match="regime labels must be strings or NaN; got 3"):
        walk_forward(
            rows, ModelSpec("ols"), SPLITTER, alphas=None, regimes=pd.Series(3, index=rows.y.index)
        )
    with pytest.raises(EstimationError, match="alphas must be unique"):
        walk_forward(rows, ModelSpec("ridge"), SPLITTER, alphas=np.array([1.0, 1.0]))


def test_summary(rows: ForecastRows) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = walk_forward(rows, ModelSpec("lasso"), SPLITTER, alphas=LASSO_GRID)
    text = res.summary()
    assert "Lasso, alpha by CV: 4 refits, 198 out-of-sample predictions" in text
    assert "<pre>" in res._repr_html_()
