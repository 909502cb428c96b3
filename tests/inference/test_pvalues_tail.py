"""Tail extrapolation, pooled ensembles with leave-one-sky-out, and the N_eff trials factor."""

import numpy as np
import pytest
from bayesnu.inference.pvalues import (
    PooledEnsembles,
    fit_exp_tail,
    global_pvalues,
    neff_fit,
    tail_pvalue,
)
from scipy import stats

from bayesnu.errors import InputError
from bayesnu.flare.trials import dec_band_edges


def test_exp_tail_recovers_exponential_scale_and_far_pvalue():
    rng = np.random.default_rng(11)
    x = 1.5 + rng.exponential(2.0, 20000)
    tail = fit_exp_tail(x, tail_fraction=0.05)
    assert tail.ok and tail.n_tail == 1000
    assert tail.scale == pytest.approx(2.0, rel=0.1)
    t = 1.5 + 2.0 * np.log(1e6)  # true survival 1e-6, far beyond the 20000 values
    p, extra = tail_pvalue(t, x, tail=tail)
    assert bool(extra) and 1e-6 / 2.5 < float(p) < 1e-6 * 2.5


@pytest.mark.parametrize("dof,max_bias", [(2, 0.06), (1, 0.3), (4, 0.3)])
def test_tail_extrapolation_on_chi2_toys(dof, max_bias):
    """Mean log10(p_fit / p_true) at p_true = 1e-4 over 300 ensembles of 5000 chi2 values."""
    rng = np.random.default_rng(dof)
    t = stats.chi2.isf(1e-4, dof)
    r = []
    for _ in range(300):
        p, extra = tail_pvalue(t, rng.chisquare(dof, 5000))
        assert bool(extra)
        r.append(np.log10(float(p) / 1e-4))
    r = np.asarray(r)
    assert abs(r.mean()) < max_bias
    assert r.std() < 0.3


def test_tail_pvalue_switches_and_never_returns_zero_or_nan():
    rng = np.random.default_rng(3)
    bg = rng.chisquare(2, 2000)
    ts = np.array([-5.0, 1.0, np.sort(bg)[-25], np.sort(bg)[-5], 40.0, 1e4])
    p, extra = tail_pvalue(ts, bg, min_count=20)
    assert extra.tolist() == [False, False, False, True, True, True]
    k = np.array([np.sum(bg >= v) for v in ts[:3]])
    np.testing.assert_allclose(p[:3], (k + 1) / 2001)
    assert np.all(np.isfinite(p)) and np.all(p > 0) and np.all(np.diff(p) <= 0)
    # an ensemble smaller than twice min_tail is never extrapolated
    p2, e2 = tail_pvalue(40.0, bg[:60], min_tail=50)
    assert not bool(e2) and float(p2) == pytest.approx(1 / 61)
    with pytest.raises(InputError):
        tail_pvalue(np.nan, bg)
    with pytest.raises(InputError):
        tail_pvalue(1.0, np.empty(0))


def _minima(rng, n_eff, k):
    # smallest of n_eff independent uniform p-values
    return -np.expm1(np.log1p(-rng.uniform(size=k)) / n_eff)


def test_neff_mle_recovers_trials_factor_and_interval_covers():
    rng = np.random.default_rng(5)
    fit = neff_fit(_minima(rng, 300.0, 4000))
    assert fit["n_eff"] == pytest.approx(300.0, rel=0.05)
    assert fit["ks_pvalue"] > 0.01
    cover = 0
    for _ in range(400):
        lo, hi = neff_fit(_minima(rng, 300.0, 30))["n_eff_interval"]
        cover += lo <= 300.0 <= hi
    assert 0.61 < cover / 400 < 0.75
    # p_k not of the form 1 - (1 - u)^N: the KS check notices
    assert neff_fit(rng.uniform(size=500) ** 3)["ks_pvalue"] < 1e-3


def test_global_pvalues_empirical_and_neff():
    rng = np.random.default_rng(8)
    pk = _minima(rng, 500.0, 40)
    p_obs = 1e-6
    g = global_pvalues(p_obs, pk)
    assert g["p_global_empirical"] == pytest.approx((np.sum(pk <= p_obs) + 1) / 41)
    assert g["p_global_neff"] == pytest.approx(1 - (1 - p_obs) ** g["n_eff"], rel=1e-9)
    lo, hi = g["p_global_neff_interval"]
    assert lo < g["p_global_neff"] < hi
    assert g["n_scrambled_skies"] == 40
    assert g["n_eff_interval"][0] < g["n_eff"] < g["n_eff_interval"][1]
    # far below the empirical floor 1/(K+1), the N_eff estimate keeps resolving, and is
    # the headline only there (no sky at or below p_obs)
    assert g["p_global_neff"] < 0.1 * g["p_global_empirical"]
    assert g["skies_at_or_below"] == 0 and g["p_global_method"] == "neff_model"
    assert g["p_global"] == g["p_global_neff"]
    assert g["p_global_k_over_n_cp68"][0] == 0.0 and 0 < g["p_global_k_over_n_cp68"][1] < 0.06
    # where skies reach p_obs the headline is the empirical count, with its Clopper-Pearson
    # interval: k of K inside it, and the interval's ends at tail probability 0.16 each
    p_mid = float(np.sort(pk)[5])
    g = global_pvalues(p_mid, pk)
    k = int(np.sum(pk <= p_mid))
    assert g["skies_at_or_below"] == k == 6 and g["p_global_method"] == "empirical"
    assert g["p_global"] == g["p_global_empirical"] == pytest.approx((k + 1) / 41)
    lo, hi = g["p_global_k_over_n_cp68"]
    assert lo < k / 40 < hi
    from scipy.stats import binom
    assert binom.sf(k - 1, 40, lo) == pytest.approx(0.16, rel=1e-6)
    assert binom.cdf(k, 40, hi) == pytest.approx(0.16, rel=1e-6)
    with pytest.raises(InputError):
        global_pvalues(0.0, pk)


