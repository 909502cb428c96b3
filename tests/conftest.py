"""Shared fixtures. Tests import the *installed* package."""

import os
from pathlib import Path

import numpy as np
import pytest

import bayesnu  # noqa: F401  (first: configures PyTensor to link BLAS)

os.environ.setdefault("MPLBACKEND", "Agg")

# Real public data shipped beside the repository (read-only). Tests that need the
# full original files (not the bundled compact copies) use this path and are
# skipped only when the folder is absent, which never happens in CI.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)
