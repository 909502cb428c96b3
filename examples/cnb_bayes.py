"""Bayesian limits on the relic-neutrino overdensity eta: NUTS posteriors next to the TS limits.

Per source (NGC 1068 at d_eff = 14 Mpc, TXS 0506+056 at z = 0.3365, PKS 1424+240 at
z = 0.6; m1 = 0.0342 eV, normal ordering, NuFIT 2022 splittings, 300 transport bins) and
for the three together (one shared eta), on

* the real public data (NGC 1068, PKS 1424+240: bundled IC40 + IC86-2011; TXS 0506+056: the
  TXS release's IC86b + IC86c), and
* the SIMULATED IC86_II-VII (2012-2018) samples with Franklin et al.'s best-fit power laws
  injected (:mod:`bayesnu.simulate.paper_equivalent`, seed 1 per source),

this runs

* NUTS on (ns, gamma, log10 eta) (:func:`bayesnu.models.cnb.add_overdensity`, ns = signal
  events of the propagated spectrum, likelihood tabulated on log10 eta nodes 0.1 dex apart),
  2 chains x 1000 draws after 2000 tuning steps (dense mass matrix), with two priors on
  eta: log-uniform from 1e8 to the overdensity where every source's signal is absorbed to
  < 1e-20 (above it the likelihood no longer changes), and uniform on [0, that value];
  the 90% credible upper limit and the ArviZ diagnostics (R-hat, bulk/tail ESS,
  divergences) of each run;
* the 90% CL (Wilks, TS = 2.71) limit from the TS(eta) profile on the same data
  (:func:`bayesnu.inference.cnb.eta_profile`, ns counting propagated events as in NUTS;
  combined: the sum of the three TS curves);
* nautilus evidences (500 live points) of the overdensity model (log-uniform prior) and
  of the power law without interactions, their Bayes factor next to the TS.

Outputs: one JSON (every figure, cached per item so an interrupted run resumes) and one
PNG: the posterior of log10 eta per source and combined (both priors) with the credible and
CL limits marked, public data on the top row, SIMULATED on the bottom.

Run time (this machine, 2 cores shared with ~7 other jobs, load average 11-21, ``--tune 1500``,
``--data public`` and ``--data sim`` as two processes side by side): public data 46 min wall,
553 s CPU (user + sys incl. the chain processes; 640 MB peak RSS); SIMULATED 64 min wall, 1169 s CPU (1.05 GB peak RSS).
At low load the CPU time / 2 cores is the wall time to expect (~5 and ~10 min). Every
item is cached in the JSON (``run_seconds`` / ``cpu_seconds`` and per-step timings), so an
interrupted run resumes. The merged JSON of that run is ``examples/output/cnb_bayes.json``.

Usage::

    nice -n 10 python examples/cnb_bayes.py [--out cnb_bayes.png] [--json cnb_bayes.json] \
        [--draws 1000] [--tune 2000] [--n-live 500] [--data public sim]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
from bayesnu.inference.cnb import (
    SIMULATED_DATA,
    cnb_data,
    cnb_geometry,
    cnb_propagator,
    cnb_source,
    combine_profiles,
    eta_profile,
)
from bayesnu.inference.cnb_bayes import evidence_cnb, sample_cnb
from bayesnu.models.cnb import TabulatedOverdensity, add_overdensity

from bayesnu.atomic import atomic_path, write_json
from bayesnu.sources import SOURCES

SOURCES3 = ("NGC 1068", "TXS 0506+056", "PKS 1424+240")
M1 = 0.0342
#: the prior range of log10 eta covered by the tables (upper end cut where all is absorbed)
TABLE_RANGE = (8.0, 22.0)
#: common log10 eta grid of the TS profiles (needed to add them)
PROFILE_GRID = np.linspace(7.0, 21.0, 200)
HIST_BINS = np.linspace(8.0, 22.0, 71)
PRIORS = ("loguniform", "uniform")


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rc = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime + rc.ru_utime + rc.ru_stime


def _timed(fn, *a, **k):
    w, c, l0 = time.perf_counter(), _cpu(), os.getloadavg()[0]
    out = fn(*a, **k)
    return out, {"wall_s": time.perf_counter() - w, "cpu_s": _cpu() - c,
                 "load_1min": [l0, os.getloadavg()[0]]}


def _build(data: str, name: str, seed: int):
    spec = SIMULATED_DATA if data == "sim" else None
    ds, info = cnb_data(spec, name, np.random.default_rng(seed))
    prop = cnb_propagator(cnb_geometry(name), m1=M1, bins=300)
    cs = cnb_source(ds, SOURCES[name], prop)
    return cs, prop, info


def _nuts(cs_list, props, tables, prior, args, seed):
    import pymc as pm

    with pm.Model():
        cm = add_overdensity(cs_list, props, eta_prior=prior, tables=tables)
    (idata, summ), tm = _timed(sample_cnb, cm, draws=args.draws, tune=args.tune, chains=2,
                               cores=2, seed=seed)
    le = idata.posterior["log10_eta"].values.ravel()
    le = le[np.isfinite(le)]
    hist, _ = np.histogram(np.clip(le, HIST_BINS[0], HIST_BINS[-1]), bins=HIST_BINS)
    st = idata.sample_stats
    pe = cm.priors["log10_eta" if prior == "loguniform" else "eta"]
    return {"prior": prior, "eta_prior_range": [pe.lower, pe.upper],
            "eta_credible_90": summ["eta_credible_90"], "eta_credible_95": summ["eta_credible_95"],
            "divergences": summ["divergences"],
            "r_hat_max": max(v["r_hat"] for v in summ["params"].values()),
            "ess_bulk_min": min(v["ess_bulk"] for v in summ["params"].values()),
            "ess_tail_min": min(v["ess_tail"] for v in summ["params"].values()),
            "params": summ["params"], "mean_tree_depth": float(st["tree_depth"].mean()),
            "log10_eta_quantiles": {q: float(np.quantile(le, float(q))) for q in
                                    ("0.05", "0.5", "0.9", "0.95")},
            "log10_eta_hist": hist.tolist(), "timing": tm}


#: (data, source) -> (CnbSource, propagator, data info, table, profile, timings), shared by
#: the per-source runs and the combination
_BUILT: dict = {}


def _prepared(data: str, name: str, seed: int):
    if (data, name) not in _BUILT:
        (cs, prop, info), tb = _timed(_build, data, name, seed)
        table, tt = _timed(TabulatedOverdensity, cs, prop, TABLE_RANGE)
        prof, tp = _timed(eta_profile, cs, prop, PROFILE_GRID)
        _BUILT[(data, name)] = (cs, prop, info, table, prof,
                                {"build": tb, "table": tt, "profile": tp})
    return _BUILT[(data, name)]


def run_item(data: str, name: str, args, cache: dict, save) -> None:
    key = f"{data}|{name}"
    if key in cache and cache[key].get("complete"):
        return
    print(f"[{time.strftime('%H:%M:%S')}] {key}", file=sys.stderr, flush=True)
    cs, prop, info, table, prof, tm = _prepared(data, name, args.seed)
    item = {"source": name, "data": info, "simulated": bool(info.get("simulated")),
            "timing": tm,
            "log10_eta_absorbed": float(table.x[-1]),
            "cl": _cl_block(prof), "nuts": {}}
    for prior in PRIORS:
        item["nuts"][prior] = _nuts([cs], [prop], [table], prior, args, args.seed)
        print(f"  {prior}: credible {item['nuts'][prior]['eta_credible_90']:.3g} vs CL "
              f"{item['cl']['eta_limit_90']:.3g}; div {item['nuts'][prior]['divergences']}, "
              f"R-hat {item['nuts'][prior]['r_hat_max']:.3f}, ESS "
              f"{item['nuts'][prior]['ess_bulk_min']:.0f}; "
              f"{item['nuts'][prior]['timing']['wall_s']:.0f} s", file=sys.stderr, flush=True)
    ev, te = _timed(evidence_cnb, cs, table=table, n_live=args.n_live, seed=args.seed,
                    progress=True)
    item["evidence"] = {**ev.to_dict(), "timing": te}
    item["complete"] = True
    cache[key] = item
    save()


def _cl_block(prof) -> dict:
    """The CL part of an item: limits (papers' convention, absorbed-edge rule), plateau, curve."""
    cl = {"eta_limit_90": prof.limit(0.9), "eta_limit_95": prof.limit(0.95),
          "eta_absorbed": prof.eta_absorbed, "ts_pl": prof.ts_pl, "ts_min": float(prof.ts.min()),
          "ts_curve": {"log10_eta": prof.log10_eta.tolist(), "ts": prof.ts.tolist()}}
    if np.isfinite(prof.ns_pl):  # a single source (the combination has no one power law)
        cl.update(ns_pl=prof.ns_pl, gamma_pl=prof.gamma_pl)
    return cl


def refresh_cl(data: str, names, args, cache: dict, save) -> None:
    """Recompute only the CL limits of cached items (cheap: profiles, no NUTS or nautilus),
    e.g. after a change of the limit rule; the NUTS and evidence parts are kept."""
    for name in names:
        key = f"{data}|{name}"
        if key not in cache:
            continue
        if name == "combined":
            prof = combine_profiles([_prepared(data, n, args.seed)[4] for n in SOURCES3])
        else:
            prof = _prepared(data, name, args.seed)[4]
        old = cache[key]["cl"].get("eta_limit_90")
        cache[key]["cl"] = _cl_block(prof)
        cache[key]["cl_recomputed"] = time.strftime("%Y-%m-%d")
        print(f"  {key}: CL 90% {old:.3g} -> {cache[key]['cl']['eta_limit_90']:.3g}",
              file=sys.stderr, flush=True)
    save()


def run_combined(data: str, args, cache: dict, save) -> None:
    key = f"{data}|combined"
    if key in cache and cache[key].get("complete"):
        return
    print(f"[{time.strftime('%H:%M:%S')}] {key}", file=sys.stderr, flush=True)
    built = [_prepared(data, n, args.seed) for n in SOURCES3]
    tables = [b[3] for b in built]
    comb = combine_profiles([b[4] for b in built])
    item = {"source": "combined", "sources": list(SOURCES3), "simulated": data == "sim",
            "cl": _cl_block(comb), "nuts": {}}
    for prior in PRIORS:
        item["nuts"][prior] = _nuts([b[0] for b in built], [b[1] for b in built], tables, prior,
                                    args, args.seed)
        print(f"  combined {prior}: credible {item['nuts'][prior]['eta_credible_90']:.3g} vs CL "
              f"{item['cl']['eta_limit_90']:.3g}", file=sys.stderr, flush=True)
    item["complete"] = True
    cache[key] = item
    save()


def plot(cache: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [d for d in ("public", "sim") if any(k.startswith(d + "|") for k in cache)]
    cols = [*SOURCES3, "combined"]
    fig, axes = plt.subplots(len(rows), 4, figsize=(16, 3.6 * len(rows)), sharex=True,
                             squeeze=False)
    centres = 0.5 * (HIST_BINS[1:] + HIST_BINS[:-1])
    width = HIST_BINS[1] - HIST_BINS[0]
    colours = {"loguniform": "tab:blue", "uniform": "tab:orange"}
    for r, data in enumerate(rows):
        for c, name in enumerate(cols):
            ax = axes[r, c]
            it = cache.get(f"{data}|{name}")
            title = "combined (shared eta)" if name == "combined" else name
            ax.set_title(f"{title} -- {'SIMULATED IC86_II-VII' if data == 'sim' else 'public data'}",
                         fontsize=10)
            if not it:
                ax.text(0.5, 0.5, "not run", transform=ax.transAxes, ha="center")
                continue
            for prior, n in it["nuts"].items():
                h = np.asarray(n["log10_eta_hist"], dtype=float)
                dens = h / max(h.sum(), 1) / width
                ax.step(centres, dens, where="mid", color=colours[prior],
                        label=f"posterior, {prior.replace('loguniform', 'log-uniform')} prior")
                ax.axvline(np.log10(n["eta_credible_90"]), color=colours[prior], ls="--",
                           label=f"90% credible: {n['eta_credible_90']:.2g}")
            cl = it["cl"]["eta_limit_90"]
            if np.isfinite(cl):
                ax.axvline(np.log10(cl), color="k", lw=2, label=f"90% CL (Wilks): {cl:.2g}")
            else:
                ax.plot([], [], color="k", lw=2, label="90% CL: none (TS < 2.71)")
            ax.set_xlim(HIST_BINS[0], HIST_BINS[-1])
            ax.set_yscale("log")
            ax.set_ylim(1e-4, None)
            ax.legend(fontsize=7, loc="lower left")
            ax.grid(alpha=0.3)
            if r == len(rows) - 1:
                ax.set_xlabel(r"$\log_{10}\,\eta$")
            if c == 0:
                ax.set_ylabel(r"posterior density per dex")
    fig.suptitle(r"Relic-neutrino overdensity $\eta$: NUTS posteriors (ns, $\gamma$, "
                 r"$\log_{10}\eta$), $m_1$ = 0.0342 eV, vs 90% CL limits", fontsize=12)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="cnb_bayes.png", help="PNG")
    ap.add_argument("--json", default=None, help="JSON (default: the PNG's name with .json)")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=2000)
    ap.add_argument("--n-live", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", nargs="+", default=["public", "sim"], choices=("public", "sim"))
    ap.add_argument("--sources", nargs="+", default=[*SOURCES3, "combined"],
                    choices=[*SOURCES3, "combined"])
    ap.add_argument("--plot-only", action="store_true")
    ap.add_argument("--cl-only", action="store_true",
                    help="recompute only the CL limits of the items already in the JSON")
    a = ap.parse_args()
    path = a.json or os.path.splitext(a.out)[0] + ".json"
    cache: dict = {}
    if os.path.exists(path):
        with open(path) as f:
            cache = json.load(f).get("items", {})
    t0, c0 = time.perf_counter(), _cpu()
    prev = cache.get("_run", {}) if isinstance(cache.get("_run"), dict) else {}

    def save() -> None:
        if a.cl_only:  # the sampling run's record stays; only the refresh is added to it
            cache["_run"] = {**prev, "cl_refresh": {
                "date": time.strftime("%Y-%m-%d"), "cpu_seconds": _cpu() - c0,
                "command": "python examples/cnb_bayes.py --cl-only"}}
            write_json(path, {"items": cache})
            return
        cache["_run"] = {"run_seconds": prev.get("run_seconds", 0.0) + time.perf_counter() - t0,
                         "cpu_seconds": prev.get("cpu_seconds", 0.0) + _cpu() - c0,
                         "load_1min_end": os.getloadavg()[0], "cores": os.cpu_count(),
                         "draws": a.draws, "tune": a.tune, "n_live": a.n_live, "seed": a.seed,
                         "m1_ev": M1}
        write_json(path, {"items": cache})

    if a.cl_only:
        for data in a.data:
            refresh_cl(data, a.sources, a, cache, save)
    elif not a.plot_only:
        for data in a.data:
            for name in a.sources:
                if name == "combined":
                    run_combined(data, a, cache, save)
                else:
                    run_item(data, name, a, cache, save)
    plot({k: v for k, v in cache.items() if not k.startswith("_")}, a.out)
    save()
    print(json.dumps({k: {"cl90": v["cl"]["eta_limit_90"],
                          **{p: v["nuts"][p]["eta_credible_90"] for p in v["nuts"]},
                          "ln_B": v.get("evidence", {}).get("log_bayes_factor")}
                      for k, v in cache.items() if not k.startswith("_")}, indent=1))


if __name__ == "__main__":
    main()
