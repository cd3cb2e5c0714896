"""Stability tests: Chow equals statsmodels' F test of the interacted model; planted breaks
are found, a stable relation is not rejected; CUSUMs are statsmodels' own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.diagnostic import breaks_cusumolsresid

from analysis.regression.stability import (
    STABILITY_COLUMNS,
    chow_test,
    stability_frame,
    stability_tests,
)

T = 600
IDX = pd.bdate_range("2010-01-04", periods=T)
BREAK = IDX[300]


def _data(
    seed: int, slope_after: float = 1.0, shift_after: float = 0.0
) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"m": rng.normal(0, 0.01, T), "z": rng.normal(0, 1, T)}, index=IDX)
    after = np.arange(T) >= 300
    beta = np.where(after, slope_after, 1.0)
    y = 0.0002 + shift_after * after + beta * X["m"] + 0.001 * X["z"] + rng.normal(0, 0.01, T)
    return pd.Series(y, index=IDX, name="y"), X


def test_chow_equals_the_f_test_of_the_interacted_model() -> None:
    y, X = _data(0, slope_after=1.5)
    after = (IDX >= BREAK).astype(float)
    Z = sm.add_constant(X)
    full = pd.concat([Z, Z.mul(after, axis=0).add_suffix("_after")], axis=1)
    unrestricted = sm.OLS(y, full).fit()
    restricted = sm.OLS(y, Z).fit()
    f, p, df = unrestricted.compare_f_test(restricted)
    got = chow_test(y, X, BREAK)
    assert df == 3
    assert got.statistic == pytest.approx(f, rel=1e-10)
    assert got.p_value == pytest.approx(p, rel=1e-8, abs=1e-300)
    assert got.date == f"{BREAK:%Y-%m-%d}" and got.reject_5pct


def test_planted_breaks_are_found_and_a_stable_relation_is_not_rejected() -> None:
    y, X = _data(1, slope_after=1.8)
    assert chow_test(y, X, BREAK).reject_5pct
    y, X = _data(2, shift_after=0.004)  # a mean shift: what CUSUM tests see
    tests = {t.test: t for t in stability_tests(y, X)}
    assert tests["CUSUM (OLS residuals)"].reject_5pct
    assert tests["CUSUM (recursive residuals)"].reject_5pct
    y, X = _data(3)
    assert not any(t.reject_5pct for t in stability_tests(y, X, [BREAK]))


def test_cusum_is_statsmodels_and_short_sides_are_not_tested() -> None:
    y, X = _data(4)
    res = sm.OLS(y, sm.add_constant(X)).fit()
    sup, p, _ = breaks_cusumolsresid(res.resid, ddof=3)
    ols = stability_tests(y, X)[1]
    assert ols.statistic == pytest.approx(sup) and ols.p_value == pytest.approx(p)
    edge = chow_test(y, X, IDX[2])
    assert np.isnan(edge.statistic) and not edge.reject_5pct
    assert "not testable: 2 observations before" in edge.note
    frame = stability_frame(stability_tests(y, X, [BREAK, IDX[2]]))
    assert tuple(frame.columns) == STABILITY_COLUMNS and len(frame) == 4
