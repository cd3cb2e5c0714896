"""Portfolio construction: from cross-sectional scores to target weights under constraints.

Timing
------
The score of ``(t, ticker)`` uses information up to rebalance date ``t``;
the weights built from it are set at the close of ``t``. Weights at ``t``
depend on the scores at ``t`` and on the (capped) weights of the previous
rebalance date only, so nothing here looks ahead.

Steps, per rebalance date
-------------------------
1. Select the legs: names are ranked by score (``rank(method="first")``:
   tied scores are ordered by their position in the index, i.e. by
   ticker) and cut into ``quantiles`` equal-count buckets with
   :func:`pandas.qcut` on the ranks, as alphalens does. Long = top bucket,
   short = bottom bucket (``long_short`` only). With ``top_k`` the legs are
   the ``k`` best (and ``k`` worst) names instead.
2. Weight each leg (see :func:`construct`), each leg summing to 1 in
   absolute value: the long leg to ``+1``, the short leg to ``-1``.
3. ``min_weight``: names whose weight in the leg is below it are dropped
   and the leg is renormalized (once: renormalizing only raises weights).
4. ``max_weight``: weights above it are capped and the excess is handed to
   the uncapped names in proportion to their weights, repeatedly, until no
   weight exceeds the cap (water-filling).
5. ``max_turnover``: see :func:`construct`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, DataError, InsufficientDataError

PortfolioType = Literal["long_short", "long_only"]
Weighting = Literal["equal", "score", "inverse_volatility"]
PORTFOLIO_TYPES: tuple[PortfolioType, ...] = ("long_short", "long_only")
WEIGHTINGS: tuple[Weighting, ...] = ("equal", "score", "inverse_volatility")

BINDING_COLUMNS: tuple[str, ...] = (
    "max_weight_binding",
    "turnover_cap_binding",
    "n_long",
    "n_short",
    "n_dropped_min_weight",
    "gross",
    "net",
    "target_turnover",
    "turnover",
)
"""Columns of :attr:`Portfolio.binding`, in order."""

_TOL = 1e-12
"""Slack for comparing weights against their bounds (sums of a few hundred O(1) numbers)."""


class ConstraintError(AnalysisError):
    """Portfolio constraints that cannot all be met (e.g. ``max_weight * n < 1``)."""


def _day(date: object) -> str:
    return str(date.date()) if isinstance(date, pd.Timestamp) else str(date)


@dataclass(frozen=True)
class Portfolio:
    """Target weights per rebalance date and which constraints bound them.

    Attributes
    ----------
    weights
        Rebalance dates (index ``date``) x tickers (columns ``ticker``):
        target weights, 0 where not held.
    binding
        One row per rebalance date, columns :data:`BINDING_COLUMNS`:
        ``max_weight_binding`` (a name was capped in either leg),
        ``turnover_cap_binding`` (the trade was scaled down),
        ``n_long`` / ``n_short`` (names with a positive / negative weight),
        ``n_dropped_min_weight`` (names removed by ``min_weight``),
        ``gross`` (``Σ|w|``), ``net`` (``Σ w``), ``target_turnover``
        (``Σ|w_target - w_prev|`` before the cap) and ``turnover`` (after it).
    settings
        The construction arguments, for the record.
    """

    weights: pd.DataFrame
    binding: pd.DataFrame
    settings: dict[str, object]

    def summary(self) -> str:
        """Plain-text summary: settings, average breadth, exposure, turnover, binding shares."""
        b = self.binding
        opts = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        lines = [
            f"Portfolio: {len(b)} rebalance dates"
            + (f" from {_day(b.index[0])} to {_day(b.index[-1])}" if len(b) else ""),
            f"Settings: {opts}",
        ]
        if len(b):
            # the first rebalance buys the whole book; it is not a turnover of the strategy
            later = b["turnover"].iloc[1:]
            lines += [
                f"Names: {b['n_long'].mean():.1f} long, {b['n_short'].mean():.1f} short on average",
                f"Gross {b['gross'].mean():.3f}, net {b['net'].mean():.3f} on average",
                f"Turnover per rebalance after the first: {later.mean():.3f}"
                if len(later)
                else "Turnover: one rebalance only",
                f"max_weight binding on {b['max_weight_binding'].mean():.0%} of dates, "
                f"turnover cap on {b['turnover_cap_binding'].mean():.0%}",
            ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _check_scores(scores: pd.Series) -> None:
    idx = scores.index
    if not isinstance(idx, pd.MultiIndex) or list(idx.names) != ["date", "ticker"]:
        raise DataError(
            "scores must be indexed by a MultiIndex named ('date', 'ticker'); got index names "
            f"{list(idx.names)}"
        )
    if not (idx.is_unique and idx.is_monotonic_increasing):
        raise DataError("scores' (date, ticker) index must be sorted and unique")
    bad = np.isinf(scores.to_numpy(dtype="float64"))
    if bad.any():
        d, t = idx[int(np.argmax(bad))]
        raise DataError(f"score of {t} on {_day(d)} is infinite; scores must be finite or NaN")


def _legs(
    s: pd.Series, date: object, kind: PortfolioType, quantiles: int, top_k: int | None
) -> tuple[pd.Index, pd.Index]:
    """Long and short tickers of one date (``s``: the date's finite scores, by ticker)."""
    n = len(s)
    if top_k is not None:
        need = top_k if kind == "long_only" else 2 * top_k
        if n < need:
            raise InsufficientDataError(
                f"{_day(date)}: {n} names have a score, {kind} with top_k={top_k} needs {need}"
            )
        order = s.rank(method="first")
        return s.index[order > n - top_k], (
            s.index[order <= top_k] if kind == "long_short" else s.index[:0]
        )
    if n < quantiles:
        raise InsufficientDataError(
            f"{_day(date)}: {n} names have a score, fewer than quantiles={quantiles}"
        )
    bucket = pd.qcut(s.rank(method="first"), quantiles, labels=False) + 1
    long = s.index[(bucket == quantiles).to_numpy()]
    short = s.index[(bucket == 1).to_numpy()] if kind == "long_short" else s.index[:0]
    return long, short


def _raw_weights(
    names: pd.Index,
    s: pd.Series,
    vol: pd.Series | None,
    weighting: Weighting,
    side: int,
    date: object,
) -> np.ndarray:
    """Positive, unnormalized weights of one leg (``side`` +1 long, -1 short)."""
    if weighting == "equal":
        return np.ones(len(names))
    if weighting == "score":
        # distance from the opposite extreme of the date's cross-section
        x = s.loc[names].to_numpy()
        raw = x - s.min() if side > 0 else s.max() - x
        return raw if raw.sum() > 0 else np.ones(len(names))
    assert vol is not None
    v = vol.reindex(names).to_numpy(dtype="float64")
    bad = ~(np.isfinite(v) & (v > 0))
    if bad.any():
        t = names[int(np.argmax(bad))]
        raise DataError(
            f"volatility of {t} on {_day(date)} is {float(v[bad][0])!r}; inverse_volatility "
            "weighting needs a finite volatility > 0 for every selected name"
        )
    return 1.0 / v


def water_fill(w: np.ndarray, cap: float) -> tuple[np.ndarray, bool]:
    """Cap weights summing to 1 at ``cap``, moving the excess to the uncapped names pro rata.

    Returns the capped weights (still summing to 1) and whether the cap bound.
    The caller guarantees ``cap * len(w) >= 1``.
    """
    w = w.copy()
    capped = np.zeros(len(w), dtype=bool)
    while True:
        over = (w > cap + _TOL) & ~capped
        if not over.any():
            return w, bool(capped.any())
        capped |= over
        w[capped] = cap
        free = ~capped
        room = 1.0 - cap * capped.sum()
        base = w[free].sum()
        if base > 0:
            w[free] *= room / base
        else:
            w[free] = room / free.sum()


def _leg(
    names: pd.Index,
    s: pd.Series,
    vol: pd.Series | None,
    weighting: Weighting,
    side: int,
    date: object,
    min_weight: float,
    max_weight: float | None,
) -> tuple[pd.Series, bool, int]:
    """One leg's signed weights, whether ``max_weight`` bound, and names dropped by min_weight."""
    raw = _raw_weights(names, s, vol, weighting, side, date)
    w = raw / raw.sum()
    keep = w >= min_weight - _TOL
    if not keep.any():
        raise ConstraintError(
            f"{_day(date)}: every one of the {len(names)} names of the "
            f"{'long' if side > 0 else 'short'} leg weighs less than min_weight={min_weight}"
        )
    dropped = int((~keep).sum())
    names, w = names[keep], w[keep] / w[keep].sum()
    bound = False
    if max_weight is not None:
        if max_weight * len(names) < 1.0 - _TOL:
            raise ConstraintError(
                f"{_day(date)}: the {'long' if side > 0 else 'short'} leg has {len(names)} names; "
                f"max_weight={max_weight} allows at most {max_weight * len(names):.4g} of the "
                "required 1. Raise max_weight above 1/n or select more names."
            )
        w, bound = water_fill(w, max_weight)
    return pd.Series(side * w, index=names), bound, dropped


def _check_options(
    kind: str,
    quantiles: int,
    top_k: int | None,
    weighting: str,
    volatility: pd.Series | None,
    min_weight: float,
    max_weight: float | None,
    max_turnover: float | None,
) -> None:
    if kind not in PORTFOLIO_TYPES:
        raise DataError(f"type must be one of {', '.join(PORTFOLIO_TYPES)}; got {kind!r}")
    if weighting not in WEIGHTINGS:
        raise DataError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    if not (isinstance(quantiles, int) and quantiles >= 2):
        raise DataError(f"quantiles must be an integer >= 2; got {quantiles!r}")
    if top_k is not None and not (isinstance(top_k, int) and top_k >= 1):
        raise DataError(f"top_k must be an integer >= 1 or None; got {top_k!r}")
    if weighting == "inverse_volatility" and volatility is None:
        raise DataError("weighting='inverse_volatility' needs the volatility series")
    if not (math.isfinite(min_weight) and 0.0 <= min_weight < 1.0):
        raise DataError(f"min_weight must be a number in [0, 1); got {min_weight!r}")
    if max_weight is not None and not (math.isfinite(max_weight) and 0.0 < max_weight <= 1.0):
        raise DataError(f"max_weight must be a number in (0, 1] or None; got {max_weight!r}")
    if max_weight is not None and min_weight > max_weight:
        raise DataError(f"min_weight={min_weight} must not exceed max_weight={max_weight}")
    if max_turnover is not None and not (math.isfinite(max_turnover) and max_turnover > 0):
        raise DataError(f"max_turnover must be a number > 0 or None; got {max_turnover!r}")


def construct(
    scores: pd.Series,
    *,
    type: PortfolioType,
    quantiles: int = 5,
    top_k: int | None = None,
    weighting: Weighting = "equal",
    volatility: pd.Series | None = None,
    min_weight: float = 0.0,
    max_weight: float | None = None,
    max_turnover: float | None = None,
) -> Portfolio:
    """Target weights per rebalance date from cross-sectional scores.

    Parameters
    ----------
    scores
        ``model_score`` on a sorted, unique ``(date, ticker)`` MultiIndex;
        higher means expected to do better. NaN scores are left out of that
        date's cross-section.
    type
        ``"long_short"``: long the top bucket, short the bottom bucket, each
        leg summing to 1 in absolute value (dollar neutral, gross 2).
        ``"long_only"``: the top bucket, summing to 1.
    quantiles
        Number of equal-count buckets (>= 2); ignored when ``top_k`` is given.
    top_k
        Hold the ``k`` best names (and, for ``long_short``, short the ``k``
        worst) instead of a bucket.
    weighting
        Within each leg: ``"equal"``; ``"score"`` (long: ``∝ s_i - min_j s_j``,
        short: ``∝ max_j s_j - s_i``, the extreme taken over the date's whole
        cross-section); ``"inverse_volatility"`` (``∝ 1 / σ_i``).
    volatility
        ``σ_i`` on the same index as ``scores`` (e.g. trailing volatility
        known at ``t``); required for ``"inverse_volatility"``.
    min_weight
        Names whose weight within their leg is below this are dropped and
        the leg is renormalized.
    max_weight
        Upper bound on ``|w_i|`` (each leg sums to 1, so this is also the
        share of the leg); excess weight is redistributed by water-filling.
    max_turnover
        Upper bound on ``Σ_i |w_i,t - w_i,t-1|`` between consecutive
        rebalance dates (the first rebalance, building the book from cash,
        is exempt).

    Returns
    -------
    Portfolio
        Weights (dates x tickers, 0 where not held) and the ``binding`` table.

    Raises
    ------
    InsufficientDataError
        A date with fewer scored names than ``quantiles`` (or the ``top_k``
        names needed).
    ConstraintError
        ``max_weight * n < 1`` for a leg of ``n`` names, or ``min_weight``
        would empty a leg.
    DataError
        Malformed scores, options or volatilities.

    Notes
    -----
    *Score weighting* measures each name's distance from the opposite end
    of the date's cross-section, so every weight is positive unless the
    name's score ties that extreme (possible only when most of the
    cross-section shares one score; such a name gets weight 0). When all
    scores of the date are equal, the leg is equally weighted.

    *Turnover cap.* ``w_prev`` is the previous rebalance's final target
    weight (not the weight after drifting with returns). If
    ``τ = Σ|w_target - w_prev| > max_turnover``, the book moves a fraction
    ``λ = max_turnover / τ`` of the way: ``w = w_prev + λ (w_target - w_prev)``,
    so turnover equals the cap exactly. What still holds: the net exposure
    ``Σ w`` is the same convex combination of two equal nets (0 long-short,
    1 long-only), so it is unchanged; ``|w_i| <= max_weight`` still holds
    (a convex combination of two feasible weights); gross exposure is at
    most the combination of the two grosses, with equality unless a name
    changes sides (so a long-short book can have gross below 2 and legs
    that sum to ±1 only approximately). ``min_weight`` does not hold for
    names partly sold. A long-only book stays fully invested with gross 1.
    """
    _check_options(
        type, quantiles, top_k, weighting, volatility, min_weight, max_weight, max_turnover
    )
    _check_scores(scores)
    if volatility is not None and not volatility.index.equals(scores.index):
        volatility = volatility.reindex(scores.index)
    tickers = pd.Index(
        scores.index.get_level_values("ticker").unique().sort_values(), name="ticker"
    )
    dates = pd.Index(scores.index.get_level_values("date").unique(), name="date")
    out = np.zeros((len(dates), len(tickers)))
    rows: list[dict[str, object]] = []
    prev: np.ndarray | None = None
    for i, date in enumerate(dates):
        s = scores.xs(date, level="date").astype("float64").dropna()
        vol = None if volatility is None else volatility.xs(date, level="date")
        long_names, short_names = _legs(s, date, type, quantiles, top_k)
        target = pd.Series(0.0, index=tickers)
        capped = False
        dropped = 0
        for names, side in ((long_names, 1), (short_names, -1)):
            if not len(names):
                continue
            w, bound, n_drop = _leg(names, s, vol, weighting, side, date, min_weight, max_weight)
            target.loc[w.index] = w
            capped |= bound
            dropped += n_drop
        t = target.to_numpy()
        tau = float(np.abs(t - (0.0 if prev is None else prev)).sum())
        cap_binds = prev is not None and max_turnover is not None and tau > max_turnover
        if cap_binds:
            assert prev is not None and max_turnover is not None
            t = prev + (max_turnover / tau) * (t - prev)
        turnover = float(np.abs(t - (0.0 if prev is None else prev)).sum())
        out[i] = t
        prev = t
        rows.append(
            {
                "max_weight_binding": capped,
                "turnover_cap_binding": bool(cap_binds),
                "n_long": int((t > 0).sum()),
                "n_short": int((t < 0).sum()),
                "n_dropped_min_weight": dropped,
                "gross": float(np.abs(t).sum()),
                "net": float(t.sum()),
                "target_turnover": tau,
                "turnover": turnover,
            }
        )
    weights = pd.DataFrame(out, index=dates, columns=tickers)
    binding = pd.DataFrame(rows, index=dates, columns=list(BINDING_COLUMNS))
    settings: dict[str, object] = {
        "type": type,
        "quantiles": quantiles,
        "top_k": top_k,
        "weighting": weighting,
        "min_weight": min_weight,
        "max_weight": max_weight,
        "max_turnover": max_turnover,
    }
    return Portfolio(weights=weights, binding=binding, settings=settings)
