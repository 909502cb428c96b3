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

from bayesnu.cli._common import progress_enabled
from bayesnu.cli._options import (
    Opt,
    OptionError,
    add_options,
    common_options,
    data_option,
    output_dir,
    output_file,
    scheduler_check,
)
from bayesnu.errors import InputError


def _target_opts() -> list[Opt]:
    return [
        data_option(repeat=True,
                    help="event data: bundled name (ic40, ic86_2011, txs0506) or path; repeat "
                         "or comma-separate to combine samples"),
        Opt("--source", str, repeat=True, metavar="NAME",
            default_text="none (give --ra/--dec or --catalog)",
            help="source name from the bundled source table (e.g. 'TXS 0506+056'); repeat to "
                 "stack"),
        Opt("--online", bool, help="resolve --source names missing from the bundled table with "
                                   "astropy's online name resolver (network access)"),
        Opt("--ra", float, min=0.0, max=360.0, unit="deg", default_text="none",
            help="source right ascension"),
        Opt("--dec", float, min=-90.0, max=90.0, unit="deg", default_text="none",
            help="source declination"),
        Opt("--samples", str, metavar="NAMES", default_text="all samples",
            help="comma-separated sample names to keep (e.g. IC86b,IC86c)"),
        data_option("--catalog", required=False, default_text="none",
                    help="stack the sources of a catalogue (bundled name such as 4lac, or "
                         "path) instead of --source"),
        Opt("--weight-column", str, metavar="COL", default_text="equal weights",
            help="catalogue column giving the stacking weights"),
        Opt("--top", int, min=1, max=10_000_000, metavar="N", default_text="all sources",
            help="keep the N catalogue sources with the largest weights"),
        Opt("--spatial", choices=("gaussian", "vmf"), default="gaussian",
            help="signal spatial PDF"),
        Opt("--ns-max", float, min=0.0, min_open=True, max=1e7, unit="events",
            default_text="the likelihood's support, about the number of events",
            help="upper bound of the uniform ns prior"),
    ]


