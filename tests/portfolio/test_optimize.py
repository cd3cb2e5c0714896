"""Minimum-variance portfolios through skfolio: bounds, skfolio parity, closed forms, timing."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from skfolio import RiskMeasure
from skfolio.exceptions import ConvexOptimizationError
from skfolio.optimization import MeanRisk, ObjectiveFunction

from analysis.errors import DataError
from analysis.portfolio import OPTIMIZE_BINDING_COLUMNS, construct, optimize

# `analysis.portfolio.optimize` the attribute is the function; the module is needed to patch it
optimize_module = importlib.import_module("analysis.portfolio.optimize")

# leg sums are rescaled to 1 exactly; 1e-12 covers summing a few O(1) floats
SUM_TOL = 1e-12
# the solver's primal/dual tolerances are 1e-10 (SOLVER_PARAMS); weights at a bound land
# within ~1e-9 of it, so bounds are checked to 1e-8
BOUND_TOL = 1e-8


def make_data(
    seed: int, n_names: int = 15, n_days: int = 320, n_rebalance: int = 3
) -> tuple[pd.Series, pd.DataFrame]:
    """Daily returns with a common factor and name-specific volatility; scores on a few dates."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2021-01-04", periods=n_days)
    tickers = [f"T{i:02d}" for i in range(n_names)]
    vol = rng.uniform(0.005, 0.03, n_names)
    market = rng.normal(0.0, 0.01, (n_days, 1))
    beta = rng.uniform(0.5, 1.5, n_names)
    r = market * beta + rng.normal(size=(n_days, n_names)) * vol
    returns = pd.DataFrame(r, index=days, columns=tickers)
    dates = days[np.linspace(n_days - 80, n_days - 1, n_rebalance).astype(int)]
    idx = pd.MultiIndex.from_product([dates, tickers], names=["date", "ticker"])
    scores = pd.Series(rng.normal(size=len(idx)), idx, name="model_score")
    return scores, returns


