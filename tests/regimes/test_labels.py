"""Regime labels: hand computations and no look-ahead (label at t uses data up to t-1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import DataError
from analysis.regimes.geometry import absorption_ratio, coupling_index, rolling_correlations
from analysis.regimes.labels import (
    RegimeFrame,
    coupling_regime,
    lag_one,
    pair_sign_regime,
    regime_frame,
)

SETTINGS = {"corr_window": 8, "ar_window": 10, "ar_short": 3, "ar_long": 6}
PAIRS = [("XLE", "XLU")]


def _data(seed: int, n: int = 60) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2023-01-02", periods=n)
    x = rng.normal(0, 0.01, (n, 4)) + rng.normal(0, 0.01, (n, 1))
    features = pd.DataFrame(x, index=idx, columns=["XLK", "XLF", "XLE", "XLU"])
    target = (features.mean(axis=1) + rng.normal(0, 0.002, n)).rename("SPY")
    return target, features


def _nan_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)


def test_lag_one_shifts_one_row() -> None:
    s = pd.Series([1.0, 2.0, 3.0])
    pd.testing.assert_series_equal(lag_one(s), pd.Series([np.nan, 1.0, 2.0]))
    df = pd.DataFrame({"a": [1.0, 2.0]})
    pd.testing.assert_frame_equal(lag_one(df), pd.DataFrame({"a": [np.nan, 1.0]}))


def test_coupling_regime_by_hand() -> None:
    idx = pd.bdate_range("2023-01-02", periods=7)
    c = pd.Series([np.nan, 1.0, 3.0, 2.0, 0.0, 5.0, 4.0], index=idx)
    # expanding medians of the non-missing values up to each row:
    #   row1 {1} -> 1; row2 {1,3} -> 2; row3 {1,3,2} -> 2; row4 {0,1,2,3} -> 1.5;
    #   row5 {0,1,2,3,5} -> 2
    # label at t compares c[t-1] with the median up to t-1:
    #   t2: 1 > 1? low; t3: 3 > 2 high; t4: 2 > 2? low; t5: 0 > 1.5? low; t6: 5 > 2 high
    expected = pd.Series(
        [np.nan, np.nan, "low", "high", "low", "low", "high"], index=idx, name="coupling"
    )
    out = coupling_regime(c)
    assert out.isna().tolist() == expected.isna().tolist()
    assert out.dropna().tolist() == expected.dropna().tolist()
    assert out.name == "coupling"


def test_pair_sign_regime_by_hand() -> None:
    idx = pd.bdate_range("2023-01-02", periods=5)
    corr = pd.Series([np.nan, 0.3, -0.2, 0.0, 0.1], index=idx)
    out = pair_sign_regime(corr, "XLE~XLU")
    assert out.name == "pair:XLE~XLU"
    assert out.iloc[:2].isna().all()
    assert out.iloc[2:].tolist() == ["positive", "negative", "negative"]


def test_regime_frame_contents() -> None:
    target, features = _data(1)
    rf = regime_frame(target, features, pairs=PAIRS, **SETTINGS)
    assert isinstance(rf, RegimeFrame)
    assert list(rf.geometry.columns) == [
        "coupling",
        "absorption_ratio",
        "delta_ar",
        "XLK~SPY",
        "XLF~SPY",
        "XLE~SPY",
        "XLU~SPY",
        "XLE~XLU",
    ]
    assert list(rf.labels.columns) == ["coupling", "pair:XLE~XLU"]
    assert rf.geometry.index.equals(features.index) and rf.labels.index.equals(features.index)
    pd.testing.assert_series_equal(rf.geometry["coupling"], coupling_index(features, 8))
    pd.testing.assert_series_equal(rf.geometry["absorption_ratio"], absorption_ratio(features, 10))
    corr = rolling_correlations(features, "XLE", 8)["XLU~XLE"]
    pd.testing.assert_series_equal(rf.geometry["XLE~XLU"], corr, check_names=False)
    # labels are the unlagged geometry lagged exactly one row
    sign = np.where(corr.shift(1) > 0, "positive", "negative")
    defined = corr.shift(1).notna().to_numpy()
    assert (rf.labels["pair:XLE~XLU"].to_numpy()[defined] == sign[defined]).all()
    assert rf.labels["pair:XLE~XLU"].iloc[:8].isna().all()  # first window ends at row 7
    assert rf.labels["pair:XLE~XLU"].iloc[8:].notna().all()
    assert "coupling:" in rf.summary()
    assert rf.to_frame().columns[0] == "date"


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 59), scale=st.floats(0.5, 20.0))
def test_no_look_ahead(seed: int, d: int, scale: float) -> None:
    target, features = _data(seed)
    base = regime_frame(target, features, pairs=PAIRS, **SETTINGS)
    rng = np.random.default_rng(seed + 1)
    t2, f2 = target.copy(), features.copy()
    t2.iloc[d:] += scale * rng.normal(0, 0.01, len(t2) - d)
    f2.iloc[d:] = f2.iloc[d:] * rng.uniform(-3, 3, f2.iloc[d:].shape)
    moved = regime_frame(t2, f2, pairs=PAIRS, **SETTINGS)
    # labels at rows <= d use rows <= d-1, which are untouched
    _nan_equal(moved.labels.iloc[: d + 1], base.labels.iloc[: d + 1])
    # the unlagged geometry at rows < d is untouched too
    _nan_equal(moved.geometry.iloc[:d], base.geometry.iloc[:d])


def test_labels_react_one_row_later() -> None:
    """Without this, the no-look-ahead test could pass on labels that never change."""
    target, features = _data(3)
    d = 40
    up, down = features.copy(), features.copy()
    up.loc[up.index[d], ["XLE", "XLU"]] = [1.0, 1.0]  # a huge common move -> corr > 0
    down.loc[down.index[d], ["XLE", "XLU"]] = [1.0, -1.0]  # a huge opposite move -> corr < 0
    a = regime_frame(target, up, pairs=PAIRS, **SETTINGS).labels
    b = regime_frame(target, down, pairs=PAIRS, **SETTINGS).labels
    pd.testing.assert_frame_equal(a.iloc[: d + 1], b.iloc[: d + 1])
    assert a["pair:XLE~XLU"].iloc[d + 1] == "positive"
    assert b["pair:XLE~XLU"].iloc[d + 1] == "negative"


def test_regime_frame_errors() -> None:
    target, features = _data(2)
    with pytest.raises(DataError, match="same index"):
        regime_frame(target.iloc[1:], features, pairs=PAIRS, **SETTINGS)
    with pytest.raises(DataError, match="target 'XLK' is also a column"):
        regime_frame(features["XLK"], features, pairs=PAIRS, **SETTINGS)
    with pytest.raises(DataError, match=r"two feature columns; got \('XLE', 'GLD'\)"):
        regime_frame(target, features, pairs=[("XLE", "GLD")], **SETTINGS)
