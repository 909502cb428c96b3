"""PyTensor Ops around :class:`bayesnu.transport.Propagator`.

The numerics live in numpy (``Propagator``); the Ops are thin. One Op instance is
bound to one Propagator (built once for the masses, geometry and interactions), so
nothing is recompiled or rebuilt per call.

* :class:`NumuFluxOp` maps (eta or log10 eta, gamma) to the propagated nu_mu flux
  on the Propagator's grid (shape (N,)).
* :class:`SecretNumuFluxOp` maps (log10 g_tautau, log10 m_phi, gamma) to the same flux at
  fixed eta (gamma-derivative exact, g and m_phi derivatives by central differences).
* The gradient of NumuFluxOp uses :class:`NumuFluxGradOp`, which returns the exact derivatives
  (d/d eta = -n0 d A Phi from the exponential representation, or the tangent of
  the implicit scheme; d/d gamma from the analytic derivative of the initial
  power law propagated by the same linear map).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from bayesnu.transport.propagator import Propagator

__all__ = ["NumuFluxOp", "NumuFluxGradOp", "SecretNumuFluxOp", "SecretNumuFluxGradOp", "numu_flux_op"]

_LN10 = np.log(10.0)


def _scalar_input(x, name: str):
    v = pt.as_tensor_variable(x)
    if v.ndim != 0:
        raise TypeError(f"{name} must be a scalar, got ndim={v.ndim}")
    if v.dtype not in ("float64", "float32", "int64", "int32", "int16", "int8"):
        raise TypeError(f"{name} must be a real number, got dtype {v.dtype}")
    return pt.cast(v, "float64") if v.dtype != "float64" else v


class _Cache:
    """Last evaluation with derivatives (NUTS asks for value and gradient at the same point)."""

    def __init__(self, prop: Propagator):
        self.prop = prop
        self.key = None
        self.val = None

    def get(self, eta: float, gamma: float):
        key = (eta, gamma)
        if key != self.key:
            self.val = self.prop.numu_flux(eta, gamma, derivatives=True)
            self.key = key
        return self.val


class NumuFluxGradOp(Op):
    """(p, gamma) -> (dF/dp, dF/dgamma), p = log10(eta) or eta; F the nu_mu flux (N,)."""

    __props__ = ("propagator", "log_eta")

    def __init__(self, propagator: Propagator, log_eta: bool = True, cache: _Cache | None = None):
        self.propagator = propagator
        self.log_eta = bool(log_eta)
        self._cache = cache if cache is not None else _Cache(propagator)

    def make_node(self, p, gamma):
        p = _scalar_input(p, "eta")
        gamma = _scalar_input(gamma, "gamma")
        out = pt.vector(dtype="float64", shape=(self.propagator.N,))
        return Apply(self, [p, gamma], [out.type(), out.type()])

    def perform(self, node, inputs, outputs):
        p, gamma = float(inputs[0]), float(inputs[1])
        eta = 10.0**p if self.log_eta else p
        _, de, dg = self._cache.get(eta, gamma)
        if self.log_eta:
            de = de * eta * _LN10
        outputs[0][0] = np.asarray(de, dtype=np.float64)
        outputs[1][0] = np.asarray(dg, dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.propagator.N,), (self.propagator.N,)]


class NumuFluxOp(Op):
    """Propagated nu_mu + nubar_mu flux (N,) as a function of (log10 eta or eta, gamma).

    Parameters
    ----------
    propagator
        A built :class:`Propagator` (any mode: distance, redshift or population).
    log_eta
        If True (default) the first input is log10(eta).
    """

    __props__ = ("propagator", "log_eta")

    def __init__(self, propagator: Propagator, log_eta: bool = True):
        self.propagator = propagator
        self.log_eta = bool(log_eta)
        self._cache = _Cache(propagator)
        self._grad_op = NumuFluxGradOp(propagator, log_eta, self._cache)

    def make_node(self, p, gamma):
        p = _scalar_input(p, "eta")
        gamma = _scalar_input(gamma, "gamma")
        out = pt.vector(dtype="float64", shape=(self.propagator.N,))
        return Apply(self, [p, gamma], [out.type()])

    def perform(self, node, inputs, outputs):
        p, gamma = float(inputs[0]), float(inputs[1])
        eta = 10.0**p if self.log_eta else p
        if not np.isfinite(eta) or eta < 0 or not np.isfinite(gamma):
            outputs[0][0] = np.full(self.propagator.N, np.nan)
            return
        c = self._cache
        if c.key == (eta, gamma):
            outputs[0][0] = np.asarray(c.val[0], dtype=np.float64)
        else:
            outputs[0][0] = np.asarray(self.propagator.numu_flux(eta, gamma), dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.propagator.N,)]

    def L_op(self, inputs, outputs, output_grads):
        (g,) = output_grads
        dp, dg = self._grad_op(*inputs)
        return [pt.dot(g, dp), pt.dot(g, dg)]


def numu_flux_op(propagator: Propagator, log_eta: bool = True) -> NumuFluxOp:
    """The Op for ``propagator`` (convenience constructor)."""
    return NumuFluxOp(propagator, log_eta)


class _SecretCache:
    """Propagators for recent (g, m_phi) points (each build costs one set of bin integrals)."""

    def __init__(self, grid, kwargs, size: int = 12):
        self.grid = grid
        self.kwargs = kwargs
        self.size = size
        self.store: dict[tuple[float, float], Propagator] = {}

    def get(self, g: float, m_phi_mev: float) -> Propagator:
        key = (g, m_phi_mev)
        p = self.store.get(key)
        if p is None:
            from bayesnu.transport.xsec import SecretInteraction

            kw = dict(self.kwargs)
            majorana = kw.pop("majorana", True)
            p = Propagator(self.grid, si=SecretInteraction(g, m_phi_mev, majorana=majorana), **kw)
            if len(self.store) >= self.size:
                self.store.pop(next(iter(self.store)))
            self.store[key] = p
        return p


class SecretNumuFluxGradOp(Op):
    """Gradient companion of :class:`SecretNumuFluxOp`: (dF/dlog10 g, dF/dlog10 m_phi, dF/dgamma)."""

    __props__ = ("token",)

    def __init__(self, parent: SecretNumuFluxOp):
        self.parent = parent
        self.token = parent.token

    def make_node(self, lg, lm, gamma):
        ins = [_scalar_input(lg, "log10_g"), _scalar_input(lm, "log10_mphi"), _scalar_input(gamma, "gamma")]
        out = pt.vector(dtype="float64", shape=(self.parent.N,))
        return Apply(self, ins, [out.type(), out.type(), out.type()])

    def perform(self, node, inputs, outputs):
        lg, lm, gamma = (float(v) for v in inputs)
        par = self.parent
        h = par.fd_step
        f = par._flux
        outputs[0][0] = (f(lg + h, lm, gamma) - f(lg - h, lm, gamma)) / (2 * h)
        outputs[1][0] = (f(lg, lm + h, gamma) - f(lg, lm - h, gamma)) / (2 * h)
        p = par.cache.get(10.0**lg, 10.0**lm)
        outputs[2][0] = np.asarray(p.numu_flux(par.eta, gamma, derivatives=True)[2], dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.parent.N,)] * 3


class SecretNumuFluxOp(Op):
    """nu_mu flux (N,) as a function of (log10 g_tautau, log10 m_phi [MeV], gamma) at fixed eta.

    Each new (g, m_phi) point builds a :class:`Propagator` (bin integrals of the secret
    cross sections, ~0.1 s at 300 bins); recent points are cached. The gamma-derivative
    is exact; the g and m_phi derivatives are central differences in log10 with step
    ``fd_step`` (documented approximation, O(fd_step^2)).

    Parameters
    ----------
    grid
        Energy grid.
    eta
        Relic overdensity (paper 002 uses 1 for the secret-interaction analysis).
    fd_step
        Step in log10 g and log10 m_phi for the numerical derivatives.
    **propagator_kwargs
        Geometry (d_eff_mpc / z / zmax), masses, ``majorana`` and the other
        :class:`Propagator` options.
    """

    __props__ = ("token",)
    _count = 0

    def __init__(self, grid, eta: float = 1.0, fd_step: float = 1e-3, **propagator_kwargs):
        SecretNumuFluxOp._count += 1
        self.token = SecretNumuFluxOp._count
        self.eta = float(eta)
        self.fd_step = float(fd_step)
        self.cache = _SecretCache(grid, propagator_kwargs)
        self.N = grid.nbins
        self._grad_op = SecretNumuFluxGradOp(self)

    def _flux(self, lg: float, lm: float, gamma: float) -> np.ndarray:
        p = self.cache.get(10.0**lg, 10.0**lm)
        return np.asarray(p.numu_flux(self.eta, gamma), dtype=np.float64)

    def make_node(self, lg, lm, gamma):
        ins = [_scalar_input(lg, "log10_g"), _scalar_input(lm, "log10_mphi"), _scalar_input(gamma, "gamma")]
        out = pt.vector(dtype="float64", shape=(self.N,))
        return Apply(self, ins, [out.type()])

    def perform(self, node, inputs, outputs):
        lg, lm, gamma = (float(v) for v in inputs)
        if not all(np.isfinite([lg, lm, gamma])):
            outputs[0][0] = np.full(self.N, np.nan)
            return
        outputs[0][0] = self._flux(lg, lm, gamma)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.N,)]

    def L_op(self, inputs, outputs, output_grads):
        (g,) = output_grads
        dlg, dlm, dgam = self._grad_op(*inputs)
        return [pt.dot(g, dlg), pt.dot(g, dlm), pt.dot(g, dgam)]
