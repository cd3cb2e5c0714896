"""Messages name what the user wrote: the window of the params, not the look-back's start."""

from __future__ import annotations

from pathlib import Path

from analysis.report.kinds import load_params
from analysis.report.kinds.exposure.data import _user_window, warmup_start
from analysis.report.kinds.exposure.params import ExposureParams


def test_no_prices_reason_quotes_the_users_start(tmp_path: Path) -> None:
    p = tmp_path / "p.yml"
    p.write_text(
        "name: x\ntitle: x\ndata: {source: sample}\nmarket: ^GSPC\ntickers: [AAPL]\n"
        "models: [engineered]\nstart: 2005-01-03\nend: 2006-12-29\nfactor_window: 126\n"
    )
    params = load_params(p)
    assert isinstance(params, ExposureParams)
    warm = warmup_start(params)
    assert warm is not None and f"{warm:%Y-%m-%d}" < "2005-01-03"
    reason = f"no prices between {warm:%Y-%m-%d} and 2006-12-29 in the sample dataset"
    assert _user_window(reason, params) == (
        "no prices between 2005-01-03 and 2006-12-29 in the sample dataset "
        f"(fetched from {warm:%Y-%m-%d} for the 126-period look-back)"
    )
    assert _user_window("not in the sample dataset", params) == "not in the sample dataset"


def test_coefficients_keep_their_significant_digits() -> None:
    from analysis.report.pipeline.display import fmt_sig

    f = fmt_sig(4)
    assert [f(v) for v in (-0.0000412, 0.99331, 21.2734, 0.0, float("nan"))] == [
        "-0.0000412",
        "0.9933",
        "21.27",
        "0",
        "—",
    ]


def test_a_run_that_fails_before_any_unit_leaves_no_folders(tmp_path: Path) -> None:
    import pytest

    from analysis.errors import DataError
    from analysis.report import commands

    p = tmp_path / "p.yml"
    p.write_text(
        "name: nomarket\ntitle: x\ndata: {source: sample}\nmarket: ^NOPE\ntickers: [AAPL]\n"
        "models: [engineered]\nstart: 2005-01-03\nend: 2006-12-29\n"
    )
    with pytest.raises(DataError, match="cannot get the market proxy"):
        commands.run(p, out=tmp_path / "reports", renderer="builtin", progress=False)
    assert not (tmp_path / "reports" / "nomarket").exists()
