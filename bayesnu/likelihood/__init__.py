"""Unbinned mixture likelihood: numerical kernel and parameter-independent set-up.

* :class:`MixtureLikelihood` -- the vectorised kernel ``log L - log L(ns=0)`` and
  its exact gradient in ``(ns, gamma, *theta)``, over one or more samples and
  one or more (stacked) sources, with an optional temporal PDF.
* :class:`LikelihoodSetup` -- builds kernels from a Dataset and sources (data,
  RA scrambles, injected events).
"""

from bayesnu.likelihood.kernel import MixtureLikelihood, SampleTerm
from bayesnu.likelihood.setup import E0_GEV, LikelihoodSetup, SampleSetup, Source

__all__ = ["E0_GEV", "LikelihoodSetup", "MixtureLikelihood", "SampleSetup", "SampleTerm",
           "Source"]
