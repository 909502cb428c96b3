"""`bayesnu ps` CLI keys and golden real-data fits (one per bundled sample).

The golden values depend on the calibrated energy response shipped in
bayesnu/detector/resources/energy_calibration.json (see VALIDATION.md); they
were produced with it and carry tolerances of a fraction of the statistical
errors (a re-calibration that moves them more is a physics change to review).
"""

import json

import pytest
from bayesnu.inference import fit

import bayesnu.data as bd
from bayesnu.cli import main
from bayesnu.likelihood import LikelihoodSetup
from bayesnu.sources import resolve_source


def test_ps_fit_cli_json(capsys):
    rc = main(["ps", "fit", "--data", "txs0506", "--source", "TXS 0506+056", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("ns", "gamma", "ts", "flux_100tev", "success", "n_events", "samples"):
        assert key in out
    assert out["n_events"] == 1257 and len(out["samples"]) == 6
    assert out["success"] and out["ts"] >= 0


def test_ps_cli_errors_are_one_line(capsys):
    assert main(["ps", "fit", "--data", "txs0506", "--source", "No Such Source 123"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesnu: error:") and err.count("\n") == 1
    assert main(["ps", "fit", "--data", "txs0506"]) == 2
    assert main(["ps", "fit", "--data", "txs0506", "--ra", "77.36", "--dec", "95"]) == 2


@pytest.mark.parametrize("data,source,ns,gamma,ts", [
    # signal energy PDF normalised over all reco energies (before 2026-11-22 03:30 it was
    # normalised inside the observed range, which gave gamma 1.00, ns 6.52, TS 8.18 here)
    ("txs0506", "TXS 0506+056", 5.94, 2.06, 4.37),
    ("ic40", "NGC 1068", 3.33, 3.03, 2.18),
    ("ic86_2011", "NGC 1068", 8.17, 2.82, 2.64),
])
def test_golden_real_data_fits(data, source, ns, gamma, ts):
    r = fit(LikelihoodSetup(bd.load(data), resolve_source(source)))
    assert r.success
    assert r.ns == pytest.approx(ns, abs=0.5)
    assert r.gamma == pytest.approx(gamma, abs=0.15)
    assert r.ts == pytest.approx(ts, abs=0.3)


def test_ps_fit_catalogue_stacking(capsys):
    rc = main(["ps", "fit", "--data", "ic40", "--catalog", "4lac", "--weight-column",
               "Energy_Flux100", "--top", "5", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sources"]) == 5 and out["ts"] >= 0
    assert main(["ps", "fit", "--data", "ic40", "--catalog", "4lac", "--weight-column",
                 "NoSuchColumn"]) == 2
