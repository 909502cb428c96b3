"""Temporal neutrino-flare tests: kernels (no random numbers, no campaigns).

The statistic of the temporal test (after Plavin et al. 2020, as used in the
neutrino-blazar flare study, ``CITE_NU_BLAZAR_FLARES``) is

    R(t) = <flare level inside the windows> / <flare level outside the windows>

pooled over every (alert, source) pair with the source inside the alert's
(enlarged) 90 % region. The flare level of a point is flux / F_q (quiescent
flux, :func:`bayesnu.lightcurve.quiescent_flux`). The window has width dT.

Choices where the published description is ambiguous (all parameters):

* ``centre="centred"`` (default): the window is [T + t - dT/2, T + t + dT/2]
  around the alert time T; ``"after"`` uses [T + t, T + t + dT].
* ``sign=+1`` (default): a positive shift t probes emission *after* the alert
  (t > 0 = the light curve lags the neutrino); this equals shifting the light
  curve's times by -t. ``sign=-1`` shifts the observing times by +t, the literal
  "observing times shifted by t", so the same curve is mirrored in t.
* Region enlargement ``mode="linear"`` (default): each of the four 90 %
  half-widths of the IceCat-1 rectangle is multiplied by the factor (1.1, 1.3,
  1.5); ``"area"`` multiplies the area by the factor (half-widths by sqrt(f)).
  Rectangles are in (RA, dec) coordinates as published by IceCat-1: RA offsets
  are RA differences (wrapped to [-180, 180)), not great-circle distances.
* Binned points (Fermi) enter with the time overlap of their bin with the
  window (days), instantaneous points (WISE, ALMA) with weight 1 if their time
  lies in the window, so both means are time- (or point-) averaged.
* ``min_level``: flare-level cut (the published figures use 1.5 and 2.5);
  levels below it count as 0, so R measures how the *flares* concentrate in
  the windows; None (default) uses all levels.

Paired with :mod:`bayesnu.inference.blazar_temporal` (RA scrambles, control
samples, p-values, simultaneity test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from bayesnu.errors import InputError
from bayesnu.lightcurve import LightCurve, LightCurveSet, quiescent_flux
from bayesnu.lightcurve.references import CITE_NU_BLAZAR_FLARES, CITE_PLAVIN2020

__all__ = ["Alerts", "alerts_from_icecat", "select_variable", "region_pairs",
           "dec_candidates", "crossmatch", "FlareLevels", "flare_levels", "window_sums", "rt_observed",
           "shift_grid", "rt_samples", "source_totals", "VI_99_4FGL_DR2", "VI_99_3FGL", "ICECAT_END_MJD", "ICECAT_START_MJD",
           "CITE_NU_BLAZAR_FLARES", "CITE_PLAVIN2020"]

#: Variability_Index threshold of the published 4FGL-DR2 selection (99 % for 7 dof).
VI_99_4FGL_DR2 = 18.48
#: 3FGL Variability_Index threshold (99 % for 47 dof, 48 monthly bins; Acero et al. 2015).
VI_99_3FGL = 72.44
#: IceCat-1 alert period of the temporal test: 2011-01-01 .. 2021-05-31 (MJD, inclusive day).
ICECAT_START_MJD = 55562.0
ICECAT_END_MJD = 59366.0


# --------------------------------------------------------------------------- alerts

@dataclass(frozen=True)
class Alerts:
    """Neutrino alerts with rectangular 90 % regions (deg, MJD).

    ``ra_minus, ra_plus, dec_minus, dec_plus`` are the positive half-widths of
    the region below/above the best-fit RA and dec. Construction checks that
    every alert has a finite, positive error region and a finite time.
    """

    name: np.ndarray
    mjd: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    ra_minus: np.ndarray
    ra_plus: np.ndarray
    dec_minus: np.ndarray
    dec_plus: np.ndarray
    signalness: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = np.size(self.ra)
        if n == 0:
            raise InputError("no alerts (empty alert list)", column="alerts")
        for k in ("mjd", "ra", "dec", "ra_minus", "ra_plus", "dec_minus", "dec_plus"):
            a = np.abs(np.asarray(getattr(self, k), dtype=np.float64))
            if a.shape != (n,):
                raise InputError(f"alerts: {k} has shape {a.shape}, expected ({n},)", column=k)
            object.__setattr__(self, k, a if k in ("ra_minus", "ra_plus", "dec_minus",
                                                    "dec_plus") else
                               np.asarray(getattr(self, k), dtype=np.float64))
        object.__setattr__(self, "name", np.asarray(self.name).astype(str))
        for k in ("ra_minus", "ra_plus", "dec_minus", "dec_plus"):
            a = getattr(self, k)
            bad = ~np.isfinite(a) | (a <= 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(f"alert '{self.name[i]}' has no error region ({k} = "
                                 f"{np.asarray(getattr(self, k))[i]})", column=k)
        for k in ("mjd", "ra", "dec"):
            a = getattr(self, k)
            if not np.all(np.isfinite(a)):
                i = int(np.flatnonzero(~np.isfinite(a))[0])
                raise InputError(f"alert '{self.name[i]}': non-finite {k}", column=k)

    def __len__(self) -> int:
        return int(self.ra.size)

    def subset(self, mask: np.ndarray) -> Alerts:
        m = np.asarray(mask)
        return Alerts(self.name[m], self.mjd[m], self.ra[m], self.dec[m], self.ra_minus[m],
                      self.ra_plus[m], self.dec_minus[m], self.dec_plus[m],
                      None if self.signalness is None else self.signalness[m], dict(self.meta))

    def half_widths(self, factor: float = 1.0, mode: str = "linear"):
        """(ra_minus, ra_plus, dec_minus, dec_plus) scaled by the enlargement (module docstring)."""
        if not factor > 0:
            raise InputError(f"region enlargement factor {factor} must be > 0", column="factor")
        if mode == "linear":
            s = factor
        elif mode == "area":
            s = np.sqrt(factor)
        else:
            raise InputError(f"unknown enlargement mode {mode!r} (linear, area)", column="mode")
        return s * self.ra_minus, s * self.ra_plus, s * self.dec_minus, s * self.dec_plus


def alerts_from_icecat(table=None, start_mjd: float = ICECAT_START_MJD,
                       end_mjd: float = ICECAT_END_MJD, b_min: float = 10.0,
                       dec_max: float = 40.0, max_half_width: float | None = None) -> Alerts:
    """IceCat-1 alerts of the temporal test.

    Parameters
    ----------
    table : CatalogTable, optional
        ``bayesnu.data.load("icecat1")`` (loaded when omitted).
    start_mjd, end_mjd : float
        Alert period, MJD (default 2011-01-01 .. end of 2021-05-31).
    b_min, dec_max : float
        Keep |b| > b_min and |dec| < dec_max, deg (10 and 40). With the
        defaults: 221 of the 279 alerts up to 2021-05-31.
    max_half_width : float, optional
        Drop alerts with any 90 % half-width above this, deg (IceCat-1 has a few
        regions tens of degrees wide; the published study left out alerts with
        "relatively large angular uncertainty"). None (default) keeps all.
    """
    if table is None:
        from bayesnu.data import load

        table = load("icecat1")
    c = table.columns
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    b = SkyCoord(np.asarray(c["ra"]) * u.deg, np.asarray(c["dec"]) * u.deg).galactic.b.deg
    m = ((c["mjd"] >= start_mjd) & (c["mjd"] < end_mjd) & (np.abs(b) > b_min)
         & (np.abs(c["dec"]) < dec_max))
    if max_half_width is not None:
        hw = np.max(np.abs(np.column_stack([c["ra_err_minus"], c["ra_err_plus"],
                                            c["dec_err_minus"], c["dec_err_plus"]])), axis=1)
        m &= hw <= max_half_width
    return Alerts(c["name"][m], c["mjd"][m], c["ra"][m], c["dec"][m], c["ra_err_minus"][m],
                  c["ra_err_plus"][m], c["dec_err_minus"][m], c["dec_err_plus"][m],
                  c["signalness"][m], {"citation": table.meta.get("citation"),
                                       "selection": {"start_mjd": start_mjd, "end_mjd": end_mjd,
                                                     "b_min": b_min, "dec_max": dec_max,
                                                     "max_half_width": max_half_width}})


# --------------------------------------------------------------------------- sources

def select_variable(lcs: LightCurveSet, vi_min: float = VI_99_4FGL_DR2, dec_max: float = 40.0,
                    b_min: float = 10.0) -> np.ndarray:
    """Mask of the temporal test's gamma-ray sources: Variability_Index > vi_min, |dec| < dec_max,
    |b| > b_min (deg). On 4FGL-DR2 with the defaults: 992 sources."""
    c = lcs.columns
    for k in ("Variability_Index", "GLAT"):
        if k not in c:
            raise InputError(f"light-curve set lacks column {k}", column=k)
    return ((np.asarray(c["Variability_Index"]) > vi_min) & (np.abs(lcs.dec) < dec_max)
            & (np.abs(np.asarray(c["GLAT"])) > b_min))


@numba.njit(cache=True)
def _pairs_kernel(a_ra, a_dec, rm, rp, dm, dp, s_ra, s_dec, order, sdec_sorted, out_a, out_s):
    k = 0
    for a in range(a_ra.size):
        lo = np.searchsorted(sdec_sorted, a_dec[a] - dm[a])
        hi = np.searchsorted(sdec_sorted, a_dec[a] + dp[a], side="right")
        for q in range(lo, hi):
            s = order[q]
            d = (s_ra[s] - a_ra[a] + 180.0) % 360.0 - 180.0
            if -rm[a] <= d <= rp[a]:
                out_a[k] = a
                out_s[k] = s
                k += 1
    return k


def region_pairs(alerts: Alerts, ra: np.ndarray, dec: np.ndarray, factor: float = 1.0,
                 mode: str = "linear", alert_ra: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(alert index, source index) of every source inside an (enlarged) alert rectangle.

    ``alert_ra`` replaces the alerts' RA (RA scrambles). Pairs are sorted by alert.
    """
    rm, rp, dm, dp = alerts.half_widths(factor, mode)
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    order = np.argsort(dec, kind="stable")
    sd = dec[order]
    ara = alerts.ra if alert_ra is None else np.asarray(alert_ra, dtype=np.float64)
    # upper bound on the number of pairs: sources in each alert's dec band
    lo = np.searchsorted(sd, alerts.dec - dm)
    hi = np.searchsorted(sd, alerts.dec + dp, side="right")
    cap = int(np.sum(hi - lo))
    oa = np.empty(cap, np.int64)
    os_ = np.empty(cap, np.int64)
    k = _pairs_kernel(ara, alerts.dec, rm, rp, dm, dp, ra, dec, order, sd, oa, os_)
    return oa[:k], os_[:k]


