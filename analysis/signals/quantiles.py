"""Quantile buckets of a score and the next-period return of each bucket.

Conventions
-----------
* Buckets are formed date by date, as alphalens' ``quantize_factor`` with
  ``quantiles=q``: ``pandas.qcut`` of that date's scores into ``q``
  equal-count buckets labelled ``1`` (lowest scores) to ``q`` (highest).
* A row without a score is not bucketed. A date with fewer scored names than
  buckets is dropped (it cannot fill every bucket); the dates kept are listed
  in the result's index.
* Ties are not broken: a date whose tied scores make two bucket edges equal
  raises :class:`~analysis.errors.DataError` naming the date (alphalens
  raises too, or blanks the date with ``no_raise``). Rank or jitter such a
  score before bucketing if that is what is meant.
* Per-date bucket returns are the equal-weighted mean label of the bucket's
  names with a label; a date with no label at all (the last one) is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import DataError, InsufficientDataError
from analysis.signals.ic import check_panel


def _check_quantiles(quantiles: int) -> int:
    if isinstance(quantiles, bool) or not isinstance(quantiles, int | np.integer):
        raise DataError(f"quantiles must be an integer >= 2; got {quantiles!r}")
    if quantiles < 2:
        raise DataError(f"quantiles must be an integer >= 2; got {quantiles}")
    return int(quantiles)


def quantize(scores: pd.Series, quantiles: int = 5) -> pd.Series:
    """Bucket each date's scores into ``quantiles`` equal-count groups, 1 = lowest.

    Parameters
    ----------
    scores
        Scores on a ``(date, ticker)`` MultiIndex.
    quantiles
        Number of buckets ``q`` (at least 2).

    Returns
    -------
    pd.Series
        Integer bucket 1..q named ``"quantile"``, on the rows that have a score,
        of the dates with at least ``q`` scored names.

    Raises
    ------
    DataError
        If ties make two bucket edges of a date equal.

    Notes
    -----
    Bucket edges on a date are the scores' empirical quantiles at
    :math:`0, 1/q, \\dots, 1` (linear interpolation), and a name falls in the
    bucket ``(e_{j-1}, e_j]`` (the first bucket includes its lower edge), as in
    ``pandas.qcut`` and alphalens' ``quantize_factor``.
    """
    q = _check_quantiles(quantiles)
    check_panel(scores, "scores")
    values = scores.astype(float).dropna()
    parts: list[pd.Series] = []
    for date, x in values.groupby(level="date"):
        if len(x) < q:
            continue
        try:
            codes = pd.qcut(x, q, labels=False)
        except ValueError as err:
            raise DataError(
                f"scores on {pd.Timestamp(date):%Y-%m-%d} have too many ties to form {q} "
                f"quantiles ({x.nunique()} distinct values among {len(x)} names): {err}"
            ) from err
        parts.append(codes.astype("int64") + 1)
    if not parts:
        return pd.Series([], index=values.index[:0], dtype="int64", name="quantile")
    return pd.concat(parts).sort_index().rename("quantile")


def quantile_returns_by_date(quantile: pd.Series, label: pd.Series) -> pd.DataFrame:
    """Mean label of each bucket on each date.

    Parameters
    ----------
    quantile
        Bucket of each row, from :func:`quantize`.
    label
        The next-period return, on the ``(date, ticker)`` MultiIndex.

    Returns
    -------
    pd.DataFrame
        Index ``date`` (dates with at least one labelled row), columns
        ``quantile`` 1..q; NaN where a bucket has no labelled name that date.
        alphalens' ``mean_return_by_quantile(by_date=True, demeaned=False)``.
    """
    check_panel(quantile, "quantile")
    check_panel(label, "label")
    joined = pd.concat(
        [quantile.rename("quantile"), label.rename("label").astype(float)],
        axis=1,
        join="inner",
    ).dropna(how="any")
    joined["quantile"] = joined["quantile"].astype("int64")
    dates = joined.index.get_level_values("date")
    table = joined.groupby([dates, "quantile"])["label"].mean().unstack("quantile")
    buckets = sorted(int(v) for v in quantile.dropna().unique())
    out = table.reindex(columns=buckets)
    out.index.name = "date"
    out.columns.name = "quantile"
    return out


def quantile_returns(quantile: pd.Series, label: pd.Series) -> pd.DataFrame:
    """Average next-period return of each bucket and its standard error.

    Parameters
    ----------
    quantile
        Bucket of each row, from :func:`quantize`.
    label
        The next-period return, on the ``(date, ticker)`` MultiIndex.

    Returns
    -------
    pd.DataFrame
        Index ``quantile``; columns ``mean``, ``std_error`` and ``n_dates``.

    Notes
    -----
    As alphalens' ``mean_return_by_quantile(by_date=False, demeaned=False)``:
    the mean is over dates of the per-date bucket means
    (:func:`quantile_returns_by_date`), each date weighted equally, and the
    standard error is their standard deviation (ddof 1) over
    :math:`\\sqrt{n_{dates}}`. This differs from a pooled mean over all
    (date, name) rows when bucket sizes vary across dates; equal date weights
    make it the average return of a rebalanced equal-weight bucket portfolio.
    """
    per_date = quantile_returns_by_date(quantile, label)
    count = per_date.count()
    out = pd.DataFrame(
        {
            "mean": per_date.mean(),
            "std_error": per_date.std(ddof=1) / np.sqrt(count),
            "n_dates": count.astype("int64"),
        }
    )
    out.index.name = "quantile"
    return out


def cumulative_quantile_returns(per_date: pd.DataFrame) -> pd.DataFrame:
    """Growth of 1 invested in each bucket, compounding its per-date mean returns.

    Parameters
    ----------
    per_date
        Date × bucket mean returns, from :func:`quantile_returns_by_date`.

    Returns
    -------
    pd.DataFrame
        Same shape: :math:`\\prod_{s \\le t} (1 + r_s)`. Row ``t`` includes
        the return of the period that *starts* at ``t``, so it is the value
        reached at the next rebalance date. A missing return is NaN in the
        output and compounding carries on past it (treated as no change).
    """
    growth = (1.0 + per_date).cumprod(skipna=True)
    return growth.where(per_date.notna())


def spread(per_date: pd.DataFrame, top: int, bottom: int) -> pd.Series:
    """Top-bucket minus bottom-bucket mean return, per date.

    Parameters
    ----------
    per_date
        Date × bucket mean returns, from :func:`quantile_returns_by_date`.
    top, bottom
        Bucket labels, e.g. ``q`` and ``1``.

    Returns
    -------
    pd.Series
        Named ``"spread"``; NaN on a date where either bucket has no return.
    """
    for which, value in (("top", top), ("bottom", bottom)):
        if value not in per_date.columns:
            raise DataError(
                f"{which} quantile {value!r} is not a column; have {list(per_date.columns)}"
            )
    return (per_date[top] - per_date[bottom]).rename("spread")


def spread_summary(spread: pd.Series, periods_per_year: int) -> pd.Series:
    """Mean of a per-date spread, its standard error, t statistic and annualized mean.

    Parameters
    ----------
    spread
        Per-date long-short return, from :func:`spread`; NaN dates are left out.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.

    Returns
    -------
    pd.Series
        ``mean``, ``std_error`` = std (ddof 1) / sqrt(n), ``t_stat`` =
        mean / std_error, ``annualized_mean`` = P × mean (arithmetic, not
        compounded) and ``n_dates``.

    Raises
    ------
    InsufficientDataError
        With fewer than two dates that have a spread.
    """
    if isinstance(periods_per_year, bool) or int(periods_per_year) != periods_per_year:
        raise DataError(f"periods_per_year must be a positive integer; got {periods_per_year!r}")
    if periods_per_year < 1:
        raise DataError(f"periods_per_year must be a positive integer; got {periods_per_year}")
    values = spread.dropna().to_numpy(dtype=float)
    n = len(values)
    if n < 2:
        raise InsufficientDataError(
            f"spread_summary of {spread.name!r} needs at least 2 dates with a spread; got {n}"
        )
    mean = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(n))
    return pd.Series(
        {
            "mean": mean,
            "std_error": se,
            "t_stat": mean / se if se > 0 else np.nan,
            "annualized_mean": mean * periods_per_year,
            "n_dates": float(n),
        },
        name=spread.name,
    )
