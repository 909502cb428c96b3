"""``bayesnu cnb propagate`` / ``bayesnu cnb xsec`` (issue 5, item 6)."""

import json

import numpy as np

from bayesnu.cli import main


def _run(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_propagate_json_keys(capsys):
    rc, out, _ = _run(capsys, ["cnb", "propagate", "--gamma", "3.15", "--eta", "1e14", "--d-eff-mpc", "14",
                               "--bins", "60", "--emax-gev", "1e8", "--json"])
    assert rc == 0
    d = json.loads(out)
    assert set(d["ratio"]) == {"e", "mu", "tau", "sum"}
    n = len(d["energy_gev"])
    assert n == 60 and len(d["ratio_mass"]) == 3 and all(len(r) == n for r in d["ratio_mass"])
    r = np.array(d["ratio"]["sum"])
    assert r[0] > 0.99 and r[-1] < 0.5  # absorbed at high energy


def test_propagate_redshift_population_and_overrides(capsys):
    rc, out, _ = _run(capsys, ["cnb", "propagate", "--z", "0.3365", "--eta", "1e12", "--bins", "40",
                               "--emin-gev", "1e3", "--emax-gev", "1e8", "--ordering", "IO", "--theta23", "45",
                               "--json"])
    assert rc == 0 and json.loads(out)["mode"] == "redshift"
    rc, out, _ = _run(capsys, ["cnb", "propagate", "--mode", "population", "--zmax", "5", "--bins", "40",
                               "--emin-gev", "1e3", "--emax-gev", "1e7", "--g", "0.1", "--mphi-mev", "10",
                               "--sum-m", "0.1", "--dirac", "--json"])
    assert rc == 0 and json.loads(out)["mode"] == "population"


def test_xsec_shapes(capsys):
    rc, out, _ = _run(capsys, ["cnb", "xsec", "--energies-gev", "1e4", "1e5", "1e6", "--json"])
    assert rc == 0
    d = json.loads(out)
    s = np.array(d["sigma_ij_cm2"])
    assert s.shape == (3, 3, 3) and np.all(s > 0)
    assert np.allclose(np.array(d["absorption_cm2"]), s.sum(axis=1))
    assert np.allclose(s[:, :, 1] / s[:, :, 0], 10, rtol=0.3)  # ~ s for the nu channels


def test_bad_input_one_line(capsys):
    rc, _, err = _run(capsys, ["cnb", "propagate", "--g", "0.1"])
    assert rc == 2 and err.count("\n") == 1 and "mphi" in err
    rc, _, err = _run(capsys, ["cnb", "propagate", "--sum-m", "0.01"])
    assert rc == 2 and "sum" in err
    rc, _, err = _run(capsys, ["cnb", "xsec", "--energies-gev", "-5"])
    assert rc == 2
