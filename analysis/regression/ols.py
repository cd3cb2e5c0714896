"""Full-sample OLS of a stock's returns on factor returns, through statsmodels.

The regression is ``y_t = alpha + x_t' beta + e_t``. Coefficients, standard
errors and tests come from :class:`statsmodels.regression.linear_model.OLS`
with ``use_t=True``; this module adds what a factor report needs on top:
annualized alpha, standardized betas, return attribution, variance
decomposition, VIFs and the usual residual diagnostics, all in one frozen
:class:`OLSResult`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera

from analysis.errors import EstimationError, SingularDesignError
from analysis.factors.models import Design

CovType = Literal["nonrobust", "HC1", "HAC"]
COV_TYPES: tuple[CovType, ...] = ("nonrobust", "HC1", "HAC")

VIF_WARN = 10.0
"""VIF above which a factor is flagged as collinear with the others."""

COND_LIMIT = 1e10
"""Condition number (of the column-scaled design) above which a fit is refused."""


def newey_west_lags(nobs: int) -> int:
    """Newey-West (1994) rule of thumb for the HAC bandwidth: ``floor(4 (T/100)^(2/9))``."""
    if nobs < 1:
        raise EstimationError(f"nobs must be positive, got {nobs}")
    return math.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0))


@dataclass(frozen=True)
class OLSResult:
    """Estimates and diagnostics of one full-sample factor regression.

    Series are indexed by term: ``alpha`` followed by the factor names.

    Attributes
    ----------
    model, dependent
        Model name and the dependent series' name (the ticker).
    params, std_errors, tstats, pvalues
        Estimates, standard errors (of the chosen covariance), t statistics
        and two-sided p-values from the t distribution with ``df_resid`` d.o.f.
    conf_int
        95% confidence interval, columns ``lower`` and ``upper``.
    nobs, df_resid
        Observations used and residual degrees of freedom.
    rsquared, rsquared_adj
        Centred R-squared and its adjusted version.
    fvalue, f_pvalue
        Joint test that all betas are zero (a Wald test with the chosen
        covariance when it is robust, as statsmodels computes it).
    durbin_watson, jarque_bera_pvalue, breusch_pagan_pvalue
        Residual autocorrelation statistic, normality and heteroskedasticity
        test p-values.
    condition_number
        Condition number of the design with columns scaled to unit length.
    vif
        Variance inflation factor of each factor.
    cov_type, hac_maxlags
        Covariance estimator and, for HAC, the Bartlett-kernel bandwidth.
    periods_per_year
        252, 52 or 12: the factor that annualizes per-period quantities.
    start, end
        First and last date of the sample.
    standardized_betas
        ``beta_j * sd(x_j) / sd(y)``: the effect of a one-standard-deviation
        move of the factor, in standard deviations of the return.
    attribution
        Mean return explained by each term: rows ``alpha``, each factor
        (``beta_j * mean(x_j)``), ``residual`` and ``total`` (= ``mean(y)``);
        columns ``per_period`` and ``annualized``.
    variance_decomposition
        Share of ``var(y)`` due to each factor (``beta_j cov(x_j, y) / var(y)``)
        and the ``specific`` share ``var(e) / var(y)``; the factor shares sum
        to R-squared and all shares to one.
    warnings
        Plain-language flags (collinearity, few observations ...).
    """

    model: str
    dependent: str
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    conf_int: pd.DataFrame
    nobs: int
    df_resid: float
    rsquared: float
    rsquared_adj: float
    fvalue: float
    f_pvalue: float
    durbin_watson: float
    jarque_bera_pvalue: float
    breusch_pagan_pvalue: float
    condition_number: float
    vif: pd.Series
    cov_type: CovType
    hac_maxlags: int | None
    periods_per_year: int
    start: pd.Timestamp
    end: pd.Timestamp
    standardized_betas: pd.Series
    attribution: pd.DataFrame
    variance_decomposition: pd.Series
    fitted: pd.Series = field(repr=False)
    resid: pd.Series = field(repr=False)
    y: pd.Series = field(repr=False)
    X: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def factors(self) -> tuple[str, ...]:
        return tuple(self.X.columns)

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.params.index)

    @property
    def betas(self) -> pd.Series:
        """The factor loadings (``params`` without ``alpha``)."""
        return self.params.drop("alpha")

    @property
    def alpha(self) -> float:
        """Intercept, per period."""
        return float(self.params["alpha"])

    @property
    def alpha_annualized(self) -> float:
        """``alpha * periods_per_year`` (a simple, not compounded, annualization)."""
        return self.alpha * self.periods_per_year

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per term.

        Columns: ``term, estimate, std_error, t_stat, p_value, ci_low, ci_high``.
        """
        return pd.DataFrame(
            {
                "term": list(self.params.index),
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "t_stat": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "ci_low": self.conf_int["lower"].to_numpy(),
                "ci_high": self.conf_int["upper"].to_numpy(),
            }
        )

    def fit_stats(self) -> dict[str, object]:
        """The one-row fit summary used in reports and ``fit.csv``."""
        return {
            "nobs": self.nobs,
            "start": self.start.date().isoformat(),
            "end": self.end.date().isoformat(),
            "r_squared": self.rsquared,
            "adj_r_squared": self.rsquared_adj,
            "alpha_annualized": self.alpha_annualized,
        }

    def diagnostics(self) -> pd.Series:
        """Residual and design diagnostics as a labelled series."""
        return pd.Series(
            {
                "F statistic": self.fvalue,
                "F p-value": self.f_pvalue,
                "Durbin-Watson": self.durbin_watson,
                "Jarque-Bera p-value": self.jarque_bera_pvalue,
                "Breusch-Pagan p-value": self.breusch_pagan_pvalue,
                "Condition number": self.condition_number,
            }
        )

    def _cov_label(self) -> str:
        if self.cov_type == "HAC":
            return f"HAC (Newey-West, Bartlett, {self.hac_maxlags} lags)"
        return self.cov_type

    def summary(self) -> str:
        """Plain-text summary in the spirit of statsmodels' ``summary()``."""
        head = [
            f"{self.model} model for {self.dependent}",
            f"Sample: {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}   Observations: {self.nobs}",
            f"Covariance: {self._cov_label()}",
            f"R-squared: {self.rsquared:.4f}   Adj. R-squared: {self.rsquared_adj:.4f}   "
            f"F: {self.fvalue:.3f} (p={self.f_pvalue:.4g})",
            f"Alpha: {self.alpha:.6f} per period, {self.alpha_annualized:.4%} annualized "
            f"(x{self.periods_per_year})",
        ]
        table = self.to_frame().set_index("term")
        body = table.to_string(float_format=lambda v: f"{v: .6f}")
        diag = self.diagnostics().to_string(float_format=lambda v: f"{v:.4f}")
        vif = self.vif.to_string(float_format=lambda v: f"{v:.2f}")
        parts = [*head, "", body, "", "Diagnostics", diag, "", "VIF", vif]
        if self.warnings:
            parts += ["", "Warnings", *(f"- {w}" for w in self.warnings)]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = self.to_frame().set_index("term")
        caption = html.escape(
            f"{self.model} — {self.dependent}, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}, "
            f"n={self.nobs}, R²={self.rsquared:.3f}, adj. R²={self.rsquared_adj:.3f}, "
            f"α={self.alpha_annualized:.2%}/yr, {self._cov_label()}"
        )
        return (
            f"<div><p><b>{caption}</b></p>"
            + table.to_html(float_format=lambda v: f"{v:.4f}", escape=True)
            + "</div>"
        )


