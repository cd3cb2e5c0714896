"""Factor premia: Fama-MacBeth slopes and each factor's own quantile spread.

Both summaries give one row per factor with the columns of the contract table
``factor_premia.csv`` (:data:`PREMIA_COLUMNS`), so that

    pd.concat([fama_macbeth(f, y), factor_spread_summary(s, P)])[list(PREMIA_COLUMNS)]

is that table. Estimates are per rebalance period, not annualized.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from linearmodels import FamaMacBeth

from analysis.errors import DataError, EstimationError, InsufficientDataError
from analysis.signals.ic import check_panel
from analysis.signals.quantiles import (
    quantile_returns_by_date,
    quantize,
    spread,
    spread_summary,
)

PREMIA_COLUMNS = ("factor", "method", "estimate", "std_error", "t_stat")
"""Columns of the contract table ``factor_premia.csv``."""

CONSTANT = "const"

MIN_FM_DATES = 4
"""Fewest estimable cross-sections: linearmodels' automatic Bartlett bandwidth needs 4."""


def _check_factors(factors: pd.DataFrame) -> None:
    check_panel(factors, "factors")
    if factors.shape[1] == 0:
        raise DataError("factors has no columns; need at least one factor")
    bad = [c for c in factors.columns if not pd.api.types.is_numeric_dtype(factors[c])]
    if bad:
        raise DataError(f"factor {bad[0]!r} is not numeric ({factors[bad[0]].dtype})")


def fama_macbeth(
    factors: pd.DataFrame,
    label: pd.Series,
    *,
    bandwidth: int | None = None,
    include_constant: bool = False,
) -> pd.DataFrame:
    """Fama-MacBeth premia: per-date cross-sectional OLS, slopes averaged over dates.

    Parameters
    ----------
    factors
        Processed factor exposures, one column per factor, on a
        ``(date, ticker)`` MultiIndex.
    label
        The next-period return, on the same kind of index.
    bandwidth
        Bartlett bandwidth of the Newey-West standard error; ``None`` (the
        default) lets linearmodels choose it (see Notes).
    include_constant
        Also report the intercept, as factor ``"const"``.

    Returns
    -------
    pd.DataFrame
        Columns :data:`PREMIA_COLUMNS`, ``method`` ``"fama_macbeth"``, one row
        per factor in the order of ``factors``' columns.

    Raises
    ------
    InsufficientDataError
        With fewer than :data:`MIN_FM_DATES` estimable dates.
    EstimationError
        If linearmodels cannot estimate the model (e.g. a rank-deficient design).

    Notes
    -----
    Estimated by ``linearmodels.FamaMacBeth`` on the rows with a label and
    every factor, with a constant, index ordered ``(ticker, date)`` as
    linearmodels requires. On each date :math:`t` the label is regressed on a
    constant and the factors, :math:`y_{it} = a_t + x_{it}' \\lambda_t + e_{it}`;
    a date with fewer rows than regressors, or a rank-deficient design, is
    skipped. The premium is :math:`\\hat\\lambda = T^{-1} \\sum_t \\hat\\lambda_t`
    over the :math:`T` estimated dates, and its variance is the Newey-West
    (Bartlett kernel) long-run variance of the :math:`\\hat\\lambda_t` over
    :math:`T - 1`:

    .. math:: \\widehat{V} = \\frac{1}{T (T-1)} \\Big( \\Gamma_0 + \\sum_{j=1}^{L}
              \\big(1 - \\tfrac{j}{L+1}\\big)(\\Gamma_j + \\Gamma_j') \\Big),
              \\quad \\Gamma_j = \\sum_{t>j} d_t d_{t-j}',\\; d_t = \\hat\\lambda_t - \\hat\\lambda

    (``cov_type="kernel"``, ``kernel="bartlett"``, ``debiased=True``; with
    :math:`L = 0` it is the classical Fama-MacBeth variance
    :math:`s^2_\\lambda / T`). Unless ``bandwidth`` is given, :math:`L` is
    linearmodels' automatic choice: the Newey-West (1994) plug-in rule applied
    to the sum of the standardized deviations :math:`d_t`, with
    :math:`n = \\lceil 4 (T/100)^{2/9} \\rceil` pilot lags,
    :math:`L = \\min(\\lceil 1.1447 \\, ((\\hat s_1 / \\hat s_0)^2)^{1/3} T^{1/3} \\rceil, T - 1)`.
    This data-driven bandwidth differs from the fixed
    ``floor(4 (T/100)^(2/9))`` of :func:`analysis.regression.ols.newey_west_lags`.
    ``t_stat`` is estimate / std_error (its reference is Student t with
    :math:`T - 1` degrees of freedom).
    """
    _check_factors(factors)
    check_panel(label, "label")
    if CONSTANT in factors.columns:
        raise DataError(f"factor name {CONSTANT!r} is reserved for the intercept; rename it")
    names = [str(c) for c in factors.columns]
    data = pd.concat(
        [label.rename("__label__").astype(float), factors.astype(float)], axis=1, join="inner"
    ).dropna(how="any")
    rows_per_date = data.groupby(level="date").size()
    estimable = int((rows_per_date >= len(names) + 1).sum())
    if estimable < MIN_FM_DATES:
        raise InsufficientDataError(
            f"Fama-MacBeth needs at least {MIN_FM_DATES} dates with more than "
            f"{len(names)} complete rows; got {estimable}"
        )
    data = data.swaplevel("date", "ticker").sort_index()
    exog = data[list(factors.columns)].copy()
    exog.columns = names
    exog.insert(0, CONSTANT, 1.0)
    try:
        res = FamaMacBeth(data["__label__"], exog).fit(
            cov_type="kernel", kernel="bartlett", bandwidth=bandwidth, debiased=True
        )
    except (ValueError, np.linalg.LinAlgError) as err:
        raise EstimationError(f"Fama-MacBeth could not be estimated: {err}") from err
    terms = [CONSTANT, *names] if include_constant else names
    out = pd.DataFrame(
        {
            "factor": terms,
            "method": "fama_macbeth",
            "estimate": res.params[terms].to_numpy(dtype=float),
            "std_error": res.std_errors[terms].to_numpy(dtype=float),
            "t_stat": res.tstats[terms].to_numpy(dtype=float),
        }
    )
    return out


