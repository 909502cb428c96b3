"""Speed of the CnuB transport solver, and the population solve side by side with nuSIprop.

Run:
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_transport.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_transport.py --nusiprop /tmp/nusiprop \\
        --nusiprop-python /tmp/nsvenv/bin/python          # adds the nuSIprop comparison

nuSIprop (Esteban et al. 2021, github.com/ivan-esteban-phys/nuSIprop) is not part of bayesnu:
build it outside the repository (apt-get install libgsl-dev; pip install cython;
python setup.py build_ext --inplace in its folder) and pass the folder. The comparison
case is "today's benchmark": a star-formation-history population to z_max = 5, 800 bins
over 1e3 .. 1e7 GeV (1e12 .. 1e16 eV), secret interaction g = 0.1, m_phi = 10 MeV,
sum of masses 0.1 eV, Majorana, gamma = 2.5.

Measured 2026-12-02 (2 cores shared with other jobs, load average ~10; BENCHMARKS.md has the table):
warm in-process, nuSIprop evolve CPU 3.10 / 3.23 s (wall 11.1 / 11.2 s) vs bayesnu setup + solve
CPU 0.246 / 0.260 s (wall 0.90 / 1.08 s): 12.4x CPU, 10.4x wall (median); whole process, nuSIprop
CPU 3.65 / 3.84 s vs `bayesnu cnb propagate --mode population ...` CPU 1.35 / 1.44 s: 2.7x (the
process pays Python + numpy, numba's import ~0.26 s and its first-dispatch registry set-up, which
imports scipy.linalg, ~0.45 s, before the ~0.25 s of work).

Each figure is printed as best / median of the repeats, in wall-clock and CPU seconds
(the machine is shared: CPU time is the fairer ratio). The first call of every numba
kernel (loading its on-disk cache) is excluded from the in-process figures (warm-up) and
included in the whole-process figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from bayesnu.transport import (
    ConstantDensity,
    Neutrinos,
    Population,
    Propagator,
    Redshift,
    SolverOptions,
    StepControl,
)

G300 = SolverOptions(1e2, 1e10, 300)
G800 = SolverOptions(1e3, 1e7, 800)
SI = dict(g=0.1, m_phi_mev=10.0)

NUSIPROP_SCRIPT = """
import sys, time
sys.path.insert(0, {path!r})
import nuSIprop
def make():
    return nuSIprop.pyprop(mphi=1e7, g=0.1, mntot=0.1, si=2.5, norm=1, majorana=True, non_resonant=True,
                           normal_ordering=True, N_bins_E=800, lEmin=12, lEmax=16, zmax=5, flav=2, phiphi=False)
ev = make()
ev.evolve()
if len(sys.argv) > 1:  # in-process timing of further evolves
    for _ in range(int(sys.argv[1])):
        ev = make()
        w, c = time.perf_counter(), time.process_time()
        ev.evolve()
        print(f"{{time.perf_counter() - w:.4f}} {{time.process_time() - c:.4f}}")
else:
    print(len(ev.get_flux_fla()[1]))
