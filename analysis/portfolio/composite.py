"""A fixed-weight portfolio of a few symbols as one price series: its value index.

Conventions
-----------
* **Calendar.** The index is dated on the dates on which at least one member has
  a price, from the first date on which *every* member has one (the start, value
  ``base``, 100 by default) to the last date on which any member has one.
* **Missing prices.** After the start, a member without a price on a date keeps
  its last price: its value is unchanged that day (return 0), and its move over
  the gap counts on the date its price is back. The index is therefore always
  the sum of the holdings valued at their last known prices; nothing is
  renormalised and no date is left empty.
* **Returns.** Simple returns of the members' prices, ``r_{i,t} = P_{i,t} / P_{i,t-1} - 1``.
* **Rebalancing.** ``monthly``: the book trades back to the target weights at
  the close of the start date and of the last date of each month, so the
  weights held over the first date of every month are the targets.
  ``buy_and_hold``: only at the start. In between each member's weight drifts
  with its return, ``w_{i,t+1} = w_{i,t} (1 + r_{i,t}) / (1 + R_t)`` with
  ``R_t = Σ_i w_{i,t} r_{i,t}``. No trading costs, no cash: the targets are
  positive and sum to 1.

The drift is :func:`analysis.backtest.drift.backtest` (cost 0, no cash); this
module chooses the calendar, the prices and the rebalance dates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from analysis.backtest.drift import backtest
from analysis.errors import DataError

Rebalance = Literal["monthly", "buy_and_hold"]
REBALANCE_RULES: tuple[str, ...] = ("monthly", "buy_and_hold")
WEIGHT_TOLERANCE = 1e-6
"""How far the target weights' sum may be from 1."""


@dataclass(frozen=True)
class Composite:
    """A portfolio's value index (see the module docstring for the conventions).

    Attributes
    ----------
    value
        The value index, ``base`` on the start date.
    weights
        The weights held over each return date (the rows of ``value`` after
        the start), members as columns; they sum to 1 on every date.
    rebalance_dates
        The closes at which the book traded to the targets.
    """

    value: pd.Series
    weights: pd.DataFrame
    rebalance_dates: pd.DatetimeIndex

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.value.index[0])


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Target weights as a dict, checked: at least one, each finite and > 0, summing to 1.

    Raises
    ------
    DataError
        Naming the offending member or the sum.
    """
    if not weights:
        raise DataError("a portfolio needs at least one member with a weight")
    out = {}
    for name, w in weights.items():
        w = float(w)
        if not (math.isfinite(w) and w > 0):
            raise DataError(f"weight of {name!r} must be a number > 0, got {w!r}")
        out[str(name)] = w
    total = math.fsum(out.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise DataError(
            f"weights must sum to 1 (within {WEIGHT_TOLERANCE:g}); they sum to {total:.10g}"
        )
    return out


def rebalance_dates(calendar: pd.DatetimeIndex, rule: Rebalance) -> pd.DatetimeIndex:
    """The closes at which a book on ``calendar`` trades to its targets under ``rule``.

    The first date always; with ``monthly`` also every date that is the last of its
    month in ``calendar`` (except the last date, after which nothing is held).
    """
    if rule not in REBALANCE_RULES:
        raise DataError(f"rebalance must be one of {', '.join(REBALANCE_RULES)}; got {rule!r}")
    if rule == "buy_and_hold" or len(calendar) < 2:
        return calendar[:1]
    months = calendar.to_period("M")
    month_end = months[:-1] != months[1:]
    return calendar[:1].append(calendar[:-1][month_end]).unique()


def composite_index(
    prices: pd.DataFrame,
    weights: Mapping[str, float],
    rebalance: Rebalance = "monthly",
    *,
    base: float = 100.0,
    name: str | None = None,
) -> Composite:
    """The value index of a portfolio of ``prices``' columns held at ``weights``.

    Parameters
    ----------
    prices
        Prices by date (a sorted, unique ``DatetimeIndex``), one column per
        symbol; NaN where a symbol has no price.
    weights
        ``{member: target weight}``: each a column of ``prices``, each > 0,
        summing to 1 (within :data:`WEIGHT_TOLERANCE`).
    rebalance
        ``monthly`` or ``buy_and_hold`` (see the module docstring).
    base
        The index value on the start date.
    name
        Name of the value series.

    Returns
    -------
    Composite
        The value index and the weights held over each date.

    Raises
    ------
    DataError
        For bad weights, a member without a column, or no date on which every
        member has a price.
    """
    w = check_weights(weights)
    members = list(w)
    absent = [m for m in members if m not in prices.columns]
    if absent:
        raise DataError(f"no prices for portfolio member(s) {', '.join(absent)}")
    px = prices[members].astype("float64")
    complete = px.notna().all(axis=1)
    if not complete.any():
        raise DataError(
            f"the members {', '.join(members)} have no date on which every one has a price"
        )
    px = px.loc[complete.idxmax() :]
    px = px[px.notna().any(axis=1)]
    held = px.ffill()
    returns = held / held.shift(1) - 1.0
    dates = rebalance_dates(pd.DatetimeIndex(held.index), rebalance)
    targets = pd.DataFrame([list(w.values())] * len(dates), index=dates, columns=members)
    book = backtest(targets, returns, cost_bps=0.0)
    growth = (1.0 + book.returns["gross_return"]).cumprod()
    value = pd.concat([pd.Series([1.0], index=held.index[:1]), growth]) * base
    return Composite(
        value=value.rename(name),
        weights=book.weights_drifted,
        rebalance_dates=dates,
    )
