"""Population transport across secret-interaction resonances: bayesnu vs nuSIprop, notch by notch.

Run (nuSIprop built outside the repository, see benchmarks/bench_transport.py):
    OPENBLAS_NUM_THREADS=1 python benchmarks/compare_nusiprop.py --nusiprop NUSIPROP_DIR \\
        --nusiprop-python NUSIPROP_VENV/bin/python --g 0.03 --sum-m 0.130154

nuSIprop (Esteban et al. 2021, arXiv:2107.13568) is run on the same 800 bins over
1e12 .. 1e16 eV, continued up to 10^16.78 eV so that, like bayesnu's working grid, it
follows every neutrino that can regenerate into the range (its top bins otherwise miss
that regeneration). bayesnu uses nuSIprop's inputs: NuFIT 5.0 mixing and splittings,
n = 56.65 cm^-3 per state, H0 = 70, Omega_m = 0.308, equal mass-state production
(flavour 1:1:1), secret interactions only (no Standard Model), and nuSIprop's z_max
(its redshift grid ends at 5.026). Printed per notch: nuSIprop's nu_mu ratio, bayesnu
with nuSIprop's step (one backward-Euler step per redshift step, no energy correction),
the converged solution (number-conserving exponential step with 64 sub-steps per
redshift step) and bayesnu's default population solver ("etd2", one step per redshift
step).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

from bayesnu.transport import (
    Cosmology,
    Neutrinos,
    OscillationParameters,
    Population,
    Propagator,
    SolverOptions,
    StepControl,
)

NUSIPROP = """
import json, sys
sys.path.insert(0, {path!r})
import numpy as np, nuSIprop
def run(g):
    ev = nuSIprop.pyprop(mphi={mphi_ev}, g=g, mntot={mntot}, si={gamma}, norm=1, majorana=True, non_resonant=True,
                         normal_ordering=True, N_bins_E={bins}, lEmin=12, lEmax={lemax}, zmax=5, flav=2, phiphi=False)
    ev.evolve()
    return ev
a, b = run({g}), run(1e-12)
json.dump({{"E_ev": list(a.get_energies()), "flux": np.array(a.get_flux_fla()).tolist(),
            "free": np.array(b.get_flux_fla()).tolist()}}, open({out!r}, "w"))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nusiprop", required=True, help="folder of a built nuSIprop")
    ap.add_argument("--nusiprop-python", default="python", help="python that imports nuSIprop")
    ap.add_argument("--g", type=float, default=0.03, help="coupling g_tautau")
    ap.add_argument("--m-phi-mev", type=float, default=10.0, help="mediator mass [MeV]")
    ap.add_argument("--sum-m", type=float, default=0.130154, help="sum of neutrino masses [eV]")
    ap.add_argument("--gamma", type=float, default=2.5, help="spectral index")
    ap.add_argument("--json", help="reuse a nuSIprop result written by an earlier run")
    args = ap.parse_args()
    bins, dlog = 800, 4.0 / 800
    nz = int(np.log(6.0) / np.log(10**dlog) + 2)
    ext = nz  # bins that reach E_max (1 + z_max)
    out = args.json
    if out is None:
        out = tempfile.mktemp(suffix=".json")
        code = NUSIPROP.format(path=args.nusiprop, mphi_ev=args.m_phi_mev * 1e6, mntot=args.sum_m, gamma=args.gamma,
                               bins=bins + ext, lemax=12 + (bins + ext) * dlog, g=args.g, out=out)
        t = time.perf_counter()
        subprocess.run([args.nusiprop_python, "-c", code], check=True)
        print(f"# nuSIprop: {bins + ext} bins, two evolves in {time.perf_counter() - t:.1f} s")
    d = json.load(open(out))
    E = np.array(d["E_ev"])[:bins]
    ns = (np.array(d["flux"]) / np.array(d["free"]))[1, :bins]
    osc = OscillationParameters(theta12=33.44, theta13=8.57, theta23=49.0, delta_cp=195.0, dm21=7.42e-5,
                                dm3l=2.514e-3, ordering="NO")
    nu = Neutrinos(sum_m=args.sum_m, osc=osc, g=args.g, m_phi_mev=args.m_phi_mev, flavour_ratio=(1, 1, 1),
                   sm=False, ee=False, n0=56.65)
    geo = Population(10 ** (dlog * (nz - 1)) - 1, Cosmology(70.0, 0.308))

    def solve(**kw):
        floor = kw.pop("floor", 1e-30)
        corr = kw.pop("energy_correction", True)
        opt = SolverOptions(1e3, 1e7, bins, floor=floor, energy_correction=corr, step=StepControl(**kw))
        t = time.perf_counter()
        r = Propagator(geo, nu, opt).solve(1.0, args.gamma)
        return r.ratio_flavour[1], time.perf_counter() - t

    be1, t_be1 = solve(scheme="be", levels=1, floor=0.0, energy_correction=False)
    ref, t_ref = solve(scheme="etd", substeps=64)
    default, t_def = solve()
    bel, _ = solve(scheme="be")
    print(f"# bayesnu: nuSIprop's step {t_be1:.2f} s, converged reference {t_ref:.2f} s, default (etd2) {t_def:.2f} s")
    print(f"# g = {args.g}, m_phi = {args.m_phi_mev} MeV, sum m = {args.sum_m} eV, gamma = {args.gamma}; nu_mu ratios")
    print("| E [eV] | nuSIprop | bayesnu, nuSIprop's step | converged | bayesnu default (etd2) | default / converged - 1 "
          "| former default (BE + Richardson) |")
    print("|---|---|---|---|---|---|---|")
    notch = [k for k in range(1, bins - 1) if ns[k] < ns[k - 1] and ns[k] <= ns[k + 1] and ns[k] < 0.5]
    shown = sorted({j for k in notch for j in range(max(0, k - 2), min(bins, k + 3))})
    for k in shown:
        print(f"| {E[k]:.4e} | {ns[k]:.3e} | {be1[k]:.3e} | {ref[k]:.3e} | {default[k]:.3e} | "
              f"{default[k] / ref[k] - 1:+.1e} | {bel[k]:.3e} |")
    for thr in (0.1, 1e-2, 0.0):
        ok = ref > thr
        print(f"# bins with converged ratio > {thr:g}: max |nuSIprop / bayesnu-with-its-step - 1| = "
              f"{np.max(np.abs(ns[ok] / be1[ok] - 1)):.2e}; max |nuSIprop / converged - 1| = "
              f"{np.max(np.abs(ns[ok] / ref[ok] - 1)):.2e}; max |default / converged - 1| = "
              f"{np.max(np.abs(default[ok] / ref[ok] - 1)):.2e}; zeros: default {int(np.sum(default[ok] == 0))}, "
              f"former default {int(np.sum(bel[ok] == 0))}")
    if args.json is None:
        os.unlink(out)


if __name__ == "__main__":
    main()
