"""Optimized portfolios: the names :func:`construct` selects, weighted by minimum variance.

Timing
------
The score of ``(t, ticker)`` and the returns dated up to and including the
rebalance date ``t`` are all that the weights at ``t`` use; they are set at
the close of ``t``. No return dated after ``t`` enters the covariance of
``t``, so nothing here looks ahead.

Steps, per rebalance date
-------------------------
1. Select the legs exactly as :func:`~analysis.portfolio.construction.construct`
   does (top / bottom quantile bucket, or ``top_k``).
2. Take the estimation window: the last ``lookback`` rows of ``returns``
   dated ``<= t``. A selected name with fewer than ``min_obs`` non-missing
   returns in the window is dropped from its leg (counted in
   ``n_dropped_min_obs``).
3. Per leg, solve a long-only minimum-variance problem with budget 1 and
   ``0 <= w_i <= max_weight`` with skfolio's :class:`~skfolio.optimization.MeanRisk`
   (solver CLARABEL), on the window's rows where every kept name of the leg
   has a return. The short leg is solved the same way on its own names and
   negated.
4. A date on which any leg cannot be optimized falls back to equal weights
   over the selected names of both legs, and ``optimizer_status`` says why.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
import pandas as pd
from skfolio import RiskMeasure
from skfolio.exceptions import SkfolioError
from skfolio.optimization import MeanRisk, ObjectiveFunction

from analysis.errors import DataError
from analysis.portfolio.construction import (
    _TOL,
    BINDING_COLUMNS,
    Portfolio,
    PortfolioType,
    _check_options,
    _check_scores,
    _day,
    _legs,
)

Objective = Literal["min_variance"]
OBJECTIVES: tuple[Objective, ...] = ("min_variance",)

OPTIMIZE_BINDING_COLUMNS: tuple[str, ...] = (
    *BINDING_COLUMNS,
    "optimizer_status",
    "n_dropped_min_obs",
)
"""Columns of :attr:`Portfolio.binding` as built by :func:`optimize`, in order."""

OPTIMAL = "optimal"
"""``optimizer_status`` of a date whose every leg was solved to optimality."""

FALLBACK = "fallback"
"""Prefix of ``optimizer_status`` on a date that fell back to equal weights."""

SOLVER = "CLARABEL"
SOLVER_PARAMS: dict[str, float] = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
"""CLARABEL tolerances, tighter than skfolio's default 1e-9 gaps.

