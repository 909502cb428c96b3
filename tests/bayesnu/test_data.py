"""bayesnu.data: bundled sets, counts, livetimes, effective areas, generic format, CLI."""

import json
import warnings

import numpy as np
import pytest

import bayesnu.data as bd
from bayesnu.cli import main
from bayesnu.data import Dataset, load
from bayesnu.data.bundled import read_bundled_raw
from bayesnu.errors import InputError

COUNTS = {"ic40": 36900, "txs0506": 1257, "ic86_2011": 138322, "icecat1": 348, "4lac": 2863,
          "4lac_dr2": 3131, "4fgl_dr2": 5788, "3fgl": 3034, "5bzcat": 3561,
          "blazar_groups": 94}


@pytest.fixture(scope="module")
def loaded():
    return {n: load(n) for n in bd.bundled_names()}


def test_bundled_names_and_counts(loaded):
    assert set(bd.bundled_names()) == set(COUNTS)
    for name, n in COUNTS.items():
        obj = loaded[name]
        got = obj.n_events if isinstance(obj, Dataset) else obj.n_rows
        assert got == n, name
        assert "citation" in obj.meta and obj.meta["citation"]
        assert "PROVENANCE" in obj.meta["provenance"]
        assert bd.bundled_path(name).exists()


def test_aliases_case_insensitive():
    assert load("TXS0506").n_events == 1257
    assert load("4LAC-DR2-h").n_rows == 3131
    assert load("IC86-2011").n_events == 138322
    with pytest.raises(InputError, match="not a bundled data set"):
        load("ic99")


def test_bundled_size_limit():
    total = sum(p.stat().st_size for p in bd.bundled_path("ic40").parent.iterdir())
    assert total <= 15e6


def test_livetime_is_sum_of_good_runs(loaded):
    seasons = bd.ps10yr_seasons()
    assert list(seasons) == ["IC40", "IC59", "IC79", "IC86_I", "IC86_II", "IC86_III", "IC86_IV",
                             "IC86_V", "IC86_VI", "IC86_VII"]
    for s, (up, _) in seasons.items():
        raw = read_bundled_raw("ic40", f"uptime/{s}")[f"uptime/{s}"]
        raw_sum = float(np.sum(raw[:, 1] - raw[:, 0]))
        merged = up.intervals
        assert up.livetime_days == pytest.approx(float(np.sum(merged[:, 1] - merged[:, 0])),
                                                 rel=0, abs=1e-9)
        # the published lists overlap by at most ~1 s within a season (IC86_V..VII)
        assert abs(up.livetime_days - raw_sum) * 86400 < 2.0
        if s in ("IC40", "IC59", "IC79", "IC86_I", "IC86_II", "IC86_III", "IC86_IV"):
            assert up.livetime_days == pytest.approx(raw_sum, rel=1e-15)
    ic40 = loaded["ic40"]["IC40"]
    assert ic40.livetime_days == seasons["IC40"][0].livetime_days
    assert 376.0 < ic40.livetime_days < 376.5
    ic86 = loaded["ic86_2011"]["IC86_2011"]
    assert ic86.livetime_days == seasons["IC86_I"][0].livetime_days


def test_ps10yr_areas_shared():
    seasons = bd.ps10yr_seasons()
    a2 = seasons["IC86_II"][1]
    for s in ("IC86_III", "IC86_IV", "IC86_V", "IC86_VI", "IC86_VII"):
        assert seasons[s][1] is a2
    a40 = seasons["IC40"][1]
    assert a40.area_cm2.shape == (40, 50)
    assert a40.sindec_edges[0] == -1.0 and a40.sindec_edges[-1] == 1.0
    # value check against the raw table: the bin containing log10 E = 5.1, dec = +10 deg
    tab = read_bundled_raw("ic40", "irfs/IC40")["irfs/IC40"]
    row = tab[(tab[:, 0] <= 5.1) & (tab[:, 1] > 5.1) & (tab[:, 2] <= 10) & (tab[:, 3] > 10)]
    assert row.shape[0] == 1
    i = np.searchsorted(a40.log10e_edges, 5.1) - 1
    j = np.searchsorted(a40.sindec_edges, np.sin(np.radians(10.0))) - 1
    assert a40.area_cm2[i, j] == row[0, 4]


