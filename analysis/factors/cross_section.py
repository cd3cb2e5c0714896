"""The cross-sectional factor matrix: rebalance dates, labels and price factors.

A *factor matrix* is a DataFrame indexed by the MultiIndex ``("date", "ticker")``
(sorted, unique) with one float column per factor; the *label* is a Series on
the same index named ``label``. Every value at a rebalance date ``t`` uses
prices up to ``t`` only, except the label, which is the return realized over
the next period (it is what a model predicts).

Conventions
-----------
* The universe at a rebalance date ``t`` is the set of tickers with a price at
  ``t``: the factor matrix and the labels have one row per such
  ``(t, ticker)``, and no row for a ticker without a price at ``t`` (not yet
  listed, suspended or delisted). A factor that lacks history is NaN, never
  filled; filling is a preprocessing choice (:mod:`analysis.factors.preprocess`).
* Prices are positive floats, NaN where the ticker did not trade. A wide
  frame of period *returns* (a panel) is turned into a price index with
  ``cumprod(1 + r)`` per ticker (pandas skips NaN: the index is NaN where the
  return is, and the chain continues after it as if the missing period had
  returned 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal, cast

import numpy as np
import pandas as pd

from analysis.data.base import FREQUENCIES, Frequency
from analysis.errors import DataError

RebalanceRule = Literal["monthly", "weekly"]
LabelTransform = Literal["raw", "demean", "rank"]
Factor = Literal["momentum", "reversal", "volatility", "beta"]

BUILTIN_FACTORS: tuple[Factor, ...] = ("momentum", "reversal", "volatility", "beta")
"""Factors :func:`price_factors` computes from prices alone."""

REBALANCE_RULES: tuple[RebalanceRule, ...] = ("monthly", "weekly")
LABEL_TRANSFORMS: tuple[LabelTransform, ...] = ("raw", "demean", "rank")

MIN_FRACTION = 0.8
"""Share of a window's observations a volatility or beta estimate needs."""

VOLATILITY_WINDOW: Mapping[Frequency, tuple[int, int]] = {
    "daily": (126, math.ceil(MIN_FRACTION * 126)),
    "weekly": (26, math.ceil(MIN_FRACTION * 26)),
    "monthly": (6, math.ceil(MIN_FRACTION * 6)),
}
"""``(window, minimum observations)`` of log returns for ``volatility`` (about six months)."""

BETA_WINDOW: Mapping[Frequency, tuple[int, int]] = {
    "daily": (252, math.ceil(MIN_FRACTION * 252)),
    "weekly": (52, math.ceil(MIN_FRACTION * 52)),
    # Twelve monthly returns are too few for a beta: use three years, at least two.
    "monthly": (36, 24),
}
"""``(window, minimum paired observations)`` of simple returns for ``beta``."""

_PERIOD_RULES: Mapping[RebalanceRule, str] = {"monthly": "M", "weekly": "W-FRI"}


def rebalance_dates(index: pd.DatetimeIndex, rule: RebalanceRule) -> pd.DatetimeIndex:
    """The last date of ``index`` in each calendar month or each ``W-FRI`` week.

    Parameters
    ----------
    index
        Dates of the data (need not be sorted; duplicates are ignored).
    rule
        ``"monthly"`` (calendar months) or ``"weekly"`` (weeks ending on Friday).

    Returns
    -------
    DatetimeIndex
        Sorted dates named ``date``, each present in ``index``.

    Notes
    -----
    These are actual dates of the data, not calendar period ends: a month
    whose last trading day is the 29th is represented by the 29th. The last,
    possibly incomplete, period is represented by its last date too.
    """
    if rule not in REBALANCE_RULES:
        raise DataError(f"rebalance rule must be one of {', '.join(REBALANCE_RULES)}; got {rule!r}")
    idx = pd.DatetimeIndex(index)
    if idx.hasnans:
        raise DataError("rebalance_dates: the index has missing dates (NaT)")
    idx = idx.unique().sort_values()
    if len(idx) == 0:
        return pd.DatetimeIndex([], name="date")
    periods = idx.to_period(_PERIOD_RULES[rule])
    last = pd.Series(idx, index=periods).groupby(level=0).max()
    return pd.DatetimeIndex(last.to_numpy(), name="date")


