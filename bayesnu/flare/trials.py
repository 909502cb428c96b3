"""Background and signal trials of the flare search (RA and uptime scrambles).

A background trial scrambles every event's right ascension uniformly (inside
the sample's footprint) and its time uniformly in live time, then fits a flare
at a position. Because each scrambled coordinate is independent of everything
else, only the events that can enter the region of interest are scrambled
(those in the ROI's declination band for RA, the ROI events for time), which
is statistically identical to scrambling the whole sample and much cheaper.

:func:`band_trials` is a campaign chunk function
(:func:`bayesnu.inference.campaign.run_campaign`): ``band_trials(rng, n,
sample, dec_lo, dec_hi, ...)`` returns ``n`` fits at positions uniform in
sin(dec) within the band and in RA.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayesnu.data.core import EventSample
from bayesnu.flare.analysis import default_sigma_min
from bayesnu.flare.roi import FlareSampleModel, sample_model
from bayesnu.flare.search import fit_flare

__all__ = ["DEC_BAND_CENTRES", "dec_band_edges", "band_trials", "scrambled_fit", "make_model"]

#: IceCube 2023 cascade flare search: 81 declination bins of 2 deg over [-80, 80] deg (centres)
DEC_BAND_CENTRES = np.linspace(-80.0, 80.0, 81)


def dec_band_edges(n_bands: int = 81, lo: float = -80.0, hi: float = 80.0) -> np.ndarray:
    """Edges (n_bands, 2) of declination bands centred on ``linspace(lo, hi, n_bands)``."""
    c = np.linspace(lo, hi, n_bands)
    w = (hi - lo) / max(n_bands - 1, 1)
    return np.clip(np.stack([c - 0.5 * w, c + 0.5 * w], axis=1), -90.0, 90.0)


def make_model(sample: EventSample) -> FlareSampleModel:
    return sample_model(sample)


def scrambled_fit(rng: np.random.Generator, model: FlareSampleModel, ra0: float, dec0: float,
                  pdf: str = "gauss", seed_threshold: float = 1.0,
                  sigma_min: float | None = None, **kwargs: Any):
    """One background trial at ``(ra0, dec0)``: RA and time scramble, then a flare fit."""
    fp = model.sample.footprint
    lo, hi = max(fp.ra_min, 0.0), min(fp.ra_max, 360.0)
    up = model.uptime
    fd = model.data_at(ra0, dec0, ra=lambda m: rng.uniform(lo, hi, m),
                       time=lambda m: up.sample(rng, m))
    smin = default_sigma_min(model.sample) if sigma_min is None else sigma_min
    return fit_flare(fd, pdf=pdf, seed_threshold=seed_threshold, sigma_min=smin, **kwargs)


def band_trials(rng: np.random.Generator, n: int, sample: EventSample, dec_lo: float,
                dec_hi: float, pdf: str = "gauss", seed_threshold: float = 1.0,
                sigma_min: float | None = None) -> dict[str, np.ndarray]:
    """``n`` background trials at random positions of a declination band (campaign chunk).

    Returns arrays ``ts, ns, gamma, t0, sigma_t, ra, dec`` of length ``n``.
    """
    model = make_model(sample)
    fp = sample.footprint
    s_lo = np.sin(np.radians(max(dec_lo, fp.dec_min)))
    s_hi = np.sin(np.radians(min(dec_hi, fp.dec_max)))
    out = {k: np.empty(n) for k in ("ts", "ns", "gamma", "t0", "sigma_t", "ra", "dec")}
    for i in range(n):
        dec = float(np.degrees(np.arcsin(rng.uniform(s_lo, s_hi))))
        ra = float(rng.uniform(max(fp.ra_min, 0.0), min(fp.ra_max, 360.0)))
        f = scrambled_fit(rng, model, ra, dec, pdf, seed_threshold, sigma_min)
        for k, v in (("ts", f.ts), ("ns", f.ns), ("gamma", f.gamma), ("t0", f.t0),
                     ("sigma_t", f.sigma_t), ("ra", ra), ("dec", dec)):
            out[k][i] = v
    return out
