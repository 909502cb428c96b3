"""Light curves: validation, loaders, preparation, Bayesian blocks, flares, classes, DCF."""

from __future__ import annotations

import numpy as np
import pytest

import bayesnu.lightcurve as L
from bayesnu.errors import InputError


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


# --------------------------------------------------------------------------- validation

def test_bad_light_curves_give_one_line_errors():
    with pytest.raises(InputError) as e:
        L.LightCurve([3.0, 1.0, 2.0], [1, 1, 1], [0.1, 0.1, 0.1], name="x")
    assert "not sorted" in _one_line(e) and "'x'" in str(e.value)
    with pytest.raises(InputError) as e:
        L.LightCurve([], [], [], name="e")
    assert "empty" in _one_line(e)
    lc = L.LightCurve([1.0, 2.0, 3.0], [1.0, -2.0, 1.0], [0.1, 0.1, 0.1], name="neg")
    with pytest.raises(InputError) as e:
        lc.require(nonnegative=True, what="flare levels")
    assert "negative flux" in _one_line(e)
    short = L.LightCurve([1.0, 2.0], [1.0, 2.0], [0.1, 0.1], name="short")
    with pytest.raises(InputError) as e:
        L.find_flares(short)
    assert "at least 3" in _one_line(e)
    with pytest.raises(InputError) as e:
        L.LightCurve([1.0, 1.0, 2.0], [1, 1, 1], [0.1, 0.1, 0.1])
    assert "repeated time" in _one_line(e)
    with pytest.raises(InputError) as e:
        L.LightCurve([1.0, 2.0, 3.0], [1, 1, 1], [0.1, -0.1, 0.1])
    assert "negative error" in _one_line(e)


def test_flare_levels_reject_negative_fluxes():
    from bayesnu.blazar.temporal import flare_levels

    lc = L.LightCurve([1.0, 2.0, 3.0, 4.0], [1.0, -2.0, 1.0, 3.0], [0.1] * 4, name="neg")
    with pytest.raises(InputError) as e:
        flare_levels([lc])
    assert "negative flux" in _one_line(e)


def test_csv_roundtrip_and_errors(tmp_path):
    p = tmp_path / "wise.csv"
    p.write_text("# band: WISE W2\n# unit: mJy\n# name: J0000\nmjd,flux,flux_err,ul\n"
                 "55000.5,10,1,0\n55180.1,12,1.1,false\n55360.2,30,2,0\n55540.9,9,1,1\n")
    lc = L.read_csv(p)
    assert lc.name == "J0000" and lc.band == "WISE W2" and lc.unit == "mJy"
    assert lc.n == 4 and lc.upper_limit.tolist() == [False, False, False, True]
    L.write_csv(lc, tmp_path / "back.csv")
    lc2 = L.read_csv(tmp_path / "back.csv")
    assert np.array_equal(lc2.flux, lc.flux) and np.array_equal(lc2.time, lc.time)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,flux,error\n2,1,1\n1,1,1\n3,1,1\n")
    with pytest.raises(InputError) as e:
        L.read_csv(bad)
    assert "bad.csv:3" in _one_line(e) and "not sorted" in str(e.value)
    bad.write_text("time,flux\n1,1\n")
    with pytest.raises(InputError) as e:
        L.read_csv(bad)
    assert "error" in _one_line(e)
    bad.write_text("time,flux,error\n1,abc,1\n")
    with pytest.raises(InputError) as e:
        L.read_csv(bad)
    assert "bad.csv:2" in _one_line(e) and "flux" in str(e.value)
    bad.write_text("time,flux,error\n")
    with pytest.raises(InputError) as e:
        L.read_csv(bad)
    assert "empty" in _one_line(e)


# --------------------------------------------------------------------------- loaders

def test_fermi_loaders_shapes():
    s4 = L.fermi_4fgl_dr2()
    # the Crab inverse-Compton component has no published light curve
    assert s4.meta["dropped_no_light_curve"] == ["4FGLJ0534.5+2201i"]
    assert s4.n_sources == 5787 and s4.n_bins == 10
    assert s4.edges[0] == pytest.approx(54682.66) and np.allclose(np.diff(s4.edges), 365.25)
    assert np.all(s4.error > 0) and s4.upper_limit.any()
    s3 = L.fermi_3fgl()
    assert s3.n_bins == 48 and s3.n_sources == 3034 - len(s3.meta["dropped_no_light_curve"])
    assert 54675 < s3.edges[0] < 54685 and 56135 < s3.edges[-1] < 56145
    lc = s4.curve(s4.index("4FGL J0509.4+0542"))  # TXS 0506+056
    assert lc.binned and lc.n == 10 and lc.meta["Variability_Index"] > 18.48


def test_variable_selection_gives_992_sources():
    from bayesnu.blazar.temporal import select_variable

    s4 = L.fermi_4fgl_dr2()
    assert int(select_variable(s4).sum()) == 992


# --------------------------------------------------------------------------- preparation

