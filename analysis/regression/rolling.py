"""Rolling-window OLS for one or many dependent series on common factors.

Each window ``[t-w+1, t]`` runs the same regression as
:func:`analysis.regression.ols.fit_ols` on that window's rows, and the
results are indexed by the window's last date, like statsmodels'
``RollingOLS``. Rows with a missing value are left out of every window that
contains them (statsmodels' ``missing="drop"``); a window with fewer than
``min_nobs`` usable rows is NaN.

How it is computed
------------------
All windows are estimated at once. The regressors and each dependent series
are centred on their full-sample means, the window sums of ``z z'`` and
``z y`` come from differences of cumulative sums, and the normal equations of
every window are solved in one batched :func:`numpy.linalg.solve`. Centring
keeps the cumulative sums small, so the differences lose almost nothing to
cancellation; the centred intercept is mapped back to the original alpha
exactly. When every dependent series is complete, one set of ``z z'`` sums
serves them all, which is what makes many tickers cheap.

Standard errors are either classical (``s^2 (Z'Z)^-1``) or HAC (Newey-West,
Bartlett kernel, no small-sample correction: statsmodels' ``cov_type="HAC"``
on that window), which statsmodels' rolling estimator does not offer. HAC
needs each window's own residuals, so it is evaluated window by window in
vectorized blocks.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from analysis.errors import EstimationError
from analysis.regression.ols import newey_west_lags

RollingCov = Literal["nonrobust", "HAC"]

SINGULAR_COND = 1e10
"""Windows whose factor correlation matrix has a larger condition number are left NaN."""

CONSTANT_RTOL = 1e-10
"""A factor whose within-window sum of squared deviations is below this fraction of its
sum of squares is treated as constant in that window (the window is left NaN)."""


@dataclass(frozen=True)
class RollingResult:
    """Rolling estimates for one dependent series.

    DataFrames are indexed by the date of each window's last row and have one
    column per term (``alpha`` then the factors); windows that could not be
    estimated are NaN, never filled.

    Attributes
    ----------
    dependent
        Name of the dependent series (the ticker).
    params, std_errors
        Estimates and standard errors per window.
    lower, upper
        Confidence band ``params -/+ t_{(1+level)/2, n_w-k} * std_errors``.
    nobs
        Usable rows in each window.
    singular
        True where the window's design was too ill-conditioned to solve.
    window, min_nobs, cov_type, maxlags, level
        The settings that produced the result.
    """

    dependent: str
    params: pd.DataFrame
    std_errors: pd.DataFrame = field(repr=False)
    lower: pd.DataFrame = field(repr=False)
    upper: pd.DataFrame = field(repr=False)
    nobs: pd.Series = field(repr=False)
    singular: pd.Series = field(repr=False)
    window: int = 252
    min_nobs: int = 2
    cov_type: RollingCov = "nonrobust"
    maxlags: int | None = None
    level: float = 0.95

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.params.columns)

    def to_frame(self) -> pd.DataFrame:
        """``date`` column plus one column per term (estimates), estimable windows only."""
        out = self.params.dropna(how="all").reset_index()
        return out.rename(columns={out.columns[0]: "date"})

    def summary(self) -> str:
        """Settings, estimable windows and the range of each estimate."""
        est = self.params.dropna(how="all")
        head = (
            f"Rolling OLS for {self.dependent}: window {self.window}, min_nobs {self.min_nobs}, "
            f"{self.cov_type}" + (f" ({self.maxlags} lags)" if self.cov_type == "HAC" else "")
        )
        if est.empty:
            return head + "\nno estimable window"
        rng = est.describe().loc[["min", "mean", "max"]].T
        return (
            f"{head}\n{len(est)} estimable windows from {est.index[0]:%Y-%m-%d} to "
            f"{est.index[-1]:%Y-%m-%d}; {int(self.singular.sum())} singular\n"
            + rng.to_string(float_format=lambda v: f"{v: .4f}")
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _windows(n: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) row of each full window."""
    ends = np.arange(window, n + 1)
    return ends - window, ends


def _window_sums(values: np.ndarray, window: int) -> np.ndarray:
    """Sum over each trailing window along axis 0, via cumulative sums."""
    c = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])
    return c[window:] - c[:-window]


def _bartlett(maxlags: int) -> np.ndarray:
    return 1.0 - np.arange(1, maxlags + 1) / (maxlags + 1.0)


