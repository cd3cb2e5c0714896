"""Feature importance: coefficients, TreeSHAP against first principles, permutation MSE."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

from analysis.errors import EstimationError
from analysis.forecasting.importance import (
    coefficient_importance,
    feature_importance,
    permutation_mse_importance,
    sample_rows,
    shap_importance,
)
from analysis.forecasting.panel import PanelWalkForward, walk_forward_panel
from analysis.forecasting.panel_models import SignedComposite
from tests.forecasting.test_panel import FACTORS, simulate_panel


def _xy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    return X, 0.02 * X[:, 0] - 0.01 * X[:, 1] + 0.05 * rng.standard_normal(n)


def test_sample_rows() -> None:
    np.testing.assert_array_equal(sample_rows(5, 10, seed=1), np.arange(5))
    a = sample_rows(5000, 2000, seed=3)
    assert len(a) == 2000 and len(np.unique(a)) == 2000
    assert (np.diff(a) > 0).all() and a.max() < 5000
    np.testing.assert_array_equal(a, sample_rows(5000, 2000, seed=3))
    assert not np.array_equal(a, sample_rows(5000, 2000, seed=4))


def test_coefficients_and_composite_weights() -> None:
    X, y = _xy(300, 1)
    ridge = Ridge(alpha=1.0).fit(X, y)
    imp = coefficient_importance(ridge, FACTORS)
    np.testing.assert_array_equal(imp.to_numpy(), ridge.coef_)
    assert list(imp.index) == FACTORS
    comp = feature_importance("composite", SignedComposite([1, -1, 0, 1]).fit(X, y), X, y, FACTORS)
    assert comp["value"].tolist() == [0.25, -0.25, 0.0, 0.25]
    assert comp.columns.tolist() == ["factor", "value", "method"]


def test_shap_of_random_forest_stumps_by_hand() -> None:
    # For a one-split tree the path-dependent TreeSHAP value of the split factor is
    # f(x) - E[f], E the cover-weighted mean of the two leaves (tree_path_dependent, no
    # background data), and 0 for the others; a forest averages its trees.
    X, y = _xy(600, 2)
    rf = RandomForestRegressor(
        n_estimators=15, max_depth=1, bootstrap=False, max_features=2, random_state=0
    ).fit(X, y)
    phi = np.zeros_like(X)
    for tree in rf.estimators_:
        t = tree.tree_
        j, left, right = t.feature[0], t.children_left[0], t.children_right[0]
        n_l, n_r = t.weighted_n_node_samples[left], t.weighted_n_node_samples[right]
        v_l, v_r = t.value[left].item(), t.value[right].item()
        expected = (n_l * v_l + n_r * v_r) / (n_l + n_r)
        leaf = np.where(X[:, j] <= t.threshold[0], v_l, v_r)
        phi[:, j] += (leaf - expected) / len(rf.estimators_)
    got = shap_importance(rf, X, FACTORS, seed=0)
    # both are the same sums of a few float64 terms: only rounding differs
    np.testing.assert_allclose(got.to_numpy(), np.abs(phi).mean(axis=0), rtol=1e-9, atol=1e-12)


def test_shap_of_lightgbm_on_a_seeded_sample_matches_its_own_contributions() -> None:
    X, y = _xy(1000, 3)
    model = LGBMRegressor(n_estimators=30, num_leaves=7, verbose=-1, random_state=0).fit(X, y)
    got = shap_importance(model, X, FACTORS, seed=5, max_rows=300)
    rows = sample_rows(1000, 300, seed=5)
    # LightGBM's own TreeSHAP (pred_contrib, last column = expected value)
    contrib = np.asarray(model.predict(X[rows], pred_contrib=True))[:, :4]
    np.testing.assert_allclose(got.to_numpy(), np.abs(contrib).mean(axis=0), rtol=1e-9)
    assert not np.allclose(got.to_numpy(), shap_importance(model, X, FACTORS, seed=6, max_rows=300))


def test_permutation_importance_is_the_expected_mse_increase() -> None:
    # For a linear score with weights w and independent factors, shuffling factor j raises the
    # MSE by 2 w_j^2 var(x_j) in expectation. On 2,000 rows x 5 shuffles the sampling sd is
    # ~4% of that for f1 and ~8% for f2 (noise 0.05, var(x)=1): tolerances are ~4 sd.
    X, y = _xy(5000, 4)
    ridge = Ridge(alpha=1.0).fit(X, y)
    got = permutation_mse_importance(ridge, X, y, FACTORS, seed=0)
    rows = sample_rows(5000, 2000, seed=0)
    expected = 2 * ridge.coef_**2 * X[rows].var(axis=0)
    np.testing.assert_allclose(got.iloc[:2].to_numpy(), expected[:2], rtol=0.3)
    np.testing.assert_allclose(got.iloc[2:].to_numpy(), 0.0, atol=2e-5)
    # a factor with weight 0 cannot change any prediction when shuffled
    composite = SignedComposite([1, -1, 0, 0]).fit(X, y)
    comp = permutation_mse_importance(composite, X, y, FACTORS, seed=0)
    assert comp.iloc[2:].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("model", "params", "method"),
    [
        ("lightgbm", {"n_estimators": 80}, "mean_abs_shap"),
        ("random_forest", {"n_estimators": 30}, "mean_abs_shap"),
        ("mlp", {"hidden_layer_sizes": (16,), "max_iter": 60}, "permutation_mse"),
    ],
)
def test_planted_factor_ranks_first(model: str, params: dict[str, object], method: str) -> None:
    X, y = simulate_panel(26, 120, seed=11)
    res = walk_forward_panel(X, y, model, PanelWalkForward(20, 3), params=params)
    imp = res.importance
    assert imp is not None and set(imp["method"]) == {method}
    assert imp["refit_date"].nunique() == 2
    for _, one in imp.groupby("refit_date"):
        ranked = one.sort_values("value", ascending=False)["factor"].tolist()
        # f1 carries 0.02, f2 0.01, f3 and f4 nothing
        assert ranked[0] == "f1"
        if method == "mean_abs_shap":
            assert ranked[1] == "f2"


def test_errors() -> None:
    X, y = _xy(50, 5)
    with pytest.raises(EstimationError, match="no importance method for model 'svm'"):
        feature_importance("svm", None, X, y, FACTORS)
    with pytest.raises(EstimationError, match=r"one column per factor \(3\); got \(50, 4\)"):
        permutation_mse_importance(Ridge().fit(X, y), X, y, FACTORS[:3])
    frame = pd.DataFrame(X, columns=FACTORS)
    with pytest.raises(EstimationError, match="max_rows must be >= 1"):
        shap_importance(None, frame, FACTORS, max_rows=0)
