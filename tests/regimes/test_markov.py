"""Markov regimes: planted calm/turbulent blocks, an independent Hamilton filter, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

from analysis.errors import DataError, EstimationError
from analysis.regimes.markov import MarkovRegimes, markov_regimes

CALM, TURBULENT = 0.005, 0.02  # daily sigma of the planted regimes
# (sigma, rows): training rows 0-299 hold both regimes; tests are four 50-row blocks
BLOCKS = [
    (CALM, 120),
    (TURBULENT, 60),
    (CALM, 120),
    (CALM, 50),
    (TURBULENT, 50),
    (CALM, 50),
    (TURBULENT, 50),
]
TRAIN = 300


def _simulate(seed: int = 7) -> pd.Series:
    rng = np.random.default_rng(seed)
    sd = np.concatenate([np.full(n, s) for s, n in BLOCKS])
    idx = pd.bdate_range("2020-01-01", periods=len(sd))
    return pd.Series(rng.normal(0, 1, len(sd)) * sd, index=idx)


def _splits(n: int, start: int = TRAIN, step: int = 50) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window walk-forward: train on every row before the test block."""
    return [(np.arange(0, s), np.arange(s, min(s + step, n))) for s in range(start, n, step)]


def _hamilton(y: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Filtered regime probabilities from first principles (statsmodels' parameter order)."""
    p00, p10, c0, c1, s0, s1 = params
    P = np.array([[p00, 1 - p00], [p10, 1 - p10]])  # P[i, j] = P(s_t = j | s_{t-1} = i)
    pi0 = p10 / (p10 + 1 - p00)  # ergodic distribution, statsmodels' default start
    prob = np.array([pi0, 1 - pi0])
    out = np.empty((len(y), 2))
    dens_sd = np.sqrt([s0, s1])
    for t, v in enumerate(y):
        pred = prob @ P
        joint = pred * stats.norm.pdf(v, [c0, c1], dens_sd)
        prob = joint / joint.sum()
        out[t] = prob
    return out


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.Series, MarkovRegimes]:
    y = _simulate()
    return y, markov_regimes(y, _splits(len(y)), refit_every=2)


def test_planted_regimes_are_recovered_out_of_sample(
    simulated: tuple[pd.Series, MarkovRegimes],
) -> None:
    y, res = simulated
    assert not res.failed and res.messages == []
    assert len(res.fits) == 2  # 4 splits, refit at the 1st and the 3rd
    assert res.fits["converged"].all()
    assert (res.fits["message"] == "").all()
    assert res.fits["refit_date"].tolist() == [y.index[299], y.index[399]]
    assert res.fits["n_train"].tolist() == [300, 400]
    # percent units: calm sigma 0.5% -> 0.25, turbulent 2% -> 4; sampling error of a
    # variance from ~60-200 rows is ~10-20%, so the bands are loose
    assert res.fits["sigma2_low"].between(0.15, 0.4).all()
    assert res.fits["sigma2_high"].between(2.5, 6.5).all()
    assert res.fits[["p_stay_low", "p_stay_high"]].gt(0.9).all().all()
    assert res.p_high.iloc[:TRAIN].isna().all()  # never labelled in-sample
    starts = np.cumsum([0] + [n for _, n in BLOCKS])
    for (sigma, _), a, b in zip(BLOCKS[3:], starts[3:-1], starts[4:], strict=True):
        # skip the first rows of each block: the filter needs a few draws to notice a switch
        block = res.p_high.iloc[a + 5 : b]
        labels = res.labels.iloc[a + 5 : b]
        if sigma == TURBULENT:
            assert block.mean() > 0.8 and (labels == "turbulent").mean() > 0.8
        else:
            assert block.mean() < 0.2 and (labels == "calm").mean() > 0.8
    assert set(res.labels.dropna()) == {"calm", "turbulent"}
    assert res.labels.isna().equals(res.p_high.isna())
    assert "2 refits" in res.summary()


def test_p_high_is_the_lagged_hamilton_filter(simulated: tuple[pd.Series, MarkovRegimes]) -> None:
    y, res = simulated
    scaled = 100 * y.to_numpy()
    for r, start in enumerate((300, 400)):  # refit r labels test rows start..start+99
        fit = MarkovRegression(scaled[:start], k_regimes=2, trend="c", switching_variance=True).fit(
            search_reps=0, cov_type="none", disp=False
        )
        params = np.asarray(fit.params)
        high = int(np.argmax(params[4:]))
        assert res.fits.loc[r, "sigma2_high"] == pytest.approx(params[4 + high], rel=1e-10)
        assert res.fits.loc[r, "llf"] == pytest.approx(fit.llf, rel=1e-10)
        filtered = _hamilton(scaled, params)[:, high]
        rows = np.arange(start, start + 100)
        # the filter in logs (statsmodels) vs in levels (here): rounding only
        np.testing.assert_allclose(res.p_high.to_numpy()[rows], filtered[rows - 1], atol=1e-9)
        # and it is the filter, not the smoother
        smoothed = (
            MarkovRegression(scaled[: start + 100], k_regimes=2, trend="c", switching_variance=True)
            .smooth(params)
            .smoothed_marginal_probabilities[:, high]
        )
        assert np.abs(res.p_high.to_numpy()[rows] - smoothed[rows - 1]).max() > 0.05


def test_no_look_ahead(simulated: tuple[pd.Series, MarkovRegimes]) -> None:
    y, res = simulated
    d = 420  # in the last refit's test rows; its training rows end at 399
    rng = np.random.default_rng(11)
    moved = y.copy()
    moved.iloc[d + 1 :] = rng.normal(0, 0.03, len(y) - d - 1)
    moved.iloc[d + 1] = 0.10  # a 10% shock: certainly turbulent
    other = markov_regimes(moved, _splits(len(y)), refit_every=2)
    pd.testing.assert_frame_equal(other.fits, res.fits)
    # p_high at t uses y up to t-1: rows up to d+1 are unchanged ...
    pd.testing.assert_series_equal(other.p_high.iloc[: d + 2], res.p_high.iloc[: d + 2])
    # ... and row d+2 sees the shock at d+1
    assert other.p_high.iloc[d + 2] > 0.99 > res.p_high.iloc[d + 2]


def test_failed_fit_is_flagged_not_raised() -> None:
    y = pd.Series(0.001, index=pd.bdate_range("2020-01-01", periods=260))
    res = markov_regimes(y, _splits(260, start=200, step=30))
    assert res.failed
    assert len(res.messages) == 2 and all("left NaN" in m for m in res.messages)
    assert res.p_high.isna().all() and res.labels.isna().all()
    assert not res.fits["converged"].any()
    assert (res.fits["message"] != "").all()


def test_too_few_training_rows_blanks_only_that_refit() -> None:
    y = _simulate().iloc[:400]
    splits = [(np.arange(0, 60), np.arange(60, 300)), (np.arange(0, 300), np.arange(300, 400))]
    res = markov_regimes(y, splits, min_train=100)
    assert res.failed
    assert res.messages[0].startswith("refit 0") and "fewer than min_train=100" in res.messages[0]
    assert res.p_high.iloc[60:300].isna().all()
    assert res.p_high.iloc[300:400].notna().all()
    assert res.fits["converged"].tolist() == [False, True]


def test_inputs_are_validated() -> None:
    y = _simulate().iloc[:200]
    good = [(np.arange(0, 150), np.arange(150, 200))]
    with pytest.raises(EstimationError, match="refit_every must be an integer >= 1; got 0"):
        markov_regimes(y, good, refit_every=0)
    with pytest.raises(DataError, match="must precede the test rows"):
        markov_regimes(y, [(np.arange(0, 160), np.arange(150, 200))])
    with pytest.raises(DataError, match=r"positions in \[0, 200\)"):
        markov_regimes(y, [(np.arange(0, 150), np.arange(150, 201))])
    gap = y.copy()
    gap.iloc[10] = np.nan
    with pytest.raises(DataError, match="1 missing or infinite values"):
        markov_regimes(gap, good)
