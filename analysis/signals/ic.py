"""Information coefficients: how well a score ranks next-period returns, date by date.

Conventions
-----------
* Scores, labels and forward returns are Series on a ``(date, ticker)``
  MultiIndex. Two series are joined on the rows they share, and a row with a
  missing value in either is left out of that date's correlation.
* The **IC** is the Pearson correlation of the scores and the label across the
  names of one date; the **Rank IC** is the Spearman correlation (the Pearson
  correlation of their ranks, ties sharing their average rank). alphalens'
  ``factor_information_coefficient`` is the Rank IC.
* A date with fewer than two usable names, or on which the scores or the
  label do not vary, has no IC: it is NaN in the per-date series, never
  dropped or filled, and left out of the summaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError, InsufficientDataError

CorrelationMethod = Literal["pearson", "spearman"]

PANEL_LEVELS = ("date", "ticker")
"""Names of the index levels of every panel series and frame."""

DEFAULT_HORIZONS = (1, 2, 3, 4, 5, 6)


def check_panel(obj: pd.Series | pd.DataFrame, what: str) -> None:
    """Raise unless ``obj`` is indexed by a unique ``(date, ticker)`` MultiIndex."""
    index = obj.index
    if not isinstance(index, pd.MultiIndex) or tuple(index.names) != PANEL_LEVELS:
        raise DataError(
            f"{what} must be indexed by a MultiIndex named ('date', 'ticker'); "
            f"got index names {list(index.names)}"
        )
    if not isinstance(index.levels[0], pd.DatetimeIndex):
        raise DataError(f"{what}: the 'date' level must hold dates; got {index.levels[0].dtype}")
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise DataError(f"{what} has duplicate rows, e.g. {dup}; each (date, ticker) once")


def _check_method(method: str) -> CorrelationMethod:
    if method not in ("pearson", "spearman"):
        raise DataError(f"method must be 'pearson' (IC) or 'spearman' (Rank IC); got {method!r}")
    return method  # type: ignore[return-value]


def information_coefficient(
    scores: pd.Series, label: pd.Series, *, method: CorrelationMethod
) -> pd.Series:
    """Cross-sectional correlation of the scores with the label, one value per date.

    Parameters
    ----------
    scores
        Score of each name at each date, on a ``(date, ticker)`` MultiIndex.
    label
        The return each row's score predicts (the next-period return), on the
        same kind of index.
    method
        ``"pearson"`` for the IC, ``"spearman"`` for the Rank IC.

    Returns
    -------
    pd.Series
        Indexed by every date the two inputs share, named ``"ic"`` (Pearson)
        or ``"rank_ic"`` (Spearman); NaN on a date where it is undefined.

    Notes
    -----
    On date :math:`t` with usable names :math:`i = 1..n_t`,

    .. math:: IC_t = \\frac{\\sum_i (x_i - \\bar x)(y_i - \\bar y)}
                          {\\sqrt{\\sum_i (x_i - \\bar x)^2 \\sum_i (y_i - \\bar y)^2}}

    with :math:`x, y` the scores and labels (IC) or their ranks within the
    date, ties averaged (Rank IC, which is what alphalens'
    ``factor_information_coefficient`` computes with ``scipy.stats.spearmanr``).
    """
    method = _check_method(method)
    check_panel(scores, "scores")
    check_panel(label, "label")
    joined = pd.concat(
        [scores.rename("x").astype(float), label.rename("y").astype(float)], axis=1, join="inner"
    )
    dates = joined.index.get_level_values("date").unique().sort_values()
    data = joined.dropna(how="any")
    by_date = data.groupby(level="date")
    if method == "spearman":
        data = by_date.rank(method="average")
        by_date = data.groupby(level="date")
    centred = data - by_date.transform("mean")
    sums = pd.DataFrame(
        {
            "xy": centred["x"] * centred["y"],
            "xx": centred["x"] ** 2,
            "yy": centred["y"] ** 2,
        }
    ).groupby(level="date")
    total = sums.sum()
    # exact equality, not the centred sums: a constant column's mean can miss its
    # value by rounding, which would turn "undefined" into a spurious correlation
    varies = (by_date["x"].nunique() > 1) & (by_date["y"].nunique() > 1)
    ic = total["xy"] / np.sqrt(total["xx"] * total["yy"])
    ic = ic.where(varies).clip(-1.0, 1.0)
    out = ic.reindex(dates)
    out.index.name = "date"
    return out.rename("ic" if method == "pearson" else "rank_ic")


def ic_summary(ic: pd.Series) -> pd.Series:
    """Mean, dispersion and significance of a per-date IC series.

    Parameters
    ----------
    ic
        Per-date IC (or Rank IC), as returned by :func:`information_coefficient`.
        NaN dates are left out.

    Returns
    -------
    pd.Series
        ``mean``, ``std`` (ddof 1), ``icir`` = mean / std, ``t_stat`` =
        mean / (std / sqrt(n)), ``p_value`` (two-sided, Student t with n - 1
        degrees of freedom), ``share_positive`` (share of dates with IC > 0)
        and ``n_dates`` (n, the dates with an IC).

    Raises
    ------
    InsufficientDataError
        With fewer than two dates that have an IC.

    Notes
    -----
    The t statistic treats the per-date ICs as independent. The ICIR is per
    period and is not annualized.
    """
    values = ic.dropna().to_numpy(dtype=float)
    n = len(values)
    if n < 2:
        raise InsufficientDataError(f"ic_summary needs at least 2 dates with an IC; got {n}")
    mean = float(values.mean())
    std = float(values.std(ddof=1))
    t_stat = mean / (std / np.sqrt(n)) if std > 0 else np.nan
    p_value = float(2.0 * stats.t.sf(abs(t_stat), df=n - 1)) if std > 0 else np.nan
    return pd.Series(
        {
            "mean": mean,
            "std": std,
            "icir": mean / std if std > 0 else np.nan,
            "t_stat": t_stat,
            "p_value": p_value,
            "share_positive": float((values > 0).mean()),
            "n_dates": float(n),
        },
        name=ic.name,
    )


def ic_by_month(ic: pd.Series) -> pd.DataFrame:
    """Mean IC per year and calendar month (the table behind an IC heatmap).

    Returns
    -------
    pd.DataFrame
        Index ``year`` (the years present), columns ``month`` 1..12; NaN where
        a year-month has no IC.
    """
    values = ic.dropna()
    if not isinstance(values.index, pd.DatetimeIndex):
        raise DataError(f"ic must be indexed by date; got {type(ic.index).__name__}")
    index = pd.DatetimeIndex(values.index)
    table = values.groupby([index.year.rename("year"), index.month.rename("month")]).mean()
    out = table.unstack("month").reindex(columns=range(1, 13))
    out.columns.name = "month"
    return out


def forward_returns_by_horizon(
    prices_or_period_returns: pd.DataFrame,
    dates: pd.DatetimeIndex,
    horizons: Iterable[int] = DEFAULT_HORIZONS,
    *,
    kind: Literal["prices", "returns"] = "prices",
) -> dict[int, pd.Series]:
    """The one-period return ``h`` periods ahead, for each rebalance date and name.

    Parameters
    ----------
    prices_or_period_returns
        Wide frame (index ``date``, one column per ticker) of prices, or of
        simple returns, on a calendar that contains every rebalance date.
    dates
        The rebalance dates, sorted and unique.
    horizons
        Positive integers ``h``.
    kind
        ``"prices"`` or ``"returns"``: what the frame holds.

    Returns
    -------
    dict[int, pd.Series]
        ``{h: series}``, each on the ``(date, ticker)`` grid of ``dates`` ×
        columns, named ``forward_return_{h}``; NaN where the return is not
        known (the last ``h`` dates, a missing price or return).

    Notes
    -----
    With rebalance dates :math:`t_0 < t_1 < \\dots`, the value at :math:`t_k`
    for horizon :math:`h` is the simple return over the single period
    :math:`(t_{k+h-1}, t_{k+h}]`:

    * from prices, :math:`P_{t_{k+h}} / P_{t_{k+h-1}} - 1`;
    * from returns, :math:`\\prod_{s \\in (t_{k+h-1}, t_{k+h}]} (1 + r_s) - 1`,
      NaN if any :math:`r_s` in the period is missing.

    Horizon 1 is the ``label``. This is not alphalens' convention, whose
    horizon-``h`` forward return is cumulative, :math:`(t_k, t_{k+h}]`: the
    one-period definition keeps every horizon's return the same length, so the
    ICs at different horizons measure how the score's information about *one*
    period decays, and horizons do not overlap each other.
    """
    frame = prices_or_period_returns
    if kind not in ("prices", "returns"):
        raise DataError(f"kind must be 'prices' or 'returns'; got {kind!r}")
    hs = [int(h) for h in horizons]
    if not hs or any(h < 1 for h in hs):
        raise DataError(f"horizons must be positive integers; got {hs}")
    if not isinstance(frame.index, pd.DatetimeIndex) or not frame.index.is_monotonic_increasing:
        raise DataError("prices/returns must have a sorted DatetimeIndex")
    dates = pd.DatetimeIndex(dates)
    if not dates.is_monotonic_increasing or not dates.is_unique:
        raise DataError("dates must be sorted and unique")
    missing = dates.difference(frame.index)
    if len(missing):
        raise DataError(
            f"rebalance date {missing[0]:%Y-%m-%d} is not in the prices/returns calendar "
            f"({len(missing)} missing); dates must be period ends present in the data"
        )
    values = frame.astype(float)
    if kind == "prices":
        at = values.reindex(dates)
        # row k: the return over (t_{k-1}, t_k]
        period = at / at.shift(1) - 1.0
    else:
        rows = values.loc[(values.index > dates[0]) & (values.index <= dates[-1])]
        # each row belongs to the first rebalance date on or after it
        owner = dates[dates.searchsorted(rows.index, side="left")]
        growth = (1.0 + rows).groupby(owner).prod(min_count=1)
        complete = rows.notna().groupby(owner).all()
        period = (growth - 1.0).where(complete).reindex(dates)
    period.index.name = "date"
    period.columns.name = "ticker"
    out: dict[int, pd.Series] = {}
    for h in hs:
        stacked = period.shift(-h).stack(future_stack=True)
        stacked.index.names = list(PANEL_LEVELS)
        out[h] = stacked.sort_index().rename(f"forward_return_{h}")
    return out


def ic_decay(
    scores: pd.Series,
    forward_returns_by_horizon: Mapping[int, pd.Series],
    method: CorrelationMethod,
) -> pd.Series:
    """Mean IC of the scores against the return ``h`` periods ahead, for each horizon.

    Parameters
    ----------
    scores
        Scores on a ``(date, ticker)`` MultiIndex.
    forward_returns_by_horizon
        ``{h: forward return}``, e.g. from :func:`forward_returns_by_horizon`
        (the one-period return over :math:`(t_{k+h-1}, t_{k+h}]`).
    method
        ``"pearson"`` (IC) or ``"spearman"`` (Rank IC).

    Returns
    -------
    pd.Series
        Mean over dates of the per-date IC, indexed by ``horizon`` (sorted),
        named ``"ic"`` or ``"rank_ic"``; NaN for a horizon with no IC.
    """
    means = {
        h: information_coefficient(scores, forward_returns_by_horizon[h], method=method).mean()
        for h in sorted(forward_returns_by_horizon)
    }
    out = pd.Series(means, dtype=float, name="ic" if method == "pearson" else "rank_ic")
    out.index.name = "horizon"
    return out
