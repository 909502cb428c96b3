"""Angular-error model and point-spread function.

* :class:`AngularErrorModel` -- distribution of the per-event angular error
  (``angerr``, degrees) given log10 E_reco and sin(dec). Built from a sample's
  events (empirical conditional quantiles in equal-population cells) or from a
  parametrisation (log-normal around a median curve, used for cascades).
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

    Empirical form: cells of equal population in sin(dec) (``sindec_edges``) and,
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

    @classmethod
    def from_sample(cls, sample: EventSample, n_sindec: int = 5, n_log10e: int = 20,
                    ) -> AngularErrorModel:
        """Empirical model from a sample's events (equal-population cells)."""
        if sample.size < 50:
            raise InputError(f"sample {sample.name} has {sample.size} events; need >= 50 to build "
                             "an angular-error model")
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
        c = int(np.clip(np.searchsorted(self.sindec_edges, sindec, side="right") - 1, 0,
                        self.sindec_edges.size - 2))
        ee, qa = self.log10e_edges[c], self.quantiles[c]
        cell = np.clip(np.searchsorted(ee, le, side="right") - 1, 0, qa.shape[0] - 1)
        return 10 ** qa[cell, _N_Q // 2]
