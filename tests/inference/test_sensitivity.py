"""Sensitivity helpers: 5 sigma threshold extrapolation, passing-fraction interpolation,
diffuse comparison, and one small end-to-end signal-trial run (injection recovery)."""

import warnings

import numpy as np
import pytest
from bayesnu.inference.sensitivity import (
    DIFFUSE_CASCADE,
    flares_for_diffuse,
    passing_ns,
    signal_trials,
    threshold_5sigma,
)
from scipy import stats

from bayesnu.data import load
from bayesnu.errors import InputError
from bayesnu.flare.trials import make_model


def test_threshold_5sigma_exponential_tail():
    rng = np.random.default_rng(0)
    bg = rng.exponential(2.0, 20000)  # p(TS > x) = exp(-x/2)
    expect = -2.0 * np.log(stats.norm.sf(5.0))
    assert threshold_5sigma(bg) == pytest.approx(expect, rel=0.05)
    with pytest.raises(InputError):
        threshold_5sigma(np.ones(5))


def test_passing_ns_interpolation():
    g = np.array([1.0, 2.0, 4.0, 8.0])
    assert passing_ns(g, np.array([0.2, 0.5, 0.8, 1.0]), 0.9) == pytest.approx(6.0)
    assert passing_ns(g, np.array([0.95, 1.0, 1.0, 1.0]), 0.9) == pytest.approx(1.0)
    assert np.isnan(passing_ns(g, np.array([0.1, 0.2, 0.3, 0.4]), 0.9))
    # non-monotone fractions are made monotone first
    assert passing_ns(g, np.array([0.2, 0.95, 0.85, 1.0]), 0.9) < 2.0


def test_flares_for_diffuse():
    live = 3.0e8
    # a flare whose time-averaged flux equals the all-sky diffuse flux: exactly one needed
    f_one = 4 * np.pi * DIFFUSE_CASCADE["phi0_per_flavour"] * 3 * 1e10 * live
    assert flares_for_diffuse(np.array([f_one]), live)[0] == pytest.approx(1.0)
    assert flares_for_diffuse(np.array([f_one / 100]), live)[0] == pytest.approx(100.0)


def test_signal_trials_recover_flare():
    s = load("txs0506")["IC86b"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = make_model(s)
        r = signal_trials(np.random.default_rng(4), m, 77.3582, 5.69315, 25.0, 10.0, 4,
                          gamma=2.0, t0=56600.0)
    assert np.all(r["n_inj"] > 10)
    assert np.median(r["ts"]) > 20
    assert np.all(np.abs(r["t0_fit"] - 56600.0) < 20.0)
    assert np.all((r["sigma_fit"] > 5.0) & (r["sigma_fit"] < 20.0))


def test_fit_passing_recovers_a_monotone_curve():
    from bayesnu.inference.sensitivity import _invert_passing, fit_passing
    from scipy.special import expit

    rng = np.random.default_rng(3)
    grid = np.array([1, 2, 3, 4, 6, 8, 11, 15, 20.0])
    floor, a, b = 0.5, -4.0, 2.5                    # true ns at 90%: exp((ln 4 + 4) / 2.5)
    f = floor + (1 - floor) * expit(a + b * np.log(grid))
    n = np.full(grid.size, 400)
    k = rng.binomial(n, f)
    af, bf = fit_passing(grid, k, n, floor)
    truth = np.exp((np.log(0.8 / 0.2) - a) / b)
    assert _invert_passing(af, bf, floor, 0.9, 20.0) == pytest.approx(truth, rel=0.08)
    assert bf > 0
    # never reached within twice the grid: NaN, not an extrapolated number
    assert np.isnan(_invert_passing(-30.0, 1.0, 0.0, 0.9, 20.0))


@pytest.mark.slow
def test_flare_sensitivity_bootstrap_and_units():
    """Small end-to-end run: bootstrap ranges bracket the values, JSON keys carry units."""
    from bayesnu.inference.sensitivity import flare_sensitivity

    s = load("txs0506")["IC86b"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = flare_sensitivity(s, 5.69, ra=77.36, sigma_t=(10.0, 100.0), gamma=2.0, n_bg=60,
                              n_sig=12, n_boot=20, ns_grid=[2, 4, 8, 16, 32], seed=2)
    assert r.ns_sens_err.shape == (2, 2) and r.n_bg == 60 and r.n_boot == 20
    ok = np.isfinite(r.ns_sens)
    assert ok.all()
    lo, hi = r.ns_sens_err[:, 0], r.ns_sens_err[:, 1]
    assert np.all(lo <= r.ns_sens * 1.0001) and np.all(hi >= r.ns_sens * 0.9999)
    d = r.as_dict()
    for key in ("sigma_t_days", "ns_sensitivity_events", "fluence_sensitivity_gev_cm2",
                "background_trials", "signal_trials_per_ns_point", "axes", "units"):
        assert key in d
    assert np.all(np.asarray(d["fluence_sensitivity_gev_cm2"]) > 0)