def test_preparation_steps():
    t = np.array([0.0, 1.0, 2.0, 100.0, 101.0, 300.0, 600.0, 900.0, 1200.0, 1500.0, 1800.0])
    f = np.array([10.0, 12.0, 11.0, 20.0, 22.0, 10.0, 10.5, 9.5, 10.0, 200.0, 0.1])
    e = np.full(t.size, 1.0)
    lc = L.LightCurve(t, f, e, name="p")
    m = L.merge_close(lc, 15.0)
    assert m.n == 8 and m.flux[0] == pytest.approx(11.0) and m.error[0] == pytest.approx(np.sqrt(3) / 3)
    assert m.t_lo[0] == 0.0 and m.t_hi[0] == 2.0
    c = L.clip_outliers(m, 2.5)
    assert 200.0 not in c.flux and c.n == m.n - 1
    s = L.snr_cut(c, 2.0)
    assert 0.1 not in s.flux
    g = L.fill_gap(L.LightCurve([55000.0, 55300, 56700, 56900], [1.0, 2, 3, 4], [0.1] * 4),
                   L.WISE_GAP_MJD)
    assert g.n == 6 and g.artificial.sum() == 2
    assert np.allclose(g.time[g.artificial], [55780.0, 56320.0])
    assert np.allclose(g.flux[g.artificial], 2.5)


# --------------------------------------------------------------------------- blocks and flares

def test_numba_blocks_equal_astropy():
    rng = np.random.default_rng(3)
    n_cmp = 0
    for _ in range(150):
        n = int(rng.integers(4, 60))
        t = np.unique(np.sort(rng.uniform(0, 3000, n)))
        x = rng.normal(5, 1, t.size) + 6 * ((t > 1000) & (t < 1400))
        s = rng.uniform(0.3, 1.5, t.size)
        lc = L.LightCurve(t, x, s)
        a = L.bayesian_blocks(lc, 0.01)
        if a.n_blocks == lc.n:  # astropy drops one change point in this corner case
            continue
        b = L.bayesian_blocks(lc, 0.01, engine="astropy")
        assert np.array_equal(a.change_points, b.change_points)
        n_cmp += 1
    assert n_cmp > 100


def test_blocks_recover_simulated_flares():
    """Simulated light curve (labelled simulated): quiescent 1.0 with two flares."""
    rng = np.random.default_rng(11)
    t = np.arange(54700.0, 57700.0, 30.0)
    truth = np.ones_like(t)
    fl1 = (t >= 55300) & (t < 55480)
    fl2 = (t >= 56500) & (t < 56800)
    truth[fl1] = 4.0
    truth[fl2] = 3.0
    err = np.full(t.size, 0.2)
    lc = L.LightCurve(t, truth + rng.normal(0, 0.2, t.size), err, name="simulated",
                      t_lo=t - 15, t_hi=t + 15)
    fr = L.find_flares(lc)
    assert fr.n_flares == 2 and not fr.fell_back
    assert fr.intervals[0] == pytest.approx([55285.0, 55465.0], abs=31)
    assert fr.intervals[1] == pytest.approx([56485.0, 56785.0], abs=31)
    assert fr.quiescent == pytest.approx(1.0, abs=0.2)
    # the set path gives the same flares
    s = L.LightCurveSet(np.append(lc.t_lo, lc.t_hi[-1]), lc.flux[None], lc.error[None],
                        np.zeros((1, lc.n), bool), np.array(["simulated"]), [0.0], [0.0])
    fs = L.find_flares_set(s)[0]
    assert np.array_equal(fs.intervals, fr.intervals)


def test_fallback_p0_and_quiescent_definition():
    lc = L.LightCurve(np.arange(10.0) * 100, [1.0, 1.1, 0.2, 1.3, 2.0, 1.2, 1.0, 1.4, 1.1, 1.2],
                      [0.5] * 10)
    # faintest round(0.3*10) = 3 detections: 0.2, 1.0, 1.0; drop 0.2 -> 1.0
    assert L.quiescent_flux(lc) == pytest.approx(1.0)
    fr = L.find_flares(lc)
    assert fr.p0 == 0.05 and fr.fell_back  # nothing significant at p0 = 0.01
    assert L.excess_variance(lc) == pytest.approx(
        (np.var(lc.flux, ddof=1) - 0.25) / np.mean(lc.flux) ** 2)


def _fr(intervals, span=(0.0, 3000.0)):
    iv = np.asarray(intervals, float).reshape(-1, 2)
    bl = L.Blocks(np.array([0, 1]), np.array(span), np.array([1.0]), 0.01)
    return L.FlareResult("s", bl, 0.01, False, 1.0, 1.0, 0.1, 1.1, np.ones(1, bool), iv, span)


