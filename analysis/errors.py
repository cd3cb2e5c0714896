"""The package's exception hierarchy.

Every error the library raises on purpose derives from :class:`AnalysisError`,
so a caller (the CLI, a notebook, the report runner) can catch one class and
show its message. Messages name the source, ticker, file or key involved, the
value received and what would have been accepted.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Root of every error raised on purpose by :mod:`analysis`."""


class DataError(AnalysisError):
    """Price or factor data that cannot be used as delivered."""


class UnknownTickerError(DataError):
    """A ticker the source does not know, or for which it returned no prices."""


class InsufficientDataError(DataError):
    """Fewer observations than the model or window needs."""


class SourceUnavailableError(DataError):
    """A remote source could not be reached (network down, rate limited, HTTP error)."""


class RateLimitError(SourceUnavailableError):
    """The remote source kept rate-limiting after the bounded retries."""


class EstimationError(AnalysisError):
    """A model that cannot be estimated as specified."""


class SingularDesignError(EstimationError):
    """A design matrix that is rank deficient or too ill-conditioned to trust."""


class ParamsError(AnalysisError):
    """A params file (YAML run definition) that is malformed or invalid."""
