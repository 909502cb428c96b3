"""Fast path for point-source background trials and fits (one source, no time PDF).

A background trial is an RA scramble of every sample followed by the
maximisation of ``log L(ns, gamma) - log L(0)``. :class:`TrialKernel` does both
without building Python objects per trial:

* **scramble**: only the candidate events whose declination lets them reach
  the source's region of interest (the set :class:`~bayesnu.likelihood.SampleSetup`
  already keeps) get new RAs, drawn uniformly over the sample's footprint with
  the same random-number calls as :meth:`LikelihoodSetup.scrambled`, so both
  give the same trial for the same generator state. For each candidate the
  largest RA offset at which it can still pass the ROI cut
  ``S/B_max > roi_eps`` is precomputed, so a draw costs one comparison; the
  spatial PDF is evaluated only for the ~1k events that pass it, with the same
  formula and the same cut as :meth:`SampleSetup.term`.
* **fit**: for fixed gamma the log-likelihood is concave in ns, so the
  profile ``ns_hat(gamma)`` is the root of a monotonic 1-D equation, solved
  by the one ns-profile solver :func:`bayesnu.likelihood.nsprofile.newton_ns`
  (several samples with fractions ``F_k(gamma)``). The profile log-likelihood is scanned on a coarse
  gamma grid (step ``gamma_step``) and refined by Brent's method in the
  bracket around the best grid point (tolerance ``gamma_tol``). This finds
  the global maximum over the fit box whenever the profile has no second
  maximum narrower than the grid step, i.e. the same or a higher maximum
  than the multi-start L-BFGS-B of :func:`bayesnu.inference.fit`.

Both steps are compiled with numba (cached on disk; ~1 s once per machine).
:func:`fast_fit` applies the fit to any single-source, time-independent
:class:`~bayesnu.likelihood.MixtureLikelihood` (e.g. with injected signal).
"""

from __future__ import annotations

import numba
import numpy as np

from bayesnu.errors import InputError
from bayesnu.likelihood.kernel import MixtureLikelihood
from bayesnu.likelihood.nsprofile import newton_ns
from bayesnu.likelihood.setup import LikelihoodSetup

__all__ = ["TrialKernel", "fast_fit", "fit_bounds"]

_DEG = np.pi / 180.0
_TWO_PI = 2.0 * np.pi


