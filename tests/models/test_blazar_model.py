"""Blazar-association model: logp against an independent numpy mixture, the strength Op,
grid posteriors, limits, IceCat-1 association and recovery of an injected (simulated) signal."""

import numpy as np
import pytest
from bayesnu.inference.blazar_stacking import (
    alert_association,
    count_flux_limits,
    fraction_posterior,
    inject_group,
    stacking_flux_limit,
)
from bayesnu.models.blazar import blazar_model

from bayesnu.blazar.groups import get_group
from bayesnu.blazar.ops import StrengthLogLikeOp
from bayesnu.blazar.stacking import StrengthKernel, alert_densities, group_likelihood
from bayesnu.data import load
from bayesnu.errors import InputError
from bayesnu.pdfs.spatial import gaussian_pdf


@pytest.fixture(scope="module")
def ic40():
    return load("ic40")


@pytest.fixture(scope="module")
def txs_flux(ic40):
    return group_likelihood(ic40, get_group("TXS-like"), "flux")


def numpy_mixture(gl, ns, gamma):
    """log L - log L(0) over ALL events (no ROI), from the PDFs, written out directly."""
    tot = 0.0
    st = gl.setup.setups[0]
    ev = st.sample
    J = len(gl.setup.sources)
    la, _ = gl.setup.log_acceptance(gamma)
    wa = gl.setup.weights / gl.setup.weights.sum() * np.exp(la[:J])
    F = wa / wa.sum()
    sd = ev.sindec
    cells = st.bkg_energy.cell_index(sd, ev.log10e)
    reco = cells % st.n_reco
    bkg = st.bkg_spatial(sd) * st.bkg_energy.table.ravel()[cells]
    sig = np.zeros(ev.size)
    lsig, _ = st.energy(gamma)
    d1, r1 = np.radians(ev.dec), np.radians(ev.ra)
    for j, s in enumerate(gl.setup.sources):
        d2, r2 = np.radians(s.dec), np.radians(s.ra)
        cpsi = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(r1 - r2)
        psi = np.arccos(np.clip(cpsi, -1, 1))
        spat = gaussian_pdf(psi, np.radians(ev.angerr))
        sig += F[j] * spat * np.exp(lsig[j * st.n_reco + reco])
    tot = np.sum(np.log(ns / ev.size * sig / bkg + (1 - ns / ev.size)))
    return tot


def test_model_logp_matches_independent_numpy(txs_flux):
    import pymc as pm

    bm = blazar_model(txs_flux, get_group("TXS-like"), ns_max=100.0)
    m = bm.model
    f = m.compile_logp(vars=[m["events"]], jacobian=False)
    for ns, gamma in ((5.0, 2.0), (20.0, 2.7), (60.0, 3.5)):
        pt_ = {"ns_interval__": np.log(ns / (100.0 - ns)),
               "gamma_interval__": np.log((gamma - 1.0) / (4.0 - gamma))}
        got = float(f(pt_))
        ref = numpy_mixture(txs_flux, ns, gamma)
        assert abs(got - ref) < 1e-3 * max(1.0, abs(ref)) + 2e-3, (ns, gamma, got, ref)
    assert "signal_fraction" in m.named_vars
    assert isinstance(m, pm.Model)


def test_strength_kernel_reduces_to_mixture_and_op_gradient(txs_flux):
    from pytensor.gradient import verify_grad

    L = txs_flux.likelihood
    sk = StrengthKernel(L)
    for p in ((3.0, 1.8), (15.0, 2.6)):
        v, g = L.evaluate(np.array(p))
        v2, g2 = sk.evaluate(p[0], p[1], np.zeros(sk.J))
        assert abs(v - v2) < 1e-10 and np.allclose(g, g2[:2], rtol=1e-9, atol=1e-12)
    # a common shift of all log-strengths changes nothing
    u = np.random.default_rng(2).normal(0, 0.8, sk.J)
    assert abs(sk.evaluate(9.0, 2.2, u)[0] - sk.evaluate(9.0, 2.2, u + 3.0)[0]) < 1e-10
    assert sk.evaluate(-1.0, 2.2, u)[0] == -np.inf
    op = StrengthLogLikeOp(sk)
    rng = np.random.default_rng(4)
    verify_grad(lambda a, b, c: op(a, b, c)[0], [np.array(9.0), np.array(2.4), u], rng=rng,
                eps=1e-6)


