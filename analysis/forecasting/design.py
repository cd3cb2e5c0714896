"""Forecasting rows: a target return and the lagged feature returns known before it.

Row ``t`` pairs ``y_t`` (the target's log return at ``t``) with
``x_t = (f_{t-l})`` for every feature ``f`` and lag ``l``, so every regressor
of a row was observed strictly before the row's date.

Conventions
-----------
* The calendar is the target's: the features are outer-joined to the target
  and restricted to the target's dates (a feature date the target does not
  have is discarded), and a lag of ``l`` is a shift by ``l`` rows of that
  calendar. A feature's own gaps are therefore not skipped over: a date on
  which the target trades and the feature does not leaves a missing value.
* Columns are named ``{feature}_l{lag}``, feature-major then lag, in the
  order given.
* The sample begins at the first row at which every lag of the
  earliest-starting features exists. A feature that starts later than those
  (XLRE, say, in 2015) is *late*: its lagged value is NaN on the rows where
  that lag reaches back before its first observation, and those rows are kept,
  so a late feature does not truncate the sample. Any other missing value
  (interior gaps, a missing target) drops the row.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import DataError, InsufficientDataError


@dataclass(frozen=True)
class ForecastRows:
    """The rows of a forecasting design.

    Attributes
    ----------
    y
        Target return of each row, indexed by date.
    X
        Lagged feature returns, one column per ``{feature}_l{lag}``; NaN only
        where a late feature had not started yet.
    dropped
        Dates on which the target has a value but that are not rows (lost to
        the first lags or to missing feature values).
    first_valid
        First row date on which each column has a value.
    """

    y: pd.Series
    X: pd.DataFrame
    dropped: int
    first_valid: dict[str, pd.Timestamp]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(map(str, self.X.columns))

    def describe(self) -> str:
        """Rows, date range, columns and the late columns with their start dates."""
        start, end = self.y.index[0], self.y.index[-1]
        out = [
            f"{len(self.y)} rows of {self.y.name or 'target'} from {start:%Y-%m-%d} to "
            f"{end:%Y-%m-%d}; {self.X.shape[1]} columns; {self.dropped} target dates dropped"
        ]
        late = {c: d for c, d in self.first_valid.items() if d > start}
        if late:
            out.append(
                "late columns: " + ", ".join(f"{c} from {d:%Y-%m-%d}" for c, d in late.items())
            )
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.describe()) + "</pre>"


def _check_index(obj: pd.Series | pd.DataFrame, what: str) -> None:
    idx = obj.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise DataError(f"{what} must have a DatetimeIndex; got {type(idx).__name__}")
    if not idx.is_unique:
        dup = idx[idx.duplicated()][0]
        raise DataError(f"{what} has duplicate date {dup:%Y-%m-%d}; dates must be unique")
    if not idx.is_monotonic_increasing:
        raise DataError(f"{what} dates must be sorted in increasing order")


def _check_lags(lags: Sequence[int]) -> tuple[int, ...]:
    out = tuple(lags)
    if not out:
        raise DataError("lags must contain at least one lag >= 1; got an empty sequence")
    for lag in out:
        if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1:
            raise DataError(f"every lag must be an integer >= 1; got {lag!r}")
    if len(set(out)) != len(out):
        raise DataError(f"lags must be unique; got {list(out)}")
    return tuple(int(lag) for lag in out)


def build_rows(target: pd.Series, features: pd.DataFrame, lags: Sequence[int]) -> ForecastRows:
    """Pair each target return with the lagged feature returns.

    Parameters
    ----------
    target
        Log returns of the series to predict, DatetimeIndex at the run
        frequency. Its dates are the calendar of the design.
    features
        Log returns of the predictors (one column per feature), DatetimeIndex.
    lags
        Lags in rows of the target's calendar, each ``>= 1``, unique.

    Returns
    -------
    ForecastRows

    Raises
    ------
    DataError
        Bad lags, the target among the features, a feature without a value on
        the target's dates or constant there, or a malformed index.
    InsufficientDataError
        No date has the target and every required lagged feature.

    Notes
    -----
    ``X[f"{f}_l{l}"]`` at row ``t`` is ``features[f]`` at the ``l``-th target
    date before ``t``. See the module docstring for the handling of late
    features.
    """
    lag_list = _check_lags(lags)
    if not isinstance(target, pd.Series):
        raise DataError(f"target must be a pandas Series; got {type(target).__name__}")
    if not isinstance(features, pd.DataFrame):
        raise DataError(f"features must be a pandas DataFrame; got {type(features).__name__}")
    _check_index(target, "target")
    _check_index(features, "features")
    names = [str(c) for c in features.columns]
    if not names:
        raise DataError("features must have at least one column")
    if len(set(names)) != len(names):
        raise DataError(f"feature names must be unique; got {names}")
    if target.name is not None and str(target.name) in names:
        raise DataError(
            f"the target {target.name!r} is also a feature; drop it from the features "
            "(its own lags are not supported as features here)"
        )

    F = features.reindex(target.index).astype("float64")
    F.columns = pd.Index(names)
    n = len(F)
    first_pos: dict[str, int] = {}
    for name in names:
        col = F[name].to_numpy()
        ok = np.isfinite(col)
        if not ok.any():
            raise DataError(f"feature {name!r} has no value on the target's dates")
        if np.nanstd(col) == 0.0:
            raise DataError(
                f"feature {name!r} is constant ({float(col[ok][0])!r}) on the target's dates; "
                "a zero-variance feature cannot be standardized"
            )
        first_pos[name] = int(np.flatnonzero(ok)[0])
    earliest = min(first_pos.values())

    positions = np.arange(n)
    columns: dict[str, np.ndarray] = {}
    allowed = np.zeros((n, len(names) * len(lag_list)), dtype=bool)
    j = 0
    for name in names:
        values = F[name].to_numpy()
        late = first_pos[name] > earliest
        for lag in lag_list:
            shifted = np.full(n, np.nan)
            shifted[lag:] = values[: n - lag]
            columns[f"{name}_l{lag}"] = shifted
            if late:
                allowed[:, j] = positions - lag < first_pos[name]
            j += 1
    X = pd.DataFrame(columns, index=target.index)
    y = target.astype("float64")
    keep = np.isfinite(y.to_numpy()) & (np.isfinite(X.to_numpy()) | allowed).all(axis=1)
    if not keep.any():
        raise InsufficientDataError(
            f"no date has the target and every lagged feature (lags {list(lag_list)}, "
            f"{n} target dates)"
        )
    X, y = X[keep], y[keep]
    first_valid: dict[str, pd.Timestamp] = {}
    for col in X.columns:
        valid = X[col].notna().to_numpy()
        if not valid.any():
            raise DataError(
                f"column {col!r} has no value on any row: its feature starts too late for this lag"
            )
        first_valid[col] = pd.Timestamp(X.index[np.flatnonzero(valid)[0]])
    dropped = int(np.isfinite(target.to_numpy(dtype="float64")).sum()) - len(y)
    return ForecastRows(y=y, X=X, dropped=dropped, first_valid=first_valid)