# --------------------------------------------------------------------------- fit
@numba.njit(cache=True)
def _interval(grid, x):
    n = grid.size
    lo, hi = 0, n - 1
    while hi - lo > 1:  # bisection: grid[lo] <= x < grid[hi]
        mid = (lo + hi) // 2
        if grid[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo, x - grid[lo]


@numba.njit(cache=True)
def _prepare(gamma, s, col, coef, acoef, grid, K, Ec, F, x):
    """x_i = s_i exp(e_c(gamma)) (S/B) for every ROI event; F_k(gamma) in ``F``."""
    j, dx = _interval(grid, gamma)
    for c in range(coef.shape[2]):
        Ec[c] = np.exp(((coef[j, 0, c] * dx + coef[j, 1, c]) * dx + coef[j, 2, c]) * dx
                       + coef[j, 3, c])
    if K == 1:
        F[0] = 1.0
    else:
        mx = -np.inf
        for k in range(K):
            F[k] = ((acoef[j, 0, k] * dx + acoef[j, 1, k]) * dx + acoef[j, 2, k]) * dx \
                + acoef[j, 3, k]
            if F[k] > mx:
                mx = F[k]
        tot = 0.0
        for k in range(K):
            F[k] = np.exp(F[k] - mx)
            tot += F[k]
        for k in range(K):
            F[k] /= tot
    for i in range(s.size):
        x[i] = s[i] * Ec[col[i]]


@numba.njit(cache=True)
def _profile(gamma, ns0, s, col, ptr, coef, acoef, grid, N, m, ns_hi, Ec, F, x, zero, work):
    """(max over ns of log L at this gamma, ns_hat); events sorted by sample (``ptr``)."""
    _prepare(gamma, s, col, coef, acoef, grid, N.size, Ec, F, x)
    ns, v = newton_ns(x, ptr, m, N, F, zero, zero, work, ns0, ns_hi, 200, 1e-11)
    if not np.isfinite(v):
        return 0.0, 0.0
    return v, ns


@numba.njit(cache=True)
def _fit_core(s, col, ks, coef, acoef, grid, N, m, glo, ghi, ns_hi, gstep, gtol):
    """Global (grid + Brent) maximum of the ns-profiled log-likelihood in gamma.

    The events are sorted by sample (``ks`` non-decreasing).
    """
    K = N.size
    Ec = np.empty(coef.shape[2])
    F = np.empty(K)
    xb = np.empty(s.size)  # S/B of the events at the current gamma
    zero = np.zeros(K)
    work = np.empty((2, s.size))
    ptr = np.zeros(K + 1, dtype=np.int64)
    for i in range(ks.size):
        ptr[ks[i] + 1] += 1
    for k in range(K):
        ptr[k + 1] += ptr[k]
    n_g = max(2, int(np.ceil((ghi - glo) / gstep - 1e-9)) + 1)
    step = (ghi - glo) / (n_g - 1)
    best_v, best_ns, best_i = -1.0, 0.0, 0
    ns_prev = 0.0
    nev = 0
    for i in range(n_g):
        gam = glo + i * step
        v, ns = _profile(gam, ns_prev, s, col, ptr, coef, acoef, grid, N, m, ns_hi, Ec, F,
                         xb, zero, work)
        nev += 1
        if ns > 0.0:
            ns_prev = ns
        if v > best_v:
            best_v, best_ns, best_i = v, ns, i
    if best_v <= 0.0:  # no excess at any gamma: background only
        return 0.0, 0.0, glo + best_i * step, nev
    best_g = glo + best_i * step
    # Brent's minimisation of -profile on the bracket around the best grid point
    a = max(glo, best_g - step)
    b = min(ghi, best_g + step)
    cgold = 0.3819660112501051
    x = w = v_ = best_g
    fx = fw = fv = -best_v
    nsx = best_ns
    d = 0.0
    e = 0.0
    for _ in range(100):
        xm = 0.5 * (a + b)
        tol1 = gtol
        tol2 = 2.0 * tol1
        if abs(x - xm) <= tol2 - 0.5 * (b - a):
            break
        use_golden = True
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v_) * (fx - fw)
            p = (x - v_) * q - (x - w) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            etemp = e
            e = d
            if not (abs(p) >= abs(0.5 * q * etemp) or p <= q * (a - x) or p >= q * (b - x)):
                d = p / q
                uu = x + d
                if uu - a < tol2 or b - uu < tol2:
                    d = tol1 if xm - x >= 0 else -tol1
                use_golden = False
        if use_golden:
            e = (a - x) if x >= xm else (b - x)
            d = cgold * e
        if abs(d) >= tol1:
            uu = x + d
        else:
            uu = x + (tol1 if d >= 0 else -tol1)
        fu_, nsu = _profile(uu, nsx, s, col, ptr, coef, acoef, grid, N, m, ns_hi, Ec, F,
                            xb, zero, work)
        fu = -fu_
        nev += 1
        if fu <= fx:
            if uu >= x:
                a = x
            else:
                b = x
            v_, fv = w, fw
            w, fw = x, fx
            x, fx, nsx = uu, fu, nsu
        else:
            if uu < x:
                a = uu
            else:
                b = uu
            if fu <= fw or w == x:
                v_, fv = w, fw
                w, fw = uu, fu
            elif fu <= fv or v_ == x or v_ == w:
                v_, fv = uu, fu
    return -fx, nsx, x, nev


# ------------------------------------------------------------------ scramble
@numba.njit(cache=True)
def _roi(ra, ra_src, dmax, sdd2, cc, sigma, bsp, emaxlr, be, col, ks, kind, eps, K,
         s_out, col_out, ks_out, n_roi):
    """Events of a scramble that pass the ROI cut; returns their number."""
    n = 0
    for k in range(K):
        n_roi[k] = 0
    for i in range(ra.size):
        d = ra[i] - ra_src  # in (-360, 360): wrap to [-180, 180)
        if d >= 180.0:
            d -= 360.0
        elif d < -180.0:
            d += 360.0
        if abs(d) >= dmax[i]:
            continue
        sdr = np.sin(0.5 * d * (np.pi / 180.0))
        h = sdd2[i] + cc[i] * sdr * sdr
        if h > 1.0:
            h = 1.0
        s2 = sigma[i] * sigma[i]
        if kind == 0:
            psi = 2.0 * np.arcsin(np.sqrt(h))
            pdf = np.exp(-0.5 * psi * psi / s2) / (2.0 * np.pi * s2)
        else:
            kap = 1.0 / s2
            pdf = kap / (2.0 * np.pi * (-np.expm1(-2.0 * kap))) * np.exp(-2.0 * kap * h)
        ratio = pdf / bsp[i]
        if ratio * emaxlr[i] > eps:
            s_out[n] = ratio / be[i]
            col_out[n] = col[i]
            ks_out[n] = ks[i]
            n_roi[ks[i]] += 1
            n += 1
    return n


