"""Benchmarks of the CnuB analyses (prints wall and CPU seconds).

* ``profile``: 200-point TS(eta) profile, ns and gamma profiled at every eta, per source
  (propagation included: eigen-decomposition for every eta at once for constant density,
  all (eta, gamma) pairs through the redshift steps in one multi-right-hand-side pass
  otherwise, ``Propagator.numu_flux_table``), at m1 = 0.0342 eV, 300 transport bins;
* ``nuts``: NUTS on (ns, gamma, log10 eta), 2 chains x ``--draws`` after ``--tune``;
* ``si``: (m_phi, g) TS-map points (one Propagator each), extrapolated to 40 x 40.

Data: the SIMULATED IC86_II-VII sample (paper best fits injected; seed 1).

Usage::

    nice -n 19 python benchmarks/bench_cnb.py profile nuts si [--draws 1000] [--si-points 9]
    nice -n 19 python benchmarks/bench_cnb.py profile --sources "NGC 1068" "TXS 0506+056"
    nice -n 10 python benchmarks/bench_cnb.py profile --m1 0.001 0.0342 0.8   # 3 x 3
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from bayesnu.inference.cnb import (
    cnb_data,
    cnb_geometry,
    cnb_propagator,
    cnb_source,
    column_mpc,
    eta_grid_for_column,
    eta_profile,
)

from bayesnu.sources import SOURCES

SOURCES3 = ("NGC 1068", "TXS 0506+056", "PKS 1424+240")


def _timed(fn, *args, **kw):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return out, time.perf_counter() - w, time.process_time() - c


def bench_profile(out: dict, sources=SOURCES3, m1s=(0.0342,)) -> None:
    for name in sources:
        ds, _ = cnb_data("sim-ic86-ii-vii", name, np.random.default_rng(1))
        for m1 in m1s:
            (prop, cs), w0, c0 = _timed(_build, ds, name, m1=m1)
            grid = eta_grid_for_column(column_mpc(prop.geometry), 200)
            p, w, c = _timed(eta_profile, cs, prop, grid)
            key = f"profile200|{name}" + ("" if m1 == 0.0342 else f"|m1={m1:g}")
            out[key] = {"m1": m1, "wall_s": w, "cpu_s": c, "setup_wall_s": w0,
                        "setup_cpu_s": c0, "eta90": p.limit(0.9), "ts_pl": p.ts_pl,
                        "load_1min": os.getloadavg()[0]}
            print(key, out[key], flush=True)


def _build(ds, name, bins=300, m1=0.0342):
    prop = cnb_propagator(cnb_geometry(name), m1=m1, bins=bins)
    return prop, cnb_source(ds, SOURCES[name], prop)


def bench_nuts(out: dict, draws: int, tune: int) -> None:
    import resource

    import pymc as pm
    from bayesnu.inference.cnb_bayes import sample_cnb
    from bayesnu.models.cnb import add_overdensity

    def cpu_all():  # this process and the chain processes (PyMC forks one per chain)
        r, k = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime + k.ru_utime + k.ru_stime

    name = "NGC 1068"
    ds, _ = cnb_data("sim-ic86-ii-vii", name, np.random.default_rng(1))
    prop, cs = _build(ds, name)
    (cm, wm, cmc) = _timed(lambda: add_overdensity([cs], [prop], model=pm.Model()))
    c0, l0 = cpu_all(), os.getloadavg()[0]
    (_, summ), w, _ = _timed(sample_cnb, cm, draws=draws, tune=tune, chains=2, cores=2, seed=1)
    c = cpu_all() - c0
    out[f"nuts|{name}|{draws}"] = {"wall_s": w, "cpu_s": c, "cpu_per_core_s": c / 2,
                                   "load_1min": [l0, os.getloadavg()[0]],
                                   "model_and_table_wall_s": wm, "model_and_table_cpu_s": cmc,
                                   **{k: v for k, v in summ.items() if k != "params"},
                                   "r_hat": {k: v["r_hat"] for k, v in summ["params"].items()},
                                   "ess_bulk": {k: v["ess_bulk"]
                                                for k, v in summ["params"].items()}}
    print(out[f"nuts|{name}|{draws}"], flush=True)


def bench_si(out: dict, n: int) -> None:
    from bayesnu.inference.cnb_si import si_ts_map

    for name in SOURCES3:
        ds, _ = cnb_data("sim-ic86-ii-vii", name, np.random.default_rng(1))
        geo = cnb_geometry(name)
        prop = cnb_propagator(geo, sum_m=0.1)
        cs = cnb_source(ds, SOURCES[name], prop)
        k = int(np.ceil(np.sqrt(n)))
        m, w, c = _timed(si_ts_map, cs, geo, np.linspace(-1, 3, k),
                         np.linspace(-3, 0.5, k))
        per = c / (k * k)
        out[f"si|{name}"] = {"points": k * k, "wall_s": w, "cpu_s": c, "cpu_per_point_s": per,
                             "cpu_40x40_extrapolated_s": per * 1600}
        print(name, out[f"si|{name}"], flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parts", nargs="+", choices=("profile", "nuts", "si"))
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--si-points", type=int, default=9)
    ap.add_argument("--sources", nargs="+", default=list(SOURCES3), choices=SOURCES3,
                    help="sources of the profile benchmark (default: all three)")
    ap.add_argument("--m1", nargs="+", type=float, default=[0.0342],
                    help="lightest masses (eV) of the profile benchmark (e.g. 0.001 0.0342 0.8)")
    ap.add_argument("--out", default=None, help="also write the figures as JSON")
    a = ap.parse_args()
    out: dict = {}
    if "profile" in a.parts:
        bench_profile(out, a.sources, a.m1)
    if "si" in a.parts:
        bench_si(out, a.si_points)
    if "nuts" in a.parts:
        bench_nuts(out, a.draws, a.tune)
    if a.out:
        from bayesnu.atomic import write_json

        write_json(a.out, out)
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
