"""Thin PyTensor Ops around a likelihood kernel (:class:`bayesnu.likelihood.MixtureLikelihood`,
:class:`bayesnu.flare.likelihood.FlareLikelihood`, or any object with the same interface:
``param_names``, ``n_params``, ``n_out``, ``evaluate(p)`` and ``per_event(p, include_constants)``).

Two Ops share one numerical kernel (exoplanet-core / celerite2 style):

* :class:`LogLikeOp` -- ``(ns, gamma, *theta) -> (logL, dlogL/dp)``: the total
  log-likelihood ratio (scalar) and its gradient vector; cheapest for fits,
  ``pm.Potential`` and nautilus.
* :class:`PerEventLogLikeOp` -- ``(ns, gamma, *theta) -> (ell, J)``: one entry
  per ROI event plus one per sample for all events outside the ROI, and the
  Jacobian ``J[a, i] = d ell_i / d p_a``; used by ``pm.CustomDist`` so that
  ArviZ gets a pointwise log-likelihood (LOO / WAIC).

Both validate their inputs in ``make_node`` (float scalars; ints are cast),
implement ``infer_shape``, give gradients through ``L_op`` (the vector-Jacobian
product with the stored Jacobian, so nothing is recomputed), and return -inf
(with zero gradient) outside the support instead of raising. The kernel's
caches are built once when the Op is created; a compiled PyTensor function
calls ``perform`` without recompiling.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, grad_not_implemented
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from bayesnu.likelihood.kernel import MixtureLikelihood

__all__ = ["LogLikeOp", "PerEventLogLikeOp", "loglike", "per_event_loglike", "value_gradient_lop"]


#: what an Op needs from its kernel
_KERNEL_INTERFACE = ("param_names", "n_params", "n_out", "evaluate", "per_event")


def _scalar_inputs(op: Op, args) -> list:
    n = op.likelihood.n_params
    if len(args) != n:
        raise TypeError(f"{type(op).__name__} expects {n} scalar inputs "
                        f"{op.likelihood.param_names}, got {len(args)}")
    out = []
    for name, a in zip(op.likelihood.param_names, args):
        v = pt.as_tensor_variable(a)
        if v.ndim != 0:
            raise TypeError(f"{type(op).__name__}: input {name!r} must be a scalar, "
                            f"got ndim={v.ndim}")
        if not (v.dtype.startswith("float") or v.dtype.startswith("int")
                or v.dtype.startswith("uint")):
            raise TypeError(f"{type(op).__name__}: input {name!r} must be real, got {v.dtype}")
        if v.dtype != "float64":
            v = pt.cast(v, "float64")
        out.append(v)
    return out


class _KernelOp(Op):
    """Common parts: identity by kernel object, input validation."""

    __props__ = ("kernel_id", "include_constants")

    def __init__(self, likelihood: MixtureLikelihood, include_constants: bool = False) -> None:
        missing = [a for a in _KERNEL_INTERFACE if not hasattr(likelihood, a)]
        if missing:
            raise TypeError(f"likelihood must be a likelihood kernel (e.g. "
                            f"bayesnu.likelihood.MixtureLikelihood); {type(likelihood).__name__} "
                            f"lacks {', '.join(missing)}")
        self.likelihood = likelihood
        self.kernel_id = id(likelihood)
        self.include_constants = bool(include_constants)


class LogLikeOp(_KernelOp):
    """Total log-likelihood ratio and its gradient (outputs: scalar, vector)."""

    def make_node(self, *args) -> Apply:
        inputs = _scalar_inputs(self, args)
        return Apply(self, inputs, [pt.dscalar(), pt.dvector()])

    def perform(self, node, inputs, outputs) -> None:
        p = np.array([float(x) for x in inputs], dtype=np.float64)
        v, g = self.likelihood.evaluate(p)
        outputs[0][0] = np.asarray(v, dtype=np.float64)
        outputs[1][0] = np.asarray(g, dtype=np.float64)

    def infer_shape(self, fgraph, node, input_shapes):
        return [(), (self.likelihood.n_params,)]

    def L_op(self, inputs, outputs, output_grads):
        grad = outputs[1]
        return value_gradient_lop(self, inputs, output_grads,
                                  [grad[i] for i in range(len(inputs))])

    def connection_pattern(self, node):
        return [[True, True] for _ in node.inputs]


def value_gradient_lop(op: Op, inputs, output_grads, gradient_pieces) -> list:
    """``L_op`` of an Op whose outputs are (value, gradient of the value).

    ``gradient_pieces[k]`` is the part of the gradient output that belongs to
    ``inputs[k]`` (a scalar entry or a slice). The vector-Jacobian product is
    ``g_value * piece``; second derivatives (a gradient flowing into the gradient
    output) are not provided, and a disconnected value gives zeros.
    """
    short = _lop_shortcut(op, inputs, output_grads)
    if short is not None:
        return short
    return [output_grads[0] * piece for piece in gradient_pieces]


def _lop_shortcut(op: Op, inputs, output_grads) -> list | None:
    """The ``L_op`` result of a (value, derivative) Op that needs no vector-Jacobian product.

    A gradient flowing into the derivative output (second derivatives) is not provided; a
    disconnected value gives zeros. None otherwise (the caller forms the product).
    """
    g_v, g_d = output_grads
    if not isinstance(g_d.type, DisconnectedType):
        return [grad_not_implemented(op, i, x, "second derivatives are not provided")
                for i, x in enumerate(inputs)]
    if isinstance(g_v.type, DisconnectedType):
        return [pt.zeros_like(x) for x in inputs]
    return None


class PerEventLogLikeOp(_KernelOp):
    """Per-event log-likelihood contributions and Jacobian (outputs: vector, matrix)."""

    def make_node(self, *args) -> Apply:
        inputs = _scalar_inputs(self, args)
        return Apply(self, inputs, [pt.dvector(), pt.dmatrix()])

    def perform(self, node, inputs, outputs) -> None:
        p = np.array([float(x) for x in inputs], dtype=np.float64)
        v, j = self.likelihood.per_event(p, include_constants=self.include_constants)
        outputs[0][0] = v
        outputs[1][0] = j

    def infer_shape(self, fgraph, node, input_shapes):
        n = self.likelihood.n_out
        return [(n,), (self.likelihood.n_params, n)]

    def L_op(self, inputs, outputs, output_grads):
        short = _lop_shortcut(self, inputs, output_grads)
        if short is not None:
            return short
        vjp = pt.dot(outputs[1], output_grads[0])
        return [vjp[i] for i in range(len(inputs))]

    def connection_pattern(self, node):
        return [[True, True] for _ in node.inputs]


def loglike(likelihood: MixtureLikelihood, ns, gamma, *theta):
    """Symbolic total log-likelihood ratio ``log L - log L(ns=0)`` (scalar)."""
    return LogLikeOp(likelihood)(ns, gamma, *theta)[0]


def per_event_loglike(likelihood: MixtureLikelihood, ns, gamma, *theta,
                      include_constants: bool = False):
    """Symbolic per-event log-likelihood vector (length ``likelihood.n_out``)."""
    return PerEventLogLikeOp(likelihood, include_constants)(ns, gamma, *theta)[0]
