"""Charts of the strategy report: factor distributions, IC, quantiles, exposures, importance.

Plotted numbers are checked against the input frames and against independent
computations (pandas quantiles and rolling means, empyrical-reloaded for
compounded returns). Plotly series are stored as float32, hence ``rtol=1e-6``
(float32 keeps about 7 significant digits); bars, boxes and heatmap cells are
rounded to 6 significant digits, hence ``1e-5``.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import empyrical
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from analysis import charts
from analysis.charts import Chart, ChartError

F32 = 1e-6  # float32 series: ~7 significant digits
SIG6 = 1e-5  # values rounded to 6 significant digits


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
    return np.asarray([np.nan if v is None else v for v in values], dtype="float64")


def lines_of(chart: Chart) -> dict[str, Any]:
    return {tr.name: tr for tr in chart.plotly.data if tr.type == "scatter"}


def _idx(n: int, start: str = "2010-01-01") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="date")


def _months(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2005-01-31", periods=n, freq="ME", name="date")


def _ic(n: int = 120, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ic = pd.DataFrame(
        {"ic": rng.normal(0.03, 0.1, n), "rank_ic": rng.normal(0.04, 0.1, n)}, index=_months(n)
    )
    ic.iloc[7, 1] = np.nan  # a date without a rank IC
    return ic


def _growth(n: int, q: int = 5, seed: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    # planted monotone premium: quantile j earns j * 0.5% more per period
    r = pd.DataFrame(
        rng.normal(0.0, 0.02, (n, q)) + 0.005 * np.arange(1, q + 1),
        index=_months(n),
        columns=range(1, q + 1),
    )
    return r, (1 + r).cumprod()


def _monthly_table(seed: int = 3, years: int = 4) -> tuple[pd.Series, pd.DataFrame]:
    """Daily returns and their year × month table (compounded by hand, independently)."""
    rng = np.random.default_rng(seed)
    idx = _idx(260 * years, "2018-01-01")
    r = pd.Series(rng.normal(0.0003, 0.01, len(idx)), index=idx)
    table = (1 + r).groupby([r.index.year, r.index.month]).prod().unstack() - 1
    table.columns = pd.Index(charts.strategy.MONTH_NAMES)
    table["Year"] = (1 + r).groupby(r.index.year).prod() - 1
    table.index.name = "year"
    return r, table


def _importance(n_refits: int) -> pd.DataFrame:
    refits = pd.date_range("2015-12-31", periods=n_refits, freq="YE")
    rows = [
        (d, f, v + 0.01 * i)
        for i, d in enumerate(refits)
        for f, v in (("value", 0.3), ("momentum", 0.5), ("quality", -0.1))
    ]
    return pd.DataFrame(rows, columns=["refit_date", "factor", "value"])


def _panel_factors(seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [_months(24), [f"T{i}" for i in range(40)]], names=["date", "ticker"]
    )
    before = pd.DataFrame(
        {
            "size": np.exp(rng.normal(22, 1.5, len(idx))),  # market values in dollars
            "momentum": rng.standard_t(3, len(idx)) * 0.2,
        },
        index=idx,
    )
    before.iloc[::7, 1] = np.nan
    after = (before - before.mean()) / before.std()
    return before, after.clip(-3, 3)


# --------------------------------------------------------------------------- every chart


def _builders() -> dict[str, Callable[[], Chart]]:
    before, after = _panel_factors()
    ic = _ic()
    r, growth = _growth(60)
    _, monthly = _monthly_table()
    means = pd.DataFrame(
        {"mean": r.mean(), "std_error": r.std(ddof=1) / np.sqrt(len(r))}
    ).rename_axis("quantile")
    exposure = pd.DataFrame({"net": 0.0, "gross": 2.0}, index=_months(60))
    names = pd.DataFrame({"n_long": 20, "n_short": 20}, index=_months(60))
    return {
        "factor_distribution": lambda: charts.factor_distribution_chart(before, after),
        "ic": lambda: charts.ic_chart(ic),
        "ic_heatmap": lambda: charts.ic_heatmap(
            ic["rank_ic"].groupby([ic.index.year, ic.index.month]).mean().unstack()
        ),
        "ic_decay": lambda: charts.ic_decay_chart(
            pd.DataFrame(
                {"ridge": [0.05, 0.03, 0.01], "lasso": [0.04, 0.02, -0.01]}, index=[1, 2, 3]
            )
        ),
        "quantile_returns": lambda: charts.quantile_returns_chart(means),
        "cumulative_quantile": lambda: charts.cumulative_quantile_chart(growth),
        "rolling_sharpe": lambda: charts.rolling_sharpe_chart(
            r.rolling(12).mean() / r.rolling(12).std() * np.sqrt(12), window_label="12-month"
        ),
        "monthly_returns": lambda: charts.monthly_returns_heatmap(monthly),
        "exposure_names": lambda: charts.exposure_names_chart(exposure, names),
        "importance": lambda: charts.importance_chart(_importance(5), method="standardized_coef"),
        "factor_exposure": lambda: charts.factor_exposure_chart(r.set_axis(list("abcde"), axis=1)),
        "factor_spread": lambda: charts.factor_spread_chart(growth[[5]] / growth[[1]].to_numpy()),
    }


@pytest.mark.parametrize("name", list(_builders()))
def test_every_chart_house_conventions_and_determinism(name: str) -> None:
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
        (
            lambda: charts.factor_distribution_chart(pd.DataFrame(), pd.DataFrame({"a": [1.0]})),
            "before: nothing to plot",
        ),
        (
            lambda: charts.factor_distribution_chart(
                pd.DataFrame({"a": [np.nan]}), pd.DataFrame({"a": [np.nan]})
            ),
            "every value is missing",
        ),
        (lambda: charts.ic_chart(pd.DataFrame()), "empty frame"),
        (lambda: charts.ic_heatmap(pd.DataFrame()), "empty frame"),
        (lambda: charts.ic_decay_chart(pd.DataFrame()), "empty frame"),
        (lambda: charts.quantile_returns_chart({}), "no frame given"),
        (
            lambda: charts.quantile_returns_chart(pd.DataFrame(columns=["mean", "std_error"])),
            "empty frame",
        ),
        (lambda: charts.cumulative_quantile_chart(pd.DataFrame()), "empty frame"),
        (lambda: charts.rolling_sharpe_chart(pd.DataFrame(), window_label="1y"), "empty frame"),
        (lambda: charts.monthly_returns_heatmap(pd.DataFrame()), "empty frame"),
        (
            lambda: charts.exposure_names_chart(
                pd.DataFrame(), pd.DataFrame({"n": [1.0]}, index=_months(1))
            ),
            "exposure: nothing to plot",
        ),
        (
            lambda: charts.importance_chart(
                pd.DataFrame(columns=["refit_date", "factor", "value"]), method="x"
            ),
            "frame is empty",
        ),
        (lambda: charts.factor_exposure_chart(pd.DataFrame()), "empty frame"),
        (lambda: charts.factor_spread_chart(pd.DataFrame()), "empty frame"),
    ],
)
def test_empty_input_raises(build: Callable[[], Chart], match: str) -> None:
    with pytest.raises(ChartError, match=match):
        build()


# --------------------------------------------------------------------------- thinning


LONG = 3000


def _long_builders() -> dict[str, Callable[[pd.DataFrame, int], Chart]]:
    return {
        "ic": lambda f, m: charts.ic_chart(f - 1.0, window=20, max_points=m),
        "cumulative_quantile": lambda f, m: charts.cumulative_quantile_chart(f, max_points=m),
        "rolling_sharpe": lambda f, m: charts.rolling_sharpe_chart(
            f, window_label="60-day", max_points=m
        ),
        "factor_exposure": lambda f, m: charts.factor_exposure_chart(f, max_points=m),
        "factor_spread": lambda f, m: charts.factor_spread_chart(f, max_points=m),
    }


@pytest.mark.parametrize("name", list(_long_builders()))
def test_thinning_respects_max_points_and_keeps_ends(name: str) -> None:
    rng = np.random.default_rng(9)
    idx = _idx(LONG, "2000-01-03")
    frame = pd.DataFrame(
        np.exp(rng.normal(0, 0.01, (LONG, 2)).cumsum(axis=0)), index=idx, columns=["A", "B"]
    )
    build = _long_builders()[name]
    for max_points in (1500, 200):
        chart = build(frame, max_points)
        traces = [tr for tr in chart.plotly.data if tr.type in ("scatter", "bar")]
        assert traces
        for tr in traces:
            x = pd.to_datetime(list(tr.x))
            assert len(x) <= max_points and x[-1] == idx[-1]
        first = pd.to_datetime(list(traces[0].x))
        assert first[0] == idx[0]
        assert "evenly thinned, first and last kept" in chart.caption
        assert (json_dtypes(chart) == {"f4"}) or name == "ic"
    small = build(frame.iloc[:100], 1500)
    assert "thinned" not in small.caption


def json_dtypes(chart: Chart) -> set[str]:
    import json

    data = json.loads(chart.plotly.to_json())["data"]
    return {d["y"]["dtype"] for d in data if isinstance(d.get("y"), dict)}


# --------------------------------------------------------------------------- 1. distributions


def test_factor_distribution_quantiles_against_pandas() -> None:
    before, after = _panel_factors()
    after = after.assign(extra=1.0)  # a factor only in the processed frame
    chart = charts.factor_distribution_chart(before, after)
    boxes = {tr.name: tr for tr in chart.plotly.data if tr.type == "box"}
    assert set(boxes) == {
        "size (raw)",
        "momentum (raw)",
        "size (processed)",
        "momentum (processed)",
        "extra (processed)",
    }
    for label, frame in (("raw", before), ("processed", after)):
        for f in ("size", "momentum"):
            q = frame[f].dropna().quantile([0.01, 0.25, 0.5, 0.75, 0.99]).to_numpy()
            tr = boxes[f"{f} ({label})"]
            got = [tr.lowerfence[0], tr.q1[0], tr.median[0], tr.q3[0], tr.upperfence[0]]
            np.testing.assert_allclose(got, q, rtol=SIG6)
    assert "No value: extra (raw)." in chart.caption
    assert len(chart.static.axes) == 3 * 2
    # the static box of the raw momentum has the same whiskers and median
    ax = chart.static.axes[2]  # row 1 (momentum), column 0 (raw)
    q = before["momentum"].dropna().quantile([0.01, 0.5, 0.99]).to_numpy()
    xs = {round(v, 9) for line in ax.lines for v in np.ravel(line.get_xdata())}
    assert {round(v, 9) for v in q} <= xs
    png(chart.static)


# --------------------------------------------------------------------------- 2.-4. IC


def test_ic_chart_bars_rolling_mean_and_no_lookahead() -> None:
    ic = _ic()
    chart = charts.ic_chart(ic, window=12)
    (bars,) = [tr for tr in chart.plotly.data if tr.type == "bar"]
    assert bars.name == "rank_ic"
    x = pd.DatetimeIndex(pd.to_datetime(list(bars.x)))
    # date 7 has no rank IC and, within the first window, no mean either: nothing to draw
    assert x.equals(ic.index.delete(7).rename(None))
    np.testing.assert_allclose(f64(bars.y), ic["rank_ic"].loc[x], rtol=F32)
    assert bars.marker.color[3] == (
        charts.strategy._BAR_DOWN if ic["rank_ic"].iloc[3] < 0 else charts.strategy._BAR_UP
    )
    lines = lines_of(chart)
    assert set(lines) == {"ic (12-date mean)", "rank_ic (12-date mean)"}
    # independent: the mean of the last 12 available values, by hand
    v = ic["rank_ic"].dropna()
    expected = [v.iloc[i - 11 : i + 1].mean() if i >= 11 else np.nan for i in range(len(v))]
    got = pd.Series(f64(lines["rank_ic (12-date mean)"].y), index=x)
    np.testing.assert_allclose(got.loc[v.index], expected, rtol=F32)
    assert any(s.y0 == 0 == s.y1 for s in chart.plotly.layout.shapes)
    # no look-ahead: changing the ICs after date d leaves every plotted value up to d unchanged
    d = ic.index[60]
    moved = ic.copy()
    moved.loc[moved.index > d] += 5.0
    other = charts.ic_chart(moved, window=12)
    for a, b in zip(chart.plotly.data, other.plotly.data, strict=True):
        x = pd.to_datetime(list(a.x))
        np.testing.assert_array_equal(f64(a.y)[x <= d], f64(b.y)[x <= d])
        assert not np.allclose(f64(a.y)[x > d], f64(b.y)[x > d], equal_nan=True)
    ic_only = charts.ic_chart(ic, bars="ic", window=3)
    assert [tr.name for tr in ic_only.plotly.data if tr.type == "bar"] == ["ic"]
    with pytest.raises(ChartError, match="bars='t_stat' is not a column"):
        charts.ic_chart(ic, bars="t_stat")
    with pytest.raises(ChartError, match="window must be an integer >= 2, got 1"):
        charts.ic_chart(ic, window=1)


@pytest.mark.parametrize("years", [3, 31])
def test_ic_heatmap_annotations_equal_rounded_values(years: int) -> None:
    ic = _ic(12 * years, seed=years)["ic"]
    table = ic.groupby([ic.index.year, ic.index.month]).mean().unstack()
    table.iloc[0, 4] = np.nan  # a month without IC
    chart = charts.ic_heatmap(table)
    (hm,) = chart.plotly.data
    assert list(hm.x) == list(charts.strategy.MONTH_NAMES)
    assert list(hm.y) == [str(y) for y in table.index]
    np.testing.assert_allclose(f64(np.ravel(hm.z)), table.to_numpy().ravel(), rtol=SIG6)
    m = np.nanmax(np.abs(table.to_numpy()))
    assert hm.zmin == pytest.approx(-m) and hm.zmax == pytest.approx(m) and hm.zmid == 0
    ax = chart.static.axes[0]
    cells = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }
    if years <= 30:
        expected = [
            [f"{v:.3f}".replace("-", "\u2212") if np.isfinite(v) else "" for v in row]
            for row in table.to_numpy()
        ]
        assert [list(r) for r in hm.text] == expected
        for (i, j), text in cells.items():
            assert text == expected[i][j]
        assert len(cells) == np.isfinite(table.to_numpy()).sum()
        # the printed value reads back as the input rounded to 3 decimals
        v = table.iloc[1, 2]
        assert float(expected[1][2].replace("\u2212", "-")) == round(v, 3)
        assert "values annotated" in chart.caption
    else:
        assert hm.text is None and not cells and "annotated" not in chart.caption


def test_ic_decay_bars() -> None:
    decay = pd.DataFrame(
        {"ridge": [0.05, 0.03, 0.01, 0.0], "lasso": [0.04, 0.02, -0.01, np.nan]},
        index=pd.Index([1, 2, 3, 4], name="horizon"),
    )
    chart = charts.ic_decay_chart(decay)
    ridge, lasso = chart.plotly.data
    assert (ridge.name, lasso.name) == ("ridge", "lasso") and list(ridge.x) == ["1", "2", "3", "4"]
    np.testing.assert_allclose(f64(lasso.y), decay["lasso"], rtol=SIG6)
    assert lasso.y[3] is None
    heights = sorted(round(p.get_height(), 9) for p in chart.static.axes[0].patches)
    assert heights == sorted(round(v, 9) for v in np.nan_to_num(decay.to_numpy()).ravel())


# --------------------------------------------------------------------------- 5.-6. quantiles


def test_quantile_whiskers_are_196_standard_errors() -> None:
    r, _ = _growth(240)
    se = r.std(ddof=1) / np.sqrt(len(r))
    means = pd.DataFrame({"mean": r.mean(), "std_error": se, "n_dates": len(r)})
    chart = charts.quantile_returns_chart({"ridge": means, "lasso": means * 0.5})
    ridge, lasso = chart.plotly.data
    assert list(ridge.x) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    np.testing.assert_allclose(f64(ridge.y), r.mean(), rtol=SIG6)
    np.testing.assert_allclose(f64(ridge.error_y.array), 1.96 * se, rtol=SIG6)
    np.testing.assert_allclose(f64(lasso.error_y.array), 1.96 * 0.5 * se, rtol=SIG6)
    assert chart.plotly.layout.yaxis.tickformat.endswith("%")
    # the planted premium: mean returns rise from Q1 to Q5
    assert np.all(np.diff(f64(ridge.y)) > 0)
    # static whiskers: the error bar segments run from mean - 1.96 se to mean + 1.96 se
    ax = chart.static.axes[0]
    segs = ax.containers[0].lines[2][0].get_segments()
    lows = np.array([s[0][1] for s in segs])
    highs = np.array([s[1][1] for s in segs])
    np.testing.assert_allclose(highs - lows, 2 * 1.96 * se, rtol=1e-12)
    np.testing.assert_allclose((highs + lows) / 2, r.mean(), rtol=1e-12)
    assert "\u00b11.96 standard errors" in chart.caption
    single = charts.quantile_returns_chart(means, percent=False)
    assert single.plotly.layout.showlegend is False
    with pytest.raises(ChartError, match="lacks std_error"):
        charts.quantile_returns_chart(means.drop(columns="std_error"))


def test_cumulative_quantile_against_empyrical_and_colours() -> None:
    r, growth = _growth(120)
    chart = charts.cumulative_quantile_chart(growth[[3, 1, 5, 2, 4]])  # any column order
    lines = lines_of(chart)
    assert list(lines) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    for q in range(1, 6):
        final = empyrical.cum_returns_final(r[q].to_numpy()) + 1
        assert f64(lines[f"Q{q}"].y)[-1] == pytest.approx(final, rel=F32)
    red, blue = to_rgb(lines["Q1"].line.color), to_rgb(lines["Q5"].line.color)
    assert red[0] > red[2] and blue[2] > blue[0]
    assert chart.plotly.layout.yaxis.type == "log"
    assert chart.static.axes[0].get_yscale() == "log"
    assert "(Q1) in red" in chart.caption


# --------------------------------------------------------------------------- 7.-9. backtest


def test_rolling_sharpe_lines() -> None:
    r, _ = _growth(120)
    sharpe = r.rolling(24).mean() / r.rolling(24).std() * np.sqrt(12)
    chart = charts.rolling_sharpe_chart(sharpe, window_label="24-month")
    lines = lines_of(chart)
    np.testing.assert_allclose(f64(lines["1"].y), sharpe[1].iloc[23:], rtol=F32)
    assert "24-month" in chart.caption
    assert chart.plotly.layout.yaxis.title.text == "Sharpe ratio (24-month)"


@pytest.mark.parametrize("years", [4, 31])
def test_monthly_returns_heatmap_annotations_in_percent(years: int) -> None:
    r, table = _monthly_table(years=years)
    chart = charts.monthly_returns_heatmap(table)
    (hm,) = chart.plotly.data
    assert list(hm.x) == [*charts.strategy.MONTH_NAMES, "Year"]
    # the year's total against empyrical, independent of the table's own compounding
    first = r[r.index.year == table.index[0]]
    assert hm.z[0][12] == pytest.approx(empyrical.cum_returns_final(first.to_numpy()), rel=SIG6)
    # the colour scale comes from the monthly cells, not the year totals
    m = np.nanmax(np.abs(table.drop(columns="Year").to_numpy()))
    assert hm.zmax == pytest.approx(m) and hm.zmin == pytest.approx(-m)
    ax = chart.static.axes[0]
    if years <= 30:
        for i, row in enumerate(table.to_numpy()):
            for j, v in enumerate(row):
                assert float(hm.text[i][j].replace("\u2212", "-")) == round(100 * v, 1)
        assert len(ax.texts) == table.size
        assert {t.get_text() for t in ax.texts} == {t for row in hm.text for t in row}
        assert "capped" in chart.caption
    else:
        assert hm.text is None and not ax.texts


def test_exposure_names_two_step_panels() -> None:
    idx = _months(48)
    exposure = pd.DataFrame(
        {"net": np.repeat([0.0, 0.1], 24), "gross": np.repeat([2.0, 1.8], 24)}, index=idx
    )
    names = pd.DataFrame({"n_long": np.repeat([20, 18], 24), "n_short": 20}, index=idx)
    chart = charts.exposure_names_chart(exposure, names)
    assert len(chart.static.axes) == 2
    lines = lines_of(chart)
    assert set(lines) == {"net", "gross", "n_long", "n_short"}
    assert all(tr.line.shape == "hv" for tr in lines.values())
    # step lines keep only the changes and the last date
    np.testing.assert_allclose(f64(lines["net"].y), [0.0, 0.1, 0.1], rtol=F32)
    assert lines["net"].x[-1] == f"{idx[-1]:%Y-%m-%d}"
    assert chart.plotly.layout.yaxis.tickformat.endswith("%")
    assert chart.static.axes[0].lines[0].get_drawstyle() == "steps-post"


# --------------------------------------------------------------------------- 10.-12. factors


def test_importance_lines_over_refits_or_bars_for_one() -> None:
    many = charts.importance_chart(_importance(6), method="mean_abs_shap")
    lines = lines_of(many)
    assert list(lines) == ["value", "momentum", "quality"]
    np.testing.assert_allclose(f64(lines["momentum"].y), 0.5 + 0.01 * np.arange(6), rtol=F32)
    assert all(tr.line.shape == "hv" for tr in lines.values())
    assert "mean |SHAP value|" in many.caption
    one = charts.importance_chart(_importance(1), method="permutation")
    (bar,) = one.plotly.data
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.y) == ["momentum", "value", "quality"]  # most important first
    np.testing.assert_allclose(f64(bar.x), [0.5, 0.3, -0.1], rtol=SIG6)
    widths = [p.get_width() for p in one.static.axes[0].patches]
    np.testing.assert_allclose(widths, [0.5, 0.3, -0.1])
    assert "permutation" in one.caption and "2015-12-31" in one.caption
    png(one.static)
    dup = pd.concat([_importance(2), _importance(2).iloc[:1]])
    with pytest.raises(ChartError, match="'value' repeats"):
        charts.importance_chart(dup, method="x")
    with pytest.raises(ChartError, match=r"lacks column\(s\) refit_date"):
        charts.importance_chart(_importance(2).drop(columns="refit_date"), method="x")


def test_factor_exposure_lines_and_zero() -> None:
    rng = np.random.default_rng(12)
    exp = pd.DataFrame(rng.normal(0, 0.3, (60, 3)), index=_months(60), columns=["v", "m", "q"])
    chart = charts.factor_exposure_chart(exp)
    lines = lines_of(chart)
    np.testing.assert_allclose(f64(lines["m"].y), exp["m"], rtol=F32)
    assert any(s.y0 == 0 == s.y1 for s in chart.plotly.layout.shapes)


def test_factor_spread_falls_back_to_linear_when_wealth_reaches_zero() -> None:
    rng = np.random.default_rng(13)
    r = pd.DataFrame(rng.normal(0.005, 0.04, (120, 2)), index=_months(120), columns=["v", "m"])
    wealth = (1 + r).cumprod()
    chart = charts.factor_spread_chart(wealth)
    assert chart.plotly.layout.yaxis.type == "log"
    assert chart.static.axes[0].get_yscale() == "log"
    assert "linear" not in chart.caption
    final = empyrical.cum_returns_final(r["m"].to_numpy()) + 1
    assert f64(lines_of(chart)["m"].y)[-1] == pytest.approx(final, rel=F32)
    assert any(s.y0 == 1 == s.y1 for s in chart.plotly.layout.shapes)
    ruined = wealth.assign(m=wealth["m"] - wealth["m"].iloc[60])  # wealth 0 at row 60, then < 0
    fallback = charts.factor_spread_chart(ruined)
    assert fallback.plotly.layout.yaxis.type is None
    assert fallback.static.axes[0].get_yscale() == "linear"
    assert "m reaches a wealth of 0 or below" in fallback.caption
    assert "the axis is linear" in fallback.caption
    png(fallback.static)
    asked_linear = charts.factor_spread_chart(ruined, log=False)
    assert "A log scale was asked for" not in asked_linear.caption