def check_design(y: pd.Series, X: pd.DataFrame) -> float:
    """Refuse designs that cannot be estimated reliably; return the condition number.

    Raises
    ------
    SingularDesignError
        If a factor is constant (it duplicates the intercept), the columns
        are linearly dependent, or the condition number of the column-scaled
        design ``[1, X]`` exceeds :data:`COND_LIMIT`. The message names the
        factors involved.
    EstimationError
        If ``y`` or ``X`` contain missing or infinite values, or their
        lengths differ.
    """
    if len(y) != len(X) or not y.index.equals(X.index):
        raise EstimationError("y and X must share the same index")
    values = X.to_numpy(dtype="float64")
    if not (np.isfinite(values).all() and np.isfinite(y.to_numpy(dtype="float64")).all()):
        raise EstimationError(f"{y.name}: y and X must not contain missing or infinite values")
    const = [str(c) for c in X.columns if np.ptp(X[c].to_numpy()) == 0.0]
    if const:
        raise SingularDesignError(
            f"{y.name}: factor(s) {', '.join(const)} are constant over the sample "
            "and cannot be separated from alpha"
        )
    Z = np.column_stack([np.ones(len(X)), values])
    Zs = Z / np.linalg.norm(Z, axis=0)
    sv = np.linalg.svd(Zs, compute_uv=False)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf
    if cond > COND_LIMIT:
        _, _, vt = np.linalg.svd(Zs)
        null = vt[-1]
        names = ["alpha", *map(str, X.columns)]
        involved = [n for n, w in zip(names, null, strict=True) if abs(w) > 1e-3]
        raise SingularDesignError(
            f"{y.name}: the factors are (nearly) collinear (condition number {cond:.3g}); "
            f"the combination involves {', '.join(involved)}. Drop one of them."
        )
    return cond


