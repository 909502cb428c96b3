"""Temporal PDFs of a neutrino flare, truncated to and normalised over the detector uptime.

The truncated-Gaussian primitives and the likelihood engine's PDF classes
(:class:`GaussianFlarePDF`, :class:`BoxFlarePDF`) live once, in
:mod:`bayesnu.pdfs.temporal`, and are re-exported here; this module adds the
fixed-parameter views used by the search and its tests and the fast edge-sum
normalisation :class:`UptimeNorm` of the flare ranking.

Times are MJD (days). The uptime is a set of good-run intervals ``[a_k, b_k)``
(:class:`bayesnu.data.core.Uptime`); every PDF here is zero outside them and
integrates to one over them.

* :class:`TruncatedGaussian` -- ``f(t) = phi((t - T0)/sigma) / (sigma * Z)`` with the
  truncation normalisation ``Z(T0, sigma) = sum_k [Phi(zb_k) - Phi(za_k)]``
  (``za_k = (a_k - T0)/sigma``), vectorised over intervals and over many
  ``(T0, sigma)`` pairs at once, with analytic derivatives in ``T0`` and ``sigma``.
* :class:`BoxFlare` -- uniform on ``[T_start, T_stop]`` intersected with the uptime.
  Its edges are not differentiable where an event sits on them; the flare fit
  profiles them over event times instead (see :mod:`bayesnu.flare.search`).
* :class:`UniformBackground` -- ``1 / livetime`` inside the uptime.

Every class offers ``pdf(t)`` and ``logpdf(t)``; the Gaussian also
``logpdf_and_grad(t)`` returning ``(log f, d log f / d T0, d log f / d sigma)``.
The ratio ``signal / background`` (the temporal S/B that multiplies the spatial
and energy S/B) is ``sob(t)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesnu.errors import InputError
from bayesnu.pdfs.temporal import (
    BoxFlarePDF,
    GaussianFlarePDF,
    gauss_norm,
    inside_uptime,
    interval_mass,
    live_between,
    uptime_intervals,
)

__all__ = [
    "uptime_intervals",
    "gauss_norm",
    "interval_mass",
    "inside_uptime",
    "TruncatedGaussian",
    "BoxFlare",
    "UniformBackground",
    "live_between",
    "GaussianFlarePDF",
    "BoxFlarePDF",
    "UptimeNorm",
    "gauss_logsob_grid",
]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class UniformBackground:
    """Background time PDF: uniform in live time, ``1/livetime`` inside the uptime (1/day)."""

    intervals: np.ndarray

    @classmethod
    def from_uptime(cls, uptime) -> UniformBackground:
        return cls(uptime_intervals(uptime))

    @property
    def livetime(self) -> float:
        return float(np.sum(self.intervals[:, 1] - self.intervals[:, 0]))

    def pdf(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        return np.where(inside_uptime(self.intervals, t), 1.0 / self.livetime, 0.0)

    def logpdf(self, t) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(t))


@dataclass(frozen=True)
class TruncatedGaussian:
    """Gaussian flare time PDF truncated to the uptime.

    Parameters
    ----------
    t0 : float
        Centre, MJD.
    sigma : float
        Width (standard deviation), days; must be > 0.
    intervals : ndarray, shape (n, 2)
        Good-run intervals, MJD.
    """

    t0: float
    sigma: float
    intervals: np.ndarray

    @classmethod
    def from_uptime(cls, t0: float, sigma: float, uptime) -> TruncatedGaussian:
        if not (np.isfinite(sigma) and sigma > 0):
            raise InputError(f"sigma_t must be positive, got {sigma}", column="sigma_t")
        if not np.isfinite(t0):
            raise InputError(f"T0 must be finite, got {t0}", column="t0")
        return cls(float(t0), float(sigma), uptime_intervals(uptime))

    @property
    def norm(self) -> float:
        return float(gauss_norm(self.t0, self.sigma, self.intervals))

    def logpdf(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        z = (t - self.t0) / self.sigma
        lp = -0.5 * z * z - np.log(self.sigma) - _LOG_SQRT_2PI - np.log(self.norm)
        return np.where(inside_uptime(self.intervals, t), lp, -np.inf)

    def pdf(self, t) -> np.ndarray:
        return np.exp(self.logpdf(t))

    def logpdf_and_grad(self, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``log f(t)`` and its derivatives with respect to T0 and sigma.

        Outside the uptime ``log f = -inf`` and both derivatives are 0.
        """
        t = np.asarray(t, dtype=np.float64)
        z = (t - self.t0) / self.sigma
        nz, dn_dt0, dn_ds = gauss_norm(self.t0, self.sigma, self.intervals, grad=True)
        lp = -0.5 * z * z - np.log(self.sigma) - _LOG_SQRT_2PI - np.log(nz)
        g_t0 = z / self.sigma - dn_dt0 / nz
        g_s = (z * z - 1.0) / self.sigma - dn_ds / nz
        ins = inside_uptime(self.intervals, t)
        return (np.where(ins, lp, -np.inf), np.where(ins, g_t0, 0.0), np.where(ins, g_s, 0.0))

    def sob(self, t) -> np.ndarray:
        """Signal over background time PDF ratio (``f(t) * livetime``)."""
        live = float(np.sum(self.intervals[:, 1] - self.intervals[:, 0]))
        return self.pdf(t) * live