def test_txs_uptime_and_footprint(loaded):
    ds = loaded["txs0506"]
    assert [s.name for s in ds] == ["IC40", "IC59", "IC79", "IC86a", "IC86b", "IC86c"]
    assert [s.size for s in ds] == [31, 109, 97, 109, 320, 591]
    seasons = bd.ps10yr_seasons()
    # IC40 sample range covers the whole IC40 season: same livetime
    assert ds["IC40"].livetime_days == pytest.approx(seasons["IC40"][0].livetime_days, abs=1e-9)
    # IC86b = IC86_II..IV good runs clipped to 2012-05-16 .. 2015-05-18 (inclusive)
    iv = np.concatenate([seasons[s][0].intervals for s in ("IC86_II", "IC86_III", "IC86_IV")])
    iv = np.clip(iv, 56063.0, 57161.0)
    assert ds["IC86b"].livetime_days == pytest.approx(float(np.sum(iv[:, 1] - iv[:, 0])),
                                                      abs=1e-6)
    for s in ds:
        assert s.uptime.contains(s.time).all()
        fp = s.footprint
        assert not fp.full_sky
        assert fp.ra_min <= s.ra.min() and s.ra.max() <= fp.ra_max
        assert fp.dec_min <= s.dec.min() and s.dec.max() <= fp.dec_max
        assert s.aeff.area_cm2.shape[1] == 1
        assert s.aeff.sindec_edges[0] == pytest.approx(np.sin(np.radians(fp.dec_min)))
    # m^2 -> cm^2
    raw = read_bundled_raw("txs0506", "aeff/IC86c")["aeff/IC86c"]
    np.testing.assert_array_equal(ds["IC86c"].aeff.area_cm2[:, 0], raw[:, 2] * 1e4)


def test_ic86_2011_sample(loaded):
    s = loaded["ic86_2011"]["IC86_2011"]
    assert s.meta["n_upgoing"] == 69227 and s.meta["n_downgoing"] == 69095
    assert s.angerr.min() == 0.05  # the 12 printed 0.0 errors (rounding)
    a = s.aeff
    # sin(dec) = -cos(zenith): first (E, cos z) row [-1, -0.99] -> sin dec bin [0.99, 1]
    tab = read_bundled_raw("ic86_2011", "aeff")["aeff"]
    assert tab[0, 2] == -1.0 and tab[0, 3] == -0.99
    assert a.area_cm2[0, -1] == pytest.approx(tab[0, 4] * 1e4, rel=1e-15)
    assert a.sindec_edges[-1] == 1.0 and a.sindec_edges[0] == -1.0
    assert a.log10e_edges[0] == 2.0 and a.log10e_edges[-1] == 9.0
    # up-going (northern, sin dec > 0) area at 100 TeV exceeds zero and times are whole days
    assert a(5.0, 30.0) > 0
    assert np.all(s.time == np.floor(s.time))


def test_catalog_columns(loaded):
    c = loaded["icecat1"]
    for k in ("name", "mjd", "type", "ra", "dec", "ra_err_plus", "ra_err_minus", "dec_err_plus",
              "dec_err_minus", "energy_tev", "far", "signalness"):
        assert len(c[k]) == 348
    assert set(np.unique(c["type"])) <= {"gfu-gold", "gfu-bronze", "ehe-gold", "hese-gold",
                                          "hese-bronze"}
    f4 = loaded["4fgl_dr2"]
    assert f4["flux_history"].shape == (5788, 10)
    assert f4.meta["time_edges_mjd"].shape == (11,)
    i = int(np.flatnonzero(f4["ASSOC1"] == "TXS 0506+056")[0])
    assert f4["CLASS1"][i].lower() == "bll"
    f3 = loaded["3fgl"]
    assert f3["flux_history"].shape == (3034, 48)
    e = f3.meta["time_edges_mjd"]
    assert e.shape == (49,) and 54680 < e[0] < 54684 and np.all(np.diff(e) > 25)
    j = int(np.flatnonzero(f3["name"] == "3FGL J0509.4+0541")[0])
    assert abs(f3["ra"][j] - 77.36) < 0.1 and abs(f3["dec"][j] - 5.69) < 0.1
    lac = loaded["4lac"]
    for k in ("CLASS", "Redshift", "SED_class", "nu_syn", "Variability_Index", "redshift"):
        assert len(lac[k]) == 2863
    assert np.isnan(lac["redshift"]).sum() == np.sum(~np.isfinite(lac["Redshift"])
                                                      | (lac["Redshift"] < 0))
    bz = loaded["5bzcat"]
    assert set(np.unique(bz["class"])) == {"fsrq", "bll", "bll_host", "uncertain"}
    # 5BZQJ0000-3221 at 00 00 20.39 -32 21 01.0
    assert bz["ra"][0] == pytest.approx((20.39 / 3600) * 15)
    assert bz["dec"][0] == pytest.approx(-(32 + 21 / 60 + 1.0 / 3600))