# ------------------------------------------------------------------ helpers
def fit_bounds(likelihood: MixtureLikelihood) -> tuple[float, float, float, float]:
    """``(ns_lo, ns_hi, gamma_lo, gamma_hi)`` as in :func:`bayesnu.inference.fit`'s defaults.

    ``ns_hi`` is :func:`bayesnu.likelihood.kernel.ns_upper_bound` (0.999 of the
    smallest ``N_k / F_k(gamma)`` on 31 gammas; no PyTensor import).
    """
    from bayesnu.likelihood.kernel import ns_upper_bound

    glo, ghi = likelihood.gamma_bounds
    return likelihood.ns_min, ns_upper_bound(likelihood), max(1.0, glo), min(4.0, ghi)


def _check(likelihood: MixtureLikelihood) -> None:
    if likelihood.n_sources != 1 or likelihood.n_theta:
        raise InputError("the fast fit handles one source without a time PDF; use "
                         "bayesnu.inference.fit")
    if likelihood.ns_min != 0.0:
        raise InputError("the fast fit needs ns_min = 0")


def fast_fit(likelihood: MixtureLikelihood, gamma_step: float = 0.2, gamma_tol: float = 1e-5,
             bounds: tuple[float, float, float, float] | None = None
             ) -> tuple[float, float, float, int]:
    """Maximum of a one-source, time-independent likelihood over (ns, gamma).

    Parameters
    ----------
    likelihood
        Kernel with one source, no temporal parameters and ``ns_min = 0``.
    gamma_step
        Step of the coarse gamma scan of the ns-profiled log-likelihood.
    gamma_tol
        Absolute tolerance of the Brent refinement in gamma.
    bounds
        ``(ns_lo, ns_hi, gamma_lo, gamma_hi)``; default :func:`fit_bounds`.

    Returns
    -------
    ts, ns, gamma, n_profiles
        ``TS = 2 max log L/L0`` (>= 0), best fit (gamma is arbitrary, the
        lower end of the range, when ns = 0) and the number of profiled gammas.
    """
    _check(likelihood)
    L = likelihood
    _, ns_hi, glo, ghi = bounds if bounds is not None else fit_bounds(L)
    acoef = np.ascontiguousarray(L.log_acc.coef)
    spatial, cells, ev_sample = L._spatial, L._cells, L._ev_sample
    if np.any(np.diff(ev_sample) < 0):  # the solver takes the events sample after sample
        order = np.argsort(ev_sample, kind="stable")
        spatial, cells, ev_sample = spatial[order], cells[order], ev_sample[order]
    v, ns, g, nev = _fit_core(spatial, cells, ev_sample, L._coef, acoef, L._grid,
                              L._N, L._m, float(glo), float(ghi), float(ns_hi),
                              float(gamma_step), float(gamma_tol))
    return max(2.0 * v, 0.0), ns, g, int(nev)


