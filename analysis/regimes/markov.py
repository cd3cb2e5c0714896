"""Two-regime Markov switching (calm / turbulent) with out-of-sample filtered probabilities.

A walk-forward splitter supplies ``(train rows, test rows)`` pairs. At each refit,
statsmodels' ``MarkovRegression`` (a switching mean and a switching variance) is fitted
on the training rows only; with those parameters the Hamilton *filter* is run over the
series from its first row up to the last test row, and each test row ``t`` is given the
filtered probability, at ``t-1``, of the high-variance regime. Neither the parameters
nor the probability attached to row ``t`` use ``y_t`` or anything later, so the label
is usable out of sample. The smoother, which looks at the whole sample, is never used.

Cost
----
A fit takes roughly 0.1-1 s (BFGS after a few EM steps; the likelihood is a Python-level
filter over the training rows), so a daily run with about 200 walk-forward splits would
spend minutes refitting at every split. ``refit_every=k`` refits at every ``k``-th split
(the first, the ``k+1``-th, ...) and reuses the last fitted parameters in between, e.g.
``refit_every=12`` for daily data. Filtering is O(number of rows) and cheap; it runs
once per refit, over the rows up to the last test row that refit labels.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

from analysis.errors import DataError, EstimationError

SCALE = 100.0
"""Returns are multiplied by this before fitting (log returns in percent), which keeps the
optimizer's variance parameters near 1; probabilities do not depend on the scale."""

FIT_COLUMNS = (
    "refit_date",
    "n_train",
    "converged",
    "sigma2_low",
    "sigma2_high",
    "p_stay_low",
    "p_stay_high",
    "llf",
    "message",
)


@dataclass(frozen=True)
class MarkovRegimes:
    """Out-of-sample calm/turbulent regimes from a two-regime Markov switching model.

    Attributes
    ----------
    p_high
        Indexed like ``y``: at a test row ``t``, the filtered probability at ``t-1`` of
        the high-variance (turbulent) regime; NaN on rows outside every test block, on
        row 0, and on rows whose fit failed.
    labels
        ``"turbulent"`` where ``p_high > 0.5``, ``"calm"`` where ``p_high <= 0.5``, NaN
        where ``p_high`` is NaN.
    fits
        One row per refit: ``refit_date`` (date of the last training row), ``n_train``,
        ``converged``, ``sigma2_low``, ``sigma2_high`` (variances of ``y`` in percent
        squared), ``p_stay_low``, ``p_stay_high`` (probabilities of staying in each
        regime), ``llf`` (log likelihood, percent units) and ``message`` (empty when
        the fit was used).
    failed
        True when at least one fit failed or did not converge.
    messages
        One line per failed fit, naming the refit and the rows left NaN.
    refit_every, min_train
        The settings that produced the result.
    """

    p_high: pd.Series
    labels: pd.Series = field(repr=False)
    fits: pd.DataFrame = field(repr=False)
    failed: bool = False
    messages: list[str] = field(default_factory=list)
    refit_every: int = 1
    min_train: int = 100

    def summary(self) -> str:
        """Refits, failures and the share of labelled rows in each regime."""
        n_fail = int((self.fits["message"] != "").sum()) if len(self.fits) else 0
        lines = [
            f"Markov switching (2 regimes, switching variance): {len(self.fits)} refits "
            f"(every {self.refit_every} split(s)), {n_fail} failed"
        ]
        counts = self.labels.value_counts()
        total = int(counts.sum())
        if total:
            shares = ", ".join(f"{k} {v / total:.0%}" for k, v in counts.sort_index().items())
            lines.append(f"{total} labelled rows; {shares}")
        else:
            lines.append("no labelled rows")
        lines += self.messages
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _day(label: object) -> str:
    return f"{label:%Y-%m-%d}" if isinstance(label, pd.Timestamp) else str(label)


def _new_model(y: np.ndarray) -> MarkovRegression:
    return MarkovRegression(y, k_regimes=2, trend="c", switching_variance=True)