def test_enu_to_emu_table():
    t = bd.load_enu_to_emu()
    assert t["fraction"].shape == (28, 22)
    assert t["log10_enu_edges_gev"][0] == 2.0 and t["log10_enu_edges_gev"][-1] == 9.0
    assert t["log10_emu_edges_gev"][0] == pytest.approx(2.6)
    np.testing.assert_allclose(t["fraction"].sum(axis=1), 1.0, atol=2e-3)


@pytest.mark.parametrize("suffix", ["npz", "csv", "fits"])
def test_generic_round_trip(tmp_path, loaded, suffix):
    ds = loaded["txs0506"]
    rng = np.random.default_rng(1)
    samples = []
    for s in ds:
        meta = dict(s.meta)
        meta["extra"] = {"is_signal": rng.integers(0, 2, s.size),
                         "true_log10e": rng.normal(4, 1, s.size)}
        samples.append(s.replace(meta=meta))
    ds = ds.with_samples(samples)
    p = bd.write_generic(ds, tmp_path / f"txs.{suffix}")
    back = load(p)
    assert back.format == "generic"
    assert [s.name for s in back] == [s.name for s in ds]
    for a, b in zip(ds, back):
        for c in ("ra", "dec", "time", "log10e", "angerr"):
            np.testing.assert_array_equal(getattr(a, c), getattr(b, c))
        np.testing.assert_array_equal(a.uptime.intervals, b.uptime.intervals)
        assert a.livetime_days == b.livetime_days
        np.testing.assert_array_equal(a.aeff.area_cm2, b.aeff.area_cm2)
        np.testing.assert_array_equal(a.aeff.log10e_edges, b.aeff.log10e_edges)
        np.testing.assert_array_equal(a.aeff.sindec_edges, b.aeff.sindec_edges)
        assert a.footprint == b.footprint
        for k in ("is_signal", "true_log10e"):
            np.testing.assert_array_equal(a.meta["extra"][k], b.meta["extra"][k])
        assert b.meta["extra"]["is_signal"].dtype.kind == "i"


def test_generic_large_sample_round_trip(tmp_path, loaded):
    s = loaded["ic86_2011"]["IC86_2011"]
    p = bd.write_generic(s, tmp_path / "ic86.npz")
    b = load(p)["IC86_2011"]
    np.testing.assert_array_equal(s.ra, b.ra)
    np.testing.assert_array_equal(s.time, b.time)
    assert b.livetime_days == s.livetime_days


def test_generic_uptime_argument(tmp_path, loaded):
    s = loaded["ic40"]["IC40"]
    lines = ["ra,dec,mjd,logE,sigma"] + [
        ",".join(repr(float(getattr(s, c)[i])) for c in ("ra", "dec", "time", "log10e", "angerr"))
        for i in range(200)]
    p = tmp_path / "user.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="no uptime"):
        load(p)
    ds = load(p, uptime=s.uptime)
    assert ds.n_events == 200 and ds.livetime_days == s.livetime_days
    np.testing.assert_array_equal(ds["user"].ra, s.ra[:200])
    # an uptime that does not contain the events is refused
    with pytest.raises(InputError, match="outside the good-run"):
        load(p, uptime=np.array([[56000.0, 56100.0]]))


def test_detection_of_written_files(tmp_path, loaded):
    assert bd.detect_format(bd.write_generic(loaded["txs0506"], tmp_path / "a.npz")) == "generic"
    assert bd.detect_format(bd.write_generic(loaded["txs0506"], tmp_path / "a.fits")) == "generic"
    assert bd.detect_format(bd.write_generic(loaded["txs0506"], tmp_path / "a.csv")) == "generic"
    with pytest.raises(InputError, match="not a recognised release"):
        bd.detect_format(tmp_path)


