"""Run definitions (``params/*.yml``): schema, strict loading and error messages.

A params file defines one run: a report kind, a universe of tickers, a data
source, the models and their settings. It is validated strictly when loaded:
unknown keys, wrong types and out-of-range values are errors whose message
names the file, the key, the value received and what is allowed, e.g.::

    params/us.yml: 'rolling_window' must be greater than or equal to 10, got 5

Every ticker and the run name are checked against strict patterns before
they become parts of file names.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from analysis.data.base import Frequency
from analysis.errors import ParamsError
from analysis.factors.models import MODELS, FactorModel, get_model

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
TICKER_PATTERN = r"^[A-Za-z0-9^][A-Za-z0-9^.=&_-]{0,19}$"
"""Yahoo-style symbols (``AAPL``, ``^GSPC``, ``RELIANCE.NS``, ``500325.BO``, ``M&M.NS``)."""

Ticker = Annotated[str, Field(pattern=TICKER_PATTERN)]
LaxDate = Annotated[date, Field(strict=False)]
LaxPath = Annotated[Path, Field(strict=False)]
CovType = Literal["nonrobust", "HC1", "HAC"]

_SLUG_MAP = str.maketrans({"^": "_", "&": "_", "=": "_"})


def ticker_slug(ticker: str) -> str:
    """File-name form of a ticker: ``^`` ``&`` ``=`` become ``_`` (``^GSPC`` -> ``_GSPC``)."""
    if not re.match(TICKER_PATTERN, ticker):
        raise ParamsError(f"ticker {ticker!r} does not match {TICKER_PATTERN}")
    return ticker.translate(_SLUG_MAP)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DataSpec(_Strict):
    """Where the run's prices and factors come from."""

    source: Literal["sample", "yahoo", "csv"] = "sample"
    prices: LaxPath | None = None
    factors: LaxPath | None = None
    cache: bool = True

    @model_validator(mode="after")
    def _files_match_source(self) -> DataSpec:
        if self.source == "csv" and self.prices is None:
            raise ValueError("source 'csv' needs a 'prices' file (a date column + one per ticker)")
        if self.source != "csv" and self.prices is not None:
            raise ValueError(f"'prices' is only used with source 'csv', not {self.source!r}")
        return self


class ModelSpec(_Strict):
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


class ResolvedModel(BaseModel):
    """A model with every setting resolved against the run's defaults."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    definition: FactorModel
    frequency: Frequency
    rolling_window: int


class RunParams(_Strict):
    """Keys every report kind shares: the run's name, title, data source and limits."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""
    data: DataSpec = DataSpec()
    timeout: Annotated[int, Field(ge=10, le=86400)] = 900

    @property
    def units(self) -> list[str]:
        """Identifiers of the notebooks of the run (tickers for the exposure kind)."""
        raise NotImplementedError


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

    @field_validator("models", mode="before")
    @classmethod
    def _specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"model": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("tickers")
    @classmethod
    def _unique_slugs(cls, v: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for t in v:
            slug = t.translate(_SLUG_MAP)
            if slug in seen:
                what = "is listed twice" if seen[slug] == t else f"and {seen[slug]!r} share"
                raise ValueError(f"ticker {t!r} {what} (file name {slug!r})")
            seen[slug] = t
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ExposureParams:
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"'start' ({self.start}) must be before 'end' ({self.end})")
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

    @property
    def slugs(self) -> dict[str, str]:
        """``{ticker: file-name slug}``."""
        return {t: ticker_slug(t) for t in self.tickers}


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_errors(path: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(
            ".[", "["
        )
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        msg = msg.replace("Input should be", "must be").replace("String should", "must")
        msg = msg.replace("List should", "must").replace("Input must", "must")
        if err["type"] == "extra_forbidden":
            msg = "is not a known key"
        if err["type"] == "missing":
            lines.append(f"{path}: '{loc}' is required")
            continue
        where = f"'{loc}' " if loc else ""
        # our own value errors already quote the offending value
        got = "" if err["type"] == "value_error" else f", got {_describe(err['input'])}"
        lines.append(f"{path}: {where}{msg}{got}")
    return "\n".join(lines)


def load_params(path: str | Path) -> RunParams:
    """Read and validate a params file.

    Raises
    ------
    ParamsError
        For a missing file, malformed YAML (with line and column), a
        document that is not a mapping, or any schema violation; the message
        lists every problem, one per line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{p}: params file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{p}: cannot read params file ({exc})") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParamsError(f"{p}: malformed YAML{where}: {problem}") from None
    if not isinstance(doc, dict):
        raise ParamsError(
            f"{p}: must be a YAML mapping of keys to values, got {type(doc).__name__}"
        )
    kind = doc.get("kind", "exposure")
    from analysis.report.kinds import get_kind

    schema = get_kind(kind, source=str(p)).schema
    try:
        params = schema.model_validate(doc)
    except ValidationError as exc:
        raise ParamsError(_format_errors(str(p), exc)) from None
    if params.data.prices is not None or params.data.factors is not None:
        base = p.parent
        data = params.data.model_copy(
            update={
                "prices": _resolve(base, params.data.prices),
                "factors": _resolve(base, params.data.factors),
            }
        )
        params = params.model_copy(update={"data": data})
    return params


def _resolve(base: Path, path: Path | None) -> Path | None:
    """Relative data paths are relative to the working directory, else to the params file."""
    if path is None or path.is_absolute() or path.exists():
        return path
    return base / path
