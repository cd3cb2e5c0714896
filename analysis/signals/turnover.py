"""How fast a score's buckets and ranks change from one rebalance date to the next.

Both measures compare each date with the previous date of the panel itself
(the previous date that has any row), so the first date is NaN, and the value
at date ``t`` uses the scores at ``t`` and at the date before only.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.signals.ic import check_panel


def quantile_turnover(quantile: pd.Series, q: int) -> pd.Series:
    """Share of the names in bucket ``q`` at each date that were not in it at the date before.

    Parameters
    ----------
    quantile
        Bucket of each row, from :func:`analysis.signals.quantiles.quantize`.
    q
        The bucket to follow.

    Returns
    -------
    pd.Series
        Indexed by the panel's dates, named ``"turnover"``: NaN on the first
        date and on a date whose bucket ``q`` is empty.

    Notes
    -----
    :math:`\\text{turnover}_t = |S_t \\setminus S_{t-1}| / |S_t|` with
    :math:`S_t` the names in bucket ``q`` at ``t`` (alphalens'
    ``quantile_turnover``). When bucket ``q`` is empty on the previous date,
    alphalens (date index without a frequency) compares with the last date on
    which the bucket had names; here the previous date is always the panel's
    previous date, so every name is new and the turnover is 1.
    """
    check_panel(quantile, "quantile")
    present = quantile.dropna()
    if not (present == q).any():
        raise DataError(f"quantile {q!r} never occurs; have {sorted(present.unique().tolist())}")
    dates = present.index.get_level_values("date").unique().sort_values()
    members = present[present == q]
    sets = {
        date: set(group.index.get_level_values("ticker"))
        for date, group in members.groupby(level="date")
    }
    values = [np.nan]
    for prev, date in itertools.pairwise(dates):
        now = sets.get(date, set())
        before = sets.get(prev, set())
        values.append(len(now - before) / len(now) if now else np.nan)
    out = pd.Series(values, index=dates, name="turnover", dtype=float)
    out.index.name = "date"
    return out


def rank_autocorrelation(scores: pd.Series) -> pd.Series:
    """Correlation of the names' score ranks at each date with their ranks at the date before.

    Parameters
    ----------
    scores
        Scores on a ``(date, ticker)`` MultiIndex.

    Returns
    -------
    pd.Series
        Indexed by the panel's dates, named ``"rank_autocorrelation"``; NaN on
        the first date and where fewer than two names are common to both dates
        or the ranks do not vary.

    Notes
    -----
    As alphalens' ``factor_rank_autocorrelation``: each date's scores are
    ranked among all names scored that date (ties averaged), and the value at
    ``t`` is the Pearson correlation of the ranks at ``t`` and at the previous
    date over the names scored on both. With the same names on both dates this
    is the Spearman correlation of the scores; when names enter or leave, the
    ranks are still those within each date's full cross-section.
    """
    check_panel(scores, "scores")
    values = scores.astype(float).dropna()
    ranks = values.groupby(level="date").rank(method="average").unstack("ticker")
    dates = values.index.get_level_values("date").unique().sort_values()
    ranks = ranks.reindex(dates)
    out = ranks.corrwith(ranks.shift(1), axis=1, method="pearson").rename("rank_autocorrelation")
    out.index.name = "date"
    return out
