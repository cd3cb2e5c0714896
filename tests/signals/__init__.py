"""Tests of :mod:`analysis.signals`, mostly against alphalens-reloaded on a simulated panel."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_panel(
    rng: np.random.Generator,
    n_dates: int = 60,
    n_tickers: int = 100,
    link: float = 0.02,
    missing: float = 0.05,
) -> tuple[pd.Series, pd.Series]:
    """Scores and next-period labels with a planted link ``label = link * score + noise``.

    Scores are persistent (AR(1) with coefficient 0.8 per name) so turnover and
    rank autocorrelation are away from their noise levels; a share ``missing``
    of rows is dropped at random so universes differ from date to date. The
    label of the last date is NaN, as the strategy convention has it.
    """
    dates = pd.date_range("2019-01-31", periods=n_dates, freq="ME", name="date")
    tickers = pd.Index([f"T{i:03d}" for i in range(n_tickers)], name="ticker")
    x = np.empty((n_dates, n_tickers))
    x[0] = rng.normal(size=n_tickers)
    for t in range(1, n_dates):
        x[t] = 0.8 * x[t - 1] + 0.6 * rng.normal(size=n_tickers)
    y = link * x + 0.05 * rng.normal(size=x.shape)
    y[-1] = np.nan
    index = pd.MultiIndex.from_product([dates, tickers], names=["date", "ticker"])
    keep = rng.random(len(index)) >= missing
    scores = pd.Series(x.ravel(), index=index, name="model_score")[keep]
    label = pd.Series(y.ravel(), index=index, name="label")[keep]
    return scores, label


def alphalens_frame(scores: pd.Series, label: pd.Series, quantile: pd.Series) -> pd.DataFrame:
    """alphalens' ``factor_data``: levels (date, asset), a ``1D`` forward return, factor, bucket.

    Rows without a score, label or bucket are dropped, as
    ``get_clean_factor_and_forward_returns`` does.
    """
    frame = pd.DataFrame({"1D": label, "factor": scores, "factor_quantile": quantile}).dropna()
    frame["factor_quantile"] = frame["factor_quantile"].astype("int64")
    frame.index = frame.index.set_names(["date", "asset"])
    return frame
