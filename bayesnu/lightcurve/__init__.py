"""Light curves for the neutrino-blazar flare analyses.

* :class:`LightCurve`, :class:`LightCurveSet` -- containers (MJD, flux, 1 sigma
  error, upper-limit flags, bins, band and unit), validated on construction;
* :func:`fermi_4fgl_dr2`, :func:`fermi_3fgl`, :func:`read_csv`, :func:`write_csv`
  -- Fermi-LAT catalogue curves (yearly 4FGL-DR2, monthly 3FGL) and a generic CSV
  for WISE, ALMA or X-ray curves;
* :func:`prepare` (:func:`merge_close`, :func:`clip_outliers`, :func:`snr_cut`,
  :func:`fill_gap`) -- the published preparation steps;
* :func:`bayesian_blocks`, :func:`find_flares`, :func:`find_flares_set`,
  :func:`quiescent_flux`, :func:`excess_variance`, :func:`flare_stages`,
  :func:`classify_pair`, :func:`variability_flags`, :func:`classify_set` --
  flares, multi-band stages, NFS / CFS / TXS-like classes;
* :func:`dcf` -- discrete correlation function and time lags.

Units: days / MJD for times, the curve's own unit for fluxes.
"""

from .blocks import Blocks, bayesian_blocks, bayesian_blocks_batch, ncp_prior
from .core import LightCurve, LightCurveSet
from .dcf import DCFResult, dcf
from .flares import (
    CLASSES,
    FlareResult,
    Stages,
    classify_pair,
    classify_pairs,
    classify_set,
    excess_variance,
    find_flares,
    find_flares_set,
    flare_stages,
    interval_intersect,
    interval_length,
    interval_subtract,
    interval_union,
    quiescent_flux,
    variability_flags,
)
from .io import UL_POLICIES, fermi_3fgl, fermi_4fgl_dr2, read_csv, write_csv
from .prepare import WISE_GAP_MJD, clip_outliers, fill_gap, merge_close, prepare, snr_cut
from .references import (
    CITE_ABDO2010,
    CITE_ASTROPY_BB,
    CITE_EDELSON_KROLIK1988,
    CITE_NU_BLAZAR_FLARES,
    CITE_PLAVIN2020,
    CITE_SCARGLE2013,
    CITE_VAUGHAN2003,
)

__all__ = [
    "LightCurve", "LightCurveSet", "fermi_4fgl_dr2", "fermi_3fgl", "read_csv", "write_csv",
    "UL_POLICIES", "prepare", "merge_close", "clip_outliers", "snr_cut", "fill_gap",
    "WISE_GAP_MJD", "Blocks", "bayesian_blocks", "bayesian_blocks_batch", "ncp_prior",
    "FlareResult", "Stages", "CLASSES", "find_flares", "find_flares_set", "quiescent_flux",
    "excess_variance", "flare_stages", "classify_pair", "classify_pairs", "variability_flags", "classify_set",
    "interval_union", "interval_intersect", "interval_subtract", "interval_length",
    "DCFResult", "dcf", "CITE_SCARGLE2013", "CITE_ASTROPY_BB", "CITE_EDELSON_KROLIK1988",
    "CITE_ABDO2010", "CITE_VAUGHAN2003", "CITE_PLAVIN2020", "CITE_NU_BLAZAR_FLARES",
]
