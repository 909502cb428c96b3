"""Temporal R(t) test, window scan, control samples and simultaneity test."""

from __future__ import annotations

import numpy as np
import pytest
from bayesnu.inference import blazar_temporal as BT

import bayesnu.lightcurve as L
from bayesnu.blazar import temporal as T
from bayesnu.errors import InputError


def _alerts(ra, dec, mjd, w=2.0):
    n = len(ra)
    return T.Alerts(np.array([f"A{i}" for i in range(n)]), np.asarray(mjd, float),
                    np.asarray(ra, float), np.asarray(dec, float), np.full(n, w), np.full(n, w),
                    np.full(n, w), np.full(n, w))


def test_alert_without_error_region_is_refused():
    with pytest.raises(InputError) as e:
        T.Alerts(np.array(["IC1", "IC2"]), np.array([58000.0, 58100.0]), np.array([10.0, 20.0]),
                 np.array([0.0, 5.0]), np.array([1.0, np.nan]), np.array([1.0, 1.0]),
                 np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    msg = str(e.value)
    assert "\n" not in msg and "IC2" in msg and "no error region" in msg
    with pytest.raises(InputError, match="no error region"):
        T.Alerts(np.array(["IC1"]), np.array([58000.0]), np.array([10.0]), np.array([0.0]),
                 np.array([1.0]), np.array([0.0]), np.array([1.0]), np.array([1.0]))


def test_icecat_selection_and_regions():
    al = T.alerts_from_icecat()
    assert len(al) == 221
    pa, ps = T.region_pairs(al, np.array([al.ra[0], (al.ra[0] + 180) % 360]),
                            np.array([al.dec[0], al.dec[0]]))
    assert 0 in ps and 1 not in ps[pa == 0]
    # enlargement grows the regions monotonically
    s4 = L.fermi_4fgl_dr2()
    m = T.select_variable(s4)
    n = [T.region_pairs(al, s4.ra[m], s4.dec[m], f)[0].size for f in (1.0, 1.1, 1.3, 1.5)]
    assert n == sorted(n) and n[0] > 50


def _simulated_set(rng, n_src, alert_times, flare_at_alert):
    """Simulated monthly light curves (labelled simulated): level 1 +- 0.1, a 2-bin flare of
    level 6 at the source's alert time (if flare_at_alert) or at a random time."""
    edges = 54700.0 + 30.0 * np.arange(121)
    c = 0.5 * (edges[1:] + edges[:-1])
    flux = 1.0 + 0.1 * rng.random((n_src, c.size))
    for j in range(n_src):
        t = alert_times[j] if flare_at_alert[j] else rng.uniform(edges[0], edges[-1])
        k = int(np.clip(np.searchsorted(edges, t) - 1, 0, c.size - 2))
        flux[j, k:k + 2] = 6.0
    err = np.full_like(flux, 0.1)
    return L.LightCurveSet(edges, flux, err, np.zeros_like(flux, bool),
                           np.array([f"S{j}" for j in range(n_src)]), np.zeros(n_src),
                           np.zeros(n_src), columns={"Variability_Index": np.full(n_src, 100.0),
                                                     "GLAT": np.full(n_src, 45.0)})


def test_rt_peaks_at_zero_for_injected_flares():
    rng = np.random.default_rng(2)
    n_src = 60
    # 10 alerts, each containing source j < 10; 50 control sources elsewhere on the sky
    times = rng.uniform(55500, 57500, 10)
    ra = np.concatenate([np.arange(10) * 30.0 + 5, rng.uniform(0, 360, 50)])
    dec = np.concatenate([np.zeros(10), rng.uniform(20, 30, 50)])
    al = _alerts(ra[:10], dec[:10], times, w=1.0)
    at = np.concatenate([times, np.zeros(50)])
    s = _simulated_set(rng, n_src, at, np.arange(n_src) < 10)
    s = L.LightCurveSet(s.edges, s.flux, s.error, s.upper_limit, s.names, ra, dec,
                        columns=s.columns)
    lev = T.flare_levels(s)
    res = BT.rt_test(lev, ra, dec, al, dT=60.0, n_control=400, seed=3, t_max=900.0)
    k0 = int(np.argmin(np.abs(res.shifts)))
    assert len(res.pairs) == 10
    assert res.r_obs[k0] == pytest.approx(np.nanmax(res.r_obs))
    assert res.r_obs[k0] > 3
    assert res.p_pretrial[k0] == pytest.approx(1 / 401)
    d = res.to_dict()
    assert d["n_pairs"] == 10 and d["p_pretrial_at_0"] == pytest.approx(1 / 401)
    # the same data as a list of LightCurve (generic path) gives the same observed R(t)
    curves = [s.curve(j) for j in range(n_src)]
    lev2 = T.flare_levels(curves)
    res2 = BT.rt_test(lev2, ra, dec, al, dT=60.0, n_control=50, seed=3, t_max=900.0)
    assert np.allclose(res2.r_obs, res.r_obs, equal_nan=True)
    # shift-sign convention: sign=-1 mirrors R(t)
    res3 = BT.rt_test(lev, ra, dec, al, dT=60.0, n_control=20, seed=3, t_max=900.0, sign=-1)
    assert np.allclose(res3.r_obs, res.r_obs[::-1], equal_nan=True)


def test_control_samples_match_direct_computation():
    rng = np.random.default_rng(4)
    s = _simulated_set(rng, 5, np.full(5, 56000.0), np.zeros(5, bool))
    lev = T.flare_levels(s)
    shifts = T.shift_grid(45.0, 600.0)
    pair_t = np.array([56010.0, 56500.0])
    pool = np.array([1, 3])
    r = BT.control_samples(lev, pool, pair_t, shifts, 45.0, 6, seed=9)
    direct = {tuple(p): T.rt_observed(lev, np.array(p), pair_t, shifts, 45.0)
              for p in ([1, 3], [3, 1])}
    for row in r:
        assert any(np.allclose(row, d, equal_nan=True) for d in direct.values())
    # generic path (list of curves) gives the same rows for the same draws
    lev2 = T.flare_levels([s.curve(j) for j in range(5)])
    r2 = BT.control_samples(lev2, pool, pair_t, shifts, 45.0, 6, seed=9)
    for row in r2:
        assert any(np.allclose(row, d, equal_nan=True) for d in direct.values())


def test_scramble_r0_observed_and_window_scan():
    rng = np.random.default_rng(6)
    s4 = L.fermi_4fgl_dr2()
    m = T.select_variable(s4)
    sv = s4.subset(m)
    lev = T.flare_levels(sv)
    al = T.alerts_from_icecat()
    obs, scr = BT.scramble_r0(lev, sv.ra, sv.dec, al, [22.0, 90.0], 1.1, 200, seed=1)
    pa, ps = T.region_pairs(al, sv.ra, sv.dec, 1.1)
    direct = T.rt_observed(lev, ps, al.mjd[pa], np.zeros(1), 22.0)
    assert obs[0] == pytest.approx(direct[0])
    assert scr.shape == (200, 2) and np.isfinite(scr).mean() > 0.9
    scan = BT.window_scan(lev, sv.ra, sv.dec, al, [22.0, 90.0], (1.1, 1.5), n_scrambles=100,
                          seed=2)
    p = np.array(scan["p_value"])
    assert p.shape == (2, 2) and np.all((p >= 1 / 101) & (p <= 1))
    assert scan["best"]["p_value"] == p.min()
    del rng


def test_simultaneity_test_p_value():
    rng = np.random.default_rng(8)
    n = 300
    ra = rng.uniform(0, 360, n)
    dec = rng.uniform(-30, 30, n)
    tot = np.full(n, 100.0)
    sim = np.full(n, 10.0)
    al = _alerts(ra[:8], dec[:8], np.full(8, 57000.0), w=0.5)
    sim[:8] = 90.0  # simulated: sources in the alert regions flare simultaneously
    res = BT.simultaneity_test(sim, tot, ra, dec, np.arange(n).astype(str), al,
                               n_scrambles=2000, seed=5)
    assert res.statistic > 0.5 and res.n_sources_in_regions >= 8
    assert res.p_value == pytest.approx((res.n_exceed + 1) / 2001)
    assert res.p_value < 0.01
    # null case (simulated): ratios unrelated to position, larger regions
    sim = rng.uniform(0, 100, n)
    al2 = _alerts(ra[:8], dec[:8], np.full(8, 57000.0), w=6.0)
    res2 = BT.simultaneity_test(sim, tot, ra, dec, np.arange(n).astype(str), al2,
                                n_scrambles=2000, seed=5)
    assert 0.05 < res2.p_value < 0.95
    assert abs(res2.scrambled_mean - 0.5) < 0.05


def test_exclude_and_alert_size_cut():
    al = T.alerts_from_icecat()
    small = T.alerts_from_icecat(max_half_width=5.0)
    assert 0 < len(small) < len(al)
    hw = np.max(np.column_stack([small.ra_minus, small.ra_plus, small.dec_minus,
                                 small.dec_plus]), axis=1)
    assert np.all(hw <= 5.0)
    s3 = L.fermi_3fgl()
    v = s3.subset(T.select_variable(s3, vi_min=T.VI_99_3FGL))
    lev = T.flare_levels(v)
    # 3C 454.3's 2010 flare dominates R(t) of the 3FGL curves near t = -540 d
    r = BT.rt_test(lev, v.ra, v.dec, al, 180.0, 1.5, n_control=20, seed=1, t_max=540.0,
                   step=540.0)
    rx = BT.rt_test(lev, v.ra, v.dec, al, 180.0, 1.5, n_control=20, seed=1, t_max=540.0,
                    step=540.0, exclude=["3FGL J2254.0+1608"])
    assert r.r_obs[0] > 3 and rx.r_obs[0] < 1.5
    assert len(rx.pairs) < len(r.pairs)
    with pytest.raises(InputError, match="not among the candidates"):
        BT.rt_test(lev, v.ra, v.dec, al, 180.0, 1.5, n_control=5, seed=1, exclude=["nope"])


def test_campaign_folder_gives_the_same_controls_and_resumes(tmp_path):
    rng = np.random.default_rng(4)
    s = _simulated_set(rng, 8, np.full(8, 56000.0), np.zeros(8, bool))
    lev = T.flare_levels(s)
    shifts = T.shift_grid(60.0, 600.0)
    pair_t = np.array([56010.0, 56500.0, 57000.0])
    pool = np.arange(8)
    mem = BT.control_samples(lev, pool, pair_t, shifts, 60.0, 70, seed=5, chunk_size=20)
    disk = BT.control_samples(lev, pool, pair_t, shifts, 60.0, 70, seed=5, chunk_size=20,
                              out_dir=tmp_path / "c")
    assert np.array_equal(mem, disk, equal_nan=True)
    again = BT.control_samples(lev, pool, pair_t, shifts, 60.0, 70, seed=5, chunk_size=20,
                               out_dir=tmp_path / "c")
    assert np.array_equal(disk, again, equal_nan=True)
    assert len(list((tmp_path / "c").glob("chunk_*.npz"))) == 4
