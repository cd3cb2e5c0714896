"""Rolling OLS against statsmodels on every window, nonrobust and HAC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.regression.rolling import RollingOLS

from analysis.errors import EstimationError
from analysis.regression.ols import newey_west_lags
from analysis.regression.rolling import rolling_ols, rolling_ols_many, rolling_params
from tests.helpers import simulate


def _with_gaps(rng: np.random.Generator, n: int = 700) -> tuple[pd.Series, pd.DataFrame]:
    y, X = simulate(rng, {"Mkt-RF": 1.2, "SMB": -0.3, "HML": 0.5}, n=n)
    y = y.copy()
    X = X.copy()
    y.iloc[40:55] = np.nan  # a gap in the stock
    y.iloc[n // 2] = np.nan
    X.iloc[n // 2 + 60, 1] = np.nan  # a gap in one factor
    return y, X


def test_params_and_se_equal_statsmodels_every_window(rng: np.random.Generator) -> None:
    y, X = _with_gaps(rng)
    ours = rolling_ols(y, X, 120)
    ref = RollingOLS(y, sm.add_constant(X), window=120).fit()
    a, b = ours.params.to_numpy(), ref.params.to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= 1e-10
    s, t = ours.std_errors.to_numpy(), ref.bse.to_numpy()
    assert np.array_equal(np.isnan(s), np.isnan(t))
    np.testing.assert_allclose(s[~np.isnan(s)], t[~np.isnan(t)], rtol=1e-9)
    np.testing.assert_array_equal(ours.nobs.to_numpy()[119:], ref.nobs[119:])


def test_min_nobs_matches_statsmodels(rng: np.random.Generator) -> None:
    y, X = _with_gaps(rng, 300)
    ours = rolling_ols(y, X, 60, min_nobs=50)
    ref = RollingOLS(y, sm.add_constant(X), window=60, min_nobs=50).fit()
    a, b = ours.params.to_numpy(), ref.params.to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= 1e-10


def test_hac_equals_statsmodels_ols_on_every_window(rng: np.random.Generator) -> None:
    """statsmodels' RollingOLS has no HAC (statsmodels issue #8532): compare each window's OLS."""
    y, X = _with_gaps(rng, 400)
    window = 100
    ours = rolling_ols(y, X, window, cov_type="HAC")
    lags = newey_west_lags(window)
    assert ours.maxlags == lags
    exog = sm.add_constant(X)
    checked = 0
    for end in range(window - 1, len(y)):
        sl = slice(end - window + 1, end + 1)
        yy, zz = y.iloc[sl], exog.iloc[sl]
        ok = yy.notna() & zz.notna().all(axis=1)
        ref = sm.OLS(yy[ok], zz[ok]).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
        np.testing.assert_allclose(ours.params.iloc[end], ref.params, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.std_errors.iloc[end], ref.bse, rtol=1e-9)
        lo, hi = ref.conf_int().to_numpy().T
        np.testing.assert_allclose(ours.lower.iloc[end], lo, rtol=1e-8)
        np.testing.assert_allclose(ours.upper.iloc[end], hi, rtol=1e-8)
        checked += 1
    assert checked == len(y) - window + 1


def test_band_uses_t_quantile(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    res = rolling_ols(y, X, 60, level=0.9)
    q = stats.t.ppf(0.95, 60 - 4)
    row = res.params.index[200]
    np.testing.assert_allclose(
        res.upper.loc[row], res.params.loc[row] + q * res.std_errors.loc[row], rtol=1e-12
    )


# statsmodels divides by n - k = 0 on T2's exactly determined windows (our side returns NaN SEs)
@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")
def test_many_equals_one_by_one(rng: np.random.Generator) -> None:
    idx = pd.bdate_range("2012-01-02", periods=500, name="date")
    X = pd.DataFrame(rng.normal(0, 0.01, (500, 2)), index=idx, columns=["m", "s"])
    Y = pd.DataFrame(
        {f"T{i}": 0.5 * i * X["m"] + rng.normal(0, 0.01, 500) for i in range(6)}, index=idx
    )
    Y.iloc[:150, 2] = np.nan  # listed later
    Y.iloc[250:260, 4] = np.nan  # suspended
    many = rolling_ols_many(Y, X, 100)
    for col in Y.columns:
        one = rolling_ols(Y[col], X, 100)
        pd.testing.assert_frame_equal(many[col].params, one.params, rtol=1e-12)
        # first principles on every window
        Z = sm.add_constant(X).to_numpy()
        for end in range(99, 500):
            sl = slice(end - 99, end + 1)
            ok = Y[col].iloc[sl].notna().to_numpy()
            if ok.sum() < 3:
                assert one.params.iloc[end].isna().all()
                continue
            b = np.linalg.lstsq(Z[sl][ok], Y[col].to_numpy()[sl][ok], rcond=None)[0]
            np.testing.assert_allclose(
                one.params.iloc[end], b, rtol=0, atol=1e-9 * max(1, abs(b).max())
            )
        # statsmodels' running-sum updates lose ~1e-8 on exactly determined windows (3 rows
        # for 3 coefficients, at T2's listing date) while lstsq above agrees with us to
        # 1e-11 there, so compare with statsmodels where windows hold 10 rows or more.
        ref = RollingOLS(Y[col], sm.add_constant(X), window=100).fit()
        enough = one.nobs.to_numpy() >= 10
        diff = np.abs(one.params.to_numpy() - ref.params.to_numpy())[enough]
        assert np.nanmax(diff) <= 1e-10
    fast = rolling_params(Y, X, 100)
    np.testing.assert_allclose(fast[:, 3, :], many["T3"].params.to_numpy(), rtol=1e-12)


def test_singular_window_is_nan_and_flagged(rng: np.random.Generator) -> None:
    y, X = simulate(rng, {"a": 1.0, "b": 0.5}, n=300)
    X = X.copy()
    X.iloc[100:180, 1] = 0.0  # factor b does not move for 80 rows
    X.iloc[200:280, 1] = X.iloc[200:280, 0] * 2.0  # then b is a multiple of a
    res = rolling_ols(y, X, 60)
    for row in (170, 270):  # windows 111..170 (b constant) and 211..270 (b = 2a)
        assert res.params.iloc[row].isna().all()
        assert res.std_errors.iloc[row].isna().all()
        assert res.singular.iloc[row]
    assert not res.singular.iloc[100]
    assert not res.singular.iloc[250]
    assert res.params.iloc[250].notna().all()


def test_result_tables(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    res = rolling_ols(y, X, 250)
    df = res.to_frame()
    assert list(df.columns) == ["date", "alpha", "Mkt-RF", "SMB", "HML"]
    assert len(df) == len(y) - 250 + 1
    assert df["date"].iloc[0] == y.index[249]
    assert "Rolling OLS for SIM" in res.summary()


def test_bad_settings(simulated: tuple[pd.Series, pd.DataFrame]) -> None:
    y, X = simulated
    with pytest.raises(EstimationError, match="window must be an integer >= 2"):
        rolling_ols(y, X, 1)
    with pytest.raises(EstimationError, match="min_nobs must be between"):
        rolling_ols(y, X, 50, min_nobs=2)
    with pytest.raises(EstimationError, match="cov_type"):
        rolling_ols(y, X, 50, cov_type="HC1")
    with pytest.raises(EstimationError, match="same index"):
        rolling_ols(y.iloc[1:], X, 50)


@settings(max_examples=20, deadline=None)
@given(beta=st.floats(-2, 2), seed=st.integers(0, 2**32 - 1))
def test_recovers_constant_beta(beta: float, seed: int) -> None:
    y, X = simulate(np.random.default_rng(seed), {"m": beta}, n=400, noise=0.005)
    res = rolling_ols(y, X, 200)
    z = ((res.params["m"] - beta) / res.std_errors["m"]).dropna()
    assert len(z) == 201
    assert (z.abs() < 5.5).all()


@pytest.mark.parametrize("cov_type", ["nonrobust", "HAC"])
def test_centred_columns_equal_statsmodels_on_window_centred_data(
    rng: np.random.Generator, cov_type: str
) -> None:
    """Columns centred within each window (levels, not returns): slopes as without centring,
    intercept and every standard error as statsmodels' OLS on the window's centred data,
    including a window that drops a missing row."""
    T, w = 300, 80
    X = pd.DataFrame(
        {
            "m": rng.normal(0, 0.01, T),
            "level": rng.normal(2, 0.5, T) + np.linspace(0, 3, T),
            "other": rng.normal(-1, 0.2, T),
        }
    )
    y = pd.Series(0.001 + 1.1 * X.m + 0.02 * X.level - 0.01 * X.other + rng.normal(0, 0.01, T))
    y = y.rename("y")
    y.iloc[40] = np.nan
    centred = rolling_ols(y, X, w, cov_type=cov_type, center=["level", "other"])
    plain = rolling_ols(y, X, w, cov_type=cov_type)
    slopes = ["m", "level", "other"]
    assert np.nanmax(np.abs((centred.params - plain.params)[slopes].to_numpy())) < 1e-12
    for end in (w - 1, 100, 200, T - 1):
        rows = slice(end - w + 1, end + 1)
        ok = y.iloc[rows].notna()
        xc = X.iloc[rows][ok.to_numpy()].copy()
        xc[["level", "other"]] -= xc[["level", "other"]].mean()
        kw = (
            {"cov_type": "HAC", "cov_kwds": {"maxlags": centred.maxlags}}
            if cov_type == "HAC"
            else {}
        )
        ref = sm.OLS(y.iloc[rows][ok], sm.add_constant(xc)).fit(**kw)
        np.testing.assert_allclose(centred.params.iloc[end], ref.params, rtol=0, atol=1e-12)
        np.testing.assert_allclose(centred.std_errors.iloc[end], ref.bse, rtol=0, atol=1e-12)
    with pytest.raises(EstimationError, match="not columns of X"):
        rolling_ols(y, X, w, center=["nope"])
