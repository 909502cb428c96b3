"""Bayesian CnuB overdensity: tabulated likelihood, NUTS runs, priors, shared eta."""

from __future__ import annotations

import numpy as np
import pytest
from bayesnu.inference.cnb import cnb_data, cnb_propagator, cnb_source
from bayesnu.inference.cnb_bayes import credible_upper_limit, sample_cnb
from bayesnu.models.cnb import TabulatedOverdensity, add_overdensity
from bayesnu.models.pointsource import Prior

from bayesnu.errors import InputError
from bayesnu.sources import SOURCES
from bayesnu.transport import ConstantDensity

SRC = SOURCES["TXS 0506+056"]


@pytest.fixture(scope="module")
def txs():
    """TXS release IC86b + IC86c, constant density over 14 Mpc, 80 transport bins (small)."""
    ds, _ = cnb_data("txs0506:IC86b+IC86c", "TXS 0506+056")
    prop = cnb_propagator(ConstantDensity(14.0), bins=80)
    cs = cnb_source(ds, SRC, prop)
    return cs, prop, TabulatedOverdensity(cs, prop, (8.0, 22.0))


def test_table_matches_exact_graph(txs):
    """The tabulated likelihood and its gradient agree with transport Op -> spectrum PDF."""
    import pytensor
    import pytensor.tensor as pt

    from bayesnu.ops.transport import numu_flux

    cs, prop, tab = txs
    ns, g, x = pt.dscalar(), pt.dscalar(), pt.dscalar()
    out = cs.logl(ns, g, numu_flux(prop, g, log10_eta=x))
    f = pytensor.function([ns, g, x], [out, *pt.grad(out, [ns, g, x])])
    rng = np.random.default_rng(0)
    for _ in range(12):
        p = np.array([rng.uniform(0.5, 30.0), rng.uniform(1.5, 3.8), rng.uniform(12.0, 18.0)])
        v, gr = tab.evaluate(p)
        e = f(*p)
        assert v == pytest.approx(float(e[0]), abs=0.02)
        assert np.allclose(gr, np.array(e[1:], dtype=float), rtol=0.05, atol=0.05)
    # eta -> 0: the power-law likelihood without interactions
    for p in ([5.0, 2.0], [20.0, 3.1]):
        assert tab.evaluate(np.array([*p, 8.0]))[0] == pytest.approx(
            tab.base.evaluate(np.array(p))[0], abs=1e-4)


def test_table_gradient_and_support(txs):
    """Exact derivative of the interpolant; -inf (no NaN) outside the support; clamped ends."""
    _, _, tab = txs
    p = np.array([12.0, 2.4, 16.3])
    v, gr = tab.evaluate(p)
    h = 1e-6
    num = [(tab.evaluate(p + h * e)[0] - tab.evaluate(p - h * e)[0]) / (2 * h) for e in np.eye(3)]
    assert np.allclose(gr, num, rtol=1e-4, atol=1e-6)
    for bad in ([-1.0, 2.0, 15.0], [5.0, 4.5, 15.0], [np.nan, 2.0, 15.0]):
        v, gr = tab.evaluate(np.array(bad))
        assert v == -np.inf and np.all(gr == 0)
    # beyond the last node (everything absorbed) the likelihood is held: zero eta derivative
    assert tab.x[-1] < 22.0
    v1, g1 = tab.evaluate(np.array([5.0, 2.0, tab.x[-1] + 1.0]))
    v2, _ = tab.evaluate(np.array([5.0, 2.0, tab.x[-1] + 2.0]))
    assert np.isfinite(v1) and v1 == v2 and g1[2] == 0.0
    vals, jac = tab.per_event(p)
    assert vals.sum() == pytest.approx(tab.evaluate(p)[0], rel=1e-10)
    assert np.allclose(jac.sum(axis=1), tab.evaluate(p)[1], rtol=1e-8, atol=1e-10)


