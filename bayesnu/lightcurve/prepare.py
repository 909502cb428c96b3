"""Light-curve preparation steps of the neutrino-blazar flare study (WISE, ALMA, Swift-XRT).

* :func:`merge_close` -- combine points closer than 15 d (averaging);
* :func:`clip_outliers` -- drop fluxes beyond ``nsigma`` (3-4) standard deviations
  of the mean;
* :func:`snr_cut` -- drop points with S/N <= 2 (infrared);
* :func:`fill_gap` -- bridge the WISE AllWISE/NEOWISE gap (MJD 55600-56500)
  with artificial points at the mean flux (optional);
* :func:`prepare` -- all of them in the published order.

Each returns a new :class:`~bayesnu.lightcurve.core.LightCurve` and appends a
line to ``meta["history"]``.
"""

from __future__ import annotations

import numpy as np

from bayesnu.errors import InputError

from .core import LightCurve
from .references import CITE_NU_BLAZAR_FLARES

__all__ = ["merge_close", "clip_outliers", "snr_cut", "fill_gap", "prepare",
           "WISE_GAP_MJD", "CITE_NU_BLAZAR_FLARES"]

#: Gap between AllWISE multi-epoch and NEOWISE photometry (MJD).
WISE_GAP_MJD = (55600.0, 56500.0)


def _hist(lc: LightCurve, note: str) -> dict:
    meta = dict(lc.meta)
    meta["history"] = [*meta.get("history", []), note]
    return meta


def merge_close(lc: LightCurve, min_separation: float = 15.0, anchor: str = "first",
                weighted: bool = False) -> LightCurve:
    """Combine points closer than ``min_separation`` days into one averaged point.

    Parameters
    ----------
    lc : LightCurve
    min_separation : float
        Days (default 15, as published for WISE, ALMA and Swift-XRT).
    anchor : {"first", "previous"}
        Ambiguity of the published rule ("observations with time separation
        smaller than 15 days were combined"): ``"first"`` (default) starts a new
        group when a point is >= ``min_separation`` after the *first* point of
        the current group, so one group never spans 15 d or more (WISE visits
        last 1-2 d, so both readings agree on WISE); ``"previous"`` chains points
        closer than ``min_separation`` to their predecessor (groups may grow long).
    weighted : bool
        False (default, "averaging the signal"): arithmetic mean flux, error =
        sqrt(sum e^2)/n. True: inverse-variance weighted mean, error =
        1/sqrt(sum 1/e^2).

    Returns
    -------
    LightCurve
        Time = mean time of the group, bin = [first, last] time of the group (or
        the union of the input bins), upper limit only if every point of the
        group is one; in a mixed group the upper limits are dropped.
    """
    if min_separation < 0:
        raise InputError(f"min_separation {min_separation} < 0", column="min_separation")
    if anchor not in ("first", "previous"):
        raise InputError(f"unknown anchor {anchor!r} (first, previous)", column="anchor")
    t = lc.time
    gid = np.zeros(lc.n, dtype=np.int64)
    g, start = 0, t[0]
    for i in range(1, lc.n):
        ref = start if anchor == "first" else t[i - 1]
        if t[i] - ref >= min_separation:
            g += 1
            start = t[i]
        gid[i] = g
    ng = g + 1
    if ng == lc.n:
        return lc.replace(meta=_hist(lc, f"merge_close({min_separation} d): nothing to merge"))
    out = {k: np.empty(ng) for k in ("t", "f", "e", "lo", "hi")}
    ul = np.zeros(ng, bool)
    art = np.zeros(ng, bool)
    for k in range(ng):
        m = gid == k
        det = m & ~lc.upper_limit
        use = det if det.any() else m
        ul[k] = not det.any()
        art[k] = bool(np.all(lc.artificial[use]))
        f, e = lc.flux[use], lc.error[use]
        if weighted and np.all(e > 0):
            w = 1.0 / e**2
            out["f"][k] = np.sum(w * f) / np.sum(w)
            out["e"][k] = 1.0 / np.sqrt(np.sum(w))
        else:
            out["f"][k] = f.mean()
            out["e"][k] = np.sqrt(np.sum(e**2)) / f.size
        out["t"][k] = lc.time[use].mean()
        out["lo"][k] = lc.t_lo[m].min()
        out["hi"][k] = lc.t_hi[m].max()
    return LightCurve(out["t"], out["f"], out["e"], ul, out["lo"], out["hi"], art, lc.name,
                      lc.band, lc.unit, _hist(lc, f"merge_close({min_separation} d, {anchor}, "
                                                  f"weighted={weighted}): {lc.n} -> {ng}"))


