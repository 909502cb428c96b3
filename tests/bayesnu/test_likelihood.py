"""Mixture likelihood kernel: against an independent direct evaluation, gradients,
multi-sample split, stacking, ROI exactness, support, injection-recovery."""

import numpy as np
import pytest
from scipy.optimize import minimize

from bayesnu.errors import InputError
from bayesnu.likelihood import LikelihoodSetup, Source
from bayesnu.likelihood.synthetic import (
    inject,
    lognormal_response,
    power_law_true_weights,
    synthetic_sample,
)
from bayesnu.pdfs import gaussian_pdf, vmf_pdf
from bayesnu.pdfs.spatial import angular_distance

RESP = lognormal_response(-0.3, 0.3)
KW = dict(response=RESP, true_weights=power_law_true_weights)
SRC = Source("S", 150.0, 20.0)


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(7)
    a = synthetic_sample(rng, 6000, name="A")
    b = synthetic_sample(rng, 9000, name="B", livetime_days=500.0)
    a = inject(rng, a, SRC.ra, SRC.dec, 8, 2.0, RESP)
    b = inject(rng, b, SRC.ra, SRC.dec, 12, 2.0, RESP)
    return a, b


def direct_loglike(setup, ns, gamma, spatial="gaussian"):
    """Independent evaluation: sum over *all* events of log(ns_k/N S + (1-ns_k/N) B) - log B,
    with the signal energy PDF folded directly at a grid gamma (no spline, no ROI)."""
    gi = int(np.argmin(np.abs(setup.setups[0].gamma_grid - gamma)))
    g = setup.setups[0].gamma_grid[gi]
    assert abs(g - gamma) < 1e-12
    acc = []
    for st in setup.setups:
        w = power_law_true_weights(st.sample, SRC.dec, g, st.true_edges)
        acc.append(w.sum())
    acc = np.array(acc)
    total = 0.0
    for k, st in enumerate(setup.setups):
        s = st.sample
        N = s.size
        nsk = ns * acc[k] / acc.sum()
        psi = angular_distance(s.ra, s.dec, SRC.ra, SRC.dec)
        sig = np.radians(s.angerr)
        ssp = gaussian_pdf(psi, sig) if spatial == "gaussian" else vmf_pdf(psi, sig)
        bsp = st.bkg_spatial(s.sindec)
        re = st.bkg_energy.reco_edges
        w = power_law_true_weights(s, SRC.dec, g, st.true_edges)
        dist = w @ RESP(s, st.true_edges, re, np.sin(np.radians(SRC.dec)))
        pe = dist / w.sum() / np.diff(re)  # normalised over all reco energies
        j = np.clip(np.searchsorted(re, s.log10e, side="right") - 1, 0, pe.size - 1)
        S = ssp * pe[j]
        B = bsp * st.bkg_energy(s.sindec, s.log10e)
        total += np.sum(np.log(nsk / N * S + (1 - nsk / N) * B) - np.log(B))
    return total


@pytest.mark.parametrize("spatial", ["gaussian", "vmf"])
def test_kernel_matches_direct_evaluation(samples, spatial):
    su = LikelihoodSetup(list(samples), SRC, spatial=spatial, roi_eps=1e-7, **KW)
    L = su.likelihood()
    assert L.n_roi < L.n_total  # the ROI really restricts
    for ns, g in ((0.0, 2.0), (5.0, 2.0), (20.0, 2.5), (60.0, 3.5)):
        ref = direct_loglike(su, ns, g, spatial)
        assert L([ns, g]) == pytest.approx(ref, abs=1e-6 * max(1.0, abs(ref)) + 1e-5)


def test_gradient_matches_finite_differences(samples):
    su = LikelihoodSetup(list(samples), SRC, **KW)
    L = su.likelihood()
    for p in ([3.0, 1.7], [15.0, 2.33], [40.0, 3.8]):
        p = np.array(p)
        v, g = L.evaluate(p)
        h = np.array([1e-5, 1e-6])
        num = [(L(p + h[i] * e) - L(p - h[i] * e)) / (2 * h[i]) for i, e in enumerate(np.eye(2))]
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7)
        vals, jac = L.per_event(p)
        assert vals.sum() == pytest.approx(v, rel=1e-12)
        np.testing.assert_allclose(jac.sum(axis=1), g, rtol=1e-10, atol=1e-12)