def test_grid_posterior_converged(txs_flux):
    a = fraction_posterior(txs_flux).summary
    b = fraction_posterior(txs_flux, n_ns=801, n_gamma=121).summary
    for k in ("ns_median", "ns_ul90", "ln_bf_vs_background"):
        assert abs(a[k] - b[k]) < 0.01 * max(1.0, abs(b[k])), k
    assert a["f_ul90"] == pytest.approx(a["ns_ul90"] / 36900)


def test_limits_and_diffuse_fraction(txs_flux):
    c = count_flux_limits()
    assert [round(x["phi0_gev_cm2_s"] * 1e18, 3) for x in c] == [1.459, 1.646]
    assert all(x["diffuse_fraction"] < 0.10 for x in c)
    lim = stacking_flux_limit(txs_flux, gamma=2.0)
    assert lim["ns_ul_profile"] > lim["ns_best"] >= 0
    assert lim["flux_ul_profile_gev_cm2_s"] == pytest.approx(
        lim["ns_ul_profile"] * txs_flux.flux_per_ns(2.0))


def test_alert_association_txs0506():
    a = alert_association("TXS-like")
    top = a["alerts"][0]
    assert top["alert"] == "IC170922A" and top["best_blazar"] == "J0509+0541"
    assert top["p_association"] > 0.5
    assert 0 <= a["f_ul90"] <= 1
    with pytest.raises(InputError, match="no error region"):
        alert_densities(np.array([10.0]), np.array([5.0]),
                        {"ra_plus": np.array([0.0]), "ra_minus": np.array([1.0]),
                         "dec_plus": np.array([1.0]), "dec_minus": np.array([1.0])},
                        np.array([10.0]), np.array([5.0]))


def test_injected_group_signal_recovered(ic40):
    g = get_group("TXS-like")
    gl0 = group_likelihood(ic40, g, "equal")
    rng = np.random.default_rng(7)
    sim, n_inj = inject_group(rng, ic40, gl0, ns=30.0, gamma=2.0)
    assert sim.n_events == ic40.n_events + n_inj and 15 <= n_inj <= 45
    post = fraction_posterior(group_likelihood(sim, g, "equal"), ns_max=100.0).summary
    assert post["ns_q05"] <= n_inj <= post["ns_q95"]
    assert post["ln_bf_vs_background"] > 2.0


def test_hierarchical_model_compiles_with_gradient(txs_flux):
    bm = blazar_model(txs_flux, get_group("TXS-like"), hierarchical=True)
    m = bm.model
    assert {"tau", "z", "u", "signal_fraction"} <= set(m.named_vars)
    ip = m.initial_point()
    ip["z"] = np.zeros(32)
    ip["ns_interval__"] = np.log(10.0 / 90.0)
    ip["gamma_interval__"] = 0.0  # gamma = 2.5
    pot = m.compile_fn(m.potentiallogp, point_fn=True)
    v = float(pot(ip))
    assert abs(v - txs_flux.likelihood.evaluate(np.array([10.0, 2.5]))[0]) < 1e-8
    g = m.compile_dlogp()(ip)
    assert np.all(np.isfinite(g))


def test_cli_stack_fit_and_alerts_json(capsys):
    import json

    from bayesnu.cli import main

    assert main(["blazar", "stack", "fit", "--data", "ic40", "--group", "TXS-like", "--json",
                 "--quiet"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_sources"] == 32 and {"f_ul90", "ns_ul90", "ln_bf_vs_background"} <= set(
        d["posterior"])
    assert main(["blazar", "stack", "alerts", "--group", "TXS-like", "--top", "2",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["alerts"]) == 2 and d["alerts"][0]["alert"] == "IC170922A"
    assert main(["blazar", "stack", "fit", "--group", "TXS-like", "--json"]) == 2
    assert "--data" in capsys.readouterr().err