def test_short_nuts_run(txs):
    """A short NUTS run: no NaN in the posterior, diagnostics present, finite credible limit."""
    import pymc as pm

    cs, prop, tab = txs
    with pm.Model():
        cm = add_overdensity([cs], [prop], tables=[tab])
    assert set(cm.priors) == {"ns0", "gamma0", "log10_eta"}
    assert cm.priors["log10_eta"].upper == pytest.approx(tab.x[-1])
    idata, summ = sample_cnb(cm, draws=40, tune=60, chains=2, cores=1, seed=2)
    for v in ("ns0", "gamma0", "log10_eta", "eta"):
        assert not np.any(np.isnan(idata.posterior[v].values))
    for k in ("ns0", "gamma0", "log10_eta"):
        assert {"mean", "sd", "r_hat", "ess_bulk", "ess_tail"} <= set(summ["params"][k])
    assert isinstance(summ["divergences"], int) and summ["seconds"] > 0
    assert np.isfinite(summ["eta_credible_90"]) and summ["eta_credible_90"] > 0
    assert summ["eta_credible_95"] >= summ["eta_credible_90"]


def test_priors_give_different_limits_where_likelihood_is_flat(txs):
    """With no signal allowed the likelihood is flat in eta: each prior's own quantile."""
    import pymc as pm

    cs, prop, tab = txs
    flat = {"ns0": Prior("uniform", 0.0, 1e-9)}  # no signal: log L = 0 at every eta
    lim = {}
    for prior in ("loguniform", "uniform"):
        with pm.Model():
            cm = add_overdensity([cs], [prop], tables=[tab], eta_prior=prior, priors=flat)
        _, summ = sample_cnb(cm, draws=200, tune=150, chains=2, cores=1, seed=4)
        lim[prior] = summ["eta_credible_90"]
    hi = tab.x[-1]
    # log-uniform on [1e8, 10^hi]: 90% quantile 10^(8 + 0.9 (hi - 8)); uniform: 0.9 x 10^hi
    assert np.log10(lim["loguniform"]) == pytest.approx(8.0 + 0.9 * (hi - 8.0), abs=0.6)
    assert lim["uniform"] == pytest.approx(0.9 * 10.0 ** hi, rel=0.1)
    assert lim["uniform"] > 10.0 * lim["loguniform"]


def test_two_sources_share_eta(txs):
    """Combined model: one log10_eta, per-source ns and gamma; its gradient sums both sources."""
    import pymc as pm

    cs, prop, tab = txs
    ds, _ = cnb_data("txs0506:IC86b", "TXS 0506+056")
    cs2 = cnb_source(ds, SRC, prop)
    tab2 = TabulatedOverdensity(cs2, prop, (8.0, 22.0))
    with pm.Model() as m:
        cm = add_overdensity([cs, cs2], [prop, prop], tables=[tab, tab2])
    names = {v.name for v in m.free_RVs}
    assert names == {"log10_eta", "ns0", "gamma0", "ns1", "gamma1"}
    assert set(cm.priors) == {"log10_eta", "ns0", "gamma0", "ns1", "gamma1"}
    import pytensor
    import pytensor.tensor as pt

    x, n0, g0, n1, g1 = 16.2, 8.0, 2.3, 4.0, 2.9
    rvs = [m[k] for k in ("log10_eta", "ns0", "gamma0", "ns1", "gamma1")]
    tot = m["loglike0"] + m["loglike1"]
    f = pytensor.function(rvs, [m["loglike0"], m["loglike1"], pt.grad(tot, rvs[0])],
                          on_unused_input="ignore")
    p0, p1, dx = f(x, n0, g0, n1, g1)
    v0, d0 = tab.evaluate(np.array([n0, g0, x]))
    v1, d1 = tab2.evaluate(np.array([n1, g1, x]))
    assert float(p0) == pytest.approx(v0, rel=1e-9) and float(p1) == pytest.approx(v1, rel=1e-9)
    assert float(dx) == pytest.approx(d0[2] + d1[2], rel=1e-8)
    assert d0[2] != 0.0 and d1[2] != 0.0


def test_bad_inputs(txs):
    cs, prop, tab = txs
    with pytest.raises(InputError):
        add_overdensity([cs], [prop], transport="grid")
    with pytest.raises(InputError):
        add_overdensity([cs], [prop], tables=[tab, tab])
    with pytest.raises(InputError):
        TabulatedOverdensity(cs, prop, (10.0, 9.0))
    with pytest.raises(InputError):
        credible_upper_limit(np.array([1.0, np.nan]))
