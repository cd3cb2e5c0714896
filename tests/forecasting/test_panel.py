"""Pooled panel walk-forward: split layout and purge, exact fits, planted effects, failures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import Lasso, Ridge

from analysis.errors import DataError, EstimationError, InsufficientDataError
from analysis.forecasting.panel import PanelWalkForward, walk_forward_panel
from analysis.forecasting.panel_models import DEFAULT_PARAMS, PANEL_MODELS, resolve_params

FACTORS = ["f1", "f2", "f3", "f4"]
PLANTED = {"f1": 0.02, "f2": -0.01}
SMALL = {
    "random_forest": {"n_estimators": 20, "min_samples_leaf": 20},
    "lightgbm": {"n_estimators": 40, "min_child_samples": 20},
    "mlp": {"hidden_layer_sizes": (8,), "max_iter": 30},
}


def simulate_panel(
    n_dates: int, n_tickers: int, *, seed: int, noise: float = 0.05, nan_share: float = 0.0
) -> tuple[pd.DataFrame, pd.Series]:
    """Standard normal factors; label = 0.02 f1 - 0.01 f2 + noise, NaN on the last date."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-31", periods=n_dates, freq="ME")
    tickers = [f"T{i:03d}" for i in range(n_tickers)]
    index = pd.MultiIndex.from_product([dates, tickers], names=["date", "ticker"])
    values = rng.standard_normal((len(index), len(FACTORS)))
    X = pd.DataFrame(values, index=index, columns=FACTORS)
    label = sum(b * X[f] for f, b in PLANTED.items()) + noise * rng.standard_normal(len(index))
    y = pd.Series(np.asarray(label), index=index, name="label")
    y[index.get_level_values("date") == dates[-1]] = np.nan
    if nan_share:
        X = X.mask(rng.random(X.shape) < nan_share)
    return X, y


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2020-01-31", periods=n, freq="ME", name="date")


def _positions(sp: PanelWalkForward, n: int) -> list[tuple[list[int], list[int]]]:
    d = _dates(n)
    return [(d.get_indexer(tr).tolist(), d.get_indexer(te).tolist()) for tr, te in sp.split(d)]


# --- the splitter ---------------------------------------------------------------------------


def test_expanding_layout_and_purge() -> None:
    assert _positions(PanelWalkForward(3, 2), 8) == [
        ([0, 1, 2], [3, 4]),
        ([0, 1, 2, 3, 4], [5, 6]),
        ([0, 1, 2, 3, 4, 5, 6], [7]),  # the last block is shorter
    ]
    d = _dates(8)
    for train, test in PanelWalkForward(3, 2).split(d):
        # purge: the last training date is the date just before the first scored date,
        # the last one whose label (return to the next date) is realized at that date
        assert d.get_loc(train[-1]) == d.get_loc(test[0]) - 1
    assert PanelWalkForward(3, 2).get_n_splits(d) == 3


def test_rolling_layout() -> None:
    assert _positions(PanelWalkForward(3, 2, window="rolling", train_size=2), 8) == [
        ([1, 2], [3, 4]),
        ([3, 4], [5, 6]),
        ([5, 6], [7]),
    ]
    # a rolling window longer than the history so far starts at the first date
    assert _positions(PanelWalkForward(2, 3, window="rolling", train_size=4), 7)[0] == (
        [0, 1],
        [2, 3, 4],
    )


def test_adding_dates_never_moves_earlier_splits() -> None:
    sp = PanelWalkForward(4, 3)
    short, long = _positions(sp, 11), _positions(sp, 20)
    assert long[: len(short) - 1] == short[:-1]


