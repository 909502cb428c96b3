"""Flare fit at a position on synthetic ROI events: injection recovery, box variant, gradients."""

import numpy as np
import pytest

from bayesnu.data.core import Uptime
from bayesnu.flare.search import (
    FlareData,
    box_loglr,
    fit_flare,
    flare_loglr,
    profile_ns,
    ts_penalty,
)

GAMMAS = np.round(np.arange(0.9, 4.11, 0.2), 10)
SIG = np.radians(1.0)


def _synthetic(rng, n_sig=12, t0=55600.0, sigma=8.0, n_bkg=600):
    # N such that the ROI (5 sigma disc) holds n_bkg of N events spread uniformly on the sphere
    n_total = int(n_bkg * 4 * np.pi / (np.pi * 25 * SIG**2))
    iv = np.array([[55000.0, 55300.0], [55301.0, 55700.0], [55702.0, 56100.0]])
    up = Uptime(iv)
    # background: r^2 uniform over a 5 sigma disc; energies soft
    r2_b = rng.uniform(0, 25, n_bkg) * SIG**2
    x_b = 3.0 + rng.exponential(0.35, n_bkg)
    t_b = up.sample(rng, n_bkg)
    # signal: Rayleigh around the source, hard energies, Gaussian flare in time
    r2_s = rng.exponential(2.0, n_sig) * SIG**2
    x_s = 3.0 + rng.exponential(1.0, n_sig)
    t_s = rng.normal(t0, sigma, 4 * n_sig)
    t_s = t_s[up.contains(t_s)][:n_sig]
    r2 = np.concatenate([r2_b, r2_s])
    x = np.concatenate([x_b, x_s])
    t = np.concatenate([t_b, t_s])
    lsp = (-0.5 * r2 / SIG**2 - np.log(2 * np.pi * SIG**2)) - np.log(1 / (4 * np.pi))
    # energy log ratio: signal density (gamma-dependent slope) over background slope
    lam = 1.0 / (GAMMAS - 0.9 + 0.35)[:, None]
    le = (np.log(lam) - lam * (x[None, :] - 3.0)) - (np.log(1 / 0.35) - (x[None, :] - 3.0) / 0.35)
    return FlareData(t, lsp, le, GAMMAS, n_total, iv)


def test_gradient_matches_finite_differences():
    fd = _synthetic(np.random.default_rng(1))
    p = np.array([8.0, 2.3, 55590.0, 12.0])
    _, g = flare_loglr(fd, *p, grad=True)
    h = np.array([1e-4, 1e-5, 1e-4, 1e-5])
    for k in range(4):
        e = np.zeros(4)
        e[k] = h[k]
        fdk = (flare_loglr(fd, *(p + e)) - flare_loglr(fd, *(p - e))) / (2 * h[k])
        assert g[k] == pytest.approx(fdk, rel=1e-4, abs=1e-6)


def test_out_of_support_is_minus_inf():
    fd = _synthetic(np.random.default_rng(2))
    assert flare_loglr(fd, -1.0, 2.0, 55600.0, 5.0) == -np.inf
    assert flare_loglr(fd, 1.0, 4.5, 55600.0, 5.0) == -np.inf
    assert flare_loglr(fd, 1.0, 2.0, 55600.0, 0.0) == -np.inf
    assert flare_loglr(fd, 0.0, 2.0, 55600.0, 5.0) == 0.0


def test_profile_ns_matches_scalar_optimum():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.exponential(1.0, (5, 200)), rng.exponential(50.0, (5, 6))], axis=1)
    ns, llr = profile_ns(x, 1000, 1206)
    grid = np.linspace(0, 60, 60001)
    for k in range(5):
        vals = np.sum(np.log1p(grid[:, None] / 1206 * (x[k] - 1)), axis=1) + 1000 * np.log1p(-grid / 1206)
        assert ns[k] == pytest.approx(grid[np.argmax(vals)], abs=2e-3)
        assert llr[k] == pytest.approx(vals.max(), abs=1e-6)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_recovers_injected_gaussian_flare(seed):
    t0, sigma = 55600.0, 8.0
    fd = _synthetic(np.random.default_rng(seed), t0=t0, sigma=sigma)
    fit = fit_flare(fd, keep_candidates=5)
    assert abs(fit.t0 - t0) < 2 * sigma
    assert sigma / 2 < fit.sigma_t < 2 * sigma
    assert 5 < fit.ns < 25
    assert fit.ts > 15
    # TS is the penalised likelihood ratio at the best fit
    assert fit.ts == pytest.approx(2 * fit.loglr + ts_penalty(fit.sigma_t, fd.tmin, fd.tmax), rel=1e-8)
    # weights single out the injected events (the last ones)
    assert np.sum(fit.weights[-12:]) > 0.5 * fit.ns


def test_box_variant_brackets_flare():
    t0, sigma = 55600.0, 8.0
    fd = _synthetic(np.random.default_rng(21), t0=t0, sigma=sigma)
    fit = fit_flare(fd, pdf="box")
    assert fit.pdf == "box"
    assert fit.t_start < t0 < fit.t_stop
    assert fit.t_stop - fit.t_start < 10 * sigma
    assert fit.ts == pytest.approx(2 * box_loglr(fd, fit.ns, fit.gamma, fit.t_start, fit.t_stop)
                                   + ts_penalty(fit.t_stop - fit.t_start, fd.tmin, fd.tmax), rel=1e-6)


def test_background_only_is_unremarkable():
    tss = []
    for seed in range(5):
        fd = _synthetic(np.random.default_rng(100 + seed), n_sig=0)
        tss.append(fit_flare(fd).ts)
    assert max(tss) < 15
