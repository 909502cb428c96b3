"""Physics edge cases of the CnuB transport: g -> 0, huge eta, huge grids (issue 10, item 4)."""

import json

import numpy as np
import pytest

from bayesnu.cli import main
from bayesnu.errors import InputError
from bayesnu.transport import (
    ConstantDensity,
    EnergyGrid,
    Neutrinos,
    Population,
    Propagator,
    Redshift,
    SolverOptions,
    propagate,
)

OPT = SolverOptions(1e2, 1e10, 60)


@pytest.mark.parametrize("majorana", [True, False])
def test_small_coupling_reduces_smoothly_to_the_standard_model(majorana):
    sm = propagate(2.0, ConstantDensity(14.0), Neutrinos(sum_m=0.1), eta=1.0, options=OPT).ratio_sum
    diffs = []
    gs = (1e-10, 1e-8, 1e-6, 1e-4)
    for g in gs:
        nu = Neutrinos(sum_m=0.1, g=g, m_phi_mev=10.0, majorana=majorana)
        r = propagate(2.0, ConstantDensity(14.0), nu, eta=1.0, options=OPT)
        assert r.method == "eigen" and np.all(np.isfinite(r.ratio_sum))
        diffs.append(np.max(np.abs(r.ratio_sum - sm)))
    assert diffs[0] < 1e-15 and diffs[1] < 1e-11 and diffs[2] < 1e-7
    # the secret-interaction effect scales as g^2 (resonant absorption ~ g^4 / width ~ g^2)
    assert diffs[2] / diffs[1] == pytest.approx(1e4, rel=0.01)
    assert diffs[3] / diffs[2] == pytest.approx(1e4, rel=0.01)


def test_small_coupling_population_and_redshift():
    opt = SolverOptions(1e3, 1e7, 40)
    for geo in (Redshift(0.3365), Population(5.0)):
        ref = propagate(2.5, geo, Neutrinos(sum_m=0.1), eta=1.0, options=opt).ratio_sum
        r = propagate(2.5, geo, Neutrinos(sum_m=0.1, g=1e-8, m_phi_mev=10.0), eta=1.0, options=opt).ratio_sum
        assert np.all(np.isfinite(r)) and np.max(np.abs(r - ref)) < 1e-9


@pytest.mark.parametrize("geo,opt", [(ConstantDensity(14.0), OPT), (Redshift(0.6), SolverOptions(1e3, 1e7, 40)),
                                     (Population(5.0), SolverOptions(1e3, 1e7, 40))])
def test_huge_eta_is_all_absorbed_not_nan(geo, opt):
    p = Propagator(geo, Neutrinos(sum_m=0.1, g=0.1, m_phi_mev=10.0), opt)
    for eta in (1e300, np.inf):
        res, (de, dg) = p.solve(eta, 2.5, derivatives=True)
        assert res.method == "absorbed"
        assert np.all(res.flux_mass == 0) and np.all(res.numu_flux == 0)
        assert np.all(de == 0) and np.all(dg == 0)
        assert np.all(res.ratio_sum == 0)  # a ratio, not NaN: the free flux is positive
    f = p.numu_flux_grid([0.0, 1e300], 2.5)
    assert np.all(f[1] == 0) and np.all(f[0] > 0)
    # the threshold sits where exp(-tau x smallest rate) underflows: far above any limit of interest
    assert not p.absorbed(1.0) and not Propagator(geo, Neutrinos(), opt).absorbed(1e16)
    with pytest.raises(InputError):
        p.solve(-1.0, 2.5)


def test_huge_grids_are_refused_quickly():
    for bins in (1e7, 10**7, 5001, 1, 2.5, "x"):
        with pytest.raises(InputError) as e:
            SolverOptions(bins=bins)
        assert e.value.column == "bins"
    with pytest.raises(InputError):
        EnergyGrid(1e2, 1e10, 10**7)
    # the eigen solvers hold a dense 3N x 3N matrix: refused before anything is built
    with pytest.raises(InputError) as e:
        Propagator(ConstantDensity(14.0), options=SolverOptions(bins=4000))
    assert "bins" in str(e.value)


def test_cli_small_g_huge_eta_huge_bins(capsys):
    rc = main(["cnb", "propagate", "--g", "1e-8", "--mphi-mev", "10", "--bins", "40", "--json"])
    out = capsys.readouterr().out
    assert rc == 0 and np.allclose(json.loads(out)["ratio"]["sum"], json.loads(out)["ratio"]["sum"][0], atol=1e-3)
    rc = main(["cnb", "propagate", "--mode", "population", "--zmax", "5", "--eta", "1e300", "--bins", "40",
               "--emin-gev", "1e3", "--emax-gev", "1e7", "--g", "0.1", "--mphi-mev", "10", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["method"] == "absorbed"
    assert all(v == 0 for k in ("e", "mu", "tau", "sum") for v in d["ratio"][k])
    rc = main(["cnb", "propagate", "--bins", "10000000"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "bins" in err
