"""Pooled walk-forward prediction of the cross-section of next-period returns.

The panel is a factor matrix ``X`` (rows ``(date, ticker)`` at the rebalance
dates ``d_0 < d_1 < ... < d_{N-1}``) and the label ``y``, the return of the
ticker from ``d_i`` to ``d_{i+1}``. One model is fitted on all training rows
pooled (every ticker, every training date) and scores every ticker of the
dates it predicts.

Schedule and purge
------------------
The model is refitted at ``d_k`` for ``k = min_train, min_train +
refit_every, ... < N`` and scores the dates ``d_k .. d_{k + refit_every -
1}`` (the last block may be shorter). It trains on the rows dated
``d_s .. d_{k-1}``: ``s = 0`` with an expanding window, ``s = max(0, k -
train_size)`` with a rolling one.

The purge: the label of the row dated ``d_i`` is only known at ``d_{i+1}``,
so at ``d_k`` the rows with a realized label are those dated ``<= d_{k-1}``;
the row dated ``d_k`` itself (its label is the future return being
predicted) never trains the model that scores ``d_k``. Nothing else dated
``>= d_k`` enters a refit either, and a later date's rows never influence an
earlier score: the score of a row dated ``t`` depends only on the features
at ``t`` and on rows dated ``<= t - 1`` period with their labels.

The split layout depends only on the position of a date, so adding dates at
the end never moves an earlier refit.
"""

from __future__ import annotations

import html
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, InsufficientDataError
from analysis.forecasting.importance import feature_importance
from analysis.forecasting.panel_models import (
    PANEL_MODELS,
    make_estimator,
    resolve_params,
    resolve_signs,
)

Window = Literal["expanding", "rolling"]

REFIT_COLUMNS = ("refit_date", "n_train_rows", "n_train_dates", "seconds", "status", "message")
IMPORTANCE_COLUMNS = ("refit_date", "factor", "value", "method")


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def _check_dates(dates: pd.Index) -> pd.DatetimeIndex:
    if not isinstance(dates, pd.DatetimeIndex):
        raise DataError(f"dates must be a pandas DatetimeIndex; got {type(dates).__name__}")
    if dates.hasnans:
        raise DataError("dates contain NaT")
    if not dates.is_monotonic_increasing or not dates.is_unique:
        raise DataError("dates must be sorted in increasing order without duplicates")
    return dates


