"""Cross-sectional preprocessing of a raw factor matrix, date by date.

The raw matrix is a DataFrame on the MultiIndex ``("date", "ticker")`` with one
float column per factor (see :mod:`analysis.factors.cross_section`). Each
factor is treated on each date separately, in this order: winsorize, scale,
neutralize, fill or drop missing values; then dates with too few complete
names are dropped, each with its reason. Signs are not applied here: a
model that combines factors decides which direction is "good".
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError

Scale = Literal["zscore", "rank", "gaussian_rank"]
Neutralize = Literal["sector"]
Missing = Literal["median", "drop"]

SCALES: tuple[Scale, ...] = ("zscore", "rank", "gaussian_rank")
MISSING: tuple[Missing, ...] = ("median", "drop")


@dataclass(frozen=True)
class Preprocessed:
    """A processed factor matrix and what processing it cost.

    Attributes
    ----------
    frame
        Processed factors on ``(date, ticker)``; dropped dates have no rows.
    dropped_dates
        ``{date: reason}`` for every date left out.
    filled
        Number of values filled per factor (0 for ``missing="drop"``), counted
        on the dates that were kept.
    names, complete
        Per date of the raw matrix: rows, and rows with every factor present
        before any filling.
    settings
        The arguments that produced the result.
    """

    frame: pd.DataFrame
    dropped_dates: Mapping[pd.Timestamp, str]
    filled: pd.Series
    names: pd.Series = field(repr=False)
    complete: pd.Series = field(repr=False)
    settings: Mapping[str, object] = field(default_factory=dict, repr=False)

    def report(self) -> pd.DataFrame:
        """One row per raw date: ``names``, ``complete``, ``kept``, ``rows`` and ``reason``."""
        kept_rows = self.frame.groupby(level="date").size()
        out = pd.DataFrame({"names": self.names, "complete": self.complete})
        out["kept"] = ~out.index.isin(list(self.dropped_dates))
        out["rows"] = kept_rows.reindex(out.index).fillna(0).astype("int64")
        out["reason"] = pd.Series(dict(self.dropped_dates), dtype="object").reindex(out.index)
        out.index.name = "date"
        return out

    def summary(self) -> str:
        """Settings, dates kept and dropped, and values filled per factor."""
        settings = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        n_dates = len(self.names)
        lines = [
            f"Preprocessed {self.frame.shape[1]} factor(s): {settings}",
            f"{n_dates - len(self.dropped_dates)} of {n_dates} dates kept, {len(self.frame)} rows",
        ]
        if self.filled.sum():
            lines.append(
                "filled: " + ", ".join(f"{k} {int(v)}" for k, v in self.filled.items() if v)
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def preprocess(
    raw: pd.DataFrame,
    *,
    winsorize: tuple[float, float] | None = (0.01, 0.99),
    scale: Scale = "zscore",
    neutralize: Neutralize | None = None,
    sectors: pd.Series | None = None,
    missing: Missing = "median",
    min_names: int = 10,
) -> Preprocessed:
    """Winsorize, scale, neutralize and fill each factor cross-sectionally.

    Parameters
    ----------
    raw
        Raw factors on the MultiIndex ``(date, ticker)``, one float column per factor.
    winsorize
        ``(lower, upper)`` quantiles to clip each factor at on each date, or
        ``None`` to leave outliers alone.
    scale
        ``"zscore"``, ``"rank"`` (percentile rank in ``(0, 1]``) or
        ``"gaussian_rank"`` (normal scores).
    neutralize
        ``"sector"`` to remove each sector's mean, or ``None``.
    sectors
        Sector names by ticker, or by ``(date, ticker)``; needed for
        ``neutralize="sector"``.
    missing
        ``"median"`` fills missing values, ``"drop"`` drops rows with any.
    min_names
        Dates with fewer names having every factor are dropped.

    Returns
    -------
    Preprocessed

    Raises
    ------
    DataError
        For a malformed matrix, an infinite value, bad settings, or a name
        without a sector when neutralizing.

    Notes
    -----
    Every statistic uses the names of that date with the factor present,
    before any filling and before rows are dropped for other factors.

    1. Winsorize: clip at the date's ``lower`` and ``upper`` quantiles
       (numpy's default linear interpolation).
    2. Scale. ``zscore``: ``(x - mean) / std`` with the population standard
       deviation (ddof 0), so each date's z-scores have mean 0 and variance 1;
       a factor constant on a date scores 0 for every name. ``rank``:
       ``rank / n`` with average ranks for ties, in ``(0, 1]``.
       ``gaussian_rank``: ``Phi^-1((rank - 0.5) / n)``.
    3. Neutralize: subtract the mean of the name's sector on that date. For
       ``zscore`` the result is standardized again (divided by its ddof-0
       standard deviation; its mean is already 0); ranks are left demeaned,
       so they are no longer in ``(0, 1]``.
    4. Missing. ``median``: fill with 0 for ``zscore`` (the date's mean,
       which after filling is still 0 but the variance falls below 1), else
       with the date's median of the processed values. ``drop``: drop every
       row with a missing factor.
    5. A date is dropped, with its reason, when fewer than ``min_names`` names
       have every factor present in ``raw`` (the rows ``drop`` would keep).
    """
    frame = _check_raw(raw)
    bounds = _check_winsorize(winsorize)
    if scale not in SCALES:
        raise DataError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
    if missing not in MISSING:
        raise DataError(f"missing must be one of {', '.join(MISSING)}; got {missing!r}")
    if neutralize not in (None, "sector"):
        raise DataError(f"neutralize must be 'sector' or None; got {neutralize!r}")
    if isinstance(min_names, bool) or not isinstance(min_names, int) or min_names < 1:
        raise DataError(f"min_names must be an integer >= 1; got {min_names!r}")
    groups = _sector_labels(frame.index, sectors) if neutralize == "sector" else None

    dates = frame.index.get_level_values("date")
    x = frame
    if bounds is not None:
        by_date = x.groupby(level="date")
        low = by_date.quantile(bounds[0]).reindex(dates).set_axis(x.index)
        high = by_date.quantile(bounds[1]).reindex(dates).set_axis(x.index)
        x = x.clip(lower=low, upper=high)
    x = _scale(x, scale)
    if groups is not None:
        x = x - x.groupby([dates, groups]).transform("mean")
        if scale == "zscore":
            x = _zscore(x)

    complete_rows = frame.notna().all(axis=1)
    names = frame.groupby(level="date").size()
    complete = complete_rows.groupby(level="date").sum().astype("int64")
    dropped: dict[pd.Timestamp, str] = {}
    for date in names.index:
        if complete[date] < min_names:
            dropped[pd.Timestamp(date)] = _drop_reason(
                frame.loc[date], int(complete[date]), min_names
            )

    if missing == "drop":
        x = x[complete_rows]
        filled = pd.Series(0, index=frame.columns, dtype="int64")
    else:
        fill = (
            pd.DataFrame(0.0, index=x.index, columns=x.columns)
            if scale == "zscore"
            else x.groupby(level="date").transform("median")
        )
        was_missing = x.isna()
        x = x.fillna(fill)
        kept = ~dates.isin(list(dropped))
        filled = (was_missing & x.notna())[kept].sum().astype("int64")
    x = x[~x.index.get_level_values("date").isin(list(dropped))]
    return Preprocessed(
        frame=x,
        dropped_dates=dropped,
        filled=filled,
        names=names,
        complete=complete,
        settings={
            "winsorize": winsorize,
            "scale": scale,
            "neutralize": neutralize,
            "missing": missing,
            "min_names": min_names,
        },
    )


def describe_distribution(frame: pd.DataFrame) -> pd.DataFrame:
    """Per factor, across all rows: ``count, mean, std, skew, q01, q99``.

    ``std`` is the sample standard deviation (ddof 1) and ``skew`` pandas'
    bias-corrected sample skewness; quantiles use linear interpolation.
    Missing values are left out.
    """
    numeric = frame.astype("float64")
    out = pd.DataFrame(
        {
            "count": numeric.count(),
            "mean": numeric.mean(),
            "std": numeric.std(ddof=1),
            "skew": numeric.skew(),
            "q01": numeric.quantile(0.01),
            "q99": numeric.quantile(0.99),
        }
    )
    out.index.name = "factor"
    return out


def _scale(x: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    if scale == "zscore":
        return _zscore(x)
    by_date = x.groupby(level="date")
    if scale == "rank":
        return by_date.rank(method="average", pct=True)
    ranks = by_date.rank(method="average")
    n = by_date.transform("count")
    return pd.DataFrame(stats.norm.ppf((ranks - 0.5) / n), index=x.index, columns=x.columns).where(
        x.notna()
    )


def _zscore(x: pd.DataFrame) -> pd.DataFrame:
    by_date = x.groupby(level="date")
    centred = x - by_date.transform("mean")
    std = by_date.transform("std", ddof=0)
    # Without dispersion every name sits at the mean; rounding can leave std at ~1e-17 of
    # the values' size instead of 0.
    size = x.abs().groupby(level="date").transform("max")
    scale = std.where(std > 1e-12 * size)
    return (centred / scale).where(scale.notna() | x.isna(), 0.0).where(x.notna())


def _drop_reason(day: pd.DataFrame, complete: int, min_names: int) -> str:
    present = ", ".join(f"{col} {int(n)}" for col, n in day.notna().sum().items())
    return (
        f"{complete} of {len(day)} names have every factor (fewer than min_names={min_names}); "
        f"names per factor: {present}"
    )


def _check_raw(raw: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(raw, pd.DataFrame):
        raise DataError(f"raw factors must be a DataFrame; got {type(raw).__name__}")
    index = raw.index
    if not isinstance(index, pd.MultiIndex) or list(index.names) != ["date", "ticker"]:
        raise DataError("raw factors must be indexed by a MultiIndex named ('date', 'ticker')")
    if index.has_duplicates:
        first = index[index.duplicated()][:3]
        shown = ", ".join(f"({d:%Y-%m-%d}, {t})" for d, t in first)
        raise DataError(f"raw factors: duplicate (date, ticker) rows, e.g. {shown}")
    if raw.shape[1] == 0:
        raise DataError("raw factors have no factor columns")
    bad = [str(c) for c in raw.columns if not pd.api.types.is_numeric_dtype(raw[c])]
    if bad:
        raise DataError(f"raw factors: column(s) {', '.join(bad)} are not numeric")
    frame = raw.astype("float64").sort_index()
    inf = np.isinf(frame.to_numpy())
    if inf.any():
        r, c = (int(i[0]) for i in np.nonzero(inf))
        date, ticker = frame.index[r]
        raise DataError(
            f"raw factors: {frame.columns[c]} is {frame.iat[r, c]} for {ticker} on "
            f"{date:%Y-%m-%d}; values must be finite (use NaN for missing)"
        )
    return frame


def _check_winsorize(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    if bounds is None:
        return None
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"winsorize must be (lower, upper) quantiles or None; got {bounds!r}"
        ) from exc
    if not 0.0 <= low < high <= 1.0:
        raise DataError(f"winsorize quantiles must satisfy 0 <= lower < upper <= 1; got {bounds!r}")
    return low, high


def _sector_labels(index: pd.MultiIndex, sectors: pd.Series | None) -> np.ndarray:
    """The sector of every row, from sectors by ticker or by (date, ticker)."""
    if sectors is None:
        raise DataError("neutralize='sector' needs sectors (a Series of sector names by ticker)")
    if isinstance(sectors.index, pd.MultiIndex):
        labels = sectors.reindex(index)
    else:
        by_ticker = sectors[~sectors.index.duplicated(keep="last")]
        labels = by_ticker.reindex(index.get_level_values("ticker"))
    missing = labels.isna().to_numpy()
    if missing.any():
        rows = index[missing]
        tickers = list(dict.fromkeys(t for _, t in rows))
        raise DataError(
            f"no sector for {len(tickers)} ticker(s), e.g. {', '.join(map(str, tickers[:5]))} "
            f"(first on {rows[0][0]:%Y-%m-%d}); give every ticker a sector or do not neutralize"
        )
    return labels.astype(str).to_numpy()
