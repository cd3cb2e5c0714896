"""Universe-level tests of a factor model: every ticker of a run at once.

* **GRS test** (Gibbons, Ross & Shanken 1989) of the joint hypothesis that
  every asset's alpha is zero, for models whose factors are traded excess
  returns (:func:`grs_test`). With :math:`T` periods, :math:`N` assets and
  :math:`K` factors, the time-series OLS of each asset on a constant and the
  factors gives the alphas :math:`\\hat a` and residuals; :math:`\\hat\\Sigma`
  is the residual covariance and :math:`\\hat\\Omega` the factor covariance,
  both maximum likelihood (divided by :math:`T`), and :math:`\\bar f` the
  factor means:

  .. math:: F = \\frac{T-N-K}{N}\\,
            \\frac{\\hat a' \\hat\\Sigma^{-1} \\hat a}{1 + \\bar f' \\hat\\Omega^{-1} \\bar f}
            \\sim F(N,\\, T-N-K)

  under normal, serially independent errors. Written with the unbiased
  residual covariance :math:`S = T\\hat\\Sigma/(T-K-1)` it is
  :math:`\\frac{T}{N}\\frac{T-N-K}{T-K-1}\\,
  \\hat a' S^{-1}\\hat a / (1+\\bar f'\\hat\\Omega^{-1}\\bar f)`.
  It needs :math:`T > N + K`. linearmodels' ``TradedFactorModel`` J statistic
  is the Wald test of the alphas with a heteroskedasticity-robust covariance;
  where that equals the classical one (and with ``debiased=False``) it is
  :math:`J = T\\,\\hat a'\\hat\\Sigma^{-1}\\hat a/(1+\\bar f'\\hat\\Omega^{-1}\\bar f)`,
  so :math:`F = J\\,(T-N-K)/(N T)` (the tests check this).
* **Fama-MacBeth** (1973) risk premia (:func:`fama_macbeth`): each period the
  assets' returns are regressed on a constant and their full-sample
  time-series betas; the premia are the time-series means of the period
  slopes, with Newey-West (Bartlett kernel) standard errors of those means, by
  ``linearmodels.panel.FamaMacBeth`` (``cov_type="kernel"``). The lag rule is
  :func:`~analysis.regression.ols.newey_west_lags`, ``floor(4 (T/100)^(2/9))``,
  the library's HAC rule; t statistics have :math:`T-1` degrees of freedom.

:func:`common_sample` puts the assets on the dates they all share, dropping
(and naming) those whose history is too short, and :func:`universe_tests`
runs both tests on the per-ticker :class:`~analysis.factors.models.Design` of
one model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import AnalysisError, DataError, InsufficientDataError
from analysis.factors.models import Design, FactorModel, min_observations
from analysis.regression.ols import newey_west_lags

MIN_COVERAGE = 0.9
"""A ticker is kept when it has at least this share of the model's periods (see
:func:`common_sample`)."""

CONSTANT = "const"
"""Name of the cross-sectional intercept in the Fama-MacBeth table."""

UNIVERSE_COLUMNS = (
    "model",
    "test",
    "term",
    "statistic",
    "p_value",
    "n_assets",
    "n_periods",
    "start",
    "end",
    "note",
)
"""Columns of ``universe.csv`` (:meth:`UniverseResult.to_frame`)."""


@dataclass(frozen=True)
class GRSResult:
    """The GRS test of zero alphas.

    Attributes
    ----------
    statistic, p_value
        The F statistic and its p-value from ``F(N, T-N-K)``.
    n_assets, n_periods, n_factors
        ``N``, ``T`` and ``K``.
    alphas
        Each asset's time-series intercept (per period).
    betas
        Assets x factors: the time-series slopes.
    start, end
        First and last date of the sample.
    """

    statistic: float
    p_value: float
    n_assets: int
    n_periods: int
    n_factors: int
    alphas: pd.Series
    betas: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def df(self) -> tuple[int, int]:
        """Degrees of freedom of the F distribution: ``(N, T - N - K)``."""
        return self.n_assets, self.n_periods - self.n_assets - self.n_factors


@dataclass(frozen=True)
class FamaMacBethResult:
    """Fama-MacBeth premia.

    Attributes
    ----------
    premia
        Indexed by term (``const``, then the factors); columns ``premium``
        (per period), ``std_error`` (Newey-West), ``t_stat`` and ``p_value``
        (Student t with ``T - 1`` degrees of freedom).
    n_assets, n_periods
        Assets and cross-sections used.
    lags
        Bartlett-kernel bandwidth (number of lags) of the Newey-West errors.
    start, end
        First and last period.
    """

    premia: pd.DataFrame
    n_assets: int
    n_periods: int
    lags: int
    start: pd.Timestamp
    end: pd.Timestamp


def _check_frame(frame: pd.DataFrame, what: str) -> None:
    if frame.shape[1] == 0:
        raise DataError(f"{what} has no columns")
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise DataError(f"{what}: column {bad[0]!r} is not numeric")


def grs_test(excess_returns: pd.DataFrame, factors: pd.DataFrame) -> GRSResult:
    """Gibbons-Ross-Shanken test that every asset's alpha is zero.

    Parameters
    ----------
    excess_returns
        ``T x N``: the assets' returns in excess of the risk-free rate.
    factors
        ``T x K``: the factors, themselves excess returns of traded portfolios,
        on the same dates.

    Returns
    -------
    GRSResult

    Raises
    ------
    DataError
        When the two frames do not share their dates, or hold missing values.
    InsufficientDataError
        When ``T <= N + K`` (the residual covariance cannot be inverted).

    Notes
    -----
    See the module docstring for the statistic. The alphas and betas are
    ``numpy.linalg.lstsq`` of all assets on ``[1, factors]`` at once (the same
    OLS per asset).
    """
    _check_frame(excess_returns, "excess returns")
    _check_frame(factors, "factors")
    if not excess_returns.index.equals(factors.index):
        raise DataError("excess returns and factors must have the same dates, in order")
    if excess_returns.isna().any().any() or factors.isna().any().any():
        raise DataError("the GRS test needs a common sample without missing values")
    T, N = excess_returns.shape
    K = factors.shape[1]
    if T <= N + K:
        raise InsufficientDataError(
            f"the GRS test needs more periods than assets plus factors: T={T}, N={N}, K={K}"
        )
    R = excess_returns.to_numpy(float)
    F = factors.to_numpy(float)
    X = np.column_stack([np.ones(T), F])
    coef, *_ = np.linalg.lstsq(X, R, rcond=None)
    resid = R - X @ coef
    sigma = resid.T @ resid / T  # MLE residual covariance
    omega = np.atleast_2d(np.cov(F, rowvar=False, bias=True))  # MLE factor covariance
    a = coef[0]
    mu = F.mean(axis=0)
    quad_a = float(a @ np.linalg.solve(sigma, a))
    quad_mu = float(mu @ np.linalg.solve(omega, mu))
    stat = (T - N - K) / N * quad_a / (1.0 + quad_mu)
    return GRSResult(
        statistic=stat,
        p_value=float(stats.f.sf(stat, N, T - N - K)),
        n_assets=N,
        n_periods=T,
        n_factors=K,
        alphas=pd.Series(a, index=excess_returns.columns, name="alpha"),
        betas=pd.DataFrame(coef[1:].T, index=excess_returns.columns, columns=factors.columns),
        start=pd.Timestamp(excess_returns.index[0]),
        end=pd.Timestamp(excess_returns.index[-1]),
    )


def fama_macbeth(
    returns: pd.DataFrame, betas: pd.DataFrame, *, lags: int | None = None
) -> FamaMacBethResult:
    """Fama-MacBeth premia of the factors whose betas are given.

    Parameters
    ----------
    returns
        ``T x N``: the assets' returns (missing values: the asset is left out
        of that period's cross-section).
    betas
        ``N x K``: each asset's full-sample time-series betas (index: the
        columns of ``returns``).
    lags
        Newey-West lags; default :func:`~analysis.regression.ols.newey_west_lags`
        of ``T``.

    Returns
    -------
    FamaMacBethResult

    Raises
    ------
    DataError
        When an asset of ``returns`` has no betas.
    InsufficientDataError
        With fewer than ``K + 2`` assets (a cross-section needs residual
        degrees of freedom), or fewer than ``lags + 2`` periods.

    Notes
    -----
    ``linearmodels.panel.FamaMacBeth(...).fit(cov_type="kernel",
    kernel="bartlett", bandwidth=lags, debiased=True)``: each period's
    returns on a constant and the betas by OLS; the premium is the mean of the
    period estimates and its variance the Bartlett-weighted long-run variance
    of those estimates over ``T - 1``.
    """
    from linearmodels.panel import FamaMacBeth

    _check_frame(returns, "returns")
    _check_frame(betas, "betas")
    missing = [c for c in returns.columns if c not in betas.index]
    if missing:
        raise DataError(f"no betas for {', '.join(map(str, missing))}")
    if CONSTANT in betas.columns:
        raise DataError(f"factor name {CONSTANT!r} is reserved for the intercept")
    N, K = returns.shape[1], betas.shape[1]
    if N < K + 2:
        raise InsufficientDataError(
            f"Fama-MacBeth needs at least {K + 2} assets for {K} factors; got {N}"
        )
    panel = returns.rename_axis(index="date", columns="asset").stack().dropna()
    panel = panel.swaplevel().sort_index().rename("ret")
    exog = betas.reindex(panel.index.get_level_values("asset")).astype(float)
    exog.index = panel.index
    exog.insert(0, CONSTANT, 1.0)
    n_dates = panel.index.get_level_values("date").nunique()
    lags = newey_west_lags(n_dates) if lags is None else int(lags)
    if n_dates < lags + 2:
        raise InsufficientDataError(
            f"Fama-MacBeth with {lags} Newey-West lags needs at least {lags + 2} periods; "
            f"got {n_dates}"
        )
    try:
        res = FamaMacBeth(panel, exog).fit(
            cov_type="kernel", kernel="bartlett", bandwidth=lags, debiased=True
        )
    except (ValueError, np.linalg.LinAlgError) as err:
        raise InsufficientDataError(f"Fama-MacBeth could not be estimated: {err}") from err
    premia = pd.DataFrame(
        {
            "premium": res.params,
            "std_error": res.std_errors,
            "t_stat": res.tstats,
            "p_value": res.pvalues,
        }
    ).astype(float)
    premia.index.name = "term"
    dates = panel.index.get_level_values("date")
    return FamaMacBethResult(
        premia=premia,
        n_assets=N,
        n_periods=int(res.time_info["total"]),
        lags=lags,
        start=pd.Timestamp(dates.min()),
        end=pd.Timestamp(dates.max()),
    )


@dataclass(frozen=True)
class CommonSample:
    """Assets on the dates they all share, with the factors on those dates.

    ``dropped`` maps each ticker left out to the reason.
    """

    returns: pd.DataFrame
    factors: pd.DataFrame
    dropped: dict[str, str] = field(default_factory=dict)


def common_sample(
    returns: Mapping[str, pd.Series],
    factors: pd.DataFrame,
    *,
    min_coverage: float = MIN_COVERAGE,
) -> CommonSample:
    """The dates where every kept asset's return and every factor exist.

    Parameters
    ----------
    returns
        ``{ticker: return series}`` (each on its own dates).
    factors
        The factors (``T x K``).
    min_coverage
        A ticker whose returns cover fewer than this share of the dates on
        which any ticker has a return (and the factors exist) is dropped, so
        that one short history does not cut every other ticker's sample.

    Returns
    -------
    CommonSample
    """
    fac = factors.dropna(how="any")
    series = {t: s.dropna().loc[lambda s: s.index.isin(fac.index)] for t, s in returns.items()}
    dates = reduce(lambda a, b: a.union(b), (s.index for s in series.values()), pd.Index([]))
    dropped: dict[str, str] = {}
    kept: dict[str, pd.Series] = {}
    for t, s in series.items():
        if len(dates) == 0 or len(s) < min_coverage * len(dates):
            dropped[t] = f"history too short: {len(s)} of the {len(dates)} periods"
        else:
            kept[t] = s
    frame = pd.DataFrame(kept).reindex(columns=list(kept)).dropna(how="any")
    return CommonSample(frame, fac.loc[frame.index], dropped)


def grs_eligibility(model: FactorModel) -> str | None:
    """Why the GRS test does not apply to ``model`` (``None``: it applies).

    The test needs returns in excess of the risk-free rate on factors that are
    themselves excess returns of traded portfolios: the Fama-French models.
    """
    if model.origin == "french" and model.excess:
        return None
    if model.origin == "engineered":
        return "its characteristics are not traded factors (each stock has its own)"
    if not model.excess:
        return "its returns are not in excess of the risk-free rate"
    return "its factors are not excess returns of traded portfolios"


def fama_macbeth_eligibility(model: FactorModel) -> str | None:
    """Why Fama-MacBeth does not apply to ``model`` (``None``: it applies).

    It needs factors common to every stock, so that the betas are exposures
    to the same risks: all models but the engineered one.
    """
    if model.origin == "engineered":
        return "its characteristics are each stock's own, not factors common to all stocks"
    return None


@dataclass(frozen=True)
class UniverseResult:
    """Both tests for one model, or why each was not run."""

    model: str
    grs: GRSResult | None
    fama_macbeth: FamaMacBethResult | None
    grs_note: str = ""
    fama_macbeth_note: str = ""
    dropped: dict[str, str] = field(default_factory=dict)
    n_assets: int = 0
    n_periods: int = 0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def to_frame(self) -> pd.DataFrame:
        """Rows of ``universe.csv`` (:data:`UNIVERSE_COLUMNS`).

        One ``GRS`` row (statistic F), then per term a ``Fama-MacBeth premium``
        row (statistic: premium per period) and a ``Fama-MacBeth t`` row
        (statistic: Newey-West t), both with the premium's p-value. A test not
        run has one row with empty statistic and the reason in ``note``.
        """
        dropped = "; ".join(f"{t} dropped ({r})" for t, r in self.dropped.items())
        rows: list[dict[str, object]] = []

        def add(test: str, term: str, stat: float, p: float, n: int, t: int, note: str) -> None:
            rows.append(
                {
                    "model": self.model,
                    "test": test,
                    "term": term,
                    "statistic": stat,
                    "p_value": p,
                    "n_assets": n,
                    "n_periods": t,
                    "start": _day(self.start),
                    "end": _day(self.end),
                    "note": note,
                }
            )

        nan = float("nan")
        if self.grs is not None:
            g = self.grs
            add("GRS", "alpha", g.statistic, g.p_value, g.n_assets, g.n_periods, dropped)
        else:
            add("GRS", "alpha", nan, nan, self.n_assets, self.n_periods, self.grs_note)
        if self.fama_macbeth is not None:
            fm = self.fama_macbeth
            for term, r in fm.premia.iterrows():
                n, t = fm.n_assets, fm.n_periods
                add("Fama-MacBeth premium", str(term), r["premium"], r["p_value"], n, t, dropped)
                add("Fama-MacBeth t", str(term), r["t_stat"], r["p_value"], n, t, dropped)
        else:
            note = self.fama_macbeth_note
            add("Fama-MacBeth premium", "", nan, nan, self.n_assets, self.n_periods, note)
        return pd.DataFrame(rows, columns=list(UNIVERSE_COLUMNS))


def _day(ts: pd.Timestamp | None) -> str:
    return "" if ts is None else f"{ts:%Y-%m-%d}"


def universe_tests(
    model_id: str,
    model: FactorModel,
    designs: Mapping[str, Design],
    *,
    excluded: Mapping[str, str] | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> UniverseResult:
    """The GRS test and Fama-MacBeth premia of one model over the tickers' designs.

    Parameters
    ----------
    model_id
        The model's id in the run (its row label in ``universe.csv``).
    model
        The model definition (decides which tests apply).
    designs
        ``{ticker: Design}`` of the model, one per ticker that could be
        estimated (see :func:`~analysis.factors.models.build_design`).
    excluded
        ``{ticker: reason}`` of tickers without a design (listed with the
        tickers :func:`common_sample` drops).
    min_coverage
        See :func:`common_sample`.

    Returns
    -------
    UniverseResult
        Tests that do not apply, or lack tickers or periods, are ``None`` with
        the reason in ``grs_note`` / ``fama_macbeth_note``.
    """
    grs_why = grs_eligibility(model)
    fm_why = fama_macbeth_eligibility(model)
    if grs_why and fm_why:
        return UniverseResult(
            model_id, None, None, f"not eligible: {grs_why}", f"not eligible: {fm_why}"
        )
    out = dict(excluded or {})
    if not designs:
        why = "too few tickers: none could be estimated"
        grs_note = f"not eligible: {grs_why}" if grs_why else why
        fm_note = f"not eligible: {fm_why}" if fm_why else why
        return UniverseResult(model_id, None, None, grs_note, fm_note, dropped=out)
    factors = reduce(lambda a, b: a.combine_first(b), (d.X for d in designs.values()))
    sample = common_sample({t: d.y for t, d in designs.items()}, factors, min_coverage=min_coverage)
    R, F = sample.returns, sample.factors[list(model.factors)]
    T, N, K = len(R), R.shape[1], F.shape[1]
    grs: GRSResult | None = None
    grs_note = f"not eligible: {grs_why}" if grs_why else _too_small(N, T, K, grs=True)
    if not grs_note:
        try:
            grs = grs_test(R, F)
        except AnalysisError as exc:
            grs_note = str(exc)
    fm: FamaMacBethResult | None = None
    fm_note = f"not eligible: {fm_why}" if fm_why else _too_small(N, T, K, grs=False)
    if not fm_note:
        try:
            betas = grs.betas if grs is not None else _time_series_betas(R, F)
            fm = fama_macbeth(R, betas)
        except AnalysisError as exc:
            fm_note = str(exc)
    return UniverseResult(
        model_id,
        grs,
        fm,
        grs_note,
        fm_note,
        dropped=out | sample.dropped,
        n_assets=N,
        n_periods=T,
        start=pd.Timestamp(R.index[0]) if T else None,
        end=pd.Timestamp(R.index[-1]) if T else None,
    )


def _too_small(n: int, t: int, k: int, *, grs: bool) -> str:
    """Why ``n`` tickers over ``t`` common periods are too few for ``k`` factors ("": enough).

    Both tests need two tickers and :func:`~analysis.factors.models.min_observations`
    periods; GRS also more periods than tickers plus factors, Fama-MacBeth
    ``k + 2`` tickers (a cross-section with residual degrees of freedom).
    """
    need_n = 2 if grs else k + 2
    if n < need_n:
        return f"too few tickers: {n} with a common sample (at least {need_n} needed)"
    need_t = max(min_observations(k), n + k + 1) if grs else min_observations(k)
    if t < need_t:
        return f"too few periods: {t} common periods for {n} tickers (at least {need_t} needed)"
    return ""


def _time_series_betas(returns: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Assets x factors: OLS slopes of each asset on a constant and the factors."""
    X = np.column_stack([np.ones(len(factors)), factors.to_numpy(float)])
    coef, *_ = np.linalg.lstsq(X, returns.to_numpy(float), rcond=None)
    return pd.DataFrame(coef[1:].T, index=returns.columns, columns=factors.columns)
