"""Speed of the CnuB transport solver, and the population solve side by side with nuSIprop.

Run:
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_transport.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_transport.py --nusiprop NUSIPROP_DIR \\
        --nusiprop-python NUSIPROP_VENV/bin/python --repeat 7 --only-nusiprop      # the comparison

nuSIprop (Esteban et al. 2021, github.com/ivan-esteban-phys/nuSIprop) is not part of bayesnu and
not on PyPI: take its repository, build it outside this one in a venv of its own
(apt-get install libgsl-dev; python -m venv NUSIPROP_VENV; NUSIPROP_VENV/bin/pip install cython numpy
scipy setuptools; NUSIPROP_VENV/bin/python setup.py build_ext --inplace in its folder; nuSIprop imports
scipy.interpolate) and pass the folder and that python. The comparison case is "today's benchmark":
a star-formation-history population to z_max = 5, 800 bins over 1e3 .. 1e7 GeV (1e12 .. 1e16 eV),
secret interaction g = 0.1, m_phi = 10 MeV, sum of masses 0.1 eV, Majorana, gamma = 2.5.

Whole process: the fair comparison is one script per tool doing one evolve / one population
solve in a fresh interpreter (``NUSIPROP_SCRIPT`` and ``BAYESNU_SCRIPT`` below), run interleaved
so both see the same machine load; the ``bayesnu cnb propagate`` command is timed too. The
interpreters are run directly (a pyenv shim is a bash script that costs ~0.05 s of CPU per
start). ``--compile-bytecode`` first writes bayesnu's .pyc files (what ``pip install .`` does;
an editable install under PYTHONDONTWRITEBYTECODE=1 recompiles the package's sources in every
process, ~0.03 s). The population solve's kernels run as exported native code
(bayesnu.transport._jit): the process imports neither numba nor scipy; the first run after a
change of the kernel sources builds that code with numba (a few seconds) and is excluded.

Each figure is printed as best / median of the repeats, in wall-clock and CPU seconds
(the machine is shared: CPU time is the fairer ratio), with the load average before and after.
BENCHMARKS.md has the table.
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

BAYESNU_SCRIPT = """
import sys, time
from bayesnu.transport import Neutrinos, Population, Propagator, SolverOptions
def solve():
    return Propagator(Population(5.0), Neutrinos(sum_m=0.1, g=0.1, m_phi_mev=10.0),
                      SolverOptions(1e3, 1e7, 800)).solve(1.0, 2.5)
r = solve()
if len(sys.argv) > 1:  # in-process timing of further solves
    for _ in range(int(sys.argv[1])):
        w, c = time.perf_counter(), time.process_time()
        solve()
        print(f"{time.perf_counter() - w:.4f} {time.process_time() - c:.4f}")
else:
    print(r.numu_flux.size)
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


def _loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:  # pragma: no cover
        return "n/a"


