from __future__ import annotations

import math

import alphalens.performance as al_perf
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import DataError, InsufficientDataError
from analysis.signals.premia import (
    PREMIA_COLUMNS,
    factor_correlation,
    factor_spread_summary,
    factor_spreads,
    fama_macbeth,
)
from analysis.signals.quantiles import quantize
from tests.signals import alphalens_frame


def simulate_factors(
    rng: np.random.Generator, n_dates: int, n_tickers: int, premia: dict[str, float]
) -> tuple[pd.DataFrame, pd.Series]:
    """Exposures with a planted premium each, ``a`` and ``b`` correlated (rho 0.5).

    The per-date premium is the planted one plus a common shock with AR(1)
    persistence 0.5, so the slopes are autocorrelated and Newey-West matters.
    """
    dates = pd.date_range("2015-01-31", periods=n_dates, freq="ME", name="date")
    tickers = [f"T{i:03d}" for i in range(n_tickers)]
    index = pd.MultiIndex.from_product([dates, tickers], names=["date", "ticker"])
    n = len(index)
    z = rng.normal(size=(n, len(premia)))
    z[:, 1] = 0.5 * z[:, 0] + math.sqrt(0.75) * z[:, 1]
    factors = pd.DataFrame(z, index=index, columns=list(premia))
    shock = np.zeros((n_dates, len(premia)))
    for t in range(1, n_dates):
        shock[t] = 0.5 * shock[t - 1] + 0.01 * rng.normal(size=len(premia))
    lam = np.array(list(premia.values())) + shock
    per_row = np.repeat(lam, n_tickers, axis=0)
    y = 0.002 + (z * per_row).sum(axis=1) + 0.05 * rng.normal(size=n)
    label = pd.Series(y, index=index, name="label")
    label[label.index.get_level_values("date") == dates[-1]] = np.nan
    return factors, label


