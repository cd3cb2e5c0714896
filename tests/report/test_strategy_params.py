"""The strategy kind's params: the shipped files load; bad input names file, key and value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analysis.errors import ParamsError
from analysis.report.kinds import KINDS, load_params
from analysis.report.kinds.strategy.params import StrategyParams

ROOT = Path(__file__).resolve().parents[2]

GOOD = {
    "kind": "strategy",
    "name": "s",
    "title": "S",
    "data": {"source": "sample"},
    "universe": ["AAPL", "MSFT", "JPM", "XOM", "KO", "PG"],
    "benchmark": "^GSPC",
    "factors": ["momentum", {"name": "volatility", "sign": -1}],
    "models": ["composite", "ridge"],
    "portfolio": {"type": "long_short", "quantiles": 3},
}


def _write(tmp_path: Path, doc: dict) -> Path:
    p = tmp_path / "p.yml"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return p


def test_every_shipped_params_file_loads_with_its_kind() -> None:
    files = sorted((ROOT / "params").glob("*.yml"))
    assert len(files) >= 11
    kinds = {load_params(f).kind for f in files}
    assert kinds == set(KINDS) == {"exposure", "forecast", "strategy"}


def test_strategy_sample_values() -> None:
    p = load_params(ROOT / "params" / "strategy_sample.yml")
    assert isinstance(p, StrategyParams)
    assert p.units == ["composite", "ridge", "lasso", "random_forest", "lightgbm", "mlp"]
    assert p.factor_signs == {"momentum": 1, "reversal": -1, "volatility": -1, "beta": -1}
    assert len(p.universe or []) == 20 and p.benchmark == "^GSPC"
    assert p.portfolio.type == "long_short" and p.walk_forward.min_train == 36


@pytest.mark.parametrize(
    ("patch", "needles"),
    [
        ({"portfolio": {"type": "long_short", "top_k": 3}}, ("'portfolio'", "'top_k' (3)")),
        ({"models": ["composite", "xgb"]}, ("'models[1].model'", "got 'xgb'")),
        ({"models": ["ridge", "ridge"]}, ("'models'", "['ridge']", "more than once")),
        ({"factors": ["momentum", "value"]}, ("'factors'", "['value']", "panel")),
        ({"portfolio": {"quantiles": 10}}, ("'portfolio.quantiles' (10)", "6 names")),
        ({"preprocess": {"winsorize": [0.9, 0.1]}}, ("'preprocess'", "[0.9, 0.1]")),
        ({"preprocess": {"neutralize": "sector"}}, ("neutralize", "panel")),
        ({"universe": None}, ("'universe' is required",)),
        ({"rebalance": "daily"}, ("'rebalance'", "got 'daily'")),
        ({"cost_bps": -5}, ("'cost_bps'", "got -5")),
        ({"walk_forward": {"window": "rolling"}}, ("'walk_forward'", "'train_size'")),
    ],
)
def test_bad_input_names_file_key_and_value(
    tmp_path: Path, patch: dict, needles: tuple[str, ...]
) -> None:
    doc = {**GOOD, **patch}
    if patch.get("universe", "") is None:
        del doc["universe"]
    with pytest.raises(ParamsError) as err:
        load_params(_write(tmp_path, doc))
    msg = str(err.value)
    assert "p.yml" in msg
    for needle in needles:
        assert needle in msg, (needle, msg)
