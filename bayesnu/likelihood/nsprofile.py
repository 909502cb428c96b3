"""The one ns-profile solver of bayesnu: best ns >= 0 of a concave mixture log-likelihood.

For fixed shape parameters (spectral index, flare time and width, ...), the
unbinned mixture log-likelihood ratio of ``K`` samples in the number of signal
events ``ns`` is

.. math::

    \\log\\frac{L}{L_0}(n_s) = \\sum_k \\Big[\\sum_{i \\in k}
        \\log\\big(1 + b_k (x_i - 1)\\big) + m_k \\log(1 - b_k)
        + b_k S_{1,k} - \\tfrac12 b_k^2 S_{2,k}\\Big],
    \\qquad b_k = n_s F_k / N_k,

with ``x_i`` the signal-over-background ratio of event ``i`` of sample ``k``
(all PDFs included), ``N_k`` the sample's events, ``F_k`` the fraction of the
signal expected in sample ``k`` (acceptance weight, ``sum_k F_k = 1``),
``m_k`` events with zero signal PDF (outside the region of interest or the
flare) and, optionally, low-S/B events summarised by ``S_1 = sum(x - 1)`` and
``S_2 = sum((x - 1)^2)`` (second-order expansion of their terms, exact to
``O(b^3)``). It is concave in ``ns``, so its maximum on ``[0, ns_max]`` is the
root of a monotonic derivative (or ``ns = 0`` when the derivative at 0 is
``<= 0``).

:func:`newton_ns` solves it for every ns profile of the code base:

* the point-source fits and background trials (:mod:`bayesnu.likelihood.trial`,
  one or several samples with fractions ``F_k(gamma)``);
* the flare analysis (one sample, ``F = 1``): candidate ranking, CSR rows of
  candidate flares, box fits, the refinement, the fixed-window profile, hence
  the flare search, the sky scan and the flare trials (:mod:`bayesnu.flare`),
  and the sky-pruning upper bound (:mod:`bayesnu.flare.prune`, ``N = 1``).

With one sample and ``F = 1`` every floating-point operation is the one of the
flare analysis' former single-sample solver, so the flare numbers are
bit-identical to it (checked on 400 IC86-2011 sky positions and the TXS fits).
The per-event divisions run in element-wise loops (SIMD) and are summed in
event order afterwards, which keeps those operations and their order.

numba's on-disk cache of a compiled caller (``bayesnu/flare/_kernels.py``,
``_refine.py``, ``prune.py``, ``bayesnu/likelihood/trial.py``) holds its own copy of this
function and is not invalidated when only this file changes: after editing it,
delete those modules' ``__pycache__/*.nbi`` and ``*.nbc`` files.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["newton_ns"]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def newton_ns(x, ptr, n_other, n_total, frac, s1, s2, work, ns0=0.0, ns_max=np.inf,
              max_iter=60, tol=1e-8):  # pragma: no cover - jit
    """Best ``ns >= 0`` and the maximised ``log L/L0`` of a multi-sample mixture.

    Parameters
    ----------
    x : ndarray (n,)
        S/B ratios (dimensionless, >= 0) of the events with a signal PDF, sample
        after sample: sample ``k`` owns ``x[ptr[k]:ptr[k + 1]]``.
    ptr : int ndarray (K + 1,)
        Sample offsets into ``x`` (``ptr[0] = 0``).
    n_other : ndarray (K,)
        Events of each sample with zero signal PDF (``m_k``).
    n_total : ndarray (K,)
        Events of each sample (``N_k > 0``), all of them, inside ``x`` or not.
    frac : ndarray (K,)
        Signal fraction ``F_k`` of each sample (1 for a single sample).
    s1, s2 : ndarray (K,)
        ``sum(x - 1)`` and ``sum((x - 1)^2)`` of further low-S/B events per sample,
        taken to second order in ``b_k`` (zeros for none: every floating-point
        operation of the exact form is then unchanged).
    work : ndarray (2, >= n)
        Scratch space (C-contiguous float64; overwritten).
    ns0 : float
        Starting point (events); used when ``0 < ns0 <`` the support limit,
        otherwise the iteration starts at the Newton step from ``ns = 0``.
    ns_max : float
        Upper bound on ``ns`` (events); ``inf`` for none.
    max_iter : int
        Most Newton iterations.
    tol : float
        Stop when a step is below ``tol * max(1, ns)``.

    Returns
    -------
    ns : float
        Maximising number of signal events (0 when the slope at 0 is <= 0).
    llr : float
        ``log L/L0`` at ``ns``.

    Notes
    -----
    Safeguarded Newton iteration in a shrinking bracket ``[lo, hi]``: ``hi``
    starts at ``ns_max`` and at the support limit (``1 + b_k (x_i - 1) > 0`` for
    every event and ``b_k < 1``, each with a relative margin of 1e-9), so every
    iterate is a point where the log-likelihood is finite; a step that leaves
    the bracket is replaced by bisection.
    """
    K = ptr.size - 1
    nref = n_total[0]
    # slope at 0, support limit, curvature at 0 (in units of 1 / n_total[0]^2)
    g0 = 0.0
    hi = ns_max
    for k in range(K):
        Nk = n_total[k]
        Fk = frac[k]
        g0 += -(n_other[k] * Fk) / Nk + (Fk * s1[k]) / Nk
        if Fk > 0.0:  # b_k < 1 (low-S/B entries have x - 1 >= -1)
            lim = Nk / Fk * (1.0 - 1e-9)
            if lim < hi:
                hi = lim
    wa = work[0]
    wb = work[1]
    nbig = 0.0
    for k in range(K):
        Nk = n_total[k]
        Fk = frac[k]
        xk = x[ptr[k]:ptr[k + 1]]
        ta = wa[ptr[k]:ptr[k + 1]]
        for j in range(xk.size):  # element-wise (SIMD divisions); summed in order below
            ta[j] = (Fk * (xk[j] - 1.0)) / Nk
        xmin = 0.0
        for j in range(xk.size):  # (branch-free: S/B above and below 1 alternate at random)
            g0 += ta[j]
            xm1 = xk[j] - 1.0
            xmin = min(xmin, xm1)
            nbig += 1.0 if xm1 >= 0.0 else 0.0
        # 1 + b_k (x_i - 1) > 0 for every event: the limit is monotonic in x_i - 1
        # (also after rounding), so the smallest x_i - 1 gives the smallest one exactly
        if xmin < 0.0 and Fk > 0.0:
            lim = -Nk / (Fk * xmin) * (1.0 - 1e-9)
            if lim < hi:
                hi = lim
    if g0 <= 0.0:  # concave: the maximum is at the lower bound
        return 0.0, 0.0
    lo = 0.0
    if ns0 > 0.0 and ns0 < hi:
        ns = ns0
    else:
        h0 = 0.0
        for k in range(K):
            w = (nref / n_total[k]) ** 2 * (frac[k] * frac[k])
            h0 += w * (n_other[k] + s2[k])
        for k in range(K):
            w = (nref / n_total[k]) ** 2 * (frac[k] * frac[k])
            for i in range(ptr[k], ptr[k + 1]):
                h0 += w * (x[i] - 1.0) ** 2
        ns = g0 * nref * nref / h0 if h0 > 0.0 else max(nbig, 1.0)
        if not (ns > 0.0 and ns < hi):
            ns = min(max(nbig, 1.0), 0.5 * hi)
    for _ in range(max_iter):
        g = 0.0
        h = 0.0
        for k in range(K):
            Nk = n_total[k]
            Fk = frac[k]
            b = ns * Fk / Nk
            g += -(n_other[k] * Fk) / (Nk - ns * Fk) + Fk * (s1[k] - b * s2[k]) / Nk
            h += -(n_other[k] * Fk * Fk) / (Nk - ns * Fk) ** 2 - Fk * Fk * s2[k] / (Nk * Nk)
        for k in range(K):
            Nk = n_total[k]
            Fk = frac[k]
            b = ns * Fk / Nk
            NN = Nk * Nk
            xk = x[ptr[k]:ptr[k + 1]]
            ta = wa[ptr[k]:ptr[k + 1]]
            tb = wb[ptr[k]:ptr[k + 1]]
            for j in range(xk.size):  # element-wise (SIMD divisions) ...
                xm1 = xk[j] - 1.0
                q = Fk * (xm1 / (1.0 + b * xm1))
                ta[j] = q / Nk
                tb[j] = q * q / NN
            for j in range(xk.size):  # ... summed in event order
                g += ta[j]
                h -= tb[j]
        if g > 0.0:
            lo = ns
        else:
            hi = ns
        new = ns - g / h if h < 0.0 else 0.5 * (lo + hi)
        if not (new > lo and new < hi):
            new = 0.5 * (lo + hi)
        done = abs(new - ns) < tol * max(1.0, ns)
        ns = new
        if done:
            break
    s = 0.0
    for k in range(K):
        b = ns * frac[k] / n_total[k]
        s += n_other[k] * np.log1p(-b) + b * s1[k] - 0.5 * b * b * s2[k]
    for k in range(K):
        b = ns * frac[k] / n_total[k]
        for i in range(ptr[k], ptr[k + 1]):
            s += np.log1p(b * (x[i] - 1.0))
    return ns, s
