"""Detector response: effective-area folding, paper-001 limit, energy and angular response."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import integrate, stats

import bayesnu.detector as D
from bayesnu.data import load, ps10yr_seasons
from bayesnu.errors import InputError


@pytest.fixture(scope="module")
def ic40():
    return load("ic40")["IC40"]


@pytest.fixture(scope="module")
def seasons():
    return ps10yr_seasons()


# ---------------------------------------------------------------- paper 001 limit
@pytest.mark.parametrize("lo,paper", [(4.8, 1.459e-18), (5.0, 1.646e-18)])
def test_count_flux_limit_reproduces_paper001(seasons, lo, paper):
    aeff = seasons["IC86_II"][1]
    phi = D.count_flux_limit(10, lo, lo + 0.2, 10.0, aeff, gamma=2.0, e0_gev=1e5)
    assert abs(phi / paper - 1) < 0.01
    # with 365-day years every quoted digit is reproduced
    phi365 = D.count_flux_limit(10, lo, lo + 0.2, 10.0, aeff, year_s=365 * 86400.0)
    assert abs(phi365 / paper - 1) < 5e-4


def test_count_flux_limit_is_inverse_of_hand_count(seasons):
    aeff = seasons["IC86_II"][1]
    phi = D.count_flux_limit(7, 4.8, 5.4, 3.0, aeff, gamma=2.5)
    # independent: plain mean over the 50 equal-sin(dec) bins, quad over E
    area = aeff.area_cm2.mean(axis=1)
    e = aeff.log10e_edges

    n = 0.0
    for k in np.flatnonzero((e[:-1] >= 4.8 - 1e-9) & (e[1:] <= 5.4 + 1e-9)):
        n += area[k] * integrate.quad(lambda E: phi * (E / 1e5) ** -2.5, 10 ** e[k],
                                      10 ** e[k + 1], epsrel=1e-12)[0]
    # the release rounds dec edges to 0.01 deg, so its 50 sin(dec) bins are equal only to ~1e-5
    assert n * 3 * D.JULIAN_YEAR_S == pytest.approx(7, rel=1e-4)


def test_count_flux_limit_bad_input(seasons):
    aeff = seasons["IC86_II"][1]
    with pytest.raises(InputError):
        D.count_flux_limit(10, 5.2, 5.0, 10, aeff)
    with pytest.raises(InputError):
        D.count_flux_limit(-1, 5.0, 5.2, 10, aeff)
    with pytest.raises(InputError):
        D.count_flux_limit(10, 1.0, 5.2, 10, aeff)


def test_limit_cli_json(capsys):
    from bayesnu.cli import main

    rc = main(["limit", "counts", "--counts", "10", "--log10e", "4.8", "5.0", "--years", "10",
               "--season", "IC86_II", "--gamma", "2", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["phi0_gev_cm2_s"] / 1.459e-18 - 1) < 0.01


def test_limit_cli_bad_args(capsys):
    from bayesnu.cli import main

    rc = main(["limit", "counts", "--counts", "10", "--log10e", "5.0", "4.8", "--years", "10",
               "--season", "IC86_II"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "log10e" in err
    rc = main(["limit", "counts", "--counts", "10", "--log10e", "4.8", "5.0", "--years", "10",
               "--season", "IC99"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "IC99" in err


# ---------------------------------------------------------------- ns <-> flux
def _hand_expected(sample, dec, phi0, gamma, window=None):
    """Independent: quad over E of the bin lookup, livetime from clipped good runs."""
    a = sample.aeff
    sd = np.sin(np.radians(dec))
    j = int(np.searchsorted(a.sindec_edges, sd, side="right") - 1)
    e = a.log10e_edges
    iv = np.array(sample.uptime.intervals)
    if window is not None:
        iv = np.clip(iv, window[0], window[1])
    live = float(np.sum(iv[:, 1] - iv[:, 0])) * 86400.0

    def f(E):
        k = min(np.searchsorted(e, np.log10(E), side="right") - 1, e.size - 2)
        return a.area_cm2[k, j] * phi0 * (E / 1e5) ** -gamma

    tot = 0.0
    for lo, hi in zip(e[:-1], e[1:]):  # integrate bin by bin (A is constant in each)
        tot += integrate.quad(f, 10**lo * (1 + 1e-12), 10**hi * (1 - 1e-12), epsrel=1e-10)[0]
    return tot * live


@pytest.mark.parametrize("dec,gamma", [(5.69, 2.0), (-30.0, 2.5), (60.0, 3.0)])
def test_expected_events_against_hand_integration(ic40, dec, gamma):
    mu = D.expected_events(ic40, dec, 1e-18, gamma)
    assert mu == pytest.approx(_hand_expected(ic40, dec, 1e-18, gamma), rel=1e-6)
    phi = D.ns_to_flux(ic40, dec, 12.0, gamma)
    assert D.flux_to_ns(ic40, dec, phi, gamma) == pytest.approx(12.0, rel=1e-12)


def test_flare_window_and_fluence(ic40):
    w = (54600.0, 54700.0)
    mu = D.expected_events(ic40, 5.69, 1e-16, 2.0, t_window=w)
    assert mu == pytest.approx(_hand_expected(ic40, 5.69, 1e-16, 2.0, window=w), rel=1e-6)
    # fluence: E0^2 phi0 (t_stop - t_start)
    f = D.ns_to_fluence(ic40, 5.69, mu, 2.0, t_window=w)
    assert f == pytest.approx(1e10 * 1e-16 * 100 * 86400.0, rel=1e-9)
    assert D.fluence_to_ns(ic40, 5.69, f, 2.0, t_window=w) == pytest.approx(mu, rel=1e-9)
    # Gaussian flare much narrower than a good run -> exposure sqrt(2 pi) sigma
    run = ic40.uptime.intervals[100]
    t0 = 0.5 * (run[0] + run[1])
    sig = (run[1] - run[0]) / 20
    e_g = D.exposure_seconds(ic40.uptime, ("gauss", t0, sig))
    assert e_g == pytest.approx(np.sqrt(2 * np.pi) * sig * 86400.0, rel=1e-6)


def test_dataset_sums_samples(ic40):
    from bayesnu.data import Dataset

    ds = Dataset("two", "x", (ic40, ic40.replace(name="copy")))
    assert D.expected_events(ds, 10.0, 1e-18, 2.0) == pytest.approx(
        2 * D.expected_events(ic40, 10.0, 1e-18, 2.0), rel=1e-12)


def test_true_energy_weights_sum_and_rebinning(ic40):
    w_fine = D.true_energy_weights(ic40, 20.0, 2.2, np.arange(2.0, 10.01, 0.05))
    w_coarse = D.true_energy_weights(ic40, 20.0, 2.2, np.array([2.0, 5.0, 10.0]))
    assert w_fine.sum() == pytest.approx(w_coarse.sum(), rel=1e-10)
    assert w_fine.sum() * 3e-18 == pytest.approx(D.expected_events(ic40, 20.0, 3e-18, 2.2), rel=1e-10)
    assert w_fine[np.arange(2.0, 10.0, 0.05) < 5.0 - 1e-9].sum() == pytest.approx(w_coarse[0], rel=1e-10)


def test_powerlaw_bin_integral_gamma_one():
    v = D.powerlaw_bin_integral(3.0, 4.0, 1.0, 1e5)
    assert v == pytest.approx(1e5 * np.log(10.0), rel=1e-12)
    v2 = D.powerlaw_bin_integral(3.0, 4.0, 1.0 + 1e-7, 1e5)
    assert v2 == pytest.approx(v, rel=1e-5)


# ---------------------------------------------------------------- energy response
def test_energy_response_matrix_and_sampling_agree():
    r = D.energy_response("IC86_II")
    te = np.array([4.0, 4.5])
    re = np.arange(0.0, 9.01, 0.1)
    m = r.matrix(te, re, 0.3)[0]
    assert m.sum() == pytest.approx(1.0, abs=1e-6)
    rng = np.random.default_rng(5)
    x = r.sample(rng, rng.uniform(4.0, 4.5, 200000), 0.3)
    h = np.histogram(x, re)[0]
    exp = m * h.sum()
    ok = exp > 20
    chi2 = np.sum((h[ok] - exp[ok]) ** 2 / exp[ok])
    assert stats.chi2.sf(chi2, ok.sum() - 1) > 1e-3


def test_energy_response_monotonic_and_names():
    r = D.energy_response("ic86-2011")
    med = [r.median_reco(x) for x in (3.0, 4.0, 5.0, 6.0, 7.0)]
    assert np.all(np.diff(med) > 0)
    assert D.energy_response("IC59").meta["alias_of"] == "IC40"
    with pytest.raises(InputError):
        D.energy_response("NOPE")


@pytest.mark.parametrize("name,resp", [("ic40", "IC40"), ("ic86_2011", "IC86_2011")])
def test_energy_calibration_reproduces_observed_bands(name, resp):
    """Stored calibration held fixed, only per-band nuisances refitted: quantiles match.

    Northern bands test the offset/scatter, southern bands the selection thresholds.
    """
    from bayesnu.detector.calibration import ALL_SKY_BANDS, evaluate_energy_response

    s = load(name)[0]
    rep = evaluate_energy_response(s, D.energy_response(resp), ALL_SKY_BANDS)
    assert len(rep) == ALL_SKY_BANDS.size - 1
    for b in rep:
        qo, qp = np.array(b["quantiles_obs_10_50_90"]), np.array(b["quantiles_pred_10_50_90"])
        assert np.max(np.abs(qo - qp)) < 0.2, b
        assert b["ks_distance"] < 0.15, b
    north = [b for b in rep if b["sindec"][0] >= -0.09]
    assert max(np.max(np.abs(np.subtract(b["quantiles_obs_10_50_90"], b["quantiles_pred_10_50_90"])))
               for b in north) < 0.08


def test_southern_threshold_matrix_and_sampling_agree():
    r = D.energy_response("IC40")
    sd = -0.7
    assert r.threshold(sd) is not None and r.threshold(0.5) is None
    te = np.array([5.5, 6.0])
    re = np.arange(3.0, 9.01, 0.05)
    m = r.matrix(te, re, sd)[0]
    assert m.sum() == pytest.approx(1.0, abs=1e-3)
    # no reconstructed energy well below the threshold
    t, w = r.threshold(sd)
    assert m[re[1:] < t - 10 * w].sum() < 1e-3
    rng = np.random.default_rng(6)
    x = r.sample(rng, rng.uniform(5.5, 6.0, 100000), sd)
    h = np.histogram(x, re)[0]
    exp = m * h.sum()
    ok = exp > 20
    chi2 = np.sum((h[ok] - exp[ok]) ** 2 / exp[ok])
    assert stats.chi2.sf(chi2, ok.sum() - 1) > 1e-3


# ---------------------------------------------------------------- angular errors / PSF
def test_angular_error_model_reproduces_data(ic40):
    m = D.AngularErrorModel.from_sample(ic40)
    rng = np.random.default_rng(2)
    sel = (ic40.sindec > 0.2) & (ic40.log10e > 3.0) & (ic40.log10e < 3.5)
    sim = m.sample(rng, ic40.log10e[sel], ic40.sindec[sel])
    assert stats.ks_2samp(sim, ic40.angerr[sel]).pvalue > 0.01
    assert np.all(sim >= ic40.angerr.min())


def test_angular_error_model_local_high_energy_tail(ic40):
    """Local model: conditional medians follow the data where equal-population cells cannot."""
    m = D.AngularErrorModel.from_sample(ic40)
    assert m.meta["kind"] == "local"
    rng = np.random.default_rng(5)
    band = np.abs(ic40.sindec - 0.5) < 0.05
    for lo in (3.0, 3.4, 3.8):
        sel = band & (ic40.log10e >= lo) & (ic40.log10e < lo + 0.2)
        if sel.sum() < 60:
            continue
        sim = m.sample(rng, rng.choice(ic40.log10e[sel], 4000), 0.5)
        assert stats.ks_2samp(sim, ic40.angerr[sel]).pvalue > 1e-3, lo
    # sparse corner: k_min nearest events, never an empty window
    x = m.sample(rng, np.full(100, 9.0), 0.99)
    assert np.all(np.isfinite(x)) and np.all(x >= ic40.angerr.min())
    cells = D.AngularErrorModel.from_sample(ic40, method="cells")
    assert cells.meta["kind"] == "empirical"
    with pytest.raises(InputError):
        D.AngularErrorModel.from_sample(ic40, method="nope")


@pytest.mark.parametrize("sigma", [0.5, 3.0])
def test_psf_small_sigma_is_2d_gaussian(sigma):
    rng = np.random.default_rng(3)
    ra, dec = D.smear_directions(rng, np.full(40000, 120.0), np.full(40000, 30.0), sigma)
    psi = D.angular_distance(ra, dec, 120.0, 30.0)
    # (psi / sigma)^2 ~ chi2(2) for a 2-D Gaussian
    assert stats.kstest((psi / sigma) ** 2, "chi2", args=(2,)).pvalue > 1e-3


def test_psf_large_sigma_is_von_mises_fisher():
    rng = np.random.default_rng(4)
    sigma = 30.0
    kappa = 1 / np.radians(sigma) ** 2
    ra, dec = D.smear_directions(rng, np.full(100000, 10.0), np.full(100000, -70.0), sigma)
    cos = np.cos(np.radians(D.angular_distance(ra, dec, 10.0, -70.0)))
    mean_cos = 1 / np.tanh(kappa) - 1 / kappa
    assert np.mean(cos) == pytest.approx(mean_cos, abs=4 * np.std(cos) / np.sqrt(cos.size))
    assert np.all((dec >= -90) & (dec <= 90)) and np.all((ra >= 0) & (ra < 360))


# ---------------------------------------------------------------- cascade detector
@pytest.fixture(scope="module")
def cascade():
    return D.CascadeDetector()


def test_cascade_detector_reproduces_paper000_numbers(cascade):
    rng = np.random.default_rng(11)
    s = cascade.simulate(rng)
    assert s.size == 59592
    lo, hi = np.log10(500.0), np.log10(5.35e6)
    assert s.log10e.min() >= lo and s.log10e.max() <= hi
    c = s.meta["components"]
    assert c["atm_nu"] / s.size == pytest.approx(0.87, abs=0.01)
    assert c["astro"] / s.size == pytest.approx(0.07, abs=0.005)
    assert np.all(s.uptime.contains(s.time))
    assert s.uptime.start == pytest.approx(55694.0, abs=1.0) and s.uptime.stop == pytest.approx(59361.0)
    med = cascade.angular_error_model.median(np.array([3.0, 5.0, 6.0])) * 1.1774
    assert med[0] > 15 and med[1] <= 10 and 4 <= med[2] <= 6
    # measured PSF: opening angle between smeared and true direction is not stored, but the
    # event angular errors follow the parametrisation around 1 TeV
    near1tev = (s.log10e > 2.9) & (s.log10e < 3.1)
    assert np.median(s.angerr[near1tev]) * 1.1774 > 15


def test_cascade_area_normalisation_gives_astro_fraction(cascade):
    """The diffuse astrophysical flux through the tabulated area gives 7 % of 59,592."""
    d = {"phi0": 1.66e-18, "gamma": 2.53}
    a = cascade.effective_area()
    se = a.sindec_edges
    from bayesnu.data import EventSample

    dummy = EventSample("c", np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0),
                        uptime=cascade.uptime, aeff=a)
    n = 0.0
    for k in range(se.size - 1):
        dec = np.degrees(np.arcsin(0.5 * (se[k] + se[k + 1])))
        n += D.expected_events(dummy, dec, d["phi0"], d["gamma"]) * 2 * np.pi * (se[k + 1] - se[k])
    assert n == pytest.approx(0.07 * 59592, rel=0.01)


def test_reco_energy_weights_conserve_events():
    s = load("ic86_2011")[0]
    for dec in (5.7, -40.0):
        w = D.reco_energy_weights(s, dec, 2.3, np.arange(0.0, 9.01, 0.1))
        assert w.sum() == pytest.approx(D.expected_events(s, dec, 1.0, 2.3), rel=1e-4)
    # harder spectra put more signal at high reconstructed energy
    e = np.arange(0.0, 9.01, 0.1)
    c = 0.5 * (e[1:] + e[:-1])
    w2 = D.reco_energy_weights(s, 20.0, 2.0, e)
    w3 = D.reco_energy_weights(s, 20.0, 3.0, e)
    assert (w2 @ c) / w2.sum() > (w3 @ c) / w3.sum() + 0.3


def test_cascade_sample_uses_cascade_response():
    rng = np.random.default_rng(1)
    from bayesnu.simulate import cascade_sample

    s = cascade_sample(rng, n_events=500)[0]
    r = D.energy_response(s)
    assert isinstance(r, D.CascadeEnergyResponse)
    m = r.matrix(np.array([4.0, 4.1]), np.arange(2.0, 6.01, 0.05), 0.0)
    assert m.sum() == pytest.approx(1.0, abs=1e-6)
    assert D.angular_error_model(s).meta["kind"] == "parametric"
    # given selection: a true energy near the 500 GeV cut keeps all its probability
    # inside the cut (the cascade area already holds the acceptance)
    lo, hi = s.meta["log10e_reco_range"]
    assert r.reco_range == pytest.approx((lo, hi))
    te = np.array([2.6, 2.7])
    m = r.matrix(te, np.arange(1.0, 8.01, 0.05), 0.0)
    assert m.sum() == pytest.approx(1.0, abs=1e-9)
    c = 0.5 * (np.arange(1.0, 8.01, 0.05)[1:] + np.arange(1.0, 8.01, 0.05)[:-1])
    assert m[0, c < lo - 0.05].sum() == 0.0
    raw = D.CascadeEnergyResponse().matrix(te, np.array([lo, hi]))[0, 0]
    assert raw < 0.6  # unconditioned: much of it below the cut
    x = r.sample(rng, np.full(2000, 2.65))
    assert np.all((x >= lo) & (x <= hi))


def test_interp_dec_is_continuous_and_matches_bin_centres(ic40):
    a = ic40.aeff
    c = np.degrees(np.arcsin(0.5 * (a.sindec_edges[1:] + a.sindec_edges[:-1])))
    k = 30
    # at a bin centre both modes agree
    assert D.expected_events(ic40, c[k], 1e-18, 2.0, interp_dec=True) == pytest.approx(
        D.expected_events(ic40, c[k], 1e-18, 2.0), rel=1e-9)
    # across a bin edge the interpolated expectation has no jump
    edge = np.degrees(np.arcsin(a.sindec_edges[k + 1]))
    lo = D.expected_events(ic40, edge - 1e-6, 1e-18, 2.0, interp_dec=True)
    hi = D.expected_events(ic40, edge + 1e-6, 1e-18, 2.0, interp_dec=True)
    assert hi == pytest.approx(lo, rel=1e-5)
