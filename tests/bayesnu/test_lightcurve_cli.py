"""CLI: bayesnu blazar lightcurve | classify | dcf | rtest | simultaneity."""

from __future__ import annotations

import importlib
import json
import sys
import types

import numpy as np
import pytest

from bayesnu import cli


@pytest.fixture(autouse=True)
def blazar_group(monkeypatch):
    """Use BLZB's ``bayesnu.cli.blazar`` if it exists, else a minimal group calling ours."""
    try:
        importlib.import_module("bayesnu.cli.blazar")
    except ModuleNotFoundError:
        from bayesnu.cli.blazar_lc import register_lightcurve_commands

        mod = types.ModuleType("bayesnu.cli.blazar")

        def register(sub):
            p = sub.add_parser("blazar", help="blazar analyses")
            register_lightcurve_commands(p.add_subparsers(dest="blazar_command"))

        mod.register = register
        monkeypatch.setitem(sys.modules, "bayesnu.cli.blazar", mod)
    yield


def _run(capsys, *argv):
    code = cli.main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_lightcurve_catalog_source_json_and_plot(capsys, tmp_path):
    png = tmp_path / "txs.png"
    code, out, err = _run(capsys, "blazar", "lightcurve", "--lc", "4fgl_dr2:4FGL J0509.4+0542",
                          "--plot", str(png), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["n_points"] == 10 and d["n_blocks"] >= 1 and png.stat().st_size > 1000
    assert d["quiescent_flux"] > 0 and "flares_mjd" in d


def test_lightcurve_csv_with_preparation(capsys, tmp_path):
    rng = np.random.default_rng(1)
    t = np.sort(np.concatenate([np.arange(55000, 58000, 180.0) + d for d in (0, 1.0, 2.0)]))
    f = 10 + rng.normal(0, 0.3, t.size) + 15 * ((t > 56800) & (t < 57200))
    p = tmp_path / "wise.csv"
    p.write_text("# band: WISE W2 (simulated)\n# unit: mJy\ntime,flux,error\n"
                 + "".join(f"{a},{b},0.3\n" for a, b in zip(t, f)))
    code, out, err = _run(capsys, "blazar", "lightcurve", "--lc", str(p), "--merge-days", "15",
                          "--infrared", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["n_points"] == t.size // 3 and len(d["flares_mjd"]) == 1
    assert 56700 < d["flares_mjd"][0][0] < 56900


def test_bad_inputs_give_one_line_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,flux,error\n3,1,1\n1,1,1\n2,1,1\n")
    for argv in (["blazar", "lightcurve", "--lc", str(bad)],
                 ["blazar", "lightcurve", "--lc", "4fgl_dr2:NOPE"],
                 ["blazar", "lightcurve", "--lc", str(tmp_path / "missing.csv")],
                 ["blazar", "rtest", "--dT", "-3"],
                 ["blazar", "dcf", "--a", str(bad)],
                 ["blazar", "classify", "--high", "4fgl_dr2:4FGL J0509.4+0542"]):
        code, out, err = _run(capsys, *argv)
        assert code == 2, (argv, err)
        assert err.count("\n") == 1 and err.startswith("bayesnu: error:"), (argv, err)
        assert "Traceback" not in err and out == ""
    short = tmp_path / "short.csv"
    short.write_text("time,flux,error\n1,1,1\n2,1,1\n")
    code, _, err = _run(capsys, "blazar", "lightcurve", "--lc", str(short))
    assert code == 2 and "at least 3" in err and err.count("\n") == 1


def test_classify_catalog_and_pair(capsys, tmp_path):
    table = tmp_path / "cls.csv"
    code, out, err = _run(capsys, "blazar", "classify", "--catalog", "4fgl_dr2", "--table",
                          str(table), "--json", "--quiet")
    assert code == 0, err
    d = json.loads(out)
    assert d["n_sources"] == 5787 and sum(d["counts"].values()) == 5787
    assert len(table.read_text().splitlines()) == 5788
    code, out, err = _run(capsys, "blazar", "classify", "--high", "4fgl_dr2:4FGL J0509.4+0542",
                          "--low", "3fgl:3FGL J0509.4+0541", "--json")
    assert code == 0, err
    assert json.loads(out)["class"] in ("no_flare", "one_band", "TXS-like", "CFS", "NFS", "mixed")


def test_rtest_and_simultaneity_small(capsys, tmp_path):
    png = tmp_path / "rt.png"
    code, out, err = _run(capsys, "blazar", "rtest", "--n-control", "200", "--dT", "22",
                          "--factor", "1.1", "--plot", str(png), "--json", "--quiet",
                          "--seed", "3")
    assert code == 0, err
    d = json.loads(out)
    assert d["n_variable_sources"] == 992 and d["n_alerts"] == 221 and d["n_pairs"] > 100
    assert len(d["shifts_d"]) == 655 and png.exists() and d["seed"] == 3
    code, out, err = _run(capsys, "blazar", "simultaneity", "--n-scrambles", "2000", "--json",
                          "--quiet")
    assert code == 0, err
    d = json.loads(out)
    assert d["p_value"] == pytest.approx((d["n_exceed"] + 1) / 2001)


def test_dcf_cli(capsys, tmp_path):
    rng = np.random.default_rng(2)
    t = np.arange(0, 3000, 10.0)
    sig = np.exp(-0.5 * ((t - 1000) / 50) ** 2) + np.exp(-0.5 * ((t - 2000) / 80) ** 2)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("time,flux,error\n" + "".join(f"{x},{y + rng.normal(0, .01)},0.01\n"
                                               for x, y in zip(t, sig)))
    sig_b = np.interp(t - 60, t, sig)
    b.write_text("time,flux,error\n" + "".join(f"{x},{y + rng.normal(0, .01)},0.01\n"
                                               for x, y in zip(t, sig_b)))
    code, out, err = _run(capsys, "blazar", "dcf", "--a", str(a), "--b", str(b), "--bin-width",
                          "10", "--max-lag", "400", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["lag_max_d"] == pytest.approx(60, abs=10)
