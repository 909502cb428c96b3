"""The package's main demonstration: the 2014-15 neutrino flare of TXS 0506+056.

:func:`run_demo` analyses the bundled IceCube TXS 0506+056 data release
(Science 361, 147 (2018)) both ways and writes a small report:

1. frequentist: Gaussian and box flare fits at the source in every sample
   (the flare is found in IC86b, 2012-2015), the TS profile in T0, and a local
   p-value of the best Gaussian flare from RA/time-scrambled background trials;
2. Bayesian: nautilus Bayes factors flare vs background only and flare vs
   steady point source (nautilus explores every mode of the flare posterior),
   and a short NUTS run per flare mode (:func:`bayesnu.inference.flare.sample_flare_modes`:
   the posterior in (T0, sigma_t) has a broad flare mode, sharp spikes of short
   flares on single events and a low-ns floor; NUTS samples each broad mode
   within its box, started at the candidate flares inside it, with R-hat /
   ESS / divergences, and the mode's posterior weight is the nautilus mass in
   the box);
3. report: ``summary.txt``, ``summary.json``, ``time_series.png`` (events
   near the source vs time, coloured by signal weight, with the fitted
   Gaussian and box), ``ts_profile_t0.png`` and ``corner.png``.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

PUBLISHED = {
    "box_mjd": (56937.81, 57096.21),
    "gauss_t0_mjd": 57004.0,
    "gauss_tw_days": 110.0,
    "gauss_ns": 13.1,
    "gauss_gamma": 2.1,
    "reference": "IceCube Collaboration, Science 361, 147 (2018)",
}


def _fmt(v: float) -> str:
    return f"{v:.1f}" if abs(v) >= 1e4 else f"{v:.3g}"


def _plots(out: Path, fd, fit_g, fit_b, t0_grid, prof, idata, sample_name: str,
           corner_title: str = "") -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    # event time series
    fig, ax = plt.subplots(figsize=(10, 4.5))
    w = fit_g.weights if fit_g.weights is not None else np.zeros(fd.n)
    lse = fd.log_sob_se(fit_g.gamma if np.isfinite(fit_g.gamma) else 2.0) / np.log(10)
    sc = ax.scatter(fd.t, lse, c=w, cmap="viridis", vmin=0, vmax=max(w.max(), 1e-3), s=18)
    fig.colorbar(sc, ax=ax, label="signal weight (Gaussian fit)", pad=0.09)
    ax.set_xlabel("MJD")
    ax.set_ylabel("log10 spatial x energy S/B")
    ax2 = ax.twinx()
    tt = np.linspace(fd.tmin, fd.tmax, 2000)
    if fit_g.ns > 0:
        ax2.plot(tt, fit_g.ns * np.exp(-0.5 * ((tt - fit_g.t0) / fit_g.sigma_t) ** 2)
                 / (np.sqrt(2 * np.pi) * fit_g.sigma_t), color="C3",
                 label=f"Gaussian: T0 {fit_g.t0:.0f}, sigma {fit_g.sigma_t:.0f} d")
    if fit_b.ns > 0:
        ax2.fill_between([fit_b.t_start, fit_b.t_stop], 0,
                         fit_b.ns / (fit_b.t_stop - fit_b.t_start), color="C1", alpha=0.25,
                         label=f"box: {fit_b.t_start:.1f}-{fit_b.t_stop:.1f}")
    ax2.axvspan(*PUBLISHED["box_mjd"], color="k", alpha=0.07, label="published box (2018)")
    ax2.set_ylabel("fitted signal rate (events / day)")
    ax2.legend(loc="upper left", fontsize=8)
    ax.set_title(f"TXS 0506+056, IceCube {sample_name}: events within the ROI")
    fig.tight_layout()
    files["time_series"] = str(out / "time_series.png")
    fig.savefig(files["time_series"], dpi=110)
    plt.close(fig)
    # TS profile in T0
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(t0_grid, prof[:, 0], color="C0")
    ax.axvline(fit_g.t0, color="C3", ls="--", label="best fit")
    ax.axvspan(*PUBLISHED["box_mjd"], color="k", alpha=0.07, label="published box")
    ax.set_xlabel("T0 (MJD)")
    ax.set_ylabel("TS (ns, gamma, sigma_t profiled)")
    ax.legend(fontsize=8)
    ax.set_title("Gaussian-flare TS profile in T0 (with the duration term of paper 000 eq. 2)")
    fig.tight_layout()
    files["ts_profile"] = str(out / "ts_profile_t0.png")
    fig.savefig(files["ts_profile"], dpi=110)
    plt.close(fig)
    if idata is not None:
        import arviz as az

        axes = az.plot_pair(idata, var_names=["ns", "gamma", "t0", "sigma_t"], kind="kde",
                            marginals=True, figsize=(8, 8))
        fig = np.atleast_2d(axes)[0, 0].get_figure()
        if corner_title:
            fig.suptitle(corner_title, fontsize=9)
        files["corner"] = str(out / "corner.png")
        fig.savefig(files["corner"], dpi=90)
        plt.close(fig)
    return files


def run_demo(out_dir: str | os.PathLike | None = None, seed: int = 1, n_trials: int = 200,
             draws: int = 2000, tune: int = 800, chains: int = 2, n_live: int = 200,
             bayes: bool = True, progress: bool = False, cores: int = 2) -> dict[str, Any]:
    """Run the TXS 0506+056 flare demonstration and write its report.

    Parameters
    ----------
    out_dir
        Output folder (default ``bayesnu_demo_<UTC time>`` in the working directory).
    seed
        Seed of the background trials, NUTS and nautilus.
    n_trials
        Background trials for the local p-value.
    draws, tune, chains
        NUTS settings of the short posterior run (per flare mode).
    cores
        Processes running the NUTS chains in parallel.
    n_live
        nautilus live points.
    bayes
        Run the Bayesian part (posterior and Bayes factors).
    """
    from bayesnu.data import load
    from bayesnu.flare.analysis import SOURCES, fit_dataset
    from bayesnu.flare.search import profile_t0
    from bayesnu.flare.trials import scrambled_fit
    from bayesnu.inference.pvalues import local_pvalue, pvalue_to_sigma

    t_all = time.perf_counter()
    out = Path(out_dir) if out_dir else Path(time.strftime("bayesnu_demo_%Y%m%dT%H%M%S",
                                                           time.gmtime()))
    out.mkdir(parents=True, exist_ok=True)
    ra, dec = SOURCES["TXS 0506+056"]
    ds = load("txs0506")
    timings: dict[str, float] = {}

    t = time.perf_counter()
    res_g = fit_dataset(ds, ra, dec, pdf="gauss", keep_candidates=20)
    res_b = fit_dataset(ds, ra, dec, pdf="box", models=res_g["models"])
    timings["fits_s"] = time.perf_counter() - t
    name = res_g["sample"]
    fit_g, fit_b = res_g["best"], res_b["fits"][name]
    fd = res_g["data"][name]
    model = res_g["models"][name]

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    bg = np.array([scrambled_fit(rng, model, ra, dec, "gauss").ts for _ in range(n_trials)])
    p_local = float(local_pvalue(fit_g.ts, bg))
    timings["trials_s"] = time.perf_counter() - t

    t = time.perf_counter()
    t0_grid = np.linspace(fd.tmin, fd.tmax, 80)
    prof = profile_t0(fd, t0_grid, start=fit_g)
    timings["profile_s"] = time.perf_counter() - t

    summary: dict[str, Any] = {
        "source": "TXS 0506+056", "ra": ra, "dec": dec, "data": "txs0506 (IceCube 2018 release)",
        "best_sample": name,
        "gauss": fit_g.as_dict(), "box": fit_b.as_dict(),
        "per_sample_ts": {k: {"gauss": v.ts, "box": res_b["fits"][k].ts}
                          for k, v in res_g["fits"].items()},
        "p_local": p_local, "p_local_sigma": float(pvalue_to_sigma(p_local)),
        "n_background_trials": int(n_trials), "published": PUBLISHED,
        "data_sets": {"txs0506": {
            "n_rows": int(ds.n_events), "livetime_days": float(ds.livetime_days),
            "samples": [{"name": s.name, "n_events": int(s.size),
                         "livetime_days": float(s.livetime_days)} for s in ds.samples]}},
    }
    idata = None
    if bayes:
        import logging

        from bayesnu.inference.flare import flare_evidence, sample_flare_modes
        from bayesnu.inference.sample import posterior_summary
        from bayesnu.models.flare import flare_model

        logging.getLogger("pymc").setLevel(logging.ERROR)
        sample = ds[name]
        t = time.perf_counter()
        ev = flare_evidence(sample, ra, dec, n_live=n_live, seed=seed)
        timings["evidence_s"] = time.perf_counter() - t
        summary["bayes_factors"] = {k: float(v) for k, v in ev.items() if k.startswith("ln_b")}
        summary["priors"] = ev["priors"]
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            psm = flare_model(sample, ra, dec, per_event=False)
            res = sample_flare_modes(psm, fit=fit_g, chains=chains, draws=draws, tune=tune,
                                     seed=seed, cores=cores, progressbar=progress,
                                     nautilus=ev["flare_samples"])
        timings["nuts_s"] = time.perf_counter() - t
        modes = res["modes"]
        idata = modes[0]["idata"]
        names = ["ns", "gamma", "t0", "sigma_t"]
        summary["posterior"] = posterior_summary(idata, names)
        summary["modes"] = [{
            "t0_range": list(m["t0"]), "sigma_t_range": list(m["sigma_t"]),
            "seed_ts": m["ts"], "weight": m["weight"], "weight_err": m["weight_err"],
            "prior_mass": m["prior_mass"],
            "posterior": posterior_summary(m["idata"], names) if i else summary["posterior"],
            "diagnostics": {k: m["diagnostics"][k] for k in
                            ("rhat", "ess_bulk", "ess_tail", "divergences", "ok", "problems")},
            "chain_starts_t0": list(m["idata"].attrs.get("chain_starts_t0", []))}
            for i, m in enumerate(modes)]
        summary["weight_rest"] = res["weight_rest"]
        summary["posterior_all_modes_nautilus"] = res["nautilus_quantiles"]
        summary["diagnostics"] = {
            "ok": all(m["diagnostics"]["ok"] for m in modes),
            "problems": "; ".join(f"mode {i}: {p}" for i, m in enumerate(modes)
                                  for p in m["diagnostics"]["problems"]),
            "divergences": int(sum(m["diagnostics"]["divergences"] for m in modes)),
            "max_rhat": max(max(m["diagnostics"]["rhat"].values()) for m in modes),
            "min_ess_bulk": min(min(m["diagnostics"]["ess_bulk"].values()) for m in modes),
            "min_ess_tail": min(min(m["diagnostics"]["ess_tail"].values()) for m in modes),
            "chain_starts_t0": list(idata.attrs.get("chain_starts_t0", []))}
    title = ""
    if bayes:
        m0 = summary["modes"][0]
        title = (f"NUTS posterior in flare mode 0: T0 {m0['t0_range'][0]:.0f}-"
                 f"{m0['t0_range'][1]:.0f}, sigma_t >= {m0['sigma_t_range'][0]:.3g} d "
                 f"(posterior weight {m0['weight']:.3f}, nautilus)")
    files = _plots(out, fd, fit_g, fit_b, t0_grid, prof, idata, name, corner_title=title)
    timings["total_s"] = time.perf_counter() - t_all
    summary["timings"] = timings
    summary["files"] = files

    lines = [
        "bayesnu demo: the 2014-15 neutrino flare of TXS 0506+056 (IceCube 2018 release)",
        f"  best sample: {name}",
        f"  Gaussian flare: T0 = MJD {fit_g.t0:.1f}, sigma_t = {fit_g.sigma_t:.1f} d, "
        f"ns = {fit_g.ns:.1f}, gamma = {fit_g.gamma:.2f}, TS = {fit_g.ts:.2f}",
        f"    local p-value {p_local:.2g} ({pvalue_to_sigma(p_local):.1f} sigma) from "
        f"{n_trials} scrambled trials",
        f"  box flare: MJD {fit_b.t_start:.2f} - {fit_b.t_stop:.2f}, ns = {fit_b.ns:.1f}, "
        f"gamma = {fit_b.gamma:.2f}, TS = {fit_b.ts:.2f}",
        f"  published (Science 2018): box {PUBLISHED['box_mjd'][0]}-{PUBLISHED['box_mjd'][1]};"
        f" Gaussian T0 ~{PUBLISHED['gauss_t0_mjd']:.0f}, T_W = 2 sigma ~"
        f"{PUBLISHED['gauss_tw_days']:.0f} d, ns ~{PUBLISHED['gauss_ns']}, gamma ~"
        f"{PUBLISHED['gauss_gamma']}",
    ]
    if bayes:
        dg = summary["diagnostics"]
        lines.append(f"  ln B flare vs background = "
                     f"{summary['bayes_factors']['ln_b_flare_vs_background']:.2f}, flare vs steady"
                     f" = {summary['bayes_factors'].get('ln_b_flare_vs_steady', np.nan):.2f}"
                     " (nautilus, all modes)")
        for i, m in enumerate(summary["modes"]):
            p = m["posterior"]
            d = m["diagnostics"]
            lines += [
                f"  flare mode {i}: T0 in [{m['t0_range'][0]:.1f}, {m['t0_range'][1]:.1f}], "
                f"sigma_t in [{_fmt(m['sigma_t_range'][0])}, {_fmt(m['sigma_t_range'][1])}] d, "
                f"posterior weight {m['weight']:.3f} +- {m['weight_err']:.3f} (nautilus mass in the box, "
                "binomial error only)",
                f"    NUTS ({chains} chains x {draws}, {tune} tune): "
                + ", ".join(f"{k} {_fmt(p[k]['median'])} [{_fmt(p[k]['eti'][0])}, "
                            f"{_fmt(p[k]['eti'][1])}]" for k in ("ns", "gamma", "t0", "sigma_t")),
                f"    diagnostics: {'ok' if d['ok'] else 'WARN ' + '; '.join(d['problems'])}: "
                f"max R-hat {max(d['rhat'].values()):.3f}, min bulk ESS "
                f"{min(d['ess_bulk'].values()):.0f}, min tail ESS "
                f"{min(d['ess_tail'].values()):.0f}, divergences {d['divergences']}",
            ]
        q = summary["posterior_all_modes_nautilus"]
        lines += [
            f"  rest (short-flare spikes on single events, low-ns floor): weight "
            f"{summary['weight_rest']:.3f}; all modes (nautilus): "
            + ", ".join(f"{k} {_fmt(q[k][1])} [{_fmt(q[k][0])}, {_fmt(q[k][2])}]"
                        for k in ("ns", "gamma", "t0", "sigma_t")),
        ]
        if not dg["ok"]:
            lines.append("    (NUTS diagnostics failed; rerun with more --draws)")
    lines.append(f"  report and plots in {out} ({timings['total_s']:.0f} s)")
    text = "\n".join(lines)
    (out / "summary.txt").write_text(text + "\n")
    from bayesnu.cli._common import to_jsonable

    (out / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=2))
    summary["out"] = str(out)
    summary["_text"] = text
    return summary