def test_stages_and_classes():
    he = _fr([[1000, 1060]])
    txs = _fr([[1200, 1500]])
    assert L.classify_pair(he, txs)[0] == "TXS-like"
    assert L.classify_pair(he, _fr([[1400, 1500]]))[0] == "TXS-like"
    assert L.classify_pair(he, _fr([[1700, 1750]]))[0] == "NFS"  # shorter than HE flare
    assert L.classify_pair(he, _fr([[2000, 2300]]))[0] == "NFS"  # lag > 500 d
    c, st = L.classify_pair(_fr([[1000, 1100]]), _fr([[1010, 1100]]))
    assert c == "CFS" and st.simultaneous_time == 90 and st.total_time == 100
    assert st.simultaneous_ratio == pytest.approx(0.9)
    st_sum = L.flare_stages(_fr([[1000, 1100]]), _fr([[1010, 1100]]), total="sum")
    assert st_sum.total_time == 190
    c, st = L.classify_pair(_fr([[1000, 1100], [2000, 2400]]), _fr([[1050, 1300]]))
    assert c == "TXS-like" and st.simultaneous_time == 50  # 50 <= 700/4, long LE after HE
    c, st = L.classify_pair(_fr([[1000, 1100], [2000, 2100]]), _fr([[1000, 1050], [1500, 1520]]))
    assert c == "mixed" and st.simultaneous_time == 50 and st.total_time == 220
    assert L.classify_pair(_fr([]), _fr([]))[0] == "no_flare"
    assert L.classify_pair(he, _fr([]))[0] == "one_band"
    # common window: the low-energy curve covers only 1100-3000
    st = L.flare_stages(_fr([[1000, 1200]]), _fr([[1100, 1300]], span=(1100.0, 3000.0)))
    assert st.high.tolist() == [[1100.0, 1200.0]] and st.simultaneous_time == 100


def test_ambiguous_rule_direction_is_a_parameter():
    t = np.arange(12.0) * 100
    f = np.array([1, 1.2, 0.9, 1.1, 5, 5.2, 1, 0.8, 1.1, 1.0, 1.2, 0.9])
    lc = L.LightCurve(t, f, np.full(12, 0.1))
    fr = L.find_flares(lc)
    assert fr.n_flares == 1
    gt = L.variability_flags(lc, fr, 50.0)
    lt = L.variability_flags(lc, fr, 50.0, ambiguous_rule="lt")
    assert gt["std_ratio"] < 0.9 and not gt["ambiguous"] and lt["ambiguous"]
    nv = L.variability_flags(lc, fr, 10.0, block_ratio_min=100.0)
    assert nv["non_variable"]


def test_classify_all_4fgl_curves():
    s4 = L.fermi_4fgl_dr2()
    c = L.classify_set(s4)
    assert c["status"].size == 5787
    assert set(np.unique(c["status"])) <= {"flaring", "no_flare", "non_variable", "ambiguous"}
    # a source with Variability_Index > 18 is never "non_variable"
    assert not np.any(c["non_variable"] & (s4.columns["Variability_Index"] > 18))
    assert (c["status"] == "flaring").sum() > 500


# --------------------------------------------------------------------------- DCF

def test_dcf_recovers_known_lag():
    """Simulated pair (labelled simulated): b is a copy of a delayed by 120 d, other sampling."""
    rng = np.random.default_rng(5)

    def signal(t):
        return (1 + 3 * np.exp(-0.5 * ((t - 1000) / 40) ** 2)
                + 2 * np.exp(-0.5 * ((t - 2200) / 60) ** 2)
                + 2.5 * np.exp(-0.5 * ((t - 3100) / 50) ** 2))

    ta = np.sort(rng.uniform(0, 4000, 300))
    tb = np.sort(rng.uniform(0, 4000, 250))
    a = L.LightCurve(ta, signal(ta) + rng.normal(0, 0.05, ta.size), np.full(ta.size, 0.05))
    b = L.LightCurve(tb, signal(tb - 120) + rng.normal(0, 0.05, tb.size), np.full(tb.size, 0.05))
    r = L.dcf(a, b, bin_width=20.0, max_lag=600.0)
    assert r.lag_max == pytest.approx(120.0, abs=20.0)
    assert r.lag_gauss == pytest.approx(120.0, abs=15.0)
    assert r.noise_corrected and np.nanmax(r.dcf) > 0.8
    r2 = L.dcf(b, a, bin_width=20.0, max_lag=600.0)
    assert r2.lag_max == pytest.approx(-120.0, abs=20.0)


def test_local_dcf_is_bounded_and_finds_the_lag():
    rng = np.random.default_rng(7)
    t = np.arange(0.0, 3000.0, 10.0)
    sig = 1 + np.exp(-0.5 * ((t - 1200) / 60) ** 2) + 0.5 * np.exp(-0.5 * ((t - 2100) / 90) ** 2)
    a = L.LightCurve(t, sig + rng.normal(0, 0.02, t.size), np.full(t.size, 0.02))
    tb = t[(t > 900) & (t < 2600)]  # shorter span
    b = L.LightCurve(tb, np.interp(tb - 80, t, sig) + rng.normal(0, 0.02, tb.size),
                     np.full(tb.size, 0.02))
    r = L.dcf(a, b, 20.0, 500.0, local=True)
    ok = np.isfinite(r.dcf)
    assert np.all(np.abs(r.dcf[ok]) <= 1 + 1e-9)
    assert r.lag_max == pytest.approx(80.0, abs=20.0)
