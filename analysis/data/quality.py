"""Data-quality checks of a price series before anything is fitted on it.

A series with a long hole, a one-day glitch (a price multiplied by 10⁶, as
vendor data sometimes has), or a long run of identical prices (a stale feed)
gives meaningless betas without any error. Each check returns findings that
name the series, the dates and the values; the report shows them, and the
params decide whether a finding warns or fails the ticker.

Checks (thresholds are :class:`QualityRules`, stated on the methodology page):

* ``gap``: consecutive prices more than ``max_gap_days`` calendar days apart;
* ``jump``: a log return with ``|r| > max_abs_log_return``;
* ``stale``: ``max_stale_days`` or more consecutive identical prices (the run
  of returns exactly zero);
* ``non_positive``: a zero or negative price (never usable: log returns and
  simple returns are undefined or meaningless).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the checks (defaults as in the params' ``data_quality``)."""

    max_gap_days: int = 10
    max_abs_log_return: float = 0.5
    max_stale_days: int = 10


@dataclass(frozen=True)
class Finding:
    """One problem of one series: what, from when to when, and the telling value."""

    series: str
    check: str
    start: str
    end: str
    value: float
    detail: str

    def line(self) -> str:
        """One readable line, e.g. ``AAPL: gap of 400 days, 2012-03-01 to 2013-04-04``."""
        return f"{self.series}: {self.detail}"


def _day(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}"


def check_prices(prices: pd.Series, rules: QualityRules = QualityRules()) -> list[Finding]:
    """Every finding of the checks on one price series (NaN rows are ignored).

    Parameters
    ----------
    prices
        Prices of one series, dated, named after it.
    rules
        Thresholds.

    Returns
    -------
    list of Finding
        In the order non_positive, gap, jump, stale; each by date.
    """
    name = str(prices.name)
    px = prices.dropna().sort_index()
    out: list[Finding] = []
    bad = px[px <= 0]
    for ts, v in bad.items():
        out.append(
            Finding(
                name, "non_positive", _day(ts), _day(ts), float(v), f"price {v:g} on {_day(ts)}"
            )
        )
    px = px[px > 0]
    if len(px) < 2:
        return out
    dates = px.index.to_series()
    gaps = dates.diff().dt.days
    for ts, days in gaps[gaps > rules.max_gap_days].items():
        before = dates[dates < ts].iloc[-1]
        out.append(
            Finding(
                name,
                "gap",
                _day(before),
                _day(ts),
                float(days),
                f"no price for {int(days)} days, {_day(before)} to {_day(ts)}",
            )
        )
    r = np.log(px).diff().dropna()
    for ts, v in r[r.abs() > rules.max_abs_log_return].items():
        prev = px[px.index < ts].iloc[-1]
        out.append(
            Finding(
                name,
                "jump",
                _day(ts),
                _day(ts),
                float(v),
                f"log return {v:+.3g} on {_day(ts)} (price {prev:g} to {px[ts]:g})",
            )
        )
    same = (r == 0).to_numpy()
    run_id = np.cumsum(~same)  # rows of one run of zero returns share an id
    for rid in np.unique(run_id[same]):
        rows = np.flatnonzero(same & (run_id == rid))
        n_prices = len(rows) + 1  # k zero returns: k + 1 identical prices
        if n_prices >= rules.max_stale_days:
            first = px.index[px.index.get_loc(r.index[rows[0]]) - 1]
            last = r.index[rows[-1]]
            out.append(
                Finding(
                    name,
                    "stale",
                    _day(first),
                    _day(last),
                    float(n_prices),
                    f"{n_prices} identical prices ({px[last]:g}), {_day(first)} to {_day(last)}",
                )
            )
    return out


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """The findings as a table (``series, check, start, end, value, detail``)."""
    cols = ["series", "check", "start", "end", "value", "detail"]
    return pd.DataFrame([[getattr(f, c) for c in cols] for f in findings], columns=cols)