"""

BAYESNU_CLI = ["cnb", "propagate", "--mode", "population", "--zmax", "5", "--bins", "800", "--emin-gev", "1e3",
               "--emax-gev", "1e7", "--g", "0.1", "--mphi-mev", "10", "--sum-m", "0.1", "--gamma", "2.5", "--json"]


def timed(fn, repeat=5):
    """(best wall, median wall, best CPU, median CPU) over ``repeat`` calls [s]."""
    ws, cs = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        ws.append(time.perf_counter() - w)
        cs.append(time.process_time() - c)
    return min(ws), float(np.median(ws)), min(cs), float(np.median(cs))


def show(label, t, unit="ms"):
    f = 1e3 if unit == "ms" else 1.0
    print(f"{label:<74s} wall {t[0]*f:8.2f} / {t[1]*f:8.2f} {unit}   CPU {t[2]*f:8.2f} / {t[3]*f:8.2f} {unit}",
          flush=True)


def population_case():
    return Propagator(Population(5.0), Neutrinos(sum_m=0.1, **SI), G800)


def solver_table() -> None:
    small = SolverOptions(1e2, 1e6, 20)
    for geo in (ConstantDensity(14.0), Redshift(0.3), Population(1.0)):  # warm-up (numba caches)
        Propagator(geo, Neutrinos(**SI), small).solve(1.0, 2.0, derivatives=True)
    nu = Neutrinos(m_lightest=0.034)
    show("no-redshift 300 bins SM: setup (operator + eigen-decomposition)",
         timed(lambda: Propagator(ConstantDensity(14.0), nu, G300)))
    p = Propagator(ConstantDensity(14.0), nu, G300)
    show("no-redshift 300 bins SM: one eta (flux)", timed(lambda: p.numu_flux_grid([1e14], 3.15), 20))
    show("no-redshift 300 bins SM: one eta (flux + d/deta + d/dgamma)",
         timed(lambda: p.numu_flux_grid([1e14], 3.15, derivatives=True), 20))
    etas = np.logspace(10, 16, 200)
    show("no-redshift 300 bins SM: 200-point eta grid, one call", timed(lambda: p.numu_flux_grid(etas, 3.15)))
    show("no-redshift 300 bins SM: 200-point eta grid with derivatives",
         timed(lambda: p.numu_flux_grid(etas, 3.15, derivatives=True)))
    pi = Propagator(ConstantDensity(14.0), nu, SolverOptions(1e2, 1e10, 300, step=StepControl(
        method="implicit", implicit_steps=64, implicit_levels=3)))
    show("no-redshift 300 bins SM: implicit reference (64+128+256 steps), one eta",
         timed(lambda: pi.numu_flux_grid([1e14], 3.15), 3))
    nsi = Neutrinos(sum_m=0.1, **SI)
    show("no-redshift 300 bins SM+SI (g=0.1, m_phi=10 MeV): setup",
         timed(lambda: Propagator(ConstantDensity(14.0), nsi, G300), 3))
    ps = Propagator(ConstantDensity(14.0), nsi, G300)
    show("no-redshift 300 bins SM+SI: one evaluation", timed(lambda: ps.numu_flux_grid([1.0], 2.5), 5))
    show("redshift z=0.3365 300 bins SM: setup + solve",
         timed(lambda: Propagator(Redshift(0.3365), nu, G300).numu_flux(1e12, 2.17), 3))
    q = Propagator(Redshift(0.3365), nu, G300)
    show("redshift z=0.3365 300 bins SM: solve with d/deta, d/dgamma",
         timed(lambda: q.solve(1e12, 2.17, derivatives=True), 3))
    show("redshift z=0.3365 300 bins SM+SI: setup + solve",
         timed(lambda: Propagator(Redshift(0.3365), nsi, G300).numu_flux(1.0, 2.17), 3))
    show("population 800 bins 1e3-1e7 GeV z_max=5 SM: setup + solve",
         timed(lambda: Propagator(Population(5.0), Neutrinos(sum_m=0.1), G800).solve(1.0, 2.5), 3))
    show("population 800 bins z_max=5 SM+SI (g=0.1, m_phi=10 MeV): setup + solve",
         timed(lambda: population_case().solve(1.0, 2.5), 5))
    qq = population_case()
    show("population 800 bins z_max=5 SM+SI: solve only (built Propagator)", timed(lambda: qq.solve(1.0, 2.5), 5))


def nusiprop_side_by_side(path: str, python: str, repeat: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(NUSIPROP_SCRIPT.format(path=path))
        script = fh.name
    try:
        print("\n# side by side: population 800 bins, z_max 5, g 0.1, m_phi 10 MeV, sum 0.1 eV, gamma 2.5")
        out = subprocess.run([python, script, str(repeat)], capture_output=True, text=True, check=True).stdout
        ns = np.array([[float(v) for v in line.split()] for line in out.strip().splitlines()])
        bn = [timed(lambda: population_case().solve(1.0, 2.5), 1) for _ in range(repeat)]
        bw = np.array([[b[0], b[2]] for b in bn])
        print(f"warm in-process: nuSIprop evolve wall {ns[:, 0].min():.3f} / {np.median(ns[:, 0]):.3f} s, "
              f"CPU {ns[:, 1].min():.3f} / {np.median(ns[:, 1]):.3f} s")
        print(f"warm in-process: bayesnu setup + solve wall {bw[:, 0].min():.3f} / {np.median(bw[:, 0]):.3f} s, "
              f"CPU {bw[:, 1].min():.3f} / {np.median(bw[:, 1]):.3f} s")
        print(f"warm in-process speed-up (median): wall {np.median(ns[:, 0]) / np.median(bw[:, 0]):.1f}x, "
              f"CPU {np.median(ns[:, 1]) / np.median(bw[:, 1]):.1f}x", flush=True)
        exe = os.path.join(os.path.dirname(sys.executable), "bayesnu")  # the console script (no pyenv shim)
        entry = [exe] if os.path.exists(exe) else [sys.executable, "-c", "import sys; from bayesnu.cli import main; "
                                                                          "sys.exit(main(sys.argv[1:]))"]
        rows = {"nuSIprop": [python, script], "bayesnu": [*entry, *BAYESNU_CLI]}
        res = {k: [] for k in rows}
        for _ in range(repeat):  # interleaved, so both see the same machine load
            for name, cmd in rows.items():
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                w = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
                wall = time.perf_counter() - w
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                res[name].append((wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)))
        for name, v in res.items():
            a = np.array(v)
            print(f"whole process {name:<9s} wall {a[:, 0].min():.3f} / {np.median(a[:, 0]):.3f} s, "
                  f"CPU {a[:, 1].min():.3f} / {np.median(a[:, 1]):.3f} s")
        a, b = np.array(res["nuSIprop"]), np.array(res["bayesnu"])
        print(f"whole-process speed-up (median): wall {np.median(a[:, 0]) / np.median(b[:, 0]):.1f}x, "
              f"CPU {np.median(a[:, 1]) / np.median(b[:, 1]):.1f}x")
        imp = subprocess.run([sys.executable, "-c", "import time; t=time.process_time(); import numpy; "
                              "a=time.process_time(); import bayesnu.transport; b=time.process_time(); "
                              "print(f'{a-t:.3f} {b-a:.3f}')"], capture_output=True, text=True).stdout.split()
        print(f"process floor: import numpy {float(imp[0]):.3f} s CPU, then import bayesnu.transport "
              f"{float(imp[1]):.3f} s CPU (numba)")
    finally:
        os.unlink(script)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nusiprop", help="folder of a built nuSIprop (adds the side-by-side comparison)")
    ap.add_argument("--nusiprop-python", default=sys.executable, help="python that imports nuSIprop")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the side-by-side runs")
    ap.add_argument("--only-nusiprop", action="store_true", help="skip the solver table")
    args = ap.parse_args()
    if not args.only_nusiprop:
        solver_table()
    if args.nusiprop:
        population_case().solve(1.0, 2.5)  # warm-up
        nusiprop_side_by_side(args.nusiprop, args.nusiprop_python, args.repeat)


if __name__ == "__main__":
    main()
