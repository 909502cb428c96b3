"""Secret-interaction TS map and posterior (bayesnu.inference.cnb_si) on small inputs."""

from __future__ import annotations

import numpy as np
import pytest
from bayesnu.inference.cnb import cnb_data, cnb_geometry, cnb_propagator, cnb_source
from bayesnu.inference.cnb_si import combine_maps, si_posterior, si_ts_map, ts_modes

from bayesnu.errors import InputError
from bayesnu.sources import SOURCES

BINS = 60
NAME = "NGC 1068"


@pytest.fixture(scope="module")
def setup():
    ds, _ = cnb_data(None, NAME, np.random.default_rng(1))
    geo = cnb_geometry(NAME)
    cs = cnb_source(ds, SOURCES[NAME], cnb_propagator(geo, sum_m=0.1, bins=BINS))
    return cs, geo


# the resonance band (m_phi ~ 1-30 MeV, g ~ 0.1-3) where the spectrum is notched
LM = [0.0, 0.8, 1.5]
LG = [-2.0, -0.5, 0.5]


@pytest.fixture(scope="module")
def serial(setup):
    cs, geo = setup
    return si_ts_map(cs, geo, LM, LG, bins=BINS, workers=1, keep_ratios=True)


def test_parallel_map_equals_serial(setup, serial):
    cs, geo = setup
    par = si_ts_map(cs, geo, LM, LG, bins=BINS, workers=2)
    assert par.meta["workers"] == 2
    np.testing.assert_array_equal(par.ts, serial.ts)
    np.testing.assert_array_equal(par.ns, serial.ns)
    np.testing.assert_array_equal(par.gamma, serial.gamma)


def test_map_finite_and_interactions_matter(serial):
    for a in (serial.ts, serial.ns, serial.gamma):
        assert np.all(np.isfinite(a))
    # weak coupling: no effect (TS ~ 0); strong coupling near the resonance: the fit changes
    assert np.all(np.abs(serial.ts[:, 0]) < 0.05)
    assert np.ptp(serial.ts) > 0.5
    assert serial.ratios.shape[:2] == (3, 3) and serial.ratios.shape[-1] == BINS


def test_combine_and_modes(serial):
    tot = combine_maps([serial, serial])
    np.testing.assert_allclose(tot.ts, 2 * serial.ts)
    ts = np.zeros((5, 5))
    ts[1, 1], ts[3, 3], ts[3, 1] = -3.0, -2.0, -0.2  # two deep minima, one ripple
    modes = ts_modes(ts, min_depth=1.0)
    assert [m["index"] for m in modes] == [(1, 1), (3, 3)]
    assert modes[1]["depth"] == pytest.approx(2.0)
    assert sum(m["basin"].sum() for m in modes) == ts.size


def test_posterior_tiny(setup, serial):
    cs, geo = setup
    p = si_posterior(cs, geo, si_map=serial, n_live=60, n_eff=100, seed=2, n_networks=1,
                     ns_prior_max=200.0)
    lo = [0.0, 1.0, LM[0], LG[0]]
    assert p.meta["priors"]["ns"] == [0.0, 200.0]
    hi = [200.0, 4.0, LM[-1], LG[-1]]
    for k, name in enumerate(("ns", "gamma", "log10_m_phi", "log10_g")):
        v = p.draws[name]
        assert v.size == 100 and np.all(np.isfinite(v))
        assert v.min() >= lo[k] and v.max() <= hi[k]
    assert np.isfinite(p.log_bf)
    assert all(m["n_explored"] > 0 for m in p.modes)
    d = p.to_dict()
    assert {"log_bayes_factor", "modes", "every_mode_sampled", "ts_max"} <= set(d)


@pytest.mark.parametrize("lm, lg", [([3.5], [-1.0]), ([-1.5], [-1.0]), ([1.0], [0.7]),
                                    ([1.0], [-4.5]), ([1.0], [np.nan])])
def test_bad_grid_raises(setup, lm, lg):
    cs, geo = setup
    with pytest.raises(InputError):
        si_ts_map(cs, geo, lm, lg, bins=BINS)


def test_posterior_needs_ratios(setup, serial):
    cs, geo = setup
    no = si_ts_map(cs, geo, LM[:2], LG[:2], bins=BINS)
    with pytest.raises(InputError):
        si_posterior(cs, geo, si_map=no)
