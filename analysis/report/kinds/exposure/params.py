"""Params of the ``exposure`` kind: tickers, portfolios, market proxy, benchmark, factor models."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analysis.data.base import Frequency
from analysis.data.quality import QualityRules
from analysis.factors.models import MODELS, FactorModel, get_model
from analysis.portfolio.composite import WEIGHT_TOLERANCE
from analysis.report.pipeline.params import (
    TICKER_PATTERN,
    LaxDate,
    RunParams,
    Strict,
    Ticker,
    unique_slugs,
)

CovType = Literal["nonrobust", "HC1", "HAC"]


class ModelSpec(Strict):
    """One model of a run, with optional per-model overrides."""

    model: str
    factors: list[str] | None = None
    frequency: Frequency | None = None
    rolling_window: Annotated[int, Field(ge=10)] | None = None

    @field_validator("model")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in MODELS:
            raise ValueError(f"unknown model {v!r}; known models: {', '.join(MODELS)}")
        return v

    @model_validator(mode="after")
    def _factors_fit_model(self) -> ModelSpec:
        origin = MODELS[self.model].origin
        if self.factors is not None and origin not in ("sectors", "custom"):
            raise ValueError(f"model {self.model!r} has fixed factors; remove 'factors'")
        if origin == "sectors" and not self.factors:
            raise ValueError("model 'sectors' needs 'factors': a list of sector ETF tickers")
        if self.factors is not None:
            for f in self.factors:
                if origin == "sectors" and not re.match(TICKER_PATTERN, f):
                    raise ValueError(f"sector ETF {f!r} does not match {TICKER_PATTERN}")
            if len(set(self.factors)) != len(self.factors):
                raise ValueError(f"duplicate factors in {self.factors}")
        return self


class DataQualitySpec(Strict):
    """Thresholds of the price checks (:mod:`analysis.data.quality`) and what a finding does."""

    max_gap_days: Annotated[int, Field(ge=1, le=3650)] = 10
    max_abs_log_return: Annotated[float, Field(gt=0, le=50)] = 0.5
    max_stale_days: Annotated[int, Field(ge=2, le=1000)] = 10
    on_finding: Literal["warn", "fail"] = "warn"

    def rules(self) -> QualityRules:
        return QualityRules(self.max_gap_days, self.max_abs_log_return, self.max_stale_days)


class PortfolioSpec(Strict):
    """A fixed-weight portfolio reported as one unit (see :mod:`analysis.portfolio.composite`).

    ``weights`` maps member symbols (fetched like tickers, listed in ``tickers`` or
    not) to target weights, each > 0 and summing to 1; ``rebalance`` is ``monthly``
    (back to the targets for the first trading day of each month) or ``buy_and_hold``.
    """

    weights: Annotated[
        dict[Ticker, Annotated[float, Field(gt=0, allow_inf_nan=False)]], Field(max_length=500)
    ]
    rebalance: Literal["monthly", "buy_and_hold"] = "monthly"

    @field_validator("weights")
    @classmethod
    def _sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("a portfolio needs at least one member: {symbol: weight, ...}")
        total = math.fsum(v.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(
                f"weights {v} sum to {total:.10g}; they must sum to 1 (within "
                f"{WEIGHT_TOLERANCE:g}), they are not rescaled"
            )
        return v


class ResolvedModel(BaseModel):
    """A model with every setting resolved against the run's defaults."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    definition: FactorModel
    frequency: Frequency
    rolling_window: int


