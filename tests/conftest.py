"""Shared fixtures. Tests import the *installed* package."""

import os

import numpy as np
import pytest

import bayesnu  # noqa: F401  (first: configures PyTensor to link BLAS)

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


# ---------------------------------------------------------------------------
# shared synthetic point-source world (simulated; for independent-implementation
# and injection tests): one source, one log-normal energy response
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def synthetic_source():
    """The simulated source of the synthetic tests: ``Source("S", 150 deg, +20 deg)``."""
    from bayesnu.sources import Source

    return Source("S", 150.0, 20.0)


@pytest.fixture(scope="session")
def synthetic_setup_kwargs():
    """``LikelihoodSetup`` keywords of the synthetic world: log-normal response, power law."""
    from bayesnu.likelihood.synthetic import lognormal_response, power_law_true_weights

    return {"response": lognormal_response(-0.3, 0.3), "true_weights": power_law_true_weights}


@pytest.fixture(scope="session")
def injected_synthetic(synthetic_source, synthetic_setup_kwargs):
    """Factory: a simulated background sample with ``ns`` signal events at the synthetic source.

    ``injected_synthetic(seed, n_events, name, ns, gamma=2.0)`` -> EventSample.
    """
    from bayesnu.likelihood.synthetic import inject, synthetic_sample

    def make(seed: int, n_events: int, name: str, ns: float, gamma: float = 2.0, **kwargs):
        rng = np.random.default_rng(seed)
        base = synthetic_sample(rng, n_events, name=name, **kwargs)
        return inject(rng, base, synthetic_source.ra, synthetic_source.dec, ns, gamma,
                      synthetic_setup_kwargs["response"])

    return make


# ---------------------------------------------------------------------------
# real public data, loaded once per session
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def txs_ic86b():
    """IC86b sample (2012-2015) of the IceCube TXS 0506+056 release."""
    from bayesnu.data import load

    return load("txs0506")["IC86b"]


@pytest.fixture(scope="session")
def ic86_2011():
    """The IC86-2011 point-source data set."""
    from bayesnu.data import load

    return load("ic86_2011")
