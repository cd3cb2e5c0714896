"""Are the betas stable? Structural-break tests on a full-sample regression.

* **CUSUM of recursive residuals** (Brown, Durbin & Evans 1975), through
  statsmodels' ``recursive_olsresiduals``: stability is rejected at 5% when the
  cumulative sum of standardized recursive residuals leaves its 95% band. The
  statistic is the largest ratio of ``|CUSUM|`` to the band (above 1: rejected).
* **OLS-residual CUSUM** (Ploberger & Krämer 1992), statsmodels'
  ``breaks_cusumolsresid``: the supremum statistic and its p-value.
* **Chow test** at each date the user lists: the sample is split before the
  date, and ``F = ((S - S1 - S2) / k) / ((S1 + S2) / (n - 2k))`` with ``F(k, n-2k)``
  (classical, homoskedastic errors; ``k`` coefficients with the constant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import breaks_cusumolsresid, recursive_olsresiduals

STABILITY_COLUMNS = ("test", "date", "statistic", "p_value", "reject_5pct")
"""Columns of a stability table (one row per test; ``date`` only for Chow tests)."""


@dataclass(frozen=True)
class StabilityTest:
    """One test's outcome; ``p_value`` is NaN where the test has none (recursive CUSUM)."""

    test: str
    date: str
    statistic: float
    p_value: float
    reject_5pct: bool
    note: str = ""


def _ols(y: pd.Series, X: pd.DataFrame) -> sm.regression.linear_model.RegressionResultsWrapper:
    return sm.OLS(y.to_numpy(float), sm.add_constant(X.to_numpy(float), has_constant="add")).fit()


def cusum_tests(y: pd.Series, X: pd.DataFrame) -> list[StabilityTest]:
    """Recursive-residual CUSUM (95% band) and OLS-residual CUSUM of ``y`` on ``X``."""
    res = _ols(y, X)
    k = X.shape[1] + 1
    *_, rcusum, rcusumci = recursive_olsresiduals(res, alpha=0.95)
    upper = np.asarray(rcusumci)[1]
    path = np.asarray(rcusum)
    n = min(len(path), len(upper))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(path[-n:]) / np.abs(upper[-n:])
    worst = float(np.nanmax(ratio)) if np.isfinite(ratio).any() else float("nan")
    sup, pval, _ = breaks_cusumolsresid(res.resid, ddof=k)
    return [
        StabilityTest("CUSUM (recursive residuals)", "", worst, float("nan"), bool(worst > 1)),
        StabilityTest("CUSUM (OLS residuals)", "", float(sup), float(pval), bool(pval < 0.05)),
    ]


def chow_test(y: pd.Series, X: pd.DataFrame, date: pd.Timestamp) -> StabilityTest:
    """Chow's F test of equal coefficients before and from ``date``."""
    label = f"{date:%Y-%m-%d}"
    k = X.shape[1] + 1
    before = y.index < date
    n1, n2 = int(before.sum()), int((~before).sum())
    if n1 <= k or n2 <= k:
        return StabilityTest(
            "Chow", label, float("nan"), float("nan"), False,
            f"not testable: {n1} observations before and {n2} from the date; each side "
            f"needs more than {k}",
        )  # fmt: skip
    s = _ols(y, X).ssr
    s1 = _ols(y[before], X[before]).ssr
    s2 = _ols(y[~before], X[~before]).ssr
    df2 = len(y) - 2 * k
    f = ((s - s1 - s2) / k) / ((s1 + s2) / df2)
    p = float(stats.f.sf(f, k, df2))
    return StabilityTest("Chow", label, float(f), p, bool(p < 0.05))


def stability_tests(
    y: pd.Series, X: pd.DataFrame, break_dates: Sequence[pd.Timestamp] = ()
) -> list[StabilityTest]:
    """Every test for one regression: both CUSUMs, then a Chow test per date."""
    return [*cusum_tests(y, X), *(chow_test(y, X, pd.Timestamp(d)) for d in break_dates)]


def stability_frame(tests: Sequence[StabilityTest]) -> pd.DataFrame:
    """The tests as a table with :data:`STABILITY_COLUMNS`."""
    return pd.DataFrame(
        [[t.test, t.date, t.statistic, t.p_value, t.reject_5pct] for t in tests],
        columns=list(STABILITY_COLUMNS),
    )
