"""`flare trials --bands`: every band is checked before any band runs (issue 10).

On the TXS 0506+056 release (IC86b), band 44 [7, 9] deg used to fail after bands 42 and 43 had
run: a position at dec 8.65-8.69 deg was rounded to the 0.1-deg energy table's 8.7 deg, beyond
the effective area's edge (8.693 deg). That rounding now stays inside the area, and a band
whose effective area really vanishes is refused before any work, naming option --bands.
"""

import dataclasses
import os

import numpy as np
import pytest
from bayesnu.inference.flare_scan import band_trial_campaigns, check_bands

import bayesnu.cli.flare as cli_flare
from bayesnu.cli import main
from bayesnu.errors import InputError
from bayesnu.flare.trials import make_model


def test_energy_table_at_the_area_edge(txs_ic86b):
    model = make_model(txs_ic86b)
    top = float(np.degrees(np.arcsin(txs_ic86b.aeff.sindec_edges[-1])))  # 8.693 deg
    inside = model.energy_log_ratio(top - 0.01)  # rounds to 8.7, beyond the edge
    assert np.all(np.isfinite(inside))
    np.testing.assert_array_equal(model.energy_log_ratio(5.69), model.energy_log_ratio(5.7))
    check_bands(txs_ic86b, [42, 43, 44], 81)


@pytest.fixture(scope="module")
def no_area_above_6deg(txs_ic86b):
    """IC86b with its effective area set to zero above dec 6 deg (a declination hole)."""
    a = txs_ic86b.aeff
    e = np.asarray(a.sindec_edges)
    area = np.asarray(a.area_cm2)
    cut = np.sin(np.radians(6.0))
    aeff = dataclasses.replace(a, sindec_edges=np.array([e[0], cut, e[-1]]),
                               area_cm2=np.concatenate([area, np.zeros_like(area)], axis=1))
    return dataclasses.replace(txs_ic86b, aeff=aeff)


def test_infeasible_band_refused_before_any_work(no_area_above_6deg, tmp_path):
    out = tmp_path / "trials"
    with pytest.raises(InputError) as info:
        band_trial_campaigns(no_area_above_6deg, out, [42, 43, 44], 2, n_bands=81, seed=1)
    assert info.value.column == "bands" and "band 43" in str(info.value)
    assert not out.exists()  # band 42 did not run first
    check_bands(no_area_above_6deg, [42], 81)


def test_cli_names_option_and_band(no_area_above_6deg, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_flare, "_one_sample", lambda ds, names: no_area_above_6deg)
    out = tmp_path / "t"
    rc = main(["flare", "trials", "--data", "txs0506", "--sample", "IC86b", "--bands", "42:45",
               "--n", "2", "--out", os.fspath(out), "--scheduler", "serial", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert "option --bands" in err[0] and "band 43" in err[0]
    assert not out.exists()