def fit_ols(
    y: pd.Series,
    X: pd.DataFrame,
    *,
    cov_type: CovType = "HAC",
    maxlags: int | None = None,
    periods_per_year: int = 252,
    model: str = "custom",
) -> OLSResult:
    """Regress ``y`` on a constant and ``X``.

    Parameters
    ----------
    y
        Dependent returns, indexed by date.
    X
        Factor returns, one column per factor, same index as ``y``.
    cov_type
        ``"nonrobust"`` (classical), ``"HC1"`` (White with the n/(n-k)
        correction) or ``"HAC"`` (Newey-West, the default).
    maxlags
        HAC bandwidth; default :func:`newey_west_lags` of the sample size.
    periods_per_year
        Annualization factor for alpha and attribution (252, 52, 12).
    model
        Model name carried into the result.

    Notes
    -----
    HAC uses the Bartlett kernel with weights ``1 - l/(maxlags+1)`` and no
    small-sample correction (statsmodels' defaults for ``cov_type="HAC"``).
    Inference uses the t distribution with ``n - k`` degrees of freedom
    (``use_t=True``), also for the robust covariances.
    """
    if cov_type not in COV_TYPES:
        raise EstimationError(f"cov_type must be one of {', '.join(COV_TYPES)}; got {cov_type!r}")
    if maxlags is not None and (not isinstance(maxlags, int) or maxlags < 0):
        raise EstimationError(f"maxlags must be a non-negative integer; got {maxlags!r}")
    cond = check_design(y, X)
    k = X.shape[1] + 1
    if len(y) <= k:
        raise EstimationError(f"{y.name}: {len(y)} observations for {k} coefficients")
    exog = sm.add_constant(X.astype("float64"), has_constant="add").rename(
        columns={"const": "alpha"}
    )
    lags: int | None = None
    if cov_type == "HAC":
        lags = newey_west_lags(len(y)) if maxlags is None else maxlags
        res = sm.OLS(y.astype("float64"), exog).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True
        )
    else:
        res = sm.OLS(y.astype("float64"), exog).fit(cov_type=cov_type, use_t=True)

    ci = res.conf_int(alpha=0.05)
    ci.columns = ["lower", "upper"]
    resid = res.resid
    jb_p = float(jarque_bera(resid)[1])
    bp_p = float(het_breuschpagan(resid, exog)[1])
    ex = exog.to_numpy()
    vif = pd.Series(
        [variance_inflation_factor(ex, i) for i in range(1, ex.shape[1])],
        index=X.columns,
        name="vif",
    )
    betas = res.params.drop("alpha")
    sd_y = float(y.std(ddof=1))
    std_betas = betas * X.std(ddof=1) / sd_y

    means = X.mean()
    per_period = pd.concat(
        [
            pd.Series({"alpha": res.params["alpha"]}),
            betas * means,
            pd.Series({"residual": float(resid.mean()), "total": float(y.mean())}),
        ]
    )
    attribution = pd.DataFrame(
        {"per_period": per_period, "annualized": per_period * periods_per_year}
    )
    var_y = float(y.var(ddof=1))
    cov_xy = X.apply(lambda col: float(np.cov(col, y, ddof=1)[0, 1]))
    vd = pd.concat(
        [betas * cov_xy / var_y, pd.Series({"specific": float(resid.var(ddof=1)) / var_y})]
    )

    flags: list[str] = []
    for name, v in vif.items():
        if v > VIF_WARN:
            flags.append(f"{name} has VIF {v:.1f} (> {VIF_WARN:g}): collinear with other factors")
    if cond > 1e6:
        flags.append(f"design condition number {cond:.3g} is high; betas are imprecise")

    return OLSResult(
        model=model,
        dependent=str(y.name),
        params=res.params.rename("estimate"),
        std_errors=res.bse.rename("std_error"),
        tstats=res.tvalues.rename("t_stat"),
        pvalues=res.pvalues.rename("p_value"),
        conf_int=ci,
        nobs=int(res.nobs),
        df_resid=float(res.df_resid),
        rsquared=float(res.rsquared),
        rsquared_adj=float(res.rsquared_adj),
        fvalue=float(np.squeeze(res.fvalue)),
        f_pvalue=float(np.squeeze(res.f_pvalue)),
        durbin_watson=float(durbin_watson(resid)),
        jarque_bera_pvalue=jb_p,
        breusch_pagan_pvalue=bp_p,
        condition_number=cond,
        vif=vif,
        cov_type=cov_type,
        hac_maxlags=lags,
        periods_per_year=periods_per_year,
        start=pd.Timestamp(y.index[0]),
        end=pd.Timestamp(y.index[-1]),
        standardized_betas=std_betas.rename("standardized_beta"),
        attribution=attribution,
        variance_decomposition=vd.rename("share"),
        fitted=res.fittedvalues.rename("fitted"),
        resid=resid.rename("resid"),
        y=y,
        X=X,
        warnings=tuple(flags),
    )


def fit_design(
    design: Design, *, cov_type: CovType = "HAC", maxlags: int | None = None
) -> OLSResult:
    """:func:`fit_ols` on a :class:`~analysis.factors.models.Design`."""
    return fit_ols(
        design.y,
        design.X,
        cov_type=cov_type,
        maxlags=maxlags,
        periods_per_year=design.periods_per_year,
        model=design.model.name,
    )
