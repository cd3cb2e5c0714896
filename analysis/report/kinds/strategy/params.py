"""Params of the ``strategy`` kind: universe, factors, preprocessing, models, portfolio, costs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from analysis.report.pipeline.params import LaxDate, RunParams, Strict, Ticker, unique_slugs

StrategyModel = Literal["composite", "ridge", "lasso", "random_forest", "lightgbm", "mlp"]
BUILTIN_FACTORS = ("momentum", "reversal", "volatility", "beta")
"""Price factors built from prices (or from a panel's returns) at each rebalance date."""
SIZE = "size"
"""Log market cap: a panel column, or price x shares from yfinance's shares history (yahoo)."""

FactorName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")]


class FactorSpec(Strict):
    """A factor and the sign the ``composite`` model gives it (+1: higher is better)."""

    name: FactorName
    sign: Literal[-1, 1] = 1


class PreprocessSpec(Strict):
    """Per-date processing of the raw factors."""

    winsorize: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=1, strict=False)]],
            Field(min_length=2, max_length=2),
        ]
        | None
    ) = Field(default_factory=lambda: [0.01, 0.99])
    scale: Literal["zscore", "rank", "gaussian_rank"] = "zscore"
    neutralize: Literal["sector"] | None = None
    missing: Literal["median", "drop"] = "median"
    min_names: Annotated[int, Field(ge=3, le=100_000)] = 10

    @model_validator(mode="after")
    def _bounds(self) -> PreprocessSpec:
        if self.winsorize is not None and not self.winsorize[0] < self.winsorize[1]:
            raise ValueError(
                f"'winsorize' must be [low, high] with low < high, got {self.winsorize}"
            )
        return self


class LabelSpec(Strict):
    """What the models predict: the next rebalance period's simple return, transformed per date."""

    transform: Literal["raw", "demean", "rank"] = "raw"


class StrategyWalkForward(Strict):
    """Pooled walk-forward over rebalance dates (in rebalance periods)."""

    window: Literal["expanding", "rolling"] = "expanding"
    min_train: Annotated[int, Field(ge=3, le=10_000)] = 36
    refit_every: Annotated[int, Field(ge=1, le=10_000)] = 12
    train_size: Annotated[int, Field(ge=3, le=10_000)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StrategyWalkForward:
        if self.window == "rolling" and self.train_size is None:
            raise ValueError("window 'rolling' needs 'train_size' (training periods per refit)")
        if self.window == "expanding" and self.train_size is not None:
            raise ValueError(
                f"'train_size' ({self.train_size}) is only used with window 'rolling', "
                f"not {self.window!r}"
            )
        return self


class PortfolioSpec(Strict):
    """Portfolio construction from the scores at each rebalance date."""

    type: Literal["long_short", "long_only"] = "long_short"
    quantiles: Annotated[int, Field(ge=2, le=20)] = 5
    top_k: Annotated[int, Field(ge=1, le=10_000)] | None = None
    weighting: Literal["equal", "score", "inverse_volatility", "min_variance"] = "equal"
    lookback: Annotated[int, Field(ge=10, le=5000)] = 252
    min_weight: Annotated[float, Field(ge=0, le=1, strict=False)] = 0.0
    max_weight: Annotated[float, Field(gt=0, le=1, strict=False)] | None = None
    max_turnover: Annotated[float, Field(gt=0, le=4, strict=False)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PortfolioSpec:
        if self.top_k is not None and self.type != "long_only":
            raise ValueError(f"'top_k' ({self.top_k}) is only used with type 'long_only'")
        if self.max_weight is not None and self.min_weight > self.max_weight:
            raise ValueError(
                f"'min_weight' ({self.min_weight:g}) exceeds 'max_weight' ({self.max_weight:g})"
            )
        return self


class ModelEntry(Strict):
    """A prediction model and its hyperparameters (defaults in analysis.forecasting.panel)."""

    model: StrategyModel
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.model


class StrategyParams(RunParams):
    """Params of the ``strategy`` report kind (see the README's params reference)."""

    kind: Literal["strategy"] = "strategy"
    universe: Annotated[list[Ticker], Field(min_length=3, max_length=10_000)] | None = None
    datasets: list[Literal["ind12"]] = Field(default_factory=list)
    benchmark: Ticker | None = None
    start: LaxDate | None = None
    end: LaxDate | None = None
    rebalance: Literal["monthly", "weekly"] = "monthly"
    factors: Annotated[list[FactorSpec], Field(min_length=1, max_length=200)]
    preprocess: PreprocessSpec = PreprocessSpec()
    label: LabelSpec = LabelSpec()
    models: Annotated[list[ModelEntry], Field(min_length=1, max_length=10)]
    walk_forward: StrategyWalkForward = StrategyWalkForward()
    portfolio: PortfolioSpec = PortfolioSpec()
    cost_bps: Annotated[float, Field(ge=0, le=1000, strict=False)] = 10.0
    seed: Annotated[int, Field(ge=0)] = 0

    @field_validator("factors", mode="before")
    @classmethod
    def _factor_specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"name": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("models", mode="before")
    @classmethod
    def _model_specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"model": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("universe")
    @classmethod
    def _unique_universe(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else unique_slugs(v)

    @model_validator(mode="after")
    def _consistent(self) -> StrategyParams:
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"'start' ({self.start}) must be before 'end' ({self.end})")
        names = [f.name for f in self.factors]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"'factors': {dup} listed more than once")
        ids = [m.id for m in self.models]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"'models': {dup} listed more than once")
        has_panel = self.data.panel is not None or bool(self.datasets)
        if self.universe is None and not has_panel:
            raise ValueError("'universe' is required unless the data is a panel (data.panel)")
        if not has_panel:
            custom = [
                n
                for n in names
                if n not in BUILTIN_FACTORS and not (n == SIZE and self.data.source == "yahoo")
            ]
            if custom:
                raise ValueError(
                    f"'factors': {custom} are not built-in price factors "
                    f"({', '.join(BUILTIN_FACTORS)}; size with source yahoo); other factors "
                    "come from a panel's columns"
                )
        if self.preprocess.neutralize == "sector" and not has_panel:
            raise ValueError("'preprocess.neutralize': sector needs a panel with a 'sector' column")
        q = self.portfolio.quantiles
        if self.universe is not None and len(self.universe) < q:
            raise ValueError(
                f"'portfolio.quantiles' ({q}) exceeds the {len(self.universe)} names of "
                "'universe': every quantile needs at least one name"
            )
        return self

    @property
    def units(self) -> list[str]:
        """One notebook per model (a tear sheet)."""
        return [m.id for m in self.models]

    @property
    def factor_signs(self) -> dict[str, int]:
        return {f.name: f.sign for f in self.factors}
