"""Estimators: full-sample OLS and rolling OLS, with their result objects."""

from analysis.regression.ols import OLSResult, fit_design, fit_ols, newey_west_lags
from analysis.regression.rolling import RollingResult, rolling_ols, rolling_ols_many

__all__ = [
    "OLSResult",
    "RollingResult",
    "fit_design",
    "fit_ols",
    "newey_west_lags",
    "rolling_ols",
    "rolling_ols_many",
]