def _pooled(rng, k_sky=5, **kw):
    edges = dec_band_edges()
    dec = np.repeat(np.linspace(-70.0, 70.0, 15), 12)  # both hemispheres, 15 bands
    sky = rng.chisquare(2, (k_sky, dec.size))
    band = [rng.chisquare(2, 40) if i % 2 else np.empty(0) for i in range(81)]
    return PooledEnsembles(edges, band, sky, dec, **kw), edges, band, sky, dec


def test_leave_one_sky_out_excludes_the_sky():
    rng = np.random.default_rng(2)
    ens, edges, band, sky, dec = _pooled(rng, min_tail=10, min_count=5)
    sky[0, 3] = 1000.0  # an extreme pixel in sky 0
    ens = PooledEnsembles(edges, band, sky, dec, min_tail=10, min_count=5)
    b = int(ens.band_of(np.array(dec[3])))
    full, loo = ens.ensemble(b), ens.ensemble(b, exclude_sky=0)
    cols = np.flatnonzero(ens.band_of(dec) == b)
    assert full.size - loo.size == cols.size and 1000.0 in full and 1000.0 not in loo
    assert full.size == band[b].size + sky.shape[0] * cols.size
    # identical to pooling without that sky
    other = PooledEnsembles(edges, band, sky[1:], dec, min_tail=10, min_count=5)
    p1, e1, _ = ens.pvalues(sky[0], dec, exclude_sky=0)
    p2, e2, _ = other.pvalues(sky[0], dec)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(e1, e2)
    # the hemisphere minima of each sky are computed without that sky
    mins = ens.sky_minima()
    north = dec > -5.0
    for k in range(sky.shape[0]):
        ref = PooledEnsembles(edges, band, np.delete(sky, k, axis=0), dec,
                              min_tail=10, min_count=5)
        p, _, _ = ref.pvalues(sky[k], dec)
        assert mins["north"][k] == pytest.approx(p[north].min())
        assert mins["south"][k] == pytest.approx(p[~north].min())
    # sky 0's extreme pixel is extrapolated against the others, not compared with itself
    p0, e0, _ = ens.pvalues(sky[0], dec, exclude_sky=0)
    assert e0[3] and 0 < p0[3] < 1e-100


def test_pvalues_without_ensemble_are_flagged():
    edges = dec_band_edges()
    band = [np.empty(0)] * 81
    band[40] = np.random.default_rng(0).chisquare(2, 300)
    ens = PooledEnsembles.build(edges, None, None, None)
    p, extra, method = ens.pvalues(np.array([3.0]), np.array([0.0]))
    assert np.isnan(p[0]) and method[0] == 2 and not extra[0]
    from bayesnu.inference.pvalues import BandEnsembles

    ens = PooledEnsembles.build(edges, BandEnsembles(edges, band))
    p, extra, method = ens.pvalues(np.array([3.0, 30.0, 3.0]), np.array([0.0, 0.5, 30.0]))
    assert np.isfinite(p[:2]).all() and method.tolist() == [0, 1, 2] and extra.tolist() == [
        False, True, False]
    assert ens.n_band_trials(40) == 300 and ens.n_ensemble(40) == 300


def test_independent_pixels_give_neff_near_pixel_count():
    """End to end on a synthetic sky of independent chi2 pixels: N_eff ~ pixels per hemisphere."""
    from bayesnu.flare.scan import pixel_grid

    _, _, dec = pixel_grid(16)
    rng = np.random.default_rng(21)
    sky = rng.chisquare(3, (30, dec.size))
    band = [rng.chisquare(3, 200) for _ in range(81)]
    ens = PooledEnsembles(dec_band_edges(), band, sky, dec)
    mins = ens.sky_minima()
    for hemi, sel in (("north", dec > -5.0), ("south", dec < -5.0)):
        fit = neff_fit(mins[hemi])
        assert 0.7 * sel.sum() < fit["n_eff"] < 1.4 * sel.sum(), (hemi, fit, sel.sum())
        assert fit["ks_pvalue"] > 0.001
