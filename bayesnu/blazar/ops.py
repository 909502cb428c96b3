"""PyTensor Op of the blazar stacking likelihood with per-source strengths.

:class:`StrengthLogLikeOp` wraps :class:`bayesnu.blazar.stacking.StrengthKernel`:
inputs ``ns`` (scalar), ``gamma`` (scalar) and ``u`` (vector of J per-source
log-strengths), outputs the log-likelihood ratio (scalar) and its gradient
(vector of length 2 + J). The gradient enters through ``L_op`` (vector-Jacobian
product with the stored gradient); outside the support the value is -inf with
zero gradient. The fixed-weight stacking likelihood uses
:class:`bayesnu.ops.LogLikeOp` instead; this Op is only needed when the source
weights are parameters (hierarchical spread of source strengths).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from bayesnu.blazar.stacking import StrengthKernel
from bayesnu.ops.loglike import value_gradient_lop

__all__ = ["StrengthLogLikeOp", "strength_loglike"]


def _real(x, name: str, ndim: int, op: str):
    v = pt.as_tensor_variable(x)
    if v.ndim != ndim:
        raise TypeError(f"{op}: input {name!r} must have ndim={ndim}, got {v.ndim}")
    if not (v.dtype.startswith("float") or v.dtype.startswith("int")
            or v.dtype.startswith("uint")):
        raise TypeError(f"{op}: input {name!r} must be real, got {v.dtype}")
    return pt.cast(v, "float64") if v.dtype != "float64" else v


class StrengthLogLikeOp(Op):
    """``(ns, gamma, u) -> (log L - log L(ns=0), gradient)``."""

    __props__ = ("kernel_id",)

    def __init__(self, kernel: StrengthKernel) -> None:
        if not isinstance(kernel, StrengthKernel):
            raise TypeError("kernel must be a bayesnu.blazar.stacking.StrengthKernel")
        self.kernel = kernel
        self.kernel_id = id(kernel)

    def make_node(self, ns, gamma, u) -> Apply:
        name = type(self).__name__
        inputs = [_real(ns, "ns", 0, name), _real(gamma, "gamma", 0, name),
                  _real(u, "u", 1, name)]
        return Apply(self, inputs, [pt.dscalar(), pt.dvector()])

    def perform(self, node, inputs, outputs) -> None:
        ns, gamma, u = inputs
        v, g = self.kernel.evaluate(float(ns), float(gamma), np.asarray(u, dtype=np.float64))
        outputs[0][0] = np.asarray(v, dtype=np.float64)
        outputs[1][0] = np.asarray(g, dtype=np.float64)

    def infer_shape(self, fgraph, node, input_shapes):
        return [(), (2 + self.kernel.J,)]

    def L_op(self, inputs, outputs, output_grads):
        grad = outputs[1]
        return value_gradient_lop(self, inputs, output_grads, [grad[0], grad[1], grad[2:]])

    def connection_pattern(self, node):
        return [[True, True] for _ in node.inputs]


def strength_loglike(kernel: StrengthKernel, ns, gamma, u):
    """Symbolic log-likelihood ratio with per-source log-strengths ``u``."""
    return StrengthLogLikeOp(kernel)(ns, gamma, u)[0]
