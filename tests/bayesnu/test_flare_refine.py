"""Compiled flare-fit pieces: uptime mass, spline weights, objective gradient, refinement."""

import numpy as np
import pytest
from scipy.interpolate import CubicSpline
from scipy.optimize import minimize

from bayesnu.flare._refine import _objective, refine_gauss, spline_weights, unorm_eval
from bayesnu.flare.search import FlareData, cardinal_spline, flare_loglr
from bayesnu.flare.temporal import UptimeNorm, gauss_norm


def _uptime(rng, n=400, t0=55000.0):
    """Good runs of 0.3-1.5 d with gaps of 1 min to 2 d (a few long ones)."""
    lengths = rng.uniform(0.3, 1.5, n)
    gaps = np.where(rng.random(n) < 0.05, rng.uniform(0.5, 2.0, n), rng.uniform(7e-4, 0.05, n))
    starts = t0 + np.concatenate([[0.0], np.cumsum(lengths + gaps)[:-1]])
    return np.stack([starts, starts + lengths], axis=1)


@pytest.fixture(scope="module")
def flare_data():
    rng = np.random.default_rng(11)
    iv = _uptime(rng)
    grid = np.round(np.arange(0.9, 4.1 + 1e-9, 0.2), 10)
    n = 300
    # events uniform in live time, a flare of 12 events at T0 = tmin + 150 d, sigma 3 d
    lw = iv[:, 1] - iv[:, 0]
    k = rng.choice(iv.shape[0], n, p=lw / lw.sum())
    t = iv[k, 0] + rng.uniform(0, 1, n) * lw[k]
    sig = np.clip(iv[0, 0] + 150.0 + 3.0 * rng.normal(size=12), iv[0, 0], iv[-1, 1])
    t[:12] = sig
    lss = rng.normal(-1.0, 1.5, n)
    lss[:12] += 5.0
    slope = rng.normal(0.0, 0.5, n)
    etab = slope[None, :] * (grid[:, None] - 2.5) - 0.05 * (grid[:, None] - 2.5) ** 2
    return FlareData(t, lss, etab, grid, 20_000, iv)


def test_unorm_matches_exact_mass(flare_data):
    iv = flare_data.intervals
    un = UptimeNorm(iv)
    edges, ptr, gaps = un.flat
    rng = np.random.default_rng(3)
    for _ in range(200):
        t0 = rng.uniform(iv[0, 0] - 5, iv[-1, 1] + 5)
        s = 10 ** rng.uniform(-3, 2.5)
        exact, d0, ds = gauss_norm(t0, s, iv, grad=True)
        z, g0, gs = unorm_eval(t0, s, edges, ptr, gaps, 9.0, np.inf, 64)
        assert z == pytest.approx(float(exact), rel=1e-9, abs=1e-12)
        assert g0 == pytest.approx(float(d0), rel=1e-7, abs=1e-10)
        assert gs == pytest.approx(float(ds), rel=1e-7, abs=1e-10)
        # the gap-bridging ladder stays within the bridged dead fraction
        za = unorm_eval(t0, s, edges, ptr, gaps, 9.0, 100.0, 64)[0]
        assert abs(za - exact) <= 0.05 * exact + 1e-12
    # T0 exactly on an interval edge (regression: the edge counted twice)
    z = unorm_eval(iv[-1, 1], 0.5, edges, ptr, gaps, 9.0, np.inf, 64)[0]
    assert z == pytest.approx(float(gauss_norm(iv[-1, 1], 0.5, iv)), rel=1e-9)


def test_spline_weights_match_cubic_spline():
    grid = np.round(np.arange(0.9, 4.1 + 1e-9, 0.2), 10)
    y = np.random.default_rng(5).normal(size=(grid.size, 7))
    cs = CubicSpline(grid, y, axis=0, bc_type="natural")
    coef = cardinal_spline(grid)
    for g in (0.9, 1.0, 1.37, 2.2, 3.999, 4.1):
        w, dw = spline_weights(g, grid, coef)
        np.testing.assert_allclose(w @ y, cs(g), atol=1e-12)
        np.testing.assert_allclose(dw @ y, cs(g, 1), atol=1e-11)


def _obj(fd, y, s0, exact=True):
    un = UptimeNorm(fd.intervals)
    edges, ptr, gaps = un.flat
    cc = np.empty((4, fd.n))
    cur = np.full(1, -1, dtype=np.int64)
    return _objective(np.asarray(y, dtype=float), s0, fd.t, fd.log_sob_space,
                      np.ascontiguousarray(fd.log_sob_energy), fd.gamma_grid,
                      cardinal_spline(fd.gamma_grid), edges, ptr, gaps, float(fd.n_total),
                      fd.livetime, fd.tmax - fd.tmin, np.empty(fd.n),
                      np.inf if exact else 100.0, cc, cur)


def test_objective_value_and_gradient(flare_data):
    fd = flare_data
    s0 = 2.0
    y = np.array([2.3, (fd.tmin + 151.0) / s0, np.log10(2.5)])
    f, g0, g1, g2, ns = _obj(fd, y, s0)
    assert ns > 0
    # value: -(llr at the profiled ns - log(T/sigma)), llr from the reference implementation
    llr = flare_loglr(fd, ns, 2.3, fd.tmin + 151.0, 2.5)
    assert -f == pytest.approx(llr - np.log((fd.tmax - fd.tmin) / 2.5), rel=1e-9)
    # ns is the maximiser: the reference d llr / d ns vanishes there
    _, gr = flare_loglr(fd, ns, 2.3, fd.tmin + 151.0, 2.5, grad=True)
    assert abs(gr[0]) < 1e-6
    grad = np.array([g0, g1, g2])
    for k in range(3):
        h = 1e-6
        yp, ym = y.copy(), y.copy()
        yp[k] += h
        ym[k] -= h
        fd_k = (_obj(fd, yp, s0)[0] - _obj(fd, ym, s0)[0]) / (2 * h)
        assert grad[k] == pytest.approx(fd_k, rel=1e-5, abs=1e-6)


def test_refine_reaches_the_scipy_optimum(flare_data):
    fd = flare_data
    un = UptimeNorm(fd.intervals)
    edges, ptr, gaps = un.flat
    lo = np.array([1.0, fd.tmin, np.log10(0.01)])
    hi = np.array([4.0, fd.tmax, np.log10(0.5 * fd.livetime)])
    start = (2.0, fd.tmin + 148.0, 6.0)
    ns, g, t0, s, ts, nev = refine_gauss(
        *start, lo, hi, fd.t, fd.log_sob_space, np.ascontiguousarray(fd.log_sob_energy),
        fd.gamma_grid, cardinal_spline(fd.gamma_grid), edges, ptr, gaps, float(fd.n_total),
        fd.livetime, fd.tmax - fd.tmin, 200, 1e-6, 1e-11, np.inf)
    T = fd.tmax - fd.tmin

    def negts(p):  # 4-D reference: ns free, scipy L-BFGS-B
        v = flare_loglr(fd, p[0], p[1], p[2], 10 ** p[3])
        return 1e30 if not np.isfinite(v) else -2 * (v - np.log(T / 10 ** p[3]))

    ref = minimize(negts, [5.0, start[0], start[1], np.log10(start[2])], method="Nelder-Mead",
                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000, "maxfev": 40000})
    assert ts >= -ref.fun - 1e-4
    assert abs(t0 - (fd.tmin + 150.0)) < 3.0 and 0.3 < s < 6.0
    assert nev < 200
