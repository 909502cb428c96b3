"""Fast trial path (bayesnu.likelihood.trial) against the general scramble + fit,
on real data (IC86-2011 and the 6-sample TXS 0506+056 release), with and without
injected signal."""

import numpy as np
import pytest
from bayesnu.inference import background_trials, fit
from bayesnu.inference.fit import default_bounds

import bayesnu.data as bd
from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup, Source
from bayesnu.likelihood.trial import TrialKernel, fast_fit, fit_bounds
from bayesnu.simulate import inject
from bayesnu.sources import resolve_source

TXS = resolve_source("TXS 0506+056")


@pytest.fixture(scope="module")
def ic86():
    return bd.load("ic86_2011")


def _same(ts_fast, ts_ref):
    # the fast fit is a global search: never below L-BFGS-B, equal to 1e-3 relative
    # (absolute 1e-3 near TS = 0, where L-BFGS-B can miss a tiny excess at ns ~ 0.03)
    assert ts_fast >= ts_ref - 1e-7
    assert ts_fast == pytest.approx(ts_ref, rel=1e-3, abs=1e-3)


def _consistent(L, ts, ns, g):
    """The fast optimum is a point of L with TS = 2 log L/L0 and no ascent direction."""
    v, grad = L.evaluate(np.array([ns, g]))
    assert 2.0 * v == pytest.approx(ts, rel=1e-9, abs=1e-10)
    if ns > 1e-6:
        assert abs(grad[0]) < 1e-5
    if 1.0 + 1e-4 < g < 4.0 - 1e-4 and ns > 1e-6:
        assert abs(grad[1]) < 1e-4


def _compare(setup, seeds, n_starts=4):
    tk = TrialKernel(setup)
    n_pos = 0
    for seed in seeds:
        L = setup.scrambled(np.random.default_rng(seed))
        ref = fit(L, n_gamma_starts=n_starts)
        ts, ns, g = tk.trial(np.random.default_rng(seed))  # same random draws
        assert tk.n_roi == L.n_roi
        _same(ts, ref.ts)
        ts2, ns2, g2, _ = fast_fit(L)
        assert ts2 == pytest.approx(ts, rel=1e-9, abs=1e-12)
        _consistent(L, ts, ns, g)
        if ref.ts > 0.1:
            n_pos += 1
            assert ns == pytest.approx(ref.ns, rel=2e-2, abs=0.05)
            assert g == pytest.approx(ref.gamma, abs=0.05)
        elif ts == 0.0:
            assert ns == 0.0
    return n_pos


@pytest.mark.parametrize("spatial", ["gaussian", "vmf"])
def test_scrambles_match_general_fit_ic86(ic86, spatial):
    setup = LikelihoodSetup(ic86, TXS, spatial=spatial)
    assert _compare(setup, range(8)) >= 2  # several trials with an excess


def test_scrambles_match_general_fit_multisample():
    setup = LikelihoodSetup(bd.load("txs0506"), TXS)
    assert len(setup.setups) > 1
    _compare(setup, range(4))


def test_injected_signal_matches_general_fit(ic86):
    setup = LikelihoodSetup(ic86, TXS)
    rng = np.random.default_rng(11)
    for ns_inj, gamma in [(8.0, 2.0), (25.0, 2.5), (4.0, 3.2)]:
        ra = setup.scramble_ra(rng)
        bg = ic86.samples[0].replace(ra=ra[0])
        ds, _ = inject(rng, bg, TXS.ra, TXS.dec, gamma, ns=ns_inj)
        L = setup.likelihood(events=[ds.samples[0]])
        ref = fit(L, n_gamma_starts=4)
        ts, ns, g, _ = fast_fit(L)
        assert ref.ts > 1.0
        _same(ts, ref.ts)
        _consistent(L, ts, ns, g)
        assert ns == pytest.approx(ref.ns, rel=2e-2)
        assert g == pytest.approx(ref.gamma, abs=0.05)


def test_background_trials_use_fast_path_and_reject_stacking(ic86):
    setup = LikelihoodSetup(ic86, TXS)
    fast = background_trials(setup, 6, rng=3)
    slow = background_trials(setup, 6, rng=3, fast=False)
    for a, b in zip(fast.ts, slow.ts):
        _same(a, b)
    two = LikelihoodSetup(ic86, [TXS, Source("other", 80.0, 8.0)])
    with pytest.raises(InputError):
        TrialKernel(two)


def test_fit_bounds_match_inference_defaults(ic86):
    for data in (ic86, bd.load("txs0506")):
        L = LikelihoodSetup(data, TXS).likelihood()
        (n0, n1), (g0, g1) = default_bounds(L)
        assert fit_bounds(L) == pytest.approx((n0, n1, g0, g1), rel=1e-12)


@pytest.mark.parametrize("src", [Source("ra-wrap", 0.4, 30.0), Source("high-dec", 200.0, 84.0),
                                 Source("south", 359.7, -45.0)])
def test_scrambles_match_general_fit_edge_positions(ic86, src):
    """RA wrap-around at 0/360 deg, a candidate band reaching the pole, the southern sky."""
    _compare(LikelihoodSetup(ic86, src), range(3), n_starts=3)
