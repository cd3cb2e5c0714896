"""Self-financing strategy returns: positions held over a period, costs, cash.

Timing and conventions
----------------------
* ``w_t`` (a weight per asset) is decided before period ``t`` opens and held
  over ``t``; it earns the asset's simple return ``r_t`` of that period. The
  rest of the wealth, ``1 - Σ_i w_{i,t}`` (negative when levered), earns or
  pays the per-period simple risk-free return ``rf_t``. Shorts are
  collateralized: their proceeds sit in cash and earn ``rf_t``.
* Rebalancing from ``w_{t-1}`` to ``w_t`` costs ``c · Σ_i |w_{i,t} - w_{i,t-1}|``
  of wealth at the start of ``t``, ``c = cost_bps / 10 000``. The book starts
  flat, ``w_{-1} = 0``, so the first position is bought and pays costs.
  Turnover is measured against the previous *target* weight, not the weight
  after the previous period's drift (which would need intra-period prices
  for every asset and changes little at these horizons).
* Gross returns are the same returns with ``c = 0``.

Every output at date ``t`` depends only on weights up to ``t`` and returns
and rates at ``t``: there is no look-ahead in this module.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.errors import DataError

BPS = 1e4
"""Basis points per unit: ``c = cost_bps / BPS``."""


def format_dates(index: pd.Index, limit: int = 5) -> str:
    """The first ``limit`` labels of ``index`` for an error message (dates without time)."""
    shown = [str(d.date()) if isinstance(d, pd.Timestamp) else str(d) for d in index[:limit]]
    more = f" (and {len(index) - limit} more)" if len(index) > limit else ""
    return ", ".join(shown) + more


def _check_cost(cost_bps: float) -> float:
    if not (math.isfinite(cost_bps) and cost_bps >= 0):
        raise DataError(f"cost_bps must be a finite number >= 0; got {cost_bps!r}")
    return float(cost_bps) / BPS


def _risk_free(rf: pd.Series | float, index: pd.Index) -> np.ndarray:
    """Per-period risk-free return on ``index``; every date must have one."""
    if isinstance(rf, pd.Series):
        aligned = rf.reindex(index).astype("float64")
        missing = index[aligned.isna().to_numpy()]
        if len(missing):
            raise DataError(
                f"risk-free rate rf is missing on {len(missing)} dates: {format_dates(missing)}"
            )
        return aligned.to_numpy()
    if not math.isfinite(rf):
        raise DataError(f"risk-free rate rf must be a finite number or a Series; got {rf!r}")
    return np.full(len(index), float(rf))


def portfolio_returns(
    weights: pd.DataFrame,
    asset_returns: pd.DataFrame,
    *,
    cost_bps: float,
    rf: pd.Series | float = 0.0,
) -> pd.DataFrame:
    """Returns of a self-financing portfolio of several assets, before and after costs.

    Parameters
    ----------
    weights
        ``w_{i,t}``: the weight of asset ``i`` held over period ``t`` (rows:
        periods in increasing order, columns: assets). Must not contain NaN;
        an asset out of the portfolio has weight 0.
    asset_returns
        Simple returns ``r_{i,t}`` of each asset over period ``t``, with the
        same index and columns as ``weights``. NaN is allowed only where the
        weight is 0 (an asset not held, e.g. not yet listed).
    cost_bps
        Proportional cost per unit of turnover, in basis points (>= 0).
    rf
        Per-period simple risk-free return over ``t``: one number, or a
        Series that has a value for every date of ``weights``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``weights``, columns ``gross_return``, ``net_return``,
        ``turnover``, ``gross_exposure`` (``Σ|w|``) and ``net_exposure``
        (``Σ w``).

    Notes
    -----
    .. math::

        \\tau_t = \\sum_i |w_{i,t} - w_{i,t-1}|, \\quad w_{i,-1} = 0

        R_t = \\sum_i w_{i,t} r_{i,t} + \\Big(1 - \\sum_i w_{i,t}\\Big) rf_t - c\\,\\tau_t

    with ``c = cost_bps / 1e4`` for the net return and ``c = 0`` for the
    gross return; see the module docstring for the timing.
    """
    c = _check_cost(cost_bps)
    idx = weights.index
    if not (asset_returns.index.equals(idx) and asset_returns.columns.equals(weights.columns)):
        raise DataError(
            "weights and asset_returns must have the same index and columns; got "
            f"{weights.shape} weights for assets {list(map(str, weights.columns))} and "
            f"{asset_returns.shape} returns for assets {list(map(str, asset_returns.columns))}"
        )
    if not (idx.is_unique and idx.is_monotonic_increasing):
        raise DataError("weights must be indexed by unique periods in increasing order")
    w = weights.to_numpy(dtype="float64")
    r = asset_returns.to_numpy(dtype="float64")
    nan_w = ~np.isfinite(w)
    if nan_w.any():
        rows = idx[nan_w.any(axis=1)]
        raise DataError(
            f"positions/weights must be finite numbers (use 0 for no position); "
            f"NaN or inf on {len(rows)} dates: {format_dates(rows)}"
        )
    held = w != 0
    unpriced = held & ~np.isfinite(r)
    if unpriced.any():
        row, col = np.argwhere(unpriced)[0]
        raise DataError(
            f"return missing for a held position: {weights.columns[col]} on "
            f"{format_dates(idx[row : row + 1])} ({int(unpriced.sum())} such cells in all); "
            "a return may be NaN only where the weight is 0"
        )
    rfv = _risk_free(rf, idx)
    prev = np.vstack([np.zeros((1, w.shape[1])), w[:-1]])
    turnover = np.abs(w - prev).sum(axis=1)
    exposure = w.sum(axis=1)
    gross = (w * np.where(held, r, 0.0)).sum(axis=1) + (1.0 - exposure) * rfv
    return pd.DataFrame(
        {
            "gross_return": gross,
            "net_return": gross - c * turnover,
            "turnover": turnover,
            "gross_exposure": np.abs(w).sum(axis=1),
            "net_exposure": exposure,
        },
        index=idx,
    )


def strategy_returns(
    positions: pd.Series,
    log_returns: pd.Series,
    *,
    rf: pd.Series | float = 0.0,
    cost_bps: float = 0.0,
) -> pd.DataFrame:
    """Returns of holding ``positions`` in one asset, the rest in cash.

    Parameters
    ----------
    positions
        ``w_t``, the weight held over period ``t`` (decided with information
        up to ``t-1``); no NaN.
    log_returns
        The asset's log return ``y_t`` over period ``t``, same index as
        ``positions``. NaN is allowed only where the position is 0.
    rf
        Per-period simple risk-free return over ``t`` (number or Series with
        a value on every date).
    cost_bps
        Proportional cost per unit of turnover, in basis points.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``positions``, columns ``position``, ``turnover``,
        ``gross_return`` and ``net_return`` (simple returns).

    Notes
    -----
    The one-asset case of :func:`portfolio_returns` with ``r_t = e^{y_t} - 1``:

    .. math::

        R_t = w_t (e^{y_t} - 1) + (1 - w_t)\\,rf_t - c\\,|w_t - w_{t-1}|,
        \\quad w_{-1} = 0,\\ c = \\text{cost\\_bps} / 10^4.
    """
    if not log_returns.index.equals(positions.index):
        raise DataError(
            f"positions and log_returns must have the same index; got {len(positions)} "
            f"positions and {len(log_returns)} returns"
            + ("" if len(positions) != len(log_returns) else " on different dates")
        )
    name = "asset" if log_returns.name is None else str(log_returns.name)
    w = positions.astype("float64").to_frame(name)
    r = np.expm1(log_returns.astype("float64")).to_frame(name)
    out = portfolio_returns(w, r, cost_bps=cost_bps, rf=rf)
    out.insert(0, "position", w[name])
    return out.loc[:, ["position", "turnover", "gross_return", "net_return"]]


def buy_and_hold(log_returns: pd.Series) -> pd.Series:
    """Simple returns ``e^{y_t} - 1`` of holding the asset throughout (``w ≡ 1``, no cost).

    The reference line for a strategy; NaN log returns stay NaN.
    """
    return np.expm1(log_returns.astype("float64")).rename("buy_and_hold")