_TARGET_RULES = {"exclusive": [("--catalog", "--source", ("--ra", "--dec"))],
                 "together": [("--ra", "--dec")],
                 "one_of": [("--source", ("--ra", "--dec"), "--catalog")],
                 "requires": {"--weight-column": ("--catalog",), "--top": ("--catalog",),
                              "--online": ("--source",)}}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ps", help="time-integrated point-source likelihood analyses",
                              description="Unbinned point-source / stacking likelihood: "
                                          "ML fit, TS profile, NUTS posterior, evidence, trials.")
    sub = p.add_subparsers(dest="ps_command", metavar="SUBCOMMAND")
    from bayesnu.cli.ps_expected import register_expected

    register_expected(sub)
    ncpu = os.cpu_count() or 1
    f = sub.add_parser("fit", help="maximum-likelihood fit: ns, gamma, TS",
                       description="Maximum-likelihood fit of ns and gamma; TS against "
                                   "background.")
    add_options(f, [*_target_opts(),
                    output_dir("--plot", required=False,
                               help="folder for the TS profiles of ns and gamma (PNG) and a "
                                    "self-contained report.html"),
                    *common_options(seed=False)], **_TARGET_RULES)
    f.set_defaults(handler=run_fit)
    pr = sub.add_parser("profile", help="TS profile of one parameter with Wilks intervals",
                        description="TS profile of ns or gamma (the other profiled) with Wilks "
                                    "intervals.")
    add_options(pr, [
        *_target_opts(),
        Opt("--param", choices=("ns", "gamma"), default="ns", help="parameter to profile"),
        Opt("--points", int, default=41, min=3, max=10_000, help="grid points"),
        output_file("--plot", required=False, suffixes=(".png", ".pdf", ".svg"),
                    help="write the profile plot"),
        *common_options(seed=False),
    ], **_TARGET_RULES)
    pr.set_defaults(handler=run_profile)
    sa = sub.add_parser("sample", help="NUTS posterior of ns and gamma",
                        description="NUTS posterior of ns and gamma (PyMC).")
    add_options(sa, [
        *_target_opts(),
        Opt("--draws", int, default=1000, min=1, max=1_000_000, help="NUTS draws per chain"),
        Opt("--tune", int, default=1000, min=0, max=1_000_000,
            help="NUTS tuning steps per chain"),
        Opt("--chains", int, default=2, min=1, max=64, help="NUTS chains"),
        Opt("--cores", int, min=1, max=1024,
            default_text="all cores, at most one per chain",
            help="processes running the chains in parallel"),
        output_file("--out", required=False, suffixes=(".nc", ".netcdf", ".h5"),
                    help="write the InferenceData (NetCDF)"),
        output_dir("--plot-dir", required=False, help="write trace and pair plots here"),
        *common_options(),
    ], **_TARGET_RULES)
    sa.set_defaults(handler=run_sample)
    ev = sub.add_parser("evidence", help="nautilus evidence and Bayes factor vs background",
                        description="Nested-sampling (nautilus) evidence of the signal model and "
                                    "its Bayes factor against background.")
    add_options(ev, [
        *_target_opts(),
        Opt("--n-live", int, default=500, min=50, max=100_000, help="nautilus live points"),
        Opt("--fix-gamma", float, min=1.0, max=4.0, default_text="none",
            help="also compute the evidence with gamma fixed to this value (nested model; "
                 "inside the gamma prior)"),
        *common_options(),
    ], **_TARGET_RULES)
    ev.set_defaults(handler=run_evidence)
    tr = sub.add_parser("trials", help="background TS distribution from RA scrambles",
                        description="Background TS distribution from RA-scrambled trials, run "
                                    "on the resumable campaign runner: with --out the trials "
                                    "are written chunk by chunk and an interrupted run resumes "
                                    "without loss or duplication.")
    add_options(tr, [
        *_target_opts(),
        Opt("--n", int, default=100, min=1, max=10_000_000, help="number of trials"),
        output_dir("--out", required=False, existing="resume",
                   default_text="none (trials kept in a temporary folder and discarded)",
                   help="campaign folder (chunk files, campaign.json, trials.json with all "
                        "trials)"),
        Opt("--chunk-size", int, default=100, min=1, max=100_000, help="trials per chunk file"),
        Opt("--scheduler", str, default="serial", check=scheduler_check,
            help="where trials run: 'serial', 'local' (dask LocalCluster of --workers "
                 "processes) or the address of a running dask scheduler, tcp://HOST:PORT "
                 "(trusted: its workers run this campaign's code)"),
        Opt("--workers", int, min=1, max=1024, default_text=f"all cores ({ncpu} here)",
            help="workers of the local cluster, or jobs of a batch --cluster"),
        Opt("--cluster", choices=("slurm", "pbs", "sge", "lsf"),
            default_text="none (use --scheduler)",
            help="start dask workers as batch jobs through dask-jobqueue "
                 "(pip install \"bayesnu[hpc]\")"),
        Opt("--cluster-config", kind="input", suffixes=(".yaml", ".yml", ".json"),
            default_text="dask-jobqueue's own configuration",
            help="YAML/JSON mapping of dask-jobqueue cluster options (cores, memory, queue, "
                 "walltime, job_extra_directives, ...; 'jobs' = number of jobs)"),
        *common_options(seed_default=1),
    ], **{**_TARGET_RULES, "requires": {**_TARGET_RULES["requires"],
                                         "--cluster-config": ("--cluster",)}})
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
                raise OptionError("--data", f"{part} is a source catalogue, not event data")
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
        return [resolve_source(s, online=bool(getattr(args, "online", False)))
                for s in args.source]
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
    if getattr(args, "plot", None):
        from bayesnu.apps.command_reports import ps_fit_report

        out["report"] = ps_fit_report(psm, r, args.plot, desc, command="bayesnu ps fit")
        out["_text"] += f"\nTS profiles and report: {out['report']}"
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
    idata = sample(psm, draws=args.draws, tune=args.tune, chains=args.chains, cores=args.cores,
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
    ev = evidence(psm, n_live=args.n_live, seed=args.seed, progress=progress_enabled(args))
    out = {"log_z": ev.log_z, "log_z_err": ev.log_z_err,
           "ln_bayes_factor_vs_background": ev.ln_bf_vs_background,
           "posterior": ev.posterior, "n_like": ev.n_like, "wall_time_s": ev.wall_time_s, **desc}
    if args.fix_gamma is not None:
        ev2 = evidence(psm, fixed={"gamma": args.fix_gamma}, n_live=args.n_live, seed=args.seed,
                       progress=progress_enabled(args))
        lnb, err = bayes_factor(ev, ev2)
        out["fixed_gamma"] = {"gamma": args.fix_gamma, "log_z": ev2.log_z,
                              "log_z_err": ev2.log_z_err,
                              "ln_bayes_factor_free_vs_fixed": lnb, "err": err}
    out["_text"] = (f"ln Z(signal) - ln Z(background) = {ev.log_z:.3f} +- {ev.log_z_err:.3f} "
                    f"(Bayes factor {np.exp(ev.log_z):.3g})")
    return out


def run_trials(args) -> dict[str, Any]:
    from bayesnu.inference import fit
    from bayesnu.inference.trials import background_trials_campaign

    setup, psm, desc = build(args, model=False)
    data_fit = fit(psm)
    meta = {"data": desc["data"], "samples": desc["samples"], "sources": desc["sources"],
            "spatial_pdf": desc["spatial_pdf"], "content": "point-source background trials"}
    tr, camp = background_trials_campaign(
        setup, args.n, seed=args.seed, out_dir=args.out, chunk_size=args.chunk_size,
        scheduler=args.scheduler, n_workers=args.workers, progress=progress_enabled(args),
        meta=meta, cluster=args.cluster, cluster_config=args.cluster_config)
    ts = np.asarray(tr.ts)
    out = {"n_trials": args.n, "seconds_per_trial": tr.seconds_per_trial,
           "ts_quantiles": {q: float(np.quantile(ts, float(q))) for q in
                            ("0.5", "0.9", "0.99")},
           "wilks": tr.wilks, "data_ts": data_fit.ts, "data_p_value": tr.p_value(data_fit.ts),
           "seed": args.seed, "campaign": camp, **desc}
    from bayesnu.apps.report import empirical_pvalue, format_pvalue

    pv = empirical_pvalue(data_fit.ts, ts)
    out.update(data_p_value_is_upper_bound=pv["at_floor"],
               data_p_value_interval_68=pv["interval"])
    if args.out:
        tr.to_json(os.path.join(args.out, "trials.json"))
        out["out"] = os.fspath(args.out)
    out["_text"] = (f"{args.n} trials, {tr.seconds_per_trial * 1e3:.1f} ms/trial; median TS "
                    f"{np.median(ts):.2f}; data TS {data_fit.ts:.2f}, {format_pvalue(pv)}")
    return out
