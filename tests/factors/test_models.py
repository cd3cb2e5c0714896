"""Model definitions and designs, on the bundled real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.data import fetch_factor_datasets, open_sources
from analysis.errors import DataError, InsufficientDataError
from analysis.factors import ENGINEERED_FACTORS, MODELS, build_design, get_model
from analysis.factors.engineered import CHARACTERISTICS, engineered_factors
from analysis.regression import fit_design


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    prices, factors = open_sources("sample")
    px = prices.fetch_prices(
        ["AAPL", "JNJ", "^GSPC", "XLK", "XLF", "XLE"], "2005-01-01", "2016-12-31"
    ).prices
    assert factors is not None
    return px, fetch_factor_datasets(factors, ("ff3", "mom"), "monthly")


def test_registry_is_declarative() -> None:
    assert {
        "engineered",
        "single_index",
        "capm",
        "ff3",
        "ff5",
        "carhart",
        "sectors",
        "custom",
    } <= set(MODELS)
    assert get_model("carhart").factors == ("Mkt-RF", "SMB", "HML", "Mom")
    assert get_model("carhart").datasets == ("ff3", "mom")
    assert get_model("ff5").terms == ("alpha", "Mkt-RF", "SMB", "HML", "RMW", "CMA")
    assert get_model("sectors", ["XLK", "XLE"]).factors == ("XLK", "XLE")
    with pytest.raises(DataError, match="unknown model 'ff7'; known models: engineered"):
        get_model("ff7")
    with pytest.raises(DataError, match="model 'sectors' needs a list of factors"):
        get_model("sectors")
    with pytest.raises(DataError, match="has fixed factors"):
        get_model("ff3", ["A"])
    with pytest.raises(DataError, match="duplicate factor names"):
        get_model("custom", ["A", "A"])


def test_excess_return_by_hand(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    px, ff = sample
    d = build_design(get_model("ff3"), px["AAPL"], frequency="monthly", factor_returns=ff)
    # AAPL's March 2015 return: last price of March over last price of February, minus RF
    p = px["AAPL"]
    mar = p.loc["2015-03"].iloc[-1] / p.loc["2015-02"].iloc[-1] - 1
    t = pd.Timestamp("2015-03-31")
    assert d.y[t] == pytest.approx(mar - ff.loc[t, "RF"], abs=1e-15)
    assert list(d.X.columns) == ["Mkt-RF", "SMB", "HML"]
    assert d.X.loc[t, "SMB"] == ff.loc[t, "SMB"]
    assert d.periods_per_year == 12
    # 2005-02 .. 2016-12: the first month has no previous price
    assert d.nobs == 143 and d.y.index[0] == pd.Timestamp("2005-02-28")


def test_engineered_design(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    px, _ = sample
    d = build_design(
        get_model("engineered"),
        px["AAPL"],
        frequency="daily",
        market=px["^GSPC"],
        factor_window=126,
    )
    assert tuple(d.X.columns) == ENGINEERED_FACTORS
    assert d.nobs == len(px["AAPL"].dropna()) - 126 - 1
    assert d.y[d.y.index[10]] == pytest.approx(
        np.log(px["AAPL"] / px["AAPL"].shift(1))[d.y.index[10]]
    )


def test_single_index_and_sectors(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    px, _ = sample
    d = build_design(get_model("single_index"), px["JNJ"], frequency="weekly", market=px["^GSPC"])
    assert list(d.X.columns) == ["market"] and (d.y.index.day_of_week == 4).all()
    sec = build_design(
        get_model("sectors", ["XLK", "XLF", "XLE"]), px["AAPL"], frequency="daily", factor_prices=px
    )
    # ETFs in the sample end 2016-07-01
    assert sec.y.index[-1] == pd.Timestamp("2016-07-01")
    assert sec.X.loc["2010-03-01", "XLK"] == pytest.approx(
        px["XLK"]["2010-03-01"] / px["XLK"]["2010-02-26"] - 1
    )


def test_missing_inputs_are_named(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    px, ff = sample
    with pytest.raises(DataError, match="needs the market proxy"):
        build_design(get_model("engineered"), px["AAPL"], frequency="daily")
    with pytest.raises(DataError, match=r"carhart factors: missing column\(s\) 'Mom'"):
        build_design(
            get_model("carhart"),
            px["AAPL"],
            frequency="monthly",
            factor_returns=ff.drop(columns="Mom"),
        )
    with pytest.raises(DataError, match=r"sectors factor prices: missing column\(s\) 'XLY'"):
        build_design(get_model("sectors", ["XLY"]), px["AAPL"], frequency="daily", factor_prices=px)


def test_too_few_observations(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    px, ff = sample
    short = px["AAPL"].loc["2015-01-01":"2016-06-30"]
    with pytest.raises(
        InsufficientDataError,
        match=r"AAPL: model 'carhart' at monthly frequency has 17 observations .* at least 30",
    ):
        build_design(get_model("carhart"), short, frequency="monthly", factor_returns=ff)


def test_pinned_real_data_fit(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Regression guard for the whole data -> design -> fit chain on bundled data.

    Origin: statsmodels 0.15.0 OLS (HAC, 4 lags) printed by this project on 2026-11-21 for
    AAPL excess returns on the linearmodels FF3 factors, 2005-02..2016-12 (143 months).
    The CAPM beta of ~1.21 is in line with published estimates for AAPL in that period.
    """
    px, ff = sample
    d = build_design(get_model("capm"), px["AAPL"], frequency="monthly", factor_returns=ff)
    res = fit_design(d)
    assert res.nobs == 143 and res.hac_maxlags == 4
    assert res.params["Mkt-RF"] == pytest.approx(1.214329, abs=5e-7)
    assert res.params["alpha"] == pytest.approx(0.017968, abs=5e-7)
    assert res.rsquared == pytest.approx(0.295675, abs=5e-7)


def test_engineered_alpha_is_an_alpha(sample: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The four characteristics are centred on the sample mean: betas and their standard
    errors are those of the uncentred regression, and alpha is the mean return the market
    leaves unexplained (issue 11 point 1)."""
    px, _ = sample
    start = pd.Timestamp("2006-01-01")
    d = build_design(
        get_model("engineered"), px["AAPL"], frequency="daily", market=px["^GSPC"], start=start
    )
    assert d.centered == CHARACTERISTICS
    assert np.abs(d.X[list(CHARACTERISTICS)].mean()).max() < 1e-12
    # the uncentred regression, straight from the factor builder, by statsmodels
    y, X = engineered_factors(px["AAPL"].rename("AAPL"), px["^GSPC"], 126)
    keep = y.index >= start
    raw = sm.OLS(y[keep], sm.add_constant(X[keep])).fit(cov_type="HAC", cov_kwds={"maxlags": 8})
    fit = fit_design(d, cov_type="HAC", maxlags=8)
    assert np.abs(fit.betas - raw.params[list(ENGINEERED_FACTORS)]).max() < 1e-12
    se = fit.to_frame().set_index("term")["std_error"]
    assert np.abs(se[list(ENGINEERED_FACTORS)] - raw.bse[list(ENGINEERED_FACTORS)]).max() < 1e-12
    assert fit.alpha == pytest.approx(d.y.mean() - fit.betas["market"] * d.X["market"].mean())
    assert fit.alpha != pytest.approx(raw.params["const"])  # the levels moved it before
    # the other models are not centred
    capm = build_design(
        get_model("single_index"), px["AAPL"], frequency="daily", market=px["^GSPC"]
    )
    assert capm.centered == ()
