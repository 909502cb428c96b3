"""Spectra of the transport solver for before/after comparisons.

Usage: python benchmarks/transport_spectra_check.py save DIR     (old tree importable: PYTHONPATH=OLD)
       python benchmarks/transport_spectra_check.py compare DIR  (in the new tree)

Solves a fixed set of cases (population with and without secret interactions, Majorana and
Dirac, sub-steps, constant density and redshift, derivatives) and saves ``flux_mass`` per case
(``save``) or compares it entry by entry with the saved arrays (``compare``): maximal relative
difference, the same on entries above 1e-6 of their row maximum, changes of the zero pattern.
"""
import sys
import time

import numpy as np

from bayesnu.transport import (
    ConstantDensity,
    Cosmology,
    Neutrinos,
    OscillationParameters,
    Population,
    Propagator,
    Redshift,
    SolverOptions,
    StepControl,
)

SI = dict(g=0.1, m_phi_mev=10.0)
G800 = SolverOptions(1e3, 1e7, 800)
osc = OscillationParameters(theta12=33.44, theta13=8.57, theta23=49.0, delta_cp=195.0, dm21=7.42e-5, dm3l=2.514e-3, ordering="NO")
cases = {
 "pop_bench": lambda: Propagator(Population(5.0), Neutrinos(sum_m=0.1, **SI), G800).solve(1.0, 2.5),
 "pop_bench_dirac": lambda: Propagator(Population(5.0), Neutrinos(sum_m=0.1, majorana=False, **SI), G800).solve(1.0, 2.5),
 "pop_bench_eta30_g3": lambda: Propagator(Population(5.0), Neutrinos(sum_m=0.1, g=3.0, m_phi_mev=10.0), G800).solve(30.0, 2.0),
 "pop_nusiprop_g003": lambda: Propagator(Population(10 ** (0.005 * 156) - 1, Cosmology(70.0, 0.308)),
        Neutrinos(sum_m=0.130154, osc=osc, g=0.03, m_phi_mev=10.0, flavour_ratio=(1, 1, 1), sm=False, ee=False, n0=56.65), G800).solve(1.0, 2.5),
 "pop_sm": lambda: Propagator(Population(5.0), Neutrinos(sum_m=0.1), G800).solve(1e6, 2.5),
 "pop_sub3": lambda: Propagator(Population(2.0), Neutrinos(m_lightest=0.0342, g=0.05, m_phi_mev=3.0), SolverOptions(1e3, 1e7, 300, step=StepControl(substeps=3))).solve(3.0, 2.2),
 "pop_bps2": lambda: Propagator(Population(2.0), Neutrinos(m_lightest=0.0342, g=0.05, m_phi_mev=3.0), SolverOptions(1e3, 1e7, 300, step=StepControl(bins_per_step=2))).solve(3.0, 2.2),
 "pop_eta0": lambda: Propagator(Population(5.0), Neutrinos(sum_m=0.1, **SI), SolverOptions(1e3, 1e7, 200)).solve(0.0, 2.5),
 "const_si": lambda: Propagator(ConstantDensity(14.0), Neutrinos(sum_m=0.1, **SI), SolverOptions(1e2, 1e10, 300)).solve(1e3, 2.5),
 "const_si_dirac": lambda: Propagator(ConstantDensity(14.0), Neutrinos(sum_m=0.1, majorana=False, **SI), SolverOptions(1e2, 1e10, 300)).solve(1e3, 2.5),
 "redshift_si": lambda: Propagator(Redshift(0.3365), Neutrinos(sum_m=0.1, **SI), SolverOptions(1e2, 1e10, 300)).solve(1e2, 2.17),
 "redshift_sm": lambda: Propagator(Redshift(0.6), Neutrinos(), SolverOptions(1e2, 1e10, 300)).solve(1e12, 2.17),
}
def deriv():
    r, (de, dg) = Propagator(Population(1.0), Neutrinos(sum_m=0.1, **SI), SolverOptions(1e3, 1e7, 200)).solve(2.0, 2.5, derivatives=True)
    return r, np.concatenate([de, dg])
mode, folder = sys.argv[1], sys.argv[2]  # save|compare, folder of the .npy spectra
out = {}
for k, f in list(cases.items()) + [("pop_deriv", deriv)]:
    t = time.process_time()
    r = f()
    extra = None
    if isinstance(r, tuple):
        r, extra = r
    arr = r.flux_mass if extra is None else np.concatenate([r.flux_mass, extra])
    dt = time.process_time() - t
    if mode == "save":
        np.save(f"{folder}/{k}.npy", arr)
        print(f"{k:22s} saved  {dt:.2f} s  method {r.method}")
    else:
        ref = np.load(f"{folder}/{k}.npy")
        both = (ref != 0) | (arr != 0)
        rel = np.max(np.abs(arr[both] - ref[both]) / np.maximum(np.abs(ref[both]), 1e-300)) if both.any() else 0.0
        zeros = int(np.sum((ref == 0) != (arr == 0)))
        big = np.abs(ref) > 1e-6 * np.max(np.abs(ref), axis=-1, keepdims=True)
        relbig = np.max(np.abs(arr[big] - ref[big]) / np.abs(ref[big])) if big.any() else 0.0
        print(f"{k:22s} max rel diff {rel:.2e} (entries > 1e-6 of the row max: {relbig:.2e})  zero-pattern changes {zeros}  bitwise {np.array_equal(ref, arr)}  {dt:.2f} s  {r.method}")
