"""Shared fixtures. Every random generator is seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import simulate


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)


@pytest.fixture
def simulated(rng: np.random.Generator) -> tuple[pd.Series, pd.DataFrame]:
    return simulate(rng, {"Mkt-RF": 1.1, "SMB": 0.4, "HML": -0.3})
