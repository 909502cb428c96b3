"""Provable upper bound on the Gaussian-flare TS of a position, and pruned scrambled skies.

A scrambled full-sky scan is used for one thing by the global p-value (IceCube
2023 cascade flare search): the smallest local p-value of each hemisphere, and
the band ensembles that turn TS into local p. Most pixels of a background sky
can neither hold that minimum nor reach the tail of their band's ensemble.
:func:`flare_ts_bound` gives, cheaply, a number that is *provably* at least the
flare TS of :func:`bayesnu.flare.search.fit_flare` at a position (for every
``ns``, ``gamma``, ``T0``, ``sigma_t`` of the fit's domain, so in particular at
the point the fit returns), and :func:`pruned_scan` fits in full only the
pixels whose bound can matter.

The bound
---------
With ``a = ns/N``, the TS of the fit is

    TS = 2 [ sum_ROI log(1 - a + a X_i) + (N - n_ROI) log(1 - a) ] + 2 log(sigma_t / T),

``X_i = S_i E_i(gamma) L q_i(T0, sigma_t)``, ``S_i`` the spatial S/B, ``E_i`` the
energy S/B (natural cubic spline in gamma of the tabulated values), ``L`` the
live time, ``T`` the span of the uptime and ``q_i = phi(z_i)/(sigma_t Z)`` the
uptime-truncated Gaussian density at the event (``z_i = (t_i - T0)/sigma_t``,
``Z(T0, sigma_t)`` the Gaussian's mass inside the uptime). The bound replaces

1. ``E_i(gamma)`` by its maximum over ``1 <= gamma <= 4`` (exact: each spline
   piece is a cubic whose maximum is at an end or a stationary point). The
   log-likelihood increases in every ``X_i``, so this can only raise it.
2. ``(T0, sigma_t)`` by cells: ``sigma_t`` in geometric levels ``[s, rho s]``
   (``rho = 2^(1/4)``), ``T0`` in cells ``[c - h, c + h]`` (``h = s/4``) tiling the
   live span. In a cell, each event's time factor is at most the smaller of:

   * ``q_i <= phi(z_min) / (s Z_low)`` with ``z_min = max(0, |t_i - c| - h)/(rho s)``
     (``phi`` decreases in ``|z|``; ``sigma_t >= s``) and ``Z_low`` a lower bound
     of ``Z`` over the cell: the sum over nearby good-run intervals of the smallest
     mass at the four corners ``T0 in {c - h, c + h}``, ``sigma in {s, rho s}``
     (one interval's Gaussian mass is quasi-concave in ``T0`` (log-concave) and in
     ``sigma``, so its minimum over the box is at a corner);
   * ``q_i <= 1 / (sigma_t sqrt(2 pi) erf(delta_i / (sqrt(2) sigma_t)))`` for every
     ``T0``, ``delta_i`` the distance of the event to the nearest edge of its own
     good run (``Z`` is at least the mass of ``[t_i - delta_i, t_i + delta_i]``,
     which is at least ``phi(z_i) sqrt(2 pi) erf(...)``); this is decreasing in
     ``sigma_t``, so its value at ``s`` bounds the level.

   Events farther than ``W = r rho s + h`` from the cell centre have ``z >= r``;
   they enter through ``log(1 - a + a X) <= a (X - 1)`` with the sum of their
   bounds ``<= S_tot L phi(r) / (s Z_low)`` (``r`` chosen per level so this is
   tiny, at most 13). The duration term is at most ``2 log(rho s / T)``.
3. the resulting concave function of ``a`` is maximised by the one ns-profile solver
   (:func:`bayesnu.likelihood.nsprofile.newton_ns`); the tangent at its answer over
   ``[0, 1]`` is added, so the maximum is bounded from above whatever the convergence.

The bound of a pixel is the largest cell bound over all levels and cells (cells
whose bound of ``dF/da`` at ``a = 0`` is not positive contribute only the
duration term), and at least the TS of the fit's null (``ns = 0`` at the widest
``sigma_t``). Nothing in it depends on where the fit's optimiser goes, so
``bound >= TS`` holds for every pixel; ``tests/bayesnu/test_flare_prune.py``
checks it against the full fit on every pixel of several skies.

Cost and reach (measured on IC86-2011 at load ~10, see the SCAN notes): cells are
visited only within ``W`` of an ROI event, the uptime masses of coarse levels are
tabulated once per sample, and cheap per-cell bounds skip cells that cannot raise the
running maximum. A bound still costs ~1.5 fits (~24 ms against ~16 ms per pixel, 34
sigma_t levels), so :func:`pruned_scan`, which needs only ~4 % of the fits, is not
faster than a full scan yet. With ``sigma_min`` = 1e-11 d (simulated cascades) the
bound is useless: Gaussians far narrower than a good-run gap and centred in it
concentrate their mass on the gap's edges, the cell bound of the uptime mass there is
tiny, and the bound is infinite (still valid, never prunes).

Cheaper: threshold tests (:class:`SkyBounds`, :func:`pruned_sky`)
-------------------------------------------------------------------
A pruned sky only needs to know, per pixel, whether its TS can exceed the threshold
``tau`` at which its band p-value could beat the hemisphere's running minimum.
:class:`SkyBounds` answers that with a branch and bound that stops as soon as every
node is below ``tau`` (coarse nodes usually are), on a superset of the ROI selected
per declination ring in classes of ROI radius (~0.4 ms instead of ~3 ms per pixel for
IC86-2011). :func:`pruned_sky` tests every pixel at the threshold of a guessed minimum,
fits the pixels not proven, re-tests before each fit at the running minimum's (higher)
threshold, and lowers the target if the guess was too optimistic, so the minima are
exact whatever the guess.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np

from bayesnu.atomic import write_text
from bayesnu.flare.search import GAMMA_BOUNDS, FlareData, cardinal_spline, fit_flare
from bayesnu.likelihood.nsprofile import newton_ns

__all__ = ["energy_max", "flare_ts_bound", "PrunedSky", "pruned_scan", "RHO", "behaviour_probes",
           "check_behaviour", "BEHAVIOUR_RTOL"]

#: ratio of consecutive sigma_t levels of the bound
RHO = 2.0 ** 0.25
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


@numba.njit(cache=True, nogil=True)
def _cubic_max(c0, c1, c2, c3, lo, hi):  # pragma: no cover - jit
    """Maximum of ``((c0 x + c1) x + c2) x + c3`` on ``[lo, hi]``."""
    best = ((c0 * lo + c1) * lo + c2) * lo + c3
    v = ((c0 * hi + c1) * hi + c2) * hi + c3
    if v > best:
        best = v
    # stationary points: 3 c0 x^2 + 2 c1 x + c2 = 0
    a = 3.0 * c0
    b = 2.0 * c1
    if a != 0.0:
        disc = b * b - 4.0 * a * c2
        if disc >= 0.0:
            sq = math.sqrt(disc)
            for x in ((-b + sq) / (2.0 * a), (-b - sq) / (2.0 * a)):
                if lo < x < hi:
                    v = ((c0 * x + c1) * x + c2) * x + c3
                    if v > best:
                        best = v
    elif b != 0.0:
        x = -c2 / b
        if lo < x < hi:
            v = ((c0 * x + c1) * x + c2) * x + c3
            if v > best:
                best = v
    return best


@numba.njit(cache=True, nogil=True)
def _energy_max(etab, knots, coef, g_lo, g_hi):  # pragma: no cover - jit
    n = etab.shape[1]
    nk = knots.size
    out = np.full(n, -np.inf)
    for iv in range(nk - 1):
        a = max(knots[iv], g_lo)
        b = min(knots[iv + 1], g_hi)
        if b < a:
            continue
        lo = a - knots[iv]
        hi = b - knots[iv]
        c = np.zeros(4)
        for i in range(n):
            for k in range(4):
                acc = 0.0
                for j in range(nk):
                    acc += coef[k, iv, j] * etab[j, i]
                c[k] = acc
            v = _cubic_max(c[0], c[1], c[2], c[3], lo, hi)
            if v > out[i]:
                out[i] = v
    return out


def energy_max(fd: FlareData) -> np.ndarray:
    """Largest log energy S/B of each ROI event over ``1 <= gamma <= 4``.

    Exact for the natural cubic spline in gamma that the fit evaluates
    (:meth:`bayesnu.flare.search.FlareData.log_sob_energy_at`).
    """
    if fd.n == 0:
        return np.empty(0)
    if fd.gamma_grid.size < 2:
        return np.asarray(fd.log_sob_energy[0], dtype=np.float64).copy()
    coef = cardinal_spline(fd.gamma_grid)
    out = _energy_max(np.ascontiguousarray(fd.log_sob_energy), fd.gamma_grid, coef,
                      float(GAMMA_BOUNDS[0]), float(GAMMA_BOUNDS[1]))
    # the fit clips gamma to the tabulated range
    return out


@numba.njit(cache=True, nogil=True)
def _phi(z):  # pragma: no cover - jit
    return math.exp(-0.5 * z * z) / _SQRT2PI


@numba.njit(cache=True, nogil=True)
def _cdf(z):  # pragma: no cover - jit
    return 0.5 * math.erfc(-z / _SQRT2)


@numba.njit(cache=True, nogil=True)
def _mass(e0, e1, t0, sig):  # pragma: no cover - jit
    return _cdf((e1 - t0) / sig) - _cdf((e0 - t0) / sig)


@numba.njit(cache=True, nogil=True)
def _z_low(c, h, s, s_hi, starts, stops, reach):  # pragma: no cover - jit
    """Lower bound of the uptime mass of every Gaussian with T0 in [c-h, c+h],
    sigma in [s, s_hi]: per nearby interval, the smallest of the four corners."""
    lo = np.searchsorted(stops, c - h - reach)
    hi = np.searchsorted(starts, c + h + reach, side="right")
    z = 0.0
    for k in range(lo, hi):
        e0 = starts[k]
        e1 = stops[k]
        m = _mass(e0, e1, c - h, s)
        m = min(m, _mass(e0, e1, c + h, s))
        m = min(m, _mass(e0, e1, c - h, s_hi))
        m = min(m, _mass(e0, e1, c + h, s_hi))
        if m > 0.0:
            z += m
    return z


@numba.njit(cache=True, nogil=True)
def _profile_bound(u, m, n_o, lin, args):  # pragma: no cover - jit
    """Upper bound of max_a [sum_k log(1 - a + a u_k) + n_o log(1 - a) + a lin], a in [0, 1).

    ``a`` is found by the one ns-profile solver (:func:`bayesnu.likelihood.nsprofile.newton_ns`
    with one sample of N = 1, so ``ns = a``); ``args`` = ``_bound_args(n)`` holds its
    arguments. Concavity bounds the maximum by the tangent at ``a`` over ``[0, 1]``,
    whatever the convergence.
    """
    ptr, n_other, one, s1, zero, work = args
    ptr[1] = m
    n_other[0] = n_o
    s1[0] = lin
    a, f = newton_ns(u, ptr, n_other, one, one, s1, zero, work, 0.0, np.inf, 100, 1e-12)
    g = lin - n_o / (1.0 - a)
    for k in range(m):
        d = u[k] - 1.0
        g += d / (1.0 + a * d)
    return f + max(-g * a, g * (1.0 - a), 0.0)


@numba.njit(cache=True, nogil=True)
def _bound_args(n):  # pragma: no cover - jit
    """Pre-allocated arguments of the ns solver in :func:`_profile_bound` (rows up to ``n``)."""
    return (np.zeros(2, dtype=np.int64), np.zeros(1), np.ones(1), np.zeros(1), np.zeros(1),
            np.empty((2, n)))


@numba.njit(cache=True, nogil=True)
def _levels(sig_lo, sig_hi, rho):  # pragma: no cover - jit
    n = 0
    s = sig_lo
    while s < sig_hi * (1.0 + 1e-12):
        n += 1
        s *= rho
    out = np.empty(n)
    s = sig_lo
    for i in range(n):
        out[i] = s
        s *= rho
    return out


@numba.njit(cache=True, nogil=True)
def _z_tables(levels, sig_hi, rho, tmin, tmax, starts, stops, max_cells, h_frac):  # pragma: no cover
    """Z_low of every cell of every level with at most ``max_cells`` cells (flat, with offsets;
    offset -1: computed on the fly)."""
    nl = levels.size
    off = np.full(nl + 1, -1, dtype=np.int64)
    tot = 0
    for i in range(nl):
        h = h_frac * levels[i]
        m = int(math.floor((tmax - tmin) / (2.0 * h))) + 1
        off[i] = tot if m <= max_cells else -1
        if m <= max_cells:
            tot += m
    off[nl] = tot
    z = np.empty(tot)
    for i in range(nl):
        if off[i] < 0:
            continue
        s = levels[i]
        s_hi = min(s * rho, sig_hi)
        h = h_frac * s
        m = int(math.floor((tmax - tmin) / (2.0 * h))) + 1
        for mm in range(m):
            c = tmin + (2.0 * mm + 1.0) * h
            z[off[i] + mm] = _z_low(c, h, s, s_hi, starts, stops, 14.0 * s_hi)
    zmin = np.zeros(nl)
    for i in range(nl):
        if off[i] >= 0:
            m = int(math.floor((tmax - tmin) / (2.0 * h_frac * levels[i]))) + 1
            zmin[i] = np.min(z[off[i]:off[i] + m])
    return off, z, zmin


@numba.njit(cache=True, nogil=True)
def _split(x):  # pragma: no cover - jit
    """max_a [log(1 + a x c) - a c] for c > 0: ``log x - 1 + 1/x`` if x > 1 else 0."""
    return math.log(x) - 1.0 + 1.0 / x if x > 1.0 else 0.0


@numba.njit(cache=True, nogil=True)
def _ts_bound(t, lsp, emax, ebin, delta, n_total, n_roi, live, tspan, tmin, tmax, sig_hi, rho,
              starts, stops, levels, zoff, ztab, zmin, floor, stop_at, h_frac):  # pragma: no cover
    """Largest cell bound (see module docstring).

    ``emax`` (n,): log energy S/B maximised over all gamma; ``ebin`` (n_bins, n): maximised
    over each gamma bin. Cells are skipped when a cheaper bound (each event's profile
    taken alone with an equal share of the background term, without the Gaussian
    decay) cannot exceed the running maximum (started at ``floor``); cells that pass
    are bounded with all gamma at once, then per gamma bin. Returns early above ``stop_at``.
    """
    n = t.size
    N = float(n_total)
    n_o = N - n_roi
    best = max(2.0 * math.log(sig_hi / tspan), floor)  # the fit's null: ns = 0, widest sigma
    if n == 0:
        return best
    nb = ebin.shape[0]
    smax = np.empty(n)
    sb = np.empty((nb, n))
    s_tot = 0.0
    for k in range(n):
        smax[k] = math.exp(min(lsp[k] + emax[k], 700.0)) * live
        s_tot += smax[k]
        for b in range(nb):
            sb[b, k] = math.exp(min(lsp[k] + ebin[b, k], 700.0)) * live
    tau = np.empty(n)
    u = np.empty(n)
    bargs = _bound_args(n)
    gk = np.empty(n)
    psi = np.empty(n)
    pref = np.zeros(n + 1)
    prefu = np.zeros(n + 1)
    for li in range(levels.size):
        s = levels[li]
        s_hi = min(s * rho, sig_hi)
        pen = 2.0 * math.log(s_hi / tspan)
        # far events (z >= r): S_tot phi(r) / s <= 1e-6, so their sum is <= 1e-6 / Z_low
        arg = s_tot / (s * _SQRT2PI * 1e-6)
        r = math.sqrt(2.0 * math.log(arg)) if arg > math.exp(4.5) else 3.0
        r = min(r, 13.0)
        h = h_frac * s
        W = r * s_hi + h
        # cheap pre-bound: largest window count, per-event split profile without decay
        m_cap = 0
        j = 0
        for k in range(n):
            while t[k] - t[j] > 2.0 * W:
                j += 1
            if k - j + 1 > m_cap:
                m_cap = k - j + 1
        zl_min = zmin[li]
        far_num = s_tot * _phi(r) / s  # far events' summed bound times Z_low (<= 1e-6 unless r capped)
        far_cap = far_num / zl_min if zl_min > 0.0 else np.inf
        c_low = n_o + n_roi - m_cap - far_cap
        usable = c_low > 0.0
        tab = zoff[li] >= 0
        m_max = int(math.floor((tmax - tmin) / (2.0 * h)))
        d0 = 3.0 * s_hi + h  # cells nearer than this: their own Z_low; farther: phi decay
        far_tau = _phi(3.0) / (s * zl_min) if zl_min > 0.0 else np.inf
        for k in range(n):
            gk[k] = 1.0 / (s * _SQRT2PI * math.erf(delta[k] / (_SQRT2 * s))) \
                if delta[k] > 0.0 else np.inf
            if not usable:
                psi[k] = np.inf
            else:
                tmx = gk[k]
                if tab:  # largest min(g, phi / (s Z_low)) over the cells within W
                    a0 = max(int(math.floor((t[k] - d0 - tmin) / (2.0 * h))), 0)
                    a1 = min(int(math.floor((t[k] + d0 - tmin) / (2.0 * h))), m_max)
                    zn = np.inf
                    for mm in range(a0, a1 + 1):
                        if ztab[zoff[li] + mm] < zn:
                            zn = ztab[zoff[li] + mm]
                    near = _phi(0.0) / (s * zn) if zn > 0.0 else np.inf
                    tmx = min(tmx, max(near, far_tau))
                psi[k] = _split(smax[k] * tmx * m_cap / c_low)
                prefu[k + 1] = prefu[k] + smax[k] * tmx
            pref[k + 1] = pref[k] + psi[k]
        if usable:
            top = 0.0
            j = 0
            for k in range(n):
                while t[k] - t[j] > 2.0 * W:
                    j += 1
                v = pref[k + 1] - pref[j]
                if v > top:
                    top = v
            if 2.0 * top + pen <= best:
                continue
        m_last = -1
        lo = 0
        hi = 0
        lo2 = 0
        hi2 = 0
        for k in range(n):
            if psi[k] <= 0.0:
                continue
            if usable:
                # every cell within W of t_k has its window inside [t_k - 2W, t_k + 2W]
                while t[lo2] < t[k] - 2.0 * W:
                    lo2 += 1
                if hi2 < k:
                    hi2 = k
                while hi2 < n and t[hi2] <= t[k] + 2.0 * W:
                    hi2 += 1
                if 2.0 * (pref[hi2] - pref[lo2]) + pen <= best:
                    continue
            m0 = int(math.floor((t[k] - W - tmin) / (2.0 * h)))
            m1 = int(math.floor((t[k] + W - tmin) / (2.0 * h)))
            if m0 < m_last + 1:
                m0 = m_last + 1
            if m0 < 0:
                m0 = 0
            if m1 > m_max:
                m1 = m_max
            for mm in range(m0, m1 + 1):
                c = tmin + (2.0 * mm + 1.0) * h
                while lo < n and t[lo] < c - W:
                    lo += 1
                if hi < lo:
                    hi = lo
                while hi < n and t[hi] <= c + W:
                    hi += 1
                if usable:
                    # cheap bounds of the cell's profile from each event's largest time
                    # factor: per-event split, and Jensen (sum of logs <= m log of the mean)
                    fub = pref[hi] - pref[lo]
                    mw = hi - lo
                    if mw > 0:
                        cc = n_o + n_roi - mw - far_cap
                        xb = (prefu[hi] - prefu[lo]) / mw - 1.0
                        if not (mw * xb > cc):
                            fub = 0.0
                        else:
                            fub = min(fub, mw * math.log(mw * xb / cc) - mw + cc / xb)
                    if 2.0 * fub + pen <= best:
                        continue
                if zoff[li] >= 0:
                    zl = ztab[zoff[li] + mm]
                else:
                    zl = _z_low(c, h, s, s_hi, starts, stops, 14.0 * s_hi)
                far = far_num / zl if zl > 0.0 else np.inf
                tot = far
                for jj in range(lo, hi):
                    d = abs(t[jj] - c) - h
                    zm = d / s_hi if d > 0.0 else 0.0
                    p = _phi(zm) / (s * zl) if zl > 0.0 else np.inf
                    tau[jj - lo] = min(gk[jj], p)
                    u[jj - lo] = smax[jj] * tau[jj - lo]
                    tot += u[jj - lo]
                if not (tot > N):
                    continue
                if not np.isfinite(tot):
                    return np.inf
                m = hi - lo
                lin = far - (n_roi - m)
                v = 2.0 * _profile_bound(u, m, n_o, lin, bargs) + pen
                if v <= best:
                    continue
                # refine: one spectral-index bin at a time
                vb = -np.inf
                for b in range(nb):
                    tb = far
                    for jj in range(m):
                        u[jj] = sb[b, lo + jj] * tau[jj]
                        tb += u[jj]
                    if not (tb > N):
                        vv = pen
                    else:
                        vv = 2.0 * _profile_bound(u, m, n_o, lin, bargs) + pen
                    if vv > vb:
                        vb = vv
                if vb > best:
                    best = vb
                    if best > stop_at:
                        return best
            if m1 > m_last:
                m_last = m1
    return best


def _delta(t: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Distance of each time to the nearest edge of the good run containing it (0 outside)."""
    k = np.searchsorted(intervals[:, 0], t, side="right") - 1
    kk = np.clip(k, 0, intervals.shape[0] - 1)
    inside = (k >= 0) & (t >= intervals[kk, 0]) & (t <= intervals[kk, 1])
    d = np.minimum(t - intervals[kk, 0], intervals[kk, 1] - t)
    return np.where(inside, d, 0.0)


