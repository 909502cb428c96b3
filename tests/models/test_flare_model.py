"""Bayesian flare model: temporal PDF inside the likelihood Op (verify_grad), priors, agreement
with the frequentist flare likelihood, chain start points."""

import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from bayesnu.inference.evidence import weighted_quantile
from bayesnu.inference.flare import candidate_starts, flare_evidence, sample_flare_modes
from bayesnu.models.flare import (
    flare_model,
    flare_modes,
    flare_priors,
    flare_setup,
    restrict_to_mode,
)
from pytensor.gradient import verify_grad

from bayesnu.flare.roi import FlareSampleModel
from bayesnu.flare.search import flare_loglr
from bayesnu.flare.temporal import GaussianFlarePDF, gauss_norm
from bayesnu.ops import LogLikeOp, PerEventLogLikeOp

RA, DEC = 77.3582, 5.69315


@pytest.fixture(scope="module")
def ic86b(txs_ic86b):
    return txs_ic86b


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


def test_model_evaluates_the_flare_search_likelihood(ic86b, lik):
    """One flare likelihood: the model's Op and the search evaluate the same function."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fd = FlareSampleModel(ic86b).data_at(RA, DEC)
    op = LogLikeOp(lik)
    args = [pt.dscalar(n) for n in ("ns", "gamma", "t0", "sigma_t")]
    out = op(*args)
    f = pytensor.function(args, [out[0], pt.stack(pytensor.grad(out[0], args))])
    for q in ([9.4, 2.0, 57010.5, 55.7], [3.0, 3.1, 56500.0, 5.0], [12.0, 2.5, 57100.0, 0.3]):
        v_model, g_model = lik.evaluate(np.array(q))
        v_search, g_search = flare_loglr(fd, *q, grad=True)
        assert v_model == pytest.approx(v_search, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(g_model, g_search, rtol=1e-9, atol=1e-9)
        # through the PyTensor graph (what NUTS sees)
        v_op, g_op = f(*q)
        assert float(v_op) == pytest.approx(v_search, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(np.array(g_op, dtype=float), g_search, rtol=1e-9, atol=1e-9)
        # the per-event split (CustomDist, LOO) sums to the same value and gradient
        ell, jac = lik.per_event(np.array(q))
        assert ell.shape == (lik.n_out,) and jac.shape == (4, lik.n_out)
        assert ell.sum() == pytest.approx(v_search, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(jac.sum(axis=1), g_search, rtol=1e-9, atol=1e-9)
    # outside the support: -inf everywhere, not NaN
    ell, jac = lik.per_event(np.array([-1.0, 2.0, 57000.0, 50.0]))
    assert np.all(ell == -np.inf) and np.all(jac == 0)


def test_per_event_op_gradient(lik):
    op = PerEventLogLikeOp(lik)

    def f(ns, gamma, t0, sigma):
        return op(ns, gamma, t0, sigma)[0].sum()

    verify_grad(f, [np.array(8.0), np.array(2.2), np.array(57005.0), np.array(60.0)],
                rng=np.random.default_rng(2), eps=1e-6, abs_tol=1e-4, rel_tol=1e-4)


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


def test_cached_time_pdf_matches_uncached_reference(ic86b, lik):
    """THE uptime-truncated Gaussian PDF: its one-entry mass cache changes no bit."""
    tp = GaussianFlarePDF(ic86b.uptime)
    t = np.sort(ic86b.time[:200])
    iv = tp.intervals
    # alternate thetas so that the one-entry cache is both hit and refreshed
    for th in ([57005.0, 60.0], [56500.0, 3.0], [56500.0, 3.0], [57005.0, 60.0], [56063.5, 400.0]):
        th = np.array(th)
        w, gw = tp.sample_weight(th)
        nz, dn0, dns = gauss_norm(th[0], th[1], iv, grad=True)
        assert w == float(nz) and np.array_equal(gw, [float(dn0), float(dns)])
        fresh = GaussianFlarePDF(ic86b.uptime)  # empty cache
        p, g = tp.signal(t, th)
        p0, g0 = fresh.signal(t, th)
        assert np.array_equal(p, p0) and np.array_equal(g, g0)
        # the uncached formula, written out
        z = (t - th[0]) / th[1]
        ref = np.exp(-0.5 * z * z) / (th[1] * np.sqrt(2.0 * np.pi) * float(nz))
        ref = np.where(ic86b.uptime.contains(t), ref, 0.0)
        np.testing.assert_allclose(p, ref, rtol=1e-13, atol=0.0)


def _fake_fit(**kw):
    from types import SimpleNamespace

    base = dict(ns=10.0, gamma=2.2, t0=57000.0, sigma_t=50.0, ts=12.0, candidates=[])
    base.update(kw)
    return SimpleNamespace(**base)


def test_flare_modes_boxes(ic86b, lik):
    pri = flare_priors([ic86b], lik)
    cands = [
        {"t0": 57020.0, "sigma_t": 60.0, "ns": 9.0, "gamma": 2.1, "ts": 11.0},  # same mode
        {"t0": 57010.0, "sigma_t": 0.5, "ns": 2.0, "gamma": 2.0, "ts": 10.0},  # spike inside
        {"t0": 56300.0, "sigma_t": 20.0, "ns": 5.0, "gamma": 2.5, "ts": 9.0},  # second mode
        {"t0": 56700.0, "sigma_t": 10.0, "ns": 4.0, "gamma": 2.5, "ts": 3.0},  # too weak
    ]
    modes = flare_modes(pri, _fake_fit(candidates=cands), delta_ts=4.0)
    assert len(modes) == 2
    m0, m1 = modes
    assert m0["t0"] == pytest.approx((57000.0 - 150.0, min(57150.0, pri["t0"].upper)))
    assert m0["sigma_t"] == pytest.approx((5.0, pri["sigma_t"].upper))
    assert m1["t0"] == pytest.approx((56240.0, 56360.0)) and m1["sigma_t"][0] == 2.0
    assert m1["t0"][1] < m0["t0"][0]  # disjoint
    for m in modes:
        assert 0 < m["prior_mass"] < 1
    mass0 = ((m0["t0"][1] - m0["t0"][0]) / (pri["t0"].upper - pri["t0"].lower)
             * np.log(m0["sigma_t"][1] / 5.0)
             / np.log(pri["sigma_t"].upper / pri["sigma_t"].lower))
    assert m0["prior_mass"] == pytest.approx(mass0)
    # a second flare overlapping the first mode's T0 range is clipped, not overlapping
    near = [{"t0": 57000.0 - 200.0, "sigma_t": 30.0, "ns": 5.0, "gamma": 2.0, "ts": 10.0}]
    a, b = flare_modes(pri, _fake_fit(candidates=near))
    assert b["t0"][1] == a["t0"][0] and b["t0"][0] == pytest.approx(56710.0)
    assert flare_modes(pri, _fake_fit(ns=0.0)) == []
    assert len(flare_modes(pri, _fake_fit(candidates=cands), max_modes=1)) == 1


@pytest.mark.slow
def test_restricted_model_and_mode_sampling(ic86b, lik):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        psm = flare_model(ic86b, RA, DEC, per_event=False)
    fit = _fake_fit(ns=10.4, gamma=2.16, t0=57007.4, sigma_t=58.8, ts=10.6, candidates=[
        {"t0": 57091.5, "sigma_t": 68.6, "ns": 6.2, "gamma": 1.75, "ts": 3.0}])
    (mode,) = flare_modes(psm.priors, fit)
    sub = restrict_to_mode(psm, mode)
    assert sub.priors["t0"].lower == mode["t0"][0] and sub.priors["t0"].upper == mode["t0"][1]
    assert sub.priors["sigma_t"].lower == mode["sigma_t"][0]
    assert sub.priors["ns"] == psm.priors["ns"] and len(sub.model.potentials) == 1
    assert sub.likelihood is psm.likelihood
    # fake nautilus posterior: 3 of 4 equal-weight points inside the box
    pts = np.array([[10.0, 2.2, 57000.0, 60.0], [9.0, 2.0, 57050.0, 80.0],
                    [8.0, 2.5, 56990.0, 30.0], [2.0, 2.0, 57000.0, 0.5]])
    naut = {"names": ["ns", "gamma", "t0", "sigma_t"], "points": pts,
            "weights": np.full(4, 0.25), "n_eff": 4.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sample_flare_modes(psm, fit=fit, chains=2, draws=40, tune=40, seed=3,
                                 nautilus=naut)
    (m,) = res["modes"]
    assert m["weight"] == pytest.approx(0.75) and res["weight_rest"] == pytest.approx(0.25)
    assert m["weight_err"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    post = m["idata"].posterior
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 40
    t0s = post["t0"].values
    assert np.all((t0s >= mode["t0"][0]) & (t0s <= mode["t0"][1]))
    assert np.all(post["sigma_t"].values >= mode["sigma_t"][0])
    assert m["idata"].attrs["chain_starts_t0"] == pytest.approx([57007.4, 57091.5], abs=0.5)
    assert set(m["diagnostics"]["rhat"]) == {"ns", "gamma", "t0", "sigma_t"}
    assert res["nautilus_quantiles"]["t0"][1] == pytest.approx(57000.0, abs=10.0)


@pytest.mark.slow
def test_flare_evidence_keeps_the_nautilus_posterior(ic86b, lik):
    ev = flare_evidence(ic86b, RA, DEC, n_live=60, seed=4, steady=False, n_eff=500)
    post = ev["flare_samples"]
    x, w = post["points"], post["weights"]
    assert post["names"] == ["ns", "gamma", "t0", "sigma_t"] and x.shape == (w.size, 4)
    assert w.sum() == pytest.approx(1.0) and np.all(w >= 0)
    assert 0 < post["n_eff"] <= w.size
    pri = flare_priors([ic86b], lik)
    for i, p in enumerate(post["names"]):
        assert np.all((x[:, i] >= pri[p].lower) & (x[:, i] <= pri[p].upper))
        # the kept points are the ones the evidence's posterior summary was made from
        for q, key in ((0.05, "q05"), (0.5, "q50"), (0.95, "q95")):
            assert weighted_quantile(x[:, i], w, q) == pytest.approx(
                ev["flare"].posterior[p][key], rel=1e-12)
    assert ev["ln_b_flare_vs_background"] == ev["flare"].log_z
    # the points are not serialised with the result
    assert "points" not in ev["flare"].to_dict()
    # the flare on the TXS release: the posterior median T0 lies in the 2014-15 flare
    assert 56800.0 < ev["flare"].posterior["t0"]["q50"] < 57200.0
