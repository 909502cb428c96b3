"""PyTensor Ops around bayesnu's numerical kernels (thin; the maths lives in the kernels)."""

from bayesnu.ops.loglike import LogLikeOp, PerEventLogLikeOp, loglike, per_event_loglike

__all__ = ["LogLikeOp", "PerEventLogLikeOp", "loglike", "per_event_loglike"]
