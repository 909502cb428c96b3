"""Compiled (numba) pieces of the Gaussian flare fit.

* :func:`unorm_eval` -- mass of a Gaussian ``(T0, sigma)`` inside the uptime and
  its derivatives, from the interval edges within ``window`` sigma of ``T0``
  only (see :class:`bayesnu.flare.temporal.UptimeNorm` for the edge-sum
  identity and the ladder of gap-bridged uptimes used for wide Gaussians).
* :func:`spline_weights` -- weights of the natural cubic spline in the
  spectral index: ``s(gamma) = sum_j w_j(gamma) y_j`` for values ``y_j`` on
  the knots, so the energy S/B of every event at any gamma is one small
  weighted sum of its tabulated values (no per-position spline fit).
* :func:`refine_gauss` -- local maximisation of the flare TS over
  ``(gamma, T0, log10 sigma_t)`` with ``ns`` profiled (safeguarded Newton,
  :func:`bayesnu.likelihood.nsprofile.newton_ns`, one sample): a projected BFGS with an Armijo
  back-tracking line search inside the box bounds. The gradient uses the
  envelope theorem (``d llr/d theta`` at the profiled ``ns``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bayesnu.likelihood.nsprofile import newton_ns

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT2 = math.sqrt(2.0)


@numba.njit(cache=True, nogil=True)
def _phi_cdf(z):  # pragma: no cover - jit
    return 0.5 * math.erfc(-z / _SQRT2)


@numba.njit(cache=True, nogil=True)
def unorm_eval(t0, sigma, edges, ptr, gaps, window, gap_ratio, max_edges):  # pragma: no cover
    """Uptime mass ``Z`` of a Gaussian and ``dZ/dT0``, ``dZ/dsigma``.

    ``edges[ptr[l]:ptr[l+1]]`` are the sorted interval edges (start, stop,
    start, ...) of ladder level ``l`` whose gaps shorter than ``gaps[l]`` are
    bridged (level 0: the exact uptime). The level is the finest one with at
    most ``max_edges`` edges within ``window`` sigma, never bridging gaps longer
    than ``sigma / gap_ratio``.
    """
    nl = gaps.size
    lev = 0
    lo = 0
    hi = 0
    for li in range(nl):
        e = edges[ptr[li]:ptr[li + 1]]
        lo = np.searchsorted(e, t0 - window * sigma)
        hi = np.searchsorted(e, t0 + window * sigma, side="right")
        lev = li
        last = li == nl - 1
        if last:
            break
        nxt_ok = gaps[li + 1] <= sigma / gap_ratio
        if (hi - lo <= max_edges) or (not nxt_ok):
            break
    e = edges[ptr[lev]:ptr[lev + 1]]
    k = np.searchsorted(e, t0, side="left")  # edges < T0 (the split used below)
    z_tot = 1.0 if (k % 2 == 1) else 0.0
    d0 = 0.0
    ds = 0.0
    for i in range(lo, hi):
        s = 1.0 if (i % 2 == 1) else -1.0
        z = (e[i] - t0) / sigma
        if e[i] < t0:
            z_tot += s * _phi_cdf(z)
        else:
            z_tot -= s * _phi_cdf(-z)
        p = math.exp(-0.5 * z * z) * _INV_SQRT_2PI
        d0 -= s * p / sigma
        ds -= s * z * p / sigma
    if z_tot < 1e-300:
        z_tot = 1e-300
    return z_tot, d0, ds


@numba.njit(cache=True, nogil=True)
def unorm_many(t0, sigma, edges, ptr, gaps, window, gap_ratio, max_edges):  # pragma: no cover
    """:func:`unorm_eval` for many ``(T0, sigma)`` pairs (mass only)."""
    out = np.empty(t0.size)
    for c in range(t0.size):
        out[c] = unorm_eval(t0[c], sigma[c], edges, ptr, gaps, window, gap_ratio, max_edges)[0]
    return out


@numba.njit(cache=True, nogil=True)
def spline_weights(gamma, knots, coef):  # pragma: no cover - jit
    """Cardinal natural-spline weights ``w(gamma)`` and ``dw/dgamma`` (length = knots)."""
    nk = knots.size
    i = np.searchsorted(knots, gamma, side="right") - 1
    if i < 0:
        i = 0
    if i > nk - 2:
        i = nk - 2
    dx = gamma - knots[i]
    w = np.zeros(nk)
    dw = np.zeros(nk)
    for j in range(nk):
        c0 = coef[0, i, j]
        c1 = coef[1, i, j]
        c2 = coef[2, i, j]
        c3 = coef[3, i, j]
        w[j] = ((c0 * dx + c1) * dx + c2) * dx + c3
        dw[j] = (3.0 * c0 * dx + 2.0 * c1) * dx + c2
    return w, dw


@numba.njit(cache=True, nogil=True)
def _objective(y, s0, t, lss, etab, knots, coef, edges, ptr, gaps, n_total, live, tspan,
               xbuf, gap_ratio, cc, cur, work=None):  # pragma: no cover - jit
    """Half the TS, negated, and its gradient in ``y = (gamma, T0/s0, log10 sigma)``.

    ``cc`` (4, n) caches each event's cubic in gamma on the knot interval ``cur[0]``;
    ``work`` (2, n) is the ns solver's scratch space (allocated when omitted).
    Returns ``(f, g0, g1, g2, ns)``.
    """
    gamma = y[0]
    t0 = y[1] * s0
    sig = 10.0 ** y[2]
    n = t.size
    nk = knots.size
    iv = np.searchsorted(knots, gamma, side="right") - 1
    iv = min(max(iv, 0), nk - 2)
    if iv != cur[0]:
        for i in range(n):
            for k in range(4):
                acc = 0.0
                for j in range(nk):
                    acc += coef[k, iv, j] * etab[j, i]
                cc[k, i] = acc
        cur[0] = iv
    dx = gamma - knots[iv]
    z_n, dz0, dzs = unorm_eval(t0, sig, edges, ptr, gaps, 9.0, gap_ratio, 64)
    lconst = -math.log(sig) - _LOG_SQRT_2PI - math.log(z_n) + math.log(live)
    for i in range(n):
        le = ((cc[0, i] * dx + cc[1, i]) * dx + cc[2, i]) * dx + cc[3, i]
        z = (t[i] - t0) / sig
        lx = lss[i] + le - 0.5 * z * z + lconst
        xbuf[i] = math.exp(lx if lx < 700.0 else 700.0)
    N = float(n_total)
    zero = np.zeros(1)
    if work is None:
        wk = np.empty((2, n))
    else:
        wk = work
    ns, llr = newton_ns(xbuf, np.array([0, n]), np.full(1, N - n), np.full(1, N), np.ones(1),
                        zero, zero, wk, 0.0, np.inf, 60, 1e-10)
    f = -(llr - math.log(tspan / sig))
    a = ns / N
    gg = 0.0
    gt = 0.0
    gs = 0.0
    if ns > 0.0:
        for i in range(n):
            x = xbuf[i]
            wi = a * x / (1.0 + a * (x - 1.0))
            dle = (3.0 * cc[0, i] * dx + 2.0 * cc[1, i]) * dx + cc[2, i]
            z = (t[i] - t0) / sig
            gg += wi * dle
            gt += wi * (z / sig - dz0 / z_n)
            gs += wi * ((z * z - 1.0) / sig - dzs / z_n)
    ln10 = math.log(10.0)
    return f, -gg, -gt * s0, -(gs * sig * ln10 + ln10), ns


@numba.njit(cache=True, nogil=True)
def refine_gauss(gamma0, t00, sig0, lo, hi, t, lss, etab, knots, coef, edges, ptr, gaps,
                 n_total, live, tspan, max_iter=200, gtol=1e-6, ftol=1e-11,
                 gap_ratio=100.0):  # pragma: no cover
    """Maximise the flare TS from a start point; returns (ns, gamma, T0, sigma, TS, n_eval).

    ``lo`` / ``hi``: bounds of ``(gamma, T0, log10 sigma)`` (T0 in MJD). The uptime
    mass bridges gaps shorter than ``sigma / gap_ratio``; ``gap_ratio=inf`` is exact.
    """
    s0 = sig0
    blo = np.array([lo[0], lo[1] / s0, lo[2]])
    bhi = np.array([hi[0], hi[1] / s0, hi[2]])
    y = np.array([gamma0, t00 / s0, math.log10(sig0)])
    for k in range(3):
        y[k] = min(max(y[k], blo[k]), bhi[k])
    xbuf = np.empty(t.size)
    work = np.empty((2, t.size))
    cc = np.empty((4, t.size))
    cur = np.full(1, -1, dtype=np.int64)
    f, g0, g1, g2, ns = _objective(y, s0, t, lss, etab, knots, coef, edges, ptr, gaps,
                                   n_total, live, tspan, xbuf, gap_ratio, cc, cur, work)
    g = np.array([g0, g1, g2])
    H = np.eye(3)
    first = True
    n_eval = 1
    yn = np.empty(3)
    fails = 0
    for _ in range(max_iter):
        # free variables: not pinned at a bound by the gradient
        pg = g.copy()
        for k in range(3):
            if (y[k] <= blo[k] and g[k] > 0.0) or (y[k] >= bhi[k] and g[k] < 0.0):
                pg[k] = 0.0
        if np.max(np.abs(pg)) < gtol:
            break
        d = np.zeros(3)
        for k in range(3):
            if pg[k] != 0.0:
                for m in range(3):
                    if pg[m] != 0.0:
                        d[k] -= H[k, m] * pg[m]
        slope = 0.0
        for k in range(3):
            slope += d[k] * pg[k]
        if slope >= 0.0 or first:
            d = -pg.copy()
            if first:
                sc = np.max(np.abs(d))
                if sc > 1.0:
                    d = d / sc
        alpha = 1.0
        accepted = False
        fn = f
        gn = g
        nsn = ns
        while alpha > 1e-14:
            dec = 0.0
            for k in range(3):
                yn[k] = min(max(y[k] + alpha * d[k], blo[k]), bhi[k])
                dec += g[k] * (yn[k] - y[k])
            if dec >= 0.0:  # projection removed the descent
                alpha *= 0.3
                continue
            fn, a0, a1, a2, nsn = _objective(yn, s0, t, lss, etab, knots, coef, edges, ptr,
                                             gaps, n_total, live, tspan, xbuf, gap_ratio,
                                             cc, cur, work)
            n_eval += 1
            if fn <= f + 1e-4 * dec:
                gn = np.array([a0, a1, a2])
                accepted = True
                break
            alpha *= 0.3
        if not accepted:
            if first or fails > 0:
                break
            fails += 1  # retry once from steepest descent with a fresh metric
            first = True
            H = np.eye(3)
            continue
        fails = 0
        s = yn - y
        yv = gn - g
        sy = 0.0
        yy = 0.0
        for k in range(3):
            sy += s[k] * yv[k]
            yy += yv[k] * yv[k]
        if sy > 1e-14 * max(yy, 1e-300):
            if first or alpha < 0.01:
                H = np.eye(3) * (sy / yy)
            rho = 1.0 / sy
            Hy = H @ yv
            yHy = yv @ Hy
            for k in range(3):
                for m in range(3):
                    H[k, m] += (rho * rho * yHy + rho) * s[k] * s[m] - rho * (Hy[k] * s[m]
                                                                            + s[k] * Hy[m])
            first = False
        df = f - fn
        y[:] = yn
        f = fn
        g = gn
        ns = nsn
        if df < ftol * (1.0 + abs(f)) and alpha == 1.0:
            break
    return ns, y[0], y[1] * s0, 10.0 ** y[2], -2.0 * f, n_eval
