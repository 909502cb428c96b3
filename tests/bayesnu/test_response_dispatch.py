"""One sample -> response dispatch, used by simulation, the flare search and the likelihood."""

from bayesnu import detector, simulate
from bayesnu.detector.cascade import CascadeEnergyResponse
from bayesnu.detector.energy import EnergyResponse, energy_response
from bayesnu.simulate.inject import angular_model_for, response_for


def test_simulation_uses_the_detector_dispatch():
    assert response_for is energy_response and simulate.response_for is energy_response
    assert angular_model_for is detector.angular_error_model


def test_dispatch_picks_track_or_cascade_response(txs_ic86b):
    assert isinstance(energy_response(txs_ic86b), EnergyResponse)
    assert isinstance(energy_response("cascade"), CascadeEnergyResponse)
    assert detector.angular_error_model(txs_ic86b).meta["kind"] != "parametric"
