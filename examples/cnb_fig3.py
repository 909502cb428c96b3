"""Upper limit on the relic-neutrino overdensity eta vs the lightest neutrino mass m1.

Per source (NGC 1068 at d_eff = 14 Mpc, TXS 0506+056 at z = 0.3365, PKS 1424+240 at
z = 0.6) and combined (sum of the TS curves), 90% CL (Wilks, TS = 2.71; crossings where
every spectral index keeps < 1e-20 of its signal do not count, see
:func:`bayesnu.inference.cnb.upper_limit`), normal ordering with NuFIT 2022 splittings, for

* the real public data (NGC 1068, PKS 1424+240: IC40 + IC86-2011; TXS 0506+056: the TXS
  release's IC86b + IC86c), and
* the SIMULATED IC86_II-VII (2012-2018) sample with the paper's best-fit power laws
  injected (:mod:`bayesnu.simulate.paper_equivalent`), the analogue of the published
  figure (Franklin et al., "Probing the Cosmic Neutrino Background and New Physics with
  TeV-Scale Astrophysical Neutrinos", Fig. 3).

Future sensitivity (SIMULATED mock data with +10 and +80 years at the best-fit power law of
the SIMULATED IC86_II-VII sample, m1 = 0.0342 eV; campaigns of ``bayesnu cnb sensitivity``
in ``campaigns/cnb_sensitivity/<source>_p10|p80``, read as they are on disk): the median
90% CL limit of the instances with its central 68% range is drawn at m1 = 0.0342 eV in the
SIMULATED panel, and a third panel shows the median TS(eta) curves with their 68% bands.

Run time (this machine, 2 cores shared by 8 jobs, 7 m1 values x 3 sources x 2 data sets,
80-point eta grids, 150 transport bins): 400 s wall (load average ~10); results are cached
per (data, source, m1) in
``cnb_fig3.json`` next to the PNG, so an interrupted run resumes.

Usage::

    python examples/cnb_fig3.py [--out cnb_fig3.png] [--m1-points 4] [--points 80] \
        [--campaigns campaigns/cnb_sensitivity]
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


def _key(data: str, name: str, m1: float, seed: int) -> str:
    """Cache key of one profile (the SIMULATED sample's seed is part of it)."""
    return f"{data}|{name}|{m1:.6g}" + ("" if data == "real" else f"|seed{seed}")


def run(out: str, m1_points: int, points: int, seed: int = 0) -> dict:
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
                key = _key(data, name, m1, seed)
                if key in cache and "absorbed" in cache[key]:  # older entries lack the flags
                    continue
                t0 = time.time()
                prop = cnb_propagator(cnb_geometry(name), m1=float(m1), bins=BINS)
                cs = cnb_source(ds, SOURCES[name], prop)
                p = eta_profile(cs, prop, grid)
                cache[key] = {"ts": p.ts.tolist(), "log10_eta": p.log10_eta.tolist(),
                              "ts_pl": p.ts_pl, "limit90": p.limit(0.9),
                              "absorbed": p.absorbed.tolist(),
                              "seconds": time.time() - t0, "simulated": info["simulated"]}
                write_json(cache_path, cache)
                print(f"{key}: eta90 {p.limit(0.9):.3g} ({time.time() - t0:.1f} s)", flush=True)
    res = {"m1": m1s.tolist(), "log10_eta": grid.tolist(), "limits": {}}
    for data in ("real", "sim-ic86-ii-vii"):
        per = {}
        profs = {n: [] for n in SOURCES3}
        for name in SOURCES3:
            per[name] = [cache[_key(data, name, m1, seed)]["limit90"] for m1 in m1s]
            for m1 in m1s:
                c = cache[_key(data, name, m1, seed)]
                x = np.array(c["log10_eta"])
                profs[name].append(EtaProfile(x, np.array(c["ts"]), x * 0, x * 0,
                                              c["ts_pl"], 0.0, 0.0, {"source": name},
                                              np.array(c["absorbed"], dtype=bool)))
        per["combined"] = [combine_profiles([profs[n][k] for n in SOURCES3]).limit(0.9)
                           for k in range(m1s.size)]
        res["limits"][data] = per
    return res


#: campaign folder names per source (``<key>_p10``, ``<key>_p80``)
CAMPAIGN_KEYS = {"NGC 1068": "ngc1068", "TXS 0506+056": "txs0506", "PKS 1424+240": "pks1424"}


def future_bands(folder: str) -> dict:
    """Summaries of the future-sensitivity campaigns found under ``folder``."""
    from bayesnu.inference.cnb_sensitivity import sensitivity_summary

    out = {}
    for name, key in CAMPAIGN_KEYS.items():
        for h in ("p10", "p80"):
            d = os.path.join(folder, f"{key}_{h}")
            if os.path.isdir(d) and any(f.startswith("chunk_") for f in os.listdir(d)):
                out[f"{name}|{h}"] = sensitivity_summary(d)
    return out


def plot(res: dict, out: str, future: dict | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    future = future or {}
    if future:
        fig = plt.figure(figsize=(18, 6.6))
        gs = fig.add_gridspec(1, 3, width_ratios=[1, 1, 1.05])
        axes = [fig.add_subplot(gs[0, 0])]
        axes.append(fig.add_subplot(gs[0, 1], sharey=axes[0]))
        axf = fig.add_subplot(gs[0, 2])
    else:
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
        if data == "sim-ic86-ii-vii" and future:
            _future_markers(ax, future, colors)
        if future:  # below the axes: the future markers sit where a legend inside would go
            ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
        else:
            ax.legend(fontsize=8)
    axes[0].set_ylabel(r"90% CL upper limit on $\eta = n/n_0$")
    if future:
        _future_curves(axf, future, colors)
    fig.suptitle(r"C$\nu$B overdensity limits vs $m_1$ (Wilks, TS = 2.71; NGC 1068 over "
                 r"$d_{\rm eff}$ = 14 Mpc, blazars along their whole path)", fontsize=11)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)


def _future_markers(ax, future: dict, colors: dict) -> None:
    """Median future limit and its 68% range at m1 = 0.0342 eV, offset per source."""
    shift = {"NGC 1068": 0.8, "TXS 0506+056": 1.0, "PKS 1424+240": 1.25}
    style = {"p10": ("s", "+10 yr"), "p80": ("D", "+80 yr")}
    for key, r in future.items():
        name, h = key.split("|")
        x = r["m1"] * shift[name] * (0.93 if h == "p10" else 1.07)
        lo, hi = r["eta_limit_68"]
        med = r["eta_limit_median"]
        hi_plot = hi if np.isfinite(hi) else ax.get_ylim()[1]
        ax.errorbar([x], [med], yerr=[[med - lo], [hi_plot - med]], fmt=style[h][0],
                    color=colors[name], mfc="white", ms=6, capsize=3, lw=1.5,
                    label=f"{name} {style[h][1]}: median {med:.2g} (n={r['n_instances']})")


def _future_curves(ax, future: dict, colors: dict) -> None:
    """Median TS(eta) and central 68% band of every campaign (log10 eta x d / 14 Mpc axis)."""
    from bayesnu.inference.cnb import WILKS_1DOF, cnb_geometry, column_mpc

    for key, r in future.items():
        name, h = key.split("|")
        # common axis: eta x column / 14 Mpc, so that all sources share the sensitive range
        shift = np.log10(column_mpc(cnb_geometry(name)) / 14.0)
        x = np.array(r["log10_eta"]) + shift
        lo, hi = (np.array(v) for v in r["ts_band_68"])
        med = np.array(r["ts_median"])
        ls = "-" if h == "p10" else "--"
        ax.fill_between(x, lo, hi, color=colors[name], alpha=0.15 if h == "p10" else 0.25, lw=0)
        ax.plot(x, med, ls, color=colors[name], lw=2,
                label=f"{name} +{int(r['years_added'])} yr (n={r['n_instances']})")
    ax.axhline(WILKS_1DOF[0.9], color="k", lw=1, ls=":", label="TS = 2.71 (90% CL, paper)")
    ax.set_yscale("symlog", linthresh=3.0)
    ax.set_xlabel(r"$\log_{10}(\eta\,\times\,d_{\rm col} / 14\,{\rm Mpc})$")
    ax.set_ylabel(r"TS($\eta$): median and central 68% of the instances")
    ax.set_title("future sensitivity, SIMULATED mock data (+10 / +80 yr), "
                 r"$m_1$ = 0.0342 eV", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="cnb_fig3.png", help="output PNG (cache .json beside it)")
    ap.add_argument("--m1-points", type=int, default=4, help="log-spaced m1 values over 1e-3..1 eV (plus the three scenarios)")
    ap.add_argument("--points", type=int, default=80, help="log10 eta grid points")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the simulated sample (0: the base sample of the "
                         "future-sensitivity campaigns, their --data-seed default)")
    ap.add_argument("--campaigns", default="campaigns/cnb_sensitivity",
                    help="folder of the future-sensitivity campaigns ('' to leave them out)")
    a = ap.parse_args()
    t0 = time.time()
    res = run(a.out, a.m1_points, a.points, a.seed)
    future = future_bands(a.campaigns) if a.campaigns else {}
    res["future"] = {k: {kk: v[kk] for kk in ("eta_limit_median", "eta_limit_68", "n_instances",
                                              "eta_limit_of_median_curve", "years_added")}
                     for k, v in future.items()}
    plot(res, a.out, future)
    print(json.dumps(res["future"], indent=1))
    print(json.dumps(res["limits"], indent=1))
    print(f"wrote {a.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
