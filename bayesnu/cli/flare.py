"""``bayesnu flare ...``: time-dependent (flare) point-source search of paper 000.

Subcommands: ``fit`` (one position), ``scan`` (HEALPix all-sky scan),
``trials`` (background TS ensembles per declination band, resumable, dask),
``sensitivity`` (sensitivity / discovery potential vs sigma_t), ``sample``
(posterior of the Bayesian flare model) and ``evidence`` (Bayes factors).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bayesnu.cli._common import add_common, progress_enabled
from bayesnu.errors import InputError


def _add_position(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="bundled data set name or path")
    p.add_argument("--source", help="source name (e.g. 'TXS 0506+056')")
    p.add_argument("--ra", type=float, help="right ascension, deg")
    p.add_argument("--dec", type=float, help="declination, deg")
    p.add_argument("--sample", action="append", default=None,
                   help="sample(s) to fit (default: each sample, best reported)")


def _add_fit_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pdf", choices=("gauss", "box"), default="gauss", help="time PDF")
    p.add_argument("--seed-threshold", type=float, default=1.0,
                   help="spatial x energy S/B above which events seed flares (paper 000: 1)")
    p.add_argument("--sigma-min", type=float, default=None,
                   help="lower bound of sigma_t, days (default 1e-11, 0.5 for whole-day times)")


def _fit_dict(fit, sample: str | None = None) -> dict[str, Any]:
    d = fit.as_dict()
    if sample is not None:
        d["sample"] = sample
    return d


def _cmd_fit(args: argparse.Namespace) -> dict[str, Any]:
    from bayesnu.flare.analysis import fit_dataset, load_data, resolve_position

    ds = load_data(args.data)
    ra, dec, label = resolve_position(args.source, args.ra, args.dec, ds)
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
    from bayesnu.flare.analysis import load_data
    from bayesnu.inference.flare_scan import flare_scan

    if args.scrambles < 0:
        raise InputError(f"--scrambles must be >= 0, got {args.scrambles}", column="scrambles")
    ds = load_data(args.data)
    if len(ds.samples) != 1 and not args.sample:
        raise InputError(f"{ds.name} has {len(ds.samples)} samples; choose one with --sample",
                         column="sample")
    sample = ds[args.sample[0]] if args.sample else ds.samples[0]
    res = flare_scan(sample, args.out, data_name=ds.name, nside=args.nside, pdf=args.pdf,
                     seed_threshold=args.seed_threshold, sigma_min=args.sigma_min,
                     workers=args.workers, scheduler=args.scheduler, trials_dir=args.trials,
                     dec_bands=args.dec_bands, scrambles=args.scrambles,
                     seed=1 if args.seed is None else int(args.seed),
                     min_count=args.min_count, tail_fraction=args.tail_fraction,
                     min_tail=args.min_tail, progress=progress_enabled(args))
    out = res.to_dict()
    out["_text"] = res.text()
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
            raise InputError(f"bad band selection {spec!r} (use e.g. 40 or 30:50,60)",
                             column="bands") from exc
    bad = [b for b in out if not 0 <= b < n_bands]
    if bad:
        raise InputError(f"band {bad[0]} outside 0..{n_bands - 1}", column="bands")
    return out


def _one_sample(ds, names):
    if names:
        return ds[names[0]]
    if len(ds.samples) != 1:
        raise InputError(f"{ds.name} has {len(ds.samples)} samples; choose one with --sample",
                         column="sample")
    return ds.samples[0]


def _cmd_trials(args: argparse.Namespace) -> dict[str, Any]:
    """``flare trials``: :func:`bayesnu.inference.flare_scan.band_trial_campaigns`."""
    from bayesnu.flare.analysis import load_data
    from bayesnu.flare.trials import dec_band_edges
    from bayesnu.inference.flare_scan import band_trial_campaigns

    ds = load_data(args.data)
    sample = _one_sample(ds, args.sample)
    edges = dec_band_edges(args.dec_bands)
    bands = _band_selection(args.bands, edges.shape[0])
    fp = sample.footprint
    bands = [b for b in bands if edges[b, 1] > fp.dec_min and edges[b, 0] < fp.dec_max]
    if not bands:
        raise InputError("no declination band overlaps the sample's footprint", column="bands")
    seed = 1 if args.seed is None else int(args.seed)
    results = band_trial_campaigns(sample, args.out, bands, args.n, data_name=ds.name,
                                   n_bands=args.dec_bands, seed=seed,
                                   chunk_size=args.chunk_size, pdf=args.pdf,
                                   seed_threshold=args.seed_threshold, sigma_min=args.sigma_min,
                                   scheduler=args.scheduler, workers=args.workers,
                                   progress=progress_enabled(args))
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

    from bayesnu.flare.analysis import load_data
    from bayesnu.inference.sensitivity import (
        flare_sensitivity,
        flares_for_diffuse,
        plot_sensitivity,
    )

    ds = load_data(args.data)
    sample = _one_sample(ds, args.sample)
    seed = 1 if args.seed is None else int(args.seed)
    sig = [float(x) for x in args.sigma_t.split(",")]
    decs = [float(x) for x in args.dec.split(",")]
    res = [flare_sensitivity(sample, d, sigma_t=sig, gamma=args.gamma, ra=args.ra,
                             n_bg=args.n_bg, n_sig=args.n_sig, seed=seed,
                             progress=progress_enabled(args)) for d in decs]
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
        for k, s_ in enumerate(r.sigma_t):
            lines.append(f"  dec {r.dec:+6.1f} sigma_t {s_:8.3g} d: ns90 {r.ns_sens[k]:6.2f} "
                         f"F90 {r.fluence_sens[k]:.3g}  ns5s {r.ns_disc[k]:6.2f} "
                         f"F5s {r.fluence_disc[k]:.3g}")
    out["_text"] = "\n".join(lines)
    return out


def _bayes_inputs(args):
    from bayesnu.flare.analysis import load_data, resolve_position

    ds = load_data(args.data)
    ra, dec, label = resolve_position(args.source, args.ra, args.dec, ds)
    if args.sample:
        samples = [ds[n] for n in args.sample]
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
        raise InputError("--modes works on one sample; choose it with --sample",
                         column="sample")
    sample = samples[0]
    fit = fit_dataset(ds, ra, dec, pdf="gauss", samples=[sample.name],
                      keep_candidates=20)["best"]
    res = flare_posterior_modes(sample, ra, dec, source=label, fit=fit, chains=args.chains,
                                draws=args.draws, tune=args.tune, n_live=args.n_live,
                                seed=args.seed, sigma_min=args.sigma_min_prior,
                                cores=max(1, min(args.chains, os.cpu_count() or 1)),
                                per_event=not args.potential,
                                progressbar=progress_enabled(args))
    out = res.to_dict()
    if args.out and res.mode_idata:
        res.mode_idata[0].to_netcdf(args.out)
        out["netcdf"] = args.out
    out["_text"] = res.text()
    return out


def _cmd_sample(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    from bayesnu.inference.flare import sample_flare
    from bayesnu.inference.sample import posterior_summary
    from bayesnu.models.flare import flare_model

    ds, ra, dec, label, samples = _bayes_inputs(args)
    if args.modes:
        return _sample_modes(args, ds, ra, dec, label, samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = flare_model(samples, ra, dec, sigma_min=args.sigma_min_prior,
                            per_event=not args.potential)
    idata = sample_flare(model, chains=args.chains, draws=args.draws, tune=args.tune,
                         seed=args.seed, progressbar=progress_enabled(args))
    summ = posterior_summary(idata, ["ns", "gamma", "t0", "sigma_t"])
    out = {"source": label, "samples": [s.name for s in samples], "posterior": summ,
           "diagnostics_ok": bool(idata.attrs.get("diagnostics_ok", 0)),
           "diagnostics_problems": idata.attrs.get("diagnostics_problems", ""),
           "divergences": int(idata.attrs.get("divergences", 0)),
           "wall_time_s": float(idata.attrs.get("wall_time_s", 0.0))}
    if args.out:
        idata.to_netcdf(args.out)
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
                        seed=args.seed)
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
    p = subparsers.add_parser("flare", help="time-dependent (flare) search, paper 000")
    sub = p.add_subparsers(dest="flare_command", metavar="SUBCOMMAND")

    f = sub.add_parser("fit", help="flare fit at one position")
    _add_position(f)
    _add_fit_opts(f)
    add_common(f)
    f.set_defaults(handler=_cmd_fit)

    s = sub.add_parser("scan", help="HEALPix all-sky flare scan")
    s.add_argument("--data", required=True)
    s.add_argument("--sample", action="append", default=None)
    s.add_argument("--nside", type=int, default=32)
    s.add_argument("--out", required=True, help="output folder (FITS maps, PNG, JSON)")
    s.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes (default: all cores)")
    s.add_argument("--trials", default=None,
                   help="folder of `flare trials` band campaigns: local p-value map and "
                        "hottest spots by p-value")
    s.add_argument("--dec-bands", type=int, default=81)
    s.add_argument("--scrambles", type=int, default=0,
                   help="scrambled full-sky scans (resumable in OUT/scrambles): their TS maps "
                        "join the band ensembles and give the global p-values")
    s.add_argument("--scheduler", default=None,
                   help="where scrambled skies run: 'serial', 'local' (dask LocalCluster of "
                        "--workers) or a dask scheduler address (default: serial if "
                        "--workers 1, else local)")
    s.add_argument("--min-count", type=int, default=20,
                   help="empirical local p-value while at least this many ensemble values are "
                        "at or above the TS; exponential tail extrapolation beyond")
    s.add_argument("--tail-fraction", type=float, default=0.05,
                   help="fraction of each band ensemble in the exponential tail fit")
    s.add_argument("--min-tail", type=int, default=50,
                   help="at least this many values in a tail fit (no extrapolation from "
                        "ensembles smaller than twice this)")
    _add_fit_opts(s)
    add_common(s)
    s.set_defaults(handler=_cmd_scan)

    t = sub.add_parser("trials", help="background TS ensembles per declination band")
    t.add_argument("--data", required=True)
    t.add_argument("--sample", action="append", default=None)
    t.add_argument("--out", required=True, help="campaign folder (one sub-folder per band)")
    t.add_argument("--n", type=int, default=1000, help="trials per band")
    t.add_argument("--dec-bands", type=int, default=81, help="number of 2-deg bands over [-80, 80]")
    t.add_argument("--bands", default=None, help="subset of band indices, e.g. 40 or 30:50")
    t.add_argument("--chunk-size", type=int, default=50, help="trials per chunk file")
    t.add_argument("--scheduler", default="local",
                   help="'local' (LocalCluster on all cores), 'serial', or a dask scheduler address")
    t.add_argument("--workers", type=int, default=None, help="local cluster workers (default: cores)")
    _add_fit_opts(t)
    add_common(t)
    t.set_defaults(handler=_cmd_trials)

    se = sub.add_parser("sensitivity", help="90%% sensitivity / 5 sigma discovery vs sigma_t")
    se.add_argument("--data", required=True)
    se.add_argument("--sample", action="append", default=None)
    se.add_argument("--dec", default="60,-60", help="declination(s), deg, comma separated")
    se.add_argument("--ra", type=float, default=180.0)
    se.add_argument("--sigma-t", default="0.1,1,10,100", help="flare widths, days")
    se.add_argument("--gamma", type=float, default=2.53)
    se.add_argument("--n-bg", type=int, default=200, help="background trials")
    se.add_argument("--n-sig", type=int, default=40, help="signal trials per ns point")
    se.add_argument("--out", default=None, help="folder for the plot")
    add_common(se)
    se.set_defaults(handler=_cmd_sensitivity)

    for nm, fn, hlp in (("sample", _cmd_sample, "NUTS posterior of the Bayesian flare model"),
                        ("evidence", _cmd_evidence, "nautilus Bayes factors (flare vs "
                         "background, flare vs steady)")):
        b = sub.add_parser(nm, help=hlp)
        _add_position(b)
        b.add_argument("--sigma-min-prior", type=float, default=0.01,
                       help="lower end of the log-uniform sigma_t prior, days")
        if nm == "sample":
            b.add_argument("--chains", type=int, default=4)
            b.add_argument("--draws", type=int, default=1000)
            b.add_argument("--tune", type=int, default=1000)
            b.add_argument("--potential", action="store_true",
                           help="scalar pm.Potential instead of per-event CustomDist (faster)")
            b.add_argument("--out", default=None, help="write InferenceData (NetCDF)")
            b.add_argument("--modes", action="store_true",
                           help="NUTS per flare mode (T0/sigma_t box around the candidate "
                                "flares) with the modes' posterior weights from nautilus, "
                                "instead of one run on the full multimodal posterior")
            b.add_argument("--n-live", type=int, default=500,
                           help="nautilus live points for the mode weights (--modes)")
        else:
            b.add_argument("--n-live", type=int, default=500)
        add_common(b)
        b.set_defaults(handler=fn)
