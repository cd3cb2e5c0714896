"""WalkForward: exact index sets, agreement with TimeSeriesSplit, validation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import TimeSeriesSplit

from analysis.errors import EstimationError, InsufficientDataError
from analysis.forecasting import WalkForward


def _sets(wf: WalkForward, n: int) -> list[tuple[list[int], list[int]]]:
    return [(tr.tolist(), te.tolist()) for tr, te in wf.split(np.zeros((n, 2)))]


def test_expanding_exact() -> None:
    wf = WalkForward(min_train=4, refit_every=3)
    assert _sets(wf, 11) == [
        ([0, 1, 2, 3], [4, 5, 6]),
        ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9]),
        (list(range(10)), [10]),  # the last block is shorter
    ]
    assert wf.get_n_splits(np.zeros(11)) == 3
    np.testing.assert_array_equal(wf.refit_points(11), [4, 7, 10])


def test_rolling_with_gap_exact() -> None:
    wf = WalkForward(min_train=5, refit_every=2, gap=1, window="rolling", train_size=3)
    assert _sets(wf, 10) == [
        ([1, 2, 3], [5, 6]),
        ([3, 4, 5], [7, 8]),
        ([5, 6, 7], [9]),
    ]


def test_expanding_gap_and_short_rolling_start() -> None:
    assert _sets(WalkForward(4, 2, gap=2), 8) == [([0, 1], [4, 5]), ([0, 1, 2, 3], [6, 7])]
    # a rolling window longer than the history so far starts at row 0
    wf = WalkForward(3, 2, window="rolling", train_size=4)
    assert _sets(wf, 8) == [([0, 1, 2], [3, 4]), ([1, 2, 3, 4], [5, 6]), ([3, 4, 5, 6], [7])]


@pytest.mark.parametrize(
    ("n", "n_splits", "test_size", "gap", "max_train"),
    [(30, 5, 4, 0, None), (31, 3, 7, 2, None), (40, 6, 5, 1, 8), (25, 4, 1, 0, 3)],
)
def test_matches_time_series_split_when_blocks_divide(
    n: int, n_splits: int, test_size: int, gap: int, max_train: int | None
) -> None:
    # they coincide when N - min_train is a multiple of refit_every (module docstring)
    ts = TimeSeriesSplit(n_splits=n_splits, test_size=test_size, gap=gap, max_train_size=max_train)
    min_train = n - n_splits * test_size
    if max_train is None:
        wf = WalkForward(min_train, test_size, gap=gap)
    else:
        wf = WalkForward(min_train, test_size, gap=gap, window="rolling", train_size=max_train)
    X = np.zeros((n, 1))
    expected = [(tr.tolist(), te.tolist()) for tr, te in ts.split(X)]
    assert _sets(wf, n) == expected
    assert wf.get_n_splits(X) == ts.get_n_splits(X)


def test_validation_messages() -> None:
    with pytest.raises(InsufficientDataError, match=r"more than min_train = 10 rows .*got 10"):
        WalkForward(10, 5).refit_points(10)
    with pytest.raises(EstimationError, match=r"min_train - gap >= 2.*min_train 3 and gap 2"):
        WalkForward(3, 1, gap=2)
    with pytest.raises(EstimationError, match="'refit_every' must be an integer >= 1; got 0"):
        WalkForward(10, 0)
    with pytest.raises(EstimationError, match="'gap' must be an integer >= 0; got -1"):
        WalkForward(10, 1, gap=-1)
    with pytest.raises(EstimationError, match="needs 'train_size'"):
        WalkForward(10, 1, window="rolling")
    with pytest.raises(EstimationError, match="only applies to window='rolling'"):
        WalkForward(10, 1, train_size=5)
    with pytest.raises(EstimationError, match="'expanding' or 'rolling'; got 'sliding'"):
        WalkForward(10, 1, window="sliding")  # type: ignore[arg-type]