def _run(cmd, env=None) -> tuple[float, float]:
    """(wall, CPU of the child: user + sys) [s] of one command."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, env=env)
    wall = time.perf_counter() - w
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def _stats(v) -> str:
    a = np.array(v)
    return (f"wall {a[:, 0].min():.3f} / {np.median(a[:, 0]):.3f} s, "
            f"CPU {a[:, 1].min():.3f} / {np.median(a[:, 1]):.3f} s")


def nusiprop_side_by_side(path: str, python: str, repeat: int, blas_threads: str = "1") -> None:
    tmp = tempfile.mkdtemp(prefix="bench_transport_")
    ns_script = os.path.join(tmp, "nusiprop_evolve.py")
    bn_script = os.path.join(tmp, "bayesnu_population.py")
    with open(ns_script, "w") as fh:
        fh.write(NUSIPROP_SCRIPT.format(path=path))
    with open(bn_script, "w") as fh:
        fh.write(BAYESNU_SCRIPT)
    me = os.path.realpath(sys.executable)
    env = dict(os.environ)
    if blas_threads != "default":
        env["OPENBLAS_NUM_THREADS"] = blas_threads
    try:
        print("\n# side by side: population 800 bins, z_max 5, g 0.1, m_phi 10 MeV, sum 0.1 eV, gamma 2.5")
        print(f"# load average before: {_loadavg()}; OPENBLAS_NUM_THREADS={env.get('OPENBLAS_NUM_THREADS', 'unset')}")
        _run([me, bn_script], env)  # builds the native kernels if the sources changed
        out = subprocess.run([python, ns_script, str(repeat)], capture_output=True, text=True, check=True,
                             env=env).stdout
        ns = np.array([[float(v) for v in line.split()] for line in out.strip().splitlines()])
        out = subprocess.run([me, bn_script, str(repeat)], capture_output=True, text=True, check=True,
                             env=env).stdout
        bw = np.array([[float(v) for v in line.split()] for line in out.strip().splitlines()])
        print(f"warm in-process: nuSIprop evolve {_stats(ns)}")
        print(f"warm in-process: bayesnu setup + solve {_stats(bw)}")
        print(f"warm in-process speed-up (median): wall {np.median(ns[:, 0]) / np.median(bw[:, 0]):.1f}x, "
              f"CPU {np.median(ns[:, 1]) / np.median(bw[:, 1]):.1f}x", flush=True)
        exe = os.path.join(os.path.dirname(me), "bayesnu")  # the console script (no pyenv shim)
        entry = [exe] if os.path.exists(exe) else [me, "-c", "import sys; from bayesnu.cli import main; "
                                                             "sys.exit(main(sys.argv[1:]))"]
        rows = {"nuSIprop script": [python, ns_script], "bayesnu script": [me, bn_script],
                "bayesnu CLI": [*entry, *BAYESNU_CLI]}
        res = {k: [] for k in rows}
        for _ in range(repeat):  # interleaved, so all see the same machine load
            for name, cmd in rows.items():
                res[name].append(_run(cmd, env))
        for name, v in res.items():
            print(f"whole process {name:<16s} {_stats(v)}")
        a = np.array(res["nuSIprop script"])
        for name in ("bayesnu script", "bayesnu CLI"):
            b = np.array(res[name])
            print(f"whole-process speed-up, {name} (best, median): wall {a[:, 0].min() / b[:, 0].min():.1f}x, "
                  f"{np.median(a[:, 0]) / np.median(b[:, 0]):.1f}x; CPU {a[:, 1].min() / b[:, 1].min():.1f}x, "
                  f"{np.median(a[:, 1]) / np.median(b[:, 1]):.1f}x")
        floors = {"python -c pass (bayesnu's python)": [me, "-c", "pass"],
                  "python -c 'import numpy' (bayesnu's python)": [me, "-c", "import numpy"],
                  "python -c 'import numpy' (nuSIprop's python)": [python, "-c", "import numpy"]}
        for name, cmd in floors.items():
            print(f"floor {name:<46s} {_stats([_run(cmd, env) for _ in range(repeat)])}")
        print(f"# load average after: {_loadavg()}")
    finally:
        for f in (ns_script, bn_script):
            os.unlink(f)
        os.rmdir(tmp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nusiprop", help="folder of a built nuSIprop (adds the side-by-side comparison)")
    ap.add_argument("--nusiprop-python", default=sys.executable, help="python that imports nuSIprop")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the side-by-side runs")
    ap.add_argument("--only-nusiprop", action="store_true", help="skip the solver table")
    ap.add_argument("--blas-threads", default="1",
                    help="OPENBLAS_NUM_THREADS of the side-by-side processes ('default': leave it unset)")
    ap.add_argument("--compile-bytecode", action="store_true",
                    help="write bayesnu's .pyc files first (as pip install does)")
    args = ap.parse_args()
    if args.compile_bytecode:
        import compileall

        import bayesnu

        compileall.compile_dir(os.path.dirname(bayesnu.__file__), quiet=1)
    if not args.only_nusiprop:
        solver_table()
    if args.nusiprop:
        nusiprop_side_by_side(args.nusiprop, args.nusiprop_python, args.repeat, args.blas_threads)


if __name__ == "__main__":
    main()