@dataclass(frozen=True)
class PanelWalkForward:
    """Walk-forward schedule over rebalance dates, with the one-period label purge.

    Parameters
    ----------
    min_train
        Dates in the first training set; the first scored date is
        ``dates[min_train]``.
    refit_every
        Dates scored by each fit; the model is refitted every
        ``refit_every`` dates.
    window
        ``"expanding"`` (train from the first date) or ``"rolling"`` (the
        last ``train_size`` dates before the refit date).
    train_size
        Dates in a rolling training set; required with ``window="rolling"``
        and not allowed otherwise.

    Notes
    -----
    The model refitted at ``dates[k]`` trains on ``dates[s:k]`` and scores
    ``dates[k : k + refit_every]``: the rows dated ``dates[k - 1]`` and
    earlier, whose labels (returns to the next date) are realized by
    ``dates[k]``. See the module docstring.
    """

    min_train: int
    refit_every: int
    window: Window = "expanding"
    train_size: int | None = None

    def __post_init__(self) -> None:
        for key, value in (("min_train", self.min_train), ("refit_every", self.refit_every)):
            if not _is_int(value) or value < 1:
                raise EstimationError(
                    f"PanelWalkForward {key!r} must be an integer >= 1; got {value!r}"
                )
        if self.window not in ("expanding", "rolling"):
            raise EstimationError(
                f"PanelWalkForward 'window' must be 'expanding' or 'rolling'; got {self.window!r}"
            )
        if self.window == "rolling":
            if not _is_int(self.train_size) or self.train_size < 1:  # type: ignore[operator]
                raise EstimationError(
                    "PanelWalkForward with window='rolling' needs 'train_size' an integer >= 1; "
                    f"got {self.train_size!r}"
                )
        elif self.train_size is not None:
            raise EstimationError(
                f"PanelWalkForward 'train_size' only applies to window='rolling'; got "
                f"train_size={self.train_size!r} with window='expanding'"
            )

    def positions(self, n: int) -> Iterator[tuple[range, range]]:
        """``(train, test)`` date positions of every refit, for ``n`` dates."""
        if n <= self.min_train:
            raise InsufficientDataError(
                f"panel walk-forward with min_train={self.min_train} needs at least "
                f"{self.min_train + 1} rebalance dates ({self.min_train} to train, 1 to score); "
                f"got {n}"
            )
        for k in range(self.min_train, n, self.refit_every):
            start = 0
            if self.window == "rolling":
                assert self.train_size is not None
                start = max(0, k - self.train_size)
            yield range(start, k), range(k, min(k + self.refit_every, n))

    def split(self, dates: pd.DatetimeIndex) -> Iterator[tuple[pd.DatetimeIndex, pd.DatetimeIndex]]:
        """Yield ``(train_dates, test_dates)`` for every refit.

        Parameters
        ----------
        dates
            The rebalance dates, sorted and unique.

        Raises
        ------
        InsufficientDataError
            ``len(dates) <= min_train``: no date left to score.
        """
        d = _check_dates(dates)
        for train, test in self.positions(len(d)):
            yield d[train.start : train.stop], d[test.start : test.stop]

    def get_n_splits(self, dates: pd.DatetimeIndex) -> int:
        """Number of refits for ``dates``."""
        return sum(1 for _ in self.positions(len(_check_dates(dates))))


