"""Spatial counting test of neutrino events around a group of blazars (kernels).

The statistic of the neutrino-blazar study's Table 6: for a threshold x on the
reconstructed energy, take the events with ``log10(E_reco/GeV) >= x`` and an
angular error ``r_e <= 5 deg``; N_observed is the number of them with at least
one blazar of the group inside their error circle (great-circle distance
``<= r_e``). Its chance expectation comes from scrambling the blazars' right
ascensions uniformly and independently:

* by Monte Carlo (:func:`scramble_counts`, numba): for a pair (event e,
  source s) the source falls inside the circle iff ``|RA_s - RA_e| <= w_es``
  with the half-width ``w_es = arccos(c_es)``,
  ``c_es = (cos r_e - sin dec_e sin dec_s) / (cos dec_e cos dec_s)``
  (``w = pi`` if ``c <= -1``, no overlap if ``c >= 1``), so each scramble costs
  one comparison per candidate pair (pairs with ``|dec_e - dec_s| <= r_e``);
* in closed form (:func:`closed_form_expectation`): a source's RA is uniform,
  so ``p_es = w_es / pi`` and ``N_exp = sum_e [1 - prod_s (1 - p_es)]``.

Both use the same ``w_es``; the MC mean agrees with the closed form within its
standard error (a test). :func:`event_scramble_counts` scrambles the events'
RAs instead (sources fixed), which keeps the real sources' clustering: for
large catalogue groups (hundreds of blazars that avoid the Galactic plane) the
independent source scrambles overestimate N_expected (4LAC BL Lacs on
IC86-2011: 2158 vs 2033 at log10 E >= 4.8), for the 32 / 62 published
blazars the two agree. The right-tailed p-value is the fraction of scrambles
with ``N >= N_observed``, reported as ``(M + 1) / (N + 1)``.

Units: degrees for inputs, log10(E/GeV) for energies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from bayesnu.errors import InputError

__all__ = ["DEFAULT_THRESHOLDS", "ANGERR_MAX_DEG", "CountingSetup", "half_widths",
           "closed_form_expectation", "observed_counts", "scramble_counts",
           "event_scramble_counts",
           "right_tail_pvalue_poisson", "right_tail_pvalue_gauss"]

#: log10(E_reco/GeV) thresholds 4.8, 4.9, ..., 6.0 (the published table's rows)
DEFAULT_THRESHOLDS = np.round(np.arange(4.8, 6.0 + 1e-9, 0.1), 1)
#: angular-error cut (deg) of the published spatial test
ANGERR_MAX_DEG = 5.0
_TWO_PI = 2.0 * np.pi


def half_widths(dec_e: np.ndarray, r_e: np.ndarray, dec_s: np.ndarray) -> np.ndarray:
    """RA half-width (rad) inside which a source at ``dec_s`` lies in the event circle.

    Parameters
    ----------
    dec_e, r_e
        Event declinations and circle radii (rad), broadcastable against ``dec_s``.
    dec_s
        Source declinations (rad).

    Returns
    -------
    ndarray
        ``arccos(c)`` in [0, pi]; ``pi`` when the circle contains the whole
        declination ring (``c <= -1``), ``-1`` when the ring misses the circle
        (``c >= 1``, i.e. no RA gives an overlap, apart from tangency).
    """
    cc = np.cos(dec_e) * np.cos(dec_s)
    num = np.cos(r_e) - np.sin(dec_e) * np.sin(dec_s)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(cc > 1e-15, num / np.where(cc > 1e-15, cc, 1.0), np.nan)
    # a pole: inside iff the declination distance is <= r (any RA)
    pole_in = np.abs(dec_e - dec_s) <= r_e
    w = np.where(np.isnan(c), np.where(pole_in, np.pi, -1.0),
                 np.where(c <= -1.0, np.pi, np.where(c >= 1.0, -1.0,
                                                     np.arccos(np.clip(c, -1.0, 1.0)))))
    return w


@dataclass
class CountingSetup:
    """Candidate (event, source) pairs of one event sample and one group.

    Built by :meth:`build`; ``level[e]`` is the number of thresholds event e
    passes (it counts toward thresholds ``0 .. level-1``).

    Attributes
    ----------
    thresholds : ndarray
        log10(E/GeV) thresholds, ascending.
    n_events : ndarray of int
        Events passing each threshold and the angular-error cut.
    ev_ra : ndarray
        RA (rad) of the selected events.
    ev_dec, ev_r : ndarray
        Declination and radius (rad) of the selected events.
    level : ndarray of int
    offsets : ndarray of int
        CSR offsets into the pair arrays, one row per selected event.
    pair_src : ndarray of int
    pair_w : ndarray
        RA half-width (rad) of each pair.
    src_ra, src_dec : ndarray
        Source positions (rad).
    """

    thresholds: np.ndarray
    n_events: np.ndarray
    ev_ra: np.ndarray
    ev_dec: np.ndarray
    ev_r: np.ndarray
    level: np.ndarray
    offsets: np.ndarray
    pair_src: np.ndarray
    pair_w: np.ndarray
    src_ra: np.ndarray
    src_dec: np.ndarray

    @classmethod
    def build(cls, ra: np.ndarray, dec: np.ndarray, log10e: np.ndarray, angerr: np.ndarray,
              src_ra: np.ndarray, src_dec: np.ndarray,
              thresholds: np.ndarray = DEFAULT_THRESHOLDS,
              angerr_max: float = ANGERR_MAX_DEG) -> CountingSetup:
        """Select events and find candidate pairs.

        Parameters
        ----------
        ra, dec, log10e, angerr
            Events: degrees, log10(E/GeV), degrees (error-circle radius).
        src_ra, src_dec
            Group positions, degrees.
        thresholds
            Ascending log10(E/GeV) thresholds.
        angerr_max
            Keep events with ``angerr <= angerr_max`` (deg).
        """
        thr = np.asarray(thresholds, dtype=np.float64)
        if thr.ndim != 1 or thr.size == 0 or np.any(np.diff(thr) <= 0):
            raise InputError("thresholds must be a non-empty ascending list", column="thresholds")
        sra = np.asarray(src_ra, dtype=np.float64)
        sdec = np.asarray(src_dec, dtype=np.float64)
        if sra.size == 0:
            raise InputError("the group has no sources", column="group")
        if not (np.all(np.isfinite(sra)) and np.all(np.abs(sdec) <= 90)):
            raise InputError("source positions must be finite with |dec| <= 90 deg",
                             column="dec")
        le = np.asarray(log10e, dtype=np.float64)
        ae = np.asarray(angerr, dtype=np.float64)
        # a 1e-9 tolerance: 5.1 in a table is 5.1 here
        lev = np.searchsorted(thr - 1e-9, le, side="right")
        sel = (lev > 0) & (ae <= angerr_max) & (ae > 0)
        lev = lev[sel].astype(np.int64)
        n_ev = np.array([(lev > k).sum() for k in range(thr.size)], dtype=np.int64)
        e_ra = np.radians(np.asarray(ra, dtype=np.float64)[sel])
        e_dec = np.radians(np.asarray(dec, dtype=np.float64)[sel])
        e_r = np.radians(ae[sel])
        s_ra, s_dec = np.radians(sra % 360.0), np.radians(sdec)
        order = np.argsort(s_dec)
        sd_sorted = s_dec[order]
        offs = np.zeros(e_ra.size + 1, dtype=np.int64)
        srcs, ws = [], []
        lo = np.searchsorted(sd_sorted, e_dec - e_r - 1e-12, side="left")
        hi = np.searchsorted(sd_sorted, e_dec + e_r + 1e-12, side="right")
        # also the pole cases: a circle that reaches a pole covers every RA there
        for i in range(e_ra.size):
            cand = order[lo[i]:hi[i]]
            if cand.size:
                w = half_widths(e_dec[i], e_r[i], s_dec[cand])
                ok = w >= 0
                srcs.append(cand[ok])
                ws.append(w[ok])
                offs[i + 1] = offs[i] + int(ok.sum())
            else:
                offs[i + 1] = offs[i]
        pair_src = np.concatenate(srcs) if srcs else np.zeros(0, dtype=np.int64)
        pair_w = np.concatenate(ws) if ws else np.zeros(0)
        return cls(thr, n_ev, e_ra, e_dec, e_r, lev, offs, pair_src.astype(np.int64),
                   pair_w.astype(np.float64), s_ra, s_dec)

    @property
    def n_pairs(self) -> int:
        return int(self.pair_src.size)


def closed_form_expectation(cs: CountingSetup) -> np.ndarray:
    """Expected count per threshold for independent uniform source RAs.

    ``N_exp(x) = sum_{e: level_e > x} [1 - prod_s (1 - p_es)]``, ``p_es = w_es / pi``.
    """
    p = np.clip(cs.pair_w / np.pi, 0.0, 1.0)
    ev = np.repeat(np.arange(cs.ev_ra.size), np.diff(cs.offsets))
    log_miss = np.zeros(cs.ev_ra.size)
    with np.errstate(divide="ignore"):
        np.add.at(log_miss, ev, np.log1p(-p))
    q = 1.0 - np.exp(log_miss)
    per_level = np.bincount(cs.level, weights=q, minlength=cs.thresholds.size + 1)
    return np.cumsum(per_level[::-1])[::-1][1:]


@nb.njit(cache=True)
def _any_within(e, src_ra, pair_src, pair_w, a, b):
    """True if an event at RA ``e`` (rad) has one of its candidate sources ``a..b`` inside
    its RA window ``pair_w`` (circular distance, rad)."""
    for k in range(a, b):
        d = abs(e - src_ra[pair_src[k]]) % 6.283185307179586
        if d > np.pi:
            d = 6.283185307179586 - d
        if d <= pair_w[k]:
            return True
    return False


@nb.njit(cache=True)
def _cumulate(hist, row, n_thr):
    """Counts per threshold level -> counts at or above each threshold, into ``row``."""
    c = 0
    for lv in range(n_thr, 0, -1):
        c += hist[lv]
        row[lv - 1] = c


@nb.njit(cache=True)
def _hits(ev_ra, offsets, pair_src, pair_w, src_ra):
    n = ev_ra.size
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        out[i] = _any_within(ev_ra[i], src_ra, pair_src, pair_w, offsets[i], offsets[i + 1])
    return out


@nb.njit(cache=True)
def _scramble_kernel(ev_ra, level, offsets, pair_src, pair_w, ras, n_thr):
    n_scr = ras.shape[0]
    n = ev_ra.size
    out = np.zeros((n_scr, n_thr), dtype=np.int32)
    hist = np.zeros(n_thr + 1, dtype=np.int64)
    for t in range(n_scr):
        hist[:] = 0
        for i in range(n):
            a = offsets[i]
            b = offsets[i + 1]
            if a != b and _any_within(ev_ra[i], ras[t], pair_src, pair_w, a, b):
                hist[level[i]] += 1
        _cumulate(hist, out[t], n_thr)
    return out


@nb.njit(cache=True)
def _event_scramble_kernel(level, offsets, pair_src, pair_w, src_ra, cand, ras, n_thr):
    n_scr = ras.shape[0]
    out = np.zeros((n_scr, n_thr), dtype=np.int32)
    hist = np.zeros(n_thr + 1, dtype=np.int64)
    for t in range(n_scr):
        hist[:] = 0
        for c in range(cand.size):
            i = cand[c]
            if _any_within(ras[t, c], src_ra, pair_src, pair_w, offsets[i], offsets[i + 1]):
                hist[level[i]] += 1
        _cumulate(hist, out[t], n_thr)
    return out


def observed_counts(cs: CountingSetup, src_ra_rad: np.ndarray | None = None) -> np.ndarray:
    """Events with at least one source inside their circle, per threshold.

    With ``src_ra_rad=None`` the true source positions are used and the test is
    done on the exact great-circle distance (independent of the half-widths).
    """
    if src_ra_rad is None:
        hit = np.zeros(cs.ev_ra.size, dtype=bool)
        ev = np.repeat(np.arange(cs.ev_ra.size), np.diff(cs.offsets))
        s = cs.pair_src
        cosd = (np.sin(cs.ev_dec[ev]) * np.sin(cs.src_dec[s]) + np.cos(cs.ev_dec[ev])
                * np.cos(cs.src_dec[s]) * np.cos(cs.ev_ra[ev] - cs.src_ra[s]))
        inside = cosd >= np.cos(cs.ev_r[ev]) - 1e-12
        hit[ev[inside]] = True
    else:
        hit = _hits(cs.ev_ra, cs.offsets, cs.pair_src, cs.pair_w,
                    np.asarray(src_ra_rad, dtype=np.float64))
    per_level = np.bincount(cs.level[hit], minlength=cs.thresholds.size + 1)
    return np.cumsum(per_level[::-1])[::-1][1:].astype(np.int64)


def scramble_counts(cs: CountingSetup, n_scrambles: int, rng: np.random.Generator,
                    chunk: int = 2000,
                    progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Counts per threshold for ``n_scrambles`` independent uniform RA scrambles of the sources.

    Parameters
    ----------
    cs
        The pairs (:meth:`CountingSetup.build`).
    n_scrambles
        Number of scrambles.
    rng
        Random generator (the RAs are drawn in chunks of ``chunk`` scrambles,
        so the result depends on the seed only).
    progress
        Called with the number of scrambles done after each chunk.

    Returns
    -------
    ndarray of int32, shape (n_scrambles, n_thresholds)
    """
    if n_scrambles < 1:
        raise InputError(f"n_scrambles must be >= 1, got {n_scrambles}", column="n_scrambles")
    J = cs.src_ra.size
    out = np.empty((n_scrambles, cs.thresholds.size), dtype=np.int32)
    done = 0
    while done < n_scrambles:
        m = min(chunk, n_scrambles - done)
        ras = rng.uniform(0.0, _TWO_PI, size=(m, J))
        out[done:done + m] = _scramble_kernel(cs.ev_ra, cs.level, cs.offsets, cs.pair_src,
                                              cs.pair_w, ras, cs.thresholds.size)
        done += m
        if progress is not None:
            progress(m)
    return out


