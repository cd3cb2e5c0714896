"""Factor-model definitions and the design (y, X) each one regresses.

A model is a small declarative :class:`FactorModel`: its name, factor
columns, return type, whether the stock's return is taken in excess of the
risk-free rate, and where its factors come from. The estimators never look
at the model; they receive the :class:`Design` built here, so adding a model
means adding a definition, not touching the regression code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from analysis.data.base import FactorDataset, Frequency, check_columns
from analysis.errors import DataError, InsufficientDataError
from analysis.factors.engineered import CHARACTERISTICS, ENGINEERED_FACTORS, engineered_factors
from analysis.factors.returns import (
    PERIODS_PER_YEAR,
    Alignment,
    ReturnKind,
    align,
    check_frequency,
    resample_prices,
    to_returns,
)

FactorOrigin = Literal["engineered", "proxy", "french", "sectors", "custom"]


@dataclass(frozen=True)
class FactorModel:
    """Declarative definition of a factor model.

    Attributes
    ----------
    name
        Identifier used in params files and output tables.
    label
        Human-readable name for reports.
    factors
        Regressor names, in report order. Empty for the parametric models
        (``sectors``, ``custom``) until :meth:`with_factors` fills them.
    returns
        ``"log"`` or ``"simple"`` returns for the stock (and price-based factors).
    excess
        Whether the stock's return is taken in excess of ``RF``.
    origin
        Where the factors come from: computed from prices (``engineered``),
        the market proxy's returns (``proxy``), Ken French's library
        (``french``), sector ETF prices (``sectors``) or a user file (``custom``).
    datasets
        French datasets needed (for ``origin == "french"``).
    description
        One sentence for the methodology page.
    """

    name: str
    label: str
    factors: tuple[str, ...]
    returns: ReturnKind
    excess: bool
    origin: FactorOrigin
    datasets: tuple[FactorDataset, ...] = ()
    description: str = ""

    def with_factors(self, factors: Sequence[str]) -> FactorModel:
        """Copy of a parametric model with its factor list set."""
        names = tuple(str(f) for f in factors)
        if not names:
            raise DataError(f"model {self.name!r} needs at least one factor")
        if len(set(names)) != len(names):
            raise DataError(f"model {self.name!r}: duplicate factor names in {list(names)}")
        return dataclasses.replace(self, factors=names)

    @property
    def terms(self) -> tuple[str, ...]:
        """Names of the estimated coefficients: ``alpha`` then the factors."""
        return ("alpha", *self.factors)


MODELS: dict[str, FactorModel] = {
    m.name: m
    for m in (
        FactorModel(
            "engineered",
            "Engineered price factors",
            ENGINEERED_FACTORS,
            "log",
            False,
            "engineered",
            description=(
                "Log return on the market's log return and four factors built from the "
                "stock's own past prices (momentum, volatility, trend, mean reversion)."
            ),
        ),
        FactorModel(
            "single_index",
            "Single-index market model",
            ("market",),
            "simple",
            False,
            "proxy",
            description=(
                "Simple return on the market proxy's simple return (Sharpe's market model)."
            ),
        ),
        FactorModel(
            "capm",
            "CAPM",
            ("Mkt-RF",),
            "simple",
            True,
            "french",
            ("ff3",),
            "Excess return on the Fama-French market excess return.",
        ),
        FactorModel(
            "ff3",
            "Fama-French 3-factor",
            ("Mkt-RF", "SMB", "HML"),
            "simple",
            True,
            "french",
            ("ff3",),
            "Excess return on market, size (SMB) and value (HML).",
        ),
        FactorModel(
            "ff5",
            "Fama-French 5-factor",
            ("Mkt-RF", "SMB", "HML", "RMW", "CMA"),
            "simple",
            True,
            "french",
            ("ff5",),
            "FF3 plus profitability (RMW) and investment (CMA).",
        ),
        FactorModel(
            "carhart",
            "Carhart 4-factor",
            ("Mkt-RF", "SMB", "HML", "Mom"),
            "simple",
            True,
            "french",
            ("ff3", "mom"),
            "FF3 plus momentum (Mom).",
        ),
        FactorModel(
            "sectors",
            "Sector ETFs",
            (),
            "simple",
            False,
            "sectors",
            description="Simple return on the simple returns of a list of sector ETFs.",
        ),
        FactorModel(
            "custom",
            "Custom factors",
            (),
            "simple",
            False,
            "custom",
            description="Simple return on user-supplied factor returns (decimal).",
        ),
    )
}


def get_model(name: str, factors: Sequence[str] | None = None) -> FactorModel:
    """Look a model up by name; parametric models need ``factors``.

    Raises
    ------
    DataError
        For an unknown name (the message lists the known ones), or a
        parametric model without factors.
    """
    try:
        model = MODELS[name]
    except KeyError:
        raise DataError(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None
    if factors is not None:
        if model.origin not in ("sectors", "custom"):
            raise DataError(f"model {name!r} has fixed factors {list(model.factors)}")
        return model.with_factors(factors)
    if not model.factors:
        raise DataError(f"model {name!r} needs a list of factors")
    return model


@dataclass(frozen=True)
class Design:
    """The regression one model runs for one stock.

    Attributes
    ----------
    model
        The model definition.
    y
        Dependent variable (named after the ticker): log or simple return,
        in excess of ``RF`` if the model says so.
    X
        Regressors, one column per factor (no constant; the estimator adds it).
    frequency
        ``daily``, ``weekly`` or ``monthly``.
    alignment
        Dates lost aligning the stock with its factors.
    centered
        Regressors centred on their mean over the regression sample (the
        engineered model's four characteristics, which are levels, not
        zero-mean returns). Their betas are those of the uncentred regression;
        the intercept is the mean return not explained by the other factors at
        average characteristics. Rolling fits centre them within each window.
    """

    model: FactorModel
    y: pd.Series
    X: pd.DataFrame
    frequency: Frequency
    alignment: Alignment
    centered: tuple[str, ...] = ()

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.frequency]

    @property
    def nobs(self) -> int:
        return len(self.y)


def min_observations(n_factors: int) -> int:
    """Smallest sample a model with ``n_factors`` regressors is fitted on.

    At least 30 observations and 5 per estimated coefficient (constant
    included); fewer leave the standard errors and diagnostics meaningless.
    """
    return max(30, 5 * (n_factors + 1))


def build_design(
    model: FactorModel,
    stock: pd.Series,
    *,
    frequency: Frequency,
    market: pd.Series | None = None,
    factor_returns: pd.DataFrame | None = None,
    factor_prices: pd.DataFrame | None = None,
    factor_window: int = 126,
    min_nobs: int | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> Design:
    """Assemble ``y`` and ``X`` for one stock under one model.

    Parameters
    ----------
    model
        The model (see :data:`MODELS`, :func:`get_model`).
    stock
        The stock's adjusted prices (daily or coarser), named after the ticker.
    frequency
        Analysis frequency; prices are resampled to it (last price per period).
    market
        Market proxy prices; needed by ``engineered`` and ``single_index``.
    factor_returns
        Decimal factor returns at ``frequency`` (French or user file), with
        ``RF`` when the model is in excess returns.
    factor_prices
        Prices of the factor assets (sector ETFs) for ``origin == "sectors"``.
    factor_window
        Look-back of the engineered factors, in periods of ``frequency``.
    min_nobs
        Minimum aligned observations; default :func:`min_observations`.
    start, end
        Regression sample (inclusive). Prices before ``start`` still feed the
        first return and the engineered look-back windows, so the sample
        starts at ``start`` rather than a look-back later.

    Raises
    ------
    DataError
        When the data the model needs is absent or lacks a column.
    InsufficientDataError
        When fewer than ``min_nobs`` aligned observations remain.
    """
    check_frequency(frequency)
    ticker = str(stock.name)
    if model.origin in ("engineered", "proxy"):
        if market is None:
            raise DataError(f"model {model.name!r} needs the market proxy's prices")
        mkt = to_price_frequency(market, frequency)
        stk = to_price_frequency(stock, frequency)
        if model.origin == "engineered":
            y, X = engineered_factors(stk.rename(ticker), mkt, factor_window)
            _, alignment = align({ticker: stk, str(market.name): mkt})
        else:
            r = to_returns(pd.concat([stk.rename(ticker), mkt.rename("market")], axis=1), "simple")
            joined, alignment = align({ticker: r[ticker], "market": r["market"]})
            y, X = joined[ticker], joined[["market"]]
    else:
        if model.origin == "sectors":
            if factor_prices is None:
                raise DataError(f"model {model.name!r} needs the factor assets' prices")
            check_columns(factor_prices, model.factors, what=f"{model.name} factor prices")
            fac = to_returns(factor_prices[list(model.factors)], model.returns, frequency)
        else:
            if factor_returns is None:
                raise DataError(f"model {model.name!r} needs factor returns")
            cols = [*model.factors, *(["RF"] if model.excess else [])]
            check_columns(factor_returns, cols, what=f"{model.name} factors")
            fac = factor_returns[cols]
        r = to_returns(stock, model.returns, frequency).iloc[:, 0]
        joined, alignment = align({ticker: r.rename(ticker), "factors": fac})
        y = joined[ticker]
        if model.excess:
            y = y - joined["RF"]
        y = y.rename(ticker)
        X = joined[list(model.factors)]
    if start is not None or end is not None:
        keep = (y.index >= (start or y.index.min())) & (y.index <= (end or y.index.max()))
        y, X = y[keep], X[keep]
    need = min_nobs if min_nobs is not None else min_observations(len(model.factors))
    if len(y) < need:
        raise InsufficientDataError(
            f"{ticker}: model {model.name!r} at {frequency} frequency has {len(y)} "
            f"observations after aligning with its factors ({alignment.describe()}); "
            f"it needs at least {need}"
        )
    centered: tuple[str, ...] = ()
    if model.origin == "engineered":
        # the characteristics are levels: centred on the sample mean, the intercept is an
        # alpha (the mean return the market leaves unexplained at average characteristics)
        centered = tuple(c for c in X.columns if c in CHARACTERISTICS)
        X = X.assign(**{c: X[c] - X[c].mean() for c in centered})
    return Design(
        model=model, y=y, X=X, frequency=frequency, alignment=alignment, centered=centered
    )


def to_price_frequency(prices: pd.Series, frequency: Frequency) -> pd.Series:
    """Last price per period, as a Series with the original name."""
    return resample_prices(prices.dropna(), frequency).iloc[:, 0].rename(prices.name)
