"""Simulation: background scrambles, signal injection, cascade samples.

Every function takes a numpy ``Generator`` and returns :class:`bayesnu.data.Dataset`
objects, which :func:`bayesnu.data.write_generic` writes in the generic format
(:func:`write`).

* :func:`scramble` -- RA and/or time scrambled background pseudo-experiment.
* :func:`inject` -- steady or flaring point source (Gaussian / box), for a flux or ns.
* :func:`cascade_sample` -- ~60k-event cascade sample from
  :class:`bayesnu.detector.CascadeDetector`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bayesnu.data.core import Dataset
from bayesnu.simulate.inject import (
    BoxFlare,
    GaussianFlare,
    angular_model_for,
    inject,
    prepare_injection,
    response_for,
    sample_true_energies,
    signal_sample,
)
from bayesnu.simulate.scramble import scramble, scramble_sample

__all__ = ["scramble", "scramble_sample", "inject", "signal_sample", "sample_true_energies",
           "GaussianFlare", "BoxFlare", "cascade_sample", "write", "response_for",
           "angular_model_for", "prepare_injection"]


def cascade_sample(rng: np.random.Generator, n_events: int | None = None, poisson: bool = False,
                   detector=None) -> Dataset:
    """Simulated cascade data set (one sample ``"cascade"``), see :class:`CascadeDetector`."""
    from bayesnu.detector.cascade import CascadeDetector

    det = CascadeDetector() if detector is None else detector
    s = det.simulate(rng, n_events=n_events, poisson=poisson)
    return Dataset(name="cascade_sim", format="simulated", samples=(s,),
                   meta={"source": "simulated", "detector": "bayesnu.detector.CascadeDetector",
                         "notes": "parametrised cascade detector; uptime after IC86_VII simulated"})


def write(dataset: Dataset, path: str | os.PathLike) -> Path:
    """Write a simulated data set in the generic event format (npz/csv/fits by suffix)."""
    from bayesnu.data import write_generic

    return write_generic(dataset, path)
