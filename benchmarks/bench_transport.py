"""Speed of the CnuB transport solver (issue 5). Prints one line per figure.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench_transport.py
(first call of each numba kernel is compiled/loaded once and excluded: warm-up)
"""

from __future__ import annotations

import time

import numpy as np

from bayesnu.transport import EnergyGrid, Propagator, SecretInteraction


def best(fn, repeat=5):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts))


def main() -> None:
    g300 = EnergyGrid(1e2, 1e10, 300)
    g800 = EnergyGrid(1e3, 1e7, 800)
    si = SecretInteraction(g=0.1, m_phi_mev=10.0)
    # warm-up (numba kernels)
    Propagator(EnergyGrid(1e2, 1e6, 20), d_eff_mpc=14.0, si=si).solve(1.0, 2.0, derivatives=True)
    Propagator(EnergyGrid(1e2, 1e6, 20), z=0.3, si=si).solve(1.0, 2.0, derivatives=True)
    Propagator(EnergyGrid(1e2, 1e6, 20), zmax=1.0, si=si).solve(1.0, 2.0, derivatives=True)

    t, tm = best(lambda: Propagator(g300, d_eff_mpc=14.0, m_lightest=0.034))
    print(f"no-redshift 300 bins SM: setup (operator + eigen-decomposition)   best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    p = Propagator(g300, d_eff_mpc=14.0, m_lightest=0.034)
    p.numu_flux(1e14, 3.15)
    t, tm = best(lambda: p.numu_flux(1e14, 3.15), 20)
    print(f"no-redshift 300 bins SM: one eta (flux)                             best {t*1e3:7.2f} ms  median {tm*1e3:7.2f} ms")
    t, tm = best(lambda: p.numu_flux(1e14, 3.15, derivatives=True), 20)
    print(f"no-redshift 300 bins SM: one eta (flux + d/deta + d/dgamma)         best {t*1e3:7.2f} ms  median {tm*1e3:7.2f} ms")
    etas = np.logspace(10, 16, 200)
    p.numu_flux_grid(etas, 3.15)
    t, tm = best(lambda: p.numu_flux_grid(etas, 3.15), 5)
    print(f"no-redshift 300 bins SM: 200-point eta grid, one call               best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms"
          f"  ({t/200*1e3:.3f} ms per eta)")
    t, tm = best(lambda: p.numu_flux_grid(etas, 3.15, derivatives=True), 5)
    print(f"no-redshift 300 bins SM: 200-point eta grid with derivatives        best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    pi = Propagator(g300, d_eff_mpc=14.0, m_lightest=0.034, method="implicit", implicit_steps=64, implicit_levels=3)
    t, tm = best(lambda: pi.numu_flux(1e14, 3.15), 3)
    print(f"no-redshift 300 bins SM: implicit reference (64x7 steps), one eta   best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    t, tm = best(lambda: Propagator(g300, d_eff_mpc=14.0, si=si, sum_m=0.1), 3)
    print(f"no-redshift 300 bins SM+SI (g=0.1, m_phi=10 MeV): setup             best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    ps = Propagator(g300, d_eff_mpc=14.0, si=si, sum_m=0.1)
    t, tm = best(lambda: ps.numu_flux(1.0, 2.5), 5)
    print(f"no-redshift 300 bins SM+SI: one evaluation (method {ps.solve(1.0, 2.5).method})          best {t*1e3:7.2f} ms  median {tm*1e3:7.2f} ms")

    def zrun():
        q = Propagator(g300, z=0.3365, m_lightest=0.034)
        q.numu_flux(1e12, 2.17)

    t, tm = best(zrun, 3)
    print(f"redshift z=0.3365 300 bins SM: setup + solve                       best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    q = Propagator(g300, z=0.3365, m_lightest=0.034)
    t, tm = best(lambda: q.numu_flux(1e12, 2.17, derivatives=True), 3)
    print(f"redshift z=0.3365 300 bins SM: solve with d/deta, d/dgamma          best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")

    def zsi():
        q = Propagator(g300, z=0.3365, si=si, sum_m=0.1)
        q.numu_flux(1.0, 2.17)

    t, tm = best(zsi, 3)
    print(f"redshift z=0.3365 300 bins SM+SI: setup + solve                    best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")

    def pop(si_):
        q = Propagator(g800, zmax=5.0, si=si_, sum_m=0.1)
        return q.solve(1.0, 2.5)

    t, tm = best(lambda: pop(None), 3)
    print(f"population 800 bins 1e3-1e7 GeV zmax=5 SM: setup + solve            best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    t, tm = best(lambda: pop(si), 3)
    print(f"population 800 bins 1e3-1e7 GeV zmax=5 SM+SI: setup + solve         best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")
    qq = Propagator(g800, zmax=5.0, si=si, sum_m=0.1)
    t, tm = best(lambda: qq.solve(1.0, 2.5), 3)
    print(f"population 800 bins zmax=5 SM+SI: solve only (built Propagator)     best {t*1e3:7.1f} ms  median {tm*1e3:7.1f} ms")


if __name__ == "__main__":
    main()
