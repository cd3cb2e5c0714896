"""Correlation geometry of a return panel: correlation matrices, rolling correlations,
the coupling index and the absorption ratio.

Every rolling quantity here is indexed by the date of its window's last row and uses
rows ``t-window+1 .. t`` (no lag); turning them into out-of-sample regime labels, which
may only use data up to ``t-1``, is :mod:`analysis.regimes.labels`' job. A window that
contains a missing value in any column it needs is NaN, as is any row before the first
full window.

How it is computed
------------------
Rolling covariance matrices come from :func:`numpy.lib.stride_tricks.sliding_window_view`
in chunks of windows: each window is centred on its own mean before the cross products
are taken (the two-pass formula, so nothing is lost to cancellation), and eigenvalues of
a whole chunk come from one batched :func:`numpy.linalg.eigvalsh`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
from scipy.spatial.distance import squareform

from analysis.errors import DataError, EstimationError, InsufficientDataError

CorrelationOrder = Literal["cluster", "given"]

_CHUNK_ELEMENTS = 4_000_000
"""Upper bound on the floats copied per chunk of windows (about 32 MB)."""


def _check_window(window: int, name: str = "window") -> int:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise EstimationError(f"{name} must be an integer >= 2; got {window!r}")
    return int(window)


def _check_features(features: pd.DataFrame, what: str = "features") -> np.ndarray:
    if not isinstance(features, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame; got {type(features).__name__}")
    if features.shape[1] < 2:
        raise DataError(
            f"{what} need at least 2 columns; got {features.shape[1]} "
            f"({', '.join(map(str, features.columns)) or 'none'})"
        )
    if not features.columns.is_unique:
        dup = features.columns[features.columns.duplicated()].unique()
        raise DataError(f"{what} have duplicated columns: {', '.join(map(str, dup))}")
    return features.to_numpy(dtype="float64")


def _chunks(n_windows: int, per_window: int) -> Iterator[slice]:
    size = max(1, _CHUNK_ELEMENTS // max(per_window, 1))
    for start in range(0, n_windows, size):
        yield slice(start, min(start + size, n_windows))


def _rolling_covs(values: np.ndarray, window: int) -> Iterator[tuple[slice, np.ndarray]]:
    """Sample covariance matrices (ddof=1) of every full window, chunk by chunk.

    Yields ``(rows, cov)`` where ``rows`` slices the output rows (the windows' last
    rows) and ``cov`` has shape ``(len(rows), n, n)``. A NaN anywhere in a column of a
    window makes that column's row and column of the matrix NaN.
    """
    T, n = values.shape
    if window > T:
        return
    views = sliding_window_view(values, window, axis=0)  # (T-w+1, n, w), no copy
    for blk in _chunks(views.shape[0], n * window):
        x = views[blk]
        xc = x - x.mean(axis=2, keepdims=True)
        cov = xc @ np.swapaxes(xc, 1, 2) / (window - 1)
        yield slice(blk.start + window - 1, blk.stop + window - 1), cov


def _cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.einsum("tii->ti", cov))
    denom = sd[:, :, None] * sd[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(denom > 0, cov / denom, np.nan)
    return corr


def correlation_matrix(
    returns: pd.DataFrame, *, order: CorrelationOrder = "cluster"
) -> pd.DataFrame:
    """Pearson correlation matrix over the rows where no column is missing.

    Parameters
    ----------
    returns
        Returns, one column per asset.
    order
        ``"cluster"`` reorders rows and columns so that correlated assets sit next to
        each other (see Notes); ``"given"`` keeps the columns' order.

    Returns
    -------
    pandas.DataFrame
        Symmetric matrix with unit diagonal, rows and columns in the same order.

    Raises
    ------
    InsufficientDataError
        Fewer than 3 rows without a missing value.
    DataError
        A column that is constant over those rows (its correlations are undefined).

    Notes
    -----
    The clustered order is the leaf order of scipy's hierarchical clustering with
    average linkage on the distance :math:`d_{ij} = \\sqrt{(1 - \\rho_{ij}) / 2}`
    (0 for identical series, 1 for perfectly opposed ones), made unique by
    ``optimal_leaf_ordering`` (adjacent leaves as similar as possible). The
    computation involves no random numbers, so the order is deterministic.
    """
    _check_features(returns, "returns")
    if order not in ("cluster", "given"):
        raise EstimationError(f"order must be 'cluster' or 'given'; got {order!r}")
    common = returns.dropna(how="any")
    if len(common) < 3:
        raise InsufficientDataError(
            f"correlation_matrix needs at least 3 rows where no column is missing; "
            f"got {len(common)} of {len(returns)}"
        )
    values = common.to_numpy(dtype="float64")
    flat = np.ptp(values, axis=0) == 0
    if flat.any():
        names = ", ".join(map(str, common.columns[flat]))
        raise DataError(f"correlation undefined for constant column(s): {names}")
    rho = np.corrcoef(values, rowvar=False)
    labels = list(common.columns)
    if order == "cluster" and len(labels) > 2:
        dist = np.sqrt(np.clip(0.5 * (1.0 - rho), 0.0, None))
        np.fill_diagonal(dist, 0.0)
        condensed = squareform(dist, checks=False)
        tree = optimal_leaf_ordering(linkage(condensed, method="average"), condensed)
        perm = leaves_list(tree)
        rho = rho[np.ix_(perm, perm)]
        labels = [labels[i] for i in perm]
    return pd.DataFrame(rho, index=pd.Index(labels), columns=pd.Index(labels))


def _pair_corr(a: np.ndarray, b: np.ndarray, window: int) -> np.ndarray:
    out = np.full(len(a), np.nan)
    for rows, cov in _rolling_covs(np.column_stack([a, b]), window):
        out[rows] = _cov_to_corr(cov)[:, 0, 1]
    return out


def rolling_correlations(
    returns: pd.DataFrame,
    target: str,
    window: int,
    pairs: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Rolling Pearson correlations of every column with ``target``, and of chosen pairs.

    Parameters
    ----------
    returns
        Returns, one column per asset, including ``target``.
    target
        Column every other column is correlated with (the index, say ``SPY``).
    window
        Rows per window; a window needs all of them (``min_periods = window``).
    pairs
        Extra ``(a, b)`` column pairs, e.g. ``[("XLE", "XLU")]``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``returns``; columns ``"{col}~{target}"`` for each non-target
        column in order, then ``"{a}~{b}"`` for each pair. The value at ``t`` uses rows
        ``t-window+1 .. t`` (not lagged). Windows with a missing value in either
        series, or in which either series is constant, are NaN.
    """
    window = _check_window(window)
    if target not in returns.columns:
        raise DataError(
            f"target {target!r} is not a column of returns; columns: "
            f"{', '.join(map(str, returns.columns))}"
        )
    for pair in pairs:
        if len(pair) != 2:
            raise DataError(f"each pair must be two column names; got {pair!r}")
        missing = [c for c in pair if c not in returns.columns]
        if missing:
            raise DataError(
                f"pair {pair!r} names unknown column(s) {', '.join(map(repr, missing))}; "
                f"columns: {', '.join(map(str, returns.columns))}"
            )
    y = returns[target].to_numpy(dtype="float64")
    out: dict[str, np.ndarray] = {}
    for col in returns.columns:
        if col != target:
            out[f"{col}~{target}"] = _pair_corr(returns[col].to_numpy(dtype="float64"), y, window)
    for a, b in pairs:
        out[f"{a}~{b}"] = _pair_corr(
            returns[a].to_numpy(dtype="float64"), returns[b].to_numpy(dtype="float64"), window
        )
    return pd.DataFrame(out, index=returns.index)


