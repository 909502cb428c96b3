"""Interface of temporal PDFs (time-dependent, e.g. flare, likelihoods).

The likelihood kernel (:mod:`bayesnu.likelihood`) multiplies each event's
signal-over-background ratio by the time ratio ``S_t(t_i; theta) / B_t(t_i)``
and adds the time parameters ``theta`` to its parameter vector
``(ns, gamma, *theta)``. A temporal PDF therefore provides, for the events of
one sample:

* :meth:`TemporalPDF.signal` -- ``S_t(t; theta)`` in day^-1, normalised over the
  sample's uptime, and its derivatives with respect to each parameter;
* :meth:`TemporalPDF.background` -- ``B_t(t)``, uniform over the uptime
  (``1/livetime`` inside a good run, 0 outside);
* :meth:`TemporalPDF.sample_weight` -- optional relative weight of this
  sample in the split of ``ns`` between samples (for a flare: the fraction of
  the flare's time PDF that falls in this sample's uptime), with derivatives;
* :attr:`TemporalPDF.param_names` and :meth:`TemporalPDF.in_support`.

The flare package implements the Gaussian and box PDFs behind this interface;
:class:`UniformUptimePDF` (steady source, no parameters) is the trivial case.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from bayesnu.data.core import Uptime

__all__ = ["TemporalPDF", "UniformUptimePDF"]


class TemporalPDF(ABC):
    """Base class of a time PDF with continuous parameters ``theta``.

    Parameters
    ----------
    uptime
        Good-run intervals of the sample this PDF belongs to.

    Notes
    -----
    Subclasses set :attr:`param_names` (e.g. ``("t0", "sigma_t")``) and
    implement :meth:`signal`. All parameters of all samples' temporal PDFs in
    one likelihood must share the same names and order (one ``theta`` vector).
    """

    #: names of the continuous parameters, in the order of ``theta``
    param_names: tuple[str, ...] = ()

    def __init__(self, uptime: Uptime) -> None:
        self.uptime = uptime

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @abstractmethod
    def signal(self, t: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signal time PDF and its gradient.

        Parameters
        ----------
        t
            Event times, MJD, shape (n,).
        theta
            Parameters, shape (n_params,).

        Returns
        -------
        pdf, grad
            ``pdf`` shape (n,) in day^-1 (normalised over the uptime);
            ``grad`` shape (n_params, n), d pdf / d theta_j.
        """

    def background(self, t: np.ndarray) -> np.ndarray:
        """Background time PDF: uniform in uptime (day^-1), 0 outside good runs."""
        t = np.asarray(t, dtype=np.float64)
        return np.where(self.uptime.contains(t), 1.0 / self.uptime.livetime_days, 0.0)

    def in_support(self, theta: np.ndarray) -> bool:
        """Whether ``theta`` is an allowed parameter point (default: finite)."""
        return bool(np.all(np.isfinite(theta)))

    def sample_weight(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Relative weight of this sample in the split of ns, and its gradient.

        Default: 1 (the split follows the samples' acceptances only).
        """
        return 1.0, np.zeros(self.n_params)

    def ratio(self, t: np.ndarray, theta: np.ndarray, background: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """``S_t / B_t`` and its gradient (shape (n,), (n_params, n)).

        Events outside the uptime (B_t = 0) get ratio 0.
        """
        b = self.background(t) if background is None else background
        s, ds = self.signal(t, theta)
        inv = np.divide(1.0, b, out=np.zeros_like(b), where=b > 0)
        return s * inv, ds * inv[None, :]


class UniformUptimePDF(TemporalPDF):
    """Steady source: signal time PDF equals the background (ratio 1)."""

    param_names = ()

    def signal(self, t: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = self.background(t)
        return b, np.zeros((0, b.size))
