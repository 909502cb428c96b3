"""`bayesnu flare ...` command line: JSON keys, errors, resumable trials."""

import json

import pytest

from bayesnu.cli import main


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out


def test_flare_fit_gauss_json_keys(capsys):
    code, out = _run(capsys, ["flare", "fit", "--data", "txs0506", "--source", "TXS 0506+056",
                              "--sample", "IC86b", "--json", "--quiet"])
    assert code == 0
    d = json.loads(out.out)
    for key in ("ns", "gamma", "t0", "sigma_t", "ts"):
        assert key in d and isinstance(d[key], float)
    # the 2014-15 flare: centre within the published box, width tens of days
    assert 56937.81 < d["t0"] < 57096.21
    assert 10 < d["sigma_t"] < 200
    assert d["ts"] > 6  # background trials at the source have median TS -1.4


def test_flare_fit_box_json_keys(capsys):
    code, out = _run(capsys, ["flare", "fit", "--data", "txs0506", "--ra", "77.3582", "--dec",
                              "5.69315", "--sample", "IC86b", "--pdf", "box", "--json"])
    assert code == 0
    d = json.loads(out.out)
    for key in ("ns", "gamma", "t_start", "t_stop", "ts"):
        assert key in d
    assert "t0" not in d
    # published box MJD 56937.81 - 57096.21 (Science 361, 147): edges within a few days
    assert abs(d["t_start"] - 56937.81) < 5
    assert abs(d["t_stop"] - 57096.21) < 15


def test_flare_fit_bad_input(capsys):
    code, out = _run(capsys, ["flare", "fit", "--data", "txs0506", "--source", "Nowhere 123"])
    assert code == 2
    assert "unknown source" in out.err and len(out.err.strip().splitlines()) == 1
    code, out = _run(capsys, ["flare", "fit", "--data", "txs0506", "--ra", "400", "--dec", "5"])
    assert code == 2


def test_flare_trials_resume(tmp_path, capsys):
    argv = ["flare", "trials", "--data", "txs0506", "--sample", "IC86b", "--out", str(tmp_path),
            "--n", "4", "--chunk-size", "2", "--bands", "43", "--scheduler", "serial",
            "--seed", "5", "--json", "--quiet"]
    code, out = _run(capsys, argv)
    assert code == 0
    first = json.loads(out.out)["bands"]["43"]
    assert first["n"] == 4 and first["chunks_run"] == 2
    argv[argv.index("4")] = "6"
    code, out = _run(capsys, argv)
    second = json.loads(out.out)["bands"]["43"]
    assert second["n"] == 6 and second["chunks_run"] == 1 and second["chunks_reused"] == 2
    assert len(list((tmp_path / "band_43").glob("chunk_*.npz"))) == 3


@pytest.mark.parametrize("bands", ["99", "x:y"])
def test_flare_trials_bad_bands(tmp_path, capsys, bands):
    code, out = _run(capsys, ["flare", "trials", "--data", "txs0506", "--sample", "IC86b",
                              "--out", str(tmp_path), "--bands", bands, "--scheduler", "serial"])
    assert code == 2
