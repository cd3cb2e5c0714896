"""The composite value index against share counts computed by hand with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.portfolio.composite import composite_index, rebalance_dates

WEIGHTS = {"A": 0.5, "B": 0.3, "C": 0.2}


def prices(seed: int = 0, n: int = 70) -> pd.DataFrame:
    """Three random walks over business days spanning three months."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-25", periods=n)
    steps = rng.normal(0.0, 0.02, size=(n, 3))
    return pd.DataFrame(50.0 * np.exp(np.cumsum(steps, axis=0)), index=idx, columns=list(WEIGHTS))


def by_shares(px: pd.DataFrame, trades: list[int], w: np.ndarray) -> np.ndarray:
    """Value with share counts: at each trade row the whole value buys ``w`` again."""
    p = px.to_numpy()
    value = np.empty(len(p))
    shares = 100.0 * w / p[0]
    for t in range(len(p)):
        value[t] = shares @ p[t]
        if t in trades:
            shares = value[t] * w / p[t]
    return value


def test_monthly_matches_share_counts() -> None:
    px = prices()
    w = np.array(list(WEIGHTS.values()))
    c = composite_index(px, WEIGHTS, "monthly")
    month = px.index.month
    ends = [t for t in range(len(px) - 1) if month[t] != month[t + 1]]
    assert len(ends) == 3  # January, February, March
    np.testing.assert_allclose(c.value.to_numpy(), by_shares(px, [0, *ends], w), rtol=1e-12)
    assert list(c.rebalance_dates) == [px.index[0], *px.index[ends]]


def test_monthly_weights_are_the_targets_on_the_first_day_of_each_month() -> None:
    px = prices(1)
    c = composite_index(px, WEIGHTS, "monthly")
    firsts = px.index[1:][px.index.month[1:] != px.index.month[:-1]]
    for d in firsts:
        np.testing.assert_allclose(c.weights.loc[d].to_numpy(), list(WEIGHTS.values()))
    # in between, they drift: A's weight the day after a month's first day
    nxt = c.weights.index[c.weights.index.get_loc(firsts[0]) + 1]
    r = px.loc[firsts[0]] / px.shift(1).loc[firsts[0]] - 1
    expected = 0.5 * (1 + r["A"]) / (1 + float(np.dot(list(WEIGHTS.values()), r)))
    assert c.weights.loc[nxt, "A"] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(c.weights.sum(axis=1), 1.0)


def test_buy_and_hold_is_the_weighted_sum_of_member_indices() -> None:
    px = prices(2)
    c = composite_index(px, WEIGHTS, "buy_and_hold")
    members = px / px.iloc[0] * 100.0
    expected = sum(w * members[m] for m, w in WEIGHTS.items())
    np.testing.assert_allclose(c.value.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert list(c.rebalance_dates) == [px.index[0]]


def test_start_calendar_and_gaps() -> None:
    """Starts when every member has a price; a gap holds the last price; a date where no
    member trades is not a date of the index."""
    px = prices(3)
    px.iloc[:3, 2] = np.nan  # C starts late
    px.iloc[10, 1] = np.nan  # B misses a day
    px.iloc[20, :] = np.nan  # nobody trades
    c = composite_index(px, WEIGHTS, "buy_and_hold", name="P")
    assert c.start == px.index[3] and c.value.iloc[0] == 100.0 and c.value.name == "P"
    assert px.index[20] not in c.value.index and len(c.value) == len(px) - 4
    held = px.iloc[3:].drop(index=px.index[20]).ffill()
    expected = sum(w * held[m] / held[m].iloc[0] * 100.0 for m, w in WEIGHTS.items())
    np.testing.assert_allclose(c.value.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_rebalance_dates_rules() -> None:
    cal = pd.DatetimeIndex(["2021-01-29", "2021-02-01", "2021-02-26", "2021-03-01", "2021-03-02"])
    assert list(rebalance_dates(cal, "monthly")) == list(cal[[0, 2]])
    assert list(rebalance_dates(cal, "buy_and_hold")) == list(cal[:1])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"A": 0.5, "B": 0.4}, r"sum to 1 \(within 1e-06\); they sum to 0.9"),
        ({"A": 1.2, "B": -0.2}, r"weight of 'B' must be a number > 0, got -0.2"),
        ({"A": 0.5, "Z": 0.5}, r"no prices for portfolio member\(s\) Z"),
        ({}, r"at least one member"),
    ],
)
def test_bad_weights(weights: dict[str, float], message: str) -> None:
    with pytest.raises(DataError, match=message):
        composite_index(prices(), weights)


def test_no_common_date() -> None:
    px = prices()
    px.iloc[:35, 0] = np.nan
    px.iloc[35:, 1] = np.nan
    with pytest.raises(DataError, match=r"no date on which every one has a price"):
        composite_index(px, WEIGHTS)
