"""Full-sample OLS: against statsmodels, numpy.linalg.lstsq, NIST and simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.outliers_influence import variance_inflation_factor

from analysis.errors import EstimationError, SingularDesignError
from analysis.regression.ols import fit_ols, newey_west_lags
from tests.helpers import simulate


def test_newey_west_rule() -> None:
    # floor(4 (T/100)^(2/9)) evaluated by hand: T=100 -> 4, T=252 -> 4.83 -> 4, T=1000 -> 6.67 -> 6
    assert newey_west_lags(100) == 4
    assert newey_west_lags(252) == 4
    assert newey_west_lags(1000) == 6
    assert newey_west_lags(10) == 2  # 4 * 0.1**(2/9) = 2.39
    with pytest.raises(EstimationError, match="positive"):
        newey_west_lags(0)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC1", "HAC"])
def test_matches_statsmodels(simulated: tuple[pd.Series, pd.DataFrame], cov_type: str) -> None:
    y, X = simulated
    res = fit_ols(y, X, cov_type=cov_type)  # type: ignore[arg-type]
    exog = sm.add_constant(X)
    kw = {"cov_kwds": {"maxlags": newey_west_lags(len(y))}} if cov_type == "HAC" else {}
    ref = sm.OLS(y, exog).fit(cov_type=cov_type, use_t=True, **kw)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.pvalues.to_numpy(), ref.pvalues.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.conf_int.to_numpy(), ref.conf_int().to_numpy(), rtol=1e-10)
    assert res.rsquared == pytest.approx(ref.rsquared, rel=1e-12)
    assert res.rsquared_adj == pytest.approx(ref.rsquared_adj, rel=1e-12)
    assert res.fvalue == pytest.approx(float(np.squeeze(ref.fvalue)), rel=1e-10)
    assert list(res.params.index) == ["alpha", "Mkt-RF", "SMB", "HML"]


def test_first_principles_lstsq(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    """Coefficients and classical standard errors from the normal equations by hand."""
    y, X = simulated
    res = fit_ols(y, X, cov_type="nonrobust")
    Z = np.column_stack([np.ones(len(X)), X.to_numpy()])
    beta, *_ = np.linalg.lstsq(Z, y.to_numpy(), rcond=None)
    e = y.to_numpy() - Z @ beta
    n, k = Z.shape
    s2 = e @ e / (n - k)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(Z.T @ Z)))
    np.testing.assert_allclose(res.params.to_numpy(), beta, rtol=1e-10)
    np.testing.assert_allclose(res.std_errors.to_numpy(), se, rtol=1e-10)
    tss = np.sum((y.to_numpy() - y.mean()) ** 2)
    assert res.rsquared == pytest.approx(1 - e @ e / tss, rel=1e-12)


def test_hac_by_hand(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    """Newey-West sandwich written out: S = G0 + sum_l (1 - l/(L+1)) (G_l + G_l')."""
    y, X = simulated
    lags = 3
    res = fit_ols(y, X, cov_type="HAC", maxlags=lags)
    Z = np.column_stack([np.ones(len(X)), X.to_numpy()])
    beta = np.linalg.solve(Z.T @ Z, Z.T @ y.to_numpy())
    u = (y.to_numpy() - Z @ beta)[:, None] * Z
    S = u.T @ u
    for lag in range(1, lags + 1):
        g = u[lag:].T @ u[:-lag]
        S += (1 - lag / (lags + 1)) * (g + g.T)
    bread = np.linalg.inv(Z.T @ Z)
    se = np.sqrt(np.diag(bread @ S @ bread))
    np.testing.assert_allclose(res.std_errors.to_numpy(), se, rtol=1e-10)
    assert res.hac_maxlags == lags


def test_nist_longley_certified_values() -> None:
    """NIST StRD 'Longley' certified values (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml).

    Tolerance 1e-8 relative: NIST certifies 15 significant digits; the data set is
    notoriously ill-conditioned, so it also exercises the collinearity flags.
    """
    d = sm.datasets.longley.load_pandas()
    idx = pd.date_range("1947-12-31", periods=len(d.endog), freq="YE")
    y = d.endog.set_axis(idx)
    X = d.exog.set_axis(idx)
    res = fit_ols(y, X, cov_type="nonrobust", periods_per_year=1)
    certified = {
        "alpha": (-3482258.63459582, 890420.383607373),
        "GNPDEFL": (15.0618722713733, 84.9149257747669),
        "GNP": (-0.358191792925910e-01, 0.334910077722432e-01),
        "UNEMP": (-2.02022980381683, 0.488399681651699),
        "ARMED": (-1.03322686717359, 0.214274163161675),
        "POP": (-0.511041056535807e-01, 0.226073200069370),
        "YEAR": (1829.15146461355, 455.478499142212),
    }
    for term, (b, sd) in certified.items():
        assert res.params[term] == pytest.approx(b, rel=1e-8), term
        assert res.std_errors[term] == pytest.approx(sd, rel=1e-8), term
    assert res.rsquared == pytest.approx(0.995479004577296, rel=1e-10)
    assert any("GNP has VIF" in w for w in res.warnings)


def test_vif_and_diagnostics_match_statsmodels(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    from statsmodels.stats.diagnostic import het_breuschpagan
    from statsmodels.stats.stattools import durbin_watson, jarque_bera

    y, X = simulated
    res = fit_ols(y, X)
    exog = sm.add_constant(X).to_numpy()
    ref = sm.OLS(y, exog).fit()
    vif = [variance_inflation_factor(exog, i) for i in range(1, exog.shape[1])]
    np.testing.assert_allclose(res.vif.to_numpy(), vif, rtol=1e-12)
    assert res.durbin_watson == pytest.approx(durbin_watson(ref.resid), rel=1e-12)
    assert res.jarque_bera_pvalue == pytest.approx(jarque_bera(ref.resid)[1], rel=1e-10)
    assert res.breusch_pagan_pvalue == pytest.approx(
        het_breuschpagan(ref.resid, exog)[1], rel=1e-10
    )


def test_alpha_annualization_and_attribution(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    res = fit_ols(y, X, periods_per_year=252)
    assert res.alpha_annualized == pytest.approx(res.alpha * 252)
    att = res.attribution
    # attribution adds up to the mean return, per period and annualized
    parts = att.drop("total")
    assert parts["per_period"].sum() == pytest.approx(y.mean(), rel=1e-12, abs=1e-15)
    assert att.loc["total", "per_period"] == pytest.approx(y.mean(), rel=1e-12)
    assert att.loc["residual", "per_period"] == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(att["annualized"], att["per_period"] * 252)
    for f in X.columns:
        assert att.loc[f, "per_period"] == pytest.approx(res.params[f] * X[f].mean(), rel=1e-12)


def test_variance_decomposition_sums(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    res = fit_ols(y, X)
    vd = res.variance_decomposition
    assert vd.drop("specific").sum() == pytest.approx(res.rsquared, rel=1e-10)
    assert vd.sum() == pytest.approx(1.0, rel=1e-12)
    std = res.betas * X.std() / y.std()
    np.testing.assert_allclose(res.standardized_betas.to_numpy(), std.to_numpy(), rtol=1e-12)


def test_to_frame_contract(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    res = fit_ols(*simulated)
    df = res.to_frame()
    assert list(df.columns) == [
        "term",
        "estimate",
        "std_error",
        "t_stat",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    assert df["term"].tolist() == ["alpha", "Mkt-RF", "SMB", "HML"]
    assert (df["ci_low"] < df["estimate"]).all() and (df["estimate"] < df["ci_high"]).all()
    text = res.summary()
    assert "Mkt-RF" in text and "HAC (Newey-West, Bartlett" in text
    assert "<table" in res._repr_html_()


def test_result_is_frozen(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    res = fit_ols(*simulated)
    with pytest.raises(AttributeError):
        res.nobs = 3  # type: ignore[misc]


def test_constant_factor_is_refused(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    X = X.assign(SMB=0.01)
    with pytest.raises(SingularDesignError, match=r"SMB are constant"):
        fit_ols(y, X)


def test_collinear_factors_are_refused(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    X = X.assign(DUP=X["SMB"] * 2.0 - X["HML"])
    with pytest.raises(SingularDesignError, match=r"collinear.*SMB.*HML.*DUP"):
        fit_ols(y, X)


def test_missing_values_are_refused(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    y = y.copy()
    y.iloc[5] = np.nan
    with pytest.raises(EstimationError, match="missing or infinite"):
        fit_ols(y, X)


def test_bad_options(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    with pytest.raises(EstimationError, match="cov_type must be one of"):
        fit_ols(*simulated, cov_type="HC9")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="maxlags"):
        fit_ols(*simulated, maxlags=-1)


@settings(max_examples=25, deadline=None)
@given(
    b1=st.floats(-2, 2),
    b2=st.floats(-2, 2),
    alpha=st.floats(-0.002, 0.002),
    seed=st.integers(0, 2**32 - 1),
)
def test_recovers_known_betas(b1: float, b2: float, alpha: float, seed: int) -> None:
    """Betas from data simulated with known coefficients lie within sampling error."""
    y, X = simulate(np.random.default_rng(seed), {"f1": b1, "f2": b2}, n=600, alpha=alpha)
    res = fit_ols(y, X, cov_type="nonrobust")
    true = pd.Series({"alpha": alpha, "f1": b1, "f2": b2})
    z = (res.params - true) / res.std_errors
    # |z| < 5 fails with probability ~6e-7 per coefficient under the model
    assert (z.abs() < 5).all(), z


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), perm=st.permutations(["a", "b", "c"]))
def test_invariant_to_column_order(seed: int, perm: list[str]) -> None:
    y, X = simulate(np.random.default_rng(seed), {"a": 0.5, "b": -1.0, "c": 0.2}, n=300)
    base = fit_ols(y, X)
    other = fit_ols(y, X[perm])
    pd.testing.assert_series_equal(base.params, other.params.reindex(base.params.index), rtol=1e-10)
    pd.testing.assert_series_equal(
        base.std_errors, other.std_errors.reindex(base.std_errors.index), rtol=1e-9
    )
