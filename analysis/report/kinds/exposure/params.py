"""Params of the ``exposure`` kind: tickers, market proxy, factor models and their settings."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analysis.data.base import Frequency
from analysis.data.quality import QualityRules
from analysis.factors.models import MODELS, FactorModel, get_model
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
    data_quality: DataQualitySpec = Field(default_factory=DataQualitySpec)
    """Price checks before fitting; a finding warns (default) or fails the ticker."""
    """Dates of a suspected break in the betas: a Chow test for each, per ticker and model."""

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
        return self

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
        return list(self.tickers)
