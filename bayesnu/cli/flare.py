"""``bayesnu flare ...``: time-dependent (flare) point-source search of paper 000.

Subcommands: ``fit`` (one position), ``scan`` (HEALPix all-sky scan),
``trials`` (background TS ensembles per declination band, resumable, dask),
``sensitivity`` (sensitivity / discovery potential vs sigma_t), ``sample``
(posterior of the Bayesian flare model) and ``evidence`` (Bayes factors).
"""

from __future__ import annotations

import argparse
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
    from bayesnu.flare.analysis import load_data
    from bayesnu.flare.scan import scan_sky, write_scan

    ds = load_data(args.data)
    if len(ds.samples) != 1 and not args.sample:
        raise InputError(f"{ds.name} has {len(ds.samples)} samples; choose one with --sample",
                         column="sample")
    sample = ds[args.sample[0]] if args.sample else ds.samples[0]
    res = scan_sky(sample, nside=args.nside, pdf=args.pdf, seed_threshold=args.seed_threshold,
                   sigma_min=args.sigma_min, progress=progress_enabled(args),
                   n_workers=args.workers)
    files = write_scan(res, args.out)
    out = {"nside": args.nside, "n_pixels_fitted": int(res.n_fitted),
           "seconds": res.seconds, "hottest": res.hottest, "files": files}
    lines = [f"flare scan of {sample.name} (nside {args.nside}, {res.n_fitted} pixels) "
             f"in {res.seconds:.0f} s"]
    for hemi, h in res.hottest.items():
        if h:
            lines.append(f"  {hemi}: (ra {h['ra']:.2f}, dec {h['dec']:.2f}) TS {h['ts']:.2f} "
                         f"ns {h['ns']:.1f} T0 {h['t0']:.1f} sigma_t {h['sigma_t']:.3g} d")
    lines.append(f"  maps and plot in {args.out}")
    out["_text"] = "\n".join(lines)
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
    s.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    _add_fit_opts(s)
    add_common(s)
    s.set_defaults(handler=_cmd_scan)