def test_splitter_validation() -> None:
    with pytest.raises(InsufficientDataError, match=r"at least 11 rebalance dates .*got 10"):
        list(PanelWalkForward(10, 5).split(_dates(10)))
    with pytest.raises(EstimationError, match="'min_train' must be an integer >= 1; got 0"):
        PanelWalkForward(0, 1)
    with pytest.raises(EstimationError, match=r"'refit_every' must be an integer >= 1; got 1\.5"):
        PanelWalkForward(3, 1.5)  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="needs 'train_size'"):
        PanelWalkForward(3, 1, window="rolling")
    with pytest.raises(EstimationError, match="only applies to window='rolling'"):
        PanelWalkForward(3, 1, train_size=5)
    with pytest.raises(EstimationError, match="'expanding' or 'rolling'; got 'sliding'"):
        PanelWalkForward(3, 1, window="sliding")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="sorted"):
        list(PanelWalkForward(1, 1).split(_dates(5)[::-1]))


# --- exact scores -------------------------------------------------------------------------


def test_composite_is_the_signed_average() -> None:
    X, y = simulate_panel(8, 30, seed=1, nan_share=0.05)
    sp = PanelWalkForward(3, 2)
    res = walk_forward_panel(X, y, "composite", sp, signs={"f2": -1, "f4": 0})
    scored = X.index.get_level_values("date") >= X.index.levels[0][3]
    hand = ((X["f1"] - X["f2"] + X["f3"] + 0 * X["f4"]) / 4)[scored]
    # the hand average has NaN exactly where a factor is missing
    pd.testing.assert_series_equal(res.scores, hand.rename("model_score"), rtol=1e-15)
    assert res.scores.isna().sum() > 0
    imp = res.importance
    assert imp is not None
    first = imp[imp["refit_date"] == imp["refit_date"].iloc[0]].set_index("factor")["value"]
    assert first.to_dict() == {"f1": 0.25, "f2": -0.25, "f3": 0.25, "f4": 0.0}
    assert set(imp["method"]) == {"composite_weight"}


