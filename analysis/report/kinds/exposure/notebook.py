"""The ``exposure`` report for one ticker: fits, tables to save, and notebook sections.

The notebook template (``templates/exposure.ipynb``) calls this module:
:meth:`Run.open` reads the params file and the run's data snapshot,
:func:`analyze_ticker` fits every model of the run for one ticker, and the
``*_section`` functions return the display objects of each part of the
report. A model that cannot be estimated for the ticker (too short a
history, a singular design) is recorded with its reason and shown as such;
the other models still run. A portfolio of the params is analysed like a
ticker: its value index is a price column of the snapshot. With a
``benchmark``, every model is also fitted to the active return (the unit's
``y`` minus the benchmark's, see :func:`active_fit`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from analysis import __version__, charts
from analysis.backtest.relative import information_ratio, tracking_error
from analysis.data.base import BAD_PRICES
from analysis.data.quality import Finding, check_prices
from analysis.errors import (
    AnalysisError,
    DataError,
    InsufficientDataError,
    UnknownTickerError,
)
from analysis.factors.models import Design, build_design, min_observations
from analysis.regression.ols import OLSResult, fit_design
from analysis.regression.rolling import RollingResult, rolling_ols
from analysis.regression.stability import StabilityTest, stability_frame, stability_tests
from analysis.report.kinds.exposure import (
    ACTIVE_COLUMNS,
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
class ActiveFit:
    """One model fitted to a unit's active return against the benchmark.

    Attributes
    ----------
    benchmark
        The benchmark's symbol or portfolio name.
    result
        OLS of the active return on the unit's regressors, same covariance as the
        main fit.
    tracking_error
        Annualized standard deviation of the active return (ddof 1, × √periods per year).
    information_ratio
        Annualized mean active return (× periods per year) over the tracking error.
    """

    benchmark: str
    result: OLSResult
    tracking_error: float
    information_ratio: float

    def to_frame(self) -> pd.DataFrame:
        """The coefficients with the tracking error and information ratio on every row."""
        return (
            self.result.to_frame()
            .drop(columns=["ci_low", "ci_high"])
            .assign(tracking_error=self.tracking_error, information_ratio=self.information_ratio)
        )


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
    active: ActiveFit | None = None
    active_note: str | None = None
    """Why there is no active fit (no benchmark: ``None``)."""

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

    def active_frame(self) -> pd.DataFrame:
        """Rows of ``active.csv`` for this ticker (models with an active fit only)."""
        frames = [
            f.active.to_frame().assign(ticker=self.ticker, model=m)
            for m, f in self.fits.items()
            if f.active is not None
        ]
        if not frames:
            return pd.DataFrame(columns=list(ACTIVE_COLUMNS))
        return pd.concat(frames, ignore_index=True)[list(ACTIVE_COLUMNS)]

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
        ``tables/<slug>.stability.csv``, ``.quality.csv`` and ``.active.csv`` (merged
        into ``stability.csv``, ``quality.csv`` and ``active.csv``),
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
            write_csv(paths.part(self.slug, "active"), self.active_frame()),
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


def active_design(
    params: ExposureParams, data: RunData, ticker: str, spec: ResolvedModel, design: Design
) -> tuple[Design, pd.Series]:
    """The regression of ``ticker``'s active return on its regressors under ``spec``.

    The active return is the unit's ``y`` minus the benchmark's ``y`` under the same
    model and frequency (so a risk-free rate cancels), on the dates both have;
    ``X`` is the unit's ``design.X`` on those dates, its centred characteristics
    centred again on them. Also returns the benchmark's ``y``.

    Raises
    ------
    AnalysisError
        When the benchmark's design cannot be built or too few dates remain.
    """
    assert params.benchmark is not None
    bench = design_for(params, data, params.benchmark, spec).y
    common = design.y.index.intersection(bench.index)
    need = min_observations(design.X.shape[1])
    if len(common) < need:
        raise InsufficientDataError(
            f"{ticker} and the benchmark {params.benchmark} share {len(common)} "
            f"observations under {spec.id}; the active regression needs at least {need}"
        )
    y = (design.y.loc[common] - bench.loc[common]).rename(f"{ticker} - {params.benchmark}")
    X = design.X.loc[common]
    X = X.assign(**{c: X[c] - X[c].mean() for c in design.centered})
    return replace(design, y=y, X=X), bench


def active_fit(
    params: ExposureParams, data: RunData, ticker: str, spec: ResolvedModel, design: Design
) -> ActiveFit:
    """:func:`active_design` fitted like the main regression, with the tracking error and
    information ratio of the active return (:mod:`analysis.backtest.relative`)."""
    assert params.benchmark is not None
    active, bench = active_design(params, data, ticker, spec, design)
    ppy = design.periods_per_year
    return ActiveFit(
        benchmark=params.benchmark,
        result=fit_design(active, cov_type=params.cov_type, maxlags=params.hac_maxlags),
        tracking_error=tracking_error(design.y, bench, periods_per_year=ppy),
        information_ratio=information_ratio(design.y, bench, periods_per_year=ppy),
    )


def _active_or_note(
    run: Run, ticker: str, spec: ResolvedModel, design: Design
) -> tuple[ActiveFit | None, str | None]:
    """The active fit, or why there is none (``(None, None)`` without a benchmark)."""
    p = run.params
    if p.benchmark is None:
        return None, None
    if ticker == p.benchmark:
        return None, f"{ticker} is the benchmark; its active return is zero"
    try:
        return active_fit(p, run.data, ticker, spec, design), None
    except AnalysisError as exc:
        return None, str(exc)


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
        active, note = _active_or_note(run, ticker, spec, design)
        return ModelFit(
            spec, design, result, rolling, None, time.perf_counter() - t0, tests, active, note
        )
    except AnalysisError as exc:
        return ModelFit(spec, error=str(exc), seconds=time.perf_counter() - t0)


class DataQualityError(DataError):
    """The params ask a data-quality finding to fail the ticker."""


def check_ticker(run: Run, ticker: str) -> list[Finding]:
    """The data-quality findings on the ticker's prices and the market proxy's (for a
    portfolio: on its value index, its members' prices and the market proxy's)."""
    rules = run.params.data_quality.rules()
    spec = run.params.portfolios.get(ticker)
    members = list(spec.weights) if spec is not None else []
    out = []
    for name in dict.fromkeys([ticker, *members, run.params.market]):
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
    if ticker not in run.params.units:
        raise UnknownTickerError(f"{ticker!r} is not one of the run's tickers or portfolios")
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
    spec = p.portfolios.get(a.ticker)
    rows = [
        ("Portfolio" if spec is not None else "Ticker", a.ticker),
        *(_portfolio_rows(a) if spec is not None else []),
        ("Market proxy", p.market),
        *([("Benchmark", p.benchmark)] if p.benchmark else []),
        ("Data source", a.run.data.source),
        (
            "Value index available" if spec is not None else "Prices available",
            f"{a.first:%Y-%m-%d} to {a.last:%Y-%m-%d} ({a.n_prices} days)",
        ),
        ("Analysis window", f"{p.start or 'first available'} to {p.end or 'last available'}"),
        ("Engineered look-back", f"{p.factor_window} periods"),
        ("Covariance", "HAC (Newey-West, Bartlett kernel)" if p.cov_type == "HAC" else p.cov_type),
        ("Library version", __version__),
    ]
    frame = pd.DataFrame(rows, columns=["Item", "Value"])
    return [Table(frame, caption="Run settings"), *quality_part(a)]


REBALANCE_TEXT = {
    "monthly": "monthly: back to the target weights for the first trading day of each month",
    "buy_and_hold": "buy and hold: target weights at the start, drifting with returns after",
}


def _portfolio_rows(a: TickerAnalysis) -> list[tuple[str, str]]:
    """Members and weights, the rebalancing rule and the missing-price rule of a portfolio."""
    spec = a.params.portfolios[a.ticker]
    return [
        ("Members (target weight)", ", ".join(f"{m} {w:.2%}" for m, w in spec.weights.items())),
        ("Rebalancing", REBALANCE_TEXT[spec.rebalance]),
        (
            "Value index",
            f"100 on {a.first:%Y-%m-%d}, the first date every member has a price; a missing "
            "price keeps the member's last one",
        ),
    ]


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
                **(
                    {
                        "Tracking error": f.active.tracking_error if f.active else None,
                        "Information ratio": f.active.information_ratio if f.active else None,
                    }
                    if a.params.benchmark and a.ticker != a.params.benchmark
                    else {}
                ),
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
                "Tracking error": fmt_pct(2),
                "Information ratio": lambda v: "—" if pd.isna(v) else f"{v:.2f}",
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


def _active_section(f: ModelFit, benchmark: str | None) -> list[Display]:
    """The active exposures' table with the tracking error and information ratio, or why
    there are none (nothing without a benchmark)."""
    if benchmark is None:
        return []
    head = Markdown(f"### Active exposures vs {md_escape(benchmark)}")
    if f.active is None:
        return [head, Markdown(f"*Not computed: {md_escape(f.active_note or 'no fit')}.*")]
    r = f.active.result
    table = _betas_table(r)
    table = Table(
        table.frame.drop(columns=["95% CI low", "95% CI high"]),
        caption=f"Active exposures vs {benchmark} ({_cov_label(r)})",
        formats=table.formats,
    )
    ppy = r.periods_per_year
    te, ir = f.active.tracking_error, f.active.information_ratio
    return [
        head,
        Markdown(
            f"The active return is this report's return minus {md_escape(benchmark)}'s under "
            f"the same model ({r.nobs} common periods, {r.start:%Y-%m-%d} to {r.end:%Y-%m-%d}), "
            "regressed on the same factors: each coefficient is the exposure in excess of the "
            "benchmark's."
        ),
        table,
        Markdown(
            f"Tracking error {fmt_pct(2)(te)} (sd of the active return × √{ppy}); information "
            f"ratio {'—' if math.isnan(ir) else f'{ir:.2f}'} (mean active return × {ppy} over "
            "the tracking error)."
        ),
    ]


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
    out += _active_section(f, a.params.benchmark)
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
    spec = p.portfolios.get(a.ticker)
    if spec is not None:
        lines.append(
            f"- Portfolio {md_escape(a.ticker)}: value index of its members at fixed target "
            f"weights, rebalanced {md_escape(REBALANCE_TEXT[spec.rebalance])}; it starts when "
            "every member has a price, and a missing price keeps the member's last one."
        )
    if p.benchmark:
        lines.append(
            f"- Active exposures vs {md_escape(p.benchmark)}: OLS of this report's y minus the "
            "benchmark's y (same model, same dates; the risk-free rate cancels) on the same "
            "factors. Tracking error = sd(active) × √periods per year; information ratio = "
            "mean(active) × periods per year / tracking error."
        )
    return [Markdown("\n".join(lines))]
