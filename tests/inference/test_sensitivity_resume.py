"""`flare sensitivity --out DIR`: background and signal trials on the resumable campaign runner.

An interrupted run resumes from the folder without recomputing finished chunks, and gives the
same result as an uninterrupted run (issue 10).
"""

import json
import warnings

import pytest
from bayesnu.inference import sensitivity as sens

KW = {"sigma_t": (10.0,), "gamma": 2.0, "ra": 77.36, "n_bg": 24, "n_sig": 6,
      "ns_grid": (3.0, 12.0), "n_boot": 5, "seed": 3}


def _run(sample, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = sens.flare_sensitivity(sample, 5.69, **KW, **kw).as_dict()
    return json.dumps(d, sort_keys=True)  # NaN (no discovery at these sizes) compares equal


def test_interrupted_sensitivity_resumes_identically(txs_ic86b, tmp_path, monkeypatch):
    monkeypatch.setattr(sens, "SENS_CHUNK", 4)  # several chunks per campaign at small sizes
    ref = _run(txs_ic86b, trials_dir=tmp_path / "ref")

    calls = {"n": 0}
    real = sens.signal_trials

    def dying(*a, **k):  # the run is killed during its second signal chunk
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(sens, "signal_trials", dying)
    work = tmp_path / "work"
    with pytest.raises(KeyboardInterrupt):
        _run(txs_ic86b, trials_dir=work)
    assert len(list((work / "background").glob("chunk_*.npz"))) == 6  # 24 trials / 4
    monkeypatch.setattr(sens, "signal_trials", real)

    counted = {"bg": 0}
    real_bg = sens.background_chunk

    def counting(*a, **k):
        counted["bg"] += 1
        return real_bg(*a, **k)

    monkeypatch.setattr(sens, "background_chunk", counting)
    assert _run(txs_ic86b, trials_dir=work) == ref
    assert counted["bg"] == 0  # the background chunks were reused, not recomputed
    ts_dirs = sorted(p.name for p in work.iterdir())
    assert ts_dirs[0] == "background" and all(d.startswith("signal_sigma10_ns") for d in ts_dirs[1:])