def _train_test(
    X: pd.DataFrame, y: pd.Series, train: pd.DatetimeIndex, test: pd.DatetimeIndex
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    d = X.index.get_level_values("date")
    ok = X.notna().all(axis=1)
    tr = d.isin(train) & ok & y.notna()
    return X[tr], y[tr], X[d.isin(test) & ok]


@pytest.mark.parametrize("window", ["expanding", "rolling"])
def test_ridge_and_lasso_equal_direct_fits(window: str) -> None:
    X, y = simulate_panel(12, 40, seed=2, nan_share=0.03)
    sp = (
        PanelWalkForward(5, 3)
        if window == "expanding"
        else PanelWalkForward(5, 3, window="rolling", train_size=4)
    )
    ridge = walk_forward_panel(X, y, "ridge", sp, params={"alpha": 2.0})
    lasso = walk_forward_panel(X, y, "lasso", sp)
    imp = ridge.importance
    assert imp is not None
    for train, test in sp.split(pd.DatetimeIndex(X.index.levels[0])):
        Xtr, ytr, Xte = _train_test(X, y, train, test)
        # first principles: centre, then solve (Xc'Xc + alpha I) w = Xc'yc
        mx, my = Xtr.mean().to_numpy(), ytr.mean()
        Xc = Xtr.to_numpy() - mx
        w = np.linalg.solve(Xc.T @ Xc + 2.0 * np.eye(4), Xc.T @ (ytr.to_numpy() - my))
        direct = Ridge(alpha=2.0).fit(Xtr.to_numpy(), ytr.to_numpy()).predict(Xte.to_numpy())
        got = ridge.scores.loc[Xte.index].to_numpy()
        # both are exact solutions of the same normal equations: only rounding differs
        np.testing.assert_allclose(got, my + (Xte.to_numpy() - mx) @ w, rtol=0, atol=1e-10)
        np.testing.assert_allclose(got, direct, rtol=0, atol=1e-10)
        coef = imp[imp["refit_date"] == test[0]].set_index("factor")["value"]
        np.testing.assert_allclose(coef.loc[FACTORS].to_numpy(), w, rtol=0, atol=1e-10)
        lasso_direct = Lasso(alpha=1e-3).fit(Xtr.to_numpy(), ytr.to_numpy())
        # coordinate descent stops at duality gap <= tol * ||y||^2 / n (tol 1e-4): with
        # |y| ~ 0.05 that bounds each score's difference far below 1e-6
        np.testing.assert_allclose(
            lasso.scores.loc[Xte.index].to_numpy(),
            lasso_direct.predict(Xte.to_numpy()),
            rtol=0,
            atol=1e-6,
        )
    rows = ridge.refits.set_index("refit_date")
    first_train, first_test = next(sp.split(pd.DatetimeIndex(X.index.levels[0])))
    assert rows.loc[first_test[0], "n_train_rows"] == len(
        _train_test(X, y, first_train, first_test)[1]
    )
    assert rows.loc[first_test[0], "n_train_dates"] == len(first_train)


def test_missing_features_and_labels() -> None:
    X, y = simulate_panel(8, 30, seed=3)
    X.iloc[5, 1] = np.nan  # a training row (first date): left out of the fit
    X.iloc[30 * 6 + 2, 0] = np.nan  # a scored row: NaN score
    y.iloc[7] = np.nan  # an unlabelled training row
    sp = PanelWalkForward(4, 4)
    res = walk_forward_panel(X, y, "ridge", sp)
    assert res.refits["n_train_rows"].tolist() == [4 * 30 - 2]
    assert np.isnan(res.scores.loc[X.index[30 * 6 + 2]])
    assert res.scores.notna().sum() == 4 * 30 - 1
    assert res.scores.index.equals(X.index[4 * 30 :])
    assert res.scores.name == "model_score"


# --- no look-ahead ------------------------------------------------------------------------

_PURGE_X, _PURGE_Y = simulate_panel(10, 30, seed=4)
_PURGE_DATES = pd.DatetimeIndex(_PURGE_X.index.levels[0])
_PURGE_SPLIT = PanelWalkForward(3, 2)


@pytest.mark.parametrize("model", ["ridge", "lightgbm"])
@settings(max_examples=8, deadline=None)
@given(t=st.integers(min_value=3, max_value=9), seed=st.integers(0, 2**16))
def test_purge_later_rows_never_change_earlier_scores(model: str, t: int, seed: int) -> None:
    # Scores AT t use training rows dated <= t-1 and features at t. Perturbing labels of rows
    # dated t-1 (realized at t) MAY change scores at t; perturbing LABELS of rows dated >= t
    # and FEATURES dated > t must not change scores at dates <= t.
    X, y = _PURGE_X.copy(), _PURGE_Y.copy()
    d = X.index.get_level_values("date")
    rng = np.random.default_rng(seed)
    at_or_after, after = d >= _PURGE_DATES[t], d > _PURGE_DATES[t]
    y[at_or_after] = rng.standard_normal(int(at_or_after.sum()))
    X.loc[after] = 10 * rng.standard_normal((int(after.sum()), X.shape[1]))
    params = SMALL.get(model)
    base = walk_forward_panel(
        _PURGE_X, _PURGE_Y, model, _PURGE_SPLIT, params=params, importance=False
    )
    pert = walk_forward_panel(X, y, model, _PURGE_SPLIT, params=params, importance=False)
    upto = base.scores.index.get_level_values("date") <= _PURGE_DATES[t]
    assert upto.any()
    pd.testing.assert_series_equal(pert.scores[upto], base.scores[upto], check_exact=True)


def test_label_realized_at_refit_date_is_used() -> None:
    # the converse: the purge is one period, not more; the labels of the rows dated just
    # before a refit date train the model that scores it
    X, y = _PURGE_X, _PURGE_Y.copy()
    t = 5  # a refit date of PanelWalkForward(3, 2)
    y[X.index.get_level_values("date") == _PURGE_DATES[t - 1]] += 1.0
    base = walk_forward_panel(X, _PURGE_Y, "ridge", _PURGE_SPLIT, importance=False)
    pert = walk_forward_panel(X, y, "ridge", _PURGE_SPLIT, importance=False)
    at = base.scores.index.get_level_values("date") == _PURGE_DATES[t]
    before = base.scores.index.get_level_values("date") < _PURGE_DATES[t]
    assert not np.allclose(pert.scores[at], base.scores[at])
    pd.testing.assert_series_equal(pert.scores[before], base.scores[before], check_exact=True)


# --- planted effects ----------------------------------------------------------------------


def _mean_spearman(scores: pd.Series, y: pd.Series) -> float:
    frame = pd.DataFrame({"s": scores, "y": y.reindex(scores.index)}).dropna()
    per_date = [stats.spearmanr(g["s"], g["y"]).statistic for _, g in frame.groupby(level="date")]
    return float(np.mean(per_date))


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.Series]:
    return simulate_panel(50, 150, seed=5)


