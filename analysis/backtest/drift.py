"""Backtest of a rebalanced portfolio whose weights drift with returns between rebalances.

Timing and conventions
----------------------
* Target weights ``w_t`` are set at the close of rebalance date ``t`` and
  held from the next return date ``t+1``. They are fractions of the
  capital at the close of ``t``; a dollar-neutral book (``Σ w = 0``) has
  its capital in cash, collateralizing the shorts.
* Between rebalances each position drifts with its own return. With
  ``w̃_{i,s}`` the weight held over day ``s`` (relative to the capital at
  the close of ``s-1``),

  .. math::

      R_s = \\sum_i w̃_{i,s} r_{i,s} + \\Big(1 - \\sum_i w̃_{i,s}\\Big) rf_s, \\qquad
      w̃_{i,s+1} = w̃_{i,s} \\frac{1 + r_{i,s}}{1 + R_s}

  and ``w̃_{t+1} = w_t`` on the day after a rebalance. This is the same as
  positions ``h_{i,s} = h_{i,s-1}(1 + r_{i,s})`` in units of the capital at
  the rebalance, with capital compounding: the return is the book's P&L
  over the capital at the previous close. Cash (``1 - Σ w̃``) earns ``rf``
  (0 by default).
* At rebalance date ``t`` the book trades from the drifted weights
  ``w̃_{t+1}^{old}`` (the weights after day ``t``'s return) to the targets:
  turnover ``τ_t = Σ_i |w_{i,t} - w̃^{old}_{i,t+1}|``; the first rebalance
  trades from cash (``τ = Σ|w|``). The cost ``c τ_t`` (``c = cost_bps/1e4``)
  is charged on the next return date ``t+1``, where the ``turnover`` column
  shows ``τ_t`` (0 on every other date): ``net_return = gross_return - c τ``
  exactly on that date. The cost is taken pro rata from the whole book, so
  the gross and net books hold the same weights. A rebalance on the last
  return date has no next day, so it trades nothing.
* A missing return (NaN) of a held name counts as 0 and is counted in the
  ``missing_returns`` column; delisting returns are not modelled.

Every output on date ``s`` depends on weights set at or before ``s - 1`` and
returns up to ``s``: there is no look-ahead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.backtest.metrics import performance_summary
from analysis.backtest.returns import _check_cost, _risk_free, format_dates
from analysis.errors import DataError

RETURN_COLUMNS: tuple[str, ...] = (
    "gross_return",
    "net_return",
    "turnover",
    "gross_exposure",
    "net_exposure",
    "n_names",
    "missing_returns",
)
"""Columns of :attr:`Backtest.returns`, in order."""


@dataclass(frozen=True)
class Backtest:
    """Daily (or per-period) results of :func:`backtest`.

    Attributes
    ----------
    returns
        Indexed by the return dates after the first rebalance date; columns
        :data:`RETURN_COLUMNS`. ``gross_exposure`` (``Σ|w̃|``),
        ``net_exposure`` (``Σ w̃``) and ``n_names`` (nonzero positions)
        describe the weights held over the date; ``missing_returns``
        counts held names whose return was NaN (taken as 0).
    equal_weight_return
        The equal-weight book of every name with a return on the rebalance
        date, rebalanced on the same dates, drifting the same way, no cost.
    benchmark_return
        The benchmark's returns on the same dates, or None.
    weights_drifted
        ``w̃``: the weights held over each date (rows as ``returns``).
    cost_bps
        Cost per unit of turnover.
    """

    returns: pd.DataFrame
    equal_weight_return: pd.Series
    benchmark_return: pd.Series | None
    weights_drifted: pd.DataFrame = field(repr=False)
    cost_bps: float = 0.0

    @property
    def n_missing_returns(self) -> int:
        """Held-name days with a missing return, over the whole backtest."""
        return int(self.returns["missing_returns"].sum())

    def performance(self, *, periods_per_year: float) -> pd.DataFrame:
        """:func:`~analysis.backtest.metrics.performance_summary` of each return series.

        Columns ``net``, ``gross``, ``equal_weight`` and, with a benchmark,
        ``benchmark``; the strategy columns include the annual turnover.
        """
        r = self.returns
        cols = {
            "net": performance_summary(
                r["net_return"], periods_per_year=periods_per_year, turnover=r["turnover"]
            ),
            "gross": performance_summary(
                r["gross_return"], periods_per_year=periods_per_year, turnover=r["turnover"]
            ),
            "equal_weight": performance_summary(
                self.equal_weight_return, periods_per_year=periods_per_year
            ),
        }
        if self.benchmark_return is not None:
            cols["benchmark"] = performance_summary(
                self.benchmark_return, periods_per_year=periods_per_year
            )
        return pd.DataFrame(cols)

    def summary(self, *, periods_per_year: float = 252) -> str:
        """Plain-text performance table (see :meth:`performance`)."""
        r = self.returns
        head = (
            f"Backtest {format_dates(r.index[:1])} to {format_dates(r.index[-1:])}, "
            f"{len(r)} periods, cost {self.cost_bps:g} bp per unit of turnover, "
            f"{self.n_missing_returns} missing returns of held names (taken as 0)"
            if len(r)
            else "Backtest: no return dates"
        )
        table = self.performance(periods_per_year=periods_per_year)
        return head + "\n\n" + table.to_string(float_format=lambda v: f"{v: .4f}")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _align(weights: pd.DataFrame, returns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Targets on ``returns``' columns and the row of each rebalance date in ``returns``."""
    if not (weights.index.is_unique and weights.index.is_monotonic_increasing):
        raise DataError("weights must be indexed by unique rebalance dates in increasing order")
    if not (returns.index.is_unique and returns.index.is_monotonic_increasing):
        raise DataError("returns must be indexed by unique dates in increasing order")
    unknown = weights.columns.difference(returns.columns)
    if len(unknown):
        raise DataError(
            f"weights name {len(unknown)} tickers without returns: "
            f"{', '.join(map(str, unknown[:5]))}; every weighted ticker needs a returns column"
        )
    missing = weights.index.difference(returns.index)
    if len(missing):
        raise DataError(
            f"{len(missing)} rebalance dates are not dates of the returns: {format_dates(missing)}"
        )
    w = weights.reindex(columns=returns.columns, fill_value=0.0).to_numpy(dtype="float64")
    bad = ~np.isfinite(w)
    if bad.any():
        rows = weights.index[bad.any(axis=1)]
        raise DataError(
            f"weights must be finite (0 for no position); NaN or inf on {len(rows)} "
            f"rebalance dates: {format_dates(rows)}"
        )
    return w, returns.index.get_indexer(weights.index)


