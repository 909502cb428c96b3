"""Per-sample response dispatch: which angular-error model, which reco-energy histogram.

The energy response of a sample is chosen in one place,
:func:`bayesnu.detector.energy.energy_response` (calibrated track response, or
the cascade detector's for simulated cascades); the angular-error model in one
place, :func:`angular_error_model`. Simulation, the flare search, the
likelihood set-up and the sensitivity tools call these two functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayesnu.data.core import EventSample
from bayesnu.detector.aeff import true_energy_weights
from bayesnu.detector.angular import AngularErrorModel
from bayesnu.detector.cascade import cascade_angerr_median
from bayesnu.detector.energy import energy_response
from bayesnu.errors import InputError

__all__ = ["angular_error_model", "energy_response", "reco_energy_weights"]


def angular_error_model(sample: EventSample) -> AngularErrorModel:
    """Angular-error model of ``sample``.

    Simulated cascades: the cascade detector's parametric model. Samples with >= 50
    events: the local empirical model (:meth:`AngularErrorModel.from_sample`, data events
    near the same sin dec and log10 E_reco). Smaller samples: log-normal around the
    sample median.
    """
    if sample.meta.get("detector") == "cascade":
        return AngularErrorModel.parametric("cascade", cascade_angerr_median, 0.15, 0.5, 90.0)
    if sample.size >= 50:
        return AngularErrorModel.from_sample(sample)
    if sample.size == 0:
        raise InputError(f"sample {sample.name} has no events to build an angular-error model from")
    med = float(np.median(sample.angerr))
    spread = float(np.std(np.log10(sample.angerr))) if sample.size > 1 else 0.2
    return AngularErrorModel.parametric(sample.name, lambda x: np.full(np.shape(x), med),
                                        max(spread, 0.05), float(sample.angerr.min()),
                                        float(sample.angerr.max()))


def reco_energy_weights(
    sample: EventSample,
    dec_deg: float,
    gamma: float,
    log10e_reco_edges: np.ndarray,
    e0_gev: float = 1e5,
    t_window: Any = None,
    response: Any = None,
    log10e_true_edges: np.ndarray | None = None,
    interp_dec: bool = False,
) -> np.ndarray:
    """Expected signal events per reconstructed-energy bin per unit ``phi0``.

    ``true_energy_weights(...) @ response.matrix(true_edges, reco_edges, sin(dec))``; the
    true-energy grid defaults to the sample's effective-area bins. Divide by the sum
    for the signal energy PDF (per bin) at this declination and index.
    """
    if response is None:
        response = energy_response(sample)
    te = sample.aeff.log10e_edges if log10e_true_edges is None else np.asarray(log10e_true_edges)
    w = true_energy_weights(sample, dec_deg, gamma, te, e0_gev, t_window, interp_dec)
    return w @ response.matrix(te, np.asarray(log10e_reco_edges, dtype=np.float64),
                               float(np.sin(np.radians(dec_deg))))