def hand_fama_macbeth(
    factors: pd.DataFrame, label: pd.Series, bandwidth: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-date OLS by numpy.linalg.lstsq, mean of the slopes, Newey-West (Bartlett) s.e.

    Follows linearmodels' documented conventions: variance = long-run variance of the
    slopes / (T - 1); automatic bandwidth = Newey-West (1994) on the sum of the slopes'
    standardized deviations.
    """
    data = pd.concat([label, factors], axis=1).dropna()
    slopes = []
    for _, g in data.groupby(level="date"):
        x = np.column_stack([np.ones(len(g)), g.iloc[:, 1:].to_numpy()])
        slopes.append(np.linalg.lstsq(x, g.iloc[:, 0].to_numpy(), rcond=None)[0])
    lam = np.array(slopes)
    t = len(lam)
    mean = lam.mean(axis=0)
    d = lam - mean
    if bandwidth is None:
        x = (d / d.std(axis=0)).sum(axis=1)
        n = math.ceil(4 * (t / 100) ** (2 / 9))
        sigma = np.array([x[j:] @ x[: t - j] / t for j in range(n + 1)])
        s0 = sigma[0] + 2 * sigma[1:].sum()
        s1 = 2 * (np.arange(1, n + 1) * sigma[1:]).sum()
        bandwidth = min(math.ceil(1.1447 * ((s1 / s0) ** 2) ** (1 / 3) * t ** (1 / 3)), t - 1)
    s = d.T @ d
    for j in range(1, bandwidth + 1):
        gamma = d[j:].T @ d[:-j]
        s += (1 - j / (bandwidth + 1)) * (gamma + gamma.T)
    cov = s / t / (t - 1)
    return mean, np.sqrt(np.diag(cov)), bandwidth


@pytest.fixture
def panel() -> tuple[pd.DataFrame, pd.Series]:
    return simulate_factors(np.random.default_rng(41), 60, 100, {"a": 0.01, "b": 0.0, "c": -0.005})


@pytest.mark.parametrize("bandwidth", [None, 0, 3])
def test_fama_macbeth_matches_hand_computation(
    panel: tuple[pd.DataFrame, pd.Series], bandwidth: int | None
) -> None:
    factors, label = panel
    got = fama_macbeth(factors, label, bandwidth=bandwidth, include_constant=True)
    mean, se, used = hand_fama_macbeth(factors, label, bandwidth)
    if bandwidth is None:
        assert used >= 1  # the automatic rule picked some lags: the kernel part is exercised
    assert list(got.columns) == list(PREMIA_COLUMNS)
    assert list(got["factor"]) == ["const", "a", "b", "c"]
    assert (got["method"] == "fama_macbeth").all()
    # lstsq per date against linearmodels' per-date lstsq: rounding only
    np.testing.assert_allclose(got["estimate"], mean, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got["std_error"], se, rtol=1e-10)
    np.testing.assert_allclose(got["t_stat"], mean / se, rtol=1e-10)
    if bandwidth == 0:
        # no lags: the classical Fama-MacBeth standard error s / sqrt(T)
        slopes_t = stats.ttest_1samp(
            [
                np.linalg.lstsq(
                    np.column_stack([np.ones(len(g)), g[["a", "b", "c"]]]),
                    g["label"],
                    rcond=None,
                )[0][1]
                for _, g in pd.concat([label, factors], axis=1).dropna().groupby(level="date")
            ],
            0.0,
        ).statistic
        assert got.loc[got["factor"] == "a", "t_stat"].item() == pytest.approx(slopes_t)


def test_planted_premia_are_recovered() -> None:
    factors, label = simulate_factors(
        np.random.default_rng(42), 120, 200, {"a": 0.01, "b": 0.0, "c": -0.008}
    )
    got = fama_macbeth(factors, label).set_index("factor")
    assert list(got.index) == ["a", "b", "c"]
    assert got.loc["a", "estimate"] > 0 and got.loc["a", "t_stat"] > 2
    assert got.loc["c", "estimate"] < 0 and got.loc["c", "t_stat"] < -2
    assert abs(got.loc["b", "t_stat"]) < 2
    spreads = factor_spreads(factors, label, 5)
    summary = factor_spread_summary(spreads, 12).set_index("factor")
    assert summary.loc["a", "estimate"] > 0 and summary.loc["a", "t_stat"] > 2
    assert summary.loc["c", "estimate"] < 0 and summary.loc["c", "t_stat"] < -2


def test_fama_macbeth_errors(panel: tuple[pd.DataFrame, pd.Series]) -> None:
    factors, label = panel
    with pytest.raises(DataError, match="'const' is reserved"):
        fama_macbeth(factors.rename(columns={"a": "const"}), label)
    dates = factors.index.get_level_values("date").unique()
    few = factors.loc[factors.index.get_level_values("date") <= dates[2]]
    with pytest.raises(InsufficientDataError, match="at least 4 dates"):
        fama_macbeth(few, label)
    with pytest.raises(DataError, match="not numeric"):
        fama_macbeth(factors.assign(d="x"), label)


def test_factor_spreads_match_alphalens_bucket_returns(
    panel: tuple[pd.DataFrame, pd.Series],
) -> None:
    factors, label = panel
    spreads = factor_spreads(factors, label, 5)
    assert list(spreads.columns) == ["a", "b", "c"]
    for name in spreads.columns:
        frame = alphalens_frame(factors[name], label, quantize(factors[name], 5))
        by_date, _ = al_perf.mean_return_by_quantile(frame, by_date=True, demeaned=False)
        wide = by_date["1D"].unstack("factor_quantile")
        expected = wide[5] - wide[1]
        # same means on the same rows: rounding only
        np.testing.assert_allclose(spreads[name].dropna(), expected, rtol=1e-12)
    summary = factor_spread_summary(spreads, 12)
    assert list(summary.columns[:5]) == list(PREMIA_COLUMNS)
    assert (summary["method"] == "quantile_spread").all()
    a = spreads["a"].dropna()
    row = summary.set_index("factor").loc["a"]
    assert row["estimate"] == pytest.approx(a.mean())
    assert row["std_error"] == pytest.approx(stats.sem(a))
    assert row["t_stat"] == pytest.approx(stats.ttest_1samp(a, 0.0).statistic)
    assert row["annualized_estimate"] == pytest.approx(12 * a.mean())


def test_premia_tables_stack_into_the_contract(panel: tuple[pd.DataFrame, pd.Series]) -> None:
    factors, label = panel
    table = pd.concat(
        [fama_macbeth(factors, label), factor_spread_summary(factor_spreads(factors, label), 12)]
    )[list(PREMIA_COLUMNS)]
    assert len(table) == 6
    assert table[["estimate", "std_error", "t_stat"]].notna().all().all()
    assert set(table["method"]) == {"fama_macbeth", "quantile_spread"}


def test_factor_correlation_is_mean_of_per_date_spearman(
    panel: tuple[pd.DataFrame, pd.Series],
) -> None:
    factors, _ = panel
    holes = factors.copy()
    holes.iloc[::7, 0] = np.nan  # pairwise-complete rows per pair
    got = factor_correlation(holes)
    assert list(got.index) == ["a", "b", "c"] and list(got.columns) == ["a", "b", "c"]
    per_date = []
    for _, g in holes.groupby(level="date"):
        ok = g[["a", "b"]].dropna()
        per_date.append(stats.spearmanr(ok["a"], ok["b"]).statistic)
    # scipy on each date's complete pairs vs pandas pairwise: rounding only
    assert got.loc["a", "b"] == pytest.approx(np.mean(per_date), abs=1e-12)
    np.testing.assert_allclose(np.diag(got), 1.0)
    # planted Pearson 0.5 between a and b: Spearman (6/pi) asin(0.25) = 0.483
    assert got.loc["a", "b"] == pytest.approx(6 / np.pi * np.arcsin(0.25), abs=0.03)
    assert abs(got.loc["a", "c"]) < 0.05
