"""The ``exposure`` report for one ticker: fits, tables to save, and notebook sections.

The notebook template (``templates/exposure.ipynb``) calls this module:
:meth:`Run.open` reads the params file and the run's data snapshot,
:func:`analyze_ticker` fits every model of the run for one ticker, and the
``*_section`` functions return the display objects of each part of the
report. A model that cannot be estimated for the ticker (too short a
history, a singular design) is recorded with its reason and shown as such;
the other models still run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from analysis import __version__, charts
from analysis.data.base import BAD_PRICES
from analysis.data.quality import Finding, check_prices
from analysis.errors import AnalysisError, DataError, UnknownTickerError
from analysis.factors.models import Design, build_design
from analysis.regression.ols import OLSResult, fit_design
from analysis.regression.rolling import RollingResult, rolling_ols
from analysis.regression.stability import StabilityTest, stability_frame, stability_tests
from analysis.report.kinds.exposure import (
    EXPOSURE_COLUMNS,
    FIT_COLUMNS,
    QUALITY_COLUMNS,
    STABILITY_TABLE_COLUMNS,
)
from analysis.report.kinds.exposure.params import ExposureParams, ResolvedModel
from analysis.report.pipeline.display import (
    Figure,
    Markdown,
    Table,
    figure_with_caption,
    fmt_p,
    fmt_pct,
    fmt_sig,
    md_escape,
)
from analysis.report.pipeline.params import read_params
from analysis.report.pipeline.paths import PROJECT_ROOT, RunPaths
from analysis.report.pipeline.snapshot import RunData
from analysis.report.pipeline.tables import write_components, write_csv

Status = Literal["ok", "partial", "failed"]


@dataclass(frozen=True)
class Run:
    """A run as one notebook sees it: params, data snapshot and output folder."""

    params: ExposureParams
    data: RunData
    folder: Path

    @classmethod
    def open(cls, params_file: str | Path, run_dir: str | Path | None = None) -> Run:
        """Read the params and the run's frozen data snapshot.

        Parameters
        ----------
        params_file
            The params file: a path as given, else relative to the project root (so
            ``params/sample.yml`` works from any folder).
        run_dir
            The run folder whose snapshot the notebook reads and whose tables it
            writes; the runner passes the run's. ``None`` (the notebook run alone,
            e.g. ``papermill templates/exposure.ipynb out.ipynb -p ticker JPM``) uses
            a scratch folder ``reports/.notebook/<name>`` under the project root, so an
            existing run's tables are never overwritten unless the notebook is pointed
            at that run. A folder without a snapshot gets one on first use: the data is
            fetched (the bundled sample needs no network) and frozen there.
        """
        path = Path(params_file)
        if not path.exists() and not path.is_absolute() and (PROJECT_ROOT / path).exists():
            path = PROJECT_ROOT / path
        params = read_params(path, ExposureParams)
        folder = (
            Path(run_dir)
            if run_dir is not None
            else PROJECT_ROOT / "reports" / ".notebook" / params.name
        )
        if not (folder / "data").exists():
            from analysis.report.kinds.exposure.data import fetch_run_data

            cache = PROJECT_ROOT / "reports" / ".cache"
            fetch_run_data(params, cache_dir=cache).save(folder / "data")
        return cls(params=params, data=RunData.load(folder / "data"), folder=folder)


@dataclass(frozen=True)
class ModelFit:
    """One model's outcome for one ticker: results, or the reason there are none."""

    spec: ResolvedModel
    design: Design | None = None
    result: OLSResult | None = None
    rolling: RollingResult | None = None
    error: str | None = None
    seconds: float = 0.0
    stability: tuple[StabilityTest, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def unstable(self) -> bool:
        """Whether any stability test rejects constant betas at 5%."""
        return any(t.reject_5pct for t in self.stability)


@dataclass(frozen=True)
class TickerAnalysis:
    """Every model of the run fitted for one ticker."""

    ticker: str
    run: Run
    fits: dict[str, ModelFit]
    first: pd.Timestamp
    last: pd.Timestamp
    n_prices: int
    timings: dict[str, float] = field(default_factory=dict)
    quality: tuple[Finding, ...] = ()
    """Data-quality findings on the ticker's and the market's prices (warnings)."""

    @property
    def params(self) -> ExposureParams:
        return self.run.params

    @property
    def slug(self) -> str:
        return self.params.slugs[self.ticker]

    @property
    def status(self) -> Status:
        ok = [f.ok for f in self.fits.values()]
        return "ok" if all(ok) else ("partial" if any(ok) else "failed")

    @property
    def results(self) -> dict[str, OLSResult]:
        return {k: f.result for k, f in self.fits.items() if f.result is not None}

    def exposures_frame(self) -> pd.DataFrame:
        """Rows of ``exposures.csv`` for this ticker (estimated models only)."""
        frames = [r.to_frame().assign(ticker=self.ticker, model=m) for m, r in self.results.items()]
        if not frames:
            return pd.DataFrame(columns=list(EXPOSURE_COLUMNS))
        return pd.concat(frames, ignore_index=True)[list(EXPOSURE_COLUMNS)]

    def fit_frame(self, *, reasons: bool = False) -> pd.DataFrame:
        """Rows of ``fit.csv`` for this ticker (one per model, failed ones too).

        With ``reasons``, a last column ``reason`` says why a model failed.
        """
        rows = []
        for m, f in self.fits.items():
            stats: dict[str, object] = (
                f.result.fit_stats()
                if f.result is not None
                else dict.fromkeys(FIT_COLUMNS[2:8], None)
            )
            rows.append(
                {
                    "ticker": self.ticker,
                    "model": m,
                    **stats,
                    "status": "ok" if f.ok else "failed",
                    "reason": f.error or "",
                }
            )
        return pd.DataFrame(rows, columns=[*FIT_COLUMNS, *(["reason"] if reasons else [])])

    def stability_frame(self) -> pd.DataFrame:
        """Rows of ``stability.csv`` for this ticker (estimated models only)."""
        frames = [
            stability_frame(f.stability).assign(ticker=self.ticker, model=m)
            for m, f in self.fits.items()
            if f.stability
        ]
        if not frames:
            return pd.DataFrame(columns=list(STABILITY_TABLE_COLUMNS))
        return pd.concat(frames, ignore_index=True)[list(STABILITY_TABLE_COLUMNS)]

    def quality_frame(self) -> pd.DataFrame:
        """Rows of ``quality.csv`` for this ticker (its findings, if any)."""
        rows = [
            [self.ticker, f.series, f.check, f.start, f.end, f.value, f.detail]
            for f in self.quality
        ]
        return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))

    def save(self, folder: str | Path | None = None) -> list[Path]:
        """Write this ticker's tables under the run folder, each file atomically.

        ``tables/<slug>.exposures.csv`` and ``tables/<slug>.fit.csv`` (merged into
        the run's ``exposures.csv`` and ``fit.csv`` by the runner; the part also
        holds each failed model's reason) and
        ``tables/<slug>.stability.csv`` (merged into ``stability.csv``),
        ``rolling/<slug>__<model>.csv`` (``date`` + one column per term) and
        ``rolling/<slug>__<model>_se.csv`` (their standard errors, same layout).
        """
        root = Path(folder) if folder is not None else self.run.folder
        paths = RunPaths(root)
        written = [
            write_csv(paths.part(self.slug, "exposures"), self.exposures_frame()),
            write_csv(paths.part(self.slug, "fit"), self.fit_frame(reasons=True)),
            write_csv(paths.part(self.slug, "stability"), self.stability_frame()),
            write_csv(paths.part(self.slug, "quality"), self.quality_frame()),
        ]
        for m, f in self.fits.items():
            if f.rolling is not None:
                frame = f.rolling.to_frame()
                frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
                written.append(write_csv(root / "rolling" / f"{self.slug}__{m}.csv", frame))
                se = f.rolling.std_errors.loc[f.rolling.params.notna().any(axis=1)]
                se = se.reset_index(names="date")
                se["date"] = se["date"].dt.strftime("%Y-%m-%d")
                written.append(write_csv(root / "rolling" / f"{self.slug}__{m}_se.csv", se))
        components = {m: "ok" if f.ok else (f.error or "failed") for m, f in self.fits.items()}
        written.append(write_components(paths.components(self.slug), components))
        return written


