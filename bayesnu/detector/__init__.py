"""Detector response: effective areas, energy and angular response, cascade detector.

Public API
----------
* Expected events and conversions (:mod:`bayesnu.detector.aeff`):
  :func:`expected_events`, :func:`true_energy_weights`, :func:`flux_to_ns`,
  :func:`ns_to_flux`, :func:`ns_to_fluence`, :func:`fluence_to_ns`,
  :func:`flux_to_fluence`, :func:`fluence_to_flux`, :func:`exposure_seconds`,
  :func:`count_flux_limit` (neutrino-blazar flare correlation study), :func:`dec_averaged_area`,
  :func:`reco_energy_weights` (signal reco-energy histogram, in
  :mod:`bayesnu.detector.response`).
* Energy response (:mod:`bayesnu.detector.energy`): :class:`EnergyResponse`,
  :func:`energy_response` (THE sample -> response dispatch: calibrated per
  sample, the cascade response for simulated cascades), calibration in
  :mod:`bayesnu.detector.calibration`.
* Angular errors and PSF (:mod:`bayesnu.detector.angular`): :class:`AngularErrorModel`,
  :func:`angular_error_model` (THE sample -> model dispatch, :mod:`bayesnu.detector.response`),
  :func:`smear_directions`, :func:`angular_distance`.
* Cascade detector (:mod:`bayesnu.detector.cascade`): :class:`CascadeDetector`,
  :class:`CascadeEnergyResponse`.
"""

from bayesnu.detector.aeff import (
    JULIAN_YEAR_S,
    count_flux_limit,
    dec_averaged_area,
    expected_events,
    exposure_seconds,
    fluence_to_flux,
    fluence_to_ns,
    flux_to_fluence,
    flux_to_ns,
    ns_to_fluence,
    ns_to_flux,
    powerlaw_bin_integral,
    true_energy_weights,
)
from bayesnu.detector.angular import (
    AngularErrorModel,
    angular_distance,
    smear_directions,
    vmf_deviation,
)
from bayesnu.detector.cascade import CascadeDetector, CascadeEnergyResponse, cascade_uptime
from bayesnu.detector.energy import EnergyResponse, calibrated_names, energy_response
from bayesnu.detector.response import angular_error_model, reco_energy_weights

__all__ = [
    "JULIAN_YEAR_S",
    "count_flux_limit",
    "dec_averaged_area",
    "expected_events",
    "exposure_seconds",
    "fluence_to_flux",
    "fluence_to_ns",
    "flux_to_fluence",
    "flux_to_ns",
    "ns_to_fluence",
    "ns_to_flux",
    "powerlaw_bin_integral",
    "true_energy_weights",
    "reco_energy_weights",
    "angular_error_model",
    "AngularErrorModel",
    "angular_distance",
    "smear_directions",
    "vmf_deviation",
    "CascadeDetector",
    "CascadeEnergyResponse",
    "cascade_uptime",
    "EnergyResponse",
    "calibrated_names",
    "energy_response",
]
