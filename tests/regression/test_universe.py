"""Universe tests: the GRS F maps to linearmodels' TradedFactorModel J statistic, rejects
planted alphas and keeps its size under zero alphas; Fama-MacBeth is the mean of per-period
least squares with Bartlett-weighted errors, and recovers a planted premium."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.asset_pricing import TradedFactorModel
from scipy import stats

from analysis.errors import DataError, InsufficientDataError
from analysis.factors.models import MODELS, Design
from analysis.factors.returns import Alignment
from analysis.regression.ols import newey_west_lags
from analysis.regression.universe import (
    UNIVERSE_COLUMNS,
    common_sample,
    fama_macbeth,
    grs_eligibility,
    grs_test,
    universe_tests,
)


def _months(n: int, start: str = "2000-01-31") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="ME", name="date")


def _panel(
    rng: np.random.Generator, T: int, N: int, K: int, alphas: np.ndarray | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Excess returns of N assets on K traded factors (normal errors, known alphas)."""
    idx = _months(T)
    F = pd.DataFrame(
        rng.normal(0.005, 0.04, (T, K)), index=idx, columns=[f"f{k}" for k in range(K)]
    )
    B = rng.normal(1.0, 0.4, (K, N))
    a = np.zeros(N) if alphas is None else alphas
    R = a + F.to_numpy() @ B + rng.normal(0, 0.02, (T, N))
    return pd.DataFrame(R, index=idx, columns=[f"A{i}" for i in range(N)]), F


