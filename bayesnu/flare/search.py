"""Flare fit at one sky position (IceCube 2023 cascade flare search).

The likelihood of one sample of ``N`` events is

    L(ns, gamma, T0, sigma_t) = prod_i [ ns/N S_i + (1 - ns/N) B_i ],

with ``S_i/B_i = X_i = (S/B)_space,i * (S/B)_energy,i(gamma) * (S/B)_time,i(T0, sigma_t)``.
Only events in a region of interest (ROI) around the position carry a
non-zero signal PDF; every other event contributes exactly ``log(1 - ns/N)``
(its signal PDF is zero), so the log-likelihood ratio is

    log L/L0 = sum_{i in ROI} log(1 + ns/N (X_i - 1)) + (N - n_ROI) log(1 - ns/N).

The test statistic carries the duration-marginalisation term of the IceCube 2023 cascade flare search
eq. 2:

    TS = 2 log L/L0 - 2 log[(Tmax - Tmin) / sigma_t],

where ``Tmin, Tmax`` are the first good-run start and last good-run stop of
the sample. The fit maximises this TS (not the bare likelihood ratio) over
``ns >= 0``, ``1 <= gamma <= 4``, ``T0`` in the live time and
``sigma_min <= sigma_t <= livetime / 2``. For the box variant the duration
``T_stop - T_start`` takes the place of ``sigma_t`` (as in the box search of
the TXS 0506+056 analysis).

Search strategy (the T0 likelihood is multimodal):

1. seeds are ROI events whose spatial x energy S/B exceeds ``seed_threshold``
   (IceCube 2023 cascade flare search: 1) for at least one spectral index of the ranking set;
2. candidate flares are built from seeds at several time scales: every seed
   alone, and every seed paired with its 1st, 2nd, 4th, 8th ... successor in
   time (``T0`` = midpoint, ``sigma_t`` = half the separation), plus runs of
   consecutive seeds (``T0`` = mean, ``sigma_t`` = standard deviation);
3. every candidate is ranked by its TS with ``ns`` profiled (the one ns-profile
   solver, :func:`bayesnu.likelihood.nsprofile.newton_ns`) at a few fixed spectral indices;
4. the best ``n_local`` distinct candidates are refined by a compiled projected
   BFGS on ``(gamma, T0, log10 sigma_t)`` with ns profiled and the analytic
   gradient (:mod:`bayesnu.flare._refine`); the best is re-evaluated exactly.

The box variant profiles the edges over pairs of seed times (the likelihood is
piecewise constant in the edges between events) and fits ``ns`` and ``gamma``
for each box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import minimize, minimize_scalar

from bayesnu.errors import InputError
from bayesnu.flare.temporal import (
    UptimeNorm,
    gauss_logsob_grid,
    gauss_norm,
    live_between,
    uptime_intervals,
)

__all__ = ["FlareData", "FlareFit", "fit_flare", "flare_loglr", "flare_loglr_terms", "profile_ns",
           "ts_penalty"]

GAMMA_BOUNDS = (1.0, 4.0)
SIGMA_MIN = 1e-11


@dataclass
class FlareData:
    """Events of one sample around one position, ready for the flare likelihood.

    Parameters
    ----------
    t : ndarray (n,)
        ROI event times, MJD.
    log_sob_space : ndarray (n,)
        log of the spatial signal/background PDF ratio.
    log_sob_energy : ndarray (n_gamma, n)
        log of the energy S/B on ``gamma_grid``.
    gamma_grid : ndarray (n_gamma,)
        Increasing spectral indices.
    n_total : int
        Number ``N`` of events of the sample in the likelihood (ROI and outside).
    intervals : ndarray (m, 2)
        Good-run intervals of the sample, MJD.
    index : ndarray (n,), optional
        Indices of the ROI events in the sample (for per-event weights).
    """

    t: np.ndarray
    log_sob_space: np.ndarray
    log_sob_energy: np.ndarray
    gamma_grid: np.ndarray
    n_total: int
    intervals: np.ndarray
    index: np.ndarray | None = None
    unorm: Any = field(default=None, repr=False)
    _spline: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=np.float64)
        self.log_sob_space = np.asarray(self.log_sob_space, dtype=np.float64)
        self.log_sob_energy = np.atleast_2d(np.asarray(self.log_sob_energy, dtype=np.float64))
        self.gamma_grid = np.asarray(self.gamma_grid, dtype=np.float64)
        self.intervals = uptime_intervals(self.intervals)
        n = self.t.size
        if self.log_sob_space.shape != (n,) or self.log_sob_energy.shape != (self.gamma_grid.size, n):
            raise InputError("flare data arrays have inconsistent shapes", column="log_sob")
        if self.n_total < n:
            raise InputError(f"n_total={self.n_total} is smaller than the {n} ROI events",
                             column="n_total")
        if self.index is None:
            self.index = np.arange(n)
        if self.gamma_grid.size >= 2:
            self._spline = cardinal_spline(self.gamma_grid)

    @property
    def n(self) -> int:
        return int(self.t.size)

    def fast_norm(self, t0: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Approximate uptime mass of Gaussians (ranking only; see UptimeNorm)."""
        if self.unorm is None:
            self.unorm = UptimeNorm(self.intervals)
        return self.unorm(t0, sigma)

    @property
    def tmin(self) -> float:
        return float(self.intervals[0, 0])

    @property
    def tmax(self) -> float:
        return float(self.intervals[-1, 1])

    @property
    def livetime(self) -> float:
        return float(np.sum(self.intervals[:, 1] - self.intervals[:, 0]))

    def log_sob_energy_at(self, gamma: float, grad: bool = False):
        """log energy S/B at ``gamma`` (natural cubic spline in gamma, continuous derivative)."""
        if self._spline is None:
            e = self.log_sob_energy[0]
            return (e, np.zeros_like(e)) if grad else e
        from bayesnu.flare._refine import spline_weights

        g = float(np.clip(gamma, self.gamma_grid[0], self.gamma_grid[-1]))
        w, dw = spline_weights(g, self.gamma_grid, self._spline)
        v = w @ self.log_sob_energy
        if grad:
            return v, dw @ self.log_sob_energy
        return v

    def log_sob_se(self, gamma: float) -> np.ndarray:
        """log spatial x energy S/B at ``gamma``."""
        return self.log_sob_space + self.log_sob_energy_at(gamma)

    def subset(self, mask: np.ndarray) -> FlareData:
        return FlareData(self.t[mask], self.log_sob_space[mask], self.log_sob_energy[:, mask],
                         self.gamma_grid, self.n_total, self.intervals, self.index[mask],
                         self.unorm)


