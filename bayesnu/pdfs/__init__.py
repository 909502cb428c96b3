"""Probability density functions of the unbinned likelihood.

* :mod:`bayesnu.pdfs.spatial` -- signal (2-D Gaussian, von Mises-Fisher) and
  data-driven background spatial PDFs.
* :mod:`bayesnu.pdfs.energy` -- signal energy PDFs on a spectral-index grid
  (from the detector response) and data-driven background energy PDFs, with
  the smooth-in-gamma log-ratio splines the likelihood kernel evaluates.
* :mod:`bayesnu.pdfs.temporal` -- the interface every time PDF implements
  (the Gaussian and box flare PDFs live in the flare package).
"""

from bayesnu.pdfs.energy import (
    BackgroundEnergyPDF,
    EnergyRatioSpline,
    GammaSpline,
    SignalEnergyPDF,
    power_law_bin_integrals,
)
from bayesnu.pdfs.spatial import (
    BackgroundSpatialPDF,
    angular_distance,
    gaussian_pdf,
    signal_spatial_pdf,
    vmf_pdf,
)
from bayesnu.pdfs.temporal import TemporalPDF, UniformUptimePDF

__all__ = [
    "BackgroundEnergyPDF",
    "BackgroundSpatialPDF",
    "EnergyRatioSpline",
    "GammaSpline",
    "SignalEnergyPDF",
    "TemporalPDF",
    "UniformUptimePDF",
    "angular_distance",
    "gaussian_pdf",
    "power_law_bin_integrals",
    "signal_spatial_pdf",
    "vmf_pdf",
]
