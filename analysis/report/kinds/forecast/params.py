"""Params of the ``forecast`` kind: targets, lagged features, models, sizing, regimes."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import Field, field_validator, model_validator

from analysis.data.base import RETURN_DATASETS, Frequency, ReturnDataset
from analysis.report.pipeline.params import (
    TICKER_PATTERN,
    LaxDate,
    RunParams,
    Strict,
    unique_slugs,
)

ModelName = Literal["ols", "ridge", "lasso", "elasticnet"]
SizingName = Literal["binary", "binary_long", "proportional", "quartile"]
DatasetName = ReturnDataset

SERIES_PATTERN = TICKER_PATTERN
"""Targets and features: a price symbol (``SPY``, ``^NSEI``) or a dataset column (``NoDur``);
a name that is not a column of the listed ``datasets`` is looked up as a price symbol."""

Series = Annotated[str, Field(pattern=SERIES_PATTERN)]
PositiveFloat = Annotated[float, Field(gt=0, strict=False)]

DATASET_COLUMNS = RETURN_DATASETS
"""The columns each return dataset provides (``Mkt`` = ``Mkt-RF`` + ``RF`` is derived)."""


class ModelEntry(Strict):
    """One forecasting model; a fixed ``alpha`` skips the grid search."""

    model: ModelName
    alpha: PositiveFloat | None = None
    l1_ratio: Annotated[float, Field(gt=0, le=1, strict=False)] | None = None
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.=-]{0,39}$")] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelEntry:
        if self.model == "ols" and self.alpha is not None:
            raise ValueError("model 'ols' has no penalty; remove 'alpha'")
        if self.l1_ratio is not None and self.model != "elasticnet":
            raise ValueError(f"'l1_ratio' is only used by 'elasticnet', not {self.model!r}")
        return self

    @property
    def id(self) -> str:
        """Identifier in tables and charts: ``name``, else e.g. ``ridge``, ``ridge-a10``."""
        if self.name:
            return self.name
        out: str = self.model
        if self.model == "elasticnet" and self.l1_ratio not in (None, 0.5):
            out += f"-l{self.l1_ratio:g}"
        if self.alpha is not None:
            out += f"-a{self.alpha:g}"
        return out

    @property
    def ratio(self) -> float:
        """The L1 share: 1 for lasso, ``l1_ratio`` (default 0.5) for elasticnet, 0 otherwise."""
        if self.model == "lasso":
            return 1.0
        if self.model == "elasticnet":
            return self.l1_ratio if self.l1_ratio is not None else 0.5
        return 0.0


class AlphaGrid(Strict):
    """A log-spaced grid of penalties, searched by time-series cross-validation."""

    min: PositiveFloat = 1e-6
    max: PositiveFloat = 10.0
    num: Annotated[int, Field(ge=2, le=200)] = 40

    @model_validator(mode="after")
    def _ordered(self) -> AlphaGrid:
        if self.min >= self.max:
            raise ValueError(f"'min' ({self.min:g}) must be smaller than 'max' ({self.max:g})")
        return self


class WalkForwardSpec(Strict):
    """Expanding (or rolling) walk-forward: refit every ``refit_every`` rows after ``min_train``."""

    window: Literal["expanding", "rolling"] = "expanding"
    min_train: Annotated[int, Field(ge=20, le=100_000)] = 504
    refit_every: Annotated[int, Field(ge=1, le=10_000)] = 21
    gap: Annotated[int, Field(ge=0, le=1000)] = 0
    train_size: Annotated[int, Field(ge=20, le=100_000)] | None = None
    cv_splits: Annotated[int, Field(ge=2, le=20)] = 5

    @model_validator(mode="after")
    def _consistent(self) -> WalkForwardSpec:
        if self.window == "rolling" and self.train_size is None:
            raise ValueError("window 'rolling' needs 'train_size' (training rows per refit)")
        if self.window == "expanding" and self.train_size is not None:
            raise ValueError(
                f"'train_size' ({self.train_size}) is only used with window 'rolling', "
                f"not {self.window!r}"
            )
        if self.min_train - self.gap < 2 * (self.cv_splits + 1):
            raise ValueError(
                f"'min_train' ({self.min_train}) minus 'gap' ({self.gap}) leaves too few rows "
                f"for {self.cv_splits}-fold time-series cross-validation"
            )
        return self


class ProportionalSpec(Strict):
    """Mean-variance sizing clip(ŷ / (γ σ̂²), lower, upper)."""

    gamma: PositiveFloat = 3.0
    lower: Annotated[float, Field(strict=False)] = -1.0
    upper: Annotated[float, Field(strict=False)] = 1.5

    @model_validator(mode="after")
    def _bounds(self) -> ProportionalSpec:
        if self.lower >= self.upper:
            raise ValueError(f"'lower' ({self.lower:g}) must be below 'upper' ({self.upper:g})")
        return self


class RegimeSpec(Strict):
    """Correlation geometry and regime labels (each known at t−1)."""

    corr_window: Annotated[int, Field(ge=5, le=5000)] = 63
    ar_window: Annotated[int, Field(ge=10, le=5000)] = 252
    ar_short: Annotated[int, Field(ge=1, le=1000)] = 15
    ar_long: Annotated[int, Field(ge=10, le=5000)] = 252
    pairs: list[Annotated[list[Series], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list
    )
    markov: bool = True
    markov_refit_every: Annotated[int, Field(ge=1, le=1000)] = 12
    conditional: bool = True

    @model_validator(mode="after")
    def _windows(self) -> RegimeSpec:
        if self.ar_short >= self.ar_long:
            raise ValueError(
                f"'ar_short' ({self.ar_short}) must be shorter than 'ar_long' ({self.ar_long})"
            )
        for a, b in self.pairs:
            if a == b:
                raise ValueError(f"pair [{a}, {b}] pairs a series with itself")
        return self


class ForecastParams(RunParams):
    """Params of the ``forecast`` report kind (see the README's params reference)."""

    kind: Literal["forecast"] = "forecast"
    frequency: Frequency = "daily"
    start: LaxDate | None = None
    end: LaxDate | None = None
    targets: Annotated[list[Series], Field(min_length=1, max_length=200)]
    features: Annotated[list[Series], Field(min_length=1, max_length=200)]
    datasets: list[DatasetName] = Field(default_factory=list)
    lags: Annotated[list[Annotated[int, Field(ge=1, le=260)]], Field(min_length=1)] = Field(
        default_factory=lambda: [1]
    )
    models: Annotated[list[ModelEntry], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: [ModelEntry(model=m) for m in ("ols", "ridge", "lasso")]
    )
    alphas: AlphaGrid = AlphaGrid()
    walk_forward: WalkForwardSpec = WalkForwardSpec()
    sizing: Annotated[list[SizingName], Field(min_length=1)] = Field(
        default_factory=lambda: cast(list[SizingName], ["binary", "proportional"])
    )
    proportional: ProportionalSpec = ProportionalSpec()
    cost_bps: Annotated[float, Field(ge=0, le=1000, strict=False)] = 5.0
    risk_free: Series | None = None
    regimes: RegimeSpec = RegimeSpec()

    @field_validator("models", mode="before")
    @classmethod
    def _specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"model": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, v: list[str]) -> list[str]:
        return unique_slugs(v, what="target")

    @field_validator("lags")
    @classmethod
    def _unique_lags(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError(f"lags {v} repeat a value")
        return sorted(v)

    @model_validator(mode="after")
    def _consistent(self) -> ForecastParams:
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"'start' ({self.start}) must be before 'end' ({self.end})")
        dup = sorted({f for f in self.features if self.features.count(f) > 1})
        if dup:
            raise ValueError(f"'features': {dup} listed more than once")
        same = [t for t in self.targets if t in self.features]
        if same:
            raise ValueError(
                f"'targets' {same} also listed in 'features': a series cannot forecast itself "
                "here (its own lags would be a different study)"
            )
        ids = [m.id for m in self.models]
        dup_ids = sorted({i for i in ids if ids.count(i) > 1})
        if dup_ids:
            raise ValueError(f"'models': {dup_ids} listed more than once (give each a 'name')")
        known = {*self.targets, *self.features}
        for a, b in self.regimes.pairs:
            for s in (a, b):
                if s not in known:
                    raise ValueError(
                        f"regimes.pairs: {s!r} is neither a target nor a feature "
                        f"({', '.join(sorted(known))})"
                    )
        if self.data.source == "csv" and self.datasets and self.data.factors is None:
            raise ValueError(
                "with source 'csv', return datasets come from data.factors (a file of "
                "return series); give it or remove 'datasets'"
            )
        return self

    @property
    def units(self) -> list[str]:
        return list(self.targets)

    @property
    def dataset_columns(self) -> set[str]:
        """Names that are return series of the listed datasets, not price columns."""
        return {c for d in self.datasets for c in DATASET_COLUMNS[d]}

    @property
    def price_symbols(self) -> list[str]:
        """Targets, features and risk-free series that come from the price source."""
        names = [*self.targets, *self.features, *([self.risk_free] if self.risk_free else [])]
        return [n for n in dict.fromkeys(names) if n not in self.dataset_columns]
