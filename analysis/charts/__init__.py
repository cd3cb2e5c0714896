"""Charts, each drawn twice from the same prepared data, one module per subject.

Every function takes result objects or plain pandas objects and returns a
:class:`Chart`: an interactive plotly figure for the HTML site and a static
matplotlib figure for the PDF, plus the caption a reader of the PDF needs.
Nothing is shown and nothing is written; the renderers decide where the
figures go.

Conventions
-----------
- Static figures are built with :class:`matplotlib.figure.Figure`, never
  through :mod:`matplotlib.pyplot`, so no figure is registered globally and
  nothing leaks in long-running kernels. The house look is applied while a
  figure is being built, through :func:`matplotlib.rc_context`, and never
  changes the global ``rcParams`` for good. (``rc_context`` does swap the
  global ``rcParams`` for the duration of the build, so two threads should not
  build static figures at the same moment.)
- Static figures are 6.5 inches wide (the text width of an A4 page with
  2.5 cm margins), with fonts of at least 8 pt once printed at that width.
  The reports write them as SVG with the text kept as text
  (:data:`analysis.report.pipeline.display.SVG_RC`); ``DPI`` only matters
  to a caller who saves a raster image.
- Plotly figures have no fixed width (they follow the page) and a modest
  height. Their template is a trimmed ``plotly_white`` look with the same
  palette and font as the static figures, carrying only the layout
  defaults, so that each figure's JSON stays small.
- Long series are plotted as float32 (about 7 significant digits, which
  halves the JSON compared with float64), dates as ``YYYY-MM-DD`` strings,
  and series longer than ``max_points`` are evenly thinned, keeping the
  first and last point. Short arrays (bars, heatmaps) are rounded to 6
  significant digits.

Modules
-------
- :mod:`~analysis.charts.base`: :class:`Chart`, :class:`ChartError`, the house
  style and the shared helpers.
- :mod:`~analysis.charts.exposure`: regression results (exposures, rolling
  betas, fit, decompositions, model comparison).
- :mod:`~analysis.charts.heatmaps`: correlation and exposure heatmaps.
- :mod:`~analysis.charts.regimes`: rolling correlations, coupling index and
  absorption ratio, Markov regime probability.
- :mod:`~analysis.charts.forecast`: Goyal-Welch plot, phase transition along
  the alpha grid, chosen alphas and coefficient paths.
- :mod:`~analysis.charts.backtest`: equity curves, drawdowns, positions and
  metrics by regime.
- :mod:`~analysis.charts.timeseries`: the line-chart machinery the last three
  share (thinning of frames, regime bands, stacked panels).

Regime bands: where a chart takes ``shading`` (a Series of labels on dates),
the runs of one category are drawn as light grey bands behind the lines,
as ``axvspan`` in the static figure and as layout shapes in plotly. Runs
separated by fewer than ``merge_gap`` rows are merged into one band so that
a flickering label does not produce hundreds of shapes; the caption says so.
"""

from __future__ import annotations

from analysis.charts.backtest import (
    drawdown_chart,
    equity_curve_chart,
    metric_bars_by_regime,
    position_chart,
)
from analysis.charts.base import _MPL_RC as _MPL_RC
from analysis.charts.base import (
    AXIS_LINE,
    BLUE,
    DIVERGING,
    DPI,
    FONT_FAMILY,
    GRID,
    INK,
    LIGHT_BLUE,
    MUTED,
    NAN_GREY,
    ORANGE,
    PALETTE,
    SIG_LEVEL,
    SLATE,
    WIDTH_IN,
    ZERO_LINE,
    Chart,
    ChartError,
)
from analysis.charts.base import _thin_positions as _thin_positions
from analysis.charts.exposure import (
    attribution_bars,
    cumulative_fit,
    exposure_bars,
    exposure_radar,
    model_comparison,
    rolling_betas,
    variance_bars,
)
from analysis.charts.forecast import (
    alpha_path_chart,
    coefficient_path_chart,
    goyal_welch_chart,
    phase_transition_chart,
)
from analysis.charts.heatmaps import (
    correlation_heatmap,
    correlation_matrix_heatmap,
    exposure_heatmap,
)
from analysis.charts.regimes import (
    coupling_absorption_chart,
    regime_probability_chart,
    rolling_correlation_chart,
)

# ``_MPL_RC`` and ``_thin_positions`` are re-exported (``X as X``) because the chart tests
# used them as attributes of the former single module ``analysis/charts.py``.

__all__ = [
    "AXIS_LINE",
    "BLUE",
    "DIVERGING",
    "DPI",
    "FONT_FAMILY",
    "GRID",
    "INK",
    "LIGHT_BLUE",
    "MUTED",
    "NAN_GREY",
    "ORANGE",
    "PALETTE",
    "SIG_LEVEL",
    "SLATE",
    "WIDTH_IN",
    "ZERO_LINE",
    "Chart",
    "ChartError",
    "alpha_path_chart",
    "attribution_bars",
    "coefficient_path_chart",
    "correlation_heatmap",
    "correlation_matrix_heatmap",
    "coupling_absorption_chart",
    "cumulative_fit",
    "drawdown_chart",
    "equity_curve_chart",
    "exposure_bars",
    "exposure_heatmap",
    "exposure_radar",
    "goyal_welch_chart",
    "metric_bars_by_regime",
    "model_comparison",
    "phase_transition_chart",
    "position_chart",
    "regime_probability_chart",
    "rolling_betas",
    "rolling_correlation_chart",
    "variance_bars",
]

from analysis.charts import strategy as strategy
from analysis.charts.strategy import (
    cumulative_quantile_chart,
    exposure_names_chart,
    factor_distribution_chart,
    factor_exposure_chart,
    factor_spread_chart,
    ic_chart,
    ic_decay_chart,
    ic_heatmap,
    importance_chart,
    monthly_returns_heatmap,
    quantile_returns_chart,
    rolling_sharpe_chart,
)

__all__ += [
    "cumulative_quantile_chart",
    "exposure_names_chart",
    "factor_distribution_chart",
    "factor_exposure_chart",
    "factor_spread_chart",
    "ic_chart",
    "ic_decay_chart",
    "ic_heatmap",
    "importance_chart",
    "monthly_returns_heatmap",
    "quantile_returns_chart",
    "rolling_sharpe_chart",
]
