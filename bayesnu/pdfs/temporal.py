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

:class:`GaussianFlarePDF` (the one uptime-truncated Gaussian of the package)
and :class:`BoxFlarePDF` are the flare PDFs; :class:`UniformUptimePDF`
(steady source, no parameters) is the trivial case. The module also holds the
primitives they rest on (:func:`gauss_norm`, :func:`interval_mass`,
:func:`live_between`, :func:`inside_uptime`, defined in :mod:`bayesnu.data.uptime`
and re-exported here), which the flare search, the simulation and the
detector's flux <-> events conversion reuse.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from bayesnu.data.core import Uptime
from bayesnu.data.uptime import (
    gauss_norm,
    inside_uptime,
    interval_mass,
    live_between,
    uptime_intervals,
)

__all__ = ["TemporalPDF", "UniformUptimePDF", "GaussianFlarePDF", "BoxFlarePDF",
           "uptime_intervals", "interval_mass", "gauss_norm", "live_between", "inside_uptime"]



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


class GaussianFlarePDF(TemporalPDF):
    """Gaussian flare ``(t0, sigma_t)``: THE uptime-truncated Gaussian time PDF.

    ``f(t) = phi((t - t0)/sigma_t) / (sigma_t Z)`` inside the good runs (0
    outside, day^-1), ``Z(t0, sigma_t)`` the Gaussian's mass in the uptime
    (:func:`gauss_norm`), with analytic derivatives; ``sample_weight`` is ``Z``
    (with several samples ns is split according to where the flare falls in
    time, times acceptance).

    The likelihood asks every sample for ``sample_weight`` and then for
    ``signal`` (which divides by the same mass) at the same ``(t0, sigma_t)``;
    ``Z`` is an erf sum over all good runs (~1,000 per season) and was half the
    cost of a likelihood-and-gradient evaluation, so the last ``(Z, dZ/dt0,
    dZ/dsigma_t)`` of :func:`gauss_norm` is cached (one entry, per instance).
    """

    param_names = ("t0", "sigma_t")

    def __init__(self, uptime) -> None:
        super().__init__(uptime)
        self.intervals = uptime_intervals(uptime)
        self._norm_key: tuple[float, float] | None = None
        self._norm_val: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def in_support(self, theta: np.ndarray) -> bool:
        t0, s = float(theta[0]), float(theta[1])
        return bool(np.isfinite(t0) and np.isfinite(s) and s > 0)

    def norm(self, t0: float, sigma: float) -> tuple[float, float, float]:
        """``(Z, dZ/dt0, dZ/dsigma)`` at one ``(t0, sigma)``: :func:`gauss_norm`, cached."""
        if self._norm_key != (t0, sigma):
            nz, dn0, dns = gauss_norm(t0, sigma, self.intervals, grad=True)
            self._norm_val = (float(nz), float(dn0), float(dns))
            self._norm_key = (t0, sigma)
        return self._norm_val

    def signal(self, t: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(t, dtype=np.float64)
        t0, s = float(theta[0]), float(theta[1])
        nz, dn0, dns = self.norm(t0, s)
        if not nz > 1e-300:
            return np.zeros_like(t), np.zeros((2, t.size))
        z = (t - t0) / s
        pdf = np.exp(-0.5 * z * z) / (s * np.sqrt(2.0 * np.pi) * nz)
        pdf = np.where(inside_uptime(self.intervals, t), pdf, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            grad = np.stack([pdf * (z / s - dn0 / nz), pdf * ((z * z - 1.0) / s - dns / nz)])
        # events many widths away (sigma far below a day): pdf 0, d log pdf overflows; the
        # derivative is 0 (the limit), not 0 * inf = NaN
        grad[np.isnan(grad) & (pdf == 0.0)[None, :]] = 0.0
        return pdf, grad

    def sample_weight(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        nz, dn0, dns = self.norm(float(theta[0]), float(theta[1]))
        return nz, np.array([dn0, dns])


class BoxFlarePDF(TemporalPDF):
    """Box flare ``(t_start, t_stop)`` for the likelihood engine.

    The box edges are not differentiable at event times: the gradient returned
    is zero (use gradient-free samplers, e.g. nautilus, or profile the edges
    as :func:`bayesnu.flare.search.fit_flare` does).
    """

    param_names = ("t_start", "t_stop")

    def __init__(self, uptime) -> None:
        super().__init__(uptime)
        self.intervals = uptime_intervals(uptime)

    def in_support(self, theta: np.ndarray) -> bool:
        a, b = float(theta[0]), float(theta[1])
        return bool(np.isfinite(a) and np.isfinite(b) and b > a
                    and live_between(self.intervals, a, b) > 0)

    def signal(self, t: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(t, dtype=np.float64)
        a, b = float(theta[0]), float(theta[1])
        live = float(live_between(self.intervals, a, b))
        if live <= 0:
            return np.zeros_like(t), np.zeros((2, t.size))
        pdf = np.where(inside_uptime(self.intervals, t) & (t >= a) & (t <= b), 1.0 / live, 0.0)
        return pdf, np.zeros((2, t.size))

    def sample_weight(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        live = float(live_between(self.intervals, float(theta[0]), float(theta[1])))
        return live, np.zeros(2)
