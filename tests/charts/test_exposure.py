"""Charts: the traces carry the result's numbers, and both renditions draw cleanly.

Numbers are checked against the result objects and against independent
computations (``numpy.corrcoef``, cumulative returns by hand from ``y`` and
``alpha + X @ beta``). Plotly values are rounded to 6 significant digits
(bars, heatmaps) or stored as float32 (series), hence ``rtol=1e-5``.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from io import BytesIO
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from analysis import charts
from analysis.charts import Chart, ChartError
from analysis.data import fetch_factor_datasets, open_sources
from analysis.factors import build_design, get_model
from analysis.regression import OLSResult, RollingResult, fit_design, fit_ols, rolling_ols
from tests.helpers import simulate

RTOL = 1e-5


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    """AAPL on the bundled sample: carhart monthly and engineered daily."""
    prices, factors = open_sources("sample")
    px = prices.fetch_prices(["AAPL", "^GSPC"], "2005-01-01", "2016-12-31").prices
    ff = fetch_factor_datasets(factors, ("ff3", "mom"), "monthly")
    d = build_design(get_model("carhart"), px["AAPL"], frequency="monthly", factor_returns=ff)
    e = build_design(get_model("engineered"), px["AAPL"], frequency="daily", market=px["^GSPC"])
    d3 = build_design(get_model("ff3"), px["AAPL"], frequency="monthly", factor_returns=ff)
    return {
        "carhart": fit_design(d),
        "ff3": fit_design(d3),
        "engineered": fit_design(e),
        "roll": rolling_ols(d.y, d.X, 60, cov_type="HAC"),
        "roll_e": rolling_ols(e.y, e.X, 252),
    }


@pytest.fixture(scope="module")
def synth() -> OLSResult:
    rng = np.random.default_rng(20261121)
    y, X = simulate(rng, {"Mkt-RF": 1.1, "SMB": 0.4, "HML": -0.3}, n=400)
    return fit_ols(y, X, cov_type="nonrobust", model="sim3")


@pytest.fixture(scope="module")
def synth_roll() -> RollingResult:
    rng = np.random.default_rng(7)
    y, X = simulate(rng, {"a": 0.8, "b": -0.5}, n=300)
    return rolling_ols(y, X, 40)


@pytest.fixture(scope="module")
def suppression() -> OLSResult:
    """x2 correlates positively with y but has a negative beta: a negative variance share."""
    rng = np.random.default_rng(11)
    n = 500
    idx = pd.bdate_range("2015-01-01", periods=n, name="date")
    x1 = rng.normal(0, 0.01, n)
    x2 = 0.8 * x1 + 0.6 * rng.normal(0, 0.01, n)
    y = pd.Series(x1 - 0.5 * x2 + rng.normal(0, 0.002, n), index=idx, name="SUP")
    X = pd.DataFrame({"x1": x1, "x2": x2}, index=idx)
    return fit_ols(y, X, cov_type="nonrobust", model="sup")


@pytest.fixture(autouse=True)
def _no_pyplot_figures() -> Any:
    yield
    assert plt.get_fignums() == [], "a chart registered a pyplot figure"


# --------------------------------------------------------------------------- helpers


def bars(chart: Chart) -> dict[str, dict[str, float]]:
    """{label: {"x", "plus", "minus", "trace"}} over the plotly bar traces."""
    out: dict[str, dict[str, Any]] = {}
    for tr in chart.plotly.data:
        if tr.type != "bar":
            continue
        err = tr.error_x
        plus = err.array if err is not None and err.array is not None else [np.nan] * len(tr.y)
        minus = err.arrayminus if err is not None and err.arrayminus is not None else plus
        for y, x, p, m in zip(tr.y, tr.x, plus, minus, strict=True):
            out.setdefault(str(y), {})
            out[str(y)] = {"x": x, "plus": p, "minus": m, "trace": tr.name}
    return out


def png(fig: Figure, dpi: int = 50) -> bytes:
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def static_bars(ax: Any) -> list[float]:
    return [p.get_width() for p in ax.patches if isinstance(p, Rectangle)]


def texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def f64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype="float64")


# --------------------------------------------------------------------------- 1. exposure bars


@pytest.mark.parametrize("which", ["carhart", "engineered", "synth"])
def test_exposure_bars_carry_betas_and_intervals(
    real: dict[str, Any], synth: OLSResult, which: str
) -> None:
    res = synth if which == "synth" else real[which]
    chart = charts.exposure_bars(res)
    got = bars(chart)
    assert set(got) == set(res.factors)  # no alpha
    for f in res.factors:
        est = res.params[f]
        lo, hi = res.conf_int.loc[f, "lower"], res.conf_int.loc[f, "upper"]
        assert got[f]["x"] == pytest.approx(est, rel=RTOL)
        assert got[f]["plus"] == pytest.approx(hi - est, rel=RTOL)
        assert got[f]["minus"] == pytest.approx(est - lo, rel=RTOL)
        expected = "p < 0.05" if res.pvalues[f] < 0.05 else "p \u2265 0.05"
        assert got[f]["trace"] == expected
    (ax,) = chart.static.axes
    np.testing.assert_allclose(static_bars(ax), res.betas.to_numpy(), rtol=1e-12)
    assert chart.name == "exposure_bars" and "95%" in chart.caption
    png(chart.static)


def test_exposure_bars_colour_groups_real(real: dict[str, Any]) -> None:
    # carhart AAPL: Mkt-RF and HML significant, SMB and Mom not (p = 0.17, 0.86)
    names = {tr.name: list(tr.y) for tr in charts.exposure_bars(real["carhart"]).plotly.data}
    assert names == {"p < 0.05": ["Mkt-RF", "HML"], "p \u2265 0.05": ["SMB", "Mom"]}


# --------------------------------------------------------------------------- 2. radar


def test_radar_values_and_symmetric_axis(real: dict[str, Any], synth: OLSResult) -> None:
    for res in (real["carhart"], real["engineered"], synth):
        chart = charts.exposure_radar(res)
        assert chart is not None
        zero, line = chart.plotly.data
        sb = res.standardized_betas
        np.testing.assert_allclose(f64(line.r)[:-1], sb.to_numpy(), rtol=RTOL)
        assert list(line.theta)[:-1] == list(sb.index) and line.r[-1] == line.r[0]
        assert set(f64(zero.r)) == {0.0}
        low, high = chart.plotly.layout.polar.radialaxis.range
        assert low == -high and high >= np.abs(sb).max()
        (ax,) = chart.static.axes
        assert ax.name == "polar" and ax.get_ylim() == (low, high)
        png(chart.static)


def test_radar_none_below_three_factors(synth_roll: RollingResult) -> None:
    rng = np.random.default_rng(3)
    for betas in ({"m": 1.0}, {"m": 1.0, "s": 0.3}):
        y, X = simulate(rng, betas, n=200)
        assert charts.exposure_radar(fit_ols(y, X)) is None


# --------------------------------------------------------------------------- 3. rolling


def _estimate_traces(chart: Chart) -> list[Any]:
    return [tr for tr in chart.plotly.data if tr.name == "estimate"]


def test_rolling_carries_estimates_and_band(real: dict[str, Any]) -> None:
    roll = real["roll"]
    chart = charts.rolling_betas(roll, include_alpha=True)
    est = _estimate_traces(chart)
    assert len(est) == len(roll.terms)
    valid = roll.params.dropna(how="all")
    for term, tr in zip(roll.terms, est, strict=True):
        dates = pd.DatetimeIndex(pd.to_datetime(list(tr.x)))
        assert dates.equals(pd.DatetimeIndex(valid.index, name=None).rename(None))
        np.testing.assert_allclose(f64(tr.y), valid[term].to_numpy(), rtol=RTOL)
    upper, lower = chart.plotly.data[0], chart.plotly.data[1]
    np.testing.assert_allclose(f64(upper.y), roll.upper["alpha"].dropna().to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(f64(lower.y), roll.lower["alpha"].dropna().to_numpy(), rtol=RTOL)
    assert lower.fill == "tonexty"
    assert "95% confidence" in chart.caption and "thinned" not in chart.caption
    # 5 panels -> 3 x 2 grid, the empty cell removed
    assert len(chart.static.axes) == 5
    for ax in chart.static.axes:
        assert ax.lines and ax.collections  # estimate line, zero line, band
    png(chart.static)


def test_rolling_without_alpha_and_synthetic(synth_roll: RollingResult) -> None:
    chart = charts.rolling_betas(synth_roll)
    assert [tr.hovertemplate.split(" ")[0] for tr in _estimate_traces(chart)] == ["a", "b"]
    assert len(chart.static.axes) == 2
    # window 40 on 300 rows: rows 0..38 are NaN and dropped
    first = pd.Timestamp(_estimate_traces(chart)[0].x[0])
    assert first == synth_roll.params.index[39]


def test_rolling_thinning_keeps_ends(real: dict[str, Any]) -> None:
    roll = real["roll_e"]
    valid = roll.params.dropna(how="all")
    assert len(valid) > 1500  # 2643 windows: the default thins
    for max_points in (1500, 400, 2):
        chart = charts.rolling_betas(roll, max_points=max_points)
        x = pd.to_datetime(list(_estimate_traces(chart)[0].x))
        assert len(x) <= max_points
        assert x[0] == valid.index[0] and x[-1] == valid.index[-1]
        assert x.is_monotonic_increasing and x.isin(valid.index).all()
        assert f"{len(x)} of {len(valid)} windows" in chart.caption
        assert "CSV" in chart.caption
    gaps = np.diff(valid.index.get_indexer(x))
    assert gaps.max() - gaps.min() <= 1  # evenly spaced in window count


def test_rolling_drops_nan_windows(real: dict[str, Any]) -> None:
    roll = real["roll"]
    holes = roll.params.index[[70, 71, 72, 100]]
    params, lower, upper = (f.copy() for f in (roll.params, roll.lower, roll.upper))
    for f in (params, lower, upper):
        f.loc[holes] = np.nan
    holed = dataclasses.replace(roll, params=params, lower=lower, upper=upper)
    chart = charts.rolling_betas(holed)
    for tr in chart.plotly.data:
        y = f64(tr.y)
        assert np.isfinite(y).all()
        assert not pd.to_datetime(list(tr.x)).isin(holes).any()
    n_valid = int(params.notna().any(axis=1).sum())
    assert len(_estimate_traces(chart)[0].x) == n_valid == 143 - 59 - 4


def test_rolling_errors(real: dict[str, Any]) -> None:
    roll = real["roll"]
    with pytest.raises(ChartError, match="max_points must be an integer >= 2, got 1"):
        charts.rolling_betas(roll, max_points=1)
    empty = dataclasses.replace(roll, params=roll.params * np.nan)
    with pytest.raises(ChartError, match="AAPL: no rolling window of 60 observations"):
        charts.rolling_betas(empty)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5000), max_points=st.integers(2, 2000))
def test_thin_positions_property(n: int, max_points: int) -> None:
    pos = charts._thin_positions(n, max_points)
    assert len(pos) <= max_points and pos[0] == 0 and pos[-1] == n - 1
    assert (np.diff(pos) > 0).all()
    if n <= max_points:
        assert len(pos) == n


# --------------------------------------------------------------------------- 4. correlations


@pytest.mark.parametrize("which", ["carhart", "engineered", "synth"])
def test_correlation_heatmap_values(real: dict[str, Any], synth: OLSResult, which: str) -> None:
    X = (synth if which == "synth" else real[which]).X
    chart = charts.correlation_heatmap(X)
    (hm,) = chart.plotly.data
    expected = np.corrcoef(X.to_numpy().T)
    np.testing.assert_allclose(f64(hm.z), expected, rtol=RTOL, atol=1e-6)
    assert (hm.zmin, hm.zmax) == (-1.0, 1.0) and list(hm.x) == list(X.columns)
    ax, cbar = chart.static.axes
    assert cbar.get_ylabel() == "Correlation"
    (img,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    np.testing.assert_allclose(img.get_array(), expected, rtol=1e-12)
    assert img.get_clim() == (-1.0, 1.0)
    k = X.shape[1]
    assert len([t for t in ax.texts if t.get_text()]) == k * k
    png(chart.static)


# --------------------------------------------------------------------------- 5. cumulative fit


def _fitted_by_hand(res: OLSResult) -> np.ndarray:
    return res.params["alpha"] + res.X.to_numpy() @ res.betas.to_numpy()


def test_cumulative_fit_simple_end_values(real: dict[str, Any]) -> None:
    res = real["carhart"]
    chart = charts.cumulative_fit(res, "simple")
    actual, fitted = chart.plotly.data
    y = res.y.to_numpy()
    assert f64(actual.y)[-1] == pytest.approx(np.prod(1 + y) - 1, rel=RTOL)
    assert f64(fitted.y)[-1] == pytest.approx(np.prod(1 + _fitted_by_hand(res)) - 1, rel=RTOL)
    assert len(actual.x) == res.nobs  # 143 months: not thinned
    assert "thinned" not in chart.caption and "evenly" not in chart.caption
    (ax,) = chart.static.axes
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(np.prod(1 + y) - 1, rel=1e-12)
    png(chart.static)


def test_cumulative_fit_log_thinned(real: dict[str, Any]) -> None:
    res = real["engineered"]
    chart = charts.cumulative_fit(res, "log", max_points=500)
    actual, fitted = chart.plotly.data
    assert f64(actual.y)[-1] == pytest.approx(res.y.sum(), rel=RTOL)
    assert f64(fitted.y)[-1] == pytest.approx(_fitted_by_hand(res).sum(), rel=RTOL)
    x = pd.to_datetime(list(actual.x))
    assert len(x) <= 500 and x[0] == res.start and x[-1] == res.end
    # every plotted point is the exact cumulative sum at its date (thinning after cumulating)
    np.testing.assert_allclose(f64(actual.y), res.y.cumsum().loc[x].to_numpy(), rtol=RTOL)
    assert f"{len(x)} of {res.nobs} dates" in chart.caption
    assert chart.plotly.layout.yaxis.tickformat.endswith("%")


def test_cumulative_fit_synthetic_and_bad_kind(synth: OLSResult) -> None:
    chart = charts.cumulative_fit(synth, "log")
    assert f64(chart.plotly.data[0].y)[-1] == pytest.approx(synth.y.sum(), rel=RTOL)
    with pytest.raises(ChartError, match="kind must be 'log' or 'simple', got 'pct'"):
        charts.cumulative_fit(synth, "pct")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- 6-7. decompositions


@pytest.mark.parametrize("which", ["carhart", "engineered", "synth"])
def test_attribution_bars(real: dict[str, Any], synth: OLSResult, which: str) -> None:
    res = synth if which == "synth" else real[which]
    chart = charts.attribution_bars(res)
    got = bars(chart)
    att = res.attribution["annualized"]
    assert list(got) != [] and set(got) == set(att.index)
    for term, v in att.items():
        assert got[str(term)]["x"] == pytest.approx(v, rel=RTOL, abs=1e-12)
    assert got["total"]["trace"] == "total (mean return)"
    assert got["total"]["x"] == pytest.approx(res.y.mean() * res.periods_per_year, rel=RTOL)
    (ax,) = chart.static.axes
    np.testing.assert_allclose(static_bars(ax), att.to_numpy(), rtol=1e-12)
    assert chart.plotly.layout.xaxis.tickformat.endswith("%")
    png(chart.static)


@pytest.mark.parametrize("which", ["carhart", "engineered", "synth"])
def test_variance_bars(real: dict[str, Any], synth: OLSResult, which: str) -> None:
    res = synth if which == "synth" else real[which]
    chart = charts.variance_bars(res)
    got = bars(chart)
    vd = res.variance_decomposition
    for term, v in vd.items():
        assert got[str(term)]["x"] == pytest.approx(v, rel=RTOL, abs=1e-12)
    assert sum(got[f]["x"] for f in res.factors) == pytest.approx(res.rsquared, rel=1e-4)
    png(chart.static)


def test_negative_variance_share_renders(suppression: OLSResult) -> None:
    vd = suppression.variance_decomposition
    assert vd["x2"] < -0.05  # the fixture really has a suppressor
    chart = charts.variance_bars(suppression)
    assert bars(chart)["x2"]["x"] == pytest.approx(vd["x2"], rel=RTOL)
    low, high = chart.plotly.layout.xaxis.range
    assert low < vd["x2"] and high > vd.max()
    (ax,) = chart.static.axes
    widths = static_bars(ax)
    assert widths[1] == pytest.approx(vd["x2"]) and widths[1] < 0
    assert ax.get_xlim()[0] < vd["x2"]
    assert "suppression" in chart.caption
    assert any(t.get_text().startswith("\u2212") for t in ax.texts)  # its label
    png(chart.static)


# --------------------------------------------------------------------------- 8. model comparison


def test_model_comparison(real: dict[str, Any], synth: OLSResult) -> None:
    results = {"engineered": real["engineered"], "ff3": real["ff3"], "carhart": real["carhart"]}
    chart = charts.model_comparison(results)
    r2, r2a, alpha = chart.plotly.data
    np.testing.assert_allclose(f64(r2.x), [r.rsquared for r in results.values()], rtol=RTOL)
    np.testing.assert_allclose(f64(r2a.x), [r.rsquared_adj for r in results.values()], rtol=RTOL)
    ann = np.array([r.alpha_annualized for r in results.values()])
    upper = np.array(
        [r.conf_int.loc["alpha", "upper"] * r.periods_per_year for r in results.values()]
    )
    np.testing.assert_allclose(f64(alpha.x), ann, rtol=RTOL)
    np.testing.assert_allclose(f64(alpha.error_x.array), upper - ann, rtol=RTOL)
    assert list(r2.y) == list(results) and alpha.xaxis == "x2"
    assert chart.title == "Model comparison — AAPL"
    assert len(chart.static.axes) == 2
    assert len(static_bars(chart.static.axes[0])) == 2 * len(results)
    png(chart.static)
    mixed = charts.model_comparison({"aapl": real["carhart"], "sim": synth})
    assert mixed.title == "Model comparison"
    with pytest.raises(ChartError, match="at least one result"):
        charts.model_comparison({})


# --------------------------------------------------------------------------- 9. exposure heatmap


def _universe(rows: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = ["ff3: Mkt-RF", "ff3: SMB", "ff3: HML", "carhart: Mom"]
    b = pd.DataFrame(
        rng.normal(0, 0.7, (rows, len(cols))),
        index=[f"T{i:02d}" for i in range(rows)],
        columns=cols,
    )
    b.iloc[2, :] = np.nan  # a failed ticker
    b.iloc[5, 3] = np.nan  # a factor not in that ticker's model
    return b


@pytest.mark.parametrize("rows", [10, 30])
def test_exposure_heatmap(rows: int) -> None:
    b = _universe(rows)
    chart = charts.exposure_heatmap(b, title="Universe")
    values, grey = chart.plotly.data
    np.testing.assert_allclose(f64(values.z), b.to_numpy(), rtol=RTOL)  # NaN -> None -> NaN
    m = np.nanmax(np.abs(b.to_numpy()))
    assert values.zmin == pytest.approx(-m) and values.zmax == pytest.approx(m)
    assert list(values.y) == list(b.index) and list(values.x) == list(b.columns)
    assert (f64(grey.z) == 1).sum() == b.isna().sum().sum() == 5
    np.testing.assert_array_equal(np.isfinite(f64(grey.z)), b.isna().to_numpy())
    ax, cbar = chart.static.axes
    assert cbar.get_ylabel() == "Beta"
    (img,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    np.testing.assert_array_equal(np.ma.getmaskarray(img.get_array()), b.isna().to_numpy())
    assert img.get_clim() == pytest.approx((-m, m))
    assert sum(t.get_text() == "n/a" for t in ax.texts) == 5
    w, h = chart.static.get_size_inches()
    assert w == 6.5 and h <= 9.5
    png(chart.static)
    assert all(t.get_fontsize() >= 8 for t in texts(chart.static))


def test_exposure_heatmap_all_nan_and_empty() -> None:
    b = pd.DataFrame(np.nan, index=["A", "B"], columns=["x", "y"])
    chart = charts.exposure_heatmap(b, title="failed")
    assert chart.plotly.data[0].zmax == 1.0
    png(chart.static)
    with pytest.raises(ChartError, match="needs at least one ticker and one factor"):
        charts.exposure_heatmap(b.iloc[:0], title="none")


# --------------------------------------------------------------------------- every chart


def _all_charts(real: dict[str, Any]) -> dict[str, Callable[[], Chart | None]]:
    res = real["carhart"]
    return {
        "exposure_bars": lambda: charts.exposure_bars(res),
        "exposure_radar": lambda: charts.exposure_radar(res),
        "rolling_betas": lambda: charts.rolling_betas(real["roll"]),
        "correlation_heatmap": lambda: charts.correlation_heatmap(res.X),
        "cumulative_fit": lambda: charts.cumulative_fit(res, "simple"),
        "attribution_bars": lambda: charts.attribution_bars(res),
        "variance_bars": lambda: charts.variance_bars(res),
        "model_comparison": lambda: charts.model_comparison({"ff3": real["ff3"], "carhart": res}),
        "exposure_heatmap": lambda: charts.exposure_heatmap(_universe(12), title="U"),
    }


def test_every_chart_house_conventions(real: dict[str, Any]) -> None:
    house = {k: v for k, v in charts._MPL_RC.items() if matplotlib.rcParamsOrig[k] != v}
    assert house  # the house look differs from matplotlib's defaults
    for name, build in _all_charts(real).items():
        chart = build()
        assert chart is not None and chart.name == name
        assert chart.title and chart.caption.endswith(".")
        # plotly: responsive width, modest height, compact JSON, our template
        layout = chart.plotly.layout
        assert layout.width is None and 280 <= layout.height <= 1400
        size = len(chart.plotly.to_json())
        assert size < 40_000, f"{name}: {size} bytes of plotly JSON"
        assert layout.template.layout.font.family.startswith("DejaVu Sans")
        assert layout.title.text == chart.title
        # static: A4 text width, readable fonts once drawn, no pyplot
        fig = chart.static
        assert fig.get_size_inches()[0] == pytest.approx(6.5)
        assert fig.canvas.manager is None
        png(fig)
        small = [(t.get_text(), t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < 8]
        assert not small, f"{name}: text below 8 pt: {small[:3]}"
        assert all(t.get_fontfamily() == ["DejaVu Sans"] for t in texts(fig))
        for ax in fig.axes:
            assert ax.get_children(), f"{name}: empty axes"
        # ticks created while drawing, after the style context closed, still wear the house look
        cartesian = [ax for ax in fig.axes if ax.name == "rectilinear"]  # radar rings are muted
        ticks = [t for ax in cartesian for t in ax.get_yticklabels() if t.get_text()]
        assert bool(ticks) == bool(cartesian)
        assert all(t.get_color() == charts.INK for t in ticks)
    leaked = {k for k in house if matplotlib.rcParams[k] == charts._MPL_RC[k]}
    assert not leaked, f"the house style leaked into the global rcParams: {sorted(leaked)}"


def test_static_default_png_render(real: dict[str, Any]) -> None:
    data = png(charts.exposure_bars(real["carhart"]).static, dpi=200)
    # width in the PNG header: 6.5 in at 200 dpi
    assert int.from_bytes(data[16:20], "big") == 1300


def test_rolling_daily_json_is_float32(real: dict[str, Any]) -> None:
    chart = charts.rolling_betas(real["roll_e"], max_points=500)
    data = json.loads(chart.plotly.to_json())["data"]
    assert {tr["y"]["dtype"] for tr in data} == {"f4"}
    assert data[0]["x"][0] == "2006-07-05"  # dates as plain YYYY-MM-DD
    assert len(chart.plotly.to_json()) < 200_000


def test_module_does_not_import_pyplot() -> None:
    code = "import sys, analysis.charts; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_exposure_heatmap_scales_each_column_on_its_own() -> None:
    b = _universe(10)
    b["tiny"] = np.linspace(-1e-3, 5e-4, 10)  # a beta three orders of magnitude smaller
    chart = charts.exposure_heatmap(b, title="U", scale="column")
    values = chart.plotly.data[0]
    z = f64(values.z)
    # colours: each column divided by its own largest |beta|; text: the betas themselves
    np.testing.assert_allclose(np.nanmax(np.abs(z), axis=0), 1.0, rtol=1e-5)  # 6 sig. digits
    np.testing.assert_allclose(z[:, -1], b["tiny"] / 1e-3, rtol=1e-5)
    assert values.text[0][-1] == "\u22120.001" and values.showscale is False
    assert values.x[-1] == "tiny<br>\u00b10.001"
    assert len(chart.static.axes) == 1  # no colour bar: the scales differ by column
    assert "each column has its own colour scale" in chart.caption
    png(chart.static)