def exact_cov_returns(cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` rows whose sample covariance (ddof=1) is exactly ``cov``, up to rounding."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(cov).T + 0.0005


def two_asset_w1(s1: float, s2: float, rho: float) -> float:
    s12 = rho * s1 * s2
    return (s2**2 - s12) / (s1**2 + s2**2 - 2 * s12)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("max_weight", [None, 0.3])
def test_bounds_and_leg_sums(seed: int, max_weight: float | None) -> None:
    scores, returns = make_data(seed)
    p = optimize(scores, returns, type="long_short", quantiles=3, max_weight=max_weight)
    assert list(p.binding.columns) == list(OPTIMIZE_BINDING_COLUMNS)
    assert (p.binding["optimizer_status"] == "optimal").all()
    for date, row in p.weights.iterrows():
        long, short = row[row > 0], row[row < 0]
        assert long.sum() == pytest.approx(1.0, abs=SUM_TOL)
        assert short.sum() == pytest.approx(-1.0, abs=SUM_TOL)
        cap = 1.0 if max_weight is None else max_weight
        assert (row.abs() <= cap + BOUND_TOL).all()
        # only selected names are held: top / bottom fifth-of-15 = 5 names per leg
        sc = scores.xs(date, level="date")
        assert set(long.index) <= set(sc.nlargest(5).index)
        assert set(short.index) <= set(sc.nsmallest(5).index)
    np.testing.assert_allclose(p.binding["gross"], 2.0, atol=SUM_TOL)
    np.testing.assert_allclose(p.binding["net"], 0.0, atol=SUM_TOL)
    if max_weight is not None:
        # vols span 0.005-0.03, so the least volatile name wants more than 30% of its leg
        assert p.binding["max_weight_binding"].any()
        for _, row in p.weights[p.binding["max_weight_binding"]].iterrows():
            assert (row.abs() >= max_weight - 1e-7).any()


def test_long_only_top_k() -> None:
    scores, returns = make_data(3)
    p = optimize(scores, returns, type="long_only", top_k=4, max_weight=0.5)
    assert (p.weights >= 0).all().all()
    np.testing.assert_allclose(p.weights.sum(axis=1), 1.0, atol=SUM_TOL)
    assert (p.binding["n_short"] == 0).all() and (p.binding["n_long"] <= 4).all()


def test_equals_direct_skfolio_fit() -> None:
    scores, returns = make_data(4)
    lookback, cap = 200, 0.35
    p = optimize(scores, returns, type="long_short", quantiles=3, lookback=lookback, max_weight=cap)
    date = p.weights.index[1]
    sc = scores.xs(date, level="date")
    window = returns.loc[:date].iloc[-lookback:]
    for names, sign in ((sc.nlargest(5).index, 1.0), (sc.nsmallest(5).index, -1.0)):
        model = MeanRisk(
            objective_function=ObjectiveFunction.MINIMIZE_RISK,
            risk_measure=RiskMeasure.VARIANCE,
            min_weights=0.0,
            max_weights=cap,
            budget=1.0,
            # same accuracy settings as the module (they change the accuracy, not the optimum):
            # with skfolio's defaults a daily-scale variance is so flat near its minimum that
            # weights move by up to ~1e-4
            solver_params={"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
            scale_objective=1.0 / window[sorted(names)].var().mean(),
        ).fit(window[sorted(names)])
        got = sign * p.weights.loc[date, sorted(names)].to_numpy()
        # the module zeroes weights < 1e-8 and rescales; 1e-6 is the brief's tolerance
        np.testing.assert_allclose(got, model.weights_, atol=1e-6)


def test_unconstrained_leg_equals_closed_form_minimum_variance() -> None:
    # independent names with spread-out vols: every weight of Σ⁻¹1 / 1'Σ⁻¹1 is positive,
    # so the long-only optimum is the unconstrained one, solved here with numpy
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2022-01-03", periods=150)
    vol = np.array([0.01, 0.012, 0.015, 0.02, 0.025])
    returns = pd.DataFrame(rng.normal(size=(150, 5)) * vol, index=days, columns=list("ABCDE"))
    idx = pd.MultiIndex.from_product([days[-1:], list("ABCDE")], names=["date", "ticker"])
    scores = pd.Series(np.arange(5.0), idx)
    p = optimize(scores, returns, type="long_only", top_k=5, lookback=150, min_obs=100)
    sigma = np.cov(returns.to_numpy(), rowvar=False)
    x = np.linalg.solve(sigma, np.ones(5))
    assert (x > 0).all()
    # interior optimum of a well-conditioned problem: measured error ~2e-7 with the module's
    # solver settings; 1e-6 is the brief's tolerance
    np.testing.assert_allclose(p.weights.iloc[0].to_numpy(), x / x.sum(), atol=1e-6)


@pytest.mark.parametrize(("s1", "s2", "rho"), [(0.02, 0.01, 0.3), (0.015, 0.012, -0.4)])
def test_two_assets_closed_form(s1: float, s2: float, rho: float) -> None:
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    days = pd.bdate_range("2022-01-03", periods=60)
    # long leg A, B (top 2 scores), short leg C, D: both legs have covariance `cov`
    r = np.hstack([exact_cov_returns(cov, 60, 6), exact_cov_returns(cov, 60, 7)])
    returns = pd.DataFrame(r, index=days, columns=list("ABCD"))
    idx = pd.MultiIndex.from_product([days[-1:], list("ABCD")], names=["date", "ticker"])
    scores = pd.Series([4.0, 3.0, 2.0, 1.0], idx)
    p = optimize(scores, returns, type="long_short", top_k=2, lookback=60, min_obs=60)
    w = p.weights.iloc[0]
    w1 = two_asset_w1(s1, s2, rho)
    assert 0 < w1 < 1
    # the sample covariance equals `cov` to ~1e-16; measured solver error ~2e-8 with the
    # module's settings, 1e-6 is the brief's tolerance
    np.testing.assert_allclose(w[["A", "B"]], [w1, 1 - w1], atol=1e-6)
    np.testing.assert_allclose(w[["C", "D"]], [-w1, -(1 - w1)], atol=1e-6)


def test_two_assets_cap_binds() -> None:
    s1, s2, rho = 0.02, 0.01, 0.3
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    days = pd.bdate_range("2022-01-03", periods=60)
    returns = pd.DataFrame(exact_cov_returns(cov, 60, 8), index=days, columns=list("AB"))
    idx = pd.MultiIndex.from_product([days[-1:], list("AB")], names=["date", "ticker"])
    scores = pd.Series([1.0, 2.0], idx)
    # the unconstrained optimum holds B at 0.895 > 0.6: the convex optimum is the cap itself
    p = optimize(
        scores, returns, type="long_only", top_k=2, lookback=60, min_obs=60, max_weight=0.6
    )
    np.testing.assert_allclose(p.weights.iloc[0][["A", "B"]], [0.4, 0.6], atol=1e-8)
    assert bool(p.binding["max_weight_binding"].iloc[0])


@pytest.mark.parametrize("cut", [0, 1])
def test_no_look_ahead(cut: int) -> None:
    scores, returns = make_data(9, n_rebalance=3)
    base = optimize(scores, returns, type="long_short", quantiles=3, lookback=150, min_obs=100)
    t = base.weights.index[cut]
    rng = np.random.default_rng(10)
    later = returns.index > t
    perturbed = returns.copy()
    perturbed.loc[later] = rng.normal(0.0, 0.05, (int(later.sum()), returns.shape[1]))
    # a missing name after t must not matter either
    perturbed.loc[later, "T00"] = np.nan
    p = optimize(scores, perturbed, type="long_short", quantiles=3, lookback=150, min_obs=100)
    upto = base.weights.index <= t
    # same window into the same deterministic solver: identical, not merely close
    pd.testing.assert_frame_equal(p.weights[upto], base.weights[upto], rtol=0, atol=0)
    # the perturbation is large enough to move the later weights, so the check can fail
    assert not np.allclose(p.weights[~upto], base.weights[~upto], atol=1e-3)


def test_window_includes_the_rebalance_date() -> None:
    scores, returns = make_data(11, n_rebalance=1)
    t = scores.index.get_level_values("date")[0]
    base = optimize(scores, returns, type="long_only", quantiles=3, lookback=150, min_obs=100)
    bumped = returns.copy()
    bumped.loc[t] *= 40.0
    p = optimize(scores, bumped, type="long_only", quantiles=3, lookback=150, min_obs=100)
    assert not np.allclose(p.weights, base.weights, atol=1e-4)


def test_short_history_name_is_dropped() -> None:
    scores, returns = make_data(12, n_rebalance=1)
    t = scores.index.get_level_values("date")[0]
    top = scores.xs(t, level="date").nlargest(5).index
    returns = returns.copy()
    returns.loc[returns.index[:-50], top[0]] = np.nan  # 50 returns < min_obs=100
    p = optimize(scores, returns, type="long_only", quantiles=3, lookback=150, min_obs=100)
    w = p.weights.iloc[0]
    assert w[top[0]] == 0.0
    assert p.binding["n_dropped_min_obs"].iloc[0] == 1
    assert p.binding["optimizer_status"].iloc[0] == "optimal"
    assert w.sum() == pytest.approx(1.0, abs=SUM_TOL)


def _assert_equal_weight_fallback(p_dates: pd.DataFrame, eq: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(p_dates, eq.loc[p_dates.index], rtol=0, atol=1e-15)


def test_fallback_when_no_name_has_history() -> None:
    scores, returns = make_data(13)
    dates = scores.index.get_level_values("date").unique()
    bottom = scores.xs(dates[1], level="date").nsmallest(5).index
    # the second date's short leg has no returns at all (one ticker not even a column)
    returns = returns.drop(columns=bottom[0])
    returns.loc[:, bottom[1:]] = np.nan
    p = optimize(scores, returns, type="long_short", quantiles=3, lookback=150, min_obs=100)
    status = p.binding["optimizer_status"]
    assert status.iloc[1].startswith("fallback: short leg: none of its 5 names")
    eq = construct(scores, type="long_short", quantiles=3)
    _assert_equal_weight_fallback(p.weights.iloc[[1]], eq.weights)
    assert p.binding["n_dropped_min_obs"].iloc[1] == 0


def test_fallback_when_drops_make_the_cap_infeasible() -> None:
    scores, returns = make_data(14, n_rebalance=1)
    t = scores.index.get_level_values("date")[0]
    top = scores.xs(t, level="date").nlargest(5).index
    returns = returns.copy()
    returns.loc[:, top[:2]] = np.nan  # 3 names left, 3 * 0.25 < 1
    p = optimize(
        scores, returns, type="long_only", quantiles=3, lookback=150, min_obs=100, max_weight=0.25
    )
    assert p.binding["optimizer_status"].iloc[0].startswith("fallback: long leg: infeasible")
    eq = construct(scores, type="long_only", quantiles=3, max_weight=0.25)
    _assert_equal_weight_fallback(p.weights, eq.weights)


def test_fallback_when_the_solver_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing(MeanRisk):
        def fit(self, X: object, y: object = None, **kw: object) -> Failing:
            raise ConvexOptimizationError("Solver 'CLARABEL' failed")

    scores, returns = make_data(15)
    monkeypatch.setattr(optimize_module, "MeanRisk", Failing)
    p = optimize(scores, returns, type="long_short", quantiles=3, lookback=150, min_obs=100)
    assert p.binding["optimizer_status"].str.startswith("fallback: long leg: skfolio failed").all()
    eq = construct(scores, type="long_short", quantiles=3)
    _assert_equal_weight_fallback(p.weights, eq.weights)


def test_fallback_on_non_optimal_status(monkeypatch: pytest.MonkeyPatch) -> None:
    class Inaccurate(MeanRisk):
        def fit(self, X: object, y: object = None, **kw: object) -> Inaccurate:
            super().fit(X, y, **kw)
            self.problem_._status = "optimal_inaccurate"
            return self

    scores, returns = make_data(16, n_rebalance=1)
    monkeypatch.setattr(optimize_module, "MeanRisk", Inaccurate)
    p = optimize(scores, returns, type="long_only", quantiles=3, lookback=150, min_obs=100)
    assert p.binding["optimizer_status"].iloc[0] == (
        "fallback: long leg: solver status 'optimal_inaccurate'"
    )


@pytest.mark.parametrize(
    ("n_flat", "reason"),
    [
        (1, "skfolio failed (NonPositiveVarianceError"),
        (5, "every name's return is constant over the window (zero variance)"),
    ],
)
def test_fallback_on_zero_variance(n_flat: int, reason: str) -> None:
    scores, returns = make_data(19, n_rebalance=1)
    t = scores.index.get_level_values("date")[0]
    top = scores.xs(t, level="date").nlargest(5).index
    returns = returns.copy()
    returns.loc[:, top[:n_flat]] = 0.0
    p = optimize(scores, returns, type="long_only", quantiles=3, lookback=150, min_obs=100)
    assert p.binding["optimizer_status"].iloc[0].startswith(f"fallback: long leg: {reason}")
    eq = construct(scores, type="long_only", quantiles=3)
    _assert_equal_weight_fallback(p.weights, eq.weights)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"objective": "max_sharpe"}, "objective must be one of min_variance; got 'max_sharpe'"),
        ({"lookback": 50, "min_obs": 60}, r"min_obs must be an integer in \[2, lookback=50\]"),
        ({"lookback": 1}, "lookback must be an integer >= 2; got 1"),
        ({"max_weight": 1.5}, r"max_weight must be a number in \(0, 1\]"),
        ({"type": "short_only"}, "type must be one of long_short, long_only"),
    ],
)
def test_invalid_options(kwargs: dict[str, object], match: str) -> None:
    scores, returns = make_data(17, n_rebalance=1)
    args: dict[str, object] = {"type": "long_only", **kwargs}
    with pytest.raises(DataError, match=match):
        optimize(scores, returns, **args)  # type: ignore[arg-type]


def test_infinite_return_is_rejected() -> None:
    scores, returns = make_data(18, n_rebalance=1)
    returns = returns.copy()
    returns.iloc[3, 2] = np.inf
    with pytest.raises(DataError, match="return of T02 on 2021-01-07 is infinite"):
        optimize(scores, returns, type="long_only")