def coupling_index(features: pd.DataFrame, window: int) -> pd.Series:
    """Average pairwise correlation of the features over each rolling window.

    Parameters
    ----------
    features
        Returns, one column per feature (at least 2).
    window
        Rows per window; a window needs all of them in every column.

    Returns
    -------
    pandas.Series
        Named ``"coupling"``, indexed like ``features``.

    Notes
    -----
    :math:`C_t = \\frac{2}{n(n-1)} \\sum_{i<j} \\rho_{ij,t}`, the mean of the
    off-diagonal entries of the window's correlation matrix. Windows with a missing
    value, or in which some feature is constant, are NaN.
    """
    window = _check_window(window)
    values = _check_features(features)
    n = values.shape[1]
    out = np.full(len(values), np.nan)
    for rows, cov in _rolling_covs(values, window):
        corr = _cov_to_corr(cov)
        out[rows] = (corr.sum(axis=(1, 2)) - n) / (n * (n - 1))
    return pd.Series(out, index=features.index, name="coupling")


def absorption_ratio(features: pd.DataFrame, window: int, n_eigen: int | None = None) -> pd.Series:
    """Absorption ratio of Kritzman, Li, Page & Rigobon (2011) over rolling windows.

    Parameters
    ----------
    features
        Returns, one column per feature (at least 2).
    window
        Rows per window; a window needs all of them in every column.
    n_eigen
        Number of leading eigenvectors; default ``ceil(n_features / 5)``, the paper's
        one fifth of the assets.

    Returns
    -------
    pandas.Series
        Named ``"absorption_ratio"``, indexed like ``features``; NaN for windows with a
        missing value or zero total variance.

    Notes
    -----
    With :math:`\\lambda_1 \\ge \\dots \\ge \\lambda_n` the eigenvalues of the window's
    sample covariance matrix,
    :math:`AR_t = \\sum_{i \\le k} \\lambda_i / \\sum_{i \\le n} \\lambda_i`, the share of the
    total variance explained by the top :math:`k` = ``n_eigen`` eigenvectors. It lies in
    :math:`[k/n, 1]`: a high value means a few common modes drive the market (tightly
    coupled, fragile), a low value a dispersed one. The paper weights observations
    exponentially; this uses equal weights within the window.
    """
    window = _check_window(window)
    values = _check_features(features)
    n = values.shape[1]
    k = math.ceil(n / 5) if n_eigen is None else n_eigen
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= n:
        raise EstimationError(f"n_eigen must be an integer in [1, {n}]; got {n_eigen!r}")
    out = np.full(len(values), np.nan)
    for rows, cov in _rolling_covs(values, window):
        ok = np.isfinite(cov).all(axis=(1, 2))
        eig = np.linalg.eigvalsh(np.where(ok[:, None, None], cov, np.eye(n)))  # ascending
        total = eig.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ar = eig[:, n - k :].sum(axis=1) / total
        out[rows] = np.where(ok & (total > 0), ar, np.nan)
    return pd.Series(out, index=features.index, name="absorption_ratio")


