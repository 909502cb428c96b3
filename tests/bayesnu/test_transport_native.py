"""Transport kernels run as exported native code (no numba import) and through numba alike."""

import os
import subprocess
import sys

import numpy as np
import pytest

from bayesnu.transport import (
    EnergyGrid,
    Neutrinos,
    Population,
    Propagator,
    SecretInteraction,
    SolverOptions,
    _jit,
)
from bayesnu.transport import operator as op_mod
from bayesnu.transport import solvers as solv_mod

NATIVE = (op_mod._si_bins, solv_mod._etd2_stages)


def _population(majorana=True):
    nu = Neutrinos(sum_m=0.1, g=0.1, m_phi_mev=10.0, majorana=majorana)
    return Propagator(Population(1.0), nu, SolverOptions(1e3, 1e7, 120)).solve(1.0, 2.5).flux_mass


@pytest.mark.parametrize("majorana", [True, False])
def test_native_and_numba_paths_agree_bitwise(monkeypatch, majorana):
    native = _population(majorana)
    for k in NATIVE:
        assert isinstance(k, _jit.Kernel) and k._cfn, f"{k} did not run as native code"
    for k in NATIVE:
        monkeypatch.setattr(k, "_cfn", False)  # numba dispatcher
    numba_path = _population(majorana)
    assert np.array_equal(native, numba_path)
    assert np.all(np.isfinite(native)) and np.any(native > 0)


def test_population_solve_imports_neither_numba_nor_scipy(tmp_path):
    code = (
        "import sys\n"
        "from bayesnu.transport import Neutrinos, Population, Propagator, SolverOptions\n"
        "r = Propagator(Population(1.0), Neutrinos(sum_m=0.1, g=0.1, m_phi_mev=10.0),\n"
        "               SolverOptions(1e3, 1e7, 120)).solve(1.0, 2.5)\n"
        "print(float(r.numu_flux.sum()), 'numba' in sys.modules, 'scipy' in sys.modules)\n"
    )
    env = dict(os.environ, BAYESNU_NATIVE_CACHE_DIR=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert any(p.suffix == ".native" for p in tmp_path.iterdir())  # built by the first process
    total1, _, _ = first.stdout.split()
    total2, numba_loaded, scipy_loaded = second.stdout.split()
    assert (numba_loaded, scipy_loaded) == ("False", "False")
    assert float(total1) == float(total2) > 0


def test_non_contiguous_arguments_fall_back_to_numba():
    spec = solv_mod._etd2_stages.native
    arrays = [np.zeros((4, 3))[:, ::2]]
    assert not _jit._native_args_ok(spec[:1], arrays)
    assert _jit._native_args_ok(spec[:1], [np.zeros((4, 3))])


@pytest.mark.parametrize("g,m_phi,emin,emax,nb", [(0.1, 10.0, 1e3, 1e7, 400), (3.0, 10.0, 1e2, 1e10, 300),
                                                  (1e-9, 3.0, 1e2, 1e10, 300), (0.5, 30.0, 1e2, 1e8, 60)])
def test_source_nodes_equal_per_bin_resonance_nodes(g, m_phi, emin, emax, nb):
    edges = EnergyGrid(emin, emax, nb).edges
    for majorana in (True, False):
        si = SecretInteraction(g, m_phi, majorana=majorana)
        for m_ev in (0.001, 0.0342, 0.8):
            er = si.resonance_energy(m_ev)
            hw = er * si.width / si.m_phi
            ptr, x, w, off = op_mod._source_nodes(edges, er, hw)
            for m in range(nb):
                d = min(abs(edges[m] - er), abs(edges[m + 1] - er))
                npl = 2 if d > 30.0 * (edges[m + 1] - edges[m]) and not edges[m] <= er <= edges[m + 1] else 3
                xm, wm, om = op_mod.resonance_nodes(edges[m], edges[m + 1], er, hw, n_plain=npl, offsets=True)
                sl = slice(ptr[m], ptr[m + 1])
                assert np.array_equal(x[sl], xm) and np.array_equal(w[sl], wm) and np.array_equal(off[sl], om)
