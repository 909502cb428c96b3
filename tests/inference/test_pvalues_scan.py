"""Scrambled-sky campaigns of the flare scan (full TS maps, resumable) and the scan CLI p-values.

Small real inputs: the TXS 0506+056 release's IC86b season (320 events in a
6 x 6 deg box) scanned at nside 64 (45 pixels per sky).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from bayesnu.inference.campaign import run_campaign
from bayesnu.inference.flare_scan import scan_pvalues

from bayesnu.cli import main
from bayesnu.data.loaders import load
from bayesnu.flare.scan import scan_sky, sky_scramble_trials


@pytest.fixture(scope="module")
def ic86b():
    return load("txs0506")["IC86b"]


def _camp(sample, n, out, seed=7):
    return run_campaign(sky_scramble_trials, n, out, seed=seed, chunk_size=1,
                        args=(sample, 64, "gauss"), scheduler="serial", progress=False,
                        meta={"nside": 64})


def test_scrambled_sky_campaign_keeps_maps_and_resumes(ic86b, tmp_path):
    first = _camp(ic86b, 2, tmp_path / "a")
    assert first.n_chunks_run == 2
    again = _camp(ic86b, 3, tmp_path / "a")
    assert again.n_chunks_run == 1 and again.n_chunks_reused == 2
    assert len(list((tmp_path / "a").glob("chunk_*.npz"))) == 3
    ts, pix = again["ts"], again["pixels"]
    obs = scan_sky(ic86b, nside=64)
    assert ts.shape == (3, obs.pixels.size) and ts.dtype == np.float32
    assert np.all(pix == obs.pixels)
    assert np.all(np.isfinite(ts)) and np.all(again["nside"] == 64)
    np.testing.assert_array_equal(ts[:2], first["ts"])
    # every sky differs (independent scrambles) but a fresh run with the same seed is identical
    assert not np.array_equal(ts[0], ts[1])
    fresh = _camp(ic86b, 3, tmp_path / "b")
    np.testing.assert_array_equal(fresh["ts"], ts)
    np.testing.assert_allclose(again["ts_north"], ts.max(axis=1), rtol=1e-6)

    # pooled ensembles from the skies: p-values of the observed scan, global p with K = 3
    pv = scan_pvalues(obs, ts, pix, min_tail=5, min_count=3)
    h = pv["hemispheres"]["north"]
    assert pv["hemispheres"]["south"] is None
    assert h["n_scrambled_skies"] == 3 and h["n_band_trials"] == 0
    assert 0 < h["p_local"] < 1 and h["p_local"] == np.nanmin(obs.pvalue_map)
    assert len(pv["p_scrambled_min"]["north"]) == 3
    assert h["p_global_empirical"] in (0.25, 0.5, 0.75, 1.0)
    assert 0 < h["p_global_neff"] <= 1
    k = h["skies_at_or_below"]
    assert h["p_global_empirical"] == (k + 1) / 4
    assert h["p_global"] == (h["p_global_empirical"] if k else h["p_global_neff"])
    with pytest.raises(Exception, match="other pixels"):
        scan_pvalues(obs, ts[:, :-1], pix[:, :-1])


@pytest.mark.slow  # a small scan with scrambled skies through the CLI
def test_scan_cli_pvalue_keys(tmp_path, capsys):
    trials = tmp_path / "trials"
    code = main(["flare", "trials", "--data", "txs0506", "--sample", "IC86b", "--out",
                 str(trials), "--n", "4", "--chunk-size", "4", "--bands", "42:45",
                 "--scheduler", "serial", "--seed", "2", "--json", "--quiet"])
    assert code == 0
    capsys.readouterr()
    out = tmp_path / "scan"
    argv = ["flare", "scan", "--data", "txs0506", "--sample", "IC86b", "--nside", "64",
            "--out", str(out), "--workers", "1", "--scrambles", "3", "--trials", str(trials),
            "--min-tail", "5", "--min-count", "3", "--seed", "4", "--json", "--quiet"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    h = d["hottest"]["north"]
    for key in ("ra", "dec", "ts", "ns", "gamma", "t0", "sigma_t", "p_local",
                "p_local_extrapolated", "p_global_empirical", "p_global_neff",
                "p_global_neff_interval", "n_eff", "n_eff_interval", "n_scrambled_skies",
                "p_global", "p_global_method", "skies_at_or_below", "p_global_k_over_n_cp68",
                "n_band_trials", "n_ensemble", "neff_ks_pvalue"):
        assert key in h, key
    assert h["n_scrambled_skies"] == 3 and h["n_band_trials"] == 4
    assert h["n_ensemble"] > 4 and isinstance(h["p_local_extrapolated"], bool)
    assert d["hottest"]["south"] is None
    assert d["scrambles"]["chunks_run"] == 3
    for f in ("global_png", "pvalues_json", "fits", "png", "json"):
        assert Path(d["files"][f]).exists()
    assert Path(d["files"]["global_png"]).stat().st_size > 10000
    # scrambles alone (no --trials), resumed from the same folder: nothing re-run
    argv = [a for a in argv if a not in ("--trials", str(trials))]
    assert main(argv) == 0
    d2 = json.loads(capsys.readouterr().out)
    assert d2["scrambles"]["chunks_run"] == 0 and d2["scrambles"]["chunks_reused"] == 3
    assert d2["hottest"]["north"]["n_band_trials"] == 0
    assert "trials_dir" not in d2


def test_scan_cli_scrambles_refuse_other_settings(tmp_path, capsys):
    base = ["flare", "scan", "--data", "txs0506", "--sample", "IC86b", "--out", str(tmp_path),
            "--workers", "1", "--scrambles", "2", "--seed", "1", "--quiet"]
    assert main(base + ["--nside", "32"]) == 0
    capsys.readouterr()
    assert main(base + ["--nside", "64"]) == 2
    assert "different settings" in capsys.readouterr().err


class _FakeClient:
    """Client-like stand-in: chunks run in threads of this process; ``scatter`` counts calls
    (or fails, to prove that a cached scan does not touch the cluster)."""

    def __init__(self, scatter_ok=True):
        self.scatter_ok, self.scattered, self.executor = scatter_ok, 0, None

    def submit(self, *a, **k):  # marks it as a client for flare_scan
        raise AssertionError("the observed scan goes through get_executor")

    def nthreads(self):
        return {"w0": 1, "w1": 1}

    def get_executor(self, **kw):
        from concurrent.futures import ThreadPoolExecutor

        self.executor = ThreadPoolExecutor(2)
        return self.executor

    def scatter(self, obj, **kw):
        if not self.scatter_ok:
            raise AssertionError("scattered although the observed scan was cached")
        self.scattered += 1
        return obj


def test_observed_scan_through_a_client_equals_local_and_cache_skips_the_cluster(ic86b, tmp_path):
    from bayesnu.inference.flare_scan import _observed_scan

    key = {"data": "txs0506", "sample": ic86b.name, "nside": 64, "pdf": "gauss",
           "seed_threshold": 1.0, "sigma_min": None}
    client = _FakeClient()
    res, reused, where = _observed_scan(ic86b, tmp_path / "c", key, client, 1, False)
    client.executor.shutdown()
    assert not reused and where.startswith("dask scheduler") and client.scattered == 1
    local, _, where_local = _observed_scan(ic86b, tmp_path / "l", key, None, 1, False)
    assert where_local == "this process"
    np.testing.assert_array_equal(res.maps["ts"], local.maps["ts"])
    np.testing.assert_array_equal(res.pixels, local.pixels)
    again, reused, _ = _observed_scan(ic86b, tmp_path / "c", key, _FakeClient(False), 1, False)
    assert reused
    np.testing.assert_array_equal(again.maps["ts"], res.maps["ts"])
