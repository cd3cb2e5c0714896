"""Correlation geometry against pandas / numpy computed window by window, and by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import DataError, EstimationError, InsufficientDataError
from analysis.regimes import geometry
from analysis.regimes.geometry import (
    absorption_ratio,
    correlation_matrix,
    coupling_index,
    delta_absorption,
    rolling_correlations,
)


def _panel(rng: np.random.Generator, n: int = 160, k: int = 7, gaps: bool = True) -> pd.DataFrame:
    """One common market mode plus noise, with a few missing values."""
    market = rng.normal(0, 0.01, n)
    loadings = rng.uniform(0.3, 1.5, k)
    x = market[:, None] * loadings + rng.normal(0, 0.01, (n, k))
    df = pd.DataFrame(
        x,
        index=pd.bdate_range("2022-01-03", periods=n),
        columns=[f"S{i}" for i in range(k)],
    )
    if gaps:
        df.iloc[30, 2] = np.nan
        df.iloc[2 * n // 3, k - 1] = np.nan
    return df


def _loop_ar(values: np.ndarray, window: int, k: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for end in range(window - 1, len(values)):
        w = values[end - window + 1 : end + 1]
        if np.isnan(w).any():
            continue
        eig = np.linalg.eigh(np.cov(w, rowvar=False))[0]
        out[end] = np.sort(eig)[::-1][:k].sum() / eig.sum()
    return out


def test_absorption_ratio_equals_loop_with_eigh(rng: np.random.Generator) -> None:
    df = _panel(rng)
    for k in (1, 3):
        ours = absorption_ratio(df, 40, n_eigen=k).to_numpy()
        ref = _loop_ar(df.to_numpy(), 40, k)
        assert np.array_equal(np.isnan(ours), np.isnan(ref))
        # eigvalsh and eigh on the same matrix agree to rounding; the window
        # covariance here is formed by a matmul instead of np.cov
        np.testing.assert_allclose(ours[~np.isnan(ours)], ref[~np.isnan(ref)], rtol=1e-10)


def test_absorption_ratio_chunks_do_not_change_values(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = _panel(rng)
    whole = absorption_ratio(df, 30)
    monkeypatch.setattr(geometry, "_CHUNK_ELEMENTS", 7 * 30 * 9)  # 9 windows per chunk
    pd.testing.assert_series_equal(absorption_ratio(df, 30), whole, rtol=1e-13)


def test_absorption_ratio_default_uses_a_fifth_of_features(rng: np.random.Generator) -> None:
    df = _panel(rng, k=7, gaps=False)
    assert math.ceil(7 / 5) == 2
    default = absorption_ratio(df, 40)
    pd.testing.assert_series_equal(default, absorption_ratio(df, 40, n_eigen=2))
    assert (default.dropna() > absorption_ratio(df, 40, n_eigen=1).dropna()).all()
    assert default.name == "absorption_ratio"
    assert default.iloc[:39].isna().all() and default.iloc[39:].notna().all()


def test_absorption_ratio_sees_a_planted_market_mode(rng: np.random.Generator) -> None:
    n, k = 200, 10
    idx = pd.bdate_range("2022-01-03", periods=n)
    cols = [f"S{i}" for i in range(k)]
    market = rng.normal(0, 0.02, n)[:, None] + rng.normal(0, 0.005, (n, k))
    noise = rng.normal(0, 0.01, (n, k))
    coupled = absorption_ratio(pd.DataFrame(market, idx, cols), 60).dropna()
    dispersed = absorption_ratio(pd.DataFrame(noise, idx, cols), 60).dropna()
    # one mode with 16x the idiosyncratic variance carries ~94% of the total
    assert coupled.min() > 0.85
    # independent noise: the top 2 of 10 sample eigenvalues carry somewhat more than 2/10
    assert dispersed.max() < 0.45


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(2, 8),
    n_eigen=st.integers(1, 8),
    window=st.integers(3, 25),
)
def test_absorption_ratio_bounds(seed: int, k: int, n_eigen: int, window: int) -> None:
    rng = np.random.default_rng(seed)
    n_eigen = min(n_eigen, k)
    df = pd.DataFrame(rng.standard_t(3, (40, k)), index=pd.bdate_range("2022-01-03", periods=40))
    ar = absorption_ratio(df, window, n_eigen=n_eigen).dropna()
    assert len(ar) == 40 - window + 1
    # sum of the top n_eigen of k non-negative eigenvalues is at least n_eigen/k of the trace
    assert (ar >= n_eigen / k - 1e-12).all()
    assert (ar <= 1 + 1e-12).all()


def test_coupling_index_equals_pandas_rolling_corr(rng: np.random.Generator) -> None:
    df = _panel(rng, n=120, k=4)
    window = 25
    ours = coupling_index(df, window)
    pairwise = df.rolling(window).corr()  # MultiIndex (date, column)
    k = df.shape[1]
    ref = pd.Series(np.nan, index=df.index)
    for date in df.index[window - 1 :]:
        m = pairwise.loc[date].to_numpy()
        ref[date] = (m.sum() - np.trace(m)) / (k * (k - 1))
    # pandas' rolling corr uses online moment updates, ours a two-pass formula per window
    pd.testing.assert_series_equal(ours, ref.rename("coupling"), rtol=1e-9, atol=1e-12)
    assert ours.iloc[window - 1 : 30].notna().all()  # gap at row 30 is in column S2 ...
    assert ours.iloc[30 : 30 + window].isna().all()  # ... so every window holding it is NaN


def test_rolling_correlations_equal_pandas(rng: np.random.Generator) -> None:
    df = _panel(rng, n=120, k=4).rename(columns={"S0": "SPY"})
    out = rolling_correlations(df, "SPY", 20, pairs=[("S2", "S3")])
    assert list(out.columns) == ["S1~SPY", "S2~SPY", "S3~SPY", "S2~S3"]
    for col, (a, b) in {
        "S1~SPY": ("S1", "SPY"),
        "S2~SPY": ("S2", "SPY"),
        "S2~S3": ("S2", "S3"),
    }.items():
        ref = df[a].rolling(20).corr(df[b])
        # same tolerance reason as the coupling test: online vs two-pass moments
        pd.testing.assert_series_equal(out[col], ref, check_names=False, rtol=1e-9, atol=1e-12)
    # the value at t includes row t (not lagged): changing the last row changes the last value
    bumped = df.copy()
    bumped.iloc[-1, 1] += 0.05
    assert rolling_correlations(bumped, "SPY", 20)["S1~SPY"].iloc[-1] != out["S1~SPY"].iloc[-1]


def test_rolling_correlations_errors(rng: np.random.Generator) -> None:
    df = _panel(rng, n=50, k=3)
    with pytest.raises(DataError, match="target 'SPY' is not a column"):
        rolling_correlations(df, "SPY", 10)
    with pytest.raises(DataError, match="unknown column"):
        rolling_correlations(df, "S0", 10, pairs=[("S1", "XLU")])
    with pytest.raises(EstimationError, match="window must be an integer >= 2; got 1"):
        rolling_correlations(df, "S0", 1)


def test_correlation_matrix_clustered_is_a_permutation_of_pandas_corr(
    rng: np.random.Generator,
) -> None:
    n = 300
    a, b = rng.normal(size=(2, n))
    # two planted blocks, interleaved in the input's column order
    cols = {
        "A1": a + 0.3 * rng.normal(size=n),
        "B1": b + 0.3 * rng.normal(size=n),
        "A2": a + 0.3 * rng.normal(size=n),
        "B2": b + 0.3 * rng.normal(size=n),
        "A3": a + 0.3 * rng.normal(size=n),
        "B3": b + 0.3 * rng.normal(size=n),
    }
    df = pd.DataFrame(cols, index=pd.bdate_range("2022-01-03", periods=n))
    df.iloc[5, 0] = np.nan
    ours = correlation_matrix(df)
    assert sorted(ours.columns) == sorted(df.columns)
    assert list(ours.index) == list(ours.columns)
    ref = df.dropna().corr().loc[ours.index, ours.columns]
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-12)
    order = "".join(c[0] for c in ours.columns)
    assert order in ("AAABBB", "BBBAAA")
    pd.testing.assert_frame_equal(correlation_matrix(df), ours)  # deterministic
    given_order = correlation_matrix(df, order="given")
    assert list(given_order.columns) == list(df.columns)
    np.testing.assert_allclose(given_order.to_numpy(), df.dropna().corr().to_numpy(), atol=1e-12)


def test_correlation_matrix_errors(rng: np.random.Generator) -> None:
    df = _panel(rng, n=40, k=3, gaps=False)
    flat = df.assign(S1=0.0)
    with pytest.raises(DataError, match=r"constant column.*S1"):
        correlation_matrix(flat)
    with pytest.raises(InsufficientDataError, match="at least 3 rows"):
        correlation_matrix(df.iloc[:2])
    with pytest.raises(EstimationError, match="order must be"):
        correlation_matrix(df, order="alphabetical")  # type: ignore[arg-type]


def test_delta_absorption_by_hand() -> None:
    ar = pd.Series(
        [0.50, 0.52, 0.51, 0.55, 0.60, np.nan, 0.58, 0.57, 0.56, 0.59],
        index=pd.bdate_range("2022-01-03", periods=10),
    )
    out = delta_absorption(ar, short=2, long=4)
    assert out.name == "delta_ar"
    # rows 0-2: fewer than 4 values; rows 5-8: a window holding the NaN at row 5
    assert out.iloc[[0, 1, 2, 5, 6, 7, 8]].isna().all()
    # row 3: last 2 = (0.51, 0.55), last 4 = (0.50, 0.52, 0.51, 0.55)
    m4 = (0.50 + 0.52 + 0.51 + 0.55) / 4
    s4 = math.sqrt(sum((v - m4) ** 2 for v in (0.50, 0.52, 0.51, 0.55)) / 3)
    assert out.iloc[3] == pytest.approx(((0.51 + 0.55) / 2 - m4) / s4, rel=1e-12)
    # row 4: last 2 = (0.55, 0.60), last 4 = (0.52, 0.51, 0.55, 0.60)
    w = (0.52, 0.51, 0.55, 0.60)
    m4 = sum(w) / 4
    s4 = math.sqrt(sum((v - m4) ** 2 for v in w) / 3)
    assert out.iloc[4] == pytest.approx(((0.55 + 0.60) / 2 - m4) / s4, rel=1e-12)
    # row 9: last 4 = (0.58, 0.57, 0.56, 0.59)
    w = (0.58, 0.57, 0.56, 0.59)
    m4 = sum(w) / 4
    s4 = math.sqrt(sum((v - m4) ** 2 for v in w) / 3)
    assert out.iloc[9] == pytest.approx(((0.56 + 0.59) / 2 - m4) / s4, rel=1e-12)
    # a flat long window has no spread to standardize by
    assert np.isnan(delta_absorption(pd.Series([0.5] * 6), 2, 4).iloc[-1])


def test_settings_are_validated(rng: np.random.Generator) -> None:
    df = _panel(rng, n=50, k=3)
    with pytest.raises(EstimationError, match=r"n_eigen must be an integer in \[1, 3\]; got 4"):
        absorption_ratio(df, 10, n_eigen=4)
    with pytest.raises(DataError, match="at least 2 columns"):
        coupling_index(df[["S0"]], 10)
    with pytest.raises(EstimationError, match=r"short \(5\) must be smaller than long \(5\)"):
        delta_absorption(pd.Series([0.5] * 10), 5, 5)
    assert coupling_index(df, 60).isna().all()  # a window longer than the data: all NaN
