"""Temporal flare PDFs: normalisation over uptime, gradients, marginalisation term."""

import numpy as np
import pytest
from scipy import integrate

from bayesnu.errors import InputError
from bayesnu.flare.search import ts_penalty
from bayesnu.flare.temporal import (
    BoxFlare,
    TruncatedGaussian,
    UniformBackground,
    gauss_logsob_grid,
    gauss_norm,
    live_between,
)

IV = np.array([[55000.0, 55010.0], [55012.5, 55030.0], [55031.0, 55031.5], [55040.0, 55100.0]])


def _integral(f):
    return sum(integrate.quad(f, a, b, limit=200, points=None)[0] for a, b in IV)


@pytest.mark.parametrize("t0,sigma", [(55020.0, 3.0), (55011.0, 0.7), (55031.2, 0.05),
                                      (55099.0, 40.0), (54990.0, 5.0)])
def test_gauss_normalised_over_uptime(t0, sigma):
    g = TruncatedGaussian.from_uptime(t0, sigma, IV)
    assert _integral(g.pdf) == pytest.approx(1.0, rel=1e-6)
    # zero in the gaps
    assert g.pdf(np.array([55011.0, 55035.0]))[1] == 0.0
    assert g.pdf(np.array([55011.0]))[0] == 0.0


def test_box_and_background_normalised():
    b = BoxFlare.from_uptime(55005.0, 55045.0, IV)
    assert _integral(b.pdf) == pytest.approx(1.0, rel=1e-9)
    assert b.live == pytest.approx(5 + 17.5 + 0.5 + 5)
    u = UniformBackground.from_uptime(IV)
    assert _integral(u.pdf) == pytest.approx(1.0, rel=1e-9)
    assert live_between(IV, 54000, 56000) == pytest.approx(u.livetime)


@pytest.mark.parametrize("t0,sigma", [(55020.0, 3.0), (55011.3, 0.9), (55060.0, 30.0)])
def test_gauss_gradients_finite_difference(t0, sigma):
    t = np.array([55001.0, 55015.0, 55020.5, 55031.2, 55050.0, 55099.0])
    g = TruncatedGaussian.from_uptime(t0, sigma, IV)
    lp, d_t0, d_s = g.logpdf_and_grad(t)
    h = 1e-6
    fd_t0 = (TruncatedGaussian.from_uptime(t0 + h, sigma, IV).logpdf(t)
             - TruncatedGaussian.from_uptime(t0 - h, sigma, IV).logpdf(t)) / (2 * h)
    fd_s = (TruncatedGaussian.from_uptime(t0, sigma + h, IV).logpdf(t)
            - TruncatedGaussian.from_uptime(t0, sigma - h, IV).logpdf(t)) / (2 * h)
    np.testing.assert_allclose(d_t0, fd_t0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d_s, fd_s, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lp, g.logpdf(t))


def test_norm_gradient_and_grid_consistency():
    t0 = np.array([55005.0, 55031.2, 55070.0])
    s = np.array([2.0, 0.3, 25.0])
    z, dz0, dzs = gauss_norm(t0, s, IV, grad=True)
    h = 1e-6
    np.testing.assert_allclose(dz0, (gauss_norm(t0 + h, s, IV) - gauss_norm(t0 - h, s, IV)) / (2 * h),
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dzs, (gauss_norm(t0, s + h, IV) - gauss_norm(t0, s - h, IV)) / (2 * h),
                               rtol=1e-5, atol=1e-8)
    t = np.array([55004.0, 55031.3, 55080.0])
    grid = gauss_logsob_grid(t, t0, s, IV)
    live = UniformBackground.from_uptime(IV).livetime
    for k in range(3):
        np.testing.assert_allclose(grid[k], TruncatedGaussian.from_uptime(t0[k], s[k], IV).logpdf(t)
                                   + np.log(live))


def test_far_tail_norm_is_accurate():
    # flare centred far after the data: mass is tiny but must not be 0 or negative
    z = gauss_norm(55200.0, 10.0, IV)
    assert 0 < z < 1e-15


def test_marginalisation_term():
    # TS penalty -2 log[(Tmax - Tmin)/sigma]: zero when sigma spans the range, -2 log 10 for a tenth
    assert ts_penalty(100.0, 0.0, 100.0) == pytest.approx(0.0)
    assert ts_penalty(10.0, 0.0, 100.0) == pytest.approx(-2 * np.log(10.0))
    # halving sigma costs 2 log 2
    assert ts_penalty(5.0, 0.0, 100.0) - ts_penalty(10.0, 0.0, 100.0) == pytest.approx(-2 * np.log(2))


def test_bad_input():
    with pytest.raises(InputError):
        TruncatedGaussian.from_uptime(55000.0, -1.0, IV)
    with pytest.raises(InputError):
        BoxFlare.from_uptime(55011.0, 55012.0, IV)  # entirely in a gap