def _simulate(
    targets: np.ndarray, at: np.ndarray, r: np.ndarray, rf: np.ndarray
) -> dict[str, np.ndarray]:
    """The drifting book, one return date at a time (rows ``at[0] + 1`` onwards)."""
    n_dates, k = r.shape
    start = int(at[0])
    days = n_dates - start - 1
    target_of = {int(row): targets[j] for j, row in enumerate(at)}
    gross = np.zeros(days)
    turnover = np.zeros(days)
    held = np.zeros((days, k))
    missing = np.zeros(days, dtype=int)
    w = np.zeros(k)
    for d in range(days):
        s = start + 1 + d
        new = target_of.get(s - 1)
        if new is not None:
            turnover[d] = np.abs(new - w).sum()
            w = new.copy()
        rs = r[s]
        nan = np.isnan(rs)
        missing[d] = int((nan & (w != 0)).sum())
        rs = np.where(nan, 0.0, rs)
        big_r = float(w @ rs) + (1.0 - w.sum()) * rf[s]
        gross[d] = big_r
        held[d] = w
        if 1.0 + big_r <= 0.0:
            raise DataError(
                f"the book lost all its capital on row {s} (return {big_r:.4f}); "
                "returns after a total loss are undefined"
            )
        w = w * (1.0 + rs) / (1.0 + big_r)
    return {"gross": gross, "turnover": turnover, "held": held, "missing": missing}