class TrialKernel:
    """RA-scrambled background trials with the fast fit, for one source.

    Parameters
    ----------
    setup
        :class:`~bayesnu.likelihood.LikelihoodSetup` with exactly one source.
    gamma_step, gamma_tol
        See :func:`fast_fit`.

    Notes
    -----
    ``trial(rng)`` draws exactly the random numbers ``setup.scrambled(rng)``
    draws, so ``TrialKernel(setup).trial(rng)`` and
    ``fast_fit(setup.scrambled(rng))`` see the same scramble.
    """

    def __init__(self, setup: LikelihoodSetup, gamma_step: float = 0.2,
                 gamma_tol: float = 1e-5) -> None:
        if len(setup.sources) != 1:
            raise InputError("TrialKernel handles one source; use background_trials for stacking")
        self.setup = setup
        self.gamma_step = float(gamma_step)
        self.gamma_tol = float(gamma_tol)
        L0 = setup.likelihood()
        _check(L0)
        self.bounds = fit_bounds(L0)
        self._coef = L0._coef
        self._grid = L0._grid
        self._acoef = np.ascontiguousarray(L0.log_acc.coef)
        self._N = L0._N.copy()
        src = setup.sources[0]
        self.ra_src = float(src.ra)
        parts: dict[str, list] = {k: [] for k in ("dmax", "sdd2", "cc", "sigma", "bsp", "emaxlr",
                                                  "be", "col", "ks")}
        self._ranges = []
        col_off = 0
        for k, st in enumerate(setup.setups):
            cj = st._events_cache(st.sample)["cand"][0]
            fp = st.sample.footprint
            self._ranges.append((max(fp.ra_min, 0.0), min(fp.ra_max, 360.0), cj["idx"].size))
            sigma, bsp, maxlr = cj["sigma"], cj["bsp"], cj["maxlr"]
            # smallest spatial PDF that passes the cut, -> largest distance (as h)
            thr = st.roi_eps * bsp * np.exp(-maxlr)
            s2 = sigma * sigma
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if st.spatial == "gaussian":
                    psi2 = -2.0 * s2 * np.log(thr * 2.0 * np.pi * s2)
                    hmax = np.sin(0.5 * np.sqrt(np.maximum(psi2, 0.0))) ** 2
                    hmax = np.where(np.sqrt(np.maximum(psi2, 0.0)) >= np.pi, 1.0, hmax)
                else:
                    kap = 1.0 / s2
                    a = kap / (2.0 * np.pi * (-np.expm1(-2.0 * kap)))
                    hmax = np.log(a / thr) / (2.0 * kap)
                hmax = np.where(np.isfinite(hmax), hmax, 1.0)
                hmax = hmax * (1.0 + 1e-6) + 1e-12  # margin: the exact cut follows
                r = (hmax - cj["sdd2"]) / np.maximum(cj["cc"], 1e-300)
                dmax = np.where(r >= 1.0, 360.0,
                                2.0 * np.arcsin(np.sqrt(np.clip(r, 0.0, 1.0))) / _DEG + 1e-9)
            parts["dmax"].append(dmax)
            for key in ("sdd2", "cc", "sigma", "bsp", "be"):
                parts[key].append(cj[key])
            parts["emaxlr"].append(np.exp(maxlr))
            parts["col"].append(cj["col"] + col_off)
            parts["ks"].append(np.full(cj["idx"].size, k, dtype=np.int64))
            col_off += st.energy.size
        self._arr = {k: np.ascontiguousarray(np.concatenate(v)) for k, v in parts.items()}
        self._kind = 0 if setup.setups[0].spatial == "gaussian" else 1
        self._eps = float(setup.setups[0].roi_eps)
        if any(st.roi_eps != self._eps or (st.spatial == "gaussian") != (self._kind == 0)
               for st in setup.setups):
            raise InputError("TrialKernel needs one spatial PDF and roi_eps for all samples")
        n = self._arr["dmax"].size
        self._s = np.empty(n)
        self._col = np.empty(n, dtype=np.int64)
        self._ks = np.empty(n, dtype=np.int64)
        self._nroi = np.zeros(len(setup.setups), dtype=np.int64)
        self.n_candidates = n
        self.n_roi = 0

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """New RAs (deg) of the candidate events, sample after sample."""
        ras = [rng.uniform(lo, hi, n) for lo, hi, n in self._ranges]
        return ras[0] if len(ras) == 1 else np.concatenate(ras)

    def fit_ras(self, ra: np.ndarray) -> tuple[float, float, float]:
        """(TS, ns, gamma) of the data with the candidates' RAs replaced by ``ra``."""
        a = self._arr
        n = _roi(ra, self.ra_src, a["dmax"], a["sdd2"], a["cc"], a["sigma"], a["bsp"],
                 a["emaxlr"], a["be"], a["col"], a["ks"], self._kind, self._eps,
                 self._N.size, self._s, self._col, self._ks, self._nroi)
        self.n_roi = n
        m = self._N - self._nroi
        _, ns_hi, glo, ghi = self.bounds
        v, ns, g, _ = _fit_core(self._s[:n], self._col[:n], self._ks[:n], self._coef,
                                self._acoef, self._grid, self._N, m, glo, ghi, ns_hi,
                                self.gamma_step, self.gamma_tol)
        return max(2.0 * v, 0.0), ns, g

    def trial(self, rng: np.random.Generator) -> tuple[float, float, float]:
        """One background trial: (TS, ns, gamma)."""
        return self.fit_ras(self.draw(rng))