def design_for(params: ExposureParams, data: RunData, ticker: str, spec: ResolvedModel) -> Design:
    """The regression ``spec`` runs for ``ticker`` on the run's snapshot: ``y`` and ``X``
    (the engineered characteristics centred), as every report, table and test uses it."""
    origin = spec.definition.origin
    factor_returns = None
    if origin == "french":
        factor_returns = data.factors.get(spec.frequency)
    elif origin == "custom":
        factor_returns = data.custom
    return build_design(
        spec.definition,
        data.prices[ticker].dropna(),
        frequency=spec.frequency,
        market=data.prices[params.market].dropna(),
        factor_returns=factor_returns,
        factor_prices=data.prices if origin == "sectors" else None,
        factor_window=params.factor_window,
        start=pd.Timestamp(params.start) if params.start else None,
        end=pd.Timestamp(params.end) if params.end else None,
    )


def _fit_model(run: Run, ticker: str, spec: ResolvedModel) -> ModelFit:
    p = run.params
    t0 = time.perf_counter()
    try:
        design = design_for(p, run.data, ticker, spec)
        result = fit_design(design, cov_type=p.cov_type, maxlags=p.hac_maxlags)
        rolling = None
        if design.nobs >= spec.rolling_window:
            rolling = rolling_ols(
                design.y,
                design.X,
                spec.rolling_window,
                cov_type=p.rolling_cov_type,
                center=design.centered,
            )
        inside = [
            pd.Timestamp(d)
            for d in p.break_dates
            if design.y.index[0] < pd.Timestamp(d) <= design.y.index[-1]
        ]
        tests = tuple(stability_tests(design.y, design.X, inside))
        return ModelFit(spec, design, result, rolling, None, time.perf_counter() - t0, tests)
    except AnalysisError as exc:
        return ModelFit(spec, error=str(exc), seconds=time.perf_counter() - t0)