def forward_returns(prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.Series:
    """The label: each ticker's simple return from one rebalance date to the next.

    Parameters
    ----------
    prices
        Wide prices (date x ticker), NaN where a ticker has no price.
    dates
        Rebalance dates, sorted and present in ``prices.index``.

    Returns
    -------
    Series
        Named ``label`` on the MultiIndex ``(date, ticker)``, one row per
        ticker with a price at the date.

    Notes
    -----
    ``label(t_i) = P(t_{i+1}) / P(t_i) - 1``. It is NaN when the price at
    ``t_{i+1}`` is missing, in particular for a stock that delists before
    ``t_{i+1}`` (its last return is not known from prices alone), and on the
    last date, which has no next date.
    """
    px = _check_prices(prices, what="prices")
    pos = _date_positions(px.index, dates)
    at = px.iloc[pos]
    nxt = at.shift(-1)
    label = nxt / at - 1.0
    return _stack({"label": label}, at.notna())["label"]


def forward_returns_from_returns(returns: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.Series:
    """The label from period returns: compounded returns between rebalance dates.

    Parameters
    ----------
    returns
        Wide simple returns (date x ticker); the return at ``d`` is that of the
        period ending at ``d``.
    dates
        Rebalance dates, sorted and present in ``returns.index``.

    Returns
    -------
    Series
        Named ``label`` on the MultiIndex ``(date, ticker)``, one row per
        ticker with a return at the date.

    Notes
    -----
    ``label(t_i) = prod_{t_i < d <= t_{i+1}} (1 + r_d) - 1``; NaN when any of
    those returns is missing (a delisting inside the period), and on the last
    date.
    """
    rets = _check_returns(returns, what="returns")
    pos = _date_positions(rets.index, dates)
    n = len(rets)
    # Row j belongs to the period (t_i, t_{i+1}] with i = group[j].
    group = np.searchsorted(pos, np.arange(n), side="left") - 1
    keep = (group >= 0) & (group < len(pos) - 1)
    inside = rets.iloc[keep]
    groups = group[keep]
    growth = (1.0 + inside).groupby(groups).prod()
    incomplete = inside.isna().groupby(groups).any()
    compounded = (growth.where(~incomplete) - 1.0).reindex(range(len(pos)))
    compounded.index = rets.index[pos]
    at = rets.iloc[pos]
    return _stack({"label": compounded}, at.notna())["label"]


def transform_label(label: pd.Series, how: LabelTransform) -> pd.Series:
    """The label as raw returns, demeaned per date, or percentile-ranked per date.

    Parameters
    ----------
    label
        Series on the MultiIndex ``(date, ticker)``.
    how
        ``"raw"`` (unchanged), ``"demean"`` (minus the date's mean) or
        ``"rank"`` (percentile rank in ``(0, 1]`` within the date, ties averaged).

    Notes
    -----
    NaN labels stay NaN and are left out of each date's mean and ranks.
    """
    if how not in LABEL_TRANSFORMS:
        raise DataError(
            f"label transform must be one of {', '.join(LABEL_TRANSFORMS)}; got {how!r}"
        )
    _check_multiindex(label.index, what="label")
    values = label.astype("float64")
    by_date = values.groupby(level="date")
    if how == "raw":
        out = values.copy()
    elif how == "demean":
        out = values - by_date.transform("mean")
    else:
        out = by_date.rank(method="average", pct=True)
    return out.rename("label")


def price_factors(
    prices: pd.DataFrame,
    dates: pd.DatetimeIndex,
    factors: Sequence[str] = BUILTIN_FACTORS,
    *,
    benchmark: pd.Series | None = None,
    frequency: Frequency = "daily",
) -> pd.DataFrame:
    """Momentum, reversal, volatility and beta at each rebalance date.

    Parameters
    ----------
    prices
        Wide prices (date x ticker), positive, NaN where a ticker has no price.
    dates
        Rebalance dates, sorted and present in ``prices.index``.
    factors
        Names from :data:`BUILTIN_FACTORS`, in the order of the output columns.
    benchmark
        Benchmark prices on the same calendar (dates not in ``prices`` are
        ignored). Used by ``beta`` only.
    frequency
        Spacing of ``prices``: ``"daily"``, or ``"weekly"`` / ``"monthly"``
        period ends (a panel's dates).

    Returns
    -------
    DataFrame
        Indexed by ``(date, ticker)``, one row per ticker with a price at the
        date, one float column per factor; NaN where there is too little history.

    Notes
    -----
    Write ``P_as_of(b)`` for the ticker's last price at or before ``b``, and
    ``b_k(t)`` for the boundary ``k`` months before ``t``:

    * daily and weekly data: ``b_k(t) = t - k`` calendar months (pandas
      ``DateOffset(months=k)``: same day of the month, clipped to the
      month's length, so 31 March minus one month is 28/29 February);
    * monthly data: the end of the calendar month ``k`` months before ``t``'s
      month, so the row of that month is used whatever its day.

    With those:

    * ``momentum = P_as_of(b_1) / P_as_of(b_12) - 1`` (months t-12 to t-1,
      skipping the last month);
    * ``reversal = P(t) / P_as_of(b_1) - 1`` (last month's return);
    * ``volatility``: sample standard deviation (ddof 1), not annualized, of
      the log returns ``ln(P_d / P_{d-1})`` between consecutive rows of the
      last 126 rows ending at ``t`` for daily data (26 for weekly, 6 for
      monthly), needing at least 80% of them (101, 21, 5); a return next to a
      missing price is missing;
    * ``beta``: OLS slope (with intercept) of the ticker's simple returns on
      the benchmark's over the last 252 rows (52 weekly; 36 monthly), using
      the rows where both are present and needing at least 202 (42; 24) of
      them. Without a benchmark the benchmark is the equal-weight return of
      every ticker with a return that day (the ticker itself included).

    A momentum or reversal boundary before the first row, or before the
    ticker's first price, gives NaN. All windows count rows of ``prices``,
    so a window reaching back before the first row is short and counts the
    absent rows as missing.
    """
    px = _check_prices(prices, what="prices")
    pos = _date_positions(px.index, dates)
    wanted = _check_factors(factors)
    freq = _check_frequency(frequency)
    at = px.iloc[pos]
    stamps = pd.DatetimeIndex(px.index[pos])
    out: dict[str, pd.DataFrame] = {}

    if "momentum" in wanted or "reversal" in wanted:
        filled = px.ffill()
        one = _as_of(filled, _boundaries(stamps, 1, freq), stamps)
        if "momentum" in wanted:
            twelve = _as_of(filled, _boundaries(stamps, 12, freq), stamps)
            out["momentum"] = one / twelve - 1.0
        if "reversal" in wanted:
            out["reversal"] = at / one - 1.0

    if "volatility" in wanted:
        window, min_obs = VOLATILITY_WINDOW[freq]
        log_returns = np.log(px).diff()
        vol = log_returns.rolling(window, min_periods=min_obs).std(ddof=1)
        out["volatility"] = vol.iloc[pos]

    if "beta" in wanted:
        simple = px.pct_change(fill_method=None)
        if benchmark is None:
            market = simple.mean(axis=1)
        else:
            bench = _check_benchmark(benchmark, px.index)
            market = bench.pct_change(fill_method=None)
        out["beta"] = _rolling_beta(simple, market, *BETA_WINDOW[freq]).iloc[pos]

    frames = {f: out[f].set_axis(stamps, axis=0) for f in wanted}
    return _stack(frames, at.notna().set_axis(stamps, axis=0))


def panel_price_factors(
    returns: pd.DataFrame,
    dates: pd.DatetimeIndex,
    factors: Sequence[str] = BUILTIN_FACTORS,
    benchmark: pd.Series | None = None,
    *,
    frequency: Frequency | None = None,
) -> pd.DataFrame:
    """:func:`price_factors` from a wide panel of period returns.

    Parameters
    ----------
    returns
        Wide simple returns (date x ticker) of the periods ending at each date.
    dates
        Rebalance dates, sorted and present in ``returns.index``.
    factors
        Names from :data:`BUILTIN_FACTORS`.
    benchmark
        Benchmark period *returns* on the same calendar, or ``None`` for the
        equal-weight universe.
    frequency
        Spacing of the panel; ``None`` infers it from the median gap between
        dates (up to 4 days daily, 5-10 weekly, 25-35 monthly).

    Notes
    -----
    Each ticker's price index is ``cumprod(1 + r)`` (NaN where the return is
    missing), the benchmark's likewise; then the rules of
    :func:`price_factors` apply, so a ticker is in the universe at ``t`` when
    it has a return at ``t``. The index starts at ``1 + r`` of the first
    return, so that first return itself does not enter volatility or beta.
    """
    rets = _check_returns(returns, what="returns")
    freq = _infer_frequency(pd.DatetimeIndex(rets.index)) if frequency is None else frequency
    bench = None
    if benchmark is not None:
        checked = _check_returns(benchmark.to_frame(name="benchmark"), what="benchmark returns")
        bench = _price_index(checked)["benchmark"]
    return price_factors(_price_index(rets), dates, factors, benchmark=bench, frequency=freq)


def _price_index(returns: pd.DataFrame) -> pd.DataFrame:
    return (1.0 + returns).cumprod()


def _rolling_beta(
    returns: pd.DataFrame, market: pd.Series, window: int, min_obs: int
) -> pd.DataFrame:
    """Slope of each column on ``market`` over trailing windows of pairwise-complete rows."""
    stock = returns.where(market.notna(), axis=0)
    bench = pd.DataFrame(
        np.broadcast_to(market.to_numpy()[:, None], returns.shape),
        index=returns.index,
        columns=returns.columns,
    ).where(returns.notna())
    cov = stock.rolling(window, min_periods=min_obs).cov(bench, pairwise=False)
    var = bench.rolling(window, min_periods=min_obs).var()
    # A benchmark constant over the window has no slope; rounding leaves var at ~1e-20.
    return cov / var.where(var > 1e-14)


def _boundaries(dates: pd.DatetimeIndex, months: int, frequency: Frequency) -> pd.DatetimeIndex:
    """Exclusive upper bound of the rows that count as ``months`` months before each date."""
    if frequency == "monthly":
        # First instant of the month after month(t) - k: rows strictly before it.
        return pd.DatetimeIndex((dates.to_period("M") - months + 1).to_timestamp())
    # t - k months is itself allowed: the next day is the exclusive bound (dates carry no time).
    return pd.DatetimeIndex(dates - pd.DateOffset(months=months)).normalize() + pd.Timedelta(days=1)


def _as_of(
    filled: pd.DataFrame, bounds: pd.DatetimeIndex, stamps: pd.DatetimeIndex
) -> pd.DataFrame:
    """Rows of the forward-filled ``filled`` at the last date strictly before each bound,
    labelled by the rebalance dates ``stamps`` the bounds belong to."""
    rows = filled.index.searchsorted(bounds, side="left") - 1
    values = filled.to_numpy()[np.clip(rows, 0, None)].copy()
    values[rows < 0] = np.nan
    return pd.DataFrame(values, index=stamps, columns=filled.columns)


def _stack(frames: Mapping[str, pd.DataFrame], universe: pd.DataFrame) -> pd.DataFrame:
    """Long ``(date, ticker)`` frame of the cells where ``universe`` is true."""
    mask = universe.to_numpy(dtype=bool)
    rows, cols = np.nonzero(mask)
    index = pd.MultiIndex.from_arrays(
        [pd.DatetimeIndex(universe.index)[rows], universe.columns[cols]], names=["date", "ticker"]
    )
    data = {
        name: np.asarray(frame.to_numpy(dtype="float64"))[rows, cols]
        for name, frame in frames.items()
    }
    return pd.DataFrame(data, index=index, columns=list(frames))


def _check_multiindex(index: pd.Index, *, what: str) -> None:
    if not isinstance(index, pd.MultiIndex) or list(index.names) != ["date", "ticker"]:
        raise DataError(f"{what} must be indexed by a MultiIndex named ('date', 'ticker')")


def _check_wide(frame: pd.DataFrame, *, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a wide DataFrame (date x ticker); got {type(frame)}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{what} must have a DatetimeIndex; got {type(frame.index).__name__}")
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise DataError(f"{what}: dates must be sorted and unique")
    if frame.columns.has_duplicates:
        dups = frame.columns[frame.columns.duplicated()].unique()
        raise DataError(f"{what}: ticker(s) {', '.join(map(str, dups[:5]))} appear more than once")
    try:
        values = frame.astype("float64")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what}: values must be numbers ({exc})") from exc
    values.index = frame.index.rename("date")
    return values.sort_index(axis=1)


def _first_bad(frame: pd.DataFrame, bad: np.ndarray, *, what: str, rule: str) -> None:
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise DataError(
            f"{what}: {frame.columns[c]} on {frame.index[r]:%Y-%m-%d} is "
            f"{float(frame.iat[r, c])!r}; {rule} ({int(bad.sum())} such values)"
        )


def _check_prices(prices: pd.DataFrame, *, what: str) -> pd.DataFrame:
    px = _check_wide(prices, what=what)
    values = px.to_numpy()
    _first_bad(px, ~np.isnan(values) & ~(values > 0), what=what, rule="prices must be > 0")
    _first_bad(px, np.isinf(values), what=what, rule="prices must be finite")
    return px


def _check_returns(returns: pd.DataFrame, *, what: str) -> pd.DataFrame:
    rets = _check_wide(returns, what=what)
    values = rets.to_numpy()
    _first_bad(rets, ~np.isnan(values) & ~(values > -1), what=what, rule="returns must be > -1")
    _first_bad(rets, np.isinf(values), what=what, rule="returns must be finite")
    return rets


def _check_benchmark(benchmark: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    if not isinstance(benchmark, pd.Series) or not isinstance(benchmark.index, pd.DatetimeIndex):
        raise DataError("benchmark must be a Series of prices indexed by date")
    bench = benchmark[~benchmark.index.duplicated(keep="last")].astype("float64")
    bench = bench.reindex(index)
    checked = _check_prices(
        bench.to_frame(name=str(benchmark.name or "benchmark")), what="benchmark"
    )
    return checked.iloc[:, 0]


def _date_positions(index: pd.Index, dates: pd.DatetimeIndex) -> np.ndarray:
    """Row positions of ``dates`` in ``index``; the dates must be sorted, unique and present."""
    when = pd.DatetimeIndex(dates)
    if len(when) == 0:
        raise DataError("no rebalance dates were given")
    if not when.is_monotonic_increasing or when.has_duplicates:
        raise DataError("rebalance dates must be sorted and unique")
    pos = pd.Index(index).get_indexer(when)
    if (pos < 0).any():
        missing = when[pos < 0]
        raise DataError(
            f"rebalance date(s) {', '.join(f'{d:%Y-%m-%d}' for d in missing[:5])} are not dates "
            "of the data; use dates the data has (see rebalance_dates)"
        )
    return cast(np.ndarray, pos)


def _check_factors(factors: Sequence[str]) -> list[str]:
    if isinstance(factors, str):
        factors = [factors]
    unknown = [f for f in factors if f not in BUILTIN_FACTORS]
    if unknown:
        raise DataError(
            f"unknown price factor(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(BUILTIN_FACTORS)}"
        )
    if not factors:
        raise DataError(f"no price factor requested; choose from {', '.join(BUILTIN_FACTORS)}")
    return list(dict.fromkeys(factors))


def _check_frequency(frequency: str) -> Frequency:
    if frequency not in FREQUENCIES:
        raise DataError(f"frequency must be one of {', '.join(FREQUENCIES)}; got {frequency!r}")
    return cast(Frequency, frequency)


_GAP_DAYS: Mapping[Frequency, tuple[float, float]] = {
    "daily": (0.5, 4),
    "weekly": (5, 10),
    "monthly": (25, 35),
}


def _infer_frequency(index: pd.DatetimeIndex) -> Frequency:
    if len(index) < 2:
        raise DataError("cannot infer the frequency of fewer than two dates; pass frequency=")
    gap = float(np.median(np.diff(index.to_numpy()).astype("timedelta64[s]").astype(float)))
    gap /= 86400
    for freq, (low, high) in _GAP_DAYS.items():
        if low <= gap <= high:
            return freq
    raise DataError(
        f"dates are a median {gap:.1f} day(s) apart, which is not daily, weekly or monthly; "
        "pass frequency="
    )


SHARES_MAX_AGE = pd.Timedelta(days=400)
"""Oldest share count :func:`size_factor` uses: about a year of quarterly reports plus slack."""


def size_factor(
    prices: pd.DataFrame, shares: pd.DataFrame, dates: pd.DatetimeIndex
) -> pd.DataFrame:
    """Log market capitalization at each rebalance date.

    Parameters
    ----------
    prices
        Wide prices (date x ticker), positive, NaN where a ticker has no price.
    shares
        Wide shares outstanding (date x ticker) on the dates they were
        reported, positive, NaN where nothing was reported (e.g.
        :attr:`analysis.data.yahoo.SharesBatch.shares`). Its dates need not
        be those of ``prices``; tickers absent from it get NaN.
    dates
        Rebalance dates, sorted and present in ``prices.index``.

    Returns
    -------
    DataFrame
        Indexed by ``(date, ticker)``, one row per ticker with a price at the
        date, one float column ``size``; NaN where the share count is unknown.

    Raises
    ------
    DataError
        A price or share count that is not positive and finite, unsorted or
        duplicated dates or tickers, or a rebalance date not in ``prices``.

    Notes
    -----
    ``size(t) = ln(P(t) * S_as_of(t))`` where ``P(t)`` is the price on the
    rebalance date and ``S_as_of(t)`` the last share count reported at or
    before ``t`` (a report dated after ``t`` is never used), provided it was
    reported at most :data:`SHARES_MAX_AGE` (400 calendar days) before ``t``;
    an older count is treated as missing rather than carried on for ever.

    The capitalization uses the price series given. With Yahoo's adjusted
    closes it is the current-share-basis value scaled by the dividend
    adjustment factor, and a split between the share report and ``t`` moves
    price and share count apart until the next report; both effects are
    small next to the cross-sectional spread of log size.
    """
    px = _check_prices(prices, what="prices")
    pos = _date_positions(px.index, dates)
    counts = _check_wide(shares, what="shares")
    if counts.index.tz is not None or px.index.tz is not None:
        raise DataError(
            "size_factor: prices and shares must have tz-naive dates (calendar dates of the "
            f"exchange); got {px.index.tz} and {counts.index.tz}"
        )
    values = counts.to_numpy()
    _first_bad(
        counts, ~np.isnan(values) & ~(values > 0), what="shares", rule="share counts must be > 0"
    )
    _first_bad(counts, np.isinf(values), what="shares", rule="share counts must be finite")

    stamps = pd.DatetimeIndex(px.index[pos])
    at = px.iloc[pos].set_axis(stamps, axis=0)
    as_of = pd.DataFrame(np.nan, index=stamps, columns=px.columns)
    for ticker in px.columns.intersection(counts.columns):
        reported = counts[ticker].dropna()
        if reported.empty:
            continue
        when = pd.DatetimeIndex(reported.index)
        rows = when.searchsorted(stamps, side="right") - 1
        found = rows >= 0
        latest = np.where(found, rows, 0)
        fresh = found & ((stamps - when[latest]) <= SHARES_MAX_AGE)
        as_of[ticker] = np.where(fresh, reported.to_numpy()[latest], np.nan)

    size = np.log(at * as_of)
    return _stack({"size": size}, at.notna())