def factor_spreads(factors: pd.DataFrame, label: pd.Series, quantiles: int = 5) -> pd.DataFrame:
    """Each factor's own top-minus-bottom quantile mean return, per date.

    Parameters
    ----------
    factors
        Factor exposures on a ``(date, ticker)`` MultiIndex.
    label
        The next-period return.
    quantiles
        Number of buckets ``q``; the spread is bucket ``q`` minus bucket 1.

    Returns
    -------
    pd.DataFrame
        Date × factor; NaN where a factor has no spread that date.

    Notes
    -----
    Each column is :func:`~analysis.signals.quantiles.quantize` of that
    factor alone (its own conventions: dates with fewer names than buckets are
    dropped, ties that merge bucket edges raise), then the equal-weighted mean
    label of the top bucket minus that of the bottom bucket
    (:func:`~analysis.signals.quantiles.spread`).
    """
    _check_factors(factors)
    check_panel(label, "label")
    columns: dict[str, pd.Series] = {}
    for name in factors.columns:
        buckets = quantize(factors[name], quantiles)
        per_date = quantile_returns_by_date(buckets, label)
        if quantiles not in per_date.columns or 1 not in per_date.columns:
            raise InsufficientDataError(
                f"factor {name!r}: no date with a label has {quantiles} filled quantiles"
            )
        columns[str(name)] = spread(per_date, quantiles, 1)
    out = pd.DataFrame(columns).sort_index()
    out.index.name = "date"
    out.columns.name = "factor"
    return out


def factor_spread_summary(spreads: pd.DataFrame, periods_per_year: int) -> pd.DataFrame:
    """Mean quantile spread of each factor, its standard error and t statistic.

    Parameters
    ----------
    spreads
        Date × factor spreads, from :func:`factor_spreads`.
    periods_per_year
        ``P`` (252 daily, 52 weekly, 12 monthly), for ``annualized_estimate``.

    Returns
    -------
    pd.DataFrame
        Columns :data:`PREMIA_COLUMNS` (``method`` ``"quantile_spread"``,
        ``estimate`` the mean spread per period, ``std_error`` = std (ddof 1)
        / sqrt(n dates), ``t_stat`` = estimate / std_error) followed by
        ``annualized_estimate`` = P × estimate, which is not part of the
        contract table.
    """
    rows = []
    for name in spreads.columns:
        s = spread_summary(spreads[name].rename(str(name)), periods_per_year)
        rows.append(
            {
                "factor": str(name),
                "method": "quantile_spread",
                "estimate": s["mean"],
                "std_error": s["std_error"],
                "t_stat": s["t_stat"],
                "annualized_estimate": s["annualized_mean"],
            }
        )
    return pd.DataFrame(rows, columns=[*PREMIA_COLUMNS, "annualized_estimate"])


def factor_correlation(factors: pd.DataFrame) -> pd.DataFrame:
    """Average over dates of the factors' cross-sectional Spearman correlation matrix.

    Returns
    -------
    pd.DataFrame
        Factor × factor.

    Notes
    -----
    On each date the Spearman correlation of every pair of factors is taken
    over the names that have both (pandas' pairwise-complete
    ``DataFrame.corr(method="spearman")``); each cell is then the plain mean
    over the dates on which that pair's correlation is defined. Every date
    counts once, whatever its number of names.
    """
    _check_factors(factors)
    per_date = factors.astype(float).groupby(level="date").corr(method="spearman")
    out = per_date.groupby(level=1, sort=False).mean()
    names = list(factors.columns)
    out = out.reindex(index=names, columns=names)
    out.index.name = "factor"
    out.columns.name = "factor"
    return out
