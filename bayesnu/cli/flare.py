"""``bayesnu flare ...``: time-dependent (flare) point-source search (IceCube 2023 cascade flare search).

Subcommands: ``fit`` (one position), ``scan`` (HEALPix all-sky scan),
``trials`` (background TS ensembles per declination band, resumable, dask),
``sensitivity`` (sensitivity / discovery potential vs sigma_t), ``sample``
(posterior of the Bayesian flare model) and ``evidence`` (Bayes factors).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

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


def _bands_check(value: str) -> str | None:
    import re

    if not re.fullmatch(r"\d+(:\d+)?(,\d+(:\d+)?)*", value):
        return f"expected band indices such as 40, 30:50 or 30:50,60, got {value!r}"
    return None


def _nside_check(value: int) -> str | None:
    return None if value & (value - 1) == 0 else f"must be a power of 2, got {value}"


def _position_opts() -> list[Opt]:
    return [
        data_option(help="event data: bundled name (ic40, ic86_2011, txs0506) or a file/release "
                         "folder path"),
        Opt("--source", str, default_text="none (give --ra and --dec)",
            help="source name from the bundled source table (e.g. 'TXS 0506+056')"),
        Opt("--online", bool, help="resolve a --source name missing from the bundled table with "
                                   "astropy's online name resolver (network access)"),
        Opt("--ra", float, min=0.0, max=360.0, unit="deg", default_text="none (give --source)",
            help="right ascension"),
        Opt("--dec", float, min=-90.0, max=90.0, unit="deg", default_text="none (give --source)",
            help="declination"),
        Opt("--sample", str, repeat=True,
            default_text="every sample, the best one reported",
            help="sample(s) of the data set to use (e.g. IC86b)"),
    ]


_POSITION_RULES = {"exclusive": [("--source", ("--ra", "--dec"))],
                   "together": [("--ra", "--dec")],
                   "one_of": [("--source", ("--ra", "--dec"))],
                   "requires": {"--online": ("--source",)}}


def _fit_opts() -> list[Opt]:
    return [
        Opt("--pdf", choices=("gauss", "box"), default="gauss", help="time PDF of the flare"),
        Opt("--seed-threshold", float, default=1.0, min=0.0, min_open=True, max=1e12,
            help="spatial x energy signal-over-background ratio above which an event seeds "
                 "candidate flares (IceCube 2023 cascade flare search: 1)"),
        Opt("--sigma-min", float, min=0.0, min_open=True, max=1e4, unit="days",
            default_text="1e-11, or 0.5 for event times rounded to whole days",
            help="lower bound of the flare width sigma_t"),
    ]


def _scheduler_opt(default: str | None, default_text: str | None = None) -> Opt:
    return Opt("--scheduler", str, default=default, check=scheduler_check,
               default_text=default_text, example="serial",
               help="where trials run: 'serial', 'local' (dask LocalCluster of --workers "
                    "processes) or the address of a running dask scheduler, tcp://HOST:PORT "
                    "(trusted: its workers run this campaign's code)")


def _cluster_opts() -> list[Opt]:
    return [
        Opt("--cluster", choices=("slurm", "pbs", "sge", "lsf"),
            default_text="none (use --scheduler)",
            help="start dask workers as batch jobs through dask-jobqueue "
                 "(pip install \"bayesnu[hpc]\")"),
        Opt("--cluster-config", kind="input", suffixes=(".yaml", ".yml", ".json"),
            default_text="dask-jobqueue's own configuration",
            help="YAML/JSON mapping of dask-jobqueue cluster options (cores, memory, queue, "
                 "walltime, job_extra_directives, ...; 'jobs' = number of jobs)"),
    ]


_CLUSTER_RULES = {"requires": {"--cluster-config": ("--cluster",)}}


def _events(args: argparse.Namespace):
    """The --data event set (a catalogue is refused naming the option)."""
    from bayesnu.data import Dataset
    from bayesnu.flare.analysis import load_data

    ds = load_data(args.data)
    if not isinstance(ds, Dataset):
        raise OptionError("--data", f"{args.data} is a source catalogue, not event data")
    return ds


def _position(args: argparse.Namespace, ds):
    from bayesnu.flare.analysis import resolve_position

    return resolve_position(args.source, args.ra, args.dec, ds,
                            online=bool(getattr(args, "online", False)))


def _named_sample(ds, name: str):
    for s in ds.samples:
        if s.name.lower() == str(name).lower():
            return s
    raise OptionError("--sample", f"no sample {name!r} in {ds.name}; have "
                      f"{', '.join(s.name for s in ds.samples)}")


def _fit_dict(fit, sample: str | None = None) -> dict[str, Any]:
    d = fit.as_dict()
    if sample is not None:
        d["sample"] = sample
    return d


def _cmd_fit(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.flare.analysis import fit_dataset

    ds = _events(args)
    ra, dec, label = _position(args, ds)
    for name in args.sample or ():
        _named_sample(ds, name)
    res = fit_dataset(ds, ra, dec, pdf=args.pdf, samples=args.sample,
                      seed_threshold=args.seed_threshold, sigma_min=args.sigma_min)
    best = res["best"]
    out = _fit_dict(best, res["sample"])
    out.update(source=label, ra=ra, dec=dec, data=ds.name,
               per_sample={k: _fit_dict(v) for k, v in res["fits"].items()})
    if args.pdf == "box":
        when = f"box MJD {best.t_start:.2f} - {best.t_stop:.2f}"
    else:
        when = f"T0 = MJD {best.t0:.2f}, sigma_t = {best.sigma_t:.3g} d"
    lines = [f"flare fit ({args.pdf}) at {label} on {ds.name}, best sample {res['sample']}:",
             f"  {when}",
             f"  ns = {best.ns:.2f}, gamma = {best.gamma:.2f}, TS = {best.ts:.2f}"]
    for k, v in res["fits"].items():
        lines.append(f"  {k:>10s}: TS {v.ts:7.2f}  ns {v.ns:6.2f}")
    out["_text"] = "\n".join(lines)
    return out


def _cmd_scan(args: argparse.Namespace) -> dict[str, Any]:
    """``flare scan``: :func:`bayesnu.inference.flare_scan.flare_scan`."""
    from bayesnu.inference.flare_scan import flare_scan

    ds = _events(args)
    sample = _one_sample(ds, args.sample)
    scheduler: Any = args.scheduler
    workers = args.workers
    close = None
    if args.cluster:  # the observed scan and the scrambled skies as batch jobs
        from bayesnu.inference.campaign import make_client

        scheduler, close = make_client(None, args.workers, cluster=args.cluster,
                                       cluster_config=args.cluster_config)
    try:
        res = flare_scan(sample, args.out, data_name=ds.name, nside=args.nside, pdf=args.pdf,
                         seed_threshold=args.seed_threshold, sigma_min=args.sigma_min,
                         workers=workers, scheduler=scheduler, trials_dir=args.trials,
                         dec_bands=args.dec_bands, scrambles=args.scrambles,
                         seed=int(args.seed),
                         min_count=args.min_count, tail_fraction=args.tail_fraction,
                         min_tail=args.min_tail, progress=progress_enabled(args))
    finally:
        if close is not None:
            close()
    from bayesnu.apps.command_reports import flare_scan_report

    flare_scan_report(res, command="bayesnu flare scan")   # styled sky maps + report.html
    out = res.to_dict()
    out["_text"] = res.text() + f"\n  report: {res.files['report']}"
    return out


def _band_selection(spec: str | None, n_bands: int) -> list[int]:
    if not spec:
        return list(range(n_bands))
    out: list[int] = []
    for part in spec.split(","):
        try:
            if ":" in part:
                a, b = part.split(":")
                out.extend(range(int(a), int(b)))
            else:
                out.append(int(part))
        except ValueError as exc:
            raise OptionError("--bands", f"bad band selection {spec!r} (use e.g. 40 or "
                              "30:50,60)") from exc
    bad = [b for b in out if not 0 <= b < n_bands]
    if bad:
        raise OptionError("--bands", f"band {bad[0]} outside 0..{n_bands - 1} (--dec-bands "
                          f"{n_bands})")
    return out


def _one_sample(ds, names):
    if names:
        if len(names) > 1:
            raise OptionError("--sample", "this command works on one sample; give --sample once")
        return _named_sample(ds, names[0])
    if len(ds.samples) != 1:
        raise OptionError("--sample", f"{ds.name} has {len(ds.samples)} samples "
                          f"({', '.join(s.name for s in ds.samples)}); choose one")
    return ds.samples[0]


def _cmd_trials(args: argparse.Namespace) -> dict[str, Any]:
    """``flare trials``: :func:`bayesnu.inference.flare_scan.band_trial_campaigns`."""
    from bayesnu.flare.trials import dec_band_edges
    from bayesnu.inference.flare_scan import band_trial_campaigns, check_bands

    ds = _events(args)
    sample = _one_sample(ds, args.sample)
    edges = dec_band_edges(args.dec_bands)
    bands = _band_selection(args.bands, edges.shape[0])
    fp = sample.footprint
    bands = [b for b in bands if edges[b, 1] > fp.dec_min and edges[b, 0] < fp.dec_max]
    if not bands:
        raise OptionError("--bands", "no selected declination band overlaps the sample's "
                          "footprint")
    check_bands(sample, bands, args.dec_bands)  # every band, before the folder or any work
    seed = int(args.seed)
    os.makedirs(args.out, exist_ok=True)  # parent checked before any work
    scheduler: Any = args.scheduler
    close = None
    if args.cluster:  # batch jobs through dask-jobqueue: one client for all bands
        from bayesnu.inference.campaign import make_client

        scheduler, close = make_client(None, args.workers, cluster=args.cluster,
                                       cluster_config=args.cluster_config)
    try:
        results = band_trial_campaigns(sample, args.out, bands, args.n, data_name=ds.name,
                                       n_bands=args.dec_bands, seed=seed,
                                       chunk_size=args.chunk_size, pdf=args.pdf,
                                       seed_threshold=args.seed_threshold,
                                       sigma_min=args.sigma_min, scheduler=scheduler,
                                       workers=args.workers, progress=progress_enabled(args))
    finally:
        if close is not None:
            close()
    text = [f"flare background trials of {sample.name} into {args.out} (seed {seed}):"]
    for b, r in results.items():
        tps = r["trials_per_second"]
        text.append(f"  band {b:>2s} [{r['dec_lo']:+6.1f},{r['dec_hi']:+6.1f}] n={r['n']} "
                    f"median TS {r['median_ts']:.2f}"
                    + (f"  {tps:.2f} trials/s" if tps else "  (resumed, nothing to run)"))
    return {"out": args.out, "seed": seed, "sample": sample.name, "bands": results,
            "_text": "\n".join(text)}


def _cmd_sensitivity(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from bayesnu.inference.sensitivity import (
        flare_sensitivity,
        flares_for_diffuse,
        plot_sensitivity,
    )

    ds = _events(args)
    sample = _one_sample(ds, args.sample)
    seed = int(args.seed)
    sig = [float(x) for x in args.sigma_t]
    decs = [float(x) for x in args.dec]
    trials = None
    if args.out:  # the trials run as resumable campaigns under --out/trials
        trials = Path(args.out) / "trials"
        trials.mkdir(parents=True, exist_ok=True)
    res = [flare_sensitivity(sample, d, sigma_t=sig, gamma=args.gamma, ra=args.ra,
                             n_bg=args.n_bg, n_sig=args.n_sig, n_boot=args.n_boot, seed=seed,
                             progress=progress_enabled(args),
                             trials_dir=None if trials is None else trials / f"dec{d:+g}")
           for d in decs]
    out = {"sample": sample.name, "gamma": args.gamma, "results": [r.as_dict() for r in res]}
    for r, d in zip(res, out["results"]):
        d["flares_for_diffuse_at_sensitivity"] = flares_for_diffuse(
            r.fluence_sens, sample.uptime.livetime_s, r.gamma).tolist()
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        out["plot"] = plot_sensitivity(res, Path(args.out) / "flare_sensitivity.png",
                                       livetime_s=sample.uptime.livetime_s)
    lines = [f"flare sensitivity of {sample.name}, E^-{args.gamma} (fluence E0^2 F at 100 TeV, "
             "GeV cm^-2):"]
    for r in res:
        lines.append(f"  dec {r.dec:+.1f}: {r.n_bg} background trials, {r.n_trials} signal "
                     f"trials per ns point, [16%, 84%] from {r.n_boot} bootstrap resamples")
        for k, s_ in enumerate(r.sigma_t):
            es = "" if r.ns_sens_err is None else (f" [{r.ns_sens_err[k][0]:.2f}, "
                                                    f"{r.ns_sens_err[k][1]:.2f}]")
            ed = "" if r.ns_disc_err is None else (f" [{r.ns_disc_err[k][0]:.2f}, "
                                                    f"{r.ns_disc_err[k][1]:.2f}]")
            lines.append(f"  dec {r.dec:+6.1f} sigma_t {s_:8.3g} d: ns90 {r.ns_sens[k]:6.2f}{es} "
                         f"F90 {r.fluence_sens[k]:.3g}  ns5s {r.ns_disc[k]:6.2f}{ed} "
                         f"F5s {r.fluence_disc[k]:.3g}")
    out["_text"] = "\n".join(lines)
    return out


def _bayes_inputs(args):
    ds = _events(args)
    ra, dec, label = _position(args, ds)
    if args.sample:
        samples = [_named_sample(ds, n) for n in args.sample]
    else:
        from bayesnu.flare.analysis import fit_dataset

        best = fit_dataset(ds, ra, dec)["sample"]
        samples = [ds[best]]
    return ds, ra, dec, label, samples


def _sample_modes(args, ds, ra, dec, label, samples) -> dict[str, Any]:
    """``flare sample --modes``: :func:`bayesnu.inference.flare.flare_posterior_modes`."""
    from bayesnu.flare.analysis import fit_dataset
    from bayesnu.inference.flare import flare_posterior_modes

    if len(samples) != 1:
        raise OptionError("--modes", "works on one sample; choose it with --sample")
    sample = samples[0]
    fit = fit_dataset(ds, ra, dec, pdf="gauss", samples=[sample.name],
                      keep_candidates=20)["best"]
    res = flare_posterior_modes(sample, ra, dec, source=label, fit=fit, chains=args.chains,
                                draws=args.draws, tune=args.tune, n_live=args.n_live,
                                seed=args.seed, sigma_min=args.sigma_min_prior,
                                cores=_cores(args),
                                per_event=not args.potential,
                                progressbar=progress_enabled(args))
    out = res.to_dict()
    if args.out and res.mode_idata:
        from bayesnu.atomic import write_netcdf

        write_netcdf(res.mode_idata[0], args.out)
        out["netcdf"] = args.out
    out["_text"] = res.text()
    return out


def _cores(args: argparse.Namespace) -> int:
    """``--cores``, or all cores but at most one per chain."""
    if args.cores is not None:
        return args.cores
    return max(1, min(args.chains, os.cpu_count() or 1))


def _cmd_sample(args: argparse.Namespace) -> dict[str, Any]:

    from bayesnu.inference.flare import sample_flare
    from bayesnu.inference.sample import posterior_summary
    from bayesnu.models.flare import flare_model

    ds, ra, dec, label, samples = _bayes_inputs(args)
    if args.modes:
        return _sample_modes(args, ds, ra, dec, label, samples)
    model = flare_model(samples, ra, dec, sigma_min=args.sigma_min_prior,
                        per_event=not args.potential)
    idata = sample_flare(model, chains=args.chains, draws=args.draws, tune=args.tune,
                         seed=args.seed, cores=_cores(args), progressbar=progress_enabled(args))
    summ = posterior_summary(idata, ["ns", "gamma", "t0", "sigma_t"])
    out = {"source": label, "samples": [s.name for s in samples], "posterior": summ,
           "diagnostics_ok": bool(idata.attrs.get("diagnostics_ok", 0)),
           "diagnostics_problems": idata.attrs.get("diagnostics_problems", ""),
           "divergences": int(idata.attrs.get("divergences", 0)),
           "wall_time_s": float(idata.attrs.get("wall_time_s", 0.0))}
    if args.out:
        from bayesnu.atomic import write_netcdf

        write_netcdf(idata, args.out)
        out["netcdf"] = args.out
    lines = [f"flare posterior at {label} ({', '.join(out['samples'])}):"]
    for k, v in summ.items():
        lines.append(f"  {k:8s} median {v['median']:.6g}  90% [{v['eti'][0]:.6g}, "
                     f"{v['eti'][1]:.6g}]  R-hat {v['rhat']:.3f}  ESS {v['ess_bulk']:.0f}")
    lines.append(f"  diagnostics {'ok' if out['diagnostics_ok'] else 'WARN: ' + out['diagnostics_problems']}")
    out["_text"] = "\n".join(lines)
    return out


def _cmd_evidence(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.inference.flare import flare_evidence

    ds, ra, dec, label, samples = _bayes_inputs(args)
    ev = flare_evidence(samples, ra, dec, sigma_min=args.sigma_min_prior, n_live=args.n_live,
                        seed=args.seed, progress=progress_enabled(args))
    out = {"source": label, "samples": [s.name for s in samples],
           **{k: float(v) for k, v in ev.items() if k.startswith("ln_b")},
           "log_z_flare": ev["flare"].log_z, "log_z_steady": ev["steady"].log_z,
           "posterior_flare": ev["flare"].posterior, "priors": ev["priors"]}
    out["_text"] = (f"nautilus evidences at {label} ({', '.join(out['samples'])}):\n"
                    f"  ln B(flare / background) = {out['ln_b_flare_vs_background']:.2f} +- "
                    f"{out['ln_b_flare_vs_background_err']:.2f}\n"
                    f"  ln B(flare / steady)     = {out['ln_b_flare_vs_steady']:.2f} +- "
                    f"{out['ln_b_flare_vs_steady_err']:.2f}")
    return out


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("flare", help="time-dependent (flare) search (IceCube 2023 cascade "
                                            "flare search; IceCube 2018 TXS 0506+056)",
                              description="Time-dependent point-source (flare) search.")
    sub = p.add_subparsers(dest="flare_command", metavar="SUBCOMMAND")
    ncpu = os.cpu_count() or 1

    f = sub.add_parser("fit", help="flare fit at one position",
                       description="Maximum-likelihood flare fit (ns, gamma, T0, sigma_t or box) "
                                   "at one position, per sample; the best sample is reported.")
    add_options(f, [*_position_opts(), *_fit_opts(), *common_options(seed=False)],
                **_POSITION_RULES)
    f.set_defaults(handler=_cmd_fit)

    s = sub.add_parser("scan", help="HEALPix all-sky flare scan",
                       description="All-sky flare scan on a HEALPix grid with local p-values from "
                                   "band trials and global p-values from scrambled skies. "
                                   "Resumable: the observed scan and the scrambled skies are kept "
                                   "in --out.")
    add_options(s, [
        data_option(help="event data (one sample): bundled name or file/release-folder path"),
        Opt("--sample", str, repeat=True, default_text="the only sample of --data",
            help="the sample to scan (give once)"),
        Opt("--nside", int, default=32, min=1, max=256, check=_nside_check,
            help="HEALPix nside of the scan grid (a power of 2; 32 = 1.8 deg pixels)"),
        output_dir("--out", existing="resume",
                   help="output folder (FITS maps, PNG, JSON; scrambled skies in OUT/scrambles)"),
        Opt("--workers", int, default=ncpu, min=1, max=1024,
            default_text=f"all cores ({ncpu} here)",
            help="processes of this machine; with --cluster, batch jobs (the observed scan and "
                 "the scrambled skies run in them)"),
        Opt("--trials", kind="input", default_text="none (no local p-values from band trials)",
            help="folder of 'flare trials' band campaigns: local p-value map and hottest spots "
                 "by p-value"),
        Opt("--dec-bands", int, default=81, min=1, max=180,
            help="number of declination bands of the trial ensembles over [-80, 80] deg"),
        Opt("--scrambles", int, default=0, min=0, max=100_000, example="2",
            help="scrambled full-sky scans (resumable in OUT/scrambles): their TS maps join "
                 "the band ensembles and give the global p-values"),
        _scheduler_opt(None, "serial if --workers 1, else local"),
        *_cluster_opts(),
        Opt("--min-count", int, default=20, min=1, max=1_000_000,
            help="empirical local p-value while at least this many ensemble values are at or "
                 "above the TS; exponential tail extrapolation beyond"),
        Opt("--tail-fraction", float, default=0.05, min=0.0, max=1.0, min_open=True,
            help="fraction of each band ensemble in the exponential tail fit"),
        Opt("--min-tail", int, default=50, min=2, max=1_000_000,
            help="at least this many values in a tail fit (no extrapolation from ensembles "
                 "smaller than twice this)"),
        *_fit_opts(),
        *common_options(seed_default=1),
    ], exclusive=[("--cluster", "--scheduler")],
        requires={"--cluster-config": ("--cluster",)})
    s.set_defaults(handler=_cmd_scan)

    t = sub.add_parser("trials", help="background TS ensembles per declination band",
                       description="Background TS ensembles per declination band (resumable "
                                   "campaign per band under --out; serial, dask or batch "
                                   "cluster).")
    add_options(t, [
        data_option(help="event data (one sample): bundled name or file/release-folder path"),
        Opt("--sample", str, repeat=True, default_text="the only sample of --data",
            help="the sample (give once)"),
        output_dir("--out", existing="resume",
                   help="campaign folder (one sub-folder per band; an interrupted run resumes)"),
        Opt("--n", int, default=1000, min=1, max=10_000_000, help="trials per band"),
        Opt("--dec-bands", int, default=81, min=1, max=180,
            help="number of declination bands over [-80, 80] deg"),
        Opt("--bands", str, check=_bands_check, default_text="all bands",
            help="subset of band indices, e.g. 40 or 30:50,60"),
        Opt("--chunk-size", int, default=50, min=1, max=100_000, help="trials per chunk file"),
        _scheduler_opt("local"),
        *_cluster_opts(),
        Opt("--workers", int, min=1, max=1024, default_text=f"all cores ({ncpu} here)",
            help="workers of the local cluster, or jobs of a batch --cluster"),
        *_fit_opts(),
        *common_options(seed_default=1),
    ], **_CLUSTER_RULES)
    t.set_defaults(handler=_cmd_trials)

    se = sub.add_parser("sensitivity", help="90%% sensitivity / 5 sigma discovery vs sigma_t",
                        description="Sensitivity (90%% of signal trials above the median "
                                    "background TS) and 5 sigma discovery potential of a "
                                    "Gaussian flare vs its width.")
    add_options(se, [
        data_option(help="event data (one sample): bundled name or file/release-folder path"),
        Opt("--sample", str, repeat=True, default_text="the only sample of --data",
            help="the sample (give once)"),
        Opt("--dec", float, sep=",", default=[60.0, -60.0], min=-90.0, max=90.0, unit="deg",
            help="declination(s)"),
        Opt("--ra", float, default=180.0, min=0.0, max=360.0, unit="deg", help="right ascension"),
        Opt("--sigma-t", float, sep=",", default=[0.1, 1.0, 10.0, 100.0], min=0.0,
            min_open=True, max=1e4, unit="days", help="flare widths"),
        Opt("--gamma", float, default=2.53, min=1.0, max=4.5, help="signal spectral index"),
        Opt("--n-bg", int, default=1000, min=20, max=1_000_000,
            help="background trials (median TS and the 5 sigma threshold)"),
        Opt("--n-sig", int, default=100, min=5, max=1_000_000, help="signal trials per ns point"),
        Opt("--n-boot", int, default=200, min=0, max=100_000,
            help="bootstrap resamples for the 16-84% ranges of every sensitivity (0: none)"),
        output_dir("--out", required=False, existing="resume",
                   help="folder for the plot and the trial campaigns (trials/; an interrupted "
                        "run resumes)"),
        *common_options(seed_default=1),
    ])
    se.set_defaults(handler=_cmd_sensitivity)

    for nm, fn, hlp in (("sample", _cmd_sample, "NUTS posterior of the Bayesian flare model"),
                        ("evidence", _cmd_evidence, "nautilus Bayes factors (flare vs "
                         "background, flare vs steady)")):
        b = sub.add_parser(nm, help=hlp, description=hlp + ".")
        opts = [*_position_opts(),
                Opt("--sigma-min-prior", float, default=0.01, min=0.0, min_open=True, max=1e4,
                    unit="days", help="lower end of the log-uniform sigma_t prior")]
        if nm == "sample":
            opts += [
                Opt("--chains", int, default=4, min=1, max=64, help="NUTS chains"),
                Opt("--cores", int, min=1, max=1024,
                    default_text=f"all cores, at most one per chain ({ncpu} here)",
                    help="processes running the chains in parallel"),
                Opt("--draws", int, default=1000, min=1, max=1_000_000,
                    help="NUTS draws per chain"),
                Opt("--tune", int, default=1000, min=0, max=1_000_000,
                    help="NUTS tuning steps per chain"),
                Opt("--potential", bool,
                    help="scalar pm.Potential instead of per-event CustomDist (faster)"),
                output_file("--out", required=False, suffixes=(".nc", ".netcdf", ".h5"),
                            help="write the InferenceData (NetCDF)"),
                Opt("--modes", bool,
                    help="NUTS per flare mode (T0/sigma_t box around the candidate flares) with "
                         "the modes' posterior weights from nautilus, instead of one run on the "
                         "full multimodal posterior"),
                Opt("--n-live", int, default=500, min=50, max=100_000,
                    help="nautilus live points for the mode weights (with --modes)"),
            ]
        else:
            opts.append(Opt("--n-live", int, default=500, min=50, max=100_000,
                            help="nautilus live points"))
        add_options(b, [*opts, *common_options()], **_POSITION_RULES)
        b.set_defaults(handler=fn)
