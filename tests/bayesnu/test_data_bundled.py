"""The bundled copies equal the original public files value for value, and the
path loaders give the same objects as the bundled names.

Needs the original releases: set ``BAYESNU_RELEASES_DIR`` to the folder that holds
them unpacked (layout and DOIs in ``bayesnu/data/bundled/PROVENANCE.md``); without
it these tests are skipped with that reason."""

import numpy as np
import pytest

from bayesnu.data import Dataset, detect_format, load
from bayesnu.data._build_bundled import raw_from_originals, same
from bayesnu.data.bundled import RELEASES_ENV, read_bundled_raw, releases_dir


@pytest.fixture(scope="module")
def shared_data():
    """Folder of the unpacked original releases (``$BAYESNU_RELEASES_DIR``)."""
    root = releases_dir()
    if root is None:
        pytest.skip(f"original public releases not available: set {RELEASES_ENV} to the folder "
                    "holding them (layout in bayesnu/data/bundled/PROVENANCE.md)")
    return root


@pytest.fixture(scope="module")
def originals(shared_data):
    return raw_from_originals(shared_data)


def test_bundled_equals_originals(originals):
    for name, raw in originals.items():
        bundled = read_bundled_raw(name)
        kept = {k for k in raw if not (k == "lines" or k.endswith("/lines"))}
        assert kept == set(bundled), name
        for k in kept:
            assert same(bundled[k], raw[k]), f"{name}: {k}"


def test_3fgl_kept_columns_equal_fits(shared_data):
    from astropy.io import fits

    b = read_bundled_raw("3fgl")
    with fits.open(shared_data / "catalogs" / "3FGL_gll_psc_v16.fit.gz") as hl:
        d = hl[1].data
        np.testing.assert_array_equal(b["Flux_History"], d["Flux_History"])
        np.testing.assert_array_equal(b["Unc_Flux_History"], d["Unc_Flux_History"])
        np.testing.assert_array_equal(b["RAJ2000"], d["RAJ2000"])
        assert b["Flux_History"].dtype == np.float32
        np.testing.assert_array_equal(b["Hist_Start"], hl["Hist_Start"].data["Hist_Start"])


def test_ic40_bundled_equals_text(shared_data):
    text = np.loadtxt(shared_data / "icecube_ps_10yr" / "events" / "IC40_exp.csv", skiprows=1)
    ds = load("ic40")["IC40"]
    np.testing.assert_array_equal(ds.time, text[:, 0])
    np.testing.assert_array_equal(ds.ra, text[:, 3])
    np.testing.assert_array_equal(ds.dec, text[:, 4])


PATHS = {
    "ic40": ("icecube_ps_10yr", "icecube_ps_10yr"),
    "ic86_2011": ("icecube_ic86_2011", "ic86_2011"),
    "txs0506": ("icecube_txs0506_release", "txs0506_release"),
    "icecat1": ("icecat1/IceCube_Gold_Bronze_Tracks.csv", "icecat1"),
    "4lac": ("catalogs/table_4LAC.fits", "4lac"),
    "4lac_dr2": ("catalogs/table-4LAC-DR2-h.fits", "4lac_dr2"),
    "4fgl_dr2": ("catalogs/4FGL-DR2_lightcurves.csv", "4fgl_dr2_lc"),
    "3fgl": ("catalogs/3FGL_gll_psc_v16.fit.gz", "3fgl"),
    "5bzcat": ("catalogs/5BZCAT.csv", "5bzcat"),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_path_loader_matches_bundled(shared_data, name):
    rel, fmt = PATHS[name]
    p = shared_data / rel
    assert detect_format(p) == fmt
    a, b = load(p), load(name)
    assert a.format == b.format
    if isinstance(a, Dataset):
        assert [s.name for s in a] == [s.name for s in b]
        for sa, sb in zip(a, b):
            for c in ("ra", "dec", "time", "log10e", "angerr"):
                np.testing.assert_array_equal(getattr(sa, c), getattr(sb, c))
            np.testing.assert_array_equal(sa.uptime.intervals, sb.uptime.intervals)
            if sb.aeff is not None:
                np.testing.assert_array_equal(sa.aeff.area_cm2, sb.aeff.area_cm2)
    else:
        assert sorted(a.columns) == sorted(b.columns)
        for k in a.columns:
            x, y = np.asarray(a[k]), np.asarray(b[k])
            if x.dtype.kind == "f":
                np.testing.assert_array_equal(x, y)
            else:
                assert (x == y).all(), k


def test_single_official_files(shared_data):
    ps = shared_data / "icecube_ps_10yr"
    ev = load(ps / "events" / "IC40_exp.csv")
    assert ev.n_events == 36900 and ev["IC40"].uptime.source.endswith("uptime/IC40_exp.csv")
    up = load(shared_data / "icecube_ic86_2011" / "downgoing_events.txt")
    assert up.n_events == 69095
    tx = load(shared_data / "icecube_txs0506_release" / "events_IC86c.txt")
    assert tx.n_events == 591 and tx["IC86c"].aeff is not None
