"""Forecast params: the shipped files load, each bad input names the file, the key and the value."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from analysis.errors import DataError, ParamsError
from analysis.report import commands
from analysis.report.kinds import load_params
from analysis.report.kinds.forecast.params import ForecastParams

ROOT = Path(__file__).resolve().parents[2]

# a trimmed copy of params/forecast_sample.yml: every case below changes one thing
BASE = """\
kind: forecast
name: t
title: Forecast test
data: {source: sample}
frequency: daily
start: 2008-01-01
end: 2009-12-31
targets: [SPY]
features: [XLE, XLK, XLU]
lags: [1]
models: [ols, ridge, {model: ridge, alpha: 10.0}]
alphas: {min: 1.0e-4, max: 10.0, num: 5}
walk_forward: {window: expanding, min_train: 252, refit_every: 21}
sizing: [binary, proportional]
cost_bps: 5
regimes: {corr_window: 63, ar_window: 126, pairs: [[XLE, XLU]], markov: false}
"""


def write(tmp_path: Path, **changes: Any) -> Path:
    """BASE with top-level keys replaced (a nested mapping is replaced whole)."""
    doc = yaml.safe_load(BASE)
    doc.update(changes)
    path = tmp_path / "forecast.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def names(path: Path, *parts: str) -> str:
    """A regex that matches when the message contains the file and every part (any order)."""
    return "(?s)" + "".join(f"(?=.*{re.escape(p)})" for p in (str(path), *parts))


def test_base_is_valid(tmp_path: Path) -> None:
    # every bad case below differs from this file in one key only
    p = load_params(write(tmp_path))
    assert isinstance(p, ForecastParams)
    assert p.targets == ["SPY"] and p.features == ["XLE", "XLK", "XLU"]


BAD: list[Any] = [
    pytest.param({"foo": 1}, ("'foo'", "not a known key", "got 1"), id="unknown-top-level-key"),
    pytest.param(
        {"walk_forward": {"window": "expanding", "minn_train": 300}},
        ("'walk_forward.minn_train'", "not a known key", "got 300"),
        id="unknown-nested-key",
    ),
    pytest.param(
        {"features": ["XLE", "SPY", "XLU"]},
        ("'features'", "'targets'", "'SPY'"),
        id="feature-is-a-target",
    ),
    pytest.param(
        {"features": ["XLE", "XLK", "XLU", "XLK"]},
        ("'features'", "'XLK'", "more than once"),
        id="duplicate-feature",
    ),
    pytest.param(
        {"lags": [0]}, ("'lags[0]'", "greater than or equal to 1", "got 0"), id="lag-zero"
    ),
    pytest.param({"lags": [1, 2, 1]}, ("'lags'", "[1, 2, 1]", "repeat"), id="duplicate-lag"),
    pytest.param(
        {"alphas": {"min": 10.0, "max": 1.0, "num": 5}},
        ("'alphas'", "'min' (10)", "'max' (1)"),
        id="alphas-min-above-max",
    ),
    pytest.param(
        {"alphas": {"min": 1.0, "max": 1.0, "num": 5}},
        ("'alphas'", "'min' (1)", "'max' (1)"),
        id="alphas-min-equals-max",
    ),
    pytest.param(
        {"walk_forward": {"window": "rolling", "min_train": 252}},
        ("'walk_forward'", "'rolling'", "'train_size'"),
        id="rolling-without-train-size",
    ),
    pytest.param(
        {"walk_forward": {"window": "expanding", "min_train": 252, "train_size": 100}},
        ("'walk_forward'", "'train_size'", "'rolling'"),
        id="train-size-with-expanding",
    ),
    pytest.param(
        {"walk_forward": {"window": "expanding", "min_train": 252, "train_size": 100}},
        ("'walk_forward'", "'train_size'", "100"),
        id="train-size-with-expanding-names-value",
    ),
    pytest.param(
        {"cost_bps": -1}, ("'cost_bps'", "greater than or equal to 0", "got -1"), id="negative-cost"
    ),
    pytest.param(
        {"sizing": ["binary", "kelly"]},
        ("'sizing[1]'", "'binary_long'", "got 'kelly'"),
        id="unknown-sizing-rule",
    ),
    pytest.param(
        {"models": ["ols", "xgboost"]},
        ("'models[1].model'", "'elasticnet'", "got 'xgboost'"),
        id="unknown-model",
    ),
    pytest.param(
        {"models": [{"model": "ols", "alpha": 1.0}]},
        ("'models[0]'", "'ols'", "'alpha'"),
        id="ols-with-alpha",
    ),
    pytest.param(
        {"models": ["ols", {"model": "ridge", "l1_ratio": 0.3}]},
        ("'models[1]'", "'l1_ratio'", "'ridge'", "'elasticnet'"),
        id="l1-ratio-on-ridge",
    ),
    pytest.param(
        {"models": ["ridge", {"model": "ridge", "alpha": 10.0}, {"model": "ridge", "alpha": 10}]},
        ("'models'", "'ridge-a10'", "more than once", "'name'"),
        id="duplicate-model-ids",
    ),
    pytest.param(
        {"regimes": {"pairs": [["XLE", "XLZ"]], "markov": False}},
        ("regimes.pairs", "'XLZ'", "neither a target nor a feature"),
        id="pair-names-unknown-series",
    ),
    pytest.param(
        {"regimes": {"ar_short": 300, "ar_long": 252, "markov": False}},
        ("'regimes'", "'ar_short' (300)", "'ar_long' (252)"),
        id="ar-short-above-ar-long",
    ),
    pytest.param(
        {"regimes": {"ar_short": 60, "ar_long": 60, "markov": False}},
        ("'regimes'", "'ar_short' (60)", "'ar_long' (60)"),
        id="ar-short-equals-ar-long",
    ),
    pytest.param(
        {"start": date(2010, 1, 1), "end": date(2009, 12, 31)},
        ("'start' (2010-01-01)", "'end' (2009-12-31)"),
        id="start-after-end",
    ),
    pytest.param(
        {"start": date(2009, 12, 31), "end": date(2009, 12, 31)},
        ("'start' (2009-12-31)", "'end' (2009-12-31)"),
        id="start-equals-end",
    ),
    pytest.param(
        {"datasets": ["ff3", "ff5"]},
        ("'datasets[1]'", "'ind12'", "got 'ff5'"),
        id="unknown-dataset",
    ),
]


@pytest.mark.parametrize(("changes", "parts"), BAD)
def test_bad_input_names_file_key_and_value(
    tmp_path: Path, changes: dict[str, Any], parts: tuple[str, ...]
) -> None:
    path = write(tmp_path, **changes)
    with pytest.raises(ParamsError, match=names(path, *parts)):
        load_params(path)


def test_every_problem_is_listed_one_per_line(tmp_path: Path) -> None:
    path = write(tmp_path, foo=1, cost_bps=-1)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert any("'foo'" in line for line in lines) and any("'cost_bps'" in line for line in lines)


def test_dataset_column_without_its_dataset_is_a_price_symbol(tmp_path: Path) -> None:
    # NoDur matches the ticker pattern, so without `datasets: [ind12]` the schema cannot
    # tell it from a price symbol: it loads, and the price source is asked for it
    path = write(tmp_path, features=["NoDur", "XLK"], regimes={"markov": False})
    p = load_params(path)
    assert isinstance(p, ForecastParams)
    assert p.dataset_columns == set()
    assert p.price_symbols == ["SPY", "NoDur", "XLK"]
    # ... and fetching fails on it, naming the file, the key, the series and the source
    with pytest.raises(DataError, match=names(path, "'features'", "NoDur", "sample")):
        commands.fetch(path, out=tmp_path / "reports")


def test_dataset_column_with_its_dataset_is_not_a_price_symbol(tmp_path: Path) -> None:
    path = write(tmp_path, datasets=["ind12"], features=["NoDur", "XLK"], regimes={"markov": False})
    p = load_params(path)
    assert isinstance(p, ForecastParams)
    assert "NoDur" in p.dataset_columns
    assert p.price_symbols == ["SPY", "XLK"]


def test_sample_params_load_with_their_values() -> None:
    p = load_params(ROOT / "params" / "forecast_sample.yml")
    assert isinstance(p, ForecastParams)
    assert (p.kind, p.name, p.data.source, p.frequency) == (
        "forecast",
        "spy-sectors",
        "sample",
        "daily",
    )
    assert p.units == p.targets == ["SPY"]
    assert p.features == ["XLB", "XLE", "XLF", "XLK", "XLU"]
    assert [m.id for m in p.models] == ["ols", "ridge", "lasso", "elasticnet", "ridge-a10"]
    ridge10 = p.models[-1]
    assert (ridge10.model, ridge10.alpha, ridge10.ratio) == ("ridge", 10.0, 0.0)
    assert p.models[3].ratio == 0.5 and p.models[2].ratio == 1.0
    assert p.lags == [1]
    assert (p.start, p.end) == (date(2008, 1, 1), date(2016, 12, 31))
    assert (p.alphas.min, p.alphas.max, p.alphas.num) == (1e-6, 10.0, 40)
    wf = p.walk_forward
    assert (wf.window, wf.min_train, wf.refit_every, wf.gap, wf.train_size) == (
        "expanding",
        504,
        21,
        0,
        None,
    )
    assert wf.cv_splits == 5  # default, not in the file
    assert p.sizing == ["binary", "proportional", "quartile"]
    assert p.cost_bps == 5.0
    assert p.regimes.pairs == [["XLE", "XLU"]] and p.regimes.markov
    # defaults, not in the file
    assert (p.regimes.ar_short, p.regimes.ar_long, p.regimes.markov_refit_every) == (15, 252, 12)
    assert (p.proportional.gamma, p.proportional.lower, p.proportional.upper) == (3.0, -1.0, 1.5)
    assert p.datasets == [] and p.risk_free is None
    assert p.price_symbols == ["SPY", "XLB", "XLE", "XLF", "XLK", "XLU"]


def test_industries_params_load_with_their_values() -> None:
    p = load_params(ROOT / "params" / "forecast_industries.yml")
    assert isinstance(p, ForecastParams)
    assert (p.name, p.frequency) == ("us-industries", "monthly")
    assert p.datasets == ["ff3", "ind12"]
    assert p.targets == ["Mkt"] and p.risk_free == "RF"
    assert len(p.features) == 12 and p.features[0] == "NoDur" and p.features[-1] == "Other"
    # every series is a dataset column: nothing is asked of the price source
    assert p.price_symbols == []
    assert [m.id for m in p.models] == ["ols", "ridge", "lasso", "elasticnet"]
    assert p.lags == [1]
    wf = p.walk_forward
    assert (wf.min_train, wf.refit_every, wf.cv_splits) == (120, 12, 5)
    assert p.sizing == ["binary_long", "proportional", "quartile"]
    assert p.cost_bps == 10.0
    assert (p.proportional.lower, p.proportional.upper) == (0.0, 1.5)
    rg = p.regimes
    assert (rg.ar_short, rg.ar_long, rg.markov_refit_every) == (3, 36, 5)
    assert rg.pairs == [["Enrgy", "Utils"]]


def test_lags_are_sorted_and_model_strings_expand(tmp_path: Path) -> None:
    p = load_params(write(tmp_path, lags=[5, 1, 2], models=["lasso", {"model": "elasticnet"}]))
    assert isinstance(p, ForecastParams)
    assert p.lags == [1, 2, 5]
    assert [m.id for m in p.models] == ["lasso", "elasticnet"]
