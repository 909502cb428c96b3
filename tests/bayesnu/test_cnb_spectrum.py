"""General-spectrum signal energy PDF and its chaining with the transport Ops."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

import bayesnu  # noqa: F401  (BLAS set-up before PyTensor compiles)
from bayesnu.data import load
from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup
from bayesnu.ops.spectrum import CnbSource, power_law_integrals, spectrum_pdf, transport_ratio
from bayesnu.ops.transport import SecretFluxOp, numu_flux, secret_numu_flux
from bayesnu.pdfs.energy import power_law_bin_integrals
from bayesnu.pdfs.spectrum import RatioRebinner, SpectrumEnergyPDF
from bayesnu.sources import SOURCES
from bayesnu.transport import ConstantDensity, Neutrinos, Propagator, Redshift, SolverOptions


@pytest.fixture(scope="module")
def ngc_setup():
    return LikelihoodSetup(load("ic86_2011"), SOURCES["NGC 1068"], roi_eps=1e-7)


@pytest.fixture(scope="module")
def small_options():
    return SolverOptions(emin_gev=1e2, emax_gev=1e8, bins=60)


def test_general_pdf_equals_power_law(ngc_setup):
    st = ngc_setup.setups[0]
    src = ngc_setup.sources[0]
    pdf = SpectrumEnergyPDF.from_sample(st.sample, src.dec, st.true_edges, st.bkg_energy.reco_edges)
    tab = pdf(pdf.power_law(st.gamma_grid))
    ref = np.exp(np.concatenate([st.energy.coef[:, 3, :], st.energy(st.gamma_grid[-1])[0][None]]))
    m = ref > 1e-200
    assert np.max(np.abs(tab[m] / ref[m] - 1.0)) < 1e-6
    # acceptance = the power-law set-up's acceptance
    assert np.allclose(np.log(pdf.acceptance(pdf.power_law(st.gamma_grid))), st.log_acc[:, 0],
                       rtol=0, atol=1e-10)
    # the "events x true bins" matrix gives the same per-event densities
    r = np.array([3, 10, 20])
    phi = pdf.power_law(2.5)[0]
    assert np.allclose(pdf.event_matrix(r) @ phi / pdf.acceptance(phi), pdf(phi)[r])


def test_ratio_rebinner_identity_and_support():
    te = np.linspace(1.0, 9.0, 81)
    rb = RatioRebinner(te, np.logspace(2, 10, 301))
    phi = rb(np.ones(300), 2.7)
    assert np.allclose(phi, power_law_bin_integrals(te, 2.7, 1e5)[0], rtol=1e-13)
    # ratio 0 inside the grid leaves only the part below 100 GeV
    low = rb(np.zeros(300), 2.7)
    assert np.all(low[te[1:] <= 2.0] > 0) and np.all(low[te[:-1] >= 2.0] == 0)
    with pytest.raises(InputError):
        rb(np.ones(10), 2.0)


def test_spectrum_pdf_verify_grad():
    rng = np.random.default_rng(1)
    R = rng.random((7, 11))
    a = rng.random(11) + 0.1
    phi0 = rng.random(11) + 0.5
    verify_grad(lambda p: spectrum_pdf(p, R, a)[0], [phi0], rng=rng, eps=1e-7)
    # power-law integrals symbolic == numpy, gradient in gamma
    edges = np.logspace(2, 6, 9)
    g = pt.dscalar()
    f = pytensor.function([g], power_law_integrals(edges, g, 1e3))
    for gam in (1.0, 2.3, 3.9):
        assert np.allclose(f(gam), power_law_bin_integrals(np.log10(edges), gam, 1e3)[0], rtol=1e-6)
    verify_grad(lambda x: power_law_integrals(edges, x, 1e3), [np.array(2.4)], rng=rng)


def test_logl_graph_matches_numpy_kernel(ngc_setup, small_options):
    prop = Propagator(ConstantDensity(14.0), Neutrinos(), small_options)
    cs = CnbSource(ngc_setup, prop.grid.edges)
    f = cs.logl_function(lambda le, g: numu_flux(prop, g, log10_eta=le), 1)
    # eta = 0: the power-law kernel of the point-source analysis
    base = ngc_setup.likelihood()
    for g in (2.0, 3.1):
        assert f(20.0, g, -40.0) == pytest.approx(base.evaluate(np.array([20.0, g]))[0], abs=1e-8)
    # eta > 0 at grid gammas: the numpy spline kernel used by the profiles
    r = transport_ratio(prop, [10**15.0], cs.gamma_grid)[0]
    mx = cs.mixture(r)
    for g in (2.0, 3.1):
        assert f(20.0, g, 15.0) == pytest.approx(mx.evaluate(np.array([20.0, g]))[0], abs=1e-8)
    # outside the support: -inf, not NaN
    assert f(-1.0, 2.0, 10.0) == -np.inf
    assert f(1e9, 2.0, 10.0) == -np.inf


def _flux_graph_checks(cs, flux_fn, point, rng):
    ns, g, *xs = point

    def fn(ns_, g_, *x_):
        return cs.logl(ns_, g_, flux_fn(*x_, g_))

    verify_grad(fn, [np.array(v) for v in point], rng=rng, eps=1e-6, abs_tol=2e-3, rel_tol=2e-3)


def test_verify_grad_through_pdf_and_transport(ngc_setup, small_options):
    """d logL / d(ns, gamma, log10 eta) through spectrum PDF + TransportFluxOp."""
    rng = np.random.default_rng(2)
    prop = Propagator(ConstantDensity(14.0), Neutrinos(), small_options)
    cs = CnbSource(ngc_setup, prop.grid.edges)
    _flux_graph_checks(cs, lambda le, g: numu_flux(prop, g, log10_eta=le), (15.0, 2.6, 15.2), rng)
    # redshift geometry (TXS-like) too
    propz = Propagator(Redshift(0.3365), Neutrinos(), small_options)
    csz = CnbSource(ngc_setup, propz.grid.edges)
    _flux_graph_checks(csz, lambda le, g: numu_flux(propz, g, log10_eta=le), (15.0, 2.4, 14.0), rng)


@pytest.mark.slow
def test_verify_grad_secret_interactions(ngc_setup, small_options):
    """d logL / d(log10 g, log10 m_phi) through spectrum PDF + SecretFluxOp (eta = 1)."""
    rng = np.random.default_rng(3)
    sop = SecretFluxOp(ConstantDensity(14.0), Neutrinos(sum_m=0.1), small_options, eta=1.0)
    prop = Propagator(ConstantDensity(14.0), Neutrinos(sum_m=0.1), small_options)
    cs = CnbSource(ngc_setup, prop.grid.edges)
    _flux_graph_checks(cs, lambda lg, lm, g: secret_numu_flux(sop, lg, lm, g),
                       (15.0, 2.6, -1.0, 1.0), rng)


def test_logl_flux_normalisation(ngc_setup):
    """ns of the free power law: eta = 0 equals the events normalisation; absorbed -> 0, not -inf."""
    # the grid must cover the sample's true energies (1e2..1e9 GeV) for a full absorption
    prop = Propagator(ConstantDensity(14.0), Neutrinos(), SolverOptions(bins=60))
    cs = CnbSource(ngc_setup, prop.grid.edges)
    ns, g, le = pt.dscalar(), pt.dscalar(), pt.dscalar()
    flux = numu_flux(prop, g, log10_eta=le)
    f_ev = pytensor.function([ns, g, le], cs.logl(ns, g, flux))
    f_fl = pytensor.function([ns, g, le], cs.logl(ns, g, flux, normalisation="flux"))
    assert f_fl(20.0, 2.5, -40.0) == pytest.approx(f_ev(20.0, 2.5, -40.0), abs=1e-9)
    assert f_ev(20.0, 2.5, 250.0) == -np.inf
    assert f_fl(20.0, 2.5, 250.0) == 0.0
    verify_grad(lambda a, b, c: cs.logl(a, b, numu_flux(prop, b, log10_eta=c),
                                        normalisation="flux"),
                [np.array(15.0), np.array(2.6), np.array(15.2)], rng=np.random.default_rng(4),
                eps=1e-6, abs_tol=2e-3, rel_tol=2e-3)


def test_cnb_source_reco_extension(small_options):
    """CnuB source on the TXS release's IC86b + IC86c: with the reco extension the data
    range's log S tables and the symbolic log L of the data equal those without it
    (bitwise), and the propagated signal's mass above the data is kept."""
    ds = load("txs0506")
    samples = [s for s in ds.samples if s.name in ("IC86b", "IC86c")]
    src = SOURCES["TXS 0506+056"]
    prop = Propagator(ConstantDensity(14.0), Neutrinos(), small_options)
    ext = CnbSource(LikelihoodSetup(samples, src, roi_eps=1e-7), prop.grid.edges)
    old = CnbSource(LikelihoodSetup(samples, src, roi_eps=1e-7, extend_reco=False),
                    prop.grid.edges)
    r = transport_ratio(prop, [10**15.0, 10**16.0], ext.gamma_grid)
    le, la_e = ext.tables(r)
    lo, la_o = old.tables(r)
    assert np.array_equal(la_e, la_o)
    for k, st in enumerate(ext.setup.setups):
        core = st.bkg_energy.core
        assert np.array_equal(le[k][..., core], lo[k])
        assert np.array_equal(ext.pdfs[k].R[core], old.pdfs[k].R)
        # free power law at gamma 2: the extended table integrates to ~1, the data range not
        gi = int(np.argmin(np.abs(ext.gamma_grid - 2.0)))
        one, _ = ext.tables(np.ones((1, ext.gamma_grid.size, prop.N)))
        dx = np.diff(st.bkg_energy.reco_edges)
        assert 0.999 < (np.exp(one[k][0, gi]) * dx).sum() < 1.0 + 1e-9
        assert (np.exp(one[k][0, gi][core]) * dx[core]).sum() < 0.95
    fe = ext.logl_function(lambda x, g: numu_flux(prop, g, log10_eta=x), 1)
    fo = old.logl_function(lambda x, g: numu_flux(prop, g, log10_eta=x), 1)
    for p in ((5.0, 2.0, 15.5), (20.0, 2.9, 16.5), (2.0, 3.5, -40.0)):
        assert fe(*p) == fo(*p)
