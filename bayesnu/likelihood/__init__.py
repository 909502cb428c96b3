"""Unbinned mixture likelihood: numerical kernel and parameter-independent set-up.

* :class:`MixtureLikelihood` -- the vectorised kernel ``log L - log L(ns=0)`` and
  its exact gradient in ``(ns, gamma, *theta)``, over one or more samples and
  one or more (stacked) sources, with an optional temporal PDF.
* :class:`LikelihoodSetup` -- builds kernels from a Dataset and sources (data,
  RA scrambles, injected events).
* :mod:`bayesnu.likelihood.trial` (import it explicitly; needs numba) --
  :class:`~bayesnu.likelihood.trial.TrialKernel` (one-source background trials in
  ~0.4 ms on IC86-2011) and :func:`~bayesnu.likelihood.trial.fast_fit`.
* :mod:`bayesnu.likelihood.nsprofile` -- :func:`~bayesnu.likelihood.nsprofile.newton_ns`,
  the one ns-profile solver (several samples with signal fractions; the flare
  analysis uses it with one sample).

Time-dependent likelihoods (flares)
-----------------------------------
Implement :class:`bayesnu.pdfs.temporal.TemporalPDF` (``param_names``,
``signal(t, theta) -> (pdf, dpdf/dtheta)``, optionally ``in_support`` and
``sample_weight``), create one instance per sample (its uptime), and build the
kernel with ``setup.likelihood(temporal=[pdf_1, ..., pdf_K], times=...)``
(``times`` optional, e.g. a time scramble). The kernel's parameter vector
becomes ``(ns, gamma, *param_names)``; :class:`bayesnu.ops.LogLikeOp` /
:class:`bayesnu.ops.PerEventLogLikeOp` take them as scalar inputs in that order
and return gradients for all of them; ``bayesnu.models.pointsource.add_point_source``
needs priors for the extra parameters (``priors={"t0": Prior(...), ...}``) and
``bayesnu.inference.fit`` takes their bounds from uniform priors or ``bounds=``.
The ROI keeps events by spatial x energy S/B > ``roi_eps``; a time PDF can
raise an event's ratio by up to livetime / flare duration, so pass a
correspondingly smaller ``roi_eps`` to :class:`LikelihoodSetup` for short flares.
"""

from bayesnu.likelihood.kernel import MixtureLikelihood, SampleTerm
from bayesnu.likelihood.setup import E0_GEV, LikelihoodSetup, SampleSetup
from bayesnu.sources import Source

__all__ = ["E0_GEV", "LikelihoodSetup", "MixtureLikelihood", "SampleSetup", "SampleTerm",
           "Source"]