class DataQualityError(DataError):
    """The params ask a data-quality finding to fail the ticker."""


def check_ticker(run: Run, ticker: str) -> list[Finding]:
    """The data-quality findings on the ticker's prices and the market proxy's."""
    rules = run.params.data_quality.rules()
    out = []
    for name in dict.fromkeys([ticker, run.params.market]):
        if name in run.data.prices.columns:
            out += check_prices(run.data.prices[name].rename(name), rules)
    return out


def first_estimated(a: TickerAnalysis) -> ResolvedModel | None:
    """The run's first model that could be estimated for the ticker (``None``: none)."""
    return next((f.spec for f in a.fits.values() if f.ok), None)


def analyze_ticker(run: Run, ticker: str) -> TickerAnalysis:
    """Fit every model of the run for ``ticker``.

    Raises
    ------
    UnknownTickerError
        When the data source delivered no prices for the ticker (the reason
        the source gave is in the message); then no model can run.
    """
    if ticker not in run.params.tickers:
        raise UnknownTickerError(f"{ticker!r} is not one of the run's tickers")
    if ticker in run.data.failed or ticker not in run.data.prices.columns:
        reason = run.data.failed.get(ticker, "no prices in the run's data")
        if BAD_PRICES in reason:  # the source delivered prices, but unusable ones
            raise DataError(f"{run.data.source}: {ticker}: {reason}")
        raise UnknownTickerError(f"{run.data.source}: {ticker}: {reason}")
    px = run.data.prices[ticker].dropna()
    quality = tuple(check_ticker(run, ticker))
    if quality and run.params.data_quality.on_finding == "fail":
        raise DataQualityError(
            f"{ticker}: data quality (data_quality.on_finding: fail): "
            + "; ".join(f.line() for f in quality)
        )
    fits = {m.id: _fit_model(run, ticker, m) for m in run.params.resolved_models()}
    return TickerAnalysis(
        ticker=ticker,
        run=run,
        fits=fits,
        first=px.index[0],
        last=px.index[-1],
        n_prices=len(px),
        timings={m: f.seconds for m, f in fits.items()},
        quality=quality,
    )