def test_roi_treatment_is_exact_up_to_tolerance(samples):
    full = LikelihoodSetup(list(samples), SRC, roi_eps=0.0, **KW).likelihood()
    roi = LikelihoodSetup(list(samples), SRC, roi_eps=1e-5, **KW).likelihood()
    assert full.n_roi == full.n_total or full.n_roi > 3 * roi.n_roi
    for p in ([4.0, 2.0], [30.0, 2.7]):
        assert roi(p) == pytest.approx(full(p), abs=1e-5 * p[0])


def test_stacking_reduces_to_point_source_and_split(samples):
    su1 = LikelihoodSetup(list(samples), SRC, **KW)
    far = Source("far", 300.0, -10.0)
    su2 = LikelihoodSetup(list(samples), [SRC, far], weights=np.array([1.0, 0.0]), **KW)
    p = np.array([12.0, 2.2])
    assert su2.likelihood()(p) == pytest.approx(su1.likelihood()(p), rel=1e-10)
    # equal weights: the far source takes part of ns (by acceptance); the value changes
    su3 = LikelihoodSetup(list(samples), [SRC, far], **KW)
    L3 = su3.likelihood()
    assert L3(p) != pytest.approx(su1.likelihood()(p), rel=1e-3)
    F, dF, _ = L3.fractions(2.2)
    assert F.sum() == pytest.approx(1.0)
    assert dF.sum() == pytest.approx(0.0, abs=1e-12)
    v, g = L3.evaluate(p)
    h = 1e-6
    num = (L3([12.0, 2.2 + h]) - L3([12.0, 2.2 - h])) / (2 * h)
    assert g[1] == pytest.approx(num, rel=1e-5)


def test_support_gives_minus_inf_not_errors(samples):
    L = LikelihoodSetup(list(samples), SRC, **KW).likelihood()
    for p in ([-1.0, 2.0], [5.0, 0.5], [5.0, 4.5], [np.nan, 2.0], [5.0, np.inf],
              [1e9, 2.0]):
        v, g = L.evaluate(np.array(p))
        assert v == -np.inf
        assert np.all(g == 0)
        vals, jac = L.per_event(np.array(p))
        assert np.all(vals == -np.inf) and np.all(jac == 0)
    assert np.isfinite(L([0.0, 1.0])) and np.isfinite(L([0.0, 4.0]))


def test_bad_inputs_raise_input_error(samples):
    with pytest.raises(InputError):
        LikelihoodSetup(list(samples), SRC, spatial="cone", **KW)
    with pytest.raises(InputError):
        LikelihoodSetup(list(samples), [SRC], weights=np.array([1.0, 2.0]), **KW)
    with pytest.raises(InputError):
        Source("bad", 10.0, 95.0)


def _fit(L):
    best = None
    for g0 in (1.8, 2.8):
        r = minimize(lambda x: tuple(-a for a in L.evaluate(x)), [10.0, g0], jac=True,
                     method="L-BFGS-B", bounds=[(0, 500), (1, 4)])
        if best is None or r.fun < best.fun:
            best = r
    return best.x, -2 * best.fun


def test_injection_recovery_small():
    """Mean fitted ns over a few trials within ~3 standard errors of the injected 30."""
    rng = np.random.default_rng(11)
    base = synthetic_sample(rng, 8000, name="C")
    su = LikelihoodSetup(base, SRC, **KW)
    fits = []
    for _ in range(12):
        ras = su.scramble_ra(rng)
        ev = base.replace(ra=ras[0])
        ev = inject(rng, ev, SRC.ra, SRC.dec, 30, 2.0, RESP)
        x, ts = _fit(su.likelihood(events=[ev]))
        fits.append((x[0], x[1], ts))
    fits = np.array(fits)
    assert np.all(fits[:, 2] > 25)
    assert abs(fits[:, 0].mean() - 30) < 3 * fits[:, 0].std() / np.sqrt(len(fits)) + 2.0
    assert abs(np.median(fits[:, 1]) - 2.0) < 0.25
    # background trials: TS mostly small, half at 0
    ts0 = [_fit(su.scrambled(rng))[1] for _ in range(12)]
    assert np.median(ts0) < 2.0