@pytest.mark.parametrize(
    ("model", "params", "signs"),
    [
        ("ridge", None, None),
        ("lightgbm", {"n_estimators": 100}, None),
        ("random_forest", {"n_estimators": 40}, None),
        ("composite", None, {"f1": 1, "f2": -1, "f3": 0, "f4": 0}),
    ],
)
def test_planted_effect_is_recovered(
    planted: tuple[pd.DataFrame, pd.Series],
    model: str,
    params: dict[str, object] | None,
    signs: dict[str, float] | None,
) -> None:
    X, y = planted
    res = walk_forward_panel(
        X, y, model, PanelWalkForward(30, 10), params=params, signs=signs, importance=False
    )
    assert (res.refits["status"] == "ok").all()
    # the planted signal has correlation ~0.4 with the label (signal sd 0.022, noise 0.05);
    # a model that learned nothing averages ~0 with sd ~0.08/sqrt(19 dates) ~ 0.02
    assert _mean_spearman(res.scores, y) > 0.2


def test_ridge_coefficients_have_the_planted_signs(
    planted: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = planted
    imp = walk_forward_panel(X, y, "ridge", PanelWalkForward(30, 10)).importance
    assert imp is not None
    assert set(imp["method"]) == {"standardized_coef"}
    coef = imp.pivot(index="refit_date", columns="factor", values="value")
    assert (coef["f1"] > 0).all() and (coef["f2"] < 0).all()
    # standard error of each coefficient ~ 0.05 / sqrt(4500 rows) ~ 0.00075: 4 se
    np.testing.assert_allclose(coef["f1"], 0.02, atol=0.003)
    np.testing.assert_allclose(coef["f2"], -0.01, atol=0.003)
    np.testing.assert_allclose(coef[["f3", "f4"]], 0.0, atol=0.003)


# --- determinism and failures -------------------------------------------------------------


@pytest.mark.parametrize("model", ["lightgbm", "random_forest", "mlp"])
def test_same_seed_same_scores(model: str) -> None:
    X, y = simulate_panel(8, 60, seed=6)
    sp = PanelWalkForward(5, 2)
    runs = [
        walk_forward_panel(X, y, model, sp, params=SMALL[model], seed=s, importance=False)
        for s in (7, 7, 8)
    ]
    pd.testing.assert_series_equal(runs[0].scores, runs[1].scores, check_exact=True)
    # the seed reaches the model: another seed gives other scores
    assert not np.allclose(runs[0].scores, runs[2].scores)


def test_a_failing_refit_is_recorded_and_the_others_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = simulate_panel(9, 20, seed=7)
    calls = {"n": 0}
    original = Ridge.fit

    def flaky(self: Ridge, *args: object, **kwargs: object) -> Ridge:
        calls["n"] += 1
        if calls["n"] == 2:
            raise FloatingPointError("simulated failure")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Ridge, "fit", flaky)
    sp = PanelWalkForward(3, 2)
    res = walk_forward_panel(X, y, "ridge", sp)
    dates = pd.DatetimeIndex(X.index.levels[0])
    assert res.refits["status"].tolist() == ["ok", "failed", "ok"]
    failed = res.failed_refits
    assert failed["refit_date"].tolist() == [dates[5]]
    assert failed["message"].iloc[0] == "FloatingPointError: simulated failure"
    d = res.scores.index.get_level_values("date")
    bad = d.isin(dates[5:7])
    assert res.scores[bad].isna().all()
    assert res.scores[~bad].notna().all()
    assert res.importance is not None
    assert dates[5] not in set(res.importance["refit_date"])
    assert "failed: FloatingPointError" in res.summary()


