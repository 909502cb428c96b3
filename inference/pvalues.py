"""Local and global p-values of an all-sky (flare) scan from background trials.

Paper 000: background TS ensembles are built in 81 declination bands of 2 deg
(centres -80, -78, ..., 80 deg; one RA bin). The local p-value of a pixel is
the fraction of its band's background trials with TS >= the pixel's TS. The
global p-value of a hemisphere's hottest spot is the fraction of scrambled
full-sky scans whose hottest local p-value in that hemisphere is at least as
small.

p-values use the conservative estimator ``(k + 1) / (n + 1)`` (k trials at or
above the observed TS out of n), which is never zero.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bayesnu.errors import InputError

__all__ = ["BandEnsembles", "local_pvalue", "global_pvalue", "pvalue_to_sigma"]


def local_pvalue(ts: np.ndarray | float, background: np.ndarray) -> np.ndarray:
    """``(#{bg >= ts} + 1) / (n + 1)`` for each ``ts`` (vectorised)."""
    bg = np.sort(np.asarray(background, dtype=np.float64))
    if bg.size == 0:
        raise InputError("empty background ensemble", column="ts")
    ts = np.asarray(ts, dtype=np.float64)
    k = bg.size - np.searchsorted(bg, ts, side="left")
    return (k + 1.0) / (bg.size + 1.0)


def global_pvalue(p_local_hot: float, hottest_background: np.ndarray) -> float:
    """Fraction (conservative) of scrambled skies with a hottest local p-value <= observed."""
    h = np.asarray(hottest_background, dtype=np.float64)
    if h.size == 0:
        raise InputError("no scrambled-sky hottest p-values", column="p_local")
    return float((np.sum(h <= p_local_hot) + 1.0) / (h.size + 1.0))


def pvalue_to_sigma(p: np.ndarray | float) -> np.ndarray:
    """One-sided Gaussian significance of a p-value."""
    from scipy.stats import norm

    return norm.isf(np.asarray(p, dtype=np.float64))


@dataclass
class BandEnsembles:
    """Background TS ensembles per declination band.

    Attributes
    ----------
    edges : ndarray (n_bands, 2)
        Band edges in degrees.
    ts : list of ndarray
        Background TS of each band.
    """

    edges: np.ndarray
    ts: list[np.ndarray]

    def band_of(self, dec: np.ndarray) -> np.ndarray:
        """Band index of each declination (nearest band centre; -1 beyond the outer bands)."""
        dec = np.asarray(dec, dtype=np.float64)
        c = self.edges.mean(axis=1)
        j = np.argmin(np.abs(dec[..., None] - c[None, :]), axis=-1) if dec.ndim else \
            int(np.argmin(np.abs(dec - c)))
        inside = (dec >= self.edges[0, 0]) & (dec <= self.edges[-1, 1])
        return np.where(inside, j, -1)

    def pvalues(self, ts: np.ndarray, dec: np.ndarray) -> np.ndarray:
        """Local p-value of each (ts, dec); NaN where no band covers dec or a band is empty."""
        ts = np.atleast_1d(np.asarray(ts, dtype=np.float64))
        dec = np.atleast_1d(np.asarray(dec, dtype=np.float64))
        band = self.band_of(dec)
        out = np.full(ts.shape, np.nan)
        for b in np.unique(band[band >= 0]):
            sel = band == b
            if self.ts[b].size:
                out[sel] = local_pvalue(ts[sel], self.ts[b])
        return out

    @classmethod
    def from_campaigns(cls, root: str | os.PathLike, edges: np.ndarray) -> BandEnsembles:
        """Load the band campaigns ``root/band_XX`` written by the flare trials command."""
        from bayesnu.inference.campaign import load_campaign

        root = Path(root)
        ts = []
        for i in range(edges.shape[0]):
            d = root / f"band_{i:02d}"
            if (d / "campaign.json").exists():
                r = load_campaign(d)
                ts.append(np.asarray(r.data.get("ts", np.empty(0))))
            else:
                ts.append(np.empty(0))
        return cls(np.asarray(edges, dtype=np.float64), ts)

    def summary(self) -> list[dict[str, float]]:
        out = []
        for (lo, hi), t in zip(self.edges, self.ts):
            d = {"dec_lo": float(lo), "dec_hi": float(hi), "n": int(t.size)}
            if t.size:
                d.update(median=float(np.median(t)), q99=float(np.quantile(t, 0.99)))
            out.append(d)
        return out