def backtest(
    weights: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    cost_bps: float,
    benchmark: pd.Series | None = None,
    rf: pd.Series | float = 0.0,
) -> Backtest:
    """Returns of a portfolio rebalanced to ``weights`` whose positions drift in between.

    Parameters
    ----------
    weights
        Target weights: rebalance dates (each a date of ``returns``) x
        tickers (each a column of ``returns``); finite, 0 where not held.
    returns
        Simple returns per date (daily, or per period), date x ticker; NaN
        where not traded.
    cost_bps
        Proportional cost per unit of turnover, in basis points (>= 0).
    benchmark
        Simple returns of a benchmark, reindexed to the return dates.
    rf
        Per-date simple risk-free return earned by cash: a number, or a
        Series with a value on every date of ``returns``.

    Returns
    -------
    Backtest
        Returns on every date of ``returns`` after the first rebalance date.

    Notes
    -----
    See the module docstring for the timing, the drift, the turnover and
    the cost conventions.
    """
    c = _check_cost(cost_bps)
    if not len(weights):
        raise DataError("weights has no rebalance dates")
    w, at = _align(weights, returns)
    r = returns.to_numpy(dtype="float64")
    rfv = _risk_free(rf, returns.index)
    book = _simulate(w, at, r, rfv)
    idx = returns.index[int(at[0]) + 1 :]
    held = book["held"]
    out = pd.DataFrame(
        {
            "gross_return": book["gross"],
            "net_return": book["gross"] - c * book["turnover"],
            "turnover": book["turnover"],
            "gross_exposure": np.abs(held).sum(axis=1),
            "net_exposure": held.sum(axis=1),
            "n_names": (held != 0).sum(axis=1),
            "missing_returns": book["missing"],
        },
        index=idx,
    )
    # the equal-weight universe: names with a return on the rebalance date (known at t)
    listed = np.isfinite(r[at])
    counts = listed.sum(axis=1, keepdims=True)
    ew = np.divide(listed, counts, out=np.zeros(listed.shape), where=counts > 0)
    ew_book = _simulate(ew, at, r, rfv)
    bench = None
    if benchmark is not None:
        bench = benchmark.reindex(idx).astype("float64").rename("benchmark_return")
    return Backtest(
        returns=out,
        equal_weight_return=pd.Series(ew_book["gross"], index=idx, name="equal_weight_return"),
        benchmark_return=bench,
        weights_drifted=pd.DataFrame(held, index=idx, columns=returns.columns),
        cost_bps=float(cost_bps),
    )


def period_returns(
    weights: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    cost_bps: float,
    rf: pd.Series | float = 0.0,
) -> pd.DataFrame:
    """Weights held for exactly one period each: ``R_{t+1} = Σ_i w_{i,t} r_{i,t+1} - c τ_t``.

    For panels whose returns are given per period (e.g. monthly), with a
    rebalance at every period end.

    Parameters
    ----------
    weights
        Target weights on consecutive dates of ``returns`` (no return date
        may be skipped between two rebalance dates).
    returns
        Simple returns per period, indexed by period end; the row of date
        ``t`` is the return over the period ending at ``t``.
    cost_bps
        Proportional cost per unit of turnover, in basis points.
    rf
        Per-period simple risk-free return earned by cash.

    Returns
    -------
    pandas.DataFrame
        Indexed by the period after each rebalance date that has one, with
        the columns :data:`RETURN_COLUMNS` of :attr:`Backtest.returns`
        (a NaN return of a held name counts as 0 and in ``missing_returns``).

    Notes
    -----
    ``τ_t = Σ_i |w_{i,t} - w_{i,t-1} (1 + r_{i,t}) / (1 + R_t)|``: the trade
    from the previous weights after their one period of drift
    (``τ = Σ|w|`` at the first date), so the result equals
    :func:`backtest` with a rebalance on every return date exactly.
    """
    c = _check_cost(cost_bps)
    if not len(weights):
        raise DataError("weights has no rebalance dates")
    w, at = _align(weights, returns)
    gaps = np.flatnonzero(np.diff(at) != 1)
    if len(gaps):
        skipped = returns.index[at[gaps[0]] + 1 : at[gaps[0] + 1]]
        raise DataError(
            f"period_returns needs a rebalance on every return date; no weights on "
            f"{format_dates(skipped)}. Use backtest() to let weights drift over several periods"
        )
    nxt = at + 1
    has_next = nxt < len(returns.index)
    w, nxt = w[has_next], nxt[has_next]
    r_raw = returns.to_numpy(dtype="float64")[nxt]
    missing = (np.isnan(r_raw) & (w != 0)).sum(axis=1)
    r = np.nan_to_num(r_raw, nan=0.0)
    rfv = _risk_free(rf, returns.index)[nxt]
    gross = (w * r).sum(axis=1) + (1.0 - w.sum(axis=1)) * rfv
    drifted = w * (1.0 + r) / (1.0 + gross)[:, None]
    prev = np.vstack([np.zeros((1, w.shape[1])), drifted[:-1]])
    turnover = np.abs(w - prev).sum(axis=1)
    return pd.DataFrame(
        {
            "gross_return": gross,
            "net_return": gross - c * turnover,
            "turnover": turnover,
            "gross_exposure": np.abs(w).sum(axis=1),
            "net_exposure": w.sum(axis=1),
            "n_names": (w != 0).sum(axis=1),
            "missing_returns": missing,
        },
        index=returns.index[nxt],
    )