def test_refit_without_training_rows_fails_alone() -> None:
    X, y = simulate_panel(7, 10, seed=8)
    y[X.index.get_level_values("date") < X.index.levels[0][2]] = np.nan
    res = walk_forward_panel(X, y, "ridge", PanelWalkForward(2, 2), importance=False)
    assert res.refits["status"].tolist() == ["failed", "ok", "ok"]
    assert "no training rows" in res.refits["message"].iloc[0]


# --- validation ---------------------------------------------------------------------------


def test_params_are_validated() -> None:
    with pytest.raises(
        EstimationError, match=r"unknown ridge hyperparameter 'alhpa'; allowed: alpha"
    ):
        resolve_params("ridge", {"alhpa": 1.0})
    with pytest.raises(EstimationError, match=r"'random_state' cannot be set .*seed="):
        resolve_params("random_forest", {"random_state": 1})
    with pytest.raises(EstimationError, match=r"ridge hyperparameters: .*'alpha'"):
        resolve_params("ridge", {"alpha": -1.0})
    with pytest.raises(EstimationError, match=r"'learning_rate' must be a number in \(0, inf\]"):
        resolve_params("lightgbm", {"learning_rate": 0})
    with pytest.raises(EstimationError, match=r"'num_leaves' must be an integer .*got 'many'"):
        resolve_params("lightgbm", {"num_leaves": "many"})
    with pytest.raises(
        EstimationError, match="unknown composite hyperparameter 'x'; allowed: none"
    ):
        resolve_params("composite", {"x": 1})
    with pytest.raises(EstimationError, match="model must be one of composite, ridge"):
        resolve_params("xgboost")
    assert resolve_params("lightgbm", {"num_leaves": 7})["num_leaves"] == 7
    assert set(DEFAULT_PARAMS) == set(PANEL_MODELS)


def test_inputs_are_validated() -> None:
    X, y = simulate_panel(6, 5, seed=9)
    sp = PanelWalkForward(2, 2)
    with pytest.raises(EstimationError, match="signs apply to model 'composite' only"):
        walk_forward_panel(X, y, "ridge", sp, signs={"f1": -1})
    with pytest.raises(EstimationError, match="unknown factor 'f9'; the factors are 'f1'"):
        walk_forward_panel(X, y, "composite", sp, signs={"f9": -1})
    with pytest.raises(EstimationError, match="sign of factor 'f1' must be -1, 0 or \\+1; got 2"):
        walk_forward_panel(X, y, "composite", sp, signs={"f1": 2})
    with pytest.raises(DataError, match="MultiIndex named \\('date', 'ticker'\\)"):
        walk_forward_panel(X.reset_index(level="ticker"), y, "ridge", sp)
    with pytest.raises(DataError, match="indexed exactly like X"):
        walk_forward_panel(X, y.iloc[1:], "ridge", sp)
    bad = X.copy()
    bad.iloc[0, 2] = np.inf
    with pytest.raises(DataError, match="factor 'f3' has infinite values"):
        walk_forward_panel(bad, y, "ridge", sp)
    with pytest.raises(EstimationError, match="seed must be an integer"):
        walk_forward_panel(X, y, "ridge", sp, seed=-1)
    with pytest.raises(InsufficientDataError, match=r"at least 7 rebalance dates .*got 6"):
        walk_forward_panel(X, y, "ridge", PanelWalkForward(6, 1))
