"""PDF kernels: normalisation, limits, spline smoothness."""

import numpy as np
import pytest
from scipy.integrate import quad

from bayesnu.data.core import Footprint, Uptime
from bayesnu.errors import InputError
from bayesnu.likelihood.synthetic import lognormal_response
from bayesnu.pdfs import (
    BackgroundEnergyPDF,
    BackgroundSpatialPDF,
    EnergyRatioSpline,
    GammaSpline,
    SignalEnergyPDF,
    angular_distance,
    gaussian_pdf,
    power_law_bin_integrals,
    signal_spatial_pdf,
    vmf_pdf,
)
from bayesnu.pdfs.energy import RECO_EXTENSION_RANGE
from bayesnu.pdfs.temporal import UniformUptimePDF


def test_angular_distance_known_values():
    assert angular_distance(0.0, 0.0, 90.0, 0.0) == pytest.approx(np.pi / 2)
    assert angular_distance(10.0, 90.0, 200.0, 90.0) == pytest.approx(0.0, abs=1e-12)
    # small separations: haversine keeps full precision
    d = angular_distance(100.0, 20.0, 100.0, 20.0 + 1e-6)
    assert d == pytest.approx(np.radians(1e-6), rel=1e-6)
    # antipodes
    assert angular_distance(0.0, -30.0, 180.0, 30.0) == pytest.approx(np.pi, abs=1e-12)


@pytest.mark.parametrize("sigma_deg", [0.5, 3.0, 10.0])
def test_vmf_normalised_on_sphere(sigma_deg):
    s = np.radians(sigma_deg)
    val, _ = quad(lambda p: 2 * np.pi * np.sin(p) * vmf_pdf(p, s), 0, np.pi, points=[s, 5 * s],
                  limit=200)
    assert val == pytest.approx(1.0, rel=1e-7)


def test_gaussian_flat_sky_normalisation_and_vmf_limit():
    s = np.radians(0.5)
    val, _ = quad(lambda p: 2 * np.pi * p * gaussian_pdf(p, s), 0, 20 * s)
    assert val == pytest.approx(1.0, rel=1e-9)
    psi = np.radians(np.linspace(0, 2, 11))
    np.testing.assert_allclose(vmf_pdf(psi, s), gaussian_pdf(psi, s), rtol=2e-3)
    with pytest.raises(InputError):
        signal_spatial_pdf(np.array([1.0]), np.array([1.0]), np.array([1.0]), 0, 0, kind="x")


def test_background_spatial_normalised_full_sky_and_footprint(rng):
    sd = np.concatenate([rng.uniform(-1, 1, 5000), rng.uniform(0, 0.3, 3000)])
    b = BackgroundSpatialPDF(sd)
    x = np.linspace(-1, 1, 400001)
    assert np.trapezoid(b.sindec_pdf(x), x) == pytest.approx(1.0, abs=1e-6)
    # per steradian: integral over the sphere = 2 pi * integral over sin(dec)
    assert b(np.array([0.1]))[0] == pytest.approx(b.sindec_pdf(np.array([0.1]))[0] / (2 * np.pi))
    # the over-density shows up
    assert b.sindec_pdf(np.array([0.15]))[0] > 2 * b.sindec_pdf(np.array([-0.5]))[0]
    fp = Footprint(ra_min=70, ra_max=80, dec_min=0, dec_max=10)
    sdb = rng.uniform(0, np.sin(np.radians(10)), 500)
    bb = BackgroundSpatialPDF(sdb, fp)
    lo, hi = bb.sindec_range
    x = np.linspace(lo, hi, 100001)
    assert np.trapezoid(bb.sindec_pdf(x), x) == pytest.approx(1.0, abs=1e-6)
    # density per sr integrates to 1 over the footprint's solid angle
    assert bb(np.array([0.1]))[0] * fp.solid_angle_sr == pytest.approx(
        bb.sindec_pdf(np.array([0.1]))[0] * (hi - lo), rel=0.3)
    assert np.all(bb(np.linspace(lo, hi, 50)) > 0)


