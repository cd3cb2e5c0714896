"""Market regimes: correlation geometry, absorption ratio, lagged regime labels, Markov switching.

Geometry (:mod:`~analysis.regimes.geometry`) is unlagged, for charts; every label
(:mod:`~analysis.regimes.labels`, :mod:`~analysis.regimes.markov`) attached to row ``t``
uses data up to ``t-1`` only.
"""

from analysis.regimes.geometry import (
    absorption_ratio,
    correlation_matrix,
    coupling_index,
    delta_absorption,
    rolling_correlations,
)
from analysis.regimes.labels import (
    RegimeFrame,
    coupling_regime,
    lag_one,
    pair_sign_regime,
    regime_frame,
)
from analysis.regimes.markov import MarkovRegimes, markov_regimes

__all__ = [
    "MarkovRegimes",
    "RegimeFrame",
    "absorption_ratio",
    "correlation_matrix",
    "coupling_index",
    "coupling_regime",
    "delta_absorption",
    "lag_one",
    "markov_regimes",
    "pair_sign_regime",
    "regime_frame",
    "rolling_correlations",
]