def _hac_meat(u: np.ndarray, maxlags: int) -> np.ndarray:
    """Newey-West ``S`` for scores ``u`` of shape (..., n, k)."""
    s = np.einsum("...ti,...tj->...ij", u, u)
    for lag, w in enumerate(_bartlett(maxlags), start=1):
        if lag >= u.shape[-2]:
            break
        g = np.einsum("...ti,...tj->...ij", u[..., lag:, :], u[..., :-lag, :])
        s += w * (g + np.swapaxes(g, -1, -2))
    return s


def _blocks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def _ill_conditioned(A: np.ndarray, nobs: np.ndarray) -> np.ndarray:
    """Flag windows whose design cannot be solved reliably, from the window sums ``A``.

    ``A`` holds the window sums of ``z z'`` with ``z = [1, x]``. A factor that
    is (numerically) constant within the window, or factors whose
    within-window correlation matrix is nearly singular, make the window
    unestimable; such windows are reported as NaN rather than as the noise a
    solver would return.
    """
    n = np.where(nobs > 0, nobs, 1.0)
    sxx = A[:, 1:, 1:] - A[:, 1:, :1] * A[:, :1, 1:] / n[:, None, None]
    dev = np.einsum("tii->ti", sxx)
    raw = np.einsum("tii->ti", A[:, 1:, 1:])
    constant = (dev <= CONSTANT_RTOL * raw).any(axis=1)
    d = np.sqrt(np.where(dev > 0, dev, 1.0))
    corr = sxx / (d[:, :, None] * d[:, None, :])
    with np.errstate(invalid="ignore"):
        cond = np.linalg.cond(corr)
    return constant | ~np.isfinite(cond) | (cond > SINGULAR_COND)


def _rolling_arrays(
    Y: np.ndarray,
    X: np.ndarray,
    window: int,
    min_nobs: int,
    cov_type: RollingCov | None,
    maxlags: int,
    center: Sequence[int] = (),
) -> dict[str, np.ndarray]:
    """Core computation; see :func:`rolling_ols_many`. Arrays are (T, N, k) / (T, N).

    ``center``: positions in ``X`` of the regressors centred within each window.
    """
    T, N = Y.shape
    k = X.shape[1] + 1
    x_ok = np.isfinite(X).all(axis=1)
    mask = x_ok[:, None] & np.isfinite(Y)  # (T, N) usable rows per series
    xbar = X[x_ok].mean(axis=0) if x_ok.any() else np.zeros(k - 1)
    Zc = np.column_stack([np.ones(T), np.where(x_ok[:, None], X - xbar, 0.0)])
    ybar = np.array([Y[mask[:, n], n].mean() if mask[:, n].any() else 0.0 for n in range(N)])
    Yc = np.where(mask, Y - ybar, 0.0)

    starts, ends = _windows(T, window)
    Tw = len(ends)
    params = np.full((T, N, k), np.nan)
    se = np.full((T, N, k), np.nan)
    nobs_out = np.zeros((T, N))
    singular_out = np.zeros((T, N), dtype=bool)
    if Tw == 0:
        return {"params": params, "se": se, "nobs": nobs_out, "singular": singular_out}

    zz = Zc[:, :, None] * Zc[:, None, :]  # (T, k, k)
    complete = (mask == x_ok[:, None]).all(axis=0)  # series missing nothing beyond X's gaps
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    if complete.any():
        groups.append((np.flatnonzero(complete), x_ok.astype(float)))
    groups += [(np.array([n]), mask[:, n].astype(float)) for n in np.flatnonzero(~complete)]

    row = ends - 1
    for cols, weight in groups:
        A = _window_sums(zz * weight[:, None, None], window)  # (Tw, k, k)
        nobs = _window_sums(weight, window)  # (Tw,)
        B = _window_sums(Zc[:, :, None] * Yc[:, None, cols], window)  # (Tw, k, n)
        syy = _window_sums(Yc[:, cols] ** 2, window)  # (Tw, n)

        bad = _ill_conditioned(A, nobs)
        enough = nobs >= min_nobs
        usable = enough & ~bad
        A_safe = np.where(usable[:, None, None], A, np.eye(k))
        Ainv = np.linalg.inv(A_safe)
        beta_c = Ainv @ B  # (Tw, k, n)

        # back to the original intercept: alpha = c0 + ybar - xbar' beta; a regressor
        # centred within each window adds beta_j * (its window mean) back: the row of M
        # for the intercept then depends on the window (a linear map of the same fit, so
        # the covariance maps with it exactly)
        M = np.broadcast_to(np.eye(k), (len(nobs), k, k)).copy()
        M[:, 0, 1:] = -xbar
        if len(center):
            idx = 1 + np.asarray(center, dtype=int)
            sums = _window_sums(Zc[:, idx] * weight[:, None], window)  # (Tw, c)
            with np.errstate(divide="ignore", invalid="ignore"):
                M[:, 0, idx] = sums / nobs[:, None]  # -xbar + window mean = mean of Zc
        beta = np.einsum("tij,tjn->tin", M, beta_c)
        beta[:, 0, :] += ybar[cols]
        beta[~usable] = np.nan

        params[row[:, None], cols[None, :], :] = np.swapaxes(beta, 1, 2)
        nobs_out[row[:, None], cols[None, :]] = nobs[:, None]
        singular_out[row[:, None], cols[None, :]] = (enough & bad)[:, None]

        if cov_type is None:
            continue
        df = nobs - k
        if cov_type == "nonrobust":
            rss = np.clip(syy - np.einsum("tin,tin->tn", beta_c, B), 0.0, None)
            with np.errstate(divide="ignore", invalid="ignore"):
                s2 = np.where(df[:, None] > 0, rss / df[:, None], np.nan)  # (Tw, n)
            unit = np.einsum("tij,tjl,til->ti", M, Ainv, M)  # diag(M A^-1 M'), (Tw, k)
            var = s2[:, :, None] * unit[:, None, :]
        else:
            cov_c = np.full((Tw, len(cols), k, k), np.nan)
            for j, n in enumerate(cols):
                cov_c[:, j] = _hac_cov_one(
                    Yc[:, n], Zc, mask[:, n], beta_c[:, :, j], Ainv, starts, window, maxlags
                )
            var = np.einsum("tij,tnjl,til->tni", M, cov_c, M)
        with np.errstate(invalid="ignore"):
            s = np.sqrt(var)
        s[~usable] = np.nan
        s[df <= 0] = np.nan
        se[row[:, None], cols[None, :], :] = s
    return {"params": params, "se": se, "nobs": nobs_out, "singular": singular_out}