def test_ns_scan_matches_evaluate(samples):
    L = LikelihoodSetup(list(samples), SRC, **KW).likelihood()
    ns = np.array([-1.0, 0.0, 3.0, 17.5, 80.0])
    got = L.ns_scan(2.37, ns)
    assert got[0] == -np.inf
    np.testing.assert_allclose(got[1:], [L([n, 2.37]) for n in ns[1:]], rtol=1e-12, atol=1e-12)
    assert np.all(L.ns_scan(5.0, ns) == -np.inf)


def test_event_caches_follow_the_event_set(samples):
    """Replacement event sets of changing size never reuse a stale cache."""
    su = LikelihoodSetup(samples[0], SRC, **KW)
    rng = np.random.default_rng(3)
    for n in (5, 0, 12, 3):
        ev = inject(rng, samples[0], SRC.ra, SRC.dec, n, 2.0, RESP)
        L = su.likelihood(events=[ev])
        assert L.n_total == samples[0].size + n
        assert L.terms[0].roi_index.max() < ev.size
    assert su.likelihood().n_total == samples[0].size


def test_catalogue_stacking_weights(samples):
    from bayesnu.data.core import CatalogTable
    from bayesnu.sources import sources_from_catalog

    cat = CatalogTable("toy", "generic", {"name": np.array(["a", "b", "c"]),
                                           "ra": np.array([150.0, 200.0, 40.0]),
                                           "dec": np.array([20.0, 10.0, -20.0]),
                                           "flux": np.array([3.0, 1.0, 0.0])})
    srcs = sources_from_catalog(cat, "flux")
    assert [s.weight for s in srcs] == [3.0, 1.0, 0.0]
    su = LikelihoodSetup(list(samples), srcs, **KW)
    L = su.likelihood()
    F, _, _ = L.fractions(2.0)
    assert F[:, 2].sum() == 0.0 and F[:, 0].sum() > F[:, 1].sum()
    v, g = L.evaluate([10.0, 2.5])
    h = 1e-6
    assert g[1] == pytest.approx((L([10.0, 2.5 + h]) - L([10.0, 2.5 - h])) / (2 * h), rel=1e-5)
    with pytest.raises(InputError):
        sources_from_catalog(cat, "flux", mask=np.array([False, False, False]))
    bad = CatalogTable("toy", "generic", {"ra": np.array([1.0]), "dec": np.array([0.0]),
                                           "flux": np.array([np.nan])})
    with pytest.raises(InputError):
        sources_from_catalog(bad, "flux")


@pytest.fixture(scope="module")
def txs_ic86b_setups():
    """The TXS 0506+056 release's IC86b sample, with and without the reco extension."""
    from bayesnu.data import load
    from bayesnu.likelihood.setup import SampleSetup
    from bayesnu.sources import SOURCES

    s = next(x for x in load("txs0506").samples if x.name == "IC86b")
    src = SOURCES["TXS 0506+056"]
    return s, src, SampleSetup(s, [src]), SampleSetup(s, [src], extend_reco=False)