@dataclass
class FlareFit:
    """Result of a flare fit at one position.

    ``ts`` includes the marginalisation term; ``loglr`` is the bare
    ``log L/L0``. For a box flare ``t_start, t_stop`` are set and ``t0, sigma_t``
    are the box centre and half-length.
    """

    ns: float
    gamma: float
    t0: float
    sigma_t: float
    ts: float
    loglr: float
    pdf: str = "gauss"
    t_start: float | None = None
    t_stop: float | None = None
    n_roi: int = 0
    n_seeds: int = 0
    n_candidates: int = 0
    success: bool = True
    weights: np.ndarray | None = None
    weight_index: np.ndarray | None = None
    candidates: list[dict] = field(default_factory=list)

    def as_dict(self, weights: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"ns": self.ns, "gamma": self.gamma, "ts": self.ts,
                             "loglr": self.loglr, "pdf": self.pdf}
        if self.pdf == "box":
            d.update(t_start=self.t_start, t_stop=self.t_stop)
        else:
            d.update(t0=self.t0, sigma_t=self.sigma_t)
        d.update(n_roi=self.n_roi, n_seeds=self.n_seeds, n_candidates=self.n_candidates,
                 success=self.success)
        if weights and self.weights is not None:
            d["weights"] = {int(i): float(w) for i, w in zip(self.weight_index, self.weights)
                            if w > 1e-3}
        return d


def cardinal_spline(knots: np.ndarray) -> np.ndarray:
    """Polynomial coefficients ``(4, n_knots - 1, n_knots)`` of the natural cubic
    splines through the unit vectors on ``knots`` (memoised per knot set).

    The natural cubic spline through values ``y_j`` is ``sum_j y_j B_j(gamma)``;
    :func:`bayesnu.flare._refine.spline_weights` evaluates the ``B_j``.
    """
    return _cardinal_spline(tuple(float(x) for x in np.asarray(knots, dtype=np.float64)))


@lru_cache(maxsize=16)
def _cardinal_spline(knots: tuple[float, ...]) -> np.ndarray:
    k = np.asarray(knots, dtype=np.float64)
    return np.ascontiguousarray(CubicSpline(k, np.eye(k.size), axis=0, bc_type="natural").c)


def ts_penalty(duration, tmin: float, tmax: float):
    """Marginalisation term ``-2 log[(Tmax - Tmin) / duration]`` of the IceCube 2023 cascade flare search, eq. 2."""
    return -2.0 * np.log((tmax - tmin) / np.asarray(duration, dtype=np.float64))


def _llr_terms(ns: float, x: np.ndarray, n_other: int, n_total: int):
    a = ns / n_total
    den = 1.0 + a * (x - 1.0)
    if np.any(den <= 0) or a >= 1.0:
        return -np.inf, None
    llr = np.sum(np.log(den)) + n_other * np.log1p(-a)
    return llr, den