_ZCACHE: dict = {}


def _tables(intervals: np.ndarray, sigma_min: float, sigma_max: float, rho: float,
            max_cells: int, h_frac: float = 0.25):
    key = (intervals.shape, float(intervals[0, 0]), float(intervals[-1, 1]),
           float(np.sum(intervals)), sigma_min, sigma_max, rho, max_cells, h_frac)
    tab = _ZCACHE.get(key)
    if tab is None:
        iv = np.ascontiguousarray(intervals, dtype=np.float64)
        starts, stops = np.ascontiguousarray(iv[:, 0]), np.ascontiguousarray(iv[:, 1])
        levels = _levels(float(sigma_min), float(sigma_max), float(rho))
        zoff, ztab, zmin = _z_tables(levels, float(sigma_max), float(rho), float(iv[0, 0]),
                                     float(iv[-1, 1]), starts, stops, int(max_cells),
                                     float(h_frac))
        tab = (starts, stops, levels, zoff, ztab, zmin)
        if len(_ZCACHE) > 8:
            _ZCACHE.clear()
        _ZCACHE[key] = tab
    return tab


def _energy_bin_max(etab: np.ndarray, gamma_grid: np.ndarray, width: float,
                    coef: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Largest log energy S/B per column of ``etab`` (n_gamma, n) over all of [1, 4] and
    over gamma bins of ``width`` (``coef``: the grid's :func:`cardinal_spline`, if at hand)."""
    if gamma_grid.size < 2:
        e = np.asarray(etab[0], dtype=np.float64)
        return e.copy(), e[None, :].copy()
    if coef is None:
        coef = cardinal_spline(gamma_grid)
    etab = np.ascontiguousarray(etab)
    g0, g1 = float(GAMMA_BOUNDS[0]), float(GAMMA_BOUNDS[1])
    nb = max(1, int(round((g1 - g0) / width)))
    edges = np.linspace(g0, g1, nb + 1)
    ebin = np.stack([_energy_max(etab, gamma_grid, coef, float(a), float(b))
                     for a, b in zip(edges[:-1], edges[1:])])
    return ebin.max(axis=0), ebin


def _energy_bins(fd: FlareData, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Largest log energy S/B per event over all of [1, 4] and over bins of ``width``."""
    return _energy_bin_max(fd.log_sob_energy, fd.gamma_grid, width)


def flare_ts_bound(fd: FlareData, sigma_min: float, sigma_max: float | None = None,
                   rho: float = RHO, gamma_bin: float = 0.25, floor: float = -np.inf,
                   stop_at: float = np.inf, max_cells: int = 400_000,
                   cell: float = 0.25) -> float:
    """Upper bound of the Gaussian-flare TS of :func:`~bayesnu.flare.search.fit_flare`.

    Parameters
    ----------
    fd : FlareData
        ROI events at the position (observed or scrambled).
    sigma_min, sigma_max : float
        The fit's bounds of sigma_t, days (default ``sigma_max``: half the live time).
    rho : float
        Ratio of consecutive sigma_t levels (> 1; smaller is tighter and slower).
    gamma_bin : float
        Width of the spectral-index bins over which the energy S/B is maximised.
    floor : float
        Only bounds above ``floor`` are resolved: the result is ``max(floor, bound)``
        (still an upper bound of the TS), which is much cheaper when the caller only
        needs to know whether the TS can exceed ``floor``.
    stop_at : float
        Return as soon as the bound exceeds this TS (the caller will fit anyway).
    max_cells : int
        Levels with at most this many T0 cells use the per-sample table of uptime
        masses; finer levels compute them on the fly.
    cell : float
        Half-width of the T0 cells in units of the level's sigma_t (smaller is
        tighter and slower).

    Returns
    -------
    float
        A TS value ``>=`` the fit's TS (``inf`` if an event sits on a good-run edge).
    """
    live = fd.livetime
    if sigma_max is None:
        sigma_max = 0.5 * live
    starts, stops, levels, zoff, ztab, zmin = _tables(fd.intervals, float(sigma_min),
                                                      float(sigma_max), float(rho),
                                                      int(max_cells), float(cell))
    order = np.argsort(fd.t, kind="stable")
    t = np.ascontiguousarray(fd.t[order])
    if fd.n:
        emax, ebin = _energy_bins(fd, gamma_bin)
        emax, ebin = emax[order], np.ascontiguousarray(ebin[:, order])
    else:
        emax, ebin = np.empty(0), np.empty((1, 0))
    lsp = np.ascontiguousarray(fd.log_sob_space[order])
    delta = np.ascontiguousarray(_delta(t, fd.intervals))
    return float(_ts_bound(t, lsp, np.ascontiguousarray(emax), ebin, delta,
                           float(fd.n_total), float(fd.n), live, fd.tmax - fd.tmin, fd.tmin,
                           fd.tmax, float(sigma_max), float(rho), starts, stops, levels,
                           zoff, ztab, zmin, float(floor), float(stop_at), float(cell)))


# --------------------------------------------------------------------------- pruned skies
@dataclass
class PrunedSky:
    """Hemisphere minima of the local p-value of one sky, with only the needed pixels fitted.

    Attributes
    ----------
    p_min : dict
        ``{"north": p, "south": p}``: smallest local p-value of the hemisphere's pixels
        (exact when ``censored[hemi]`` is False; otherwise only ``>= p_init`` is known).
    censored : dict
        True where no pixel reached ``p_init``.
    ts : ndarray (n_pix,)
        Fitted TS (NaN where the pixel was pruned).
    bound : ndarray (n_pix,)
        Upper bound of every pixel's TS (:func:`flare_ts_bound`).
    n_fitted : int
        Pixels fitted in full.
    cpu_seconds : dict
        CPU seconds of the ROI + bound pass and of the fits.
    stopped : dict
        True where :func:`pruned_sky` stopped the hemisphere early at ``p_stop``: its
        ``p_min`` is then only an upper bound of the minimum (at most ``p_stop``).
    """

    p_min: dict[str, float]
    censored: dict[str, bool]
    ts: np.ndarray
    bound: np.ndarray
    n_fitted: int
    cpu_seconds: dict[str, float]
    stopped: dict[str, bool] = field(default_factory=lambda: {"north": False, "south": False})


def pruned_scan(model: Any, ra: np.ndarray, dec: np.ndarray, hemisphere: np.ndarray,
                p_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
                p_low_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
                sigma_min: float, ra_events: np.ndarray | None = None,
                time_events: np.ndarray | None = None, p_init: float = 1.0,
                **fit_kwargs: Any) -> PrunedSky:
    """Smallest local p-value per hemisphere of one (scrambled) sky, fitting only what can hold it.

    Every pixel gets an upper bound ``B`` of its TS (:func:`flare_ts_bound`). The local
    p-value is non-increasing in the TS within a declination band, so a pixel whose
    ``p_low_fn(B)`` (a lower bound of the band's p-value at every TS <= B) is not below
    the hemisphere's running minimum cannot lower it. Pixels are fitted in full in order
    of increasing ``p_low_fn(B)`` until that holds for all the rest.

    Parameters
    ----------
    model : FlareSampleModel
        Position-independent likelihood parts of the sample.
    ra, dec : ndarray
        Pixel centres, degrees.
    hemisphere : ndarray of int
        0 North, 1 South, -1 neither (not used for the minima) per pixel.
    p_fn, p_low_fn : callable ``(ts, pixel_index) -> p``
        Local p-value of a TS at those pixels, and a lower bound of it over all TS at or
        below the given value (both from the same band ensembles).
    sigma_min : float
        The fit's smallest sigma_t, days.
    ra_events, time_events : ndarray, optional
        Scrambled RA / times of the sample's events.
    p_init : float
        Start of the running minima (1: every sky exact).
    **fit_kwargs
        Passed to :func:`~bayesnu.flare.search.fit_flare`.
    """
    n = len(ra)
    ts = np.full(n, np.nan)
    bound = np.full(n, np.nan)
    t_cpu = time.process_time()
    for k in np.argsort(dec, kind="stable"):  # declination order: energy tables reused
        fd = model.data_at(float(ra[k]), float(dec[k]), ra=ra_events, time=time_events)
        bound[k] = flare_ts_bound(fd, sigma_min)
    t_bound = time.process_time() - t_cpu
    idx = np.arange(n)
    plo = np.asarray(p_low_fn(bound, idx), dtype=np.float64)
    p_min: dict[str, float] = {}
    censored: dict[str, bool] = {}
    n_fit = 0
    t_cpu = time.process_time()
    for h, name in ((0, "north"), (1, "south")):
        sel = np.flatnonzero(hemisphere == h)
        p_cur = float(p_init)
        for k in sel[np.argsort(plo[sel], kind="stable")]:
            if not plo[k] < p_cur:
                break
            fd = model.data_at(float(ra[k]), float(dec[k]), ra=ra_events, time=time_events)
            ts[k] = fit_flare(fd, sigma_min=sigma_min, **fit_kwargs).ts
            n_fit += 1
            p = float(np.asarray(p_fn(np.array([ts[k]]), np.array([k])))[0])
            if p < p_cur:
                p_cur = p
        p_min[name] = p_cur
        censored[name] = not p_cur < p_init
    return PrunedSky(p_min=p_min, censored=censored, ts=ts, bound=bound, n_fitted=n_fit,
                     cpu_seconds={"bound": t_bound, "fit": time.process_time() - t_cpu})


# --------------------------------------------------------------------------- fit behaviour
#: relative tolerance of :func:`check_behaviour`
BEHAVIOUR_RTOL = 1e-6
BEHAVIOUR_FILE = "flare_fit_behaviour.json"


def _probe_data(seed: int, n: int, n_flare: int, sigma_flare: float) -> FlareData:
    """A fixed, seeded synthetic ROI: good runs with gaps, background events, an optional flare."""
    from bayesnu.flare.roi import FLARE_GAMMA_GRID

    rng = np.random.default_rng(seed)
    lengths = rng.uniform(0.05, 0.6, 400)
    gaps = rng.exponential(0.02, 400)
    starts = 55000.0 + np.cumsum(np.r_[0.0, (lengths + gaps)[:-1]])
    iv = np.stack([starts, starts + lengths], axis=1)
    k = rng.integers(0, iv.shape[0], n)
    t = iv[k, 0] + rng.uniform(0.0, 1.0, n) * (iv[k, 1] - iv[k, 0])
    if n_flare:
        t0 = float(rng.uniform(iv[50, 0], iv[-50, 1]))
        tf = np.clip(t0 + sigma_flare * rng.standard_normal(n_flare), iv[0, 0], iv[-1, 1])
        kk = np.clip(np.searchsorted(iv[:, 0], tf, side="right") - 1, 0, iv.shape[0] - 1)
        tf = np.clip(tf, iv[kk, 0] + 1e-6, iv[kk, 1] - 1e-6)
        t[:n_flare] = tf
    lsp = rng.normal(-1.0, 1.5, n)
    lsp[:n_flare] += 3.0 if n_flare else 0.0
    slope = rng.normal(0.0, 1.0, n)
    slope[:n_flare] = np.abs(slope[:n_flare]) + 1.0 if n_flare else 0.0
    g = FLARE_GAMMA_GRID
    le = slope[None, :] * (2.5 - g[:, None]) + 0.1 * np.sin(3.0 * g[:, None] + slope[None, :])
    return FlareData(t, lsp, le, g, n_total=20 * n, intervals=iv)


def behaviour_probes() -> np.ndarray:
    """TS of the flare fit on a fixed set of seeded synthetic probes (the fit's behaviour).

    Four probes: background only and with an injected flare (10 events, 0.5 d), at
    ``sigma_min`` 1e-11 d and 0.5 d. A refactor that keeps the fit's numbers keeps
    these values; a change of the numerics moves them.
    """
    out = []
    for seed, nf, sf in ((1, 0, 0.0), (2, 10, 0.5), (3, 6, 0.02)):
        fd = _probe_data(seed, 300, nf, sf)
        for smin in (1e-11, 0.5):
            out.append(fit_flare(fd, sigma_min=smin).ts)
    return np.asarray(out, dtype=np.float64)


def check_behaviour(folder: str | os.PathLike, rtol: float = BEHAVIOUR_RTOL) -> np.ndarray:
    """Record the fit's behaviour in a campaign folder, or check it against the record.

    The first call writes ``folder/flare_fit_behaviour.json`` (probe TS values,
    :func:`behaviour_probes`). Later calls recompute the probes and raise
    :class:`~bayesnu.errors.InputError` when any differs by more than ``rtol``
    (relative): the skies in the folder were computed by a fit with other numbers
    and must not be mixed with new ones.
    """
    import json

    from bayesnu.errors import InputError

    path = Path(folder) / BEHAVIOUR_FILE
    now = behaviour_probes()
    if path.exists():
        try:
            old = np.asarray(json.loads(path.read_text())["probe_ts"], dtype=np.float64)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"unreadable flare-fit behaviour record ({exc}); delete it only "
                             "if the folder's skies were computed by the current code",
                             path=path) from exc
        if old.shape != now.shape or not np.allclose(now, old, rtol=rtol, atol=0.0):
            d = float(np.max(np.abs(now - old) / np.maximum(np.abs(old), 1e-300))) \
                if old.shape == now.shape else float("inf")
            raise InputError("the flare fit now gives other numbers than the one that computed "
                             f"the skies in this folder (probe TS differ by up to {d:.2g} "
                             f"relative, tolerance {rtol:g}); use a new output folder",
                             path=path)
        return now
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps({"probe_ts": now.tolist(), "rtol": rtol}, indent=1))
    return now


# --------------------------------------------------------------------------- cheap sky bounds
#: ROI radius classes (deg) of the sky-level event selection of :class:`SkyBounds`
_ROI_CLASSES = (2.0, 4.0, 8.0, 16.0, 32.0)
#: log margin added to every event weight (covers rounding differences to the fit's ROI)
_LOG_MARGIN = 1e-7


@numba.njit(cache=True, nogil=True)
def _g_cap(delta, s):  # pragma: no cover - jit
    """``1 / (s sqrt(2 pi) erf(delta / (sqrt 2 s)))``: the uptime-truncated Gaussian density
    at an event ``delta`` inside its good run, for every T0 and every sigma >= s."""
    if delta <= 0.0:
        return np.inf
    e = math.erf(delta / (_SQRT2 * s))
    return 1.0 / (s * _SQRT2PI * e) if e > 0.0 else np.inf


@numba.njit(cache=True, nogil=True)
def _tier_profile(u, m, n_o, lin, cnt, sm):  # pragma: no cover - jit
    """Upper bound of max_a [sum_k log(1 - a + a u_k) + n_o log(1 - a) + a lin], a in [0, 1).

    The ``m`` values ``u`` are grouped in tiers of a factor 2; within a tier Jensen's
    inequality (``log(1 - a + a x)`` is concave in x) replaces them by their mean with the
    tier's multiplicity. The resulting concave function of ``a`` is bracketed by bisection
    on its derivative; the tangent at the bracket's lower end over the bracket bounds the
    maximum whatever the bracket's width.
    """
    nt = cnt.size
    for b in range(nt):
        cnt[b] = 0.0
        sm[b] = 0.0
    inv = 1.0 / math.log(2.0)
    for j in range(m):
        x = u[j]
        b = int(math.floor(math.log(x) * inv)) + nt // 2 if x > 0.0 else 0
        b = min(max(b, 0), nt - 1)
        cnt[b] += 1.0
        sm[b] += x
    k = 0
    for b in range(nt):
        if cnt[b] > 0.0:
            cnt[k] = cnt[b]
            sm[k] = sm[b] / cnt[b] - 1.0  # mean minus 1
            k += 1
    g0 = lin - n_o
    for b in range(k):
        g0 += cnt[b] * sm[b]
    if not (g0 > 0.0):
        return 0.0
    lo = 0.0
    hi = 1.0
    glo = g0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        g = lin - n_o / (1.0 - mid)
        for b in range(k):
            g += cnt[b] * sm[b] / (1.0 + mid * sm[b])
        if g > 0.0:
            lo = mid
            glo = g
        else:
            hi = mid
    f = lin * lo + n_o * math.log1p(-lo)
    for b in range(k):
        f += cnt[b] * math.log1p(lo * sm[b])
    return f + glo * (hi - lo)


@numba.njit(cache=True, nogil=True)
def _node_value(t, w, gcap, lo, hi, a, b, s, s2, zl, r, w_tot, far0, n_total, n_sel, pen,
                floor, u, bargs, lin_frac):  # pragma: no cover - jit
    """Upper bound of the TS for T0 in [a, b], sigma in [s, s2] (or any value <= ``floor``
    when that bound is <= ``floor``): events ``lo:hi`` (within ``r s2`` of [a, b]) bounded
    one by one (time factor at most ``gcap``), the other events of ``w`` through their total
    weight times ``phi(r) / (s Z_low)``, plus ``far0`` (the weak events' summed S/B bound)."""
    N = n_total
    n_o = N - n_sel
    w_in = 0.0
    for j in range(lo, hi):
        w_in += w[j]
    far = far0
    rest = w_tot - w_in
    if rest > 0.0:
        far += rest * _phi(r) / (s * zl) if zl > 0.0 else np.inf
    tot = far
    m = hi - lo
    c0 = 1.0 / (s * zl) if zl > 0.0 else np.inf
    for j in range(lo, hi):
        tj = t[j]
        d = a - tj if tj < a else (tj - b if tj > b else 0.0)
        q = c0 * _phi(d / s2) if d > 0.0 else c0 / _SQRT2PI
        if gcap[j] < q:
            q = gcap[j]
        u[j - lo] = w[j] * q
        tot += u[j - lo]
    if not (tot > N):  # the profile's slope at ns = 0 is tot - N <= 0: ns = 0 is the maximum
        return pen
    if not np.isfinite(tot):
        return np.inf
    # events with u < theta enter linearly (log(1 - a + a u) <= a (u - 1))
    theta = lin_frac * N
    k = 0
    small = 0.0
    for j in range(m):
        if u[j] < theta:
            small += u[j]
        else:
            u[k] = u[j]
            k += 1
    lin = far + small - (n_sel - k)
    # Jensen: sum_k log(1 - a + a u_k) <= k log(1 + a S / k), n_o log(1 - a) <= -n_o a
    S = tot - far - small
    C = n_o - lin
    if C > 0.0 and S >= 0.0:
        jv = k * math.log(S / C) - k + k * C / S if S > C else 0.0
        if 2.0 * jv + pen <= floor:
            return 2.0 * jv + pen
    return 2.0 * _tier_profile(u, k, n_o, lin, bargs[0], bargs[1]) + pen


@numba.njit(cache=True, nogil=True)
def _refine_node(t, w, wb, delta, lo, hi, a, b, s, s2, R, w_tot, w_weak, n_total, n_sel,
                 tspan, starts, stops, floor, depth, lin_frac, u, bargs):  # pragma: no cover
    """Bound of a failing finest node (T0 in [a, b], sigma in [s, s2]) split up to ``depth``
    more times in T0 (halves) and in sigma (geometric halves), each part also refined per
    spectral-index bin. Returns ``floor`` when every part is at most ``floor``, else the
    value of the first deepest part above it.

    Each part bounds the parent's events ``lo:hi`` one by one with its own uptime-mass
    lower bound (:func:`_z_low` at its corners) and sigma range; the other events are at
    least ``R`` from [a, b], so their time factor is at most ``phi(R / s2') / (s' Z_low')``.
    """
    nb = wb.shape[0]
    m = hi - lo
    tt = t[lo:hi]
    wbb = wb[:, lo:hi]
    gcap = np.empty(m)
    sa = np.empty(4 * depth + 4)
    sbb = np.empty(4 * depth + 4)
    ss = np.empty(4 * depth + 4)
    ss2 = np.empty(4 * depth + 4)
    sd = np.empty(4 * depth + 4, dtype=np.int64)
    n = 1
    sa[0], sbb[0], ss[0], ss2[0], sd[0] = a, b, s, s2, 0
    while n > 0:
        n -= 1
        ca, cb, cs, cs2, cd = sa[n], sbb[n], ss[n], ss2[n], sd[n]
        if cd > 0:
            pen = 2.0 * math.log(cs2 / tspan)
            zl = _z_low(0.5 * (ca + cb), 0.5 * (cb - ca), cs, cs2, starts, stops, 5.0 * cs2)
            far0 = w_weak / (cs * _SQRT2PI * zl) if zl > 0.0 else (0.0 if w_weak == 0.0
                                                                  else np.inf)
            for j in range(m):
                gcap[j] = _g_cap(delta[lo + j], cs)
            v = _node_value(tt, w[lo:hi], gcap, 0, m, ca, cb, cs, cs2, zl, R / cs2, w_tot,
                            far0, n_total, n_sel, pen, floor, u, bargs, lin_frac)
            if v > floor:
                v = -np.inf
                for bi in range(nb):
                    vv = _node_value(tt, wbb[bi], gcap, 0, m, ca, cb, cs, cs2, zl, R / cs2,
                                     w_tot, far0, n_total, n_sel, pen, floor, u, bargs,
                                     lin_frac)
                    if vv > v:
                        v = vv
                    if v > floor:
                        break
            if v <= floor:
                continue
            if cd >= depth:
                return v
        mid = 0.5 * (ca + cb)
        sm = math.sqrt(cs * cs2)
        sa[n], sbb[n], ss[n], ss2[n], sd[n] = ca, mid, cs, sm, cd + 1
        sa[n + 1], sbb[n + 1], ss[n + 1], ss2[n + 1], sd[n + 1] = mid, cb, cs, sm, cd + 1
        sa[n + 2], sbb[n + 2], ss[n + 2], ss2[n + 2], sd[n + 2] = ca, mid, sm, cs2, cd + 1
        sa[n + 3], sbb[n + 3], ss[n + 3], ss2[n + 3], sd[n + 3] = mid, cb, sm, cs2, cd + 1
        n += 4
    return floor


@numba.njit(cache=True, nogil=True)
def _bb_bound(t_all, w_all, wb_all, delta_all, n_total, n_sel, tspan, tmin, tmax, sig_hi, rho,
              starts, stops, levels, zoff, ztab, zmin, h_frac, floor, block, eps, eps_weak,
              lin_frac, depth, stats):  # pragma: no cover - jit
    """Branch and bound over (sigma level, T0 interval): is the TS provably <= ``floor``?

    Returns ``floor`` when every (level, T0) node is bounded by at most ``floor`` (then
    the TS of every flare is at most ``floor``), else the value (> floor) of the first
    finest node whose bound, also refined per spectral-index bin (``wb_all``), exceeds it.
    Per level, the events of smallest weight whose summed weight is at most
    ``eps_weak N s sqrt(2 pi) Z_min`` (``Z_min`` the level's smallest uptime mass) enter
    every node only through that sum at the largest time factor ``1 / (s sqrt(2 pi) Z)``
    (at most ``eps_weak N``).
    """
    null = 2.0 * math.log(sig_hi / tspan)
    if null > floor:
        return null
    n = t_all.size
    if n == 0:
        return floor
    nb = wb_all.shape[0]
    by_w = np.argsort(w_all)
    rank = np.empty(n, dtype=np.int64)
    for k in range(n):
        rank[by_w[k]] = k
    cum = np.zeros(n + 1)
    for k in range(n):
        cum[k + 1] = cum[k] + w_all[by_w[k]]
    u = np.empty(n)
    bargs = (np.zeros(160), np.zeros(160))
    t = np.empty(n)
    w = np.empty(n)
    wb = np.empty((nb, n))
    delta = np.empty(n)
    gcap = np.empty(n)
    st0 = np.empty(256, dtype=np.int64)
    st1 = np.empty(256, dtype=np.int64)
    for li in range(levels.size):
        s = levels[li]
        s2 = min(s * rho, sig_hi)
        pen = 2.0 * math.log(s2 / tspan)
        h = h_frac * s
        if (tmax - tmin) / (2.0 * h) > 4e6:
            return np.inf  # T0 cells too fine to visit (see SkyBounds.applicable)
        M = int(math.floor((tmax - tmin) / (2.0 * h))) + 1
        tab = zoff[li] >= 0
        # weak events: the k_weak smallest weights
        budget = eps_weak * n_total * s * _SQRT2PI * zmin[li] if tab else 0.0
        k_weak = np.searchsorted(cum, budget, side="right") - 1
        w_weak = cum[k_weak]
        ns = 0
        w_tot = 0.0
        for j in range(n):
            if rank[j] >= k_weak:
                t[ns] = t_all[j]
                w[ns] = w_all[j]
                delta[ns] = delta_all[j]
                for bi in range(nb):
                    wb[bi, ns] = wb_all[bi, j]
                w_tot += w_all[j]
                ns += 1
        for j in range(ns):
            gcap[j] = _g_cap(delta[j], s)
        ts_ = t[:ns]
        nst = 0
        m = 0
        while m < M:
            m1 = min(m + block, M) - 1
            st0[nst] = m
            st1[nst] = m1
            nst += 1
            m = m1 + 1
            while nst > 0:
                nst -= 1
                m0 = st0[nst]
                mm1 = st1[nst]
                a = tmin + 2.0 * m0 * h
                b = tmin + 2.0 * (mm1 + 1) * h
                if tab:
                    zl = np.inf
                    for k in range(m0, mm1 + 1):
                        if ztab[zoff[li] + k] < zl:
                            zl = ztab[zoff[li] + k]
                else:
                    zl = _z_low(0.5 * (a + b), 0.5 * (b - a), s, s2, starts, stops, 14.0 * s2)
                far0 = w_weak / (s * _SQRT2PI * zl) if zl > 0.0 else (0.0 if w_weak == 0.0
                                                                     else np.inf)
                if zl > 0.0:
                    arg = w_tot / (s * zl * _SQRT2PI * eps * n_total)
                    r = math.sqrt(2.0 * math.log(arg)) if arg > 1.0 else 0.0
                    r = min(max(r, 3.0), 40.0)
                else:
                    r = 40.0
                R = r * s2
                lo = np.searchsorted(ts_, a - R)
                hi = np.searchsorted(ts_, b + R, side="right")
                stats[0] += 1
                stats[1] += hi - lo
                v = _node_value(t, w, gcap, lo, hi, a, b, s, s2, zl, r, w_tot, far0, n_total,
                                n_sel, pen, floor, u, bargs, lin_frac)
                if v <= floor:
                    continue
                if mm1 > m0:  # split the T0 interval
                    mid = (m0 + mm1) // 2
                    st0[nst] = mid + 1
                    st1[nst] = mm1
                    st0[nst + 1] = m0
                    st1[nst + 1] = mid
                    nst += 2
                    continue
                # finest node: refine per spectral-index bin
                vb = -np.inf
                for bi in range(nb):
                    vv = _node_value(t, wb[bi], gcap, lo, hi, a, b, s, s2, zl, r, w_tot,
                                     far0, n_total, n_sel, pen, floor, u, bargs, lin_frac)
                    if vv > vb:
                        vb = vv
                if vb > floor and depth > 0:
                    vb = _refine_node(t, w, wb, delta, lo, hi, a, b, s, s2, R, w_tot, w_weak,
                                      n_total, n_sel, tmax - tmin, starts, stops, floor, depth,
                                      lin_frac, u, bargs)
                if vb > floor:
                    stats[2] = li
                    return vb
    return floor


class SkyBounds:
    """Cheap per-pixel tests "is the flare TS provably <= tau?" on one (scrambled) sky.

    The events of the sky (scrambled RA and times) are prepared once: sorted by
    declination in classes of ROI radius (``min(roi_sigma * angular error, roi_max)``
    up to 2, 4, 8, 16, 32 deg), so that a pixel visits only the declination band
    each class can reach, not the widest ROI's band (the fit's ROI selection scans
    +-30 deg for IC86-2011 because a few events have errors of tens of degrees).

    :meth:`weights` gives, for a position, a superset of the fit's ROI events with
    their times and upper bounds ``w_i`` of ``X_i / q_i`` (spatial S/B as the fit's
    :meth:`~bayesnu.flare.roi.FlareSampleModel.data_at` computes it, times the largest
    energy S/B over ``1 <= gamma <= 4`` (:func:`energy_max` per energy cell, cached per
    declination), times the live time, plus a log margin of 1e-7). An event outside the
    fit's ROI enters the fit as ``log(1 - a)`` and the bound as ``log(1 - a + a X)``, so a
    superset only raises the bound.

    :meth:`below` runs a branch and bound over (sigma_t level, T0 interval) nodes,
    coarse T0 intervals (``block`` cells of half-width ``cell * s``) first, each split in
    two only while its bound exceeds ``tau``. A node (T0 in [a, b], sigma in [s, rho s])
    bounds each nearby event's time factor by ``min(phi(d / (rho s)) / (s Z_low), g_i(s))``
    -- ``d`` its distance to [a, b], ``Z_low`` the smallest uptime mass over the node
    (per-sample table of :func:`flare_ts_bound`, minimum over the node's cells),
    ``g_i(s) = 1 / (s sqrt(2 pi) erf(delta_i / (sqrt 2 s)))`` the cap valid for every T0
    (``delta_i`` the distance of the event to its good run's nearest edge) -- and all
    farther events (beyond ``r rho s``, ``r`` chosen so that their sum is at most
    ``eps N``) through their total weight times ``phi(r) / (s Z_low)``. Per level, the
    smallest weights summing to at most ``eps_weak N s sqrt(2 pi) Z_min`` enter every node
    only through that sum at the largest time factor. In a node, events with bound
    ``X_i < lin_frac N`` enter linearly (``log(1 - a + a X) <= a (X - 1)``), the others
    through Jensen's inequality (a closed form; enough for most nodes) or, failing that,
    tiers of a factor 2 with Jensen inside each tier and a bisection of the concave
    profile over ``a = ns/N`` whose tangent bounds the maximum (:func:`_tier_profile`).
    The duration term is ``2 log(rho s / T)``. A finest node that still exceeds ``tau``
    is refined per spectral-index bin (0.25 wide), and with ``depth > 0`` split up to
    ``depth`` more times in T0 and sigma_t (:func:`_refine_node`) before the test gives up.

    Every inequality only raises the bound, so ``below(tau) <= tau`` proves TS <= tau.
    Not :attr:`applicable` (never proves anything) when the finest sigma_t level needs
    more than 4e6 T0 cells, as for the simulated cascades (sigma_min 1e-11 d): Gaussians
    far narrower than a good-run gap and centred in it need the edge-concentration
    inequality (VALIDATION.md), not implemented.
    """

    def __init__(self, model: Any, sigma_min: float, ra_events: np.ndarray | None = None,
                 time_events: np.ndarray | None = None, sigma_max: float | None = None,
                 rho: float = RHO, cell: float = 0.25, block: int = 32,
                 max_cells: int = 400_000, gamma_bin: float = 0.25, eps: float = 1e-3,
                 eps_weak: float = 1e-2, lin_frac: float = 1e-2, depth: int = 0):
        s = model.sample
        self.model = model
        self.ra = np.asarray(s.ra if ra_events is None else ra_events, dtype=np.float64)
        self.t = np.asarray(s.time if time_events is None else time_events, dtype=np.float64)
        from bayesnu.flare.temporal import uptime_intervals

        # the good runs exactly as FlareData holds them (sorted, merged)
        iv = np.asarray(uptime_intervals(model.intervals), dtype=np.float64)
        self.live = float(np.sum(iv[:, 1] - iv[:, 0]))
        self.tmin, self.tmax = float(iv[0, 0]), float(iv[-1, 1])
        self.sigma_min = float(sigma_min)
        self.sigma_max = float(0.5 * self.live if sigma_max is None else sigma_max)
        self.rho, self.cell, self.block, self.eps = float(rho), float(cell), int(block), eps
        self.gamma_bin = gamma_bin
        self.stats = np.zeros(3)  # nodes visited, event visits, level of the last failure
        self.eps_weak = float(eps_weak)
        self.lin_frac = float(lin_frac)
        self.depth = int(depth)
        self.tabs = _tables(iv, self.sigma_min, self.sigma_max, self.rho, int(max_cells),
                            self.cell)
        self.delta = _delta(self.t, iv)
        rmax = np.minimum(model.roi_sigma * s.angerr, model.roi_max_deg)
        cls = np.searchsorted(np.asarray(_ROI_CLASSES), rmax * (1.0 + 1e-9))
        cls = np.minimum(cls, len(_ROI_CLASSES) - 1)
        od = model.order_dec
        self._classes = []
        for c, rc in enumerate(_ROI_CLASSES):
            idx = od[cls[od] == c]
            if idx.size:
                rc = max(rc, float(np.max(rmax[idx])))
                self._classes.append((rc * (1.0 + 1e-9) + 1e-9, idx, s.dec[idx]))
        self._energy: dict = {}
        self._rings: dict = {}
        self.coef = cardinal_spline(model.gamma_grid) if model.gamma_grid.size >= 2 else None

    @property
    def applicable(self) -> bool:
        """False when the finest sigma_t level needs more than 4e6 T0 cells (e.g. the
        simulated cascades, sigma_min 1e-11 d): the test then never proves anything."""
        return (self.tmax - self.tmin) / (2.0 * self.cell * self.sigma_min) <= 4e6

    def _energy_max(self, dec0: float) -> tuple[np.ndarray, np.ndarray]:
        """Largest log energy S/B per energy cell over [1, 4] and over gamma bins."""
        key = round(float(dec0), 1)
        e = self._energy.get(key)
        if e is None:
            e = _energy_bin_max(self.model.energy_log_ratio(dec0), self.model.gamma_grid,
                                self.gamma_bin, self.coef)
            if len(self._energy) > 64:
                self._energy.clear()
            self._energy[key] = e
        return e

    def _ring(self, dec0: float) -> list:
        """Per ROI class: the events of the declination band it can reach from ``dec0``,
        sorted by (scrambled) right ascension (cached per declination: a HEALPix ring)."""
        key = float(dec0)
        ring = self._rings.get(key)
        if ring is None:
            ring = []
            for rc, idx, dcs in self._classes:
                lo = np.searchsorted(dcs, dec0 - rc, side="left")
                hi = np.searchsorted(dcs, dec0 + rc, side="right")
                sub = idx[lo:hi]
                o = np.argsort(self.ra[sub], kind="stable")
                ring.append((rc, np.ascontiguousarray(self.ra[sub][o]), sub[o]))
            if len(self._rings) > 8:
                self._rings.clear()
            self._rings[key] = ring
        return ring

    def select(self, ra0: float, dec0: float) -> tuple[np.ndarray, np.ndarray]:
        """Indices of a superset of the fit's ROI events at ``(ra0, dec0)`` and their log
        spatial S/B (as :meth:`~bayesnu.flare.roi.FlareSampleModel.data_at`)."""
        from bayesnu.pdfs.spatial import gaussian_pdf, vmf_pdf

        model = self.model
        parts = []
        for rc, ra_sorted, idx in self._ring(dec0):
            if rc + abs(dec0) >= 89.0:
                parts.append(idx)
                continue
            half = math.degrees(math.asin(min(1.0, math.sin(math.radians(rc))
                                              / math.cos(math.radians(dec0)))))
            half = half * (1.0 + 1e-9) + 1e-9
            lo_ra, hi_ra = ra0 - half, ra0 + half
            for a, b in ((lo_ra, hi_ra), (lo_ra + 360.0, hi_ra + 360.0),
                         (lo_ra - 360.0, hi_ra - 360.0)):
                i0 = np.searchsorted(ra_sorted, a, side="left")
                i1 = np.searchsorted(ra_sorted, b, side="right")
                if i1 > i0:
                    parts.append(idx[i0:i1])
        cand = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        s = model.sample
        d1 = s.dec[cand] * (np.pi / 180.0)
        d0 = dec0 * (np.pi / 180.0)
        sdd = np.sin(0.5 * (d1 - d0))
        sdr = np.sin(0.5 * (self.ra[cand] - ra0) * (np.pi / 180.0))
        hh = sdd * sdd + np.cos(d1) * np.cos(d0) * sdr * sdr
        psi = 2.0 * np.arcsin(np.sqrt(np.clip(hh, 0.0, 1.0)))
        sig = model.sigma_rad[cand]
        keep = ((psi < model.roi_sigma * sig * (1.0 + 1e-9))
                & (psi < model.roi_max_deg * (np.pi / 180.0) * (1.0 + 1e-9)))
        idx, psi, sig = cand[keep], psi[keep], sig[keep]
        pdf = vmf_pdf(psi, sig) if model.spatial == "vmf" else gaussian_pdf(psi, sig)
        with np.errstate(divide="ignore"):
            lsp = np.log(pdf) - model.log_bg_space[idx]
        return idx, lsp

    def weights(self, ra0: float, dec0: float):
        """Times (sorted), weights ``w_i`` (all gamma) and per gamma bin, ``delta_i`` of a
        superset of the fit's ROI events at ``(ra0, dec0)``; and the superset's size."""
        model = self.model
        idx, lsp = self.select(ra0, dec0)
        emax, ebin = self._energy_max(dec0)
        cells = model.cells[idx]
        base = lsp + math.log(self.live) + _LOG_MARGIN
        order = np.argsort(self.t[idx], kind="stable")
        t = np.ascontiguousarray(self.t[idx][order])
        w = np.exp(np.minimum(base + emax[cells], 700.0))[order]
        wb = np.exp(np.minimum(base[None, :] + ebin[:, cells], 700.0))[:, order]
        return t, np.ascontiguousarray(w), np.ascontiguousarray(wb), \
            np.ascontiguousarray(self.delta[idx][order]), int(idx.size)

    def below(self, ra0: float, dec0: float, tau: float) -> float:
        """``tau`` if the flare TS of :func:`~bayesnu.flare.search.fit_flare` at the position
        is provably ``<= tau``; otherwise a value ``> tau`` (not a bound)."""
        t, w, wb, delta, n_sel = self.weights(ra0, dec0)
        starts, stops, levels, zoff, ztab, zmin = self.tabs
        return float(_bb_bound(t, w, wb, delta, float(self.model.sample.size), float(n_sel),
                               self.tmax - self.tmin, self.tmin, self.tmax, self.sigma_max,
                               self.rho, starts, stops, levels, zoff, ztab, zmin, self.cell,
                               float(tau), self.block, self.eps, self.eps_weak, self.lin_frac,
                               self.depth, self.stats))


def _thresholds(p: float, p_low_fn: Callable, groups: np.ndarray, rep: np.ndarray,
                lo: float = -100.0, hi: float = 1000.0, steps: int = 60) -> np.ndarray:
    """Per group the largest TS found with ``p_low_fn(TS) >= p`` (bisection; ``-inf`` when
    even TS ``lo`` has a smaller p lower bound). A bound at or below it cannot lower ``p``."""
    a = np.full(rep.size, lo)
    b = np.full(rep.size, hi)
    ok = np.asarray(p_low_fn(a, rep), dtype=np.float64) >= p
    top = np.asarray(p_low_fn(b, rep), dtype=np.float64) >= p
    for _ in range(steps):
        mid = 0.5 * (a + b)
        good = np.asarray(p_low_fn(mid, rep), dtype=np.float64) >= p
        a = np.where(good, mid, a)
        b = np.where(good, b, mid)
    a = np.where(top, hi, a)
    return np.where(ok, a, -np.inf)[groups]


def pruned_sky(model: Any, ra: np.ndarray, dec: np.ndarray, hemisphere: np.ndarray,
               p_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
               p_low_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
               sigma_min: float, ra_events: np.ndarray | None = None,
               time_events: np.ndarray | None = None,
               p_guess: dict[str, float] | float = 1e-3, bounds: SkyBounds | None = None,
               p_stop: dict[str, float] | None = None, **fit_kwargs: Any) -> PrunedSky:
    """Smallest local p-value per hemisphere of one (scrambled) sky, exactly, with few fits.

    Like :func:`pruned_scan`, but a pixel is skipped when :class:`SkyBounds` proves its TS
    at most a threshold ``tau`` (the largest TS whose band p-value lower bound
    ``p_low_fn(tau)`` is still at least the target ``p``), which is much cheaper than
    resolving the bound itself. Per hemisphere:

    1. target ``p = p_guess``; every pixel is tested at its ``tau(p)``;
    2. the pixels not proven are fitted in full (largest test value first); before each
       fit the pixel is re-tested at ``tau(p_cur)`` of the running minimum ``p_cur``
       (a higher threshold once ``p_cur < p``) and skipped if proven;
    3. if ``p_cur <= p`` every skipped pixel has a p-value ``>= p >= p_cur``: the minimum
       is exact. Otherwise (no pixel reached the guess) the target becomes ``p_cur`` and
       the proven pixels are tested again at the new (lower) thresholds -- until no pixel
       is left unproven and unfitted.

    The p-value of a TS is non-increasing in the TS within a band, so a pixel whose TS is
    ``<= tau(p)`` has a p-value ``>= p_low_fn(tau(p)) >= p``. ``bound`` in the result
    holds, per pixel, the last threshold its TS was proven below (NaN where fitted).

    ``p_stop`` (``{"north": p, ...}``, optional) stops a hemisphere as soon as its running
    minimum is at or below ``p``: its ``p_min`` is then only known to be ``<= p``
    (``stopped`` in the result). That is all the empirical global p-value of an observed
    local p-value ``>= p`` needs from the sky ("is its minimum at or below?"), not its
    minimum. Pixels with equal test values (all of them where :class:`SkyBounds` is not
    :attr:`~SkyBounds.applicable`) are then fitted in a fixed pseudo-random order, not in
    declination order, so that neighbouring (correlated) pixels do not come one after
    another.
    """
    n = len(ra)
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    t_cpu = time.process_time()
    sb = bounds if bounds is not None else SkyBounds(model, sigma_min, ra_events, time_events)
    # a ring shares its band: one representative pixel (the first) per declination
    _, rep, groups = np.unique(dec, return_index=True, return_inverse=True)
    ts = np.full(n, np.nan)
    proven = np.full(n, np.nan)
    t_bound = time.process_time() - t_cpu
    t_fit = 0.0
    n_fit = 0
    n_tests = 0
    p_min: dict[str, float] = {}
    stopped = {"north": False, "south": False}
    tau_cache: dict[float, np.ndarray] = {}
    shuffled = np.empty(n, dtype=np.int64)
    shuffled[np.random.default_rng(0).permutation(n)] = np.arange(n)  # fixed order, no draw

    def taus(p: float) -> np.ndarray:
        if p not in tau_cache:
            tau_cache[p] = _thresholds(p, p_low_fn, groups, rep)
        return tau_cache[p]

    for h, name in ((0, "north"), (1, "south")):
        pg = p_guess[name] if isinstance(p_guess, dict) else float(p_guess)
        stop = float(p_stop[name]) if p_stop and name in p_stop else -1.0
        sel = np.flatnonzero(hemisphere == h)
        p_cur = 1.0
        target = min(float(pg), 1.0)
        todo = sel[np.argsort(dec[sel], kind="stable")]  # declination order: energy cache
        while True:
            t0 = time.process_time()
            tau = taus(target)
            vals = np.full(n, -np.inf)
            for k in todo:
                if not (np.isfinite(tau[k]) and sb.applicable):
                    vals[k] = np.inf
                    continue
                vals[k] = sb.below(float(ra[k]), float(dec[k]), float(tau[k]))
                n_tests += 1
            fit_list = [k for k in todo if not vals[k] <= tau[k]]
            for k in todo:
                if vals[k] <= tau[k]:
                    proven[k] = tau[k]
            t_bound += time.process_time() - t0
            if stop >= 0.0:
                fit_list.sort(key=lambda k: (-vals[k], shuffled[k]))
            else:
                fit_list.sort(key=lambda k: -vals[k])
            for k in fit_list:
                t0 = time.process_time()
                if p_cur < target and sb.applicable:  # re-test at the running minimum's threshold
                    n_tests += 1
                    tk = taus(p_cur)[k]
                    if np.isfinite(tk) and sb.below(float(ra[k]), float(dec[k]),
                                                    float(tk)) <= tk:
                        proven[k] = tk
                        t_bound += time.process_time() - t0
                        continue
                t_bound += time.process_time() - t0
                t0 = time.process_time()
                fd = model.data_at(float(ra[k]), float(dec[k]), ra=ra_events, time=time_events)
                ts[k] = fit_flare(fd, sigma_min=sigma_min, **fit_kwargs).ts
                n_fit += 1
                proven[k] = np.nan
                p = float(np.asarray(p_fn(np.array([ts[k]]), np.array([k])))[0])
                if p < p_cur:
                    p_cur = p
                t_fit += time.process_time() - t0
                if p_cur <= stop:
                    stopped[name] = True
                    break
            if p_cur <= target or stopped[name]:
                break
            # no pixel reached the target: lower it to the minimum found and re-test the
            # pixels proven only at the old (higher) thresholds
            target = p_cur
            tau_new = taus(target)
            todo = np.array([k for k in sel if np.isfinite(proven[k])
                             and proven[k] > tau_new[k]], dtype=np.int64)
            if todo.size == 0:
                break
        p_min[name] = p_cur
    return PrunedSky(p_min=p_min, censored={"north": False, "south": False}, ts=ts,
                     bound=proven, n_fitted=n_fit,
                     cpu_seconds={"bound": t_bound, "fit": t_fit, "tests": float(n_tests)},
                     stopped=stopped)
