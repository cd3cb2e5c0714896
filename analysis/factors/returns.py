"""Returns at a chosen frequency, and alignment of series on common dates.

Conventions
-----------
* Prices are resampled to the *last* price of each period before returns are
  taken, so weekly and monthly returns compound the daily ones exactly.
  Weekly periods end on Friday (``W-FRI``), monthly periods on the calendar
  month end (``ME``); each period is labelled by that end date, which is also
  how Ken French's weekly and monthly factors are indexed here.
* Log returns ``ln(P_t / P_{t-1})`` for the engineered model, simple returns
  ``P_t / P_{t-1} - 1`` for the Fama-French style models.
* Series from different calendars (NYSE and NSE, say) are aligned on the
  intersection of their dates; :class:`Alignment` records how many dates
  each side lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from analysis.data.base import FREQUENCIES, Frequency
from analysis.errors import DataError

ReturnKind = Literal["log", "simple"]

PERIODS_PER_YEAR: dict[Frequency, int] = {"daily": 252, "weekly": 52, "monthly": 12}
"""Periods per year used to annualize per-period quantities (alpha, attribution)."""

_RULES: dict[Frequency, str] = {"weekly": "W-FRI", "monthly": "ME"}


def check_frequency(frequency: str) -> Frequency:
    """Return ``frequency`` if it is one of :data:`FREQUENCIES`, else raise."""
    if frequency not in FREQUENCIES:
        raise DataError(f"frequency must be one of {', '.join(FREQUENCIES)}; got {frequency!r}")
    return cast(Frequency, frequency)


def resample_prices(prices: pd.DataFrame | pd.Series, frequency: Frequency) -> pd.DataFrame:
    """Last price of each period (daily prices are returned unchanged).

    A period in which a column has no price is NaN for that column; periods
    in which no column has a price are dropped.
    """
    check_frequency(frequency)
    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    if frequency == "daily":
        return frame
    out = frame.resample(_RULES[frequency]).last()
    out.index.name = frame.index.name
    return out.dropna(how="all")


def to_returns(
    prices: pd.DataFrame | pd.Series, kind: ReturnKind, frequency: Frequency = "daily"
) -> pd.DataFrame:
    """Period returns from prices, after resampling to ``frequency``.

    The first period, which has no previous price, is dropped. A return
    next to a missing price is NaN (never filled).
    """
    p = resample_prices(prices, frequency)
    if kind == "log":
        r = np.log(p).diff()
    elif kind == "simple":
        r = p.pct_change(fill_method=None)
    else:
        raise DataError(f"return kind must be 'log' or 'simple'; got {kind!r}")
    return r.iloc[1:]


@dataclass(frozen=True)
class Alignment:
    """What aligning several series on their common dates cost.

    Attributes
    ----------
    common
        Number of dates present (non-missing) in every series.
    dropped
        For each series, how many of its non-missing dates were not common.
    start, end
        First and last common date (``None`` when nothing is common).
    """

    common: int
    dropped: Mapping[str, int]
    start: pd.Timestamp | None
    end: pd.Timestamp | None

    def describe(self) -> str:
        """One line such as ``"1250 common dates; left out: 3 dates of AAPL, 12 of ^NSEI"``.

        A series' left-out dates are those it has but another series lacks.
        """
        lost = [(k, v) for k, v in self.dropped.items() if v]
        if not lost:
            return f"{self.common} common dates"
        parts = [f"{v} date{'s' if v != 1 else ''} of {k}" for k, v in lost[:1]]
        parts += [f"{v} of {k}" for k, v in lost[1:]]
        return f"{self.common} common dates; left out (missing elsewhere): {', '.join(parts)}"


def align(frames: Mapping[str, pd.DataFrame | pd.Series]) -> tuple[pd.DataFrame, Alignment]:
    """Join named series/frames on the dates where none of them is missing.

    Parameters
    ----------
    frames
        ``{name: series or frame}``. Column names of the result are the
        series names, or the frame's own column names for frames.

    Returns
    -------
    joined, alignment
        The joined frame with no missing values, and what the join dropped.
    """
    parts: list[pd.DataFrame] = []
    valid: dict[str, pd.DatetimeIndex] = {}
    for name, obj in frames.items():
        df = obj.rename(name).to_frame() if isinstance(obj, pd.Series) else obj
        df = df.dropna(how="any")
        valid[name] = pd.DatetimeIndex(df.index)
        parts.append(df)
    if not parts:
        raise DataError("nothing to align")
    common = valid[next(iter(valid))]
    for idx in valid.values():
        common = common.intersection(idx)
    joined = pd.concat([p.reindex(common) for p in parts], axis=1)
    dropped = {name: len(idx) - len(common) for name, idx in valid.items()}
    return joined, Alignment(
        common=len(common),
        dropped=dropped,
        start=common[0] if len(common) else None,
        end=common[-1] if len(common) else None,
    )