def flare_loglr_terms(flare_data: FlareData, ns: float, gamma: float, t0: float | None = None,
                      sigma_t: float | None = None):
    """Per-event terms of the flare ``log L/L0`` and their Jacobian: THE flare likelihood.

    ``ell_i = log(1 + a (x_i - 1))`` for each event of the region of interest and one
    last entry ``n_other log(1 - a)`` for all other events of the sample, ``a = ns / N``,
    ``x_i`` the event's spatial x energy x time S/B; the time S/B is the
    uptime-truncated Gaussian ``(t0, sigma_t)`` times the live time, or 1 (a steady
    source) when ``t0`` is None.

    Returns
    -------
    (ell, jac) or (None, None)
        ``ell`` shape ``(n + 1,)``; ``jac`` shape ``(n_params, n + 1)``, derivatives in
        ``(ns, gamma, t0, sigma_t)`` (or ``(ns, gamma)`` for a steady source). ``(None,
        None)`` outside the support (ns < 0, ns >= N, gamma outside [1, 4], sigma_t <= 0,
        no live time under the flare).
    """
    steady = t0 is None
    if not (ns >= 0 and GAMMA_BOUNDS[0] <= gamma <= GAMMA_BOUNDS[1]
            and ns < flare_data.n_total):
        return None, None
    if not steady and not (sigma_t > 0 and np.isfinite(t0)):
        return None, None
    n_total = flare_data.n_total
    n_other = n_total - flare_data.n
    le, dle = flare_data.log_sob_energy_at(gamma, grad=True)
    if steady:
        logx = flare_data.log_sob_space + le
    else:
        nz, dn_dt0, dn_ds = gauss_norm(t0, sigma_t, flare_data.intervals, grad=True)
        if not nz > 1e-300:  # the flare has no live time (T0 deep in a gap): no support
            return None, None
        z = (flare_data.t - t0) / sigma_t
        lt = (-0.5 * z * z - np.log(sigma_t) - 0.5 * np.log(2 * np.pi) - np.log(nz)
              + np.log(flare_data.livetime))
        logx = flare_data.log_sob_space + le + lt
    x = np.exp(np.minimum(logx, 700.0))
    a = ns / n_total
    den = 1.0 + a * (x - 1.0)
    if np.any(den <= 0) or a >= 1.0:
        return None, None
    ell = np.empty(flare_data.n + 1)
    ell[:-1] = np.log(den)
    ell[-1] = n_other * np.log1p(-a)
    jac = np.zeros((2 if steady else 4, flare_data.n + 1))
    jac[0, :-1] = (x - 1.0) / den / n_total
    jac[0, -1] = -n_other / (n_total - ns)
    w = a * x / den  # d ell_i / d log x_i
    jac[1, :-1] = w * dle
    if not steady:
        # an event many widths from T0 has x = 0 (w = 0) while d log x / d theta overflows
        # (sigma_t far below a day): its term is 0 (the limit), not 0 * inf = NaN
        with np.errstate(over="ignore", invalid="ignore"):
            jac[2, :-1] = w * (z / sigma_t - dn_dt0 / nz)
            jac[3, :-1] = w * ((z * z - 1.0) / sigma_t - dn_ds / nz)
        jac[2:, :-1][np.isnan(jac[2:, :-1]) & (w == 0.0)] = 0.0
    return ell, jac


def flare_loglr(flare_data: FlareData, ns: float, gamma: float, t0: float, sigma_t: float,
                grad: bool = False):
    """Gaussian-flare ``log L/L0`` (and its gradient in ns, gamma, T0, sigma_t).

    The sum of :func:`flare_loglr_terms`. Returns ``-inf`` outside the support
    (ns < 0, ns >= N, sigma_t <= 0, gamma outside [1, 4]).
    """
    ell, jac = flare_loglr_terms(flare_data, ns, gamma, t0, sigma_t)
    if ell is None:
        return (-np.inf, np.zeros(4)) if grad else -np.inf
    llr = float(ell.sum())
    return (llr, jac.sum(axis=1)) if grad else llr