def _factorial(seed: int, T1: int = 12, T2: int = 10, N: int = 3, K: int = 2):
    """Every factor row paired with every error row (errors summing to zero): the OLS
    residuals are the errors, and the heteroskedasticity-robust covariance of the alphas is
    exactly the classical one, so linearmodels' J is the textbook Wald statistic."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.01, 0.04, (T1, K))
    e = rng.normal(0, 0.02, (T2, N))
    e -= e.mean(axis=0)
    X = np.repeat(x, T2, axis=0)
    E = np.tile(e, (T1, 1))
    a = rng.normal(0, 0.003, N)
    Y = a + X @ rng.normal(1, 0.3, (K, N)) + E
    idx = _months(T1 * T2)
    return (
        pd.DataFrame(Y, index=idx, columns=[f"A{i}" for i in range(N)]),
        pd.DataFrame(X, index=idx, columns=[f"f{k}" for k in range(K)]),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grs_f_maps_to_the_linearmodels_j_statistic(seed: int) -> None:
    R, F = _factorial(seed)
    T, N = R.shape
    K = F.shape[1]
    got = grs_test(R, F)
    j = TradedFactorModel(R, F).fit(debiased=False).j_statistic.stat
    assert got.statistic == pytest.approx(j * (T - N - K) / (N * T), rel=1e-9)
    j_deb = TradedFactorModel(R, F).fit(debiased=True).j_statistic.stat
    assert got.statistic == pytest.approx(j_deb * (T - N - K) / (N * (T - K - 1)), rel=1e-9)
    assert got.p_value == pytest.approx(stats.f.sf(got.statistic, N, T - N - K), rel=1e-12)
    assert got.df == (N, T - N - K)


def test_grs_equals_the_small_sample_formula_with_statsmodels_residuals() -> None:
    rng = np.random.default_rng(7)
    R, F = _panel(rng, 90, 6, 3, alphas=rng.normal(0, 0.002, 6))
    T, N, K = 90, 6, 3
    fits = {c: sm.OLS(R[c], sm.add_constant(F)).fit() for c in R}
    a = np.array([fits[c].params["const"] for c in R])
    resid = np.column_stack([fits[c].resid for c in R])
    S = resid.T @ resid / (T - K - 1)
    mu = F.mean().to_numpy()
    omega = np.cov(F.to_numpy(), rowvar=False, bias=True)
    want = (T / N) * ((T - N - K) / (T - K - 1)) * (a @ np.linalg.solve(S, a))
    want /= 1 + mu @ np.linalg.solve(omega, mu)
    got = grs_test(R, F)
    assert got.statistic == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(got.alphas, a, rtol=1e-9)
    np.testing.assert_allclose(got.betas.loc["A0"], fits["A0"].params[F.columns], rtol=1e-9)


def test_grs_size_under_zero_alphas_and_power_against_planted_alphas() -> None:
    rng = np.random.default_rng(11)
    T, N, K, draws = 120, 10, 3, 300
    null_p = np.array([grs_test(*_panel(rng, T, N, K)).p_value for _ in range(draws)])
    # the F distribution is exact under normal errors: p-values uniform, 5% rejections
    assert stats.kstest(null_p, "uniform").pvalue > 0.001
    assert 4 <= (null_p < 0.05).sum() <= 30  # binomial(300, 0.05): mean 15, sd 3.8
    planted = np.full(N, 0.006)  # 0.6% a month, errors 2%
    alt_p = np.array([grs_test(*_panel(rng, T, N, K, alphas=planted)).p_value for _ in range(50)])
    assert (alt_p < 0.05).mean() > 0.9


def test_grs_needs_more_periods_than_assets_plus_factors() -> None:
    R, F = _panel(np.random.default_rng(3), 12, 10, 2)
    with pytest.raises(InsufficientDataError, match="T=12, N=10, K=2"):
        grs_test(R, F)
    R, F = _panel(np.random.default_rng(3), 13, 10, 2)
    assert np.isfinite(grs_test(R, F).statistic)
    with pytest.raises(DataError, match="same dates"):
        grs_test(R, F.iloc[1:])


def _betas(rng: np.random.Generator, N: int, K: int) -> pd.DataFrame:
    return pd.DataFrame(
        rng.normal(1.0, 0.5, (N, K)), index=[f"A{i}" for i in range(N)], columns=["m", "s"][:K]
    )


def test_fama_macbeth_is_the_mean_of_per_period_least_squares() -> None:
    rng = np.random.default_rng(5)
    T, N = 80, 12
    betas = _betas(rng, N, 2)
    R = pd.DataFrame(rng.normal(0.01, 0.05, (T, N)), index=_months(T), columns=betas.index)
    R.iloc[3, 4] = np.nan  # one asset missing one period: left out of that cross-section
    got = fama_macbeth(R, betas)
    slopes = []
    for _, row in R.iterrows():
        ok = row.notna().to_numpy()
        Z = np.column_stack([np.ones(ok.sum()), betas.to_numpy()[ok]])
        slopes.append(np.linalg.lstsq(Z, row.to_numpy()[ok], rcond=None)[0])
    lam = np.array(slopes)
    np.testing.assert_allclose(got.premia["premium"], lam.mean(axis=0), rtol=1e-10)
    # Newey-West: Bartlett weights 1 - j/(L+1) on the autocovariances, divided by T (T - 1)
    L = newey_west_lags(T)
    assert got.lags == L == 3
    d = lam - lam.mean(axis=0)
    S = d.T @ d
    for j in range(1, L + 1):
        g = d[j:].T @ d[:-j]
        S += (1 - j / (L + 1)) * (g + g.T)
    se = np.sqrt(np.diag(S) / (T * (T - 1)))
    np.testing.assert_allclose(got.premia["std_error"], se, rtol=1e-9)
    t = lam.mean(axis=0) / se
    np.testing.assert_allclose(got.premia["t_stat"], t, rtol=1e-9)
    np.testing.assert_allclose(got.premia["p_value"], 2 * stats.t.sf(np.abs(t), T - 1), rtol=1e-8)
    assert list(got.premia.index) == ["const", "m", "s"]
    assert (got.n_assets, got.n_periods) == (N, T)


def test_fama_macbeth_recovers_a_planted_premium() -> None:
    rng = np.random.default_rng(9)
    T, N = 600, 60
    betas = _betas(rng, N, 2)
    premia = np.array([0.008, -0.004])  # per period
    # factor realizations scatter around the premia; the returns price them exactly
    f = premia + rng.normal(0, 0.02, (T, 2))
    R = f @ betas.to_numpy().T + rng.normal(0, 0.03, (T, N))
    got = fama_macbeth(pd.DataFrame(R, index=_months(T), columns=betas.index), betas)
    est = got.premia.loc[["m", "s"]]
    assert (np.abs(est["premium"] - premia) < 3 * est["std_error"]).all()
    assert (est["p_value"] < 0.01).all()
    assert abs(got.premia.loc["const", "t_stat"]) < 3  # no zero-beta premium planted


def test_fama_macbeth_needs_enough_assets_and_betas_for_each() -> None:
    rng = np.random.default_rng(2)
    betas = _betas(rng, 3, 2)
    R = pd.DataFrame(rng.normal(size=(40, 3)), index=_months(40), columns=betas.index)
    with pytest.raises(InsufficientDataError, match="at least 4 assets"):
        fama_macbeth(R, betas)
    with pytest.raises(DataError, match="no betas for A2"):
        fama_macbeth(R, betas.iloc[:2])


def _design(name: str, y: pd.Series, X: pd.DataFrame) -> Design:
    al = Alignment(len(y), {}, y.index[0], y.index[-1])
    return Design(MODELS[name], y.rename(name), X, "monthly", al)


def test_common_sample_drops_and_names_short_histories() -> None:
    rng = np.random.default_rng(4)
    R, F = _panel(rng, 100, 4, 1)
    ys = {c: R[c] for c in R}
    ys["A3"] = R["A3"].iloc[50:]  # half the history: dropped
    ys["A2"] = R["A2"].iloc[5:]  # 95%: kept, and the common sample starts later
    got = common_sample(ys, F)
    assert list(got.returns.columns) == ["A0", "A1", "A2"]
    assert got.dropped == {"A3": "history too short: 50 of the 100 periods"}
    assert got.returns.index.equals(R.index[5:]) and got.factors.index.equals(R.index[5:])


def test_universe_tests_on_designs_match_the_functions_and_say_why_not() -> None:
    rng = np.random.default_rng(8)
    R, F = _panel(rng, 120, 6, 3)
    F.columns = ["Mkt-RF", "SMB", "HML"]
    designs = {c: _design("ff3", R[c], F) for c in R}
    res = universe_tests("ff3", MODELS["ff3"], designs)
    assert res.grs is not None and res.fama_macbeth is not None
    assert res.grs.statistic == pytest.approx(grs_test(R, F).statistic, rel=1e-12)
    want = fama_macbeth(R, grs_test(R, F).betas).premia
    pd.testing.assert_frame_equal(res.fama_macbeth.premia, want)
    frame = res.to_frame()
    assert list(frame.columns) == list(UNIVERSE_COLUMNS)
    assert list(frame["test"]) == ["GRS"] + ["Fama-MacBeth premium", "Fama-MacBeth t"] * 4
    assert (frame["n_assets"] == 6).all() and (frame["start"] == "2000-01-31").all()

    eng = universe_tests("engineered", MODELS["engineered"], {})
    assert eng.grs is None and eng.fama_macbeth is None
    assert "not traded factors" in eng.grs_note
    assert grs_eligibility(MODELS["single_index"]) == (
        "its returns are not in excess of the risk-free rate"
    )

    few = universe_tests("ff3", MODELS["ff3"], {c: designs[c] for c in ["A0"]})
    assert few.grs is None and few.grs_note.startswith("too few tickers: 1")
    short = {c: _design("ff3", R[c].iloc[:40], F.iloc[:40]) for c in R}
    res = universe_tests("ff3", MODELS["ff3"], short)
    assert res.grs is not None  # 40 periods > 6 + 3
    assert res.fama_macbeth is not None
    tiny = {c: _design("ff3", R[c].iloc[:9], F.iloc[:9]) for c in R}
    res = universe_tests("ff3", MODELS["ff3"], tiny)
    assert res.grs is None and res.grs_note.startswith("too few periods: 9")