def test_power_law_bin_integrals_match_quadrature():
    edges = np.array([2.0, 2.5, 3.7, 5.0])
    for g in (1.0, 2.0, 2.7):
        got = power_law_bin_integrals(edges, g, e0_gev=1e3)[0]
        ref = [quad(lambda e, g=g: (e / 1e3) ** -g, 10 ** a, 10 ** b)[0]
               for a, b in zip(edges[:-1], edges[1:])]
        np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_gamma_spline_exact_on_grid_and_smooth():
    g = np.linspace(1, 4, 31)
    y = np.stack([np.sin(g), g ** 3 - 2 * g, np.exp(-g)], axis=1)
    sp = GammaSpline(g, y)
    v, d = sp(2.3)
    np.testing.assert_allclose(v, [np.sin(2.3), 2.3 ** 3 - 4.6, np.exp(-2.3)], rtol=1e-5)
    np.testing.assert_allclose(d, [np.cos(2.3), 3 * 2.3 ** 2 - 2, -np.exp(-2.3)], rtol=1e-3)
    # derivative continuous across a knot
    k = g[10]
    _, dl = sp(k - 1e-9)
    _, dr = sp(k + 1e-9)
    np.testing.assert_allclose(dl, dr, rtol=1e-6)
    # index selection
    v2, _ = sp(2.3, np.array([2, 0]))
    np.testing.assert_allclose(v2, v[[2, 0]])
    with pytest.raises(InputError):
        GammaSpline(g[::-1], y)


def test_signal_energy_pdf_normalised_and_harder_with_small_gamma():
    te = np.arange(2.0, 8.01, 0.1)
    re = np.arange(1.0, 8.01, 0.1)
    c = 0.5 * (te[1:] + te[:-1])
    aeff = 1e4 * np.minimum(10 ** (1.5 * (c - 4)), 30)
    resp = lognormal_response(-0.3, 0.3)(None, te, re, 0.0)
    sig = SignalEnergyPDF.from_response(te, aeff, resp, re, np.linspace(1, 4, 13))
    # the reco range holds all but the far tails: normalised to 1 up to what falls outside
    np.testing.assert_allclose((sig.table * np.diff(re)).sum(axis=1), 1.0, atol=0.02)
    mean = (sig.table * np.diff(re) * 0.5 * (re[1:] + re[:-1])).sum(axis=1)
    assert np.all(np.diff(mean) < 0)  # softer spectrum -> lower mean reco energy
    # a wide reco range holds everything: exactly 1
    wide = np.round(np.arange(-1.0, 11.01, 0.1), 10)
    full = SignalEnergyPDF.from_response(
        te, aeff, lognormal_response(-0.3, 0.3)(None, te, wide, 0.0), wide, np.linspace(1, 4, 13))
    np.testing.assert_allclose((full.table * np.diff(wide)).sum(axis=1), 1.0, rtol=1e-9)
    # a reco range cut short (the span of some observed events) is not renormalised:
    # densities equal the wide-range ones bin by bin (a hard spectrum is not inflated)
    short = np.round(np.arange(1.0, 4.51, 0.1), 10)
    cut = SignalEnergyPDF.from_response(
        te, aeff, lognormal_response(-0.3, 0.3)(None, te, short, 0.0), short, np.linspace(1, 4, 13))
    i0 = int(np.argmin(np.abs(wide - short[0])))
    np.testing.assert_allclose(cut.table, full.table[:, i0:i0 + short.size - 1], rtol=1e-9)
    assert (cut.table * np.diff(short)).sum(axis=1)[0] < 0.7  # gamma 1: much signal above 4.5


def test_background_energy_pdf_normalised_per_band(rng):
    sd = rng.uniform(-1, 1, 20000)
    le = 2.3 + rng.exponential(0.4 + 0.2 * (sd > 0), 20000)
    b = BackgroundEnergyPDF(sd, le)
    w = np.diff(b.reco_edges)
    np.testing.assert_allclose((b.table * w).sum(axis=1), 1.0, rtol=1e-10)
    assert np.all(b.table > 0)
    assert b.n_bands >= 2
    # the harder northern bands have more high-energy density
    hi = b.reco_edges[:-1] > 4.5
    assert (b.table[-1, hi] * w[hi]).sum() > (b.table[0, hi] * w[hi]).sum()


def test_uniform_uptime_temporal_pdf():
    up = Uptime(np.array([[0.0, 10.0], [20.0, 30.0]]))
    tp = UniformUptimePDF(up)
    t = np.array([5.0, 15.0, 25.0])
    np.testing.assert_allclose(tp.background(t), [0.05, 0.0, 0.05])
    r, dr = tp.ratio(t, np.array([]))
    np.testing.assert_allclose(r, [1.0, 0.0, 1.0])
    assert dr.shape == (0, 3)


