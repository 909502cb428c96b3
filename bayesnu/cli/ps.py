"""``bayesnu ps``: time-integrated point-source (and stacking) analyses.

Subcommands ``fit``, ``profile``, ``sample``, ``evidence``, ``trials`` share
``--data NAME|PATH`` (repeatable or comma separated: samples of all data sets
are combined, ns split by acceptance) and ``--source NAME`` (repeatable:
stacking with equal weights), ``--ra DEG --dec DEG``, or ``--catalog NAME
[--weight-column COL] [--top N]`` (stacking of catalogue sources, flux weights
from a column).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from bayesnu.cli._common import add_common, progress_enabled
from bayesnu.errors import InputError


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", action="append", required=True, metavar="NAME|PATH",
                   help="data set: bundled name (ic40, ic86_2011, txs0506) or path; repeat or "
                        "comma-separate to combine samples")
    p.add_argument("--source", action="append", default=None, metavar="NAME",
                   help="source name (built-in table, e.g. 'TXS 0506+056'); repeat to stack")
    p.add_argument("--ra", type=float, default=None, help="source right ascension, deg")
    p.add_argument("--dec", type=float, default=None, help="source declination, deg")
    p.add_argument("--samples", default=None, metavar="NAMES",
                   help="comma-separated sample names to keep (e.g. IC86b,IC86c)")
    p.add_argument("--catalog", default=None, metavar="NAME|PATH",
                   help="stack the sources of a catalogue (e.g. 4lac) instead of --source")
    p.add_argument("--weight-column", default=None, metavar="COL",
                   help="catalogue column giving the stacking weights (default: equal)")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="keep the N catalogue sources with the largest weights")
    p.add_argument("--spatial", choices=("gaussian", "vmf"), default="gaussian",
                   help="signal spatial PDF (default gaussian)")
    p.add_argument("--ns-max", type=float, default=None,
                   help="upper bound of the uniform ns prior (default: the likelihood's "
                        "support, about N)")
    add_common(p)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ps", help="time-integrated point-source likelihood analyses",
                              description="Unbinned point-source / stacking likelihood: "
                                          "ML fit, TS profile, NUTS posterior, evidence, trials.")
    sub = p.add_subparsers(dest="ps_command", metavar="SUBCOMMAND")
    f = sub.add_parser("fit", help="maximum-likelihood fit: ns, gamma, TS")
    _add_target(f)
    f.set_defaults(handler=run_fit)
    pr = sub.add_parser("profile", help="TS profile of one parameter with Wilks intervals")
    _add_target(pr)
    pr.add_argument("--param", default="ns", help="parameter to profile (ns, gamma)")
    pr.add_argument("--points", type=int, default=41, help="grid points")
    pr.add_argument("--plot", default=None, metavar="PNG", help="write the profile plot")
    pr.set_defaults(handler=run_profile)
    sa = sub.add_parser("sample", help="NUTS posterior of ns and gamma")
    _add_target(sa)
    sa.add_argument("--draws", type=int, default=1000)
    sa.add_argument("--tune", type=int, default=1000)
    sa.add_argument("--chains", type=int, default=2)
    sa.add_argument("--out", default=None, metavar="NETCDF", help="write the InferenceData")
    sa.add_argument("--plot-dir", default=None, metavar="DIR",
                    help="write trace and pair plots here")
    sa.set_defaults(handler=run_sample)
    ev = sub.add_parser("evidence", help="nautilus evidence and Bayes factor vs background")
    _add_target(ev)
    ev.add_argument("--n-live", type=int, default=500)
    ev.add_argument("--fix-gamma", type=float, default=None,
                    help="also compute the evidence with gamma fixed (nested model)")
    ev.set_defaults(handler=run_evidence)
    tr = sub.add_parser("trials", help="background TS distribution from RA scrambles")
    _add_target(tr)
    tr.add_argument("--n", type=int, default=100, help="number of trials")
    tr.add_argument("--out", default=None, metavar="JSON", help="write all trials")
    tr.set_defaults(handler=run_trials)
    p.set_defaults(handler=None)


def _datasets(specs: list[str]):
    from bayesnu.data import Dataset, load

    samples, names = [], []
    for spec in specs:
        for part in (s.strip() for s in spec.split(",")):
            if not part:
                continue
            d = load(part)
            if not isinstance(d, Dataset):
                raise InputError(f"{part} is a catalogue, not an event data set", column="--data")
            samples.extend(d.samples)
            names.append(d.name)
    if not samples:
        raise InputError("no data given", column="--data")
    return samples, names


def _sources(args):
    from bayesnu.likelihood import Source
    from bayesnu.sources import resolve_source

    if getattr(args, "catalog", None):
        if args.source or args.ra is not None or args.dec is not None:
            raise InputError("give --catalog or --source/--ra/--dec, not both", column="--catalog")
        from bayesnu.data import CatalogTable, load
        from bayesnu.sources import sources_from_catalog

        cat = load(args.catalog)
        if not isinstance(cat, CatalogTable) or "ra" not in cat.columns:
            raise InputError(f"{args.catalog} is not a source catalogue with positions",
                             column="--catalog")
        if args.weight_column is not None and args.weight_column not in cat.columns:
            raise InputError(f"no column {args.weight_column!r} in {args.catalog}",
                             column="--weight-column")
        mask = None
        if args.weight_column is not None:
            w = np.asarray(cat[args.weight_column], dtype=np.float64)
            mask = np.isfinite(w) & (w >= 0)
            if args.top is not None:
                keep = np.argsort(np.where(mask, -w, np.inf), kind="stable")[:args.top]
                mask = np.zeros(w.size, dtype=bool)
                mask[keep] = True
        elif args.top is not None:
            mask = np.zeros(cat.n_rows, dtype=bool)
            mask[:args.top] = True
        return sources_from_catalog(cat, args.weight_column, mask=mask)
    if args.source and (args.ra is not None or args.dec is not None):
        raise InputError("give either --source or --ra/--dec, not both", column="--source")
    if args.source:
        return [resolve_source(s) for s in args.source]
    if args.ra is None or args.dec is None:
        raise InputError("give --source NAME or both --ra and --dec", column="--source")
    return [Source(f"RA{args.ra:.2f}_Dec{args.dec:+.2f}", args.ra, args.dec)]


def build(args, model: bool = True) -> tuple[Any, Any, dict]:
    """(LikelihoodSetup, PointSourceModel, description) from the common options.

    With ``model=False`` no PyMC model is built (fits, profiles, trials and
    evidences only need the kernel and the priors; this skips importing PyMC).
    """
    from types import SimpleNamespace

    from bayesnu.likelihood import LikelihoodSetup
    from bayesnu.models.pointsource import Prior, default_priors, point_source_model

    samples, names = _datasets(args.data)
    if getattr(args, "samples", None):
        keep = [x.strip() for x in args.samples.split(",") if x.strip()]
        have = [s.name for s in samples]
        missing = [k for k in keep if k not in have]
        if missing:
            raise InputError(f"no sample(s) {', '.join(missing)}; have {', '.join(have)}",
                             column="--samples")
        samples = [s for s in samples if s.name in keep]
    sources = _sources(args)
    t0 = time.perf_counter()
    setup = LikelihoodSetup(samples, sources, spatial=args.spatial)
    priors = None
    if args.ns_max is not None:
        if not args.ns_max > 0:
            raise InputError("--ns-max must be > 0", column="--ns-max")
        priors = {"ns": Prior("uniform", 0.0, float(args.ns_max))}
    if model:
        psm = point_source_model(setup, priors=priors)
    else:
        lik = setup.likelihood()
        pri = default_priors(lik)
        pri.update(priors or {})
        psm = SimpleNamespace(likelihood=lik, priors=pri)
    L = psm.likelihood
    desc = {"data": names, "samples": [s.name for s in samples],
            "n_events": L.n_total, "n_roi_events": L.n_roi,
            "sources": [{"name": s.name, "ra": s.ra, "dec": s.dec} for s in sources],
            "spatial_pdf": args.spatial, "setup_s": time.perf_counter() - t0,
            "priors": {k: v.to_dict() for k, v in psm.priors.items()}}
    return setup, psm, desc


def run_fit(args) -> dict[str, Any]:
    from bayesnu.inference import fit

    setup, psm, desc = build(args, model=False)
    t0 = time.perf_counter()
    r = fit(psm)
    out = {"ns": r.params["ns"], "gamma": r.params["gamma"], "ts": r.ts,
           "flux_100tev": r.params["ns"] * setup.flux_per_ns(r.params["gamma"]),
           "flux_units": "GeV^-1 cm^-2 s^-1 at 100 TeV (per source, stacking weight 1)",
           "success": r.success, "message": r.message, "fit_s": time.perf_counter() - t0, **desc}
    L = psm.likelihood
    F, _, _ = L.fractions(r.params["gamma"])
    out["ns_per_sample"] = {t.name: float(r.params["ns"] * F[k].sum())
                            for k, t in enumerate(L.terms)}
    out["_text"] = (f"ns = {out['ns']:.2f}  gamma = {out['gamma']:.2f}  TS = {out['ts']:.2f}\n"
                    f"({desc['n_events']} events, {desc['n_roi_events']} near the source(s); "
                    f"fit {'converged' if r.success else 'NOT converged: ' + r.message})")
    return out


def run_profile(args) -> dict[str, Any]:
    from bayesnu.inference import profile
    from bayesnu.inference.plots import profile_plot

    _, psm, desc = build(args, model=False)
    pr = profile(psm, args.param, n_points=args.points)
    out = {"param": pr.param, "values": pr.values, "delta_ts": pr.delta_ts, "ts": pr.ts,
           "best": pr.best["params"], "best_ts": pr.best["ts"],
           "intervals": {k: {"lo": v[0], "hi": v[1], "lo_at_grid_edge": v[2],
                             "hi_at_grid_edge": v[3]} for k, v in pr.intervals.items()}, **desc}
    if args.plot:
        profile_plot(pr, path=args.plot)
        out["plot"] = os.fspath(args.plot)
    i90 = pr.intervals["0.9"]
    out["_text"] = (f"best {pr.param} = {pr.best['params'][pr.param]:.3f} "
                    f"(TS {pr.best['ts']:.2f}); 90% Wilks interval [{i90[0]:.3f}, {i90[1]:.3f}]")
    return out


def run_sample(args) -> dict[str, Any]:
    from bayesnu.inference import posterior_summary, sample
    from bayesnu.inference.plots import pair_plot, trace_plot

    _, psm, desc = build(args)
    idata = sample(psm, draws=args.draws, tune=args.tune, chains=args.chains,
                   seed=args.seed, progressbar=progress_enabled(args))
    names = ["ns", "gamma"]
    summ = posterior_summary(idata, names)
    out = {"posterior": summ, "divergences": int(idata.attrs.get("divergences", 0)),
           "diagnostics_ok": bool(idata.attrs.get("diagnostics_ok", 1)),
           "diagnostics_problems": idata.attrs.get("diagnostics_problems", ""),
           "wall_time_s": float(idata.attrs.get("wall_time_s", np.nan)),
           "log_likelihood_entries": int(idata.log_likelihood["events"].shape[-1]), **desc}
    if args.out:
        from bayesnu.inference import save_idata

        save_idata(idata, args.out)
        out["netcdf"] = os.fspath(args.out)
    if args.plot_dir:
        os.makedirs(args.plot_dir, exist_ok=True)
        trace_plot(idata, names, path=os.path.join(args.plot_dir, "trace.png"))
        pair_plot(idata, names, path=os.path.join(args.plot_dir, "pair.png"))
        out["plots"] = [os.path.join(args.plot_dir, f) for f in ("trace.png", "pair.png")]
    out["_text"] = "\n".join(
        f"{v}: mean {s['mean']:.3f} sd {s['sd']:.3f} 90% HDI [{s['hdi'][0]:.3f}, "
        f"{s['hdi'][1]:.3f}] R-hat {s['rhat']:.3f} ESS {s['ess_bulk']:.0f}"
        for v, s in summ.items())
    return out


def run_evidence(args) -> dict[str, Any]:
    from bayesnu.inference import bayes_factor, evidence

    _, psm, desc = build(args, model=False)
    ev = evidence(psm, n_live=args.n_live, seed=args.seed)
    out = {"log_z": ev.log_z, "log_z_err": ev.log_z_err,
           "ln_bayes_factor_vs_background": ev.ln_bf_vs_background,
           "posterior": ev.posterior, "n_like": ev.n_like, "wall_time_s": ev.wall_time_s, **desc}
    if args.fix_gamma is not None:
        ev2 = evidence(psm, fixed={"gamma": args.fix_gamma}, n_live=args.n_live, seed=args.seed)
        lnb, err = bayes_factor(ev, ev2)
        out["fixed_gamma"] = {"gamma": args.fix_gamma, "log_z": ev2.log_z,
                              "log_z_err": ev2.log_z_err,
                              "ln_bayes_factor_free_vs_fixed": lnb, "err": err}
    out["_text"] = (f"ln Z(signal) - ln Z(background) = {ev.log_z:.3f} +- {ev.log_z_err:.3f} "
                    f"(Bayes factor {np.exp(ev.log_z):.3g})")
    return out


def run_trials(args) -> dict[str, Any]:
    from bayesnu.inference import background_trials, fit

    setup, psm, desc = build(args, model=False)
    if args.n < 1:
        raise InputError("--n must be >= 1", column="--n")
    data_fit = fit(psm)
    tr = background_trials(setup, args.n, rng=np.random.default_rng(args.seed),
                           progress=progress_enabled(args))
    ts = np.asarray(tr.ts)
    out = {"n_trials": args.n, "seconds_per_trial": tr.seconds_per_trial,
           "ts_quantiles": {q: float(np.quantile(ts, float(q))) for q in
                            ("0.5", "0.9", "0.99")},
           "wilks": tr.wilks, "data_ts": data_fit.ts, "data_p_value": tr.p_value(data_fit.ts),
           **desc}
    if args.out:
        tr.seed = args.seed
        tr.to_json(args.out)
        out["out"] = os.fspath(args.out)
    out["_text"] = (f"{args.n} trials, {tr.seconds_per_trial * 1e3:.1f} ms/trial; median TS "
                    f"{np.median(ts):.2f}; data TS {data_fit.ts:.2f}, p = {out['data_p_value']:.3g}")
    return out
