"""Position rules: values, edge cases (ties, bounds, NaN) and validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.backtest.sizing import (
    SIZING_RULES,
    SizingError,
    binary,
    proportional,
    quartile,
    size,
)
from analysis.errors import DataError

IDX = pd.date_range("2024-01-31", periods=6, freq="ME", name="date")


@pytest.fixture
def pred() -> pd.Series:
    return pd.Series([0.02, -0.01, 0.0, np.nan, 0.005, -0.03], IDX)


@pytest.fixture
def thresholds() -> pd.DataFrame:
    return pd.DataFrame({"q25": -0.01, "q50": 0.0, "q75": 0.01}, index=IDX)


def test_binary(pred: pd.Series) -> None:
    np.testing.assert_array_equal(binary(pred), [1.0, -1.0, 0.0, np.nan, 1.0, -1.0])
    np.testing.assert_array_equal(binary(pred, long_only=True), [1.0, 0.0, 0.0, np.nan, 1.0, 0.0])
    assert binary(pred).index.equals(IDX)


def test_proportional_formula_and_clipping(pred: pd.Series) -> None:
    var = pd.Series([0.002, 0.002, 0.002, 0.002, 0.004, 0.001], IDX)
    w = proportional(pred, var, gamma=5.0, lower=-1.0, upper=1.5)
    raw = pred / (5.0 * var)  # 2.0, -1.0, 0, NaN, 0.25, -6.0
    np.testing.assert_allclose(w, raw.clip(-1.0, 1.5), rtol=1e-15)
    assert w.iloc[0] == 1.5  # clipped at the upper bound
    assert w.iloc[1] == -1.0  # exactly at the lower bound: unchanged
    assert w.iloc[5] == -1.0  # clipped at the lower bound
    assert np.isnan(w.iloc[3])
    # long-only bounds and a single variance for every period
    w0 = proportional(pred, 0.002, gamma=3.0, lower=0.0, upper=1.0)
    np.testing.assert_allclose(w0, [1.0, 0.0, 0.0, np.nan, 0.005 / 0.006, 0.0], rtol=1e-15)


def test_proportional_nan_variance_gives_nan(pred: pd.Series) -> None:
    var = pd.Series([np.nan, 0.001, 0.001, 0.001, 0.001, 0.001], IDX)
    assert np.isnan(proportional(pred, var).iloc[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": 0.0}, SizingError, "gamma must be a finite number > 0; got 0.0"),
        ({"gamma": float("nan")}, SizingError, "gamma must be a finite number > 0; got nan"),
        ({"lower": 1.0, "upper": 1.0}, SizingError, "lower < upper; got lower=1.0, upper=1.0"),
        ({"variance": 0.0}, DataError, "variance must be a finite number > 0; got 0.0"),
        ({"variance": -0.1}, DataError, "variance must be a finite number > 0; got -0.1"),
    ],
)
def test_proportional_validation(
    pred: pd.Series, kwargs: dict[str, float], error: type[Exception], match: str
) -> None:
    args = {"variance": 0.001} | kwargs
    variance = args.pop("variance")
    with pytest.raises(error, match=match):
        proportional(pred, variance, **args)


def test_proportional_variance_series_validation(pred: pd.Series) -> None:
    var = pd.Series(0.001, IDX)
    var.iloc[2] = 0.0
    with pytest.raises(DataError, match=r"variance must be finite and > 0; got 0.0 on 2024-03-31"):
        proportional(pred, var)
    with pytest.raises(DataError, match="variance must have the same index as the predictions"):
        proportional(pred, pd.Series(0.001, IDX[:-1]))


def test_quartile_buckets_and_ties(thresholds: pd.DataFrame) -> None:
    y = pd.Series([-0.02, -0.01, -0.005, 0.0, 0.005, 0.01], IDX)
    # ties take the lower bucket: -0.01 -> -1, 0.0 -> -0.5, 0.01 -> +0.5
    np.testing.assert_array_equal(quartile(y, thresholds), [-1.0, -1.0, -0.5, -0.5, 0.5, 0.5])
    y2 = pd.Series([0.0100001, np.nan, 0.0, 0.0, 0.0, 0.0], IDX)
    th = thresholds.copy()
    th.iloc[2, 1] = np.nan  # a missing threshold: no position
    th.iloc[3] = [0.0, 0.0, 0.0]  # degenerate quartiles: all equal
    out = quartile(y2, th)
    assert out.iloc[0] == 1.0
    assert np.isnan(out.iloc[1]) and np.isnan(out.iloc[2])
    assert out.iloc[3] == -1.0  # y == q25 == q50 == q75: lowest bucket


def test_quartile_uses_each_rows_thresholds() -> None:
    th = pd.DataFrame({"q25": [0.0, 1.0], "q50": [1.0, 2.0], "q75": [2.0, 3.0]}, index=IDX[:2])
    np.testing.assert_array_equal(quartile(pd.Series([1.5, 1.5], IDX[:2]), th), [0.5, -0.5])


def test_quartile_validation(pred: pd.Series, thresholds: pd.DataFrame) -> None:
    with pytest.raises(SizingError, match="missing q75"):
        quartile(pred, thresholds.drop(columns="q75"))
    bad = thresholds.copy()
    bad.loc[IDX[4], "q25"] = 0.5
    with pytest.raises(DataError, match="q25 <= q50 <= q75; violated on 2024-05-31"):
        quartile(pred, bad)
    with pytest.raises(DataError, match="thresholds must have the same index"):
        quartile(pred, thresholds.iloc[::-1])


def test_size_dispatch(pred: pd.Series, thresholds: pd.DataFrame) -> None:
    assert SIZING_RULES == ("binary", "binary_long", "proportional", "quartile")
    pd.testing.assert_series_equal(size("binary", pred), binary(pred))
    pd.testing.assert_series_equal(size("binary_long", pred), binary(pred, long_only=True))
    pd.testing.assert_series_equal(
        size("proportional", pred, variance=0.002, gamma=2.0, lower=0.0, upper=2.0),
        proportional(pred, 0.002, gamma=2.0, lower=0.0, upper=2.0),
    )
    pd.testing.assert_series_equal(
        size("quartile", pred, thresholds=thresholds), quartile(pred, thresholds)
    )
    with pytest.raises(SizingError, match="'proportional' needs variance"):
        size("proportional", pred)
    with pytest.raises(SizingError, match="'quartile' needs thresholds"):
        size("quartile", pred)
    with pytest.raises(SizingError, match=r"must be one of binary, binary_long, .*; got 'kelly'"):
        size("kelly", pred)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-0.1, 0.1), min_size=6, max_size=6),
    st.integers(0, 4),
    st.sampled_from(SIZING_RULES),
)
def test_positions_depend_only_on_their_own_row(values: list[float], d: int, rule: str) -> None:
    """Perturbing forecasts and refit inputs after d leaves positions up to d unchanged."""
    rng = np.random.default_rng(d)
    pred = pd.Series(values, IDX)
    var = pd.Series(rng.uniform(0.001, 0.01, 6), IDX)
    th = pd.DataFrame(np.sort(rng.normal(0, 0.05, (6, 3)), axis=1), IDX, ["q25", "q50", "q75"])
    base = size(rule, pred, variance=var, thresholds=th)  # type: ignore[arg-type]
    pred2, var2, th2 = pred.copy(), var.copy(), th.copy()
    pred2.iloc[d + 1 :] = rng.normal(0, 1, 5 - d)
    var2.iloc[d + 1 :] *= 10
    th2.iloc[d + 1 :] += 1.0
    moved = size(rule, pred2, variance=var2, thresholds=th2)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(moved.iloc[: d + 1], base.iloc[: d + 1])
