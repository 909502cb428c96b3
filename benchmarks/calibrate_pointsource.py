"""Calibration of the point-source likelihood on simulated data (IC86-2011 background).

Usage::

    python benchmarks/calibrate_pointsource.py [--data ic86_2011] [--n-rec 40]
        [--n-cov 200] [--n-bkg 2000] [--seed 1] [--out calib.json]

Background: the real IC86-2011 events with right ascensions scrambled.
Signal: :func:`bayesnu.simulate.inject` (H2's injector: true energies from
E^-gamma x A_eff, reco energies from the calibrated energy response, angular
errors from the sample's empirical model, directions smeared with a
von Mises-Fisher PSF), Poisson number of events with mean ns.

1. Injection-recovery at several declinations and ns (gamma = 2): mean and
   median fitted ns (bias) and gamma.
2. Background TS distribution vs Wilks (``--n-bkg`` trials at dec = 20 deg).
3. Coverage in ``--n-cov`` experiments at dec = 20 deg with (ns, gamma) drawn
   from the analysis prior ns ~ U(0, 60), gamma ~ U(1.5, 3.5) (so the 90%
   credible intervals must cover 90% exactly if the likelihood describes the
   simulation): the 90% equal-tailed credible interval of ns and of gamma from
   the posterior computed by quadrature on a (ns, gamma) grid (the same
   posterior NUTS samples; checked against NUTS in ``--check-nuts``), and the
   90% Wilks (profile-likelihood) intervals from the same grid. Also a
   fixed-truth set (ns = 30, gamma = 2).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.stats import chi2


def grid_intervals(L, ns_grid, g_grid, cl=0.9):
    """Posterior (flat priors on the grids) and profile-likelihood intervals of ns and gamma."""
    ll = np.array([L.ns_scan(g, ns_grid) for g in g_grid])  # (n_g, n_ns)
    mx = np.max(ll)
    post = np.exp(ll - mx)
    post[~np.isfinite(ll)] = 0.0
    p_ns = np.trapezoid(post, g_grid, axis=0)
    p_g = np.trapezoid(post, ns_grid, axis=1)
    a = (1 - cl) / 2

    def eti(x, p):
        c = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
        c /= c[-1]
        return float(np.interp(a, c, x)), float(np.interp(1 - a, c, x))

    thr = chi2.ppf(cl, 1)

    def wilks(x, prof):
        d = 2 * (np.max(prof) - prof)
        ok = np.flatnonzero(d <= thr)
        i0, i1 = ok.min(), ok.max()
        lo = x[i0] if i0 == 0 else np.interp(thr, [d[i0], d[i0 - 1]], [x[i0], x[i0 - 1]])
        hi = x[i1] if i1 == x.size - 1 else np.interp(thr, [d[i1], d[i1 + 1]], [x[i1], x[i1 + 1]])
        return float(lo), float(hi)

    return {"ns_cred": eti(ns_grid, p_ns), "g_cred": eti(g_grid, p_g),
            "ns_wilks": wilks(ns_grid, ll.max(axis=0)), "g_wilks": wilks(g_grid, ll.max(axis=1)),
            "ns_map": float(ns_grid[np.argmax(ll.max(axis=0))])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="ic86_2011",
                    help="bundled data set(s), comma-separated to combine samples")
    ap.add_argument("--n-rec", type=int, default=40)
    ap.add_argument("--n-cov", type=int, default=200)
    ap.add_argument("--n-bkg", type=int, default=2000)
    ap.add_argument("--decs", default="-20,5,30,60")
    ap.add_argument("--ns-rec", default="10,20,40")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check-nuts", action="store_true")
    ap.add_argument("--injector", choices=("simulate", "data-angerr"), default="simulate",
                    help="signal injector: bayesnu.simulate.inject (angular errors from its "
                         "angular-error model) or bayesnu.likelihood.synthetic.inject (angular "
                         "errors of data events of the same energy and declination)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from bayesnu.inference import background_trials, fit, wilks_comparison

    import bayesnu.data as bd
    from bayesnu.likelihood import LikelihoodSetup, Source
    from bayesnu.simulate import inject, prepare_injection

    rng = np.random.default_rng(args.seed)
    parts = [bd.load(x.strip()) for x in args.data.split(",")]
    data = parts[0].with_samples([smp for d in parts for smp in d.samples])
    models = prepare_injection(data)
    res: dict = {"data": args.data, "seed": args.seed, "injector": args.injector}
    t_start = time.perf_counter()

    def experiment(setup, src, ns, gamma):
        bg = data.with_samples([s.replace(ra=r) for s, r in
                                zip(data.samples, setup.scramble_ra(rng))])
        if args.injector == "data-angerr":
            from bayesnu.likelihood.setup import default_response, default_true_weights
            from bayesnu.likelihood.synthetic import inject as inject_data

            if len(bg.samples) != 1:
                raise SystemExit("--injector data-angerr supports one-sample data sets")
            n = int(rng.poisson(ns))
            ev = inject_data(rng, bg.samples[0], src.ra, src.dec, n, gamma, default_response,
                             default_true_weights)
            return setup.likelihood(events=[ev]), n
        ds, info = inject(rng, bg, src.ra, src.dec, gamma, ns=ns, models=models)
        return setup.likelihood(events=list(ds.samples)), int(sum(info["n_injected"].values())
                                                             if isinstance(info["n_injected"], dict)
                                                             else np.sum(info["n_injected"]))

    # 1. injection-recovery
    rec = []
    for dec in (float(x) for x in args.decs.split(",")):
        src = Source(f"dec{dec:+.0f}", 150.0, dec)
        setup = LikelihoodSetup(data, src)
        for ns in (float(x) for x in args.ns_rec.split(",")):
            fits = []
            for _ in range(args.n_rec):
                L, n_inj = experiment(setup, src, ns, 2.0)
                r = fit(L)
                fits.append((r.ns, r.gamma, r.ts, n_inj))
            f = np.array(fits)
            row = {"dec": dec, "ns_true": ns, "gamma_true": 2.0, "n": len(f),
                   "ns_mean": float(f[:, 0].mean()), "ns_median": float(np.median(f[:, 0])),
                   "ns_sd": float(f[:, 0].std(ddof=1)),
                   "ns_bias_pct": float(100 * (f[:, 0].mean() - ns) / ns),
                   "ns_bias_se_pct": float(100 * f[:, 0].std(ddof=1) / np.sqrt(len(f)) / ns),
                   "n_injected_mean": float(f[:, 3].mean()),
                   "gamma_mean": float(f[:, 1].mean()), "gamma_median": float(np.median(f[:, 1])),
                   "gamma_sd": float(f[:, 1].std(ddof=1)), "ts_median": float(np.median(f[:, 2]))}
            rec.append(row)
            print(f"recovery dec {dec:+5.1f} ns {ns:4.0f}: ns mean {row['ns_mean']:6.2f} "
                  f"(bias {row['ns_bias_pct']:+5.1f}% +- {row['ns_bias_se_pct']:.1f}%) median "
                  f"{row['ns_median']:6.2f}; gamma mean {row['gamma_mean']:.2f} median "
                  f"{row['gamma_median']:.2f} sd {row['gamma_sd']:.2f}; TS median "
                  f"{row['ts_median']:.1f}", flush=True)
    res["recovery"] = rec

    # 2. background TS vs Wilks
    src = Source("dec+20", 150.0, 20.0)
    setup = LikelihoodSetup(data, src)
    if args.n_bkg <= 0:
        args.n_bkg = 0
    tr = background_trials(setup, max(args.n_bkg, 20), rng=rng)
    w = wilks_comparison(np.array(tr.ts))
    res["background"] = {"n": args.n_bkg, "seconds_per_trial": tr.seconds_per_trial, **w}
    print(f"background: {args.n_bkg} trials, eta (TS>0) {w['eta']:.3f} (Wilks 0.5), chi2 ndof of "
          f"TS>0 {w['ndof']:.2f} (Wilks 1), KS to chi2_1 {w['ks_chi2_1']:.3f}; tails: " +
          ", ".join(f"p={k}: TS>{v['wilks_ts']:.2f} in {v['observed_fraction']:.4f}"
                    for k, v in w["tails"].items()), flush=True)

    # 3. coverage
    ns_grid = np.linspace(0.0, 120.0, 241)
    g_grid = np.linspace(1.0, 4.0, 61)
    cov = {}
    cases = [] if args.n_cov <= 0 else [
        ("prior", lambda: (rng.uniform(0, 60), rng.uniform(1.5, 3.5))),
        ("fixed", lambda: (30.0, 2.0))]
    for label, draw in cases:
        hits = {"ns_cred": 0, "g_cred": 0, "ns_wilks": 0, "g_wilks": 0}
        for _ in range(args.n_cov):
            ns_t, g_t = draw()
            L, _ = experiment(setup, src, ns_t, g_t)
            # the analysis prior for "prior": ns ~ U(0, 60) (grid restricted), gamma ~ U(1.5, 3.5)
            if label == "prior":
                iv = grid_intervals(L, ns_grid[ns_grid <= 60.0], g_grid[(g_grid >= 1.5)
                                                                        & (g_grid <= 3.5)])
            else:
                iv = grid_intervals(L, ns_grid, g_grid)
            hits["ns_cred"] += iv["ns_cred"][0] <= ns_t <= iv["ns_cred"][1]
            hits["g_cred"] += iv["g_cred"][0] <= g_t <= iv["g_cred"][1]
            hits["ns_wilks"] += iv["ns_wilks"][0] <= ns_t <= iv["ns_wilks"][1]
            hits["g_wilks"] += iv["g_wilks"][0] <= g_t <= iv["g_wilks"][1]
        cov[label] = {k: v / args.n_cov for k, v in hits.items()}
        cov[label]["n"] = args.n_cov
        print(f"coverage ({label} truths, {args.n_cov} experiments): " +
              ", ".join(f"{k} {v:.3f}" for k, v in cov[label].items() if k != "n"), flush=True)
    res["coverage"] = cov
    if args.check_nuts:
        from bayesnu.inference import posterior_summary, sample
        from bayesnu.models.pointsource import Prior, point_source_model

        L, _ = experiment(setup, src, 30.0, 2.0)
        psm = point_source_model(L, priors={"ns": Prior("uniform", 0, 120.0),
                                            "gamma": Prior("uniform", 1.0, 4.0)})
        idata = sample(psm, draws=1000, tune=1000, chains=2, seed=args.seed)
        summ = posterior_summary(idata, ["ns", "gamma"])
        iv = grid_intervals(L, ns_grid, g_grid)
        res["nuts_vs_grid"] = {"nuts_ns_eti": summ["ns"]["eti"], "grid_ns_eti": iv["ns_cred"],
                               "nuts_g_eti": summ["gamma"]["eti"], "grid_g_eti": iv["g_cred"]}
        print(f"NUTS vs grid 90% ETI: ns {summ['ns']['eti']} vs {iv['ns_cred']}; gamma "
              f"{summ['gamma']['eti']} vs {iv['g_cred']}")
    res["wall_s"] = time.perf_counter() - t_start
    print(f"total {res['wall_s']:.0f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
