"""PyTensor Ops around :class:`bayesnu.transport.Propagator`.

The numerics live in numpy (``Propagator``); the Ops are thin. One Op instance is
bound to one Propagator (built once for the masses, geometry and interactions), so
nothing is recompiled or rebuilt per call.

* :class:`NumuFluxOp` maps (eta or log10 eta, gamma) to the propagated nu_mu flux
  on the Propagator's grid (shape (N,)).
* Its gradient uses :class:`NumuFluxGradOp`, which returns the exact derivatives
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

__all__ = ["NumuFluxOp", "NumuFluxGradOp", "numu_flux_op"]

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


_CACHES: dict[int, _Cache] = {}


def _cache_for(prop: Propagator) -> _Cache:
    c = _CACHES.get(id(prop))
    if c is None or c.prop is not prop:
        c = _Cache(prop)
        _CACHES[id(prop)] = c
    return c


class NumuFluxGradOp(Op):
    """(p, gamma) -> (dF/dp, dF/dgamma), p = log10(eta) or eta; F the nu_mu flux (N,)."""

    __props__ = ("propagator", "log_eta")

    def __init__(self, propagator: Propagator, log_eta: bool = True):
        self.propagator = propagator
        self.log_eta = bool(log_eta)

    def make_node(self, p, gamma):
        p = _scalar_input(p, "eta")
        gamma = _scalar_input(gamma, "gamma")
        out = pt.vector(dtype="float64", shape=(self.propagator.N,))
        return Apply(self, [p, gamma], [out.type(), out.type()])

    def perform(self, node, inputs, outputs):
        p, gamma = float(inputs[0]), float(inputs[1])
        eta = 10.0**p if self.log_eta else p
        _, de, dg = _cache_for(self.propagator).get(eta, gamma)
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
        self._grad_op = NumuFluxGradOp(propagator, log_eta)

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
        c = _cache_for(self.propagator)
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
