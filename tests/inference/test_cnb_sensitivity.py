"""CnuB future sensitivity (resumable campaign) and SBC of the log10 eta posterior."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bayesnu.inference.cnb_sensitivity import future_sensitivity, sbc_log10_eta, sensitivity_context

from bayesnu.errors import InputError

DATA = "txs0506:IC86b+IC86c"
SRC = "TXS 0506+056"
X = np.array([15.0, 16.5, 18.0, 19.5])
KW = dict(d_eff_mpc=14.0, bins=80, scheduler="serial", chunk_size=1)


def test_resumed_sensitivity_equals_uninterrupted(tmp_path):
    full = future_sensitivity(DATA, SRC, 10.0, 2, tmp_path / "a", 5, X, **KW)
    first = future_sensitivity(DATA, SRC, 10.0, 1, tmp_path / "b", 5, X, **KW)
    resumed = future_sensitivity(DATA, SRC, 10.0, 2, tmp_path / "b", 5, X, **KW)
    assert first["n_instances"] == 1 and resumed["chunks_reused"] == 1
    assert resumed["chunks_run"] == 1 and full["chunks_run"] == 2
    for key in ("ts_median", "ts_band_68", "eta_limit_median"):
        assert np.array_equal(np.asarray(full[key]), np.asarray(resumed[key]))
    doc = json.loads(json.dumps(full, default=float))
    for key in ("log10_eta", "ts_median", "ts_band_68", "eta_limit_median", "n_instances"):
        assert key in doc
    assert doc["n_instances"] == 2 and np.allclose(doc["log10_eta"], X)
    lo, hi = np.asarray(doc["ts_band_68"])
    assert lo.shape == X.shape and np.all(lo <= np.asarray(doc["ts_median"]) + 1e-12)
    assert np.all(np.asarray(doc["ts_median"]) <= hi + 1e-12)
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))


def test_sbc_ranks_in_range_and_deterministic():
    ctx = sensitivity_context(DATA, SRC, 0.0342, 14.0, None, 80, 0)
    kw = dict(log10_eta_range=(15.0, 20.0), n_eta=8, ns_range=(0.0, 60.0), n_ns=8, n_draws=19)
    a = sbc_log10_eta(np.random.default_rng(7), 3, ctx.source, ctx.propagator, **kw)
    b = sbc_log10_eta(np.random.default_rng(7), 3, ctx.source, ctx.propagator, **kw)
    assert np.array_equal(a["ranks"], b["ranks"]) and np.array_equal(a["pit"], b["pit"])
    assert np.all((a["ranks"] >= 0) & (a["ranks"] <= 19))
    assert np.all((a["pit"] >= 0) & (a["pit"] <= 1))
    assert np.all((a["truth"][:, 0] >= 15.0) & (a["truth"][:, 0] <= 20.0))
    assert set(a["coverage"]) == {"0.5", "0.68", "0.9", "0.95"}
    with pytest.raises(InputError, match="increasing"):
        sbc_log10_eta(np.random.default_rng(7), 1, ctx.source, ctx.propagator,
                      log10_eta_range=(20.0, 15.0), n_eta=4)


def test_cli_sensitivity_json_and_resume(tmp_path, capsys):
    from bayesnu.cli import main

    argv = ["cnb", "sensitivity", "--data", DATA, "--source", SRC, "--years-added", "10",
            "--instances", "1", "--out", str(tmp_path / "c"), "--d-eff-mpc", "14", "--bins", "80",
            "--points", "4", "--chunk-size", "1", "--seed", "5", "--json", "--quiet"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("log10_eta", "ts_median", "ts_band_68", "eta_limit_median", "n_instances"):
        assert key in doc
    assert doc["n_instances"] == 1 and doc["chunks_run"] == 1 and len(doc["log10_eta"]) == 4
    assert main(argv) == 0  # same folder: everything reused, nothing recomputed
    doc2 = json.loads(capsys.readouterr().out)
    assert doc2["chunks_reused"] == 1 and doc2["chunks_run"] == 0
    assert doc2["ts_median"] == doc["ts_median"]
    bad = argv.copy()
    bad[bad.index("--years-added") + 1] = "-1"
    assert main(bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--years-added" in err[0]
