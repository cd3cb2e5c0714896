"""The ``exposure`` kind: which factors drive each ticker's returns, and how exposures move.

One notebook per ticker (``templates/exposure.ipynb``); contract tables
``exposures.csv`` (every coefficient), ``fit.csv`` (one row per ticker and
model), ``stability.csv`` (structural-break tests), ``quality.csv`` (data-quality
findings) and ``active.csv`` (active exposures against the params' benchmark), plus
``rolling/`` (per ticker and model the rolling estimates and, in ``*_se.csv``, their
standard errors; zipped for the site). A portfolio of the params is a unit like a
ticker, under its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from analysis.report.kinds.exposure.params import ExposureParams
from analysis.report.pipeline.kind import ReportKind
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.site import zip_folder
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.tables import ContractTable, write_components, write_csv

EXPOSURE_COLUMNS = (
    "ticker",
    "model",
    "term",
    "estimate",
    "std_error",
    "t_stat",
    "p_value",
    "ci_low",
    "ci_high",
)
FIT_COLUMNS = (
    "ticker",
    "model",
    "nobs",
    "start",
    "end",
    "r_squared",
    "adj_r_squared",
    "alpha_annualized",
    "status",
)


STABILITY_TABLE_COLUMNS = (
    "ticker",
    "model",
    "test",
    "date",
    "statistic",
    "p_value",
    "reject_5pct",
)


QUALITY_COLUMNS = ("ticker", "series", "check", "start", "end", "value", "detail")

ACTIVE_COLUMNS = (
    "ticker",
    "model",
    "term",
    "estimate",
    "std_error",
    "t_stat",
    "p_value",
    "tracking_error",
    "information_ratio",
)


class ExposureKind(ReportKind):
    """Factor exposures per ticker (see the module docstring)."""

    name = "exposure"
    schema = ExposureParams
    template = "exposure.ipynb"
    description = "factor exposures per ticker: betas, alpha, R², rolling betas, diagnostics"
    unit_noun = "ticker"
    tables = (
        ContractTable(
            "exposures",
            EXPOSURE_COLUMNS,
            "every coefficient: ticker, model, term, estimate, std_error, t_stat, p_value, "
            "ci_low, ci_high",
        ),
        ContractTable(
            "fit",
            FIT_COLUMNS,
            "one row per ticker and model: nobs, dates, R², adjusted R², annualized α, status",
        ),
        ContractTable(
            "stability",
            STABILITY_TABLE_COLUMNS,
            "are the betas stable? per ticker and model: CUSUM of recursive and of OLS "
            "residuals, a Chow test per break date; statistic, p-value, rejected at 5%",
        ),
        ContractTable(
            "quality",
            QUALITY_COLUMNS,
            "data-quality findings per ticker (its prices and the market's): gaps, jumps, "
            "stale runs, non-positive prices, with dates and values",
        ),
        ContractTable(
            "active",
            ACTIVE_COLUMNS,
            "active exposures against the benchmark: per ticker, model and term the "
            "regression of the active return on the model's factors, with the annualized "
            "tracking error and information ratio (empty without a benchmark)",
        ),
    )
    preload = ("analysis.report.kinds.exposure.notebook", "statsmodels.api")
    site_module = "analysis.report.kinds.exposure.site"

    def fetch(self, params: Any, *, cache_dir: Path | None, refresh: bool) -> RunData:
        from analysis.report.kinds.exposure.data import fetch_run_data

        return fetch_run_data(params, cache_dir=cache_dir, refresh=refresh)

    def unit_columns(self, params: Any, unit: str) -> Sequence[str]:
        from analysis.report.kinds.exposure.data import shared_symbols

        spec = params.portfolios.get(unit)
        members = list(spec.weights) if spec is not None else []
        bench = [params.benchmark] if params.benchmark else []
        return [unit, *members, *shared_symbols(params), *bench]

    def unit_meta(self, params: Any, unit: str) -> dict[str, Any]:
        return {
            "title": f"{unit} — factor exposures",
            "subtitle": params.title,
            "unit": unit,
            "kicker": "Factor-exposure report",
            "unit_label": "Portfolio" if unit in params.portfolios else "Ticker",
        }

    def notebook_parameters(self, params: Any, unit: str) -> dict[str, Any]:
        return {"ticker": unit}

    def write_failed_parts(self, paths: RunPaths, params: Any, unit: str, error: str) -> None:
        """A failed ticker still has rows in fit.csv (status failed) and none in exposures.csv."""
        slug = params.slugs[unit]
        fit = pd.DataFrame(
            [
                {
                    "ticker": unit,
                    "model": m.id,
                    **dict.fromkeys(FIT_COLUMNS[2:8]),
                    "status": "failed",
                }
                for m in params.resolved_models()
            ],
            columns=list(FIT_COLUMNS),
        )
        write_csv(paths.part(slug, "fit"), fit)
        write_csv(paths.part(slug, "exposures"), pd.DataFrame(columns=list(EXPOSURE_COLUMNS)))
        write_csv(
            paths.part(slug, "stability"), pd.DataFrame(columns=list(STABILITY_TABLE_COLUMNS))
        )
        write_csv(paths.part(slug, "quality"), pd.DataFrame(columns=list(QUALITY_COLUMNS)))
        write_csv(paths.part(slug, "active"), pd.DataFrame(columns=list(ACTIVE_COLUMNS)))
        write_components(paths.components(slug), {m.id: error for m in params.resolved_models()})

    extra_descriptions: ClassVar[dict[str, str]] = {
        "rolling.zip": "per ticker and model: the rolling estimates and their standard errors",
        "universe.csv": "universe tests per model: GRS test of zero alphas, Fama–MacBeth premia",
        "_universe.pdf": "the universe on paper: one page per model (tables and tests)",
    }
    run_documents: ClassVar[tuple[str, ...]] = ("_universe",)

    def summarize(self, paths: RunPaths, params: Any) -> dict[str, Any]:
        """The data-quality findings per ticker and the rules that found them, for the
        manifest (``quality.csv`` has them in full)."""
        found: dict[str, list[str]] = {}
        table = paths.root / "quality.csv"
        if table.exists():
            frame = pd.read_csv(table, dtype=str, keep_default_na=False)
            for row in frame.itertuples():
                found.setdefault(str(row.ticker), []).append(f"{row.series}: {row.detail}")
        return {
            "data_quality": {
                "rules": params.data_quality.model_dump(mode="json"),
                "findings": found,
            }
        }

    def extra_downloads(self, paths: RunPaths) -> dict[str, bytes]:
        """``rolling.zip``, and the universe tests' ``universe.csv`` and ``_universe.pdf``
        (written when the index is built; see :mod:`.site`)."""
        out = {"rolling.zip": zip_folder(paths.root / "rolling", "rolling")}
        for name, src in (
            ("universe.csv", paths.root / "universe.csv"),
            ("_universe.pdf", paths.pdf / "_universe.pdf"),
        ):
            if src.exists():
                out[name] = src.read_bytes()
        return out