def _fit(y_train: np.ndarray, min_train: int) -> tuple[np.ndarray | None, int, dict[str, object]]:
    """Fit on the training rows; returns (params or None if unusable, high regime, fit row)."""
    info: dict[str, object] = {
        "n_train": len(y_train),
        "converged": False,
        "sigma2_low": np.nan,
        "sigma2_high": np.nan,
        "p_stay_low": np.nan,
        "p_stay_high": np.nan,
        "llf": np.nan,
        "message": "",
    }
    if len(y_train) < min_train:
        info["message"] = f"{len(y_train)} training rows, fewer than min_train={min_train}"
        return None, 0, info
    try:
        # statsmodels warns (ConvergenceWarning, overflow) instead of raising; record
        # them here so a run's log is not flooded and the fit is judged below.
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
            warnings.simplefilter("always")
            model = _new_model(y_train)
            res = model.fit(search_reps=0, cov_type="none", disp=False)
    except Exception as exc:  # any failure of the optimizer is reported, never raised
        info["message"] = f"fit failed: {type(exc).__name__}: {exc}"
        return None, 0, info
    names = list(model.param_names)
    params = np.asarray(res.params, dtype="float64")
    sigma2 = params[[names.index("sigma2[0]"), names.index("sigma2[1]")]]
    p00 = params[names.index("p[0->0]")]
    p11 = 1.0 - params[names.index("p[1->0]")]
    high = int(np.argmax(sigma2)) if np.isfinite(sigma2).all() else 0
    stay = (p00, p11)
    info.update(
        sigma2_low=float(sigma2[1 - high]),
        sigma2_high=float(sigma2[high]),
        p_stay_low=float(stay[1 - high]),
        p_stay_high=float(stay[high]),
        llf=float(res.llf),
    )
    warned = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    converged = bool(res.mle_retvals.get("converged", False)) and not warned
    info["converged"] = converged
    if not converged:
        info["message"] = "did not converge" + (f": {warned[0]}" if warned else "")
    elif not (np.isfinite(params).all() and np.isfinite(res.llf) and (sigma2 > 0).all()):
        info["message"] = "degenerate estimates (non-finite parameters or a zero variance)"
    if info["message"]:
        return None, high, info
    return params, high, info


