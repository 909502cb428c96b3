"""The flare likelihood as a kernel object for the Bayesian model: the search's function, exactly.

:class:`FlareLikelihood` wraps one sample's :class:`~bayesnu.flare.search.FlareData`
at one position and exposes the kernel interface that the PyTensor Ops
(:mod:`bayesnu.ops.loglike`) and the model builders (:mod:`bayesnu.models`)
use: ``evaluate(p) -> (log L/L0, gradient)``, ``per_event(p) -> (entries,
Jacobian)``, ``param_names``, ``n_out``, ``gamma_bounds``, ``ns_max``.

``evaluate`` *is* :func:`bayesnu.flare.search.flare_loglr` (value and gradient
returned unchanged) and ``per_event`` *is* :func:`bayesnu.flare.search.flare_loglr_terms`,
whose sum ``flare_loglr`` is: ``log(1 + a (x_i - 1))`` for each event of the
region of interest and ``n_other log(1 - a)`` for all other events of the
sample (one entry), with ``a = ns / N`` and ``x_i`` the event's total
signal-over-background ratio (space x energy x time). The Bayesian flare model,
maximum likelihood and the search's TS profiles evaluate this one function;
the search's candidate ranking and final fits evaluate the same formula in
compiled form (:mod:`bayesnu.flare._kernels`, :mod:`bayesnu.flare._refine`).

With ``steady=True`` the time ratio is 1 (a steady source, uniform in live
time): the same spatial and energy S/B, parameters ``(ns, gamma)``; the flare
vs steady Bayes factor compares the two on equal terms.
"""

from __future__ import annotations

import numpy as np

from bayesnu.errors import InputError
from bayesnu.flare.search import GAMMA_BOUNDS, FlareData, flare_loglr, flare_loglr_terms

__all__ = ["FlareLikelihood", "steady_loglr"]


def steady_loglr(flare_data: FlareData, ns: float, gamma: float, grad: bool = False):
    """Steady-source ``log L/L0`` on the flare search's S/B (time ratio 1), and its gradient."""
    ell, jac = flare_loglr_terms(flare_data, ns, gamma)
    if ell is None:
        return (-np.inf, np.zeros(2)) if grad else -np.inf
    return (float(ell.sum()), jac.sum(axis=1)) if grad else float(ell.sum())


class FlareLikelihood:
    """Gaussian-flare (or steady) likelihood of one sample at one position (see module).

    Parameters
    ----------
    flare_data
        The sample's events near the position with their precomputed S/B
        (:meth:`bayesnu.flare.roi.FlareSampleModel.data_at`).
    steady
        Steady source (parameters ``ns, gamma``) instead of a Gaussian flare
        (``ns, gamma, t0, sigma_t``).
    name
        Sample name (labels only).
    """

    gamma_bounds = GAMMA_BOUNDS
    #: lower end of ns (the likelihood ratio is defined for ns >= 0)
    ns_min = 0.0

    def __init__(self, flare_data: FlareData, steady: bool = False, name: str = "") -> None:
        self.data = flare_data
        self.steady = bool(steady)
        self.name = name
        self.param_names: tuple[str, ...] = (("ns", "gamma") if steady
                                             else ("ns", "gamma", "t0", "sigma_t"))

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def n_theta(self) -> int:
        """Number of time parameters."""
        return self.n_params - 2

    @property
    def n_out(self) -> int:
        """Per-event entries: the ROI events and one for all other events."""
        return self.data.n + 1

    @property
    def n_total(self) -> int:
        return int(self.data.n_total)

    @property
    def n_roi(self) -> int:
        return int(self.data.n)

    @property
    def ns_max(self) -> float:
        """Upper end of ns inside the support (0.999 N)."""
        return 0.999 * float(self.data.n_total)

    def evaluate(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        """``log L/L0`` and its gradient: :func:`flare_loglr` (or :func:`steady_loglr`)."""
        p = np.asarray(p, dtype=np.float64)
        if self.steady:
            v, g = steady_loglr(self.data, p[0], p[1], grad=True)
        else:
            v, g = flare_loglr(self.data, p[0], p[1], p[2], p[3], grad=True)
        return float(v), np.asarray(g, dtype=np.float64)

    def per_event(self, p: np.ndarray, include_constants: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Per-event entries (sum = :meth:`evaluate`) and their Jacobian ``(n_params, n_out)``.

        Outside the support every entry is -inf with zero Jacobian.
        """
        if include_constants:
            raise InputError("the flare likelihood is a ratio to the background; absolute "
                             "per-event densities are not available", column="absolute")
        p = np.asarray(p, dtype=np.float64)
        if self.steady:
            ell, jac = flare_loglr_terms(self.data, float(p[0]), float(p[1]))
        else:
            ell, jac = flare_loglr_terms(self.data, float(p[0]), float(p[1]), float(p[2]),
                                         float(p[3]))
        if ell is None:
            return np.full(self.n_out, -np.inf), np.zeros((self.n_params, self.n_out))
        return ell, jac
