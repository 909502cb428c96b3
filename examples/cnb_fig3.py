"""Upper limit on the relic-neutrino overdensity eta vs the lightest neutrino mass m1.

Per source (NGC 1068 at d_eff = 14 Mpc, TXS 0506+056 at z = 0.3365, PKS 1424+240 at
z = 0.6) and combined (sum of the TS curves), 90% CL (Wilks, TS = 2.71), normal
ordering with NuFIT 2022 splittings, for

* the real public data (NGC 1068, PKS 1424+240: IC40 + IC86-2011; TXS 0506+056: the TXS
  release's IC86b + IC86c), and
* the SIMULATED IC86_II-VII (2012-2018) sample with the paper's best-fit power laws
  injected (:mod:`bayesnu.simulate.paper_equivalent`), the analogue of the published
  figure (Franklin et al., "Probing the Cosmic Neutrino Background and New Physics with
  TeV-Scale Astrophysical Neutrinos", Fig. 3).

Future-sensitivity bands (+10 / +80 years) are not drawn: see the CNBB report.

Run time (this machine, 2 cores shared by 8 jobs, 7 m1 values x 3 sources x 2 data sets,
80-point eta grids, 150 transport bins): 400 s wall (load average ~10); results are cached
per (data, source, m1) in
``cnb_fig3.json`` next to the PNG, so an interrupted run resumes.

Usage::

    python examples/cnb_fig3.py [--out cnb_fig3.png] [--m1-points 4] [--points 80]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from bayesnu.inference.cnb import (
    M1_SCENARIOS,
    EtaProfile,
    cnb_data,
    cnb_geometry,
    cnb_propagator,
    cnb_source,
    combine_profiles,
    eta_profile,
)

from bayesnu.atomic import atomic_path, write_json
from bayesnu.sources import SOURCES

SOURCES3 = ("NGC 1068", "TXS 0506+056", "PKS 1424+240")
#: one common log10 eta grid for all sources (needed for the combination)
LOG10_ETA = (7.0, 21.0)
#: transport bins over 1e2-1e10 GeV (0.053 dex; the redshift solver costs ~N^2 per step)
BINS = 150


def run(out: str, m1_points: int, points: int, seed: int = 1) -> dict:
    cache_path = os.path.splitext(out)[0] + ".json"
    cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
    # the three scenarios of the paper (0.001, 0.0342 and 0.8 eV) plus a log grid over 1e-3..1
    m1s = np.unique(np.round(np.concatenate([np.logspace(-3, 0, m1_points), M1_SCENARIOS]), 6))
    grid = np.linspace(LOG10_ETA[0], LOG10_ETA[1], points)
    for data in ("real", "sim-ic86-ii-vii"):
        for name in SOURCES3:
            ds, info = cnb_data(None if data == "real" else data, name,
                                np.random.default_rng(seed))
            for m1 in m1s:
                key = f"{data}|{name}|{m1:.6g}"
                if key in cache:
                    continue
                t0 = time.time()
                prop = cnb_propagator(cnb_geometry(name), m1=float(m1), bins=BINS)
                cs = cnb_source(ds, SOURCES[name], prop)
                p = eta_profile(cs, prop, grid)
                cache[key] = {"ts": p.ts.tolist(), "log10_eta": p.log10_eta.tolist(),
                              "ts_pl": p.ts_pl, "limit90": p.limit(0.9),
                              "seconds": time.time() - t0, "simulated": info["simulated"]}
                write_json(cache_path, cache)
                print(f"{key}: eta90 {p.limit(0.9):.3g} ({time.time() - t0:.1f} s)", flush=True)
    res = {"m1": m1s.tolist(), "log10_eta": grid.tolist(), "limits": {}}
    for data in ("real", "sim-ic86-ii-vii"):
        per = {}
        profs = {n: [] for n in SOURCES3}
        for name in SOURCES3:
            per[name] = [cache[f"{data}|{name}|{m1:.6g}"]["limit90"] for m1 in m1s]
            for m1 in m1s:
                c = cache[f"{data}|{name}|{m1:.6g}"]
                x = np.array(c["log10_eta"])
                profs[name].append(EtaProfile(x, np.array(c["ts"]), x * 0, x * 0,
                                              c["ts_pl"], 0.0, 0.0, {"source": name}))
        per["combined"] = [combine_profiles([profs[n][k] for n in SOURCES3]).limit(0.9)
                           for k in range(m1s.size)]
        res["limits"][data] = per
    return res


def plot(res: dict, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    colors = {"NGC 1068": "tab:blue", "TXS 0506+056": "tab:orange", "PKS 1424+240": "tab:green",
              "combined": "k"}
    titles = {"real": "public data (IC40 + IC86-2011; TXS release IC86b+c)",
              "sim-ic86-ii-vii": "SIMULATED IC86_II-VII, Franklin et al. best fits injected"}
    m1 = np.array(res["m1"])
    for ax, (data, per) in zip(axes, res["limits"].items()):
        for name, lim in per.items():
            y = np.array(lim, dtype=float)
            ok = np.isfinite(y)
            ax.plot(m1[ok], y[ok], "o-" if name != "combined" else "-", color=colors[name],
                    lw=2.5 if name == "combined" else 1.5, ms=3, label=name)
            if (~ok).any():
                ax.plot([], [], " ", label=f"{name}: not excluded at {int((~ok).sum())} m1")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"lightest neutrino mass $m_1$ [eV] (normal ordering)")
        ax.set_title(titles[data], fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    axes[0].set_ylabel(r"90% CL upper limit on $\eta = n/n_0$")
    fig.suptitle(r"C$\nu$B overdensity limits vs $m_1$ (Wilks, TS = 2.71; NGC 1068 over "
                 r"$d_{\rm eff}$ = 14 Mpc, blazars along their whole path)", fontsize=11)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="cnb_fig3.png", help="output PNG (cache .json beside it)")
    ap.add_argument("--m1-points", type=int, default=4, help="log-spaced m1 values over 1e-3..1 eV (plus the three scenarios)")
    ap.add_argument("--points", type=int, default=80, help="log10 eta grid points")
    ap.add_argument("--seed", type=int, default=1, help="seed of the simulated sample")
    a = ap.parse_args()
    t0 = time.time()
    res = run(a.out, a.m1_points, a.points, a.seed)
    plot(res, a.out)
    print(json.dumps(res["limits"], indent=1))
    print(f"wrote {a.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