def test_energy_ratio_spline_matches_tables(rng):
    from bayesnu.pdfs import EnergyRatioSpline

    sd = rng.uniform(-1, 1, 20000)
    le = 2.3 + rng.exponential(0.4, 20000)
    b = BackgroundEnergyPDF(sd, le)
    re = b.reco_edges
    te = np.arange(2.0, 8.01, 0.1)
    c = 0.5 * (te[1:] + te[:-1])
    aeff = 1e4 * np.minimum(10 ** (1.5 * (c - 4)), 30)
    resp = lognormal_response(-0.3, 0.3)(None, te, re, 0.0)
    grid = np.linspace(1, 4, 31)
    sig = SignalEnergyPDF.from_response(te, aeff, resp, re, grid)
    ers = EnergyRatioSpline(sig, b)
    cells = b.cell_index(np.array([0.1, -0.5]), np.array([3.0, 4.2]))
    v, d = ers(grid[10], cells)
    ref = np.log(sig.table[10][cells % b.n_reco]) - np.log(b.table.ravel()[cells])
    np.testing.assert_allclose(v, ref, rtol=1e-10)
    h = 1e-6
    vp, _ = ers(2.2 + h, cells)
    vm, _ = ers(2.2 - h, cells)
    np.testing.assert_allclose(ers(2.2, cells)[1], (vp - vm) / (2 * h), rtol=1e-5)


def test_background_energy_extension_keeps_the_data_range_and_floors_beyond(rng):
    """extend=True: the data range's table is bitwise the one without extension; the
    extension bins hold the floor an empty in-range bin gets; cells beyond are clipped."""
    sd = rng.uniform(-1, 1, 8000)
    # two clusters 3 dex apart: the empty bins between them hold the floor only
    le = np.where(rng.random(8000) < 0.9, 2.5 + rng.exponential(0.2, 8000),
                  6.5 + rng.exponential(0.05, 8000))
    b0 = BackgroundEnergyPDF(sd, le)
    b1 = BackgroundEnergyPDF(sd, le, extend=True)
    core = b1.core
    assert np.array_equal(b1.reco_edges[core.start:core.stop + 1], b0.reco_edges)
    assert np.array_equal(b1.table[:, core], b0.table)
    assert np.array_equal(b1.sindec_edges, b0.sindec_edges)
    lo, hi = RECO_EXTENSION_RANGE
    assert b1.reco_edges[0] <= lo < b1.reco_edges[1] and b1.reco_edges[-2] < hi <= b1.reco_edges[-1]
    np.testing.assert_allclose(np.diff(b1.reco_edges), 0.1, rtol=1e-9)
    # blocks: below, data, above; consecutive, sharing their boundary edges
    assert len(b1.edge_blocks) == 3 and b1.block_slices[1] == core
    assert np.array_equal(np.concatenate([b1.edge_blocks[0], b1.edge_blocks[1][1:],
                                          b1.edge_blocks[2][1:]]), b1.reco_edges)
    # extension = the floor of an empty in-range bin (the gap 4.5-6), per band
    gap = (b0.reco_edges[:-1] > 4.5) & (b0.reco_edges[1:] < 6.0)
    floor = b0.table[:, gap]
    np.testing.assert_allclose(floor, np.broadcast_to(floor[:, :1], floor.shape), rtol=1e-12)
    ext = np.ones(b1.n_reco, bool)
    ext[core] = False
    np.testing.assert_allclose(b1.table[:, ext], np.broadcast_to(floor[:, :1], (b1.n_bands, ext.sum())),
                               rtol=1e-12)
    # not renormalised: the data range integrates to 1, the extension adds a little
    w1 = np.diff(b1.reco_edges)
    np.testing.assert_allclose((b1.table[:, core] * w1[core]).sum(axis=1), 1.0, rtol=1e-10)
    extra = (b1.table[:, ext] * w1[ext]).sum(axis=1)
    assert np.all(extra > 0) and np.all(extra < 2e-3)
    # cells: inside, the same bins shifted by the extension below; beyond the data range,
    # the extension bin containing the energy; beyond the extension, its outermost bin
    c0, c1 = b0.cell_index(sd, le), b1.cell_index(sd, le)
    assert np.array_equal(c0 // b0.n_reco, c1 // b1.n_reco)
    assert np.array_equal(c0 % b0.n_reco + core.start, c1 % b1.n_reco)
    x = np.array([b0.reco_edges[-1] + 0.55, b0.reco_edges[0] - 0.33, 12.0, -3.0])
    r = b1.cell_index(np.zeros(4), x) % b1.n_reco
    e = b1.reco_edges
    assert e[r[0]] <= x[0] < e[r[0] + 1] and e[r[1]] <= x[1] < e[r[1] + 1]
    assert r[2] == b1.n_reco - 1 and r[3] == 0
    # without extension every one of them is clipped into the data range's edge cells
    assert set(b0.cell_index(np.zeros(4), x) % b0.n_reco) == {0, b0.n_reco - 1}
    # a signal table on the data's edges does not fit the extended background
    g = np.linspace(1.0, 4.0, 5)
    sig = SignalEnergyPDF(b0.reco_edges, np.ones((g.size, b0.n_reco)), g)
    EnergyRatioSpline(sig, b0)
    with pytest.raises(InputError):
        EnergyRatioSpline(sig, b1)
