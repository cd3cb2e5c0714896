"""Offline sample data: real prices and Fama-French factors shipped with the package.

See ``PROVENANCE.md`` in this folder for where every series comes from.
"""

from __future__ import annotations

from analysis.data.sample.source import SampleSource

__all__ = ["SampleSource"]
