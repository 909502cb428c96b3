"""Angular-error model and point-spread function.

* :class:`AngularErrorModel` -- distribution of the per-event angular error
  (``angerr``, degrees) given log10 E_reco and sin(dec). Built from a sample's
  events (default: local resampling of data events of the same declination and
  energy, so that simulated signal shares the data's P(angerr | E, dec) as the
  standard point-source likelihood assumes; alternatively conditional quantiles
  in equal-population cells) or from a parametrisation (log-normal around a
  median curve, used for cascades).
* :func:`smear_directions` -- true -> reconstructed direction, the deviation drawn
  from a von Mises-Fisher distribution with ``kappa = 1 / sigma^2`` (sigma in
  radians), which is the 2-D Gaussian of width sigma for small sigma and stays a
  proper distribution on the sphere for cascade-size errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesnu.data.core import EventSample
from bayesnu.errors import InputError

__all__ = ["AngularErrorModel", "smear_directions", "angular_distance", "vmf_deviation"]

_N_Q = 101
_NODE_STEP = 0.01          # sin(dec) grid of the local form
_N_NODES = 201


def angular_distance(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray,
                     ) -> np.ndarray:
    """Great-circle distance in degrees (haversine, stable for small angles)."""
    r1, d1, r2, d2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (ra1, dec1, ra2, dec2))
    h = np.sin(0.5 * (d2 - d1)) ** 2 + np.cos(d1) * np.cos(d2) * np.sin(0.5 * (r2 - r1)) ** 2
    return np.degrees(2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def vmf_deviation(rng: np.random.Generator, sigma_deg: np.ndarray) -> np.ndarray:
    """Opening angle (deg) between true and smeared direction, von Mises-Fisher.

    ``kappa = 1/sigma^2``; ``cos(theta) = 1 + ln(u + (1 - u) exp(-2 kappa)) / kappa``.
    For small sigma theta follows the Rayleigh distribution of a 2-D Gaussian.
    """
    s = np.radians(np.asarray(sigma_deg, dtype=np.float64))
    if np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise InputError("PSF sigma must be positive and finite", column="angerr")
    kappa = 1.0 / s**2
    u = rng.random(s.shape)
    # 1 - cos(theta) = -ln(u + (1-u) e^{-2k}) / k, computed without cancellation
    one_minus_cos = -np.log(u + (1.0 - u) * np.exp(-2.0 * kappa)) / kappa
    one_minus_cos = np.clip(one_minus_cos, 0.0, 2.0)
    return np.degrees(2.0 * np.arcsin(np.sqrt(0.5 * one_minus_cos)))


def smear_directions(rng: np.random.Generator, ra_deg: np.ndarray, dec_deg: np.ndarray,
                     sigma_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reconstructed (ra, dec) in degrees for true directions and PSF widths sigma (deg)."""
    ra = np.radians(np.asarray(ra_deg, dtype=np.float64))
    dec = np.radians(np.asarray(dec_deg, dtype=np.float64))
    ra, dec, sig = np.broadcast_arrays(ra, dec, np.asarray(sigma_deg, dtype=np.float64))
    theta = np.radians(vmf_deviation(rng, sig))
    phi = rng.uniform(0.0, 2.0 * np.pi, size=ra.shape)
    n = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)
    e1 = np.stack([-np.sin(ra), np.cos(ra), np.zeros_like(ra)], axis=-1)
    e2 = np.stack([-np.sin(dec) * np.cos(ra), -np.sin(dec) * np.sin(ra), np.cos(dec)], axis=-1)
    ct, st = np.cos(theta)[..., None], np.sin(theta)[..., None]
    v = ct * n + st * (np.cos(phi)[..., None] * e1 + np.sin(phi)[..., None] * e2)
    ra_out = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec_out = np.degrees(np.arcsin(np.clip(v[..., 2], -1.0, 1.0)))
    return ra_out, dec_out


