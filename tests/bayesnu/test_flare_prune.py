"""Sky pruning (bayesnu.flare.prune): the TS bound never falls below the full fit, and a
pruned sky has the same hemisphere minima of the local p-value as the full sky.

Real data (IC86-2011, bundled), RA- and time-scrambled skies at nside 4.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from bayesnu.inference.pvalues import PooledEnsembles, fit_exp_tail, local_pvalue

from bayesnu.flare.analysis import default_sigma_min, load_data
from bayesnu.flare.prune import SkyBounds, energy_max, flare_ts_bound, pruned_scan, pruned_sky
from bayesnu.flare.roi import FlareSampleModel
from bayesnu.flare.scan import NORTH_SOUTH_SPLIT_DEG, pixel_grid
from bayesnu.flare.search import fit_flare
from bayesnu.flare.trials import dec_band_edges

NSIDE = 4


@pytest.fixture(scope="module")
def skies():
    s = load_data("ic86_2011").samples[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FlareSampleModel(s)
    smin = default_sigma_min(s)
    _, ra, dec = pixel_grid(NSIDE)
    out = []
    for seed in (11, 12, 13):
        rng = np.random.default_rng(seed)
        ra_s = rng.uniform(0.0, 360.0, s.size)
        t_s = s.uptime.sample(rng, s.size)
        ts, bound = np.empty(ra.size), np.empty(ra.size)
        for k in range(ra.size):
            fd = model.data_at(float(ra[k]), float(dec[k]), ra=ra_s, time=t_s)
            ts[k] = fit_flare(fd, sigma_min=smin).ts
            bound[k] = flare_ts_bound(fd, smin)
        out.append({"ra_s": ra_s, "t_s": t_s, "ts": ts, "bound": bound})
    return model, smin, ra, dec, out


@pytest.mark.slow  # full fits of every pixel of three skies (~50 CPU-s)
def test_energy_max_is_the_spline_maximum(skies):
    model, _, ra, dec, out = skies
    fd = model.data_at(float(ra[5]), float(dec[5]), ra=out[0]["ra_s"], time=out[0]["t_s"])
    em = energy_max(fd)
    grid = np.linspace(1.0, 4.0, 3001)
    dense = np.max(np.stack([fd.log_sob_energy_at(g) for g in grid]), axis=0)
    assert np.all(em >= dense - 1e-9)  # an upper bound of every evaluated gamma
    assert np.max(em - dense) < 1e-4  # and the maximum, not a loose bound


@pytest.mark.slow  # full fits of every pixel of three skies (~50 CPU-s)
def test_bound_is_never_below_the_fit(skies):
    _, _, _, _, out = skies
    for sky in out:
        assert np.all(np.isfinite(sky["ts"]))
        assert np.all(sky["bound"] >= sky["ts"] - 1e-9), np.max(sky["ts"] - sky["bound"])
        # not trivially infinite: most bounds are finite and some are tight
        assert np.mean(np.isfinite(sky["bound"])) > 0.9
        assert np.min(sky["bound"] - sky["ts"]) < 1.0


def _pvalue_functions(ens: PooledEnsembles, dec: np.ndarray):
    """p of (ts, pixel) and its lower bound over all TS <= the given one (the pruning rule)."""
    bands = ens.band_of(dec)
    tails = {}

    def p_fn(ts, idx):
        return ens.pvalues(np.asarray(ts, dtype=np.float64), dec[idx])[0]

    def p_low_fn(b, idx):
        b = np.asarray(b, dtype=np.float64)
        out = np.empty(b.size)
        for j, (bb, i) in enumerate(zip(b, idx)):
            e = ens.ensemble(int(bands[i]))
            if int(bands[i]) not in tails:
                tails[int(bands[i])] = fit_exp_tail(e, ens.tail_fraction, ens.min_tail)
            t = tails[int(bands[i])]
            v = float(local_pvalue(bb, e)) if np.isfinite(bb) else 1.0 / (e.size + 1.0)
            if t.ok and np.isfinite(bb):
                v = min(v, float(t.sf(bb)))
            out[j] = v if np.isfinite(bb) else 0.0
        return out

    return p_fn, p_low_fn


def _hemispheres(dec: np.ndarray) -> np.ndarray:
    """0 North, 1 South, -1 on the split."""
    return np.where(dec > NORTH_SOUTH_SPLIT_DEG, 0, np.where(dec < NORTH_SOUTH_SPLIT_DEG, 1, -1))


def _leave_one_out(out: list, dec: np.ndarray):
    """Per sky: the sky, its p-value functions from the band ensembles of the other skies
    (as the campaign's calibration skies) and its full-sky p-values."""
    edges = dec_band_edges(9)
    for k in range(len(out)):
        ref = np.stack([out[j]["ts"] for j in range(len(out)) if j != k])
        ens = PooledEnsembles.build(edges, None, ref, dec, min_count=5, min_tail=10)
        p_fn, p_low_fn = _pvalue_functions(ens, dec)
        yield out[k], p_fn, p_low_fn, p_fn(out[k]["ts"], np.arange(dec.size))


@pytest.mark.slow  # full fits of every pixel of three skies (~50 CPU-s)
def test_pruned_sky_minima_equal_the_full_sky(skies):
    model, smin, ra, dec, out = skies
    hemi = _hemispheres(dec)
    n_fit = []
    for sky, p_fn, p_low_fn, p_full in _leave_one_out(out, dec):
        res = pruned_scan(model, ra, dec, hemi, p_fn, p_low_fn, smin,
                          ra_events=sky["ra_s"], time_events=sky["t_s"])
        for h, name in ((0, "north"), (1, "south")):
            assert not res.censored[name]
            assert res.p_min[name] == pytest.approx(float(np.min(p_full[hemi == h])), rel=1e-12)
        fitted = np.isfinite(res.ts)
        np.testing.assert_allclose(res.ts[fitted], sky["ts"][fitted], rtol=0, atol=1e-9)
        n_fit.append(res.n_fitted)
    assert min(n_fit) < ra.size  # pixels were pruned


@pytest.mark.slow  # full fits of every pixel of three skies (~50 CPU-s)
@pytest.mark.parametrize("depth", [0, 2])
def test_sky_bound_test_never_proves_a_threshold_below_the_fit(skies, depth):
    """SkyBounds.below(tau) <= tau claims TS <= tau: never for a tau below the fitted TS
    (depth: extra T0 / sigma_t splits of a finest node that exceeds tau)."""
    model, smin, ra, dec, out = skies
    proven_at_20 = 0
    for sky in out:
        sb = SkyBounds(model, smin, sky["ra_s"], sky["t_s"], depth=depth)
        assert sb.applicable
        for k in range(ra.size):
            tsk = sky["ts"][k]
            for tau in (tsk - 1e-6, tsk - 1.0, -1.0, 5.0, 12.0, 20.0):
                if sb.below(float(ra[k]), float(dec[k]), tau) <= tau:
                    assert tsk <= tau, (k, tsk, tau)
                    proven_at_20 += tau == 20.0
    # and it is not vacuous: most pixels are proven below TS 20
    assert proven_at_20 > 0.7 * 3 * ra.size


@pytest.mark.slow  # full fits of every pixel of three skies (~50 CPU-s)
@pytest.mark.parametrize("p_guess", [1e-9, 0.05, 1.0])
def test_fast_pruned_sky_minima_equal_the_full_sky(skies, p_guess):
    """pruned_sky gives the full sky's hemisphere minima exactly, whatever the starting guess
    (1e-9: every pixel tested, the target then lowered; 1.0: the running minimum decides)."""
    model, smin, ra, dec, out = skies
    hemi = _hemispheres(dec)
    n_fit = []
    for sky, p_fn, p_low_fn, p_full in _leave_one_out(out, dec):
        res = pruned_sky(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=sky["ra_s"],
                         time_events=sky["t_s"], p_guess=p_guess)
        for h, name in ((0, "north"), (1, "south")):
            assert res.p_min[name] == float(np.min(p_full[hemi == h]))
        fitted = np.isfinite(res.ts)
        np.testing.assert_allclose(res.ts[fitted], sky["ts"][fitted], rtol=0, atol=1e-9)
        skipped = np.isfinite(res.bound)
        assert not np.any(fitted & skipped)
        assert np.all(sky["ts"][skipped] <= res.bound[skipped])  # skipped: proven below
        n_fit.append(res.n_fitted)
    assert min(n_fit) < ra.size  # pixels were skipped


@pytest.mark.slow  # full fits of every pixel of three skies (~50 CPU-s)
def test_pruned_sky_stops_a_hemisphere_at_p_stop(skies):
    """With p_stop, a hemisphere stops at the first pixel at or below it: its p_min is an upper
    bound of the minimum, at most p_stop, after fewer fits; a p_stop below the minimum is never
    reached (exact minimum, not stopped); the other hemisphere is untouched."""
    model, smin, ra, dec, out = skies
    hemi = _hemispheres(dec)
    north = hemi == 0
    for sky, p_fn, p_low_fn, p_full in list(_leave_one_out(out, dec))[:2]:  # two skies suffice
        true_min = float(np.min(p_full[north]))
        p_stop = float(np.quantile(p_full[north], 0.5))
        assert p_stop > true_min
        sb = SkyBounds(model, smin, sky["ra_s"], sky["t_s"])  # shared by both runs
        res = pruned_sky(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=sky["ra_s"],
                         time_events=sky["t_s"], p_guess=1.0, bounds=sb,
                         p_stop={"north": p_stop})
        assert res.stopped == {"north": True, "south": False}
        assert true_min <= res.p_min["north"] <= p_stop
        assert res.p_min["south"] == float(np.min(p_full[hemi == 1]))
        fitted = np.isfinite(res.ts)
        np.testing.assert_allclose(res.ts[fitted], sky["ts"][fitted], rtol=0, atol=1e-9)
        low = pruned_sky(model, ra, dec, hemi, p_fn, p_low_fn, smin, ra_events=sky["ra_s"],
                         time_events=sky["t_s"], p_guess=1.0, bounds=sb,
                         p_stop={"north": 0.5 * true_min})
        assert low.stopped == {"north": False, "south": False}
        assert low.p_min["north"] == true_min
        # stopping saved northern fits
        assert np.sum(np.isfinite(res.ts[north])) < np.sum(np.isfinite(low.ts[north]))


def test_behaviour_record_keeps_equal_numbers_and_refuses_changed_ones(tmp_path, monkeypatch):
    import json

    from bayesnu.errors import InputError
    from bayesnu.flare import prune

    first = prune.check_behaviour(tmp_path)
    rec = tmp_path / prune.BEHAVIOUR_FILE
    assert rec.exists() and np.all(np.isfinite(first)) and np.ptp(first) > 1.0
    np.testing.assert_array_equal(prune.check_behaviour(tmp_path), first)  # same code: valid
    # a refactor moving the numbers by far less than the tolerance keeps the folder valid
    real_fit = prune.fit_flare

    class _Scaled:
        def __init__(self, f, scale):
            self.f, self.scale = f, scale

        def __call__(self, *a, **k):
            r = real_fit(*a, **k)
            r.ts = r.ts * self.scale
            return r

    monkeypatch.setattr(prune, "fit_flare", _Scaled(real_fit, 1.0 + 1e-9))
    prune.check_behaviour(tmp_path)
    # a change of the numerics beyond 1e-6 relative is refused with a clear message
    monkeypatch.setattr(prune, "fit_flare", _Scaled(real_fit, 1.0 + 1e-5))
    with pytest.raises(InputError, match="other numbers"):
        prune.check_behaviour(tmp_path)
    monkeypatch.setattr(prune, "fit_flare", real_fit)
    rec.write_text(json.dumps({"probe_ts": (first * (1 + 2e-6)).tolist()}))
    with pytest.raises(InputError, match="use a new output folder"):
        prune.check_behaviour(tmp_path)
    rec.write_text("{not json")
    with pytest.raises(InputError, match="unreadable"):
        prune.check_behaviour(tmp_path)
