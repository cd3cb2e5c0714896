"""Params files: the shipped ones load, bad ones give the promised one-line-per-problem errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import ParamsError
from analysis.report.kinds import load_params
from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.params import ticker_slug

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
name: t
title: Test run
market: ^GSPC
tickers: [AAPL, MSFT]
models: [engineered, {model: ff3, frequency: monthly, rolling_window: 60}]
start: 2010-01-01
end: 2015-12-31
"""


def write(tmp_path: Path, text: str, name: str = "p.yml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "name", ["sample.yml", "us_large_caps.yml", "india_nifty50.yml", "sectors.yml"]
)
def test_shipped_params_load(name: str) -> None:
    p = load_params(ROOT / "params" / name)
    assert isinstance(p, ExposureParams)
    assert p.units == p.tickers


def test_sample_is_offline_and_complete() -> None:
    p = load_params(ROOT / "params" / "sample.yml")
    assert isinstance(p, ExposureParams)
    assert p.data.source == "sample" and len(p.tickers) >= 10
    models = {m.id: m for m in p.resolved_models()}
    assert set(models) >= {"engineered", "capm", "ff3", "carhart"}
    assert models["engineered"].frequency == "daily"
    assert all(models[m].frequency == "monthly" for m in ("capm", "ff3", "carhart"))


def test_india_uses_nse_symbols() -> None:
    p = load_params(ROOT / "params" / "india_nifty50.yml")
    assert isinstance(p, ExposureParams)
    assert p.market == "^NSEI" and all(t.endswith(".NS") for t in p.tickers)


def test_resolved_defaults(tmp_path: Path) -> None:
    p = load_params(write(tmp_path, GOOD))
    assert isinstance(p, ExposureParams)
    eng, ff3 = p.resolved_models()
    assert (eng.frequency, eng.rolling_window) == ("daily", 252)
    assert (ff3.frequency, ff3.rolling_window) == ("monthly", 60)
    assert p.cov_type == "HAC" and p.factor_window == 126


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("rolling_window: '252'", r"p.yml: 'rolling_window' must be a valid integer, got '252'"),
        ("rolling_window: 5", r"'rolling_window' must be greater than or equal to 10, got 5"),
        ("frequency: hourly", r"'frequency' must be 'daily', 'weekly' or 'monthly', got 'hourly'"),
        ("cov_type: HC9", r"'cov_type' must be 'nonrobust', 'HC1' or 'HAC', got 'HC9'"),
        ("windw: 3", r"'windw' is not a known key, got 3"),
        ("name: ../evil", r"'name' must match pattern"),
        ("data: {source: ftp}", r"'data.source' must be 'sample', 'yahoo' or 'csv', got 'ftp'"),
        ("data: {source: csv}", r"source 'csv' needs a 'prices' file"),
        ("start: 2020-01-01", r"'start' \(2020-01-01\) must be before 'end' \(2015-12-31\)"),
        (
            "break_dates: [2012-06-01, 2016-03-01]",
            r"'break_dates' \['2016-03-01'\] must fall strictly between 'start' and 'end'",
        ),
        ("break_dates: [someday]", r"'break_dates\[0\]' .*got 'someday'"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, change: str, message: str) -> None:
    key = change.split(":")[0]
    lines = [ln for ln in GOOD.splitlines() if not ln.startswith(f"{key}:")] + [change]
    with pytest.raises(ParamsError, match=message):
        load_params(write(tmp_path, "\n".join(lines) + "\n"))


def test_bad_tickers_and_models(tmp_path: Path) -> None:
    text = GOOD.replace("[AAPL, MSFT]", "[AAPL, '../../etc/passwd']").replace(
        "[engineered,", "[ff7,"
    )
    with pytest.raises(ParamsError) as err:
        load_params(write(tmp_path, text))
    msg = str(err.value)
    assert "'tickers[1]' must match pattern" in msg
    assert "'models[0].model' unknown model 'ff7'; known models: engineered" in msg
    assert len(msg.splitlines()) == 2  # one line per problem


def test_duplicates_and_model_rules(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"ticker 'AAPL' is listed twice"):
        load_params(write(tmp_path, GOOD.replace("[AAPL, MSFT]", "[AAPL, MSFT, AAPL]")))
    with pytest.raises(ParamsError, match=r"ticker 'A_B' and 'A\^B' share \(file name 'A_B'\)"):
        load_params(write(tmp_path, GOOD.replace("[AAPL, MSFT]", "[A^B, A_B]")))
    with pytest.raises(ParamsError, match=r"model 'sectors' needs 'factors'"):
        load_params(write(tmp_path, GOOD.replace("[engineered,", "[sectors,")))
    with pytest.raises(ParamsError, match=r"model 'ff3' has fixed factors"):
        load_params(write(tmp_path, GOOD.replace("{model: ff3,", "{model: ff3, factors: [A],")))
    with pytest.raises(ParamsError, match=r"model\(s\) \['engineered'\] listed more than once"):
        load_params(write(tmp_path, GOOD.replace("[engineered,", "[engineered, engineered,")))
    with pytest.raises(ParamsError, match=r"model 'custom' needs data.factors"):
        load_params(write(tmp_path, GOOD.replace("[engineered,", "[custom,")))


