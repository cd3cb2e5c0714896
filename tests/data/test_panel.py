"""Reading and validating long panel files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data.panel import read_panel
from analysis.errors import DataError
from analysis.factors.cross_section import forward_returns_from_returns, panel_price_factors

GOOD = """date,ticker,return,size,bm,sector
2020-01-31,A,0.01,1,2,Tech
2020-01-31,B,0.02,3,4,Fin
2020-02-29,A,-0.01,5,6,Tech
2020-02-29,B,,7,8,
2020-03-31,A,0.03,9,10,Energy
2020-03-31,C,0.04,11,12,Fin
"""


def write(tmp_path: Path, text: str, name: str = "panel.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def simulated_panel(seed: int, n_dates: int = 30, n_tickers: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-31", periods=n_dates, freq="ME")
    rows = pd.MultiIndex.from_product([dates, [f"S{i}" for i in range(n_tickers)]])
    frame = pd.DataFrame(
        {
            "date": rows.get_level_values(0),
            "ticker": rows.get_level_values(1),
            "return": rng.normal(0.01, 0.05, len(rows)),
            "size": rng.normal(size=len(rows)),
            "bm": rng.normal(size=len(rows)),
        }
    )
    # A late listing and a gap in one ticker's rows.
    frame = frame[~((frame["ticker"] == "S1") & (frame["date"] < dates[5]))]
    frame = frame[~((frame["ticker"] == "S2") & (frame["date"] == dates[10]))]
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


def test_read_panel(tmp_path: Path) -> None:
    panel = read_panel(write(tmp_path, GOOD))
    d = pd.DatetimeIndex(["2020-01-31", "2020-02-29", "2020-03-31"], name="date")
    expected = pd.DataFrame(
        {"A": [0.01, -0.01, 0.03], "B": [0.02, np.nan, np.nan], "C": [np.nan, np.nan, 0.04]},
        index=d,
    )
    pd.testing.assert_frame_equal(panel.returns, expected)
    assert panel.characteristics.index.names == ["date", "ticker"]
    assert list(panel.characteristics.columns) == ["size", "bm"]
    assert panel.characteristics.loc[(d[2], "C"), "bm"] == 12.0
    assert len(panel.characteristics) == 6
    # Last sector seen: A moved to Energy; B's blank February sector is ignored.
    assert panel.sectors is not None
    assert panel.sectors.to_dict() == {"A": "Energy", "B": "Fin", "C": "Fin"}
    assert "3 dates (2020-01-31 to 2020-03-31), 3 tickers, 6 rows" in panel.describe()
    no_sector = "\n".join(line.rsplit(",", 1)[0] for line in GOOD.splitlines())
    only = read_panel(write(tmp_path, no_sector, "no_sector.csv"), columns=["bm"])
    assert only.sectors is None
    assert list(only.characteristics.columns) == ["bm"]


def test_parquet_round_trip(tmp_path: Path) -> None:
    frame = simulated_panel(1)
    csv = tmp_path / "p.csv"
    frame.to_csv(csv, index=False)
    pq = tmp_path / "p.parquet"
    frame.set_index(["date", "ticker"]).to_parquet(pq)
    a, b = read_panel(csv), read_panel(pq)
    pd.testing.assert_frame_equal(a.returns, b.returns, rtol=1e-15)
    pd.testing.assert_frame_equal(a.characteristics, b.characteristics, rtol=1e-15)


@pytest.mark.parametrize("lag", [1, 2])
def test_lag_shifts_characteristics_per_ticker(tmp_path: Path, lag: int) -> None:
    frame = simulated_panel(2)
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    panel = read_panel(path, lag=lag)
    plain = read_panel(path)
    calendar = plain.returns.index
    for ticker in ("S0", "S1", "S2"):
        before = plain.characteristics.xs(ticker, level="ticker")
        after = panel.characteristics.xs(ticker, level="ticker")
        assert after.index.equals(before.index)  # same rows as the file
        for date in after.index:
            source = (
                calendar[calendar.get_loc(date) - lag] if calendar.get_loc(date) >= lag else None
            )
            if source is None or source not in before.index:
                assert after.loc[date].isna().all(), (ticker, date)
            else:
                pd.testing.assert_series_equal(
                    after.loc[date], before.loc[source], check_names=False
                )
    # S2 has no row at the 11th date, so its value two dates later is missing with lag 2.
    if lag == 2:
        assert panel.characteristics.loc[(calendar[12], "S2")].isna().all()
    assert "lagged" in panel.describe()


def test_panel_feeds_the_factor_matrix(tmp_path: Path) -> None:
    frame = simulated_panel(3)
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    panel = read_panel(path)
    dates = panel.returns.index[13:]
    factors = panel_price_factors(panel.returns, dates, ["momentum", "reversal"])
    label = forward_returns_from_returns(panel.returns, dates)
    assert factors.index.equals(label.index)
    row = frame[(frame["ticker"] == "S3") & (frame["date"] == dates[0])]
    assert factors.loc[(dates[0], "S3"), "reversal"] == pytest.approx(row["return"].iloc[0])


def test_duplicates_are_listed(tmp_path: Path) -> None:
    text = GOOD + "2020-01-31,A,0.05,1,2,Tech\n2020-03-31,C,0.01,1,1,Fin\n"
    with pytest.raises(
        DataError,
        match=r"panel.csv: 2 duplicate \(date, ticker\) pair\(s\): \(2020-01-31, A\) on "
        r"line 2, line 8; \(2020-03-31, C\) on line 7, line 9",
    ):
        read_panel(write(tmp_path, text))


def test_non_numeric_return(tmp_path: Path) -> None:
    text = GOOD.replace("2020-02-29,A,-0.01", "2020-02-29,A,1.2.3")
    with pytest.raises(
        DataError,
        match=r"panel.csv: column 'return' has a value that is not a finite number "
        r"on line 4: '1.2.3'",
    ):
        read_panel(write(tmp_path, text))
    text = GOOD.replace("3,4,Fin", "3,big,Fin")
    with pytest.raises(DataError, match=r"column 'bm' .* on line 3: 'big'"):
        read_panel(write(tmp_path, text))


def test_missing_columns(tmp_path: Path) -> None:
    text = GOOD.replace("return,", "ret,")
    with pytest.raises(
        DataError, match=r"missing required column\(s\) 'return' \(found 'date', 'ticker', 'ret'"
    ):
        read_panel(write(tmp_path, text))
    with pytest.raises(
        DataError, match=r"characteristic column\(s\) 'roe' not found; the file has 'size', 'bm'"
    ):
        read_panel(write(tmp_path, GOOD), columns=["bm", "roe"])


def test_bad_values(tmp_path: Path) -> None:
    text = GOOD.replace("2020-03-31,C,0.04", "2020-03-31,C,-1.0")
    with pytest.raises(
        DataError, match=r"column 'return' is -1.0 for C on 2020-03-31 \(line 7\); .* must be > -1"
    ):
        read_panel(write(tmp_path, text))
    text = GOOD.replace("2020-02-29,B", "2020-02-30,B")
    with pytest.raises(DataError, match=r"'2020-02-30' on line 5 is not a date"):
        read_panel(write(tmp_path, text))
    text = GOOD.replace("2020-02-29,B", "2020-02-29, ")
    with pytest.raises(DataError, match=r"column 'ticker' is empty on line 5"):
        read_panel(write(tmp_path, text))
    with pytest.raises(DataError, match=r"lag must be an integer >= 0; got -1"):
        read_panel(write(tmp_path, GOOD), lag=-1)
    with pytest.raises(DataError, match="panel file not found"):
        read_panel(tmp_path / "absent.csv")
    with pytest.raises(DataError, match=r"unsupported file type '.xlsx'"):
        read_panel(write(tmp_path, GOOD, "panel.xlsx"))
