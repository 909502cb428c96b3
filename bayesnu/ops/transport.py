"""PyTensor Ops around the CnuB transport solver (:mod:`bayesnu.transport`).

Import path: ``from bayesnu.ops.transport import numu_flux, secret_numu_flux,
TransportFluxOp, SecretFluxOp`` (the former ``bayesnu.transport.ops`` is gone: Ops
live with the other Ops in :mod:`bayesnu.ops`).

The numerics live in numpy/numba (:class:`~bayesnu.transport.Propagator`); the Ops
are thin and linear in their parameters:

* :class:`TransportFluxOp` ``(eta, gamma) -> Phi_mu`` (N,): the propagated
  nu_mu + nubar_mu flux of one built Propagator (any geometry). Exact gradient
  (:class:`TransportFluxGradOp`: d/d eta = -n0 d A Phi from the exponential
  representation or the tangent of the discrete redshift scheme; d/d gamma from the
  analytic derivative of the initial power law).
* :class:`SecretFluxOp` ``(g, m_phi [MeV], gamma) -> Phi_mu`` (N,) at a fixed eta: a
  Propagator per (g, m_phi) point (recent points cached on the Op). d/d gamma exact;
  d/d g and d/d m_phi by central differences in log g, log m_phi (relative step
  ``rel_step``, error O(rel_step^2)).

Changes of variable belong to the graph, not to the Ops: :func:`numu_flux` takes
``log10_eta`` (or ``eta``) and :func:`secret_numu_flux` takes ``log10_g`` and
``log10_m_phi``; PyTensor differentiates 10**x itself.

Conventions: every Op checks in ``make_node`` that its inputs are real scalars, has
``infer_shape`` and a gradient tested with ``verify_grad``. Invalid parameter values
(eta < 0, g <= 0, m_phi <= 0, NaN, a non-finite gamma) give the all-absorbed flux
(zeros) with zero gradient, never NaN and never an exception; a likelihood built on a
zero flux returns -inf. A huge eta (up to 1e300) is physically all-absorbed and gives
zeros too. Identity: ``__props__`` only (the Propagator object, or the frozen
settings of the secret-interaction problem).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from bayesnu.transport import Geometry, Neutrinos, Propagator, SolverOptions
from bayesnu.transport.config import check_geometry

__all__ = [
    "TransportFluxOp",
    "TransportFluxGradOp",
    "SecretFluxOp",
    "SecretFluxGradOp",
    "numu_flux",
    "secret_numu_flux",
]

#: log10(eta) above which the graph clips (eta = 1e300 is absorbed in every setting).
LOG10_ETA_MAX = 300.0


def _scalar(x, name: str, op: str):
    v = pt.as_tensor_variable(x)
    if v.ndim != 0:
        raise TypeError(f"{op}: input {name!r} must be a scalar, got ndim={v.ndim}")
    if not (v.dtype.startswith("float") or v.dtype.startswith("int") or v.dtype.startswith("uint")):
        raise TypeError(f"{op}: input {name!r} must be real, got dtype {v.dtype}")
    return pt.cast(v, "float64") if v.dtype != "float64" else v


def _valid_eta_gamma(eta: float, gamma: float) -> bool:
    return not np.isnan(eta) and eta >= 0 and np.isfinite(gamma)


# ----------------------------------------------------------------------------- (eta, gamma)
class TransportFluxGradOp(Op):
    """(eta, gamma) -> (dPhi_mu/d eta, dPhi_mu/d gamma), each (N,)."""

    __props__ = ("propagator",)

    def __init__(self, propagator: Propagator) -> None:
        if not isinstance(propagator, Propagator):
            raise TypeError("propagator must be a bayesnu.transport.Propagator")
        self.propagator = propagator

    def make_node(self, eta, gamma) -> Apply:
        name = type(self).__name__
        ins = [_scalar(eta, "eta", name), _scalar(gamma, "gamma", name)]
        out = pt.TensorType("float64", shape=(self.propagator.N,))
        return Apply(self, ins, [out(), out()])

    def perform(self, node, inputs, outputs) -> None:
        eta, gamma = float(inputs[0]), float(inputs[1])
        N = self.propagator.N
        if not _valid_eta_gamma(eta, gamma):
            outputs[0][0], outputs[1][0] = np.zeros(N), np.zeros(N)
            return
        _, de, dg = self.propagator.numu_flux(eta, gamma, derivatives=True)
        outputs[0][0] = np.array(de, dtype=np.float64)
        outputs[1][0] = np.array(dg, dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.propagator.N,), (self.propagator.N,)]


class TransportFluxOp(Op):
    """Propagated nu_mu + nubar_mu flux (N,) as a function of (eta, gamma).

    Parameters
    ----------
    propagator
        A built :class:`~bayesnu.transport.Propagator` (any geometry).
    eager_gradient
        If True (default), the forward pass computes the derivatives too and the
        Propagator keeps them, so the gradient at the same point (NUTS asks for both)
        costs nothing more. Set False for value-only use (profiles, optimisers without
        gradients).
    """

    __props__ = ("propagator", "eager_gradient")

    def __init__(self, propagator: Propagator, eager_gradient: bool = True) -> None:
        if not isinstance(propagator, Propagator):
            raise TypeError("propagator must be a bayesnu.transport.Propagator")
        self.propagator = propagator
        self.eager_gradient = bool(eager_gradient)

    def make_node(self, eta, gamma) -> Apply:
        name = type(self).__name__
        ins = [_scalar(eta, "eta", name), _scalar(gamma, "gamma", name)]
        return Apply(self, ins, [pt.TensorType("float64", shape=(self.propagator.N,))()])

    def perform(self, node, inputs, outputs) -> None:
        eta, gamma = float(inputs[0]), float(inputs[1])
        if not _valid_eta_gamma(eta, gamma):
            outputs[0][0] = np.zeros(self.propagator.N)
            return
        out = self.propagator.numu_flux(eta, gamma, derivatives=self.eager_gradient)
        outputs[0][0] = np.array(out[0] if self.eager_gradient else out, dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.propagator.N,)]

    def L_op(self, inputs, outputs, output_grads):
        (g,) = output_grads
        de, dg = TransportFluxGradOp(self.propagator)(*inputs)
        return [pt.dot(g, de), pt.dot(g, dg)]


def numu_flux(propagator: Propagator, gamma, *, log10_eta=None, eta=None, eager_gradient: bool = True):
    """Symbolic propagated nu_mu flux (N,) on ``propagator.energy_gev``.

    Give exactly one of ``log10_eta`` (the change of variable eta = 10**log10_eta is a
    graph node, clipped at ``LOG10_ETA_MAX`` = 300 where every setting is absorbed) or
    ``eta`` (linear).
    """
    if (log10_eta is None) == (eta is None):
        raise TypeError("give exactly one of log10_eta and eta")
    if log10_eta is not None:
        eta = pt.power(10.0, pt.minimum(pt.as_tensor_variable(log10_eta), LOG10_ETA_MAX))
    return TransportFluxOp(propagator, eager_gradient)(eta, gamma)


# ----------------------------------------------------------------------------- (g, m_phi, gamma)
class _PropagatorCache:
    """Propagators of recent (g, m_phi) points (each build costs the secret-interaction bin integrals)."""

    def __init__(self, geometry: Geometry, neutrinos: Neutrinos, options: SolverOptions, size: int = 12):
        self.geometry, self.neutrinos, self.options, self.size = geometry, neutrinos, options, size
        self.store: OrderedDict[tuple[float, float], Propagator] = OrderedDict()

    def get(self, g: float, m_phi_mev: float) -> Propagator:
        key = (g, m_phi_mev)
        p = self.store.get(key)
        if p is None:
            p = Propagator(self.geometry, self.neutrinos.with_secret(g, m_phi_mev), self.options)
            if len(self.store) >= self.size:
                self.store.popitem(last=False)
            self.store[key] = p
        else:
            self.store.move_to_end(key)
        return p


class SecretFluxOp(Op):
    """nu_mu flux (N,) as a function of (g_tautau, m_phi [MeV], gamma) at fixed eta.

    Parameters
    ----------
    geometry
        ``ConstantDensity``, ``Redshift`` or ``Population``.
    neutrinos
        :class:`~bayesnu.transport.Neutrinos`; its ``g``/``m_phi_mev`` are replaced by the
        inputs (its ``majorana`` flag chooses Majorana or Dirac).
    options
        :class:`~bayesnu.transport.SolverOptions`.
    eta
        Relic overdensity (1 for the secret-interaction analysis).
    rel_step
        Relative step of the central differences in g and m_phi.
    """

    __props__ = ("geometry", "neutrinos", "options", "eta", "rel_step")

    def __init__(self, geometry: Geometry, neutrinos: Neutrinos | None = None,
                 options: SolverOptions | None = None, eta: float = 1.0, rel_step: float = 2e-3) -> None:
        self.geometry = check_geometry(geometry)
        self.neutrinos = (neutrinos if neutrinos is not None else Neutrinos()).with_secret(None, None)
        self.options = options if options is not None else SolverOptions()
        self.eta = float(eta)
        self.rel_step = float(rel_step)
        if not (np.isfinite(self.eta) and self.eta >= 0):
            raise ValueError(f"eta must be finite and >= 0, got {eta}")
        if not (0 < self.rel_step < 0.1):
            raise ValueError(f"rel_step must be in (0, 0.1), got {rel_step}")
        self.N = self.options.bins
        self.cache = _PropagatorCache(self.geometry, self.neutrinos, self.options)

    @staticmethod
    def valid(g: float, m: float, gamma: float) -> bool:
        return bool(np.isfinite(g) and g > 0 and np.isfinite(m) and m > 0 and np.isfinite(gamma))

    def flux(self, g: float, m: float, gamma: float, derivatives: bool = False):
        """nu_mu flux (N,) (with ``derivatives``: (flux, d/deta, d/dgamma)) at one point."""
        return self.cache.get(g, m).numu_flux(self.eta, gamma, derivatives=derivatives)

    def make_node(self, g, m_phi_mev, gamma) -> Apply:
        name = type(self).__name__
        ins = [_scalar(g, "g", name), _scalar(m_phi_mev, "m_phi_mev", name), _scalar(gamma, "gamma", name)]
        return Apply(self, ins, [pt.TensorType("float64", shape=(self.N,))()])

    def perform(self, node, inputs, outputs) -> None:
        g, m, gamma = (float(v) for v in inputs)
        if not self.valid(g, m, gamma):
            outputs[0][0] = np.zeros(self.N)
            return
        outputs[0][0] = np.array(self.flux(g, m, gamma), dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.N,)]

    def L_op(self, inputs, outputs, output_grads):
        (w,) = output_grads
        dg, dm, dgam = SecretFluxGradOp(self)(*inputs)
        return [pt.dot(w, dg), pt.dot(w, dm), pt.dot(w, dgam)]


class SecretFluxGradOp(Op):
    """Gradient companion of :class:`SecretFluxOp`: (dPhi/dg, dPhi/dm_phi, dPhi/dgamma), each (N,)."""

    __props__ = ("geometry", "neutrinos", "options", "eta", "rel_step")

    def __init__(self, parent: SecretFluxOp) -> None:
        self.parent = parent
        for k in self.__props__:
            setattr(self, k, getattr(parent, k))

    def make_node(self, g, m_phi_mev, gamma) -> Apply:
        name = type(self).__name__
        ins = [_scalar(g, "g", name), _scalar(m_phi_mev, "m_phi_mev", name), _scalar(gamma, "gamma", name)]
        out = pt.TensorType("float64", shape=(self.parent.N,))
        return Apply(self, ins, [out(), out(), out()])

    def perform(self, node, inputs, outputs) -> None:
        g, m, gamma = (float(v) for v in inputs)
        par = self.parent
        if not par.valid(g, m, gamma):
            for k in range(3):
                outputs[k][0] = np.zeros(par.N)
            return
        h = par.rel_step
        up, dn = np.exp(h), np.exp(-h)
        outputs[0][0] = (par.flux(g * up, m, gamma) - par.flux(g * dn, m, gamma)) / (g * (up - dn))
        outputs[1][0] = (par.flux(g, m * up, gamma) - par.flux(g, m * dn, gamma)) / (m * (up - dn))
        outputs[2][0] = np.array(par.flux(g, m, gamma, derivatives=True)[2], dtype=np.float64)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.parent.N,)] * 3


def secret_numu_flux(op: SecretFluxOp, log10_g, log10_m_phi_mev, gamma):
    """Symbolic nu_mu flux (N,) at (10**log10_g, 10**log10_m_phi_mev [MeV], gamma)."""
    return op(pt.power(10.0, log10_g), pt.power(10.0, log10_m_phi_mev), gamma)
