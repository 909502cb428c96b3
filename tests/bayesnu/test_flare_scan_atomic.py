"""The flare scan and prune writers go through bayesnu.atomic: a killed writer's temporary files
are cleaned by the next write, nothing but the final files is left, and the formats are unchanged."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from bayesnu import atomic
from bayesnu.flare import prune, scan


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _plant(folder, name: str, pid: int):
    """A temporary file left by a writer killed before its rename (bayesnu.atomic's naming)."""
    suffix = os.path.splitext(name)[1]
    tmp = folder / f".{name}.{pid}.deadbeef.tmp{suffix}"
    tmp.write_bytes(b"partial")
    assert atomic.is_temporary(tmp)
    return tmp


def _small_result(nside: int = 2) -> scan.ScanResult:
    pix, ra, dec = scan.pixel_grid(nside)
    npix = 12 * nside * nside
    rng = np.random.default_rng(4)
    maps = {f: np.full(npix, np.nan) for f in scan.FIELDS}
    for f in scan.FIELDS:
        maps[f][pix] = rng.uniform(0.1, 5.0, pix.size)
    res = scan.ScanResult(nside=nside, maps=maps, pixels=pix, seconds=1.5, sample="S",
                          pdf="gauss", cpu_seconds=2.5)
    res.hottest = scan.hottest_spots(nside, maps, pix)
    return res


def test_write_scan_cleans_dead_temporaries(tmp_path):
    dead = _dead_pid()
    planted = [_plant(tmp_path, n, dead) for n in
               ("flare_scan_maps.fits", "flare_scan_ts.png", "hottest.json")]
    res = _small_result()
    files = scan.write_scan(res, tmp_path)
    assert not any(p.exists() for p in planted)
    assert sorted(os.listdir(tmp_path)) == ["flare_scan_maps.fits", "flare_scan_ts.png",
                                            "hottest.json"]
    assert set(files) == {"fits", "png", "json"}
    # formats as before: hottest.json is indent-2 JSON without a trailing newline, the FITS
    # table has the five maps
    text = (tmp_path / "hottest.json").read_text()
    assert not text.endswith("\n")
    assert json.loads(text) == json.loads(json.dumps(
        {"nside": 2, "sample": "S", "pdf": "gauss", "seconds": 1.5, "hottest": res.hottest}))
    import healpy as hp

    m = hp.read_map(str(tmp_path / "flare_scan_maps.fits"), field=None)
    np.testing.assert_array_equal(m[0][res.pixels], res.maps["ts"][res.pixels])


def test_cached_scan_cleans_dead_temporaries(tmp_path, monkeypatch):
    res = _small_result()
    monkeypatch.setattr(scan, "scan_sky", lambda sample, **kw: res)
    monkeypatch.setattr(scan, "sample_fingerprint", lambda sample: "fp")
    planted = _plant(tmp_path, "observed_scan.npz", _dead_pid())
    out, reused = scan.cached_scan(object(), tmp_path, {"nside": 2})
    assert not reused and out is res and not planted.exists()
    assert os.listdir(tmp_path) == ["observed_scan.npz"]
    again, reused = scan.cached_scan(object(), tmp_path, {"nside": 2})
    assert reused
    np.testing.assert_array_equal(again.maps["ts"][res.pixels], res.maps["ts"][res.pixels])


def test_check_behaviour_cleans_dead_temporaries(tmp_path, monkeypatch):
    probes = np.array([1.0, 2.5, 3.25])
    monkeypatch.setattr(prune, "behaviour_probes", lambda: probes)
    planted = _plant(tmp_path, prune.BEHAVIOUR_FILE, _dead_pid())
    prune.check_behaviour(tmp_path)
    assert not planted.exists() and os.listdir(tmp_path) == [prune.BEHAVIOUR_FILE]
    rec = json.loads((tmp_path / prune.BEHAVIOUR_FILE).read_text())
    assert rec["probe_ts"] == probes.tolist()
    monkeypatch.setattr(prune, "behaviour_probes", lambda: probes * (1 + 1e-3))
    with pytest.raises(Exception, match="other numbers"):
        prune.check_behaviour(tmp_path)
