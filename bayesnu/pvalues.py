"""Empirical p-values at their resolution floor.

An empirical p-value from ``n`` background trials, ``(k + 1) / (n + 1)`` with ``k`` trials at
or above the observation, cannot go below ``1 / (n + 1)``; there (k = 0) it is only an upper
bound. :func:`at_floor` is the one test of that, used by the text, the JSON flags and the plots.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pvalue_floor", "at_floor"]


def pvalue_floor(n_trials: int) -> float:
    """The smallest empirical p-value of ``n_trials`` trials, 1 / (n + 1)."""
    return 1.0 / (int(n_trials) + 1.0)


def at_floor(p, n_trials: int):
    """True where the empirical p-value ``p`` of ``n_trials`` trials sits at its floor.

    A relative margin of 1e-9 absorbs rounding; non-finite p are never at the floor.
    Returns a bool for a scalar ``p`` and a boolean array for an array.
    """
    pv = np.asarray(p, dtype=np.float64)
    out = np.isfinite(pv) & (pv <= (1.0 + 1e-9) * pvalue_floor(n_trials))
    return bool(out) if out.ndim == 0 else out