def test_reco_extension_leaves_the_data_range_bitwise(txs_ic86b_setups):
    """The data range's energy tables equal those of the old code path, bitwise: the
    background table without extension and the signal table folded on the data's edges."""
    from bayesnu.likelihood.setup import E0_GEV, default_response, default_true_weights
    from bayesnu.pdfs.energy import power_law_bin_integrals

    s, src, ext, old = txs_ic86b_setups
    core = ext.bkg_energy.core
    assert core.stop - core.start == old.n_reco and ext.n_reco > old.n_reco
    assert np.array_equal(ext.bkg_energy.table[:, core], old.bkg_energy.table)
    assert np.array_equal(ext.energy.coef[:, :, core], old.energy.coef)
    assert np.array_equal(ext.max_log_signal[core], old.max_log_signal)
    assert np.array_equal(ext.log_acc, old.log_acc)
    # the old code path, written out: fold on the data's edges only
    te, re = old.true_edges, old.bkg_energy.reco_edges
    sd = float(np.sin(np.radians(src.dec)))
    ta = default_true_weights(s, src.dec, 0.0, te) / power_law_bin_integrals(te, 0.0, E0_GEV)[0]
    w = ta[None, :] * power_law_bin_integrals(te, old.gamma_grid, E0_GEV)
    tab = (w @ default_response(s, te, re, sd)) / w.sum(axis=1, keepdims=True) / np.diff(re)
    logs = np.maximum(np.log(np.maximum(tab, 1e-300)), -700.0)
    assert np.array_equal(ext.energy.coef[:, 3, core], logs[:-1])
    # the data's own events: same cells (shifted by the extension below), same kernel
    lik_e, lik_o = (LikelihoodSetup(s, src, extend_reco=x).likelihood() for x in (True, False))
    te_, to_ = lik_e.terms[0], lik_o.terms[0]
    assert np.array_equal(te_.cells, to_.cells + core.start)
    for p in ([3.0, 2.0], [10.0, 2.7], [1.0, 3.6]):
        ve, ge = lik_e.evaluate(np.array(p))
        vo, go = lik_o.evaluate(np.array(p))
        assert ve == vo and np.array_equal(ge, go)


def test_reco_extension_holds_the_signal_above_the_data(txs_ic86b_setups):
    """gamma 2 in IC86b: ~15% of the signal is reconstructed above every event of the data.
    The extended signal table holds it (integral ~1 over the extended edges), and an event
    up there gets S and B of its own extension bin (not the top cell's)."""
    s, src, ext, old = txs_ic86b_setups
    be = ext.bkg_energy
    g = ext.gamma_grid
    i2 = int(np.argmin(np.abs(g - 2.0)))
    dx = np.diff(be.reco_edges)
    S = np.exp(ext.energy.coef[i2, 3, :])  # the spline's value at the grid node gamma = 2
    above = slice(be.core.stop, be.n_reco)
    assert 0.999 < (S * dx).sum() <= 1.0 + 1e-12  # beyond the extension: < 1e-3
    assert (S[be.core] * dx[be.core]).sum() < 0.9 and (S[above] * dx[above]).sum() > 0.1
    # an event 0.55 dex above the data's top edge (the old tables clipped it into the top
    # cell, whose S does not contain the signal mass above)
    x = be.reco_edges[be.core.stop] + 0.55
    ev = s.select(np.arange(s.size) < 1).replace(ra=np.array([src.ra]), dec=np.array([src.dec]),
                                                log10e=np.array([x]), angerr=np.array([0.5]))
    cell = int(be.cell_index(ev.sindec, ev.log10e)[0])
    r = cell % be.n_reco
    assert be.reco_edges[r] <= x < be.reco_edges[r + 1] and r >= be.core.stop
    t = ext.term(events=ev)
    assert t.cells.tolist() == [r]
    logs, _ = ext.energy(float(g[i2]), t.cells)
    np.testing.assert_allclose(np.exp(logs[0]), S[r], rtol=1e-12)
    # B of the extension bin: the floor (half a pseudo-event over the data range per band)
    b_ext = be.table.ravel()[cell]
    band = cell // be.n_reco
    np.testing.assert_allclose(b_ext, be.table[band, 0], rtol=1e-12)
    assert b_ext < be.table[band, be.core].min() * (1 + 1e-9)
    # without extension the event is clipped into the top cell
    assert int(old.bkg_energy.cell_index(ev.sindec, ev.log10e)[0]) % old.n_reco == old.n_reco - 1