def dec_candidates(alerts: Alerts, dec: np.ndarray, factor: float = 1.0, mode: str = "linear"
                   ) -> tuple[np.ndarray, np.ndarray]:
    """All (alert, source) pairs inside the alert's dec band: the only pairs an RA scramble
    can ever produce (RA scrambles keep declinations). Sorted by alert."""
    _, _, dm, dp = alerts.half_widths(factor, mode)
    dec = np.asarray(dec, dtype=np.float64)
    inside = (dec[None, :] >= (alerts.dec - dm)[:, None]) & (dec[None, :] <= (alerts.dec + dp)[:, None])
    a, s = np.nonzero(inside)
    return a.astype(np.int64), s.astype(np.int64)


def crossmatch(ra1, dec1, ra2, dec2, radius1=None, radius2=None, min_radius: float = 0.1
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest counterpart in catalogue 2 of each source of catalogue 1 (deg).

    A match needs separation <= max(min_radius, sqrt(r1^2 + r2^2)) with r the
    95 % error radii (``Conf_95_SemiMajor``; 0 when not given). Returns
    ``(index1, index2, separation)`` of the matches; a source of catalogue 2 is
    used at most once (closest wins).
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    c1 = SkyCoord(np.asarray(ra1) * u.deg, np.asarray(dec1) * u.deg)
    c2 = SkyCoord(np.asarray(ra2) * u.deg, np.asarray(dec2) * u.deg)
    j, sep, _ = c1.match_to_catalog_sky(c2)
    sep = sep.deg
    r1 = np.zeros(len(c1)) if radius1 is None else np.nan_to_num(np.asarray(radius1, float))
    r2 = np.zeros(len(c2)) if radius2 is None else np.nan_to_num(np.asarray(radius2, float))
    lim = np.maximum(min_radius, np.hypot(r1, r2[j]))
    ok = sep <= lim
    i1 = np.flatnonzero(ok)
    i2, s = j[ok], sep[ok]
    order = np.argsort(s, kind="stable")
    _, first = np.unique(i2[order], return_index=True)
    keep = np.sort(order[first])
    return i1[keep], i2[keep], s[keep]


# --------------------------------------------------------------------------- flare levels

@dataclass
class FlareLevels:
    """Flare levels (flux / quiescent flux) of many curves, padded to a common length.

    Attributes
    ----------
    lo, hi : arrays (n_src, n_max)
        Point bins (MJD); padding has lo = hi = +inf.
    level : array (n_src, n_max)
        Flux / F_q (0 in padding).
    npts : int array (n_src,)
    quiescent : array (n_src,)
    names : array (n_src,)
    shared_edges : array or None
        Common bin edges when every curve uses the same bins (fast path).
    """

    lo: np.ndarray
    hi: np.ndarray
    level: np.ndarray
    npts: np.ndarray
    quiescent: np.ndarray
    names: np.ndarray
    shared_edges: np.ndarray | None = None

    @property
    def n_sources(self) -> int:
        return int(self.level.shape[0])

    def subset(self, idx: np.ndarray) -> FlareLevels:
        i = np.asarray(idx)
        return FlareLevels(self.lo[i], self.hi[i], self.level[i], self.npts[i],
                           self.quiescent[i], self.names[i], self.shared_edges)


def flare_levels(curves: LightCurveSet | list[LightCurve], fraction: float = 0.3,
                 n_drop: int = 1, min_level: float | None = None) -> FlareLevels:
    """Flare levels of a :class:`LightCurveSet` or a list of :class:`LightCurve`.

    Fluxes must be non-negative. Sources whose quiescent flux is not positive
    (too few detections) get level NaN rows and should be dropped by the caller
    (``np.isfinite(levels.quiescent) & (levels.quiescent > 0)``).
    """
    if isinstance(curves, LightCurveSet):
        if np.any(curves.flux < 0):
            j, i = map(int, np.argwhere(curves.flux < 0)[0])
            raise InputError(f"light curve '{curves.names[j]}': negative flux at point {i}; "
                             "non-negative fluxes needed for flare levels", column="flux")
        det = ~curves.upper_limit
        q = np.array([_q(curves.flux[j][det[j]], fraction, n_drop)
                      for j in range(curves.n_sources)])
        with np.errstate(divide="ignore", invalid="ignore"):
            lev = curves.flux / q[:, None]
        lo = np.broadcast_to(curves.edges[:-1], lev.shape).copy()
        hi = np.broadcast_to(curves.edges[1:], lev.shape).copy()
        npts = np.full(curves.n_sources, curves.n_bins)
        names = curves.names
        shared = curves.edges
    else:
        if len(curves) == 0:
            raise InputError("no light curves given", column="curves")
        nmax = max(lc.n for lc in curves)
        n = len(curves)
        lo = np.full((n, nmax), np.inf)
        hi = np.full((n, nmax), np.inf)
        lev = np.zeros((n, nmax))
        npts = np.zeros(n, np.int64)
        q = np.zeros(n)
        for j, lc in enumerate(curves):
            lc.require(3, nonnegative=True, what="the temporal test")
            q[j] = quiescent_flux(lc, fraction, n_drop)
            m = ~lc.artificial
            k = int(m.sum())
            lo[j, :k], hi[j, :k] = lc.t_lo[m], lc.t_hi[m]
            with np.errstate(divide="ignore", invalid="ignore"):
                lev[j, :k] = lc.flux[m] / q[j]
            npts[j] = k
        names = np.array([lc.name for lc in curves])
        shared = None
    if min_level is not None:
        lev = np.where(lev >= min_level, lev, 0.0)
    return FlareLevels(lo, hi, lev, npts, q, np.asarray(names), shared)


def _q(f, fraction, n_drop):
    f = np.sort(f)
    n = f.size
    k = min(max(n_drop + 1, int(round(fraction * n))), n)
    return float(f[n_drop:k].mean()) if k > n_drop else float("nan")


@numba.njit(cache=True)
def _wsum(lo, hi, lev, n, u1, u2):
    sf = 0.0
    sw = 0.0
    for i in range(n):
        if hi[i] > lo[i]:
            w = min(hi[i], u2) - max(lo[i], u1)
            if w > 0:
                sf += w * lev[i]
                sw += w
        elif u1 <= lo[i] < u2:
            sf += lev[i]
            sw += 1.0
    return sf, sw


@numba.njit(cache=True)
def _totals(lo, hi, lev, n):
    sf = 0.0
    sw = 0.0
    for i in range(n):
        w = hi[i] - lo[i]
        if w <= 0:
            w = 1.0
        sf += w * lev[i]
        sw += w
    return sf, sw


@numba.njit(cache=True)
def _rt_pairs(lo, hi, lev, npts, src, times, starts, width, out_in_f, out_in_w):
    """Window sums for pairs (src[j], times[j]) and window starts ``times[j] + starts[k]``."""
    for j in range(src.size):
        s = src[j]
        for k in range(starts.size):
            u1 = times[j] + starts[k]
            f, w = _wsum(lo[s], hi[s], lev[s], npts[s], u1, u1 + width)
            out_in_f[k] += f
            out_in_w[k] += w


@numba.njit(cache=True)
def _rt_samples(lo, hi, lev, npts, tot_f_src, tot_w_src, src, times, starts, width, out):
    """R(t) of many samples: sample r holds pairs (src[r, j], times[r, j])."""
    nk = starts.size
    in_f = np.empty(nk)
    in_w = np.empty(nk)
    for r in range(src.shape[0]):
        in_f[:] = 0.0
        in_w[:] = 0.0
        tf = 0.0
        tw = 0.0
        for j in range(src.shape[1]):
            s = src[r, j]
            tf += tot_f_src[s]
            tw += tot_w_src[s]
            for k in range(nk):
                u1 = times[r, j] + starts[k]
                f, w = _wsum(lo[s], hi[s], lev[s], npts[s], u1, u1 + width)
                in_f[k] += f
                in_w[k] += w
        for k in range(nk):
            ow = tw - in_w[k]
            if in_w[k] > 0 and ow > 0:
                out[r, k] = (in_f[k] / in_w[k]) / ((tf - in_f[k]) / ow)
            else:
                out[r, k] = np.nan


def source_totals(levels: FlareLevels) -> tuple[np.ndarray, np.ndarray]:
    """Per-source sum of weight x level and of weights over the whole curve (R(t) outside sums)."""
    tf = np.zeros(levels.n_sources)
    tw = np.zeros(levels.n_sources)
    lev = np.nan_to_num(levels.level)
    for s in range(levels.n_sources):
        tf[s], tw[s] = _totals(levels.lo[s], levels.hi[s], lev[s], levels.npts[s])
    return tf, tw


def rt_samples(levels: FlareLevels, src: np.ndarray, times: np.ndarray, shifts: np.ndarray,
               dT: float, centre: str = "centred", sign: int = 1,
               totals: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """R(t) of many samples of pairs (any light curves; compiled loop).

    Parameters
    ----------
    src, times : arrays (n_samples, n_pairs)
        Source rows and alert times of every sample.
    totals : (tot_f, tot_w), optional
        :func:`source_totals` (computed when omitted).

    Returns
    -------
    array (n_samples, n_shifts)
    """
    src = np.ascontiguousarray(src, dtype=np.int64)
    times = np.ascontiguousarray(np.broadcast_to(times, src.shape), dtype=np.float64)
    starts = window_start_offsets(shifts, dT, centre, sign)
    tf, tw = source_totals(levels) if totals is None else totals
    out = np.empty((src.shape[0], starts.size))
    _rt_samples(levels.lo, levels.hi, np.nan_to_num(levels.level), levels.npts, tf, tw, src,
                times, starts, float(dT), out)
    return out


def window_start_offsets(shifts: np.ndarray, dT: float, centre: str = "centred",
                         sign: int = 1) -> np.ndarray:
    """Window start relative to the alert time for each shift (module docstring)."""
    if centre not in ("centred", "after"):
        raise InputError(f"unknown window centre {centre!r} (centred, after)", column="centre")
    if sign not in (1, -1):
        raise InputError(f"shift sign must be +1 or -1, got {sign}", column="sign")
    if not dT > 0:
        raise InputError(f"window dT = {dT} must be > 0 days", column="dT")
    c = sign * np.asarray(shifts, dtype=np.float64)
    return c - 0.5 * dT if centre == "centred" else c


def shift_grid(dT: float, t_max: float = 3600.0, step: float | None = None) -> np.ndarray:
    """Shifts t in [-t_max, t_max] days in steps of ``step`` (default dT/2), including 0."""
    step = 0.5 * dT if step is None else float(step)
    if not step > 0:
        raise InputError(f"shift step {step} must be > 0 days", column="step")
    n = int(np.floor(t_max / step + 1e-9))
    return np.arange(-n, n + 1) * step


def window_sums(levels: FlareLevels, src: np.ndarray, times: np.ndarray, shifts: np.ndarray,
                dT: float, centre: str = "centred", sign: int = 1) -> dict[str, np.ndarray]:
    """Pooled inside sums and totals of R(t) for pairs (source ``src[j]``, alert time ``times[j]``).

    Returns ``in_f``, ``in_w`` (per shift) and ``tot_f``, ``tot_w`` (scalars, as
    0-d arrays); R(t) = (in_f/in_w) / ((tot_f - in_f)/(tot_w - in_w)).
    """
    src = np.asarray(src, dtype=np.int64)
    times = np.asarray(times, dtype=np.float64)
    starts = window_start_offsets(shifts, dT, centre, sign)
    in_f = np.zeros(starts.size)
    in_w = np.zeros(starts.size)
    _rt_pairs(levels.lo, levels.hi, levels.level, levels.npts, src, times, starts, float(dT),
              in_f, in_w)
    tf = tw = 0.0
    for s in src:
        f, w = _totals(levels.lo[s], levels.hi[s], levels.level[s], levels.npts[s])
        tf += f
        tw += w
    return {"in_f": in_f, "in_w": in_w, "tot_f": np.array(tf), "tot_w": np.array(tw)}


def ratio(in_f, in_w, tot_f, tot_w) -> np.ndarray:
    """R = (in_f/in_w) / ((tot_f - in_f)/(tot_w - in_w)); NaN where a side is empty."""
    in_f, in_w = np.asarray(in_f, dtype=np.float64), np.asarray(in_w, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (in_f / in_w) / ((tot_f - in_f) / (tot_w - in_w))
    return np.where((in_w > 0) & (tot_w - in_w > 0), r, np.nan)


def rt_observed(levels: FlareLevels, src: np.ndarray, times: np.ndarray, shifts: np.ndarray,
                dT: float, centre: str = "centred", sign: int = 1) -> np.ndarray:
    """R(t) for the pairs (``src[j]``, ``times[j]``) at each shift (module docstring)."""
    if np.size(src) == 0:
        raise InputError("no source inside any alert region; R(t) is undefined", column="alerts")
    w = window_sums(levels, src, times, shifts, dT, centre, sign)
    return ratio(w["in_f"], w["in_w"], w["tot_f"], w["tot_w"])


def shared_window_weights(edges: np.ndarray, times: np.ndarray, starts: np.ndarray,
                          width: float) -> np.ndarray:
    """Overlap (days) of every bin with every pair's window at every shift.

    Returns W of shape (n_pairs, n_bins, n_shifts): W[j, i, k] = |bin i ∩
    [times[j] + starts[k], times[j] + starts[k] + width]|. Used by the control
    samples of curves on common bins (Fermi), where R(t) of a sample is a
    matrix product.
    """
    lo, hi = edges[:-1], edges[1:]
    u1 = np.asarray(times)[:, None, None] + np.asarray(starts)[None, None, :]
    w = np.minimum(hi[None, :, None], u1 + width) - np.maximum(lo[None, :, None], u1)
    return np.clip(w, 0.0, None)