def _cli_json(args, capsys):
    rc = main(args)
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def test_cli_info_json_counts(capsys):
    for name, n in COUNTS.items():
        d = _cli_json(["data", "info", name, "--json"], capsys)
        for k in ("format", "n_rows", "time_range_mjd", "dec_range_deg", "samples"):
            assert k in d, (name, k)
        assert d["n_rows"] == n
        for s in d["samples"]:
            assert set(s) >= {"name", "n_events", "livetime_days"}
        if d["samples"]:
            assert sum(s["n_events"] for s in d["samples"]) == n
    d = _cli_json(["data", "info", "TXS0506", "--json"], capsys)
    assert [s["n_events"] for s in d["samples"]] == [31, 109, 97, 109, 320, 591]
    assert d["dec_range_deg"][0] >= 2.69 and d["dec_range_deg"][1] <= 8.7


def test_cli_text_and_list(capsys):
    assert main(["data", "info", "ic40"]) == 0
    out = capsys.readouterr().out
    assert "36,900" in out and "livetime" in out
    d = _cli_json(["data", "list", "--json"], capsys)
    assert len(d["bundled"]) == 10 and d["total_mb"] <= 15


def test_demo_json(capsys, tmp_path):
    # the frequentist part of the main job (the full demo with NUTS and nautilus
    # takes minutes and is exercised by the README's first command)
    with warnings.catch_warnings():
        d = _cli_json(["demo", "--quick", "--trials", "20", "--seed", "1", "--quiet",
                       "--out", str(tmp_path), "--json"], capsys)
    assert 56900 < d["gauss"]["t0"] < 57100 and d["gauss"]["ts"] > 5
    assert (tmp_path / "summary.txt").exists()
    assert d["data_sets"]["txs0506"]["n_rows"] == 1257
    assert len(d["data_sets"]["txs0506"]["samples"]) == 6


def _write_season(root, season, rows):
    (root / "events").mkdir(parents=True, exist_ok=True)
    hdr = ("MJD[days]  log10(E/GeV)   AngErr[deg]       RA[deg]      Dec[deg]  Azimuth[deg]   "
           "Zenith[deg]")
    body = [" ".join(f"{v!r}" for v in map(float, r)) for r in rows]
    (root / "events" / f"{season}_exp.csv").write_text("\n".join([hdr] + body) + "\n")


def test_ps10yr_folder_any_subset_of_seasons(tmp_path):
    """Events of two seasons, one uptime file, no irfs: the rest from the bundled copies."""
    raw = read_bundled_raw("ic40", ("events/IC40/", "uptime/"))
    cols = ("mjd", "log10e", "angerr", "ra", "dec", "azimuth", "zenith")
    ic40 = np.column_stack([raw[f"events/IC40/{c}"][:300] for c in cols])
    _write_season(tmp_path, "IC40", ic40)
    # real IC40 directions placed at times inside IC86_III good runs (a user-built season file)
    up3 = raw["uptime/IC86_III"]
    fake = ic40.copy()
    fake[:, 0] = 0.5 * (up3[:300, 0] + up3[:300, 1])
    _write_season(tmp_path, "IC86_III", fake)
    (tmp_path / "uptime").mkdir()
    (tmp_path / "uptime" / "IC40_exp.csv").write_text(
        "MJD_start[days]  MJD_stop[days]\n"
        + "\n".join(f"{a!r} {b!r}" for a, b in map(tuple, raw["uptime/IC40"].tolist())) + "\n")
    ds = load(tmp_path)
    assert ds.format == "icecube_ps_10yr"
    assert [s.name for s in ds] == ["IC40", "IC86_III"]
    seasons = bd.ps10yr_seasons()
    assert ds["IC40"].uptime.source.endswith("uptime/IC40_exp.csv")
    assert ds["IC86_III"].uptime.source.startswith("bundled")
    assert ds["IC86_III"].livetime_days == seasons["IC86_III"][0].livetime_days
    np.testing.assert_array_equal(ds["IC86_III"].aeff.area_cm2, seasons["IC86_II"][1].area_cm2)
    assert any("bundled" in n for n in ds["IC40"].meta["notes"])  # irfs missing
    np.testing.assert_array_equal(ds["IC40"].ra, ic40[:, 3])


def test_format_override(tmp_path, loaded):
    p = bd.write_generic(loaded["txs0506"], tmp_path / "t.npz")
    assert load(p, format="generic").n_events == 1257
    with pytest.raises(InputError, match="unknown format"):
        load(p, format="votable")
    with pytest.raises(InputError, match="not a readable FITS"):
        load(p, format="3fgl")