def delta_absorption(ar: pd.Series, short: int = 15, long: int = 252) -> pd.Series:
    """Standardized shift of the absorption ratio, ΔAR.

    Parameters
    ----------
    ar
        Absorption ratio, e.g. from :func:`absorption_ratio`.
    short, long
        Rows in the short and the long trailing window (the paper's 15 days and one
        year); ``1 <= short < long``.

    Returns
    -------
    pandas.Series
        Named ``"delta_ar"``, indexed like ``ar``; NaN until ``long`` values of ``ar``
        are available, where a window holds a missing value, or where the long-window
        standard deviation is zero.

    Notes
    -----
    :math:`\\Delta AR_t = (\\overline{AR}_{short,t} - \\overline{AR}_{long,t}) /
    \\sigma_{long,t}`, means and sample standard deviation (ddof=1) over the trailing
    windows ending at ``t`` (inclusive, not lagged). Values above 1 flag a sharp
    recent rise in market coupling.
    """
    if isinstance(short, bool) or not isinstance(short, int | np.integer) or short < 1:
        raise EstimationError(f"short must be an integer >= 1; got {short!r}")
    long = _check_window(long, "long")
    if short >= long:
        raise EstimationError(f"short ({short}) must be smaller than long ({long})")
    x = ar.astype("float64")
    mean_short = x.rolling(short, min_periods=short).mean()
    roll_long = x.rolling(long, min_periods=long)
    sd = roll_long.std(ddof=1)
    out = (mean_short - roll_long.mean()) / sd.where(sd > 0)
    return out.rename("delta_ar")
