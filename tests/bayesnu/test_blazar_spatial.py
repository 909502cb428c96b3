"""Blazar groups and the spatial counting test (published Table 6) on real data."""

import numpy as np
import pytest
from bayesnu.inference.blazar_spatial import TABLE6, spatial_test, table6_pvalues

from bayesnu.blazar.groups import Cuts, control_group, get_group, group_names
from bayesnu.blazar.spatial import (
    CountingSetup,
    closed_form_expectation,
    half_widths,
    observed_counts,
    scramble_counts,
)
from bayesnu.data import load
from bayesnu.errors import InputError


def test_named_groups_sizes_and_positions():
    txs, cfs = get_group("TXS-like"), get_group("cfs")
    assert (len(txs), len(cfs)) == (32, 62)
    assert np.all(txs.fgl_row >= 0) and np.all(cfs.fgl_row >= 0)
    fgl = load("4fgl_dr2")
    # TXS-like's first entry J0112+3208 is 4FGL J0112.8+3208
    assert abs(txs.ra[0] - fgl["ra"][txs.fgl_row[0]]) < 1e-12
    assert abs(txs.ra[0] - 18.2) < 0.1 and abs(txs.dec[0] - 32.1) < 0.1
    cut = get_group("TXS-like", Cuts(dec_max=40, b_min=10))
    assert 0 < len(cut) < 32 and np.all(np.abs(cut.dec) <= 40) and np.all(np.abs(cut.glat) >= 10)


def test_catalog_groups_and_control():
    bll = get_group("4LAC-BLL")
    assert len(bll) == 1067 and np.all(np.isfinite(bll.flux))
    assert len(get_group("5BZCAT-BZQ")) == 1909
    rng = np.random.default_rng(3)
    c = control_group("4LAC-BLAZARS", 32, rng, exclude=get_group("TXS-like"))
    assert len(c) == 32 and len(set(c.names)) == 32
    t = get_group("TXS-like")
    cosd = (np.sin(np.radians(c.dec))[:, None] * np.sin(np.radians(t.dec))[None, :]
            + np.cos(np.radians(c.dec))[:, None] * np.cos(np.radians(t.dec))[None, :]
            * np.cos(np.radians(c.ra[:, None] - t.ra[None, :])))
    assert cosd.max() < np.cos(np.radians(0.1))


def test_unknown_group_lists_valid_names():
    with pytest.raises(InputError) as e:
        get_group("TXS-ish")
    msg = str(e.value)
    assert "\n" not in msg and "TXS-like" in msg and "4LAC-FSRQ" in msg
    assert set(group_names()) >= {"TXS-like", "CFS", "4LAC-BCU", "4LAC-HSP", "5BZCAT-BZB"}


def test_half_widths_against_brute_force():
    rng = np.random.default_rng(0)
    grid = np.linspace(-np.pi, np.pi, 20001)
    for _ in range(200):
        de, ds = np.radians(rng.uniform(-89, 89, 2))
        r = np.radians(rng.uniform(0.1, 8.0))
        w = half_widths(de, r, ds)
        cosd = np.sin(de) * np.sin(ds) + np.cos(de) * np.cos(ds) * np.cos(grid)
        frac = np.mean(cosd >= np.cos(r))
        assert abs(max(w, 0.0) / np.pi - frac) < 2e-4


@pytest.fixture(scope="module")
def ic40_txs():
    s = load("ic40")[0]
    g = get_group("TXS-like")
    return CountingSetup.build(s.ra, s.dec, s.log10e, s.angerr, g.ra, g.dec)


def test_closed_form_equals_scramble_mean(ic40_txs):
    cs = ic40_txs
    n = 20000
    c = scramble_counts(cs, n, np.random.default_rng(11))
    cf = closed_form_expectation(cs)
    se = c.std(0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(c.mean(0) - cf) < 3 * se + 1e-9)
    # spread close to Poisson (slightly wider: events share sources)
    ratio = c.std(0, ddof=1)[:8] / np.sqrt(cf[:8])
    assert np.all((ratio > 0.9) & (ratio < 1.2))
    # the true positions: exact distance == half-width criterion
    assert np.array_equal(observed_counts(cs), observed_counts(cs, cs.src_ra))
    assert np.all(np.diff(observed_counts(cs)) <= 0)


def test_table6_pvalue_recomputation():
    p = table6_pvalues("TXS-like")
    k = int(np.argmin(p["p_poisson"]))
    assert p["log10e_min"][k] == 5.1 and int(np.argmin(p["p_gauss"])) == k
    # the published "lowest value of 0.127"
    assert abs(p["p_poisson"][k] - 0.127) < 0.012
    assert abs(p["p_gauss"][k] - 0.127) < 0.005
    assert TABLE6["CFS"]["n_measured"].size == 13


def test_spatial_test_result(ic40_txs):
    r = spatial_test("ic40", "TXS-like", n_scrambles=2000, seed=5)
    d = r.to_dict()
    assert len(d["thresholds"]) == 13
    row = d["thresholds"][0]
    assert set(row) >= {"log10e_min", "n_events", "n_observed", "n_expected", "sigma", "p_value"}
    assert row["n_events"] == int(ic40_txs.n_events[0])
    assert 0 < row["p_value"] <= 1
    # the same seed gives the same scrambles
    r2 = spatial_test("ic40", "TXS-like", n_scrambles=2000, seed=5)
    assert np.array_equal(r.n_expected, r2.n_expected)


def test_cli_select_spatial_json(capsys):
    import json

    from bayesnu.cli import main

    assert main(["blazar", "select", "--group", "CFS", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_sources"] == 62
    assert main(["blazar", "select", "--group", "4LAC-BLL", "--dec-max", "40", "--b-min", "10",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert 0 < d["n_sources"] < 1067
    assert main(["blazar", "spatial", "--data", "ic40", "--group", "TXS-like",
                 "--n-scrambles", "500", "--seed", "3", "--json", "--quiet"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["thresholds"]) == 13 and d["seed"] == 3
    for row in d["thresholds"]:
        assert {"log10e_min", "n_events", "n_observed", "n_expected", "sigma",
                "p_value"} <= set(row)
    assert main(["blazar", "spatial", "--data", "ic40", "--group", "nope", "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--group" in err[0] and "TXS-like" in err[0]


def test_event_scramble_matches_brute_force(ic40_txs):
    from bayesnu.blazar.spatial import event_scramble_counts

    cs = ic40_txs
    k = event_scramble_counts(cs, 4000, np.random.default_rng(8))
    s = load("ic40")[0]
    g = get_group("TXS-like")
    rng = np.random.default_rng(9)
    brute = []
    for _ in range(40):  # rebuild from scratch with scrambled event RAs
        cb = CountingSetup.build(rng.uniform(0, 360, s.size), s.dec, s.log10e, s.angerr,
                                 g.ra, g.dec)
        brute.append(observed_counts(cb))
    brute = np.array(brute)
    se = np.sqrt(k.var(0) / k.shape[0] + brute.var(0) / brute.shape[0])
    assert np.all(np.abs(k.mean(0) - brute.mean(0)) < 4 * se + 0.05)