def test_malformed_yaml_has_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"p.yml: malformed YAML at line 3, column 1"):
        load_params(write(tmp_path, "name: x\ntitle: [unclosed\n"))
    with pytest.raises(ParamsError, match=r"must be a YAML mapping .* got list"):
        load_params(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ParamsError, match=r"nope.yml: params file not found"):
        load_params(tmp_path / "nope.yml")
    with pytest.raises(
        ParamsError, match=r"'kind' must be one of exposure, forecast, strategy, got 'backtest'"
    ):
        load_params(write(tmp_path, "kind: backtest\n" + GOOD))


def test_csv_paths_resolve_relative_to_params_file(tmp_path: Path) -> None:
    (tmp_path / "px.csv").write_text("date,AAPL\n2020-01-02,1\n")
    text = GOOD + "data: {source: csv, prices: px.csv}\n"
    text = text.replace("{model: ff3, frequency: monthly, rolling_window: 60}", "single_index")
    p = load_params(write(tmp_path, text))
    assert p.data.prices == tmp_path / "px.csv"


def test_slugs() -> None:
    assert ticker_slug("^GSPC") == "_GSPC"
    assert ticker_slug("M&M.NS") == "M_M.NS"
    assert ticker_slug("RELIANCE.NS") == "RELIANCE.NS"
    with pytest.raises(ParamsError):
        ticker_slug("../x")


PORTFOLIO = GOOD + "portfolios: {growth: {weights: {AAPL: 0.6, HD: 0.4}}}\nbenchmark: growth\n"


def test_portfolio_sample_loads_with_portfolios_as_units() -> None:
    p = load_params(ROOT / "params" / "portfolio_sample.yml")
    assert isinstance(p, ExposureParams)
    assert p.data.source == "sample" and p.benchmark == p.market
    assert p.units == [*p.tickers, *p.portfolios] and len(p.portfolios) == 2
    assert {s.rebalance for s in p.portfolios.values()} == {"monthly", "buy_and_hold"}
    assert set(p.members()) - set(p.tickers) == {"HD", "PG", "KO"}


def test_portfolio_defaults(tmp_path: Path) -> None:
    p = load_params(write(tmp_path, PORTFOLIO))
    assert isinstance(p, ExposureParams)
    assert p.units == ["AAPL", "MSFT", "growth"] and p.slugs["growth"] == "growth"
    assert p.portfolios["growth"].rebalance == "monthly" and p.members() == ["AAPL", "HD"]
    assert load_params(write(tmp_path, GOOD)).benchmark is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"HD: 0.4": "HD: 0.3"},
            r"'portfolios.growth.weights' weights \{'AAPL': 0.6, 'HD': 0.3\} sum to 0.9; they "
            r"must sum to 1 \(within 1e-06\), they are not rescaled",
        ),
        (
            {"AAPL: 0.6, HD: 0.4": "AAPL: 1.4, HD: -0.4"},
            r"'portfolios.growth.weights.HD' must be greater than 0, got -0.4",
        ),
        (
            {"{AAPL: 0.6, HD: 0.4}": "{}"},
            r"'portfolios.growth.weights' a portfolio needs at least one member",
        ),
        (
            {"0.4}}": "0.4}, rebalance: daily}"},
            r"'portfolios.growth.rebalance' must be 'monthly' or 'buy_and_hold', got 'daily'",
        ),
        (
            {"{growth:": "{MSFT:", "benchmark: growth": "benchmark: AAPL"},
            r"portfolio 'MSFT' has the name of a ticker; give the portfolio a name of its own",
        ),
        (
            {"{growth:": "{^GSPC:", "benchmark: growth": "benchmark: AAPL"},
            r"portfolio '\^GSPC' has the name of the market proxy",
        ),
        (
            {"{growth:": "{A^B:", "benchmark: growth": "benchmark: AAPL", "MSFT]": "A_B]"},
            r"ticker or portfolio 'A\^B' and 'A_B' share \(file name 'A_B'\)",
        ),
        (
            {"benchmark: growth": "benchmark: SPY"},
            r"'benchmark' 'SPY' is not the market proxy, a ticker or a portfolio of the run "
            r"\(one of \^GSPC, AAPL, MSFT, growth\)",
        ),
    ],
)
def test_bad_portfolios_are_named(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    text = PORTFOLIO
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    with pytest.raises(ParamsError, match=message):
        load_params(write(tmp_path, text))


def test_a_portfolio_is_not_a_member_of_another(tmp_path: Path) -> None:
    text = PORTFOLIO.replace(
        "{growth: {weights: {AAPL: 0.6, HD: 0.4}}}",
        "{growth: {weights: {AAPL: 0.6, HD: 0.4}}, fund: {weights: {growth: 1}}}",
    )
    with pytest.raises(
        ParamsError, match=r"portfolio 'growth' has the name of a member of portfolio 'fund'"
    ):
        load_params(write(tmp_path, text))
