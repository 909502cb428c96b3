"""Bayesian flare model: temporal PDF inside the likelihood Op (verify_grad), priors, agreement
with the frequentist flare likelihood, chain start points."""

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from bayesnu.models.flare import candidate_starts, flare_model, flare_priors, flare_setup
from pytensor.gradient import verify_grad

from bayesnu.data import load
from bayesnu.flare.roi import FlareSampleModel
from bayesnu.flare.search import flare_loglr
from bayesnu.flare.temporal import GaussianFlarePDF
from bayesnu.ops import LogLikeOp

RA, DEC = 77.3582, 5.69315


@pytest.fixture(scope="module")
def ic86b():
    return load("txs0506")["IC86b"]


@pytest.fixture(scope="module")
def lik(ic86b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return flare_setup(ic86b, RA, DEC)[1]


def test_temporal_pdf_interface_gradient(ic86b):
    tp = GaussianFlarePDF(ic86b.uptime)
    t = np.sort(ic86b.time[:50])
    th = np.array([56700.0, 40.0])
    pdf, g = tp.signal(t, th)
    for j in range(2):
        e = np.zeros(2)
        e[j] = 1e-4
        fd = (tp.signal(t, th + e)[0] - tp.signal(t, th - e)[0]) / 2e-4
        np.testing.assert_allclose(g[j], fd, rtol=1e-5, atol=1e-12)
    w, gw = tp.sample_weight(th)
    assert 0 < w <= 1
    assert gw[1] == pytest.approx((tp.sample_weight(th + [0, 1e-4])[0]
                                   - tp.sample_weight(th - [0, 1e-4])[0]) / 2e-4, rel=1e-5)


def test_verify_grad_through_op(lik):
    op = LogLikeOp(lik)

    def f(ns, gamma, t0, sigma):
        return op(ns, gamma, t0, sigma)[0]

    verify_grad(f, [np.array(8.0), np.array(2.2), np.array(57005.0), np.array(60.0)],
                rng=np.random.default_rng(1), eps=1e-6, abs_tol=1e-4, rel_tol=1e-4)
    # outside the support: -inf, not an exception
    v = pytensor.function([], op(pt.constant(-1.0), pt.constant(2.0), pt.constant(57005.0),
                           pt.constant(60.0))[0])()
    assert v == -np.inf


def test_engine_matches_flare_search_likelihood(ic86b, lik):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fd = FlareSampleModel(ic86b).data_at(RA, DEC)
    for q in ([9.4, 2.0, 57010.5, 55.7], [3.0, 3.1, 56500.0, 5.0]):
        v_engine, g_engine = lik.evaluate(np.array(q))
        v_mine, g_mine = flare_loglr(fd, *q, grad=True)
        assert v_engine == pytest.approx(v_mine, abs=2e-3 * max(1.0, abs(v_mine)))
        np.testing.assert_allclose(g_engine, g_mine, rtol=2e-2, atol=2e-3)


def test_priors_and_starts(ic86b, lik):
    pri = flare_priors([ic86b], lik)
    assert pri["t0"].lower == ic86b.uptime.start and pri["t0"].upper == ic86b.uptime.stop
    assert pri["sigma_t"].kind == "loguniform"
    assert pri["sigma_t"].upper == pytest.approx(0.5 * ic86b.livetime_days)
    assert pri["gamma"].lower == 1.0 and pri["gamma"].upper == 4.0
    assert 0 < pri["ns"].upper < ic86b.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        psm = flare_model(ic86b, RA, DEC, per_event=False)
    starts = candidate_starts(psm, [{"t0": 57010.0, "sigma_t": 55.0, "ns": 9.0, "gamma": 2.0},
                                    {"t0": 1e9, "sigma_t": 1e-9, "ns": -3.0, "gamma": 9.0}], 3)
    assert len(starts) == 3 and starts[2] == starts[0]
    assert pri["t0"].lower < starts[1]["t0"] < pri["t0"].upper
    assert 0 < starts[1]["ns"] and starts[1]["gamma"] < 4.0
    # the model's log-probability is finite at every start
    fn = psm.model.compile_logp()
    for s in starts:
        point = psm.model.initial_point()
        for k, v in s.items():
            key = next(n for n in point if n.startswith(k + "_") or n == k)
            tr = psm.model.rvs_to_transforms[psm.model[k]]
            point[key] = tr.forward(np.array(v), *psm.model[k].owner.inputs).eval() \
                if tr is not None else v
        assert np.isfinite(fn(point))