def _check_split(
    i: int, split: tuple[np.ndarray, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    try:
        train, test = split
    except (TypeError, ValueError):
        raise DataError(f"split {i} must be a (train rows, test rows) pair") from None
    train = np.asarray(train, dtype=np.int64)
    test = np.asarray(test, dtype=np.int64)
    if len(test) == 0:
        raise DataError(f"split {i} has no test rows")
    for what, rows in (("train", train), ("test", test)):
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise DataError(f"split {i}: {what} rows must be positions in [0, {n}); got {rows!r}")
    if len(train) and train.max() >= test.min():
        raise DataError(
            f"split {i}: every training row must precede the test rows (walk-forward); "
            f"last training row {train.max()}, first test row {test.min()}"
        )
    return train, test


def markov_regimes(
    y: pd.Series,
    splits: Iterable[tuple[np.ndarray, np.ndarray]],
    *,
    refit_every: int = 1,
    min_train: int = 100,
) -> MarkovRegimes:
    """Out-of-sample probability of the turbulent (high-variance) regime of ``y``.

    Parameters
    ----------
    y
        Log returns (e.g. of the index) with a DatetimeIndex and no missing value.
    splits
        A walk-forward splitter's output: ``(train positions, test positions)`` per
        split, positions being rows of ``y``; training rows precede the test rows.
    refit_every
        Refit at every ``refit_every``-th split (the first included) and reuse the last
        parameters in between; see the module's Cost section.
    min_train
        Fewest training rows for a fit; a refit with fewer is reported as failed.

    Returns
    -------
    MarkovRegimes

    Raises
    ------
    DataError
        ``y`` has missing values, or a split is malformed or not walk-forward.
    EstimationError
        ``refit_every`` or ``min_train`` is not a positive integer.

    Notes
    -----
    The model is :math:`y_t = \\mu_{s_t} + \\varepsilon_t`,
    :math:`\\varepsilon_t \\sim N(0, \\sigma^2_{s_t})`, with :math:`s_t \\in \\{0, 1\\}` a
    first-order Markov chain: statsmodels' ``MarkovRegression(k_regimes=2, trend="c",
    switching_variance=True)``, fitted from its default start parameters with
    ``search_reps=0`` (deterministic, no random search), on ``100 * y`` (percent).
    The turbulent regime is the one with the larger :math:`\\sigma^2`. For a test row
    ``t``, ``p_high[t]`` :math:`= P(s_{t-1} = \\text{turbulent} \\mid y_0, \\dots,
    y_{t-1})`, the Hamilton filter's probability under the parameters of the latest
    refit (fitted on rows before the test block). A row in several test blocks keeps
    the value from the last split that tests it.

    A fit that raises, does not converge or gives degenerate estimates is never raised:
    the rows it would label (its own splits up to the next refit) are NaN, ``failed`` is
    set and ``messages`` says which refit and rows.
    """
    if isinstance(refit_every, bool) or not isinstance(refit_every, int) or refit_every < 1:
        raise EstimationError(f"refit_every must be an integer >= 1; got {refit_every!r}")
    if isinstance(min_train, bool) or not isinstance(min_train, int) or min_train < 10:
        raise EstimationError(f"min_train must be an integer >= 10; got {min_train!r}")
    if not isinstance(y, pd.Series):
        raise DataError(f"y must be a pandas Series; got {type(y).__name__}")
    values = y.to_numpy(dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"y ({y.name!r}) has {int(bad.sum())} missing or infinite values (first at "
            f"{y.index[np.argmax(bad)]}); drop or align them before fitting"
        )
    n = len(values)
    scaled = SCALE * values
    checked = [_check_split(i, s, n) for i, s in enumerate(splits)]
    # group the splits by the refit whose parameters label them
    groups = [checked[i : i + refit_every] for i in range(0, len(checked), refit_every)]

    p_high = np.full(n, np.nan)
    fits: list[dict[str, object]] = []
    messages: list[str] = []
    for r, group in enumerate(groups):
        train = group[0][0]
        params, high, info = _fit(scaled[train], min_train)
        info["refit_date"] = y.index[train.max()] if len(train) else pd.NaT
        tests = [test for _, test in group]
        rows = np.concatenate(tests)
        if params is not None:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    res = _new_model(scaled[: rows.max() + 1]).filter(params)
                probs = np.asarray(res.filtered_marginal_probabilities)[:, high]
            except Exception as exc:  # the filter failing is reported like a failed fit
                info["message"] = f"filter failed: {type(exc).__name__}: {exc}"
            else:
                if not np.isfinite(probs).all():
                    info["message"] = "filter gave non-finite probabilities"
        if info["message"]:
            p_high[rows] = np.nan
            messages.append(
                f"refit {r} (training up to {_day(info['refit_date'])}): {info['message']}; "
                f"test rows {rows.min()}..{rows.max()} "
                f"({_day(y.index[rows.min()])} to {_day(y.index[rows.max()])}) left NaN"
            )
        else:
            for test in tests:
                lagged = test[test >= 1]
                p_high[test] = np.nan
                p_high[lagged] = probs[lagged - 1]
        fits.append(info)

    p = pd.Series(p_high, index=y.index, name="p_high")
    labels = pd.Series(np.where(p_high > 0.5, "turbulent", "calm"), index=y.index)
    labels = labels.where(p.notna()).rename("markov")
    fit_frame = pd.DataFrame(fits, columns=list(FIT_COLUMNS))
    fit_frame.index.name = "refit"
    return MarkovRegimes(
        p_high=p,
        labels=labels,
        fits=fit_frame,
        failed=bool(messages),
        messages=messages,
        refit_every=refit_every,
        min_train=min_train,
    )
