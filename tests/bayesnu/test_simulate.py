"""Simulation: scrambled backgrounds, signal injection, cascade sample, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import bayesnu.detector as D
import bayesnu.simulate as S
from bayesnu.data import load
from bayesnu.errors import InputError


@pytest.fixture(scope="module")
def ic40():
    return load("ic40")


@pytest.fixture(scope="module")
def ic86():
    return load("ic86_2011")


@pytest.fixture(scope="module")
def txs():
    return load("txs0506")


# ---------------------------------------------------------------- scrambling
@pytest.mark.parametrize("name", ["ic40", "ic86"])
def test_scrambled_background_reproduces_marginals(request, name):
    """Two-sample tests: scrambled events in one RA half vs data events in that RA half.

    Selecting an RA half picks *different* events from data and scramble, so the test
    checks that the scramble keeps the sin(dec) and log10 E distributions (and that they
    are RA independent), not merely that columns are copied.
    """
    ds = request.getfixturevalue(name)
    rng = np.random.default_rng(7)
    sc = S.scramble(rng, ds)
    d, s = ds[0], sc[0]
    assert np.array_equal(np.sort(d.dec), np.sort(s.dec))
    hd, hs = d.ra < 180.0, s.ra < 180.0
    for col in ("sindec", "log10e"):
        p_ks = stats.ks_2samp(getattr(d, col)[hd], getattr(s, col)[hs]).pvalue
        assert p_ks > 1e-3, (col, p_ks)
    # scrambled RA uniform
    assert stats.kstest(s.ra / 360.0, "uniform").pvalue > 1e-3


def test_time_scramble_uniform_in_livetime(ic40):
    rng = np.random.default_rng(8)
    s = S.scramble(rng, ic40, ra=False, time=True)[0]
    up = s.uptime
    assert np.all(up.contains(s.time))
    u = up.cumulative_livetime(s.time) / up.livetime_days
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert np.array_equal(s.ra, ic40[0].ra)


def test_time_scramble_keep_local_rotates_ra(ic40):
    rng = np.random.default_rng(9)
    d = ic40[0]
    s = S.scramble(rng, ic40, ra=False, time=True, keep_local=True)[0]
    # RA - 360 * sidereal * t is invariant (local hour angle kept)
    from bayesnu.simulate.scramble import SIDEREAL_PER_SOLAR as k

    h_d = np.mod(d.ra - 360.0 * k * d.time, 360.0)
    h_s = np.mod(s.ra - 360.0 * k * s.time, 360.0)
    diff = np.mod(h_d - h_s + 180.0, 360.0) - 180.0
    assert np.max(np.abs(diff)) < 1e-5


def test_txs_scramble_respects_box(txs):
    rng = np.random.default_rng(10)
    sc = S.scramble(rng, txs)
    for d, s in zip(txs.samples, sc.samples):
        fp = d.footprint
        assert not fp.full_sky
        assert np.all((s.ra >= fp.ra_min) & (s.ra <= fp.ra_max))
    cat = sc.concatenated()
    fp = txs[0].footprint
    assert stats.kstest((cat["ra"] - fp.ra_min) / (fp.ra_max - fp.ra_min), "uniform").pvalue > 1e-3


# ---------------------------------------------------------------- injection
def test_injected_count_is_poisson_with_expected_mean(ic40):
    rng = np.random.default_rng(12)
    n = []
    models = S.prepare_injection(ic40)
    for _ in range(300):
        _, info = S.inject(rng, ic40, 77.36, 5.69, 2.0, ns=15.0, background=False, models=models)
        n.append(info["n_injected"]["IC40"])
    n = np.array(n)
    assert abs(n.mean() - 15.0) < 4 * np.sqrt(15.0 / n.size)
    assert 0.7 < n.var() / 15.0 < 1.35


def test_flux_injection_matches_expected_events(ic40):
    rng = np.random.default_rng(13)
    phi = 2e-18
    _, info = S.inject(rng, ic40, 30.0, 20.0, 2.5, phi0=phi, background=False)
    assert info["ns_expected"] == pytest.approx(D.expected_events(ic40, 20.0, phi, 2.5), rel=1e-12)


def test_injected_spatial_spread_matches_psf(ic40):
    rng = np.random.default_rng(14)
    out, info = S.inject(rng, ic40, 200.0, 40.0, 2.0, ns=3000, background=False)
    s = out[0]
    psi = D.angular_distance(s.ra, s.dec, 200.0, 40.0)
    # psi / sigma_i: (psi/sigma)^2 ~ chi2(2) when the PSF width equals the angular error
    r2 = (psi / s.angerr) ** 2
    assert stats.kstest(r2[s.angerr < 5], "chi2", args=(2,)).pvalue > 1e-3
    assert np.median(psi) == pytest.approx(1.1774 * np.median(s.angerr), rel=0.1)


@pytest.mark.parametrize("dec", [-20.0, 5.0, 30.0, 60.0])
def test_injected_angular_errors_follow_data(ic86, dec):
    """P(angerr | log10 E, dec) of injected signal equals the data's (two-sample KS).

    The point-source likelihood assumes signal and background share it; an injector
    that breaks this biases ns (VALIDATION.md, likelihood section).
    """
    rng = np.random.default_rng(31)
    out, _ = S.inject(rng, ic86, 150.0, dec, 2.0, ns=3000, poisson=False, background=False)
    sig, dat = out[0], ic86[0]
    band = np.abs(dat.sindec - np.sin(np.radians(dec))) < 0.05
    n_bins = 0
    for lo in np.arange(2.8, 5.6, 0.2):
        d = band & (dat.log10e >= lo) & (dat.log10e < lo + 0.2)
        g = (sig.log10e >= lo) & (sig.log10e < lo + 0.2)
        if d.sum() < 100 or g.sum() < 100:
            continue
        n_bins += 1
        assert stats.ks_2samp(sig.angerr[g], dat.angerr[d]).pvalue > 1e-3, (dec, lo)
    assert n_bins >= 3


def test_injected_energies_follow_spectrum(ic40):
    rng = np.random.default_rng(15)
    s = ic40[0]
    lt = S.sample_true_energies(rng, s, 10.0, 2.0, 50000)
    edges = s.aeff.log10e_edges
    w = D.true_energy_weights(s, 10.0, 2.0, edges)
    h = np.histogram(lt, edges)[0]
    exp = w / w.sum() * lt.size
    ok = exp > 10
    chi2 = np.sum((h[ok] - exp[ok]) ** 2 / exp[ok])
    assert stats.chi2.sf(chi2, ok.sum() - 1) > 1e-3
    # harder spectrum -> higher reconstructed energies
    o2, _ = S.inject(rng, ic40, 30.0, 10.0, 2.0, ns=2000, background=False)
    o3, _ = S.inject(rng, ic40, 30.0, 10.0, 3.0, ns=2000, background=False)
    assert np.median(o2[0].log10e) > np.median(o3[0].log10e) + 0.2


def test_flare_times(ic40):
    rng = np.random.default_rng(16)
    up = ic40[0].uptime
    t0 = 0.5 * (up.start + up.stop)
    out, _ = S.inject(rng, ic40, 30.0, 10.0, 2.0, ns=3000, flare=("gauss", t0, 10.0), background=False)
    t = out[0].time
    assert np.all(up.contains(t))
    assert abs(np.mean(t) - t0) < 1.0 and np.std(t) == pytest.approx(10.0, rel=0.08)
    out, _ = S.inject(rng, ic40, 30.0, 10.0, 2.0, ns=500, flare=(t0, t0 + 5.0), background=False)
    t = out[0].time
    assert np.all((t >= t0) & (t <= t0 + 5.0)) and np.all(up.contains(t))


def test_injection_into_background_marks_signal(ic40):
    rng = np.random.default_rng(17)
    out, info = S.inject(rng, S.scramble(rng, ic40), 100.0, -20.0, 2.0, ns=30)
    s = out[0]
    ex = s.meta["extra"]
    assert s.size == ic40[0].size + info["n_injected"]["IC40"]
    assert int(ex["is_signal"].sum()) == info["n_injected"]["IC40"]
    assert np.all(np.isfinite(ex["true_log10e"][ex["is_signal"] == 1]))


def test_inject_bad_input(ic40):
    rng = np.random.default_rng(0)
    with pytest.raises(InputError):
        S.inject(rng, ic40, 10.0, 95.0, 2.0, ns=3)
    with pytest.raises(InputError):
        S.inject(rng, ic40, 10.0, 5.0, 2.0)
    with pytest.raises(InputError):
        S.inject(rng, ic40, 10.0, 5.0, 2.0, ns=3, flare=("gauss", 55000.0, -1.0))


def test_multi_sample_injection_splits_ns(txs):
    rng = np.random.default_rng(18)
    src = (77.3582, 5.6931)
    _, info = S.inject(rng, txs, *src, 2.0, ns=20.0, background=False)
    mu = np.array(list(info["mu"].values()))
    assert mu.sum() == pytest.approx(20.0)
    exp = np.array([D.expected_events(s, src[1], 1.0, 2.0) for s in txs.samples])
    assert np.allclose(mu / mu.sum(), exp / exp.sum())


# ---------------------------------------------------------------- cascade + CLI
def test_cascade_sample_and_its_scramble():
    rng = np.random.default_rng(19)
    ds = S.cascade_sample(rng, n_events=20000)
    s = ds[0]
    assert s.size == 20000
    sc = S.scramble(rng, ds)[0]
    hd, hs = s.ra < 180, sc.ra < 180
    assert stats.ks_2samp(s.sindec[hd], sc.sindec[hs]).pvalue > 1e-3
    # injected cascade signal: reco energies inside the sample range
    out, info = S.inject(rng, ds, 150.0, -30.0, 2.53, ns=200, background=False)
    lo, hi = s.meta["log10e_reco_range"]
    assert np.all((out[0].log10e >= lo) & (out[0].log10e <= hi))
    assert np.median(D.angular_distance(out[0].ra, out[0].dec, 150.0, -30.0)) > 3.0


def test_cli_simulate_roundtrip(tmp_path, capsys):
    from bayesnu.cli import main

    out = tmp_path / "casc.npz"
    rc = main(["simulate", "cascade", "--out", str(out), "--seed", "3", "--n-events", "3000",
               "--json", "--quiet"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n_events"] == 3000
    back = load(str(out))
    assert back.n_events == 3000
    inj = tmp_path / "inj.npz"
    rc = main(["simulate", "inject", "--data", str(out), "--ra", "10", "--dec", "20", "--ns", "50",
               "--gamma", "2.5", "--flare", "gauss", "--t0", "57000", "--sigma-t", "20",
               "--out", str(inj), "--seed", "4", "--json", "--quiet"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert load(str(inj)).n_events == 3000 + res["n_injected"]["cascade"]
    rc = main(["simulate", "scramble", "--data", "ic40", "--out", str(tmp_path / "s.npz"),
               "--seed", "1", "--json", "--quiet"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["n_events"] == 36900


def test_cli_simulate_bad_args(tmp_path, capsys):
    from bayesnu.cli import main

    rc = main(["simulate", "inject", "--data", "ic40", "--ra", "10", "--dec", "120", "--ns", "5",
               "--out", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "--dec" in err
    rc = main(["simulate", "inject", "--data", "ic40", "--ra", "10", "--dec", "10", "--ns", "5",
               "--flare", "gauss", "--t0", "55000", "--out", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "sigma-t" in err
    rc = main(["simulate", "cascade", "--out", str(tmp_path / "c.npz"), "--n-events", "-5"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1


def test_gaussian_flare_centred_in_a_gap_uses_the_tails(ic40):
    """A flare whose peak falls in a detector gap is seen only in its (far) tails."""
    up = ic40[0].uptime
    iv = up.intervals
    g = int(np.argmax(iv[1:, 0] - iv[:-1, 1]))
    gap = iv[g + 1, 0] - iv[g, 1]
    t0, sig = 0.5 * (iv[g, 1] + iv[g + 1, 0]), gap / 12
    t = S.GaussianFlare(t0, sig).sample_times(np.random.default_rng(2), 4000, up)
    assert np.all(up.contains(t))
    near = np.minimum(np.abs(t - iv[g, 1]), np.abs(t - iv[g + 1, 0]))
    assert np.all(near < 2 * sig)   # all draws hug the two run edges next to the gap
    assert 0.3 < np.mean(t < t0) < 0.7  # symmetric gap -> both sides equally
    assert D.exposure_seconds(up, ("gauss", t0, sig)) > 0