# --- notebook sections ---------------------------------------------------------------

Display = Markdown | Table | Figure


def header_section(a: TickerAnalysis) -> list[Display]:
    """What was analysed: data source and range, market proxy, models and settings."""
    p = a.params
    rows = pd.DataFrame(
        {
            "Item": [
                "Ticker",
                "Market proxy",
                "Data source",
                "Prices available",
                "Analysis window",
                "Engineered look-back",
                "Covariance",
                "Library version",
            ],
            "Value": [
                a.ticker,
                p.market,
                a.run.data.source,
                f"{a.first:%Y-%m-%d} to {a.last:%Y-%m-%d} ({a.n_prices} days)",
                f"{p.start or 'first available'} to {p.end or 'last available'}",
                f"{p.factor_window} periods",
                "HAC (Newey-West, Bartlett kernel)" if p.cov_type == "HAC" else p.cov_type,
                __version__,
            ],
        }
    )
    return [Table(rows, caption="Run settings"), *quality_part(a)]


def quality_part(a: TickerAnalysis) -> list[Display]:
    """The data-quality findings (or that there are none), with the thresholds."""
    q = a.params.data_quality
    rules = (
        f"gaps over {q.max_gap_days} calendar days, |log return| over "
        f"{q.max_abs_log_return:g}, {q.max_stale_days} or more identical prices in a row"
    )
    if not a.quality:
        return [Markdown(f"*Data quality: no findings ({md_escape(rules)}).*")]
    frame = pd.DataFrame(
        [[f.series, f.check, f.detail] for f in a.quality], columns=["Series", "Check", "Finding"]
    )
    return [
        Markdown(
            f"**Data quality: {len(a.quality)} warning{'s' if len(a.quality) > 1 else ''}.** "
            "The estimates below use these prices as they are; check them before relying on "
            f"the betas ({md_escape(rules)})."
        ),
        Table(frame, caption="Data-quality findings"),
    ]


def comparison_section(a: TickerAnalysis) -> list[Display]:
    """Model comparison: fit and alpha of every model, plus a chart."""
    rows = []
    for f in a.fits.values():
        r = f.result
        rows.append(
            {
                "Model": f.spec.definition.label,
                "Frequency": f.spec.frequency,
                "Obs.": r.nobs if r else None,
                "Sample": f"{r.start:%Y-%m} to {r.end:%Y-%m}" if r else "—",
                "R²": r.rsquared if r else None,
                "Adj. R²": r.rsquared_adj if r else None,
                "α (annualized)": r.alpha_annualized if r else None,
                "α p-value": r.pvalues["alpha"] if r else None,
                "Status": "ok" if f.ok else f"failed: {f.error}",
            }
        )
    frame = pd.DataFrame(rows)
    out: list[Display] = [
        Table(
            frame,
            caption="Model comparison",
            formats={
                "Obs.": lambda v: "—" if pd.isna(v) else f"{int(v)}",
                "R²": lambda v: "—" if pd.isna(v) else f"{v:.3f}",
                "Adj. R²": lambda v: "—" if pd.isna(v) else f"{v:.3f}",
                "α (annualized)": fmt_pct(2),
                "α p-value": fmt_p,
            },
        )
    ]
    if a.results:
        out += figure_with_caption(charts.model_comparison(a.results), key=a.ticker)
    return out