def event_scramble_counts(cs: CountingSetup, n_scrambles: int, rng: np.random.Generator,
                          chunk: int = 500,
                          progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Counts per threshold for RA scrambles of the *events* (sources fixed).

    The alternative null to :func:`scramble_counts`: it keeps the sources'
    real configuration (catalogues avoid the Galactic plane, so at some
    declinations their RAs cluster and their circles overlap more than
    independent uniform RAs would make them). Only events with a candidate
    pair get new RAs (the others can never count). Same return value as
    :func:`scramble_counts`.
    """
    if n_scrambles < 1:
        raise InputError(f"n_scrambles must be >= 1, got {n_scrambles}", column="n_scrambles")
    cand = np.flatnonzero(np.diff(cs.offsets) > 0).astype(np.int64)
    out = np.empty((n_scrambles, cs.thresholds.size), dtype=np.int32)
    done = 0
    while done < n_scrambles:
        m = min(chunk, n_scrambles - done)
        ras = rng.uniform(0.0, _TWO_PI, size=(m, cand.size))
        out[done:done + m] = _event_scramble_kernel(cs.level, cs.offsets, cs.pair_src,
                                                    cs.pair_w, cs.src_ra, cand, ras,
                                                    cs.thresholds.size)
        done += m
        if progress is not None:
            progress(m)
    return out


def right_tail_pvalue_poisson(n_observed: np.ndarray | float,
                              n_expected: np.ndarray | float) -> np.ndarray:
    """P(N >= n_observed) for N ~ Poisson(n_expected)."""
    from scipy.stats import poisson

    return poisson.sf(np.asarray(n_observed) - 1, np.asarray(n_expected, dtype=np.float64))


def right_tail_pvalue_gauss(n_observed: np.ndarray | float, n_expected: np.ndarray | float,
                            sigma: np.ndarray | float) -> np.ndarray:
    """Gaussian right tail ``1 - Phi((n_observed - n_expected) / sigma)``."""
    from scipy.special import ndtr

    z = (np.asarray(n_observed, float) - np.asarray(n_expected, float)) / np.asarray(sigma, float)
    return 1.0 - ndtr(z)
