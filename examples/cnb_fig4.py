"""Secret neutrino interactions: (m_phi, g_tautau) exclusion from TeV point sources.

TS(m_phi, g) = -2 [log L(m_phi, g; ns, gamma profiled) - log L0] at relic density
eta = 1, sum of neutrino masses 0.1 eV (normal ordering, NuFIT 2022), Majorana
neutrinos, each source in its own geometry as in Franklin et al. 2025 (NGC 1068: constant
density over 14 Mpc, no redshift; TXS 0506+056: z = 0.3365; PKS 1424+240: z = 0.6, both
with redshift), and combined (sum of the three maps). The 2-sigma exclusion is drawn at
TS = 6.18 (Wilks, 2 parameters). Drawn for context: BBN (m_phi > 1.3 MeV for g > 1e-4,
Blinov et al. 2019) and tau decays (g_tautau^2 < 0.1). Analogue of Fig. 4 of Franklin et
al., "Probing the Cosmic Neutrino Background and New Physics with TeV-Scale Astrophysical
Neutrinos", on

* the real public data (NGC 1068, PKS 1424+240: IC40 + IC86-2011; TXS 0506+056: the TXS
  release's IC86b + IC86c), and
* the SIMULATED IC86_II-VII (2012-2018) sample with the paper's best fits injected
  (background: real IC86 events redistributed over the IC86_II-VII good-run lists).

Grid: 40 x 40 over log10(m_phi/MeV) in [-1, 3] and log10 g in [-4, 0.5], 150 transport
bins (|TS - TS(500 bins)| <= 0.3 at the steepest points of the maps, <= 0.09 with
``--bins 300`` for 2.2-2.5x the CPU; ``benchmarks/bench_cnb_si.py accuracy``), flux
normalisation (ns: events of the unpropagated power law). Run time (this machine, load
average 14-20 on 2 cores, 2 workers): 87-127 CPU s and 3.6-6.4 min wall per map; the six
maps and the NGC 1068 posterior 39 min wall. The maps are cached in ``cnb_si_maps.npz``
(+ ``cnb_si_maps.json``: timing, loads, data labels) in the output folder, so the figures
can be redrawn (``--redraw``) without recomputing.

``--posterior SOURCE`` (with ``--data real``) also samples the posterior over (ns, gamma, log10 m_phi, log10 g)
with nautilus on the real data (:func:`bayesnu.inference.cnb_si.si_posterior`), checks
that every likelihood mode of the TS map is visited, and draws the draws over the TS map
(``cnb_si_posterior.png`` + ``.json``).

Usage::

    python examples/cnb_fig4.py [--outdir examples/output] [--n 40] [--bins 300]
        [--workers 2] [--data real,sim] [--posterior "NGC 1068"] [--redraw]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from bayesnu.inference.cnb import WILKS_2DOF, cnb_data, cnb_geometry, cnb_propagator, cnb_source
from bayesnu.inference.cnb_si import (
    BBN_G_MIN,
    BBN_MPHI_MEV,
    LOG10_G_RANGE,
    LOG10_M_PHI_RANGE,
    TAU_DECAY_G2_MAX,
    si_posterior,
    si_ts_map,
)

from bayesnu.atomic import atomic_path, save_npz, write_json
from bayesnu.sources import SOURCES

SOURCES3 = ("NGC 1068", "TXS 0506+056", "PKS 1424+240")
GEOMETRY_TEXT = {"NGC 1068": "14 Mpc, no redshift", "TXS 0506+056": "z = 0.3365",
                 "PKS 1424+240": "z = 0.6"}
DATA_SPEC = {"real": None, "sim": "sim-ic86-ii-vii"}
DATA_LABEL = {"real": "public data: IC40 + IC86-2011 (TXS: release IC86b+c)",
              "sim": "SIMULATED IC86_II-VII, Franklin et al. best fits injected"}
THR = WILKS_2DOF[0.9545]


def _slug(name: str) -> str:
    return name.replace(" ", "").replace("+", "p").replace(".", "")


def _load(outdir: str) -> tuple[dict, dict]:
    npz = os.path.join(outdir, "cnb_si_maps.npz")
    js = os.path.join(outdir, "cnb_si_maps.json")
    arrays = dict(np.load(npz)) if os.path.exists(npz) else {}
    meta = json.load(open(js)) if os.path.exists(js) else {}
    return arrays, meta


def _excluded_summary(lm: np.ndarray, lg: np.ndarray, ts: np.ndarray) -> dict:
    """Smallest excluded log10 g per m_phi column (None: nothing excluded there)."""
    low = []
    for i in range(lm.size):
        ex = np.flatnonzero(ts[i] > THR)
        low.append(float(lg[ex[0]]) if ex.size else None)
    return {"fraction": float(np.mean(ts > THR)), "lowest_excluded_log10_g": low}


#: spectral-index nodes of the energy-PDF splines (0.2 apart for every source, as the redshift
#: sources use by default; halves NGC 1068's transport work against 0.1)
GAMMA_GRID = np.round(np.arange(1.0, 4.0 + 1e-9, 0.2), 10)


def _cnb_source(ds, name: str, geo, bins: int):
    return cnb_source(ds, SOURCES[name], cnb_propagator(geo, sum_m=0.1, bins=bins),
                      gamma_grid=GAMMA_GRID)


def run(outdir: str, n: int, bins: int, workers: int, datas: list[str], seed: int,
        post: dict | None = None) -> None:
    """Maps of every (data, source) not in the cache; with ``post`` (posterior options) the
    real-data map of ``post["source"]`` keeps its transport ratios and is sampled at once."""
    arrays, meta = _load(outdir)
    lm = np.linspace(*LOG10_M_PHI_RANGE, n)
    lg = np.linspace(*LOG10_G_RANGE, n)
    if arrays and (arrays["log10_m_phi"].size != n or int(meta.get("bins", bins)) != bins):
        raise SystemExit(f"cache in {outdir} is for another grid/bins; use another --outdir")
    arrays.update(log10_m_phi=lm, log10_g=lg)
    meta["bins"] = bins
    for data in datas:
        for name in SOURCES3:
            key = f"{data}__{_slug(name)}"
            want_post = post is not None and data == "real" and name == post["source"]
            if f"{key}__ts" in arrays and not want_post:
                continue
            load0 = os.getloadavg()
            t0 = time.time()
            ds, info = cnb_data(DATA_SPEC[data], name, np.random.default_rng(seed))
            geo = cnb_geometry(name)
            cs = _cnb_source(ds, name, geo, bins)
            m = si_ts_map(cs, geo, lm, lg, bins=bins, progress=True, workers=workers,
                          keep_ratios=want_post)
            for f in ("ts", "ns", "gamma"):
                arrays[f"{key}__{f}"] = getattr(m, f)
            meta[key] = {"source": name, "data": data, "simulated": bool(info["simulated"]),
                         "label": DATA_LABEL[data], "geometry": GEOMETRY_TEXT[name],
                         "ts_pl": m.ts_pl, "ts_max": float(m.ts.max()),
                         "ts_min": float(m.ts.min()), "wall_s": m.meta["seconds"],
                         "cpu_s": m.meta["cpu_seconds"], "workers": m.meta["workers"],
                         "load_before": list(load0), "load_after": list(os.getloadavg()),
                         "excluded": _excluded_summary(lm, lg, m.ts),
                         "injected": info.get("injected"), "seed": seed}
            save_npz(os.path.join(outdir, "cnb_si_maps.npz"), compressed=True, **arrays)
            write_json(os.path.join(outdir, "cnb_si_maps.json"), meta)
            print(f"{data} {name}: max TS {m.ts.max():.2f}, min {m.ts.min():.2f}; wall "
                  f"{m.meta['seconds']:.0f} s, CPU {m.meta['cpu_seconds']:.0f} s, load "
                  f"{load0[0]:.1f} -> {os.getloadavg()[0]:.1f} ({time.time() - t0:.0f} s total)",
                  flush=True)
            if want_post:
                posterior(outdir, cs, m, info, load0, post["n_live"], seed, post["min_depth"])
        tot = sum(arrays[f"{data}__{_slug(s)}__ts"] for s in SOURCES3)
        meta[f"{data}__combined"] = {"ts_max": float(tot.max()), "ts_min": float(tot.min()),
                                     "excluded": _excluded_summary(lm, lg, tot)}
        write_json(os.path.join(outdir, "cnb_si_maps.json"), meta)


def _decorate(ax, lm: np.ndarray, lg: np.ndarray, legend: bool) -> None:
    m0, m1 = 10.0 ** lm[0], 10.0 ** lm[-1]
    g0, g1 = 10.0 ** lg[0], 10.0 ** lg[-1]
    ax.fill_between([m0, BBN_MPHI_MEV], BBN_G_MIN, g1, color="0.5", alpha=0.35, lw=0.0)
    ax.plot([BBN_MPHI_MEV, BBN_MPHI_MEV, m0], [g1, BBN_G_MIN, BBN_G_MIN], color="tab:red",
            lw=1.5, label="BBN ($m_\\phi$ > 1.3 MeV for g > $10^{-4}$)")
    gt = np.sqrt(TAU_DECAY_G2_MAX)
    ax.fill_between([m0, m1], gt, g1, color="tab:purple", alpha=0.2, lw=0.0)
    ax.axhline(gt, color="tab:purple", ls="--", lw=1.5, label="$\\tau$ decays ($g^2$ < 0.1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(m0, m1)
    ax.set_ylim(g0, g1)
    ax.set_xlabel(r"mediator mass $m_\phi$ [MeV]")
    ax.set_ylabel(r"coupling $g_{\tau\tau}$")
    if legend:
        ax.plot([], [], "k", lw=2.5, label="2$\\sigma$ excluded (TS > 6.18, Wilks 2 dof)")
        ax.legend(fontsize=7, loc="lower right", framealpha=0.9)


def _norm(ts: np.ndarray):
    """Colour scale from min(TS, -2) to 3x the threshold (larger TS saturate)."""
    from matplotlib.colors import Normalize

    return Normalize(vmin=min(float(ts.min()), -2.0), vmax=3.0 * THR)


def _ts_panel(ax, lm, lg, ts, title, norm, legend=False):
    M, G = np.meshgrid(10.0 ** lm, 10.0 ** lg, indexing="ij")
    pc = ax.pcolormesh(M, G, ts, cmap="viridis", norm=norm, shading="nearest",
                       rasterized=True)
    if np.nanmax(ts) > THR:
        ax.contourf(M, G, ts, levels=[THR, np.inf], colors="none", hatches=["..."])
        ax.contour(M, G, ts, levels=[THR], colors="k", linewidths=2.5)
    _decorate(ax, lm, lg, legend)
    ax.set_title(title, fontsize=9)
    return pc


def plot(outdir: str, data: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arrays, meta = _load(outdir)
    lm, lg = arrays["log10_m_phi"], arrays["log10_g"]
    maps = {s: arrays[f"{data}__{_slug(s)}__ts"] for s in SOURCES3}
    tot = sum(maps.values())
    norm = _norm(tot)
    fig, axs = plt.subplots(2, 2, figsize=(11, 9), sharex=True, sharey=True)
    for ax, name in zip(axs.ravel()[:3], SOURCES3):
        mt = meta[f"{data}__{_slug(name)}"]
        pc = _ts_panel(ax, lm, lg, maps[name],
                       f"{name} ({GEOMETRY_TEXT[name]}): max TS {mt['ts_max']:.1f}, "
                       f"{100 * mt['excluded']['fraction']:.0f}% excluded", norm)
    pc = _ts_panel(axs[1, 1], lm, lg, tot,
                   f"combined (sum of TS): max {tot.max():.1f}, "
                   f"{100 * float(np.mean(tot > THR)):.0f}% excluded", norm, legend=True)
    for ax in axs.ravel():
        ax.label_outer()
    fig.colorbar(pc, ax=axs, shrink=0.8, extend="max", label="TS = $-2\\,\\ln[L(m_\\phi, g)/L_0]$ "
                 "(ns, $\\gamma$ profiled)")
    sim = data == "sim"
    fig.suptitle("Secret $\\nu_\\tau$ interactions at $\\eta$ = 1, $\\Sigma m_\\nu$ = 0.1 eV "
                 f"(NO), Majorana -- {DATA_LABEL[data]}", fontsize=11,
                 color="tab:red" if sim else "k")
    if sim:
        fig.text(0.42, 0.5, "SIMULATED", fontsize=60, color="tab:red", alpha=0.15,
                 ha="center", va="center", rotation=30)
    out = os.path.join(outdir, f"cnb_si_fig4_{data}.png")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)
    return out


def posterior(outdir: str, cs, m, info: dict, load0, n_live: int, seed: int,
              min_depth: float = 0.2) -> str:
    """nautilus posterior over the real-data TS map ``m`` of ``cs`` (JSON + draws + PNG)."""
    name = cs.source.name
    t0, c0 = time.time(), time.process_time()
    p = si_posterior(cs, None, si_map=m, n_live=n_live, seed=seed, progress=True,
                     min_depth=min_depth)
    res = p.to_dict()
    res.update({"data": info, "map_wall_s": m.meta["seconds"], "map_cpu_s": m.meta["cpu_seconds"],
                "nautilus_wall_s": time.time() - t0, "nautilus_cpu_s": time.process_time() - c0,
                "load_before": list(load0), "load_after": list(os.getloadavg())})
    base = os.path.join(outdir, f"cnb_si_posterior_{_slug(name)}")
    write_json(base + ".json", res)
    save_npz(base + ".npz", compressed=True, ts=m.ts, log10_m_phi=m.log10_m_phi,
             log10_g=m.log10_g, **{f"draw_{k}": v.astype(np.float32) for k, v in p.draws.items()})
    print(f"{name}: ln Z = {p.log_z:.3f}, ln Z0 = {p.log_z0:.3f}, ln B = {p.log_bf:.3f}; "
          f"modes: {[(md['log10_m_phi'], md['log10_g'], md['ts'], md['n_draws']) for md in p.modes]}"
          f"; nautilus {res['nautilus_wall_s']:.0f} s wall", flush=True)
    return plot_posterior(outdir, name)


def plot_posterior(outdir: str, name: str) -> str:
    """The posterior draws over the TS map, from the saved JSON and draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = os.path.join(outdir, f"cnb_si_posterior_{_slug(name)}")
    res = json.load(open(base + ".json"))
    z = np.load(base + ".npz")
    ts, lm, lg = z["ts"], z["log10_m_phi"], z["log10_g"]
    fig, ax = plt.subplots(figsize=(8, 6.5))
    pc = _ts_panel(ax, lm, lg, ts, "", _norm(ts))
    k = np.random.default_rng(0).permutation(z["draw_log10_g"].size)[:3000]
    ax.scatter(10.0 ** z["draw_log10_m_phi"][k], 10.0 ** z["draw_log10_g"][k], s=3, c="w",
               alpha=0.5, lw=0, label="posterior draws (nautilus)")
    for q, mode in enumerate(res["modes"]):
        xy = (10.0 ** mode["log10_m_phi"], 10.0 ** mode["log10_g"])
        ax.plot(*xy, "*", ms=14, mfc="tab:orange", mec="k", clip_on=False,
                label="likelihood modes of the TS map" if q == 0 else None)
        ax.annotate(f"TS {mode['ts']:.2f}: {mode['n_draws']} draws", xy, xytext=(8, -12),
                    textcoords="offset points", fontsize=8, color="w")
    ax.plot([], [], "k", lw=2.5, label="2$\\sigma$ excluded (TS > 6.18, 2 dof)")
    ax.legend(fontsize=7, loc="lower right", framealpha=0.9)
    fig.colorbar(pc, ax=ax, extend="max", label="TS (ns, $\\gamma$ profiled)")
    nsmax = res["priors"]["ns"][1]
    ax.set_title(f"{name} ({GEOMETRY_TEXT[name]}), public data: posterior of "
                 "($m_\\phi$, $g_{\\tau\\tau}$) at $\\eta$ = 1\n"
                 f"ln B (secret vs none) = {res['log_bayes_factor']:.2f} with ns ~ U(0, "
                 f"{nsmax:.2g}) (flux-normalised: absorbed spectra win by prior volume)\n"
                 f"max TS {ts.max():.2f}, min TS {ts.min():.2f}; {len(res['modes'])} likelihood "
                 f"modes, all sampled: {res['every_mode_sampled']}", fontsize=8.5)
    fig.tight_layout()
    with atomic_path(base + ".png") as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    plt.close(fig)
    return base + ".png"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", default=os.path.join(os.path.dirname(__file__), "output"),
                    help="folder of the PNGs and the map cache")
    ap.add_argument("--n", type=int, default=40, help="grid points per axis")
    ap.add_argument("--bins", type=int, default=150, help="transport bins over 1e2-1e10 GeV")
    ap.add_argument("--workers", type=int, default=2, help="processes over grid rows")
    ap.add_argument("--data", default="real,sim", help="comma-separated: real, sim")
    ap.add_argument("--seed", type=int, default=1, help="seed of the simulated sample / nautilus")
    ap.add_argument("--posterior", default=None,
                    help="source of the posterior (real data; its map is recomputed if cached)")
    ap.add_argument("--n-live", type=int, default=1000, help="nautilus live points")
    ap.add_argument("--min-depth", type=float, default=0.2,
                    help="smallest depth (TS units) of a likelihood mode of the map")
    ap.add_argument("--redraw", action="store_true", help="only redraw from the cache")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    datas = [d.strip() for d in a.data.split(",") if d.strip()]
    if any(d not in DATA_SPEC for d in datas):
        raise SystemExit(f"--data: choose from {', '.join(DATA_SPEC)}")
    t0 = time.time()
    if not a.redraw:
        post = ({"source": a.posterior, "n_live": a.n_live, "min_depth": a.min_depth}
                if a.posterior else None)
        run(a.outdir, a.n, a.bins, a.workers, datas, a.seed, post)
    for d in datas:
        print("wrote", plot(a.outdir, d))
    if a.redraw and a.posterior:
        print("wrote", plot_posterior(a.outdir, a.posterior))
    print(f"done in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
