"""Cross-sectional preprocessing against scipy.stats and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.errors import DataError
from analysis.factors.preprocess import describe_distribution, preprocess

TICKERS = [f"T{i:02d}" for i in range(15)]
SECTORS = pd.Series(["Tech", "Energy", "Health"] * 5, index=TICKERS)


def raw_frame(seed: int = 7, n_dates: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [pd.date_range("2024-01-31", periods=n_dates, freq="ME"), TICKERS],
        names=["date", "ticker"],
    )
    raw = pd.DataFrame(
        {"mom": rng.standard_t(3, len(idx)), "vol": rng.lognormal(0, 1, len(idx))}, index=idx
    )
    raw.iloc[[1, 17], 0] = np.nan
    raw.iloc[5, 1] = np.nan
    return raw


def by_hand(values: np.ndarray, scale: str, winsorize: tuple[float, float] | None) -> np.ndarray:
    """One date and factor without NaN, computed from numpy and scipy directly."""
    x = values.copy()
    if winsorize is not None:
        lo, hi = np.quantile(x, winsorize)
        x = np.minimum(np.maximum(x, lo), hi)
    ranks = stats.rankdata(x)
    if scale == "zscore":
        return stats.zscore(x, ddof=0)
    if scale == "rank":
        return ranks / len(x)
    return stats.norm.ppf((ranks - 0.5) / len(x))


@pytest.mark.parametrize("scale", ["zscore", "rank", "gaussian_rank"])
@pytest.mark.parametrize("winsorize", [(0.05, 0.95), None])
def test_scaling_matches_scipy(scale: str, winsorize: tuple[float, float] | None) -> None:
    raw = raw_frame()
    got = preprocess(raw, winsorize=winsorize, scale=scale, missing="drop", min_names=5)  # type: ignore[arg-type]
    for date in raw.index.get_level_values("date").unique():
        day = raw.loc[date]
        complete = day.notna().all(axis=1)
        for factor in raw.columns:
            column = day[factor].dropna()
            expected = by_hand(column.to_numpy(), scale, winsorize)
            # Statistics use every name with the factor; then incomplete rows are dropped.
            keep = complete[column.index].to_numpy()
            ours = got.frame.loc[date].loc[column.index[keep], factor].to_numpy()
            np.testing.assert_allclose(ours, expected[keep], rtol=1e-12)


def test_winsorize_clips_outliers_at_linear_quantiles() -> None:
    raw = raw_frame()
    raw.iloc[3, 0] = 1e6
    got = preprocess(raw, winsorize=(0.1, 0.9), scale="rank", min_names=5)
    day = raw.index[3][0]
    col = raw.loc[day, "mom"].dropna().to_numpy()
    # Clipped to the 90% quantile, the outlier ties with the other names above it.
    z = preprocess(raw, winsorize=(0.1, 0.9), scale="zscore", min_names=5).frame
    clipped = np.clip(col, *np.quantile(col, [0.1, 0.9]))
    expected = (clipped.max() - clipped.mean()) / clipped.std(ddof=0)
    assert z.loc[raw.index[3], "mom"] == pytest.approx(expected)
    top = stats.rankdata(clipped)[np.argmax(col)] / len(col)
    assert got.frame.loc[raw.index[3], "mom"] == pytest.approx(top)
    assert top < 1.0


def test_sector_neutralization_gives_zero_sector_means() -> None:
    raw = raw_frame()
    full = raw.fillna(1.0)
    for scale in ("zscore", "rank", "gaussian_rank"):
        out = preprocess(full, scale=scale, neutralize="sector", sectors=SECTORS).frame  # type: ignore[arg-type]
        sector = SECTORS.reindex(out.index.get_level_values("ticker")).to_numpy()
        means = out.groupby([out.index.get_level_values("date"), sector]).mean()
        np.testing.assert_allclose(means.to_numpy(), 0, atol=1e-12)
        if scale == "zscore":
            # Re-standardized: population std 1 per date and factor.
            stds = out.groupby(level="date").std(ddof=0)
            np.testing.assert_allclose(stds.to_numpy(), 1, rtol=1e-12)
    # Sectors by (date, ticker) give the same result as by ticker when they do not change.
    by_row = pd.Series(
        SECTORS.reindex(full.index.get_level_values("ticker")).to_numpy(), index=full.index
    )
    pd.testing.assert_frame_equal(
        preprocess(full, neutralize="sector", sectors=by_row).frame,
        preprocess(full, neutralize="sector", sectors=SECTORS).frame,
    )


def test_neutralized_zscore_matches_residuals_of_sector_dummies() -> None:
    full = raw_frame(9).fillna(0.5)
    out = preprocess(full, winsorize=None, neutralize="sector", sectors=SECTORS).frame
    date = full.index[0][0]
    x = stats.zscore(full.loc[date, "vol"].to_numpy(), ddof=0)
    dummies = pd.get_dummies(SECTORS.reindex(full.loc[date].index)).to_numpy(dtype=float)
    resid = x - dummies @ np.linalg.lstsq(dummies, x, rcond=None)[0]
    np.testing.assert_allclose(out.loc[date, "vol"].to_numpy(), resid / resid.std(ddof=0))


def test_missing_values_filled_per_scale() -> None:
    raw = raw_frame()
    z = preprocess(raw, scale="zscore", min_names=5)
    assert z.frame.loc[raw.index[1], "mom"] == 0.0
    assert z.filled.to_dict() == {"mom": 2, "vol": 1}
    r = preprocess(raw, scale="rank", min_names=5)
    day = raw.index[1][0]
    observed = r.frame.loc[day, "mom"].drop(raw.index[1][1])
    assert r.frame.loc[raw.index[1], "mom"] == pytest.approx(np.median(observed))
    assert not r.frame.isna().any().any()
    d = preprocess(raw, missing="drop", min_names=5)
    assert len(d.frame) == len(raw) - 3
    assert d.filled.sum() == 0


def test_min_names_drops_dates_with_a_reason() -> None:
    raw = raw_frame()
    second = raw.index.get_level_values("date").unique()[1]
    raw.loc[second, "vol"] = np.nan
    raw.loc[(second, TICKERS[3:7]), "vol"] = 1.0
    got = preprocess(raw, min_names=10)
    assert list(got.dropped_dates) == [second]
    reason = got.dropped_dates[second]
    assert "4 of 15 names have every factor" in reason
    assert "min_names=10" in reason and "vol 4" in reason
    assert second not in got.frame.index.get_level_values("date")
    report = got.report()
    assert report.loc[second, "kept"] == False  # noqa: E712
    assert report.loc[second, "reason"] == reason
    assert report["rows"].tolist() == [15, 0, 15]
    assert report["complete"].tolist() == [13, 4, 15]
    # Values filled on a dropped date are not counted.
    assert got.filled["vol"] == 1


def test_constant_factor_scores_zero() -> None:
    raw = raw_frame()
    raw["flat"] = 3.3
    out = preprocess(raw, min_names=5).frame
    assert (out["flat"] == 0.0).all()


@settings(max_examples=8, deadline=None)
@given(a=st.floats(0.01, 100), b=st.floats(-100, 100), seed=st.integers(0, 2**16))
def test_scores_invariant_to_positive_affine_maps(a: float, b: float, seed: int) -> None:
    raw = raw_frame(seed)
    shifted = raw * a + b
    for scale in ("zscore", "rank", "gaussian_rank"):
        base = preprocess(raw, scale=scale, min_names=5).frame  # type: ignore[arg-type]
        moved = preprocess(shifted, scale=scale, min_names=5).frame  # type: ignore[arg-type]
        # Rounding of a*x+b moves z-scores by ~1e-13; ranks do not move at all.
        pd.testing.assert_frame_equal(base, moved, rtol=1e-9, atol=1e-9)


def test_describe_distribution() -> None:
    raw = raw_frame()
    got = describe_distribution(raw)
    for factor in raw.columns:
        x = raw[factor].dropna().to_numpy()
        assert got.loc[factor, "mean"] == pytest.approx(x.mean())
        assert got.loc[factor, "std"] == pytest.approx(x.std(ddof=1))
        assert got.loc[factor, "skew"] == pytest.approx(stats.skew(x, bias=False))
        assert got.loc[factor, "q01"] == pytest.approx(np.quantile(x, 0.01))
        assert got.loc[factor, "q99"] == pytest.approx(np.quantile(x, 0.99))
        assert got.loc[factor, "count"] == len(x)


def test_errors() -> None:
    raw = raw_frame()
    with pytest.raises(DataError, match="neutralize='sector' needs sectors"):
        preprocess(raw, neutralize="sector")
    with pytest.raises(DataError, match=r"no sector for 1 ticker\(s\), e.g. T14"):
        preprocess(raw, neutralize="sector", sectors=SECTORS.drop("T14"))
    with pytest.raises(DataError, match="scale must be one of zscore, rank, gaussian_rank"):
        preprocess(raw, scale="minmax")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"0 <= lower < upper <= 1; got \(0.9, 0.1\)"):
        preprocess(raw, winsorize=(0.9, 0.1))
    bad = raw.copy()
    bad.iloc[4, 1] = np.inf
    with pytest.raises(DataError, match="vol is inf for T04 on 2024-01-31"):
        preprocess(bad)
    with pytest.raises(DataError, match="MultiIndex named"):
        preprocess(raw.reset_index(level="ticker"))
    with pytest.raises(DataError, match="min_names must be an integer >= 1; got 0"):
        preprocess(raw, min_names=0)
