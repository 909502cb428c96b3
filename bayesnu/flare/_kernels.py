"""Compiled (numba) inner loops of the flare search.

:func:`newton_ns` is the one ns-profile solver of the flare analysis.
:func:`profile_ns_csr` applies it independently to many candidate flares whose
events are stored row-wise in CSR layout (``x[ptr[r]:ptr[r+1]]``), so
converged rows cost nothing, unlike a masked vectorised loop.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def profile_ns_csr(x, ptr, n_other, n_total, max_iter=60, tol=1e-8):  # pragma: no cover - jit
    nrow = ptr.size - 1
    ns_out = np.zeros(nrow)
    llr_out = np.zeros(nrow)
    N = float(n_total)
    for r in range(nrow):
        a0 = ptr[r]
        a1 = ptr[r + 1]
        ns, llr = newton_ns(x[a0:a1], a1 - a0, n_other[r], 0.0, 0.0, 0, N, max_iter, tol)
        ns_out[r] = ns
        llr_out[r] = llr
    return ns_out, llr_out


@numba.njit(cache=True, nogil=True)
def newton_ns(x, m, no, s1, s2, ms, N, max_iter=60, tol=1e-8):  # pragma: no cover - jit
    """THE ns-profile solver: best ns >= 0 and ``log L/L0`` of one flare hypothesis.

    ``log L/L0(ns) = sum_k log(1 + a (x_k - 1)) + no log(1 - a)``, ``a = ns / N``,
    for the first ``m`` entries of ``x`` (total S/B of the events with signal PDF),
    ``no`` events with zero signal PDF and, optionally, ``ms`` further low-S/B
    events summarised by ``s1 = sum(x - 1)`` and ``s2 = sum((x - 1)^2)``
    (second-order expansion of their ``log(1 + a (x - 1))``, exact to O(a^3);
    pass ``0.0, 0.0, 0`` for none, which leaves every floating-point operation of
    the exact form unchanged). The function is concave in ns: a safeguarded
    Newton iteration in a shrinking bracket ``[lo, hi]`` (``hi`` keeps every
    ``1 + a (x - 1) > 0`` and ``ns < N``), started at the Newton step from 0,
    stops when the step is below ``tol * max(1, ns)``.

    Every flare ns profile uses it: the candidate ranking (:func:`rank_windows`),
    the ragged rows of :func:`profile_ns_csr`, the box fit
    (:func:`bayesnu.flare.search.profile_ns`), the refinement
    (:mod:`bayesnu.flare._refine`) and the fixed-(T0, sigma_t) profile, hence
    the search, the scan and the flare trials.
    """
    g0 = -no / N + s1 / N
    hi = N * (1.0 - 1e-9)
    nbig = 0.0
    for k in range(m):
        xm1 = x[k] - 1.0
        g0 += xm1 / N
        if xm1 < 0.0:
            lim = -N / xm1 * (1.0 - 1e-9)
            if lim < hi:
                hi = lim
        else:
            nbig += 1.0
    if ms > 0:
        lim = N * (1.0 - 1e-9)  # small entries have x - 1 >= -1
        if lim < hi:
            hi = lim
    if g0 <= 0.0:
        return 0.0, 0.0
    lo = 0.0
    h0 = no + s2
    for k in range(m):
        h0 += (x[k] - 1.0) ** 2
    ns = g0 * N * N / h0 if h0 > 0.0 else max(nbig, 1.0)
    if not (ns > 0.0 and ns < hi):
        ns = min(max(nbig, 1.0), 0.5 * hi)
    for _ in range(max_iter):
        a = ns / N
        g = -no / (N - ns) + (s1 - a * s2) / N
        h = -no / (N - ns) ** 2 - s2 / (N * N)
        for k in range(m):
            xm1 = x[k] - 1.0
            q = xm1 / (1.0 + a * xm1)
            g += q / N
            h -= q * q / (N * N)
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
    a = ns / N
    s = no * np.log1p(-a) + a * s1 - 0.5 * a * a * s2
    for k in range(m):
        s += np.log1p(a * (x[k] - 1.0))
    return ns, s


@numba.njit(cache=True, nogil=True)
def rank_windows(tc, lse, t0, sg, lnorm, lo, hi, pen, n_total, live, gauss,
                 x_small=0.1):  # pragma: no cover - jit
    """TS of candidate flares with ns profiled, best over the rows of ``lse``.

    Parameters
    ----------
    tc : (n,) sorted event times; lse : (n_g, n) log spatial x energy S/B;
    t0, sg : candidate centres / widths (Gaussian) or starts / stops (box);
    lnorm : log of the temporal normalisation (Gaussian: uptime mass; box: live
    duration); lo, hi : event index window of each candidate; pen : TS penalty;
    gauss : Gaussian (True) or box (False) time PDF.

    Events with total S/B below ``x_small`` enter through a second-order
    expansion in ns/N when N > 1000 (ranking only; final fits are exact).
    """
    nc = t0.size
    ng = lse.shape[0]
    best_ts = np.full(nc, -np.inf)
    best_ns = np.zeros(nc)
    best_g = np.full(nc, -1, dtype=np.int64)
    N = float(n_total)
    lsq = 0.5 * np.log(2.0 * np.pi)
    llive = np.log(live)
    elt = np.empty(tc.size)
    buf = np.empty(tc.size)
    ese = np.exp(np.minimum(lse, 700.0))
    split = N > 1000.0
    for c in range(nc):
        m = hi[c] - lo[c]
        no = N - m
        for k in range(m):
            i = lo[c] + k
            if gauss:
                z = (tc[i] - t0[c]) / sg[c]
                lt = -0.5 * z * z - np.log(sg[c]) - lsq - lnorm[c] + llive
            else:
                lt = llive - lnorm[c]
            elt[k] = np.exp(lt if lt < 700.0 else 700.0)
        for gi in range(ng):
            nb = 0
            s1 = 0.0
            s2 = 0.0
            ms = 0
            for k in range(m):
                x = elt[k] * ese[gi, lo[c] + k]
                if split and x < x_small:
                    d = x - 1.0
                    s1 += d
                    s2 += d * d
                    ms += 1
                else:
                    buf[nb] = x
                    nb += 1
            ns, llr = newton_ns(buf, nb, no, s1, s2, ms, N)
            ts = 2.0 * llr + pen[c]
            if ts > best_ts[c]:
                best_ts[c] = ts
                best_ns[c] = ns
                best_g[c] = gi
    return best_ts, best_ns, best_g
