"""Time-dependent (flare) point-source search (IceCube 2023 cascade flare search).

* :mod:`bayesnu.flare.temporal` -- Gaussian and box time PDFs truncated to the uptime.
* :mod:`bayesnu.flare.search` -- flare fit at a position (TS with the duration
  marginalisation term, seeding, multimodal T0 search, box variant).
* :mod:`bayesnu.flare.roi` -- per-position event selection with precomputed S/B.
* :mod:`bayesnu.flare.scan` -- HEALPix all-sky scans.
"""

from bayesnu.flare.search import FlareData, FlareFit, fit_flare, flare_loglr, ts_penalty
from bayesnu.flare.temporal import BoxFlare, TruncatedGaussian, UniformBackground, gauss_norm

__all__ = ["BoxFlare", "FlareData", "FlareFit", "TruncatedGaussian", "UniformBackground",
           "fit_flare", "flare_loglr", "gauss_norm", "ts_penalty"]