def _betas_table(r: OLSResult) -> Table:
    frame = r.to_frame().rename(
        columns={
            "term": "Term",
            "estimate": "Estimate",
            "std_error": "Std. error",
            "t_stat": "t",
            "p_value": "p",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
        }
    )
    return Table(
        frame,
        caption=f"Coefficients ({_cov_label(r)})",
        formats={
            "t": lambda v: f"{v:.2f}",
            "p": fmt_p,
            **dict.fromkeys(["Estimate", "Std. error", "95% CI low", "95% CI high"], fmt_sig(4)),
        },
    )


def _cov_label(r: OLSResult) -> str:
    if r.cov_type == "HAC":
        return f"HAC standard errors, Newey-West with {r.hac_maxlags} lags"
    return f"{r.cov_type} standard errors"


def _fit_table(r: OLSResult) -> Table:
    ppy = r.periods_per_year
    rows = pd.DataFrame(
        {
            "Statistic": [
                "α per period",
                f"α annualized (× {ppy})",
                "R²",
                "Adjusted R²",
                "Observations",
                "Sample",
            ],
            "Value": [
                f"{r.alpha:.6f}",
                f"{r.alpha_annualized:.2%}",
                f"{r.rsquared:.4f}",
                f"{r.rsquared_adj:.4f}",
                f"{r.nobs}",
                f"{r.start:%Y-%m-%d} to {r.end:%Y-%m-%d}",
            ],
        }
    )
    return Table(rows, caption="Fit")


def _attribution_table(r: OLSResult) -> Table:
    frame = r.attribution.reset_index(names="Term").rename(
        columns={"per_period": "Per period", "annualized": "Annualized"}
    )
    return Table(
        frame,
        caption="Return attribution: β × mean factor return (sums to the mean return)",
        formats={"Per period": lambda v: f"{v:.6f}", "Annualized": fmt_pct(2)},
    )


def _variance_table(r: OLSResult) -> Table:
    frame = pd.DataFrame(
        {
            "Component": r.variance_decomposition.index,
            "Share of variance": r.variance_decomposition.to_numpy(),
            "Standardized β": [
                r.standardized_betas.get(k, float("nan")) for k in r.variance_decomposition.index
            ],
        }
    )
    return Table(
        frame,
        caption="Variance decomposition (factor shares sum to R²) and standardized betas",
        formats={
            "Share of variance": fmt_pct(1),
            "Standardized β": lambda v: "—" if pd.isna(v) else f"{v:.3f}",
        },
    )


def _diagnostics_table(r: OLSResult) -> Table:
    diag = r.diagnostics()
    rows = [(k, f"{v:.4f}" if "p-value" not in k else fmt_p(v)) for k, v in diag.items()]
    rows += [(f"VIF {k}", f"{v:.2f}") for k, v in r.vif.items()]
    return Table(pd.DataFrame(rows, columns=["Diagnostic", "Value"]), caption="Diagnostics")


def _stability_part(f: ModelFit) -> list[Display]:
    """The stability tests' table, and the range of the rolling beta of the first factor."""
    rows = [
        (
            t.test,
            t.date or "—",
            "—" if pd.isna(t.statistic) else f"{t.statistic:.3f}",
            fmt_p(t.p_value),
            "yes" if t.reject_5pct else ("—" if t.note else "no"),
        )
        for t in f.stability
    ]
    out: list[Display] = [
        Table(
            pd.DataFrame(rows, columns=["Test", "Date", "Statistic", "p", "Rejected at 5%"]),
            caption="Stability of the betas: CUSUM (recursive residuals: largest |CUSUM| over "
            "its 95% bound; OLS residuals: sup statistic) and a Chow F test per break date",
        )
    ]
    notes = [f"Chow test at {t.date}: {t.note}." for t in f.stability if t.note]
    if f.rolling is not None and f.result is not None:
        first = f.result.factors[0]
        beta = f.rolling.params[first].dropna()
        if len(beta):
            notes.append(
                f"Rolling β {first}: from {beta.min():.3f} ({beta.idxmin():%Y-%m-%d}) to "
                f"{beta.max():.3f} ({beta.idxmax():%Y-%m-%d}); full-sample "
                f"{f.result.betas[first]:.3f}."
            )
    out += [Markdown(md_escape(n)) for n in notes]
    return out


