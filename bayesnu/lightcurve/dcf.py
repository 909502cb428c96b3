"""Discrete correlation function (Edelson & Krolik 1988) and time-lag estimates.

For curves a (times t_i) and b (times t_j), every pair gives the unbinned
correlation

    UDCF_ij = (a_i - <a>)(b_j - <b>) / sqrt((S_a^2 - e_a^2)(S_b^2 - e_b^2)),

with S^2 the variance (ddof=1) and e^2 the mean squared error of each curve
(the measurement-noise correction; when noise exceeds the variance the
uncorrected variance is used and ``noise_corrected`` is False). Pairs are
binned in lag Delta t_ij = t_j - t_i: DCF(tau) = mean of UDCF in the bin, error
sqrt(sum (UDCF - DCF)^2) / (M - 1) for M pairs.

**Sign**: a positive lag means curve b lags curve a (b's variations come
later). With a = gamma rays and b = infrared, a TXS 0506+056-like infrared
delay is a positive lag.

``local=True`` gives the locally normalised DCF (Welsh 1999): in every lag
bin the means and standard deviations are those of the points that form the
bin's pairs, so |DCF| <= 1 even when the two curves cover different spans or
are binned differently (the global normalisation can then exceed 1).

Lag estimates: the centre of the bin of maximum DCF (``lag_max``) and the
mean of a Gaussian A exp(-(tau - mu)^2 / (2 w^2)) fitted to the DCF by weighted
least squares around the maximum (``lag_gauss``; NaN when the fit fails).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bayesnu.errors import InputError

from .core import LightCurve
from .references import CITE_EDELSON_KROLIK1988

__all__ = ["DCFResult", "dcf", "CITE_EDELSON_KROLIK1988"]


@dataclass
class DCFResult:
    """DCF per lag bin and the two lag estimates (days)."""

    lag: np.ndarray
    dcf: np.ndarray
    error: np.ndarray
    n_pairs: np.ndarray
    lag_max: float
    lag_gauss: float
    gauss_params: tuple[float, float, float]
    noise_corrected: bool

    def to_dict(self) -> dict[str, Any]:
        ok = self.n_pairs > 0
        return {"lag_d": self.lag[ok].tolist(), "dcf": self.dcf[ok].tolist(),
                "dcf_error": self.error[ok].tolist(), "n_pairs": self.n_pairs[ok].tolist(),
                "lag_max_d": self.lag_max, "lag_gauss_d": self.lag_gauss,
                "gauss_amplitude_mean_width": list(self.gauss_params),
                "noise_corrected": self.noise_corrected}


def dcf(a: LightCurve, b: LightCurve, bin_width: float, max_lag: float | None = None,
        min_pairs: int = 2, detections_only: bool = True, fit_halfwidth: int | None = None,
        local: bool = False) -> DCFResult:
    """Discrete correlation function of two light curves.

    Parameters
    ----------
    a, b : LightCurve
        >= 3 points each (detections, if ``detections_only``).
    bin_width : float
        Lag bin width, days (> 0). Bins are centred on multiples of it.
    max_lag : float, optional
        Largest |lag|, days (default: the longer curve's time span).
    min_pairs : int
        Bins with fewer pairs are left empty (NaN).
    detections_only : bool
        Drop upper limits and artificial points first (default True).
    fit_halfwidth : int, optional
        Bins on each side of the maximum used in the Gaussian fit (default: all
        bins with data).
    local : bool
        Locally normalised DCF (module docstring); default False (Edelson & Krolik).
    """
    if not bin_width > 0:
        raise InputError(f"DCF bin width {bin_width} must be > 0 days", column="bin_width")
    if detections_only:
        a = a.select(a.detected) if a.detected.sum() >= 1 else a
        b = b.select(b.detected) if b.detected.sum() >= 1 else b
    a.require(3, what="the DCF")
    b.require(3, what="the DCF")
    if max_lag is None:
        max_lag = max(a.time[-1] - a.time[0], b.time[-1] - b.time[0])
    da, db = a.flux - a.flux.mean(), b.flux - b.flux.mean()
    va, vb = a.flux.var(ddof=1), b.flux.var(ddof=1)
    ca, cb = va - np.mean(a.error**2), vb - np.mean(b.error**2)
    corrected = bool(ca > 0 and cb > 0)
    den = np.sqrt(ca * cb) if corrected else np.sqrt(va * vb)
    if not den > 0:
        raise InputError("a light curve has zero variance; the DCF is undefined", column="flux")
    udcf = np.outer(da, db) / den
    dt = b.time[None, :] - a.time[:, None]
    nb = int(np.floor(max_lag / bin_width + 0.5))
    centres = np.arange(-nb, nb + 1) * bin_width
    idx = np.floor(dt / bin_width + 0.5).astype(np.int64) + nb
    ok = (idx >= 0) & (idx < centres.size)
    idx, u = idx[ok], udcf[ok]
    m = np.bincount(idx, minlength=centres.size)
    if local:
        av = np.broadcast_to(a.flux[:, None], dt.shape)[ok]
        bv = np.broadcast_to(b.flux[None, :], dt.shape)[ok]

        def bsum(w):
            return np.bincount(idx, weights=w, minlength=centres.size)

        with np.errstate(invalid="ignore", divide="ignore"):
            ma, mb = bsum(av) / m, bsum(bv) / m
            sa = np.sqrt(np.maximum(bsum(av * av) / m - ma**2, 0.0))
            sb = np.sqrt(np.maximum(bsum(bv * bv) / m - mb**2, 0.0))
            u = (av - ma[idx]) * (bv - mb[idx]) / (sa[idx] * sb[idx])
            u = np.where(np.isfinite(u), u, 0.0)
    s = np.bincount(idx, weights=u, minlength=centres.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / m
        ss = np.bincount(idx, weights=(u - mean[idx]) ** 2, minlength=centres.size)
        err = np.sqrt(ss) / (m - 1)
    good = m >= max(min_pairs, 1)
    mean = np.where(good, mean, np.nan)
    err = np.where(good & (m > 1), err, np.nan)
    if not good.any():
        raise InputError("no lag bin has enough pairs; widen bin_width or max_lag",
                         column="bin_width")
    k = int(np.nanargmax(mean))
    lag_max = float(centres[k])
    lag_g, params = _gauss_fit(centres, mean, err, good, k, fit_halfwidth, bin_width)
    return DCFResult(centres, mean, err, m, lag_max, lag_g, params, corrected)


def _gauss_fit(x, y, e, good, k, halfwidth, bw):
    from scipy.optimize import curve_fit

    sel = good.copy()
    if halfwidth is not None:
        sel &= np.abs(np.arange(x.size) - k) <= halfwidth
    if sel.sum() < 4:
        return float("nan"), (float("nan"),) * 3
    xs, ys = x[sel], y[sel]
    es = e[sel]
    es = np.where(np.isfinite(es) & (es > 0), es, np.nanmedian(es[es > 0]) if np.any(es > 0)
                  else 1.0)

    def g(t, amp, mu, w):
        return amp * np.exp(-0.5 * ((t - mu) / w) ** 2)

    try:
        p, _ = curve_fit(g, xs, ys, p0=(max(y[k], 1e-3), x[k], 3 * bw), sigma=es,
                         maxfev=5000)
    except (RuntimeError, ValueError):
        return float("nan"), (float("nan"),) * 3
    amp, mu, w = map(float, p)
    if not (np.isfinite(mu) and xs.min() <= mu <= xs.max()):
        return float("nan"), (amp, mu, abs(w))
    return mu, (amp, mu, abs(w))