def _hac_cov_one(
    yc: np.ndarray,
    Zc: np.ndarray,
    mask: np.ndarray,
    beta_c: np.ndarray,
    Ainv: np.ndarray,
    starts: np.ndarray,
    window: int,
    maxlags: int,
) -> np.ndarray:
    """HAC covariance of the centred coefficients for every window of one series."""
    Tw, k = beta_c.shape
    out = np.full((Tw, k, k), np.nan)
    full = sliding_window_view(mask, window).all(axis=1)  # windows with no dropped row
    zw = sliding_window_view(Zc, window, axis=0)  # (Tw, k, window)
    yw = sliding_window_view(yc, window)  # (Tw, window)
    idx_full = np.flatnonzero(full & np.isfinite(beta_c).all(axis=1))
    for blk in _blocks(len(idx_full), 256):
        ii = idx_full[blk]
        z = np.swapaxes(zw[ii], 1, 2)  # (b, window, k)
        e = yw[ii] - np.einsum("btk,bk->bt", z, beta_c[ii])
        s = _hac_meat(e[:, :, None] * z, maxlags)
        out[ii] = Ainv[ii] @ s @ Ainv[ii]
    # windows with dropped rows: compact the rows (statsmodels' "drop") and do them one by one
    for i in np.flatnonzero(~full & np.isfinite(beta_c).all(axis=1)):
        rows = slice(starts[i], starts[i] + window)
        keep = mask[rows]
        z = Zc[rows][keep]
        e = yc[rows][keep] - z @ beta_c[i]
        out[i] = Ainv[i] @ _hac_meat(e[:, None] * z, maxlags) @ Ainv[i]
    return out


def _check_inputs(
    Y: pd.DataFrame, X: pd.DataFrame, window: int, min_nobs: int | None, level: float
) -> int:
    if not Y.index.equals(X.index):
        raise EstimationError("dependent series and factors must share the same index")
    if not isinstance(window, int | np.integer) or window < 2:
        raise EstimationError(f"rolling window must be an integer >= 2; got {window!r}")
    k = X.shape[1] + 1
    mn = k if min_nobs is None else int(min_nobs)
    if mn < k or mn > window:
        raise EstimationError(
            f"min_nobs must be between the number of coefficients ({k}) and the window "
            f"({window}); got {min_nobs!r}"
        )
    if not 0 < level < 1:
        raise EstimationError(f"level must be in (0, 1); got {level!r}")
    return mn