@dataclass(frozen=True)
class BoxFlare:
    """Box flare time PDF: uniform over the live part of ``[t_start, t_stop]``."""

    t_start: float
    t_stop: float
    intervals: np.ndarray

    @classmethod
    def from_uptime(cls, t_start: float, t_stop: float, uptime) -> BoxFlare:
        iv = uptime_intervals(uptime)
        if not (np.isfinite(t_start) and np.isfinite(t_stop) and t_stop > t_start):
            raise InputError(f"box flare needs t_start < t_stop, got {t_start}, {t_stop}",
                             column="t_start")
        if live_between(iv, t_start, t_stop) <= 0:
            raise InputError(f"box flare [{t_start}, {t_stop}] has no live time",
                             column="t_start")
        return cls(float(t_start), float(t_stop), iv)

    @property
    def live(self) -> float:
        return float(live_between(self.intervals, self.t_start, self.t_stop))

    def pdf(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        ins = inside_uptime(self.intervals, t) & (t >= self.t_start) & (t <= self.t_stop)
        return np.where(ins, 1.0 / self.live, 0.0)

    def logpdf(self, t) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(t))

    def sob(self, t) -> np.ndarray:
        live = float(np.sum(self.intervals[:, 1] - self.intervals[:, 0]))
        return self.pdf(t) * live


def gauss_logsob_grid(t: np.ndarray, t0: np.ndarray, sigma: np.ndarray,
                      intervals: np.ndarray) -> np.ndarray:
    """log temporal S/B of events ``t`` for many flares at once.

    Returns an array of shape ``(len(t0), len(t))`` with
    ``log[f(t | T0, sigma) * livetime]`` (events are assumed inside the uptime,
    as event times always are).
    """
    t0 = np.atleast_1d(np.asarray(t0, dtype=np.float64))
    sigma = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
    live = float(np.sum(intervals[:, 1] - intervals[:, 0]))
    nz = gauss_norm(t0, sigma, intervals)
    z = (t[None, :] - t0[:, None]) / sigma[:, None]
    return (-0.5 * z * z - np.log(sigma)[:, None] - _LOG_SQRT_2PI
            - np.log(nz)[:, None] + np.log(live))


def _merge_gaps(intervals: np.ndarray, gap: float) -> np.ndarray:
    """Intervals with gaps shorter than ``gap`` days bridged."""
    if gap <= 0 or intervals.shape[0] < 2:
        return intervals
    gaps = intervals[1:, 0] - intervals[:-1, 1]
    brk = np.flatnonzero(gaps >= gap)
    starts = np.concatenate([[intervals[0, 0]], intervals[brk + 1, 0]])
    stops = np.concatenate([intervals[brk, 1], [intervals[-1, 1]]])
    return np.stack([starts, stops], axis=1)


class UptimeNorm:
    """Fast Gaussian mass inside the uptime for many (T0, sigma) pairs (flare ranking).

    Writes ``Z = sum_k [Phi(zb_k) - Phi(za_k)]`` as a signed sum over interval
    edges, ``Z = sum_{e < T0} s_e Phi(z_e) - sum_{e >= T0} s_e Phi(-z_e) + 1[T0 live]``
    (``s_e = +1`` for stops, ``-1`` for starts), so only edges within
    ``window`` sigma of T0 contribute (exact to ``Phi(-window)``). For wide
    Gaussians, gaps shorter than ``sigma / gap_ratio`` are bridged (a ladder of
    pre-merged uptimes), which changes Z by at most the dead fraction of the
    bridged gaps (< 1 % for IceCube); :func:`gauss_norm` stays the exact
    reference used in every final fit.
    """

    def __init__(self, intervals: np.ndarray, window: float = 9.0, gap_ratio: float = 20.0,
                 max_edges: int = 48) -> None:
        self.window = window
        self.gap_ratio = gap_ratio
        self.max_edges = max_edges
        self._flat = None
        self.levels = []
        gap = 0.0
        iv = np.asarray(intervals, dtype=np.float64)
        while True:
            m = _merge_gaps(iv, gap)
            edges = m.ravel()
            signs = np.tile([-1.0, 1.0], m.shape[0])
            self.levels.append((gap, m, edges, signs))
            if m.shape[0] <= 2 or gap > 1e4:
                break
            gap = 1e-3 if gap == 0.0 else gap * 4.0

    def __call__(self, t0: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        from bayesnu.flare._refine import unorm_many

        t0 = np.atleast_1d(np.asarray(t0, dtype=np.float64))
        sigma = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
        t0, sigma = np.broadcast_arrays(t0, sigma)
        return unorm_many(np.ascontiguousarray(t0.ravel()), np.ascontiguousarray(sigma.ravel()),
                          *self.flat, self.window, self.gap_ratio, self.max_edges)

    @property
    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ladder as ``(edges, ptr, gaps)`` arrays for the compiled kernels."""
        if self._flat is None:
            edges = np.concatenate([lv[2] for lv in self.levels])
            ptr = np.concatenate([[0], np.cumsum([lv[2].size for lv in self.levels])])
            gaps = np.array([lv[0] for lv in self.levels], dtype=np.float64)
            self._flat = (np.ascontiguousarray(edges), ptr.astype(np.int64), gaps)
        return self._flat