class ExposureParams(RunParams):
    """Params of the ``exposure`` report kind (see the README's params reference)."""

    kind: Literal["exposure"] = "exposure"
    market: Ticker
    tickers: Annotated[list[Ticker], Field(min_length=1, max_length=5000)]
    portfolios: Annotated[dict[Ticker, PortfolioSpec], Field(max_length=100)] = Field(
        default_factory=dict
    )
    """Fixed-weight portfolios, each reported like a ticker under its name."""
    benchmark: Ticker | None = None
    """The market proxy, a ticker or a portfolio: each unit's active exposures against it."""
    models: Annotated[list[ModelSpec], Field(min_length=1)]
    frequency: Frequency = "daily"
    start: LaxDate | None = None
    end: LaxDate | None = None
    factor_window: Annotated[int, Field(ge=5, le=2520)] = 126
    rolling_window: Annotated[int, Field(ge=10, le=5000)] = 252
    cov_type: CovType = "HAC"
    hac_maxlags: Annotated[int, Field(ge=0, le=100)] | None = None
    rolling_cov_type: Literal["nonrobust", "HAC"] = "HAC"
    break_dates: Annotated[list[LaxDate], Field(default_factory=list, max_length=20)]
    """Dates of a suspected break in the betas: a Chow test for each, per ticker and model."""
    data_quality: DataQualitySpec = Field(default_factory=DataQualitySpec)
    """Price checks before fitting; a finding warns (default) or fails the ticker."""

    @field_validator("models", mode="before")
    @classmethod
    def _specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"model": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("tickers")
    @classmethod
    def _unique_slugs(cls, v: list[str]) -> list[str]:
        return unique_slugs(v)

    @model_validator(mode="after")
    def _consistent(self) -> ExposureParams:
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"'start' ({self.start}) must be before 'end' ({self.end})")
        outside = [
            str(d)
            for d in self.break_dates
            if (self.start and d <= self.start) or (self.end and d >= self.end)
        ]
        if outside:
            raise ValueError(
                f"'break_dates' {outside} must fall strictly between 'start' and 'end'"
            )
        ids = [m.model for m in self.model_specs]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"model(s) {sorted(dup)} listed more than once")
        needs_file = [m.model for m in self.model_specs if MODELS[m.model].origin == "custom"]
        if needs_file and self.data.factors is None:
            raise ValueError("model 'custom' needs data.factors: a factor file")
        french = [m.model for m in self.model_specs if MODELS[m.model].origin == "french"]
        if french and self.data.source == "csv" and self.data.factors is None:
            raise ValueError(
                f"models {french} need Fama-French factors; with source 'csv' give data.factors"
            )
        self._check_portfolios()
        return self

    def _check_portfolios(self) -> None:
        """Portfolio names are new symbols; the benchmark is one the run has."""
        symbols = {
            **dict.fromkeys(self.tickers, "a ticker"),
            self.market: "the market proxy",
            **dict.fromkeys(
                (
                    f
                    for m in self.model_specs
                    if m.factors and MODELS[m.model].origin == "sectors"
                    for f in m.factors
                ),
                "a sector ETF",
            ),
            **{
                member: f"a member of portfolio {other!r}"
                for other, spec in self.portfolios.items()
                for member in spec.weights
            },
        }
        for name in self.portfolios:
            if name in symbols:
                raise ValueError(
                    f"portfolio {name!r} has the name of {symbols[name]}; "
                    "give the portfolio a name of its own"
                )
        unique_slugs([*self.tickers, *self.portfolios], "ticker or portfolio")
        known = [self.market, *self.tickers, *self.portfolios]
        if self.benchmark is not None and self.benchmark not in known:
            raise ValueError(
                f"'benchmark' {self.benchmark!r} is not the market proxy, a ticker or a "
                f"portfolio of the run (one of {', '.join(known)}); to compare with another "
                "symbol, add it to 'tickers' or define a one-member portfolio of it"
            )

    @property
    def model_specs(self) -> list[ModelSpec]:
        return list(self.models)

    def resolved_models(self) -> list[ResolvedModel]:
        """Each model with its frequency and rolling window resolved."""
        out = []
        for spec in self.model_specs:
            definition = get_model(spec.model, spec.factors) if spec.factors else MODELS[spec.model]
            out.append(
                ResolvedModel(
                    id=spec.model,
                    definition=definition,
                    frequency=spec.frequency or self.frequency,
                    rolling_window=spec.rolling_window or self.rolling_window,
                )
            )
        return out

    @property
    def units(self) -> list[str]:
        """The tickers, then the portfolios (each one notebook, page and PDF)."""
        return [*self.tickers, *self.portfolios]

    def members(self) -> list[str]:
        """Every portfolio member, once, in params order (fetched with the tickers)."""
        return list(dict.fromkeys(m for spec in self.portfolios.values() for m in spec.weights))