def clip_outliers(lc: LightCurve, nsigma: float = 3.5, iterate: bool = False) -> LightCurve:
    """Drop detections whose flux lies beyond ``nsigma`` standard deviations of the mean.

    Parameters
    ----------
    nsigma : float
        The published range is "3-4 sigma"; default 3.5.
    iterate : bool
        Repeat until no point is removed (default False: one pass, as published).

    Notes
    -----
    Mean and standard deviation (ddof=0) are those of the detections; upper
    limits are kept. Needs >= 3 detections, otherwise the curve is returned as is.
    """
    if nsigma <= 0:
        raise InputError(f"nsigma {nsigma} <= 0", column="nsigma")
    keep = np.ones(lc.n, bool)
    while True:
        det = keep & lc.detected
        if det.sum() < 3:
            break
        mu, sd = lc.flux[det].mean(), lc.flux[det].std()
        bad = det & (np.abs(lc.flux - mu) > nsigma * sd)
        if not bad.any():
            break
        keep &= ~bad
        if not iterate:
            break
    if keep.all():
        return lc.replace(meta=_hist(lc, f"clip_outliers({nsigma}): none"))
    if not keep.any():
        raise InputError(f"light curve '{lc.name}': outlier clipping removed every point",
                         column="flux")
    return lc.select(keep, f"clip_outliers({nsigma}): removed {int((~keep).sum())}")


def snr_cut(lc: LightCurve, min_snr: float = 2.0) -> LightCurve:
    """Drop detections with flux/error <= ``min_snr`` (published: S/N <= 2 removed, infrared).

    Upper limits are kept (they carry their own flag). Raises when nothing is left.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(lc.error > 0, lc.flux / lc.error, np.inf)
    keep = ~lc.detected | (snr > min_snr)
    if not keep.any():
        raise InputError(f"light curve '{lc.name}': no point with S/N > {min_snr}",
                         column="flux")
    return lc.select(keep, f"snr_cut({min_snr}): removed {int((~keep).sum())}")


def fill_gap(lc: LightCurve, gap: tuple[float, float] = WISE_GAP_MJD, offset: float = 180.0
             ) -> LightCurve:
    """Bridge an observing gap with two artificial points at the mean flux.

    The published treatment of the WISE gap (MJD 55600-56500): artificial points
    ``offset`` (180) days after the start and before the end of the gap, with
    flux = mean detected flux and error = mean error of the source. They are
    flagged ``artificial`` (excluded from the quiescent flux). Nothing is added
    when the curve already has a point inside the gap or does not span it.
    """
    a, b = float(gap[0]), float(gap[1])
    if not b > a:
        raise InputError(f"gap [{a}, {b}] is empty", column="gap")
    if not (lc.time[0] < a and lc.time[-1] > b) or np.any((lc.time > a) & (lc.time < b)):
        return lc.replace(meta=_hist(lc, "fill_gap: not applicable"))
    det = lc.detected
    src = det if det.any() else np.ones(lc.n, bool)
    new_t = np.array([a + offset, b - offset]) if b - a > 2 * offset else np.array([0.5 * (a + b)])
    t = np.concatenate([lc.time, new_t])
    o = np.argsort(t, kind="stable")
    fill = lambda x, v: np.concatenate([x, np.full(new_t.size, v)])[o]  # noqa: E731
    return LightCurve(t[o], fill(lc.flux, lc.flux[src].mean()), fill(lc.error, lc.error[src].mean()),
                      fill(lc.upper_limit, False), np.concatenate([lc.t_lo, new_t])[o],
                      np.concatenate([lc.t_hi, new_t])[o], fill(lc.artificial, True), lc.name,
                      lc.band, lc.unit, _hist(lc, f"fill_gap({a}-{b}, offset {offset} d): "
                                                  f"+{new_t.size}"))


def prepare(lc: LightCurve, merge: float | None = 15.0, outlier_nsigma: float | None = 3.5,
            min_snr: float | None = None, gap: tuple[float, float] | None = None) -> LightCurve:
    """The published preparation in order: merge, outlier cut, S/N cut, gap filling.

    Parameters
    ----------
    merge : float or None
        :func:`merge_close` separation, days (None: skip).
    outlier_nsigma : float or None
        :func:`clip_outliers` threshold (None: skip).
    min_snr : float or None
        :func:`snr_cut` threshold (2 for infrared; None: skip, the default).
    gap : (float, float) or None
        :func:`fill_gap` gap, MJD (``WISE_GAP_MJD`` for WISE; None: skip).
    """
    if merge is not None:
        lc = merge_close(lc, merge)
    if outlier_nsigma is not None:
        lc = clip_outliers(lc, outlier_nsigma)
    if min_snr is not None:
        lc = snr_cut(lc, min_snr)
    if gap is not None:
        lc = fill_gap(lc, gap)
    return lc