With them and the objective scaled by ``1 / mean variance`` (see :func:`optimize`), weights of a
2-asset problem with daily volatilities match the closed form to ~1e-8; with skfolio's defaults
they were off by up to 9e-5, since a variance of ~1e-4 is flat around its minimum."""

ZERO_WEIGHT = 1e-8
"""Solver weights below this are set to 0: an interior-point solver never returns an
exact 0, and a name at 1e-9 is not held. With :data:`SOLVER_PARAMS` such weights are ~1e-9."""

BIND_TOL = 1e-7
"""A weight within this of ``max_weight`` counts as capped (the solver's accuracy)."""


class _LegFailure(Exception):
    """A leg that cannot be optimized on this date (internal: turned into a fallback)."""


def _check_returns(returns: pd.DataFrame) -> None:
    if not isinstance(returns, pd.DataFrame):
        raise DataError(
            f"returns must be a DataFrame (date x ticker); got {type(returns).__name__}"
        )
    if not (returns.index.is_unique and returns.index.is_monotonic_increasing):
        raise DataError("returns' date index must be sorted and unique")
    if not returns.columns.is_unique:
        dup = returns.columns[returns.columns.duplicated()][0]
        raise DataError(f"returns has the ticker {dup!r} in more than one column")
    values = returns.to_numpy(dtype="float64")
    bad = np.isinf(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"return of {returns.columns[c]} on {_day(returns.index[r])} is infinite; "
            "returns must be finite or NaN"
        )


def _check_window(lookback: int, min_obs: int, objective: str) -> None:
    if objective not in OBJECTIVES:
        raise DataError(f"objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    if not (isinstance(lookback, int) and lookback >= 2):
        raise DataError(f"lookback must be an integer >= 2; got {lookback!r}")
    if not (isinstance(min_obs, int) and 2 <= min_obs <= lookback):
        raise DataError(f"min_obs must be an integer in [2, lookback={lookback}]; got {min_obs!r}")


def _min_variance(x: pd.DataFrame, max_weight: float | None) -> np.ndarray:
    """Long-only minimum-variance weights (budget 1, ``w <= max_weight``) of ``x``'s columns."""
    mean_var = float(x.var(ddof=1).mean())
    if not (math.isfinite(mean_var) and mean_var > 0):
        raise _LegFailure("every name's return is constant over the window (zero variance)")
    model = MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK,
        risk_measure=RiskMeasure.VARIANCE,
        min_weights=0.0,
        max_weights=1.0 if max_weight is None else max_weight,
        budget=1.0,
        solver=SOLVER,
        solver_params=SOLVER_PARAMS,
        scale_objective=1.0 / mean_var,
        save_problem=True,
    )
    try:
        with warnings.catch_warnings():
            # skfolio warns on a non-optimal status; it is read from the problem instead
            warnings.simplefilter("ignore", UserWarning)
            model.fit(x)
    except (SkfolioError, ValueError, np.linalg.LinAlgError) as exc:
        raise _LegFailure(f"skfolio failed ({type(exc).__name__}: {exc})") from exc
    status = str(model.problem_.status)
    if status != "optimal":
        raise _LegFailure(f"solver status {status!r}")
    w = np.asarray(model.weights_, dtype="float64")
    w[w < ZERO_WEIGHT] = 0.0
    if max_weight is not None:
        w = np.minimum(w, max_weight)
    return w / w.sum()


def _optimized_leg(
    window: pd.DataFrame, names: pd.Index, min_obs: int, max_weight: float | None, leg: str
) -> tuple[pd.Series, int]:
    """One leg's positive weights (summing to 1) and the number of names dropped by min_obs."""
    x = window.reindex(columns=names)
    kept = names[(x.notna().sum() >= min_obs).to_numpy()]
    dropped = len(names) - len(kept)
    if not len(kept):
        raise _LegFailure(
            f"{leg} leg: none of its {len(names)} names has min_obs={min_obs} returns "
            f"in the last {len(window)} dates"
        )
    if max_weight is not None and max_weight * len(kept) < 1.0 - _TOL:
        raise _LegFailure(
            f"{leg} leg: infeasible, {len(kept)} names with enough history and "
            f"max_weight={max_weight} allow at most {max_weight * len(kept):.4g} of 1"
        )
    x = x[kept].dropna()
    if len(x) < min_obs:
        raise _LegFailure(
            f"{leg} leg: only {len(x)} dates have a return for all {len(kept)} names, "
            f"fewer than min_obs={min_obs}"
        )
    try:
        w = _min_variance(x, max_weight)
    except _LegFailure as exc:
        raise _LegFailure(f"{leg} leg: {exc}") from exc
    return pd.Series(w, index=kept), dropped


def optimize(
    scores: pd.Series,
    returns: pd.DataFrame,
    *,
    type: PortfolioType,
    quantiles: int = 5,
    top_k: int | None = None,
    lookback: int = 252,
    min_obs: int = 126,
    max_weight: float | None = None,
    objective: Objective = "min_variance",
) -> Portfolio:
    """Minimum-variance weights per rebalance date on the names selected by score.

    Parameters
    ----------
    scores
        ``model_score`` on a sorted, unique ``(date, ticker)`` MultiIndex;
        higher means expected to do better. NaN scores are left out of that
        date's cross-section. Its dates are the rebalance dates.
    returns
        Simple returns (daily or per period), sorted unique dates x tickers,
        NaN where a name has no return. A selected ticker absent from the
        columns has no history and is dropped by ``min_obs``.
    type
        ``"long_short"``: long the top bucket, short the bottom bucket, each
        leg summing to 1 in absolute value. ``"long_only"``: the top bucket,
        summing to 1.
    quantiles
        Number of equal-count buckets (>= 2); ignored when ``top_k`` is given.
    top_k
        Hold the ``k`` best names (and, for ``long_short``, short the ``k``
        worst) instead of a bucket.
    lookback
        Rows of ``returns`` in the estimation window (>= 2): the last
        ``lookback`` rows dated on or before the rebalance date.
    min_obs
        A selected name needs at least this many non-missing returns in the
        window to be optimized (``2 <= min_obs <= lookback``).
    max_weight
        Upper bound on ``|w_i|`` (each leg sums to 1, so also the share of
        the leg); ``None`` for no bound beyond the budget.
    objective
        ``"min_variance"``, the only objective so far.

    Returns
    -------
    Portfolio
        Weights (dates x tickers, 0 where not held), the ``binding`` table
        with columns :data:`OPTIMIZE_BINDING_COLUMNS`, and the settings.

    Raises
    ------
    InsufficientDataError
        A date with fewer scored names than ``quantiles`` (or the ``top_k``
        names needed), as in :func:`construct`.
    DataError
        Malformed scores, returns or options.

    Notes
    -----
    *What is optimized.* Each leg separately: among the leg's names with at
    least ``min_obs`` returns in the window, the weights solving

    .. math::

        \\min_w \\; w^\\top \\hat\\Sigma w \\quad \\text{s.t.} \\quad
        \\textstyle\\sum_i w_i = 1, \\; 0 \\le w_i \\le \\text{max\\_weight},

    where :math:`\\hat\\Sigma` is skfolio's default (empirical) covariance of
    the window's rows on which all those names have a return (complete
    cases; a name's missing return removes that row for the whole leg). The
    short leg is the same problem on the short names, negated, so its
    weights sum to -1: the least volatile short book, not a hedge of the
    long leg (covariances across legs are ignored). Expected returns play
    no part; the scores only select. The minimum-variance weights do not
    depend on the scale of :math:`\\hat\\Sigma`, so the choice of ``ddof``
    and of the return frequency does not matter.

    *Window.* The last ``lookback`` rows of ``returns`` dated ``<= t``,
    counted in rows of ``returns`` (not calendar days), whether or not the
    rebalance date itself is a row. Fewer rows than ``lookback`` (the start
    of the sample) are used as they are, subject to ``min_obs``.

    *Solver.* CLARABEL with :data:`SOLVER_PARAMS`, and skfolio's
    ``scale_objective`` set to ``1 / mean_i var(r_i)`` over the leg's names
    (sample variances of the window) so that the objective is of order 1
    whatever the return frequency; this changes the accuracy, not the
    optimum.

    *Solver output.* Weights below :data:`ZERO_WEIGHT` are set to 0 and
    weights are clipped to ``max_weight`` and rescaled to sum to 1 (changes
    of the order of the solver tolerance). ``max_weight_binding`` is true
    when a weight is within :data:`BIND_TOL` of ``max_weight``.

    *Fallback.* A date on which a leg cannot be optimized gets equal
    weights over the selected names of both legs (names without history
    included: equal weights need no estimate), i.e. exactly the weights of
    ``construct(..., weighting="equal")`` when the selection is feasible.
    This happens when no selected name of a leg has ``min_obs`` returns,
    when fewer than ``min_obs`` rows are complete for the kept names, when
    every kept name's return is constant over the window, when
    ``max_weight * n < 1`` for the ``n`` kept names (infeasible), when
    skfolio raises (a solver failure, or its check that no name has a zero
    variance), or when the solver's status is anything but ``"optimal"``.
    ``optimizer_status`` is ``"optimal"`` or ``"fallback: <leg> leg:
    <reason>"``; ``n_dropped_min_obs`` is 0 on such a date. If the whole
    selection has ``max_weight * n < 1``, the equal weights exceed
    ``max_weight`` (where :func:`construct` would raise
    :class:`ConstraintError`); one bad date never stops the others.

    *Other binding columns* are as in :func:`construct`, with no turnover
    cap (``turnover_cap_binding`` false, ``turnover == target_turnover``)
    and no ``min_weight`` (``n_dropped_min_weight`` 0).
    """
    _check_options(type, quantiles, top_k, "equal", None, 0.0, max_weight, None)
    _check_window(lookback, min_obs, objective)
    _check_scores(scores)
    _check_returns(returns)
    tickers = pd.Index(
        scores.index.get_level_values("ticker").unique().sort_values(), name="ticker"
    )
    dates = pd.Index(scores.index.get_level_values("date").unique(), name="date")
    out = np.zeros((len(dates), len(tickers)))
    rows: list[dict[str, object]] = []
    prev: np.ndarray | None = None
    for i, date in enumerate(dates):
        s = scores.xs(date, level="date").astype("float64").dropna()
        long_names, short_names = _legs(s, date, type, quantiles, top_k)
        window = returns.loc[returns.index <= date].iloc[-lookback:]
        target = pd.Series(0.0, index=tickers)
        status = OPTIMAL
        dropped = 0
        capped = False
        try:
            for names, side, leg in ((long_names, 1, "long"), (short_names, -1, "short")):
                if not len(names):
                    continue
                w, n_drop = _optimized_leg(window, names, min_obs, max_weight, leg)
                target.loc[w.index] = side * w
                dropped += n_drop
                capped |= max_weight is not None and bool((w >= max_weight - BIND_TOL).any())
        except _LegFailure as exc:
            status = f"{FALLBACK}: {exc}"
            target[:] = 0.0
            target.loc[long_names] = 1.0 / len(long_names)
            if len(short_names):
                target.loc[short_names] = -1.0 / len(short_names)
            dropped = 0
            capped = False
        t = target.to_numpy()
        turnover = float(np.abs(t - (0.0 if prev is None else prev)).sum())
        out[i] = t
        prev = t
        rows.append(
            {
                "max_weight_binding": capped,
                "turnover_cap_binding": False,
                "n_long": int((t > 0).sum()),
                "n_short": int((t < 0).sum()),
                "n_dropped_min_weight": 0,
                "gross": float(np.abs(t).sum()),
                "net": float(t.sum()),
                "target_turnover": turnover,
                "turnover": turnover,
                "optimizer_status": status,
                "n_dropped_min_obs": dropped,
            }
        )
    weights = pd.DataFrame(out, index=dates, columns=tickers)
    binding = pd.DataFrame(rows, index=dates, columns=list(OPTIMIZE_BINDING_COLUMNS))
    settings: dict[str, object] = {
        "type": type,
        "quantiles": quantiles,
        "top_k": top_k,
        "objective": objective,
        "lookback": lookback,
        "min_obs": min_obs,
        "max_weight": max_weight,
    }
    return Portfolio(weights=weights, binding=binding, settings=settings)
