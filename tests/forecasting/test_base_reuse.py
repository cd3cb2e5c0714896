"""walk_forward(..., regimes=..., base=...) reuses the unconditional refits, bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from analysis.errors import EstimationError
from analysis.forecasting import (
    ForecastRows,
    ModelSpec,
    WalkForward,
    WalkForwardResult,
    alpha_grid,
    build_rows,
    walk_forward,
)

SPLITTER = WalkForward(min_train=200, refit_every=40)
GRIDS = {"ridge": alpha_grid(1e-1, 1e3, 6), "lasso": alpha_grid(1e-5, 1e-2, 6)}


def _data(seed: int = 3) -> tuple[ForecastRows, pd.Series]:
    """Two planted regimes with opposite slopes on lagged x1, 5% unknown labels."""
    rng = np.random.default_rng(seed)
    n = 420
    idx = pd.bdate_range("2019-01-01", periods=n, name="date")
    F = pd.DataFrame(rng.normal(0.0, 0.01, (n, 3)), index=idx, columns=["x1", "x2", "x3"])
    lab = np.where(rng.random(n) < 0.5, "high", "low").astype(object)
    lab[rng.random(n) < 0.05] = None
    sign = np.where(lab == "high", 0.6, -0.6)
    y = sign * F["x1"].shift(1).fillna(0.0).to_numpy() + rng.normal(0, 0.005, n)
    rows = build_rows(pd.Series(y, index=idx, name="IDX"), F, [1])
    return rows, pd.Series(lab, index=idx)


def _fit(rows: ForecastRows, spec: ModelSpec, **kw: object) -> WalkForwardResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return walk_forward(
            rows,
            spec,
            SPLITTER,
            alphas=GRIDS.get(spec.name, GRIDS["lasso"]) if spec.penalized else None,
            cv_splits=3,
            **kw,  # type: ignore[arg-type]
        )


def _assert_same(a: WalkForwardResult, b: WalkForwardResult) -> None:
    for name in ("predictions", "coefficients", "refits", "grid", "cv_mse"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
        else:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert a.settings == b.settings


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec("ols"),
        ModelSpec("ridge"),
        ModelSpec("lasso"),
        ModelSpec("elasticnet", l1_ratio=0.5),
        ModelSpec("lasso", alpha=1e-4),
    ],
    ids=lambda s: s.label,
)
def test_base_gives_the_same_result_bit_for_bit(spec: ModelSpec) -> None:
    rows, regimes = _data()
    plain = _fit(rows, spec)
    scratch = _fit(rows, spec, regimes=regimes)
    reused = _fit(rows, spec, regimes=regimes, base=plain)
    _assert_same(reused, scratch)
    p = reused.predictions
    # the test can fail: both regimes were fitted and some rows fell back
    assert p["fallback"].any() and not p["fallback"].all()
    assert set(reused.coefficients["regime"]) == {"all", "high", "low"}
    # the fallback rows are the unconditional model's, the others are not
    fb = p["fallback"].to_numpy()
    np.testing.assert_array_equal(
        p["prediction"].to_numpy()[fb], plain.predictions["prediction"].to_numpy()[fb]
    )
    assert (
        p["prediction"].to_numpy()[~fb] != plain.predictions["prediction"].to_numpy()[~fb]
    ).all()


def test_base_is_not_mutated_or_shared() -> None:
    rows, regimes = _data()
    plain = _fit(rows, ModelSpec("lasso"))
    before = plain.predictions.copy(), plain.refits.copy()
    reused = _fit(rows, ModelSpec("lasso"), regimes=regimes, base=plain)
    assert reused.grid is not None and reused.grid is not plain.grid
    reused.refits.loc[0, "alpha"] = -1.0
    pd.testing.assert_frame_equal(plain.predictions, before[0])
    pd.testing.assert_frame_equal(plain.refits, before[1])


def test_base_must_match_the_call() -> None:
    rows, regimes = _data()
    plain = _fit(rows, ModelSpec("lasso"))
    cond = _fit(rows, ModelSpec("lasso"), regimes=regimes)
    with pytest.raises(EstimationError, match="base is only used with regimes"):
        _fit(rows, ModelSpec("lasso"), base=plain)
    with pytest.raises(EstimationError, match="fitted without regimes"):
        _fit(rows, ModelSpec("lasso"), regimes=regimes, base=cond)
    with pytest.raises(EstimationError, match="base was fitted with spec"):
        _fit(rows, ModelSpec("ridge"), regimes=regimes, base=plain)
    with pytest.raises(
        EstimationError, match=r"base was fitted with tol=0\.0001; this call has 0\.001"
    ):
        _fit(rows, ModelSpec("lasso"), regimes=regimes, base=plain, tol=1e-3)
    with pytest.raises(EstimationError, match="base was fitted with splitter"):
        walk_forward(
            rows,
            ModelSpec("ols"),
            WalkForward(min_train=200, refit_every=50),
            alphas=None,
            cv_splits=3,
            regimes=regimes,
            base=_fit(rows, ModelSpec("ols")),
        )
    other_rows, _ = _data(seed=4)
    with pytest.raises(EstimationError, match="base was fitted on other rows"):
        _fit(other_rows, ModelSpec("lasso"), regimes=regimes, base=plain)
    with pytest.raises(EstimationError, match="base must be a WalkForwardResult"):
        _fit(rows, ModelSpec("lasso"), regimes=regimes, base="plain")