def profile_ns(x: np.ndarray, n_other: np.ndarray | int, n_total: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Maximise ``log L/L0`` over ns for many rows of S/B values at once.

    Parameters
    ----------
    x : ndarray (m, k)
        Total S/B of the k events of each of m hypotheses (0 allowed).
    n_other : int or ndarray (m,)
        Events with zero signal PDF (outside the ROI or outside the flare).
    n_total : int
        N of the sample.

    Returns
    -------
    ns_hat, llr : ndarray (m,)
        Best ns (>= 0) and the maximised ``log L/L0``.

    Notes
    -----
    Each row is solved by the one ns-profile solver,
    :func:`bayesnu.likelihood.nsprofile.newton_ns` (tolerance 1e-10 in ns).
    """
    from bayesnu.flare._kernels import profile_ns_csr

    x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
    m, k = x.shape
    ptr = np.arange(m + 1, dtype=np.int64) * k
    n_other = np.ascontiguousarray(np.broadcast_to(np.asarray(n_other, dtype=np.float64), (m,)))
    return profile_ns_csr(x.ravel(), ptr, n_other, float(n_total), 60, 1e-10)


def _segments(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flattened event indices of windows ``[lo_c, hi_c)`` and the row of each entry."""
    ln = hi - lo
    tot = int(ln.sum())
    row = np.repeat(np.arange(lo.size), ln)
    start = np.repeat(np.cumsum(ln) - ln, ln)
    idx = np.arange(tot) - start + np.repeat(lo, ln)
    return idx, row


def profile_ns_segments(x: np.ndarray, row: np.ndarray, n_rows: int, n_other: np.ndarray,
                        n_total: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`profile_ns` for ragged rows: entries ``x`` belong to rows ``row`` (sorted).

    Each row's events outside its entries count in ``n_other`` (zero signal
    PDF). Each row is solved by :func:`bayesnu.likelihood.nsprofile.newton_ns`.
    """
    from bayesnu.flare._kernels import profile_ns_csr

    counts = np.bincount(row, minlength=n_rows)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n_other = np.broadcast_to(np.asarray(n_other, dtype=np.float64), (n_rows,))
    return profile_ns_csr(np.ascontiguousarray(x, dtype=np.float64), ptr,
                          np.ascontiguousarray(n_other), float(n_total))


def _candidates(ts_seed: np.ndarray, sigma_min: float, sigma_max: float,
                max_run: int = 4, span: tuple[float, float] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Multi-scale candidate flares (T0, sigma_t) from seed event times, plus a grid of
    wide flares over ``span`` (first and last live time) if given."""
    t = np.sort(ts_seed)
    s = t.size
    t0s = [t]
    sig = [np.full(s, sigma_min)]
    k = 1
    while k < s:
        # pairs k seeds apart; long baselines overlap heavily, so thin them
        # (stride k/4): the work per scale stays ~ constant
        stride = max(1, k // 4)
        t0s.append(0.5 * (t[:-k] + t[k:])[::stride])
        sig.append(0.5 * (t[k:] - t[:-k])[::stride])
        k *= 2
    for r in range(3, min(max_run, s) + 1):
        win = np.lib.stride_tricks.sliding_window_view(t, r)
        t0s.append(win.mean(axis=1))
        sig.append(win.std(axis=1))
    t0 = np.concatenate(t0s)
    sg = np.clip(np.concatenate(sig), sigma_min, sigma_max)
    if span is not None:
        # wide flares need not be centred on seeds (e.g. a flare rising at the end of
        # the live time): above span/64 the candidates are a grid instead, widths
        # span/64 * 2^j and centres one width apart, the live-time ends included
        lo_t, hi_t = span
        wmin = (hi_t - lo_t) / 64.0
        keep = sg <= wmin
        t0s, sig = [t0[keep]], [sg[keep]]
        w = wmin
        while w <= max(sigma_max, wmin):
            c = np.linspace(lo_t, hi_t, int(np.ceil((hi_t - lo_t) / w)) + 1)
            t0s.append(c)
            sig.append(np.full(c.size, w))
            w *= 2.0
        t0 = np.concatenate(t0s)
        sg = np.clip(np.concatenate(sig), sigma_min, sigma_max)
    return t0, sg


def _rank_inputs(flare_data: FlareData, t0: np.ndarray, sg: np.ndarray, gammas,
                 core: np.ndarray) -> tuple | None:
    """Arguments of :func:`~bayesnu.flare._kernels.rank_windows` for Gaussian candidates
    (T0, sigma_t), up to its ``gauss`` flag: the core events sorted by time, their log
    spatial x energy S/B at ``gammas``, each candidate's event window, log uptime mass and
    TS penalty, N and the live time. None without core events.

    Only core events within ``k sigma_t`` of each candidate's T0 enter (k chosen so that
    the temporal S/B outside is negligible even for the largest spatial x energy S/B);
    the others count as background-like.
    """
    order = np.argsort(flare_data.t[core], kind="stable")
    cidx = np.flatnonzero(core)[order]
    tc = flare_data.t[cidx]
    if tc.size == 0:
        return None
    pen = ts_penalty(sg, flare_data.tmin, flare_data.tmax)
    lses = np.ascontiguousarray(np.stack([flare_data.log_sob_se(g)[cidx] for g in gammas]))
    lmax = float(lses.max())
    live = flare_data.livetime
    k = np.sqrt(2.0 * np.maximum(np.log(live / sg) + lmax + np.log(1e3), 1.0))
    lo = np.searchsorted(tc, t0 - k * sg, side="left").astype(np.int64)
    hi = np.searchsorted(tc, t0 + k * sg, side="right").astype(np.int64)
    lnz = np.log(flare_data.fast_norm(t0, sg))
    return (np.ascontiguousarray(tc), lses, t0, sg, lnz, lo, hi, pen,
            float(flare_data.n_total), live)


def _rank_gauss(flare_data: FlareData, t0: np.ndarray, sg: np.ndarray, gammas, core: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TS of each candidate with ns profiled, at the best of a few gammas (events as
    :func:`_rank_inputs` selects them)."""
    args = _rank_inputs(flare_data, t0, sg, gammas, core)
    if args is None:
        return np.full(t0.size, -np.inf), np.zeros(t0.size), np.full(t0.size, np.nan)
    from bayesnu.flare._kernels import rank_windows

    best_ts, best_ns, gi = rank_windows(*args, True)
    best_g = np.asarray(gammas, dtype=np.float64)[np.maximum(gi, 0)]
    return best_ts, best_ns, best_g


def _local_gauss(flare_data: FlareData, g0: float, t00: float, s00: float, sigma_min: float,
                 sigma_max: float, exact: bool = False) -> tuple[float, float, float, float, float]:
    """Refine one candidate: compiled projected BFGS on (gamma, T0, log10 sigma_t) with ns
    profiled (:func:`bayesnu.flare._refine.refine_gauss`). Returns ns, gamma, T0, sigma_t
    and the TS. Unless ``exact``, the uptime mass of wide flares comes from the
    gap-bridging ladder (the caller polishes the best optimum with ``exact=True``)."""
    from bayesnu.flare._refine import refine_gauss

    if flare_data.unorm is None:
        flare_data.unorm = UptimeNorm(flare_data.intervals)
    edges, ptr, gaps = flare_data.unorm.flat
    if flare_data._spline is None:  # one tabulated gamma: constant in gamma
        knots, coef = np.array(GAMMA_BOUNDS), cardinal_spline(np.array(GAMMA_BOUNDS))
        etab = np.ascontiguousarray(np.vstack([flare_data.log_sob_energy[0]] * 2))
    else:
        knots, coef, etab = flare_data.gamma_grid, flare_data._spline, np.ascontiguousarray(flare_data.log_sob_energy)
    lo = np.array([GAMMA_BOUNDS[0], flare_data.tmin, np.log10(sigma_min)])
    hi = np.array([GAMMA_BOUNDS[1], flare_data.tmax, np.log10(sigma_max)])
    ns, g, t0, s, ts, _ = refine_gauss(
        float(np.clip(g0, *GAMMA_BOUNDS)), float(np.clip(t00, flare_data.tmin, flare_data.tmax)),
        float(np.clip(s00, sigma_min, sigma_max)), lo, hi, flare_data.t, flare_data.log_sob_space, etab,
        knots, coef, edges, ptr, gaps, float(flare_data.n_total), flare_data.livetime, flare_data.tmax - flare_data.tmin,
        200, 1e-6, 1e-11, np.inf if exact else 100.0)  # positional: numba's fast dispatch
    return ns, g, t0, s, ts


def _event_weights(x: np.ndarray, ns: float, n_total: int) -> np.ndarray:
    a = ns / n_total
    return a * x / (1.0 + a * (x - 1.0))


def _seeds(flare_data: FlareData, gammas, seed_threshold: float) -> np.ndarray:
    lse = np.max(np.stack([flare_data.log_sob_se(g) for g in gammas]), axis=0)
    return lse > np.log(seed_threshold)


def fit_flare(flare_data: FlareData, pdf: str = "gauss", seed_threshold: float = 1.0,
              sigma_min: float = SIGMA_MIN, sigma_max: float | None = None,
              rank_gammas=(1.75, 2.5, 3.25), n_local: int = 4, core_floor: float = 1e-3,
              max_seeds: int = 400, keep_candidates: int = 0) -> FlareFit:
    """Fit a Gaussian (``pdf="gauss"``) or box (``pdf="box"``) flare at one position.

    Parameters
    ----------
    flare_data : FlareData
        ROI events of one sample with their spatial and energy S/B.
    seed_threshold : float
        Spatial x energy S/B above which an event seeds candidate flares
        (IceCube 2023 cascade flare search: 1; track analyses used 1000).
    sigma_min, sigma_max : float
        Bounds of sigma_t in days (defaults: 1e-11 and half the live time).
    rank_gammas : sequence of float
        Spectral indices at which candidates are ranked.
    n_local : int
        Number of best distinct candidates refined by local optimisation.
    core_floor : float
        Events with spatial x energy S/B below this (at every ranking gamma)
        are treated as background when *ranking* candidates (not in the final fit).
    max_seeds : int
        Keep at most this many seeds (highest S/B) per fit.
    keep_candidates : int
        Return this many ranked candidates in ``FlareFit.candidates``.

    Returns
    -------
    FlareFit
        Best fit with TS (including the marginalisation term), the number of
        seeds and candidates, and per-event signal weights
        ``w_i = (ns/N) X_i / (1 + ns/N (X_i - 1))`` of the ROI events.
    """
    if pdf not in ("gauss", "box"):
        raise InputError(f"unknown flare pdf {pdf!r}; use 'gauss' or 'box'", column="pdf")
    live = flare_data.livetime
    if sigma_max is None:
        sigma_max = 0.5 * live
    if not (0 < sigma_min < sigma_max):
        raise InputError(f"need 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}",
                         column="sigma_t")
    null = _null_fit(flare_data, pdf, sigma_max)
    if flare_data.n == 0:
        return null
    idx_seed = _select_seeds(flare_data, rank_gammas, seed_threshold, max_seeds)
    null.n_seeds = int(idx_seed.size)
    if idx_seed.size == 0:
        return null
    lse_max = np.max(np.stack([flare_data.log_sob_se(g) for g in rank_gammas]), axis=0)
    core = lse_max > np.log(core_floor)
    if pdf == "box":
        return _fit_box(flare_data, flare_data.t[idx_seed], core, rank_gammas, null, keep_candidates)
    # 1. candidate flares from the seeds, ranked with ns profiled at a few gammas
    t0c, sgc = _candidates(flare_data.t[idx_seed], max(sigma_min, 1e-6 * live) if sigma_min < 1e-6
                           else sigma_min, sigma_max, span=(flare_data.tmin, flare_data.tmax))
    ts_c, ns_c, g_c = _rank_gauss(flare_data, t0c, sgc, rank_gammas, core)
    order = np.argsort(ts_c)[::-1]
    # 2. the best distinct candidates (and the best of each width class)
    picked = _pick_candidates(order, t0c, sgc, ts_c, live, n_local)
    # 3. local refinement of each, exact TS, polish of the best
    best = _refine_best(flare_data, picked, g_c, t0c, sgc, sigma_min, sigma_max)
    if best is None or not best[4] > null.ts:
        null.n_candidates = int(t0c.size)
        return null
    # 4. the result
    ns, g, t0, s, ts, llr, x = best
    fit = FlareFit(ns=float(ns), gamma=float(g), t0=float(t0), sigma_t=float(s), ts=float(ts),
                   loglr=float(llr), pdf="gauss", n_roi=flare_data.n, n_seeds=int(idx_seed.size),
                   n_candidates=int(t0c.size), success=True,
                   weights=_event_weights(x, ns, flare_data.n_total), weight_index=flare_data.index)
    if keep_candidates:
        fit.candidates = [{"t0": float(t0c[j]), "sigma_t": float(sgc[j]), "ts": float(ts_c[j]),
                           "ns": float(ns_c[j]), "gamma": float(g_c[j])}
                          for j in order[:keep_candidates]]
    return fit


def _null_fit(flare_data: FlareData, pdf: str, sigma_max: float) -> FlareFit:
    """The no-flare result (ns = 0) with the duration term of the widest flare."""
    null = FlareFit(ns=0.0, gamma=float("nan"), t0=0.5 * (flare_data.tmin + flare_data.tmax), sigma_t=sigma_max,
                    ts=float(ts_penalty(sigma_max if pdf == "gauss" else flare_data.tmax - flare_data.tmin,
                                        flare_data.tmin, flare_data.tmax)),
                    loglr=0.0, pdf=pdf, n_roi=flare_data.n)
    if pdf == "box":
        null.t_start, null.t_stop = flare_data.tmin, flare_data.tmax
    return null


def _select_seeds(flare_data: FlareData, rank_gammas, seed_threshold: float,
                  max_seeds: int) -> np.ndarray:
    """Indices of the seed events (S/B above threshold), at most ``max_seeds`` highest."""
    seed = _seeds(flare_data, rank_gammas, seed_threshold)
    idx_seed = np.flatnonzero(seed)
    if idx_seed.size > max_seeds:
        lse = np.max(np.stack([flare_data.log_sob_se(g) for g in rank_gammas]), axis=0)
        idx_seed = idx_seed[np.argsort(lse[idx_seed])[-max_seeds:]]
    return idx_seed


def _pick_candidates(order: np.ndarray, t0c: np.ndarray, sgc: np.ndarray, ts_c: np.ndarray,
                     live: float, n_local: int) -> list[int]:
    """The ``n_local`` best distinct candidates plus the best of each width class.

    The width classes (short / medium / long against the live time) keep a few
    strong wide candidates from crowding out every short flare.
    """
    picked: list[int] = []
    for j in order:
        if len(picked) >= n_local:
            break
        if all(abs(t0c[j] - t0c[k]) > 0.5 * max(sgc[j], sgc[k]) or
               abs(np.log(sgc[j] / sgc[k])) > 0.7 for k in picked):
            picked.append(int(j))
    wclass = np.digitize(sgc, [live / 300.0, live / 30.0])
    for c in range(3):
        inc = np.flatnonzero((wclass[order] == c) & np.isfinite(ts_c[order]))
        if inc.size and int(order[inc[0]]) not in picked:
            picked.append(int(order[inc[0]]))
    return picked


def _exact_gauss_ts(flare_data: FlareData, ns: float, g: float, t0: float, s: float):
    """Exact TS of a Gaussian flare (exact uptime mass, ns re-profiled), or None.

    Returns ``(ns, gamma, t0, sigma_t, ts, llr, x)`` with ``x`` the events' S/B.
    """
    from bayesnu.likelihood.nsprofile import newton_ns

    if not ns > 0:
        return None
    with np.errstate(divide="ignore"):
        lt = gauss_logsob_grid(flare_data.t, np.array([t0]), np.array([s]), flare_data.intervals)[0]
    if not np.all(np.isfinite(lt)):  # no live time under the flare: no support
        return None
    x = np.exp(np.minimum(flare_data.log_sob_space + flare_data.log_sob_energy_at(g) + lt, 700.0))
    zero = np.zeros(1)
    ns, llr = newton_ns(x, np.array([0, flare_data.n], dtype=np.int64),
                        np.array([float(flare_data.n_total - flare_data.n)]),
                        np.array([float(flare_data.n_total)]), np.ones(1), zero, zero,
                        np.empty((2, x.size)), 0.0, np.inf, 60, 1e-10)
    ts = 2.0 * llr + float(ts_penalty(s, flare_data.tmin, flare_data.tmax))
    return (ns, g, t0, s, ts, llr, x) if np.isfinite(ts) and ns > 0 else None


def _refine_best(flare_data: FlareData, picked: list[int], g_c: np.ndarray, t0c: np.ndarray,
                 sgc: np.ndarray, sigma_min: float, sigma_max: float):
    """Refine each picked candidate, rank the optima by exact TS, polish the best."""
    best = None
    for j in picked:
        r = _exact_gauss_ts(flare_data, *_local_gauss(flare_data, g_c[j], t0c[j], sgc[j],
                                                      sigma_min, sigma_max)[:4])
        if r is not None and (best is None or r[4] > best[4]):
            best = r
    if best is not None:  # polish the best optimum with the exact uptime mass
        r = _exact_gauss_ts(flare_data, *_local_gauss(flare_data, best[1], best[2], best[3],
                                                      sigma_min, sigma_max, exact=True)[:4])
        if r is not None and r[4] > best[4]:
            best = r
    return best


def _box_x(flare_data: FlareData, t_start: float, t_stop: float, gamma: float) -> np.ndarray:
    live_box = float(live_between(flare_data.intervals, t_start, t_stop))
    inside = (flare_data.t >= t_start) & (flare_data.t <= t_stop)
    lt = np.where(inside, np.log(flare_data.livetime / live_box), -np.inf)
    return np.exp(np.minimum(flare_data.log_sob_se(gamma) + lt, 700.0))


def box_loglr(flare_data: FlareData, ns: float, gamma: float, t_start: float, t_stop: float) -> float:
    """Box-flare ``log L/L0``."""
    if not (ns >= 0 and GAMMA_BOUNDS[0] <= gamma <= GAMMA_BOUNDS[1] and t_stop > t_start):
        return -np.inf
    x = _box_x(flare_data, t_start, t_stop, gamma)
    llr, _ = _llr_terms(ns, x, flare_data.n_total - flare_data.n, flare_data.n_total)
    return float(llr)


def _box_pairs(s: int, exhaustive_max: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """Seed-index pairs (i < j) defining candidate boxes: all pairs when few seeds,
    else every seed with its 1..8th successor and then 16th, 32nd, ... successors."""
    if s * (s - 1) // 2 <= exhaustive_max:
        return np.triu_indices(s, k=1)
    steps = list(range(1, 9))
    k = 16
    while k < s:
        steps.append(k)
        k *= 2
    ii = [np.arange(s - d) for d in steps if d < s]
    jj = [np.arange(d, s) for d in steps if d < s]
    return np.concatenate(ii), np.concatenate(jj)


def _fit_box(flare_data: FlareData, tseed: np.ndarray, core: np.ndarray, gammas, null: FlareFit,
             keep_candidates: int) -> FlareFit:
    tseed = np.unique(tseed)
    if tseed.size < 2:
        null.n_candidates = 0
        return null
    i, j = _box_pairs(tseed.size)
    ts_, te_ = tseed[i], tseed[j]
    live_box = live_between(flare_data.intervals, ts_, te_)
    ok = live_box > 0
    ts_, te_, live_box = ts_[ok], te_[ok], live_box[ok]
    order_t = np.argsort(flare_data.t[core], kind="stable")
    cidx = np.flatnonzero(core)[order_t]
    tc = flare_data.t[cidx]
    lo = np.searchsorted(tc, ts_, side="left")
    hi = np.searchsorted(tc, te_, side="right")
    from bayesnu.flare._kernels import rank_windows

    pen = ts_penalty(te_ - ts_, flare_data.tmin, flare_data.tmax)
    lses = np.ascontiguousarray(np.stack([flare_data.log_sob_se(g)[cidx] for g in gammas]))
    best_ts, best_ns, gi = rank_windows(np.ascontiguousarray(tc), lses, ts_, te_, np.log(live_box),
                                        lo.astype(np.int64), hi.astype(np.int64), pen,
                                        float(flare_data.n_total), flare_data.livetime, False)
    best_g = np.asarray(gammas, dtype=np.float64)[np.maximum(gi, 0)]
    order = np.argsort(best_ts)[::-1]
    best = None
    for k in order[:4]:
        a, b = ts_[k], te_[k]
        pen_k = float(pen[k])

        def negts(g, a=a, b=b, pen_k=pen_k):
            x = _box_x(flare_data, a, b, g)[None, :]
            ns, llr = profile_ns(x, flare_data.n_total - flare_data.n, flare_data.n_total)
            return -(2 * llr[0] + pen_k), ns[0]

        r = minimize_scalar(lambda g: negts(g)[0], bounds=GAMMA_BOUNDS, method="bounded",
                            options={"xatol": 1e-4})
        val, ns = negts(r.x)
        if best is None or -val > best[0]:
            best = (-val, float(ns), float(r.x), float(a), float(b))
    tsb, ns, g, a, b = best
    if tsb <= null.ts or ns <= 0:
        null.n_candidates = int(ts_.size)
        return null
    x = _box_x(flare_data, a, b, g)
    fit = FlareFit(ns=ns, gamma=g, t0=0.5 * (a + b), sigma_t=0.5 * (b - a), ts=float(tsb),
                   loglr=box_loglr(flare_data, ns, g, a, b), pdf="box", t_start=a, t_stop=b,
                   n_roi=flare_data.n, n_seeds=int(tseed.size), n_candidates=int(ts_.size),
                   weights=_event_weights(x, ns, flare_data.n_total), weight_index=flare_data.index)
    if keep_candidates:
        fit.candidates = [{"t_start": float(ts_[k]), "t_stop": float(te_[k]),
                           "ts": float(best_ts[k]), "ns": float(best_ns[k]),
                           "gamma": float(best_g[k])} for k in order[:keep_candidates]]
    return fit


def profile_t0(flare_data: FlareData, t0_grid: np.ndarray, sigma_min: float = SIGMA_MIN,
               sigma_max: float | None = None, start: FlareFit | None = None) -> np.ndarray:
    """TS (with the marginalisation term) profiled over ns, gamma, sigma_t at fixed T0.

    Each grid point is a bounded L-BFGS-B fit started from the best of the
    previous grid point's solution, ``start`` and a few widths.

    Returns
    -------
    ndarray (len(t0_grid), 4)
        Columns ``ts, ns, gamma, sigma_t``.
    """
    T = flare_data.tmax - flare_data.tmin
    ln10 = np.log(10.0)
    if sigma_max is None:
        sigma_max = 0.5 * flare_data.livetime
    lo_s, hi_s = np.log10(sigma_min), np.log10(sigma_max)
    out = np.empty((len(t0_grid), 4))
    prev = None
    for i, t0 in enumerate(np.asarray(t0_grid, dtype=np.float64)):

        def f(p, t0=t0):
            ns, g, ls = p
            s = 10.0**ls
            llr, gr = flare_loglr(flare_data, ns, g, t0, s, grad=True)
            if not np.isfinite(llr):
                return 1e30, np.zeros(3)
            return -(llr - np.log(T / s)), -np.array([gr[0], gr[1], gr[3] * s * ln10 + ln10])

        starts = [np.array([1.0, 2.5, np.clip(1.5, lo_s, hi_s)])]
        if prev is not None:
            starts.append(prev)
        if start is not None and start.ns > 0:
            starts.append(np.array([start.ns, start.gamma, np.log10(start.sigma_t)]))
        best = None
        for p0 in starts:
            r = minimize(f, p0, jac=True, method="L-BFGS-B",
                         bounds=[(0.0, max(flare_data.n, 1.0)), GAMMA_BOUNDS, (lo_s, hi_s)])
            if best is None or r.fun < best.fun:
                best = r
        prev = best.x
        out[i] = (-2.0 * best.fun, best.x[0], best.x[1], 10.0 ** best.x[2])
    return out
