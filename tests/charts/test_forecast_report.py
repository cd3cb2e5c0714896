"""Charts of the forecast report: regimes, forecasts, backtests and the correlation matrix.

Plotted numbers are checked against the input frames at the plotted dates and
against independent computations (empyrical-reloaded for drawdowns and
cumulative returns, ``numpy.corrcoef`` for the matrix). Plotly series are
stored as float32, hence ``rtol=1e-6`` (float32 keeps about 7 significant
digits); heatmap cells are rounded to 6 significant digits, hence ``1e-5``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from typing import Any

import empyrical
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from analysis import charts
from analysis.charts import Chart, ChartError
from analysis.charts.timeseries import BAND_GREY

F32 = 1e-6  # float32 series: ~7 significant digits


@pytest.fixture(autouse=True)
def _no_pyplot_figures() -> Any:
    yield
    assert plt.get_fignums() == [], "a chart registered a pyplot figure"


def png(fig: Figure) -> bytes:
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def f64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype="float64")


def lines_of(chart: Chart) -> dict[str, Any]:
    return {tr.name: tr for tr in chart.plotly.data if tr.type == "scatter"}


def band_shapes(chart: Chart) -> list[Any]:
    """Plotly band rectangles (the zero and reference lines are shapes too)."""
    return [s for s in chart.plotly.layout.shapes if s.fillcolor == BAND_GREY]


def band_patches(fig: Figure) -> list[Rectangle]:
    """axvspan rectangles in BAND_GREY on the first axes."""
    grey = tuple(round(v, 4) for v in plt.matplotlib.colors.to_rgba(BAND_GREY))
    ax = fig.axes[0]
    return [p for p in ax.patches if tuple(round(v, 4) for v in p.get_facecolor()) == grey]


def _idx(n: int, start: str = "2015-01-01") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="date")


def _rolling_corr(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    walk = np.tanh(rng.normal(0, 1, (n, 3)).cumsum(axis=0) / 15)
    corr = pd.DataFrame(walk, index=_idx(n), columns=["XLK~SPY", "XLE~XLU", "XLF~SPY"])
    corr.iloc[:20] = np.nan  # the first full window ends on row 20
    corr.iloc[150:153, 1] = np.nan  # a gap in one pair
    return corr


# hand-made labels: high runs at rows [2,4), [5,6), [12,15) and [18,20) of 20 rows
HAND = ["low", "low", "high", "high", "low", "high", None, "low", "low", "low"]
HAND += ["low", "low", "high", "high", "high", "low", "low", "low", "high", "high"]


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(("merge_gap", "expected"), [(1, 4), (2, 3), (4, 2), (7, 1)])
def test_bands_count_merged_runs(merge_gap: int, expected: int) -> None:
    idx = _idx(20)
    labels = pd.Series(HAND, index=idx)
    corr = pd.DataFrame({"a~b": np.linspace(-0.5, 0.5, 20)}, index=idx)
    chart = charts.rolling_correlation_chart(
        corr, window=5, shading=labels, shading_label="the coupling regime", merge_gap=merge_gap
    )
    shapes = band_shapes(chart)
    assert len(shapes) == expected == len(band_patches(chart.static))
    assert f"({expected} band" in chart.caption and "coupling regime is 'high'" in chart.caption
    if merge_gap == 1:
        # a band runs from the run's first date to the next label's date; the last to the end
        got = [(s.x0, s.x1) for s in shapes]
        d = [f"{t:%Y-%m-%d}" for t in idx]
        assert got == [(d[2], d[4]), (d[5], d[6]), (d[12], d[15]), (d[18], d[19])]
        assert "merged" not in chart.caption
    else:
        assert f"fewer than {merge_gap} observations are merged" in chart.caption
    assert all(s.yref == "paper" and s.layer == "below" for s in shapes)
    png(chart.static)


def test_bands_first_listed_category_and_clipping() -> None:
    idx = _idx(20)
    labels = pd.Series(HAND, index=idx)
    corr = pd.DataFrame({"a~b": np.zeros(20)}, index=idx)
    # "low" listed first: its runs are [0,2), [4,5), [7,12), [15,18) -> the None at 6 splits
    low = charts.rolling_correlation_chart(
        corr, window=5, shading=labels, shade=("low", "high"), merge_gap=1
    )
    assert len(band_shapes(low)) == 4
    # data starting at row 13: only the runs reaching into rows 13.. remain, clipped
    late = charts.rolling_correlation_chart(corr.iloc[13:], window=5, shading=labels, merge_gap=1)
    (first, second) = band_shapes(late)
    assert first.x0 == f"{idx[13]:%Y-%m-%d}" and first.x1 == f"{idx[15]:%Y-%m-%d}"
    assert second.x1 == f"{idx[19]:%Y-%m-%d}"
    none = charts.rolling_correlation_chart(corr, window=5, shading=labels, shade="turbulent")
    assert len(band_shapes(none)) == 0 and "no band is drawn" in none.caption


# --------------------------------------------------------------------------- regimes


def test_rolling_correlation_values_axis_and_nan() -> None:
    corr = _rolling_corr()
    chart = charts.rolling_correlation_chart(corr, window=20)
    got = lines_of(chart)
    assert list(got) == list(corr.columns)
    valid = corr.dropna(how="all")
    for col, tr in got.items():
        assert pd.DatetimeIndex(pd.to_datetime(list(tr.x))).equals(valid.index.rename(None))
        np.testing.assert_allclose(f64(tr.y), valid[col].to_numpy(), rtol=F32)
    assert np.isnan(f64(got["XLE~XLU"].y)).sum() == 3  # the gap stays a gap
    assert tuple(chart.plotly.layout.yaxis.range) == (-1.0, 1.0)
    (ax,) = chart.static.axes
    assert ax.get_ylim() == (-1.0, 1.0)
    assert chart.name == "rolling_correlation" and "20-observation" in chart.title
    assert "thinned" not in chart.caption
    png(chart.static)


def test_thinning_keeps_ends_and_respects_max_points() -> None:
    n = 3000
    idx = _idx(n, "2005-01-03")
    rng = np.random.default_rng(11)
    corr = pd.DataFrame(np.tanh(rng.normal(0, 0.05, (n, 2)).cumsum(axis=0)), index=idx)
    corr.columns = ["A~B", "C~D"]
    corr.iloc[:59] = np.nan
    valid = corr.dropna(how="all")
    for max_points in (1500, 250, 2):
        chart = charts.rolling_correlation_chart(corr, window=60, max_points=max_points)
        tr = lines_of(chart)["A~B"]
        x = pd.to_datetime(list(tr.x))
        assert len(x) <= max_points and x[0] == valid.index[0] and x[-1] == valid.index[-1]
        np.testing.assert_allclose(f64(tr.y), valid["A~B"].loc[x].to_numpy(), rtol=F32)
        assert f"{len(x)} of {len(valid)} dates are plotted" in chart.caption
    data = json.loads(chart.plotly.to_json())["data"]
    assert {d["y"]["dtype"] for d in data} == {"f4"} and data[0]["x"][0] == "2005-03-25"
    with pytest.raises(ChartError, match="max_points must be an integer >= 2, got 1"):
        charts.rolling_correlation_chart(corr, window=60, max_points=1)


def test_coupling_absorption_panels_and_shading() -> None:
    n = 200
    idx = _idx(n)
    rng = np.random.default_rng(5)
    geo = pd.DataFrame(
        {
            "coupling": rng.uniform(0, 0.6, n),
            "absorption_ratio": rng.uniform(0.4, 0.9, n),
            "delta_ar": rng.normal(0, 1, n),
            "XLK~SPY": rng.uniform(-1, 1, n),  # rolling correlations ride along, ignored
        },
        index=idx,
    )
    geo.iloc[:30] = np.nan
    labels = pd.Series(np.where(np.arange(n) // 25 % 2 == 1, "high", "low"), index=idx)
    chart = charts.coupling_absorption_chart(geo, shading=labels, merge_gap=1)
    assert set(lines_of(chart)) == {"coupling", "absorption_ratio", "delta_ar"}
    assert len(chart.static.axes) == 3
    # high at rows 25-49, 75-99, 125-149, 175-199; data from row 30: 4 bands, the first clipped
    assert len(band_shapes(chart)) == 4 == len(band_patches(chart.static))
    assert band_shapes(chart)[0].x0 == f"{idx[30]:%Y-%m-%d}"
    np.testing.assert_allclose(
        f64(lines_of(chart)["delta_ar"].y), geo["delta_ar"].iloc[30:].to_numpy(), rtol=F32
    )
    two = charts.coupling_absorption_chart(geo.drop(columns="delta_ar"))
    assert len(two.static.axes) == 2 and "\u0394AR" not in two.caption
    with pytest.raises(ChartError, match="lacks column\\(s\\) absorption_ratio"):
        charts.coupling_absorption_chart(geo[["coupling"]])


def test_regime_probability_bands_where_above_half() -> None:
    idx = _idx(12)
    p = pd.Series([0.1, 0.7, 0.9, 0.2, np.nan, 0.6, 0.6, 0.4, 0.3, 0.2, 0.8, 0.55], index=idx)
    chart = charts.regime_probability_chart(p, title="Turbulence", merge_gap=1)
    # runs of p > 0.5: [1,3), [5,7), [10,12)
    assert len(band_shapes(chart)) == 3 == len(band_patches(chart.static))
    assert tuple(chart.plotly.layout.yaxis.range) == (0.0, 1.0)
    assert any(s.y0 == 0.5 == s.y1 for s in chart.plotly.layout.shapes)  # the 0.5 line
    (ax,) = chart.static.axes
    assert any(list(line.get_ydata()) == [0.5, 0.5] for line in ax.lines)  # the 0.5 line
    assert "exceeds 0.5" in chart.caption
    with pytest.raises(ChartError, match=r"must lie in \[0, 1\]; got 1.2"):
        charts.regime_probability_chart(p.replace(0.9, 1.2), title="bad")


# --------------------------------------------------------------------------- forecasts


def test_goyal_welch_lines_end_at_r2_oos() -> None:
    rng = np.random.default_rng(8)
    n = 400
    idx = _idx(n)
    y = rng.normal(0, 1, n)
    hist = np.full(n, 0.1)
    good = y * 0.3 + rng.normal(0, 0.1, n)
    cum = pd.DataFrame(
        {"good": np.cumsum((y - hist) ** 2 - (y - good) ** 2), "hist": np.zeros(n)}, index=idx
    )
    chart = charts.goyal_welch_chart(cum)
    tr = lines_of(chart)["good"]
    r2_oos = 1 - np.sum((y - good) ** 2) / np.sum((y - hist) ** 2)
    assert f64(tr.y)[-1] / np.sum((y - hist) ** 2) == pytest.approx(r2_oos, rel=1e-5)
    assert "rising line means the model is beating the historical mean" in chart.caption
    assert chart.name == "goyal_welch"
    png(chart.static)


def _grid() -> pd.DataFrame:
    rows = []
    for model, peak in (("lasso", -2.0), ("elasticnet", -1.5)):
        for a in np.logspace(-4, 0, 9):
            la = np.log10(a)
            rows.append((model, a, 0.02 - 0.01 * (la - peak) ** 2, max(0.0, -5.0 * la)))
    return pd.DataFrame(rows, columns=["model", "alpha", "r2_oos", "n_nonzero"])


def test_phase_transition_panels_and_alpha_max() -> None:
    grid = _grid()
    chart = charts.phase_transition_chart(grid, alpha_max={"lasso": 1e-1, "elasticnet": 0.5})
    traces = [tr for tr in chart.plotly.data if tr.name == "lasso"]
    assert len(traces) == 2  # one per panel
    lasso = grid[grid["model"] == "lasso"]
    np.testing.assert_allclose(f64(traces[0].x), np.log10(lasso["alpha"]), rtol=F32)
    np.testing.assert_allclose(f64(traces[0].y), lasso["r2_oos"], rtol=F32)
    np.testing.assert_allclose(f64(traces[1].y), lasso["n_nonzero"], rtol=F32)
    vlines = [s for s in chart.plotly.layout.shapes if s.x0 == s.x1]
    assert sorted({round(s.x0, 6) for s in vlines}) == [-1.0, round(np.log10(0.5), 6)]
    assert chart.plotly.layout.yaxis.tickformat.endswith("%")
    assert "median across refits" in chart.caption
    assert len(chart.static.axes) == 2
    png(chart.static)
    nan = charts.phase_transition_chart(grid, alpha_max={"lasso": float("nan")})
    assert not [s for s in nan.plotly.layout.shapes if s.x0 == s.x1 and s.x0 is not None]
    with pytest.raises(ChartError, match="'ridge' that are not in the grid"):
        charts.phase_transition_chart(grid, alpha_max={"ridge": 1.0})
    with pytest.raises(ChartError, match="lacks column\\(s\\) n_nonzero"):
        charts.phase_transition_chart(grid.drop(columns="n_nonzero"), alpha_max={})
    with pytest.raises(ChartError, match="positive number"):
        charts.phase_transition_chart(grid.assign(alpha=0.0), alpha_max={})


def _refits(n: int = 40) -> pd.DatetimeIndex:
    return pd.date_range("2012-01-31", periods=n, freq="ME", name="refit_date")


def test_alpha_path_log_steps() -> None:
    rng = np.random.default_rng(2)
    alphas = pd.DataFrame(
        {
            "lasso": 10 ** rng.uniform(-4, -1, 40),
            "ols": np.nan,
            "ridge": 10 ** rng.uniform(0, 2, 40),
        },
        index=_refits(),
    )
    chart = charts.alpha_path_chart(alphas)
    assert chart.plotly.layout.yaxis.type == "log"
    (ax,) = chart.static.axes
    assert ax.get_yscale() == "log"
    got = lines_of(chart)
    assert set(got) == {"lasso", "ridge"} and all(tr.line.shape == "hv" for tr in got.values())
    assert "not drawn: ols" in chart.caption
    np.testing.assert_allclose(f64(got["lasso"].y), alphas["lasso"], rtol=F32)
    png(chart.static)
    with pytest.raises(ChartError, match="must be > 0"):
        charts.alpha_path_chart(alphas.assign(lasso=0.0))


@pytest.mark.parametrize("k", [4, 9])
def test_coefficient_path_legend_outside_beyond_six(k: int) -> None:
    rng = np.random.default_rng(k)
    coefs = pd.DataFrame(
        rng.normal(0, 0.1, (40, k)), index=_refits(), columns=[f"X{i}_l1" for i in range(k)]
    )
    coefs.iloc[:10, 0] = np.nan  # a late feature
    chart = charts.coefficient_path_chart(coefs, title="Coefficients")
    legend = chart.plotly.layout.legend
    assert (legend.orientation == "v" and legend.x > 1) is (k > 6)
    assert len(lines_of(chart)) == k and np.isnan(f64(lines_of(chart)["X0_l1"].y)[:10]).all()
    static_legend = chart.static.legends[0] if chart.static.legends else None
    assert (static_legend is not None) is (k > 6)
    assert chart.static.axes[0].get_legend() is None if k > 6 else True
    png(chart.static)


# --------------------------------------------------------------------------- backtests


def _returns(n: int = 600, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.normal(0.0004, 0.012, (n, 3)), index=_idx(n), columns=["buy and hold", "lasso", "ols"]
    )


def test_equity_curve_against_empyrical_and_log_axis() -> None:
    r = _returns()
    wealth = (1 + r).cumprod()
    labels = pd.Series(np.where(np.arange(len(r)) % 100 < 30, "high", "low"), index=r.index)
    chart = charts.equity_curve_chart(
        wealth, title="Equity", shading=labels, shading_label="coupling", max_points=200
    )
    got = lines_of(chart)
    for col in r.columns:
        final = empyrical.cum_returns_final(r[col].to_numpy()) + 1
        assert f64(got[col].y)[-1] == pytest.approx(final, rel=F32)
    assert got["buy and hold"].line.color == charts.INK
    assert charts.INK not in {got["lasso"].line.color, got["ols"].line.color}
    assert chart.plotly.layout.yaxis.type == "log" and chart.static.axes[0].get_yscale() == "log"
    assert len(band_shapes(chart)) == 6 == len(band_patches(chart.static))
    linear = charts.equity_curve_chart(wealth, title="Equity", log=False)
    assert linear.plotly.layout.yaxis.type is None
    with pytest.raises(ChartError, match=r"'lasso' has wealth <= 0.*log=False"):
        charts.equity_curve_chart(wealth.assign(lasso=wealth["lasso"] - 2), title="ruin")


def test_drawdown_against_empyrical() -> None:
    r = _returns()
    wealth = (1 + r).cumprod()
    dd = wealth / wealth.cummax() - 1
    chart = charts.drawdown_chart(dd, title="Drawdowns", max_points=100)
    for col in r.columns:
        mdd = empyrical.max_drawdown(r[col].to_numpy())
        assert f"{col} \u2212{abs(mdd):.1%}" in chart.caption
    low, high = chart.plotly.layout.yaxis.range
    assert high == 0.0 and low < dd.min().min()
    assert chart.plotly.layout.yaxis.tickformat.endswith("%")
    with pytest.raises(ChartError, match="positive value"):
        charts.drawdown_chart(dd + 0.1, title="bad")


def test_positions_steps_keep_every_change() -> None:
    idx = _idx(3000)
    pos = pd.DataFrame({"quartile": np.repeat([0.0, 1.0, -1.0, 0.5, 0.0], 600)}, index=idx)
    chart = charts.position_chart(pos, title="Positions", max_points=50)
    tr = lines_of(chart)["quartile"]
    # only the changes and the last date are needed for a step line: nothing thinned
    assert list(f64(tr.y)) == [0.0, 1.0, -1.0, 0.5, 0.0, 0.0]
    assert tr.x[0] == "2015-01-01" and tr.x[-1] == f"{idx[-1]:%Y-%m-%d}"
    assert tr.line.shape == "hv" and "thinned" not in chart.caption
    (ax,) = chart.static.axes
    assert ax.lines[0].get_drawstyle() == "steps-post"


def test_metric_bars_by_regime() -> None:
    table = pd.DataFrame(
        {"high": [0.5, -0.2, np.nan], "low": [1.2, 0.3, 0.1]},
        index=["ols", "lasso", "buy and hold"],
    )
    chart = charts.metric_bars_by_regime(table, metric="Sharpe ratio", title="Sharpe by regime")
    high, low = chart.plotly.data
    assert (high.name, low.name) == ("high", "low") and list(high.y) == list(table.index)
    np.testing.assert_allclose(f64(low.x), table["low"], rtol=1e-6)
    assert high.x[2] is None and "n/a" in chart.caption
    (ax,) = chart.static.axes
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 6
    png(chart.static)
    with pytest.raises(ChartError, match="needs at least one model and one regime"):
        charts.metric_bars_by_regime(table.iloc[:0], metric="Sharpe", title="none")


# --------------------------------------------------------------------------- matrix


@pytest.mark.parametrize("k", [5, 15])
def test_correlation_matrix_heatmap(k: int) -> None:
    rng = np.random.default_rng(k)
    x = rng.normal(0, 1, (200, k))
    names = [f"S{i}" for i in range(k)]
    corr = pd.DataFrame(np.corrcoef(x.T), index=names, columns=names)
    chart = charts.correlation_matrix_heatmap(corr, title="Correlations")
    (hm,) = chart.plotly.data
    np.testing.assert_allclose(f64(hm.z), np.corrcoef(x.T), rtol=1e-5, atol=1e-6)
    assert (hm.zmin, hm.zmax) == (-1.0, 1.0) and list(hm.x) == names
    ax, _ = chart.static.axes
    (img,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert img.get_clim() == (-1.0, 1.0)
    annotated = k <= 12
    assert (hm.texttemplate is not None) is annotated
    assert len([t for t in ax.texts if t.get_text()]) == (k * k if annotated else 0)
    png(chart.static)
    with pytest.raises(ChartError, match="square matrix with the same labels"):
        charts.correlation_matrix_heatmap(corr.iloc[:, ::-1], title="bad")


# --------------------------------------------------------------------------- every new chart


def _builders() -> dict[str, Callable[[], Chart]]:
    r = _returns(300)
    wealth = (1 + r).cumprod()
    corr = _rolling_corr()
    labels = pd.Series(np.where(np.arange(300) % 60 < 20, "high", "low"), index=corr.index)
    geo = pd.DataFrame(
        {"coupling": corr.mean(axis=1), "absorption_ratio": corr.abs().mean(axis=1)},
        index=corr.index,
    )
    coefs = pd.DataFrame(np.linspace(-1, 1, 80).reshape(40, 2), index=_refits(), columns=["a", "b"])
    return {
        "rolling_correlation": lambda: charts.rolling_correlation_chart(
            corr, window=20, shading=labels
        ),
        "coupling_absorption": lambda: charts.coupling_absorption_chart(geo, shading=labels),
        "regime_probability": lambda: charts.regime_probability_chart(
            (corr["XLK~SPY"] + 1) / 2, title="p"
        ),
        "goyal_welch": lambda: charts.goyal_welch_chart(corr.fillna(0).cumsum(), shading=labels),
        "phase_transition": lambda: charts.phase_transition_chart(
            _grid(), alpha_max={"lasso": 0.1}
        ),
        "alpha_path": lambda: charts.alpha_path_chart(coefs.abs() + 0.01),
        "coefficient_path": lambda: charts.coefficient_path_chart(coefs, title="c"),
        "equity_curve": lambda: charts.equity_curve_chart(wealth, title="e", shading=labels),
        "drawdown": lambda: charts.drawdown_chart(wealth / wealth.cummax() - 1, title="d"),
        "positions": lambda: charts.position_chart(np.sign(r), title="p"),
        "metric_by_regime": lambda: charts.metric_bars_by_regime(
            r.groupby(labels).mean().T, metric="Mean return", title="m", percent=True
        ),
        "correlation_matrix": lambda: charts.correlation_matrix_heatmap(
            r.corr(), title="Correlations"
        ),
    }


@pytest.mark.parametrize("name", list(_builders()))
def test_every_new_chart_house_conventions_and_determinism(name: str) -> None:
    build = _builders()[name]
    chart = build()
    assert chart.name == name and chart.title and chart.caption.endswith(".")
    layout = chart.plotly.layout
    assert layout.width is None and 280 <= layout.height <= 1400
    assert layout.title.text == chart.title
    assert layout.template.layout.font.family.startswith("DejaVu Sans")
    fig = chart.static
    assert fig.get_size_inches()[0] == pytest.approx(6.5) and fig.canvas.manager is None
    png(fig)
    texts = [t for t in fig.findobj(plt.Text) if t.get_visible() and t.get_text().strip()]
    assert not [t.get_text() for t in texts if t.get_fontsize() < 8]
    assert chart.title in [t.get_text() for t in texts]
    assert build().plotly.to_json() == chart.plotly.to_json()  # deterministic


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: charts.rolling_correlation_chart(pd.DataFrame(), window=20), "empty frame"),
        (
            lambda: charts.rolling_correlation_chart(
                pd.DataFrame({"a~b": [np.nan] * 3}, index=_idx(3)), window=2
            ),
            "every value is missing",
        ),
        (lambda: charts.coupling_absorption_chart(pd.DataFrame()), "lacks column"),
        (lambda: charts.regime_probability_chart(pd.Series(dtype=float), title="p"), "empty"),
        (lambda: charts.goyal_welch_chart(pd.DataFrame()), "empty frame"),
        (
            lambda: charts.phase_transition_chart(
                pd.DataFrame(columns=["model", "alpha", "r2_oos", "n_nonzero"]), alpha_max={}
            ),
            "grid is empty",
        ),
        (lambda: charts.alpha_path_chart(pd.DataFrame()), "empty frame"),
        (lambda: charts.coefficient_path_chart(pd.DataFrame(), title="c"), "empty frame"),
        (lambda: charts.equity_curve_chart(pd.DataFrame(), title="e"), "empty frame"),
        (lambda: charts.drawdown_chart(pd.DataFrame(), title="d"), "empty frame"),
        (lambda: charts.position_chart(pd.DataFrame(), title="p"), "empty frame"),
        (lambda: charts.correlation_matrix_heatmap(pd.DataFrame(), title="c"), "at least one"),
    ],
)
def test_empty_input_raises(build: Callable[[], Chart], match: str) -> None:
    with pytest.raises(ChartError, match=match):
        build()


def test_unsorted_index_and_bad_options() -> None:
    corr = _rolling_corr()
    with pytest.raises(ChartError, match="sorted in increasing order"):
        charts.rolling_correlation_chart(corr.iloc[::-1], window=20)
    with pytest.raises(ChartError, match="window must be an integer >= 2, got 0"):
        charts.rolling_correlation_chart(corr, window=0)
    labels = pd.Series("high", index=corr.index)
    with pytest.raises(ChartError, match="merge_gap must be an integer >= 1, got 0"):
        charts.rolling_correlation_chart(corr, window=20, shading=labels, merge_gap=0)
