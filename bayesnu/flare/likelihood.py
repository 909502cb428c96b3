"""The flare likelihood as a kernel object for the Bayesian model: the search's function, exactly.

:class:`FlareLikelihood` wraps one sample's :class:`~bayesnu.flare.search.FlareData`
at one position and exposes the kernel interface that the PyTensor Ops
(:mod:`bayesnu.ops.loglike`) and the model builders (:mod:`bayesnu.models`)
use: ``evaluate(p) -> (log L/L0, gradient)``, ``per_event(p) -> (entries,
Jacobian)``, ``param_names``, ``n_out``, ``gamma_bounds``, ``ns_max``.

``evaluate`` *is* :func:`bayesnu.flare.search.flare_loglr` (value and gradient
returned unchanged), so the Bayesian flare model, maximum likelihood, the
all-sky scan and the trials all evaluate one function. ``per_event`` splits
the same terms per event: ``log(1 + a (x_i - 1))`` for each event of the
region of interest and ``n_other log(1 - a)`` for all other events of the
sample (one entry), with ``a = ns / N`` and ``x_i`` the event's total
signal-over-background ratio (space x energy x time).

With ``steady=True`` the time ratio is 1 (a steady source, uniform in live
time): the same spatial and energy S/B, parameters ``(ns, gamma)``; the flare
vs steady Bayes factor compares the two on equal terms.
"""

from __future__ import annotations

import numpy as np

from bayesnu.errors import InputError
from bayesnu.flare.search import GAMMA_BOUNDS, FlareData, flare_loglr
from bayesnu.pdfs.temporal import gauss_norm

__all__ = ["FlareLikelihood", "steady_loglr"]


def steady_loglr(flare_data: FlareData, ns: float, gamma: float, grad: bool = False):
    """Steady-source ``log L/L0`` on the flare search's S/B (time ratio 1), and its gradient."""
    if not (ns >= 0 and GAMMA_BOUNDS[0] <= gamma <= GAMMA_BOUNDS[1] and ns < flare_data.n_total):
        return (-np.inf, np.zeros(2)) if grad else -np.inf
    ell, jac = _per_event(flare_data, ns, gamma, None, None)
    if ell is None:
        return (-np.inf, np.zeros(2)) if grad else -np.inf
    return (float(ell.sum()), jac.sum(axis=1)) if grad else float(ell.sum())


def _per_event(flare_data: FlareData, ns: float, gamma: float, t0: float | None,
               sigma_t: float | None):
    """Per-event terms and Jacobian, in the formulas of :func:`flare_loglr`."""
    n_total = flare_data.n_total
    n_other = n_total - flare_data.n
    le, dle = flare_data.log_sob_energy_at(gamma, grad=True)
    steady = t0 is None
    if steady:
        logx = flare_data.log_sob_space + le
    else:
        nz, dn_dt0, dn_ds = gauss_norm(t0, sigma_t, flare_data.intervals, grad=True)
        if not nz > 1e-300:
            return None, None
        z = (flare_data.t - t0) / sigma_t
        lt = (-0.5 * z * z - np.log(sigma_t) - 0.5 * np.log(2 * np.pi) - np.log(nz)
              + np.log(flare_data.livetime))
        logx = flare_data.log_sob_space + le + lt
    x = np.exp(np.minimum(logx, 700.0))
    a = ns / n_total
    den = 1.0 + a * (x - 1.0)
    if np.any(den <= 0) or a >= 1.0:
        return None, None
    n_par = 2 if steady else 4
    ell = np.empty(flare_data.n + 1)
    ell[:-1] = np.log(den)
    ell[-1] = n_other * np.log1p(-a)
    jac = np.zeros((n_par, flare_data.n + 1))
    jac[0, :-1] = (x - 1.0) / den / n_total
    jac[0, -1] = -n_other / (n_total - ns)
    w = a * x / den  # d ell_i / d log x_i
    jac[1, :-1] = w * dle
    if not steady:
        jac[2, :-1] = w * (z / sigma_t - dn_dt0 / nz)
        jac[3, :-1] = w * ((z * z - 1.0) / sigma_t - dn_ds / nz)
    return ell, jac


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
        bad = (np.full(self.n_out, -np.inf), np.zeros((self.n_params, self.n_out)))
        ns, gamma = float(p[0]), float(p[1])
        if not (ns >= 0 and GAMMA_BOUNDS[0] <= gamma <= GAMMA_BOUNDS[1]
                and ns < self.data.n_total):
            return bad
        if self.steady:
            ell, jac = _per_event(self.data, ns, gamma, None, None)
        else:
            t0, s = float(p[2]), float(p[3])
            if not (s > 0 and np.isfinite(t0)):
                return bad
            ell, jac = _per_event(self.data, ns, gamma, t0, s)
        return bad if ell is None else (ell, jac)
