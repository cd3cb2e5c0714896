"""build_rows: lag alignment on the target's calendar, late features, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, InsufficientDataError
from analysis.forecasting import build_rows


def _tiny() -> tuple[pd.Series, pd.DataFrame]:
    idx = pd.date_range("2024-01-01", periods=8, freq="D")
    y = pd.Series(np.arange(100.0, 108.0), index=idx, name="IDX")
    A = np.arange(1.0, 9.0)
    B = np.r_[np.nan, np.nan, np.nan, 30.0, 40.0, 50.0, 60.0, 70.0]  # starts at row 3: late
    return y, pd.DataFrame({"A": A, "B": B}, index=idx)


def test_lags_by_hand() -> None:
    y, F = _tiny()
    rows = build_rows(y, F, [1, 2])
    assert list(rows.X.columns) == ["A_l1", "A_l2", "B_l1", "B_l2"]
    # A starts at row 0, so the sample starts at row 2 (A's second lag exists); B is late.
    assert list(rows.y) == [102.0, 103.0, 104.0, 105.0, 106.0, 107.0]
    assert rows.X["A_l1"].tolist() == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert rows.X["A_l2"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    np.testing.assert_array_equal(rows.X["B_l1"], [np.nan, np.nan, 30.0, 40.0, 50.0, 60.0])
    np.testing.assert_array_equal(rows.X["B_l2"], [np.nan, np.nan, np.nan, 30.0, 40.0, 50.0])
    assert rows.dropped == 2
    assert rows.first_valid == {
        "A_l1": pd.Timestamp("2024-01-03"),
        "A_l2": pd.Timestamp("2024-01-03"),
        "B_l1": pd.Timestamp("2024-01-05"),
        "B_l2": pd.Timestamp("2024-01-06"),
    }
    assert "B_l2 from 2024-01-06" in rows.describe()


def test_interior_gap_drops_the_rows_it_reaches() -> None:
    y, F = _tiny()
    F.loc[F.index[5], "B"] = np.nan  # interior gap of a started feature
    y.iloc[7] = np.nan
    rows = build_rows(y, F, [1])
    # row 6 has B_l1 = B[5] missing (not pre-start) -> dropped; row 7 has no target
    assert list(rows.y.index.day) == [2, 3, 4, 5, 6]
    assert rows.dropped == 2  # rows 0 (no lag) and 6; row 7 had no target to lose


def test_calendar_is_the_targets() -> None:
    y, F = _tiny()
    extra = pd.DataFrame({"A": [99.0], "B": [99.0]}, index=[pd.Timestamp("2024-01-03 12:00")])
    F2 = pd.concat([F, extra]).sort_index()
    F2 = F2.drop(F.index[4])  # the feature misses a target date
    rows = build_rows(y, F2, [1])
    # the off-calendar date is discarded; lag 1 of row 4 is still row 3's value
    assert rows.X.loc["2024-01-04", "A_l1"] == 3.0
    # the target date the features miss is a missing value: row 5 (lag points at it) drops
    assert pd.Timestamp("2024-01-06") not in rows.y.index
    assert pd.Timestamp("2024-01-05") in rows.y.index


def test_future_values_do_not_change_earlier_rows() -> None:
    y, F = _tiny()
    base = build_rows(y, F, [1, 2])
    y2, F2 = y.copy(), F.copy()
    y2.iloc[6:] += 5.0
    F2.iloc[5:] = np.nan  # even gaps later on
    later = build_rows(y2, F2, [1, 2])
    d = y.index[5]
    pd.testing.assert_frame_equal(base.X.loc[:d], later.X.loc[:d])
    pd.testing.assert_series_equal(base.y.loc[:d], later.y.loc[:d])


@pytest.mark.parametrize(
    ("lags", "match"),
    [
        ([0, 1], "every lag must be an integer >= 1; got 0"),
        ([1, 1], r"lags must be unique; got \[1, 1\]"),
        ([], "at least one lag"),
        ([1.5], "got 1.5"),
    ],
)
def test_bad_lags(lags: list, match: str) -> None:
    y, F = _tiny()
    with pytest.raises(DataError, match=match):
        build_rows(y, F, lags)


def test_bad_features() -> None:
    y, F = _tiny()
    with pytest.raises(DataError, match="target 'IDX' is also a feature"):
        build_rows(y, F.assign(IDX=1.0), [1])
    with pytest.raises(DataError, match="feature 'C' has no value"):
        build_rows(y, F.assign(C=np.nan), [1])
    with pytest.raises(DataError, match=r"feature 'C' is constant \(2.0\)"):
        build_rows(y, F.assign(C=2.0), [1])
    with pytest.raises(DataError, match="DatetimeIndex"):
        build_rows(y, F.reset_index(drop=True), [1])
    with pytest.raises(DataError, match="sorted"):
        build_rows(y.iloc[::-1], F, [1])
    with pytest.raises(InsufficientDataError, match="no date has the target"):
        build_rows(y, F, [8])
