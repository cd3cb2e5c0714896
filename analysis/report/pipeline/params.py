"""Run definitions (``params/*.yml``): schema, strict loading and error messages.

A params file defines one run: a report kind (``kind:``), its units (tickers,
targets), a data source, the models and their settings. This module holds
what every kind shares (the run's name, title, data source, file-name-safe
tickers) and the strict loader; each kind's own schema lives with the kind
(:mod:`analysis.report.kinds`). It is validated strictly when loaded:
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
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from analysis.errors import ParamsError

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
TICKER_PATTERN = r"^[A-Za-z0-9^][A-Za-z0-9^.=&_-]{0,19}$"
"""Yahoo-style symbols (``AAPL``, ``^GSPC``, ``RELIANCE.NS``, ``500325.BO``, ``M&M.NS``)."""

Ticker = Annotated[str, Field(pattern=TICKER_PATTERN)]
LaxDate = Annotated[date, Field(strict=False)]
LaxPath = Annotated[Path, Field(strict=False)]

_SLUG_MAP = str.maketrans({"^": "_", "&": "_", "=": "_"})


def ticker_slug(ticker: str) -> str:
    """File-name form of a ticker: ``^`` ``&`` ``=`` become ``_`` (``^GSPC`` -> ``_GSPC``)."""
    if not re.match(TICKER_PATTERN, ticker):
        raise ParamsError(f"ticker {ticker!r} does not match {TICKER_PATTERN}")
    return ticker.translate(_SLUG_MAP)


class Strict(BaseModel):
    """Base of every params model: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DataSpec(Strict):
    """Where the run's prices, factors and panels come from.

    ``panel`` (a long ``date,ticker,return,...`` file) is read by the kinds that
    analyse a cross-section; the others reject it.
    """

    source: Literal["sample", "yahoo", "csv"] = "sample"
    prices: LaxPath | None = None
    factors: LaxPath | None = None
    panel: LaxPath | None = None
    lag: Annotated[int, Field(ge=0, le=24)] = 0
    cache: bool = True

    @model_validator(mode="after")
    def _files_match_source(self) -> DataSpec:
        if self.source == "csv" and self.prices is None and self.panel is None:
            raise ValueError(
                "source 'csv' needs a 'prices' file (a date column + one per ticker) "
                "or, for a cross-section, a 'panel' file (date, ticker, return, ...)"
            )
        for key in ("prices", "panel"):
            if self.source != "csv" and getattr(self, key) is not None:
                raise ValueError(f"'{key}' is only used with source 'csv', not {self.source!r}")
        if self.lag and self.panel is None:
            raise ValueError(f"'lag' ({self.lag}) shifts a panel's characteristics; give 'panel'")
        return self


class RunParams(Strict):
    """Keys every report kind shares: the run's name, title, data source and limits.

    A kind's schema subclasses it, adds ``kind: Literal["<name>"]`` and its own
    keys, and says which notebooks the run has through :attr:`units`.
    """

    kind: str
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""
    data: DataSpec = DataSpec()
    timeout: Annotated[int, Field(ge=10, le=86400)] = 900

    @property
    def units(self) -> list[str]:
        """Identifiers of the run's notebooks, in params order (tickers, targets ...)."""
        raise NotImplementedError

    @property
    def slugs(self) -> dict[str, str]:
        """``{unit: file-name slug}``."""
        return {u: ticker_slug(u) for u in self.units}


def unique_slugs(values: list[str], what: str = "ticker") -> list[str]:
    """Check that no two symbols share a file name (``^A`` and ``_A`` would)."""
    seen: dict[str, str] = {}
    for t in values:
        slug = t.translate(_SLUG_MAP)
        if slug in seen:
            problem = "is listed twice" if seen[slug] == t else f"and {seen[slug]!r} share"
            raise ValueError(f"{what} {t!r} {problem} (file name {slug!r})")
        seen[slug] = t
    return values


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


P = TypeVar("P", bound=RunParams)


def read_params_doc(path: str | Path) -> dict[str, Any]:
    """Read a params file as a YAML mapping.

    Raises
    ------
    ParamsError
        For a missing file, malformed YAML (with line and column) or a
        document that is not a mapping.
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
    return doc


def validate_params(path: str | Path, doc: dict[str, Any], schema: type[P]) -> P:
    """Validate a params mapping against a kind's schema; data paths resolved.

    Raises
    ------
    ParamsError
        Listing every problem, one per line, each naming the file and key.
    """
    p = Path(path)
    try:
        params = schema.model_validate(doc)
    except ValidationError as exc:
        raise ParamsError(_format_errors(str(p), exc)) from None
    files = {
        k: getattr(params.data, k)
        for k in type(params.data).model_fields
        if isinstance(getattr(params.data, k), Path)
    }
    if files:
        data = params.data.model_copy(update={k: _resolve(p.parent, v) for k, v in files.items()})
        params = params.model_copy(update={"data": data})
    return params


def read_params(path: str | Path, schema: type[P]) -> P:
    """Read and validate a params file of one known kind (a notebook knows its kind)."""
    doc = read_params_doc(path)
    doc.setdefault("kind", schema.model_fields["kind"].default)
    return validate_params(path, doc, schema)


def _resolve(base: Path, path: Path | None) -> Path | None:
    """Relative data paths are relative to the working directory, else to the params file."""
    if path is None or path.is_absolute() or path.exists():
        return path
    return base / path
