"""Arithmetic on good-run intervals: the Gaussian's mass in the uptime, live time in a window.

These primitives are the one implementation of the uptime-truncated Gaussian
and box that the time PDFs (:class:`bayesnu.pdfs.temporal.GaussianFlarePDF`),
the flare search (:mod:`bayesnu.flare`), the simulation
(:mod:`bayesnu.simulate`) and the detector's flux <-> events conversion
(:mod:`bayesnu.detector.aeff`) all use. Times are MJD, widths days.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from bayesnu.errors import InputError

__all__ = ["uptime_intervals", "interval_mass", "gauss_norm", "live_between", "inside_uptime"]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def uptime_intervals(uptime) -> np.ndarray:
    """Good-run intervals as a float64 array of shape (n, 2) (MJD).

    Accepts an :class:`~bayesnu.data.core.Uptime`, an (n, 2) array or a
    ``(start, stop)`` pair.
    """
    iv = getattr(uptime, "intervals", uptime)
    iv = np.asarray(iv, dtype=np.float64)
    if iv.ndim == 1 and iv.size == 2:
        iv = iv.reshape(1, 2)
    if iv.ndim != 2 or iv.shape[1] != 2 or iv.shape[0] == 0:
        raise InputError("uptime must be an (n, 2) array of good-run [start, stop] MJD",
                         column="uptime")
    if np.any(iv[:, 1] < iv[:, 0]) or not np.all(np.isfinite(iv)):
        raise InputError("uptime intervals must be finite with stop >= start", column="uptime")
    return iv


def interval_mass(za: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """``Phi(zb) - Phi(za)`` computed without cancellation on either tail.

    Right of the mean (``za > 0``) it is ``Phi(-za) - Phi(-zb)``; two normal CDFs
    per interval, the tail side chosen before evaluating them.
    """
    right = za > 0.0
    return ndtr(np.where(right, -za, zb)) - ndtr(np.where(right, -zb, za))


def gauss_norm(t0, sigma, intervals: np.ndarray, grad: bool = False):
    """Mass of a Gaussian (T0, sigma) inside the good-run intervals.

    Parameters
    ----------
    t0, sigma : float or array_like
        Flare centre (MJD) and width (days); broadcast together.
    intervals : ndarray, shape (n, 2)
        Good-run intervals (MJD).
    grad : bool
        Also return ``dZ/dT0`` and ``dZ/dsigma``.

    Returns
    -------
    Z : ndarray
        ``sum_k [Phi((b_k - T0)/sigma) - Phi((a_k - T0)/sigma)]`` with the
        broadcast shape of ``t0, sigma``; plus the two derivatives if ``grad``.
    """
    t0 = np.asarray(t0, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    t0, sigma = np.broadcast_arrays(t0, sigma)
    shape = t0.shape
    t0f = t0.reshape(-1, 1)
    sf = sigma.reshape(-1, 1)
    a = intervals[:, 0][None, :]
    b = intervals[:, 1][None, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        za = (a - t0f) / sf
        zb = (b - t0f) / sf
        z = interval_mass(za, zb).sum(axis=1).reshape(shape)
        if not grad:
            return z
        pa = np.exp(-0.5 * za * za) * _INV_SQRT_2PI
        pb = np.exp(-0.5 * zb * zb) * _INV_SQRT_2PI
        dz_dt0 = ((pa - pb) / sf).sum(axis=1).reshape(shape)
        # za * pa -> 0 for |za| -> inf; guard inf * 0
        zapa = np.where(np.isfinite(za), za * pa, 0.0)
        zbpb = np.where(np.isfinite(zb), zb * pb, 0.0)
        dz_ds = ((zapa - zbpb) / sf).sum(axis=1).reshape(shape)
    return z, dz_dt0, dz_ds


def live_between(intervals: np.ndarray, t_start, t_stop) -> np.ndarray:
    """Live time (days) inside ``[t_start, t_stop]``, vectorised over windows."""
    ts = np.asarray(t_start, dtype=np.float64)
    te = np.asarray(t_stop, dtype=np.float64)
    ts, te = np.broadcast_arrays(ts, te)
    a = intervals[:, 0]
    b = intervals[:, 1]
    cum = np.concatenate([[0.0], np.cumsum(b - a)])

    def cumlive(t):
        idx = np.clip(np.searchsorted(a, t, side="right") - 1, 0, a.size - 1)
        inside = np.clip(t - a[idx], 0.0, b[idx] - a[idx])
        return np.where(t < a[0], 0.0, cum[idx] + inside)

    return np.maximum(cumlive(te) - cumlive(ts), 0.0)


def inside_uptime(intervals: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether each time ``t`` (MJD) lies in a good-run interval (ends included)."""
    idx = np.searchsorted(intervals[:, 0], t, side="right") - 1
    ok = idx >= 0
    idc = np.clip(idx, 0, None)
    return ok & (t <= intervals[idc, 1])