def rolling_ols_many(
    Y: pd.DataFrame,
    X: pd.DataFrame,
    window: int = 252,
    *,
    min_nobs: int | None = None,
    cov_type: RollingCov = "nonrobust",
    maxlags: int | None = None,
    level: float = 0.95,
    center: Sequence[str] = (),
) -> dict[str, RollingResult]:
    """Rolling OLS of every column of ``Y`` on a constant and the common factors ``X``.

    Parameters
    ----------
    Y
        Dependent returns, one column per series (ticker); NaN where missing.
    X
        Factor returns, same index as ``Y``, one column per factor.
    window
        Rows per window (default 252, one year of trading days).
    min_nobs
        Fewest usable rows for a window to be estimated; default the number
        of coefficients, as in statsmodels' ``RollingOLS``.
    cov_type
        ``"nonrobust"`` or ``"HAC"`` standard errors.
    maxlags
        HAC bandwidth for every window; default :func:`newey_west_lags` of
        ``window``.
    level
        Coverage of the confidence band.
    center
        Columns of ``X`` centred on their mean within each window (over the
        window's usable rows): their betas are unchanged, the intercept becomes
        ``mean(y) - sum of the other factors' beta * mean`` of the window, with its
        standard error. Used for regressors that are levels rather than returns.

    Returns
    -------
    dict
        ``{column of Y: RollingResult}``.
    """
    mn = _check_inputs(Y, X, window, min_nobs, level)
    unknown = [c for c in center if c not in X.columns]
    if unknown:
        raise EstimationError(f"center: {unknown} are not columns of X")
    if cov_type not in ("nonrobust", "HAC"):
        raise EstimationError(f"rolling cov_type must be 'nonrobust' or 'HAC'; got {cov_type!r}")
    lags = newey_west_lags(window) if maxlags is None else int(maxlags)
    arr = _rolling_arrays(
        Y.to_numpy(dtype="float64"),
        X.to_numpy(dtype="float64"),
        window,
        mn,
        cov_type,
        lags,
        [X.columns.get_loc(c) for c in center],
    )
    terms = ["alpha", *map(str, X.columns)]
    k = len(terms)
    out: dict[str, RollingResult] = {}
    for n, name in enumerate(map(str, Y.columns)):
        p = pd.DataFrame(arr["params"][:, n, :], index=Y.index, columns=terms)
        s = pd.DataFrame(arr["se"][:, n, :], index=Y.index, columns=terms)
        nobs = pd.Series(arr["nobs"][:, n], index=Y.index, name="nobs")
        with np.errstate(invalid="ignore"):
            q = stats.t.ppf(0.5 + level / 2, (nobs - k).where(nobs > k).to_numpy())
        half = s.mul(q, axis=0)
        out[name] = RollingResult(
            dependent=name,
            params=p,
            std_errors=s,
            lower=p - half,
            upper=p + half,
            nobs=nobs.astype(int),
            singular=pd.Series(arr["singular"][:, n], index=Y.index, name="singular"),
            window=window,
            min_nobs=mn,
            cov_type=cov_type,
            maxlags=lags if cov_type == "HAC" else None,
            level=level,
        )
    return out


def rolling_ols(
    y: pd.Series,
    X: pd.DataFrame,
    window: int = 252,
    *,
    min_nobs: int | None = None,
    cov_type: RollingCov = "nonrobust",
    maxlags: int | None = None,
    level: float = 0.95,
    center: Sequence[str] = (),
) -> RollingResult:
    """Rolling OLS of one series; see :func:`rolling_ols_many` for the parameters."""
    name = "y" if y.name is None else str(y.name)
    res = rolling_ols_many(
        y.rename(name).to_frame(),
        X,
        window,
        min_nobs=min_nobs,
        cov_type=cov_type,
        maxlags=maxlags,
        level=level,
        center=center,
    )
    return res[name]


def rolling_params(
    Y: pd.DataFrame, X: pd.DataFrame, window: int = 252, *, min_nobs: int | None = None
) -> np.ndarray:
    """Only the rolling estimates, as an array of shape (T, n_series, n_terms).

    The fast path for many tickers when no standard errors are needed.
    """
    mn = _check_inputs(Y, X, window, min_nobs, 0.95)
    arr = _rolling_arrays(
        Y.to_numpy(dtype="float64"), X.to_numpy(dtype="float64"), window, mn, None, 0
    )
    return arr["params"]