@dataclass(frozen=True)
class AngularErrorModel:
    """P(angerr | log10 E_reco, sin dec) of one sample.

    Local form (default of :meth:`from_sample`, ``meta["kind"] == "local"``): the
    error of an event at (sin dec, log10 E) is the error of a data event drawn at
    random among those within ``d_sindec`` in sin(dec) (the band widened until it
    holds ``n_band_min`` events) and ``d_log10e`` in log10 E_reco (widened to the
    ``k_min`` nearest in energy when fewer are there). The band is centred on a
    node of a 0.01 grid in sin(dec), chosen at random between the two nodes that
    bracket the event with linear weights (interpolation in declination); inside
    the window the choice is uniform (a box kernel in energy). This reproduces the
    data's conditional distribution including the high-energy part of each
    declination band, which equal-population cells lump into one wide top cell.

    Cells form (``method="cells"``): cells of equal population in sin(dec) (``sindec_edges``) and,
    inside each, in log10 E_reco (``log10e_edges[k]``); each cell stores quantiles of
    log10(angerr). Sampling draws a uniform quantile and interpolates, i.e. the
    conditional empirical distribution (smoothed between quantiles).

    Parametric form (``median_fn`` set): log10 angerr ~ N(log10 median_fn(log10e), spread_dex),
    clipped to ``[min_deg, max_deg]``.
    """

    name: str
    sindec_edges: np.ndarray = field(default_factory=lambda: np.array([-1.0, 1.0]))
    log10e_edges: tuple[np.ndarray, ...] = ()
    quantiles: tuple[np.ndarray, ...] = ()   # per sindec cell: (n_e_cells, _N_Q) of log10 angerr
    median_fn: Callable[[np.ndarray], np.ndarray] | None = None
    spread_dex: float = 0.15
    min_deg: float = 0.2
    max_deg: float = 180.0
    meta: dict[str, Any] = field(default_factory=dict)
    # local form: reference events sorted by sin(dec)
    ref_sindec: np.ndarray | None = None
    ref_log10e: np.ndarray | None = None
    ref_angerr: np.ndarray | None = None
    d_sindec: float = 0.05
    d_log10e: float = 0.1
    k_min: int = 10
    n_band_min: int = 200
    _bands: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_sample(cls, sample: EventSample, method: str = "local", n_sindec: int = 5,
                    n_log10e: int = 20, d_sindec: float = 0.05, d_log10e: float = 0.1,
                    k_min: int = 10, n_band_min: int = 200) -> AngularErrorModel:
        """Empirical model from a sample's events.

        Parameters
        ----------
        sample
            Events (>= 50) whose ``angerr`` (deg), ``log10e`` and ``sindec`` define the model.
        method
            ``"local"`` (default): resampling of data events near (sin dec, log10 E)
            (see the class docstring; ``d_sindec``, ``d_log10e``, ``k_min``,
            ``n_band_min``). ``"cells"``: quantiles of log10 angerr in
            equal-population cells (``n_sindec`` x ``n_log10e``).
        """
        if sample.size < 50:
            raise InputError(f"sample {sample.name} has {sample.size} events; need >= 50 to build "
                             "an angular-error model")
        if method == "local":
            if not (d_sindec > 0 and d_log10e > 0 and k_min >= 1 and n_band_min >= k_min):
                raise InputError("angular-error model needs d_sindec > 0, d_log10e > 0 and "
                                 "n_band_min >= k_min >= 1", column="angerr")
            o = np.argsort(sample.sindec, kind="stable")
            return cls(name=sample.name, ref_sindec=np.ascontiguousarray(sample.sindec[o]),
                       ref_log10e=np.ascontiguousarray(sample.log10e[o]),
                       ref_angerr=np.ascontiguousarray(sample.angerr[o]),
                       d_sindec=float(d_sindec), d_log10e=float(d_log10e), k_min=int(k_min),
                       n_band_min=int(min(n_band_min, sample.size)),
                       min_deg=float(sample.angerr.min()), max_deg=float(sample.angerr.max()),
                       meta={"n_events": sample.size, "kind": "local"})
        if method != "cells":
            raise InputError(f"unknown angular-error model method {method!r} (local or cells)",
                             column="angerr")
        n_sindec = int(max(1, min(n_sindec, sample.size // 200)))
        sd, le, la = sample.sindec, sample.log10e, np.log10(sample.angerr)
        se = np.quantile(sd, np.linspace(0, 1, n_sindec + 1))
        se[0], se[-1] = -1.0, 1.0
        se = np.unique(se)
        q = np.linspace(0, 1, _N_Q)
        e_edges, quants = [], []
        for a, b in zip(se[:-1], se[1:]):
            m = (sd >= a) & (sd <= b)
            ne = int(max(1, min(n_log10e, m.sum() // 50)))
            ee = np.unique(np.quantile(le[m], np.linspace(0, 1, ne + 1)))
            if ee.size < 2:
                ee = np.array([le[m].min() - 0.5, le[m].max() + 0.5])
            ee[0], ee[-1] = -np.inf, np.inf
            cells = np.clip(np.searchsorted(ee, le[m], side="right") - 1, 0, ee.size - 2)
            qa = np.empty((ee.size - 1, _N_Q))
            for c in range(ee.size - 1):
                vals = la[m][cells == c]
                qa[c] = np.quantile(vals, q) if vals.size else np.quantile(la[m], q)
            e_edges.append(ee)
            quants.append(qa)
        return cls(name=sample.name, sindec_edges=se, log10e_edges=tuple(e_edges),
                   quantiles=tuple(quants), min_deg=float(sample.angerr.min()),
                   max_deg=float(sample.angerr.max()),
                   meta={"n_events": sample.size, "kind": "empirical"})

    @classmethod
    def parametric(cls, name: str, median_fn: Callable[[np.ndarray], np.ndarray],
                   spread_dex: float = 0.15, min_deg: float = 0.2, max_deg: float = 180.0,
                   ) -> AngularErrorModel:
        """Log-normal model around ``median_fn(log10e_reco)`` (degrees)."""
        return cls(name=name, median_fn=median_fn, spread_dex=spread_dex, min_deg=min_deg,
                   max_deg=max_deg, meta={"kind": "parametric"})

    def sample(self, rng: np.random.Generator, log10e_reco: np.ndarray,
               sindec: np.ndarray | float) -> np.ndarray:
        """Draw angular errors (deg) for events with given log10 E_reco and sin(dec)."""
        le = np.atleast_1d(np.asarray(log10e_reco, dtype=np.float64))
        sd = np.broadcast_to(np.asarray(sindec, dtype=np.float64), le.shape)
        if self.median_fn is not None:
            med = np.asarray(self.median_fn(le), dtype=np.float64)
            out = 10 ** (np.log10(med) + self.spread_dex * rng.standard_normal(le.shape))
            return np.clip(out, self.min_deg, self.max_deg)
        if self.ref_angerr is not None:
            return self._sample_local(rng, le, sd)
        out = np.empty(le.shape)
        k = np.clip(np.searchsorted(self.sindec_edges, sd, side="right") - 1, 0,
                    self.sindec_edges.size - 2)
        u = rng.random(le.shape) * (_N_Q - 1)
        i = np.floor(u).astype(np.int64)
        f = u - i
        i1 = np.minimum(i + 1, _N_Q - 1)
        for c in np.unique(k):
            m = k == c
            ee, qa = self.log10e_edges[c], self.quantiles[c]
            cell = np.clip(np.searchsorted(ee, le[m], side="right") - 1, 0, qa.shape[0] - 1)
            out[m] = (1 - f[m]) * qa[cell, i[m]] + f[m] * qa[cell, i1[m]]
        return np.clip(10**out, self.min_deg, self.max_deg)

    def median(self, log10e_reco: np.ndarray, sindec: float = 0.0) -> np.ndarray:
        """Median angular error (deg) at given log10 E_reco and sin(dec)."""
        le = np.atleast_1d(np.asarray(log10e_reco, dtype=np.float64))
        if self.median_fn is not None:
            return np.clip(np.asarray(self.median_fn(le), dtype=np.float64), self.min_deg, self.max_deg)
        if self.ref_angerr is not None:
            node = int(np.clip(np.rint((float(sindec) + 1.0) / _NODE_STEP), 0, _N_NODES - 1))
            e, a = self._band(node)
            lo, hi = self._windows(e, le)
            return np.array([np.median(a[i:j]) for i, j in zip(lo, hi)])
        c = int(np.clip(np.searchsorted(self.sindec_edges, sindec, side="right") - 1, 0,
                        self.sindec_edges.size - 2))
        ee, qa = self.log10e_edges[c], self.quantiles[c]
        cell = np.clip(np.searchsorted(ee, le, side="right") - 1, 0, qa.shape[0] - 1)
        return 10 ** qa[cell, _N_Q // 2]

    # ------------------------------------------------------------------ local form
    def _band(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        """(log10e sorted, angerr) of the reference events in the band of sin-dec node ``node``."""
        hit = self._bands.get(node)
        if hit is not None:
            return hit
        x = -1.0 + node * _NODE_STEP
        sd = self.ref_sindec
        h = self.d_sindec
        while True:
            i0 = int(np.searchsorted(sd, x - h, side="left"))
            i1 = int(np.searchsorted(sd, x + h, side="right"))
            if i1 - i0 >= self.n_band_min or h >= 2.0:
                break
            h *= 1.5
        if i1 - i0 < self.n_band_min:  # whole sample smaller than n_band_min: nearest events
            d = np.abs(sd - x)
            idx = np.sort(np.argsort(d, kind="stable")[: self.n_band_min])
        else:
            idx = np.arange(i0, i1)
        e = self.ref_log10e[idx]
        o = np.argsort(e, kind="stable")
        out = (np.ascontiguousarray(e[o]), np.ascontiguousarray(self.ref_angerr[idx][o]))
        self._bands[node] = out
        return out

    def _windows(self, e: np.ndarray, le: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index ranges [lo, hi) of band events within d_log10e of ``le`` (>= k_min nearest)."""
        n = e.size
        k = min(self.k_min, n)
        lo = np.searchsorted(e, le - self.d_log10e, side="left")
        hi = np.searchsorted(e, le + self.d_log10e, side="right")
        few = (hi - lo) < k
        if few.any():
            # the k nearest in energy form a contiguous run of the sorted band: grow it
            # from the insertion point towards whichever neighbour is closer
            c = np.searchsorted(e, le[few])
            a, b = c.copy(), c.copy()
            x = le[few]
            for _ in range(k):
                left_ok = a > 0
                right_ok = b < n
                dl = np.where(left_ok, x - e[np.maximum(a - 1, 0)], np.inf)
                dr = np.where(right_ok, e[np.minimum(b, n - 1)] - x, np.inf)
                take_left = dl <= dr
                a = np.where(take_left, a - 1, a)
                b = np.where(take_left, b, b + 1)
            lo, hi = lo.copy(), hi.copy()
            lo[few], hi[few] = a, b
        return lo, hi

    def _sample_local(self, rng: np.random.Generator, le: np.ndarray, sd: np.ndarray
                      ) -> np.ndarray:
        pos = (np.clip(sd, -1.0, 1.0) + 1.0) / _NODE_STEP
        n0 = np.clip(np.floor(pos).astype(np.int64), 0, _N_NODES - 2)
        node = n0 + (rng.random(le.shape) < (pos - n0))
        out = np.empty(le.shape)
        u = rng.random(le.shape)
        for nd in np.unique(node):
            m = node == nd
            e, a = self._band(int(nd))
            lo, hi = self._windows(e, le[m])
            pick = lo + np.minimum((u[m] * (hi - lo)).astype(np.int64), hi - lo - 1)
            out[m] = a[pick]
        return np.clip(out, self.min_deg, self.max_deg)