@dataclass(frozen=True)
class PanelResult:
    """Out-of-sample scores of a pooled walk-forward, with every refit's record.

    Attributes
    ----------
    scores
        Series ``model_score`` on the ``(date, ticker)`` rows of the scored
        dates; NaN where a feature is missing or the refit failed.
    refits
        One row per refit: ``refit_date`` (first scored date), ``n_train_rows``
        and ``n_train_dates`` (rows with a label and complete features that
        trained it, and their distinct dates), ``seconds`` (fit, scoring and
        importance), ``status`` (``"ok"`` or ``"failed"``) and ``message``
        (the error of a failed refit; warnings raised while fitting, or why
        the importance is missing, for a successful one; else empty).
    importance
        Long: ``refit_date``, ``factor``, ``value``, ``method`` (see
        :mod:`analysis.forecasting.importance`); None when not requested.
    model, params, seed, splitter
        What produced the result (``params`` with every default filled in).
    """

    scores: pd.Series
    refits: pd.DataFrame = field(repr=False)
    importance: pd.DataFrame | None = field(repr=False)
    model: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, repr=False)
    seed: int = 0
    splitter: PanelWalkForward | None = None

    @property
    def failed_refits(self) -> pd.DataFrame:
        """The rows of :attr:`refits` whose fit or scoring raised."""
        return self.refits[self.refits["status"] == "failed"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """``date``, ``ticker``, ``model_score`` columns."""
        return self.scores.reset_index()

    def summary(self) -> str:
        """Model, refits, scored period and failures."""
        dates = self.scores.index.get_level_values("date")
        lines = [
            f"{self.model} (seed {self.seed}): {len(self.refits)} refits, "
            f"{int(self.scores.notna().sum())} scores on {dates.nunique()} dates"
            + (f" from {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}" if len(dates) else ""),
        ]
        ok = self.refits[self.refits["status"] == "ok"]
        if len(ok):
            lines.append(
                f"training rows {ok['n_train_rows'].min()} to {ok['n_train_rows'].max()}; "
                f"{ok['seconds'].sum():.1f} s fitting"
            )
        for row in self.failed_refits.itertuples():
            lines.append(f"refit {row.refit_date:%Y-%m-%d} failed: {row.message}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _check_panel(X: pd.DataFrame, y: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if not isinstance(X, pd.DataFrame):
        raise DataError(f"X must be a pandas DataFrame of factors; got {type(X).__name__}")
    if not isinstance(y, pd.Series):
        raise DataError(f"y must be a pandas Series (the label); got {type(y).__name__}")
    idx = X.index
    if not isinstance(idx, pd.MultiIndex) or list(idx.names) != ["date", "ticker"]:
        raise DataError(
            f"X must be indexed by a MultiIndex named ('date', 'ticker'); got names "
            f"{list(idx.names)}"
        )
    if not isinstance(idx.levels[0], pd.DatetimeIndex):
        raise DataError(f"X's 'date' level must hold datetimes; got {idx.levels[0].dtype}")
    if not idx.is_unique or not idx.is_monotonic_increasing:
        raise DataError("X's (date, ticker) index must be sorted and unique")
    if X.shape[1] == 0:
        raise DataError("X has no factor columns")
    factors = [str(c) for c in X.columns]
    if len(set(factors)) != len(factors):
        raise DataError(f"X's factor names must be unique; got {factors}")
    if not y.index.equals(idx):
        raise DataError("y must be indexed exactly like X (same (date, ticker) rows, same order)")
    try:
        Xv = X.to_numpy(dtype="float64")
        yv = y.to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise DataError(f"X and y must be numeric: {exc}") from exc
    inf = np.isinf(Xv).any(axis=0)
    if inf.any():
        bad = factors[int(np.flatnonzero(inf)[0])]
        raise DataError(f"factor {bad!r} has infinite values; use NaN for missing values")
    if np.isinf(yv).any():
        at = idx[int(np.flatnonzero(np.isinf(yv))[0])]
        raise DataError(f"label has an infinite value at {at}; use NaN for missing values")
    return Xv, yv, factors


def walk_forward_panel(
    X: pd.DataFrame,
    y: pd.Series,
    model: str,
    splitter: PanelWalkForward,
    *,
    signs: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    importance: bool = True,
) -> PanelResult:
    """Fit ``model`` on the pooled panel at every refit of ``splitter`` and score the next dates.

    Parameters
    ----------
    X
        Processed factors, MultiIndex ``(date, ticker)`` sorted and unique,
        one float column per factor (standardized per date upstream).
    y
        The label on the same index: the return from each date to the next
        rebalance date (NaN where unknown, e.g. the last date).
    model
        One of :data:`~analysis.forecasting.panel_models.PANEL_MODELS`.
    splitter
        The refit schedule over the dates of ``X``.
    signs
        ``{factor: -1 | 0 | +1}`` for ``"composite"`` (others +1); not
        allowed with another model.
    params
        Hyperparameters overriding the model's defaults
        (:data:`~analysis.forecasting.panel_models.DEFAULT_PARAMS`).
    seed
        Seed of the model and of the importance's row sample and shuffles.
    n_jobs
        Threads of the random forest and LightGBM.
    importance
        Compute the feature importance at every refit.

    Returns
    -------
    PanelResult

    Raises
    ------
    DataError, EstimationError, InsufficientDataError
        Malformed inputs, an unknown model or hyperparameter, too few dates.
        A refit that raises does not propagate: it is recorded in
        ``refits`` (status ``"failed"``), its dates get NaN scores and the
        other refits go on.

    Notes
    -----
    Training rows of a refit are the rows of its training dates (see the
    module docstring for the purge) with a label and every factor present;
    rows with a missing factor are not scored (NaN). The composite learns
    nothing and scores every refit the same way; its training rows are
    still counted. Importance is computed on the refit's training rows
    (:func:`~analysis.forecasting.importance.feature_importance`).
    """
    if model not in PANEL_MODELS:
        raise EstimationError(f"model must be one of {', '.join(PANEL_MODELS)}; got {model!r}")
    if not isinstance(splitter, PanelWalkForward):
        raise EstimationError(f"splitter must be a PanelWalkForward; got {type(splitter).__name__}")
    if not _is_int(seed) or not 0 <= seed < 2**32:
        raise EstimationError(f"seed must be an integer in [0, 2**32); got {seed!r}")
    if not _is_int(n_jobs) or n_jobs == 0:
        raise EstimationError(f"n_jobs must be a non-zero integer (-1 = all cores); got {n_jobs!r}")
    if signs is not None and model != "composite":
        raise EstimationError(f"signs apply to model 'composite' only; got model {model!r}")
    hp = resolve_params(model, params)
    Xv, yv, factors = _check_panel(X, y)
    sign_vector = resolve_signs(signs, factors) if model == "composite" else None

    row_dates = X.index.get_level_values("date")
    dates = pd.DatetimeIndex(row_dates.unique())
    date_pos = dates.get_indexer(row_dates)
    usable = np.isfinite(Xv).all(axis=1)
    labelled = usable & np.isfinite(yv)

    scored_rows: list[np.ndarray] = []
    score_parts: list[np.ndarray] = []
    refit_rec: list[dict[str, Any]] = []
    imp_parts: list[pd.DataFrame] = []
    for train_pos, test_pos in splitter.positions(len(dates)):
        refit_date = dates[test_pos.start]
        train = np.flatnonzero(
            labelled & (date_pos >= train_pos.start) & (date_pos < train_pos.stop)
        )
        test = np.flatnonzero((date_pos >= test_pos.start) & (date_pos < test_pos.stop))
        scored = test[usable[test]]
        pred = np.full(len(test), np.nan)
        status, notes = "ok", []
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if len(train) == 0 and model != "composite":
                    raise InsufficientDataError(
                        f"no training rows with a label and every factor on dates "
                        f"{dates[train_pos.start] if len(train_pos) else '-'} to "
                        f"{dates[train_pos.stop - 1] if len(train_pos) else '-'}"
                    )
                estimator = make_estimator(model, hp, seed=seed, n_jobs=n_jobs, signs=sign_vector)
                estimator.fit(Xv[train], yv[train])
                if len(scored):
                    pred[usable[test]] = estimator.predict(Xv[scored])
            # a fit's warnings (e.g. not converged) qualify its scores: keep them with the refit
            notes = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
            if importance:
                try:
                    imp = feature_importance(
                        model, estimator, Xv[train], yv[train], factors, seed=seed
                    )
                    imp.insert(0, "refit_date", refit_date)
                    imp_parts.append(imp)
                except Exception as exc:
                    # the scores stand without it; say why it is missing
                    notes.append(f"importance not computed: {type(exc).__name__}: {exc}")
        except Exception as exc:
            # one bad refit must not lose the others (STYLE.md: record the failure, go on)
            status, notes = "failed", [f"{type(exc).__name__}: {exc}"]
            pred[:] = np.nan
        scored_rows.append(test)
        score_parts.append(pred)
        refit_rec.append(
            {
                "refit_date": refit_date,
                "n_train_rows": len(train),
                "n_train_dates": int(np.unique(date_pos[train]).size),
                "seconds": time.perf_counter() - start,
                "status": status,
                "message": "; ".join(notes),
            }
        )

    rows = np.concatenate(scored_rows)
    scores = pd.Series(np.concatenate(score_parts), index=X.index[rows], name="model_score")
    imp_frame: pd.DataFrame | None = None
    if importance:
        imp_frame = (
            pd.concat(imp_parts, ignore_index=True)
            if imp_parts
            else pd.DataFrame({c: pd.Series(dtype=object) for c in IMPORTANCE_COLUMNS})
        )
    return PanelResult(
        scores=scores,
        refits=pd.DataFrame(refit_rec, columns=list(REFIT_COLUMNS)),
        importance=imp_frame,
        model=model,
        params=hp,
        seed=int(seed),
        splitter=splitter,
    )
