"""Walk-forward train/test splits, in the style of scikit-learn's cross-validators.

Rows are numbered ``0 .. N-1`` in time order. The model is refitted at rows
``k = min_train, min_train + refit_every, ... < N``; the model refitted at
``k`` trains on rows ``[s, k - gap)`` and predicts rows
``k .. min(k + refit_every, N) - 1``, with ``s = 0`` for an expanding window
and ``s = max(0, k - gap - train_size)`` for a rolling one.

Relation to :class:`sklearn.model_selection.TimeSeriesSplit`: when
``N - min_train`` is a multiple of ``refit_every``,
``WalkForward(min_train, refit_every, gap)`` yields exactly the splits of
``TimeSeriesSplit(n_splits=(N - min_train) // refit_every,
test_size=refit_every, gap=gap)`` (and ``window="rolling"`` those with
``max_train_size=train_size``). Otherwise the last test block here is shorter,
where ``TimeSeriesSplit`` would instead push the first training set later.
Unlike skfolio's ``WalkForward``, the first training set is fixed by
``min_train`` rather than by the train size, and the test blocks start at
row ``min_train`` whatever ``N`` is, so adding rows at the end never moves an
earlier split (no look-ahead through the split layout).
"""

from __future__ import annotations

from collections.abc import Iterator, Sized
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from analysis.errors import EstimationError, InsufficientDataError

Window = Literal["expanding", "rolling"]


@dataclass(frozen=True)
class WalkForward:
    """Expanding- or rolling-window walk-forward splitter.

    Parameters
    ----------
    min_train
        Row at which the first model is fitted (the first test row).
    refit_every
        Rows predicted by each fit; the model is refitted every
        ``refit_every`` rows.
    gap
        Rows left out between the end of a training set and its first test
        row (e.g. when the target overlaps the next periods).
    window
        ``"expanding"`` (train from row 0) or ``"rolling"`` (the last
        ``train_size`` rows before the gap).
    train_size
        Rows in a rolling training set; required with ``window="rolling"``
        and not allowed otherwise.
    """

    min_train: int
    refit_every: int
    gap: int = 0
    window: Window = "expanding"
    train_size: int | None = None

    def __post_init__(self) -> None:
        for key, value, low in (
            ("min_train", self.min_train, 1),
            ("refit_every", self.refit_every, 1),
            ("gap", self.gap, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise EstimationError(
                    f"WalkForward {key!r} must be an integer >= {low}; got {value!r}"
                )
        if self.min_train - self.gap < 2:
            raise EstimationError(
                f"WalkForward needs min_train - gap >= 2 training rows; got min_train "
                f"{self.min_train} and gap {self.gap}"
            )
        if self.window not in ("expanding", "rolling"):
            raise EstimationError(
                f"WalkForward 'window' must be 'expanding' or 'rolling'; got {self.window!r}"
            )
        if self.window == "rolling":
            ts = self.train_size
            if isinstance(ts, bool) or not isinstance(ts, int | np.integer) or ts < 2:
                raise EstimationError(
                    f"WalkForward with window='rolling' needs 'train_size' an integer >= 2; "
                    f"got {ts!r}"
                )
        elif self.train_size is not None:
            raise EstimationError(
                f"WalkForward 'train_size' only applies to window='rolling'; got "
                f"train_size={self.train_size!r} with window='expanding'"
            )

    def refit_points(self, n: int) -> np.ndarray:
        """Rows at which the model is refitted, for ``n`` rows."""
        if n <= self.min_train:
            raise InsufficientDataError(
                f"walk-forward needs more than min_train = {self.min_train} rows "
                f"(at least {self.min_train + 1}); got {n}"
            )
        return np.arange(self.min_train, n, self.refit_every)

    def train_start(self, k: int) -> int:
        """First training row of the model refitted at row ``k``."""
        if self.window == "rolling":
            assert self.train_size is not None
            return max(0, k - self.gap - self.train_size)
        return 0

    def split(
        self, X: Sized, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row positions for every refit.

        ``y`` and ``groups`` are ignored; they exist for scikit-learn
        compatibility.
        """
        n = len(X)
        for k in self.refit_points(n):
            k = int(k)
            train = np.arange(self.train_start(k), k - self.gap)
            test = np.arange(k, min(k + self.refit_every, n))
            yield train, test

    def get_n_splits(self, X: Sized, y: Any = None, groups: Any = None) -> int:
        """Number of refits for the rows of ``X``."""
        return len(self.refit_points(len(X)))