def model_section(a: TickerAnalysis, model_id: str) -> list[Display]:
    """Everything the report shows for one model."""
    f = a.fits[model_id]
    d = f.spec.definition
    key = f"{a.ticker}/{model_id}"
    head = Markdown(
        f"## {md_escape(d.label)} ({f.spec.frequency})\n\n{md_escape(d.description)}"
        + (
            f" Factors: {', '.join(md_escape(x) for x in d.factors)}."
            if d.origin in ("sectors", "custom")
            else ""
        )
    )
    if f.result is None:
        return [head, Markdown(f"**Not estimated:** {md_escape(f.error)}")]
    r = f.result
    assert f.design is not None
    out: list[Display] = [head]
    if f.design.alignment.dropped and any(f.design.alignment.dropped.values()):
        out.append(Markdown(f"Alignment: {md_escape(f.design.alignment.describe())}."))
    out += [_betas_table(r), _fit_table(r)]
    out += figure_with_caption(charts.exposure_bars(r), key=key)
    radar = charts.exposure_radar(r)
    if radar is None:
        out.append(Markdown("*Radar chart omitted: it needs at least three factors.*"))
    out += figure_with_caption(radar, key=key)
    out.append(Markdown(f"### Rolling exposures ({f.spec.rolling_window}-period window)"))
    if f.rolling is not None:
        out += figure_with_caption(charts.rolling_betas(f.rolling, max_points=500), key=key)
    else:
        out.append(
            Markdown(
                f"*Not shown: {r.nobs} observations, fewer than the rolling window of "
                f"{f.spec.rolling_window}.*"
            )
        )
    out.append(Markdown("### Return attribution and variance decomposition"))
    out += [_attribution_table(r)]
    out += figure_with_caption(charts.attribution_bars(r), key=key)
    out += [_variance_table(r)]
    out += figure_with_caption(charts.variance_bars(r), key=key)
    out.append(Markdown("### Diagnostics"))
    out.append(_diagnostics_table(r))
    out += _stability_part(f)
    if r.X.shape[1] > 1:  # a single factor's correlation matrix is just [1]
        out += figure_with_caption(charts.correlation_heatmap(r.X), key=key)
    out += figure_with_caption(charts.cumulative_fit(r, d.returns), key=key)
    if r.warnings:
        out.append(
            Markdown("**Warnings:**\n\n" + "\n".join(f"- {md_escape(w)}" for w in r.warnings))
        )
    return out


def model_sections(a: TickerAnalysis) -> list[Display]:
    """:func:`model_section` for every model of the run, in params order."""
    out: list[Display] = []
    for m in a.fits:
        out += model_section(a, m)
    return out


def notes_section(a: TickerAnalysis) -> list[Display]:
    """Short methodology notes for the PDF (the site has the full methodology page)."""
    p = a.params
    lines = [
        "- Engineered model: log returns; momentum, volatility, trend and mean reversion use "
        f"prices up to the previous period over a {p.factor_window}-period look-back.",
        "- Fama-French models: simple returns in excess of the risk-free rate on the "
        "factors of Ken French's data library.",
        "- OLS with a constant; HAC covariance uses the Bartlett kernel with "
        "floor(4 (T/100)^(2/9)) lags unless set; inference uses the t distribution.",
        "- α annualized = α per period × periods per year (252 daily, 52 weekly, 12 monthly).",
        "- Rolling windows that cannot be estimated are left empty, never filled.",
    ]
    return [Markdown("\n".join(lines))]
